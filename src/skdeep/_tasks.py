"""What an estimator learns: classification, regression or reconstruction.

A task owns everything that depends on the kind of target rather than on the network: how the
data and targets are validated and encoded into the matrix the loss compares with, which output
activation (hence which loss) the network ends in, the per-sample weights the target implies,
how the early-stopping split is stratified, how network outputs become predictions and how a
validation set is scored. The estimators hold one task each (``_task``) and keep the fitted
state (``classes_``, the label binarizer) themselves; a task has no state of its own.
"""

import numpy as np
from sklearn.metrics import accuracy_score, r2_score
from sklearn.preprocessing import LabelBinarizer
from sklearn.utils.class_weight import compute_sample_weight
from sklearn.utils.multiclass import check_classification_targets, unique_labels
from sklearn.utils.validation import column_or_1d, validate_data

# What every estimator accepts as training input.
INPUT_CHECKS = dict(accept_sparse=["csr", "csc"], dtype=(np.float64, np.float32))


class Task:
    """Base class: a supervised task whose target ``y`` is validated with ``X``.

    Subclasses define the encoding, the output activation, the predictions and the score.
    """

    # Reconstruction trains against the input itself: no y, Y is None.
    target_is_input = False
    numeric_target = True

    def validate(self, estimator, X, y, reset):
        """Return ``X`` and ``y`` checked as scikit-learn checks them."""
        return validate_data(
            estimator, X, y, multi_output=True, y_numeric=self.numeric_target, reset=reset,
            **INPUT_CHECKS,
        )

    def encode(self, estimator, y, incremental, first_pass):
        """Return ``(Y, y_scoring)``: the loss's target matrix and ``y`` as scores read it."""
        raise NotImplementedError

    def encode_validation(self, estimator, y):
        """Encode a validation target with what the training target taught."""
        return self.encode(estimator, y, incremental=True, first_pass=False)

    def sample_weight_factors(self, estimator, y_scoring):
        """Per-sample weight factors the target implies (``class_weight``), or None."""
        return None

    def stratify(self, Y):
        """The array the early-stopping split is stratified by, or None."""
        return None

    def output_activation(self, estimator, X):
        """The output activation's name, a key of :data:`skdeep.losses.LOSSES`."""
        raise NotImplementedError

    def predictions(self, estimator, outputs):
        """What ``predict`` returns for the network's outputs."""
        raise NotImplementedError

    def score(self, estimator, outputs, loss, y, sample_weight):
        """The validation score (higher is better) of ``outputs``, whose mean loss is ``loss``."""
        raise NotImplementedError


class Classification(Task):
    """Labels through a LabelBinarizer; softmax for several classes, logistic otherwise."""

    numeric_target = False

    def encode(self, estimator, y, incremental, first_pass):
        if y.ndim == 2 and y.shape[1] == 1:
            y = column_or_1d(y, warn=True)
        check_classification_targets(y)
        if not hasattr(estimator, "classes_") or (not estimator.warm_start and not incremental):
            # A single class fits, as in MLPClassifier: one logistic output learns to say "no".
            estimator._label_binarizer = LabelBinarizer().fit(y)
            estimator.classes_ = estimator._label_binarizer.classes_
        else:
            self._check_known_classes(estimator, unique_labels(y))
        return estimator._label_binarizer.transform(y), y

    @staticmethod
    def _check_known_classes(estimator, classes):
        if estimator.warm_start:
            if set(classes) != set(estimator.classes_):
                raise ValueError(
                    "warm_start can only be used where `y` has the same classes as in the "
                    f"previous call to fit. Previously got {estimator.classes_}, `y` has "
                    f"{classes}"
                )
        elif len(np.setdiff1d(classes, estimator.classes_, assume_unique=True)):
            raise ValueError(
                f"`y` has classes not in `self.classes_`. `self.classes_` has "
                f"{estimator.classes_}. 'y' has {classes}."
            )

    def encode_validation(self, estimator, y):
        if y.ndim == 2 and y.shape[1] == 1:
            y = column_or_1d(y)
        unseen = np.setdiff1d(unique_labels(y), estimator.classes_)
        if len(unseen):
            raise ValueError(
                f"y_val has classes not in `self.classes_`: {unseen}. `self.classes_` has "
                f"{estimator.classes_}."
            )
        return estimator._label_binarizer.transform(y), y

    def sample_weight_factors(self, estimator, y_scoring):
        if estimator.class_weight is None:
            return None
        if y_scoring.ndim == 2:
            raise ValueError("class_weight is not supported for multilabel targets.")
        return compute_sample_weight(estimator.class_weight, y_scoring)

    def stratify(self, Y):
        # MLPClassifier stratifies by its boolean indicator matrix when it has one column (a
        # binary target) and not otherwise; the same array gives the same split and, for a class
        # with one member, the same error.
        return Y.astype(bool) if Y.shape[1] == 1 else None

    def output_activation(self, estimator, X):
        return "softmax" if estimator._label_binarizer.y_type_ == "multiclass" else "logistic"

    def predictions(self, estimator, outputs):
        if estimator.n_outputs_ == 1:
            outputs = outputs.ravel()
        return estimator._label_binarizer.inverse_transform(outputs)

    def score(self, estimator, outputs, loss, y, sample_weight):
        return accuracy_score(y, self.predictions(estimator, outputs), sample_weight=sample_weight)


class Regression(Task):
    """Real targets as a column matrix; identity output, or exp for the Poisson loss."""

    def encode(self, estimator, y, incremental, first_pass):
        if estimator.loss == "poisson" and np.any(y < 0):
            raise ValueError(
                "Some value(s) of y are negative which is not allowed for Poisson regression."
            )
        return (y.reshape(-1, 1) if y.ndim == 1 else y), y

    def output_activation(self, estimator, X):
        return "exp" if estimator.loss == "poisson" else "identity"

    def predictions(self, estimator, outputs):
        return outputs.ravel() if estimator.n_outputs_ == 1 else outputs

    def score(self, estimator, outputs, loss, y, sample_weight):
        return r2_score(y, self.predictions(estimator, outputs), sample_weight=sample_weight)


class Reconstruction(Task):
    """The input is the target: logistic output (cross-entropy) for data in [0, 1]."""

    target_is_input = True

    def validate(self, estimator, X, y, reset):
        # y is not part of the task (scikit-learn's callbacks still receive it as given).
        return validate_data(estimator, X, reset=reset, **INPUT_CHECKS), y

    def encode(self, estimator, y, incremental, first_pass):
        return None, None

    def output_activation(self, estimator, X):
        if estimator.loss == "squared_error":
            return "identity"
        in_unit_range = X.min() >= 0 and X.max() <= 1
        if estimator.loss == "cross_entropy" and not in_unit_range:
            raise ValueError(
                "loss='cross_entropy' needs every input value in [0, 1]; got values in "
                f"[{X.min():g}, {X.max():g}]. Scale the input or use loss='squared_error'."
            )
        return "logistic" if in_unit_range else "identity"

    def score(self, estimator, outputs, loss, y, sample_weight):
        return -loss

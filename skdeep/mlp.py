"""DeepMLPClassifier and DeepMLPRegressor: drop-in supersets of scikit-learn's MLPs."""

from sklearn.base import ClassifierMixin, RegressorMixin
from sklearn.metrics import accuracy_score, r2_score
from sklearn.preprocessing import LabelBinarizer
from sklearn.utils._param_validation import StrOptions
from sklearn.utils.class_weight import compute_sample_weight
from sklearn.utils.metaestimators import available_if
from sklearn.utils.multiclass import (
    _check_partial_fit_first_call,
    check_classification_targets,
    type_of_target,
    unique_labels,
)
from sklearn.utils.validation import column_or_1d

import numpy as np

from ._base import store_parameters
from ._docs import (
    FITTED_ATTRIBUTES,
    MLP_ARCHITECTURE,
    MLP_REGULARISATION,
    OPTIMISATION_PARAMETERS,
    PRETRAINING_PARAMETERS,
)
from ._mlp_base import BaseDeepMLP


def _stochastic_solver(estimator):
    if estimator.solver == "lbfgs":
        raise AttributeError(
            f"partial_fit is only available for stochastic optimizers. {estimator.solver} is not "
            "stochastic."
        )
    return True


class DeepMLPClassifier(ClassifierMixin, BaseDeepMLP):
    __doc__ = f"""Deep multi-layer perceptron classifier.

    A drop-in superset of :class:`sklearn.neural_network.MLPClassifier`: the same parameters with
    the same defaults and meaning, the same fitted attributes, plus batch normalisation, dropout,
    weight initialisation schemes, more optimisers and learning-rate schedules, L1 and max-norm
    penalties and ``class_weight``. It minimises the log-loss of a softmax output (multiclass) or
    of logistic outputs (binary and multilabel).

    Parameters
    ----------
    {MLP_ARCHITECTURE}
    {OPTIMISATION_PARAMETERS}
    {MLP_REGULARISATION}
    {PRETRAINING_PARAMETERS}
    class_weight : dict, 'balanced' or None, default=None
        Weights of the classes, multiplied into ``sample_weight``; 'balanced' uses
        ``n_samples / (n_classes * np.bincount(y))``. Not for multilabel targets.

    Attributes
    ----------
    classes_ : ndarray or list of ndarray of shape (n_classes,)
        Class labels for each output.

    {FITTED_ATTRIBUTES}
    out_activation_ : str
        Name of the output activation function ('softmax' or 'logistic').

    See Also
    --------
    DeepMLPRegressor : The regressor counterpart.
    sklearn.neural_network.MLPClassifier : The scikit-learn estimator this one extends.

    Notes
    -----
    The network is ``input -> [Dense -> BatchNorm? -> activation -> Dropout?] x L -> Dense`` and
    the loss applies the output non-linearity itself, so its gradient with respect to the scores
    is ``p - y``. All parameters live in one flat vector that the optimisers update in place.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from sklearn.model_selection import train_test_split
    >>> from skdeep import DeepMLPClassifier
    >>> X, y = load_digits(return_X_y=True)
    >>> X_train, X_test, y_train, y_test = train_test_split(X / 16, y, random_state=0)
    >>> clf = DeepMLPClassifier(hidden_layer_sizes=(64, 64), batch_norm=True, dropout=0.1,
    ...                         max_iter=30, random_state=0).fit(X_train, y_train)
    >>> clf.score(X_test, y_test) > 0.9
    True
    """

    _parameter_constraints = {
        **BaseDeepMLP._parameter_constraints,
        "class_weight": [dict, StrOptions({"balanced"}), None],
    }

    # As in MLPClassifier, which minimises the log-loss whatever its settings.
    loss = "log_loss"

    def __init__(
        self,
        hidden_layer_sizes=(100,),
        activation="relu",
        *,
        solver="adam",
        alpha=0.0001,
        batch_size="auto",
        learning_rate="constant",
        learning_rate_init=0.001,
        power_t=0.5,
        max_iter=200,
        shuffle=True,
        random_state=None,
        tol=1e-4,
        verbose=False,
        warm_start=False,
        momentum=0.9,
        nesterovs_momentum=True,
        early_stopping=False,
        validation_fraction=0.1,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-8,
        n_iter_no_change=10,
        max_fun=15000,
        weight_init="auto",
        batch_norm=False,
        batch_norm_momentum=0.9,
        batch_norm_statistics="running",
        max_norm=None,
        l1=0.0,
        rho=0.9,
        learning_rate_decay=0.95,
        learning_rate_step=10,
        on_epoch_end=None,
        dropout=0.0,
        input_dropout=0.0,
        anneal_dropout=False,
        pretraining=None,
        pretraining_noise="masking",
        pretraining_noise_level=0.3,
        pretraining_max_iter=10,
        class_weight=None,
    ):
        store_parameters(self, locals())

    def _encode_targets(self, y, incremental, first_pass):
        if y.ndim == 2 and y.shape[1] == 1:
            y = column_or_1d(y, warn=True)
        check_classification_targets(y)
        if not hasattr(self, "classes_") or (not self.warm_start and not incremental):
            # A single class fits, as in MLPClassifier: one logistic output learns to say "no".
            self._label_binarizer = LabelBinarizer().fit(y)
            self.classes_ = self._label_binarizer.classes_
        else:
            classes = unique_labels(y)
            if self.warm_start:
                if set(classes) != set(self.classes_):
                    raise ValueError(
                        "warm_start can only be used where `y` has the same classes as in the "
                        f"previous call to fit. Previously got {self.classes_}, `y` has {classes}"
                    )
            elif len(np.setdiff1d(classes, self.classes_, assume_unique=True)):
                raise ValueError(
                    f"`y` has classes not in `self.classes_`. `self.classes_` has "
                    f"{self.classes_}. 'y' has {classes}."
                )
        return self._label_binarizer.transform(y), y

    def _output_activation(self, X):
        return "softmax" if self._label_binarizer.y_type_ == "multiclass" else "logistic"

    def _encode_validation_targets(self, y):
        if y.ndim == 2 and y.shape[1] == 1:
            y = column_or_1d(y)
        unseen = np.setdiff1d(unique_labels(y), self.classes_)
        if len(unseen):
            raise ValueError(
                f"y_val has classes not in `self.classes_`: {unseen}. `self.classes_` has "
                f"{self.classes_}."
            )
        return self._label_binarizer.transform(y), y

    def _extra_sample_weight(self, y):
        if self.class_weight is None:
            return None
        if y.ndim == 2:
            raise ValueError("class_weight is not supported for multilabel targets.")
        return compute_sample_weight(self.class_weight, y)

    def _stratify_validation(self, Y):
        # MLPClassifier stratifies by its boolean indicator matrix when it has one column (a
        # binary target) and not otherwise; the same array gives the same split and, for a class
        # with one member, the same error.
        return Y.astype(bool) if Y.shape[1] == 1 else None

    def _labels(self, outputs):
        if self.n_outputs_ == 1:
            outputs = outputs.ravel()
        return self._label_binarizer.inverse_transform(outputs)

    def _score_outputs(self, outputs, y, sample_weight):
        return accuracy_score(y, self._labels(outputs), sample_weight=sample_weight)

    def fit(self, X, y, sample_weight=None, *, X_val=None, y_val=None):
        """Fit the model to data matrix X and target(s) y.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input data; float32 input trains in float32.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            The target values (class labels, or a label indicator matrix for multilabel).
        sample_weight : array-like of shape (n_samples,), default=None
            Sample weights.
        X_val, y_val : array-like, default=None
            A validation set: its loss and accuracy are recorded in ``history_`` every epoch
            and, with ``early_stopping=True``, used instead of a random ``validation_fraction``
            ('lbfgs' ignores it). It is used as given: a Pipeline's ``step__X_val=`` skips the
            earlier steps' transformations (a warning says so when the scales disagree); metadata
            routing applies them, with ``transform_input=["X_val"]`` on the Pipeline and
            ``set_fit_request(X_val=True, y_val=True)`` here (:ref:`ug_validation_pipeline`).

        Returns
        -------
        self : object
            Trained classifier.
        """
        return self._fit(X, y, sample_weight=sample_weight, X_val=X_val, y_val=y_val)

    @available_if(_stochastic_solver)
    def partial_fit(self, X, y, sample_weight=None, classes=None):
        """Update the model with a single epoch over the given data.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input data.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            The target values.
        sample_weight : array-like of shape (n_samples,), default=None
            Sample weights.
        classes : array of shape (n_classes,), default=None
            All classes that may appear in any call; required on the first call.

        Returns
        -------
        self : object
            Trained classifier.
        """
        if _check_partial_fit_first_call(self, classes):
            self._label_binarizer = LabelBinarizer()
            if type_of_target(y).startswith("multilabel"):
                self._label_binarizer.fit(y)
            else:
                self._label_binarizer.fit(classes)
        return self._fit(X, y, sample_weight=sample_weight, incremental=True)

    def predict(self, X):
        """Predict using the multi-layer perceptron classifier.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input data.

        Returns
        -------
        y : ndarray of shape (n_samples,) or (n_samples, n_classes)
            The predicted classes.
        """
        return self._labels(self._forward(self._validate_for_predict(X)))

    def predict_proba(self, X):
        """Probability estimates.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input data.

        Returns
        -------
        y_prob : ndarray of shape (n_samples, n_classes)
            The predicted probability of each class, in the order of ``classes_``.
        """
        return self._probabilities(self._forward(self._validate_for_predict(X)))

    def _probabilities(self, outputs):
        """``predict_proba`` from the network's outputs: two columns for a binary target."""
        if self.n_outputs_ == 1:
            positive = outputs.ravel()
            return np.column_stack([1 - positive, positive])
        return outputs

    def predict_log_proba(self, X):
        """Logarithm of the probability estimates.

        ``log(predict_proba(X))``, as in MLPClassifier, except where a probability underflows to
        zero: there the log-probability is computed stably from the scores, finite where the
        logarithm of the rounded probability would be ``-inf``.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input data.

        Returns
        -------
        log_y_prob : ndarray of shape (n_samples, n_classes)
            The log-probability of each class, in the order of ``classes_``.
        """
        X = self._validate_for_predict(X)
        scores = self._network.forward(X, training=False)
        if self.n_outputs_ == 1:
            # log(1 - sigmoid(s)) = log sigmoid(-s): both columns without cancellation.
            negative = self._loss.log_output(-scores.ravel())
            stable = np.column_stack([negative, self._loss.log_output(scores.ravel().copy())])
        else:
            stable = self._loss.log_output(scores.copy())
        probabilities = self._probabilities(self._loss.output(scores))
        # Rounded probabilities keep MLPClassifier's values, and so its argmax (ties included).
        with np.errstate(divide="ignore"):
            log_probabilities = np.log(probabilities)
        underflowed = probabilities == 0
        log_probabilities[underflowed] = stable[underflowed]
        return log_probabilities

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_label = True
        return tags


class DeepMLPRegressor(RegressorMixin, BaseDeepMLP):
    __doc__ = f"""Deep multi-layer perceptron regressor.

    A drop-in superset of :class:`sklearn.neural_network.MLPRegressor`: the same parameters with
    the same defaults and meaning, the same fitted attributes, plus batch normalisation, dropout,
    weight initialisation schemes, more optimisers and learning-rate schedules, L1 and max-norm
    penalties.

    Parameters
    ----------
    loss : {{'squared_error', 'poisson'}}, default='squared_error'
        Half squared error with an identity output, or half Poisson deviance with an exponential
        output (non-negative targets). With several outputs the per-sample loss is the sum over
        outputs (scikit-learn reports the mean, with the same gradient).

    {MLP_ARCHITECTURE}
    {OPTIMISATION_PARAMETERS}
    {MLP_REGULARISATION}
    {PRETRAINING_PARAMETERS}
    Attributes
    ----------
    {FITTED_ATTRIBUTES}
    out_activation_ : str
        Name of the output activation function ('identity' or 'exp').

    See Also
    --------
    DeepMLPClassifier : The classifier counterpart.
    sklearn.neural_network.MLPRegressor : The scikit-learn estimator this one extends.

    Examples
    --------
    >>> from sklearn.datasets import make_regression
    >>> from skdeep import DeepMLPRegressor
    >>> X, y = make_regression(n_samples=200, n_features=5, noise=1.0, random_state=0)
    >>> reg = DeepMLPRegressor(hidden_layer_sizes=(32,), solver="lbfgs", max_iter=500,
    ...                        random_state=0).fit(X, y / 100)
    >>> reg.score(X, y / 100) > 0.95
    True
    """

    _parameter_constraints = {
        **BaseDeepMLP._parameter_constraints,
        "loss": [StrOptions({"squared_error", "poisson"})],
    }

    def __init__(
        self,
        loss="squared_error",
        hidden_layer_sizes=(100,),
        activation="relu",
        *,
        solver="adam",
        alpha=0.0001,
        batch_size="auto",
        learning_rate="constant",
        learning_rate_init=0.001,
        power_t=0.5,
        max_iter=200,
        shuffle=True,
        random_state=None,
        tol=1e-4,
        verbose=False,
        warm_start=False,
        momentum=0.9,
        nesterovs_momentum=True,
        early_stopping=False,
        validation_fraction=0.1,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-8,
        n_iter_no_change=10,
        max_fun=15000,
        weight_init="auto",
        batch_norm=False,
        batch_norm_momentum=0.9,
        batch_norm_statistics="running",
        max_norm=None,
        l1=0.0,
        rho=0.9,
        learning_rate_decay=0.95,
        learning_rate_step=10,
        on_epoch_end=None,
        dropout=0.0,
        input_dropout=0.0,
        anneal_dropout=False,
        pretraining=None,
        pretraining_noise="masking",
        pretraining_noise_level=0.3,
        pretraining_max_iter=10,
    ):
        store_parameters(self, locals())

    def _encode_targets(self, y, incremental, first_pass):
        if self.loss == "poisson" and np.any(y < 0):
            raise ValueError(
                "Some value(s) of y are negative which is not allowed for Poisson regression."
            )
        return (y.reshape(-1, 1) if y.ndim == 1 else y), y

    def _output_activation(self, X):
        return "exp" if self.loss == "poisson" else "identity"

    def _values(self, outputs):
        return outputs.ravel() if self.n_outputs_ == 1 else outputs

    def _score_outputs(self, outputs, y, sample_weight):
        return r2_score(y, self._values(outputs), sample_weight=sample_weight)

    def fit(self, X, y, sample_weight=None, *, X_val=None, y_val=None):
        """Fit the model to data matrix X and target(s) y.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input data; float32 input trains in float32.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            The target values.
        sample_weight : array-like of shape (n_samples,), default=None
            Sample weights.
        X_val, y_val : array-like, default=None
            A validation set: its loss and R^2 are recorded in ``history_`` every epoch and,
            with ``early_stopping=True``, used instead of a random ``validation_fraction``
            ('lbfgs' ignores it). It is used as given: a Pipeline's ``step__X_val=`` skips the
            earlier steps' transformations (a warning says so when the scales disagree); metadata
            routing applies them, with ``transform_input=["X_val"]`` on the Pipeline and
            ``set_fit_request(X_val=True, y_val=True)`` here (:ref:`ug_validation_pipeline`).

        Returns
        -------
        self : object
            Trained regressor.
        """
        return self._fit(X, y, sample_weight=sample_weight, X_val=X_val, y_val=y_val)

    @available_if(_stochastic_solver)
    def partial_fit(self, X, y, sample_weight=None):
        """Update the model with a single epoch over the given data.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input data.
        y : ndarray of shape (n_samples,) or (n_samples, n_outputs)
            The target values.
        sample_weight : array-like of shape (n_samples,), default=None
            Sample weights.

        Returns
        -------
        self : object
            Trained regressor.
        """
        return self._fit(X, y, sample_weight=sample_weight, incremental=True)

    def predict(self, X):
        """Predict using the multi-layer perceptron model.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input data.

        Returns
        -------
        y : ndarray of shape (n_samples,) or (n_samples, n_outputs)
            The predicted values.
        """
        return self._values(self._forward(self._validate_for_predict(X)))

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags

"""DeepMLPClassifier and DeepMLPRegressor: drop-in supersets of scikit-learn's MLPs."""

import numpy as np
from sklearn.base import ClassifierMixin, RegressorMixin
from sklearn.preprocessing import LabelBinarizer
from sklearn.utils._param_validation import StrOptions
from sklearn.utils.metaestimators import available_if
from sklearn.utils.multiclass import _check_partial_fit_first_call, type_of_target

from ._base import stochastic_solver, store_parameters
from ._docs import (
    FITTED_ATTRIBUTES,
    MLP_ARCHITECTURE,
    MLP_REGULARISATION,
    OPTIMISATION_PARAMETERS,
    PRETRAINING_PARAMETERS,
)
from ._mlp_base import BaseDeepMLP
from ._tasks import Classification, Regression


class DeepMLPClassifier(ClassifierMixin, BaseDeepMLP):
    __doc__ = f"""Deep multi-layer perceptron classifier.

    Read more in the :ref:`User Guide <user_guide>`; :ref:`a side-by-side table
    <coming_from_sklearn>` compares its parameters with MLPClassifier's.

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
    >>> X_train, X_test, y_train, y_test = train_test_split(
    ...     X / 16, y, random_state=0)
    >>> clf = DeepMLPClassifier(hidden_layer_sizes=(64, 64), batch_norm=True,
    ...                         dropout=0.1, max_iter=30, random_state=0)
    >>> clf = clf.fit(X_train, y_train)
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
        maxout_pieces=2,
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
        pretraining_learning_rate=None,
        pretraining_cd_steps=1,
        pretraining_persistent=False,
        class_weight=None,
    ):
        store_parameters(self, locals())

    _task = Classification()

    @available_if(stochastic_solver)
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
        return self._task.predictions(self, self._forward(self._validate_for_predict(X)))

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

    Read more in the :ref:`User Guide <user_guide>`; :ref:`a side-by-side table
    <coming_from_sklearn>` compares its parameters with MLPRegressor's.

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
    >>> X, y = make_regression(n_samples=200, n_features=5, noise=1.0,
    ...                        random_state=0)
    >>> reg = DeepMLPRegressor(hidden_layer_sizes=(32,), solver="lbfgs",
    ...                        max_iter=500, random_state=0).fit(X, y / 100)
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
        maxout_pieces=2,
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
        pretraining_learning_rate=None,
        pretraining_cd_steps=1,
        pretraining_persistent=False,
    ):
        store_parameters(self, locals())

    _task = Regression()

    @available_if(stochastic_solver)
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
        return self._task.predictions(self, self._forward(self._validate_for_predict(X)))

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags

"""BaseDeepMLP: the multi-layer perceptron architecture shared by the classifier and regressor."""

from numbers import Integral, Real
from typing import NamedTuple

from sklearn.utils._param_validation import Interval, StrOptions

from ._base import TRAINING_CONSTRAINTS, BaseNetworkEstimator
from ._pretraining import (
    PRETRAINING_CONSTRAINTS,
    check_pretraining,
    n_pretraining_stages,
    pretrain,
)
from ._training import dropout_annealing
from ._maxout import MAXOUT
from ._validation import hidden_sizes, per_layer
from .activations import ACTIVATIONS
from .network import build_mlp


class MLPSpec(NamedTuple):
    """The checked architecture of an MLP."""

    sizes: list  # units of each hidden layer
    dropout: list  # dropout rate after each hidden layer


class BaseDeepMLP(BaseNetworkEstimator):
    """Base class of :class:`DeepMLPClassifier` and :class:`DeepMLPRegressor`.

    Warning: this class should not be used directly; use the derived classes.
    """

    _parameter_constraints = {
        "hidden_layer_sizes": ["array-like", Interval(Integral, 1, None, closed="left")],
        "activation": [StrOptions(set(ACTIVATIONS) | {MAXOUT})],
        "maxout_pieces": [Interval(Integral, 2, None, closed="left")],
        **TRAINING_CONSTRAINTS,
        "dropout": [Interval(Real, 0, 1, closed="left"), "array-like"],
        "input_dropout": [Interval(Real, 0, 1, closed="left")],
        "anneal_dropout": ["boolean"],
        **PRETRAINING_CONSTRAINTS,
    }

    @property
    def coefs_(self):
        """list of ndarray: weight matrix of each layer, views into the flat parameter vector."""
        return [layer.weights for layer in self._network.dense_layers]

    @property
    def intercepts_(self):
        """list of ndarray: bias vector of each layer, views into the flat parameter vector."""
        return [layer.biases for layer in self._network.dense_layers]

    def _architecture(self):
        sizes = hidden_sizes(self.hidden_layer_sizes)
        dropout = per_layer(self.dropout, len(sizes), "dropout")
        if self.solver == "lbfgs" and (any(dropout) or self.input_dropout):
            raise ValueError(
                "dropout and input_dropout need a stochastic solver: L-BFGS requires a "
                "deterministic objective. Use solver='adam' (or another stochastic solver), "
                "or set dropout=0 and input_dropout=0. A search over both solvers takes a list "
                "of grids, dropout only where it applies: [{'solver': ['adam'], 'dropout': "
                "[0.0, 0.3]}, {'solver': ['lbfgs']}]."
            )
        check_pretraining(self, sizes)
        return MLPSpec(sizes, dropout)

    def _build_network(self, spec, n_features, n_outputs, dtype):
        self.n_outputs_ = n_outputs
        self.n_layers_ = len(spec.sizes) + 2
        return build_mlp(
            n_features,
            spec.sizes,
            n_outputs,
            self.activation,
            batch_norm=self.batch_norm,
            batch_norm_momentum=self.batch_norm_momentum,
            dropout=spec.dropout,
            input_dropout=self.input_dropout,
            maxout_pieces=self.maxout_pieces,
            dtype=dtype,
        )

    def _epoch_hooks(self, spec):
        if not self.anneal_dropout:
            return []
        # The configured rates of the Dropout layers, in network order (a rate of 0 has none).
        rates = [rate for rate in [self.input_dropout, *spec.dropout] if rate > 0]
        return [dropout_annealing(self._network.dropout_layers, rates, self.max_iter)]

    def fit(self, X, y, sample_weight=None, *, X_val=None, y_val=None):
        """Fit the model to data matrix X and target(s) y.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input data; float32 input trains in float32.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            The target values: class labels (or a label indicator matrix for multilabel
            classification) for the classifier, real values for the regressor.
        sample_weight : array-like of shape (n_samples,), default=None
            Sample weights.
        X_val, y_val : array-like, default=None
            A validation set: its loss and score (accuracy, or R^2 for the regressor) are
            recorded in ``history_`` every epoch and, with ``early_stopping=True``, used instead
            of a random ``validation_fraction`` ('lbfgs' ignores it). It is used as given: a
            Pipeline's ``step__X_val=`` skips the earlier steps' transformations (a warning says
            so when the scales disagree); metadata routing applies them, with
            ``transform_input=["X_val"]`` on the Pipeline and ``set_fit_request(X_val=True,
            y_val=True)`` here (:ref:`ug_validation_pipeline`).

        Returns
        -------
        self : object
            Trained estimator.
        """
        return self._fit(X, y, sample_weight=sample_weight, X_val=X_val, y_val=y_val)

    def _n_pretraining_stages(self, prepared):
        if not prepared.first_pass:
            return 0
        return n_pretraining_stages(self, len(prepared.spec.sizes))

    def _after_initialise(self, spec, X, Y, y_scoring, sample_weight, incremental):
        if self.pretraining is not None:
            pretrain(self, X, y_scoring, sample_weight, spec.dropout)
            if self.verbose:
                print(f"Fine-tuning the whole {type(self).__name__}:", flush=True)

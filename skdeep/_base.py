"""The machinery shared by the supervised estimators: parameters, network construction, fitting.

Subclasses decide only what differs between classification and regression: how targets become the
matrix ``Y`` the loss compares with (``_encode_targets``), which output activation and loss that
implies, and how raw outputs become predictions.
"""

import warnings
from abc import ABCMeta, abstractmethod
from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator, is_classifier
from sklearn.model_selection import train_test_split
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import _check_sample_weight, check_is_fitted, validate_data

from ._training import History, fit_lbfgs, fit_minibatch
from ._validation import hidden_sizes, per_layer, validate_params_with_hints
from .activations import ACTIVATIONS
from .initialisers import WEIGHT_INITS
from .losses import LOSSES
from .network import build_mlp
from .optimisers import OPTIMISERS, make_optimiser
from .penalties import WeightPenalty
from .schedules import SCHEDULES, make_schedule


def _make_rng(random_state):
    """One NumPy Generator per fit, seeded from scikit-learn's ``random_state`` convention."""
    seed = check_random_state(random_state).randint(np.iinfo(np.int32).max)
    return np.random.default_rng(seed)


class BaseDeepMLP(BaseEstimator, metaclass=ABCMeta):
    """Base class of :class:`DeepMLPClassifier` and :class:`DeepMLPRegressor`.

    Warning: this class should not be used directly; use the derived classes.
    """

    _parameter_constraints = {
        "hidden_layer_sizes": [
            "array-like",
            Interval(Integral, 1, None, closed="left"),
        ],
        "activation": [StrOptions(set(ACTIVATIONS))],
        "solver": [StrOptions({*OPTIMISERS, "lbfgs"})],
        "alpha": [Interval(Real, 0, None, closed="left")],
        "batch_size": [StrOptions({"auto"}), Interval(Integral, 1, None, closed="left")],
        "learning_rate": [StrOptions(set(SCHEDULES))],
        "learning_rate_init": [Interval(Real, 0, None, closed="neither")],
        "power_t": [Interval(Real, 0, None, closed="left")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "shuffle": ["boolean"],
        "random_state": ["random_state"],
        "tol": [Interval(Real, 0, None, closed="left")],
        "verbose": ["verbose"],
        "warm_start": ["boolean"],
        "momentum": [Interval(Real, 0, 1, closed="both")],
        "nesterovs_momentum": ["boolean"],
        "early_stopping": ["boolean"],
        "validation_fraction": [Interval(Real, 0, 1, closed="left")],
        "beta_1": [Interval(Real, 0, 1, closed="left")],
        "beta_2": [Interval(Real, 0, 1, closed="left")],
        "epsilon": [Interval(Real, 0, None, closed="neither")],
        "n_iter_no_change": [
            Interval(Integral, 1, None, closed="left"),
            StrOptions({"inf"}),
        ],
        "max_fun": [Interval(Integral, 1, None, closed="left")],
        "weight_init": [StrOptions(set(WEIGHT_INITS))],
        "batch_norm": ["boolean"],
        "batch_norm_momentum": [Interval(Real, 0, 1, closed="left")],
        "batch_norm_statistics": [StrOptions({"running", "population"})],
        "dropout": [Interval(Real, 0, 1, closed="left"), "array-like"],
        "input_dropout": [Interval(Real, 0, 1, closed="left")],
        "anneal_dropout": ["boolean"],
        "max_norm": [Interval(Real, 0, None, closed="neither"), None],
        "l1": [Interval(Real, 0, None, closed="left")],
        "rho": [Interval(Real, 0, 1, closed="left")],
        "learning_rate_decay": [Interval(Real, 0, 1, closed="right")],
        "learning_rate_step": [Interval(Integral, 1, None, closed="left")],
    }

    @abstractmethod
    def __init__(
        self,
        hidden_layer_sizes,
        activation,
        solver,
        alpha,
        batch_size,
        learning_rate,
        learning_rate_init,
        power_t,
        max_iter,
        loss,
        shuffle,
        random_state,
        tol,
        verbose,
        warm_start,
        momentum,
        nesterovs_momentum,
        early_stopping,
        validation_fraction,
        beta_1,
        beta_2,
        epsilon,
        n_iter_no_change,
        max_fun,
        weight_init,
        batch_norm,
        batch_norm_momentum,
        batch_norm_statistics,
        dropout,
        input_dropout,
        anneal_dropout,
        max_norm,
        l1,
        rho,
        learning_rate_decay,
        learning_rate_step,
    ):
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.solver = solver
        self.alpha = alpha
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.learning_rate_init = learning_rate_init
        self.power_t = power_t
        self.max_iter = max_iter
        self.loss = loss
        self.shuffle = shuffle
        self.random_state = random_state
        self.tol = tol
        self.verbose = verbose
        self.warm_start = warm_start
        self.momentum = momentum
        self.nesterovs_momentum = nesterovs_momentum
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.n_iter_no_change = n_iter_no_change
        self.max_fun = max_fun
        self.weight_init = weight_init
        self.batch_norm = batch_norm
        self.batch_norm_momentum = batch_norm_momentum
        self.batch_norm_statistics = batch_norm_statistics
        self.dropout = dropout
        self.input_dropout = input_dropout
        self.anneal_dropout = anneal_dropout
        self.max_norm = max_norm
        self.l1 = l1
        self.rho = rho
        self.learning_rate_decay = learning_rate_decay
        self.learning_rate_step = learning_rate_step

    # ----------------------------------------------------------------- subclass hooks
    @abstractmethod
    def _encode_targets(self, y, incremental, first_pass):
        """Return ``(Y, y_for_scoring)``: the loss's target matrix and ``y`` as ``score`` wants it."""

    @abstractmethod
    def _output_activation(self):
        """Return the output activation's name (a key of :data:`skdeep.losses.LOSSES`)."""

    @abstractmethod
    def _score_outputs(self, outputs, y, sample_weight):
        """Return the validation score (higher is better) of network outputs against ``y``."""

    def _extra_sample_weight(self, y):
        """Per-sample weight factors implied by the estimator (``class_weight``), or None."""
        return None

    # ----------------------------------------------------------------- fitted attributes
    @property
    def coefs_(self):
        """list of ndarray: weight matrix of each layer, views into the flat parameter vector."""
        return [layer.weights for layer in self._network.dense_layers]

    @property
    def intercepts_(self):
        """list of ndarray: bias vector of each layer, views into the flat parameter vector."""
        return [layer.biases for layer in self._network.dense_layers]

    # ----------------------------------------------------------------- fitting
    def _check_hyperparameters(self):
        validate_params_with_hints(self)
        sizes = hidden_sizes(self.hidden_layer_sizes)
        dropout = per_layer(self.dropout, len(sizes), "dropout")
        if self.solver == "lbfgs" and (any(dropout) or self.input_dropout):
            raise ValueError(
                "dropout and input_dropout need a stochastic solver: L-BFGS requires a "
                "deterministic objective. Use solver='adam' (or another stochastic solver), "
                "or set dropout=0 and input_dropout=0."
            )
        return sizes, dropout

    def _validate_inputs(self, X, y, sample_weight, incremental, first_pass):
        X, y = validate_data(
            self,
            X,
            y,
            accept_sparse=["csr", "csc"],
            multi_output=True,
            y_numeric=not is_classifier(self),
            dtype=(np.float64, np.float32),
            reset=first_pass,
        )
        Y, y_scoring = self._encode_targets(y, incremental, first_pass)
        Y = Y.astype(X.dtype, copy=False)
        if sample_weight is not None:
            sample_weight = _check_sample_weight(sample_weight, X, dtype=X.dtype)
        extra = self._extra_sample_weight(y_scoring)
        if extra is not None:
            extra = extra.astype(X.dtype)
            sample_weight = extra if sample_weight is None else sample_weight * extra
        return X, Y, y_scoring, sample_weight

    def _initialise(self, n_features, n_outputs, sizes, dropout, dtype):
        """Build a fresh network and training state (first fit, or a refit without warm start)."""
        self._rng = _make_rng(self.random_state)
        network = build_mlp(
            n_features,
            sizes,
            n_outputs,
            self.activation,
            batch_norm=self.batch_norm,
            batch_norm_momentum=self.batch_norm_momentum,
            dropout=dropout,
            input_dropout=self.input_dropout,
            dtype=dtype,
        )
        network.reset_parameters(self.weight_init, self._rng)
        self._network = network
        self._loss = LOSSES[self._output_activation()]()
        self.out_activation_ = self._loss.output_activation
        self.n_outputs_ = n_outputs
        self.n_layers_ = len(sizes) + 2
        self.n_iter_ = 0
        self.t_ = 0
        self._history = History(self.early_stopping and self.solver != "lbfgs")
        for stale in ("_optimizer", "_schedule"):
            self.__dict__.pop(stale, None)

    def _prepare(self, X, y, sample_weight, incremental):
        """Validate everything, then build the network on a first pass.

        Returns the validated ``X``, the loss's target matrix ``Y``, ``y`` for scoring, the sample
        weights and the per-layer dropout rates. Nothing about the estimator changes before all
        checks have passed.
        """
        sizes, dropout = self._check_hyperparameters()
        first_pass = not hasattr(self, "_network") or (not self.warm_start and not incremental)
        X, Y, y_scoring, sample_weight = self._validate_inputs(
            X, y, sample_weight, incremental, first_pass
        )
        if first_pass:
            self._initialise(X.shape[1], Y.shape[1], sizes, dropout, X.dtype)
        elif Y.shape[1] != self.n_outputs_:
            raise ValueError(
                f"y has {Y.shape[1]} outputs, but {self.__class__.__name__} was fitted with "
                f"{self.n_outputs_} outputs."
            )
        return X, Y, y_scoring, sample_weight, dropout

    def _fit(self, X, y, sample_weight=None, incremental=False):
        X, Y, y_scoring, sample_weight, dropout = self._prepare(X, y, sample_weight, incremental)
        penalty = WeightPenalty(self.alpha, self.l1)
        if self.solver == "lbfgs":
            self.loss_, self.n_iter_ = fit_lbfgs(
                self._network, self._loss, penalty, X, Y, sample_weight,
                max_iter=self.max_iter, max_fun=self.max_fun, tol=self.tol, verbose=self.verbose,
            )
        else:
            self._fit_stochastic(X, Y, y_scoring, sample_weight, penalty, dropout, incremental)
        # L-BFGS trains on the full batch, so its exact statistics are the population's; running
        # averages over its line-search trial points would be meaningless.
        population = self.batch_norm_statistics == "population" or self.solver == "lbfgs"
        if self.batch_norm and population and not incremental:
            self._network.recompute_batch_norm_statistics(X)
        return self

    def _fit_stochastic(self, X, Y, y_scoring, sample_weight, penalty, dropout, incremental):
        if self.early_stopping and incremental:
            raise ValueError("partial_fit does not support early_stopping=True")
        if not incremental or not hasattr(self, "_optimizer"):
            # Adadelta has no learning rate (Zeiler, 2012): its steps are scaled by the schedule
            # starting from 1, with the paper's epsilon rather than Adam's default.
            adadelta = self.solver == "adadelta"
            initial_rate = 1.0 if adadelta else self.learning_rate_init
            self._optimizer = make_optimiser(
                self.solver, initial_rate, momentum=self.momentum,
                nesterovs_momentum=self.nesterovs_momentum, beta_1=self.beta_1,
                beta_2=self.beta_2, epsilon=None if adadelta else self.epsilon, rho=self.rho,
            )
            self._schedule = make_schedule(
                self.learning_rate, initial_rate, power_t=self.power_t,
                decay=self.learning_rate_decay, step_size=self.learning_rate_step,
                total_epochs=self.max_iter,
            )
        rows = np.arange(X.shape[0])
        validation_score = None
        if self.early_stopping:
            rows, validation_score = self._validation_split(X, y_scoring, sample_weight)
        n_train = rows.shape[0]
        if self.batch_size == "auto":
            batch_size = min(200, n_train)
        else:
            if self.batch_size > n_train:
                warnings.warn(
                    "Got `batch_size` less than 1 or larger than sample size. It is going to be "
                    "clipped"
                )
            batch_size = int(np.clip(self.batch_size, 1, n_train))
        history = self._history
        try:
            fit_minibatch(
                self._network, self._loss, penalty, self._optimizer, self._schedule, history,
                X, Y, sample_weight, rows, self._rng,
                batch_size=batch_size, max_iter=self.max_iter, shuffle=self.shuffle, tol=self.tol,
                n_iter_no_change=(
                    np.inf if self.n_iter_no_change == "inf" else self.n_iter_no_change
                ),
                validation_score=validation_score, max_norm=self.max_norm,
                dropout_rates=[rate for rate in [self.input_dropout, *dropout] if rate > 0],
                anneal_dropout=self.anneal_dropout, incremental=incremental,
                verbose=self.verbose,
            )
        finally:
            # Even a diverged fit leaves consistent fitted attributes beside its restored weights.
            self.n_iter_ = history.n_iter
            self.t_ = history.t
            self.loss_ = history.loss
            self.loss_curve_ = list(history.loss_curve)
            self.best_loss_ = history.best_loss
            self.validation_scores_ = (
                None if history.validation_scores is None else list(history.validation_scores)
            )
            self.best_validation_score_ = history.best_validation_score

    def _validation_split(self, X, y_scoring, sample_weight):
        """Hold out ``validation_fraction`` of the rows; return the training rows and a scorer."""
        stratify = y_scoring if self._stratify_validation(y_scoring) else None
        train_rows, val_rows = train_test_split(
            np.arange(X.shape[0]),
            test_size=self.validation_fraction,
            random_state=int(self._rng.integers(np.iinfo(np.int32).max)),
            stratify=stratify,
        )
        if val_rows.shape[0] < 2:
            raise ValueError(
                "The validation set is too small. Increase 'validation_fraction' or the size of "
                "your dataset."
            )
        X_val, y_val = X[val_rows], y_scoring[val_rows]
        sw_val = None if sample_weight is None else sample_weight[val_rows]

        def validation_score():
            return self._score_outputs(self._forward(X_val), y_val, sw_val)

        return train_rows, validation_score

    def _stratify_validation(self, y):
        return False

    # ----------------------------------------------------------------- prediction
    def _forward(self, X):
        """Outputs of the fitted network (probabilities, values) in prediction mode."""
        return self._loss.output(self._network.forward(X, training=False))

    def _validate_for_predict(self, X):
        check_is_fitted(self)
        return validate_data(
            self, X, accept_sparse=["csr", "csc"], dtype=(np.float64, np.float32), reset=False
        )

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags

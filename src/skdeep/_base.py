"""The machinery shared by every skdeep estimator: training parameters, fitting, prediction.

A concrete estimator decides only what differs: its task (``_task``: classification, regression
or reconstruction, which owns the targets, the output activation and the validation score), the
network it builds (``_build_network``, from the spec ``_architecture`` checks), its pretraining
(``_after_initialise``) and the corruption applied to training inputs (``_corruption``,
denoising autoencoders).
"""

import copy
import warnings
from abc import ABCMeta, abstractmethod
from contextlib import contextmanager
from functools import cache, partial
from numbers import Integral, Real
from typing import NamedTuple

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.model_selection import train_test_split
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, Options, StrOptions
from sklearn.utils.validation import _check_sample_weight, check_is_fitted, validate_data

from ._reporting import (
    CallbackSupportMixin,
    CallbackTasks,
    EpochReporter,
    callback_management_context,
    fit_callback_context,
    interruptible,
)
from ._random import child_seed, derived_generator
from ._scale_check import warn_if_scaled_unlike
from ._tasks import INPUT_CHECKS
from ._training import History, Stopping, TrainingPlan, as_dense, fit_lbfgs, fit_minibatch
from ._validation import validate_params_with_hints
from .initialisers import WEIGHT_INITS
from .losses import LOSSES
from .optimisers import OPTIMISERS, make_optimiser
from .penalties import make_penalty
from .schedules import SCHEDULES, make_schedule


def store_parameters(estimator, arguments):
    """Store constructor arguments as same-named attributes, and nothing else.

    scikit-learn's rule for ``__init__``; called as ``store_parameters(self, locals())`` so that
    each estimator's explicit signature is written once.
    """
    for name, value in arguments.items():
        if name not in ("self", "__class__"):
            setattr(estimator, name, value)


def child_training_parameters(estimator, **overrides):
    """The training parameters of ``estimator`` for a network it trains itself (pretraining).

    The child gets a seed of its own from the estimator's stream and never warm-starts.
    """
    params = {name: getattr(estimator, name) for name in TRAINING_CONSTRAINTS}
    params.update(random_state=child_seed(estimator._rng), warm_start=False)
    params.update(overrides)
    return params


PARTIAL_FIT_NEEDS_STOCHASTIC = (
    "partial_fit is only available for stochastic optimizers. {solver} is not stochastic."
)


def stochastic_solver(estimator):
    """``available_if`` check of ``partial_fit``: scikit-learn's rule and message."""
    if estimator.solver == "lbfgs":
        raise AttributeError(PARTIAL_FIT_NEEDS_STOCHASTIC.format(solver=estimator.solver))
    return True


# scikit-learn's own schedules that its MLPs apply to 'sgd' only.
SGD_ONLY_SCHEDULES = ("invscaling", "adaptive")

# The parameters every skdeep estimator trains with, named as in scikit-learn's MLPs.
TRAINING_CONSTRAINTS = {
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
        Interval(Integral, 1, None, closed="left"), Options(Real, {np.inf}), StrOptions({"inf"})
    ],
    "max_fun": [Interval(Integral, 1, None, closed="left")],
    "weight_init": [StrOptions(set(WEIGHT_INITS))],
    "batch_norm": ["boolean"],
    "batch_norm_momentum": [Interval(Real, 0, 1, closed="left")],
    "batch_norm_statistics": [StrOptions({"running", "population"})],
    "max_norm": [Interval(Real, 0, None, closed="neither"), None],
    "l1": [Interval(Real, 0, None, closed="left")],
    "rho": [Interval(Real, 0, 1, closed="left")],
    "learning_rate_decay": [Interval(Real, 0, 1, closed="right")],
    "learning_rate_step": [Interval(Integral, 1, None, closed="left")],
    "on_epoch_end": [callable, None],
}


class ValidationSet(NamedTuple):
    """Data the network is scored on after each epoch (a split of ``X``, or the user's own)."""

    X: object
    Y: object
    y: object
    sample_weight: object = None


class Prepared(NamedTuple):
    """What ``_prepare`` hands to training."""

    X: object
    Y: object
    y_scoring: object
    sample_weight: object
    spec: object
    first_pass: bool
    # What scikit-learn's callbacks receive: ``y`` as validated, the user's own sample weights.
    y: object
    user_sample_weight: object


class BaseNetworkEstimator(CallbackSupportMixin, BaseEstimator, metaclass=ABCMeta):
    """Base class of every skdeep estimator: one network, one loss, one training loop.

    Warning: this class should not be used directly; use the derived classes.
    """

    # What the estimator learns (a skdeep._tasks.Task), set by each concrete class.
    _task = None

    # The attributes holding the network's layers: a copy fitted at some epoch duplicates them
    # together, so that they keep sharing the copy's layers.
    _network_attributes = ("_network",)

    # ----------------------------------------------------------------- subclass hooks
    def _check_hyperparameters(self):
        """Validate the parameters; return what ``_build_network`` needs."""
        validate_params_with_hints(self)
        return self._architecture()

    def _architecture(self):
        """Check the parameters that relate to each other; return the estimator's spec.

        The spec is a small NamedTuple of the checked architecture (hidden sizes, per-layer
        rates) that ``_build_network`` and the training hooks read.
        """
        return None

    @abstractmethod
    def _build_network(self, spec, n_features, n_outputs, dtype):
        """Return a new :class:`~skdeep.network.Network` (not yet initialised)."""

    def _epoch_hooks(self, spec):
        """``hook(history)`` steps run before each training epoch (the MLPs' dropout annealing)."""
        return []

    def _corruption(self, spec):
        """``corrupt(X_batch, rng)`` applied to each training input batch, or None."""
        return None

    def _after_initialise(self, spec, X, Y, y_scoring, sample_weight, incremental):
        """Called once on a freshly built network before training (pretraining)."""

    def _n_pretraining_stages(self, prepared):
        """How many pretraining fits (:func:`~skdeep._reporting.fit_stage`) this call runs."""
        return 0

    def _n_training_tasks(self, prepared, incremental):
        """How many epochs (L-BFGS iterations) this call may run after pretraining."""
        return 1 if incremental else self.max_iter

    # ----------------------------------------------------------------- fitting
    def _validate_inputs(self, X, y, sample_weight, incremental, first_pass):
        """Return ``(X, Y, y_scoring, y, sample_weight, user_sample_weight)``, all validated."""
        X, y = self._task.validate(self, X, y, reset=first_pass)
        Y, y_scoring = self._task.encode(self, y, incremental, first_pass)
        if Y is not None:
            Y = Y.astype(X.dtype, copy=False)
        if sample_weight is not None:
            sample_weight = _check_sample_weight(sample_weight, X, dtype=X.dtype)
        user_sample_weight = sample_weight
        extra = self._task.sample_weight_factors(self, y_scoring)
        if extra is not None:
            extra = extra.astype(X.dtype)
            sample_weight = extra if sample_weight is None else sample_weight * extra
        return X, Y, y_scoring, y, sample_weight, user_sample_weight

    def _initialise(self, spec, X, n_outputs):
        """Build a fresh network and training state (first fit, or a refit without warm start).

        The initial weights are drawn from ``self._random_state`` as scikit-learn draws them;
        skdeep's own stream is derived from its state before the first draw, so it depends on
        the seed alone and is kept across warm starts and ``partial_fit`` calls.
        """
        self._rng = derived_generator(self._random_state)
        network = self._build_network(spec, X.shape[1], n_outputs, X.dtype)
        network.reset_parameters(self.weight_init, self._random_state)
        self._network = network
        self._loss = LOSSES[self._task.output_activation(self, X)]()
        self.out_activation_ = self._loss.output_activation
        self.n_iter_ = 0
        self.t_ = 0
        self._history = History(self.early_stopping and self.solver != "lbfgs")
        for stale in ("_optimizer", "_schedule"):
            self.__dict__.pop(stale, None)

    def _is_first_pass(self, incremental):
        """Whether this call starts from a new network (scikit-learn's warm_start rules)."""
        return not hasattr(self, "_network") or (not self.warm_start and not incremental)

    def _prepare(self, X, y, sample_weight, incremental):
        """Validate everything, then build the network on a first pass (not yet pretrained).

        Validation records what it learns on the estimator as it goes (features, classes);
        ``_fit`` runs this inside ``_unchanged_on_error``, so a refused fit changes nothing.

        Returns
        -------
        prepared : Prepared
            The validated ``X``, the loss's target matrix ``Y`` (None: the input), ``y`` for
            scoring, the sample weights, the checked architecture and whether the network is new.
        """
        spec = self._check_hyperparameters()
        first_pass = self._is_first_pass(incremental)
        X, Y, y_scoring, y, sample_weight, user_sample_weight = self._validate_inputs(
            X, y, sample_weight, incremental, first_pass
        )
        n_outputs = X.shape[1] if Y is None else Y.shape[1]
        # As in scikit-learn, every call starts the first stream afresh from `random_state`: an
        # integer seed shuffles each warm-started fit and each partial_fit call alike.
        self._random_state = check_random_state(self.random_state)
        if first_pass:
            self._initialise(spec, X, n_outputs)
        elif Y is not None and n_outputs != self._network.dense_layers[-1].n_outputs:
            raise ValueError(
                f"y has {n_outputs} outputs, but {self.__class__.__name__} was fitted with "
                f"{self._network.dense_layers[-1].n_outputs} outputs."
            )
        return Prepared(X, Y, y_scoring, sample_weight, spec, first_pass, y, user_sample_weight)

    def _pretrain(self, prepared, incremental):
        """Pretrain a freshly built network (a no-op for a warm start or a later partial_fit)."""
        if prepared.first_pass:
            self._after_initialise(
                prepared.spec, prepared.X, prepared.Y, prepared.y_scoring,
                prepared.sample_weight, incremental,
            )

    def _fit(self, X, y=None, sample_weight=None, incremental=False, X_val=None, y_val=None):
        """Shared body of ``fit`` and ``partial_fit``: prepare, pretrain, train, with reporting.

        Each call is one scikit-learn callback task whose subtasks are the pretraining stages,
        then the epochs (L-BFGS iterations); a ``partial_fit`` call runs one epoch.
        """
        with callback_management_context(self), interruptible(self):
            self._check_validation_arguments(X_val, y_val)
            with self._unchanged_on_error():
                prepared = self._prepare(X, y, sample_weight, incremental)
                validation = self._validation_inputs(prepared.X, X_val, y_val)
            context = fit_callback_context(
                self,
                self._n_pretraining_stages(prepared)
                + self._n_training_tasks(prepared, incremental),
                task_name="partial_fit" if incremental else "fit",
            )
            hook_data = self._callback_data(prepared)
            if context is not None:
                context.call_on_fit_task_begin(estimator=self, **hook_data)
            self._pretrain(prepared, incremental)
            self._train(prepared, incremental, validation, context)
            if context is not None:
                # No attributes to replace: the fitted estimator itself is the fit's result.
                context.call_on_fit_task_end(
                    estimator=self, reconstruction_attributes={}, **hook_data
                )
        return self

    @staticmethod
    def _callback_data(prepared, rows=None):
        """``X``, ``y`` and ``metadata`` for scikit-learn's callback hooks, as its estimators pass.

        With ``rows`` (the training rows an early-stopping split leaves), the rows are gathered
        only if a callback asks for the data, and once per fit.
        """
        X, y, sample_weight = prepared.X, prepared.y, prepared.user_sample_weight
        if rows is not None:
            X = cache(lambda: prepared.X[rows])
            y = None if y is None else cache(lambda: prepared.y[rows])
            if sample_weight is not None:
                sample_weight = sample_weight[rows]
        # A scorer takes the metadata as keyword arguments: sample weights, nothing else.
        metadata = None if sample_weight is None else {"sample_weight": sample_weight}
        return {"X": X, "y": y, "metadata": metadata}

    def _fitted_state_copy(self):
        """A deep copy of the network-bound attributes: a fitted estimator as it is now."""
        return copy.deepcopy({name: getattr(self, name) for name in self._network_attributes})

    @contextmanager
    def _unchanged_on_error(self):
        """Leave the estimator exactly as it was if the block raises (a refused fit changes nothing).

        Validation sets attributes as it goes (scikit-learn's ``validate_data`` records the
        features, target encoding records the classes); restoring the attribute dictionary
        undoes all of it at once, whichever check failed. Only replaced attributes need
        restoring: validation never modifies a fitted array in place.
        """
        saved = self.__dict__.copy()
        try:
            yield
        except BaseException:
            self.__dict__.clear()
            self.__dict__.update(saved)
            raise

    def _check_validation_arguments(self, X_val, y_val):
        """Refuse a validation set given by halves, before anything else is looked at."""
        if X_val is None and y_val is not None:
            raise ValueError("y_val was given without X_val.")
        if X_val is not None and y_val is None and not self._task.target_is_input:
            raise ValueError("X_val was given without y_val.")

    def _validation_inputs(self, X_train, X_val, y_val):
        """Validate the user's validation set against the training data; a ValidationSet or None."""
        if X_val is None:
            return None
        X_val = validate_data(
            self, X_val, **{**INPUT_CHECKS, "dtype": self._network.dtype}, reset=False
        )
        warn_if_scaled_unlike(X_train, X_val)
        if self._task.target_is_input:
            return ValidationSet(X_val, None, None)
        Y_val, y_val = self._task.encode_validation(self, np.asarray(y_val))
        return ValidationSet(X_val, Y_val.astype(X_val.dtype, copy=False), y_val)

    def _train(self, prepared, incremental, validation=None, callback_context=None):
        """Run the configured solver on the prepared network."""
        X, Y, sample_weight = prepared.X, prepared.Y, prepared.sample_weight
        penalty = make_penalty(self.alpha, self.l1)
        if self.solver == "lbfgs":
            tasks = CallbackTasks(
                self, callback_context, "iteration",
                self._n_training_tasks(prepared, incremental), self._callback_data(prepared),
            )
            # Every L-BFGS evaluation compares the whole reconstruction with its target, so a
            # sparse input's target is densified once here rather than at each of them.
            try:
                self.loss_, self.n_iter_ = fit_lbfgs(
                    self._network, self._loss, penalty, X, as_dense(X) if Y is None else Y,
                    sample_weight, max_iter=self.max_iter, max_fun=self.max_fun, tol=self.tol,
                    verbose=self.verbose, on_iteration=tasks.end,
                )
            finally:
                tasks.close()
        else:
            self._fit_stochastic(prepared, penalty, incremental, validation, callback_context)
        # L-BFGS trains on the full batch, so its exact statistics are the population's; running
        # averages over its line-search trial points would be meaningless.
        population = self.batch_norm_statistics == "population" or self.solver == "lbfgs"
        if self.batch_norm and population and not incremental:
            self._network.recompute_batch_norm_statistics(X)
        # A fitted (or pickled) estimator must not keep the last training batch alive.
        self._network.clear_caches()

    def _make_solver(self):
        """A new optimiser and schedule from the estimator's parameters."""
        # A solver that ignores learning_rate_init (Adadelta) has its own initial rate, which
        # the schedule starts from.
        optimiser = make_optimiser(
            self.solver, self.learning_rate_init, momentum=self.momentum,
            nesterovs_momentum=self.nesterovs_momentum, beta_1=self.beta_1,
            beta_2=self.beta_2, epsilon=self.epsilon, rho=self.rho, from_estimator=True,
        )
        schedule = make_schedule(
            self._schedule_name(), optimiser.learning_rate, power_t=self.power_t,
            decay=self.learning_rate_decay, step_size=self.learning_rate_step,
            total_epochs=self.max_iter,
        )
        return optimiser, schedule

    def _schedule_name(self):
        """The schedule the solver follows: ``learning_rate``, read as scikit-learn reads it.

        MLPClassifier applies 'invscaling' and 'adaptive' to 'sgd' only and ignores them for
        'adam'; skdeep keeps that meaning, so the same parameters give the same model. skdeep's
        own schedules, and every schedule for skdeep's own solvers, apply as named.
        """
        if self.solver == "adam" and self.learning_rate in SGD_ONLY_SCHEDULES:
            return "constant"
        return self.learning_rate

    def _batch_size(self, n_train):
        if self.batch_size == "auto":
            return min(200, n_train)
        if self.batch_size > n_train:
            warnings.warn(
                "Got `batch_size` less than 1 or larger than sample size. It is going to be "
                "clipped"
            )
        return int(np.clip(self.batch_size, 1, n_train))

    def _fit_stochastic(self, prepared, penalty, incremental, validation, callback_context):
        X, Y, sample_weight = prepared.X, prepared.Y, prepared.sample_weight
        if self.early_stopping and incremental:
            raise ValueError("partial_fit does not support early_stopping=True")
        if not incremental or not hasattr(self, "_optimizer"):
            self._optimizer, self._schedule = self._make_solver()
            # A new solver starts its schedule over, as scikit-learn's new optimiser does.
            self._history.schedule_epochs = 0
        rows, split_rows = np.arange(X.shape[0]), None
        if validation is None and self.early_stopping:
            rows, validation = self._validation_split(prepared)
            split_rows = rows
        tasks = CallbackTasks(
            self, callback_context, "epoch", self._n_training_tasks(prepared, incremental),
            self._callback_data(prepared, split_rows),
        )
        reporter = EpochReporter(self, self.verbose, self.on_epoch_end, tasks)
        network = self._network
        plan = TrainingPlan(
            network, self._loss, penalty, self._optimizer, self._schedule, rng=self._rng,
            corrupt=self._corruption(prepared.spec),
            before_epoch=self._epoch_hooks(prepared.spec),
            after_step=[] if self.max_norm is None else [
                partial(network.apply_max_norm, self.max_norm)
            ],
            after_epoch=[reporter],
        )
        stopping = Stopping(
            tol=self.tol,
            n_iter_no_change=np.inf if self.n_iter_no_change == "inf" else self.n_iter_no_change,
            evaluate=None if validation is None else partial(self._evaluate, *validation),
            monitor_validation=self.early_stopping,
            log=print if self.verbose else None,
        )
        try:
            fit_minibatch(
                plan, self._history, X, Y, sample_weight, rows,
                batch_size=self._batch_size(rows.shape[0]), max_iter=self.max_iter,
                shuffler=self._random_state if self.shuffle else None, stopping=stopping,
                incremental=incremental,
            )
        finally:
            reporter.close()
            # Even a diverged or interrupted fit leaves consistent fitted attributes beside its
            # restored weights.
            for name, value in self._history.fitted_attributes().items():
                setattr(self, name, value)

    def _validation_split(self, prepared):
        """Hold out ``validation_fraction`` of the rows; return the training rows and that set."""
        X, Y, y_scoring = prepared.X, prepared.Y, prepared.y_scoring
        # The split scikit-learn's MLPs make: the same draws from the same stream, stratified
        # by the same array (too rare a class fails with scikit-learn's message).
        train_rows, val_rows = train_test_split(
            np.arange(X.shape[0]),
            test_size=self.validation_fraction,
            random_state=self._random_state,
            stratify=self._task.stratify(Y),
        )
        if val_rows.shape[0] < 2:
            raise ValueError(
                "The validation set is too small. Increase 'validation_fraction' or the size of "
                "your dataset."
            )
        sample_weight = prepared.sample_weight
        validation = ValidationSet(
            X[val_rows],
            None if Y is None else Y[val_rows],
            None if y_scoring is None else y_scoring[val_rows],
            None if sample_weight is None else sample_weight[val_rows],
        )
        return train_rows, validation

    def _evaluate(self, X, Y, y, sample_weight):
        """``(score, loss)`` of the current network on validation data (loss without penalty)."""
        scores = self._network.forward(X, training=False)
        outputs = self._loss.output(scores.copy())
        target = as_dense(X) if Y is None else Y
        loss, _ = self._loss.value_and_gradient(scores, target, sample_weight)
        if not np.isfinite(outputs).all():
            # scikit-learn's rule: a model whose predictions overflow scores NaN.
            return np.nan, loss
        return self._task.score(self, outputs, loss, y, sample_weight), loss

    # ----------------------------------------------------------------- prediction
    def _forward(self, X):
        """Outputs of the fitted network (probabilities, values) in prediction mode."""
        return self._loss.output(self._network.forward(X, training=False))

    def _validate_for_predict(self, X):
        check_is_fitted(self)
        return validate_data(self, X, **INPUT_CHECKS, reset=False)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags

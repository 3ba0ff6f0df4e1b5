"""The training loops shared by every estimator: the objective, mini-batch epochs, L-BFGS.

An estimator hands over a network, a loss, a penalty, an optimiser and a schedule (for mini-batches
in a :class:`TrainingPlan`, with the hooks that vary: max-norm, dropout annealing, reporting);
these functions never look at which estimator called them. Autoencoders pass ``Y=None`` (the target
is the clean input batch) and a ``corrupt`` function (the noise applied to the input batch only).

One fit: :func:`fit_minibatch` runs epochs; an epoch is :func:`begin_epoch` (rate, hooks, shuffle),
:func:`run_epoch` (one :func:`train_batch` per batch) and :func:`end_epoch` (divergence, history,
hooks, schedule, stopping).
"""

import contextvars
import time
import warnings
from contextlib import contextmanager
from dataclasses import dataclass, field

import numpy as np
import scipy.optimize
import scipy.sparse as sp
from sklearn.exceptions import ConvergenceWarning

DIVERGENCE_ADVICE = (
    "Try a lower learning_rate_init, scale the input (e.g. StandardScaler), or batch_norm=True."
)

# scikit-learn's message for a fit that ends with non-finite weights, so that code written
# against MLPClassifier catches the same error.
NON_FINITE_WEIGHTS = (
    "Solver produced non-finite parameter weights. The input data may contain large values and "
    "need to be preprocessed."
)


# A fit run as one stage of a larger fit (a pretraining layer) hands its "did not converge" notice
# to the fit that runs it, which alone knows whether the user can act on it. A context variable
# keeps fits running concurrently in threads apart.
_CONVERGENCE_NOTICES = contextvars.ContextVar("skdeep_convergence_notices", default=None)


def warn_not_converged(message):
    """Warn that a fit used up its iteration budget, or hand the notice to the enclosing stage."""
    notices = _CONVERGENCE_NOTICES.get()
    if notices is None:
        warnings.warn(message, ConvergenceWarning)
    else:
        notices.append(message)


@contextmanager
def collecting_convergence_notices():
    """Collect, instead of warning, the convergence notices of the fits run inside.

    Yields
    ------
    notices : list of str
        Filled with each notice as it is raised.
    """
    notices = []
    token = _CONVERGENCE_NOTICES.set(notices)
    try:
        yield notices
    finally:
        _CONVERGENCE_NOTICES.reset(token)


def batch_weight(X, sample_weight):
    """The total sample weight of a batch (its size without weights): the penalty's divisor."""
    return X.shape[0] if sample_weight is None else float(sample_weight.sum())


def forward_backward(network, loss, X, Y, sample_weight=None, rng=None):
    """Forward and backward pass on one batch in training mode; fill ``network.grads``.

    Returns
    -------
    value : float
        Mean loss over the batch plus the code penalties (autoencoders); ``network.grads``
        holds its gradient (no weight penalty yet).
    """
    scores = network.forward(X, training=True, rng=rng)
    value, delta = loss.value_and_gradient(scores, Y, sample_weight)
    # An autoencoder's code penalties belong to the objective of the batch, and their gradient
    # to the backward pass through the encoder.
    if network._code_penalties:
        value += network.code_penalty(sample_weight)
    network.backward(delta)
    return value


def objective(network, loss, penalty, X, Y, sample_weight=None, rng=None):
    """The loss plus the penalty on one batch, and its flat gradient in ``network.grads``.

    What L-BFGS minimises and the gradient checker differentiates; the mini-batch loop adds the
    same penalty inside the optimiser's step instead (:func:`penalised_step`).

    Parameters
    ----------
    network : Network
    loss : Loss
    penalty : WeightPenalty
    X : {ndarray, sparse matrix} of shape (n_samples, n_features)
    Y : ndarray of shape (n_samples, n_outputs)
    sample_weight : ndarray of shape (n_samples,), default=None
    rng : numpy.random.Generator, default=None
        Source of dropout masks.

    Returns
    -------
    value : float
        Mean loss over the batch plus the penalty.
    """
    value = forward_backward(network, loss, X, Y, sample_weight, rng)
    n_weights = network.n_weights
    return value + penalty.add_gradient(
        network.params[:n_weights], network.grads[:n_weights], 1.0 / batch_weight(X, sample_weight)
    )


def penalised_step(network, penalty, optimiser, scale):
    """One optimiser step down the loss's gradient plus the penalty's; return the penalty's value.

    The penalty's L1 and L2 terms are fused into the step: the penalty gives their strengths
    (``fused_strengths``), the optimiser's kernel adds their gradient to the weights' entries as
    it steps them, in its one pass over the vectors, and returns the weights' norms before the
    step, from which the penalty computes its value (``value_from_norms``). A pass of its own
    would make the headline network's Adam step half as long again (0.64 ms against 0.41).

    ``network.grads`` keeps the loss's gradient alone: nothing reads it after the step (the
    ``after_step`` hooks read the parameters, and the next backward pass overwrites it), so the
    penalised gradient is never written to memory. A penalty with a term the kernels do not know
    adds its gradient to ``network.grads`` through ``add_gradient`` before a plain step.

    Returns
    -------
    value : float
        The penalty's value at the parameters before the step.
    """
    params, grads, n_weights = network.params, network.grads, network.n_weights
    strengths = penalty.fused_strengths()
    if strengths is None:
        value = penalty.add_gradient(params[:n_weights], grads[:n_weights], scale)
        optimiser.update(params, grads)
        return value
    l1, l2 = strengths
    norms = optimiser._penalised_update(
        params, grads, n_weights if l1 or l2 else 0, l1 * scale, l2 * scale
    )
    return penalty.value_from_norms(*norms, scale)


class History:
    """What a stochastic fit remembers from epoch to epoch (and across ``partial_fit`` calls).

    The attribute names mirror scikit-learn's fitted attributes without the trailing underscore.
    """

    def __init__(self, early_stopping):
        self.n_iter = 0
        self.t = 0
        self.epochs_seen = 0
        # Epochs since the optimiser and schedule were made (a warm start makes new ones).
        self.schedule_epochs = 0
        self.loss = None
        self.loss_curve = []
        self.records = []
        self.stop_reason = None
        self.no_improvement_count = 0
        self.best_snapshot = None
        if early_stopping:
            self.validation_scores = []
            self.best_validation_score = -np.inf
            self.best_loss = None
        else:
            self.validation_scores = None
            self.best_validation_score = None
            self.best_loss = np.inf

    def count_epoch(self, n_samples):
        """Count one more epoch of ``n_samples`` training samples."""
        self.n_iter += 1
        self.epochs_seen += 1
        self.schedule_epochs += 1
        self.t += n_samples

    def record(self, network, loss, validation_score, tol):
        """Append an epoch's results and count the epochs without improvement.

        Follows scikit-learn, comparisons included (a NaN counts as an improvement there, so it
        resets the count): without validation the training loss must drop by at least ``tol``,
        with validation the score must rise by at least ``tol``, or the no-improvement count grows.
        """
        self.loss = loss
        self.loss_curve.append(loss)
        if self.validation_scores is None:
            stalled = loss > self.best_loss - tol
            if loss < self.best_loss:
                self.best_loss = loss
        else:
            self.validation_scores.append(validation_score)
            stalled = validation_score < self.best_validation_score + tol
            if validation_score > self.best_validation_score:
                self.best_validation_score = validation_score
                self.best_snapshot = network.snapshot()
        self.no_improvement_count = self.no_improvement_count + 1 if stalled else 0

    def fitted_attributes(self):
        """The estimator's fitted attributes, named as scikit-learn names them (copies)."""
        return {
            "n_iter_": self.n_iter,
            "t_": self.t,
            "loss_": self.loss,
            "loss_curve_": list(self.loss_curve),
            "best_loss_": self.best_loss,
            "validation_scores_": (
                None if self.validation_scores is None else list(self.validation_scores)
            ),
            "best_validation_score_": self.best_validation_score,
            "history_": [dict(record) for record in self.records],
        }


def _silent(message):
    """The ``log`` of a quiet fit."""


def as_dense(X):
    """``X`` itself if it is an array, else a dense copy of the sparse matrix ``X``.

    Only a Dense layer multiplies a sparse input; a loss's target and the corruption noise need
    an array, so a sparse batch is densified where it becomes one of those (and nowhere else).
    """
    return X.toarray() if sp.issparse(X) else X


@dataclass
class TrainingPlan:
    """What a stochastic fit runs, built once per fit: the model's pieces and the hooks.

    Attributes
    ----------
    network, loss, penalty, optimiser, schedule
        The pieces of the model.
    rng : numpy.random.Generator, default=None
        Dropout masks and corruption noise (skdeep's own stream).
    corrupt : callable, default=None
        ``corrupt(X_batch, rng)`` returns a noisy copy of the (dense) input batch; the target
        stays the clean batch.
    before_epoch : list of callable
        ``hook(history)`` before each epoch's shuffle (dropout annealing).
    after_step : list of callable
        ``hook()`` after each optimiser step (max-norm): keep it short, it runs every batch.
    after_epoch : list of callable
        ``hook(record)`` with each epoch's record (a dict: epoch, loss, validation_loss,
        validation_score, learning_rate, seconds); a True return stops training after the
        epoch's other checks.
    """

    network: object
    loss: object
    penalty: object
    optimiser: object
    schedule: object
    rng: object = None
    corrupt: object = None
    before_epoch: list = field(default_factory=list)
    after_step: list = field(default_factory=list)
    after_epoch: list = field(default_factory=list)


@dataclass
class Stopping:
    """When a stochastic fit stops before ``max_iter`` epochs, as scikit-learn decides.

    Attributes
    ----------
    tol : float, default=1e-4
    n_iter_no_change : int or inf, default=10
    evaluate : callable, default=None
        Returns ``(score, loss)`` on the validation data (score: higher is better).
    monitor_validation : bool, default=False
        Early stopping: judge improvement by the validation score instead of the training
        loss, and restore the best weights at the end.
    log : callable, default=None
        ``log(message)`` for the stopping and plateau messages (``print`` when verbose); None
        says nothing.
    """

    tol: float = 1e-4
    n_iter_no_change: float = 10
    evaluate: object = None
    monitor_validation: bool = False
    log: object = None

    def __post_init__(self):
        if self.log is None:
            self.log = _silent


def dropout_annealing(layers, rates, max_iter):
    """A ``before_epoch`` hook decaying each dropout rate linearly to zero over ``max_iter`` epochs.

    ``rates`` are the configured rates of the Dropout ``layers``, in the same order.
    """

    def anneal(history):
        remaining = max(0.0, 1.0 - history.epochs_seen / max_iter)
        for layer, rate in zip(layers, rates):
            layer.rate = rate * remaining

    return anneal


def train_batch(plan, X, Y, sample_weight, batch):
    """One optimiser step on the rows ``batch`` of ``X``; return the batch's objective value.

    Gathers the rows (and their targets and weights), corrupts the input, runs the forward and
    backward passes, adds the penalty, steps, then runs the ``after_step`` hooks.
    """
    X_batch = X[batch]
    # A sparse input batch stays sparse for the first layer; only the batch, never the whole
    # of X, is densified to serve as the clean target or to be corrupted.
    Y_batch = as_dense(X_batch) if Y is None else Y[batch]
    if plan.corrupt is not None:
        X_batch = plan.corrupt(Y_batch if Y is None else as_dense(X_batch), plan.rng)
    weights = None if sample_weight is None else sample_weight[batch]
    network = plan.network
    value = forward_backward(network, plan.loss, X_batch, Y_batch, weights, plan.rng)
    value += penalised_step(
        network, plan.penalty, plan.optimiser, 1.0 / batch_weight(X_batch, weights)
    )
    for hook in plan.after_step:
        hook()
    return value


def run_epoch(plan, X, Y, sample_weight, rows, batch_size):
    """Train on ``rows`` in consecutive batches; return the epoch's mean objective value."""
    # Sorted rows read a memory map in order; in memory, the batch keeps scikit-learn's order
    # (the same rows in the same order sum to the same gradient).
    sort_batches = isinstance(X, np.memmap)
    accumulated = 0.0
    for start in range(0, rows.shape[0], batch_size):
        batch = rows[start : start + batch_size]
        if sort_batches:
            batch = np.sort(batch)
        accumulated += train_batch(plan, X, Y, sample_weight, batch) * batch.shape[0]
    return accumulated / rows.shape[0]


def begin_epoch(plan, history, rows, shuffler):
    """Set the epoch's learning rate, run the ``before_epoch`` hooks, shuffle ``rows`` in place.

    Returns
    -------
    snapshot : object
        The weights before the epoch (``network.snapshot()``), to fall back on.
    """
    plan.optimiser.learning_rate = plan.schedule.rate(history.schedule_epochs, history.t)
    for hook in plan.before_epoch:
        hook(history)
    if shuffler is not None:
        shuffler.shuffle(rows)
    return plan.network.snapshot()


def end_epoch(plan, history, stopping, epoch_loss, last_good, started, n_samples):
    """Check for divergence, record the epoch, run the ``after_epoch`` hooks, follow the schedule.

    Returns
    -------
    stop : bool
        Whether training ends here (divergence under early stopping, a plateau the schedule
        does not take, or a hook's request); ``history.stop_reason`` says why.
    """
    network = plan.network
    diverged = not np.isfinite(epoch_loss) or not np.isfinite(network.params).all()
    if diverged and not stopping.monitor_validation:
        network.restore(last_good)
        raise ValueError(
            f"{NON_FINITE_WEIGHTS} Training diverged in epoch {history.epochs_seen + 1}: "
            f"the loss became {epoch_loss}; the weights of the previous epoch were "
            "restored. " + DIVERGENCE_ADVICE
        )
    history.count_epoch(n_samples)
    record = _record_epoch(plan, history, stopping, epoch_loss, started)
    stop_requested = False
    for hook in plan.after_epoch:
        stop_requested = bool(hook(record)) or stop_requested
    if diverged:
        _stop_diverged(network, history, epoch_loss, last_good)
        return True
    plan.schedule.epoch_end()
    if history.no_improvement_count > stopping.n_iter_no_change and _plateau(
        plan.schedule, history, stopping
    ):
        return True
    if stop_requested:
        history.stop_reason = "A callback asked to stop."
        stopping.log("A callback asked to stop. Stopping.")
    return stop_requested


def _record_epoch(plan, history, stopping, epoch_loss, started):
    """Evaluate on the validation data, update ``history`` and return the epoch's record."""
    evaluate = stopping.evaluate
    score, validation_loss = evaluate() if evaluate is not None else (None, None)
    history.record(
        plan.network, epoch_loss, score if stopping.monitor_validation else None, stopping.tol
    )
    record = {
        "epoch": history.epochs_seen,
        "loss": epoch_loss,
        "validation_loss": validation_loss,
        "validation_score": score,
        "learning_rate": plan.optimiser.learning_rate,
        "seconds": time.perf_counter() - started,
    }
    history.records.append(record)
    return record


def _stop_diverged(network, history, epoch_loss, last_good):
    """End an early-stopping fit whose epoch diverged: keep the best weights seen, and warn."""
    # The fit stays usable (the epoch's NaN score is recorded, as scikit-learn records it).
    if history.best_snapshot is None:
        network.restore(last_good)
    history.stop_reason = (
        f"Training diverged in epoch {history.epochs_seen}: the loss became {epoch_loss}."
    )
    warnings.warn(
        f"{history.stop_reason} Training stopped and the weights with the best "
        "validation score were restored. " + DIVERGENCE_ADVICE,
        ConvergenceWarning,
    )


def _plateau(schedule, history, stopping):
    """Hand a run of epochs without improvement to the schedule: True to stop training."""
    message = (
        f"{'Validation score' if stopping.monitor_validation else 'Training loss'} did "
        f"not improve more than tol={stopping.tol:f} for {stopping.n_iter_no_change} "
        "consecutive epochs."
    )
    if schedule.plateau():
        history.stop_reason = message
        stopping.log(f"{message} Stopping.")
        return True
    rate = schedule.rate(history.schedule_epochs, history.t)
    stopping.log(f"{message} Setting learning rate to {rate:f}")
    history.no_improvement_count = 0
    return False


def fit_minibatch(
    plan, history, X, Y, sample_weight, train_rows, *, batch_size, max_iter, shuffler=None,
    stopping=None, incremental=False,
):
    """Train with mini-batches for up to ``max_iter`` epochs (one when ``incremental``).

    Parameters
    ----------
    plan : TrainingPlan
        The pieces of the model and the hooks.
    history : History
        Updated in place.
    X : {ndarray, sparse matrix, memmap} of shape (n_samples, n_features)
        Read batch by batch: only the rows of each batch are gathered, never the whole array.
    Y : ndarray of shape (n_samples, n_outputs) or None
        Targets, or None when the target is the clean input (autoencoders).
    sample_weight : ndarray of shape (n_samples,) or None
    train_rows : ndarray of int
        The rows of ``X`` to train on (the others form the validation split).
    batch_size : int
    max_iter : int
    shuffler : numpy.random.RandomState, default=None
        Shuffles the rows before each epoch, as scikit-learn draws its shuffles; None keeps
        their order.
    stopping : Stopping, default=None
        The early-stopping rules; None: ``Stopping()``.
    incremental : bool, default=False
        Run a single epoch (``partial_fit``), without a convergence warning.

    Warns
    -----
    ConvergenceWarning
        If the loss or the weights become non-finite under early stopping: training stops
        there and the best weights seen are restored, as scikit-learn's early stopping ends.

    Raises
    ------
    ValueError
        If the loss or the weights become non-finite without early stopping, with
        scikit-learn's message; the weights of the previous epoch are restored first.
    KeyboardInterrupt
        Re-raised after keeping usable weights: the best ones seen with early stopping, else the
        current ones if finite, else those of the previous epoch.
    """
    stopping = Stopping() if stopping is None else stopping
    rows = np.array(train_rows, copy=True)
    network = plan.network
    history.n_iter = 0
    last_good = None
    try:
        for _ in range(1 if incremental else max_iter):
            started = time.perf_counter()
            last_good = begin_epoch(plan, history, rows, shuffler)
            epoch_loss = run_epoch(plan, X, Y, sample_weight, rows, batch_size)
            if end_epoch(plan, history, stopping, epoch_loss, last_good, started, rows.shape[0]):
                break
        else:
            if not incremental:
                warn_not_converged(
                    f"Stochastic Optimizer: Maximum iterations ({max_iter}) reached and the "
                    "optimization hasn't converged yet."
                )
    except KeyboardInterrupt:
        if history.best_snapshot is not None:
            network.restore(history.best_snapshot)
        elif last_good is not None and not np.isfinite(network.params).all():
            network.restore(last_good)
        raise
    if history.best_snapshot is not None:
        network.restore(history.best_snapshot)


def fit_lbfgs(
    network, loss, penalty, X, Y, sample_weight, *, max_iter, max_fun, tol, verbose,
    on_iteration=None,
):
    """Full-batch training with scipy's L-BFGS-B on the network's flat parameter vector.

    Parameters
    ----------
    network, loss, penalty
        The pieces of the model.
    X : {ndarray, sparse matrix} of shape (n_samples, n_features)
    Y : ndarray of shape (n_samples, n_outputs)
    sample_weight : ndarray of shape (n_samples,) or None
    max_iter, max_fun : int
        scipy's ``maxiter`` and ``maxfun``.
    tol : float
        scipy's ``gtol``.
    verbose : bool or int
        Print scikit-learn's ``Iteration N, loss = ...`` line after each iteration.
    on_iteration : callable, default=None
        Called without arguments after each iteration, with the iterate in
        ``network.params``; returning True stops the optimisation there.

    Returns
    -------
    loss : float
        Final objective value.
    n_iter : int
        Number of L-BFGS iterations.
    """
    best = {"value": np.inf, "params": network.params.copy()}

    def value_and_gradient(flat):
        network.params[...] = flat
        value = objective(network, loss, penalty, X, Y, sample_weight)
        if value < best["value"]:
            best["value"], best["params"][...] = value, network.params
        # scipy's L-BFGS-B works in float64 whatever the network's type.
        return value, network.grads.astype(np.float64)

    def after_iteration(intermediate_result):
        after_iteration.count += 1
        if verbose:
            print(f"Iteration {after_iteration.count}, loss = {intermediate_result.fun:.8f}")
        if on_iteration is not None:
            # The last evaluation may have been a line-search trial: show the hook the iterate.
            network.params[...] = intermediate_result.x
            if on_iteration():
                # scipy ends the run at this iterate and reports it as the result.
                raise StopIteration

    after_iteration.count = 0
    result = scipy.optimize.minimize(
        value_and_gradient,
        network.params.astype(np.float64),
        method="L-BFGS-B",
        jac=True,
        callback=after_iteration if verbose or on_iteration is not None else None,
        options={"maxfun": max_fun, "maxiter": max_iter, "gtol": tol},
    )
    if not np.isfinite(result.fun) or not np.isfinite(result.x).all():
        network.params[...] = best["params"]
        raise ValueError(
            f"{NON_FINITE_WEIGHTS} L-BFGS diverged after {result.nit} iteration(s): the loss "
            f"became {result.fun}; the best finite weights seen were restored. "
            + DIVERGENCE_ADVICE
        )
    network.params[...] = result.x
    if result.status == 1:
        warn_not_converged(
            "lbfgs failed to converge after "
            f"{result.nit} iteration(s) (status=1): {result.message}. "
            "Increase the number of iterations (max_iter) or scale the data."
        )
    return float(result.fun), int(result.nit)

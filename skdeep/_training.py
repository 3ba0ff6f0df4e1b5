"""The training loops shared by every estimator: the objective, mini-batch epochs, L-BFGS.

An estimator hands over a network, a loss, a penalty, an optimiser and a schedule; these functions
never look at which estimator called them. Autoencoders pass ``Y=None`` (the target is the clean
input batch) and a ``corrupt`` function (the noise applied to the input batch only).
"""

import contextvars
import time
import warnings
from contextlib import contextmanager

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


def objective(network, loss, penalty, X, Y, sample_weight=None, rng=None, include_l2=True):
    """Forward and backward pass on one batch in training mode.

    Fills ``network.grads`` with the gradient of the returned value.

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
    include_l2 : bool, default=True
        False leaves the L2 term to the optimiser (weight decay in its sweep).

    Returns
    -------
    value : float
        Mean loss over the batch plus the penalty (without its L2 term if ``include_l2`` is
        False).
    """
    scores = network.forward(X, training=True, rng=rng)
    value, delta = loss.value_and_gradient(scores, Y, sample_weight)
    network.backward(delta)
    n_weights = network.n_weights
    value += penalty.apply(
        network.params[:n_weights], network.grads[:n_weights],
        1.0 / batch_weight(X, sample_weight), include_l2,
    )
    return value


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

    def record(self, network, loss, validation_score, tol):
        """Append an epoch's results; return the improvement of the monitored quantity.

        Follows scikit-learn, comparisons included (a NaN counts as an improvement there, so it
        resets the count): without validation the training loss must drop by at least ``tol``,
        with validation the score must rise by at least ``tol``, or the no-improvement count grows.
        """
        self.loss = loss
        self.loss_curve.append(loss)
        if self.validation_scores is None:
            improvement = self.best_loss - loss
            stalled = loss > self.best_loss - tol
            if loss < self.best_loss:
                self.best_loss = loss
        else:
            self.validation_scores.append(validation_score)
            improvement = validation_score - self.best_validation_score
            stalled = validation_score < self.best_validation_score + tol
            if validation_score > self.best_validation_score:
                self.best_validation_score = validation_score
                self.best_snapshot = network.snapshot()
        self.no_improvement_count = self.no_improvement_count + 1 if stalled else 0
        return improvement


def _silent(message):
    """The ``log`` of a quiet fit."""


def _gather(array, rows):
    return None if array is None else array[rows]


def as_dense(X):
    """``X`` itself if it is an array, else a dense copy of the sparse matrix ``X``.

    Only a Dense layer multiplies a sparse input; a loss's target and the corruption noise need
    an array, so a sparse batch is densified where it becomes one of those (and nowhere else).
    """
    return X.toarray() if sp.issparse(X) else X


def fit_minibatch(
    network,
    loss,
    penalty,
    optimiser,
    schedule,
    history,
    X,
    Y,
    sample_weight,
    train_rows,
    rng,
    shuffler,
    *,
    batch_size,
    max_iter,
    shuffle,
    tol,
    n_iter_no_change,
    evaluate=None,
    monitor_validation=False,
    on_epoch_end=None,
    max_norm=None,
    dropout_rates=None,
    anneal_dropout=False,
    corrupt=None,
    incremental=False,
    log=None,
):
    """Train with mini-batches for up to ``max_iter`` epochs (one when ``incremental``).

    Parameters
    ----------
    network, loss, penalty, optimiser, schedule, history
        The pieces of the model; ``history`` is updated in place.
    X : {ndarray, sparse matrix, memmap} of shape (n_samples, n_features)
        Read batch by batch: only the rows of each batch are gathered, never the whole array.
    Y : ndarray of shape (n_samples, n_outputs) or None
        Targets, or None when the target is the clean input (autoencoders).
    sample_weight : ndarray of shape (n_samples,) or None
    train_rows : ndarray of int
        The rows of ``X`` to train on (the others form the validation split).
    rng : numpy.random.Generator
        Dropout masks and corruption noise (skdeep's own stream).
    shuffler : numpy.random.RandomState
        The per-epoch shuffles, drawn as scikit-learn draws them.
    batch_size : int
    max_iter : int
    shuffle : bool
    tol : float
    n_iter_no_change : int
    evaluate : callable, default=None
        Returns ``(score, loss)`` on the validation data (score: higher is better).
    monitor_validation : bool, default=False
        Early stopping: judge improvement by the validation score instead of the training
        loss, and restore the best weights at the end.
    on_epoch_end : callable, default=None
        Called with each epoch's record (a dict: epoch, loss, validation_loss,
        validation_score, learning_rate, seconds); returning True stops training.
    max_norm : float, default=None
    dropout_rates : list of float, default=None
        The configured rate of each Dropout layer, for annealing.
    anneal_dropout : bool, default=False
        Decay each dropout rate linearly to zero over ``max_iter`` epochs.
    corrupt : callable, default=None
        ``corrupt(X_batch, rng)`` returns a noisy copy of the input batch.
    incremental : bool, default=False
        Run a single epoch (``partial_fit``).
    log : callable, default=None
        ``log(message)`` for the stopping and plateau messages (``print`` when verbose).

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
    rows = np.array(train_rows, copy=True)
    n_train = rows.shape[0]
    n_epochs = 1 if incremental else max_iter
    # Sorted rows read a memory map in order; in memory, the batch keeps scikit-learn's order
    # (the same rows in the same order sum to the same gradient).
    sort_batches = isinstance(X, np.memmap)
    if log is None:
        log = _silent
    history.n_iter = 0
    last_good = None
    try:
        for _ in range(n_epochs):
            started = time.perf_counter()
            optimiser.learning_rate = schedule.rate(history.schedule_epochs, history.t)
            if anneal_dropout:
                remaining = max(0.0, 1.0 - history.epochs_seen / max_iter)
                for layer, rate in zip(network.dropout_layers, dropout_rates):
                    layer.rate = rate * remaining
            if shuffle:
                shuffler.shuffle(rows)
            last_good = network.snapshot()
            accumulated = 0.0
            for start in range(0, n_train, batch_size):
                batch = rows[start : start + batch_size]
                if sort_batches:
                    batch = np.sort(batch)
                X_batch = X[batch]
                # A sparse input batch stays sparse for the first layer; only the batch, never the
                # whole of X, is densified to serve as the clean target or to be corrupted.
                Y_batch = as_dense(X_batch) if Y is None else Y[batch]
                if corrupt is not None:
                    X_batch = corrupt(Y_batch if Y is None else as_dense(X_batch), rng)
                weights = _gather(sample_weight, batch)
                value = objective(
                    network, loss, penalty, X_batch, Y_batch, weights, rng, include_l2=False
                )
                # The L2 gradient is added inside the optimiser's cache-blocked sweep rather than
                # in a pass of its own; the value comes back as the weights' squared norm.
                scale = 1.0 / batch_weight(X_batch, weights)
                squares = optimiser.update(
                    network.params, network.grads,
                    weight_decay=penalty.weight_decay(network.n_weights, scale),
                )
                value += penalty.l2_value(squares, scale)
                if max_norm is not None:
                    network.apply_max_norm(max_norm)
                accumulated += value * batch.shape[0]
            epoch_loss = accumulated / n_train
            diverged = not np.isfinite(epoch_loss) or not np.isfinite(network.params).all()
            if diverged and not monitor_validation:
                network.restore(last_good)
                raise ValueError(
                    f"{NON_FINITE_WEIGHTS} Training diverged in epoch {history.epochs_seen + 1}: "
                    f"the loss became {epoch_loss}; the weights of the previous epoch were "
                    "restored. " + DIVERGENCE_ADVICE
                )
            history.n_iter += 1
            history.epochs_seen += 1
            history.schedule_epochs += 1
            history.t += n_train
            score, validation_loss = evaluate() if evaluate is not None else (None, None)
            improvement = history.record(
                network, epoch_loss, score if monitor_validation else None, tol
            )
            record = {
                "epoch": history.epochs_seen,
                "loss": epoch_loss,
                "validation_loss": validation_loss,
                "validation_score": score,
                "learning_rate": optimiser.learning_rate,
                "seconds": time.perf_counter() - started,
            }
            history.records.append(record)
            stop_requested = bool(on_epoch_end(record)) if on_epoch_end is not None else False
            if diverged:
                # Early stopping keeps the best weights seen, so the fit stays usable (the
                # epoch's NaN score is recorded, as scikit-learn records it).
                if history.best_snapshot is None:
                    network.restore(last_good)
                history.stop_reason = (
                    f"Training diverged in epoch {history.epochs_seen}: the loss became "
                    f"{epoch_loss}."
                )
                warnings.warn(
                    f"{history.stop_reason} Training stopped and the weights with the best "
                    "validation score were restored. " + DIVERGENCE_ADVICE,
                    ConvergenceWarning,
                )
                break
            schedule.epoch_end(improvement)
            if history.no_improvement_count > n_iter_no_change:
                message = (
                    f"{'Validation score' if monitor_validation else 'Training loss'} did "
                    f"not improve more than tol={tol:f} for {n_iter_no_change} consecutive "
                    "epochs."
                )
                if schedule.plateau():
                    history.stop_reason = message
                    log(f"{message} Stopping.")
                    break
                rate = schedule.rate(history.schedule_epochs, history.t)
                log(f"{message} Setting learning rate to {rate:f}")
                history.no_improvement_count = 0
            if stop_requested:
                history.stop_reason = "A callback asked to stop."
                log("A callback asked to stop. Stopping.")
                break
            if history.n_iter == max_iter and not incremental:
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

"""What a person sees while a network trains: verbose lines, callbacks, Ctrl-C handling.

The training loop hands each epoch's record (a dict) to one :class:`EpochReporter`, which prints
scikit-learn's verbose lines, forwards the epoch to scikit-learn's callbacks when the installed
version has them (``sklearn.callback``), and calls the user's ``on_epoch_end`` hook; any of the
last two may ask to stop. :func:`interruptible` turns Ctrl-C into a warning and a usable fitted
estimator.
"""

import contextvars
import copy
import warnings
from contextlib import contextmanager, nullcontext

try:  # scikit-learn's callback API, where the installed version has it
    from sklearn.callback import CallbackSupportMixin
    from sklearn.callback._callback_support import callback_management_context
except ImportError:  # pragma: no cover - depends on the installed scikit-learn

    class CallbackSupportMixin:
        """Stand-in when the installed scikit-learn has no callback API."""

    def callback_management_context(estimator):
        return nullcontext()


HAS_SKLEARN_CALLBACKS = hasattr(CallbackSupportMixin, "set_callbacks")

def format_progress(iteration, record, verbose):
    """The verbose lines of one epoch: scikit-learn's, with skdeep's figures from ``verbose=2``.

    ``verbose=1`` (or True) prints exactly what MLPClassifier prints, so logs and tools that read
    them keep working; a higher level adds the validation loss, the learning rate and the
    epoch's time to the same line.
    """
    line = f"Iteration {iteration}, loss = {record['loss']:.8f}"
    if verbose >= 2:
        if record["validation_loss"] is not None:
            line += f", validation loss = {record['validation_loss']:.8f}"
        line += f", learning rate = {record['learning_rate']:.3g}, {record['seconds']:.2f} s"
    lines = [line]
    if record["validation_score"] is not None:
        lines.append(f"Validation score: {record['validation_score']:f}")
    return "\n".join(lines)


class EpochReporter:
    """Turn each epoch's record into output, callback calls and a stop decision.

    Parameters
    ----------
    estimator : skdeep estimator
        Passed to the user hook and to scikit-learn's callbacks.
    verbose : bool or int
        Print each epoch's progress (:func:`format_progress`).
    on_epoch_end : callable or None
        ``on_epoch_end(estimator, record)``; a True return value stops training.
    callback_context : sklearn CallbackContext or None
        The fit task's context; each epoch becomes one of its subtasks.
    max_epochs : int
        Epochs this call may run (the context's maximum number of subtasks).
    """

    def __init__(self, estimator, verbose, on_epoch_end, callback_context, max_epochs):
        self.estimator = estimator
        self.verbose = verbose
        self.on_epoch_end = on_epoch_end
        self.callback_context = callback_context
        self.max_epochs = max_epochs
        # Epochs of this call, numbered as scikit-learn numbers its iterations (n_iter_).
        self._epochs = 0
        self._epoch_context = self._begin_epoch()

    def _begin_epoch(self):
        if self.callback_context is None:
            return None
        context = self.callback_context.subcontext(task_name="epoch")
        context.call_on_fit_task_begin(estimator=self.estimator)
        return context

    def __call__(self, record):
        self._epochs += 1
        if self.verbose:
            print(format_progress(self._epochs, record, self.verbose), flush=True)
        stop = False
        if self._epoch_context is not None:
            # Callbacks that need a fitted estimator get a copy frozen at this epoch.
            stop = bool(self._epoch_context.call_on_fit_task_end(
                estimator=self.estimator,
                metadata=dict(record),
                reconstruction_attributes=lambda: {
                    "_network": copy.deepcopy(self.estimator._network)
                },
            ))
            # The next epoch's subtask opens now, as none of the loop's hooks precedes an epoch.
            self._epoch_context = self._begin_epoch() if self._epochs < self.max_epochs else None
        if self.on_epoch_end is not None:
            stop = bool(self.on_epoch_end(self.estimator, record)) or stop
        return stop

    def close(self):
        """End the callback subtask opened for an epoch that never ran."""
        if self._epoch_context is not None:
            self._epoch_context.call_on_fit_task_end(estimator=self.estimator)
            self._epoch_context = None


_FIT_DEPTH = contextvars.ContextVar("skdeep_fit_depth", default=0)


@contextmanager
def interruptible(estimator):
    """Make Ctrl-C stop training at once and leave a usable fitted estimator.

    Nested skdeep fits (pretraining) let the interrupt through, so the outermost fit stops at
    once instead of carrying on with its next stage; the outermost one warns and returns if its
    network exists (the training loop has already kept usable weights), else re-raises.
    """
    depth = _FIT_DEPTH.get()
    token = _FIT_DEPTH.set(depth + 1)
    try:
        yield
    except KeyboardInterrupt:
        if depth > 0 or not hasattr(estimator, "_network"):
            raise
        warnings.warn(
            "Training interrupted by user: keeping the best weights seen so far (or the last "
            "finite ones); the estimator is fitted and usable.",
            UserWarning,
        )
    finally:
        _FIT_DEPTH.reset(token)


def fit_callback_context(estimator, max_subtasks):
    """Open the scikit-learn callback context of a fit, or return None without callbacks."""
    if not HAS_SKLEARN_CALLBACKS:
        return None
    return estimator._init_callback_context(max_subtasks=max_subtasks)

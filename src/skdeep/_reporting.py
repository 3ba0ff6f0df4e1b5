"""What a person sees while a network trains: verbose lines, callbacks, Ctrl-C handling.

The training loop hands each epoch's record (a dict) to one :class:`EpochReporter`, which prints
scikit-learn's verbose lines, ends the epoch's subtask for scikit-learn's callbacks when the
installed version has them (``sklearn.callback``, through :class:`CallbackTasks`, which L-BFGS
uses per iteration), and calls the user's ``on_epoch_end`` hook; any of the last two may ask to
stop. :func:`fit_stage` makes a pretraining step one labelled subtask of the fit.
:func:`interruptible` turns Ctrl-C into a warning and a usable fitted estimator.
"""

import contextvars
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


class CallbackTasks:
    """The epochs (or L-BFGS iterations) of a fit as scikit-learn callback subtasks.

    Each hook receives what scikit-learn's own estimators pass: the training data ``X`` and
    ``y`` (a monitor scores on them), ``metadata`` (the user's ``sample_weight``, which a scorer
    takes as a keyword) and, on request, a ``fitted_estimator``: a copy of the estimator with its
    network as it stands at that moment.

    Parameters
    ----------
    estimator : skdeep estimator
    context : sklearn CallbackContext or None
        The fit task's context; None makes every method a no-op.
    task_name : str
        Name of each subtask ('epoch', 'iteration').
    max_tasks : int
        Subtasks this call may run (the context reserved room for them).
    data : dict
        ``X``, ``y`` and ``metadata`` for the hooks (values may be callables, evaluated only when
        a callback asks for them).
    """

    def __init__(self, estimator, context, task_name, max_tasks, data):
        self.estimator = estimator
        self.context = context
        self.task_name = task_name
        self.max_tasks = max_tasks
        self.data = data
        self._ended = 0
        self._current = self._begin()

    def _hook_arguments(self, n_done):
        def fitted_state():
            # The copy counts the epochs (iterations) behind it, as a fitted estimator would.
            return {**self.estimator._fitted_state_copy(), "n_iter_": n_done}

        return dict(estimator=self.estimator, reconstruction_attributes=fitted_state, **self.data)

    def _begin(self):
        if self.context is None or self._ended >= self.max_tasks:
            return None
        # A subtask opens as soon as the previous one ends: none of the loop's hooks precedes
        # an epoch, and the state at an epoch's start is the one its predecessor ended with.
        context = self.context.subcontext(task_name=self.task_name)
        context.call_on_fit_task_begin(**self._hook_arguments(self._ended))
        return context

    def end(self):
        """End the current subtask with the estimator as it is now; True if a callback stops."""
        if self._current is None:
            return False
        stop = bool(self._current.call_on_fit_task_end(**self._hook_arguments(self._ended + 1)))
        self._ended += 1
        self._current = self._begin()
        return stop

    def close(self):
        """End the subtask opened for an epoch that never ran (it forwards nothing)."""
        if self._current is not None:
            self._current.call_on_fit_task_end(estimator=self.estimator)
            self._current = None


class EpochReporter:
    """Turn each epoch's record into output, callback calls and a stop decision.

    Parameters
    ----------
    estimator : skdeep estimator
        Passed to the user hook.
    verbose : bool or int
        Print each epoch's progress (:func:`format_progress`).
    on_epoch_end : callable or None
        ``on_epoch_end(estimator, record)``; a True return value stops training.
    tasks : CallbackTasks
        scikit-learn's callbacks: each epoch ends one of its subtasks.
    """

    def __init__(self, estimator, verbose, on_epoch_end, tasks):
        self.estimator = estimator
        self.verbose = verbose
        self.on_epoch_end = on_epoch_end
        self.tasks = tasks
        # Epochs of this call, numbered as scikit-learn numbers its iterations (n_iter_).
        self._epochs = 0

    def __call__(self, record):
        self._epochs += 1
        if self.verbose:
            print(format_progress(self._epochs, record, self.verbose), flush=True)
        stop = self.tasks.end()
        if self.on_epoch_end is not None:
            stop = bool(self.on_epoch_end(self.estimator, record)) or stop
        return stop

    def close(self):
        self.tasks.close()


@contextmanager
def fit_stage(owner, stage, task_name, label=None, max_subtasks=0):
    """Run the fit of ``stage`` (a pretraining step) as one subtask of ``owner``'s fit.

    scikit-learn's auto-propagated callbacks (the progress bar) follow the stage's epochs as
    they follow a Pipeline's steps; with ``owner.verbose``, ``label`` is printed first so each
    stage's progress lines say what they belong to. A stage that is no estimator (``stage``
    None: an RBM) reports its own ``max_subtasks`` epochs in the subtask this yields (None
    without callbacks).
    """
    if owner.verbose and label is not None:
        print(label, flush=True)
    context = getattr(owner, "_callback_fit_ctx", None)
    if context is None:
        yield None
        return
    if stage is None:
        subcontext = context.subcontext(task_name=task_name, max_subtasks=max_subtasks)
        subcontext.call_on_fit_task_begin(estimator=owner)
        yield subcontext
        subcontext.call_on_fit_task_end(estimator=owner)
        return
    subcontext = context.subcontext(task_name=task_name)
    with subcontext.propagate_callback_context(stage):
        subcontext.call_on_fit_task_begin(estimator=owner)
        yield subcontext
        subcontext.call_on_fit_task_end(estimator=owner)


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


def fit_callback_context(estimator, max_subtasks, task_name="fit"):
    """Open the scikit-learn callback context of a fit, or return None without callbacks."""
    if not HAS_SKLEARN_CALLBACKS:
        return None
    return estimator._init_callback_context(task_name=task_name, max_subtasks=max_subtasks)

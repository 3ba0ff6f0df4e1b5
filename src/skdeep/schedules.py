"""Learning rate as a function of the epoch.

The training loop drives a schedule through three hooks and never lets it touch
the optimiser:

- before each epoch, ``optimiser.learning_rate = schedule.rate(epoch, samples_seen)``,
  where ``epoch`` counts the epochs completed since the schedule was made (0 for the first;
  a warm-started fit makes a new one, a ``partial_fit`` call keeps it) and ``samples_seen``
  the training samples seen so far, over every call;
- after each epoch (but one in which training diverged), ``schedule.epoch_end()``;
- when the loop has seen no improvement for more than ``n_iter_no_change``
  epochs, ``schedule.plateau()``: True means stop training, False means the
  schedule reacted and the loop resets its counter.

A new fit makes a new schedule: stateful ones (:class:`Adaptive`, :class:`NewBob`) start
from ``initial_rate``.
"""

import math

from ._validation import build_from_registry

__all__ = ["Schedule", "Constant", "InvScaling", "Adaptive", "Exponential", "Step", "Cosine",
           "NewBob", "SCHEDULES", "make_schedule"]


class Schedule:
    """Base class of the learning-rate schedules.

    Read more in the :ref:`User Guide <ug_schedules>`.

    Parameters
    ----------
    initial_rate : float
        Learning rate of the first epoch.
    """

    def __init__(self, initial_rate):
        self.initial_rate = initial_rate

    def rate(self, epoch, samples_seen):
        """Return the learning rate for the coming epoch.

        Parameters
        ----------
        epoch : int
            Number of epochs completed in this fit; 0 before the first.
        samples_seen : int
            Number of training samples seen so far.

        Returns
        -------
        rate : float
        """
        raise NotImplementedError

    def epoch_end(self):
        """Observe that an epoch has ended (and training goes on)."""

    def plateau(self):
        """React to a run of epochs without improvement.

        Returns
        -------
        stop : bool
            True if training should stop, False if the schedule lowered its rate.
        """
        return True


class Constant(Schedule):
    """The same learning rate at every epoch.

    Read more in the :ref:`User Guide <ug_schedules>`.

    Parameters
    ----------
    initial_rate : float
        The learning rate.

    Notes
    -----
    .. math:: \\eta_e = \\eta_0

    Examples
    --------
    >>> Constant(0.1).rate(7, 700)
    0.1
    """

    def rate(self, epoch, samples_seen):
        return float(self.initial_rate)


class InvScaling(Schedule):
    """Inverse scaling with the number of samples seen, as scikit-learn's 'invscaling'.

    Read more in the :ref:`User Guide <ug_schedules>`.

    Parameters
    ----------
    initial_rate : float
        Learning rate before any sample has been seen.
    power_t : float, default=0.5
        Exponent :math:`k` of the decay.

    Notes
    -----
    With :math:`t` the number of training samples seen before the epoch,

    .. math:: \\eta = \\frac{\\eta_0}{(t + 1)^k}

    except in the schedule's first epoch, which runs at :math:`\\eta_0`: scikit-learn rescales
    its rate at the end of each epoch, so a warm-started fit (a new optimiser) begins at the
    initial rate whatever :math:`t` already is.

    Examples
    --------
    >>> InvScaling(0.1, power_t=0.5).rate(1, 99)
    0.01
    >>> InvScaling(0.1, power_t=0.5).rate(0, 99)
    0.1
    """

    def __init__(self, initial_rate, power_t=0.5):
        self.power_t = power_t
        super().__init__(initial_rate)

    def rate(self, epoch, samples_seen):
        if epoch == 0:
            return float(self.initial_rate)
        return float(self.initial_rate) / (samples_seen + 1) ** float(self.power_t)


class Adaptive(Schedule):
    """Constant until progress stalls, then divided by 5, as scikit-learn's 'adaptive'.

    Read more in the :ref:`User Guide <ug_schedules>`.

    Parameters
    ----------
    initial_rate : float
        Learning rate until the first plateau.

    Notes
    -----
    On each plateau: if :math:`\\eta \\le 10^{-6}` training stops, otherwise
    :math:`\\eta \\leftarrow \\eta / 5` and training continues.

    Examples
    --------
    >>> schedule = Adaptive(0.01)
    >>> schedule.plateau()
    False
    >>> schedule.rate(5, 500)
    0.002
    """

    def __init__(self, initial_rate):
        super().__init__(initial_rate)
        self._rate = float(initial_rate)

    def rate(self, epoch, samples_seen):
        return self._rate

    def plateau(self):
        if self._rate <= 1e-6:
            return True
        self._rate /= 5.0
        return False


class Exponential(Schedule):
    """Exponential decay per epoch.

    Read more in the :ref:`User Guide <ug_schedules>`.

    Parameters
    ----------
    initial_rate : float
        Learning rate of the first epoch.
    decay : float, default=0.95
        Factor :math:`\\gamma` applied per epoch.

    Notes
    -----
    .. math:: \\eta_e = \\eta_0 \\gamma^e

    Examples
    --------
    >>> Exponential(0.1, decay=0.5).rate(2, 200)
    0.025
    """

    def __init__(self, initial_rate, decay=0.95):
        self.decay = decay
        super().__init__(initial_rate)

    def rate(self, epoch, samples_seen):
        return float(self.initial_rate) * float(self.decay) ** epoch


class Step(Schedule):
    """Decay by a constant factor every ``step_size`` epochs.

    Read more in the :ref:`User Guide <ug_schedules>`.

    Parameters
    ----------
    initial_rate : float
        Learning rate of the first ``step_size`` epochs.
    decay : float, default=0.95
        Factor :math:`\\gamma` applied at each step.
    step_size : int, default=10
        Number of epochs :math:`s` between steps.

    Notes
    -----
    .. math:: \\eta_e = \\eta_0 \\gamma^{\\lfloor e / s \\rfloor}

    Examples
    --------
    >>> Step(0.1, decay=0.5, step_size=10).rate(25, 2500)
    0.025
    """

    def __init__(self, initial_rate, decay=0.95, step_size=10):
        self.decay = decay
        self.step_size = step_size
        super().__init__(initial_rate)

    def rate(self, epoch, samples_seen):
        return float(self.initial_rate) * float(self.decay) ** (epoch // self.step_size)


class Cosine(Schedule):
    """Cosine annealing from the initial rate to zero (Loshchilov and Hutter, 2017).

    Read more in the :ref:`User Guide <ug_schedules>`.

    Parameters
    ----------
    initial_rate : float
        Learning rate of the first epoch.
    total_epochs : int
        Epoch :math:`T` at which the rate reaches zero; it stays zero after.

    Notes
    -----
    .. math:: \\eta_e = \\frac{\\eta_0}{2}
              \\left(1 + \\cos\\frac{\\pi \\min(e, T)}{T}\\right)

    Examples
    --------
    >>> Cosine(0.1, total_epochs=10).rate(5, 500)
    0.05
    """

    def __init__(self, initial_rate, total_epochs):
        self.total_epochs = total_epochs
        super().__init__(initial_rate)

    def rate(self, epoch, samples_seen):
        total = self.total_epochs
        progress = min(epoch, total) / total
        return 0.5 * float(self.initial_rate) * (1.0 + math.cos(math.pi * progress))


class NewBob(Schedule):
    """NewBOB: constant until the monitored score stops improving, then decayed every epoch.

    Read more in the :ref:`User Guide <ug_schedules>`.

    The performance-dependent schedule of the lectures. The rate stays at ``initial_rate`` until
    the training loop reports the first plateau (``n_iter_no_change`` epochs without an
    improvement of at least ``tol``); from then on it is multiplied by ``factor`` after every
    epoch, and the next plateau stops training.

    Parameters
    ----------
    initial_rate : float
        Learning rate until the ramp starts.
    factor : float, default=0.5
        Multiplier applied at the first plateau and after each epoch from then on.

    Notes
    -----
    With :math:`r` the epoch of the first plateau,
    :math:`\\eta_e = \\eta_0` for :math:`e \\le r` and :math:`\\eta_e = \\eta_0 f^{e - r}` after.
    Waiting for a plateau rather than for one small improvement keeps a single noisy epoch of a
    small validation split from starting the ramp.

    Examples
    --------
    >>> schedule = NewBob(0.1, factor=0.5)
    >>> schedule.epoch_end()
    >>> schedule.rate(1, 100)
    0.1
    >>> schedule.plateau()
    False
    >>> schedule.rate(2, 200), schedule.epoch_end(), schedule.rate(3, 300)
    (0.05, None, 0.025)
    >>> schedule.plateau()
    True
    """

    def __init__(self, initial_rate, factor=0.5):
        self.factor = factor
        super().__init__(initial_rate)
        self._rate = float(initial_rate)
        self._ramping = False

    def rate(self, epoch, samples_seen):
        return self._rate

    def epoch_end(self):
        if self._ramping:
            self._rate *= float(self.factor)

    def plateau(self):
        if self._ramping:
            return True
        self._ramping = True
        self._rate *= float(self.factor)
        return False


SCHEDULES = {
    "constant": Constant,
    "invscaling": InvScaling,
    "adaptive": Adaptive,
    "exponential": Exponential,
    "step": Step,
    "cosine": Cosine,
    "newbob": NewBob,
}


def make_schedule(name, initial_rate, *, power_t=None, decay=None, step_size=None,
                  total_epochs=None):
    """Build the named schedule from a flat set of hyperparameters.

    Read more in the :ref:`User Guide <ug_schedules>`.

    Each schedule receives only the hyperparameters its constructor takes; the
    others are ignored, and ``None`` leaves that schedule's own default.

    Parameters
    ----------
    name : {'constant', 'invscaling', 'adaptive', 'exponential', 'step', \
'cosine', 'newbob'}
        Key of :data:`SCHEDULES`.
    initial_rate : float
        Learning rate of the first epoch.
    power_t : float, default=None
        For 'invscaling'.
    decay : float, default=None
        For 'exponential' and 'step'.
    step_size : int, default=None
        For 'step'.
    total_epochs : int, default=None
        For 'cosine', where it is required.

    Returns
    -------
    schedule : Schedule

    Raises
    ------
    ValueError
        If ``name`` is not a key of :data:`SCHEDULES`, or 'cosine' is asked for
        without a positive ``total_epochs``.

    Examples
    --------
    >>> step = make_schedule('step', 0.1, decay=0.5, step_size=3, power_t=0.25)
    >>> step.rate(6, 600)
    0.025
    """
    if name == "cosine" and (total_epochs is None or total_epochs < 1):
        raise ValueError(
            f"The 'cosine' schedule needs total_epochs >= 1; got {total_epochs!r}.")
    return build_from_registry(
        "schedule", SCHEDULES, name, initial_rate, power_t=power_t, decay=decay,
        step_size=step_size, total_epochs=total_epochs,
    )

"""Learning rules that update one flat parameter vector in place.

An optimiser sees two aligned flat arrays, the parameters and their gradient, and
nothing else: no layers, no penalty object, no schedule, no stopping rule. The training loop
sets ``optimiser.learning_rate`` once per epoch and steps once per mini-batch through
``optimiser.update``.

Each update is one call to the rule's compiled kernel (``skdeep._kernels._optimisers``),
which makes one pass over the vectors: for every entry it reads the gradient, updates the
state and the parameter, so each array is read (and written) once per step instead of once
per NumPy pass. Each class computes the step's scalar coefficients in Python; the kernel
does the per-entry arithmetic in the parameters' dtype.

Exponential running averages are stored without their ``(1 - decay)`` factor:
``a_t = decay * a_{t-1} + x_t`` is ``(1 - decay)`` times smaller than the textbook average,
which saves a multiplication per entry, and the constant factor moves into the scalar
coefficients of the step. The equations in the docstrings are the textbook ones; only the
stored state differs.

The training loop's step, ``_training.penalised_step``, also asks the kernel to add an L1 and
an L2 term's gradient to the weights' entries on the fly (``Optimiser._penalised_update``):
the penalty's gradient then costs no pass of its own and is never written to memory.
"""

import inspect
import math

import numpy as np

from ._kernels import _optimisers as kernels
from ._validation import build_from_registry

__all__ = ["Optimiser", "SGD", "Adam", "AMSGrad", "AdaMax", "Nadam", "AdaGrad", "RMSProp",
           "Adadelta", "OPTIMISERS", "make_optimiser"]


class Optimiser:
    """Base class of the learning rules.

    Read more in the :ref:`User Guide <ug_optimisers>`.

    Subclasses name their per-parameter state arrays in ``_state_names``, compute the
    scalar coefficients of a step in ``_coefficients`` and call their rule's kernel in
    ``_step``. The state is allocated before the first step with
    ``np.zeros_like(params)``, so it has the dtype of the parameters.

    Parameters
    ----------
    learning_rate : float
        Step size. The training loop may change it between updates; every other
        hyperparameter must stay fixed once updates have started.

    Attributes
    ----------
    shared_settings_ignored : tuple of str
        Hyperparameters this rule keeps at its own defaults when it is built from an
        estimator's settings, which every solver shares (``make_optimiser(...,
        from_estimator=True)``): Adadelta's learning rate and epsilon.
    """

    shared_settings_ignored = ()

    def __init__(self, learning_rate):
        self.learning_rate = learning_rate
        self._t = 0

    def _state_names(self):
        """Return the names of the state arrays this configuration needs."""
        return ()

    def update(self, params, grads):
        """Apply one step to ``params`` in place.

        Parameters
        ----------
        params : ndarray of shape (n_params,)
            Flat parameter vector, C-contiguous, modified in place. Its dtype is kept.
        grads : ndarray of shape (n_params,)
            Gradient of the objective with respect to ``params``, C-contiguous and of the
            same dtype; not modified.
        """
        self._penalised_update(params, grads, 0, 0.0, 0.0)

    def _penalised_update(self, params, grads, n_penalised, l1_factor, l2_factor):
        """Apply one step down ``grads`` plus an L1 and an L2 term's gradient on a leading slice.

        The step of :meth:`update` with ``grads[:n_penalised]`` replaced by
        ``grads[:n_penalised] + l1_factor * sign(w) + l2_factor * w``, where
        ``w = params[:n_penalised]``: the kernel adds the terms entry by entry in the same
        pass, and ``grads`` is not modified. This is how the training loop fuses a weight
        penalty into the step (``_training.penalised_step``); the optimiser neither knows what
        the slice holds nor computes a penalty's value.

        Parameters
        ----------
        params, grads : ndarray of shape (n_params,)
            As for :meth:`update`.
        n_penalised : int
            Length of the penalised slice, in ``[0, n_params]``.
        l1_factor, l2_factor : float
            Factors of ``sign(w)`` and ``w`` in the added gradient.

        Returns
        -------
        l1_norm, squared_l2_norm : float
            ``sum(|w|)`` and ``sum(w ** 2)`` of the penalised slice before the step, summed
            in float64 (``l1_norm`` is only summed with an L1 term: 0.0 if ``l1_factor`` is 0).
        """
        if self._t == 0:
            for name in self._state_names():
                if getattr(self, name, None) is None:
                    setattr(self, name, np.zeros_like(params))
        self._t += 1
        return self._step(params, grads, n_penalised, l1_factor, l2_factor)

    def _coefficients(self):
        """Return the scalars of the current step (``self._t`` is already incremented).

        They are Python floats: the kernels take C doubles and cast them to the parameters'
        dtype, as NumPy casts a Python float in an operation with a float32 array.
        """
        raise NotImplementedError

    def _step(self, params, grads, n_penalised, l1_factor, l2_factor):
        """Call the rule's kernel on the state and the coefficients; return its two norms."""
        raise NotImplementedError

    def __repr__(self):
        names = inspect.signature(type(self)).parameters
        args = ", ".join(f"{name}={getattr(self, name)!r}" for name in names)
        return f"{type(self).__name__}({args})"


# Parameter entries shared by the docstrings below, composed into each ``__doc__``: the first
# line starts at the name, the others carry the docstring's own indentation.
def _step_size(default):
    return f"""learning_rate : float, default={default}
        Step size :math:`\\eta`."""


_EPSILON = """epsilon : float, default=1e-8
        Added to the denominator for numerical stability."""


def _adam_parameters(learning_rate, second_moment="second-moment estimate"):
    """Return the Parameters entries of an Adam-family rule."""
    return f"""{_step_size(learning_rate)}
    beta_1 : float, default=0.9
        Decay rate :math:`\\beta_1` of the first-moment estimate, in [0, 1).
    beta_2 : float, default=0.999
        Decay rate :math:`\\beta_2` of the {second_moment}, in [0, 1).
    {_EPSILON}"""


def _one_step_example(optimiser, decimals, result):
    """Return the Examples entry of a rule: one step from ``[1, -2]`` down ``[3, -0.5]``."""
    return f""">>> import numpy as np
    >>> p = np.array([1.0, -2.0])
    >>> {optimiser}.update(p, np.array([3.0, -0.5]))
    >>> p.round({decimals})
    {result}"""


class SGD(Optimiser):
    __doc__ = f"""Stochastic gradient descent with (Nesterov) momentum, as in scikit-learn.

    Read more in the :ref:`User Guide <ug_optimisers>`.

    Parameters
    ----------
    {_step_size(0.1)}
    momentum : float, default=0.9
        Momentum :math:`\\mu` in [0, 1]. With 0 this is plain gradient descent and
        no velocity is stored.
    nesterov : bool, default=True
        Whether to apply Nesterov's correction to the step.

    Notes
    -----
    With velocity :math:`v_0 = 0`,

    .. math::

        v_t = \\mu v_{{t-1}} - \\eta g_t, \\qquad
        p_t = p_{{t-1}} + \\begin{{cases}}
            \\mu v_t - \\eta g_t & \\text{{Nesterov}} \\\\
            v_t & \\text{{otherwise.}}
        \\end{{cases}}

    Examples
    --------
    >>> import numpy as np
    >>> p = np.array([1.0, -2.0])
    >>> SGD(learning_rate=0.1, momentum=0.0).update(p, np.array([1.0, 1.0]))
    >>> p
    array([ 0.9, -2.1])
    """

    def __init__(self, learning_rate=0.1, momentum=0.9, nesterov=True):
        self.momentum = momentum
        self.nesterov = nesterov
        super().__init__(learning_rate)

    def _state_names(self):
        return ("_velocity",) if self.momentum else ()

    def _coefficients(self):
        return float(self.learning_rate), float(self.momentum)

    def _step(self, params, grads, n_penalised, l1_factor, l2_factor):
        learning_rate, momentum = self._coefficients()
        if not momentum:
            return kernels.sgd_step(params, grads, learning_rate, n_penalised, l1_factor,
                                    l2_factor)
        return kernels.momentum_step(params, grads, self._velocity, learning_rate, momentum,
                                     self.nesterov, n_penalised, l1_factor, l2_factor)


class _AdamFamily(Optimiser):
    __doc__ = f"""Base of the rules with Adam's hyperparameters: two decay rates and an epsilon.

    Its defaults are AdaMax's and Nadam's, which use this constructor as it is; :class:`Adam`
    extends it with its own default learning rate and ``amsgrad``.

    Parameters
    ----------
    {_adam_parameters(0.002)}
    """

    def __init__(self, learning_rate=0.002, beta_1=0.9, beta_2=0.999, epsilon=1e-8):
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        super().__init__(learning_rate)


class Adam(_AdamFamily):
    __doc__ = f"""Adam (Kingma and Ba, 2015), with the bias correction of scikit-learn.

    Read more in the :ref:`User Guide <ug_optimisers>`.

    Parameters
    ----------
    {_adam_parameters(0.001)}
    amsgrad : bool, default=False
        Use the running maximum of the second-moment estimate (Reddi et al.,
        2018) so the effective step size never grows.

    Notes
    -----
    With :math:`m_0 = v_0 = 0` and step :math:`t = 1, 2, \\dots`,

    .. math::

        m_t = \\beta_1 m_{{t-1}} + (1 - \\beta_1) g_t, \\qquad
        v_t = \\beta_2 v_{{t-1}} + (1 - \\beta_2) g_t^2,

        \\eta_t = \\eta \\frac{{\\sqrt{{1 - \\beta_2^t}}}}{{1 - \\beta_1^t}}, \\qquad
        p_t = p_{{t-1}} - \\eta_t \\frac{{m_t}}{{\\sqrt{{v_t}} + \\epsilon}}.

    With ``amsgrad``, :math:`\\hat v_t = \\max(\\hat v_{{t-1}}, v_t)` replaces
    :math:`v_t` in the step.

    Examples
    --------
    {_one_step_example("Adam(learning_rate=0.1)", 6, "array([ 0.9, -1.9])")}
    """

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-8,
                 amsgrad=False):
        self.amsgrad = amsgrad
        super().__init__(learning_rate, beta_1, beta_2, epsilon)

    def _state_names(self):
        return ("_m", "_v", "_v_max") if self.amsgrad else ("_m", "_v")

    def _coefficients(self):
        beta_1, beta_2, t = float(self.beta_1), float(self.beta_2), self._t
        # With the stored sums M = m / (1 - beta_1) and V = v / (1 - beta_2):
        # eta_t m / (sqrt(v) + eps) = step * M / (sqrt(V) + eps / sqrt(1 - beta_2)).
        root = math.sqrt(1.0 - beta_2)
        step = (
            float(self.learning_rate) * math.sqrt(1.0 - beta_2**t) / (1.0 - beta_1**t)
            * (1.0 - beta_1) / root
        )
        return beta_1, beta_2, step, float(self.epsilon) / root

    def _step(self, params, grads, n_penalised, l1_factor, l2_factor):
        if self.amsgrad:
            return kernels.amsgrad_step(params, grads, self._m, self._v, self._v_max,
                                        *self._coefficients(), n_penalised, l1_factor, l2_factor)
        return kernels.adam_step(params, grads, self._m, self._v, *self._coefficients(),
                                 n_penalised, l1_factor, l2_factor)


class AMSGrad(Adam):
    __doc__ = f"""Adam with ``amsgrad=True``; see :class:`Adam` for the update.

    Read more in the :ref:`User Guide <ug_optimisers>`.

    Parameters
    ----------
    {_adam_parameters(0.001)}

    Notes
    -----
    .. math::

        \\hat v_t = \\max(\\hat v_{{t-1}}, v_t), \\qquad
        p_t = p_{{t-1}} - \\eta \\frac{{\\sqrt{{1 - \\beta_2^t}}}}{{1 - \\beta_1^t}}
              \\frac{{m_t}}{{\\sqrt{{\\hat v_t}} + \\epsilon}}.

    Examples
    --------
    >>> AMSGrad(learning_rate=0.01).amsgrad
    True
    """

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-8):
        super().__init__(learning_rate, beta_1, beta_2, epsilon, amsgrad=True)


class AdaMax(_AdamFamily):
    __doc__ = f"""AdaMax, the infinity-norm variant of Adam (Kingma and Ba, 2015).

    Read more in the :ref:`User Guide <ug_optimisers>`.

    Parameters
    ----------
    {_adam_parameters(0.002, second_moment="infinity-norm estimate")}

    Notes
    -----
    With :math:`m_0 = u_0 = 0`,

    .. math::

        m_t = \\beta_1 m_{{t-1}} + (1 - \\beta_1) g_t, \\qquad
        u_t = \\max(\\beta_2 u_{{t-1}}, |g_t|),

        p_t = p_{{t-1}} - \\frac{{\\eta}}{{1 - \\beta_1^t}} \\frac{{m_t}}{{u_t + \\epsilon}}.

    A parameter whose gradients have all been zero has :math:`m_t = u_t = 0`; epsilon is what
    makes its step 0 rather than undefined.

    Examples
    --------
    {_one_step_example("AdaMax(learning_rate=0.1)", 6, "array([ 0.9, -1.9])")}
    """

    def _state_names(self):
        return ("_m", "_u")

    def _coefficients(self):
        beta_1 = float(self.beta_1)
        # m = (1 - beta_1) M for the stored sum M.
        step = float(self.learning_rate) * (1.0 - beta_1) / (1.0 - beta_1**self._t)
        return beta_1, float(self.beta_2), step, float(self.epsilon)

    def _step(self, params, grads, n_penalised, l1_factor, l2_factor):
        return kernels.adamax_step(params, grads, self._m, self._u, *self._coefficients(),
                                   n_penalised, l1_factor, l2_factor)


class Nadam(_AdamFamily):
    __doc__ = f"""Adam with Nesterov momentum, in Dozat's (2016) simplified form.

    Read more in the :ref:`User Guide <ug_optimisers>`.

    Parameters
    ----------
    {_adam_parameters(0.002)}

    Notes
    -----
    With :math:`m_t, v_t` as in :class:`Adam`,

    .. math::

        \\hat m_t = \\frac{{\\beta_1 m_t}}{{1 - \\beta_1^{{t+1}}}}
                  + \\frac{{(1 - \\beta_1) g_t}}{{1 - \\beta_1^t}}, \\qquad
        \\hat v_t = \\frac{{v_t}}{{1 - \\beta_2^t}},

        p_t = p_{{t-1}} - \\eta \\frac{{\\hat m_t}}{{\\sqrt{{\\hat v_t}} + \\epsilon}}.

    Examples
    --------
    {_one_step_example("Nadam(learning_rate=0.1)", 4, "array([ 0.8526, -1.8526])")}
    """

    def _state_names(self):
        return ("_m", "_v")

    def _coefficients(self):
        beta_1, beta_2, t = float(self.beta_1), float(self.beta_2), self._t
        # With M = m / (1 - beta_1) and V = v / (1 - beta_2), and the learning rate
        # folded into the numerator:
        # eta m_hat / (sqrt(v_hat) + eps) = (a M + b g) / (sqrt(V) + eps / root).
        root = math.sqrt((1.0 - beta_2) / (1.0 - beta_2**t))
        rate = float(self.learning_rate) / root
        a = rate * beta_1 * (1.0 - beta_1) / (1.0 - beta_1 ** (t + 1))
        b = rate * (1.0 - beta_1) / (1.0 - beta_1**t)
        return beta_1, beta_2, a, b, float(self.epsilon) / root

    def _step(self, params, grads, n_penalised, l1_factor, l2_factor):
        return kernels.nadam_step(params, grads, self._m, self._v, *self._coefficients(),
                                  n_penalised, l1_factor, l2_factor)


class AdaGrad(Optimiser):
    __doc__ = f"""AdaGrad (Duchi et al., 2011): per-parameter rates from accumulated squares.

    Read more in the :ref:`User Guide <ug_optimisers>`.

    Parameters
    ----------
    {_step_size(0.01)}
    {_EPSILON}

    Notes
    -----
    With :math:`G_0 = 0`,

    .. math::

        G_t = G_{{t-1}} + g_t^2, \\qquad
        p_t = p_{{t-1}} - \\eta \\frac{{g_t}}{{\\sqrt{{G_t}} + \\epsilon}}.

    Examples
    --------
    {_one_step_example("AdaGrad(learning_rate=0.1)", 6, "array([ 0.9, -1.9])")}
    """

    def __init__(self, learning_rate=0.01, epsilon=1e-8):
        self.epsilon = epsilon
        super().__init__(learning_rate)

    def _state_names(self):
        return ("_sum_squares",)

    def _coefficients(self):
        return float(self.learning_rate), float(self.epsilon)

    def _step(self, params, grads, n_penalised, l1_factor, l2_factor):
        return kernels.adagrad_step(params, grads, self._sum_squares, *self._coefficients(),
                                    n_penalised, l1_factor, l2_factor)


class RMSProp(Optimiser):
    __doc__ = f"""RMSProp (Tieleman and Hinton, 2012): AdaGrad with a decaying average.

    Read more in the :ref:`User Guide <ug_optimisers>`.

    Parameters
    ----------
    {_step_size(0.001)}
    rho : float, default=0.9
        Decay rate :math:`\\rho` of the mean square, in [0, 1).
    {_EPSILON}

    Notes
    -----
    With :math:`s_0 = 0`,

    .. math::

        s_t = \\rho s_{{t-1}} + (1 - \\rho) g_t^2, \\qquad
        p_t = p_{{t-1}} - \\eta \\frac{{g_t}}{{\\sqrt{{s_t}} + \\epsilon}}.

    Examples
    --------
    {_one_step_example("RMSProp(learning_rate=0.1, rho=0.0)", 6, "array([ 0.9, -1.9])")}
    """

    def __init__(self, learning_rate=0.001, rho=0.9, epsilon=1e-8):
        self.rho = rho
        self.epsilon = epsilon
        super().__init__(learning_rate)

    def _state_names(self):
        return ("_mean_square",)

    def _coefficients(self):
        rho = float(self.rho)
        # With the stored sum S = s / (1 - rho):
        # eta g / (sqrt(s) + eps) = (eta / root) g / (sqrt(S) + eps / root).
        root = math.sqrt(1.0 - rho)
        return rho, float(self.learning_rate) / root, float(self.epsilon) / root

    def _step(self, params, grads, n_penalised, l1_factor, l2_factor):
        return kernels.rmsprop_step(params, grads, self._mean_square, *self._coefficients(),
                                    n_penalised, l1_factor, l2_factor)


class Adadelta(Optimiser):
    __doc__ = f"""Adadelta (Zeiler, 2012): steps scaled by the RMS of past steps.

    Read more in the :ref:`User Guide <ug_optimisers>`.

    Parameters
    ----------
    learning_rate : float, default=1.0
        Multiplier :math:`\\eta` of the step; Zeiler's method has none, which is 1.
    rho : float, default=0.95
        Decay rate :math:`\\rho` of both running averages, in [0, 1).
    epsilon : float, default=1e-6
        Added inside both square roots; it also sets the size of the first steps.

    Notes
    -----
    With :math:`E[g^2]_0 = E[\\Delta p^2]_0 = 0`,

    .. math::

        E[g^2]_t = \\rho E[g^2]_{{t-1}} + (1 - \\rho) g_t^2,

        \\Delta p_t = -\\frac{{\\sqrt{{E[\\Delta p^2]_{{t-1}} + \\epsilon}}}}
                          {{\\sqrt{{E[g^2]_t + \\epsilon}}}} g_t,

        E[\\Delta p^2]_t = \\rho E[\\Delta p^2]_{{t-1}} + (1 - \\rho) \\Delta p_t^2,
        \\qquad p_t = p_{{t-1}} + \\eta \\Delta p_t.

    Examples
    --------
    {_one_step_example("Adadelta(rho=0.0, epsilon=1e-2)", 4, "array([ 0.9001, -1.9019])")}
    """

    # Zeiler's rule has no learning rate (the schedule scales its steps from 1) and its own
    # epsilon, not Adam's: an estimator's learning_rate_init and epsilon are not for it.
    shared_settings_ignored = ("learning_rate", "epsilon")

    def __init__(self, learning_rate=1.0, rho=0.95, epsilon=1e-6):
        self.rho = rho
        self.epsilon = epsilon
        super().__init__(learning_rate)

    def _state_names(self):
        return ("_mean_square", "_mean_square_step")

    def _coefficients(self):
        rho = float(self.rho)
        # Both averages are stored as sums S = E / (1 - rho); the ratio of the two
        # square roots is unchanged when epsilon is divided by (1 - rho) too.
        return rho, float(self.epsilon) / (1.0 - rho), float(self.learning_rate)

    def _step(self, params, grads, n_penalised, l1_factor, l2_factor):
        return kernels.adadelta_step(params, grads, self._mean_square, self._mean_square_step,
                                     *self._coefficients(), n_penalised, l1_factor, l2_factor)


OPTIMISERS = {
    "sgd": SGD,
    "adam": Adam,
    "amsgrad": AMSGrad,
    "adamax": AdaMax,
    "nadam": Nadam,
    "adagrad": AdaGrad,
    "rmsprop": RMSProp,
    "adadelta": Adadelta,
}


def make_optimiser(name, learning_rate, *, momentum=None, nesterovs_momentum=None,
                   beta_1=None, beta_2=None, epsilon=None, rho=None, from_estimator=False):
    """Build the named optimiser from a flat set of hyperparameters.

    Read more in the :ref:`User Guide <ug_optimisers_parameters>`.

    Each optimiser receives only the hyperparameters its constructor takes; the
    others are ignored, and ``None`` leaves that optimiser's own default.

    Parameters
    ----------
    name : {'sgd', 'adam', 'amsgrad', 'adamax', 'nadam', 'adagrad', 'rmsprop', \
'adadelta'}
        Key of :data:`OPTIMISERS`.
    learning_rate : float
        Initial step size.
    momentum : float, default=None
        For 'sgd'.
    nesterovs_momentum : bool, default=None
        For 'sgd' (its ``nesterov`` argument).
    beta_1, beta_2 : float, default=None
        For 'adam', 'amsgrad', 'adamax' and 'nadam'.
    epsilon : float, default=None
        For every optimiser except 'sgd'.
    rho : float, default=None
        For 'rmsprop' and 'adadelta'.
    from_estimator : bool, default=False
        The hyperparameters are an estimator's, shared by every solver: those the
        optimiser lists in ``shared_settings_ignored`` keep its own defaults.

    Returns
    -------
    optimiser : Optimiser
        A new optimiser with no state.

    Raises
    ------
    ValueError
        If ``name`` is not a key of :data:`OPTIMISERS`.

    Examples
    --------
    >>> make_optimiser('rmsprop', 0.01, momentum=0.9, rho=0.5, epsilon=1e-7)
    RMSProp(learning_rate=0.01, rho=0.5, epsilon=1e-07)
    >>> make_optimiser('adadelta', 0.01, epsilon=1e-8, from_estimator=True)
    Adadelta(learning_rate=1.0, rho=0.95, epsilon=1e-06)
    """
    settings = dict(
        learning_rate=learning_rate, momentum=momentum, nesterov=nesterovs_momentum,
        beta_1=beta_1, beta_2=beta_2, epsilon=epsilon, rho=rho,
    )
    cls = OPTIMISERS.get(name) if isinstance(name, str) else None
    if from_estimator and cls is not None:
        defaults = inspect.signature(cls).parameters
        for setting in cls.shared_settings_ignored:
            settings[setting] = defaults[setting].default
    return build_from_registry(
        "optimiser", OPTIMISERS, name, settings.pop("learning_rate"), **settings
    )

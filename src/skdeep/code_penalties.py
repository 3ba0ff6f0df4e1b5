"""Penalties on an autoencoder's code: sparsity (KL or L1) and contraction (Rifai et al., 2011).

Besides a bottleneck and denoising, the two ways of keeping an autoencoder from learning the
identity. Both are one layer, :class:`CodePenalty`, placed right after the encoder block: it is
the identity on the code, remembers the code of a training batch, and its value joins the
batch's objective through ``Network.code_penalty`` (which
``_training.forward_backward`` calls, so the mini-batch loss, L-BFGS and the gradient checker
all see it). Its backward pass adds the penalty's gradient with respect to the code to the
decoder's, so that it reaches the encoder through the block's own backward pass; the one term
that does not pass through the code (the contraction's ``||W_:j||^2``) is written into the
encoder's weight gradient directly.

With sample weights ``w``, every mean over the batch is a weighted mean, ``sum_n w_n (.) / sum_n
w_n``, as the reconstruction loss is: a sample of weight 2 counts as the same sample twice.

Notation: ``x`` the encoder's input, ``a = x W + b`` its pre-activation, ``h = f(a)`` the code
(``n_code`` units), ``c_j = sum_i W_ij^2`` the squared norm of unit ``j``'s filter.

- sparsity, logistic code: ``beta sum_j KL(rho || rho_hat_j)`` with ``rho_hat_j`` the batch
  mean of ``h_j``; ``d/dh_nj = beta w~_n ((1 - rho) / (1 - rho_hat_j) - rho / rho_hat_j)``.
- sparsity, any other code: ``beta mean_n sum_j |h_nj|``; ``d/dh_nj = beta w~_n sign(h_nj)``.
- contraction: ``lambda mean_n ||dh_n/dx_n||_F^2 = lambda mean_n sum_j f'(a_nj)^2 c_j``. Its
  gradient with respect to ``a_nj`` is ``2 lambda w~_n f'(a_nj) f''(a_nj) c_j``; the block's
  backward multiplies what it receives for ``h`` by ``f'(a)``, so the layer hands it
  ``2 lambda w~_n f''(a_nj) c_j`` (no division by ``f'``, which may vanish). The direct term is
  ``d/dW_ij = 2 lambda W_ij mean_n f'(a_nj)^2``.

``w~_n = w_n / sum w`` (``1 / N`` without weights). ``f'`` and ``f''`` are written as functions of
the code ``h`` (the activations' own convention, ``skdeep.activations``).
"""

from numbers import Real

import numpy as np
from sklearn.utils._param_validation import Interval

from .layers import Layer

CODE_PENALTY_CONSTRAINTS = {
    "sparsity_weight": [Interval(Real, 0, None, closed="left")],
    "sparsity_target": [Interval(Real, 0, 1, closed="neither")],
    "contraction": [Interval(Real, 0, None, closed="left")],
}


def _first_and_second_derivatives(name, h):
    """``(f'(a), f''(a))`` of activation ``name``, from its output ``h = f(a)``.

    The table of the closed forms (``s`` the logistic function, ``e`` the exponential):

    ==========  ==========================  =====================================
    name        f' from h                   f'' from h
    ==========  ==========================  =====================================
    identity    1                           0
    logistic    h (1 - h)                   h (1 - h) (1 - 2 h)
    tanh        1 - h^2                     -2 h (1 - h^2)
    relu        1 if h > 0 else 0           0 (almost everywhere)
    leaky_relu  1 if h > 0 else 0.01        0 (almost everywhere)
    elu         1 if h > 0 else h + 1       0 if h > 0 else h + 1
    softplus    1 - e^-h  (= s(a))          (1 - e^-h) e^-h  (= s(a) (1 - s(a)))
    ==========  ==========================  =====================================
    """
    one, zero = np.ones_like(h), np.zeros_like(h)
    if name == "identity":
        return one, zero
    if name == "logistic":
        first = h * (1 - h)
        return first, first * (1 - 2 * h)
    if name == "tanh":
        first = 1 - h * h
        return first, -2 * h * first
    if name == "relu":
        return (h > 0).astype(h.dtype), zero
    if name == "leaky_relu":
        return np.where(h > 0, one, np.asarray(0.01, dtype=h.dtype)), zero
    if name == "elu":
        below = h <= 0
        return np.where(below, h + 1, one), np.where(below, h + 1, zero)
    if name == "softplus":
        tail = np.exp(-h)
        first = -np.expm1(-h)
        return first, first * tail
    raise ValueError(f"No closed-form derivatives for the activation {name!r}.")


def check_code_penalties(estimator):
    """Refuse the code penalties' combinations that have no honest meaning.

    Raises
    ------
    ValueError
        For ``contraction > 0`` with ``batch_norm=True``: the encoder's Jacobian then goes
        through the batch's statistics while training and the running ones at transform time,
        so the closed form of a one-layer encoder is not the Jacobian of either.
    """
    if estimator.contraction > 0 and estimator.batch_norm:
        raise ValueError(
            "contraction > 0 needs batch_norm=False: the contractive penalty is the closed-form "
            "Jacobian of a Dense -> activation encoder, which batch normalisation of the code "
            f"would change. Got contraction={estimator.contraction!r} with batch_norm=True."
        )


class CodePenalty(Layer):
    """The identity on an encoder's code, with a sparsity and a contractive penalty on it.

    Read more in the :ref:`User Guide <ug_autoencoders>`.

    Parameters
    ----------
    encoder : HiddenBlock
        The block whose output is the code. With a contraction, its dense layer's weight
        gradient receives the penalty's direct term: build this layer after any decoder tied
        to the same weights (which writes that gradient first), as
        ``code_penalty_layers`` does.
    sparsity_weight : float
        ``beta``: the strength of the sparsity penalty.
    sparsity_target : float
        ``rho``: the target mean activation of a logistic code unit, in (0, 1).
    contraction : float
        ``lambda``: the strength of the contractive penalty.
    """

    role = "code_penalty"

    def __init__(self, encoder, sparsity_weight=0.0, sparsity_target=0.05, contraction=0.0):
        self.encoder = encoder
        self.sparsity_weight = sparsity_weight
        self.sparsity_target = sparsity_target
        self.contraction = contraction
        dense = encoder.dense
        # The weight gradient's first writer overwrites it, the later ones add: a tied decoder,
        # already built, writes before this layer's backward, the encoder's dense layer after.
        self._adds_to_weight_gradient = dense.shares_weights
        if contraction > 0:
            dense.shares_weights = True

    @property
    def activation(self):
        """The name of the code's activation."""
        return self.encoder.activation.name

    def forward(self, X, training=False, rng=None):
        if training:
            self._cache_code = X
        return X

    def penalty(self, sample_weight=None):
        """The penalty's value on the last training batch; keep its gradient for ``backward``.

        Parameters
        ----------
        sample_weight : ndarray of shape (n_samples,), default=None
            The batch's sample weights.

        Returns
        -------
        value : float
        """
        h = self._cache_code
        dtype = h.dtype
        n_samples = h.shape[0]
        if sample_weight is None:
            # A scalar broadcasts like a column of equal weights, without allocating it.
            weights = dtype.type(1.0 / n_samples)
        else:
            weights = (sample_weight / sample_weight.sum()).astype(dtype)[:, np.newaxis]
        value, grad_code = 0.0, np.zeros_like(h)
        if self.sparsity_weight > 0:
            value += self._sparsity(h, weights, grad_code)
        self._cache_weight_scale = None
        if self.contraction > 0:
            value += self._contraction(h, weights, grad_code)
        self._cache_grad_code = grad_code
        return value

    def _sparsity(self, h, weights, grad_code):
        beta = self.sparsity_weight
        if self.activation != "logistic":
            grad_code += beta * weights * np.sign(h)
            return beta * float(np.sum(weights * np.abs(h)))
        rho = self.sparsity_target
        # A saturated unit's mean can round to 0 or 1; keep the logarithms finite.
        tiny = np.finfo(h.dtype).eps
        rho_hat = np.clip(np.sum(weights * h, axis=0), tiny, 1 - tiny)
        kl = rho * np.log(rho / rho_hat) + (1 - rho) * np.log((1 - rho) / (1 - rho_hat))
        grad_code += beta * weights * ((1 - rho) / (1 - rho_hat) - rho / rho_hat)
        return beta * float(np.sum(kl))

    def _contraction(self, h, weights, grad_code):
        lam = self.contraction
        W = self.encoder.dense.weights
        filter_norms = np.einsum("ij,ij->j", W, W)
        first, second = _first_and_second_derivatives(self.activation, h)
        mean_squared_slope = np.sum(weights * first * first, axis=0)
        grad_code += (2 * lam) * weights * second * filter_norms
        # The direct term 2 lambda W_ij <f'(a_j)^2> is applied in backward, straight into the
        # weight gradient: only its per-unit scale is kept, not a matrix the size of W.
        self._cache_weight_scale = (2 * lam) * mean_squared_slope
        return lam * float(mean_squared_slope @ filter_norms)

    def backward(self, grad_output):
        grad_output += self._cache_grad_code
        scale = self._cache_weight_scale
        if scale is not None:
            dense = self.encoder.dense
            if self._adds_to_weight_gradient:
                dense.grad_weights += dense.weights * scale
            else:
                np.multiply(dense.weights, scale, out=dense.grad_weights)
        return grad_output


def code_penalty_layers(estimator, encoder):
    """The layers to insert after ``encoder`` for the estimator's code penalties (none at 0).

    Call it after building any decoder tied to the encoder (see :class:`CodePenalty`). With
    both strengths at 0 the network is exactly the one without penalties.
    """
    if estimator.sparsity_weight == 0 and estimator.contraction == 0:
        return []
    return [
        CodePenalty(
            encoder, sparsity_weight=estimator.sparsity_weight,
            sparsity_target=estimator.sparsity_target, contraction=estimator.contraction,
        )
    ]

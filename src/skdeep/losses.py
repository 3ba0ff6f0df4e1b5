"""Losses that own the output non-linearity.

A network always ends in a linear layer producing raw scores ``s``; the loss applies the output
activation itself. For each pair below the gradient of the per-sample loss with respect to ``s`` is
simply ``output(s) - y`` (the "canonical link"), so it is computed without ever differentiating
through a softmax or a sigmoid, and the value is computed from ``s`` directly in a form that cannot
overflow or take the log of zero:

=========================  ===================  ==============================================
loss                       output activation    per-sample value from the scores
=========================  ===================  ==============================================
SoftmaxCrossEntropy        softmax              logsumexp(s) - sum(y * s)
SigmoidCrossEntropy        logistic             sum(max(s, 0) - y s + log1p(exp(-|s|)))
SquaredError               identity             sum((s - y)^2) / 2
Poisson (half deviance)    exp                  sum(exp(s) - y s + y log y - y)
=========================  ===================  ==============================================

The value returned is the (sample-weighted) mean over the batch of the per-sample values, and the
gradient is ``w_i (output(s_i) - y_i) / sum(w)`` (``w = 1`` without sample weights), which is exactly
the gradient of that mean.

The softmax and sigmoid cross-entropies and the squared error are each one compiled kernel over
the rows (:mod:`skdeep._kernels._losses`): the value, and the gradient written into the
scores' buffer, in one pass a block of rows at a time. The Poisson deviance, rare, stays in
NumPy. The outputs (``predict_proba``) use the kernels too.
"""

import numpy as np
from scipy.special import xlogy

from ._kernels._losses import (
    log_softmax,
    sigmoid_cross_entropy,
    softmax,
    softmax_cross_entropy,
    squared_error,
)
from .activations import ACTIVATIONS

_logistic = ACTIVATIONS["logistic"][0]
_softplus = ACTIVATIONS["softplus"][0]


class Loss:
    """Base class: the targets and weights in the scores' type, for the loss's kernel.

    Subclasses set ``_kernel(scores, Y, sample_weight) -> value``, which writes the gradient into
    ``scores``, and implement ``output(scores)``.
    """

    output_activation = None

    def value_and_gradient(self, scores, Y, sample_weight=None):
        """Return the mean loss of a batch and its gradient with respect to the scores.

        Parameters
        ----------
        scores : ndarray of shape (n_samples, n_outputs)
            Raw network outputs (C-contiguous). Overwritten: the gradient is built in its
            buffer.
        Y : ndarray of shape (n_samples, n_outputs)
            Targets (one-hot or indicator for classification).
        sample_weight : ndarray of shape (n_samples,), default=None

        Returns
        -------
        value : float
        gradient : ndarray of shape (n_samples, n_outputs)
            ``scores`` itself.
        """
        Y = np.ascontiguousarray(Y, dtype=scores.dtype)
        if sample_weight is not None:
            sample_weight = np.ascontiguousarray(sample_weight, dtype=scores.dtype)
        return float(self._kernel(scores, Y, sample_weight)), scores


class SoftmaxCrossEntropy(Loss):
    """Multiclass log-loss over a softmax output."""

    output_activation = "softmax"
    # logsumexp(s) - y . s from s - max(s), so exp never overflows.
    _kernel = staticmethod(softmax_cross_entropy)

    def output(self, scores):
        """Return softmax probabilities (computed in place)."""
        softmax(scores)
        return scores

    def log_output(self, scores):
        """Return log-probabilities with a stable log-sum-exp (computed in place)."""
        log_softmax(scores)
        return scores


class SigmoidCrossEntropy(Loss):
    """Binary / multilabel log-loss (Bernoulli cross-entropy) over a logistic output.

    Targets may be any values in [0, 1] (autoencoder reconstructions of intensities).
    """

    output_activation = "logistic"
    # softplus(s) - y s = max(s, 0) + log1p(exp(-|s|)) - y s: no overflow, and the gradient's
    # sigmoid comes from the same exp(-|s|).
    _kernel = staticmethod(sigmoid_cross_entropy)

    def output(self, scores):
        """Return probabilities (computed in place), precise in both tails."""
        return _logistic(scores, scores)

    def log_output(self, scores):
        """Return log-probabilities of the positive class, ``-softplus(-s)`` (in place)."""
        np.negative(scores, out=scores)
        _softplus(scores, scores)
        return np.negative(scores, out=scores)


class SquaredError(Loss):
    """Half squared error over an identity output."""

    output_activation = "identity"
    _kernel = staticmethod(squared_error)

    def output(self, scores):
        """Return the scores unchanged."""
        return scores


class Poisson(Loss):
    """Half Poisson deviance over an exponential output (targets must be non-negative)."""

    output_activation = "exp"

    def value_and_gradient(self, scores, Y, sample_weight=None):
        # Rarely used, so left in NumPy: exp of unbounded scores, a few passes.
        predicted = np.exp(scores)
        per_sample = (predicted - Y * scores + xlogy(Y, Y) - Y).sum(axis=1)
        gradient = np.subtract(predicted, Y, out=scores)
        if sample_weight is None:
            gradient *= 1.0 / scores.shape[0]
            return float(per_sample.mean()), gradient
        weights = sample_weight / sample_weight.sum()
        gradient *= weights[:, np.newaxis]
        return float(per_sample @ weights), gradient

    def output(self, scores):
        """Return ``exp(scores)`` (computed in place)."""
        return np.exp(scores, out=scores)


LOSSES = {
    "softmax": SoftmaxCrossEntropy,
    "logistic": SigmoidCrossEntropy,
    "identity": SquaredError,
    "exp": Poisson,
}

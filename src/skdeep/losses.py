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
"""

import numpy as np
from scipy.special import expit, xlogy

from .activations import ACTIVATIONS

_logistic = ACTIVATIONS["logistic"][0]


class Loss:
    """Base class: weighted averaging shared by every loss.

    Subclasses implement ``_per_sample_and_residual(scores, Y)``, returning the per-sample losses and
    ``output(scores) - Y`` (computed in the scores' buffer where possible), and ``output(scores)``.
    """

    output_activation = None

    def value_and_gradient(self, scores, Y, sample_weight=None):
        """Return the mean loss of a batch and its gradient with respect to the scores.

        Parameters
        ----------
        scores : ndarray of shape (n_samples, n_outputs)
            Raw network outputs. May be overwritten: the gradient is built in its buffer.
        Y : ndarray of shape (n_samples, n_outputs)
            Targets (one-hot or indicator for classification).
        sample_weight : ndarray of shape (n_samples,), default=None

        Returns
        -------
        value : float
        gradient : ndarray of shape (n_samples, n_outputs)
        """
        per_sample, gradient = self._per_sample_and_residual(scores, Y)
        if sample_weight is None:
            gradient *= 1.0 / scores.shape[0]
            return float(per_sample.mean()), gradient
        weights = sample_weight / sample_weight.sum()
        gradient *= weights[:, np.newaxis]
        return float(per_sample @ weights), gradient


class SoftmaxCrossEntropy(Loss):
    """Multiclass log-loss over a softmax output."""

    output_activation = "softmax"

    def _per_sample_and_residual(self, scores, Y):
        scores -= scores.max(axis=1, keepdims=True)
        log_normaliser = np.log(np.exp(scores).sum(axis=1))
        per_sample = log_normaliser - np.einsum("ij,ij->i", Y, scores)
        scores -= log_normaliser[:, np.newaxis]
        np.exp(scores, out=scores)
        scores -= Y
        return per_sample, scores

    def output(self, scores):
        """Return softmax probabilities (computed in place)."""
        scores -= scores.max(axis=1, keepdims=True)
        np.exp(scores, out=scores)
        scores /= scores.sum(axis=1, keepdims=True)
        return scores

    def log_output(self, scores):
        """Return log-probabilities with a stable log-sum-exp (computed in place)."""
        scores -= scores.max(axis=1, keepdims=True)
        scores -= np.log(np.exp(scores).sum(axis=1, keepdims=True))
        return scores


class SigmoidCrossEntropy(Loss):
    """Binary / multilabel log-loss (Bernoulli cross-entropy) over a logistic output.

    Targets may be any values in [0, 1] (autoencoder reconstructions of intensities).
    """

    output_activation = "logistic"

    def _per_sample_and_residual(self, scores, Y):
        # log1p(exp(-|s|)) + max(s, 0) is softplus(s) without overflow; two full-size temporaries.
        elementwise = np.abs(scores)
        np.negative(elementwise, out=elementwise)
        np.exp(elementwise, out=elementwise)
        np.log1p(elementwise, out=elementwise)
        elementwise += np.maximum(scores, 0)
        per_sample = elementwise.sum(axis=1) - np.einsum("ij,ij->i", Y, scores)
        # The gradient only needs the probabilities to a rounding unit, so it takes the fast
        # logistic of the activations (``output`` keeps scipy's expit, accurate for tiny values).
        gradient = _logistic(scores, out=scores)
        gradient -= Y
        return per_sample, gradient

    def output(self, scores):
        """Return probabilities (computed in place)."""
        return expit(scores, out=scores)

    def log_output(self, scores):
        """Return log-probabilities of the positive class, ``-softplus(-s)``."""
        return np.negative(np.logaddexp(0, -scores), out=scores)


class SquaredError(Loss):
    """Half squared error over an identity output."""

    output_activation = "identity"

    def _per_sample_and_residual(self, scores, Y):
        scores -= Y
        per_sample = 0.5 * np.einsum("ij,ij->i", scores, scores)
        return per_sample, scores

    def output(self, scores):
        """Return the scores unchanged."""
        return scores


class Poisson(Loss):
    """Half Poisson deviance over an exponential output (targets must be non-negative)."""

    output_activation = "exp"

    def _per_sample_and_residual(self, scores, Y):
        predicted = np.exp(scores)
        per_sample = (predicted - Y * scores + xlogy(Y, Y) - Y).sum(axis=1)
        predicted -= Y
        return per_sample, predicted

    def output(self, scores):
        """Return ``exp(scores)`` (computed in place)."""
        return np.exp(scores, out=scores)


LOSSES = {
    "softmax": SoftmaxCrossEntropy,
    "logistic": SigmoidCrossEntropy,
    "identity": SquaredError,
    "exp": Poisson,
}

"""Weight penalties on the flat block of weight matrices (biases and batch-norm parameters are free).

Both follow scikit-learn's scaling of ``alpha``: the penalty of a batch is divided by the batch's
total sample weight (its size without weights), so that ``alpha`` means the same whatever the batch
size. With ``s = 1 / sum(w)``:

- L2: value ``s * alpha / 2 * ||W||^2``, gradient ``s * alpha * W``;
- L1: value ``s * l1 * |W|_1``, gradient ``s * l1 * sign(W)`` (0 at 0, a subgradient).
"""

import numpy as np


class WeightPenalty:
    """L2 and L1 penalties on the weights.

    Parameters
    ----------
    alpha : float, default=0.0
        Strength of the L2 term.
    l1 : float, default=0.0
        Strength of the L1 term.
    """

    def __init__(self, alpha=0.0, l1=0.0):
        self.alpha = alpha
        self.l1 = l1

    def weight_decay(self, n_weights, scale):
        """The L2 term as an optimiser's coupled weight decay: ``(n_weights, alpha * scale)``.

        The mini-batch loop hands this to ``Optimiser.update``, which adds the L2 gradient inside
        its own sweep; None without an L2 term.
        """
        return (n_weights, float(self.alpha * scale)) if self.alpha else None

    def l2_value(self, squares, scale):
        """The L2 term's value from ``squares = ||W||^2`` (as ``Optimiser.update`` returns it)."""
        return 0.5 * self.alpha * scale * squares

    def apply(self, weights, grad_weights, scale, include_l2=True):
        """Add the penalty's gradient to ``grad_weights`` in place and return its value.

        Parameters
        ----------
        weights : ndarray of shape (n_weights,)
            The flat weight block of the network.
        grad_weights : ndarray of shape (n_weights,)
            The matching block of the flat gradient, updated in place.
        scale : float
            ``1 / sum(sample_weight)`` of the batch.
        include_l2 : bool, default=True
            False when the optimiser applies the L2 term as weight decay (see
            :meth:`weight_decay`); only the L1 term is applied then.

        Returns
        -------
        value : float
        """
        value = 0.0
        if self.alpha and include_l2:
            # Full-batch use only (L-BFGS, gradient checks): the mini-batch loop hands the L2 term
            # to the optimiser's cache-blocked sweep instead (``weight_decay``).
            factor = float(self.alpha * scale)
            value += 0.5 * factor * float(np.dot(weights, weights))
            grad_weights += factor * weights
        if self.l1:
            value += self.l1 * scale * float(np.abs(weights).sum())
            grad_weights += (self.l1 * scale) * np.sign(weights)
        return value

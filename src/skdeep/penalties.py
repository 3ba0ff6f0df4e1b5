"""Weight penalties on the flat block of weight matrices (biases and batch-norm parameters are free).

Each penalty term has one entry point, ``add_gradient(weights, grad_weights, scale, work=None)``:
it adds its gradient to ``grad_weights`` in place and returns its value (``work`` is scratch space
of the same shape that it may overwrite). Every caller uses it the same way, on the whole weight
block (L-BFGS, the gradient checker) or on consecutive slices of it (the mini-batch loop's sweep);
a term's value and gradient are sums over the entries, so slices add up to the whole.

The terms follow scikit-learn's scaling of ``alpha``: the penalty of a batch is divided by the
batch's total sample weight (its size without weights), so that ``alpha`` means the same whatever
the batch size. With ``s = 1 / sum(w)``:

- L2: value ``s * alpha / 2 * ||W||^2``, gradient ``s * alpha * W``;
- L1: value ``s * l1 * |W|_1``, gradient ``s * l1 * sign(W)`` (0 at 0, a subgradient).
"""

import numpy as np


class _Term:
    """Base of the penalty terms: a strength, and ``add_gradient`` in the subclass."""

    def __init__(self, strength):
        self.strength = strength


# The Parameters section of each term, naming the estimator parameter that sets its strength.
_STRENGTH = """Parameters
    ----------
    strength : float
        Strength of the term: the estimator's ``{}``."""


class L2(_Term):
    __doc__ = f"""The squared L2 norm of the weights, scikit-learn's ``alpha`` term.

    {_STRENGTH.format("alpha")}

    Examples
    --------
    >>> import numpy as np
    >>> gradient = np.zeros(2)
    >>> L2(0.5).add_gradient(np.array([1.0, -2.0]), gradient, 1.0)
    1.25
    >>> gradient
    array([ 0.5, -1. ])
    """

    def add_gradient(self, weights, grad_weights, scale, work=None):
        """Add ``scale * strength * weights`` to ``grad_weights``; return the term's value."""
        factor = float(self.strength * scale)
        work = np.empty_like(weights) if work is None else work
        np.multiply(weights, factor, out=work)
        grad_weights += work
        return 0.5 * factor * float(np.dot(weights, weights))


class L1(_Term):
    __doc__ = f"""The L1 norm of the weights.

    {_STRENGTH.format("l1")}

    Examples
    --------
    >>> import numpy as np
    >>> gradient = np.zeros(3)
    >>> L1(0.5).add_gradient(np.array([1.0, -2.0, 0.0]), gradient, 1.0)
    1.5
    >>> gradient
    array([ 0.5, -0.5,  0. ])
    """

    def add_gradient(self, weights, grad_weights, scale, work=None):
        """Add ``scale * strength * sign(weights)`` to ``grad_weights``; return the term's value."""
        factor = self.strength * scale
        work = np.empty_like(weights) if work is None else work
        np.sign(weights, out=work)
        work *= factor
        grad_weights += work
        return factor * float(np.abs(weights, out=work).sum())


class WeightPenalty:
    """The sum of penalty terms on the weights, applied through one entry point.

    Parameters
    ----------
    *terms : penalty terms
        Objects with ``add_gradient(weights, grad_weights, scale) -> value``, such as
        :class:`L1` and :class:`L2`; their gradients are added in this order. None: no penalty.

    Examples
    --------
    >>> import numpy as np
    >>> gradient = np.zeros(2)
    >>> WeightPenalty(L1(0.5), L2(0.5)).add_gradient(np.array([1.0, -2.0]), gradient, 1.0)
    2.75
    >>> gradient
    array([ 1. , -1.5])
    """

    def __init__(self, *terms):
        self.terms = terms

    def add_gradient(self, weights, grad_weights, scale, work=None):
        """Add the penalty's gradient to ``grad_weights`` in place and return its value.

        Parameters
        ----------
        weights : ndarray of shape (n_weights,)
            The flat weight block of the network, or a slice of it.
        grad_weights : ndarray of shape (n_weights,)
            The matching block of the flat gradient, updated in place.
        scale : float
            ``1 / sum(sample_weight)`` of the batch.
        work : ndarray of shape (n_weights,), default=None
            Scratch space the terms may overwrite; None allocates it. The mini-batch loop lends
            the optimiser's scratch block, so the sweep touches no more memory than the step.

        Returns
        -------
        value : float
        """
        if work is None and self.terms:
            work = np.empty_like(weights)
        value = 0.0
        for term in self.terms:
            value += term.add_gradient(weights, grad_weights, scale, work)
        return value


def make_penalty(alpha=0.0, l1=0.0):
    """The estimators' penalty: an :class:`L1` and an :class:`L2` term, those with a strength.

    Parameters
    ----------
    alpha : float, default=0.0
        Strength of the L2 term.
    l1 : float, default=0.0
        Strength of the L1 term.

    Returns
    -------
    penalty : WeightPenalty
        Without terms when both strengths are 0 (callers may then skip the weights).

    Examples
    --------
    >>> [type(term).__name__ for term in make_penalty(alpha=1e-4).terms]
    ['L2']
    """
    # L1 before L2: the order in which the mini-batch loop has always added the two gradients.
    return WeightPenalty(*(term for term in (L1(l1), L2(alpha)) if term.strength))

"""Weight penalties on the flat block of weight matrices (biases and batch-norm parameters are free).

Each penalty term has one entry point, ``add_gradient(weights, grad_weights, scale)``: it adds its
gradient to ``grad_weights`` in place and returns its value. L-BFGS and the gradient checker call
it on the whole weight block (``_training.objective``); a term's value and gradient are sums over
the entries.

The mini-batch loop fuses the L1 and L2 terms into the optimiser's step instead
(``_training.penalised_step``): the penalty tells their strengths (:meth:`WeightPenalty.
fused_strengths`), the optimiser's kernel adds their gradient entry by entry as it steps and
returns the weights' norms, and the penalty computes its value from those
(:meth:`WeightPenalty.value_from_norms`), with the formula ``add_gradient`` uses.

The terms follow scikit-learn's scaling of ``alpha``: the penalty of a batch is divided by the
batch's total sample weight (its size without weights), so that ``alpha`` means the same whatever
the batch size. With ``s = 1 / sum(w)``:

- L2: value ``s * alpha / 2 * ||W||^2``, gradient ``s * alpha * W``;
- L1: value ``s * l1 * |W|_1``, gradient ``s * l1 * sign(W)`` (0 at 0, a subgradient).
"""

from ._kernels._optimisers import add_penalty_gradient


class _Term:
    """Base of the penalty terms the kernels know: a strength, and the term's value from norms.

    A term adds its gradient in one pass of the penalty kernel, which also returns the weights'
    norms ``(sum(|W|), sum(W ** 2))``; the subclass says which of the two strengths it sets
    (``fused_strengths``) and how its value follows from the norms (``value_from_norms``).
    """

    def __init__(self, strength):
        self.strength = strength

    def add_gradient(self, weights, grad_weights, scale):
        """Add ``scale`` times the term's gradient to ``grad_weights``; return the term's value.

        Parameters
        ----------
        weights : ndarray of shape (n_weights,)
            The flat weight block of the network, C-contiguous; only read.
        grad_weights : ndarray of shape (n_weights,)
            The matching block of the flat gradient (same dtype), updated in place.
        scale : float
            ``1 / sum(sample_weight)`` of the batch.

        Returns
        -------
        value : float
        """
        l1, l2 = self.fused_strengths()
        norms = add_penalty_gradient(weights, grad_weights, l1 * scale, l2 * scale)
        return self.value_from_norms(*norms, scale)


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

    def fused_strengths(self):
        """Return ``(l1, l2)``, the strengths of ``sign(W)`` and ``W`` in the gradient."""
        return 0.0, self.strength

    def value_from_norms(self, l1_norm, squared_l2_norm, scale):
        """Return ``scale * strength / 2 * ||W||^2`` from the weights' norms."""
        return 0.5 * float(self.strength * scale) * squared_l2_norm


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

    def fused_strengths(self):
        """Return ``(l1, l2)``, the strengths of ``sign(W)`` and ``W`` in the gradient."""
        return self.strength, 0.0

    def value_from_norms(self, l1_norm, squared_l2_norm, scale):
        """Return ``scale * strength * |W|_1`` from the weights' norms."""
        return float(self.strength * scale) * l1_norm


class WeightPenalty:
    """The sum of penalty terms on the weights, applied through one entry point.

    Parameters
    ----------
    *terms : penalty terms
        Objects with ``add_gradient(weights, grad_weights, scale) -> value``, such as
        :class:`L1` and :class:`L2`; their gradients are added in this order. None: no penalty.
        A term that also has ``fused_strengths`` and ``value_from_norms`` (as L1 and L2 do) can
        be fused into the optimiser's step.

    Examples
    --------
    >>> import numpy as np
    >>> gradient = np.zeros(2)
    >>> penalty = WeightPenalty(L1(0.5), L2(0.5))
    >>> penalty.add_gradient(np.array([1.0, -2.0]), gradient, 1.0)
    2.75
    >>> gradient
    array([ 1. , -1.5])
    """

    def __init__(self, *terms):
        self.terms = terms

    def fused_strengths(self):
        """Return the total strengths ``(l1, l2)`` of ``sign(W)`` and ``W`` in the gradient.

        What a kernel needs to add the penalty's gradient itself, as the optimiser's step does.

        Returns
        -------
        strengths : tuple of float, or None
            ``(0.0, 0.0)`` without terms; None if a term is neither an L1 nor an L2 term (it
            has no ``fused_strengths``), so that only its own ``add_gradient`` can apply it.
        """
        l1 = l2 = 0.0
        for term in self.terms:
            if not hasattr(term, "fused_strengths"):
                return None
            term_l1, term_l2 = term.fused_strengths()
            l1 += term_l1
            l2 += term_l2
        return l1, l2

    def value_from_norms(self, l1_norm, squared_l2_norm, scale):
        """Return the penalty's value given the weights' norms.

        Parameters
        ----------
        l1_norm, squared_l2_norm : float
            ``sum(|W|)`` and ``sum(W ** 2)``, as the kernels return them.
        scale : float
            ``1 / sum(sample_weight)`` of the batch.

        Returns
        -------
        value : float
        """
        value = 0.0
        for term in self.terms:
            value += term.value_from_norms(l1_norm, squared_l2_norm, scale)
        return value

    def add_gradient(self, weights, grad_weights, scale):
        """Add the penalty's gradient to ``grad_weights`` in place and return its value.

        L1 and L2 terms share one pass of the penalty kernel; other terms add theirs in turn.

        Parameters
        ----------
        weights : ndarray of shape (n_weights,)
            The flat weight block of the network; only read.
        grad_weights : ndarray of shape (n_weights,)
            The matching block of the flat gradient, updated in place.
        scale : float
            ``1 / sum(sample_weight)`` of the batch.

        Returns
        -------
        value : float
        """
        strengths = self.fused_strengths()
        if strengths is None:
            value = 0.0
            for term in self.terms:
                value += term.add_gradient(weights, grad_weights, scale)
            return value
        if not self.terms:
            return 0.0
        l1, l2 = strengths
        norms = add_penalty_gradient(weights, grad_weights, l1 * scale, l2 * scale)
        return self.value_from_norms(*norms, scale)


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
    # L1 before L2: the order in which the terms' gradients have always been added (the kernels
    # add them in this order too).
    return WeightPenalty(*(term for term in (L1(l1), L2(alpha)) if term.strength))

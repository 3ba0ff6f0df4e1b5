"""Maxout (Goodfellow et al., 2013): each hidden unit is the largest of ``pieces`` affine pieces.

A maxout block's dense layer has ``n_units * pieces`` outputs, laid out unit-major: piece ``p``
of unit ``j`` is column ``j * pieces + p``, so a unit's pieces are contiguous and

.. math:: h_j = \\max_{p < k} z_{j k + p}, \\qquad z = x W + b

is ``Z.reshape(n, n_units, pieces).max(axis=2)``. Its derivative routes each unit's gradient to
the piece that won the max (the first of tied pieces, as ``argmax`` picks it) and gives the
others zero. The functions here are that maths on arrays; :class:`skdeep.layers.Maxout` is the
layer that keeps the winners between its forward and backward passes.
"""

import numpy as np

# The name of the activation in the estimators' ``activation`` parameter. It is not one of the
# element-wise ACTIVATIONS: it maps n_units * pieces inputs to n_units outputs.
MAXOUT = "maxout"


def maxout(Z, pieces):
    """Return the maxout of pre-activations ``Z`` (prediction: the winners are not kept).

    Parameters
    ----------
    Z : ndarray of shape (n_samples, n_units * pieces)
        Pre-activations, piece ``p`` of unit ``j`` in column ``j * pieces + p``.
    pieces : int
        Number of affine pieces per unit.

    Returns
    -------
    H : ndarray of shape (n_samples, n_units)
    """
    n_samples, width = Z.shape
    return Z.reshape(n_samples, width // pieces, pieces).max(axis=2)


def maxout_with_winners(Z, pieces):
    """Return the maxout of ``Z`` and, for each output, the index of the piece that won.

    Parameters
    ----------
    Z : ndarray of shape (n_samples, n_units * pieces)
    pieces : int

    Returns
    -------
    H : ndarray of shape (n_samples, n_units)
    winners : ndarray of shape (n_samples, n_units, 1)
        The winning piece of each unit, in ``[0, pieces)``; the first one where pieces tie.
    """
    n_samples, width = Z.shape
    grouped = Z.reshape(n_samples, width // pieces, pieces)
    # argmax, then a gather: two passes, where max + a comparison would need three and would
    # not break ties by itself.
    winners = grouped.argmax(axis=2)[:, :, np.newaxis]
    H = np.take_along_axis(grouped, winners, axis=2).reshape(n_samples, width // pieces)
    return H, winners


def maxout_backward(grad_output, winners, out):
    """Write the gradient with respect to the pre-activations into ``out`` and return it.

    Parameters
    ----------
    grad_output : ndarray of shape (n_samples, n_units)
        Gradient with respect to the maxout's output.
    winners : ndarray of shape (n_samples, n_units, 1)
        As returned by :func:`maxout_with_winners`.
    out : ndarray of shape (n_samples, n_units * pieces)
        Overwritten: ``grad_output`` at each unit's winning piece, zero at the others.

    Returns
    -------
    out : ndarray of shape (n_samples, n_units * pieces)
    """
    n_samples, n_units, _ = winners.shape
    grouped = out.reshape(n_samples, n_units, -1)
    grouped[...] = 0
    np.put_along_axis(grouped, winners, grad_output[:, :, np.newaxis], axis=2)
    return out

"""Fixtures shared by the test modules."""

import pytest
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split


@pytest.fixture(scope="session")
def digits():
    """scikit-learn's digits scaled to [0, 1]: ``X_train, X_test, y_train, y_test`` (70/30)."""
    X, y = load_digits(return_X_y=True)
    return train_test_split(X / 16, y, test_size=0.3, random_state=0, stratify=y)



# ---------------------------------------------------------------------------------------------
# Central finite differences, shared by the tests of activations, layers, losses, penalties and
# the network (appended by the core-maths tests; keep the content above and below).
# ---------------------------------------------------------------------------------------------
import numpy as _np
import pytest as _pytest

FINITE_DIFFERENCE_STEP = 1e-6


def _central_differences(function, array, step=FINITE_DIFFERENCE_STEP):
    """Gradient of the scalar ``function()`` with respect to ``array``, perturbed in place.

    ``array`` may be a view (a layer's bound parameters, a slice of the flat vector): each entry is
    moved by ``+step`` and ``-step`` and then put back exactly, so the caller's state is unchanged.
    ``function`` takes no argument and must read ``array`` afresh on every call.
    """
    gradient = _np.empty(array.shape, dtype=_np.float64)
    for index in _np.ndindex(array.shape):
        original = array[index]
        array[index] = original + step
        upper = function()
        array[index] = original - step
        lower = function()
        array[index] = original
        gradient[index] = (upper - lower) / (2 * step)
    return gradient


@_pytest.fixture
def central_differences():
    """``central_differences(function, array, step=1e-6)`` -> float64 finite-difference gradient."""
    return _central_differences

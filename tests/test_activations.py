"""Tests for skdeep.activations: finite-difference derivatives, in-place use, dtype, extremes."""

import warnings

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

from skdeep.activations import ACTIVATIONS, LEAKY_RELU_SLOPE

NAMES = sorted(ACTIVATIONS)

# Independent float64 references for the values.
REFERENCE = {
    "identity": lambda x: x,
    "logistic": lambda x: 1.0 / (1.0 + np.exp(-x)),
    "tanh": np.tanh,
    "relu": lambda x: np.where(x > 0, x, 0.0),
    "leaky_relu": lambda x: np.where(x > 0, x, LEAKY_RELU_SLOPE * x),
    "elu": lambda x: np.where(x > 0, x, np.exp(x) - 1.0),
    "softplus": lambda x: np.log(1.0 + np.exp(x)),
}

STEP = 1e-6


def _points(seed=0, size=40):
    # Magnitudes in [0.1, 4]: at least 0.1 away from the kinks of relu, leaky_relu and elu at 0,
    # much further than the finite-difference step.
    rng = np.random.default_rng(seed)
    return rng.choice([-1.0, 1.0], size) * rng.uniform(0.1, 4.0, size)


def _apply(name, x):
    forward, _ = ACTIVATIONS[name]
    return forward(x, out=np.empty_like(x))


def test_reference_covers_every_activation():
    assert set(REFERENCE) == set(ACTIVATIONS)


@pytest.mark.parametrize("name", NAMES)
def test_forward_matches_reference(name):
    x = _points()
    assert_allclose(_apply(name, x), REFERENCE[name](x), rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("name", NAMES)
def test_derivative_matches_central_differences(name):
    # Element-wise functions: one vectorised central difference per point.
    x = _points()
    numeric = (_apply(name, x + STEP) - _apply(name, x - STEP)) / (2 * STEP)
    _, multiply_derivative = ACTIVATIONS[name]
    analytic = multiply_derivative(_apply(name, x), np.ones_like(x))
    assert_allclose(analytic, numeric, rtol=1e-7, atol=1e-9)


@pytest.mark.parametrize("name", NAMES)
def test_multiply_derivative_scales_the_given_gradient_in_place(name):
    x = _points()
    _, multiply_derivative = ACTIVATIONS[name]
    y = _apply(name, x)
    derivative = multiply_derivative(y, np.ones_like(x))
    grad = np.random.default_rng(1).normal(size=x.shape)
    expected = grad * derivative
    result = multiply_derivative(y, grad)
    assert result is grad
    assert_allclose(grad, expected, rtol=1e-14)


@pytest.mark.parametrize("name", NAMES)
def test_multiply_derivative_leaves_the_output_unchanged(name):
    y = _apply(name, _points())
    y_before = y.copy()
    ACTIVATIONS[name][1](y, np.ones_like(y))
    assert_array_equal(y, y_before)


@pytest.mark.parametrize("name", NAMES)
def test_forward_in_place(name):
    x = _points()
    expected = _apply(name, x)
    forward, _ = ACTIVATIONS[name]
    result = forward(x, out=x)
    assert result is x
    assert_array_equal(x, expected)


@pytest.mark.parametrize("name", NAMES)
def test_forward_into_separate_output_leaves_input_unchanged(name):
    x = _points()
    x_before = x.copy()
    out = np.empty_like(x)
    forward, _ = ACTIVATIONS[name]
    assert forward(x, out=out) is out
    assert_array_equal(x, x_before)


@pytest.mark.parametrize("name", NAMES)
def test_float32_stays_float32(name):
    x64 = _points()
    x32 = x64.astype(np.float32)
    forward, multiply_derivative = ACTIVATIONS[name]
    y32 = forward(x32, out=x32)
    assert y32.dtype == np.float32
    grad32 = multiply_derivative(y32, np.ones_like(y32))
    assert grad32.dtype == np.float32
    assert_allclose(y32, _apply(name, x64), rtol=1e-5, atol=1e-6)
    y64 = _apply(name, x64)
    assert_allclose(grad32, multiply_derivative(y64, np.ones_like(y64)), rtol=1e-5, atol=1e-6)


# Exact limits at |x| = 1000, where exp(1000) overflows a naive implementation.
EXTREME_VALUES = {
    "identity": (-1000.0, 1000.0),
    "logistic": (0.0, 1.0),
    "tanh": (-1.0, 1.0),
    "relu": (0.0, 1000.0),
    "leaky_relu": (-1000.0 * LEAKY_RELU_SLOPE, 1000.0),
    "elu": (-1.0, 1000.0),
    "softplus": (0.0, 1000.0),
}
EXTREME_DERIVATIVES = {
    "identity": (1.0, 1.0),
    "logistic": (0.0, 0.0),
    "tanh": (0.0, 0.0),
    "relu": (0.0, 1.0),
    "leaky_relu": (LEAKY_RELU_SLOPE, 1.0),
    "elu": (0.0, 1.0),
    "softplus": (0.0, 1.0),
}


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("name", NAMES)
def test_extreme_inputs_do_not_overflow(name, dtype):
    x = np.array([-1000.0, 1000.0], dtype=dtype)
    forward, multiply_derivative = ACTIVATIONS[name]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        y = forward(x, out=x)
        derivative = multiply_derivative(y, np.ones_like(y))
    assert_allclose(y, EXTREME_VALUES[name], rtol=1e-6)
    assert_allclose(derivative, EXTREME_DERIVATIVES[name], rtol=1e-6)

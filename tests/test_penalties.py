"""Tests for skdeep.penalties: L2 and L1 values and gradients, the batch scale, the zero penalty."""

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

from skdeep.penalties import WeightPenalty

N_WEIGHTS = 12
STRENGTHS = [(0.3, 0.0), (0.0, 0.2), (0.3, 0.2)]
STRENGTH_IDS = ["l2", "l1", "l2_and_l1"]
SCALES = [1.0, 0.25]


def _weights(seed=0):
    # Magnitudes in [0.1, 2]: |w| is differentiable there, so finite differences apply to L1 too.
    rng = np.random.default_rng(seed)
    return rng.choice([-1.0, 1.0], N_WEIGHTS) * rng.uniform(0.1, 2.0, N_WEIGHTS)


def _existing_gradient():
    # The loss's gradient is already in the buffer: the penalty adds to it.
    return np.random.default_rng(1).normal(size=N_WEIGHTS)


@pytest.mark.parametrize("scale", SCALES)
@pytest.mark.parametrize("alpha, l1", STRENGTHS, ids=STRENGTH_IDS)
def test_value_matches_formula(alpha, l1, scale):
    weights = _weights()
    value = WeightPenalty(alpha, l1).apply(weights, np.zeros(N_WEIGHTS), scale)
    expected = scale * (0.5 * alpha * np.sum(weights**2) + l1 * np.sum(np.abs(weights)))
    assert isinstance(value, float)
    assert value == pytest.approx(expected, rel=1e-14)


@pytest.mark.parametrize("scale", SCALES)
@pytest.mark.parametrize("alpha, l1", STRENGTHS, ids=STRENGTH_IDS)
def test_gradient_is_added_to_the_buffer(alpha, l1, scale):
    weights = _weights()
    grad_weights = _existing_gradient()
    WeightPenalty(alpha, l1).apply(weights, grad_weights, scale)
    expected = _existing_gradient() + scale * (alpha * weights + l1 * np.sign(weights))
    assert_allclose(grad_weights, expected, rtol=1e-14)


@pytest.mark.parametrize("scale", SCALES)
@pytest.mark.parametrize("alpha, l1", STRENGTHS, ids=STRENGTH_IDS)
def test_gradient_matches_central_differences(alpha, l1, scale, central_differences):
    penalty = WeightPenalty(alpha, l1)
    weights = _weights()

    def value():
        return penalty.apply(weights, np.zeros(N_WEIGHTS), scale)

    numeric = central_differences(value, weights)
    analytic = np.zeros(N_WEIGHTS)
    penalty.apply(weights, analytic, scale)
    assert_allclose(analytic, numeric, rtol=1e-7, atol=1e-10)


@pytest.mark.parametrize("alpha, l1", STRENGTHS, ids=STRENGTH_IDS)
def test_scale_multiplies_value_and_gradient(alpha, l1):
    penalty, weights = WeightPenalty(alpha, l1), _weights()
    unit_gradient, scaled_gradient = np.zeros(N_WEIGHTS), np.zeros(N_WEIGHTS)
    unit_value = penalty.apply(weights, unit_gradient, 1.0)
    scaled_value = penalty.apply(weights, scaled_gradient, 0.125)
    assert scaled_value == pytest.approx(0.125 * unit_value, rel=1e-14)
    assert_allclose(scaled_gradient, 0.125 * unit_gradient, rtol=1e-14)


def test_l1_subgradient_is_zero_at_zero():
    weights = np.array([0.0, 1.5, -0.5, 0.0])
    grad_weights = np.zeros(4)
    WeightPenalty(l1=2.0).apply(weights, grad_weights, 0.5)
    assert_array_equal(grad_weights, [0.0, 1.0, -1.0, 0.0])


def test_zero_penalty_adds_nothing():
    weights = _weights()
    grad_weights = _existing_gradient()
    value = WeightPenalty(alpha=0.0, l1=0.0).apply(weights, grad_weights, 1.0)
    assert value == 0.0
    assert_array_equal(grad_weights, _existing_gradient())
    assert_array_equal(weights, _weights())


@pytest.mark.parametrize("alpha, l1", STRENGTHS, ids=STRENGTH_IDS)
def test_penalty_never_modifies_the_weights(alpha, l1):
    weights = _weights()
    WeightPenalty(alpha, l1).apply(weights, np.zeros(N_WEIGHTS), 1.0)
    assert_array_equal(weights, _weights())


@pytest.mark.parametrize("alpha, l1", STRENGTHS, ids=STRENGTH_IDS)
def test_float32_gradient_buffer_stays_float32(alpha, l1):
    weights = _weights().astype(np.float32)
    grad_weights = np.zeros(N_WEIGHTS, dtype=np.float32)
    WeightPenalty(alpha, l1).apply(weights, grad_weights, 1.0)
    assert grad_weights.dtype == np.float32
    expected = alpha * _weights() + l1 * np.sign(_weights())
    assert_allclose(grad_weights, expected, rtol=1e-6)

"""Tests for skdeep.penalties: L2 and L1 values and gradients, the batch scale, the zero penalty."""

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

from skdeep.penalties import L1, L2, WeightPenalty, make_penalty

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
    value = make_penalty(alpha, l1).add_gradient(weights, np.zeros(N_WEIGHTS), scale)
    expected = scale * (0.5 * alpha * np.sum(weights**2) + l1 * np.sum(np.abs(weights)))
    assert isinstance(value, float)
    assert value == pytest.approx(expected, rel=1e-14)


@pytest.mark.parametrize("scale", SCALES)
@pytest.mark.parametrize("alpha, l1", STRENGTHS, ids=STRENGTH_IDS)
def test_gradient_is_added_to_the_buffer(alpha, l1, scale):
    weights = _weights()
    grad_weights = _existing_gradient()
    make_penalty(alpha, l1).add_gradient(weights, grad_weights, scale)
    expected = _existing_gradient() + scale * (alpha * weights + l1 * np.sign(weights))
    assert_allclose(grad_weights, expected, rtol=1e-14)


# Each term on its own, and the estimators' penalty (the terms through one entry point).
PENALTIES = [pytest.param(L1(0.2), id="L1-term"), pytest.param(L2(0.3), id="L2-term")] + [
    pytest.param(make_penalty(alpha, l1), id=name)
    for (alpha, l1), name in zip(STRENGTHS, STRENGTH_IDS)
]


@pytest.mark.parametrize("scale", SCALES)
@pytest.mark.parametrize("penalty", PENALTIES)
def test_gradient_matches_central_differences(penalty, scale, central_differences):
    weights = _weights()

    def value():
        return penalty.add_gradient(weights, np.zeros(N_WEIGHTS), scale)

    numeric = central_differences(value, weights)
    analytic = np.zeros(N_WEIGHTS)
    penalty.add_gradient(weights, analytic, scale)
    assert_allclose(analytic, numeric, rtol=1e-7, atol=1e-10)


@pytest.mark.parametrize("alpha, l1", STRENGTHS, ids=STRENGTH_IDS)
def test_scale_multiplies_value_and_gradient(alpha, l1):
    penalty, weights = make_penalty(alpha, l1), _weights()
    unit_gradient, scaled_gradient = np.zeros(N_WEIGHTS), np.zeros(N_WEIGHTS)
    unit_value = penalty.add_gradient(weights, unit_gradient, 1.0)
    scaled_value = penalty.add_gradient(weights, scaled_gradient, 0.125)
    assert scaled_value == pytest.approx(0.125 * unit_value, rel=1e-14)
    assert_allclose(scaled_gradient, 0.125 * unit_gradient, rtol=1e-14)


def test_l1_subgradient_is_zero_at_zero():
    weights = np.array([0.0, 1.5, -0.5, 0.0])
    grad_weights = np.zeros(4)
    make_penalty(l1=2.0).add_gradient(weights, grad_weights, 0.5)
    assert_array_equal(grad_weights, [0.0, 1.0, -1.0, 0.0])


def test_zero_penalty_adds_nothing():
    weights = _weights()
    grad_weights = _existing_gradient()
    value = make_penalty(alpha=0.0, l1=0.0).add_gradient(weights, grad_weights, 1.0)
    assert value == 0.0
    assert_array_equal(grad_weights, _existing_gradient())
    assert_array_equal(weights, _weights())


@pytest.mark.parametrize("alpha, l1", STRENGTHS, ids=STRENGTH_IDS)
def test_penalty_never_modifies_the_weights(alpha, l1):
    weights = _weights()
    make_penalty(alpha, l1).add_gradient(weights, np.zeros(N_WEIGHTS), 1.0)
    assert_array_equal(weights, _weights())


@pytest.mark.parametrize("alpha, l1", STRENGTHS, ids=STRENGTH_IDS)
def test_float32_gradient_buffer_stays_float32(alpha, l1):
    weights = _weights().astype(np.float32)
    grad_weights = np.zeros(N_WEIGHTS, dtype=np.float32)
    make_penalty(alpha, l1).add_gradient(weights, grad_weights, 1.0)
    assert grad_weights.dtype == np.float32
    expected = alpha * _weights() + l1 * np.sign(_weights())
    assert_allclose(grad_weights, expected, rtol=1e-6)


@pytest.mark.parametrize("scale", SCALES)
def test_l1_and_l2_together_are_the_sum_of_each(scale):
    weights = _weights()
    both, l1_alone, l2_alone = (_existing_gradient() for _ in range(3))
    value = make_penalty(alpha=0.3, l1=0.2).add_gradient(weights, both, scale)
    l1_value = WeightPenalty(L1(0.2)).add_gradient(weights, l1_alone, scale)
    l2_value = WeightPenalty(L2(0.3)).add_gradient(weights, l2_alone, scale)
    assert value == pytest.approx(l1_value + l2_value, rel=1e-14)
    assert_allclose(both - _existing_gradient(),
                    (l1_alone - _existing_gradient()) + (l2_alone - _existing_gradient()),
                    rtol=1e-13)


@pytest.mark.parametrize("alpha, l1", STRENGTHS, ids=STRENGTH_IDS)
def test_slices_add_up_to_the_whole(alpha, l1):
    # A term is a sum over the entries: its gradient is element-wise, so bit-identical on a
    # slice, and the values of the slices sum to the value of the whole.
    penalty, weights = make_penalty(alpha, l1), _weights()
    whole, blocks = _existing_gradient(), _existing_gradient()
    value = penalty.add_gradient(weights, whole, 0.5)
    bounds = [(0, 5), (5, 6), (6, N_WEIGHTS)]
    values = [penalty.add_gradient(weights[a:b], blocks[a:b], 0.5) for a, b in bounds]
    assert sum(values) == pytest.approx(value, rel=1e-14)
    assert_array_equal(blocks, whole)


@pytest.mark.parametrize("alpha, l1, names", [
    (0.0, 0.0, []), (0.3, 0.0, ["L2"]), (0.0, 0.2, ["L1"]), (0.3, 0.2, ["L1", "L2"]),
])
def test_make_penalty_keeps_the_terms_with_a_strength(alpha, l1, names):
    assert [type(term).__name__ for term in make_penalty(alpha, l1).terms] == names


@pytest.mark.parametrize("alpha, l1", [(0.0, 0.0)] + STRENGTHS, ids=["none"] + STRENGTH_IDS)
def test_fused_strengths_are_the_terms(alpha, l1):
    assert make_penalty(alpha, l1).fused_strengths() == (l1, alpha)


class _Custom:
    """A penalty term the kernels do not know: 0.5 * ||W||^4, through its own add_gradient."""

    def add_gradient(self, weights, grad_weights, scale):
        squared = float(weights @ weights)
        grad_weights += scale * 2.0 * squared * weights
        return scale * 0.5 * squared**2


def test_a_term_the_kernels_do_not_know_is_applied_through_its_own_add_gradient():
    penalty = WeightPenalty(L2(0.3), _Custom())
    assert penalty.fused_strengths() is None
    weights, grad_weights = _weights(), _existing_gradient()
    value = penalty.add_gradient(weights, grad_weights, 0.5)
    squared = weights @ weights
    assert value == pytest.approx(0.5 * (0.15 * squared + 0.5 * squared**2), rel=1e-14)
    expected = _existing_gradient() + 0.5 * (0.3 * weights + 2.0 * squared * weights)
    assert_allclose(grad_weights, expected, rtol=1e-14)


@pytest.mark.parametrize("scale", SCALES)
@pytest.mark.parametrize("alpha, l1", STRENGTHS, ids=STRENGTH_IDS)
def test_value_from_norms_is_the_value_of_add_gradient(alpha, l1, scale):
    # What the mini-batch loop reports from the norms the optimiser's kernel returns.
    penalty, weights = make_penalty(alpha, l1), _weights()
    norms = np.abs(weights).sum(), weights @ weights
    value = penalty.add_gradient(weights, np.zeros(N_WEIGHTS), scale)
    assert penalty.value_from_norms(*norms, scale) == pytest.approx(value, rel=1e-14)
    assert WeightPenalty().value_from_norms(*norms, scale) == 0.0

"""Tests for skdeep.losses: naive-formula values, finite-difference gradients, extreme scores."""

import warnings

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

from skdeep.losses import (
    LOSSES,
    Poisson,
    SigmoidCrossEntropy,
    SoftmaxCrossEntropy,
    SquaredError,
)

N_SAMPLES, N_OUTPUTS = 5, 3


# Naive float64 per-sample losses, written from the textbook definitions.
def naive_softmax_cross_entropy(scores, Y):
    probabilities = np.exp(scores) / np.exp(scores).sum(axis=1, keepdims=True)
    return -np.sum(Y * np.log(probabilities), axis=1)


def naive_sigmoid_cross_entropy(scores, Y):
    probabilities = 1.0 / (1.0 + np.exp(-scores))
    return -np.sum(Y * np.log(probabilities) + (1 - Y) * np.log(1 - probabilities), axis=1)


def naive_squared_error(scores, Y):
    return 0.5 * np.sum((scores - Y) ** 2, axis=1)


def naive_poisson_half_deviance(scores, Y):
    mean = np.exp(scores)
    positive = np.where(Y > 0, Y, 1.0)
    return np.sum(np.where(Y > 0, Y * np.log(positive / mean), 0.0) - Y + mean, axis=1)


def one_hot_targets(rng):
    return np.eye(N_OUTPUTS)[rng.integers(0, N_OUTPUTS, N_SAMPLES)]


def unit_interval_targets(rng):
    # Indicators and intensities alike: the sigmoid cross-entropy accepts any target in [0, 1].
    Y = rng.uniform(0.0, 1.0, (N_SAMPLES, N_OUTPUTS))
    Y[0] = [0.0, 1.0, 1.0]
    return Y


def real_targets(rng):
    return rng.normal(0.0, 2.0, (N_SAMPLES, N_OUTPUTS))


def count_targets(rng):
    Y = rng.poisson(2.0, (N_SAMPLES, N_OUTPUTS)).astype(np.float64)
    Y[0, 0] = 0.0
    return Y


LOSS_CASES = {
    "softmax": (SoftmaxCrossEntropy, one_hot_targets, naive_softmax_cross_entropy),
    "sigmoid": (SigmoidCrossEntropy, unit_interval_targets, naive_sigmoid_cross_entropy),
    "squared": (SquaredError, real_targets, naive_squared_error),
    "poisson": (Poisson, count_targets, naive_poisson_half_deviance),
}
CASE_NAMES = sorted(LOSS_CASES)


def _problem(case, seed=0):
    loss_class, make_targets, naive = LOSS_CASES[case]
    rng = np.random.default_rng(seed)
    scores = rng.normal(0.0, 2.0, (N_SAMPLES, N_OUTPUTS))
    return loss_class(), scores, make_targets(rng), naive


def _sample_weight(weighted):
    if not weighted:
        return None
    return np.random.default_rng(5).uniform(0.5, 2.0, N_SAMPLES)


def test_losses_table_is_keyed_by_output_activation():
    assert {name: cls.output_activation for name, cls in LOSSES.items()} == {
        "softmax": "softmax",
        "logistic": "logistic",
        "identity": "identity",
        "exp": "exp",
    }


@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
@pytest.mark.parametrize("case", CASE_NAMES)
def test_value_matches_naive_formula(case, weighted):
    loss, scores, Y, naive = _problem(case)
    sample_weight = _sample_weight(weighted)
    value, _ = loss.value_and_gradient(scores.copy(), Y, sample_weight)
    per_sample = naive(scores, Y)
    expected = np.average(per_sample, weights=sample_weight)
    assert isinstance(value, float)
    assert value == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
@pytest.mark.parametrize("case", CASE_NAMES)
def test_gradient_matches_central_differences(case, weighted, central_differences):
    loss, scores, Y, _ = _problem(case)
    sample_weight = _sample_weight(weighted)

    def value():
        return loss.value_and_gradient(scores.copy(), Y, sample_weight)[0]

    numeric = central_differences(value, scores)
    _, analytic = loss.value_and_gradient(scores.copy(), Y, sample_weight)
    assert_allclose(analytic, numeric, rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize("case", CASE_NAMES)
def test_gradient_is_output_minus_target_over_batch_size(case):
    # The canonical-link shortcut the module is built on.
    loss, scores, Y, _ = _problem(case)
    _, gradient = loss.value_and_gradient(scores.copy(), Y)
    assert_allclose(gradient, (loss.output(scores.copy()) - Y) / N_SAMPLES, rtol=1e-12)


@pytest.mark.parametrize("case", CASE_NAMES)
def test_unit_sample_weights_change_nothing(case):
    loss, scores, Y, _ = _problem(case)
    value, gradient = loss.value_and_gradient(scores.copy(), Y)
    weighted_value, weighted_gradient = loss.value_and_gradient(
        scores.copy(), Y, np.full(N_SAMPLES, 3.0)
    )
    assert weighted_value == pytest.approx(value, rel=1e-14)
    assert_allclose(weighted_gradient, gradient, rtol=1e-14)


# Extreme scores (+-1000), where exp overflows a naive formula. Each case gives the scores, the
# targets, the exact mean loss and the exact gradient (output - Y) / n.
EXTREME_CASES = {
    "softmax": (
        SoftmaxCrossEntropy,
        [[1000.0, -1000.0, 0.0], [-1000.0, 1000.0, 0.0], [1000.0, 1000.0, -1000.0]],
        [[1.0, 0.0, 0.0], [1.0, 0.0, 0.0], [0.0, 0.0, 1.0]],
        # 0, then 1000 - (-1000), then (1000 + log 2) - (-1000).
        (0.0 + 2000.0 + 2000.0 + np.log(2.0)) / 3,
        np.array([[0.0, 0.0, 0.0], [-1.0, 1.0, 0.0], [0.5, 0.5, -1.0]]) / 3,
        naive_softmax_cross_entropy,
    ),
    "sigmoid": (
        SigmoidCrossEntropy,
        [[1000.0, -1000.0], [-1000.0, 1000.0]],
        [[1.0, 0.0], [1.0, 0.0]],
        (0.0 + 2000.0) / 2,
        np.array([[0.0, 0.0], [-1.0, 1.0]]) / 2,
        naive_sigmoid_cross_entropy,
    ),
    # Only -1000 for Poisson: at +1000 the true loss exp(1000) is itself beyond float64.
    "poisson": (
        Poisson,
        [[-1000.0, -1000.0]],
        [[0.0, 2.0]],
        2.0 * 1000.0 + 2.0 * np.log(2.0) - 2.0,
        np.array([[0.0, -2.0]]),
        naive_poisson_half_deviance,
    ),
    "squared": (
        SquaredError,
        [[1000.0, -1000.0]],
        [[0.0, 1.0]],
        0.5 * (1000.0**2 + 1001.0**2),
        np.array([[1000.0, -1001.0]]),
        None,
    ),
}


@pytest.mark.parametrize("case", sorted(EXTREME_CASES))
def test_value_and_gradient_are_exact_for_extreme_scores(case):
    loss_class, scores, Y, expected_value, expected_gradient, naive = EXTREME_CASES[case]
    scores, Y = np.array(scores), np.array(Y)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        value, gradient = loss_class().value_and_gradient(scores.copy(), Y)
    assert value == pytest.approx(expected_value, rel=1e-12)
    assert_allclose(gradient, expected_gradient, rtol=1e-12, atol=1e-300)


@pytest.mark.parametrize("case", ["softmax", "sigmoid", "poisson"])
def test_naive_formula_overflows_on_the_extreme_cases(case):
    # Guards the test above: these scores really are out of reach of the naive formulas.
    _, scores, Y, _, _, naive = EXTREME_CASES[case]
    with np.errstate(all="ignore"):
        assert not np.isfinite(naive(np.array(scores), np.array(Y)).mean())


@pytest.mark.parametrize("case", CASE_NAMES)
def test_value_and_gradient_may_only_overwrite_scores(case):
    loss, scores, Y, _ = _problem(case)
    Y_before = Y.copy()
    sample_weight = _sample_weight(True)
    weight_before = sample_weight.copy()
    loss.value_and_gradient(scores, Y, sample_weight)
    assert_array_equal(Y, Y_before)
    assert_array_equal(sample_weight, weight_before)


# ---------------------------------------------------------------------------------- outputs
def naive_softmax(scores):
    return np.exp(scores) / np.exp(scores).sum(axis=1, keepdims=True)


NAIVE_OUTPUT = {
    "softmax": naive_softmax,
    "sigmoid": lambda scores: 1.0 / (1.0 + np.exp(-scores)),
    "squared": lambda scores: scores,
    "poisson": np.exp,
}


@pytest.mark.parametrize("case", CASE_NAMES)
def test_output_matches_naive_formula(case):
    loss, scores, _, _ = _problem(case)
    assert_allclose(loss.output(scores.copy()), NAIVE_OUTPUT[case](scores), rtol=1e-12)


EXTREME_SCORES = np.array([[1000.0, -1000.0, 0.0], [-1000.0, 1000.0, 999.0], [3.0, -2.0, 0.5]])


@pytest.mark.parametrize("scores", [EXTREME_SCORES, np.zeros((2, 3))], ids=["extreme", "ties"])
def test_softmax_output_is_a_distribution(scores):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        probabilities = SoftmaxCrossEntropy().output(scores.copy())
    assert np.all((probabilities >= 0) & (probabilities <= 1))
    assert_allclose(probabilities.sum(axis=1), 1.0, rtol=1e-15)


def test_softmax_output_at_extreme_scores():
    probabilities = SoftmaxCrossEntropy().output(EXTREME_SCORES.copy())
    e = 1.0 / (1.0 + np.exp(-1.0))
    assert_allclose(probabilities[0], [1.0, 0.0, 0.0], atol=1e-300)
    assert_allclose(probabilities[1], [0.0, e, 1.0 - e], rtol=1e-12, atol=1e-300)


def test_sigmoid_output_is_a_probability():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        probabilities = SigmoidCrossEntropy().output(EXTREME_SCORES.copy())
    assert np.all((probabilities >= 0) & (probabilities <= 1))
    assert_allclose(probabilities[0], [1.0, 0.0, 0.5], atol=1e-300)


@pytest.mark.parametrize("loss_class", [SoftmaxCrossEntropy, SigmoidCrossEntropy])
def test_log_output_matches_log_of_output_where_finite(loss_class):
    scores = np.vstack([EXTREME_SCORES, np.random.default_rng(0).normal(0, 3, (4, 3))])
    with np.errstate(divide="ignore"):
        log_of_output = np.log(loss_class().output(scores.copy()))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        log_output = loss_class().log_output(scores.copy())
    assert np.all(np.isfinite(log_output))
    finite = np.isfinite(log_of_output)
    assert_allclose(log_output[finite], log_of_output[finite], rtol=1e-12, atol=1e-300)


@pytest.mark.parametrize(
    "loss_class, scores, expected",
    [
        (SoftmaxCrossEntropy, [[1000.0, -1000.0, 0.0]], [[0.0, -2000.0, -1000.0]]),
        (SigmoidCrossEntropy, [-1000.0, 1000.0, 0.0], [-1000.0, 0.0, -np.log(2.0)]),
    ],
    ids=["softmax", "sigmoid"],
)
def test_log_output_is_exact_where_the_output_underflows(loss_class, scores, expected):
    assert_allclose(loss_class().log_output(np.array(scores)), expected, rtol=1e-15)

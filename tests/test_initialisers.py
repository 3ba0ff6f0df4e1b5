"""Tests for skdeep.initialisers: variances, bounds, zero biases, 'auto' as sklearn, seeding."""

import numpy as np
import pytest
from numpy.testing import assert_array_equal

from skdeep.initialisers import WEIGHT_INITS, init_variance, initialise_dense

# fan_in != fan_out so that Glorot (average of the fans) and He / LeCun (fan-in) differ.
FAN_IN, FAN_OUT = 250, 750
N_WEIGHTS = FAN_IN * FAN_OUT

# Expected weight variance, written from the textbook definitions rather than from _SCHEMES.
EXPECTED_VARIANCE = {
    "glorot_uniform": 2.0 / (FAN_IN + FAN_OUT),
    "glorot_normal": 2.0 / (FAN_IN + FAN_OUT),
    "he_uniform": 2.0 / FAN_IN,
    "he_normal": 2.0 / FAN_IN,
    "lecun_uniform": 1.0 / FAN_IN,
    "lecun_normal": 1.0 / FAN_IN,
}
NAMED_SCHEMES = sorted(EXPECTED_VARIANCE)
UNIFORM_SCHEMES = [scheme for scheme in NAMED_SCHEMES if scheme.endswith("_uniform")]

# Kurtosis E[w^4] / E[w^2]^2 of the two distributions.
KURTOSIS = {"uniform": 9.0 / 5.0, "normal": 3.0}

# Tolerances in standard errors of the estimate; the seeds are fixed, so this is a margin for the
# exact draw rather than a flakiness budget.
N_STANDARD_ERRORS = 6


def _draw(scheme, activation="relu", seed=0, shape=(FAN_IN, FAN_OUT), bias_fill=7.0):
    weights = np.full(shape, np.nan)
    # A non-zero starting value shows that the initialiser really writes the biases.
    biases = np.full(shape[1], bias_fill)
    initialise_dense(weights, biases, scheme, np.random.default_rng(seed), activation)
    return weights, biases


def test_weight_inits_lists_auto_and_every_named_scheme():
    assert set(WEIGHT_INITS) == {"auto", *NAMED_SCHEMES}


@pytest.mark.parametrize("scheme", NAMED_SCHEMES)
def test_init_variance_formula(scheme):
    assert init_variance(FAN_IN, FAN_OUT, scheme) == pytest.approx(EXPECTED_VARIANCE[scheme])


@pytest.mark.parametrize("scheme", NAMED_SCHEMES)
def test_named_scheme_empirical_variance(scheme):
    weights, _ = _draw(scheme)
    variance = EXPECTED_VARIANCE[scheme]
    kurtosis = KURTOSIS[scheme.split("_")[1]]
    # With zero mean, mean(w^2) estimates the variance with standard error
    # variance * sqrt((kurtosis - 1) / n).
    standard_error = variance * np.sqrt((kurtosis - 1.0) / N_WEIGHTS)
    assert abs(np.mean(weights**2) - variance) < N_STANDARD_ERRORS * standard_error
    assert abs(weights.mean()) < N_STANDARD_ERRORS * np.sqrt(variance / N_WEIGHTS)


@pytest.mark.parametrize("scheme", NAMED_SCHEMES)
def test_named_scheme_distribution_shape(scheme):
    # The kurtosis separates the two families (1.8 against 3) by far more than its sampling error
    # (about 0.005 for the uniform and 0.02 for the normal at this size).
    weights, _ = _draw(scheme)
    second = np.mean(weights**2)
    kurtosis = np.mean(weights**4) / second**2
    assert kurtosis == pytest.approx(KURTOSIS[scheme.split("_")[1]], abs=0.15)


@pytest.mark.parametrize("scheme", UNIFORM_SCHEMES)
def test_uniform_scheme_stays_within_its_bound(scheme):
    weights, _ = _draw(scheme)
    bound = np.sqrt(3.0 * EXPECTED_VARIANCE[scheme])
    assert np.abs(weights).max() <= bound
    # ... and fills the range: the chance that no draw lands in the outer 0.1% is 0.999^n ~ 0.
    assert np.abs(weights).max() > 0.999 * bound


@pytest.mark.parametrize("scheme", NAMED_SCHEMES)
def test_named_scheme_biases_are_zero(scheme):
    _, biases = _draw(scheme)
    assert_array_equal(biases, np.zeros(FAN_OUT))


AUTO_FACTORS = [
    ("relu", 6.0), ("tanh", 6.0), ("identity", 6.0), ("softplus", 6.0), ("logistic", 2.0)
]


@pytest.mark.parametrize("part", [0, 1], ids=["weights", "biases"])
@pytest.mark.parametrize("activation, factor", AUTO_FACTORS)
def test_auto_matches_scikit_learn_bound(activation, factor, part):
    # scikit-learn's MLP: U(-b, b) with b = sqrt(6 / (fan_in + fan_out)), 2 instead of 6 for
    # the logistic activation, for the weights and the intercepts alike.
    bound = np.sqrt(factor / (FAN_IN + FAN_OUT))
    drawn = _draw("auto", activation=activation)[part]
    assert np.abs(drawn).max() <= bound
    # 750 uniform biases all inside 0.98 b has probability 0.98^750 ~ 3e-7.
    assert np.abs(drawn).max() > 0.98 * bound
    assert drawn.min() < 0 < drawn.max()


@pytest.mark.parametrize("activation, factor", AUTO_FACTORS)
def test_auto_weight_variance_is_that_of_the_uniform(activation, factor):
    variance = factor / (FAN_IN + FAN_OUT) / 3.0
    weights, _ = _draw("auto", activation=activation)
    standard_error = variance * np.sqrt((KURTOSIS["uniform"] - 1.0) / N_WEIGHTS)
    assert abs(np.mean(weights**2) - variance) < N_STANDARD_ERRORS * standard_error


@pytest.mark.parametrize("scheme", WEIGHT_INITS)
def test_same_seed_gives_identical_draws(scheme):
    weights_a, biases_a = _draw(scheme, seed=3, shape=(20, 30))
    weights_b, biases_b = _draw(scheme, seed=3, shape=(20, 30))
    assert_array_equal(weights_a, weights_b)
    assert_array_equal(biases_a, biases_b)


@pytest.mark.parametrize("scheme", WEIGHT_INITS)
def test_different_seeds_give_different_draws(scheme):
    weights_a, _ = _draw(scheme, seed=3, shape=(20, 30))
    weights_b, _ = _draw(scheme, seed=4, shape=(20, 30))
    assert not np.array_equal(weights_a, weights_b)


@pytest.mark.parametrize("scheme", WEIGHT_INITS)
def test_initialisation_writes_in_place_and_keeps_dtype(scheme):
    # Layers hold views into the network's flat vector: the initialiser must fill them, in their
    # own type, rather than rebind them.
    flat = np.zeros(6 * 4 + 4, dtype=np.float32)
    weights, biases = flat[:24].reshape(6, 4), flat[24:]
    initialise_dense(weights, biases, scheme, np.random.default_rng(0))
    assert weights.dtype == biases.dtype == np.float32
    assert np.shares_memory(weights, flat)
    assert np.count_nonzero(flat[:24]) == 24

"""Corruption functions: rates, input never modified, reproducible draws."""

import numpy as np
import pytest

from skdeep.noise import NOISES, gaussian, make_corruption, masking, salt_and_pepper

SHAPE = (400, 250)


@pytest.fixture
def X():
    return np.random.default_rng(0).uniform(0.2, 0.8, SHAPE)


def tolerance(rate, n):
    return 5 * np.sqrt(rate * (1 - rate) / n)


@pytest.mark.parametrize("level", [0.1, 0.5])
def test_masking_zeroes_the_given_fraction(X, level):
    noisy = masking(X, level, np.random.default_rng(1))
    zeroed = noisy == 0
    assert abs(zeroed.mean() - level) < tolerance(level, X.size)
    np.testing.assert_array_equal(noisy[~zeroed], X[~zeroed])


@pytest.mark.parametrize("level", [0.1, 0.5])
def test_salt_and_pepper_sets_the_fraction_to_zero_or_one_equally(X, level):
    noisy = salt_and_pepper(X, level, np.random.default_rng(1))
    zeros, ones = noisy == 0, noisy == 1
    assert abs((zeros | ones).mean() - level) < tolerance(level, X.size)
    assert abs(zeros.mean() - level / 2) < tolerance(level / 2, X.size)
    assert abs(ones.mean() - level / 2) < tolerance(level / 2, X.size)
    untouched = ~(zeros | ones)
    np.testing.assert_array_equal(noisy[untouched], X[untouched])


def test_gaussian_adds_zero_mean_noise_of_the_given_deviation(X):
    difference = gaussian(X, 0.3, np.random.default_rng(1)) - X
    assert abs(difference.mean()) < 5 * 0.3 / np.sqrt(X.size)
    assert abs(difference.std() - 0.3) < 0.01


@pytest.mark.parametrize("name", sorted(NOISES))
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_input_is_never_modified_and_dtype_is_kept(X, name, dtype):
    X = X.astype(dtype)
    before = X.copy()
    noisy = NOISES[name](X, 0.3, np.random.default_rng(1))
    np.testing.assert_array_equal(X, before)
    assert noisy.dtype == dtype
    assert not np.shares_memory(noisy, X)


@pytest.mark.parametrize("name", sorted(NOISES))
def test_same_generator_state_gives_same_noise(X, name):
    first = NOISES[name](X, 0.3, np.random.default_rng(7))
    second = NOISES[name](X, 0.3, np.random.default_rng(7))
    third = NOISES[name](X, 0.3, np.random.default_rng(8))
    np.testing.assert_array_equal(first, second)
    assert not np.array_equal(first, third)


def test_make_corruption():
    assert make_corruption(None, 0.3) is None
    assert make_corruption("masking", 0.0) is None
    corrupt = make_corruption("masking", 0.5)
    X = np.ones((100, 100))
    assert 0.4 < (corrupt(X, np.random.default_rng(0)) == 0).mean() < 0.6

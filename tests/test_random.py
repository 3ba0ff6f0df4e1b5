"""Bernoulli draws from 32-bit integers: rates, both bit-generator paths, reproducibility."""

import numpy as np
import pytest

from skdeep._random import bernoulli, derived_generator, random_uint32, threshold


@pytest.mark.parametrize("bit_generator", [np.random.PCG64, np.random.MT19937])
@pytest.mark.parametrize("probability", [0.1, 0.5, 0.8])
def test_bernoulli_rate_matches_the_probability(bit_generator, probability):
    rng = np.random.Generator(bit_generator(0))
    draws = bernoulli(rng, (300, 301), probability)
    assert draws.dtype == bool and draws.shape == (300, 301)
    assert abs(draws.mean() - probability) < 5 * np.sqrt(probability * (1 - probability) / draws.size)


@pytest.mark.parametrize("bit_generator", [np.random.PCG64, np.random.MT19937])
def test_uint32_draws_are_uniform_over_the_whole_range(bit_generator):
    draws = random_uint32(np.random.Generator(bit_generator(1)), (100_001,))
    assert draws.dtype == np.uint32 and draws.shape == (100_001,)
    # Each of the 16 top-nibble bins holds 1/16 of the draws: the high bits are random too.
    counts = np.bincount(draws >> 28, minlength=16)
    expected = draws.size / 16
    assert np.all(np.abs(counts - expected) < 5 * np.sqrt(expected))


def test_odd_sizes_use_half_a_raw_draw_and_same_seed_repeats():
    first = random_uint32(np.random.default_rng(3), (7, 3))
    second = random_uint32(np.random.default_rng(3), (7, 3))
    np.testing.assert_array_equal(first, second)
    assert not np.array_equal(first, random_uint32(np.random.default_rng(4), (7, 3)))


def test_threshold_bounds():
    assert threshold(0.0) == 0
    assert threshold(0.5) == 2**31
    # Probability one keeps every draw: the comparison with 2**32 is always true.
    assert bernoulli(np.random.default_rng(0), (1000,), 1.0).all()
    assert not bernoulli(np.random.default_rng(0), (1000,), 0.0).any()


# ---------------------------------------------------------------- the fit's second stream
def test_derived_generator_leaves_the_random_state_untouched():
    random_state = np.random.RandomState(0)
    derived_generator(random_state)
    assert random_state.randint(2**31) == np.random.RandomState(0).randint(2**31)


def test_derived_generator_depends_only_on_the_state():
    first = derived_generator(np.random.RandomState(3)).integers(2**63, size=4)
    again = derived_generator(np.random.RandomState(3)).integers(2**63, size=4)
    other = derived_generator(np.random.RandomState(4)).integers(2**63, size=4)
    np.testing.assert_array_equal(first, again)
    assert not np.array_equal(first, other)


def test_derived_generator_follows_the_state_as_it_advances():
    random_state = np.random.RandomState(3)
    before = derived_generator(random_state).integers(2**63, size=4)
    random_state.standard_normal()  # leaves a cached Gaussian in the state
    after = derived_generator(random_state).integers(2**63, size=4)
    assert not np.array_equal(before, after)

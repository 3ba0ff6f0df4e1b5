"""The two random streams of a fit, and fast Bernoulli draws for dropout masks and noise.

One ``random_state`` feeds two streams. What scikit-learn's MLPs draw (initial weights, the
early-stopping split, the per-epoch shuffles) comes from the ``RandomState`` that
``check_random_state`` gives, in scikit-learn's order, so that the same seed gives
``MLPClassifier``'s model. What only skdeep draws (dropout masks, corruption noise, pretraining
seeds) comes from a :class:`numpy.random.Generator` derived from that ``RandomState``'s state
without drawing from it (:func:`derived_generator`): switching dropout on cannot shift a single
draw of the first stream, and one seed still makes every fit reproducible.

``rng.random(shape, dtype=np.float32) < p`` spends a 32-bit draw and a float conversion on every
24-bit uniform. Comparing uniform 32-bit integers with ``p * 2**32`` is the same Bernoulli(p)
draw (finer grained) from half as many raw bits, as each raw 64-bit draw of the usual bit
generators gives two of them: about twice as fast on a 128 x 784 batch.
"""

import math

import numpy as np

# Bit generators whose raw draws are 64 random bits (MT19937's are 32 bits in a 64-bit word).
_RAW_64_BIT = (np.random.PCG64, np.random.PCG64DXSM, np.random.Philox, np.random.SFC64)


def random_uint32(rng, shape):
    """Uniform 32-bit integers from ``rng``: each raw 64-bit draw gives two."""
    # math.prod: np.prod would first make an array of the shape, microseconds per batch.
    size = math.prod(shape)
    if isinstance(rng.bit_generator, _RAW_64_BIT):
        raw = rng.bit_generator.random_raw((size + 1) // 2)
        return raw.view(np.uint32)[:size].reshape(shape)
    return rng.integers(0, 2**32, size=shape, dtype=np.uint32)


def threshold(probability):
    """The 32-bit integer below which a uniform draw falls with ``probability``."""
    return round(probability * 2.0**32)


def bernoulli(rng, shape, probability):
    """Boolean array of ``shape``, each entry True with ``probability``, independently."""
    return random_uint32(rng, shape) < threshold(probability)


def _state_words(state):
    """The integers of a bit generator's state (a nested dict of ints and int arrays), in order."""
    words = []
    for value in state.values():
        if isinstance(value, dict):
            words.extend(_state_words(value))
        elif isinstance(value, np.ndarray):
            words.extend(int(word) for word in value.ravel())
        elif isinstance(value, (int, np.integer)):
            words.append(int(value))
    return words


def derived_generator(random_state):
    """A Generator seeded from the state of ``random_state``, which is left untouched.

    Parameters
    ----------
    random_state : numpy.random.RandomState
        The fit's first stream (scikit-learn's); nothing is drawn from it.

    Returns
    -------
    generator : numpy.random.Generator
        The same generator for the same state: the same seed gives the same masks and noise.
    """
    state = random_state.get_state(legacy=False)
    words = _state_words(state["state"])
    # The cached Gaussian is part of the state: two RandomStates that differ only there must
    # not give the same stream.
    words += [int(state["has_gauss"]), int(np.float64(state["gauss"]).view(np.uint64))]
    return np.random.default_rng(np.random.SeedSequence(words))


def child_seed(generator):
    """An integer seed for a network trained inside a fit (a pretraining stage).

    Drawn from skdeep's own stream, so that pretraining never moves scikit-learn's draws.
    """
    return int(generator.integers(np.iinfo(np.int32).max))

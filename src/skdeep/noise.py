"""Corruption of an input batch for denoising autoencoders.

Each function returns a new, corrupted copy of the batch (the caller's data and the clean target
are never touched) with every random draw taken from the generator it is given:

=====================  ========================================================================
noise                  what happens to each input value, independently
=====================  ========================================================================
``'gaussian'``         ``x + level * N(0, 1)`` (additive; ``level`` is the standard deviation)
``'masking'``          set to 0 with probability ``level`` (Vincent et al.'s masking noise)
``'salt_and_pepper'``  with probability ``level`` set to 0 or 1, each with probability 1/2
=====================  ========================================================================
"""

import numpy as np

from ._random import bernoulli, random_uint32, threshold


def gaussian(X, level, rng):
    """Add zero-mean Gaussian noise with standard deviation ``level``.

    Read more in the :ref:`User Guide <ug_autoencoders>`.
    """
    noisy = rng.standard_normal(X.shape, dtype=X.dtype)
    noisy *= level
    noisy += X
    return noisy


def masking(X, level, rng):
    """Zero each value with probability ``level``.

    Read more in the :ref:`User Guide <ug_autoencoders>`.
    """
    return X * bernoulli(rng, X.shape, 1.0 - level)


def salt_and_pepper(X, level, rng):
    """Set each value with probability ``level`` to 0 or 1 (equally likely).

    Read more in the :ref:`User Guide <ug_autoencoders>`.
    """
    draws = random_uint32(rng, X.shape)
    corrupted = draws < threshold(level)
    noisy = np.array(X, copy=True)
    # Among the corrupted values draws are uniform below the level's threshold: the lower half
    # becomes 0, the upper half 1.
    noisy[corrupted] = draws[corrupted] >= threshold(level / 2)
    return noisy


NOISES = {"gaussian": gaussian, "masking": masking, "salt_and_pepper": salt_and_pepper}

# Allowed levels: a fraction of corrupted values must stay below 1, a standard deviation need not.
LEVEL_RANGES = {"gaussian": (0.0, np.inf), "masking": (0.0, 1.0), "salt_and_pepper": (0.0, 1.0)}


def make_corruption(noise, level):
    """Return ``corrupt(X_batch, rng)`` for a noise name and level, or None for no noise.

    Read more in the :ref:`User Guide <ug_autoencoders>`.

    Parameters
    ----------
    noise : {'gaussian', 'masking', 'salt_and_pepper'} or None
    level : float

    Returns
    -------
    corrupt : callable or None
    """
    if noise is None or level == 0:
        return None
    function = NOISES[noise]

    def corrupt(X, rng):
        return function(X, level, rng)

    return corrupt

"""Weight initialisation schemes for dense layers.

Every named scheme draws weights with a variance set by the layer's fan-in and fan-out:

======================  ===========================  ==========================
scheme                  variance of each weight      when it is the right choice
======================  ===========================  ==========================
``glorot_*`` (Xavier)   ``2 / (fan_in + fan_out)``   tanh, logistic, identity
``he_*``                ``2 / fan_in``               relu and its relatives
``lecun_*``             ``1 / fan_in``               SELU-like, normalised nets
======================  ===========================  ==========================

A ``*_uniform`` scheme draws from ``U(-a, a)`` with ``a = sqrt(3 * variance)`` (which has that
variance); a ``*_normal`` scheme from ``N(0, variance)``. Biases start at zero.

``'auto'`` reproduces scikit-learn's ``MLPClassifier``: Glorot uniform (variance divided by three
for the logistic activation), and biases drawn from the same uniform range as the weights.
"""

import numpy as np

# scheme -> (distribution, how the variance is computed from the fans, variance numerator)
_SCHEMES = {
    "glorot_uniform": ("uniform", "average", 2.0),
    "glorot_normal": ("normal", "average", 2.0),
    "he_uniform": ("uniform", "in", 2.0),
    "he_normal": ("normal", "in", 2.0),
    "lecun_uniform": ("uniform", "in", 1.0),
    "lecun_normal": ("normal", "in", 1.0),
}

WEIGHT_INITS = ("auto", *_SCHEMES)


def init_variance(fan_in, fan_out, scheme):
    """Return the weight variance that ``scheme`` prescribes for a layer of these fans.

    Parameters
    ----------
    fan_in, fan_out : int
        Number of inputs and outputs of the layer.
    scheme : str
        One of the named schemes (not ``'auto'``).

    Returns
    -------
    variance : float
    """
    _, fans, numerator = _SCHEMES[scheme]
    denominator = fan_in + fan_out if fans == "average" else fan_in
    return numerator / denominator


def initialise_dense(weights, biases, scheme, rng, activation="relu", fan_out=None):
    """Fill a dense layer's weights and biases in place.

    Parameters
    ----------
    weights : ndarray of shape (fan_in, fan_out)
        Written in place.
    biases : ndarray of shape (fan_out,)
        Written in place.
    scheme : str
        One of :data:`WEIGHT_INITS`.
    rng : numpy.random.Generator
        The single source of randomness of the fit.
    activation : str, default='relu'
        The activation that follows the layer; only ``'auto'`` looks at it.
    fan_out : int, default=None
        The fan-out the schemes use, when it is not the number of columns: a maxout layer's
        dense layer has ``pieces`` columns per unit but back-propagates through one of them per
        unit and sample, so its fan-out is its number of units.
    """
    fan_in, columns = weights.shape
    fan_out = columns if fan_out is None else fan_out
    if scheme == "auto":
        # scikit-learn's rule: factor 6 (2 for logistic) over the fan sum, weights and biases alike.
        factor = 2.0 if activation == "logistic" else 6.0
        bound = np.sqrt(factor / (fan_in + fan_out))
        weights[...] = rng.uniform(-bound, bound, weights.shape)
        biases[...] = rng.uniform(-bound, bound, biases.shape)
        return
    distribution = _SCHEMES[scheme][0]
    variance = init_variance(fan_in, fan_out, scheme)
    if distribution == "uniform":
        bound = np.sqrt(3.0 * variance)
        weights[...] = rng.uniform(-bound, bound, weights.shape)
    else:
        weights[...] = rng.normal(0.0, np.sqrt(variance), weights.shape)
    biases[...] = 0.0

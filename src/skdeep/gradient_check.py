"""Finite-difference gradient checking: the lectures' first debugging tool, for any configuration."""

from dataclasses import dataclass

import numpy as np
from sklearn.base import clone

from ._training import objective
from .penalties import make_penalty


@dataclass
class GradientCheckResult:
    """Comparison of back-propagated and finite-difference gradients.

    Read more in the :ref:`User Guide <ug_gradient_checking>`.

    Attributes
    ----------
    relative_error : float
        ``||analytic - numeric|| / (||analytic|| + ||numeric||)`` over the checked entries.
    max_absolute_error : float
        Largest absolute difference of one entry.
    analytic, numeric : ndarray of shape (n_checked,)
        The two gradients at the checked entries.
    indices : ndarray of shape (n_checked,)
        Positions of the checked entries in the flat parameter vector.
    """

    relative_error: float
    max_absolute_error: float
    analytic: np.ndarray
    numeric: np.ndarray
    indices: np.ndarray


def check_gradients(
    estimator, X, y, *, sample_weight=None, n_checks=None, epsilon=1e-6, random_state=0
):
    """Check an estimator's back-propagation against central finite differences.

    Read more in the :ref:`User Guide <ug_gradient_checking>`.

    The estimator is cloned and its network built in float64 for ``X`` and ``y`` exactly as
    ``fit`` would build it (same architecture, batch normalisation in training mode, penalties,
    sample weights); dropout uses the same masks in every evaluation so the objective is a fixed
    function of the parameters. Each checked entry ``i`` of the flat parameter vector gets
    ``(f(p + epsilon e_i) - f(p - epsilon e_i)) / (2 epsilon)``.

    Parameters
    ----------
    estimator : skdeep estimator
        A configured (fitted or not) estimator; it is not modified.
    X : array-like of shape (n_samples, n_features)
        A small batch.
    y : array-like of shape (n_samples,) or (n_samples, n_outputs), or None
        Its targets (None for an autoencoder, whose target is ``X``).
    sample_weight : array-like of shape (n_samples,), default=None
    n_checks : int, default=None
        Check this many randomly chosen entries; all of them when None.
    epsilon : float, default=1e-6
        Finite-difference step.
    random_state : int, default=0
        Seeds the initial weights, the dropout masks and the choice of entries.

    Returns
    -------
    result : GradientCheckResult
        A correct implementation gives a ``relative_error`` around 1e-7 or smaller for smooth
        activations (kinks such as relu's can add isolated larger errors).

    Examples
    --------
    >>> import numpy as np
    >>> from skdeep import DeepMLPClassifier, check_gradients
    >>> rng = np.random.default_rng(0)
    >>> X, y = rng.normal(size=(20, 4)), rng.integers(0, 3, 20)
    >>> net = DeepMLPClassifier(hidden_layer_sizes=(5, 5), activation="tanh",
    ...                         batch_norm=True)
    >>> check_gradients(net, X, y).relative_error < 1e-6
    True
    """
    model = clone(estimator).set_params(random_state=random_state, warm_start=False)
    X = np.asarray(X, dtype=np.float64)
    prepared = model._prepare(X, y, sample_weight, incremental=False)
    X, sample_weight = prepared.X, prepared.sample_weight
    Y = X if prepared.Y is None else prepared.Y  # an autoencoder's target is its input
    network = model._network
    penalty = make_penalty(model.alpha, model.l1)

    def evaluate():
        # A fresh generator with the same seed gives the same dropout masks in every evaluation.
        rng = np.random.default_rng(random_state)
        return objective(network, model._loss, penalty, X, Y, sample_weight, rng)

    evaluate()
    analytic_all = network.grads.copy()
    n_params = network.params.shape[0]
    if n_checks is None or n_checks >= n_params:
        indices = np.arange(n_params)
    else:
        indices = np.sort(np.random.default_rng(random_state).choice(n_params, n_checks, False))
    numeric = np.empty(indices.shape[0])
    for k, index in enumerate(indices):
        original = network.params[index]
        network.params[index] = original + epsilon
        upper = evaluate()
        network.params[index] = original - epsilon
        lower = evaluate()
        network.params[index] = original
        numeric[k] = (upper - lower) / (2 * epsilon)
    analytic = analytic_all[indices]
    difference = np.linalg.norm(analytic - numeric)
    scale = np.linalg.norm(analytic) + np.linalg.norm(numeric)
    return GradientCheckResult(
        relative_error=float(difference / scale) if scale > 0 else 0.0,
        max_absolute_error=float(np.max(np.abs(analytic - numeric))),
        analytic=analytic,
        numeric=numeric,
        indices=indices,
    )

"""The fitted model whose attributes a display reads: the estimator, or the one it wraps."""

from sklearn.frozen import FrozenEstimator
from sklearn.pipeline import Pipeline
from sklearn.utils.validation import check_is_fitted

# Where each meta-estimator keeps the model a display reads, and how a message says where it was.
# A pipeline's fitted attributes are its final step's, as scikit-learn's displays take them.
_WRAPPERS = (
    (Pipeline, lambda pipeline: pipeline[-1], "the final step of"),
    (FrozenEstimator, lambda frozen: frozen.estimator, "inside"),
)


def _unwrap(estimator):
    """The model inside ``estimator`` and the wrappers it was found in, innermost first."""
    for wrapper, inner, place in _WRAPPERS:
        if isinstance(estimator, wrapper):
            model, places = _unwrap(inner(estimator))
            return model, [*places, f"{place} {type(estimator).__name__}"]
    return estimator, []


def fitted_model(estimator):
    """Return the fitted model inside ``estimator`` and a description of it for messages.

    A :class:`~sklearn.pipeline.Pipeline` stands for its final step and a
    :class:`~sklearn.frozen.FrozenEstimator` for the estimator it freezes, however they nest.

    Parameters
    ----------
    estimator : fitted estimator, Pipeline or FrozenEstimator

    Returns
    -------
    model : estimator
        ``estimator`` itself, or the model it wraps.
    description : str
        The model's class name and where it was found, e.g.
        ``'LogisticRegression (the final step of Pipeline)'``.

    Raises
    ------
    NotFittedError
        If the model is not fitted.
    """
    model, places = _unwrap(estimator)
    check_is_fitted(model)
    description = type(model).__name__
    if places:
        description += f" ({', '.join(places)})"
    return model, description

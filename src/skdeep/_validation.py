"""Hyperparameter checks beyond scikit-learn's declarative table.

scikit-learn's ``_parameter_constraints`` checks each parameter on its own; here live the checks
that relate parameters to each other (a per-layer sequence against the number of hidden layers)
and the "did you mean" hint added to a mistyped option.
"""

import difflib
import inspect
from numbers import Real

import numpy as np
from sklearn.utils._param_validation import InvalidParameterError, StrOptions


def validate_params_with_hints(estimator):
    """Run the estimator's parameter table; on a mistyped string, suggest the closest option.

    Raises
    ------
    InvalidParameterError
        scikit-learn's message, followed by "Did you mean ...?" where an option is close.
    """
    try:
        estimator._validate_params()
    except InvalidParameterError as error:
        hint = _closest_option(estimator)
        if hint is None:
            raise
        raise InvalidParameterError(f"{error} Did you mean {hint!r}?") from None


def _closest_option(estimator):
    params = estimator.get_params(deep=False)
    for name, constraints in estimator._parameter_constraints.items():
        value = params.get(name)
        if not isinstance(value, str):
            continue
        options = [opt for c in constraints if isinstance(c, StrOptions) for opt in c.options]
        if options and value not in options:
            match = closest(value, options)
            if match is not None:
                return match
    return None


def closest(value, options):
    """Return the option closest to a mistyped ``value``, or None if none is close."""
    matches = difflib.get_close_matches(str(value), sorted(options), n=1)
    return matches[0] if matches else None


def build_from_registry(kind, registry, name, first_argument, **given):
    """Instantiate ``registry[name]`` with the keyword arguments its constructor accepts.

    Arguments the class does not take, and those left as None (the class's own default), are
    dropped, so one flat set of estimator hyperparameters can build any registered strategy.

    Raises
    ------
    ValueError
        If ``name`` is not registered, listing the names and the closest one.
    """
    if not isinstance(name, str) or name not in registry:
        allowed = sorted(registry)
        message = f"Unknown {kind} {name!r}; expected one of {{{', '.join(map(repr, allowed))}}}."
        match = closest(name, allowed)
        if match is not None:
            message += f" Did you mean {match!r}?"
        raise ValueError(message)
    cls = registry[name]
    accepted = inspect.signature(cls).parameters
    kwargs = {key: value for key, value in given.items() if key in accepted and value is not None}
    return cls(first_argument, **kwargs)


def hidden_sizes(hidden_layer_sizes):
    """Return ``hidden_layer_sizes`` as a list of positive ints (an int means one hidden layer).

    Raises
    ------
    ValueError
        If any size is not positive, with scikit-learn's wording.
    """
    if not hasattr(hidden_layer_sizes, "__iter__"):
        hidden_layer_sizes = [hidden_layer_sizes]
    sizes = list(hidden_layer_sizes)
    if np.any(np.array(sizes) <= 0):
        raise ValueError(f"hidden_layer_sizes must be > 0, got {sizes}.")
    return [int(size) for size in sizes]


def per_layer(value, n_layers, name, low=0.0, high=1.0):
    """Expand a scalar or a per-layer sequence of rates into one value per layer.

    Parameters
    ----------
    value : float or sequence of float
    n_layers : int
    name : str
        Parameter name, for the error message.
    low, high : float, default=0.0, 1.0
        Each value must lie in ``[low, high)``.

    Returns
    -------
    values : list of float

    Raises
    ------
    ValueError
        If a sequence has the wrong length or a value lies outside ``[low, high)``.
    """
    if isinstance(value, Real):
        values = [float(value)] * n_layers
    else:
        values = [float(v) for v in value]
        if len(values) != n_layers:
            raise ValueError(
                f"The '{name}' parameter has {len(values)} values but the network has "
                f"{n_layers} hidden layers. Give one value, or one per hidden layer."
            )
    for v in values:
        if not low <= v < high:
            raise ValueError(
                f"The '{name}' parameter must be in the range [{low}, {high}). Got {value!r} instead."
            )
    return values

"""A validation set passed through a Pipeline: routed, it is transformed like the training data.

scikit-learn's metadata routing (``Pipeline(..., transform_input=["X_val"])`` with
``set_fit_request``) is the documented way (docs/user_guide/early_stopping.rst). The step-name
form ``net__X_val=`` hands the set to the network untransformed, with a warning; the last test
pins that down, and ``test_scale_check`` that the warning does not fire on sets that agree.
Routing is enabled only inside ``config_context``, so it never leaks into other tests.
"""

import numpy as np
import pytest
from sklearn import config_context
from sklearn.datasets import load_diabetes
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from skdeep import DeepMLPClassifier, DeepMLPRegressor, DenoisingAutoencoderTransformer

# Every epoch is scored and the best kept, so the whole validation curve can be compared.
SETTINGS = dict(early_stopping=True, n_iter_no_change="inf", max_iter=8, random_state=0)
ESTIMATORS = {
    "classifier": lambda: DeepMLPClassifier(hidden_layer_sizes=(16,), **SETTINGS),
    "regressor": lambda: DeepMLPRegressor(
        hidden_layer_sizes=(16,), learning_rate_init=0.01, **SETTINGS
    ),
    "autoencoder": lambda: DenoisingAutoencoderTransformer(n_components=8, **SETTINGS),
}


@pytest.fixture(scope="module")
def diabetes():
    """scikit-learn's diabetes (features centred, of norm 1 per column): 300 train, 142 valid."""
    X, y = load_diabetes(return_X_y=True)
    return X[:300], X[300:], y[:300], y[300:]


@pytest.fixture(params=list(ESTIMATORS))
def case(request, digits, diabetes):
    """``(make_estimator, X_train, X_valid, y_train, y_valid)``; y is None for the autoencoder."""
    kind = request.param
    if kind == "regressor":
        X_train, X_valid, y_train, y_valid = diabetes
    else:
        X_train, X_valid, y_train, y_valid = digits
    if kind == "autoencoder":
        y_train = y_valid = None
    return ESTIMATORS[kind], X_train, X_valid, y_train, y_valid


def _validation(X_valid, y_valid):
    return {"X_val": X_valid} if y_valid is None else {"X_val": X_valid, "y_val": y_valid}


def _routed(estimator, X_train, X_valid, y_train, y_valid):
    validation = _validation(X_valid, y_valid)
    with config_context(enable_metadata_routing=True):
        estimator.set_fit_request(**dict.fromkeys(validation, True))
        pipe = Pipeline(
            [("scale", StandardScaler()), ("net", estimator)], transform_input=["X_val"]
        )
        return pipe.fit(X_train, y_train, **validation)


def _scaled_by_hand(estimator, X_train, X_valid, y_train, y_valid):
    """The reference: both sets scaled with the training set's statistics, then a plain fit."""
    scaler = StandardScaler().fit(X_train)
    validation = _validation(scaler.transform(X_valid), y_valid)
    return scaler, estimator.fit(scaler.transform(X_train), y_train, **validation)


def _outputs(model, X):
    """Probabilities, codes or predicted values: the continuous output of each kind."""
    method = next(m for m in ("predict_proba", "transform", "predict") if hasattr(model, m))
    return getattr(model, method)(X)


def test_routed_validation_set_is_scaled_like_training(case):
    make, X_train, X_valid, y_train, y_valid = case
    pipe = _routed(make(), X_train, X_valid, y_train, y_valid)
    scaler, reference = _scaled_by_hand(make(), X_train, X_valid, y_train, y_valid)

    routed = pipe[-1]
    assert len(routed.validation_scores_) == SETTINGS["max_iter"]
    np.testing.assert_allclose(routed.validation_scores_, reference.validation_scores_, rtol=1e-6)
    np.testing.assert_allclose(
        _outputs(pipe, X_valid), _outputs(reference, scaler.transform(X_valid)),
        rtol=1e-6, atol=1e-9,
    )


def test_step_name_validation_set_reaches_the_network_unscaled(case):
    # The pitfall the docs warn about: without routing, net__X_val is passed on as given, so
    # early stopping scores the network on inputs scaled unlike its training data.
    make, X_train, X_valid, y_train, y_valid = case
    validation = _validation(X_valid, y_valid)
    # ... and the estimator says so, since it sees the two sets on different scales.
    with pytest.warns(UserWarning, match="X_val is on another scale .* step__X_val"):
        unrouted = Pipeline([("scale", StandardScaler()), ("net", make())]).fit(
            X_train, y_train, **{f"net__{name}": value for name, value in validation.items()}
        )
    scaler = StandardScaler().fit(X_train)
    with pytest.warns(UserWarning, match="X_val is on another scale"):
        unscaled_validation = make().fit(scaler.transform(X_train), y_train, **validation)
    _, reference = _scaled_by_hand(make(), X_train, X_valid, y_train, y_valid)

    scores = unrouted[-1].validation_scores_
    np.testing.assert_allclose(scores, unscaled_validation.validation_scores_, rtol=1e-6)
    assert not np.allclose(scores, reference.validation_scores_, rtol=1e-6)

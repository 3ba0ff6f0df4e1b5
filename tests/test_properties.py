"""Property-based tests: random configurations never crash silently and stay correct."""

import warnings

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sklearn.exceptions import ConvergenceWarning

from skdeep import DeepMLPClassifier, DeepMLPRegressor, DenoisingAutoencoderTransformer
from skdeep import check_gradients

SMOOTH = ["identity", "logistic", "tanh", "softplus", "elu"]
ALL_ACTIVATIONS = SMOOTH + ["relu", "leaky_relu"]
SOLVERS = ["sgd", "adam", "amsgrad", "adamax", "nadam", "adagrad", "rmsprop", "adadelta", "lbfgs"]
SCHEDULES = ["constant", "invscaling", "adaptive", "exponential", "step", "newbob", "cosine"]

architectures = st.lists(st.integers(1, 8), min_size=1, max_size=3).map(tuple)


@st.composite
def datasets(draw):
    n_samples = draw(st.integers(4, 30))
    n_features = draw(st.integers(1, 6))
    seed = draw(st.integers(0, 2**16))
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n_samples, n_features)) * draw(st.sampled_from([0.1, 1.0, 10.0]))
    y = np.arange(n_samples) % draw(st.integers(2, 4))
    rng.shuffle(y)
    dtype = draw(st.sampled_from([np.float32, np.float64]))
    return X.astype(dtype), y


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    data=datasets(),
    sizes=architectures,
    activation=st.sampled_from(ALL_ACTIVATIONS),
    solver=st.sampled_from(SOLVERS),
    schedule=st.sampled_from(SCHEDULES),
    batch_norm=st.booleans(),
    dropout=st.sampled_from([0.0, 0.5]),
    batch_size=st.sampled_from(["auto", 1, 3]),
    classify=st.booleans(),
)
def test_random_configurations_fit_and_predict_finite_values_or_explain(
    data, sizes, activation, solver, schedule, batch_norm, dropout, batch_size, classify
):
    X, y = data
    cls = DeepMLPClassifier if classify else DeepMLPRegressor
    model = cls(hidden_layer_sizes=sizes, activation=activation, solver=solver,
                learning_rate=schedule, batch_norm=batch_norm, dropout=dropout,
                batch_size=batch_size, max_iter=3, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", (ConvergenceWarning, UserWarning))
        try:
            model.fit(X, y if classify else y.astype(float))
        except ValueError as error:
            message = str(error)
            # The only refusals allowed: a documented incompatibility, or a divergence report.
            assert "need a stochastic solver" in message or "diverged" in message, message
            return
    prediction = model.predict_proba(X) if classify else model.predict(X)
    assert np.isfinite(prediction).all()
    assert prediction.shape[0] == X.shape[0]


@settings(max_examples=40, deadline=None)
@given(
    data=datasets(),
    sizes=architectures,
    activation=st.sampled_from(SMOOTH),
    batch_norm=st.booleans(),
    dropout=st.sampled_from([0.0, 0.3]),
    alpha=st.sampled_from([0.0, 0.1]),
    l1=st.sampled_from([0.0, 0.01]),
    classify=st.booleans(),
)
def test_random_networks_pass_the_gradient_check(
    data, sizes, activation, batch_norm, dropout, alpha, l1, classify
):
    X, y = data
    X = X.astype(np.float64)
    cls = DeepMLPClassifier if classify else DeepMLPRegressor
    model = cls(hidden_layer_sizes=sizes, activation=activation, batch_norm=batch_norm,
                dropout=dropout, alpha=alpha, l1=l1)
    result = check_gradients(model, X, y if classify else y.astype(float), n_checks=60)
    # L1's kink at 0 is never hit: weights start away from zero in float64.
    assert result.relative_error < 1e-5 or result.max_absolute_error < 1e-8


@settings(max_examples=25, deadline=None)
@given(
    n_components=st.integers(1, 6),
    noise=st.sampled_from([None, "gaussian", "masking", "salt_and_pepper"]),
    tied=st.booleans(),
    seed=st.integers(0, 1000),
)
def test_random_autoencoders_transform_finite_codes(n_components, noise, tied, seed):
    X = np.random.default_rng(seed).uniform(0, 1, (20, 5))
    before = X.copy()
    dae = DenoisingAutoencoderTransformer(n_components=n_components, noise=noise,
                                          tied_weights=tied, max_iter=3, random_state=seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        codes = dae.fit_transform(X)
    np.testing.assert_array_equal(X, before)
    assert codes.shape == (20, n_components) and np.isfinite(codes).all()

"""Tests for skdeep.check_gradients: correct configurations pass, planted bugs are detected."""

import warnings

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.base import clone

import skdeep.activations
import skdeep.layers
from skdeep import DeepMLPClassifier, DeepMLPRegressor, check_gradients

N_SAMPLES, N_FEATURES = 12, 5
HIDDEN = (4, 3)
TOLERANCE = 1e-6
DETECTION_THRESHOLD = 1e-3


def _data(target, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(N_SAMPLES, N_FEATURES))
    targets = {
        "binary": lambda: rng.integers(0, 2, N_SAMPLES),
        "multiclass": lambda: rng.integers(0, 3, N_SAMPLES),
        # Every label present and absent at least once, so that the indicator has three columns.
        "multilabel": lambda: np.vstack([np.eye(3), 1 - np.eye(3), rng.integers(0, 2, (6, 3))]),
        "real": lambda: rng.normal(size=(N_SAMPLES, 2)),
        "counts": lambda: rng.poisson(2.0, N_SAMPLES).astype(np.float64),
    }
    return X, targets[target]()


def _classifier(activation="tanh", **params):
    return DeepMLPClassifier(hidden_layer_sizes=HIDDEN, activation=activation, **params)


def _regressor(activation="tanh", **params):
    return DeepMLPRegressor(hidden_layer_sizes=HIDDEN, activation=activation, **params)


# id -> (estimator, kind of target)
CONFIGURATIONS = {
    **{
        f"activation_{name}": (_classifier(activation=name), "multiclass")
        for name in ("tanh", "logistic", "softplus", "elu")
    },
    "batch_norm": (_classifier(batch_norm=True), "multiclass"),
    "dropout": (_classifier(dropout=0.3, input_dropout=0.2), "multiclass"),
    "batch_norm_dropout_penalties": (
        _classifier(batch_norm=True, dropout=0.3, alpha=0.1, l1=0.01),
        "multiclass",
    ),
    "classifier_binary": (_classifier(), "binary"),
    "classifier_multiclass": (_classifier(), "multiclass"),
    "classifier_multilabel": (_classifier(), "multilabel"),
    "regressor_squared_error": (_regressor(), "real"),
    "regressor_poisson": (_regressor(loss="poisson"), "counts"),
    "regressor_batch_norm_dropout": (_regressor(batch_norm=True, dropout=0.2), "real"),
}


@pytest.mark.parametrize("configuration", sorted(CONFIGURATIONS))
def test_correct_backpropagation_passes(configuration):
    estimator, target = CONFIGURATIONS[configuration]
    X, y = _data(target)
    result = check_gradients(estimator, X, y)
    assert result.relative_error < TOLERANCE


@pytest.mark.parametrize("target", ["multiclass", "real"])
def test_sample_weights_are_checked(target):
    X, y = _data(target)
    estimator = _classifier(alpha=0.1) if target == "multiclass" else _regressor(alpha=0.1)
    sample_weight = np.random.default_rng(1).uniform(0.5, 2.0, N_SAMPLES)
    result = check_gradients(estimator, X, y, sample_weight=sample_weight)
    assert result.relative_error < TOLERANCE


def test_result_covers_every_parameter_by_default():
    X, y = _data("multiclass")
    result = check_gradients(_classifier(), X, y)
    n_params = (N_FEATURES * 4 + 4 * 3 + 3 * 3) + (4 + 3 + 3)
    assert_array_equal(result.indices, np.arange(n_params))
    assert result.analytic.shape == result.numeric.shape == (n_params,)
    assert result.max_absolute_error == pytest.approx(
        np.max(np.abs(result.analytic - result.numeric))
    )
    assert_allclose(result.analytic, result.numeric, rtol=1e-5, atol=1e-9)


def test_n_checks_selects_distinct_sorted_entries():
    X, y = _data("multiclass")
    result = check_gradients(_classifier(), X, y, n_checks=10)
    assert result.indices.shape == (10,)
    assert np.all(np.diff(result.indices) > 0)
    assert result.relative_error < TOLERANCE


def test_same_random_state_gives_the_same_result():
    X, y = _data("multiclass")
    estimator = _classifier(dropout=0.3)
    first = check_gradients(estimator, X, y, random_state=4)
    second = check_gradients(estimator, X, y, random_state=4)
    assert_array_equal(first.analytic, second.analytic)
    assert_array_equal(first.numeric, second.numeric)


def test_estimator_is_not_modified():
    X, y = _data("multiclass")
    estimator = _classifier(batch_norm=True, random_state=11)
    params = estimator.get_params()
    check_gradients(estimator, X, y)
    assert estimator.get_params() == params
    assert not hasattr(estimator, "_network")


def test_fitted_estimator_keeps_its_weights():
    X, y = _data("multiclass")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        estimator = _classifier(max_iter=2, random_state=0).fit(X, y)
    coefs = [coef.copy() for coef in estimator.coefs_]
    check_gradients(estimator, X, y)
    for before, after in zip(coefs, estimator.coefs_):
        assert_array_equal(after, before)


# -------------------------------------------------------------------------- planted bugs
def _scaled_dense_weight_gradient(monkeypatch):
    original = skdeep.layers.Dense.backward

    def backward(self, grad_output):
        grad_input = original(self, grad_output)
        self.grad_weights *= 1.01
        return grad_input

    monkeypatch.setattr(skdeep.layers.Dense, "backward", backward)
    return _classifier(), "multiclass"


def _scaled_batch_norm_input_gradient(monkeypatch):
    original = skdeep.layers.BatchNorm.backward

    def backward(self, grad_output):
        grad_input = original(self, grad_output)
        return None if grad_input is None else 1.01 * grad_input

    monkeypatch.setattr(skdeep.layers.BatchNorm, "backward", backward)
    return _classifier(batch_norm=True), "multiclass"


def _dropout_backward_ignoring_the_mask(monkeypatch):
    monkeypatch.setattr(skdeep.layers.Dropout, "backward", lambda self, grad_output: grad_output)
    return _classifier(dropout=0.3), "multiclass"


def _tanh_derivative_off_by_a_term(monkeypatch):
    forward, _ = skdeep.activations.ACTIVATIONS["tanh"]

    def multiply_derivative(y, grad):
        grad *= 1 - y  # should be 1 - y**2
        return grad

    monkeypatch.setitem(skdeep.activations.ACTIVATIONS, "tanh", (forward, multiply_derivative))
    return _classifier(), "multiclass"


PLANTED_BUGS = [
    _scaled_dense_weight_gradient,
    _scaled_batch_norm_input_gradient,
    _dropout_backward_ignoring_the_mask,
    _tanh_derivative_off_by_a_term,
]


@pytest.mark.parametrize("plant_bug", PLANTED_BUGS, ids=lambda plant: plant.__name__.strip("_"))
def test_planted_bug_is_detected(plant_bug, monkeypatch):
    estimator, target = plant_bug(monkeypatch)
    X, y = _data(target)
    result = check_gradients(clone(estimator), X, y)
    assert result.relative_error > DETECTION_THRESHOLD

"""Maxout hidden layers: the layer's maths, its layout in the network, and the estimators with it."""

import pickle
import warnings

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.linear_model import LogisticRegression
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.exceptions import ConvergenceWarning
from sklearn.frozen import FrozenEstimator
from sklearn.utils._param_validation import InvalidParameterError
from sklearn.utils.estimator_checks import check_estimator

from skdeep import (
    DeepMLPClassifier,
    DeepMLPRegressor,
    DenoisingAutoencoderTransformer,
    StackedAutoencoder,
    check_gradients,
)
from skdeep._maxout import maxout, maxout_backward, maxout_with_winners
from skdeep.layers import Maxout, hidden_block
from skdeep.network import build_mlp

N_SAMPLES, N_FEATURES = 12, 5


def _data(seed=0, n_samples=N_SAMPLES):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n_samples, N_FEATURES)), rng.integers(0, 3, n_samples)


def _reference_maxout(Z, pieces):
    """The definition, unit by unit: h_j = max_p z[:, j * pieces + p]."""
    n_units = Z.shape[1] // pieces
    H = np.empty((Z.shape[0], n_units))
    for j in range(n_units):
        H[:, j] = np.max([Z[:, j * pieces + p] for p in range(pieces)], axis=0)
    return H


def _reference_forward(estimator, X):
    """An MLP's scores from its coefs_ and intercepts_, layer by layer in plain NumPy."""
    pieces = estimator.maxout_pieces
    H = X
    for weights, biases in zip(estimator.coefs_[:-1], estimator.intercepts_[:-1]):
        H = _reference_maxout(H @ weights + biases, pieces)
    return H @ estimator.coefs_[-1] + estimator.intercepts_[-1]


@pytest.mark.parametrize("pieces", [2, 3, 5])
def test_maxout_matches_the_definition(pieces):
    Z = np.random.default_rng(pieces).normal(size=(7, 4 * pieces))
    expected = _reference_maxout(Z, pieces)
    assert_allclose(maxout(Z, pieces), expected, rtol=0, atol=0)
    H, winners = maxout_with_winners(Z, pieces)
    assert_allclose(H, expected, rtol=0, atol=0)
    assert winners.shape == (7, 4, 1)


def test_backward_sends_the_gradient_to_the_winning_piece_only():
    Z = np.array([[1.0, 3.0, -1.0, -2.0], [5.0, 0.0, 0.0, 4.0]])
    _, winners = maxout_with_winners(Z, 2)
    grad = maxout_backward(np.array([[10.0, 20.0], [30.0, 40.0]]), winners, np.full((2, 4), 7.0))
    assert_array_equal(grad, [[0.0, 10.0, 20.0, 0.0], [30.0, 0.0, 0.0, 40.0]])


def test_tied_pieces_give_the_gradient_to_the_first():
    layer = Maxout(3)
    Z = np.array([[2.0, 2.0, 2.0, 0.0, 1.0, 1.0]])
    assert_array_equal(layer.forward(Z, training=True), [[2.0, 1.0]])
    assert_array_equal(layer.backward(np.array([[1.0, 1.0]])), [[1.0, 0, 0, 0, 1.0, 0]])


def test_layer_backward_matches_finite_differences(central_differences):
    rng = np.random.default_rng(0)
    Z, upstream = rng.normal(size=(6, 12)), rng.normal(size=(6, 4))
    layer = Maxout(3)
    layer.forward(Z, training=True)
    analytic = layer.backward(upstream.copy())
    numeric = central_differences(lambda: float(np.sum(maxout(Z, 3) * upstream)), Z)
    assert_allclose(analytic, numeric, atol=1e-8)


def test_prediction_keeps_nothing():
    layer = Maxout(2)
    layer.forward(np.ones((3, 4)))
    assert not [key for key in vars(layer) if key.startswith("_cache")]


@pytest.mark.parametrize("batch_norm", [False, True])
def test_block_layout(batch_norm):
    block = hidden_block(6, 4, "maxout", batch_norm=batch_norm, dropout=0.5, maxout_pieces=3)
    # The fixed layout an ONNX converter reads: Dense(n_in, n_units * pieces) -> [BatchNorm over
    # the pieces] -> maxout -> dropout, the activation naming itself and its piece count.
    assert [layer.role for layer in block.sublayers()] == (
        ["dense"] + ["batch_norm"] * batch_norm + ["activation", "dropout"]
    )
    assert (block.dense.n_inputs, block.dense.n_outputs) == (6, 12)
    assert block.activation.name == "maxout" and block.activation.pieces == 3
    assert block.n_units == 4
    assert block.dense.fused_activation == "identity"
    if batch_norm:
        assert block.batch_norm.n_units == 12
        assert block.batch_norm.fused_activation == "identity"


def test_columns_are_unit_major():
    """Piece p of unit j is column j * pieces + p: raising that column's bias makes it win."""
    pieces, n_units = 3, 4
    network = build_mlp(N_FEATURES, [n_units], 2, "maxout", maxout_pieces=pieces)
    network.reset_parameters("glorot_uniform", np.random.default_rng(0))
    dense = network.blocks[0].dense
    X = _data()[0]
    for j in range(n_units):
        for p in range(pieces):
            saved = dense.biases.copy()
            dense.biases[j * pieces + p] = 1e3
            H = network.features(X, 1)
            assert_allclose(H[:, j], X @ dense.weights[:, j * pieces + p] + 1e3)
            others = [unit for unit in range(n_units) if unit != j]
            assert (H[:, others] < 1e2).all()
            dense.biases[...] = saved


@pytest.mark.parametrize("Estimator", [DeepMLPClassifier, DeepMLPRegressor])
def test_fitted_attributes_and_forward_match_numpy(Estimator):
    X, y = _data(n_samples=40)
    model = Estimator(
        hidden_layer_sizes=(6, 4), activation="maxout", maxout_pieces=3, max_iter=5,
        random_state=0,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(X, y)
    assert [w.shape for w in model.coefs_] == [(5, 18), (6, 12), (4, model.n_outputs_)]
    assert [b.shape for b in model.intercepts_] == [(18,), (12,), (model.n_outputs_,)]
    scores = model._network.forward(X)
    assert_allclose(scores, _reference_forward(model, X), rtol=1e-12, atol=1e-12)


CHECKED = {
    "plain": {},
    "batch_norm": {"batch_norm": True},
    "dropout": {"dropout": 0.3, "input_dropout": 0.2},
    "batch_norm_dropout_penalties": {"batch_norm": True, "dropout": 0.3, "alpha": 0.1, "l1": 0.01},
}


@pytest.mark.parametrize("pieces", [2, 3])
@pytest.mark.parametrize("params", CHECKED.values(), ids=CHECKED.keys())
def test_full_network_gradient(params, pieces):
    X, y = _data()
    model = DeepMLPClassifier(
        hidden_layer_sizes=(4, 3), activation="maxout", maxout_pieces=pieces, **params
    )
    assert check_gradients(model, X, y).relative_error < 1e-6


def test_regressor_gradient():
    X, _ = _data()
    y = np.random.default_rng(1).normal(size=(N_SAMPLES, 2))
    model = DeepMLPRegressor(hidden_layer_sizes=(4,), activation="maxout", batch_norm=True)
    assert check_gradients(model, X, y).relative_error < 1e-6


def test_a_wrong_backward_is_detected(monkeypatch):
    """The gradient check above can fail: a maxout sending its gradient to every piece."""
    def backward(self, grad_output):
        return np.repeat(grad_output, self.pieces, axis=1)

    monkeypatch.setattr(Maxout, "backward", backward)
    X, y = _data()
    model = DeepMLPClassifier(hidden_layer_sizes=(4, 3), activation="maxout")
    assert check_gradients(model, X, y).relative_error > 1e-3


def _initial_block(weight_init, pieces=4, n_inputs=400, n_units=300):
    network = build_mlp(n_inputs, [n_units], 3, "maxout", maxout_pieces=pieces)
    network.reset_parameters(weight_init, np.random.default_rng(0))
    return network.blocks[0].dense


@pytest.mark.parametrize(
    "weight_init, variance",
    [
        # fan_in = 400 inputs; fan_out = 300 units, not the 1200 columns (see initialisers.py).
        ("he_normal", 2 / 400),
        ("lecun_uniform", 1 / 400),
        ("glorot_uniform", 2 / (400 + 300)),
        ("glorot_normal", 2 / (400 + 300)),
        ("auto", 6 / (400 + 300) / 3),
    ],
)
def test_initial_variance_counts_units_not_pieces(weight_init, variance):
    dense = _initial_block(weight_init)
    assert dense.weights.shape == (400, 1200)
    assert_allclose(dense.weights.var(), variance, rtol=0.01)


def test_auto_init_draws_from_sklearns_range_over_the_units():
    dense = _initial_block("auto")
    bound = np.sqrt(6 / (400 + 300))
    assert np.abs(dense.weights).max() <= bound
    assert np.abs(dense.weights).max() > 0.999 * bound
    assert np.abs(dense.biases).max() <= bound


def test_next_layer_fan_in_is_the_number_of_units():
    network = build_mlp(10, [6, 5], 2, "maxout", maxout_pieces=3)
    assert [(d.n_inputs, d.n_outputs) for d in network.dense_layers] == [(10, 18), (6, 15), (5, 2)]


def test_max_norm_bounds_every_piece():
    X, y = _data(n_samples=60)
    params = {"hidden_layer_sizes": (8,), "activation": "maxout", "maxout_pieces": 3,
              "learning_rate_init": 0.1, "max_iter": 20, "random_state": 0}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        free = DeepMLPClassifier(**params).fit(X * 10, y)
        bounded = DeepMLPClassifier(max_norm=0.5, **params).fit(X * 10, y)
    assert np.linalg.norm(free.coefs_[0], axis=0).max() > 0.5
    norms = np.linalg.norm(bounded.coefs_[0], axis=0)
    assert norms.shape == (24,)
    assert norms.max() <= 0.5 * (1 + 1e-9)


def test_lbfgs_fits_digits(digits):
    X, _, y, _ = digits
    model = DeepMLPClassifier(
        hidden_layer_sizes=(16,), activation="maxout", solver="lbfgs", max_iter=200,
        random_state=0,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(X, y)
    assert model.score(X, y) > 0.98


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_dtype_pickle_and_partial_fit(digits, dtype):
    X, _, y, _ = digits
    X = X.astype(dtype)
    model = DeepMLPClassifier(
        hidden_layer_sizes=(16,), activation="maxout", maxout_pieces=3, dropout=0.2,
        batch_norm=True, learning_rate_init=0.01, random_state=0,
    )
    model.partial_fit(X, y, classes=np.unique(y))
    assert model.coefs_[0].dtype == dtype
    restored = pickle.loads(pickle.dumps(model))
    assert_allclose(restored.predict_proba(X), model.predict_proba(X), rtol=0, atol=0)
    for _ in range(5):
        model.partial_fit(X, y)
        restored.partial_fit(X, y)
    assert_allclose(restored.coefs_[0], model.coefs_[0], rtol=1e-5)
    assert model.score(X, y) > 0.9


def test_early_stopping_restores_the_best_epoch(digits):
    X, _, y, _ = digits
    model = DeepMLPClassifier(
        hidden_layer_sizes=(16,), activation="maxout", dropout=0.1, early_stopping=True,
        n_iter_no_change=3, max_iter=100, random_state=0,
    ).fit(X, y)
    assert model.n_iter_ < 100
    # The restored snapshot's validation accuracy is the best one recorded.
    assert model.best_validation_score_ == max(model.validation_scores_)


def test_maxout_pieces_is_ignored_by_other_activations():
    X, y = _data(n_samples=40)
    params = {"hidden_layer_sizes": (5,), "max_iter": 3, "random_state": 0}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        default = DeepMLPClassifier(**params).fit(X, y)
        other = DeepMLPClassifier(maxout_pieces=7, **params).fit(X, y)
    assert default.coefs_[0].shape == (5, 5)
    assert_array_equal(other._network.params, default._network.params)


@pytest.mark.parametrize("pieces, message", [
    (1, r"The 'maxout_pieces' parameter of DeepMLPClassifier must be an int in the range "
        r"\[2, inf\)\. Got 1 instead"),
    (2.5, r"'maxout_pieces' parameter .* Got 2\.5 instead"),
])
def test_invalid_pieces_are_refused(pieces, message):
    X, y = _data()
    with pytest.raises(InvalidParameterError, match=message):
        DeepMLPClassifier(activation="maxout", maxout_pieces=pieces).fit(X, y)


@pytest.mark.parametrize("Autoencoder", [DenoisingAutoencoderTransformer, StackedAutoencoder])
def test_autoencoders_refuse_maxout(Autoencoder):
    with pytest.raises(InvalidParameterError, match="'activation' parameter .* Got 'maxout'"):
        Autoencoder(activation="maxout").fit(_data()[0])


@pytest.mark.parametrize("pretraining", ["autoencoder", "denoising", "rbm"])
def test_unsupervised_pretraining_is_refused(pretraining):
    X, y = _data()
    model = DeepMLPClassifier((4,), activation="maxout", pretraining=pretraining)
    with pytest.raises(ValueError, match=f"pretraining='{pretraining}' cannot initialise maxout"):
        model.fit(X, y)
    assert not hasattr(model, "_network")


def test_a_fitted_stack_is_refused():
    X, y = _data(n_samples=40)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        stack = StackedAutoencoder(hidden_layer_sizes=(4,), max_iter=2).fit(X)
    model = DeepMLPClassifier((4,), activation="maxout", pretraining=FrozenEstimator(stack))
    with pytest.raises(ValueError, match="a fitted StackedAutoencoder cannot initialise maxout"):
        model.fit(X, y)


def test_supervised_pretraining_initialises_maxout_layers(digits):
    X, _, y, _ = digits
    model = DeepMLPClassifier(
        hidden_layer_sizes=(12, 8), activation="maxout", maxout_pieces=3,
        pretraining="supervised", pretraining_max_iter=10, learning_rate_init=0.01,
        max_iter=1, random_state=0,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(X, y)
        unpretrained = clone(model).set_params(pretraining=None).fit(X, y)
    assert [w.shape for w in model.coefs_] == [(64, 36), (12, 24), (8, 10)]

    def separability(estimator):
        # How well a linear model reads the classes off the top hidden layer's 8 features.
        features = estimator._network.features(X, 2)
        return LogisticRegression(max_iter=500).fit(features, y).score(features, y)

    # After one epoch: layers pretrained for 10 epochs each, against layers trained for one.
    assert separability(model) > 0.9 > separability(unpretrained)


@pytest.mark.parametrize("Estimator", [DeepMLPClassifier, DeepMLPRegressor])
def test_check_estimator_with_maxout(Estimator):
    check_estimator(Estimator(activation="maxout", maxout_pieces=3))

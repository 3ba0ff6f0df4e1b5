"""Tests for skdeep.code_penalties: sparse (KL / L1) and contractive autoencoders."""

import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from numpy.testing import assert_allclose
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils.estimator_checks import parametrize_with_checks

from skdeep import DenoisingAutoencoderTransformer, StackedAutoencoder, check_gradients
from skdeep._training import objective
from skdeep.penalties import make_penalty

ACTIVATIONS = ("logistic", "tanh", "relu", "leaky_relu", "elu", "softplus", "identity")
PENALTIES = {
    "sparsity": {"sparsity_weight": 0.7, "sparsity_target": 0.2},
    "contraction": {"contraction": 0.6},
    "both_and_weight_penalties": {
        "sparsity_weight": 0.4, "contraction": 0.5, "alpha": 0.1, "l1": 0.05
    },
}
TOLERANCE = 1e-6


def _batch(seed=0, n_samples=12, n_features=5):
    return np.random.default_rng(seed).uniform(size=(n_samples, n_features))


def _autoencoder(**params):
    return DenoisingAutoencoderTransformer(n_components=4, noise=None, **params)


@pytest.mark.parametrize("penalty", sorted(PENALTIES))
@pytest.mark.parametrize("tied_weights", [True, False])
@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_gradients_match_finite_differences(activation, tied_weights, penalty):
    estimator = _autoencoder(
        activation=activation, tied_weights=tied_weights, **PENALTIES[penalty]
    )
    result = check_gradients(estimator, _batch(), None)
    assert result.relative_error < TOLERANCE


@pytest.mark.parametrize("activation", ["logistic", "tanh"])
def test_sample_weighted_gradients_match_finite_differences(activation):
    estimator = _autoencoder(activation=activation, sparsity_weight=0.5, contraction=0.5)
    weights = np.random.default_rng(1).uniform(0.2, 3.0, 12)
    result = check_gradients(estimator, _batch(), None, sample_weight=weights)
    assert result.relative_error < TOLERANCE


def _reference_penalty(W, b, X, activation, weights, beta, rho, lam):
    """The two penalties computed from their definitions, in NumPy."""
    a = X @ W + b
    functions = {
        "logistic": (lambda a: 1 / (1 + np.exp(-a)), lambda h, a: h * (1 - h)),
        "tanh": (np.tanh, lambda h, a: 1 - h**2),
        "relu": (lambda a: np.maximum(a, 0), lambda h, a: (a > 0) * 1.0),
        "softplus": (lambda a: np.log1p(np.exp(a)), lambda h, a: 1 / (1 + np.exp(-a))),
    }
    f, slope = functions[activation]
    h = f(a)
    w = weights / weights.sum()
    if activation == "logistic":
        rho_hat = w @ h
        sparsity = np.sum(
            rho * np.log(rho / rho_hat) + (1 - rho) * np.log((1 - rho) / (1 - rho_hat))
        )
    else:
        sparsity = w @ np.abs(h).sum(axis=1)
    # The Jacobian of each sample's code, built explicitly: diag(f'(a)) W^T.
    frobenius = [np.sum((slope(h[n], a[n])[:, None] * W.T) ** 2) for n in range(X.shape[0])]
    return beta * sparsity + lam * (w @ np.array(frobenius))


@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("activation", ["logistic", "tanh", "relu", "softplus"])
def test_penalty_value_matches_numpy_reference(activation, weighted):
    X = _batch(n_samples=20)
    weights = np.random.default_rng(2).uniform(0.5, 2.0, 20) if weighted else np.ones(20)
    beta, rho, lam = 0.8, 0.3, 0.4
    penalised = _autoencoder(
        activation=activation, sparsity_weight=beta, sparsity_target=rho, contraction=lam,
        random_state=0,
    )
    plain = _autoencoder(activation=activation, random_state=0)
    values = []
    for estimator in (penalised, plain):
        prepared = estimator._prepare(X, None, weights if weighted else None, False)
        values.append(objective(
            estimator._network, estimator._loss, make_penalty(0.0, 0.0), X, X,
            prepared.sample_weight,
        ))
    dense = penalised._network.blocks[0].dense
    expected = _reference_penalty(
        dense.weights, dense.biases, X, activation, weights, beta, rho, lam
    )
    assert_allclose(values[0] - values[1], expected, rtol=1e-10)


def test_zero_strengths_build_the_network_without_penalties():
    X = _batch()
    estimator = _autoencoder(sparsity_weight=0.0, contraction=0.0, max_iter=3).fit(X)
    assert [layer.role for layer in estimator._network.layers] == ["block", "tied_dense"]
    assert not estimator._network._code_penalties
    penalised = _autoencoder(sparsity_weight=0.1, max_iter=3).fit(X)
    assert [layer.role for layer in penalised._network.layers] == [
        "block", "code_penalty", "tied_dense"
    ]


@pytest.fixture(scope="module")
def digits():
    X, _ = load_digits(return_X_y=True)
    return X[:600] / 16


def _fit_quietly(estimator, X, **fit_params):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return estimator.fit(X, **fit_params)


def test_sparse_logistic_code_approaches_its_target(digits):
    settings = dict(n_components=32, activation="logistic", noise=None, max_iter=60,
                    learning_rate_init=0.01, random_state=0)
    plain = _fit_quietly(DenoisingAutoencoderTransformer(**settings), digits)
    sparse = _fit_quietly(
        DenoisingAutoencoderTransformer(sparsity_weight=3.0, sparsity_target=0.05, **settings),
        digits,
    )
    plain_mean = plain.transform(digits).mean()
    sparse_mean = sparse.transform(digits).mean()
    assert plain_mean > 0.2
    assert abs(sparse_mean - 0.05) < 0.03


def test_l1_sparsity_shrinks_relu_codes(digits):
    settings = dict(n_components=32, noise=None, max_iter=40, random_state=0)
    plain = _fit_quietly(DenoisingAutoencoderTransformer(**settings), digits)
    sparse = _fit_quietly(DenoisingAutoencoderTransformer(sparsity_weight=0.5, **settings),
                          digits)
    assert np.abs(sparse.transform(digits)).sum(axis=1).mean() < 0.7 * (
        np.abs(plain.transform(digits)).sum(axis=1).mean()
    )


def _jacobian_norm(estimator, X):
    """Mean squared Frobenius norm of a fitted logistic encoder's Jacobian."""
    h = estimator.transform(X)
    norms = np.sum(estimator.components_**2, axis=1)
    return np.mean((h * (1 - h)) ** 2 @ norms)


@pytest.mark.parametrize("solver", ["adam", "lbfgs"])
def test_contraction_flattens_the_encoder(digits, solver):
    settings = dict(n_components=32, activation="logistic", noise=None, max_iter=40,
                    solver=solver, learning_rate_init=0.01, random_state=0)
    plain = _fit_quietly(DenoisingAutoencoderTransformer(**settings), digits)
    contractive = _fit_quietly(DenoisingAutoencoderTransformer(contraction=1.0, **settings),
                               digits)
    assert _jacobian_norm(contractive, digits) < 0.5 * _jacobian_norm(plain, digits)


def test_lbfgs_loss_is_the_penalised_objective(digits):
    estimator = _fit_quietly(DenoisingAutoencoderTransformer(
        n_components=8, activation="logistic", noise=None, solver="lbfgs", max_iter=5,
        alpha=0.0, sparsity_weight=0.5, contraction=0.5, random_state=0,
    ), digits)
    reconstruction = -estimator.score(digits)
    dense = estimator._network.blocks[0].dense
    penalty = _reference_penalty(dense.weights, dense.biases, digits, "logistic",
                                 np.ones(len(digits)), 0.5, 0.05, 0.5)
    assert_allclose(estimator.loss_, reconstruction + penalty, rtol=1e-6)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_sparse_and_dense_input_and_both_types(digits, dtype):
    settings = dict(n_components=8, activation="logistic", noise=None, max_iter=5,
                    sparsity_weight=0.5, contraction=0.3, random_state=0)
    X = digits.astype(dtype)
    weights = np.random.default_rng(0).uniform(0.5, 2.0, len(X))
    dense = _fit_quietly(DenoisingAutoencoderTransformer(**settings), X, sample_weight=weights)
    csr = _fit_quietly(
        DenoisingAutoencoderTransformer(**settings), sp.csr_matrix(X), sample_weight=weights
    )
    codes = dense.transform(X)
    assert codes.dtype == dtype
    assert np.isfinite(dense.loss_curve_).all()
    assert_allclose(csr.transform(X), codes, rtol=1e-3 if dtype == np.float32 else 1e-7,
                    atol=1e-5 if dtype == np.float32 else 1e-9)


def test_stack_trains_each_layer_with_the_penalties_and_fine_tunes_without(digits):
    stack = _fit_quietly(StackedAutoencoder(
        hidden_layer_sizes=(16, 8), activation="logistic", noise=None, max_iter=5,
        sparsity_weight=0.5, sparsity_target=0.1, contraction=0.2, fine_tune=True,
        random_state=0,
    ), digits)
    for layer in stack.autoencoders_:
        assert (layer.sparsity_weight, layer.sparsity_target, layer.contraction) == (
            0.5, 0.1, 0.2
        )
        assert len(layer._network._code_penalties) == 1
    assert not stack._network._code_penalties


@pytest.mark.parametrize("Estimator", [DenoisingAutoencoderTransformer, StackedAutoencoder])
@pytest.mark.parametrize(
    "params, message",
    [
        ({"sparsity_weight": -1.0}, "'sparsity_weight' parameter"),
        ({"sparsity_target": 0.0}, "'sparsity_target' parameter"),
        ({"sparsity_target": 1.0}, "'sparsity_target' parameter"),
        ({"contraction": -0.5}, "'contraction' parameter"),
        ({"contraction": 0.1, "batch_norm": True}, "contraction > 0 needs batch_norm=False"),
    ],
)
def test_invalid_parameters_are_refused(Estimator, params, message):
    X = _batch()
    estimator = Estimator(**params)
    with pytest.raises(ValueError, match=message):
        estimator.fit(X)
    assert not hasattr(estimator, "n_features_in_")


def test_sparsity_with_batch_norm_is_accepted():
    result = check_gradients(
        _autoencoder(activation="logistic", batch_norm=True, sparsity_weight=0.5), _batch(), None
    )
    assert result.relative_error < TOLERANCE


@parametrize_with_checks([
    DenoisingAutoencoderTransformer(
        activation="logistic", sparsity_weight=0.5, noise=None, max_iter=20
    ),
    DenoisingAutoencoderTransformer(activation="tanh", contraction=0.3, noise=None, max_iter=20),
    StackedAutoencoder(hidden_layer_sizes=(8, 4), sparsity_weight=0.2, noise=None, max_iter=10),
    StackedAutoencoder(
        hidden_layer_sizes=(8, 4), activation="logistic", contraction=0.3, noise=None,
        max_iter=10,
    ),
])
def test_penalised_autoencoders_are_sklearn_compatible(estimator, check):
    check(estimator)

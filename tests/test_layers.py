"""Tests for skdeep.layers: gradients by central differences, dropout and batch-norm behaviour."""

import pickle

import numpy as np
import pytest
import scipy.sparse as sp
from numpy.testing import assert_allclose, assert_array_equal

from skdeep.activations import ACTIVATIONS
from skdeep.layers import Activation, BatchNorm, Dense, Dropout, HiddenBlock, hidden_block
from skdeep.network import Network

N_SAMPLES, N_IN, N_OUT = 6, 4, 3
DROPOUT_SEED = 7


def _bind(layer, seed=0):
    """Bind ``layer`` to float64 views (through a one-layer network) with random parameters."""
    network = Network([layer], dtype=np.float64)
    # A one-layer network never needs its input gradient; these tests do.
    layer.propagate = True
    network.params[...] = np.random.default_rng(seed).normal(size=network.params.shape)
    return network


def _inputs(n_columns, seed=1):
    # Magnitudes in [0.1, 2]: the relu-like kinks at 0 are far from every finite-difference step,
    # and half the entries are zeroed in the sparse variant.
    rng = np.random.default_rng(seed)
    shape = (N_SAMPLES, n_columns)
    return rng.choice([-1.0, 1.0], shape) * rng.uniform(0.1, 2.0, shape)


def _sparse_inputs(n_columns, seed=1):
    X = _inputs(n_columns, seed)
    X[np.random.default_rng(seed + 1).random(X.shape) < 0.5] = 0.0
    return X


# Each case: a layer factory, how a dense array becomes the layer's input, whether the forward
# pass is in training mode (the only mode that caches for backward), and the input's width.
LAYER_CASES = {
    "dense": (lambda: Dense(N_IN, N_OUT), np.array, True, N_IN),
    "dense_csr_input": (lambda: Dense(N_IN, N_OUT), sp.csr_matrix, True, N_IN),
    "batch_norm_training": (lambda: BatchNorm(N_IN), np.array, True, N_IN),
    "dropout_training": (lambda: Dropout(0.4), np.array, True, N_IN),
    "dropout_csr_input_training": (lambda: Dropout(0.4), sp.csr_matrix, True, N_IN),
    **{
        f"activation_{name}": (lambda name=name: Activation(name), np.array, True, N_IN)
        for name in sorted(ACTIVATIONS)
    },
    "hidden_block_training": (
        lambda: hidden_block(N_IN, N_OUT, "tanh", batch_norm=True, dropout=0.4),
        np.array,
        True,
        N_IN,
    ),
}
PARAMETER_CASES = [
    ("dense", "weights"),
    ("dense", "biases"),
    ("dense_csr_input", "weights"),
    ("dense_csr_input", "biases"),
    ("batch_norm_training", "scale"),
    ("batch_norm_training", "shift"),
]


def _objective_setup(case):
    make_layer, to_input, training, n_columns = LAYER_CASES[case]
    layer = make_layer()
    _bind(layer)
    X = (_sparse_inputs if to_input is sp.csr_matrix else _inputs)(n_columns)
    n_outputs = N_OUT if isinstance(layer, (Dense, HiddenBlock)) else n_columns
    R = np.random.default_rng(2).normal(size=(N_SAMPLES, n_outputs))

    def forward():
        # A copy each time: Activation works in place, and X is what finite differences perturb.
        # Dropout gets a fresh generator with the same seed, hence the same mask every time.
        output = layer.forward(to_input(X.copy()), training, np.random.default_rng(DROPOUT_SEED))
        return output.toarray() if sp.issparse(output) else output

    def scalar():
        return float(np.sum(R * forward()))

    return layer, X, R, forward, scalar


@pytest.mark.parametrize("case", sorted(LAYER_CASES))
def test_input_gradient_matches_central_differences(case, central_differences):
    layer, X, R, forward, scalar = _objective_setup(case)
    numeric = central_differences(scalar, X)
    forward()
    analytic = layer.backward(R.copy())
    assert analytic.shape == X.shape
    assert_allclose(analytic, numeric, rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("case, name", PARAMETER_CASES)
def test_parameter_gradient_matches_central_differences(case, name, central_differences):
    layer, _, R, forward, scalar = _objective_setup(case)
    numeric = central_differences(scalar, getattr(layer, name))
    forward()
    layer.backward(R.copy())
    assert_allclose(getattr(layer, "grad_" + name), numeric, rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("case, name", PARAMETER_CASES)
def test_backward_without_propagation_still_fills_parameter_gradients(case, name):
    layer, _, R, forward, _ = _objective_setup(case)
    forward()
    layer.backward(R.copy())
    expected = getattr(layer, "grad_" + name).copy()
    getattr(layer, "grad_" + name)[...] = 0.0
    layer.propagate = False
    forward()
    assert layer.backward(R.copy()) is None
    assert_array_equal(getattr(layer, "grad_" + name), expected)


# ------------------------------------------------------------------------------------- Dense
def test_dense_forward_is_affine():
    layer = Dense(N_IN, N_OUT)
    _bind(layer)
    X = _inputs(N_IN)
    assert_allclose(layer.forward(X), X @ layer.weights + layer.biases, rtol=1e-14)


def test_dense_sparse_and_dense_inputs_agree():
    layer = Dense(N_IN, N_OUT)
    _bind(layer)
    X = _sparse_inputs(N_IN)
    R = np.random.default_rng(2).normal(size=(N_SAMPLES, N_OUT))
    dense_output = layer.forward(X, training=True).copy()
    dense_input_gradient = layer.backward(R.copy())
    dense_weight_gradient = layer.grad_weights.copy()
    sparse_output = layer.forward(sp.csr_matrix(X), training=True)
    assert isinstance(sparse_output, np.ndarray)
    assert_allclose(sparse_output, dense_output, rtol=1e-14)
    assert_allclose(layer.backward(R.copy()), dense_input_gradient, rtol=1e-14)
    assert_allclose(layer.grad_weights, dense_weight_gradient, rtol=1e-14)


def test_dense_forward_does_not_modify_its_input():
    layer = Dense(N_IN, N_OUT)
    _bind(layer)
    X = _inputs(N_IN)
    X_before = X.copy()
    layer.forward(X, training=True)
    assert_array_equal(X, X_before)


# ---------------------------------------------------------------------------------- Dropout
@pytest.mark.parametrize("to_input", [np.array, sp.csr_matrix], ids=["dense", "csr"])
def test_dropout_at_prediction_time_is_identity_and_returns_same_object(to_input):
    X = to_input(_inputs(N_IN))
    assert Dropout(0.5).forward(X, training=False) is X


def test_dropout_with_zero_rate_is_identity_while_training():
    X = _inputs(N_IN)
    assert Dropout(0.0).forward(X, training=True, rng=np.random.default_rng(0)) is X


@pytest.mark.parametrize("rate", [0.1, 0.5, 0.8])
def test_dropout_keep_rate_and_scale(rate):
    shape = (400, 250)
    output = Dropout(rate).forward(np.ones(shape), training=True, rng=np.random.default_rng(0))
    kept = output != 0
    # Every kept unit is scaled by exactly 1 / (1 - rate) (inverted dropout).
    assert_allclose(output[kept], 1.0 / (1.0 - rate), rtol=1e-15)
    keep = 1.0 - rate
    # The kept fraction is binomial: standard error sqrt(keep (1 - keep) / n).
    standard_error = np.sqrt(keep * (1.0 - keep) / kept.size)
    assert abs(kept.mean() - keep) < 6 * standard_error


@pytest.mark.parametrize("to_input", [np.array, sp.csr_matrix], ids=["dense", "csr"])
def test_dropout_never_modifies_its_input(to_input):
    X_dense = _sparse_inputs(N_IN)
    X = to_input(X_dense.copy())
    layer = Dropout(0.5)
    _bind(layer)
    layer.forward(X, training=True, rng=np.random.default_rng(0))
    layer.backward(np.ones((N_SAMPLES, N_IN)))
    assert_array_equal(X.toarray() if sp.issparse(X) else X, X_dense)


def test_dropout_sparse_input_gets_the_mask_of_the_dense_input():
    X = _sparse_inputs(N_IN)
    layer = Dropout(0.5)
    dense_output = layer.forward(X, training=True, rng=np.random.default_rng(3))
    sparse_output = layer.forward(sp.csr_matrix(X), training=True, rng=np.random.default_rng(3))
    assert sp.issparse(sparse_output)
    assert_allclose(sparse_output.toarray(), dense_output, rtol=1e-15)


def test_dropout_backward_uses_the_forward_mask():
    layer = Dropout(0.5)
    _bind(layer)
    output = layer.forward(np.ones((N_SAMPLES, N_IN)), training=True, rng=np.random.default_rng(0))
    assert_array_equal(layer.backward(np.ones((N_SAMPLES, N_IN))), output)


def test_dropout_keeps_float32():
    X = _inputs(N_IN).astype(np.float32)
    output = Dropout(0.5).forward(X, training=True, rng=np.random.default_rng(0))
    assert output.dtype == np.float32


# -------------------------------------------------------------------------------- BatchNorm
def _reset_batch_norm(n_units, momentum=0.9):
    layer = BatchNorm(n_units, momentum=momentum)
    _bind(layer)
    layer.reset_parameters("auto", "relu", np.random.default_rng(0))
    return layer


def _shifted_batch(seed, n_samples=50):
    return np.random.default_rng(seed).normal(5.0, 3.0, size=(n_samples, N_IN))


def test_batch_norm_reset_gives_identity_scale_and_fresh_running_statistics():
    layer = _reset_batch_norm(N_IN)
    assert_array_equal(layer.scale, np.ones(N_IN))
    assert_array_equal(layer.shift, np.zeros(N_IN))
    assert_array_equal(layer.running_mean, np.zeros(N_IN))
    assert_array_equal(layer.running_var, np.ones(N_IN))


def test_batch_norm_training_output_has_zero_mean_and_unit_variance():
    layer = _reset_batch_norm(N_IN)
    X = _shifted_batch(0)
    output = layer.forward(X, training=True)
    assert_allclose(output.mean(axis=0), 0.0, atol=1e-12)
    # Unit variance up to epsilon: var(x_hat) = var / (var + epsilon) exactly.
    batch_var = X.var(axis=0)
    assert_allclose(output.var(axis=0), batch_var / (batch_var + layer.epsilon), rtol=1e-12)


def test_batch_norm_applies_scale_and_shift():
    layer = _reset_batch_norm(N_IN)
    X = _shifted_batch(0)
    normalised = layer.forward(X, training=True).copy()
    layer.scale[...] = [0.5, 2.0, -1.0, 3.0]
    layer.shift[...] = [1.0, -2.0, 0.0, 0.25]
    assert_allclose(
        layer.forward(X, training=True), normalised * layer.scale + layer.shift, rtol=1e-12
    )


@pytest.mark.parametrize("momentum", [0.9, 0.5, 0.0])
def test_batch_norm_running_statistics_follow_momentum(momentum):
    layer = _reset_batch_norm(N_IN, momentum=momentum)
    first, second = _shifted_batch(0), _shifted_batch(1, n_samples=30)
    layer.forward(first, training=True)
    layer.forward(second, training=True)
    # Exponential moving averages, starting from (0, 1), of the biased batch variance.
    expected_mean, expected_var = np.zeros(N_IN), np.ones(N_IN)
    expected_mean = momentum * expected_mean + (1 - momentum) * first.mean(axis=0)
    expected_var = momentum * expected_var + (1 - momentum) * first.var(axis=0)
    expected_mean = momentum * expected_mean + (1 - momentum) * second.mean(axis=0)
    expected_var = momentum * expected_var + (1 - momentum) * second.var(axis=0)
    assert_allclose(layer.running_mean, expected_mean, rtol=1e-12)
    assert_allclose(layer.running_var, expected_var, rtol=1e-12)


def test_batch_norm_prediction_uses_running_statistics():
    layer = _reset_batch_norm(N_IN)
    layer.running_mean[...] = [1.0, -2.0, 0.5, 3.0]
    layer.running_var[...] = [4.0, 0.25, 1.0, 9.0]
    layer.scale[...] = [0.5, 2.0, -1.0, 3.0]
    layer.shift[...] = [1.0, -2.0, 0.0, 0.25]
    X = _shifted_batch(0)
    expected = (X - layer.running_mean) / np.sqrt(layer.running_var + layer.epsilon)
    expected = expected * layer.scale + layer.shift
    output = layer.forward(X, training=False)
    assert_allclose(output, expected, rtol=1e-12)
    # One row on its own gets the same answer: no batch statistics at prediction time.
    assert_allclose(layer.forward(X[:1], training=False), expected[:1], rtol=1e-12)
    assert_array_equal(layer.running_mean, [1.0, -2.0, 0.5, 3.0])
    assert_array_equal(layer.running_var, [4.0, 0.25, 1.0, 9.0])


@pytest.mark.parametrize("training", [True, False])
def test_batch_norm_does_not_modify_its_input(training):
    layer = _reset_batch_norm(N_IN)
    X = _shifted_batch(0)
    X_before = X.copy()
    layer.forward(X, training=training)
    assert_array_equal(X, X_before)


def test_batch_norm_buffers_are_the_running_statistics():
    layer = _reset_batch_norm(N_IN)
    running_mean, running_var = layer.buffers()
    assert running_mean is layer.running_mean
    assert running_var is layer.running_var


# ------------------------------------------------------------------------------- Activation
@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
def test_activation_layer_works_in_place_and_caches_its_output_only(name):
    layer = Activation(name)
    X = _inputs(N_IN)
    output = layer.forward(X, training=True)
    assert output is X
    cached = {key for key in vars(layer) if key.startswith("_cache")}
    assert cached == {"_cache_output"}
    assert layer._cache_output is output


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
def test_activation_layer_backward_is_the_derivative_from_the_output(name):
    layer = Activation(name)
    X = _inputs(N_IN)
    forward, multiply_derivative = ACTIVATIONS[name]
    expected_output = forward(X.copy(), out=np.empty_like(X))
    grad = np.random.default_rng(2).normal(size=X.shape)
    expected = multiply_derivative(expected_output, grad.copy())
    layer.forward(X, training=True)
    assert_allclose(layer.backward(grad), expected, rtol=1e-15)


# --------------------------------------------------------------------------------- pickling
@pytest.mark.parametrize("case", sorted(LAYER_CASES))
def test_pickled_layer_drops_views_and_caches(case):
    layer, _, _, forward, _ = _objective_setup(case)
    forward()
    state = pickle.loads(pickle.dumps(layer)).__dict__
    bound = {name for name, _, _ in layer.param_specs()}
    assert not bound & set(state)
    assert not {"grad_" + name for name in bound} & set(state)
    assert not [key for key in state if key.startswith("_cache")]


# ---------------------------------------------------------------------- caching by mode
def _cached(layer):
    """The cache entries ``layer`` and the layers it is made of hold."""
    return [key for part in layer.walk() for key in vars(part) if key.startswith("_cache")]


@pytest.mark.parametrize("case", sorted(LAYER_CASES))
def test_prediction_mode_caches_nothing(case):
    layer = LAYER_CASES[case][0]()
    _bind(layer)
    layer.forward(_inputs(N_IN), training=False, rng=np.random.default_rng(0))
    assert _cached(layer) == []


@pytest.mark.parametrize("case", sorted(LAYER_CASES))
def test_clear_cache_drops_what_training_kept(case):
    layer, _, _, forward, _ = _objective_setup(case)
    forward()
    layer.clear_cache()
    assert _cached(layer) == []


def test_batch_norm_prediction_mode_caches_nothing_after_training():
    layer = _reset_batch_norm(N_IN)
    layer.forward(_shifted_batch(0), training=True)
    layer.clear_cache()
    layer.forward(_shifted_batch(1), training=False)
    assert _cached(layer) == []


# ------------------------------------------------------------------------------ HiddenBlock
def _block(batch_norm=True, dropout=0.4):
    return hidden_block(N_IN, N_OUT, "tanh", batch_norm=batch_norm, dropout=dropout)


@pytest.mark.parametrize("batch_norm", [False, True])
@pytest.mark.parametrize("dropout", [0.0, 0.4])
def test_hidden_block_lists_its_parts_in_order(batch_norm, dropout):
    block = _block(batch_norm, dropout)
    expected = [block.dense, block.batch_norm, block.activation, block.dropout]
    assert block.sublayers() == [layer for layer in expected if layer is not None]
    assert (block.batch_norm is None) is not batch_norm
    assert (block.dropout is None) is not dropout
    assert list(block.walk()) == [block, *block.sublayers()]


def test_hidden_block_offers_its_parts_parameters_under_prefixed_names():
    block = _block()
    assert block.param_specs() == [
        ("dense.weights", (N_IN, N_OUT), True),
        ("dense.biases", (N_OUT,), False),
        ("batch_norm.scale", (N_OUT,), False),
        ("batch_norm.shift", (N_OUT,), False),
    ]
    network = _bind(block)
    network.params[...] = np.arange(network.params.size)
    # Network layout: the weight matrix first, then the other parameters in order.
    assert_array_equal(block.dense.weights.ravel(), np.arange(N_IN * N_OUT))
    assert_array_equal(block.batch_norm.shift, network.params[-N_OUT:])
    assert np.shares_memory(block.dense.grad_weights, network.grads)


def test_hidden_block_buffers_are_its_batch_norms():
    block = _block()
    _bind(block)
    running_mean, running_var = block.buffers()
    assert running_mean is block.batch_norm.running_mean
    assert running_var is block.batch_norm.running_var


@pytest.mark.parametrize("needed", [False, True])
def test_hidden_block_marks_its_parts_for_propagation(needed):
    block = _block()
    block.propagate = needed
    assert block.propagate is needed
    # Only the dense layer may skip its input gradient; the parts above it need theirs.
    assert [layer.propagate for layer in block.sublayers()] == [needed, True, True, True]


def test_hidden_block_parameter_gradients_match_central_differences(central_differences):
    block = _block()
    network = _bind(block)
    X = _inputs(N_IN)
    R = np.random.default_rng(2).normal(size=(N_SAMPLES, N_OUT))

    def scalar():
        output = block.forward(X.copy(), training=True, rng=np.random.default_rng(DROPOUT_SEED))
        return float(np.sum(R * output))

    numeric = central_differences(scalar, network.params)
    scalar()
    block.backward(R.copy())
    assert_allclose(network.grads, numeric, rtol=1e-6, atol=1e-8)


def test_hidden_block_forward_is_its_parts_in_sequence():
    block = _block(dropout=0.0)
    _bind(block)
    X = _inputs(N_IN)
    expected = X
    for layer in (block.dense, block.batch_norm, block.activation):
        expected = layer.forward(expected)
    assert_allclose(block.forward(X), expected, rtol=1e-15)

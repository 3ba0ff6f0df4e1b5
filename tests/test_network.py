"""Tests for skdeep.network: flat layout and views, pickling, whole-network gradient, snapshots,
max-norm, recomputed batch-norm statistics and initialisation."""

import pickle

import numpy as np
import pytest
import scipy.sparse as sp
from numpy.testing import assert_allclose, assert_array_equal

from skdeep._training import objective
from skdeep import DeepMLPClassifier, DeepMLPRegressor, DenoisingAutoencoderTransformer
from skdeep import StackedAutoencoder
from skdeep.layers import Activation, BatchNorm, Dense, Dropout, HiddenBlock
from skdeep.losses import Poisson, SigmoidCrossEntropy, SoftmaxCrossEntropy, SquaredError
from skdeep.network import Network, build_mlp
from skdeep.penalties import WeightPenalty, make_penalty

N_SAMPLES, N_FEATURES = 8, 4
DROPOUT_SEED = 3


def _layers():
    return [
        Dropout(0.2),
        HiddenBlock(
            Dense(N_FEATURES, 5), Activation("tanh"), batch_norm=BatchNorm(5), dropout=Dropout(0.3)
        ),
        HiddenBlock(Dense(5, 3), Activation("softplus"), batch_norm=BatchNorm(3)),
        Dense(3, 2),
    ]


def _leaves(network):
    """The plain layers of ``network``, input to output (the hidden blocks' parts in place)."""
    return [layer for top in network.layers for layer in top.walk() if not layer.sublayers()]


def _random_network(dtype=np.float64, seed=0):
    """A network with random parameters, including non-trivial batch-norm scales and shifts."""
    network = Network(_layers(), dtype=dtype)
    network.params[...] = np.random.default_rng(seed).normal(size=network.params.shape)
    return network


def _inputs(seed=1, n_samples=N_SAMPLES):
    return np.random.default_rng(seed).normal(1.0, 2.0, size=(n_samples, N_FEATURES))


# (plain layer position, name) of every parameter array, and of every view a layer holds.
PARAMETERS = [
    (position, name)
    for position, layer in enumerate(_leaves(Network(_layers())))
    for name, _, _ in layer.param_specs()
]
BOUND_ARRAYS = [
    (position, prefix + name) for position, name in PARAMETERS for prefix in ("", "grad_")
]


# ------------------------------------------------------------------------------ flat layout
def test_weights_come_first_in_the_flat_vector():
    network = _random_network()
    weights = [layer.weights.ravel() for layer in network.dense_layers]
    assert network.n_weights == N_FEATURES * 5 + 5 * 3 + 3 * 2
    assert_array_equal(network.params[: network.n_weights], np.concatenate(weights))


def test_every_parameter_entry_belongs_to_exactly_one_view():
    network = Network(_layers())
    network.params[...] = np.arange(network.params.size)
    entries = np.concatenate(
        [getattr(_leaves(network)[position], name).ravel() for position, name in PARAMETERS]
    )
    assert_array_equal(np.sort(entries), np.arange(network.params.size))


@pytest.mark.parametrize("position, name", PARAMETERS)
def test_gradient_vector_has_the_parameter_layout(position, name):
    network = Network(_layers())
    network.grads[...] = np.arange(network.grads.size)
    network.params[...] = np.arange(network.params.size)
    layer = _leaves(network)[position]
    assert_array_equal(getattr(layer, "grad_" + name), getattr(layer, name))


@pytest.mark.parametrize("position, attribute", BOUND_ARRAYS)
def test_layer_arrays_are_views_of_the_flat_vectors(position, attribute):
    network = Network(_layers())
    flat = network.grads if attribute.startswith("grad_") else network.params
    view = getattr(_leaves(network)[position], attribute)
    assert np.shares_memory(view, flat)
    # A write through the flat vector is seen by the layer.
    flat[...] = 2.5
    assert_array_equal(view, 2.5)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_dtype_of_flat_vectors_and_outputs(dtype):
    network = _random_network(dtype=dtype)
    assert network.params.dtype == network.grads.dtype == dtype
    output = network.forward(_inputs().astype(dtype), training=True, rng=np.random.default_rng(0))
    assert output.dtype == dtype


def test_only_layers_above_the_first_parameterised_layer_propagate():
    network = Network(_layers())
    assert [layer.propagate for layer in _leaves(network)] == [False, False] + [True] * 7
    assert [layer.propagate for layer in network.layers] == [False, False, True, True]


def test_layer_lists():
    network = Network(_layers())
    assert [layer.n_outputs for layer in network.dense_layers] == [5, 3, 2]
    assert [layer.n_units for layer in network.batch_norm_layers] == [5, 3]
    assert [layer.rate for layer in network.dropout_layers] == [0.2, 0.3]


# --------------------------------------------------------------------------------- pickling
def _trained_network():
    network = _random_network()
    # A few training passes move the running statistics away from (0, 1).
    for seed in range(3):
        network.forward(_inputs(seed), training=True, rng=np.random.default_rng(seed))
    return network


@pytest.mark.parametrize("position, attribute", BOUND_ARRAYS)
def test_pickled_network_layers_are_views_after_load(position, attribute):
    loaded = pickle.loads(pickle.dumps(_trained_network()))
    flat = loaded.grads if attribute.startswith("grad_") else loaded.params
    view = getattr(_leaves(loaded)[position], attribute)
    assert np.shares_memory(view, flat)
    flat[...] = -1.5
    assert_array_equal(view, -1.5)


@pytest.mark.parametrize("training", [False, True])
def test_pickled_network_gives_identical_outputs(training):
    network = _trained_network()
    loaded = pickle.loads(pickle.dumps(network))
    X = _inputs(seed=9)
    expected = network.forward(X, training, np.random.default_rng(DROPOUT_SEED))
    assert_array_equal(loaded.forward(X, training, np.random.default_rng(DROPOUT_SEED)), expected)


def test_pickled_network_keeps_running_statistics():
    network = _trained_network()
    loaded = pickle.loads(pickle.dumps(network))
    for original, restored in zip(network.batch_norm_layers, loaded.batch_norm_layers):
        assert_array_equal(restored.running_mean, original.running_mean)
        assert_array_equal(restored.running_var, original.running_var)


# --------------------------------------------------------------- whole-network gradient
def _targets(loss_class, n_outputs, rng):
    if loss_class is SoftmaxCrossEntropy:
        return np.eye(n_outputs)[rng.integers(0, n_outputs, N_SAMPLES)]
    if loss_class is SigmoidCrossEntropy:
        return (rng.random((N_SAMPLES, n_outputs)) < 0.5).astype(np.float64)
    if loss_class is Poisson:
        return rng.poisson(1.5, (N_SAMPLES, n_outputs)).astype(np.float64)
    return rng.normal(size=(N_SAMPLES, n_outputs))


PENALTY = make_penalty(alpha=0.1, l1=0.05)


def _objective_problem(loss_class, weighted, sparse_input=False):
    network = build_mlp(
        N_FEATURES, (5, 3), 3, "tanh", batch_norm=True, dropout=(0.3, 0.2), input_dropout=0.2
    )
    rng = np.random.default_rng(0)
    network.reset_parameters("glorot_normal", rng)
    for layer in network.batch_norm_layers:
        layer.scale[...] = rng.uniform(0.5, 1.5, layer.n_units)
        layer.shift[...] = rng.normal(size=layer.n_units)
    X = _inputs()
    if sparse_input:
        X[rng.random(X.shape) < 0.5] = 0.0
        X = sp.csr_matrix(X)
    Y = _targets(loss_class, 3, rng)
    sample_weight = rng.uniform(0.5, 2.0, N_SAMPLES) if weighted else None

    def value(penalty=PENALTY):
        # The same seed every time: the same dropout masks, so a fixed function of the parameters.
        rng = np.random.default_rng(DROPOUT_SEED)
        return objective(network, loss_class(), penalty, X, Y, sample_weight, rng)

    return network, value, sample_weight


LOSS_CLASSES = [SoftmaxCrossEntropy, SigmoidCrossEntropy, SquaredError, Poisson]


@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
@pytest.mark.parametrize("loss_class", LOSS_CLASSES, ids=lambda cls: cls.__name__)
def test_objective_gradient_matches_central_differences(loss_class, weighted, central_differences):
    network, value, _ = _objective_problem(loss_class, weighted)
    numeric = central_differences(value, network.params)
    value()
    assert_allclose(network.grads, numeric, rtol=1e-6, atol=1e-8)


def test_objective_gradient_with_sparse_input(central_differences):
    network, value, _ = _objective_problem(SoftmaxCrossEntropy, True, sparse_input=True)
    numeric = central_differences(value, network.params)
    value()
    assert_allclose(network.grads, numeric, rtol=1e-6, atol=1e-8)


def test_objective_overwrites_the_gradient():
    network, value, _ = _objective_problem(SoftmaxCrossEntropy, False)
    value()
    first = network.grads.copy()
    value()
    assert_array_equal(network.grads, first)


@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
def test_objective_adds_the_penalty_scaled_by_the_total_sample_weight(weighted):
    network, value, sample_weight = _objective_problem(SquaredError, weighted)
    total_weight = N_SAMPLES if sample_weight is None else sample_weight.sum()
    weights = network.params[: network.n_weights]
    expected = (0.5 * 0.1 * np.sum(weights**2) + 0.05 * np.sum(np.abs(weights))) / total_weight
    assert value() - value(WeightPenalty()) == pytest.approx(expected, rel=1e-10)


@pytest.mark.parametrize("training", [False, True])
def test_forward_never_modifies_the_input(training):
    network = _random_network()
    X = _inputs()
    network.forward(X, training, np.random.default_rng(0))
    assert_array_equal(X, _inputs())


# ------------------------------------------------------------------------ snapshot / restore
def test_snapshot_restore_round_trip():
    network = _trained_network()
    X = _inputs(seed=9)
    expected_output = network.forward(X).copy()
    expected_params = network.params.copy()
    expected_stats = [
        (layer.running_mean.copy(), layer.running_var.copy()) for layer in network.batch_norm_layers
    ]
    snapshot = network.snapshot()
    # Change everything a snapshot must cover: parameters and running statistics.
    network.params += 1.0
    network.forward(_inputs(seed=10), training=True, rng=np.random.default_rng(0))
    assert not np.array_equal(network.forward(X), expected_output)
    network.restore(snapshot)
    assert_array_equal(network.params, expected_params)
    for layer, (mean, var) in zip(network.batch_norm_layers, expected_stats):
        assert_array_equal(layer.running_mean, mean)
        assert_array_equal(layer.running_var, var)
    assert_array_equal(network.forward(X), expected_output)


def test_snapshot_is_a_copy_and_restore_keeps_the_views():
    network = _trained_network()
    params_before = network.params
    snapshot = network.snapshot()
    saved = snapshot[0].copy()
    network.params[...] = 0.0
    assert_array_equal(snapshot[0], saved)
    network.restore(snapshot)
    assert network.params is params_before
    assert np.shares_memory(network.dense_layers[0].weights, network.params)


# ---------------------------------------------------------------------------------- max-norm
def test_apply_max_norm_caps_column_norms():
    network = _random_network()
    for scale, layer in zip([10.0, 0.1, 1.0], network.dense_layers):
        layer.weights *= scale
    max_norm = 1.5
    before = [layer.weights.copy() for layer in network.dense_layers]
    other_params = network.params[network.n_weights :].copy()
    network.apply_max_norm(max_norm)
    for old, layer in zip(before, network.dense_layers):
        old_norms = np.linalg.norm(old, axis=0)
        new_norms = np.linalg.norm(layer.weights, axis=0)
        assert_allclose(new_norms, np.minimum(old_norms, max_norm), rtol=1e-12)
        # Same directions; columns within the limit are untouched.
        assert_allclose(layer.weights, old * (new_norms / old_norms), rtol=1e-12)
        assert_array_equal(layer.weights[:, old_norms <= max_norm], old[:, old_norms <= max_norm])
    assert_array_equal(network.params[network.n_weights :], other_params)


def test_apply_max_norm_caps_some_and_spares_others():
    # Guards the test above against a configuration where nothing (or everything) is capped.
    network = _random_network()
    layer = network.dense_layers[0]
    layer.weights[...] = 0.0
    layer.weights[0, :] = [3.0, 0.5, 1.5, 2.0, 0.0]
    network.apply_max_norm(1.5)
    assert_allclose(layer.weights[0], [1.5, 0.5, 1.5, 1.5, 0.0], rtol=1e-15)
    assert np.shares_memory(layer.weights, network.params)


# ------------------------------------------------------------ recomputed batch-norm statistics
def _manual_batch_norm_inputs(network, X):
    """Inputs of each batch-norm layer, by hand, with lower layers using the exact statistics."""
    dense_1, batch_norm_1, _, _, dense_2, batch_norm_2, *_ = _leaves(network)[1:]
    h1 = X @ dense_1.weights + dense_1.biases
    mean_1, var_1 = h1.mean(axis=0), h1.var(axis=0)
    normalised = (h1 - mean_1) / np.sqrt(var_1 + batch_norm_1.epsilon)
    a1 = np.tanh(normalised * batch_norm_1.scale + batch_norm_1.shift)
    h2 = a1 @ dense_2.weights + dense_2.biases
    return [h1, h2]


@pytest.mark.parametrize("to_input", [np.array, sp.csr_matrix], ids=["dense", "csr"])
@pytest.mark.parametrize("batch_size", [7, 1024])
def test_recompute_batch_norm_statistics_is_exact(batch_size, to_input):
    network = _trained_network()
    X = _inputs(seed=5, n_samples=30)
    network.recompute_batch_norm_statistics(to_input(X), batch_size=batch_size)
    for layer, inputs in zip(network.batch_norm_layers, _manual_batch_norm_inputs(network, X)):
        assert_allclose(layer.running_mean, inputs.mean(axis=0), rtol=1e-10, atol=1e-12)
        assert_allclose(layer.running_var, inputs.var(axis=0), rtol=1e-10, atol=1e-12)


def test_recompute_batch_norm_statistics_does_not_touch_parameters():
    network = _trained_network()
    params = network.params.copy()
    network.recompute_batch_norm_statistics(_inputs(seed=5, n_samples=30), batch_size=7)
    assert_array_equal(network.params, params)


# ---------------------------------------------------------------------------- initialisation
@pytest.mark.parametrize("activation, factor", [("relu", 6.0), ("logistic", 2.0)])
@pytest.mark.parametrize("index", [0, 1, 2], ids=["hidden_1", "hidden_2", "output"])
def test_auto_initialisation_uses_scikit_learn_bound_in_every_layer(activation, factor, index):
    # scikit-learn's BaseMultilayerPerceptron._init_coef applies the hidden activation's factor to
    # every layer, the output layer included: U(-b, b), b = sqrt(factor / (fan_in + fan_out)).
    network = build_mlp(6, (5, 4), 3, activation)
    network.reset_parameters("auto", np.random.default_rng(0))
    layer = network.dense_layers[index]
    bound = np.sqrt(factor / (layer.n_inputs + layer.n_outputs))
    assert np.abs(layer.weights).max() <= bound
    assert np.abs(layer.biases).max() <= bound
    assert np.abs(layer.biases).max() > 0


# ------------------------------------------------------------------------------- structure
def test_structure_is_read_from_the_blocks():
    network = Network(_layers())
    first, second = network.blocks
    assert network.blocks == network.layers[1:3]
    assert network.dense_layers == [first.dense, second.dense, network.layers[-1]]
    assert network.batch_norm_layers == [first.batch_norm, second.batch_norm]
    assert network.dropout_layers == [network.layers[0], first.dropout]


def test_tied_decoder_is_not_a_dense_layer():
    dae = DenoisingAutoencoderTransformer(n_components=3, max_iter=1, random_state=0)
    dae.fit(np.random.default_rng(0).random((20, N_FEATURES)))
    network = dae._network
    assert network.dense_layers == [network.blocks[0].dense]
    assert network.layers[-1].source is network.blocks[0].dense


@pytest.mark.parametrize("depth", [0, 1, 2])
def test_features_are_the_output_of_the_first_blocks(depth):
    network = _trained_network()
    X = _inputs(seed=9)
    expected = X
    for block in network.blocks[:depth]:
        expected = block.forward(expected)
    assert_array_equal(network.features(X, depth), expected)


def test_forward_from_start_to_stop_composes():
    network = _trained_network()
    X = _inputs(seed=9)
    middle = network.forward(X, stop=2)
    assert_array_equal(network.forward(middle, start=2), network.forward(X))


def test_reset_parameters_gives_each_block_its_own_activation(monkeypatch):
    hints = []
    monkeypatch.setattr(Dense, "reset_parameters", lambda self, init, hint, rng: hints.append(hint))
    Network(_layers()).reset_parameters("auto", np.random.default_rng(0))
    # The output layer is scaled for the last hidden activation, as scikit-learn does.
    assert hints == ["tanh", "softplus", "softplus"]


# -------------------------------------------------------------------- caches and training
def _cached_arrays(network):
    return [
        (type(layer).__name__, key)
        for top in network.layers
        for layer in top.walk()
        for key, value in vars(layer).items()
        if key.startswith("_cache") and value is not None
    ]


def test_prediction_keeps_nothing_and_training_still_back_propagates(central_differences):
    network = _random_network()
    X = _inputs()
    network.forward(X)
    assert _cached_arrays(network) == []
    R = np.random.default_rng(4).normal(size=(N_SAMPLES, 2))

    def value():
        output = network.forward(X, training=True, rng=np.random.default_rng(DROPOUT_SEED))
        return float(np.sum(R * output))

    numeric = central_differences(value, network.params)
    value()
    # A prediction between the training forward pass and backward changes nothing.
    network.forward(_inputs(seed=5))
    network.backward(R.copy())
    assert_allclose(network.grads, numeric, rtol=1e-6, atol=1e-8)
    network.clear_caches()
    assert _cached_arrays(network) == []


FITTED_ESTIMATORS = {
    "classifier": lambda: DeepMLPClassifier(
        hidden_layer_sizes=(5, 3), batch_norm=True, dropout=0.2, input_dropout=0.1, max_iter=2
    ),
    "classifier_lbfgs": lambda: DeepMLPClassifier(hidden_layer_sizes=(5,), solver="lbfgs",
                                                  max_iter=3),
    "regressor_pretrained": lambda: DeepMLPRegressor(
        hidden_layer_sizes=(4,), pretraining="supervised", pretraining_max_iter=1, max_iter=2
    ),
    "denoising": lambda: DenoisingAutoencoderTransformer(n_components=3, max_iter=2),
    "stacked_fine_tuned": lambda: StackedAutoencoder(
        hidden_layer_sizes=(4, 2), batch_norm=True, tied_weights=False, fine_tune=True,
        max_iter=2,
    ),
}


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize("name", sorted(FITTED_ESTIMATORS))
def test_fitted_and_pickled_estimators_hold_no_batch(name):
    rng = np.random.default_rng(0)
    X = rng.random((30, N_FEATURES))
    y = np.arange(30) % 2
    estimator = FITTED_ESTIMATORS[name]().set_params(random_state=0)
    estimator.fit(X, None if "classifier" not in name and "regressor" not in name else y)
    assert _cached_arrays(estimator._network) == []
    if hasattr(estimator, "predict"):
        estimator.predict(X)
    else:
        estimator.inverse_transform(estimator.transform(X))
        estimator.score(X)
    assert _cached_arrays(estimator._network) == []
    loaded = pickle.loads(pickle.dumps(estimator))
    assert _cached_arrays(loaded._network) == []

"""Invariants the speed work relies on (no timings here: those live in benchmarks/).

float32 stays float32 end to end; training streams mini-batches from X (a memory map works and
only batch rows are gathered); results do not depend on the batch sizes seen before; the penalty
fused into the optimiser's step and the cheaper dropout masks change nothing but the cost.
"""

from types import SimpleNamespace

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

from skdeep import DeepMLPClassifier, DeepMLPRegressor, optimisers
from skdeep._training import History, Stopping, TrainingPlan, fit_minibatch, penalised_step
from skdeep.activations import ACTIVATIONS
from skdeep.layers import Activation, BatchNorm, Dense, Dropout
from skdeep.losses import LOSSES
from skdeep.network import Network, build_mlp
from skdeep.optimisers import OPTIMISERS
from skdeep.penalties import make_penalty
from skdeep.schedules import make_schedule

N_SAMPLES, N_FEATURES, N_OUTPUTS = 12, 6, 3


def _float32_network(activation):
    layers = [
        Dropout(0.2),
        Dense(N_FEATURES, 5),
        BatchNorm(5),
        Activation(activation),
        Dropout(0.3),
        Dense(5, N_OUTPUTS),
    ]
    network = Network(layers, dtype=np.float32)
    network.reset_parameters("glorot_uniform", np.random.default_rng(0))
    # Every layer computes its input gradient, so each one's dtype can be checked.
    for layer in network.layers:
        layer.propagate = True
    return network


# ---------------------------------------------------------------------------------- float32
@pytest.mark.parametrize("activation", sorted(ACTIVATIONS))
def test_float32_stays_float32_through_every_layer(activation):
    network = _float32_network(activation)
    rng = np.random.default_rng(1)
    outputs = X = rng.normal(size=(N_SAMPLES, N_FEATURES)).astype(np.float32)
    for layer in network.layers:
        outputs = layer.forward(outputs, training=True, rng=rng)
        assert outputs.dtype == np.float32, type(layer).__name__
    grad = rng.normal(size=outputs.shape).astype(np.float32)
    for layer in reversed(network.layers):
        grad = layer.backward(grad)
        assert grad.dtype == np.float32, type(layer).__name__
    assert grad.shape == X.shape
    assert network.grads.dtype == np.float32
    for layer in network.batch_norm_layers:
        assert layer.running_mean.dtype == layer.running_var.dtype == np.float32


@pytest.mark.parametrize("output", sorted(LOSSES))
def test_float32_stays_float32_through_every_loss(output):
    rng = np.random.default_rng(2)
    scores = rng.normal(size=(N_SAMPLES, N_OUTPUTS)).astype(np.float32)
    Y = rng.random(size=(N_SAMPLES, N_OUTPUTS)).astype(np.float32)
    weights = rng.random(N_SAMPLES).astype(np.float32)
    for sample_weight in (None, weights):
        _, gradient = LOSSES[output]().value_and_gradient(scores.copy(), Y, sample_weight)
        assert gradient.dtype == np.float32


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize("name", sorted(OPTIMISERS))
def test_float32_training_keeps_every_array_float32(name):
    X = np.random.default_rng(3).random((60, N_FEATURES), dtype=np.float32)
    y = np.arange(60) % 3
    clf = DeepMLPClassifier(
        hidden_layer_sizes=(7, 5), solver=name, batch_norm=True, dropout=0.1, max_iter=2,
        batch_size=16, random_state=0,
    )
    clf.fit(X, y)
    network = clf._network
    assert network.params.dtype == network.grads.dtype == np.float32
    state = [value for value in vars(clf._optimizer).values() if isinstance(value, np.ndarray)]
    assert state and all(array.dtype == np.float32 for array in state)
    assert clf.predict_proba(X).dtype == np.float32


# -------------------------------------------------------------------------- streaming batches
class _RecordingArray(np.ndarray):
    """An ndarray that remembers the row index of every gather made from it."""

    def __getitem__(self, key):
        if isinstance(key, np.ndarray):
            self.gathers.append(key.copy())
        return np.asarray(super().__getitem__(key))


class _RecordingMemmap(_RecordingArray, np.memmap):
    """The same, seen by the training loop as a memory map."""


def _stochastic_pieces(dtype=np.float64):
    network = build_mlp(N_FEATURES, (5,), N_OUTPUTS, "relu", dtype=dtype)
    network.reset_parameters("glorot_uniform", np.random.default_rng(0))
    loss = LOSSES["softmax"]()
    optimiser = optimisers.Adam(learning_rate=0.01)
    schedule = make_schedule("constant", 0.01)
    return network, loss, make_penalty(1e-4), optimiser, schedule, History(False)


def _fit_minibatch(X, Y, batch_size, max_iter=2):
    *pieces, history = _stochastic_pieces()
    plan = TrainingPlan(*pieces, rng=np.random.default_rng(4))
    fit_minibatch(
        plan, history, X, Y, None, np.arange(X.shape[0]), batch_size=batch_size,
        max_iter=max_iter, shuffler=np.random.RandomState(4),
        stopping=Stopping(tol=0.0, n_iter_no_change=100),
    )
    return plan.network


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize("recording", [_RecordingArray, _RecordingMemmap])
def test_training_gathers_only_batches_of_rows_in_scikit_learns_order(recording):
    rng = np.random.default_rng(5)
    data = rng.normal(size=(50, N_FEATURES))
    X = data.view(recording)
    X.gathers = []
    Y = np.eye(N_OUTPUTS)[rng.integers(N_OUTPUTS, size=50)]
    _fit_minibatch(X, Y, batch_size=8, max_iter=3)
    assert len(X.gathers) == 3 * 7
    # scikit-learn's order: each epoch shuffles the previous epoch's order in place.
    order, shuffler = np.arange(50), np.random.RandomState(4)
    for epoch in range(3):
        shuffler.shuffle(order)
        for batch, rows in enumerate(X.gathers[7 * epoch : 7 * epoch + 7]):
            expected = order[8 * batch : 8 * batch + 8]
            if recording is _RecordingMemmap:
                # Sorted rows read a memory map front to back.
                expected = np.sort(expected)
            assert_array_equal(rows, expected)


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize("Estimator", [DeepMLPClassifier, DeepMLPRegressor])
def test_fitting_on_a_read_only_memmap_matches_fitting_in_memory(Estimator, tmp_path):
    rng = np.random.default_rng(6)
    data = rng.random((300, N_FEATURES), dtype=np.float32)
    y = (data[:, 0] > 0.5).astype(int) if Estimator is DeepMLPClassifier else data.sum(axis=1)
    path = tmp_path / "X.dat"
    writable = np.memmap(path, dtype=np.float32, mode="w+", shape=data.shape)
    writable[...] = data
    writable.flush()
    del writable
    X_map = np.memmap(path, dtype=np.float32, mode="r", shape=data.shape)
    params = {"hidden_layer_sizes": (8,), "batch_size": 32, "max_iter": 3, "random_state": 0}
    on_disk = Estimator(**params).fit(X_map, y)
    in_memory = Estimator(**params).fit(data, y)
    # A memory map is read in sorted batches, memory in shuffled order: the same rows, summed
    # in another order, so equal to float32 rounding.
    for mine, reference in zip(on_disk.coefs_, in_memory.coefs_):
        assert_allclose(mine, reference, rtol=1e-4, atol=1e-6)
    assert_array_equal(X_map, data)


class _RecordingLoss(type(LOSSES["logistic"]())):
    """Sigmoid cross-entropy that remembers the targets of every batch."""

    def value_and_gradient(self, scores, Y, sample_weight=None):
        self.targets.append(Y.copy())
        return super().value_and_gradient(scores, Y, sample_weight)


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_autoencoder_target_is_the_clean_batch():
    # Y=None: the target of each batch is its clean input rows; only the input is corrupted.
    rng = np.random.default_rng(7)
    X = rng.random((40, N_FEATURES))
    _, _, penalty, optimiser, schedule, history = _stochastic_pieces()
    network = build_mlp(N_FEATURES, (3,), N_FEATURES, "relu")
    network.reset_parameters("glorot_uniform", np.random.default_rng(0))
    loss = _RecordingLoss()
    loss.targets = []
    clean = []

    def corrupt(batch, rng):
        clean.append(batch.copy())
        return batch * 0.5

    plan = TrainingPlan(
        network, loss, penalty, optimiser, schedule, rng=np.random.default_rng(8),
        corrupt=corrupt,
    )
    fit_minibatch(
        plan, history, X, None, None, np.arange(40), batch_size=10, max_iter=1,
        shuffler=np.random.RandomState(8), stopping=Stopping(tol=0.0, n_iter_no_change=100),
    )
    assert len(clean) == len(loss.targets) == 4
    for batch, target in zip(clean, loss.targets):
        assert_array_equal(target, batch)
    assert_array_equal(np.sort(np.concatenate(clean), axis=0), np.sort(X, axis=0))


# ------------------------------------------------------------------- batch sizes and reuse
def test_training_results_do_not_depend_on_earlier_batch_sizes():
    """Whatever a layer keeps between calls, a batch's outputs and gradients depend on it alone."""
    rng = np.random.default_rng(9)
    big, small, delta_big, delta_small = (
        rng.normal(size=shape).astype(np.float32)
        for shape in [(16, N_FEATURES), (5, N_FEATURES), (16, N_OUTPUTS), (5, N_OUTPUTS)]
    )

    def step(network, X, delta):
        output = network.forward(X, training=True, rng=np.random.default_rng(10)).copy()
        network.backward(delta.copy())
        return output, network.grads.copy()

    def fresh():
        network = _float32_network("tanh")
        network.params[...] = np.random.default_rng(11).normal(size=network.params.shape)
        return network

    expected_small = step(fresh(), small, delta_small)
    expected_big = step(fresh(), big, delta_big)
    network = fresh()
    for X, delta, expected in [(big, delta_big, expected_big), (small, delta_small, expected_small)]:
        # Running statistics move, but outputs and gradients in training mode use the batch's own.
        output, grads = step(network, X, delta)
        assert_allclose(output, expected[0], rtol=1e-6)
        assert_allclose(grads, expected[1], rtol=1e-5, atol=1e-6)


def test_network_input_is_never_modified_while_training():
    network = _float32_network("relu")
    X = np.random.default_rng(12).normal(size=(N_SAMPLES, N_FEATURES)).astype(np.float32)
    before = X.copy()
    scores = network.forward(X, training=True, rng=np.random.default_rng(13))
    network.backward(np.ones_like(scores))
    assert_array_equal(X, before)


# ------------------------------------------------------------------- the fused optimiser step
@pytest.mark.parametrize("name", sorted(OPTIMISERS))
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_penalty_fused_into_the_step_equals_its_own_pass_then_a_step(name, dtype):
    # The L2 term's gradient added inside the optimiser's one pass (here over several of the
    # kernel's chunks, the weights ending inside one) gives the same bits as the penalty's own
    # pass over the gradient followed by a plain step, and the same value.
    rng = np.random.default_rng(14)
    n_params, n_weights = 20_001, 17_003
    start = rng.normal(size=n_params).astype(dtype)
    penalty = make_penalty(1e-2)
    fused_params, plain_params = start.copy(), start.copy()
    fused, plain = OPTIMISERS[name](learning_rate=0.01), OPTIMISERS[name](learning_rate=0.01)
    for _ in range(3):
        grads = rng.normal(size=n_params).astype(dtype)
        network = SimpleNamespace(params=fused_params, grads=grads, n_weights=n_weights)
        value = penalised_step(network, penalty, fused, 0.5)
        plain_grads = grads.copy()
        expected = penalty.add_gradient(plain_params[:n_weights], plain_grads[:n_weights], 0.5)
        plain.update(plain_params, plain_grads)
        assert value == expected
        assert_array_equal(fused_params, plain_params)


# ------------------------------------------------------------------------------ dropout masks
@pytest.mark.parametrize(
    "bit_generator", [np.random.PCG64, np.random.MT19937, np.random.Philox, np.random.SFC64]
)
def test_dropout_keep_rate_with_every_bit_generator(bit_generator):
    rate, shape = 0.3, (300, 201)
    rng = np.random.Generator(bit_generator(0))
    output = Dropout(rate).forward(np.ones(shape, dtype=np.float32), training=True, rng=rng)
    kept = output != 0
    keep = 1.0 - rate
    standard_error = np.sqrt(keep * rate / kept.size)
    assert abs(kept.mean() - keep) < 6 * standard_error
    # Rows and columns are independent: no row is entirely kept or dropped.
    assert 0 < kept.mean(axis=1).min() and kept.mean(axis=1).max() < 1
    assert_allclose(output[kept], 1.0 / keep, rtol=1e-7)


def test_dropout_masks_are_reproducible_from_the_seed():
    X = np.ones((40, 30))
    first = Dropout(0.5).forward(X, training=True, rng=np.random.default_rng(15))
    second = Dropout(0.5).forward(X, training=True, rng=np.random.default_rng(15))
    assert_array_equal(first, second)

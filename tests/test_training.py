"""Tests for skdeep._training: the penalised step, the training plan's hooks, the history."""

import gc
import sys

import numpy as np
import pytest
from numpy.testing import assert_array_equal

from skdeep._training import (
    History,
    Stopping,
    TrainingPlan,
    dropout_annealing,
    fit_minibatch,
    penalised_step,
    train_batch,
)
from skdeep.layers import Dropout
from skdeep.losses import LOSSES
from skdeep.network import build_mlp
from skdeep.optimisers import OPTIMISERS
from skdeep.penalties import L2, WeightPenalty, make_penalty
from skdeep.schedules import make_schedule

N_SAMPLES, N_FEATURES, N_OUTPUTS, BATCH_SIZE, N_EPOCHS = 50, 6, 3, 8, 3
N_BATCHES = -(-N_SAMPLES // BATCH_SIZE)


def _network():
    network = build_mlp(N_FEATURES, (5,), N_OUTPUTS, "tanh")
    network.reset_parameters("glorot_uniform", np.random.default_rng(0))
    return network


def _data():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(N_SAMPLES, N_FEATURES))
    return X, np.eye(N_OUTPUTS)[rng.integers(N_OUTPUTS, size=N_SAMPLES)]


def _plan(**hooks):
    return TrainingPlan(
        _network(), LOSSES["softmax"](), make_penalty(alpha=0.1, l1=0.01),
        OPTIMISERS["adam"](learning_rate=0.01), make_schedule("constant", 0.01),
        rng=np.random.default_rng(2), **hooks,
    )


def _fit(plan, max_iter=N_EPOCHS):
    X, Y = _data()
    history = History(False)
    fit_minibatch(
        plan, history, X, Y, None, np.arange(N_SAMPLES), batch_size=BATCH_SIZE,
        max_iter=max_iter, shuffler=np.random.RandomState(3),
        stopping=Stopping(tol=0.0, n_iter_no_change=100),
    )
    return history


# ------------------------------------------------------------------------ the penalised step
@pytest.mark.parametrize("alpha, l1", [(0.1, 0.0), (0.0, 0.01), (0.1, 0.01)],
                         ids=["l2", "l1", "l1-and-l2"])
@pytest.mark.parametrize("name", sorted(OPTIMISERS))
def test_penalised_step_is_the_penalty_then_a_plain_step(name, alpha, l1):
    # The step adds the penalty's gradient entry by entry inside the optimiser's kernel: the
    # same numbers as adding it to the whole weight block first, then stepping; its value is the
    # penalty's, and the gradient buffer keeps the loss's gradient alone.
    penalty = make_penalty(alpha=alpha, l1=l1)
    fused, whole = _network(), _network()
    gradient = np.random.default_rng(4).normal(size=fused.grads.shape)
    fused.grads[...] = whole.grads[...] = gradient
    n = whole.n_weights
    expected = penalty.add_gradient(whole.params[:n], whole.grads[:n], 0.25)
    OPTIMISERS[name](learning_rate=0.01).update(whole.params, whole.grads)
    value = penalised_step(fused, penalty, OPTIMISERS[name](learning_rate=0.01), 0.25)
    assert value == pytest.approx(expected, rel=1e-12)
    assert_array_equal(fused.params, whole.params)
    assert_array_equal(fused.grads, gradient)


class _Quartic:
    """A penalty term the kernels do not know: 0.5 * ||W||^4."""

    def add_gradient(self, weights, grad_weights, scale):
        squared = float(weights @ weights)
        grad_weights += scale * 2.0 * squared * weights
        return scale * 0.5 * squared**2


def test_a_penalty_the_kernels_do_not_know_is_added_then_stepped():
    penalty = WeightPenalty(L2(0.1), _Quartic())
    fused, whole = _network(), _network()
    fused.grads[...] = whole.grads[...] = 1.0
    n = whole.n_weights
    expected = penalty.add_gradient(whole.params[:n], whole.grads[:n], 0.5)
    OPTIMISERS["adam"]().update(whole.params, whole.grads)
    assert penalised_step(fused, penalty, OPTIMISERS["adam"](), 0.5) == expected
    assert_array_equal(fused.params, whole.params)
    assert_array_equal(fused.grads, whole.grads)


def test_no_penalty_is_a_plain_step():
    swept, plain = _network(), _network()
    swept.grads[...] = plain.grads[...] = 1.0
    assert penalised_step(swept, make_penalty(), OPTIMISERS["sgd"](), 1.0) == 0.0
    OPTIMISERS["sgd"]().update(plain.params, plain.grads)
    assert_array_equal(swept.params, plain.params)


# ------------------------------------------------------------------------------ the hooks
def test_each_hook_runs_as_often_as_declared():
    calls = {"before_epoch": [], "after_step": 0, "after_epoch": []}

    def after_step():
        calls["after_step"] += 1

    plan = _plan(
        before_epoch=[lambda history: calls["before_epoch"].append(history.epochs_seen)],
        after_step=[after_step],
        after_epoch=[lambda record: calls["after_epoch"].append(record["epoch"])],
    )
    _fit(plan)
    assert calls == {
        "before_epoch": list(range(N_EPOCHS)),
        "after_step": N_EPOCHS * N_BATCHES,
        "after_epoch": list(range(1, N_EPOCHS + 1)),
    }


def test_hooks_that_do_nothing_change_nothing():
    # Empty hook lists and hooks that do nothing train the same model.
    bare, hooked = _plan(), _plan(
        before_epoch=[lambda history: None], after_step=[lambda: None],
        after_epoch=[lambda record: None],
    )
    assert _fit(bare).loss_curve == _fit(hooked).loss_curve
    assert_array_equal(bare.network.params, hooked.network.params)


def _python_calls(function):
    """The names of the Python functions ``function()`` calls, in order."""
    calls = []

    def profiler(frame, event, arg):
        if event == "call":
            calls.append(frame.f_code.co_name)

    # No garbage collection inside: a weakref callback it fires (another test's leftovers)
    # would show up as a call of the function's.
    gc.collect()
    gc.disable()
    sys.setprofile(profiler)
    try:
        function()
    finally:
        sys.setprofile(None)
        gc.enable()
    return calls


def test_a_step_hook_costs_its_own_call_and_nothing_else():
    # Per-batch Python overhead is the whole cost of a small network: an empty hook list adds
    # no call to a batch, and each hook exactly one.
    X, Y = _data()

    def hook():
        pass

    bare, hooked = _plan(), _plan(after_step=[hook])
    batch = np.arange(BATCH_SIZE)
    bare_calls = _python_calls(lambda: train_batch(bare, X, Y, None, batch))
    hooked_calls = _python_calls(lambda: train_batch(hooked, X, Y, None, batch))
    assert hooked_calls == bare_calls + ["hook"]


def test_a_true_after_epoch_hook_stops_after_that_epoch():
    plan = _plan(after_epoch=[lambda record: record["epoch"] == 2])
    history = _fit(plan, max_iter=10)
    assert history.n_iter == 2
    assert history.stop_reason == "A callback asked to stop."


def test_every_after_epoch_hook_runs_even_when_one_asks_to_stop():
    seen = []
    plan = _plan(after_epoch=[lambda record: True, lambda record: seen.append(record["epoch"])])
    _fit(plan, max_iter=10)
    assert seen == [1]


def test_dropout_annealing_decays_each_rate_linearly_to_zero():
    layers = [Dropout(0.5), Dropout(0.2)]
    anneal = dropout_annealing(layers, [0.5, 0.2], max_iter=4)
    history = History(False)
    observed = []
    for epochs_seen in range(6):
        history.epochs_seen = epochs_seen
        anneal(history)
        observed.append([layer.rate for layer in layers])
    expected = [[0.5 * r, 0.2 * r] for r in (1.0, 0.75, 0.5, 0.25, 0.0, 0.0)]
    np.testing.assert_allclose(observed, expected, rtol=1e-15)


# ----------------------------------------------------------------------------- the history
def test_fitted_attributes_are_copies_named_as_scikit_learn_names_them():
    history = _fit(_plan())
    attributes = history.fitted_attributes()
    assert set(attributes) == {"n_iter_", "t_", "loss_", "loss_curve_", "best_loss_",
                               "validation_scores_", "best_validation_score_", "history_"}
    assert attributes["n_iter_"] == N_EPOCHS and attributes["t_"] == N_EPOCHS * N_SAMPLES
    assert attributes["loss_curve_"] == history.loss_curve
    assert attributes["loss_curve_"] is not history.loss_curve
    assert attributes["history_"][0] is not history.records[0]
    assert attributes["validation_scores_"] is None

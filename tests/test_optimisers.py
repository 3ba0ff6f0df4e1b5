"""Tests for skdeep.optimisers: closed-form steps, dtype, in-place updates, pickling."""

import inspect
import pickle

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

from skdeep.optimisers import (
    OPTIMISERS,
    SGD,
    AdaGrad,
    Adadelta,
    AdaMax,
    Adam,
    AMSGrad,
    Nadam,
    Optimiser,
    RMSProp,
    make_optimiser,
    )

N_PARAMS = 7


# Independent float64 references, written straight from the update equations.
# Each takes the initial parameters and the list of gradients and returns the
# parameters after one step per gradient.

def reference_sgd(p, grads, learning_rate, momentum, nesterov):
    v = np.zeros_like(p)
    for g in grads:
        v = momentum * v - learning_rate * g
        p = p + (momentum * v - learning_rate * g if nesterov else v)
    return p


def reference_adam(p, grads, learning_rate, beta_1, beta_2, epsilon, amsgrad=False):
    m = np.zeros_like(p)
    v = np.zeros_like(p)
    v_max = np.zeros_like(p)
    for t, g in enumerate(grads, start=1):
        m = beta_1 * m + (1 - beta_1) * g
        v = beta_2 * v + (1 - beta_2) * g**2
        v_max = np.maximum(v_max, v)
        lr_t = learning_rate * np.sqrt(1 - beta_2**t) / (1 - beta_1**t)
        p = p - lr_t * m / (np.sqrt(v_max if amsgrad else v) + epsilon)
    return p


def reference_amsgrad(p, grads, **hyper):
    return reference_adam(p, grads, amsgrad=True, **hyper)


def reference_adamax(p, grads, learning_rate, beta_1, beta_2, epsilon):
    m = np.zeros_like(p)
    u = np.zeros_like(p)
    for t, g in enumerate(grads, start=1):
        m = beta_1 * m + (1 - beta_1) * g
        u = np.maximum(beta_2 * u, np.abs(g))
        p = p - learning_rate / (1 - beta_1**t) * m / (u + epsilon)
    return p


def reference_nadam(p, grads, learning_rate, beta_1, beta_2, epsilon):
    m = np.zeros_like(p)
    v = np.zeros_like(p)
    for t, g in enumerate(grads, start=1):
        m = beta_1 * m + (1 - beta_1) * g
        v = beta_2 * v + (1 - beta_2) * g**2
        m_hat = beta_1 * m / (1 - beta_1 ** (t + 1)) + (1 - beta_1) * g / (1 - beta_1**t)
        v_hat = v / (1 - beta_2**t)
        p = p - learning_rate * m_hat / (np.sqrt(v_hat) + epsilon)
    return p


def reference_adagrad(p, grads, learning_rate, epsilon):
    G = np.zeros_like(p)
    for g in grads:
        G = G + g**2
        p = p - learning_rate * g / (np.sqrt(G) + epsilon)
    return p


def reference_rmsprop(p, grads, learning_rate, rho, epsilon):
    s = np.zeros_like(p)
    for g in grads:
        s = rho * s + (1 - rho) * g**2
        p = p - learning_rate * g / (np.sqrt(s) + epsilon)
    return p


def reference_adadelta(p, grads, learning_rate, rho, epsilon):
    Eg = np.zeros_like(p)
    Edx = np.zeros_like(p)
    for g in grads:
        Eg = rho * Eg + (1 - rho) * g**2
        dx = -np.sqrt(Edx + epsilon) / np.sqrt(Eg + epsilon) * g
        Edx = rho * Edx + (1 - rho) * dx**2
        p = p + learning_rate * dx
    return p


# Hyperparameters are deliberately far from the defaults and distinct from one
# another (beta_1 != beta_2, epsilon comparable to sqrt(v)) so that a swapped
# coefficient or a misplaced epsilon changes the result.
ADAM_HYPER = dict(learning_rate=0.05, beta_1=0.7, beta_2=0.8, epsilon=0.03)
CASES = [
    pytest.param(SGD, dict(learning_rate=0.1, momentum=0.6, nesterov=True),
                 reference_sgd, id="sgd-nesterov"),
    pytest.param(SGD, dict(learning_rate=0.1, momentum=0.6, nesterov=False),
                 reference_sgd, id="sgd-classical"),
    pytest.param(SGD, dict(learning_rate=0.1, momentum=0.0, nesterov=True),
                 reference_sgd, id="sgd-plain"),
    pytest.param(Adam, dict(ADAM_HYPER, amsgrad=False), reference_adam, id="adam"),
    pytest.param(Adam, dict(ADAM_HYPER, amsgrad=True), reference_adam, id="adam-amsgrad"),
    pytest.param(AMSGrad, ADAM_HYPER, reference_amsgrad, id="amsgrad"),
    pytest.param(AdaMax, ADAM_HYPER, reference_adamax, id="adamax"),
    pytest.param(Nadam, ADAM_HYPER, reference_nadam, id="nadam"),
    pytest.param(AdaGrad, dict(learning_rate=0.2, epsilon=0.03), reference_adagrad,
                 id="adagrad"),
    pytest.param(RMSProp, dict(learning_rate=0.05, rho=0.7, epsilon=0.03),
                 reference_rmsprop, id="rmsprop"),
    pytest.param(Adadelta, dict(learning_rate=0.9, rho=0.7, epsilon=0.01),
                 reference_adadelta, id="adadelta"),
]


def make_problem(n_steps, dtype=np.float64, seed=0):
    """Return initial parameters and ``n_steps`` gradients of shrinking size.

    The shrinking gradients make the second-moment estimate fall, which is the
    only case where AMSGrad's running maximum differs from Adam.
    """
    rng = np.random.default_rng(seed)
    params = rng.normal(size=N_PARAMS).astype(dtype)
    scales = [1.0, 0.1, 0.3, 0.05][:n_steps]
    grads = [(scale * rng.normal(size=N_PARAMS)).astype(dtype) for scale in scales]
    return params, grads


def run(optimiser, params, grads):
    """Apply one update per gradient, as the training loop does per batch."""
    for g in grads:
        optimiser.update(params, g)


def array_attributes(obj):
    """Return every array the optimiser holds, including those inside tuples."""
    found = []
    for value in vars(obj).values():
        values = value if isinstance(value, (tuple, list)) else [value]
        found.extend(item for item in values if isinstance(item, np.ndarray))
    return found


@pytest.mark.parametrize("n_steps", [1, 2, 4])
@pytest.mark.parametrize("cls, hyper, reference", CASES)
def test_steps_match_closed_form(cls, hyper, reference, n_steps):
    params, grads = make_problem(n_steps)
    expected = reference(params.copy(), grads, **hyper)
    optimiser = cls(**hyper)
    run(optimiser, params, grads)
    assert_allclose(params, expected, rtol=1e-12, atol=1e-14)


def test_amsgrad_differs_from_adam_on_the_test_problem():
    # Guards the closed-form test: it only checks the running maximum if the
    # maximum is ever active on these gradients.
    params, grads = make_problem(4)
    assert not np.allclose(reference_adam(params, grads, **ADAM_HYPER),
                           reference_amsgrad(params, grads, **ADAM_HYPER))


@pytest.mark.parametrize("cls, hyper, reference", CASES)
def test_float32_stays_float32(cls, hyper, reference):
    params, grads = make_problem(2, dtype=np.float32)
    expected = reference(params.astype(np.float64), [g.astype(np.float64) for g in grads],
                         **hyper)
    optimiser = cls(**hyper)
    run(optimiser, params, grads)
    assert params.dtype == np.float32
    state = array_attributes(optimiser)
    assert len(state) == len(optimiser._state_names())
    assert all(array.dtype == np.float32 for array in state)
    assert_allclose(params, expected, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("cls, hyper, reference", CASES)
def test_update_is_in_place_on_a_view(cls, hyper, reference):
    # The network hands over views into one buffer, so writing to a copy
    # would silently train nothing.
    initial, (grad,) = make_problem(1)
    buffer = np.zeros(N_PARAMS + 3)
    params = buffer[2 : 2 + N_PARAMS]
    params[...] = initial
    grad_before = grad.copy()
    optimiser = cls(**hyper)
    assert optimiser.update(params, grad) is None
    assert_allclose(buffer[2 : 2 + N_PARAMS], reference(initial, [grad], **hyper))
    assert_array_equal(buffer[:2], 0.0)
    assert_array_equal(buffer[2 + N_PARAMS :], 0.0)
    assert_array_equal(grad, grad_before)
    assert not any(np.shares_memory(array, buffer) or np.shares_memory(array, grad)
                   for array in array_attributes(optimiser))


@pytest.mark.parametrize("cls, hyper, reference", CASES)
def test_penalised_update_steps_down_the_penalised_gradient(cls, hyper, reference):
    # Adding l1 * sign(p) + l2 * p to the first n entries of the gradient (what the training
    # loop's penalty does) and stepping equals one step of the closed form on that gradient;
    # the gradient buffer is left as it was and the norms of p[:n] before the step come back.
    initial, (grad,) = make_problem(1)
    n, l1, l2 = N_PARAMS // 2, 0.2, 0.3
    penalised_grad = grad.copy()
    penalised_grad[:n] += l1 * np.sign(initial[:n]) + l2 * initial[:n]
    params, grads = initial.copy(), grad.copy()
    norms = cls(**hyper)._penalised_update(params, grads, n, l1, l2)
    assert_allclose(params, reference(initial, [penalised_grad], **hyper), rtol=1e-12)
    assert_array_equal(grads, grad)
    assert norms == pytest.approx((np.abs(initial[:n]).sum(), initial[:n] @ initial[:n]),
                                  rel=1e-14)


@pytest.mark.parametrize("momentum, n_state", [(0.0, 0), (0.9, 1)])
def test_sgd_keeps_a_velocity_only_with_momentum(momentum, n_state):
    optimiser = SGD(learning_rate=0.1, momentum=momentum)
    params, (grad,) = make_problem(1)
    optimiser.update(params, grad)
    assert len(array_attributes(optimiser)) == n_state
    assert len(array_attributes(pickle.loads(pickle.dumps(optimiser)))) == n_state


QUADRATIC_CASES = [
    pytest.param(SGD, dict(learning_rate=0.1, momentum=0.9), id="sgd"),
    pytest.param(SGD, dict(learning_rate=0.1, momentum=0.0), id="sgd-plain"),
    pytest.param(Adam, dict(learning_rate=0.05), id="adam"),
    pytest.param(AMSGrad, dict(learning_rate=0.05), id="amsgrad"),
    pytest.param(AdaMax, dict(learning_rate=0.05), id="adamax"),
    pytest.param(Nadam, dict(learning_rate=0.05), id="nadam"),
    pytest.param(AdaGrad, dict(learning_rate=0.5), id="adagrad"),
    pytest.param(RMSProp, dict(learning_rate=0.01), id="rmsprop"),
    pytest.param(Adadelta, dict(learning_rate=1.0, rho=0.9, epsilon=1e-4), id="adadelta"),
]


def quadratic_reduction(optimiser, dtype, n_steps=300):
    """Return f(p_final) / f(p_0) for f(p) = 0.5 * sum(a * p**2).

    The curvatures ``a`` span two orders of magnitude, so a single global step
    size cannot be right for every coordinate.
    """
    rng = np.random.default_rng(1)
    curvature = np.geomspace(0.1, 5.0, 50).astype(dtype)
    params = rng.normal(size=50).astype(dtype)
    start = 0.5 * np.sum(curvature * params**2)
    grads = np.empty_like(params)
    for _ in range(n_steps):
        np.multiply(curvature, params, out=grads)
        optimiser.update(params, grads)
    return float(0.5 * np.sum(curvature * params**2) / start)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("cls, hyper", QUADRATIC_CASES)
def test_minimises_a_quadratic(cls, hyper, dtype):
    assert quadratic_reduction(cls(**hyper), dtype) < 0.01


@pytest.mark.parametrize("cls, hyper, reference", CASES)
def test_pickle_round_trip_continues_identically(cls, hyper, reference):
    params, grads = make_problem(4)
    optimiser = cls(**hyper)
    run(optimiser, params, grads[:2])
    clone = pickle.loads(pickle.dumps(optimiser))
    params_clone = params.copy()
    run(optimiser, params, grads[2:])
    run(clone, params_clone, grads[2:])
    assert_array_equal(params_clone, params)
    assert_allclose(params, reference(make_problem(4)[0], grads, **hyper), rtol=1e-12)


@pytest.mark.parametrize("cls, hyper, reference", CASES)
def test_a_new_optimiser_owes_nothing_to_an_old_one(cls, hyper, reference):
    # What reset() did: a new fit makes a new optimiser, starting from no state.
    params, grads = make_problem(2)
    cls(**hyper).update(params.copy(), grads[0])
    cls(**hyper).update(params, grads[1])
    assert_allclose(params, reference(make_problem(2)[0], grads[1:], **hyper), rtol=1e-12)


def test_learning_rate_change_applies_to_the_next_step():
    params, grads = make_problem(2)
    optimiser = Adam(**ADAM_HYPER)
    optimiser.update(params, grads[0])
    before = params.copy()
    optimiser.learning_rate = 0.0
    optimiser.update(params, grads[1])
    assert_array_equal(params, before)


def test_registry_names():
    assert set(OPTIMISERS) == {"sgd", "adam", "amsgrad", "adamax", "nadam", "adagrad",
                               "rmsprop", "adadelta"}
    assert all(issubclass(cls, Optimiser) for cls in OPTIMISERS.values())


FLAT = dict(momentum=0.5, nesterovs_momentum=False, beta_1=0.6, beta_2=0.7,
            epsilon=1e-5, rho=0.8)


@pytest.mark.parametrize("name, cls, expected", [
    ("sgd", SGD, dict(momentum=0.5, nesterov=False)),
    ("adam", Adam, dict(beta_1=0.6, beta_2=0.7, epsilon=1e-5, amsgrad=False)),
    ("amsgrad", AMSGrad, dict(beta_1=0.6, beta_2=0.7, epsilon=1e-5, amsgrad=True)),
    ("adamax", AdaMax, dict(beta_1=0.6, beta_2=0.7, epsilon=1e-5)),
    ("nadam", Nadam, dict(beta_1=0.6, beta_2=0.7, epsilon=1e-5)),
    ("adagrad", AdaGrad, dict(epsilon=1e-5)),
    ("rmsprop", RMSProp, dict(rho=0.8, epsilon=1e-5)),
    ("adadelta", Adadelta, dict(rho=0.8, epsilon=1e-5)),
])
def test_make_optimiser_passes_only_what_is_used(name, cls, expected):
    optimiser = make_optimiser(name, 0.25, **FLAT)
    assert type(optimiser) is cls
    assert optimiser.learning_rate == 0.25
    assert {key: getattr(optimiser, key) for key in expected} == expected


@pytest.mark.parametrize("name", sorted(OPTIMISERS))
def test_make_optimiser_from_an_estimators_settings(name):
    # An estimator's learning_rate_init and epsilon are shared by every solver; Adadelta, which
    # has no learning rate and its own epsilon, keeps its defaults.
    built = make_optimiser(name, 0.25, **FLAT, from_estimator=True)
    cls = OPTIMISERS[name]
    for setting in ("learning_rate", "epsilon"):
        if setting not in inspect.signature(cls).parameters:
            continue
        expected = dict(learning_rate=0.25, epsilon=1e-5)[setting]
        if name == "adadelta":
            expected = inspect.signature(cls).parameters[setting].default
        assert getattr(built, setting) == expected
    ignored = ("learning_rate", "epsilon") if name == "adadelta" else ()
    assert cls.shared_settings_ignored == ignored


@pytest.mark.parametrize("name", sorted(OPTIMISERS))
def test_make_optimiser_none_keeps_the_defaults(name):
    default = OPTIMISERS[name](learning_rate=0.25)
    built = make_optimiser(name, 0.25)
    assert repr(built) == repr(default)


@pytest.mark.parametrize("name, match", [
    ("rmsprob", r"Unknown optimiser 'rmsprob'.*'adadelta'.*'sgd'.*Did you mean 'rmsprop'\?"),
    ("lbfgs", r"Unknown optimiser 'lbfgs'; expected one of \{'adadelta', 'adagrad', "
              r"'adam', 'adamax', 'amsgrad', 'nadam', 'rmsprop', 'sgd'\}\.$"),
    (None, r"Unknown optimiser None"),
])
def test_make_optimiser_rejects_unknown_names(name, match):
    with pytest.raises(ValueError, match=match):
        make_optimiser(name, 0.1)

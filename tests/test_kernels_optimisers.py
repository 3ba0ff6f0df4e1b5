"""Tests for skdeep._kernels._optimisers: each rule's one-pass step, with the L1 and L2 terms fused.

Two oracles for every rule and option, in float32 and float64, over five steps (so that the bias
corrections change) and with the penalty on none, some or all of the entries:

- the textbook equations of the optimiser's docstring, in float64, on the gradient plus the
  penalty's ``l1 * sign(p) + l2 * p``;
- the NumPy passes the optimisers made before the kernels (running sums stored without their
  ``(1 - decay)`` factor, the coefficients of ``_coefficients``), in the buffer's dtype.

The norms the kernels return are checked against NumPy's sums and the penalty's value against
``make_penalty(...).add_gradient``; the thread tests check that the results do not depend on the
thread count.
"""

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from threadpoolctl import threadpool_limits

from skdeep._kernels import _optimisers as kernels
from skdeep._kernels._openmp import parallel_min_items
from skdeep.optimisers import SGD, AdaGrad, Adadelta, AdaMax, Adam, AMSGrad, Nadam, RMSProp
from skdeep.penalties import make_penalty

# Three chunks of the kernels' parallel work (8192 entries each) and a penalised slice that ends
# inside the second one and inside a group of the interleaved sums, so every loop is exercised.
N_PARAMS = 20_000
N_STEPS = 5
# Float32 against the float64 textbook: five steps of float32 rounding, each step a ratio whose
# denominator holds an epsilon comparable to it (the hyperparameters below), so a few 1e-7 of
# relative error per step.
FLOAT32_TEXTBOOK = dict(rtol=1e-5, atol=1e-6)
# Float64 against the float64 textbook: the stored sums move the (1 - decay) factors and
# epsilon's scaling into the coefficients, a few roundings apart from the textbook's order.
FLOAT64_TEXTBOOK = dict(rtol=1e-12, atol=1e-14)
# Against the stored-sum NumPy passes the arithmetic is the same, operation by operation (equal
# bits with GCC on x86-64); a few ulps allow a compiler that contracts a * b + c into an FMA.
SAME_OPERATIONS = {np.float32: dict(rtol=1e-6, atol=1e-7), np.float64: dict(rtol=1e-13, atol=1e-15)}


# -------------------------------------------------------------------- the textbook, in float64
# Each takes the parameters, the (penalised) gradient, a dict of state (empty at t = 1) and the
# step number; it returns the new parameters.
def textbook_sgd(p, g, state, t, learning_rate, momentum, nesterov):
    if momentum == 0:
        return p - learning_rate * g
    v = momentum * state.get("v", 0.0) - learning_rate * g
    state["v"] = v
    return p + (momentum * v - learning_rate * g if nesterov else v)


def textbook_adam(p, g, state, t, learning_rate, beta_1, beta_2, epsilon, amsgrad=False):
    m = state["m"] = beta_1 * state.get("m", 0.0) + (1 - beta_1) * g
    v = state["v"] = beta_2 * state.get("v", 0.0) + (1 - beta_2) * g**2
    v_hat = state["v_hat"] = np.maximum(state.get("v_hat", 0.0), v)
    rate = learning_rate * np.sqrt(1 - beta_2**t) / (1 - beta_1**t)
    return p - rate * m / (np.sqrt(v_hat if amsgrad else v) + epsilon)


def textbook_amsgrad(p, g, state, t, **hyper):
    return textbook_adam(p, g, state, t, amsgrad=True, **hyper)


def textbook_adamax(p, g, state, t, learning_rate, beta_1, beta_2, epsilon):
    m = state["m"] = beta_1 * state.get("m", 0.0) + (1 - beta_1) * g
    u = state["u"] = np.maximum(beta_2 * state.get("u", 0.0), np.abs(g))
    return p - learning_rate / (1 - beta_1**t) * m / (u + epsilon)


def textbook_nadam(p, g, state, t, learning_rate, beta_1, beta_2, epsilon):
    m = state["m"] = beta_1 * state.get("m", 0.0) + (1 - beta_1) * g
    v = state["v"] = beta_2 * state.get("v", 0.0) + (1 - beta_2) * g**2
    m_hat = beta_1 * m / (1 - beta_1 ** (t + 1)) + (1 - beta_1) * g / (1 - beta_1**t)
    v_hat = v / (1 - beta_2**t)
    return p - learning_rate * m_hat / (np.sqrt(v_hat) + epsilon)


def textbook_adagrad(p, g, state, t, learning_rate, epsilon):
    G = state["G"] = state.get("G", 0.0) + g**2
    return p - learning_rate * g / (np.sqrt(G) + epsilon)


def textbook_rmsprop(p, g, state, t, learning_rate, rho, epsilon):
    s = state["s"] = rho * state.get("s", 0.0) + (1 - rho) * g**2
    return p - learning_rate * g / (np.sqrt(s) + epsilon)


def textbook_adadelta(p, g, state, t, learning_rate, rho, epsilon):
    Eg = state["Eg"] = rho * state.get("Eg", 0.0) + (1 - rho) * g**2
    dx = -np.sqrt(state.get("Edx", 0.0) + epsilon) / np.sqrt(Eg + epsilon) * g
    state["Edx"] = rho * state.get("Edx", 0.0) + (1 - rho) * dx**2
    return p + learning_rate * dx


# ------------------------------------------- the optimisers' former NumPy passes (stored sums)
# Each takes the coefficients of the step (the optimiser's ``_coefficients()``), the parameters,
# the penalised gradient and the state arrays (in the order of ``_state_names()``), all of one
# dtype, and updates the parameters and the state in place, pass by pass.
def stored_sum_sgd(coefficients, params, grads, state, nesterov):
    learning_rate, momentum = coefficients
    work = np.multiply(grads, learning_rate)
    if not momentum:
        params -= work
        return
    (velocity,) = state
    velocity *= momentum
    velocity -= work
    if nesterov:
        params -= work
        np.multiply(velocity, momentum, out=work)
        params += work
    else:
        params += velocity


def _descend_normalised(params, direction, second_moment, epsilon, step):
    work = np.sqrt(second_moment)
    work += epsilon
    np.divide(direction, work, out=work)
    work *= step
    params -= work


def _accumulate(total, values, decay):
    total *= decay
    total += values


def stored_sum_adam(coefficients, params, grads, state, amsgrad):
    beta_1, beta_2, step, epsilon = coefficients
    m, v = state[0], state[1]
    _accumulate(m, grads, beta_1)
    _accumulate(v, np.square(grads), beta_2)
    if amsgrad:
        v = np.maximum(state[2], v, out=state[2])
    _descend_normalised(params, m, v, epsilon, step)


def stored_sum_adamax(coefficients, params, grads, state):
    beta_1, beta_2, step, epsilon = coefficients
    m, u = state
    _accumulate(m, grads, beta_1)
    u *= beta_2
    np.maximum(u, np.abs(grads), out=u)
    work = np.add(u, epsilon)
    np.divide(m, work, out=work)
    work *= step
    params -= work


def stored_sum_nadam(coefficients, params, grads, state):
    beta_1, beta_2, a, b, epsilon = coefficients
    m, v = state
    _accumulate(m, grads, beta_1)
    _accumulate(v, np.square(grads), beta_2)
    work = np.multiply(m, a)
    work += np.multiply(grads, b)
    denominator = np.sqrt(v)
    denominator += epsilon
    work /= denominator
    params -= work


def stored_sum_adagrad(coefficients, params, grads, state):
    learning_rate, epsilon = coefficients
    (sum_squares,) = state
    sum_squares += np.square(grads)
    _descend_normalised(params, grads, sum_squares, epsilon, learning_rate)


def stored_sum_rmsprop(coefficients, params, grads, state):
    rho, step, epsilon = coefficients
    (mean_square,) = state
    _accumulate(mean_square, np.square(grads), rho)
    _descend_normalised(params, grads, mean_square, epsilon, step)


def stored_sum_adadelta(coefficients, params, grads, state):
    rho, epsilon, learning_rate = coefficients
    mean_square, mean_square_step = state
    _accumulate(mean_square, np.square(grads), rho)
    work = np.add(mean_square_step, epsilon)
    work /= np.add(mean_square, epsilon)
    np.sqrt(work, out=work)
    work *= grads
    _accumulate(mean_square_step, np.square(work), rho)
    work *= learning_rate
    params -= work


def stored_sum_penalised_gradient(params, grads, n_penalised, l1_factor, l2_factor):
    """The gradient the former loop handed the optimiser: the terms' passes, L1 then L2."""
    grads = grads.copy()
    weights = params[:n_penalised]
    if l1_factor:
        grads[:n_penalised] += np.sign(weights) * l1_factor
    if l2_factor:
        grads[:n_penalised] += weights * l2_factor
    return grads


# Hyperparameters far from the defaults and distinct from one another (beta_1 != beta_2, epsilon
# comparable to sqrt(v)), so that a swapped coefficient or a misplaced epsilon shows.
ADAM_HYPER = dict(learning_rate=0.05, beta_1=0.7, beta_2=0.8, epsilon=0.03)
RULES = [
    pytest.param(SGD, dict(learning_rate=0.1, momentum=0.0, nesterov=True), textbook_sgd,
                 lambda c, p, g, s: stored_sum_sgd(c, p, g, s, True), id="sgd-plain"),
    pytest.param(SGD, dict(learning_rate=0.1, momentum=0.6, nesterov=False), textbook_sgd,
                 lambda c, p, g, s: stored_sum_sgd(c, p, g, s, False), id="sgd-momentum"),
    pytest.param(SGD, dict(learning_rate=0.1, momentum=0.6, nesterov=True), textbook_sgd,
                 lambda c, p, g, s: stored_sum_sgd(c, p, g, s, True), id="sgd-nesterov"),
    pytest.param(Adam, dict(ADAM_HYPER, amsgrad=False), textbook_adam,
                 lambda c, p, g, s: stored_sum_adam(c, p, g, s, False), id="adam"),
    pytest.param(Adam, dict(ADAM_HYPER, amsgrad=True), textbook_adam,
                 lambda c, p, g, s: stored_sum_adam(c, p, g, s, True), id="adam-amsgrad"),
    pytest.param(AMSGrad, ADAM_HYPER, textbook_amsgrad,
                 lambda c, p, g, s: stored_sum_adam(c, p, g, s, True), id="amsgrad"),
    pytest.param(AdaMax, ADAM_HYPER, textbook_adamax, stored_sum_adamax, id="adamax"),
    pytest.param(Nadam, ADAM_HYPER, textbook_nadam, stored_sum_nadam, id="nadam"),
    pytest.param(AdaGrad, dict(learning_rate=0.2, epsilon=0.03), textbook_adagrad,
                 stored_sum_adagrad, id="adagrad"),
    pytest.param(RMSProp, dict(learning_rate=0.05, rho=0.7, epsilon=0.03), textbook_rmsprop,
                 stored_sum_rmsprop, id="rmsprop"),
    pytest.param(Adadelta, dict(learning_rate=0.9, rho=0.7, epsilon=0.01), textbook_adadelta,
                 stored_sum_adadelta, id="adadelta"),
]
# (strength of L1, strength of L2) and the batch scale that multiplies them into the factors.
PENALTIES = [pytest.param(0.0, 0.0, id="no-penalty"), pytest.param(0.0, 0.3, id="l2"),
             pytest.param(0.2, 0.3, id="l1-and-l2")]
SCALE = 0.25
N_PENALISED = [pytest.param(0, id="none-penalised"), pytest.param(12_345, id="some-penalised"),
               pytest.param(N_PARAMS, id="all-penalised")]
DTYPES = [np.float32, np.float64]


def make_problem(dtype, n_params=N_PARAMS, seed=0):
    """Parameters (some exactly 0, where sign is 0) and N_STEPS gradients of shrinking size.

    The shrinking gradients make the second-moment estimate fall, which is when AMSGrad's
    running maximum differs from Adam.
    """
    rng = np.random.default_rng(seed)
    params = rng.normal(size=n_params)
    params[::97] = 0.0
    scales = [1.0, 0.1, 0.3, 0.05, 0.02]
    grads = [scale * rng.normal(size=n_params) for scale in scales[:N_STEPS]]
    return params.astype(dtype), [g.astype(dtype) for g in grads]


def penalised(params, grads, n_penalised, l1_factor, l2_factor):
    """The textbook's penalised gradient, in float64."""
    grads = grads.astype(np.float64)
    weights = params[:n_penalised].astype(np.float64)
    grads[:n_penalised] += l1_factor * np.sign(weights) + l2_factor * weights
    return grads


@pytest.mark.parametrize("n_penalised", N_PENALISED)
@pytest.mark.parametrize("l1, l2", PENALTIES)
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("cls, hyper, textbook, stored_sum", RULES)
def test_kernel_matches_the_textbook_and_the_stored_sum_passes(
    cls, hyper, textbook, stored_sum, dtype, l1, l2, n_penalised
):
    params, grads = make_problem(dtype)
    l1_factor, l2_factor = l1 * SCALE, l2 * SCALE
    optimiser, coefficients_of = cls(**hyper), cls(**hyper)
    textbook_params, textbook_state = params.astype(np.float64), {}
    old_params = params.copy()
    old_state = [np.zeros_like(params) for _ in optimiser._state_names()]
    for t, g in enumerate(grads, start=1):
        g_before = g.copy()
        weights_before = params[:n_penalised].astype(np.float64)
        norms = optimiser._penalised_update(params, g, n_penalised, l1_factor, l2_factor)

        textbook_params = textbook(
            textbook_params, penalised(textbook_params, g, n_penalised, l1_factor, l2_factor),
            textbook_state, t, **hyper)
        coefficients_of._t = t
        stored_sum(coefficients_of._coefficients(), old_params,
                   stored_sum_penalised_gradient(old_params, g, n_penalised, l1_factor, l2_factor),
                   old_state)

        assert params.dtype == dtype
        assert_array_equal(g, g_before)  # the gradient buffer is only read
        tolerance = FLOAT32_TEXTBOOK if dtype == np.float32 else FLOAT64_TEXTBOOK
        assert_allclose(params, textbook_params, **tolerance, err_msg=f"step {t}")
        assert_allclose(params, old_params, **SAME_OPERATIONS[dtype], err_msg=f"step {t}")
        for name, old in zip(optimiser._state_names(), old_state):
            assert_allclose(getattr(optimiser, name), old, **SAME_OPERATIONS[dtype],
                            err_msg=f"{name} at step {t}")
        # The norms of the weights before the step, summed in float64 (float32 lanes of eight
        # entries for float32 buffers, hence the float32-sized tolerance); the L1 norm only
        # with an L1 term.
        norm_tolerance = 1e-6 if dtype == np.float32 else 1e-13
        l1_norm = np.abs(weights_before).sum() if l1 else 0.0
        assert isinstance(norms[0], float) and isinstance(norms[1], float)
        assert norms[0] == pytest.approx(l1_norm, rel=norm_tolerance)
        assert norms[1] == pytest.approx(weights_before @ weights_before, rel=norm_tolerance)


def test_the_problem_exercises_amsgrads_maximum():
    # Guards the test above: the running maximum must be active on these gradients.
    params, grads = make_problem(np.float64)
    adam, amsgrad, adam_state, amsgrad_state = params, params, {}, {}
    for t, g in enumerate(grads, start=1):
        adam = textbook_adam(adam, g, adam_state, t, **ADAM_HYPER)
        amsgrad = textbook_amsgrad(amsgrad, g, amsgrad_state, t, **ADAM_HYPER)
    assert not np.allclose(adam, amsgrad, rtol=1e-6)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("alpha, l1", [(0.3, 0.0), (0.0, 0.2), (0.3, 0.2)],
                         ids=["l2", "l1", "l1-and-l2"])
@pytest.mark.parametrize("cls, hyper, textbook, stored_sum", RULES)
def test_penalty_value_from_the_norms_is_add_gradients(cls, hyper, textbook, stored_sum,
                                                       alpha, l1, dtype):
    # What penalised_step reports is the value the penalty's own add_gradient computes on the
    # weights before the step, and it is the formula of penalties.py.
    params, (g, *_) = make_problem(dtype)
    n_weights = 12_345
    penalty = make_penalty(alpha=alpha, l1=l1)
    weights = params[:n_weights].copy()
    expected = penalty.add_gradient(weights, np.zeros_like(weights), SCALE)
    norms = cls(**hyper)._penalised_update(params, g, n_weights, l1 * SCALE, alpha * SCALE)
    value = penalty.value_from_norms(*norms, SCALE)
    assert value == pytest.approx(expected, rel=1e-12)
    weights64 = weights.astype(np.float64)
    formula = SCALE * (0.5 * alpha * weights64 @ weights64 + l1 * np.abs(weights64).sum())
    assert value == pytest.approx(formula, rel=1e-6 if dtype == np.float32 else 1e-13)


# ------------------------------------------------------------------------------- the threads
# Above PARALLEL_MIN_ITEMS entries the kernels run on every thread.
N_THREADED = parallel_min_items + 100_000


def _threaded_run(cls, hyper, dtype, n_threads):
    params, grads = make_problem(dtype, N_THREADED, seed=5)
    optimiser = cls(**hyper)
    norms = []
    with threadpool_limits(limits=n_threads):
        for g in grads[:3]:
            norms.append(optimiser._penalised_update(params, g, 200_001, 0.01, 0.02))
    return params, [getattr(optimiser, name) for name in optimiser._state_names()], norms


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("cls, hyper, textbook, stored_sum", RULES)
def test_results_do_not_depend_on_the_thread_count(cls, hyper, textbook, stored_sum, dtype):
    # Element-wise steps give the same bits on any number of threads; so do the norms, summed
    # over fixed chunks in a fixed order.
    one_params, one_state, one_norms = _threaded_run(cls, hyper, dtype, 1)
    two_params, two_state, two_norms = _threaded_run(cls, hyper, dtype, 2)
    again_params, again_state, again_norms = _threaded_run(cls, hyper, dtype, 2)
    assert_array_equal(two_params, one_params)
    assert_array_equal(again_params, two_params)
    for one, two, again in zip(one_state, two_state, again_state):
        assert_array_equal(two, one)
        assert_array_equal(again, two)
    assert two_norms == one_norms
    assert again_norms == two_norms


@pytest.mark.parametrize("dtype", DTYPES)
def test_penalty_gradient_kernel_does_not_depend_on_the_thread_count(dtype):
    weights, (grad, *_) = make_problem(dtype, N_THREADED, seed=6)
    results = []
    for n_threads in (1, 2, 2):
        gradient = grad.copy()
        with threadpool_limits(limits=n_threads):
            norms = kernels.add_penalty_gradient(weights, gradient, 0.01, 0.02)
        results.append((gradient, norms))
    for gradient, norms in results[1:]:
        assert_array_equal(gradient, results[0][0])
        assert norms == results[0][1]


# ---------------------------------------------------------------------- the penalty's kernel
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("l1_factor, l2_factor", [(0.0, 0.3), (0.2, 0.0), (0.2, 0.3)],
                         ids=["l2", "l1", "l1-and-l2"])
def test_penalty_gradient_kernel_matches_numpy(l1_factor, l2_factor, dtype):
    weights, (grad, *_) = make_problem(dtype)
    before = weights.copy()
    gradient = grad.copy()
    l1_norm, squared_l2_norm = kernels.add_penalty_gradient(weights, gradient, l1_factor,
                                                            l2_factor)
    assert_array_equal(weights, before)
    expected = stored_sum_penalised_gradient(weights, grad, N_PARAMS, l1_factor, l2_factor)
    assert_allclose(gradient, expected, **SAME_OPERATIONS[dtype])
    weights64 = weights.astype(np.float64)
    tolerance = 1e-6 if dtype == np.float32 else 1e-13
    assert squared_l2_norm == pytest.approx(weights64 @ weights64, rel=tolerance)
    if l1_factor:
        assert l1_norm == pytest.approx(np.abs(weights64).sum(), rel=tolerance)


# ---------------------------------------------------------------------------- bad arguments
def _adam_arguments(n=10, dtype=np.float64):
    return [np.zeros(n, dtype) for _ in range(4)] + [0.9, 0.999, 1e-3, 1e-8]


@pytest.mark.parametrize("position", [1, 2, 3], ids=["grads", "m", "v"])
def test_vectors_of_another_length_are_refused(position):
    arguments = _adam_arguments()
    arguments[position] = np.zeros(9)
    with pytest.raises(ValueError, match=r"10 entries of the parameters; got lengths"):
        kernels.adam_step(*arguments)


@pytest.mark.parametrize("n_penalised", [-1, 11])
def test_penalised_slice_beyond_the_parameters_is_refused(n_penalised):
    with pytest.raises(ValueError, match=r"n_penalised must be in \[0, 10\]"):
        kernels.adam_step(*_adam_arguments(), n_penalised, 0.0, 0.1)


def test_mixed_dtypes_are_refused():
    arguments = _adam_arguments()
    arguments[1] = arguments[1].astype(np.float32)
    with pytest.raises((TypeError, ValueError)):
        kernels.adam_step(*arguments)


def test_non_contiguous_vectors_are_refused():
    arguments = _adam_arguments()
    arguments[0] = np.zeros(20)[::2]
    with pytest.raises(ValueError, match="contiguous"):
        kernels.adam_step(*arguments)


@pytest.mark.parametrize("dtype", [np.float16, np.int64])
def test_other_dtypes_are_refused(dtype):
    with pytest.raises((TypeError, ValueError)):
        kernels.sgd_step(np.zeros(4, dtype), np.zeros(4, dtype), 0.1)


def test_empty_vectors_step_nothing():
    assert kernels.adam_step(*_adam_arguments(n=0)) == (0.0, 0.0)

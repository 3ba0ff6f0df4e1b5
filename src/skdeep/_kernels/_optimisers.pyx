"""One-pass update kernels of the optimisers, with the weight penalty's gradient fused in.

Each ``*_step`` kernel steps a flat parameter vector in place, in one pass: for every entry ``i``
it reads ``grads[i]``, adds the L1 and L2 terms' gradient ``l1 * sign(p) + l2 * p`` where the
entry is penalised (``i < n_penalised``: the network's weights come first in its flat vector),
updates the rule's state and the parameter. The gradient buffer is only read: the penalised
gradient exists only in registers.

The state is what :mod:`skdeep.optimisers` stores (running averages as sums without their
``(1 - decay)`` factor) and the scalar coefficients are the ones it computes for the step. Each
entry goes through the same operations, in the same order and in the buffer's dtype (float32 or
float64), as the NumPy passes the optimisers used to make, so the results equal theirs to
rounding (with GCC on x86-64, bit for bit): without fast-math flags the compiler reassociates and
approximates nothing, and it vectorises the loops as they are written.

Every kernel returns ``(l1_norm, squared_l2_norm)``, the sums of ``|p|`` and ``p ** 2`` over the
penalised entries before the step, from which the penalty computes its value (the L1 norm only
with an L1 term, ``l1_factor != 0``; 0.0 otherwise). They are summed over fixed chunks of
``CHUNK`` entries, each with ``LANES`` interleaved partial sums (the compiler vectorises
independent sums without reordering any of them), short runs in the buffer's dtype added to
float64 totals, and the chunks' sums are added in order: the same inputs give the same bits
whatever the number of threads.
"""

from cython cimport floating
from cython.parallel cimport prange
from libc.math cimport fabs, sqrt, sqrtf
from libc.stdlib cimport free, malloc

from ._threads cimport n_threads_for

cdef enum:
    # Interleaved partial sums of each norm. The compiler vectorises the loop over a group of
    # LANES entries (each lane its own sum: nothing is reordered) and checks once per group that
    # the vectors do not overlap; 32 entries make that check cheap.
    LANES = 32
    # Groups whose norms each lane sums in the buffer's dtype before adding them to its float64
    # total: a float32 lane adds 8 squares (relative error below 8 * 2**-24, as small as a
    # float32 dot product's), and the conversions to float64 cost an eighth of one per entry.
    # Adding every entry to a float64 lane made the headline's Adam + L2 step 12% slower.
    GROUPS = 8
    # Entries per unit of parallel work, a multiple of LANES. It is fixed, not one share per
    # thread, so that the chunks (and the order in which their sums add up) do not depend on the
    # thread count; 8192 entries are ~5 us of work, far above the cost of scheduling a chunk.
    CHUNK = 8192


# The coefficients of one step of each rule, as skdeep.optimisers computes them. The struct's type
# also selects the rule's arithmetic, at compile time, in the kernels fused over ``Rule``.
cdef struct SGDRule:
    double learning_rate

cdef struct MomentumRule:
    double learning_rate
    double momentum

cdef struct NesterovRule:
    double learning_rate
    double momentum

cdef struct AdamRule:
    double beta_1
    double beta_2
    double step
    double epsilon

cdef struct AMSGradRule:
    double beta_1
    double beta_2
    double step
    double epsilon

cdef struct AdaMaxRule:
    double beta_1
    double beta_2
    double step
    double epsilon

cdef struct NadamRule:
    double beta_1
    double beta_2
    double first_weight
    double gradient_weight
    double epsilon

cdef struct AdaGradRule:
    double learning_rate
    double epsilon

cdef struct RMSPropRule:
    double rho
    double step
    double epsilon

cdef struct AdadeltaRule:
    double rho
    double epsilon
    double learning_rate

# No step at all: the penalty's gradient is added to the gradient buffer (state_0) and the
# parameters are left alone. It serves penalties.L1 / L2 on their own (L-BFGS, gradient checks).
cdef struct PenaltyGradient:
    char unused  # C has no empty structs

ctypedef fused Rule:
    SGDRule
    MomentumRule
    NesterovRule
    AdamRule
    AMSGradRule
    AdaMaxRule
    NadamRule
    AdaGradRule
    RMSPropRule
    AdadeltaRule
    PenaltyGradient


cdef inline floating _sqrt(floating x) noexcept nogil:
    if floating is float:
        return sqrtf(x)
    else:
        return sqrt(x)


cdef inline floating _times_sign(floating factor, floating x) noexcept nogil:
    """``factor * np.sign(x)``, as a choice between ``factor``, ``-factor`` and 0 (vectorises)."""
    return factor if x > 0 else (-factor if x < 0 else 0)


cdef inline floating _larger(floating running, floating x) noexcept nogil:
    """``np.maximum(running, x)`` for a running maximum: a NaN ``x`` propagates into it."""
    return running if running >= x else x


cdef inline floating _stepped(Rule rule, floating w, floating g, floating* state_0,
                              floating* state_1, floating* state_2, Py_ssize_t i) noexcept nogil:
    """Return the parameter ``w`` after one step down its gradient ``g``; update the state at ``i``.

    Each expression is the NumPy pass sequence of the rule's former ``_step``, operation by
    operation (``a *= c; a += x`` is ``a * c + x``), with the coefficients in the buffer's dtype.
    """
    cdef floating first, second, step, denominator
    if Rule is SGDRule:
        return w - g * <floating> rule.learning_rate
    elif Rule is MomentumRule:
        # state_0: the velocity v = momentum * v - learning_rate * g.
        first = state_0[i] * <floating> rule.momentum - g * <floating> rule.learning_rate
        state_0[i] = first
        return w + first
    elif Rule is NesterovRule:
        step = g * <floating> rule.learning_rate
        first = state_0[i] * <floating> rule.momentum - step
        state_0[i] = first
        return (w - step) + first * <floating> rule.momentum
    elif Rule is AdamRule or Rule is AMSGradRule:
        # state_0, state_1: the sums M, V of g and g ** 2; state_2: the running maximum of V.
        first = state_0[i] * <floating> rule.beta_1 + g
        second = state_1[i] * <floating> rule.beta_2 + g * g
        state_0[i] = first
        state_1[i] = second
        if Rule is AMSGradRule:
            second = _larger(state_2[i], second)
            state_2[i] = second
        denominator = _sqrt(second) + <floating> rule.epsilon
        return w - (first / denominator) * <floating> rule.step
    elif Rule is AdaMaxRule:
        # state_0: the sum M of g; state_1: the infinity norm u = max(beta_2 * u, |g|).
        first = state_0[i] * <floating> rule.beta_1 + g
        second = _larger(state_1[i] * <floating> rule.beta_2, <floating> fabs(g))
        state_0[i] = first
        state_1[i] = second
        return w - (first / (second + <floating> rule.epsilon)) * <floating> rule.step
    elif Rule is NadamRule:
        first = state_0[i] * <floating> rule.beta_1 + g
        second = state_1[i] * <floating> rule.beta_2 + g * g
        state_0[i] = first
        state_1[i] = second
        step = first * <floating> rule.first_weight + g * <floating> rule.gradient_weight
        return w - step / (_sqrt(second) + <floating> rule.epsilon)
    elif Rule is AdaGradRule:
        # state_0: the sum of squares G.
        second = state_0[i] + g * g
        state_0[i] = second
        denominator = _sqrt(second) + <floating> rule.epsilon
        return w - (g / denominator) * <floating> rule.learning_rate
    elif Rule is RMSPropRule:
        # state_0: the sum S of g ** 2.
        second = state_0[i] * <floating> rule.rho + g * g
        state_0[i] = second
        denominator = _sqrt(second) + <floating> rule.epsilon
        return w - (g / denominator) * <floating> rule.step
    elif Rule is AdadeltaRule:
        # state_0, state_1: the sums of g ** 2 and of the squared steps; ``step`` is -dx.
        second = state_0[i] * <floating> rule.rho + g * g
        state_0[i] = second
        step = (state_1[i] + <floating> rule.epsilon) / (second + <floating> rule.epsilon)
        step = _sqrt(step) * g
        state_1[i] = state_1[i] * <floating> rule.rho + step * step
        return w - step * <floating> rule.learning_rate
    else:
        return w


cdef inline void _penalised_entry(Rule rule, floating* params, const floating* grads,
                                  floating* state_0, floating* state_1, floating* state_2,
                                  Py_ssize_t i, floating l1, floating l2, bint with_l1,
                                  floating* l1_lane, floating* l2_lane) noexcept nogil:
    """Step entry ``i`` down its gradient plus the penalty's; add its norms to the lanes.

    The L1 term's gradient comes first, then the L2 term's, as the penalty's terms add them.
    """
    cdef floating w = params[i]
    cdef floating g
    if Rule is PenaltyGradient:
        g = state_0[i]
    else:
        g = grads[i]
    if with_l1:
        g = g + _times_sign(l1, w)
        l1_lane[0] += <floating> fabs(w)
    g = g + l2 * w
    l2_lane[0] += w * w
    if Rule is PenaltyGradient:
        state_0[i] = g
    else:
        params[i] = _stepped(rule, w, g, state_0, state_1, state_2, i)


cdef inline Py_ssize_t _penalised_groups(
        Rule rule, floating* params, const floating* grads, floating* state_0, floating* state_1,
        floating* state_2, Py_ssize_t start, Py_ssize_t end, floating l1, floating l2,
        bint with_l1, double* l1_totals, double* l2_totals) noexcept nogil:
    """Step the penalised entries ``start:end`` in whole groups of LANES; return where they stop.

    Entry ``k`` of each group adds its norms to lane ``k``, in the buffer's dtype; every GROUPS
    groups, the lanes are added to their float64 totals. Called with a literal ``with_l1``, so
    that each call is a loop without a branch, which the compiler vectorises.
    """
    cdef floating l1_lanes[LANES]
    cdef floating l2_lanes[LANES]
    cdef Py_ssize_t i = start, k, group = 0
    for k in range(LANES):
        l1_lanes[k] = 0
        l2_lanes[k] = 0
    while i + LANES <= end:
        for k in range(LANES):
            _penalised_entry(rule, params, grads, state_0, state_1, state_2, i + k, l1, l2,
                             with_l1, &l1_lanes[k], &l2_lanes[k])
        i += LANES
        group += 1
        if group == GROUPS or i + LANES > end:
            group = 0
            for k in range(LANES):
                l1_totals[k] += l1_lanes[k]
                l2_totals[k] += l2_lanes[k]
                l1_lanes[k] = 0
                l2_lanes[k] = 0
    return i


cdef inline void _sweep_chunk(Rule rule, floating* params, const floating* grads,
                              floating* state_0, floating* state_1, floating* state_2,
                              Py_ssize_t start, Py_ssize_t stop, Py_ssize_t n_penalised,
                              floating l1, floating l2, double* norms) noexcept nogil:
    """Step the entries ``start:stop``; set ``norms`` to the chunk's two penalty sums."""
    cdef double l1_totals[LANES]
    cdef double l2_totals[LANES]
    cdef floating l1_norm, l2_norm
    cdef Py_ssize_t i, k
    cdef Py_ssize_t end = min(stop, max(start, n_penalised))  # end of the penalised entries
    # The L1 term costs a sign, an absolute value and a sum per entry: the usual penalty, the L2
    # term alone, gets a loop without them.
    cdef bint with_l1 = l1 != 0
    for k in range(LANES):
        l1_totals[k] = 0.0
        l2_totals[k] = 0.0
    if with_l1:
        i = _penalised_groups(rule, params, grads, state_0, state_1, state_2, start, end, l1,
                              l2, True, l1_totals, l2_totals)
    else:
        i = _penalised_groups(rule, params, grads, state_0, state_1, state_2, start, end, l1,
                              l2, False, l1_totals, l2_totals)
    for k in range(end - i):
        l1_norm = 0
        l2_norm = 0
        _penalised_entry(rule, params, grads, state_0, state_1, state_2, i + k, l1, l2,
                         with_l1, &l1_norm, &l2_norm)
        l1_totals[k] += l1_norm
        l2_totals[k] += l2_norm
    if not (Rule is PenaltyGradient):
        for i in range(end, stop):
            params[i] = _stepped(rule, params[i], grads[i], state_0, state_1, state_2, i)
    norms[0] = 0.0
    norms[1] = 0.0
    for k in range(LANES):
        norms[0] += l1_totals[k]
        norms[1] += l2_totals[k]


cdef tuple _sweep(Rule rule, floating* params, const floating* grads, floating* state_0,
                  floating* state_1, floating* state_2, Py_ssize_t n, Py_ssize_t n_penalised,
                  double l1_factor, double l2_factor):
    """Run ``_sweep_chunk`` over every chunk of the ``n`` entries; return the two norms.

    The chunks' sums are added in chunk order, from a buffer filled in parallel (or on the fly
    on one thread, which adds them in the same order).
    """
    cdef Py_ssize_t n_chunks = (n + CHUNK - 1) // CHUNK, chunk
    cdef int n_threads = n_threads_for(n)
    cdef floating l1 = <floating> l1_factor, l2 = <floating> l2_factor
    cdef double norms[2]
    cdef double l1_norm = 0.0, l2_norm = 0.0
    cdef double* chunk_norms
    if n_threads == 1 or n_chunks == 1:
        with nogil:
            for chunk in range(n_chunks):
                _sweep_chunk(rule, params, grads, state_0, state_1, state_2, chunk * CHUNK,
                             min(n, (chunk + 1) * CHUNK), n_penalised, l1, l2, norms)
                l1_norm += norms[0]
                l2_norm += norms[1]
        return l1_norm, l2_norm
    chunk_norms = <double*> malloc(2 * n_chunks * sizeof(double))
    if chunk_norms == NULL:
        raise MemoryError()
    with nogil:
        # Dynamic: a thread whose core is busy with other work takes fewer chunks instead of
        # holding the others up at the end of the pass. The chunks are fixed, so which thread
        # runs which changes no result.
        for chunk in prange(n_chunks, num_threads=n_threads, schedule="dynamic"):
            _sweep_chunk(rule, params, grads, state_0, state_1, state_2, chunk * CHUNK,
                         min(n, (chunk + 1) * CHUNK), n_penalised, l1, l2,
                         &chunk_norms[2 * chunk])
        for chunk in range(n_chunks):
            l1_norm += chunk_norms[2 * chunk]
            l2_norm += chunk_norms[2 * chunk + 1]
    free(chunk_norms)
    return l1_norm, l2_norm


cdef int _check(Py_ssize_t n, Py_ssize_t n_penalised, Py_ssize_t n_grads,
                Py_ssize_t n_state_0=-1, Py_ssize_t n_state_1=-1,
                Py_ssize_t n_state_2=-1) except -1:
    """Raise ValueError unless the gradient and the state have ``n`` entries each (-1: no state).

    Memoryviews check each buffer's dtype and contiguity but not that the lengths agree; a
    shorter vector would be read or written past its end.
    """
    if (n_grads != n or (n_state_0 != -1 and n_state_0 != n)
            or (n_state_1 != -1 and n_state_1 != n) or (n_state_2 != -1 and n_state_2 != n)):
        lengths = [length for length in (n_grads, n_state_0, n_state_1, n_state_2)
                   if length != -1]
        raise ValueError(
            f"the gradient and the state must have the {n} entries of the parameters; "
            f"got lengths {lengths}")
    if not 0 <= n_penalised <= n:
        raise ValueError(f"n_penalised must be in [0, {n}]; got {n_penalised}")
    return 0


# The kernels: each steps ``params`` in place and returns ``(l1_norm, squared_l2_norm)``, the sums
# of ``|p|`` and ``p ** 2`` over ``params[:n_penalised]`` before the step, whose entries also get
# the gradient ``l1_factor * sign(p) + l2_factor * p``. The vectors are C-contiguous and of one
# dtype (float32 or float64); the scalars are those of the rule's struct above.
def sgd_step(floating[::1] params, const floating[::1] grads, double learning_rate,
             Py_ssize_t n_penalised=0, double l1_factor=0.0, double l2_factor=0.0):
    """Plain gradient descent: ``p -= learning_rate * g``."""
    _check(params.shape[0], n_penalised, grads.shape[0])
    cdef SGDRule rule = SGDRule(learning_rate=learning_rate)
    return _sweep(rule, &params[0], &grads[0], <floating*> NULL, <floating*> NULL,
                  <floating*> NULL, params.shape[0], n_penalised, l1_factor, l2_factor)


def momentum_step(floating[::1] params, const floating[::1] grads, floating[::1] velocity,
                  double learning_rate, double momentum, bint nesterov,
                  Py_ssize_t n_penalised=0, double l1_factor=0.0, double l2_factor=0.0):
    """SGD with momentum (Nesterov's or classical); ``velocity`` is updated in place."""
    _check(params.shape[0], n_penalised, grads.shape[0], velocity.shape[0])
    cdef MomentumRule classical = MomentumRule(learning_rate=learning_rate, momentum=momentum)
    cdef NesterovRule corrected = NesterovRule(learning_rate=learning_rate, momentum=momentum)
    if nesterov:
        return _sweep(corrected, &params[0], &grads[0], &velocity[0], <floating*> NULL,
                      <floating*> NULL, params.shape[0], n_penalised, l1_factor, l2_factor)
    return _sweep(classical, &params[0], &grads[0], &velocity[0], <floating*> NULL,
                  <floating*> NULL, params.shape[0], n_penalised, l1_factor, l2_factor)


def adam_step(floating[::1] params, const floating[::1] grads, floating[::1] m,
              floating[::1] v, double beta_1, double beta_2, double step, double epsilon,
              Py_ssize_t n_penalised=0, double l1_factor=0.0, double l2_factor=0.0):
    """Adam on the stored sums ``m``, ``v``, with ``step`` the bias-corrected step size."""
    _check(params.shape[0], n_penalised, grads.shape[0], m.shape[0], v.shape[0])
    cdef AdamRule rule = AdamRule(beta_1=beta_1, beta_2=beta_2, step=step, epsilon=epsilon)
    return _sweep(rule, &params[0], &grads[0], &m[0], &v[0], <floating*> NULL,
                  params.shape[0], n_penalised, l1_factor, l2_factor)


def amsgrad_step(floating[::1] params, const floating[::1] grads, floating[::1] m,
                 floating[::1] v, floating[::1] v_max, double beta_1, double beta_2,
                 double step, double epsilon,
                 Py_ssize_t n_penalised=0, double l1_factor=0.0, double l2_factor=0.0):
    """Adam with the running maximum ``v_max`` of ``v`` in the denominator."""
    _check(params.shape[0], n_penalised, grads.shape[0], m.shape[0], v.shape[0],
           v_max.shape[0])
    cdef AMSGradRule rule = AMSGradRule(beta_1=beta_1, beta_2=beta_2, step=step,
                                        epsilon=epsilon)
    return _sweep(rule, &params[0], &grads[0], &m[0], &v[0], &v_max[0],
                  params.shape[0], n_penalised, l1_factor, l2_factor)


def adamax_step(floating[::1] params, const floating[::1] grads, floating[::1] m,
                floating[::1] u, double beta_1, double beta_2, double step, double epsilon,
                Py_ssize_t n_penalised=0, double l1_factor=0.0, double l2_factor=0.0):
    """AdaMax on the stored sum ``m`` and the infinity norm ``u``."""
    _check(params.shape[0], n_penalised, grads.shape[0], m.shape[0], u.shape[0])
    cdef AdaMaxRule rule = AdaMaxRule(beta_1=beta_1, beta_2=beta_2, step=step, epsilon=epsilon)
    return _sweep(rule, &params[0], &grads[0], &m[0], &u[0], <floating*> NULL,
                  params.shape[0], n_penalised, l1_factor, l2_factor)


def nadam_step(floating[::1] params, const floating[::1] grads, floating[::1] m,
               floating[::1] v, double beta_1, double beta_2, double first_weight,
               double gradient_weight, double epsilon,
               Py_ssize_t n_penalised=0, double l1_factor=0.0, double l2_factor=0.0):
    """Nadam: ``p -= (first_weight * m + gradient_weight * g) / (sqrt(v) + epsilon)``."""
    _check(params.shape[0], n_penalised, grads.shape[0], m.shape[0], v.shape[0])
    cdef NadamRule rule = NadamRule(beta_1=beta_1, beta_2=beta_2, first_weight=first_weight,
                                    gradient_weight=gradient_weight, epsilon=epsilon)
    return _sweep(rule, &params[0], &grads[0], &m[0], &v[0], <floating*> NULL,
                  params.shape[0], n_penalised, l1_factor, l2_factor)


def adagrad_step(floating[::1] params, const floating[::1] grads, floating[::1] sum_squares,
                 double learning_rate, double epsilon,
                 Py_ssize_t n_penalised=0, double l1_factor=0.0, double l2_factor=0.0):
    """AdaGrad on the sum of squared gradients."""
    _check(params.shape[0], n_penalised, grads.shape[0], sum_squares.shape[0])
    cdef AdaGradRule rule = AdaGradRule(learning_rate=learning_rate, epsilon=epsilon)
    return _sweep(rule, &params[0], &grads[0], &sum_squares[0], <floating*> NULL,
                  <floating*> NULL, params.shape[0], n_penalised, l1_factor, l2_factor)


def rmsprop_step(floating[::1] params, const floating[::1] grads, floating[::1] mean_square,
                 double rho, double step, double epsilon,
                 Py_ssize_t n_penalised=0, double l1_factor=0.0, double l2_factor=0.0):
    """RMSProp on the stored sum ``mean_square`` of squared gradients."""
    _check(params.shape[0], n_penalised, grads.shape[0], mean_square.shape[0])
    cdef RMSPropRule rule = RMSPropRule(rho=rho, step=step, epsilon=epsilon)
    return _sweep(rule, &params[0], &grads[0], &mean_square[0], <floating*> NULL,
                  <floating*> NULL, params.shape[0], n_penalised, l1_factor, l2_factor)


def adadelta_step(floating[::1] params, const floating[::1] grads, floating[::1] mean_square,
                  floating[::1] mean_square_step, double rho, double epsilon,
                  double learning_rate,
                  Py_ssize_t n_penalised=0, double l1_factor=0.0, double l2_factor=0.0):
    """Adadelta on the stored sums of squared gradients and of squared steps."""
    _check(params.shape[0], n_penalised, grads.shape[0], mean_square.shape[0],
           mean_square_step.shape[0])
    cdef AdadeltaRule rule = AdadeltaRule(rho=rho, epsilon=epsilon, learning_rate=learning_rate)
    return _sweep(rule, &params[0], &grads[0], &mean_square[0], &mean_square_step[0],
                  <floating*> NULL, params.shape[0], n_penalised, l1_factor, l2_factor)


def add_penalty_gradient(const floating[::1] weights, floating[::1] grad_weights,
                         double l1_factor, double l2_factor):
    """``grad_weights += l1_factor * sign(weights) + l2_factor * weights``, in one pass.

    Returns ``(sum(|weights|), sum(weights ** 2))``; the weights are only read.
    """
    _check(weights.shape[0], weights.shape[0], grad_weights.shape[0])
    cdef PenaltyGradient rule = PenaltyGradient(unused=0)
    # _sweep's parameter pointer is writable for the rules that step; this rule only reads it.
    return _sweep(rule, <floating*> &weights[0], <const floating*> NULL, &grad_weights[0],
                  <floating*> NULL, <floating*> NULL, weights.shape[0], weights.shape[0],
                  l1_factor, l2_factor)

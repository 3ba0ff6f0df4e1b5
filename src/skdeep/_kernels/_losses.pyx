"""The losses' kernels: value and gradient of the softmax and sigmoid cross-entropies and the
squared error, and the softmax outputs.

Each loss is one kernel over the rows, a block of rows at a time (the block's scores, targets
and intermediate values stay in the first-level cache between its passes): the value, and the
gradient ``(output(s) - y) w`` written into the scores' buffer, with the row factors ``w`` equal
to ``1 / n`` or to the sample weights over their total. Threads take rows; their partial sums of
the value are added in thread order, so that a given number of threads always gives the same
value; the gradient is the same on any number. Each value is computed in the arrays' type; the
sums along a row run in float64, where NumPy's pairwise summation would otherwise keep digits
that a float32 sum in order loses.
"""

from cython cimport floating
from cython.parallel cimport prange
from libc.math cimport log, logf
from libc.stdlib cimport free, malloc

from ._partition cimport share
from ._threads cimport n_threads_for

cdef extern from "_activation_loops.h" nogil:
    void skd_exp_in_place_f(float *values, Py_ssize_t n)
    void skd_exp_in_place_d(double *values, Py_ssize_t n)
    void skd_sigmoid_cross_entropy_f(float *scores, const float *targets, float *losses,
                                     Py_ssize_t n)
    void skd_sigmoid_cross_entropy_d(double *scores, const double *targets, double *losses,
                                     Py_ssize_t n)

cdef enum:
    # The values a block of rows holds (or one row, when it is wider).
    BLOCK_ITEMS = 2048


cdef inline void _check_same_shape(Py_ssize_t *first, Py_ssize_t *second, str what) except *:
    if first[0] != second[0] or first[1] != second[1]:
        raise ValueError(
            f"{what}: shapes ({first[0]}, {first[1]}) and ({second[0]}, {second[1]}) differ."
        )


cdef inline void _exp_in_place(floating *values, Py_ssize_t n) noexcept nogil:
    if floating is float:
        skd_exp_in_place_f(values, n)
    else:
        skd_exp_in_place_d(values, n)


cdef inline floating _log(floating x) noexcept nogil:
    if floating is float:
        return logf(x)
    else:
        return log(x)


cdef enum LossKind:
    SOFTMAX_CROSS_ENTROPY
    SIGMOID_CROSS_ENTROPY
    SQUARED_ERROR


cdef inline floating _row_factor(const floating *weights, floating scale,
                                 Py_ssize_t i) noexcept nogil:
    """The gradient factor of row ``i``: ``scale = 1 / n`` without sample weights, its weight
    over ``scale``, the total weight, with them."""
    if weights == NULL:
        return scale
    return weights[i] / scale


cdef double _softmax_block(floating *scores, const floating *targets, const floating *weights,
                           floating scale, Py_ssize_t first, Py_ssize_t n_rows,
                           Py_ssize_t n_cols) noexcept nogil:
    """Rows ``first`` to ``first + n_rows`` (at most BLOCK_ITEMS values, or one row): the
    gradient in place; returns the sum of the rows' losses (times their factors if weighted).

    A row's sums run in float64 whatever the type: in order, as here, a float32 sum of a few
    hundred values would lose the digits that NumPy's pairwise summation keeps."""
    cdef double dots[BLOCK_ITEMS]
    cdef floating *row
    cdef const floating *target
    cdef floating largest, total, row_factor
    cdef double dot, row_sum, loss
    cdef Py_ssize_t i, j
    cdef double value = 0
    # Pass 1: shift each row by its maximum (exp(s - max) <= 1 never overflows) and keep the
    # targets' dot product with the shifted scores, y . (s - max).
    for i in range(n_rows):
        row = scores + i * n_cols
        target = targets + i * n_cols
        largest = row[0]
        for j in range(1, n_cols):
            if row[j] > largest:
                largest = row[j]
        dot = 0
        for j in range(n_cols):
            row[j] = row[j] - largest
            dot += <double>target[j] * <double>row[j]
        dots[i] = dot
    # Pass 2: exp(s - max), the whole block in one vectorised loop.
    _exp_in_place(scores, n_rows * n_cols)
    # Pass 3: loss = log(sum(exp(s - max))) - y . (s - max); gradient (softmax - y) * factor.
    for i in range(n_rows):
        row = scores + i * n_cols
        target = targets + i * n_cols
        row_sum = 0
        for j in range(n_cols):
            row_sum += row[j]
        total = <floating>row_sum
        loss = log(row_sum) - dots[i]
        row_factor = _row_factor(weights, scale, first + i)
        for j in range(n_cols):
            row[j] = (row[j] / total - target[j]) * row_factor
        value += loss * (1.0 if weights == NULL else <double>row_factor)
    return value


cdef double _sigmoid_block(floating *scores, const floating *targets, const floating *weights,
                           floating scale, Py_ssize_t first, Py_ssize_t n_rows,
                           Py_ssize_t n_cols) noexcept nogil:
    cdef floating losses[BLOCK_ITEMS]
    cdef floating *row
    cdef floating row_factor
    cdef double loss
    cdef Py_ssize_t i, j, segment, width
    cdef double value = 0
    if n_rows * n_cols <= BLOCK_ITEMS:
        if floating is float:
            skd_sigmoid_cross_entropy_f(scores, targets, losses, n_rows * n_cols)
        else:
            skd_sigmoid_cross_entropy_d(scores, targets, losses, n_rows * n_cols)
    for i in range(n_rows):
        row = scores + i * n_cols
        loss = 0
        if n_rows * n_cols <= BLOCK_ITEMS:
            for j in range(n_cols):
                loss += losses[i * n_cols + j]
        else:
            # One row wider than a block: its values in segments of BLOCK_ITEMS.
            segment = 0
            while segment < n_cols:
                width = min(<Py_ssize_t>BLOCK_ITEMS, n_cols - segment)
                if floating is float:
                    skd_sigmoid_cross_entropy_f(row + segment, targets + i * n_cols + segment,
                                                losses, width)
                else:
                    skd_sigmoid_cross_entropy_d(row + segment, targets + i * n_cols + segment,
                                                losses, width)
                for j in range(width):
                    loss += losses[j]
                segment += width
        row_factor = _row_factor(weights, scale, first + i)
        for j in range(n_cols):
            row[j] = row[j] * row_factor
        value += loss * (1.0 if weights == NULL else <double>row_factor)
    return value


cdef double _squared_error_block(floating *scores, const floating *targets,
                                 const floating *weights, floating scale, Py_ssize_t first,
                                 Py_ssize_t n_rows, Py_ssize_t n_cols) noexcept nogil:
    cdef floating *row
    cdef const floating *target
    cdef floating residual, row_factor
    cdef double squares
    cdef Py_ssize_t i, j
    cdef double value = 0
    for i in range(n_rows):
        row = scores + i * n_cols
        target = targets + i * n_cols
        squares = 0
        for j in range(n_cols):
            residual = row[j] - target[j]
            squares += <double>residual * <double>residual
            row[j] = residual
        row_factor = _row_factor(weights, scale, first + i)
        for j in range(n_cols):
            row[j] = row[j] * row_factor
        value += 0.5 * squares * (1.0 if weights == NULL else <double>row_factor)
    return value


cdef double _loss_rows(LossKind kind, floating *scores, const floating *targets,
                       const floating *weights, floating scale, Py_ssize_t start,
                       Py_ssize_t stop, Py_ssize_t n_cols) noexcept nogil:
    """One thread's rows, block by block: the gradient in place, the sum of their losses."""
    cdef Py_ssize_t rows_per_block = max(<Py_ssize_t>1, <Py_ssize_t>BLOCK_ITEMS // n_cols)
    cdef Py_ssize_t first, n_rows
    cdef double value = 0
    first = start
    while first < stop:
        n_rows = min(rows_per_block, stop - first)
        if kind == SOFTMAX_CROSS_ENTROPY:
            value += _softmax_block(scores + first * n_cols, targets + first * n_cols, weights,
                                    scale, first, n_rows, n_cols)
        elif kind == SIGMOID_CROSS_ENTROPY:
            value += _sigmoid_block(scores + first * n_cols, targets + first * n_cols, weights,
                                    scale, first, n_rows, n_cols)
        else:
            value += _squared_error_block(scores + first * n_cols, targets + first * n_cols,
                                          weights, scale, first, n_rows, n_cols)
        first += n_rows
    return value


cdef double _loss(LossKind kind, floating[:, ::1] scores, const floating[:, ::1] targets,
                  const floating[::1] sample_weight) except? -1:
    cdef Py_ssize_t n_rows = scores.shape[0], n_cols = scores.shape[1], i
    cdef int n_threads = n_threads_for(n_rows * n_cols), thread
    cdef const floating *weights = NULL
    cdef floating scale
    cdef double total = 0, value = 0
    cdef double *partial
    _check_same_shape(scores.shape, targets.shape, "loss")
    if n_cols == 0:
        raise ValueError("loss: the scores have no column.")
    if sample_weight is None:
        scale = <floating>(1.0 / n_rows) if n_rows else 0
    else:
        if sample_weight.shape[0] != n_rows:
            raise ValueError(f"loss: {n_rows} rows but {sample_weight.shape[0]} sample weights.")
        weights = &sample_weight[0]
        for i in range(n_rows):
            total += sample_weight[i]
        # The rows' factors are weight / total in the arrays' type, as in NumPy's
        # sample_weight / sample_weight.sum().
        scale = <floating>total
    if n_threads == 1:
        with nogil:
            value = _loss_rows(kind, &scores[0, 0], &targets[0, 0], weights, scale, 0, n_rows,
                               n_cols)
    else:
        partial = <double *>malloc(n_threads * sizeof(double))
        if partial == NULL:
            raise MemoryError()
        with nogil:
            for thread in prange(n_threads, num_threads=n_threads, schedule="static"):
                partial[thread] = _loss_rows(kind, &scores[0, 0], &targets[0, 0], weights, scale,
                                             share(n_rows, n_threads, thread),
                                             share(n_rows, n_threads, thread + 1), n_cols)
        # The threads' sums in thread order: the same value for the same number of threads.
        for thread in range(n_threads):
            value += partial[thread]
        free(partial)
    if sample_weight is None:
        return value / n_rows if n_rows else float("nan")
    return value


def softmax_cross_entropy(floating[:, ::1] scores, const floating[:, ::1] targets,
                          const floating[::1] sample_weight=None):
    """Mean multiclass log-loss of raw scores; their gradient ``(softmax - y) w`` in place.

    One kernel over the rows: ``max``, ``exp(s - max)``, their sum and log, the loss
    ``log(sum) - y . (s - max)`` and the gradient, a block of rows at a time. The row factors
    ``w`` are ``1 / n``, or the sample weights over their total; the value is the mean loss, or
    the weighted one.

    Returns
    -------
    value : float
    """
    return _loss(SOFTMAX_CROSS_ENTROPY, scores, targets, sample_weight)


def sigmoid_cross_entropy(floating[:, ::1] scores, const floating[:, ::1] targets,
                          const floating[::1] sample_weight=None):
    """Mean Bernoulli log-loss ``softplus(s) - y s`` summed over columns; gradient
    ``(sigmoid(s) - y) w`` in place, both from one ``exp(-|s|)`` per value."""
    return _loss(SIGMOID_CROSS_ENTROPY, scores, targets, sample_weight)


def squared_error(floating[:, ::1] scores, const floating[:, ::1] targets,
                  const floating[::1] sample_weight=None):
    """Mean half squared error ``sum((s - y)^2) / 2``; gradient ``(s - y) w`` in place."""
    return _loss(SQUARED_ERROR, scores, targets, sample_weight)


# ----------------------------------------------------------------------- softmax outputs
cdef void _softmax_rows(floating *scores, Py_ssize_t start, Py_ssize_t stop, Py_ssize_t n_cols,
                        bint logarithm) noexcept nogil:
    """Softmax (or its logarithm) of rows ``start`` to ``stop`` in place."""
    cdef floating chunk[BLOCK_ITEMS]
    cdef floating *row
    cdef floating largest, total
    cdef double row_sum
    cdef Py_ssize_t i, j, segment, width
    for i in range(start, stop):
        row = scores + i * n_cols
        largest = row[0]
        for j in range(1, n_cols):
            if row[j] > largest:
                largest = row[j]
        for j in range(n_cols):
            row[j] = row[j] - largest
        row_sum = 0
        if logarithm:
            # exp(s - max) in a scratch copy: the shifted scores are the result's first term.
            segment = 0
            while segment < n_cols:
                width = min(<Py_ssize_t>BLOCK_ITEMS, n_cols - segment)
                for j in range(width):
                    chunk[j] = row[segment + j]
                _exp_in_place(chunk, width)
                for j in range(width):
                    row_sum += chunk[j]
                segment += width
            total = _log(<floating>row_sum)
            for j in range(n_cols):
                row[j] = row[j] - total
        else:
            _exp_in_place(row, n_cols)
            for j in range(n_cols):
                row_sum += row[j]
            total = <floating>row_sum
            for j in range(n_cols):
                row[j] = row[j] / total


cdef void _softmax(floating[:, ::1] scores, bint logarithm) except *:
    cdef Py_ssize_t n_rows = scores.shape[0], n_cols = scores.shape[1]
    cdef int n_threads = n_threads_for(n_rows * n_cols), thread
    if n_cols == 0:
        return
    with nogil:
        if n_threads == 1:
            _softmax_rows(&scores[0, 0], 0, n_rows, n_cols, logarithm)
        else:
            for thread in prange(n_threads, num_threads=n_threads, schedule="static"):
                _softmax_rows(&scores[0, 0], share(n_rows, n_threads, thread),
                              share(n_rows, n_threads, thread + 1), n_cols, logarithm)


def softmax(floating[:, ::1] scores):
    """Softmax probabilities of each row, in place (``exp(s - max) / sum``)."""
    _softmax(scores, False)


def log_softmax(floating[:, ::1] scores):
    """Log-probabilities of each row, in place (``s - max - log(sum(exp(s - max)))``)."""
    _softmax(scores, True)

"""Batch normalisation forward and backward kernels.

Training normalises each column with its batch mean and biased variance, in three passes over
the batch: the column sums, the sums of squared deviations from the mean (the two-pass variance,
which keeps its precision in float32 where E[x^2] - E[x]^2 would cancel), and the normalised
output, scaled, shifted and put through the activation that follows (``code``, as in
``_elementwise.activate``) while the row is in cache. Backward takes two: the column sums of the
gradient and of the gradient times the normalised input, then the input gradient.

Threads take columns: every column is summed in row order by one thread, so the statistics and
the parameter gradients are the same on any number of threads. Each pass computes in the arrays'
type (float32 or float64), in the order of the NumPy expressions it replaces.
"""

from cython cimport floating
from cython.parallel cimport prange
from libc.math cimport sqrt, sqrtf
from libc.stdlib cimport free, malloc

from ._partition cimport column_share
from ._threads cimport n_threads_for

cdef extern from "_activation_loops.h" nogil:
    cdef enum skd_activation:
        SKD_IDENTITY
        SKD_SOFTPLUS
    void skd_activate_f(int code, float *values, const float *bias, Py_ssize_t n_rows,
                        Py_ssize_t n_cols)
    void skd_activate_d(int code, double *values, const double *bias, Py_ssize_t n_rows,
                        Py_ssize_t n_cols)

cdef enum:
    # The column statistics accumulate this many columns at a time in local arrays.
    COLUMN_CHUNK = 256


cdef inline floating _sqrt(floating x) noexcept nogil:
    if floating is float:
        return sqrtf(x)
    else:
        return sqrt(x)


cdef inline void _activate_row(int code, floating *values, Py_ssize_t n) noexcept nogil:
    if code == SKD_IDENTITY:
        return
    if floating is float:
        skd_activate_f(code, values, NULL, 1, n)
    else:
        skd_activate_d(code, values, NULL, 1, n)


cdef void _check_code(int code) except *:
    if code < SKD_IDENTITY or code > SKD_SOFTPLUS:
        raise ValueError(f"Unknown activation code {code}.")


cdef void _check_batch(Py_ssize_t *shape, Py_ssize_t *other, str name) except *:
    if shape[0] != other[0] or shape[1] != other[1]:
        raise ValueError(
            f"batch norm: {name} has shape ({other[0]}, {other[1]}), the batch "
            f"({shape[0]}, {shape[1]})."
        )


cdef void _check_units(Py_ssize_t n_units, bint match) except *:
    if not match:
        raise ValueError(f"batch norm: a per-unit array does not have the batch's {n_units} units.")


# ---------------------------------------------------------------------------------- training
cdef void _training_columns(const floating *X, floating *normalised, floating *output,
                            const floating *scale, const floating *shift, floating *running_mean,
                            floating *running_var, floating *inv_std, double momentum,
                            floating epsilon, int code, Py_ssize_t n_rows, Py_ssize_t n_cols,
                            Py_ssize_t start, Py_ssize_t stop) noexcept nogil:
    """Columns ``start`` to ``stop``, COLUMN_CHUNK at a time: each chunk's statistics are
    summed in local arrays (two threads adding into neighbouring entries of a shared array,
    row after row, would pass its cache line between them at every row), and its rows stay in
    cache through the three passes."""
    cdef floating mean[COLUMN_CHUNK]
    cdef floating inverse[COLUMN_CHUNK]
    cdef Py_ssize_t i, j, first, width
    cdef const floating *row
    cdef floating *normalised_row
    cdef floating *output_row
    cdef floating deviation, variance, n = <floating>n_rows
    cdef floating inverse_n = <floating>(1.0 / n_rows)
    # As NumPy's running *= momentum; running += (1 - momentum) * batch, with both factors
    # rounded from float64 (1 - momentum rounded from the float32 momentum would differ).
    cdef floating keep = <floating>momentum, complement = <floating>(1.0 - momentum)
    first = start
    while first < stop:
        width = min(<Py_ssize_t>COLUMN_CHUNK, stop - first)
        for j in range(width):
            mean[j] = 0
            inverse[j] = 0
        for i in range(n_rows):
            row = X + i * n_cols + first
            for j in range(width):
                mean[j] += row[j]
        for j in range(width):
            mean[j] = mean[j] / n
        # The sums of squared deviations go into inverse, which becomes 1 / sqrt(var + eps).
        for i in range(n_rows):
            row = X + i * n_cols + first
            for j in range(width):
                deviation = row[j] - mean[j]
                inverse[j] += deviation * deviation
        for j in range(width):
            variance = inverse[j] * inverse_n
            running_mean[first + j] = running_mean[first + j] * keep + complement * mean[j]
            running_var[first + j] = running_var[first + j] * keep + complement * variance
            inverse[j] = <floating>1 / _sqrt(variance + epsilon)
            inv_std[first + j] = inverse[j]
        for i in range(n_rows):
            row = X + i * n_cols + first
            normalised_row = normalised + i * n_cols + first
            output_row = output + i * n_cols + first
            for j in range(width):
                normalised_row[j] = (row[j] - mean[j]) * inverse[j]
            # A second loop over the row while it is in cache: one loop over all six arrays
            # would need more run-time aliasing checks than the compiler makes, and stay scalar.
            for j in range(width):
                output_row[j] = normalised_row[j] * scale[first + j] + shift[first + j]
            _activate_row(code, output_row, width)
        first += width


def forward_training(const floating[:, ::1] X, floating[:, ::1] normalised,
                     floating[:, ::1] output, const floating[::1] scale,
                     const floating[::1] shift, floating[::1] running_mean,
                     floating[::1] running_var, floating[::1] inv_std, double momentum,
                     double epsilon, int code):
    """Normalise a training batch with its own statistics; update the running averages.

    Writes ``inv_std = 1 / sqrt(var + epsilon)``, ``normalised = (X - mean) * inv_std`` (what
    backward needs) and ``output = f(normalised * scale + shift)``, ``f`` the activation
    numbered ``code`` (identity: none), and moves ``running_mean`` and ``running_var`` to
    ``momentum * running + (1 - momentum) * batch``.
    """
    cdef Py_ssize_t n_rows = X.shape[0], n_cols = X.shape[1]
    cdef int n_threads = n_threads_for(n_rows * n_cols), thread
    _check_code(code)
    _check_batch(X.shape, normalised.shape, "normalised")
    _check_batch(X.shape, output.shape, "output")
    _check_units(n_cols, scale.shape[0] == n_cols and shift.shape[0] == n_cols
                 and running_mean.shape[0] == n_cols and running_var.shape[0] == n_cols
                 and inv_std.shape[0] == n_cols)
    if n_rows == 0:
        raise ValueError("batch norm: a training batch needs at least one row.")
    with nogil:
        if n_threads == 1:
            _training_columns(&X[0, 0], &normalised[0, 0], &output[0, 0], &scale[0], &shift[0],
                              &running_mean[0], &running_var[0], &inv_std[0], momentum,
                              <floating>epsilon, code, n_rows, n_cols, 0, n_cols)
        else:
            for thread in prange(n_threads, num_threads=n_threads, schedule="static"):
                _training_columns(&X[0, 0], &normalised[0, 0], &output[0, 0], &scale[0],
                                  &shift[0], &running_mean[0], &running_var[0], &inv_std[0],
                                  momentum, <floating>epsilon, code, n_rows, n_cols,
                                  column_share(n_cols, n_threads, thread),
                                  column_share(n_cols, n_threads, thread + 1))


# -------------------------------------------------------------------------------- prediction
cdef void _prediction_rows(const floating *X, floating *output, const floating *scale,
                           const floating *shift, const floating *running_mean,
                           const floating *inv_std, int code, Py_ssize_t n_cols,
                           Py_ssize_t start, Py_ssize_t stop) noexcept nogil:
    cdef Py_ssize_t i, j
    cdef const floating *row
    cdef floating *output_row
    for i in range(start, stop):
        row = X + i * n_cols
        output_row = output + i * n_cols
        for j in range(n_cols):
            output_row[j] = ((row[j] - running_mean[j]) * inv_std[j]) * scale[j] + shift[j]
        _activate_row(code, output_row, n_cols)


def forward_prediction(const floating[:, ::1] X, floating[:, ::1] output,
                       const floating[::1] scale, const floating[::1] shift,
                       const floating[::1] running_mean, const floating[::1] running_var,
                       double epsilon, int code):
    """``output = f((X - running_mean) / sqrt(running_var + epsilon) * scale + shift)``."""
    cdef Py_ssize_t n_rows = X.shape[0], n_cols = X.shape[1], j
    cdef int n_threads = n_threads_for(n_rows * n_cols), thread
    cdef floating *inv_std
    cdef floating eps = <floating>epsilon
    _check_code(code)
    _check_batch(X.shape, output.shape, "output")
    _check_units(n_cols, scale.shape[0] == n_cols and shift.shape[0] == n_cols
                 and running_mean.shape[0] == n_cols and running_var.shape[0] == n_cols)
    inv_std = <floating *>malloc(max(n_cols, 1) * sizeof(floating))
    if inv_std == NULL:
        raise MemoryError()
    for j in range(n_cols):
        inv_std[j] = <floating>1 / _sqrt(running_var[j] + eps)
    with nogil:
        if n_threads == 1:
            _prediction_rows(&X[0, 0], &output[0, 0], &scale[0], &shift[0], &running_mean[0],
                             inv_std, code, n_cols, 0, n_rows)
        else:
            for thread in prange(n_threads, num_threads=n_threads, schedule="static"):
                _prediction_rows(&X[0, 0], &output[0, 0], &scale[0], &shift[0],
                                 &running_mean[0], inv_std, code, n_cols,
                                 (n_rows * thread) // n_threads,
                                 (n_rows * (thread + 1)) // n_threads)
    free(inv_std)


# ---------------------------------------------------------------------------------- backward
cdef void _backward_columns(floating *grad, const floating *normalised, const floating *scale,
                            const floating *inv_std, floating *grad_scale, floating *grad_shift,
                            bint propagate, Py_ssize_t n_rows, Py_ssize_t n_cols,
                            Py_ssize_t start, Py_ssize_t stop) noexcept nogil:
    """Columns ``start`` to ``stop``, COLUMN_CHUNK at a time, summed in local arrays."""
    # Per column: d_shift and d_scale, then d_scale / N, d_shift / N and scale * inv_std, so
    # that the pass over the batch reads three vectors rather than computing them every row.
    cdef floating shift_sum[COLUMN_CHUNK]
    cdef floating scale_sum[COLUMN_CHUNK]
    cdef floating factor[COLUMN_CHUNK]
    cdef Py_ssize_t i, j, first, width
    cdef floating *grad_row
    cdef const floating *normalised_row
    cdef floating inverse_n = <floating>(1.0 / n_rows)
    first = start
    while first < stop:
        width = min(<Py_ssize_t>COLUMN_CHUNK, stop - first)
        for j in range(width):
            shift_sum[j] = 0
            scale_sum[j] = 0
        for i in range(n_rows):
            grad_row = grad + i * n_cols + first
            normalised_row = normalised + i * n_cols + first
            for j in range(width):
                shift_sum[j] += grad_row[j]
                scale_sum[j] += grad_row[j] * normalised_row[j]
        for j in range(width):
            grad_shift[first + j] = shift_sum[j]
            grad_scale[first + j] = scale_sum[j]
        if propagate:
            for j in range(width):
                scale_sum[j] = scale_sum[j] * inverse_n
                shift_sum[j] = shift_sum[j] * inverse_n
                factor[j] = scale[first + j] * inv_std[first + j]
            # dx = scale * inv_std * (g - x_hat * d_scale / N - d_shift / N), in g's buffer.
            for i in range(n_rows):
                grad_row = grad + i * n_cols + first
                normalised_row = normalised + i * n_cols + first
                for j in range(width):
                    grad_row[j] = (
                        (grad_row[j] - normalised_row[j] * scale_sum[j]) - shift_sum[j]
                    ) * factor[j]
        first += width


def backward(floating[:, ::1] grad, const floating[:, ::1] normalised, const floating[::1] scale,
             const floating[::1] inv_std, floating[::1] grad_scale, floating[::1] grad_shift,
             bint propagate):
    """Fill ``grad_shift = sum(g)`` and ``grad_scale = sum(g * normalised)`` (columns), then,
    when ``propagate``, turn ``grad`` into the input gradient in place."""
    cdef Py_ssize_t n_rows = grad.shape[0], n_cols = grad.shape[1]
    cdef int n_threads = n_threads_for(n_rows * n_cols), thread
    _check_batch(grad.shape, normalised.shape, "normalised")
    _check_units(n_cols, scale.shape[0] == n_cols and inv_std.shape[0] == n_cols
                 and grad_scale.shape[0] == n_cols and grad_shift.shape[0] == n_cols)
    if n_rows == 0:
        raise ValueError("batch norm: backward needs at least one row.")
    with nogil:
        if n_threads == 1:
            _backward_columns(&grad[0, 0], &normalised[0, 0], &scale[0], &inv_std[0],
                              &grad_scale[0], &grad_shift[0], propagate, n_rows, n_cols, 0,
                              n_cols)
        else:
            for thread in prange(n_threads, num_threads=n_threads, schedule="static"):
                _backward_columns(&grad[0, 0], &normalised[0, 0], &scale[0], &inv_std[0],
                                  &grad_scale[0], &grad_shift[0], propagate, n_rows, n_cols,
                                  column_share(n_cols, n_threads, thread),
                                  column_share(n_cols, n_threads, thread + 1))

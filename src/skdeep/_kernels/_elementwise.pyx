"""Element-wise kernels of the layers: bias and activation, their derivatives, dropout.

Every kernel makes one pass over C-contiguous float32 or float64 buffers (the fused type
``floating``: all the arrays of one call share it), computes in that type, checks the shapes it
is given (a typed memoryview checks the type and the layout), and splits its rows over the
threads that ``n_threads_for`` allows. The element-wise kernels give the same bits on any number
of threads, and so does the bias gradient, whose threads take columns (``_partition.pxd``).

The loops that evaluate exp, expm1 or log1p on every element are in ``_activation_loops.h``, in
C, compiled for several instruction sets and picked at run time (see there why). The losses'
kernels are in ``_losses.pyx``.
"""

from cython cimport floating
from cython.parallel cimport prange
from libc.stdint cimport int32_t, int64_t, uint32_t, uint64_t

from ._partition cimport column_share, share
from ._threads cimport n_threads_for

cdef extern from "_activation_loops.h" nogil:
    cdef enum skd_activation:
        SKD_IDENTITY
        SKD_LOGISTIC
        SKD_TANH
        SKD_RELU
        SKD_LEAKY_RELU
        SKD_ELU
        SKD_SOFTPLUS
    double SKD_LEAKY_RELU_SLOPE
    void skd_activate_f(int code, float *values, const float *bias, Py_ssize_t n_rows,
                        Py_ssize_t n_cols)
    void skd_activate_d(int code, double *values, const double *bias, Py_ssize_t n_rows,
                        Py_ssize_t n_cols)
    void skd_multiply_derivative_f(int code, const float *y, float *grad, Py_ssize_t n)
    void skd_multiply_derivative_d(int code, const double *y, double *grad, Py_ssize_t n)

#: The activations the kernels know, by the number the kernels take.
ACTIVATION_CODES = {
    "identity": SKD_IDENTITY,
    "logistic": SKD_LOGISTIC,
    "tanh": SKD_TANH,
    "relu": SKD_RELU,
    "leaky_relu": SKD_LEAKY_RELU,
    "elu": SKD_ELU,
    "softplus": SKD_SOFTPLUS,
}
LEAKY_RELU_SLOPE = SKD_LEAKY_RELU_SLOPE

cdef enum:
    # Column sums accumulate this many columns at a time in a local array.
    COLUMN_CHUNK = 256


# ---------------------------------------------------------------------------------- helpers
def threads_for(Py_ssize_t n_items):
    """How many threads a kernel's pass over ``n_items`` values runs on, now (for the tests)."""
    return n_threads_for(n_items)


cdef inline void _check_code(int code) except *:
    if code < SKD_IDENTITY or code > SKD_SOFTPLUS:
        raise ValueError(f"Unknown activation code {code}; ACTIVATION_CODES lists the known ones.")


cdef inline void _check_same_shape(Py_ssize_t *first, Py_ssize_t *second, str what) except *:
    if first[0] != second[0] or first[1] != second[1]:
        raise ValueError(
            f"{what}: shapes ({first[0]}, {first[1]}) and ({second[0]}, {second[1]}) differ."
        )


cdef inline void _activate(int code, floating *values, const floating *bias, Py_ssize_t n_rows,
                           Py_ssize_t n_cols) noexcept nogil:
    if floating is float:
        skd_activate_f(code, values, bias, n_rows, n_cols)
    else:
        skd_activate_d(code, values, bias, n_rows, n_cols)


cdef inline void _multiply_derivative(int code, const floating *y, floating *grad,
                                      Py_ssize_t n) noexcept nogil:
    if floating is float:
        skd_multiply_derivative_f(code, y, grad, n)
    else:
        skd_multiply_derivative_d(code, y, grad, n)


# ------------------------------------------------------------------- activations and biases
def activate(floating[:, ::1] values, const floating[::1] bias, int code):
    """``values = f(values + bias)`` in place, ``f`` the activation numbered ``code``.

    The dense layer's bias and its activation in one pass after the matrix product; ``bias``
    None applies the activation alone, and the identity with a bias only adds it.

    Parameters
    ----------
    values : ndarray of shape (n_rows, n_cols)
    bias : ndarray of shape (n_cols,) or None
    code : int
        A value of :data:`ACTIVATION_CODES`.
    """
    cdef Py_ssize_t n_rows = values.shape[0], n_cols = values.shape[1], start, stop
    cdef const floating *bias_data = NULL
    cdef int n_threads = n_threads_for(n_rows * n_cols), thread
    _check_code(code)
    if bias is not None:
        if bias.shape[0] != n_cols:
            raise ValueError(f"activate: {n_cols} columns but {bias.shape[0]} biases.")
        bias_data = &bias[0]
    with nogil:
        if n_threads == 1:
            _activate(code, &values[0, 0], bias_data, n_rows, n_cols)
        else:
            for thread in prange(n_threads, num_threads=n_threads, schedule="static"):
                start = share(n_rows, n_threads, thread)
                stop = share(n_rows, n_threads, thread + 1)
                _activate(code, &values[start, 0], bias_data, stop - start, n_cols)


def multiply_derivative(const floating[:, ::1] y, floating[:, ::1] grad, int code):
    """``grad *= f'(x)`` in place, from the activation's output ``y = f(x)``.

    Parameters
    ----------
    y, grad : ndarray of shape (n_rows, n_cols)
    code : int
        A value of :data:`ACTIVATION_CODES`.
    """
    cdef Py_ssize_t n = grad.shape[0] * grad.shape[1], start, stop
    cdef int n_threads = n_threads_for(n), thread
    _check_code(code)
    _check_same_shape(y.shape, grad.shape, "multiply_derivative")
    with nogil:
        if n_threads == 1:
            _multiply_derivative(code, &y[0, 0], &grad[0, 0], n)
        else:
            for thread in prange(n_threads, num_threads=n_threads, schedule="static"):
                start = share(n, n_threads, thread)
                stop = share(n, n_threads, thread + 1)
                _multiply_derivative(code, &y[0, 0] + start, &grad[0, 0] + start, stop - start)


cdef void _column_sums(const floating *values, floating *sums, Py_ssize_t n_rows,
                       Py_ssize_t n_cols, Py_ssize_t start, Py_ssize_t stop) noexcept nogil:
    """Columns ``start`` to ``stop``, COLUMN_CHUNK at a time, summed in a local array: two
    threads adding into neighbouring entries of ``sums`` row after row would pass the cache
    line between them at every row."""
    cdef floating partial[COLUMN_CHUNK]
    cdef Py_ssize_t i, j, first, width
    cdef const floating *row
    first = start
    while first < stop:
        width = min(<Py_ssize_t>COLUMN_CHUNK, stop - first)
        for j in range(width):
            partial[j] = 0
        for i in range(n_rows):
            row = values + i * n_cols + first
            for j in range(width):
                partial[j] += row[j]
        for j in range(width):
            sums[first + j] = partial[j]
        first += width


def column_sums(const floating[:, ::1] values, floating[::1] sums):
    """``sums = values.sum(axis=0)``: each column summed in row order (the bias gradient).

    Threads take columns, so the sums are the same on any number of threads.
    """
    cdef Py_ssize_t n_rows = values.shape[0], n_cols = values.shape[1]
    cdef int n_threads = n_threads_for(n_rows * n_cols), thread
    if sums.shape[0] != n_cols:
        raise ValueError(f"column_sums: {n_cols} columns but {sums.shape[0]} sums.")
    with nogil:
        if n_threads == 1:
            _column_sums(&values[0, 0], &sums[0], n_rows, n_cols, 0, n_cols)
        else:
            for thread in prange(n_threads, num_threads=n_threads, schedule="static"):
                _column_sums(&values[0, 0], &sums[0], n_rows, n_cols,
                             column_share(n_cols, n_threads, thread),
                             column_share(n_cols, n_threads, thread + 1))


# ----------------------------------------------------------------------------------- dropout
cdef void _dropout(const floating *inputs, floating *output, const uint32_t *draws,
                   uint32_t threshold, bint keep_all, floating kept,
                   Py_ssize_t n) noexcept nogil:
    cdef Py_ssize_t k
    cdef floating dropped = 0
    if keep_all:
        for k in range(n):
            output[k] = inputs[k] * kept
    else:
        # A product with 0 rather than a select: a NaN input stays NaN, as in x * mask.
        for k in range(n):
            output[k] = inputs[k] * (kept if draws[k] < threshold else dropped)


cdef inline bint _keeps_all(uint64_t threshold) noexcept nogil:
    # Keeping with probability 1 - rate rounds to 2**32 for rates below 2**-33: every draw.
    return threshold > 0xFFFFFFFFULL


def dropout(const floating[:, ::1] inputs, floating[:, ::1] output, const uint32_t[::1] draws,
            uint64_t threshold, double scale):
    """``output = inputs * (draws < threshold) * scale``: inverted dropout in one pass.

    ``inputs`` and ``output`` may be the same array (the backward pass: the gradient in place).

    Parameters
    ----------
    inputs, output : ndarray of shape (n_rows, n_cols)
    draws : ndarray of shape (n_rows * n_cols,), dtype uint32
        Uniform 32-bit integers, row by row (:func:`skdeep._random.random_uint32`).
    threshold : int
        A unit is kept where its draw is below it (:func:`skdeep._random.threshold`).
    scale : float
        The kept units' factor, ``1 / (1 - rate)``, cast to the arrays' type.
    """
    cdef Py_ssize_t n = output.shape[0] * output.shape[1], start, stop
    cdef int n_threads = n_threads_for(n), thread
    cdef bint keep_all = _keeps_all(threshold)
    cdef uint32_t limit = <uint32_t>(0 if keep_all else threshold)
    cdef floating kept = <floating>scale
    _check_same_shape(inputs.shape, output.shape, "dropout")
    if draws.shape[0] != n:
        raise ValueError(f"dropout: {n} values but {draws.shape[0]} draws.")
    with nogil:
        if n_threads == 1:
            _dropout(&inputs[0, 0], &output[0, 0], &draws[0], limit, keep_all, kept, n)
        else:
            for thread in prange(n_threads, num_threads=n_threads, schedule="static"):
                start = share(n, n_threads, thread)
                stop = share(n, n_threads, thread + 1)
                _dropout(&inputs[0, 0] + start, &output[0, 0] + start, &draws[0] + start,
                         limit, keep_all, kept, stop - start)


ctypedef fused sparse_index:
    int32_t
    int64_t


def dropout_csr(const floating[::1] data, const sparse_index[::1] indices,
                const sparse_index[::1] indptr, Py_ssize_t n_cols, const uint32_t[::1] draws,
                uint64_t threshold, double scale, floating[::1] output):
    """Inverted dropout of a CSR matrix's stored values, with the mask of its dense shape.

    ``output[k] = data[k] * (draws[i * n_cols + j] < threshold) * scale`` for the value ``k``
    stored at row ``i``, column ``j``: the mask a dense array of the same values would get, read
    only where values are stored.
    """
    cdef Py_ssize_t n_rows = indptr.shape[0] - 1, i, k
    cdef sparse_index j
    cdef bint keep_all = _keeps_all(threshold)
    cdef uint32_t limit = <uint32_t>(0 if keep_all else threshold)
    cdef floating kept = <floating>scale, dropped = 0
    cdef bint malformed = False
    if output.shape[0] != data.shape[0] or indices.shape[0] != data.shape[0] or n_rows < 0:
        raise ValueError("dropout_csr: data, indices and output must have one entry per value.")
    if draws.shape[0] != n_rows * n_cols:
        raise ValueError(f"dropout_csr: {n_rows * n_cols} positions but {draws.shape[0]} draws.")
    if indptr[0] != 0 or indptr[n_rows] != data.shape[0]:
        raise ValueError("dropout_csr: indptr does not span the stored values.")
    for i in range(n_rows):
        if indptr[i + 1] < indptr[i]:
            raise ValueError("dropout_csr: indptr decreases.")
    with nogil:
        for i in range(n_rows):
            for k in range(indptr[i], indptr[i + 1]):
                j = indices[k]
                if j < 0 or j >= n_cols:
                    malformed = True
                    j = 0
                output[k] = data[k] * (
                    kept if keep_all or draws[i * n_cols + j] < limit else dropped
                )
    if malformed:
        raise ValueError(f"dropout_csr: a column index is outside [0, {n_cols}).")

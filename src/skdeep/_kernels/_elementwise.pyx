"""Element-wise kernels of the layers: bias and activation, their derivatives, dropout, losses."""

from cython cimport floating
from cython.parallel cimport prange

from ._threads cimport n_threads_for


def add_bias(floating[:, ::1] output, const floating[::1] bias):
    """``output += bias`` row by row, in place."""
    cdef Py_ssize_t n_rows = output.shape[0], n_cols = output.shape[1], i, j
    cdef int n_threads = n_threads_for(n_rows * n_cols)
    with nogil:
        for i in prange(n_rows, num_threads=n_threads, schedule="static",
                        use_threads_if=n_threads > 1):
            for j in range(n_cols):
                output[i, j] += bias[j]

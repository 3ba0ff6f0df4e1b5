# How the kernels split their work over threads, inlined into every kernel module.
#
# Element-wise passes split rows (or values) evenly; passes that sum down the columns split
# columns, so that each column is summed in row order by one thread and the sums are the same
# on any number of threads.

cdef enum:
    # A thread's columns start on a multiple of 16 (a cache line of float32 values), so that
    # no line of a per-column array is written by two threads.
    COLUMN_GRAIN = 16


cdef inline Py_ssize_t share(Py_ssize_t n, int n_threads, int thread) noexcept nogil:
    """Where ``thread``'s share begins when ``n`` items are split evenly over ``n_threads``."""
    return (n * thread) // n_threads


cdef inline Py_ssize_t column_share(Py_ssize_t n_cols, int n_threads, int thread) noexcept nogil:
    """``share`` over columns, rounded down to a multiple of COLUMN_GRAIN (the last ends at n)."""
    if thread == n_threads:
        return n_cols
    return (share(n_cols, n_threads, thread) // COLUMN_GRAIN) * COLUMN_GRAIN

"""What the kernels see of OpenMP: the thread count a parallel pass would use."""

from ._threads cimport PARALLEL_MIN_ITEMS, skdeep_max_threads

#: Passes over fewer items than this run on the calling thread.
parallel_min_items = PARALLEL_MIN_ITEMS


def max_threads():
    """Return the number of threads a kernel's parallel pass uses now.

    OpenMP's ``omp_get_max_threads()``, which ``threadpoolctl.threadpool_limits`` sets, or 1 when
    skdeep was built without OpenMP. Passes over fewer items than the kernels' threshold run on
    one thread whatever this says.

    Returns
    -------
    n_threads : int
    """
    return skdeep_max_threads()


def built_with_openmp():
    """Return whether the kernels were compiled with OpenMP (else they always run on one thread)."""
    return bool(SKDEEP_OPENMP)


cdef extern from *:
    """
    #ifdef _OPENMP
    #define SKDEEP_OPENMP 1
    #else
    #define SKDEEP_OPENMP 0
    #endif
    """
    int SKDEEP_OPENMP

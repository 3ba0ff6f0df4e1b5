# How many threads a kernel's pass uses, inlined into every kernel module.
#
# A pass runs on the threads OpenMP would give a parallel region, omp_get_max_threads(), which is
# what threadpoolctl.threadpool_limits(limits=n) sets (scikit-learn's convention, so Dask and joblib
# workers that limit their threads never oversubscribe), and on the calling thread below
# PARALLEL_MIN_ITEMS: waking the team costs microseconds, more than a small pass takes.

cdef extern from "_threads.h":
    int skdeep_max_threads() noexcept nogil

cdef enum:
    # At about a nanosecond per item, 2**17 items take ~100 us, far above the cost of starting
    # a parallel region, so a second thread can only pay from there on.
    PARALLEL_MIN_ITEMS = 131072


cdef inline int n_threads_for(Py_ssize_t n_items) noexcept nogil:
    """The number of threads for a pass over ``n_items`` items of work."""
    if n_items < PARALLEL_MIN_ITEMS:
        return 1
    return skdeep_max_threads()

# How many threads a kernel's pass uses, inlined into every kernel module.
#
# A pass runs on the threads OpenMP would give a parallel region, omp_get_max_threads(), which is
# what threadpoolctl.threadpool_limits(limits=n) sets (scikit-learn's convention, so Dask and joblib
# workers that limit their threads never oversubscribe), and on the calling thread below
# PARALLEL_MIN_ITEMS: waking the team costs microseconds, more than a small pass takes.

cdef extern from "_threads.h":
    int skdeep_max_threads() noexcept nogil

cdef enum:
    # A second thread pays only from about a millisecond of work, ~2**20 items: waking it costs
    # microseconds on bare metal and much more on the 2-core VM of the benchmarks, where its
    # OpenMP threads also contend with BLAS's (benchmarks/README.md, "Two threads"). The
    # headline network's Adam step (648k parameters, 0.42 ms on one thread) stays on one.
    PARALLEL_MIN_ITEMS = 1048576


cdef inline int n_threads_for(Py_ssize_t n_items) noexcept nogil:
    """The number of threads for a pass over ``n_items`` items of work."""
    if n_items < PARALLEL_MIN_ITEMS:
        return 1
    return skdeep_max_threads()

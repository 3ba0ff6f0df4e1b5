# How many threads a kernel's pass uses, inlined into every kernel module.
#
# A pass runs on the threads OpenMP would give a parallel region, omp_get_max_threads(), which is
# what threadpoolctl.threadpool_limits(limits=n) sets (scikit-learn's convention, so Dask and joblib
# workers that limit their threads never oversubscribe), and on the calling thread below
# PARALLEL_MIN_ITEMS: waking the team costs microseconds, more than a small pass takes.

cdef extern from "_threads.h":
    int skdeep_max_threads() noexcept nogil

cdef enum:
    # Measured on a 2-core VM (benchmarks/README.md, "Two threads"): waking a sleeping OpenMP
    # thread there costs ~0.3-0.5 ms, so a pass pays for a second thread only from about a
    # millisecond of work, ~2**20 items (the headline network's Adam step over 648k parameters
    # takes 0.42 ms on one thread and is faster there without a second). On bare metal the wake
    # is ~100 times cheaper; the threshold stays where no machine loses.
    PARALLEL_MIN_ITEMS = 1048576


cdef inline int n_threads_for(Py_ssize_t n_items) noexcept nogil:
    """The number of threads for a pass over ``n_items`` items of work."""
    if n_items < PARALLEL_MIN_ITEMS:
        return 1
    return skdeep_max_threads()

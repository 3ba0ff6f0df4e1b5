/* The thread count of a parallel kernel: OpenMP's, which threadpoolctl.threadpool_limits sets, or
 * one thread where the compiler has no OpenMP. */
#ifndef SKDEEP_THREADS_H
#define SKDEEP_THREADS_H

#ifdef _OPENMP
#include <omp.h>
static inline int skdeep_max_threads(void) { return omp_get_max_threads(); }
#else
static inline int skdeep_max_threads(void) { return 1; }
#endif

#endif

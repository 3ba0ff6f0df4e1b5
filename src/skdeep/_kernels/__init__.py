"""The compiled kernels: single passes over contiguous float32 and float64 buffers.

The matrix products stay in BLAS; these are the element-wise passes around them. Each kernel runs
on the number of threads that ``threadpoolctl.threadpool_limits`` sets for OpenMP, and on one
thread below a size where a second one cannot pay.

The kernels' OpenMP threads wait passively: the moment a parallel pass ends they sleep instead
of spinning, because spinning threads take the cores that the multi-threaded BLAS of the next
matrix product needs (on two cores, a headline epoch at two threads took 3 times as long). The
OpenMP runtime reads its wait policy once, when it is loaded, which is when the first kernel
module is imported: so ``OMP_WAIT_POLICY=PASSIVE`` is set for that import unless the user has set
``OMP_WAIT_POLICY`` or ``GOMP_SPINCOUNT`` themselves, and the environment is restored after it.
"""

import os

_USER_SET_WAIT_POLICY = "OMP_WAIT_POLICY" in os.environ or "GOMP_SPINCOUNT" in os.environ
if not _USER_SET_WAIT_POLICY:
    os.environ["OMP_WAIT_POLICY"] = "PASSIVE"
try:
    from . import _openmp  # noqa: F401 (loads the OpenMP runtime with that policy)
finally:
    if not _USER_SET_WAIT_POLICY:
        del os.environ["OMP_WAIT_POLICY"]

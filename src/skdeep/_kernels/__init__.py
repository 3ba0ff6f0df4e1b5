"""The compiled kernels: single passes over contiguous float32 and float64 buffers.

The matrix products stay in BLAS; these are the element-wise passes around them. Each kernel runs
on the number of threads that ``threadpoolctl.threadpool_limits`` sets for OpenMP, and on one
thread below a size where a second one cannot pay (``_openmp.parallel_min_items``).

skdeep leaves OpenMP's wait policy to the user. Its runtime is shared with every library linked
to the same ``libgomp`` (PyTorch's CPU wheels among them), so a policy set here would change
theirs; and below the threshold no parallel region runs, so no OpenMP thread spins on a core
that the multi-threaded BLAS of the next product needs. Where large passes do run in parallel
between multi-threaded products on few cores, ``OMP_WAIT_POLICY=PASSIVE`` makes the kernels'
threads sleep as soon as a pass ends (docs/user_guide/speed.rst).
"""

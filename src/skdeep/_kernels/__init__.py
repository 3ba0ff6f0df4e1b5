"""The compiled kernels: single passes over contiguous float32 and float64 buffers.

The matrix products stay in BLAS; these are the element-wise passes around them. Each kernel runs
on the number of threads that ``threadpoolctl.threadpool_limits`` sets for OpenMP, and on one
thread below a size where a second one cannot pay.
"""

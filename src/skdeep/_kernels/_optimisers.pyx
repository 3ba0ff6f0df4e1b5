"""One-pass update kernels of the optimisers."""

"""Batch normalisation forward and backward kernels."""

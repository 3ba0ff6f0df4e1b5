"""Element-wise activation functions and their derivatives.

Every derivative here is written as a function of the activation's *output* ``y``, not of its
input, so an activation layer caches only the array it returns and back-propagates in place:

============  =================================  ===================================
name          y = f(x)                           f'(x) in terms of y
============  =================================  ===================================
identity      x                                  1
logistic      1 / (1 + exp(-x))                  y (1 - y)
tanh          tanh(x)                            1 - y^2
relu          max(x, 0)                          1 if y > 0 else 0
leaky_relu    x if x > 0 else 0.01 x             1 if y > 0 else 0.01
elu           x if x > 0 else exp(x) - 1         1 if y > 0 else y + 1
softplus      log(1 + exp(x))                    1 - exp(-y)
============  =================================  ===================================

``forward(x, out)`` writes ``f(x)`` into ``out`` (which may be ``x`` itself) and returns it;
``multiply_derivative(y, grad)`` multiplies ``grad`` in place by ``f'`` evaluated from ``y``.
Both are one pass of the compiled kernels (:mod:`skdeep._kernels._elementwise`) over C-contiguous
float32 or float64 arrays, computed in the arrays' type. The layers that an activation follows
in a hidden block (the dense layer, the batch normalisation) apply it in their own last pass,
through the same kernel and its number in ``ACTIVATION_CODES``.

The values never overflow and keep their relative precision in both tails: logistic is
``1 / (1 + t)`` for x >= 0 and ``t / (1 + t)`` below, with ``t = exp(-|x|)``; tanh is
``-u / (2 + u)`` with ``u = expm1(-2|x|)``, its sign restored; softplus is
``max(x, 0) + log1p(exp(-|x|))``; elu takes ``expm1`` of ``min(x, 0)``; the softplus derivative
is ``-expm1(-y)``.
"""

import numpy as np

from ._kernels._elementwise import ACTIVATION_CODES, LEAKY_RELU_SLOPE, activate
from ._kernels._elementwise import multiply_derivative as _multiply_derivative


def _rows(array):
    """A 2-D view of a C-contiguous array (a vector is one row), as the kernels take it."""
    if not array.flags.c_contiguous:
        # reshape would copy, and the kernel would then work on the copy.
        raise ValueError("The activation kernels need C-contiguous arrays.")
    return array.reshape(1, -1) if array.ndim < 2 else array.reshape(-1, array.shape[-1])


def _compiled(name):
    """The ``(forward, multiply_derivative)`` pair of the kernels' activation ``name``."""
    code = ACTIVATION_CODES[name]

    def forward(x, out):
        if out is not x:
            np.copyto(out, x)
        activate(out if out.ndim == 2 else _rows(out), None, code)
        return out

    def multiply_derivative(y, grad):
        # The layers' arrays are 2-D: no reshaping on their path.
        if y.ndim == 2 and grad.ndim == 2:
            _multiply_derivative(y, grad, code)
        else:
            _multiply_derivative(_rows(y), _rows(grad), code)
        return grad

    forward.__name__ = forward.__qualname__ = f"{name}"
    forward.__doc__ = f"Write {name}(x) into ``out`` (which may be ``x``) and return it."
    multiply_derivative.__name__ = multiply_derivative.__qualname__ = f"{name}_derivative"
    multiply_derivative.__doc__ = (
        f"Multiply ``grad`` in place by the derivative of {name}, from its output ``y``."
    )
    return forward, multiply_derivative


ACTIVATIONS = {name: _compiled(name) for name in ACTIVATION_CODES}

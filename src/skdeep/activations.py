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
"""

import numpy as np

LEAKY_RELU_SLOPE = 0.01


def _identity(x, out):
    if out is not x:
        out[...] = x
    return out


def _identity_derivative(y, grad):
    return grad


def _logistic(x, out):
    # sigmoid(x) = (1 + tanh(x / 2)) / 2: NumPy's vectorised tanh makes this several times faster
    # than scipy's expit in float32, and tanh saturates instead of overflowing. The error is a
    # rounding unit of 1/2 in absolute terms, which is what matters for a hidden unit's output.
    np.multiply(x, 0.5, out=out)
    np.tanh(out, out=out)
    out *= 0.5
    out += 0.5
    return out


def _logistic_derivative(y, grad):
    grad *= y
    grad *= 1 - y
    return grad


def _tanh(x, out):
    return np.tanh(x, out=out)


def _tanh_derivative(y, grad):
    grad *= 1 - y * y
    return grad


def _relu(x, out):
    return np.maximum(x, 0, out=out)


def _relu_derivative(y, grad):
    grad *= y > 0
    return grad


def _leaky_relu(x, out):
    # x * where(x > 0, 1, slope) without a second full-size temporary for the mask's values.
    return np.multiply(x, np.where(x > 0, 1.0, LEAKY_RELU_SLOPE).astype(x.dtype), out=out)


def _leaky_relu_derivative(y, grad):
    grad *= np.where(y > 0, 1.0, LEAKY_RELU_SLOPE).astype(grad.dtype)
    return grad


def _elu(x, out):
    negative = x <= 0
    np.copyto(out, x)
    np.expm1(out, out=out, where=negative)
    return out


def _elu_derivative(y, grad):
    grad *= np.where(y > 0, 1, y + 1)
    return grad


def _softplus(x, out):
    # logaddexp(0, x) never overflows, unlike log(1 + exp(x)).
    return np.logaddexp(0, x, out=out)


def _softplus_derivative(y, grad):
    # sigmoid(x) = 1 - exp(-softplus(x)); -expm1 keeps precision where y is tiny.
    grad *= -np.expm1(-y)
    return grad


ACTIVATIONS = {
    "identity": (_identity, _identity_derivative),
    "logistic": (_logistic, _logistic_derivative),
    "tanh": (_tanh, _tanh_derivative),
    "relu": (_relu, _relu_derivative),
    "leaky_relu": (_leaky_relu, _leaky_relu_derivative),
    "elu": (_elu, _elu_derivative),
    "softplus": (_softplus, _softplus_derivative),
}

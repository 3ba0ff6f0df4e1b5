"""Tests for the layers' and losses' kernels (skdeep._kernels: _elementwise, _batch_norm, _losses).

Each kernel is checked against the NumPy implementation it replaced (written out below as the
reference), in float32 and float64 and over odd shapes (the thread tests above PARALLEL_MIN_ITEMS, so
that the threaded path runs); the fused layers by central differences; the element-wise kernels
for bit-identical results on one and two threads, the reducing ones for repeatable results.
"""

import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from numpy.testing import assert_allclose, assert_array_equal
from threadpoolctl import threadpool_limits

from skdeep._kernels import _batch_norm, _elementwise, _losses
from skdeep._kernels._elementwise import ACTIVATION_CODES, threads_for
from skdeep._kernels._openmp import parallel_min_items as PARALLEL_MIN_ITEMS
from skdeep._random import bernoulli
from skdeep.activations import ACTIVATIONS, LEAKY_RELU_SLOPE
from skdeep.layers import Activation, BatchNorm, Dense, Dropout, hidden_block
from skdeep.losses import SigmoidCrossEntropy, SoftmaxCrossEntropy, SquaredError
from skdeep.network import Network

NAMES = sorted(ACTIVATION_CODES)
DTYPES = [np.float32, np.float64]
SHAPES = [(1, 1), (1, 7), (7, 1), (3, 7), (128, 500), (300, 500)]
# Above PARALLEL_MIN_ITEMS values, the kernels split their rows over the threads: the thread tests
# compare that split with one thread (which the reference tests compare with NumPy).
BIG = (PARALLEL_MIN_ITEMS // 500 + 1, 500)


def tolerance(dtype):
    """A few units in the last place of ``dtype``, as assert_allclose keywords."""
    if np.dtype(dtype) == np.float32:
        return {"rtol": 1e-6, "atol": 1e-7}
    return {"rtol": 1e-13, "atol": 1e-15}


def normal(shape, dtype, seed=0, scale=4.0):
    return (np.random.default_rng(seed).normal(0.0, scale, shape)).astype(dtype)


def test_the_big_shape_runs_on_several_threads():
    # Guards the thread tests below: at this size the kernels really split their work.
    with threadpool_limits(2):
        assert threads_for(BIG[0] * BIG[1]) == 2
        assert threads_for(PARALLEL_MIN_ITEMS - 1) == 1
    with threadpool_limits(1):
        assert threads_for(BIG[0] * BIG[1]) == 1


# ------------------------------------------------------------ the NumPy implementations replaced
def numpy_activation(name, x):
    """The activations as skdeep computed them in NumPy, in x's type."""
    if name == "identity":
        return x.copy()
    if name == "logistic":
        out = np.multiply(x, 0.5)
        np.tanh(out, out=out)
        out *= 0.5
        out += 0.5
        return out
    if name == "tanh":
        return np.tanh(x)
    if name == "relu":
        return np.maximum(x, 0)
    if name == "leaky_relu":
        return x * np.where(x > 0, 1.0, LEAKY_RELU_SLOPE).astype(x.dtype)
    if name == "elu":
        out = x.copy()
        np.expm1(out, out=out, where=x <= 0)
        return out
    assert name == "softplus"
    return np.logaddexp(0, x)


def numpy_derivative(name, y, grad):
    """``grad * f'`` from the output ``y``, as skdeep computed it in NumPy."""
    grad = grad.copy()
    if name == "logistic":
        grad *= y
        grad *= 1 - y
    elif name == "tanh":
        grad *= 1 - y * y
    elif name == "relu":
        grad *= y > 0
    elif name == "leaky_relu":
        grad *= np.where(y > 0, 1.0, LEAKY_RELU_SLOPE).astype(grad.dtype)
    elif name == "elu":
        grad *= np.where(y > 0, 1, y + 1)
    elif name == "softplus":
        grad *= -np.expm1(-y)
    return grad


def activation_tolerance(name, dtype):
    # The NumPy logistic, (1 + tanh(x / 2)) / 2, is exact to half a unit of 1 in absolute terms
    # only: its relative error grows in the lower tail, where the kernel's t / (1 + t) keeps a
    # few units of relative precision. Compared there in absolute terms.
    keywords = tolerance(dtype)
    if name == "logistic" and np.dtype(dtype) == np.float64:
        keywords["atol"] = 2e-16
    return keywords


@pytest.mark.parametrize("shape", SHAPES, ids=str)
@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("name", NAMES)
def test_bias_and_activation_match_numpy(name, dtype, shape):
    x = normal(shape, dtype)
    bias = normal(shape[1], dtype, seed=1)
    values = x.copy()
    _elementwise.activate(values, bias, ACTIVATION_CODES[name])
    expected = numpy_activation(name, x + bias)
    assert values.dtype == dtype
    assert_allclose(values, expected, **activation_tolerance(name, dtype))


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("name", NAMES)
def test_activation_without_bias_matches_numpy(name, dtype):
    x = normal((3, 7), dtype)
    values = x.copy()
    _elementwise.activate(values, None, ACTIVATION_CODES[name])
    assert_allclose(values, numpy_activation(name, x), **activation_tolerance(name, dtype))


@pytest.mark.parametrize("name", ["identity", "relu", "leaky_relu"])
@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
def test_piecewise_linear_activations_are_exact(name, dtype):
    x = normal((128, 500), dtype)
    bias = normal(500, dtype, seed=1)
    values = x.copy()
    _elementwise.activate(values, bias, ACTIVATION_CODES[name])
    assert_array_equal(values, numpy_activation(name, x + bias))


@pytest.mark.parametrize("shape", SHAPES, ids=str)
@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("name", NAMES)
def test_derivative_matches_numpy(name, dtype, shape):
    y = numpy_activation(name, normal(shape, dtype))
    grad = normal(shape, dtype, seed=2)
    expected = numpy_derivative(name, y, grad)
    _elementwise.multiply_derivative(y, grad, ACTIVATION_CODES[name])
    if name == "softplus":
        # NumPy's expm1 and the kernel's each round to a unit or two.
        assert_allclose(grad, expected, **tolerance(dtype))
    else:
        # The same products in the same order: the same bits.
        assert_array_equal(grad, expected)


# Exact (to rounding) references, and how many units in the last place each function may be
# off: the kernels' exp, expm1 and log1p are Taylor series with one more term than the type
# needs, so a few roundings are all that is left.
EXACT = {
    "logistic": lambda x: 1 / (1 + np.exp(-x)),
    "tanh": np.tanh,
    "elu": lambda x: np.where(x > 0, x, np.expm1(np.minimum(x, 0))),
    "softplus": lambda x: np.logaddexp(0, x),
}


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("name", sorted(EXACT))
def test_activation_accuracy_in_units_in_the_last_place(name, dtype):
    reference_type = np.float64 if dtype == np.float32 else np.longdouble
    x = np.concatenate([
        np.linspace(-60, 60, 200_001),
        np.geomspace(1e-30, 1, 2001),
        -np.geomspace(1e-30, 1, 2001),
    ]).astype(dtype)
    values = x.reshape(1, -1).copy()
    _elementwise.activate(values, None, ACTIVATION_CODES[name])
    with np.errstate(over="ignore"):
        exact = EXACT[name](x.astype(reference_type))
    rounded = exact.astype(dtype)
    normal_range = np.abs(rounded) >= np.finfo(dtype).tiny
    ulps = np.abs(values.ravel() - exact)[normal_range] / np.spacing(np.abs(rounded[normal_range]))
    assert ulps.max() <= 4
    # Below the smallest normal number the kernels may flush to zero.
    assert np.all(np.abs(values.ravel()[~normal_range]) <= np.finfo(dtype).tiny)


EXTREME_INPUTS = [-np.inf, -1e30, -1000.0, -710.0, -100.0, -88.5, -20.0, 0.0, 20.0, 88.5,
                  100.0, 710.0, 1000.0, 1e30, np.inf]


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("name", NAMES)
def test_extreme_inputs_give_the_limits_without_overflow(name, dtype):
    x = np.array([EXTREME_INPUTS], dtype=dtype)
    values = x.copy()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        _elementwise.activate(values, None, ACTIVATION_CODES[name])
        grad = np.ones_like(values)
        _elementwise.multiply_derivative(values, grad, ACTIVATION_CODES[name])
    assert not np.isnan(values).any() and not np.isnan(grad).any()
    with np.errstate(over="ignore", invalid="ignore"):
        exact = EXACT.get(name, lambda x: numpy_activation(name, x))(x.astype(np.float64))
    assert_allclose(values, exact.astype(dtype), rtol=1e-6, atol=np.finfo(dtype).tiny)


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("name", NAMES)
def test_nan_stays_nan(name, dtype):
    values = np.array([[np.nan, 1.0, -1.0]], dtype=dtype)
    _elementwise.activate(values, None, ACTIVATION_CODES[name])
    assert np.isnan(values[0, 0]) and not np.isnan(values[0, 1:]).any()
    grad = np.array([[np.nan, 1.0, 1.0]], dtype=dtype)
    _elementwise.multiply_derivative(np.abs(values), grad, ACTIVATION_CODES[name])
    assert np.isnan(grad[0, 0])


@pytest.mark.parametrize("shape", SHAPES, ids=str)
@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
def test_column_sums_match_numpy(dtype, shape):
    values = normal(shape, dtype)
    sums = np.full(shape[1], np.nan, dtype=dtype)
    _elementwise.column_sums(values, sums)
    assert_allclose(sums, values.sum(axis=0), **tolerance(dtype))


# -------------------------------------------------------------------- threads and repetition
ELEMENT_WISE_PASSES = {
    **{
        f"activate_{name}": lambda values, name=name: _elementwise.activate(
            values, np.linspace(-1, 1, values.shape[1], dtype=values.dtype),
            ACTIVATION_CODES[name])
        for name in NAMES
    },
    **{
        f"derivative_{name}": lambda values, name=name: _elementwise.multiply_derivative(
            np.abs(values[::-1]).copy(), values, ACTIVATION_CODES[name])
        for name in NAMES
    },
    "dropout": lambda values: _elementwise.dropout(
        values.copy(), values,
        np.random.default_rng(3).integers(0, 2**32, values.size, dtype=np.uint32),
        2**31, 2.0),
    "softmax": lambda values: _losses.softmax(values),
    "log_softmax": lambda values: _losses.log_softmax(values),
    "batch_norm_prediction": lambda values: _batch_norm.forward_prediction(
        values.copy(), values, *[np.linspace(0.5, 2, values.shape[1], dtype=values.dtype)] * 4,
        1e-5, ACTIVATION_CODES["tanh"]),
}


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("kernel", sorted(ELEMENT_WISE_PASSES))
def test_element_wise_kernels_give_the_same_bits_on_one_and_two_threads(kernel, dtype):
    results = []
    for n_threads in (1, 2):
        values = normal(BIG, dtype)
        with threadpool_limits(n_threads):
            ELEMENT_WISE_PASSES[kernel](values)
        results.append(values)
    assert_array_equal(results[0], results[1])


def _loss_on(kernel, dtype, weighted):
    scores = normal(BIG, dtype)
    targets = np.random.default_rng(4).random(BIG).astype(dtype)
    weights = np.random.default_rng(5).uniform(0.5, 2, BIG[0]).astype(dtype) if weighted else None
    value = kernel(scores, targets, weights)
    return value, scores


LOSS_KERNELS = {
    "softmax": _losses.softmax_cross_entropy,
    "sigmoid": _losses.sigmoid_cross_entropy,
    "squared": _losses.squared_error,
}


@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("loss", sorted(LOSS_KERNELS))
def test_loss_kernels_repeat_exactly_and_their_gradients_ignore_the_threads(loss, dtype, weighted):
    runs = {}
    for n_threads in (1, 2, 2):
        with threadpool_limits(n_threads):
            runs.setdefault(n_threads, []).append(_loss_on(LOSS_KERNELS[loss], dtype, weighted))
    first, again = runs[2]
    # The threads' partial sums are combined in thread order: the same value every time.
    assert first[0] == again[0]
    assert_array_equal(first[1], again[1])
    # The gradient is element-wise over rows; the value differs from one thread's by rounding.
    assert_array_equal(runs[1][0][1], first[1])
    assert first[0] == pytest.approx(runs[1][0][0], rel=1e-6 if dtype == np.float32 else 1e-12)


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
def test_column_reductions_give_the_same_bits_on_any_number_of_threads(dtype):
    # Threads take columns and each column is summed in row order: the thread count cannot
    # change a sum.
    results = []
    for n_threads in (1, 2):
        values = normal(BIG, dtype)
        sums = np.empty(BIG[1], dtype)
        with threadpool_limits(n_threads):
            _elementwise.column_sums(values, sums)
            outputs = batch_norm_training_kernel(values, code=ACTIVATION_CODES["relu"])
            grad = normal(BIG, dtype, seed=6)
            grads = batch_norm_backward_kernel(grad, outputs["normalised"], outputs["inv_std"])
        results.append((sums, outputs, grad, grads))
    (sums_1, outputs_1, grad_1, grads_1), (sums_2, outputs_2, grad_2, grads_2) = results
    assert_array_equal(sums_1, sums_2)
    for key in outputs_1:
        assert_array_equal(outputs_1[key], outputs_2[key])
    assert_array_equal(grad_1, grad_2)
    for first, second in zip(grads_1, grads_2):
        assert_array_equal(first, second)


# ------------------------------------------------------------------------------ batch norm
def numpy_batch_norm_training(X, scale, shift, running_mean, running_var, momentum=0.9,
                              epsilon=1e-5):
    """skdeep's NumPy batch normalisation of a training batch."""
    running_mean, running_var = running_mean.copy(), running_var.copy()
    mean = X.mean(axis=0)
    centred = np.subtract(X, mean)
    var = np.einsum("ij,ij->j", centred, centred)
    var *= 1.0 / X.shape[0]
    running_mean *= momentum
    running_mean += (1.0 - momentum) * mean
    running_var *= momentum
    running_var += (1.0 - momentum) * var
    inv_std = np.sqrt(var + float(epsilon))
    np.reciprocal(inv_std, out=inv_std)
    centred *= inv_std
    output = np.multiply(centred, scale)
    output += shift
    return {"output": output, "normalised": centred, "inv_std": inv_std,
            "running_mean": running_mean, "running_var": running_var}


def numpy_batch_norm_backward(grad, normalised, scale, inv_std):
    grad = grad.copy()
    grad_shift = np.sum(grad, axis=0)
    grad_scale = np.einsum("ij,ij->j", grad, normalised)
    n = grad.shape[0]
    grad -= np.multiply(normalised, grad_scale * (1.0 / n))
    grad -= grad_shift * (1.0 / n)
    grad *= scale * inv_std
    return grad_scale, grad_shift, grad


def _unit_parameters(n_units, dtype, seed=7):
    rng = np.random.default_rng(seed)
    return [rng.uniform(0.5, 2.0, n_units).astype(dtype), rng.normal(size=n_units).astype(dtype),
            rng.normal(size=n_units).astype(dtype), rng.uniform(0.5, 2.0, n_units).astype(dtype)]


def batch_norm_training_kernel(X, code=0, momentum=0.9, epsilon=1e-5):
    scale, shift, running_mean, running_var = _unit_parameters(X.shape[1], X.dtype)
    normalised, output = np.empty_like(X), np.empty_like(X)
    inv_std = np.empty(X.shape[1], X.dtype)
    _batch_norm.forward_training(X, normalised, output, scale, shift, running_mean, running_var,
                                 inv_std, momentum, epsilon, code)
    return {"output": output, "normalised": normalised, "inv_std": inv_std,
            "running_mean": running_mean, "running_var": running_var}


def batch_norm_backward_kernel(grad, normalised, inv_std, propagate=True):
    scale = _unit_parameters(grad.shape[1], grad.dtype)[0]
    grad_scale = np.empty(grad.shape[1], grad.dtype)
    grad_shift = np.empty(grad.shape[1], grad.dtype)
    _batch_norm.backward(grad, normalised, scale, inv_std, grad_scale, grad_shift, propagate)
    return grad_scale, grad_shift


@pytest.mark.parametrize("shape", SHAPES, ids=str)
@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
def test_batch_norm_training_matches_numpy(dtype, shape):
    X = normal(shape, dtype, scale=3.0) + 2
    outputs = batch_norm_training_kernel(X)
    expected = numpy_batch_norm_training(X, *_unit_parameters(shape[1], dtype))
    # The kernel sums each column in row order, as NumPy's reductions over axis 0 do: to
    # rounding (bit for bit on x86-64), even in float32.
    for key, value in expected.items():
        assert outputs[key].dtype == dtype
        assert_allclose(outputs[key], value, err_msg=key, **tolerance(dtype))


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("name", NAMES)
def test_batch_norm_applies_the_activation_in_its_last_pass(name, dtype):
    X = normal((128, 500), dtype)
    plain = batch_norm_training_kernel(X)["output"]
    _elementwise.activate(plain, None, ACTIVATION_CODES[name])
    fused = batch_norm_training_kernel(X, code=ACTIVATION_CODES[name])["output"]
    assert_array_equal(fused, plain)


def test_batch_norm_variance_keeps_its_precision_far_from_zero():
    # Columns of mean 1e4 and standard deviation 1 in float32: E[x^2] - E[x]^2 would lose every
    # digit (1e8 to float32 precision is +-8); the deviations from the mean keep them.
    rng = np.random.default_rng(8)
    X = (1e4 + rng.normal(size=(256, 50))).astype(np.float32)
    outputs = batch_norm_training_kernel(X, momentum=0.0)
    assert_allclose(outputs["running_var"], X.astype(np.float64).var(axis=0), rtol=1e-4)
    naive = (X * X).mean(axis=0) - X.mean(axis=0) ** 2
    assert np.max(np.abs(naive / X.astype(np.float64).var(axis=0) - 1)) > 1e-2


@pytest.mark.parametrize("shape", SHAPES, ids=str)
@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
def test_batch_norm_prediction_matches_numpy(dtype, shape):
    X = normal(shape, dtype)
    scale, shift, running_mean, running_var = _unit_parameters(shape[1], dtype)
    output = np.empty_like(X)
    _batch_norm.forward_prediction(X, output, scale, shift, running_mean, running_var, 1e-5,
                                   ACTIVATION_CODES["identity"])
    centred = np.subtract(X, running_mean)
    inv_std = np.reciprocal(np.sqrt(running_var + 1e-5))
    centred *= inv_std
    expected = np.multiply(centred, scale)
    expected += shift
    assert_array_equal(output, expected)


@pytest.mark.parametrize("propagate", [True, False])
@pytest.mark.parametrize("shape", SHAPES, ids=str)
@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
def test_batch_norm_backward_matches_numpy(dtype, shape, propagate):
    forward = batch_norm_training_kernel(normal(shape, dtype) + 1)
    grad = normal(shape, dtype, seed=9)
    scale = _unit_parameters(shape[1], dtype)[0]
    expected = numpy_batch_norm_backward(grad, forward["normalised"], scale, forward["inv_std"])
    original = grad.copy()
    grad_scale, grad_shift = batch_norm_backward_kernel(
        grad, forward["normalised"], forward["inv_std"], propagate)
    keywords = tolerance(dtype)
    assert_allclose(grad_scale, expected[0], **keywords)
    assert_allclose(grad_shift, expected[1], **keywords)
    if propagate:
        assert_allclose(grad, expected[2], **keywords)
    else:
        assert_array_equal(grad, original)


# ------------------------------------------------------------------------------------ losses
def _weighted(per_sample, gradient, sample_weight):
    if sample_weight is None:
        gradient *= 1.0 / gradient.shape[0]
        return float(per_sample.mean()), gradient
    weights = sample_weight / sample_weight.sum()
    gradient *= weights[:, np.newaxis]
    return float(per_sample @ weights), gradient


def numpy_softmax_cross_entropy(scores, Y, sample_weight):
    scores = scores.copy()
    scores -= scores.max(axis=1, keepdims=True)
    log_normaliser = np.log(np.exp(scores).sum(axis=1))
    per_sample = log_normaliser - np.einsum("ij,ij->i", Y, scores)
    scores -= log_normaliser[:, np.newaxis]
    np.exp(scores, out=scores)
    scores -= Y
    return _weighted(per_sample, scores, sample_weight)


def numpy_sigmoid_cross_entropy(scores, Y, sample_weight):
    elementwise = np.log1p(np.exp(-np.abs(scores))) + np.maximum(scores, 0)
    per_sample = elementwise.sum(axis=1) - np.einsum("ij,ij->i", Y, scores)
    gradient = numpy_activation("logistic", scores) - Y
    return _weighted(per_sample, gradient, sample_weight)


def numpy_squared_error(scores, Y, sample_weight):
    residual = scores - Y
    per_sample = 0.5 * np.einsum("ij,ij->i", residual, residual)
    return _weighted(per_sample, residual, sample_weight)


LOSS_REFERENCES = {
    "softmax": (SoftmaxCrossEntropy, numpy_softmax_cross_entropy),
    "sigmoid": (SigmoidCrossEntropy, numpy_sigmoid_cross_entropy),
    "squared": (SquaredError, numpy_squared_error),
}


def _targets(loss, shape, dtype, seed=10):
    rng = np.random.default_rng(seed)
    if loss == "softmax":
        return np.eye(shape[1], dtype=dtype)[rng.integers(0, shape[1], shape[0])]
    return rng.random(shape).astype(dtype)


@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
@pytest.mark.parametrize("shape", SHAPES, ids=str)
@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("loss", sorted(LOSS_REFERENCES))
def test_loss_value_and_gradient_match_numpy(loss, dtype, shape, weighted):
    loss_class, reference = LOSS_REFERENCES[loss]
    scores = normal(shape, dtype, scale=3.0)
    Y = _targets(loss, shape, dtype)
    sample_weight = (np.random.default_rng(11).uniform(0, 2, shape[0]).astype(dtype)
                     if weighted else None)
    expected_value, expected_gradient = reference(scores, Y, sample_weight)
    value, gradient = loss_class().value_and_gradient(scores.copy(), Y, sample_weight)
    assert gradient.dtype == dtype
    keywords = tolerance(dtype)
    # Gradients are (p - y) w: compared to a few units of their largest entry, as subtracting
    # y leaves a rounding of p behind wherever p is close to y. The NumPy softmax rounds
    # log(sum) before exp(s - log(sum)), off by up to |log(sum)| units, the logistic of the
    # sigmoid loss by an absolute half-unit of 1.
    scale = np.abs(expected_gradient).max()
    relative = keywords["rtol"]
    assert_allclose(gradient, expected_gradient, rtol=relative, atol=relative * scale)
    assert value == pytest.approx(expected_value, rel=keywords["rtol"], abs=keywords["atol"])


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("loss", sorted(LOSS_REFERENCES))
def test_losses_at_extreme_scores_stay_finite(loss, dtype):
    loss_class, reference = LOSS_REFERENCES[loss]
    scores = np.array([[1e4, -1e4, 0.0], [-1e4, 1e4, 3e4], [80.0, -90.0, 700.0]], dtype=dtype)
    Y = _targets(loss, scores.shape, dtype)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        value, gradient = loss_class().value_and_gradient(scores.copy(), Y)
    assert np.isfinite(value) and np.all(np.isfinite(gradient))
    if loss != "sigmoid":
        expected_value, expected_gradient = reference(scores.astype(np.float64),
                                                      Y.astype(np.float64), None)
        assert value == pytest.approx(expected_value, rel=1e-6)
        assert_allclose(gradient, expected_gradient, rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("shape", SHAPES, ids=str)
@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
def test_softmax_outputs_match_numpy(dtype, shape):
    scores = normal(shape, dtype)
    shifted = scores - scores.max(axis=1, keepdims=True)
    probabilities = np.exp(shifted)
    probabilities /= probabilities.sum(axis=1, keepdims=True)
    log_probabilities = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    assert_allclose(SoftmaxCrossEntropy().output(scores.copy()), probabilities,
                    **tolerance(dtype))
    # s - max - log(sum) cancels where a score is near the log-sum: a few units of log(sum),
    # at most log(n_cols), in absolute terms.
    atol = 4 * np.finfo(dtype).eps * max(1.0, np.log(shape[1]))
    assert_allclose(SoftmaxCrossEntropy().log_output(scores.copy()), log_probabilities,
                    rtol=tolerance(dtype)["rtol"], atol=atol)


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
def test_sigmoid_outputs_match_scipy(dtype):
    from scipy.special import expit

    scores = normal((128, 10), dtype, scale=10.0)
    assert_allclose(SigmoidCrossEntropy().output(scores.copy()), expit(scores),
                    **tolerance(dtype))
    assert_allclose(SigmoidCrossEntropy().log_output(scores.copy()),
                    -np.logaddexp(0, -scores), **tolerance(dtype))


def test_softmax_rows_wider_than_a_block():
    # 5000 classes: the rows are longer than the kernels' block of values.
    scores = normal((3, 5000), np.float64)
    Y = _targets("softmax", scores.shape, np.float64)
    value, gradient = SoftmaxCrossEntropy().value_and_gradient(scores.copy(), Y)
    expected_value, expected_gradient = numpy_softmax_cross_entropy(scores, Y, None)
    assert value == pytest.approx(expected_value, rel=1e-13)
    assert_allclose(gradient, expected_gradient, rtol=1e-12, atol=1e-18)
    log_probabilities = SoftmaxCrossEntropy().log_output(scores.copy())
    assert_allclose(np.exp(log_probabilities).sum(axis=1), 1.0, rtol=1e-13)


def test_sigmoid_rows_wider_than_a_block():
    scores = normal((2, 5000), np.float64)
    Y = _targets("sigmoid", scores.shape, np.float64)
    value, gradient = SigmoidCrossEntropy().value_and_gradient(scores.copy(), Y)
    expected_value, expected_gradient = numpy_sigmoid_cross_entropy(scores, Y, None)
    assert value == pytest.approx(expected_value, rel=1e-13)
    assert_allclose(gradient, expected_gradient, rtol=1e-13, atol=1e-16)


# ------------------------------------------------------------------------------------ dropout
@pytest.mark.parametrize("bit_generator", [np.random.PCG64, np.random.MT19937])
@pytest.mark.parametrize("shape", [(1, 1), (3, 7), (128, 500)], ids=str)
@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
def test_dropout_mask_is_the_bernoulli_draw_of_the_same_seed(dtype, shape, bit_generator):
    rate = 0.3
    X = normal(shape, dtype)
    layer = Dropout(rate)
    layer.propagate = True
    output = layer.forward(X, training=True, rng=np.random.Generator(bit_generator(12)))
    kept = bernoulli(np.random.Generator(bit_generator(12)), shape, 1 - rate)
    mask = np.multiply(kept, 1.0 / (1 - rate), dtype=dtype)
    assert_array_equal(output, X * mask)
    grad = normal(shape, dtype, seed=13)
    expected_grad = grad * mask
    assert_array_equal(layer.backward(grad), expected_grad)


def test_dropout_keeps_only_the_draws_for_backward():
    layer = Dropout(0.5)
    layer.propagate = True
    X = normal((128, 500), np.float64)
    layer.forward(X, training=True, rng=np.random.default_rng(0))
    draws, limit, scale = layer._cache_mask
    assert draws.dtype == np.uint32 and draws.shape == (X.size,)
    assert limit == 2**31 and scale == 2.0
    # Nothing at all where the input gradient is not needed (an input dropout).
    layer.propagate = False
    layer.forward(X, training=True, rng=np.random.default_rng(0))
    assert layer._cache_mask is None


def test_dropout_rate_too_small_to_drop_keeps_every_unit():
    # keep = 1 - 1e-12 rounds to the threshold 2**32: every 32-bit draw is below it.
    rate = 1e-12
    X = normal((50, 40), np.float64)
    output = Dropout(rate).forward(X, training=True, rng=np.random.default_rng(0))
    assert bernoulli(np.random.default_rng(0), X.shape, 1 - rate).all()
    assert_array_equal(output, X * (1.0 / (1 - rate)))


@pytest.mark.parametrize("index_dtype", [np.int32, np.int64])
@pytest.mark.parametrize("matrix", [sp.csr_matrix, sp.csc_matrix, sp.csr_array])
def test_sparse_dropout_matches_the_dense_mask(matrix, index_dtype):
    X = normal((40, 30), np.float64)
    X[np.random.default_rng(14).random(X.shape) < 0.7] = 0.0
    sparse = matrix(X)
    sparse.indices = sparse.indices.astype(index_dtype)
    sparse.indptr = sparse.indptr.astype(index_dtype)
    layer = Dropout(0.4)
    layer.propagate = True
    dense_output = layer.forward(X, training=True, rng=np.random.default_rng(15)).copy()
    sparse_output = layer.forward(sparse, training=True, rng=np.random.default_rng(15))
    assert sp.issparse(sparse_output)
    assert_array_equal(sparse_output.toarray(), dense_output)
    assert not np.shares_memory(sparse_output.indices, sparse.indices)


def test_sparse_dropout_gradient_uses_the_dense_mask():
    X = normal((20, 10), np.float64)
    X[np.random.default_rng(17).random(X.shape) < 0.5] = 0.0
    layer = Dropout(0.5)
    layer.propagate = True
    layer.forward(sp.csr_matrix(X), training=True, rng=np.random.default_rng(18))
    mask = np.multiply(bernoulli(np.random.default_rng(18), X.shape, 0.5), 2.0)
    grad = normal(X.shape, np.float64, seed=19)
    assert_array_equal(layer.backward(grad.copy()), grad * mask)


def test_malformed_csr_is_refused():
    data = np.ones(2)
    draws = np.zeros(4, dtype=np.uint32)
    with pytest.raises(ValueError, match="column index"):
        _elementwise.dropout_csr(data, np.array([0, 5], dtype=np.int32),
                                 np.array([0, 1, 2], dtype=np.int32), 2, draws, 2**31, 2.0,
                                 np.empty(2))
    with pytest.raises(ValueError, match="indptr"):
        _elementwise.dropout_csr(data, np.array([0, 1], dtype=np.int32),
                                 np.array([0, 2, 1], dtype=np.int32), 2, draws, 2**31, 2.0,
                                 np.empty(2))


# ------------------------------------------------------------------------- refused arguments
def test_kernels_refuse_mismatched_shapes_types_and_layouts():
    values = np.zeros((3, 4))
    with pytest.raises(ValueError, match="biases"):
        _elementwise.activate(values, np.zeros(3), ACTIVATION_CODES["relu"])
    with pytest.raises(ValueError, match="Unknown activation"):
        _elementwise.activate(values, None, 99)
    with pytest.raises(ValueError, match="differ"):
        _elementwise.multiply_derivative(np.zeros((4, 3)), values, ACTIVATION_CODES["tanh"])
    with pytest.raises(ValueError, match="sums"):
        _elementwise.column_sums(values, np.zeros(3))
    with pytest.raises((TypeError, ValueError)):
        _elementwise.column_sums(values, np.zeros(4, dtype=np.float32))
    with pytest.raises(ValueError):
        _elementwise.activate(np.zeros((4, 6))[:, ::2], None, ACTIVATION_CODES["relu"])
    with pytest.raises(ValueError, match="draws"):
        _elementwise.dropout(values, values, np.zeros(5, dtype=np.uint32), 2**31, 2.0)
    with pytest.raises(ValueError, match="sample weights"):
        _losses.squared_error(values, values, np.ones(2))
    with pytest.raises(ValueError, match="units"):
        _batch_norm.backward(values, values, np.ones(3), np.ones(4), np.ones(4), np.ones(4), True)
    # The public functions refuse what they would have to copy (the result would be lost).
    with pytest.raises(ValueError, match="C-contiguous"):
        ACTIVATIONS["tanh"][0](np.zeros(4), np.zeros(8)[::2])
    with pytest.raises(ValueError):
        ACTIVATIONS["tanh"][1](np.zeros((3, 4)), np.zeros((4, 3)).T)


# ------------------------------------------------------------------------- the fused layers
def _bound(layer, dtype=np.float64, seed=20):
    network = Network([layer], dtype=dtype)
    layer.propagate = True
    network.params[...] = np.random.default_rng(seed).normal(size=network.params.shape)
    return network


@pytest.mark.parametrize("batch_norm", [False, True], ids=["plain", "batch_norm"])
@pytest.mark.parametrize("name", NAMES)
def test_hidden_block_applies_its_activation_in_the_layer_before(name, batch_norm):
    block = hidden_block(4, 3, name, batch_norm=batch_norm)
    applier = block.batch_norm if batch_norm else block.dense
    assert applier.fused_activation == name
    assert block.dense.fused_activation == ("identity" if batch_norm else name)
    assert block.activation.fused
    assert not Activation(name).fused


@pytest.mark.parametrize("batch_norm", [False, True], ids=["plain", "batch_norm"])
@pytest.mark.parametrize("training", [True, False], ids=["training", "prediction"])
@pytest.mark.parametrize("name", NAMES)
def test_fused_block_gives_the_bits_of_its_unfused_layers(name, training, batch_norm):
    # The same layers outside a block apply the activation in a pass of its own.
    fused = Network([hidden_block(5, 4, name, batch_norm=batch_norm)])
    plain = Network([Dense(5, 4), *([BatchNorm(4)] if batch_norm else []), Activation(name)])
    assert not plain.layers[-1].fused
    fused.params[...] = plain.params[...] = np.random.default_rng(30).normal(
        size=fused.params.shape)
    for layer in fused.batch_norm_layers + plain.batch_norm_layers:
        layer.running_mean[...] = np.linspace(-1, 1, 4)
        layer.running_var[...] = np.linspace(0.5, 2, 4)
    X = normal((6, 5), np.float64)
    assert_array_equal(fused.forward(X, training), plain.forward(X, training))


@pytest.mark.parametrize("dropout", [0.0, 0.3], ids=["no_dropout", "dropout"])
@pytest.mark.parametrize("batch_norm", [False, True], ids=["plain", "batch_norm"])
@pytest.mark.parametrize("name", NAMES)
def test_fused_block_backward_matches_central_differences(name, batch_norm, dropout,
                                                          central_differences):
    block = hidden_block(4, 3, name, batch_norm=batch_norm, dropout=dropout)
    network = _bound(block)
    X = np.random.default_rng(21).choice([-1.0, 1.0], (6, 4)) * np.random.default_rng(
        22).uniform(0.1, 2.0, (6, 4))
    R = np.random.default_rng(23).normal(size=(6, 3))

    def scalar():
        output = block.forward(X.copy(), True, np.random.default_rng(24))
        return float(np.sum(R * output))

    numeric_input = central_differences(scalar, X)
    numeric_params = central_differences(scalar, network.params)
    scalar()
    analytic_input = block.backward(R.copy())
    assert_allclose(analytic_input, numeric_input, rtol=1e-6, atol=1e-8)
    assert_allclose(network.grads, numeric_params, rtol=1e-6, atol=1e-8)


# ------------------------------------------------------------------- the reused output arrays
def test_training_passes_reuse_their_arrays_and_prediction_returns_new_ones():
    layer = Dense(4, 3)
    _bound(layer)
    X = normal((6, 4), np.float64)
    first = layer.forward(X, training=True)
    second = layer.forward(X + 1, training=True)
    assert second is first
    # A smaller batch (the last of an epoch) gets an array of its own shape.
    assert layer.forward(X[:2], training=True).shape == (2, 3)
    predictions = [layer.forward(X), layer.forward(X)]
    assert predictions[0] is not predictions[1]
    assert not np.shares_memory(predictions[0], layer._cache_output)
    assert_array_equal(predictions[0], X @ layer.weights + layer.biases)


@pytest.mark.parametrize("batch_norm", [False, True], ids=["plain", "batch_norm"])
def test_a_prediction_between_forward_and_backward_changes_nothing(batch_norm):
    block = hidden_block(4, 5, "tanh", batch_norm=batch_norm, dropout=0.3)
    network = _bound(block)
    X, R = normal((8, 4), np.float64), normal((8, 5), np.float64, seed=25)

    def gradients(predict_between):
        output = block.forward(X, True, np.random.default_rng(26)).copy()
        if predict_between:
            block.forward(normal((8, 4), np.float64, seed=27))
            block.forward(normal((3, 4), np.float64, seed=28))
        grad_input = block.backward(R.copy())
        return output, grad_input, network.grads.copy()

    for expected, got in zip(gradients(False), gradients(True)):
        assert_array_equal(got, expected)


def test_a_training_output_is_kept_until_the_next_training_pass():
    # What the network returns in training mode lives in the last layer's array: the loss
    # reads it, overwrites it with the gradient, and backward runs before the next pass.
    layer = Dense(4, 3)
    _bound(layer)
    X = normal((6, 4), np.float64)
    output = layer.forward(X, training=True)
    kept = output.copy()
    layer.forward(X + 10)  # prediction: a new array
    assert_array_equal(output, kept)
    layer.forward(X + 10, training=True)
    assert not np.array_equal(output, kept)


def test_dropout_never_writes_into_the_activation_it_follows():
    # The block's Activation keeps the dense layer's output for its derivative; the dropout
    # after it writes its own array.
    block = hidden_block(4, 50, "logistic", dropout=0.5)
    _bound(block)
    output = block.forward(normal((8, 4), np.float64), True, np.random.default_rng(29))
    activations = block.activation._cache_output
    assert not np.shares_memory(output, activations)
    assert np.all((activations > 0) & (activations < 1))
    assert np.any(output == 0)

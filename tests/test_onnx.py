"""ONNX export (skdeep.onnx): onnxruntime's outputs against predict / predict_proba / transform."""

import itertools
import subprocess
import sys

import numpy as np
import pytest

ort = pytest.importorskip("onnxruntime")
skl2onnx = pytest.importorskip("skl2onnx")

from sklearn.decomposition import PCA  # noqa: E402
from sklearn.exceptions import NotFittedError  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402

import skdeep.onnx  # noqa: E402
from skdeep import (  # noqa: E402
    DeepMLPClassifier,
    DeepMLPRegressor,
    DenoisingAutoencoderTransformer,
    StackedAutoencoder,
)
from skdeep.activations import ACTIVATIONS  # noqa: E402

# Tolerances. The graph runs the network's operations in its type, but onnxruntime's MatMul
# (MLAS) sums its products in another order than BLAS, and its exp / tanh / sigmoid are other
# approximations: each operation may differ by a few units in the last place (float32: 1.2e-7,
# float64: 2.2e-16). Through two or three layers of fan-in at most 6 of O(1) values, the
# differences stay within a few hundred epsilons; 1e-5 (float32) and 1e-12 (float64) leave a
# margin of ten to a hundred over what the matrix below produces (at most 2e-6, 2e-15) while
# failing on any wrong weight, bias, statistic or activation, which moves outputs by 1e-2 and
# more. The tolerance is relative beyond 1 (``atol + rtol * |value|``), since a Poisson mean
# in the hundreds is only represented to 3e-5 in float32 (benchmarks/onnx_agreement.py sees
# relative differences of at most 1.5e-6 over its 324 conversions). Labels are compared exactly.
TOLERANCE = {np.float32: 1e-5, np.float64: 1e-12}
N_SAMPLES, N_FEATURES = 40, 4
TINY = dict(hidden_layer_sizes=(5, 4), max_iter=3, random_state=0)


def run(onnx_model, X):
    """The outputs of ``onnx_model`` on ``X``, by name."""
    session = ort.InferenceSession(
        onnx_model.SerializeToString(), providers=["CPUExecutionProvider"]
    )
    outputs = session.run(None, {session.get_inputs()[0].name: X})
    return {meta.name: value for meta, value in zip(session.get_outputs(), outputs)}


def assert_close(actual, expected, dtype):
    np.testing.assert_allclose(actual, expected, rtol=TOLERANCE[dtype], atol=TOLERANCE[dtype])


@pytest.fixture(scope="module")
def data():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(N_SAMPLES, N_FEATURES))
    targets = {
        "binary": rng.randint(0, 2, N_SAMPLES),
        "multiclass": rng.randint(0, 3, N_SAMPLES),
        "multilabel": (rng.uniform(size=(N_SAMPLES, 3)) > 0.5).astype(int),
        "strings": np.array(["cat", "dog", "emu"])[rng.randint(0, 3, N_SAMPLES)],
        "single": rng.normal(size=N_SAMPLES),
        "multi": rng.normal(size=(N_SAMPLES, 2)),
        "poisson": rng.poisson(2.0, size=N_SAMPLES).astype(float),
    }
    return X, targets


ACTIVATION_NAMES = sorted(ACTIVATIONS)
DTYPES = [np.float32, np.float64]
# Every hidden activation, with and without batch normalisation, in both types.
OVER_NETWORKS = pytest.mark.parametrize(
    "activation, batch_norm, dtype",
    list(itertools.product(ACTIVATION_NAMES, [False, True], DTYPES)),
)


@pytest.mark.parametrize("target", ["binary", "multiclass", "multilabel"])
@OVER_NETWORKS
def test_classifier_matches_predict(data, activation, batch_norm, target, dtype):
    X, targets = data
    X = X.astype(dtype)
    model = DeepMLPClassifier(activation=activation, batch_norm=batch_norm, **TINY)
    model.fit(X, targets[target])
    outputs = run(skl2onnx.to_onnx(model, X[:1], options={"zipmap": False}), X)
    np.testing.assert_array_equal(outputs["label"], model.predict(X))
    assert outputs["probabilities"].dtype == dtype
    assert_close(outputs["probabilities"], model.predict_proba(X), dtype)


@pytest.mark.parametrize("target", ["single", "multi", "poisson"])
@OVER_NETWORKS
def test_regressor_matches_predict(data, activation, batch_norm, target, dtype):
    X, targets = data
    X = X.astype(dtype)
    loss = "poisson" if target == "poisson" else "squared_error"
    model = DeepMLPRegressor(activation=activation, batch_norm=batch_norm, loss=loss, **TINY)
    model.fit(X, targets[target])
    (values,) = run(skl2onnx.to_onnx(model, X[:1]), X).values()
    # skl2onnx's regressors give (N, n_outputs), a column for one output.
    assert values.shape == (N_SAMPLES, model.n_outputs_)
    assert_close(values.reshape(model.predict(X).shape), model.predict(X), dtype)


@OVER_NETWORKS
def test_autoencoder_transform_and_inverse(data, activation, batch_norm, dtype):
    X = data[0].astype(dtype)
    # Tied and untied decoders alternate over the matrix.
    tied_weights = batch_norm == (dtype == np.float32)
    model = DenoisingAutoencoderTransformer(
        n_components=3, activation=activation, tied_weights=tied_weights,
        batch_norm=batch_norm, loss="squared_error", max_iter=3, random_state=0,
    ).fit(X)
    (codes,) = run(skl2onnx.to_onnx(model, X[:1]), X).values()
    assert_close(codes, model.transform(X), dtype)
    (reconstruction,) = run(skdeep.onnx.to_onnx_inverse_transform(model), codes).values()
    assert_close(reconstruction, model.inverse_transform(codes), dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("batch_norm", [False, True])
def test_stacked_autoencoder_transform_and_inverse(data, batch_norm, dtype):
    # Data in [0, 1]: a logistic output, and an Activation layer between the decoders.
    X = (data[0].astype(dtype) > 0).astype(dtype)
    model = StackedAutoencoder(
        hidden_layer_sizes=(4, 3, 2), batch_norm=batch_norm, max_iter=3, random_state=0,
    ).fit(X)
    assert model.out_activation_ == "logistic"
    (codes,) = run(skl2onnx.to_onnx(model, X[:1]), X).values()
    assert_close(codes, model.transform(X), dtype)
    (reconstruction,) = run(skdeep.onnx.to_onnx_inverse_transform(model), codes).values()
    assert_close(reconstruction, model.inverse_transform(codes), dtype)


@pytest.mark.parametrize("fold_batch_norm", [True, False])
@pytest.mark.parametrize("dtype", DTYPES)
def test_batch_norm_with_its_own_statistics(data, dtype, fold_batch_norm):
    """Scale, shift and running statistics far from their initial values, folded or not."""
    X = data[0].astype(dtype)
    model = DeepMLPClassifier(batch_norm=True, **TINY).fit(X, data[1]["multiclass"])
    rng = np.random.RandomState(1)
    for norm in model._network.batch_norm_layers:
        norm.scale[...] = rng.uniform(0.5, 2.0, norm.n_units)
        norm.shift[...] = rng.normal(size=norm.n_units)
        norm.running_mean[...] = rng.normal(size=norm.n_units)
        norm.running_var[...] = rng.uniform(0.1, 3.0, norm.n_units)
    onnx_model = skl2onnx.to_onnx(
        model, X[:1], options={"zipmap": False, "fold_batch_norm": fold_batch_norm}
    )
    n_matmuls = sum(node.op_type == "MatMul" for node in onnx_model.graph.node)
    n_subs = sum(node.op_type == "Sub" for node in onnx_model.graph.node)
    assert n_matmuls == 3
    assert n_subs == (0 if fold_batch_norm else 2)
    outputs = run(onnx_model, X)
    np.testing.assert_array_equal(outputs["label"], model.predict(X))
    assert_close(outputs["probabilities"], model.predict_proba(X), dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("batch_norm", [False, True])
@pytest.mark.parametrize("pieces", [2, 3])
def test_maxout_networks(data, pieces, batch_norm, dtype):
    """Maxout blocks (Reshape + ReduceMax) give predict's labels, probabilities and values."""
    X = data[0].astype(dtype)
    settings = dict(activation="maxout", maxout_pieces=pieces, batch_norm=batch_norm, **TINY)
    classifier = DeepMLPClassifier(**settings).fit(X, data[1]["multiclass"])
    outputs = run(skl2onnx.to_onnx(classifier, X[:1], options={"zipmap": False}), X)
    np.testing.assert_array_equal(outputs["label"], classifier.predict(X))
    assert_close(outputs["probabilities"], classifier.predict_proba(X), dtype)
    regressor = DeepMLPRegressor(**settings).fit(X, data[1]["single"])
    (values,) = run(skl2onnx.to_onnx(regressor, X[:1]), X).values()
    assert_close(values.ravel(), regressor.predict(X), dtype)


@pytest.mark.parametrize("zipmap", [True, False, "columns"])
@pytest.mark.parametrize("target", ["binary", "multiclass", "strings"])
def test_zipmap_options(data, target, zipmap):
    X = data[0].astype(np.float32)
    y = data[1][target]
    model = DeepMLPClassifier(**TINY).fit(X, y)
    outputs = run(skl2onnx.to_onnx(model, X[:1], options={"zipmap": zipmap}), X)
    expected = model.predict_proba(X)
    if zipmap is True:
        label, dictionaries = outputs["output_label"], outputs["output_probability"]
        probabilities = np.array([[row[c] for c in model.classes_] for row in dictionaries])
    elif zipmap == "columns":
        label = outputs["output_label"]
        probabilities = np.column_stack([value for name, value in outputs.items()
                                         if name != "output_label"])
    else:
        label, probabilities = outputs["label"], outputs["probabilities"]
    np.testing.assert_array_equal(label, model.predict(X))
    assert_close(probabilities, expected, np.float32)


def test_zipmap_on_a_float64_network_reads_float32(data):
    """ONNX's ZipMap takes float32 only: a float64 network's probabilities are cast for it."""
    X = data[0]
    model = DeepMLPClassifier(**TINY).fit(X, data[1]["multiclass"])
    outputs = run(skl2onnx.to_onnx(model, X[:1]), X)
    probabilities = np.array([[row[c] for c in model.classes_]
                              for row in outputs["output_probability"]])
    assert_close(probabilities, model.predict_proba(X), np.float32)
    np.testing.assert_array_equal(outputs["output_label"], model.predict(X))


@pytest.mark.parametrize("network_dtype, input_dtype",
                         [(np.float32, np.float64), (np.float64, np.float32)])
def test_input_of_another_type_is_cast(data, network_dtype, input_dtype):
    X = data[0]
    model = DeepMLPRegressor(**TINY).fit(X.astype(network_dtype), data[1]["multi"])
    (values,) = run(skl2onnx.to_onnx(model, X[:1].astype(input_dtype)),
                    X.astype(input_dtype)).values()
    # Values in the network's type, as predict returns them.
    assert values.dtype == network_dtype
    assert_close(values, model.predict(X.astype(network_dtype)), np.float32)


def test_float_class_labels_become_int64(data):
    # scikit-learn takes float labels only when they are integers; ONNX gives them as int64.
    X, targets = data
    model = DeepMLPClassifier(**TINY).fit(X, targets["multiclass"] * 2.0)
    outputs = run(skl2onnx.to_onnx(model, X[:1], options={"zipmap": False}), X)
    np.testing.assert_array_equal(outputs["label"], model.predict(X))


@pytest.mark.parametrize("dtype", DTYPES)
def test_pipelines(data, dtype):
    X, targets = data
    X = X.astype(dtype)
    in_unit_range = (X - X.min()) / (X.max() - X.min())
    cases = [
        (make_pipeline(StandardScaler(), DeepMLPClassifier(**TINY)), X, targets["strings"]),
        (make_pipeline(StandardScaler(),
                       DenoisingAutoencoderTransformer(n_components=3, max_iter=3, random_state=0),
                       LogisticRegression()), in_unit_range, targets["multiclass"]),
        (make_pipeline(PCA(n_components=3),
                       StackedAutoencoder(hidden_layer_sizes=(3, 2), max_iter=3, random_state=0)),
         X, None),
        (make_pipeline(StandardScaler(),
                       StackedAutoencoder(hidden_layer_sizes=(3,), max_iter=3, random_state=0),
                       DeepMLPRegressor(**TINY)), X, targets["single"]),
    ]
    for pipeline, inputs, y in cases:
        pipeline.fit(inputs, y)
        last = pipeline[-1]
        options = {id(last): {"zipmap": False}} if hasattr(last, "predict_proba") else None
        outputs = run(skl2onnx.to_onnx(pipeline, inputs[:1], options=options), inputs)
        if hasattr(last, "predict_proba"):
            np.testing.assert_array_equal(outputs["label"], pipeline.predict(inputs))
            assert_close(outputs["probabilities"], pipeline.predict_proba(inputs), np.float32)
        elif hasattr(last, "predict"):
            (values,) = outputs.values()
            assert_close(values.ravel(), pipeline.predict(inputs), np.float32)
        else:
            (values,) = outputs.values()
            assert_close(values, pipeline.transform(inputs), np.float32)


def test_unfitted_estimators_are_refused(data):
    X = data[0]
    for model in [DeepMLPClassifier(), DeepMLPRegressor(), StackedAutoencoder(),
                  DenoisingAutoencoderTransformer()]:
        with pytest.raises(NotFittedError, match="is not fitted yet"):
            skl2onnx.to_onnx(model, X[:1])
    with pytest.raises(NotFittedError, match="is not fitted yet"):
        skdeep.onnx.to_onnx_inverse_transform(StackedAutoencoder())


def test_unsupported_settings_are_refused(data):
    X, targets = data
    single = DeepMLPClassifier(**TINY).fit(X, np.zeros(N_SAMPLES, dtype=int))
    with pytest.raises(ValueError, match="fitted on a single class"):
        skl2onnx.to_onnx(single, X[:1])
    with pytest.raises(TypeError, match="converts a DenoisingAutoencoderTransformer"):
        skdeep.onnx.to_onnx_inverse_transform(DeepMLPRegressor())
    model = DeepMLPRegressor(**TINY).fit(X, targets["single"])
    model._network.blocks[0].activation.name = "swish"
    with pytest.raises(ValueError, match="cannot convert the activation 'swish'"):
        skl2onnx.to_onnx(model, X[:1])


# One interpreter for both checks: starting one costs seconds (the editable install's build
# check).
OPTIONAL_IMPORT_CHECK = """
import sys
import skdeep
print('skl2onnx' in sys.modules, 'onnx' in sys.modules)
# A None entry in sys.modules makes the import fail as if the package were not installed.
sys.modules['skl2onnx'] = None
try:
    import skdeep.onnx
except ImportError as error:
    print(error)
"""


def test_skdeep_alone_does_not_import_skl2onnx_and_the_missing_extra_is_named():
    result = subprocess.run(
        [sys.executable, "-c", OPTIONAL_IMPORT_CHECK], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    imported, message = result.stdout.strip().split("\n")
    assert imported == "False False"
    assert "needs skl2onnx and onnx" in message
    assert 'pip install "skdeep[onnx]"' in message

"""
=====================================
Deploying a pipeline with ONNX
=====================================

``import skdeep.onnx`` teaches skl2onnx the skdeep estimators, so a fitted pipeline that mixes
them with scikit-learn steps converts with :func:`skl2onnx.to_onnx` like any other and runs in
onnxruntime, without skdeep or scikit-learn on the serving side. We train a scaler and a
batch-normalised :class:`~skdeep.DeepMLPClassifier` on real MNIST digits, convert the pipeline,
and compare onnxruntime's labels and probabilities with ``predict`` / ``predict_proba``, then the
time of one prediction for a single digit and for a large batch (median of repeats).
:ref:`ug_onnx` describes the graph.
"""

# %%
# A fitted pipeline
# -----------------
# 5,000 of the 10,000 digits shipped with skdeep train it (a few epochs: the point here is the
# export, not the accuracy); the other 5,000 are the requests we serve. The digits are float32,
# so the network trains, and the graph computes, in float32.
import textwrap
import time
import warnings

import matplotlib.pyplot as plt
import numpy as np
import onnxruntime as ort
import skl2onnx
from sklearn.exceptions import ConvergenceWarning
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

import skdeep.onnx  # noqa: F401  (registers the converters)
from skdeep import DeepMLPClassifier
from skdeep.datasets import load_mnist_sample

X, y = load_mnist_sample(return_X_y=True)
X_train, y_train, X_test = X[:5000], y[:5000], X[5000:]
pipeline = make_pipeline(
    StandardScaler(),
    DeepMLPClassifier(
        hidden_layer_sizes=(128, 64),
        batch_norm=True,
        max_iter=3,
        random_state=0,
    ),
)
with warnings.catch_warnings():
    warnings.simplefilter("ignore", ConvergenceWarning)
    pipeline.fit(X_train, y_train)

# %%
# Conversion
# ----------
# One example row gives the input's type and width. ``zipmap=False`` keeps the probabilities
# a plain ``(N, 10)`` tensor (with the default ZipMap they are a list of dictionaries).
onnx_model = skl2onnx.to_onnx(
    pipeline, X_train[:1], options={DeepMLPClassifier: {"zipmap": False}}
)
nodes = [node.op_type for node in onnx_model.graph.node]
print(textwrap.fill(f"graph nodes: {nodes}", 80, subsequent_indent="  "))
# One thread, as the docs build gives BLAS, so that both sides get the same
# core.
settings = ort.SessionOptions()
settings.intra_op_num_threads = 1
session = ort.InferenceSession(
    onnx_model.SerializeToString(), settings, providers=["CPUExecutionProvider"]
)
input_name = session.get_inputs()[0].name

# %%
# Same predictions
# ----------------
labels, probabilities = session.run(None, {input_name: X_test})
expected = pipeline.predict_proba(X_test)
print(
    "labels equal to predict: "
    f"{np.mean(labels == pipeline.predict(X_test)):.2%}"
)
largest = np.abs(probabilities - expected).max()
print(f"largest |onnxruntime - predict_proba|: {largest:.2e}")

# %%
# Latency
# -------
# The median over repeats of one call, for a single request and for all 5,000 at once, each
# side on one thread.


def median_seconds(function, repeats):
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return float(np.median(times))


timings = {}
for size, repeats in [(1, 100), (len(X_test), 3)]:
    batch = X_test[:size]
    with threadpool_limits(limits=1, user_api="blas"):
        timings[size] = (
            median_seconds(lambda: pipeline.predict_proba(batch), repeats),
            median_seconds(
                lambda: session.run(None, {input_name: batch}), repeats
            ),
        )
    sklearn_time, onnx_time = timings[size]
    print(
        f"batch of {size:>5}: predict_proba {sklearn_time * 1e3:8.3f} ms, "
        f"onnxruntime {onnx_time * 1e3:8.3f} ms "
        f"({sklearn_time / onnx_time:.1f}x)"
    )

# %%
# The figure puts both sizes on one scale: time per request.
fig, ax = plt.subplots(figsize=(6, 3.5))
positions = np.arange(len(timings))
contenders = [("skdeep predict_proba", 0), ("onnxruntime", 1)]
for offset, (label, column) in enumerate(contenders):
    per_row = [timings[size][column] / size * 1e6 for size in timings]
    ax.bar(positions + (offset - 0.5) * 0.4, per_row, width=0.4, label=label)
ax.set_xticks(positions, [f"batch of {size}" for size in timings])
ax.set_yscale("log")
ax.set_ylabel("microseconds per digit")
ax.legend()
fig.tight_layout()
plt.show()

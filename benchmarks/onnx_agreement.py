"""How far onnxruntime's outputs are from skdeep's own, over the converters' whole matrix.

Every activation (maxout with 2 and 3 pieces included) x batch norm (none, folded into the
affine map, explicit nodes) x every output (binary, multiclass and multilabel probabilities;
one and two regression targets; Poisson means) x float32 / float64, on tiny networks whose
batch-norm statistics are set far from their initial values. Prints, for each cell of (dtype,
batch norm), the largest absolute difference seen and the largest difference relative to
``max(1, |value|)`` (Poisson means reach the hundreds, where float32 spaces its values 3e-5
apart), and how many conversions were compared.

    python benchmarks/onnx_agreement.py
"""

import itertools
import warnings

import numpy as np
import onnxruntime
import skl2onnx

import skdeep.onnx  # noqa: F401  (registers the converters)
from skdeep import DeepMLPClassifier, DeepMLPRegressor
from skdeep.activations import ACTIVATIONS

N_SAMPLES = 200
ACTIVATION_SETTINGS = [
    *({"activation": name} for name in sorted(ACTIVATIONS)),
    {"activation": "maxout", "maxout_pieces": 2},
    {"activation": "maxout", "maxout_pieces": 3},
]


def targets(rng):
    """One target of each output type the converters write."""
    return {
        "binary": rng.randint(0, 2, N_SAMPLES),
        "multiclass": rng.randint(0, 3, N_SAMPLES),
        "multilabel": (rng.uniform(size=(N_SAMPLES, 3)) > 0.5).astype(int),
        "single": rng.normal(size=N_SAMPLES),
        "two outputs": rng.normal(size=(N_SAMPLES, 2)),
        "poisson": rng.poisson(2.0, size=N_SAMPLES).astype(float),
    }


def fitted(settings, batch_norm, target_name, X, y):
    """A tiny fitted network; its batch-norm statistics moved far from their start."""
    common = dict(hidden_layer_sizes=(6, 5), batch_norm=batch_norm, max_iter=3, random_state=0)
    if target_name in ("binary", "multiclass", "multilabel"):
        model = DeepMLPClassifier(**settings, **common).fit(X, y)
    else:
        loss = "poisson" if target_name == "poisson" else "squared_error"
        model = DeepMLPRegressor(**settings, **common, loss=loss).fit(X, y)
    rng = np.random.RandomState(1)
    for norm in model._network.batch_norm_layers:
        norm.scale[...] = rng.uniform(0.5, 2.0, norm.n_units)
        norm.shift[...] = rng.normal(size=norm.n_units)
        norm.running_mean[...] = rng.normal(size=norm.n_units)
        norm.running_var[...] = rng.uniform(0.1, 3.0, norm.n_units)
    return model


def onnx_output(model, X, options):
    """The converted model's probabilities (or predictions) from onnxruntime."""
    graph = skl2onnx.to_onnx(model, X[:1], options=options)
    session = onnxruntime.InferenceSession(
        graph.SerializeToString(), providers=["CPUExecutionProvider"]
    )
    return session.run(None, {session.get_inputs()[0].name: X})[-1]


def main():
    warnings.simplefilter("ignore")
    rng = np.random.RandomState(0)
    X = rng.normal(size=(N_SAMPLES, 4))
    ys = targets(rng)
    worst, n_compared = {}, 0
    for settings, batch_norm, dtype, target_name in itertools.product(
        ACTIVATION_SETTINGS, [False, True], [np.float32, np.float64], ys
    ):
        X_typed = X.astype(dtype)
        model = fitted(settings, batch_norm, target_name, X_typed, ys[target_name])
        is_classifier = hasattr(model, "predict_proba")
        expected = (
            model.predict_proba(X_typed) if is_classifier
            else model.predict(X_typed).reshape(N_SAMPLES, -1)
        )
        for fold in [True, False] if batch_norm else [True]:
            options = {"fold_batch_norm": fold, **({"zipmap": False} if is_classifier else {})}
            difference = np.abs(onnx_output(model, X_typed, options) - expected)
            relative = difference / np.maximum(1.0, np.abs(expected))
            cell = (np.dtype(dtype).name,
                    "folded" if batch_norm and fold else "nodes" if batch_norm else "none")
            absolute_so_far, relative_so_far = worst.get(cell, (0.0, 0.0))
            worst[cell] = (max(absolute_so_far, float(difference.max())),
                           max(relative_so_far, float(relative.max())))
            n_compared += 1
    print(f"{n_compared} conversions compared on {N_SAMPLES} rows each")
    print(f"{'dtype':<8} {'batch norm':<11} {'largest absolute':>17} {'relative':>9}")
    for (dtype, norm), (absolute, relative) in sorted(worst.items()):
        print(f"{dtype:<8} {norm:<11} {absolute:>17.2e} {relative:>9.2e}")


if __name__ == "__main__":
    main()

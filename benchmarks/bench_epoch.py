"""Epoch time of skdeep against scikit-learn, PyTorch and the GEMM-only bound, all in one process.

Usage (from the repository root, with skdeep installed or on PYTHONPATH):

    python benchmarks/bench_epoch.py                      # every case, 2 threads
    python benchmarks/bench_epoch.py --cases headline --rounds 9 --threads 1

Each case fits every contender once per round, rounds interleaved, and prints the median time
per epoch, the median over rounds of each peer's ratio to skdeep measured in the same round, and
test accuracy on held-out rows after the timed epochs. Nothing is asserted: the figures are for
``benchmarks/README.md``. PyTorch rows are skipped, with a note, when torch is not installed.
"""

import tracemalloc

import common
import numpy as np
from sklearn.datasets import load_digits
from sklearn.neural_network import MLPClassifier, MLPRegressor

from skdeep import DeepMLPClassifier, DeepMLPRegressor

CASES = ("headline", "batchnorm-dropout", "deep-sigmoid-sgd", "small-ccpp", "lbfgs", "predict",
         "memory")


def _sklearn_like(cls, hidden, epochs, batch_size, **params):
    return cls(hidden_layer_sizes=hidden, **common.fixed_epochs(epochs, batch_size), **params)


def _torch_timer(torch, X, y, epochs, keep, **params):
    def measure():
        seconds, model = common.timed(common.torch_fit, torch, X, y, epochs=epochs, **params)
        keep.append(model)
        return seconds / epochs

    return measure


def _summary_rows(times, reference, accuracies, unit="s/epoch"):
    rows = []
    for name, values in times.items():
        rows.append({
            "contender": name,
            f"median {unit}": f"{np.median(values):.4f}",
            "min": f"{values.min():.4f}",
            f"ratio to {reference}": f"{common.ratio_median(times, name, reference):.2f}",
            "test accuracy": accuracies.get(name, ""),
        })
    return rows


def _accuracy(model, X, y, torch):
    if hasattr(model, "score"):
        return f"{model.score(X, y):.4f}"
    return f"{common.torch_accuracy(torch, model, X, y):.4f}"


def classifier_case(args, torch, title, hidden, *, solver, activation, extra=None,
                    torch_extra=None, sklearn=True, bound=True):
    """Time one configuration for skdeep and MLPClassifier (f32, f64), PyTorch, the GEMM bounds."""
    X, y, X_test, y_test = common.mnist_split(args.n_train)
    params = {"solver": solver, "activation": activation, **(extra or {})}
    kept = {}
    contenders = {}
    if bound:
        sizes = [X.shape[1], *hidden, 10]
        contenders["GEMM bound"] = lambda: common.gemm_bound_epoch(X, sizes, args.batch_size)
        if torch is not None:
            contenders["GEMM bound, PyTorch"] = lambda: common.gemm_bound_epoch(
                X, sizes, args.batch_size, torch)
    for name, dtype in (("skdeep f32", np.float32), ("skdeep f64", np.float64)):
        kept[name] = []
        contenders[name] = common.fit_timer(
            lambda: _sklearn_like(DeepMLPClassifier, hidden, args.epochs, args.batch_size,
                                  **params),
            X.astype(dtype), y, args.epochs, kept[name],
        )
    if sklearn:
        sk_params = {k: v for k, v in params.items() if k in ("solver", "activation", "momentum",
                                                               "learning_rate_init")}
        for name, dtype in (("MLPClassifier f32", np.float32), ("MLPClassifier f64", np.float64)):
            kept[name] = []
            contenders[name] = common.fit_timer(
                lambda: _sklearn_like(MLPClassifier, hidden, args.epochs, args.batch_size,
                                      **sk_params),
                X.astype(dtype), y, args.epochs, kept[name],
            )
    if torch is not None:
        kept["PyTorch"] = []
        contenders["PyTorch"] = _torch_timer(
            torch, X, y, args.epochs, kept["PyTorch"], hidden=hidden,
            batch_size=args.batch_size, solver=solver, activation=activation,
            learning_rate=params.get("learning_rate_init", 1e-3), **(torch_extra or {}),
        )
        if solver == "adam":
            kept["PyTorch, fused Adam"] = []
            contenders["PyTorch, fused Adam"] = _torch_timer(
                torch, X, y, args.epochs, kept["PyTorch, fused Adam"], hidden=hidden,
                batch_size=args.batch_size, activation=activation, fused=True,
                **(torch_extra or {}),
            )
    with common.ForeignLoad() as load:
        times = common.run_rounds(contenders, args.rounds)
    accuracies = {name: _accuracy(models[-1], X_test, y_test, torch) for name, models in kept.items()}
    common.print_table(
        f"{title}: {X.shape[0]} rows, batch {args.batch_size}, {args.epochs} epochs per fit, "
        f"{args.rounds} rounds",
        _summary_rows(times, "skdeep f32", accuracies),
        ["contender", "median s/epoch", "min", "ratio to skdeep f32", "test accuracy"],
    )
    print(load.note())
    return times, kept


def batch_norm_dropout_case(args, torch):
    """Overhead of batch normalisation + dropout(0.2) over the plain headline network."""
    X, y, X_test, y_test = common.mnist_split(args.n_train)
    hidden = (500, 500)
    kept = {"plain": [], "batch norm + dropout": []}
    contenders = {
        "plain": common.fit_timer(
            lambda: _sklearn_like(DeepMLPClassifier, hidden, args.epochs, args.batch_size),
            X, y, args.epochs, kept["plain"],
        ),
        "batch norm + dropout": common.fit_timer(
            lambda: _sklearn_like(DeepMLPClassifier, hidden, args.epochs, args.batch_size,
                                  batch_norm=True, dropout=0.2),
            X, y, args.epochs, kept["batch norm + dropout"],
        ),
    }
    if torch is not None:
        kept["PyTorch plain"], kept["PyTorch batch norm + dropout"] = [], []
        contenders["PyTorch plain"] = _torch_timer(
            torch, X, y, args.epochs, kept["PyTorch plain"], hidden=hidden,
            batch_size=args.batch_size,
        )
        contenders["PyTorch batch norm + dropout"] = _torch_timer(
            torch, X, y, args.epochs, kept["PyTorch batch norm + dropout"], hidden=hidden,
            batch_size=args.batch_size, batch_norm=True, dropout=0.2,
        )
    with common.ForeignLoad() as load:
        times = common.run_rounds(contenders, args.rounds)
    accuracies = {name: _accuracy(models[-1], X_test, y_test, torch) for name, models in kept.items()}
    rows = _summary_rows(times, "plain", accuracies)
    common.print_table(
        f"skdeep batch norm + dropout 0.2 vs plain (784-500-500-10 relu adam), {args.rounds} rounds",
        rows, ["contender", "median s/epoch", "min", "ratio to plain", "test accuracy"],
    )
    if torch is not None:
        ratio = common.ratio_median(times, "PyTorch batch norm + dropout", "PyTorch plain")
        print(f"PyTorch's own batch norm + dropout overhead: x{ratio:.2f}")
    print(load.note())


def small_network_case(args, torch):
    """A small regression network with small batches: 4-64-64-1 relu adam, batch 32, on CCPP.

    Its products are tiny, so an epoch costs what each of its 268 batches costs to run through a
    training loop: the figure is microseconds per batch.
    """
    X, y, X_test, y_test = common.ccpp_split()
    hidden, batch_size = (64, 64), 32
    n_batches = -(-X.shape[0] // batch_size)
    kept = {"skdeep f32": [], "MLPRegressor f32": []}
    contenders = {
        name: common.fit_timer(
            lambda cls=cls: _sklearn_like(cls, hidden, args.epochs, batch_size),
            X, y, args.epochs, kept[name],
        )
        for name, cls in (("skdeep f32", DeepMLPRegressor), ("MLPRegressor f32", MLPRegressor))
    }
    if torch is not None:
        for name, fused in (("PyTorch", False), ("PyTorch, fused Adam", True)):
            kept[name] = []
            contenders[name] = _torch_timer(
                torch, X, y, args.epochs, kept[name], hidden=hidden, batch_size=batch_size,
                fused=fused, regression=True,
            )
    with common.ForeignLoad() as load:
        times = common.run_rounds(contenders, args.rounds)
    rows = []
    for name, values in times.items():
        model = kept[name][-1]
        if hasattr(model, "score"):
            score = model.score(X_test, y_test)
        else:
            with torch.no_grad():
                predicted = model(torch.from_numpy(X_test)).numpy().ravel()
            score = 1 - ((y_test - predicted) ** 2).sum() / ((y_test - y_test.mean()) ** 2).sum()
        rows.append({
            "contender": name, "median us/batch": f"{np.median(values) / n_batches * 1e6:.1f}",
            "ratio to skdeep f32": f"{common.ratio_median(times, name, 'skdeep f32'):.2f}",
            "test R^2": f"{score:.4f}",
        })
    common.print_table(
        f"Small network: CCPP 4-64-64-1 relu adam float32, {X.shape[0]} rows, batch {batch_size} "
        f"({n_batches} batches), {args.epochs} epochs per fit, {args.rounds} rounds",
        rows, ["contender", "median us/batch", "ratio to skdeep f32", "test R^2"],
    )
    print(load.note())


def lbfgs_case(args):
    """Full-batch L-BFGS on digits (1797 x 64), one hidden layer of 64, float64 like sklearn."""
    X, y = load_digits(return_X_y=True)
    X = X / 16.0
    X_train, y_train, X_test, y_test = X[:1400], y[:1400], X[1400:], y[1400:]
    params = {"hidden_layer_sizes": (64,), "solver": "lbfgs", "max_iter": 200, "random_state": 0}
    kept = {"skdeep f64": [], "MLPClassifier f64": []}
    contenders = {}
    for name, cls in (("skdeep f64", DeepMLPClassifier), ("MLPClassifier f64", MLPClassifier)):
        def measure(cls=cls, store=kept[name]):
            seconds, model = common.timed(cls(**params).fit, X_train, y_train)
            store.append(model)
            return seconds
        contenders[name] = measure
    with common.ForeignLoad() as load:
        times = common.run_rounds(contenders, args.rounds)
    rows = []
    for name, values in times.items():
        model = kept[name][-1]
        rows.append({
            "contender": name, "median s/fit": f"{np.median(values):.3f}",
            "ratio to skdeep f64": f"{common.ratio_median(times, name, 'skdeep f64'):.2f}",
            "iterations": model.n_iter_, "final loss": f"{model.loss_:.5f}",
            "test accuracy": f"{model.score(X_test, y_test):.4f}",
        })
    common.print_table(
        f"L-BFGS on digits (1400 rows, 64-64-10 relu, max_iter=200), {args.rounds} rounds", rows,
        ["contender", "median s/fit", "ratio to skdeep f64", "iterations", "final loss",
         "test accuracy"],
    )
    print(load.note())


def _torch_predict_timer(torch, model, X):
    data = torch.from_numpy(X)

    def measure():
        with torch.no_grad():
            return common.timed(lambda: torch.softmax(model(data), dim=1))[0]

    return measure


def predict_case(args, torch, kept):
    """Rows per second of ``predict_proba`` on 10,000 rows with the headline models."""
    X, _ = common.load_mnist_sample(return_X_y=True)
    contenders = {}
    for name, models in kept.items():
        if "fused" in name:  # the same network as "PyTorch": predicting does not involve Adam
            continue
        model = models[-1]
        if name.endswith("f64"):
            data = X.astype(np.float64)
        else:
            data = X
        if hasattr(model, "predict_proba"):
            contenders[name] = lambda model=model, data=data: common.timed(model.predict_proba, data)[0]
        else:
            contenders[name] = _torch_predict_timer(torch, model, X)
    with common.ForeignLoad() as load:
        times = common.run_rounds(contenders, max(args.rounds, 5))
    rows = [{
        "contender": name, "median s per 10k rows": f"{np.median(values):.4f}",
        "rows/s": f"{X.shape[0] / np.median(values):,.0f}",
        "ratio to skdeep f32": f"{common.ratio_median(times, name, 'skdeep f32'):.2f}",
    } for name, values in times.items()]
    common.print_table("predict_proba throughput, 784-500-500-10 on 10,000 rows", rows,
                       ["contender", "median s per 10k rows", "rows/s", "ratio to skdeep f32"])
    print(load.note())


def memory_case(args):
    """Peak memory NumPy allocates (tracemalloc) during one fit of the headline network."""
    X, y, _, _ = common.mnist_split(args.n_train)
    rows = []
    for name, make, data in (
        ("skdeep f32", lambda: _sklearn_like(DeepMLPClassifier, (500, 500), 1, args.batch_size), X),
        ("MLPClassifier f32", lambda: _sklearn_like(MLPClassifier, (500, 500), 1, args.batch_size), X),
        ("MLPClassifier f64", lambda: _sklearn_like(MLPClassifier, (500, 500), 1, args.batch_size),
         X.astype(np.float64)),
    ):
        model = make()
        tracemalloc.start()
        model.fit(data, y)
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        rows.append({"contender": name, "peak traced MB during fit": f"{peak / 2**20:.1f}",
                     "training data MB": f"{data.nbytes / 2**20:.1f}"})
    common.print_table("Peak memory of one epoch (tracemalloc: arrays allocated during fit)", rows,
                       ["contender", "peak traced MB during fit", "training data MB"])


def main():
    args = common.benchmark_parser(
        __doc__.splitlines()[0], CASES, threads=2, epochs=5).parse_args()
    limiter, torch = common.start(args)  # noqa: F841 (the limit lasts while the limiter lives)

    headline_models = None
    if "headline" in args.cases or "predict" in args.cases:
        _, headline_models = classifier_case(
            args, torch, "Headline: MNIST 784-500-500-10 relu adam float32", (500, 500),
            solver="adam", activation="relu",
        )
    if "batchnorm-dropout" in args.cases:
        batch_norm_dropout_case(args, torch)
    if "deep-sigmoid-sgd" in args.cases:
        classifier_case(
            args, torch, "Deep sigmoid: 784-256x4-10 logistic, SGD + Nesterov momentum 0.9",
            (256, 256, 256, 256), solver="sgd", activation="logistic",
            extra={"learning_rate_init": 0.1, "momentum": 0.9},
        )
    if "small-ccpp" in args.cases:
        small_network_case(args, torch)
    if "lbfgs" in args.cases:
        lbfgs_case(args)
    if "predict" in args.cases:
        predict_case(args, torch, headline_models)
    if "memory" in args.cases:
        memory_case(args)


if __name__ == "__main__":
    main()

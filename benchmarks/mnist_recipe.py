"""The best small-data MNIST recipe in a fixed time budget: which one, and its test error.

Every candidate recipe gets the same wall-clock budget for its whole fit (two minutes by
default) on 8,000 of the shipped MNIST digits and is scored on the other 2,000. A recipe whose
schedule needs to know its number of epochs (``learning_rate='cosine'``) first times two epochs
(a fit of its own, counted in the budget) and takes as many epochs as the rest of the budget
holds; a hook stops any fit that would still overrun it.

The recipe is chosen honestly: ``--select`` scores every candidate on a validation part of the
first split's training digits (the test digits are never looked at), and the chosen one is then
measured on the test digits of ``--splits`` different stratified splits. Run it on a quiet
machine: the budget is wall-clock time, so anything else running costs epochs.

    python benchmarks/mnist_recipe.py --select              # choose on validation digits
    python benchmarks/mnist_recipe.py --recipe NAME --splits 3
"""

import argparse
import time
import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import StratifiedShuffleSplit

from skdeep import DeepMLPClassifier
from skdeep.datasets import load_mnist_sample

# Each recipe: the estimator's parameters, and whether its schedule needs its epoch count.
RECIPES = {
    "relu-dropout-sgd": dict(
        hidden_layer_sizes=(1024, 1024), activation="relu", weight_init="he_uniform",
        input_dropout=0.2, dropout=0.5, max_norm=3.0, solver="sgd", momentum=0.95,
        nesterovs_momentum=True, learning_rate_init=0.05, learning_rate="cosine", alpha=0.0,
    ),
    "maxout-dropout-sgd": dict(
        hidden_layer_sizes=(512, 512), activation="maxout", maxout_pieces=2,
        weight_init="glorot_uniform", input_dropout=0.2, dropout=0.5, max_norm=3.0,
        solver="sgd", momentum=0.95, nesterovs_momentum=True, learning_rate_init=0.05,
        learning_rate="cosine", alpha=0.0,
    ),
    "relu-batchnorm-adam": dict(
        hidden_layer_sizes=(1024, 1024), activation="relu", weight_init="he_uniform",
        batch_norm=True, input_dropout=0.2, dropout=0.3, solver="adam",
        learning_rate_init=1e-3, learning_rate="cosine", alpha=1e-4,
    ),
    "relu-dropout-adam": dict(
        hidden_layer_sizes=(800, 800), activation="relu", weight_init="he_uniform",
        input_dropout=0.2, dropout=0.5, solver="adam", learning_rate_init=1e-3,
        learning_rate="cosine", alpha=1e-4,
    ),
    "denoising-pretrained": dict(
        hidden_layer_sizes=(800, 800), activation="relu", weight_init="he_uniform",
        pretraining="denoising", pretraining_max_iter=5, dropout=0.3, solver="adam",
        learning_rate_init=1e-3, learning_rate="cosine", alpha=1e-4,
    ),
}


def stop_at(deadline):
    """An ``on_epoch_end`` hook that stops the fit once the next epoch would pass ``deadline``."""
    def hook(estimator, record):
        return time.perf_counter() + record["seconds"] > deadline
    return hook


def fit_within(params, X, y, budget, random_state):
    """Fit the recipe ``params`` within ``budget`` seconds; return the model, epochs and time."""
    started = time.perf_counter()
    deadline = started + budget
    common = dict(batch_size=128, tol=0.0, random_state=random_state, early_stopping=False)
    trial = DeepMLPClassifier(**{**params, **common, "max_iter": 2, "learning_rate": "constant"})
    if params.get("pretraining"):
        # The trial times fine-tuning epochs: pretraining runs once, in the real fit.
        trial.set_params(pretraining=None)
    with warnings.catch_warnings():
        # Two epochs are a stopwatch, not a fit: their convergence is no news.
        warnings.simplefilter("ignore", ConvergenceWarning)
        trial.fit(X, y)
    epoch_seconds = float(np.median([record["seconds"] for record in trial.history_]))
    pretraining_seconds = 0.0
    if params.get("pretraining"):
        # Pretraining epochs cost about as much as fine-tuning ones, per layer's autoencoder.
        n_layers = len(params["hidden_layer_sizes"])
        pretraining_seconds = params["pretraining_max_iter"] * n_layers * epoch_seconds
    remaining = deadline - time.perf_counter() - pretraining_seconds
    max_iter = max(1, int(remaining / epoch_seconds))
    model = DeepMLPClassifier(
        **params, **common, max_iter=max_iter, on_epoch_end=stop_at(deadline)
    )
    model.fit(X, y)
    return model, model.n_iter_, time.perf_counter() - started


def splits(X, y, n_splits, test_size=2000):
    """``n_splits`` stratified train/test splits of the sample (the same for every recipe)."""
    splitter = StratifiedShuffleSplit(n_splits=n_splits, test_size=test_size, random_state=0)
    return list(splitter.split(X, y))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--budget", type=float, default=120.0, help="seconds per fit")
    parser.add_argument("--select", action="store_true",
                        help="score every recipe on validation digits of the first split")
    parser.add_argument("--recipe", choices=sorted(RECIPES), help="the recipe to measure")
    parser.add_argument("--splits", type=int, default=3, help="test splits to measure")
    args = parser.parse_args()
    X, y = load_mnist_sample(return_X_y=True)
    X = X.astype(np.float32)
    if args.select:
        train, _ = splits(X, y, 1)[0]
        fit_rows, val_rows = splits(X[train], y[train], 1, test_size=1600)[0]
        X_fit, y_fit = X[train][fit_rows], y[train][fit_rows]
        X_val, y_val = X[train][val_rows], y[train][val_rows]
        print(f"{'recipe':<24} {'epochs':>6} {'seconds':>8} {'validation error':>17}")
        for name, params in RECIPES.items():
            model, epochs, seconds = fit_within(params, X_fit, y_fit, args.budget, 0)
            error = 1.0 - model.score(X_val, y_val)
            print(f"{name:<24} {epochs:>6} {seconds:>8.1f} {error:>17.4f}", flush=True)
        return
    if args.recipe is None:
        parser.error("give --select or --recipe NAME")
    errors = []
    print(f"{'split':>5} {'epochs':>6} {'seconds':>8} {'test error':>11}")
    for index, (train, test) in enumerate(splits(X, y, args.splits)):
        model, epochs, seconds = fit_within(
            RECIPES[args.recipe], X[train], y[train], args.budget, index
        )
        errors.append(1.0 - model.score(X[test], y[test]))
        print(f"{index:>5} {epochs:>6} {seconds:>8.1f} {errors[-1]:>11.4f}", flush=True)
    print(f"{args.recipe}: test error {np.mean(errors):.4f} +- {np.std(errors):.4f} "
          f"over {args.splits} splits, {args.budget:.0f} s per fit")


if __name__ == "__main__":
    main()

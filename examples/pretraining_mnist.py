"""
=====================================================================
Greedy layer-wise pretraining of a deep sigmoid network on real MNIST
=====================================================================

The lectures' claim: a deep sigmoid network (three hidden layers of 500 units) fine-tuned after
greedy layer-wise pretraining reaches a lower test error than the same network trained from a
random initialisation with the same fine-tuning budget. This script measures all four settings
of ``pretraining`` on the 10,000 real MNIST digits shipped with skdeep, over several random
train/test splits, and prints the mean and spread of the test error of each.

Run: ``python examples/pretraining_mnist.py [--splits 3] [--epochs 10] [--train-size 5000]``
"""

import argparse
import time
import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split

from skdeep import DeepMLPClassifier
from skdeep.datasets import load_mnist_sample

SETTINGS = [None, "autoencoder", "denoising", "supervised"]


def fit_and_score(pretraining, X_train, X_test, y_train, y_test, epochs, seed):
    clf = DeepMLPClassifier(
        hidden_layer_sizes=(500, 500, 500),
        activation="logistic",
        solver="sgd",
        learning_rate_init=0.05,
        momentum=0.9,
        batch_size=100,
        max_iter=epochs,
        pretraining=pretraining,
        pretraining_max_iter=epochs,
        random_state=seed,
    )
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.fit(X_train, y_train)
    return 1.0 - clf.score(X_test, y_test), time.perf_counter() - start


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[1])
    parser.add_argument("--splits", type=int, default=3, help="random train/test splits")
    parser.add_argument("--epochs", type=int, default=10,
                        help="fine-tuning epochs (and pretraining epochs per layer)")
    parser.add_argument("--train-size", type=int, default=5000)
    args = parser.parse_args(argv)
    X, y = load_mnist_sample(return_X_y=True)
    errors = {setting: [] for setting in SETTINGS}
    seconds = {setting: [] for setting in SETTINGS}
    for split in range(args.splits):
        X_train, X_test, y_train, y_test = train_test_split(
            X, y, train_size=args.train_size, random_state=split, stratify=y
        )
        for setting in SETTINGS:
            error, elapsed = fit_and_score(setting, X_train, X_test, y_train, y_test,
                                           args.epochs, seed=split)
            errors[setting].append(error)
            seconds[setting].append(elapsed)
            print(f"split {split}  pretraining={setting!s:<12} test error {error:.4f}  "
                  f"({elapsed:.0f} s)", flush=True)
    print(f"\n3x500 logistic MLP, SGD+momentum, {args.epochs} fine-tuning epochs, "
          f"{args.train_size} training digits, {args.splits} splits")
    print(f"{'pretraining':<14}{'mean test error':>16}{'min':>8}{'max':>8}{'fit s':>8}")
    for setting in SETTINGS:
        e = np.array(errors[setting])
        print(f"{setting!s:<14}{e.mean():>16.4f}{e.min():>8.4f}{e.max():>8.4f}"
              f"{np.median(seconds[setting]):>8.0f}")


if __name__ == "__main__":
    main()

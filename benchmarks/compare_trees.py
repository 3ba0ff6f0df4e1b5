"""Epoch time of two or more skdeep builds, interleaved in one process (before/after a change).

Usage (from the repository root). A variant is a package directory: since the kernels are
compiled, a tree from this version on must be a *built* one, installed into a folder of its own
(trees from before the kernels, commit b0ef27e and older, are pure Python and run from the
checkout's ``skdeep/``):

    git worktree add /tmp/skdeep-before <commit-before-the-change>
    pip install --no-deps --target /tmp/skdeep-before-built /tmp/skdeep-before
    pip install --no-deps --target /tmp/skdeep-after-built .
    python benchmarks/compare_trees.py before=/tmp/skdeep-before-built/skdeep \
        after=/tmp/skdeep-after-built/skdeep

Each variant is ``name=path/to/skdeep`` (the package directory), optionally followed by
``@module.ATTRIBUTE=value`` overrides applied after import (e.g.
``after=/tmp/skdeep-after-built/skdeep@layers.SOME_CONSTANT=0``). Every tree is copied under its own
package name, so all of them run in the same process, round after round, on the headline task
(MNIST 784-500-500-10, relu, adam, batch 128, float32) unless ``--params`` changes it;
``--estimator DenoisingAutoencoderTransformer`` (or any other skdeep estimator) times that one
instead, with the same fixed-epoch settings where it takes them. ``--data ccpp`` trains on the
power-plant regression data instead (8,568 rows of 4 standardised features), where a small
network makes the per-batch Python overhead the whole cost:

    python benchmarks/compare_trees.py before=/tmp/skdeep-before-built/skdeep \
        after=/tmp/skdeep-after-built/skdeep --data ccpp --estimator DeepMLPRegressor \
        --params "{'hidden_layer_sizes': (64, 64), 'batch_size': 32}"
"""

import argparse
import ast
import importlib
import os
import shutil
import sys
import tempfile
import warnings

import common
import numpy as np
from sklearn.exceptions import ConvergenceWarning
from threadpoolctl import threadpool_limits


def load_variant(spec, directory):
    """Import the tree of ``name=path[@module.attr=value...]`` as package ``skdeep_<name>``."""
    name, _, rest = spec.partition("=")
    path, *overrides = rest.split("@")
    package = f"skdeep_{name}"
    shutil.copytree(path, os.path.join(directory, package),
                    ignore=shutil.ignore_patterns("__pycache__"))
    module = importlib.import_module(package)
    for override in overrides:
        target, _, value = override.partition("=")
        module_name, _, attribute = target.rpartition(".")
        setattr(importlib.import_module(f"{package}.{module_name}"), attribute,
                ast.literal_eval(value))
    return name, module


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("variants", nargs="+", help="name=path/to/skdeep[@module.attr=value]")
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--n-train", type=int, default=8000)
    parser.add_argument("--params", default="{}",
                        help="extra estimator parameters, as a Python dict literal")
    parser.add_argument("--estimator", default="DeepMLPClassifier",
                        help="the skdeep estimator to time (default: DeepMLPClassifier)")
    parser.add_argument("--data", choices=["mnist", "ccpp"], default="mnist",
                        help="MNIST (the first --n-train rows) or all of CCPP (default: mnist)")
    args = parser.parse_args()

    warnings.filterwarnings("ignore", category=ConvergenceWarning)
    limiter = threadpool_limits(args.threads)  # noqa: F841 (the limit lasts while it lives)
    directory = tempfile.mkdtemp()
    sys.path.insert(0, directory)
    try:
        variants = dict(load_variant(spec, directory) for spec in args.variants)
        X, y, X_test, y_test = (
            common.mnist_split(args.n_train) if args.data == "mnist" else common.ccpp_split()
        )
        params = {"hidden_layer_sizes": (500, 500), **common.fixed_epochs(args.epochs)}
        first_module = next(iter(variants.values()))
        accepted = getattr(first_module, args.estimator)().get_params()
        params = {name: value for name, value in params.items() if name in accepted}
        params.update(ast.literal_eval(args.params))
        accuracy = {}

        def timer(name, module):
            def measure():
                estimator = getattr(module, args.estimator)(**params)
                seconds, model = common.timed(estimator.fit, X, y)
                accuracy[name] = model.score(X_test, y_test)
                return seconds / args.epochs
            return measure

        with common.ForeignLoad() as load:
            times = common.run_rounds(
                {name: timer(name, module) for name, module in variants.items()}, args.rounds
            )
        first = next(iter(variants))
        rows = [{
            "variant": name, "median s/epoch": f"{np.median(values):.4f}",
            "min": f"{values.min():.4f}",
            f"ratio to {first}": f"{common.ratio_median(times, name, first):.3f}",
            "test score": f"{accuracy[name]:.4f}",
        } for name, values in times.items()]
        common.print_table(
            f"{args.data}: {X.shape[0]} rows, {args.epochs} epochs per fit, {args.rounds} rounds, "
            f"{args.threads} thread(s), params {params}",
            rows, ["variant", "median s/epoch", "min", f"ratio to {first}", "test score"],
        )
        print(load.note())
    finally:
        shutil.rmtree(directory)


if __name__ == "__main__":
    main()

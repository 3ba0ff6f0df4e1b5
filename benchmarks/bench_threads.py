"""Epoch time under every split of threads between BLAS and the kernels, interleaved in one process.

Usage (from the repository root, with skdeep installed or on PYTHONPATH):

    python benchmarks/bench_threads.py                              # headline and a 5.6M net
    OMP_WAIT_POLICY=PASSIVE python benchmarks/bench_threads.py      # OpenMP threads sleep at once

NumPy's OpenBLAS runs its own thread pool and skdeep's kernels run OpenMP's, so at two threads
the two pools take turns on the cores. Each configuration limits them separately
(``threadpool_limits(n, user_api="blas")`` and ``user_api="openmp"``) and fits the same network
for a fixed number of epochs; rounds interleave the configurations. Which passes of a network
run in parallel at all depends on the threshold compiled into the kernels
(``skdeep._kernels._openmp.parallel_min_items``), printed with the results.
"""

import argparse
import warnings

import common
import numpy as np
from sklearn.exceptions import ConvergenceWarning
from threadpoolctl import threadpool_limits

from skdeep import DeepMLPClassifier
from skdeep._kernels import _openmp

NETWORKS = {
    "headline": ((500, 500), 128),
    "wide": ((2000, 2000), 128),
    "large-batch": ((500, 500), 1024),
}
SPLITS = ((2, 2), (2, 1), (1, 2), (1, 1))


def fit_under(split, hidden, batch_size, X, y, epochs):
    """A contender: one fixed-epoch fit with BLAS and the kernels each limited to their threads."""
    blas_threads, kernel_threads = split

    def measure():
        with threadpool_limits(blas_threads, user_api="blas"), \
                threadpool_limits(kernel_threads, user_api="openmp"):
            model = DeepMLPClassifier(
                hidden_layer_sizes=hidden, **common.fixed_epochs(epochs, batch_size)
            )
            seconds, _ = common.timed(model.fit, X, y)
        return seconds / epochs

    return measure


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--networks", nargs="+", choices=NETWORKS, default=["headline", "wide"])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--n-train", type=int, default=4000)
    args = parser.parse_args()

    warnings.filterwarnings("ignore", category=ConvergenceWarning)
    print(common.machine_notes(2))
    print(f"kernels: parallel from {_openmp.parallel_min_items:,} items, "
          f"built with OpenMP: {_openmp.built_with_openmp()}")
    X, y, _, _ = common.mnist_split(args.n_train)
    for network in args.networks:
        hidden, batch_size = NETWORKS[network]
        contenders = {
            f"BLAS {blas} / kernels {kernels}": fit_under(
                (blas, kernels), hidden, batch_size, X, y, args.epochs)
            for blas, kernels in SPLITS
        }
        with common.ForeignLoad() as load:
            times = common.run_rounds(contenders, args.rounds)
        reference = "BLAS 2 / kernels 1"
        rows = [{
            "threads": name, "median s/epoch": f"{np.median(values):.4f}",
            f"ratio to {reference}": f"{common.ratio_median(times, name, reference):.2f}",
        } for name, values in times.items()]
        sizes = "-".join(str(size) for size in (X.shape[1], *hidden, 10))
        common.print_table(
            f"{network}: {sizes} relu adam float32, batch {batch_size}, {X.shape[0]} rows, "
            f"{args.epochs} epochs per fit, {args.rounds} rounds",
            rows, ["threads", "median s/epoch", f"ratio to {reference}"],
        )
        print(load.note())


if __name__ == "__main__":
    main()

"""Measure skdeep on a Dask cluster and print the figures.

(a) GridSearchCV on the dask joblib backend against the same search run sequentially: the
    cross-validation scores must be identical; wall and CPU times are printed.
(b) HalvingRandomSearchCV over ``max_iter`` (epochs) against RandomizedSearchCV at the full
    number of epochs: once with the same total number of epochs (so fewer candidates) and once
    over the same candidates; best CV score, held-out accuracy, wall and CPU time of each.
(c) Streaming: ``dask_ml.wrappers.Incremental`` over a dask array whose chunks the workers
    read from a .npy file on disk, and a local loop of ``partial_fit`` over an ``np.memmap`` of
    that file, against an in-memory fit with the same number of epochs, on the 10,000 MNIST
    digits shipped with skdeep.

The workers run one BLAS thread each (the nanny sets ``OMP_NUM_THREADS=1`` and friends), so the
runs in this process are also limited to one BLAS thread unless a line says otherwise: like is
compared with like, and the fits are bit-identical. The local cluster's workers run without
Dask's default ``MALLOC_TRIM_THRESHOLD_`` (as docs/scaling.md recommends for skdeep); (a) also
times a cluster with it. CPU seconds (this process plus the workers)
are the cost of a run whatever else the machine is doing; on a shared machine wall seconds also
count the time other programs held the cores, so the load average is printed too.

Run from the root of a clone, with the ``distributed`` extra installed::

    python benchmarks/bench_dask.py                      # a LocalCluster of 2 worker processes
    python benchmarks/bench_dask.py --workers 4 --parts ab
    python benchmarks/bench_dask.py --scheduler tcp://scheduler:8786   # an existing cluster

With ``--scheduler`` the workers must be able to import skdeep and, for (c), read this
machine's temporary directory (a shared filesystem).
"""

import argparse
import os
import tempfile
import time
import warnings
from pathlib import Path

import dask
import joblib
import numpy as np
from dask_ml.wrappers import Incremental
from distributed import Client, LocalCluster
from sklearn.base import clone
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.experimental import enable_halving_search_cv  # noqa: F401
from sklearn.model_selection import (
    GridSearchCV,
    HalvingRandomSearchCV,
    RandomizedSearchCV,
    train_test_split,
)
from threadpoolctl import threadpool_limits

from skdeep import DeepMLPClassifier, DenoisingAutoencoderTransformer
from skdeep.datasets import load_mnist_sample
from skdeep.streaming import dask_array_from_npy


class Clock:
    """Call a function; return its result, the wall seconds and the CPU seconds it took.

    CPU seconds are those of this process (which, for a LocalCluster, also runs the scheduler)
    plus those of every worker process.
    """

    def __init__(self, client):
        self.client = client

    def cpu(self):
        return time.process_time() + sum(self.client.run(time.process_time).values())

    def __call__(self, function, *args, **kwargs):
        wall, cpu = time.perf_counter(), self.cpu()
        result = function(*args, **kwargs)
        return result, time.perf_counter() - wall, self.cpu() - cpu


def fit_on_dask(estimator, X, y=None, client=None):
    # The fits run on the workers; what runs here (the refit of the best candidate) is limited
    # to one BLAS thread like them: with a LocalCluster this process shares the workers' cores.
    with joblib.parallel_backend("dask", client=client), threadpool_limits(limits=1):
        return estimator.fit(X, y)


def local_cluster(n_workers, malloc_trim):
    """A LocalCluster of single-threaded worker processes on the loopback interface.

    Dask's nanny starts workers with ``MALLOC_TRIM_THRESHOLD_=65536``, which makes glibc hand
    every freed block above 64 KiB back to the OS at once; a training loop that allocates its
    batch-sized temporaries afresh then pays page faults on every one of them. With
    ``malloc_trim=False`` the variable is left unset (docs/scaling.md).
    """
    settings = {} if malloc_trim else {
        "distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": None
    }
    with dask.config.set(settings), warnings.catch_warnings():
        # Without a dashboard the scheduler still serves health checks over HTTP, moving off
        # port 8787 (with a warning) when another cluster holds it.
        warnings.filterwarnings("ignore", "Port 8787 is already in use")
        return LocalCluster(
            n_workers=n_workers, threads_per_worker=1, processes=True, host="127.0.0.1",
            dashboard_address=None,
        )


def fit_with_one_blas_thread(estimator, X, y=None):
    with threadpool_limits(limits=1):
        return estimator.fit(X, y)


def digits_split():
    X, y = load_digits(return_X_y=True)
    return train_test_split(X / 16, y, stratify=y, random_state=0)


def row(label, wall, cpu, width=44):
    return f"    {label:{width}s} {wall:7.1f} s wall {cpu:7.1f} s cpu"


# ---------------------------------------------------------------------------------- (a)
def grid_search(clock, n_workers, compare_malloc_trim):
    X_train, _, y_train, _ = digits_split()
    search = GridSearchCV(
        DeepMLPClassifier(hidden_layer_sizes=(256, 256), max_iter=20, random_state=0),
        {
            "weight_init": ["glorot_uniform", "he_normal"],
            "batch_norm": [False, True],
            "dropout": [0.0, 0.3],
            "solver": ["adam", "rmsprop"],
        },
        cv=3,
    )
    sequential, wall_1, cpu_1 = clock(fit_with_one_blas_thread, clone(search), X_train, y_train)
    threaded, wall_n, cpu_n = clock(clone(search).fit, X_train, y_train)
    on_dask, wall_d, cpu_d = clock(fit_on_dask, clone(search), X_train, y_train)
    if compare_malloc_trim:
        # Dask's default worker environment, on a second cluster of the same size.
        with local_cluster(n_workers, malloc_trim=True) as cluster, Client(
            cluster, set_as_default=False
        ) as client:
            _, wall_t, cpu_t = Clock(client)(
                fit_on_dask, clone(search), X_train, y_train, client=client
            )

    def identical(a, b):
        keys = ["mean_test_score", *(f"split{k}_test_score" for k in range(3))]
        scores = all(np.array_equal(a.cv_results_[key], b.cv_results_[key]) for key in keys)
        return scores and a.best_params_ == b.best_params_

    n_fits = len(on_dask.cv_results_["params"]) * 3
    print(f"\n(a) GridSearchCV of DeepMLPClassifier(256, 256), 20 epochs: {n_fits} fits + refit"
          " on digits")
    print(row("sequential, 1 BLAS thread", wall_1, cpu_1))
    print(row("sequential, default BLAS threads", wall_n, cpu_n))
    print(row(f"dask backend, {n_workers} workers x 1 thread", wall_d, cpu_d)
          + f"   wall speed-up x{wall_1 / wall_d:.2f} over 1 BLAS thread")
    if compare_malloc_trim:
        print(row("  same, Dask's MALLOC_TRIM_THRESHOLD_=65536", wall_t, cpu_t))
    print(f"    dask == sequential with 1 BLAS thread (every split score, best_params_):"
          f" {identical(on_dask, sequential)}")
    print(f"    dask == sequential with default BLAS threads: {identical(on_dask, threaded)}")
    print(f"    best: {on_dask.best_params_}  cv accuracy {on_dask.best_score_:.4f}")


# ---------------------------------------------------------------------------------- (b)
SPACE = {
    "hidden_layer_sizes": [(64, 64), (128, 128), (128, 128, 128)],
    "learning_rate_init": [3e-4, 1e-3, 3e-3],
    "solver": ["adam", "rmsprop", "sgd"],
    "dropout": [0.0, 0.2, 0.4],
    "batch_norm": [False, True],
    "pretraining": [None, "autoencoder", "denoising"],
}
MAX_EPOCHS = 81


def adaptive_search(clock, seeds):
    X_train, X_test, y_train, y_test = digits_split()
    # Every fit runs exactly max_iter epochs (no stopping on a training-loss plateau), so that
    # epochs measure the cost of each search.
    base = DeepMLPClassifier(n_iter_no_change="inf", pretraining_max_iter=2, random_state=0)
    full = clone(base).set_params(max_iter=MAX_EPOCHS)
    # 27 candidates for 3 epochs, the best 9 for 9, 3 for 27, 1 for 81: per fold
    # 27*3 + 9*9 + 3*27 + 1*81 = 324 epochs, the budget of 4 candidates at 81 epochs.
    searches = {
        "HalvingRandomSearchCV, 27 candidates": lambda seed: HalvingRandomSearchCV(
            base, SPACE, resource="max_iter", min_resources=3, max_resources=MAX_EPOCHS,
            factor=3, n_candidates=27, cv=3, random_state=seed,
        ),
        "RandomizedSearchCV, 4 candidates (same epochs)": lambda seed: RandomizedSearchCV(
            full, SPACE, n_iter=4, cv=3, random_state=seed
        ),
        "RandomizedSearchCV, 8 candidates": lambda seed: RandomizedSearchCV(
            full, SPACE, n_iter=8, cv=3, random_state=seed
        ),
        "RandomizedSearchCV, the same 27 candidates": lambda seed: RandomizedSearchCV(
            full, SPACE, n_iter=27, cv=3, random_state=seed
        ),
    }
    n_settings = np.prod([len(values) for values in SPACE.values()])
    print(f"\n(b) Searching {n_settings} settings (architecture, rate, solver, dropout, batch norm,"
          f" pretraining) on digits, up to {MAX_EPOCHS} epochs, 3-fold CV, dask backend;"
          f" mean over seeds {', '.join(map(str, seeds))}")
    print(f"    {'search':48s} {'cv acc.':>8s} {'test acc.':>9s} {'wall s':>7s} {'cpu s':>7s}")
    for name, make in searches.items():
        results = []
        for seed in seeds:
            search, wall, cpu = clock(fit_on_dask, make(seed), X_train, y_train)
            results.append(
                (search.best_score_, search.best_estimator_.score(X_test, y_test), wall, cpu)
            )
        cv, test, wall, cpu = np.mean(results, axis=0)
        print(f"    {name:48s} {cv:8.4f} {test:9.4f} {wall:7.1f} {cpu:7.1f}")
        for seed, (cv, test, wall, cpu) in zip(seeds, results):
            print(f"      seed {seed}: {'':37s} {cv:8.4f} {test:9.4f} {wall:7.1f} {cpu:7.1f}")


# ---------------------------------------------------------------------------------- (c)
def stream_blocks(estimator, X, y, epochs, **kwargs):
    streamed = Incremental(estimator, random_state=0)
    for _ in range(epochs):
        streamed.partial_fit(X, y, **kwargs)
    return streamed.estimator_


def stream_memmap(estimator, X_path, y_path, rows, epochs, **kwargs):
    # One machine, no cluster: the arrays stay on disk and the OS pages one chunk at a time in.
    X = np.load(X_path, mmap_mode="r")
    y = None if y_path is None else np.load(y_path, mmap_mode="r")
    with threadpool_limits(limits=1):
        for _ in range(epochs):
            for start in range(0, X.shape[0], rows):
                chunk = slice(start, start + rows)
                estimator.partial_fit(X[chunk], None if y is None else y[chunk], **kwargs)
    return estimator


def streaming(clock, directory, epochs, rows):
    X, y = load_mnist_sample(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=2000, stratify=y, random_state=0
    )
    X_path, y_path = directory / "X.npy", directory / "y.npy"
    np.save(X_path, X_train)
    np.save(y_path, y_train)
    X_disk, y_disk = dask_array_from_npy(X_path, rows), dask_array_from_npy(y_path, rows)

    models = {
        "DeepMLPClassifier(256, 128): test accuracy": (
            DeepMLPClassifier(hidden_layer_sizes=(256, 128), random_state=0),
            {"classes": np.unique(y_train)},
            lambda model: model.score(X_test, y_test),
            True,
        ),
        "DenoisingAutoencoderTransformer(128): test reconstruction loss": (
            DenoisingAutoencoderTransformer(n_components=128, random_state=0),
            {},
            lambda model: -model.score(X_test),
            False,
        ),
    }
    print(f"\n(c) Streaming {X_train.shape[0]} MNIST digits in chunks of {rows} rows,"
          f" {epochs} epochs, tested on {X_test.shape[0]}")
    for name, (estimator, kwargs, measure, supervised) in models.items():
        runs = {
            "in-memory fit": lambda: fit_with_one_blas_thread(
                clone(estimator).set_params(max_iter=epochs),
                X_train, y_train if supervised else None,
            ),
            "Incremental, chunks read from disk": lambda: stream_blocks(
                clone(estimator), X_disk, y_disk if supervised else None, epochs, **kwargs
            ),
            "partial_fit over np.memmap, no cluster": lambda: stream_memmap(
                clone(estimator), X_path, y_path if supervised else None, rows, epochs,
                **kwargs,
            ),
        }
        print(f"    {name}")
        for label, run in runs.items():
            model, wall, cpu = clock(run)
            print(f"{row('  ' + label, wall, cpu)}   {measure(model):9.4f}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=2, help="LocalCluster worker processes")
    parser.add_argument("--scheduler", help="address of a running scheduler: tcp://host:8786")
    parser.add_argument("--seeds", type=int, default=3, help="repetitions of (b)")
    parser.add_argument("--epochs", type=int, default=10, help="epochs of (c)")
    parser.add_argument("--rows", type=int, default=1000, help="rows per chunk in (c)")
    parser.add_argument("--parts", default="abc", help="which measurements to run, e.g. 'ac'")
    args = parser.parse_args()

    if args.scheduler:
        cluster = None
        client = Client(args.scheduler)
    else:
        cluster = local_cluster(args.workers, malloc_trim=False)
        client = Client(cluster)
    n_workers = len(client.nthreads())
    threads = sorted(set(client.nthreads().values()))
    trim = sorted(set(client.run(lambda: os.environ.get("MALLOC_TRIM_THRESHOLD_")).values()))
    print(f"skdeep on dask: {n_workers} workers x {threads} threads, MALLOC_TRIM_THRESHOLD_"
          f" {trim}; scheduler {client.scheduler.address}; load average"
          f" {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    clock = Clock(client)
    try:
        # scikit-learn hands these filters on to the tasks it sends to the workers.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            if "a" in args.parts:
                grid_search(clock, n_workers, compare_malloc_trim=cluster is not None)
            if "b" in args.parts:
                adaptive_search(clock, list(range(args.seeds)))
            if "c" in args.parts:
                with tempfile.TemporaryDirectory() as directory:
                    streaming(clock, Path(directory), args.epochs, args.rows)
    finally:
        print(f"\nload average at the end {os.getloadavg()[0]:.1f}")
        client.close()
        if cluster is not None:
            cluster.close()


if __name__ == "__main__":
    main()

"""Fit on a ~1.5 GB float32 np.memmap and report how much anonymous memory the fit adds.

Usage (from the repository root):

    python benchmarks/bench_memmap.py                     # 1.5 GB file in /tmp, deleted after
    python benchmarks/bench_memmap.py --gigabytes 0.2 --hidden 100

The file holds MNIST-10k rows tiled with a little noise. Pages of a memory map that the fit reads
count as file-backed resident memory (RssFile), which the kernel can drop at any time; a copy of
X would show up as anonymous memory (RssAnon). A background thread samples RssAnon from
/proc/self/status every few milliseconds, so the peak includes short-lived arrays. Early stopping
is off (a validation split would gather its rows into memory, by design). Linux only.
"""

import argparse
import os
import tempfile
import threading
import time
import warnings

import common
import numpy as np
from sklearn.exceptions import ConvergenceWarning
from threadpoolctl import threadpool_limits

from skdeep import DeepMLPClassifier


def memory_status():
    """The process's RssAnon, RssFile and VmHWM in MB (from /proc/self/status)."""
    values = {}
    with open("/proc/self/status") as status:
        for line in status:
            key, _, rest = line.partition(":")
            if key in ("RssAnon", "RssFile", "VmHWM"):
                values[key] = int(rest.split()[0]) / 1024
    return values


class PeakSampler(threading.Thread):
    """Samples the process's memory every ``interval`` seconds until stopped; keeps the peaks."""

    def __init__(self, interval=0.005):
        super().__init__(daemon=True)
        self.interval = interval
        self.peak = memory_status()
        self._stop_event = threading.Event()

    def run(self):
        while not self._stop_event.is_set():
            for key, value in memory_status().items():
                self.peak[key] = max(self.peak[key], value)
            time.sleep(self.interval)

    def stop(self):
        self._stop_event.set()
        self.join()


def write_memmap(path, n_rows, chunk_rows=20000):
    """Write ``n_rows`` noisy MNIST rows to a float32 memmap at ``path``; return labels."""
    X, y = common.load_mnist_sample(return_X_y=True)
    rng = np.random.default_rng(0)
    out = np.memmap(path, dtype=np.float32, mode="w+", shape=(n_rows, X.shape[1]))
    labels = np.empty(n_rows, dtype=np.int64)
    for start in range(0, n_rows, chunk_rows):
        stop = min(start + chunk_rows, n_rows)
        rows = rng.integers(0, X.shape[0], size=stop - start)
        chunk = X[rows] + rng.uniform(0.0, 0.05, size=(stop - start, X.shape[1])).astype(np.float32)
        out[start:stop] = chunk
        labels[start:stop] = y[rows]
    out.flush()
    del out
    return labels


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--gigabytes", type=float, default=1.5)
    parser.add_argument("--hidden", type=int, nargs="+", default=[500, 500])
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--directory", default=tempfile.gettempdir())
    args = parser.parse_args()

    warnings.filterwarnings("ignore", category=ConvergenceWarning)
    # threadpoolctl directly: importing PyTorch here would only add to the baseline memory.
    limiter = threadpool_limits(args.threads)  # noqa: F841 (the limit lasts while it lives)
    n_rows = int(args.gigabytes * 2**30 / (784 * 4))
    handle, path = tempfile.mkstemp(suffix=".f32", dir=args.directory)
    os.close(handle)
    try:
        print(f"writing {n_rows} x 784 float32 ({n_rows * 784 * 4 / 2**30:.2f} GiB) to {path}")
        y = write_memmap(path, n_rows)
        X = np.memmap(path, dtype=np.float32, mode="r", shape=(n_rows, 784))
        clf = DeepMLPClassifier(
            hidden_layer_sizes=tuple(args.hidden), batch_size=args.batch_size,
            max_iter=args.epochs, early_stopping=False, random_state=0,
        )
        before = memory_status()
        sampler = PeakSampler()
        sampler.start()
        seconds, _ = common.timed(clf.fit, X, y)
        sampler.stop()
        after = memory_status()
        rows = [
            {"quantity": "X on disk", "MB": f"{X.nbytes / 2**20:.0f}"},
            {"quantity": "RssAnon before fit", "MB": f"{before['RssAnon']:.0f}"},
            {"quantity": "RssAnon peak during fit", "MB": f"{sampler.peak['RssAnon']:.0f}"},
            {"quantity": "extra anonymous memory (peak - before)",
             "MB": f"{sampler.peak['RssAnon'] - before['RssAnon']:.0f}"},
            {"quantity": "RssAnon after fit", "MB": f"{after['RssAnon']:.0f}"},
            {"quantity": "RssFile peak (mapped pages of X, reclaimable)",
             "MB": f"{sampler.peak['RssFile']:.0f}"},
        ]
        common.print_table(
            f"Fit on a {X.nbytes / 2**30:.2f} GiB memmap: 784-{'-'.join(map(str, args.hidden))}-10, "
            f"{args.epochs} epoch(s), batch {args.batch_size}, {seconds:.1f} s, "
            f"training accuracy of the last 10k rows {clf.score(X[-10000:], y[-10000:]):.4f}",
            rows, ["quantity", "MB"],
        )
    finally:
        os.remove(path)


if __name__ == "__main__":
    main()

"""Helpers shared by the benchmark scripts: threads, data, timing rounds, the GEMM bound, PyTorch.

Nothing here is part of skdeep. PyTorch is optional: ``torch_or_none`` returns None (and the
scripts print a note and skip the PyTorch rows) when it is not installed.
"""

import argparse
import itertools
import os
import platform
import resource
import time
import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from threadpoolctl import threadpool_info, threadpool_limits

from skdeep.datasets import load_mnist_sample


def set_threads(n_threads):
    """Use ``n_threads`` in every BLAS / OpenMP pool NumPy and PyTorch load, for the whole run.

    Returns the threadpoolctl limiter, which must stay referenced for the limit to hold.
    """
    torch = torch_or_none()
    if torch is not None:
        torch.set_num_threads(n_threads)
    return threadpool_limits(n_threads)


def benchmark_parser(description, cases, *, threads, epochs):
    """The command line every timing script shares: cases, threads, rounds, epochs, data size."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--cases", nargs="+", choices=cases, default=list(cases))
    parser.add_argument("--threads", type=int, default=threads)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--epochs", type=int, default=epochs, help="(fine-tuning) epochs per fit")
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--n-train", type=int, default=8000,
                        help="training rows of MNIST-10k; the rest are the test rows")
    parser.add_argument("--no-torch", action="store_true")
    return parser


def start(args):
    """Set the thread count, print where the figures come from; return ``(limiter, torch)``.

    The limiter must stay referenced for the limit to hold; ``torch`` is None without PyTorch.
    """
    warnings.filterwarnings("ignore", category=ConvergenceWarning)
    limiter = set_threads(args.threads)
    torch = None if args.no_torch else torch_or_none()
    print(machine_notes(args.threads))
    if torch is None:
        print("note: PyTorch not available (pip install torch to add its rows); skipping them.")
    return limiter, torch


def torch_or_none():
    try:
        import torch
    except ImportError:
        return None
    return torch


def machine_notes(n_threads):
    """One paragraph describing where the figures come from."""
    blas = sorted({f"{pool['internal_api']} {pool['version']}" for pool in threadpool_info()})
    torch = torch_or_none()
    lines = [
        (
            f"python {platform.python_version()}, numpy {np.__version__}, "
            f"{os.cpu_count()} logical CPUs, threads used: {n_threads}"
        ),
        f"thread pools: {', '.join(blas)}",
        f"torch: {torch.__version__ if torch is not None else 'not installed'}",
        f"load average at start: {' '.join(f'{x:.2f}' for x in os.getloadavg())}",
    ]
    return "\n".join(lines)


class ForeignLoad:
    """Measures how much CPU other processes took while a block of code ran (Linux only).

    Benchmarks on a shared machine are only as good as the machine is quiet: this reads the
    machine's busy time from /proc/stat and subtracts this process's own CPU time.
    """

    def __enter__(self):
        self._start = self._sample()
        return self

    def __exit__(self, *exc):
        wall, busy, own = (end - start for end, start in zip(self._sample(), self._start))
        self.share = max(0.0, busy - own) / (wall * os.cpu_count()) if wall > 0 else 0.0
        return False

    @staticmethod
    def _sample():
        try:
            with open("/proc/stat") as stat:
                fields = [int(value) for value in stat.readline().split()[1:]]
        except OSError:
            return time.perf_counter(), 0.0, 0.0
        ticks = os.sysconf("SC_CLK_TCK")
        idle = fields[3] + fields[4]
        usage = resource.getrusage(resource.RUSAGE_SELF)
        return time.perf_counter(), (sum(fields[:8]) - idle) / ticks, usage.ru_utime + usage.ru_stime

    def note(self):
        return (f"other processes used {100 * self.share:.0f}% of the machine's CPU time during "
                "this case" + (" (figures unreliable)" if self.share > 0.1 else ""))


def mnist_split(n_train=8000):
    """MNIST-10k as float32: the first ``n_train`` rows for training, the rest held out."""
    X, y = load_mnist_sample(return_X_y=True)
    return X[:n_train], y[:n_train], X[n_train:], y[n_train:]


def ccpp_split():
    """CCPP with its features and target standardised on the training part, as float32.

    The power-plant regression data (4 features, 8,568 training rows): with a small network, the
    per-batch overhead of a training loop, not its arithmetic, is what an epoch costs.
    """
    from skdeep.datasets import load_ccpp

    data = load_ccpp()
    mean, std = data.data.mean(axis=0), data.data.std(axis=0)
    centre, spread = data.target.mean(), data.target.std()
    return tuple(array.astype(np.float32) for array in (
        (data.data - mean) / std, (data.target - centre) / spread,
        (data.data_test - mean) / std, (data.target_test - centre) / spread,
    ))


def run_rounds(contenders, n_rounds):
    """Time every contender once per round, round after round, and return the times by name.

    Interleaving means a slow spell of a shared machine hits every contender of a round alike,
    so the per-round ratios are steadier than ratios of separately measured medians.
    ``contenders`` maps a name to a callable returning seconds (per epoch, per call, ...).
    """
    times = {name: [] for name in contenders}
    for _ in range(n_rounds):
        for name, measure in contenders.items():
            times[name].append(measure())
    return {name: np.array(values) for name, values in times.items()}


def ratio_median(times, numerator, denominator):
    """Median over rounds of the ratio of two contenders' times in the same round."""
    return float(np.median(times[numerator] / times[denominator]))


def print_table(title, rows, columns):
    """Print a fixed-width table: ``rows`` is a list of dicts keyed by ``columns``."""
    widths = [max(len(column), *(len(str(row.get(column, ""))) for row in rows)) for column in columns]
    print(f"\n## {title}")
    print("  ".join(column.ljust(width) for column, width in zip(columns, widths)))
    for row in rows:
        print("  ".join(str(row.get(column, "")).ljust(width) for column, width in zip(columns, widths)))


def timed(function, *args, **kwargs):
    """Return ``(seconds, result)`` of one call."""
    start = time.perf_counter()
    result = function(*args, **kwargs)
    return time.perf_counter() - start, result


def fixed_epochs(epochs, batch_size=128):
    """Estimator parameters under which every fit runs exactly ``epochs`` epochs.

    ``tol=0`` and a huge ``n_iter_no_change`` switch off the convergence test, so that wall time
    divided by ``epochs`` is the cost of an epoch.
    """
    return {"max_iter": epochs, "batch_size": batch_size, "tol": 0.0, "n_iter_no_change": 10**9,
            "random_state": 0}


def fit_timer(make, X, y, epochs, keep):
    """A contender for :func:`run_rounds`: fits ``make()``, keeps the model, returns s/epoch."""

    def measure():
        seconds, model = timed(make().fit, X, y)
        keep.append(model)
        return seconds / epochs

    return measure


def gemm_bound_epoch(X, sizes, batch_size, torch=None):
    """Seconds for the matrix products one epoch of back-propagation cannot avoid, in float32.

    Per batch: the forward product of each layer, and in the backward pass ``A.T @ delta`` for
    every weight matrix and ``delta @ W.T`` for every layer but the first. Every output is
    preallocated and batches are contiguous slices (no gathering), so nothing but BLAS is timed.
    With ``torch`` the same products run through ``torch.matmul`` (PyTorch's BLAS, MKL in the
    CPU wheels) instead of ``np.matmul`` (NumPy's OpenBLAS).
    """
    rng = np.random.default_rng(0)
    weights = [
        (rng.standard_normal((n_in, n_out)) * 0.05).astype(np.float32)
        for n_in, n_out in itertools.pairwise(sizes)
    ]
    if torch is None:
        matmul, empty = np.matmul, (lambda *shape: np.empty(shape, np.float32))
    else:
        X, weights = torch.from_numpy(X), [torch.from_numpy(w) for w in weights]
        matmul, empty = torch.matmul, (lambda *shape: torch.empty(shape, dtype=torch.float32))
    grads = [empty(*w.shape) for w in weights]
    buffers = {}
    start = time.perf_counter()
    for first in range(0, X.shape[0], batch_size):
        batch = X[first : first + batch_size]
        n = batch.shape[0]
        if n not in buffers:
            buffers[n] = (
                [empty(n, n_out) for n_out in sizes[1:]],
                [empty(n, n_in) for n_in in sizes[1:-1]],
            )
        outputs, deltas = buffers[n]
        inputs = [batch, *outputs[:-1]]
        for A, W, out in zip(inputs, weights, outputs):
            matmul(A, W, out=out)
        delta = outputs[-1]
        for layer in range(len(weights) - 1, -1, -1):
            matmul(inputs[layer].T, delta, out=grads[layer])
            if layer > 0:
                matmul(delta, weights[layer].T, out=deltas[layer - 1])
                delta = deltas[layer - 1]
    return time.perf_counter() - start


def torch_mlp(torch, n_in, hidden, n_out, activation="relu", batch_norm=False, dropout=0.0):
    """The PyTorch twin of an skdeep network: Linear -> [BatchNorm1d] -> act -> [Dropout]."""
    nn = torch.nn
    layers, width = [], n_in
    for units in hidden:
        layers.append(nn.Linear(width, units))
        if batch_norm:
            layers.append(nn.BatchNorm1d(units, momentum=0.1))
        layers.append(nn.ReLU() if activation == "relu" else nn.Sigmoid())
        if dropout:
            layers.append(nn.Dropout(dropout))
        width = units
    layers.append(nn.Linear(width, n_out))
    return nn.Sequential(*layers)


def torch_fit(torch, X, y, hidden, *, epochs, batch_size, solver="adam", learning_rate=1e-3,
              alpha=1e-4, momentum=0.9, activation="relu", batch_norm=False, dropout=0.0,
              seed=0, fused=False, regression=False):
    """Train like MLPClassifier does (same L2 scaling: alpha / batch on the weights) in PyTorch.

    Returns the trained model. Building the model is inside the call, as initialisation is
    inside ``fit`` for the NumPy libraries. ``fused=True`` uses PyTorch's fused (compiled,
    one-kernel) Adam instead of its default CPU implementation. ``regression=True`` trains one
    linear output on the float ``y`` with MLPRegressor's loss, half the mean squared error.
    """
    torch.manual_seed(seed)
    X_t = torch.from_numpy(X)
    y_t = torch.from_numpy(y.reshape(-1, 1) if regression else y)
    n_outputs = 1 if regression else int(y.max()) + 1
    model = torch_mlp(torch, X.shape[1], hidden, n_outputs, activation, batch_norm, dropout)
    weights = [p for name, p in model.named_parameters() if name.endswith("weight") and p.ndim == 2]
    others = [p for name, p in model.named_parameters() if not (name.endswith("weight") and p.ndim == 2)]
    groups = [{"params": weights, "weight_decay": alpha / batch_size}, {"params": others, "weight_decay": 0.0}]
    if solver == "adam":
        optimiser = torch.optim.Adam(groups, lr=learning_rate, eps=1e-8,
                                     **({"fused": True} if fused else {}))
    else:
        optimiser = torch.optim.SGD(groups, lr=learning_rate, momentum=momentum, nesterov=True)
    if regression:
        def loss_function(scores, targets):
            return 0.5 * torch.nn.functional.mse_loss(scores, targets)
    else:
        loss_function = torch.nn.CrossEntropyLoss()
    model.train()
    n = X.shape[0]
    for _ in range(epochs):
        order = torch.randperm(n)
        for first in range(0, n, batch_size):
            rows = order[first : first + batch_size]
            optimiser.zero_grad(set_to_none=True)
            loss = loss_function(model(X_t[rows]), y_t[rows])
            loss.backward()
            optimiser.step()
    model.eval()
    return model


def torch_accuracy(torch, model, X, y):
    with torch.no_grad():
        return float((model(torch.from_numpy(X)).argmax(1).numpy() == y).mean())


def torch_autoencoder_fit(torch, X, n_components, *, epochs, batch_size, noise_level=0.3,
                          learning_rate=1e-3, alpha=1e-4, seed=0):
    """The PyTorch twin of ``DenoisingAutoencoderTransformer``'s defaults.

    Tied weights, relu code, masking noise on the input batch only, the mean over the batch of
    the summed sigmoid cross-entropy against the clean batch, Adam with scikit-learn's L2
    scaling (``alpha / batch_size`` on the weight matrix only). Returns ``(weight, encoder_bias,
    decoder_bias)``.
    """
    functional = torch.nn.functional
    torch.manual_seed(seed)
    X_t = torch.from_numpy(X)
    encoder = torch.nn.Linear(X.shape[1], n_components)
    decoder_bias = torch.nn.Parameter(torch.zeros(X.shape[1]))
    optimiser = torch.optim.Adam(
        [{"params": [encoder.weight], "weight_decay": alpha / batch_size},
         {"params": [encoder.bias, decoder_bias], "weight_decay": 0.0}],
        lr=learning_rate, eps=1e-8,
    )
    n = X.shape[0]
    for _ in range(epochs):
        order = torch.randperm(n)
        for first in range(0, n, batch_size):
            clean = X_t[order[first : first + batch_size]]
            noisy = clean * (torch.rand_like(clean) >= noise_level)
            scores = functional.linear(torch.relu(encoder(noisy)), encoder.weight.t(), decoder_bias)
            loss = functional.binary_cross_entropy_with_logits(scores, clean, reduction="sum")
            optimiser.zero_grad(set_to_none=True)
            (loss / clean.shape[0]).backward()
            optimiser.step()
    return encoder.weight.detach(), encoder.bias.detach(), decoder_bias.detach()


def torch_reconstruction_loss(torch, parameters, X):
    """Mean summed sigmoid cross-entropy of clean ``X`` (the negative of skdeep's ``score``)."""
    weight, encoder_bias, decoder_bias = parameters
    functional = torch.nn.functional
    with torch.no_grad():
        clean = torch.from_numpy(X)
        codes = torch.relu(functional.linear(clean, weight, encoder_bias))
        scores = functional.linear(codes, weight.t(), decoder_bias)
        loss = functional.binary_cross_entropy_with_logits(scores, clean, reduction="sum")
    return float(loss) / X.shape[0]

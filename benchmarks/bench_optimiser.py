"""What one optimiser update costs on the headline's 648,010 float32 parameters, and why.

Usage (from the repository root):

    python benchmarks/bench_optimiser.py --threads 1

Four tables:

1. every skdeep optimiser, one update of the flat vector through the training loop's step
   (``_training.penalised_step``), without and with the L2 term fused into the kernel's pass;
2. Adam + L2 before and after the kernels: the NumPy passes the optimiser and the penalty used
   to make (written out below, blocked as they were) against the kernel on 1 and 2 threads, and
   how far apart their parameters are after ten updates from the same state;
3. PyTorch's ``Adam.step`` on the same parameters (its default CPU implementation, and
   ``fused=True``), when PyTorch is installed;
4. the cost of each kind of NumPy pass on one 64k-entry block held in cache, and the floor that
   their number puts under the NumPy Adam of table 2 (what a one-pass kernel removes).

Medians of ``--rounds`` rounds of ``--repeats`` updates; nothing is asserted.
"""

import argparse
import math
import time
from types import SimpleNamespace

import common
import numpy as np
from threadpoolctl import threadpool_limits

from skdeep._training import penalised_step
from skdeep.optimisers import Adam, make_optimiser
from skdeep.penalties import make_penalty

N_PARAMS = 784 * 500 + 500 * 500 + 500 * 10 + 500 + 500 + 10  # the headline network
N_WEIGHTS = 784 * 500 + 500 * 500 + 500 * 10
ALPHA, SCALE = 1e-4, 1.0 / 128  # the L2 term of a batch of 128, as the mini-batch loop adds it
SOLVERS = ("sgd", "adam", "amsgrad", "adamax", "nadam", "adagrad", "rmsprop", "adadelta")
# The NumPy Adam's blocks: 2**18 bytes of each array, which kept a block in a core's L2 cache.
NUMPY_BLOCK = (1 << 18) // 4
# Its passes over each block, and the L2 term's over each block of the weights.
ADAM_PASSES = ("multiply", "add", "square", "multiply", "add", "sqrt", "add", "divide",
               "multiply", "add")
L2_PASSES = ("dot", "multiply", "add")


def _flat(params, grads, n_weights):
    """What ``penalised_step`` reads of a network: its flat vectors and the weights' length."""
    return SimpleNamespace(params=params, grads=grads, n_weights=n_weights)


def _headline_vectors(rng):
    params = (rng.standard_normal(N_PARAMS) * 0.05).astype(np.float32)
    grads = (rng.standard_normal(N_PARAMS) * 0.01).astype(np.float32)
    return params, grads


def median_seconds(function, rounds, repeats):
    function()
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        for _ in range(repeats):
            function()
        times.append((time.perf_counter() - start) / repeats)
    return float(np.median(times))


class NumpyAdam:
    """Adam + the L2 term as skdeep ran them before the kernels: NumPy passes, block by block.

    Per block of the weights the penalty's passes (``dot``, ``multiply``, ``add`` into the
    gradient), then Adam's on the stored sums ``M = m / (1 - beta_1)``, ``V = v / (1 - beta_2)``
    with the coefficients of ``skdeep.optimisers.Adam``. The "before" figure of table 2.
    """

    def __init__(self, learning_rate=1e-3, beta_1=0.9, beta_2=0.999, epsilon=1e-8):
        self.coefficients_of = Adam(learning_rate, beta_1, beta_2, epsilon)
        self.m = self.v = None

    def step(self, params, grads, n_weights, factor):
        """One update; return the L2 term's value."""
        if self.m is None:
            self.m, self.v = np.zeros_like(params), np.zeros_like(params)
            self.work = np.empty(NUMPY_BLOCK, dtype=params.dtype)
        self.coefficients_of._t += 1
        beta_1, beta_2, step, epsilon = self.coefficients_of._coefficients()
        value = 0.0
        for start in range(0, params.shape[0], NUMPY_BLOCK):
            stop = min(start + NUMPY_BLOCK, params.shape[0])
            p, g, m, v = (a[start:stop] for a in (params, grads, self.m, self.v))
            work = self.work[: stop - start]
            end = min(stop, n_weights) - start
            if end > 0:
                value += 0.5 * factor * float(np.dot(p[:end], p[:end]))
                np.multiply(p[:end], factor, out=work[:end])
                g[:end] += work[:end]
            m *= beta_1
            m += g
            np.square(g, out=work)
            v *= beta_2
            v += work
            np.sqrt(v, out=work)
            work += epsilon
            np.divide(m, work, out=work)
            work *= step
            p -= work
        return value


def update_costs(args, rng):
    params, grads = _headline_vectors(rng)
    rows = []
    for name in SOLVERS:
        row = {"optimiser": name}
        for alpha, label in ((0.0, "no L2"), (ALPHA, "L2 fused")):
            optimiser = make_optimiser(name, 1e-3)
            flat = _flat(params.copy(), grads, N_WEIGHTS)
            penalty = make_penalty(alpha)
            seconds = median_seconds(lambda: penalised_step(flat, penalty, optimiser, SCALE),
                                     args.rounds, args.repeats)
            row[f"{label} ms"] = f"{1000 * seconds:.3f}"
        rows.append(row)
    common.print_table(
        f"One update of {N_PARAMS:,} float32 parameters, one kernel pass ({args.threads} "
        "thread(s))", rows, ["optimiser", "no L2 ms", "L2 fused ms"])


def before_and_after(args, rng):
    """Adam + L2: the NumPy passes against the kernel on one and on two threads."""
    start, grads = _headline_vectors(rng)
    penalty, factor = make_penalty(ALPHA), ALPHA * SCALE
    # The NumPy penalty adds into the gradient it is given, as it did: repeated updates add the
    # L2 term again and again, which changes the figures no more than any other gradient would.
    numpy_params, numpy_grads, numpy_adam = start.copy(), grads.copy(), NumpyAdam()
    kernel_flat, kernel_adam = _flat(start.copy(), grads, N_WEIGHTS), Adam()

    def numpy_step():
        numpy_adam.step(numpy_params, numpy_grads, N_WEIGHTS, factor)

    def kernel_step():
        penalised_step(kernel_flat, penalty, kernel_adam, SCALE)

    def on_threads(n_threads, function):
        def measure():
            with threadpool_limits(limits=n_threads):
                return median_seconds(function, 1, args.repeats)
        return measure

    times = common.run_rounds({
        "NumPy passes (before)": on_threads(1, numpy_step),
        "kernel, 1 thread": on_threads(1, kernel_step),
        "kernel, 2 threads": on_threads(2, kernel_step),
    }, args.rounds)

    # Agreement: ten updates of each from the same state and gradients.
    check_numpy, check_adam = start.copy(), NumpyAdam()
    check_kernel, check_optimiser = _flat(start.copy(), grads, N_WEIGHTS), Adam()
    for step in range(10):
        gradient = (grads * (1.0 + 0.1 * step)).astype(np.float32)
        check_adam.step(check_numpy, gradient.copy(), N_WEIGHTS, factor)
        check_kernel.grads = gradient
        penalised_step(check_kernel, penalty, check_optimiser, SCALE)
    difference = float(np.max(np.abs(check_numpy - check_kernel.params)))

    common.print_table(
        f"Adam + L2 on {N_PARAMS:,} float32 parameters, before and after the kernels "
        f"(max |p difference| after 10 updates: {difference:.1e})", [
            {"update": name, "median ms": f"{1000 * np.median(values):.3f}",
             "ratio to the NumPy passes":
                 f"{common.ratio_median(times, name, 'NumPy passes (before)'):.2f}"}
            for name, values in times.items()],
        ["update", "median ms", "ratio to the NumPy passes"])


def torch_costs(args, torch):
    rows = []
    for label, options in (("default", {}), ("fused=True", {"fused": True})):
        torch.manual_seed(0)
        weights = torch.nn.Parameter(torch.randn(N_WEIGHTS) * 0.05)
        biases = torch.nn.Parameter(torch.zeros(N_PARAMS - N_WEIGHTS))
        weights.grad, biases.grad = torch.randn(N_WEIGHTS) * 0.01, torch.randn(biases.shape[0])
        try:
            optimiser = torch.optim.Adam(
                [{"params": [weights], "weight_decay": ALPHA * SCALE},
                 {"params": [biases], "weight_decay": 0.0}], lr=1e-3, **options)
            seconds = median_seconds(optimiser.step, args.rounds, args.repeats)
        except (RuntimeError, TypeError) as error:  # fused Adam missing from this build
            rows.append({"PyTorch Adam.step": label, "ms": f"unavailable ({error})"})
            continue
        rows.append({"PyTorch Adam.step": label, "ms": f"{1000 * seconds:.3f}"})
    common.print_table(
        f"PyTorch's Adam on the same parameters (L2 on the weights, {args.threads} thread(s))",
        rows, ["PyTorch Adam.step", "ms"])


def pass_costs(args, rng):
    x = np.abs(rng.standard_normal(NUMPY_BLOCK)).astype(np.float32) + 0.1
    y = rng.standard_normal(NUMPY_BLOCK).astype(np.float32)
    out = np.empty_like(x)
    passes = {
        "multiply": lambda: np.multiply(x, 0.9, out=out),
        "add": lambda: np.add(out, y, out=out),
        "square": lambda: np.square(y, out=out),
        "sqrt": lambda: np.sqrt(x, out=out),
        "divide": lambda: np.divide(y, x, out=out),
        "dot": lambda: np.dot(x, x),
    }
    costs = {name: median_seconds(function, args.rounds, 20 * args.repeats)
             for name, function in passes.items()}
    common.print_table(
        f"One NumPy pass over a block of {NUMPY_BLOCK:,} float32 entries, in cache",
        [{"pass": name, "us": f"{1e6 * seconds:.2f}"} for name, seconds in costs.items()],
        ["pass", "us"],
    )
    n_blocks = math.ceil(N_PARAMS / NUMPY_BLOCK)
    n_weight_blocks = math.ceil(N_WEIGHTS / NUMPY_BLOCK)
    adam = n_blocks * sum(costs[name] for name in ADAM_PASSES)
    l2 = n_weight_blocks * sum(costs[name] for name in L2_PASSES)
    common.print_table(
        f"Floor of the NumPy Adam + L2: {len(ADAM_PASSES)} passes per block (+{len(L2_PASSES)} "
        f"for L2) x {n_blocks} blocks, each in cache (a kernel makes one pass in all)",
        [{"": "passes in cache only", "ms": f"{1000 * (adam + l2):.3f}"}], ["", "ms"])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--repeats", type=int, default=50)
    parser.add_argument("--no-torch", action="store_true")
    args = parser.parse_args()
    limiter, torch = common.start(args)  # noqa: F841 (the limit lasts while the limiter lives)
    rng = np.random.default_rng(0)
    with common.ForeignLoad() as load:
        update_costs(args, rng)
        before_and_after(args, rng)
        if torch is not None:
            torch_costs(args, torch)
        pass_costs(args, rng)
    print(load.note())


if __name__ == "__main__":
    main()

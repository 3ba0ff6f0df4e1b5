"""What one optimiser update costs on the headline's 648,010 float32 parameters, and why.

Usage (from the repository root):

    python benchmarks/bench_optimiser.py --threads 1

Three tables:

1. every skdeep optimiser, one update of the flat vector, without and with the L2 term as
   weight decay, blocked (the default sweep) and unblocked (one pass over the whole vector at a
   time), next to PyTorch's ``Adam.step`` on the same parameters (its default CPU
   implementation, and ``fused=True``);
2. the cost of each kind of NumPy pass on one 64k-entry block held in cache: an update is a
   fixed number of these per block, which is where the floor of a NumPy optimiser comes from;
3. that floor for Adam: its passes times their cost times the number of blocks, against the
   measured update.

Medians of ``--rounds`` rounds of ``--repeats`` updates; nothing is asserted.
"""

import argparse
import time
from concurrent.futures import ThreadPoolExecutor
from types import SimpleNamespace

import common
import numpy as np

from skdeep import optimisers
from skdeep._training import penalised_step
from skdeep.optimisers import make_optimiser
from skdeep.penalties import make_penalty

N_PARAMS = 784 * 500 + 500 * 500 + 500 * 10 + 500 + 500 + 10  # the headline network
N_WEIGHTS = 784 * 500 + 500 * 500 + 500 * 10
ALPHA, SCALE = 1e-4, 1.0 / 128  # the L2 term of a batch of 128, as the mini-batch loop adds it
SOLVERS = ("sgd", "adam", "amsgrad", "adamax", "nadam", "adagrad", "rmsprop", "adadelta")
# Adam's passes over each block (see Adam._step) and the L2 term's (see penalties.L2).
ADAM_PASSES = ("multiply", "add", "square", "multiply", "add", "sqrt", "add", "divide",
               "multiply", "add")
L2_PASSES = ("dot", "multiply", "add")


def _flat(params, grads, n_weights):
    """What ``penalised_step`` reads of a network: its flat vectors and the weights' length."""
    return SimpleNamespace(params=params, grads=grads, n_weights=n_weights)


def median_seconds(function, rounds, repeats):
    function()
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        for _ in range(repeats):
            function()
        times.append((time.perf_counter() - start) / repeats)
    return float(np.median(times))


def update_costs(args, rng):
    params = (rng.standard_normal(N_PARAMS) * 0.05).astype(np.float32)
    grads = (rng.standard_normal(N_PARAMS) * 0.01).astype(np.float32)
    rows = []
    for name in SOLVERS:
        row = {"optimiser": name}
        for block_bytes, blocking in ((optimisers.BLOCK_BYTES, "blocked"), (1 << 40, "unblocked")):
            saved, optimisers.BLOCK_BYTES = optimisers.BLOCK_BYTES, block_bytes
            try:
                for alpha, label in ((0.0, "no L2"), (ALPHA, "L2")):
                    optimiser = make_optimiser(name, 1e-3)
                    flat = _flat(params, grads, N_WEIGHTS)
                    seconds = median_seconds(
                        lambda: penalised_step(flat, make_penalty(alpha), optimiser, SCALE),
                        args.rounds, args.repeats)
                    row[f"{blocking}, {label} ms"] = f"{1000 * seconds:.3f}"
            finally:
                optimisers.BLOCK_BYTES = saved
        rows.append(row)
    columns = ["optimiser"] + [f"{b}, {label} ms" for b in ("blocked", "unblocked")
                               for label in ("no L2", "L2")]
    common.print_table(f"One update of {N_PARAMS:,} float32 parameters", rows, columns)
    return {row["optimiser"]: row for row in rows}


def two_thread_costs(args, rng):
    """Adam + L2 in one sweep, against the two halves of the vector on two Python threads.

    NumPy releases the GIL inside each pass, so the halves run in parallel when the machine
    has a second core to give; Adam is element-wise, so each half keeps its own state.
    """
    params = (rng.standard_normal(N_PARAMS) * 0.05).astype(np.float32)
    grads = (rng.standard_normal(N_PARAMS) * 0.01).astype(np.float32)
    half = (N_PARAMS // 2) // 1024 * 1024
    whole, first, second = (make_optimiser("adam", 1e-3) for _ in range(3))
    penalty = make_penalty(ALPHA)
    everything = _flat(params, grads, N_WEIGHTS)
    front = _flat(params[:half], grads[:half], half)
    back = _flat(params[half:], grads[half:], N_WEIGHTS - half)

    def one_thread():
        penalised_step(everything, penalty, whole, SCALE)

    with ThreadPoolExecutor(1) as worker:
        def two_threads():
            pending = worker.submit(penalised_step, back, penalty, second, SCALE)
            penalised_step(front, penalty, first, SCALE)
            pending.result()

        times = common.run_rounds(
            {"one thread": lambda: median_seconds(one_thread, 1, args.repeats),
             "two threads": lambda: median_seconds(two_threads, 1, args.repeats)},
            args.rounds)
    common.print_table(
        "Adam + L2, one sweep vs two halves on two Python threads", [
            {"sweep": name, "median ms": f"{1000 * np.median(values):.3f}",
             "ratio to one thread": f"{common.ratio_median(times, name, 'one thread'):.2f}"}
            for name, values in times.items()],
        ["sweep", "median ms", "ratio to one thread"])


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
    common.print_table("PyTorch's Adam on the same parameters (L2 on the weights)", rows,
                       ["PyTorch Adam.step", "ms"])


def pass_costs(args, rng):
    block = optimisers.BLOCK_BYTES // 4
    x = np.abs(rng.standard_normal(block)).astype(np.float32) + 0.1
    y = rng.standard_normal(block).astype(np.float32)
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
        f"One NumPy pass over a block of {block:,} float32 entries, in cache",
        [{"pass": name, "us": f"{1e6 * seconds:.2f}"} for name, seconds in costs.items()],
        ["pass", "us"],
    )
    return costs, block


def adam_floor(costs, block, measured):
    n_blocks = -(-N_PARAMS // block)
    n_decayed_blocks = -(-N_WEIGHTS // block)
    adam = n_blocks * sum(costs[name] for name in ADAM_PASSES)
    l2 = n_decayed_blocks * sum(costs[name] for name in L2_PASSES)
    rows = [
        {"": "Adam, passes in cache only", "ms": f"{1000 * adam:.3f}",
         "measured ms": measured["adam"]["blocked, no L2 ms"]},
        {"": "Adam + L2, passes in cache only", "ms": f"{1000 * (adam + l2):.3f}",
         "measured ms": measured["adam"]["blocked, L2 ms"]},
    ]
    common.print_table(
        f"Floor of a NumPy Adam: {len(ADAM_PASSES)} passes per block (+{len(L2_PASSES)} for "
        f"L2) x {n_blocks} blocks; the rest of the measured time is the first read of each block "
        "from memory",
        rows, ["", "ms", "measured ms"],
    )


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
        measured = update_costs(args, rng)
        if torch is not None:
            torch_costs(args, torch)
        two_thread_costs(args, rng)
        costs, block = pass_costs(args, rng)
        adam_floor(costs, block, measured)
    print(load.note())


if __name__ == "__main__":
    main()

"""Where an epoch goes: wall time of every step of skdeep's mini-batch loop, layer by layer.

Usage (from the repository root):

    python benchmarks/profile_epoch.py                          # headline network, 1 thread
    python benchmarks/profile_epoch.py --hidden 256 256 256 256 --activation logistic --solver sgd
    python benchmarks/profile_epoch.py --batch-norm --dropout 0.2

It replays what ``fit_minibatch`` does for one batch (gather, forward, loss, backward, the
penalty fused into the optimiser's one-pass step) with a timer around each step, over
MNIST-10k, and prints the epoch with the smallest total (the least disturbed by other processes)
of ``--epochs`` timed epochs.
"""

import argparse
import time

import common
import numpy as np
from threadpoolctl import threadpool_limits

from skdeep._training import penalised_step
from skdeep.losses import SoftmaxCrossEntropy
from skdeep.network import build_mlp
from skdeep.optimisers import SGD, Adam
from skdeep.penalties import make_penalty


def profile_epoch(network, loss, penalty, optimiser, X, Y, batch_size, rng):
    """Return {step: seconds} for one shuffled epoch."""
    spent = {}
    order = rng.permutation(X.shape[0])

    def lap(step, since):
        now = time.perf_counter()
        spent[step] = spent.get(step, 0.0) + now - since
        return now

    for start in range(0, X.shape[0], batch_size):
        clock = time.perf_counter()
        # In memory the loop gathers the shuffled rows as they come (scikit-learn's order).
        rows = order[start : start + batch_size]
        X_batch, Y_batch = X[rows], Y[rows]
        clock = lap("gather batch", clock)
        outputs = X_batch
        for position, layer in enumerate(network.layers):
            outputs = layer.forward(outputs, True, rng)
            clock = lap(f"forward  {position} {type(layer).__name__}", clock)
        _, delta = loss.value_and_gradient(outputs, Y_batch)
        clock = lap("loss", clock)
        for position in range(len(network.layers) - 1, -1, -1):
            layer = network.layers[position]
            delta = layer.backward(delta)
            clock = lap(f"backward {position} {type(layer).__name__}", clock)
            if delta is None:
                break
        # As in train_batch: the penalty's gradient is added inside the optimiser's kernel.
        penalised_step(network, penalty, optimiser, 1.0 / rows.shape[0])
        lap(f"optimiser ({type(optimiser).__name__}) + L2 penalty", clock)
    return spent


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hidden", type=int, nargs="+", default=[500, 500])
    parser.add_argument("--activation", default="relu")
    parser.add_argument("--solver", choices=["adam", "sgd"], default="adam")
    parser.add_argument("--batch-norm", action="store_true")
    parser.add_argument("--dropout", type=float, default=0.0)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--epochs", type=int, default=7)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()

    limiter = threadpool_limits(args.threads)  # noqa: F841 (the limit lasts while it lives)
    X, y = common.load_mnist_sample(return_X_y=True)
    Y = np.eye(10, dtype=np.float32)[y]
    rng = np.random.default_rng(0)
    network = build_mlp(
        X.shape[1], args.hidden, 10, args.activation, batch_norm=args.batch_norm,
        dropout=[args.dropout] * len(args.hidden), dtype=np.float32,
    )
    network.reset_parameters("auto", rng)
    optimiser = Adam() if args.solver == "adam" else SGD(learning_rate=0.1, momentum=0.9)
    loss, penalty = SoftmaxCrossEntropy(), make_penalty(alpha=1e-4)
    profile_epoch(network, loss, penalty, optimiser, X, Y, args.batch_size, rng)  # warm up
    with common.ForeignLoad() as load:
        epochs = [
            profile_epoch(network, loss, penalty, optimiser, X, Y, args.batch_size, rng)
            for _ in range(args.epochs)
        ]
    best = min(epochs, key=lambda spent: sum(spent.values()))
    total = sum(best.values())
    rows = [{"step": step, "ms/epoch": f"{1000 * seconds:.1f}", "share": f"{seconds / total:.1%}"}
            for step, seconds in best.items()]
    rows.append({"step": "total", "ms/epoch": f"{1000 * total:.1f}", "share": "100%"})
    common.print_table(
        f"784-{'-'.join(map(str, args.hidden))}-10 {args.activation} {args.solver}, "
        f"batch norm {args.batch_norm}, dropout {args.dropout}: {X.shape[0]} rows, "
        f"batch {args.batch_size}, {args.threads} thread(s), best of {args.epochs} epochs",
        rows, ["step", "ms/epoch", "share"],
    )
    print(load.note())


if __name__ == "__main__":
    main()

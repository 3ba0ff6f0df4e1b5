"""Cost of autoencoders and greedy layer-wise pretraining, all in one process.

Usage (from the repository root, with skdeep installed or on PYTHONPATH):

    python benchmarks/bench_autoencoder.py --threads 1 --rounds 5 --epochs 3
    python benchmarks/bench_autoencoder.py --cases pretraining --threads 1

Cases:

- ``dae``: one epoch of ``DenoisingAutoencoderTransformer()`` (784-256-784, tied weights, relu
  code, masking noise 0.3, sigmoid cross-entropy, adam, batch 128, float32) against its PyTorch
  twin, the GEMM-only bound of a 784-256-784 network and scikit-learn's ``BernoulliRBM`` with
  256 components (the only neural feature learner in scikit-learn: a different model, listed
  for the cost of an epoch only). Quality: reconstruction loss of the held-out rows.
- ``pretraining``: the headline classifier (784-500-500-10 relu adam) fitted with and without
  ``pretraining='denoising'`` / ``'supervised'``, and a ``StackedAutoencoder((500, 500))``;
  the pretraining cost is the difference to the plain fit, also given in fine-tuning epochs.

As in ``bench_epoch.py``: contenders run one after the other in each round, rounds are
interleaved, ratios are medians of per-round ratios, nothing is asserted.
"""

import common
import numpy as np
from sklearn.neural_network import BernoulliRBM

from skdeep import DeepMLPClassifier, DenoisingAutoencoderTransformer, StackedAutoencoder

CASES = ("dae", "pretraining")


def dae_case(args, torch):
    """Epoch time of a denoising autoencoder: skdeep, PyTorch, the GEMM bound, BernoulliRBM."""
    X, _, X_test, _ = common.mnist_split(args.n_train)
    n_components = 256
    kept = {"skdeep f32": [], "PyTorch": [], "BernoulliRBM f32": []}
    contenders = {
        "GEMM bound": lambda: common.gemm_bound_epoch(
            X, [X.shape[1], n_components, X.shape[1]], args.batch_size),
        "skdeep f32": common.fit_timer(
            lambda: DenoisingAutoencoderTransformer(
                n_components=n_components, **common.fixed_epochs(args.epochs, args.batch_size)),
            X, None, args.epochs, kept["skdeep f32"],
        ),
        "BernoulliRBM f32": common.fit_timer(
            lambda: BernoulliRBM(n_components=n_components, batch_size=args.batch_size,
                                 n_iter=args.epochs, random_state=0),
            X, None, args.epochs, kept["BernoulliRBM f32"],
        ),
    }
    if torch is not None:
        def measure_torch():
            seconds, parameters = common.timed(
                common.torch_autoencoder_fit, torch, X, n_components, epochs=args.epochs,
                batch_size=args.batch_size)
            kept["PyTorch"].append(parameters)
            return seconds / args.epochs
        contenders["PyTorch"] = measure_torch
    with common.ForeignLoad() as load:
        times = common.run_rounds(contenders, args.rounds)
    quality = {"skdeep f32": f"{-kept['skdeep f32'][-1].score(X_test):.2f}"}
    if torch is not None:
        quality["PyTorch"] = f"{common.torch_reconstruction_loss(torch, kept['PyTorch'][-1], X_test):.2f}"
    rows = [{
        "contender": name, "median s/epoch": f"{np.median(values):.4f}",
        "min": f"{values.min():.4f}",
        "ratio to skdeep f32": f"{common.ratio_median(times, name, 'skdeep f32'):.2f}",
        "test reconstruction loss": quality.get(name, ""),
    } for name, values in times.items()]
    common.print_table(
        f"Denoising autoencoder 784-{n_components}-784 (tied, masking 0.3, adam), "
        f"{X.shape[0]} rows, batch {args.batch_size}, {args.epochs} epochs per fit, "
        f"{args.rounds} rounds",
        rows, ["contender", "median s/epoch", "min", "ratio to skdeep f32",
               "test reconstruction loss"],
    )
    print(load.note())


def pretraining_case(args):
    """What greedy layer-wise pretraining adds to a fit of the headline classifier."""
    X, y, X_test, y_test = common.mnist_split(args.n_train)
    hidden = (500, 500)
    fixed = common.fixed_epochs(args.epochs, args.batch_size)
    pretraining = {"pretraining_max_iter": args.pretraining_epochs}
    makers = {
        "plain fit": lambda: DeepMLPClassifier(hidden, **fixed),
        "pretraining='denoising'": lambda: DeepMLPClassifier(
            hidden, pretraining="denoising", **pretraining, **fixed),
        "pretraining='supervised'": lambda: DeepMLPClassifier(
            hidden, pretraining="supervised", **pretraining, **fixed),
        "StackedAutoencoder alone": lambda: StackedAutoencoder(
            hidden, **common.fixed_epochs(args.pretraining_epochs, args.batch_size)),
    }
    kept = {name: [] for name in makers}
    contenders = {
        name: common.fit_timer(make, X, y, 1, kept[name]) for name, make in makers.items()
    }
    with common.ForeignLoad() as load:
        times = common.run_rounds(contenders, args.rounds)
    plain = np.median(times["plain fit"])
    epoch = plain / args.epochs
    rows = []
    for name, values in times.items():
        model = kept[name][-1]
        extra = np.median(values) - (plain if name != "StackedAutoencoder alone" else 0.0)
        rows.append({
            "fit": name, "median s/fit": f"{np.median(values):.3f}",
            "ratio to plain fit": f"{common.ratio_median(times, name, 'plain fit'):.2f}",
            "pretraining s": "" if name == "plain fit" else f"{extra:.3f}",
            "in fine-tuning epochs": "" if name == "plain fit" else f"{extra / epoch:.1f}",
            "test accuracy": f"{model.score(X_test, y_test):.4f}" if hasattr(model, "classes_")
            else "",
        })
    common.print_table(
        f"Pretraining 784-500-500-10 relu adam: {args.pretraining_epochs} pretraining epochs per "
        f"layer, {args.epochs} fine-tuning epochs, {X.shape[0]} rows, batch {args.batch_size}, "
        f"{args.rounds} rounds",
        rows, ["fit", "median s/fit", "ratio to plain fit", "pretraining s",
               "in fine-tuning epochs", "test accuracy"],
    )
    print(load.note())


def main():
    parser = common.benchmark_parser(__doc__.splitlines()[0], CASES, threads=1, epochs=3)
    parser.add_argument("--pretraining-epochs", type=int, default=3,
                        help="pretraining epochs per layer")
    args = parser.parse_args()
    limiter, torch = common.start(args)  # noqa: F841 (the limit lasts while the limiter lives)
    if "dae" in args.cases:
        dae_case(args, torch)
    if "pretraining" in args.cases:
        pretraining_case(args)


if __name__ == "__main__":
    main()

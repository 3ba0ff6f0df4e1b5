"""Compare skdeep's MLP variants with scikit-learn's ``MLPClassifier``.

Run ``python -m skdeep --help`` for the options. Every variant is trained on the same stratified
split and the same seed, and one table row reports its test accuracy and fit time.
"""

import argparse
import sys
import time
import warnings
from typing import NamedTuple

import numpy as np
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier

from . import DeepMLPClassifier

HIDDEN_LAYER_SIZES = (256, 256)


def _mlp(estimator_class, **params):
    """Return a factory ``(max_iter, random_state) -> estimator`` for one table row."""

    def factory(max_iter, random_state):
        return estimator_class(
            hidden_layer_sizes=HIDDEN_LAYER_SIZES,
            max_iter=max_iter,
            random_state=random_state,
            **params,
        )

    return factory


# One line per row of the table: adding a variant is adding a line here.
VARIANTS = [
    ("sklearn MLPClassifier", _mlp(MLPClassifier)),
    ("skdeep plain", _mlp(DeepMLPClassifier)),
    ("skdeep batch_norm", _mlp(DeepMLPClassifier, batch_norm=True)),
    ("skdeep dropout=0.2", _mlp(DeepMLPClassifier, dropout=0.2)),
    ("skdeep batch_norm+dropout=0.2", _mlp(DeepMLPClassifier, batch_norm=True, dropout=0.2)),
    ("skdeep denoising pretraining", _mlp(DeepMLPClassifier, pretraining="denoising")),
]


class Row(NamedTuple):
    variant: str
    accuracy: float
    fit_seconds: float
    epochs: object  # the fitted n_iter_, or None for an estimator without one


def load_dataset(path=None):
    """Load the inputs and integer class labels to compare the variants on.

    Parameters
    ----------
    path : str or path-like, default=None
        An ``.npz`` file with arrays ``inputs`` and ``targets``. ``None`` loads scikit-learn's
        digits, scaled to [0, 1].

    Returns
    -------
    X : ndarray of shape (n_samples, n_features), dtype float32
        Inputs; arrays of more than two dimensions (images) are flattened per sample.
    y : ndarray of shape (n_samples,), dtype int
        Class labels.
    """
    if path is None:
        X, y = load_digits(return_X_y=True)
        # Pixel intensities in digits run from 0 to 16.
        return (X / 16).astype(np.float32), y.astype(int)

    with np.load(path) as data:
        missing = [key for key in ("inputs", "targets") if key not in data.files]
        if missing:
            raise ValueError(
                f"{path} must contain arrays 'inputs' and 'targets'; missing {missing}, "
                f"found {sorted(data.files)}."
            )
        inputs, targets = data["inputs"], data["targets"]
    X = inputs.reshape(len(inputs), -1).astype(np.float32)
    y = targets.ravel().astype(int)
    if len(X) != len(y):
        raise ValueError(
            f"{path}: 'inputs' has {len(X)} samples but 'targets' has {len(y)}."
        )
    return X, y


def run_comparison(
    X, y, *, variants=VARIANTS, max_iter=50, test_size=0.25, random_state=0, fixed_epochs=False
):
    """Fit every variant on one stratified split and score it on the held-out part.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
        Inputs.
    y : ndarray of shape (n_samples,)
        Class labels.
    variants : list of (str, callable), default=VARIANTS
        Row name and factory ``(max_iter, random_state) -> estimator``.
    max_iter : int, default=50
        Passed to every estimator.
    test_size : float, default=0.25
        Fraction of the samples held out for testing.
    random_state : int, default=0
        Seed of the split and of every estimator.
    fixed_epochs : bool, default=False
        Turn off the training-loss stopping rule (``n_iter_no_change=max_iter``), so every
        estimator that has one trains for exactly ``max_iter`` epochs.

    Returns
    -------
    rows : list of Row
        ``(variant, accuracy, fit_seconds, epochs)`` in the order of ``variants``.
    """
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=test_size, random_state=random_state, stratify=y
    )
    rows = []
    for name, make_estimator in variants:
        estimator = make_estimator(max_iter, random_state)
        if fixed_epochs and "n_iter_no_change" in estimator.get_params():
            estimator.set_params(n_iter_no_change=max_iter)
        # A short max_iter is the point of a quick comparison, so the warning is only noise here.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", category=ConvergenceWarning)
            start = time.perf_counter()
            estimator.fit(X_train, y_train)
            seconds = time.perf_counter() - start
        epochs = getattr(estimator, "n_iter_", None)
        rows.append(Row(name, float(estimator.score(X_test, y_test)), seconds, epochs))
    return rows


def format_table(rows):
    """Render :class:`Row` tuples as an aligned plain-text table."""
    headers = ("variant", "test accuracy", "fit seconds", "epochs")
    width = max([len(headers[0])] + [len(row[0]) for row in rows])
    lines = [
        f"{headers[0]:<{width}}  {headers[1]:>13}  {headers[2]:>11}  {headers[3]:>6}",
        f"{'-' * width}  {'-' * 13}  {'-' * 11}  {'-' * 6}",
    ]
    lines += [
        f"{variant:<{width}}  {accuracy:>13.4f}  {seconds:>11.2f}  {str(epochs or '-'):>6}"
        for variant, accuracy, seconds, epochs in rows
    ]
    return "\n".join(lines)


def _positive_int(text):
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {value}")
    return value


def _fraction(text):
    value = float(text)
    if not 0 < value < 1:
        raise argparse.ArgumentTypeError(f"must be strictly between 0 and 1, got {value}")
    return value


def _parser():
    parser = argparse.ArgumentParser(
        prog="python -m skdeep",
        description=(
            "Train scikit-learn's MLPClassifier and skdeep's DeepMLPClassifier (plain, with "
            "batch normalisation, with dropout, and with both), all with hidden layers "
            f"{HIDDEN_LAYER_SIZES}, on one stratified train/test split, and print a table of "
            "test accuracy and fit time. Uses scikit-learn's digits unless --data is given."
        ),
    )
    parser.add_argument(
        "--data",
        metavar="PATH.npz",
        help="an .npz file with arrays 'inputs' (samples first) and 'targets' (class labels); "
        "default: scikit-learn's digits, scaled to [0, 1]",
    )
    parser.add_argument(
        "--max-iter",
        type=_positive_int,
        default=50,
        metavar="N",
        help="training epochs for every estimator (default: %(default)s)",
    )
    parser.add_argument(
        "--test-size",
        type=_fraction,
        default=0.25,
        metavar="F",
        help="fraction of the samples held out for testing (default: %(default)s)",
    )
    parser.add_argument(
        "--random-state",
        type=int,
        default=0,
        metavar="N",
        help="seed of the split and of every estimator (default: %(default)s)",
    )
    parser.add_argument(
        "--fixed-epochs",
        action="store_true",
        help="train every variant for exactly --max-iter epochs (no training-loss stopping rule)",
    )
    return parser


def main(argv=None):
    """Parse ``argv``, run the comparison and print the table; return the exit status."""
    args = _parser().parse_args(argv)
    X, y = load_dataset(args.data)
    print(
        f"{args.data or 'digits'}: {len(X)} samples, {X.shape[1]} features, "
        f"{len(np.unique(y))} classes; test_size={args.test_size}, "
        f"max_iter={args.max_iter}, random_state={args.random_state}",
        flush=True,
    )
    rows = run_comparison(
        X,
        y,
        max_iter=args.max_iter,
        test_size=args.test_size,
        random_state=args.random_state,
        fixed_epochs=args.fixed_epochs,
    )
    print(format_table(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())

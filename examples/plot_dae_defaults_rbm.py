"""
======================================================================
Default denoising-autoencoder features against raw pixels, PCA and RBM
======================================================================

The acceptance check of the autoencoder's defaults: on scikit-learn's digits (pixels scaled to
[0, 1]), ``DenoisingAutoencoderTransformer()`` with its default settings, fed to
``LogisticRegression``, against raw pixels, PCA features and ``BernoulliRBM`` features, on the
same train/test split, for several random splits.

Run: ``python examples/dae_features_digits.py [--splits 5]``
"""

import argparse
import warnings

import numpy as np
from sklearn.datasets import load_digits
from sklearn.decomposition import PCA
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.neural_network import BernoulliRBM
from sklearn.pipeline import make_pipeline

from skdeep import DenoisingAutoencoderTransformer


def feature_extractors(seed):
    """The compared first steps (None: raw pixels), each seeded for this split."""
    return {
        "raw pixels": None,
        "PCA (95% variance)": PCA(n_components=0.95, random_state=seed),
        "BernoulliRBM (256)": BernoulliRBM(n_components=256, learning_rate=0.06, n_iter=20,
                                           random_state=seed),
        "DAE defaults": DenoisingAutoencoderTransformer(random_state=seed),
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[1])
    parser.add_argument("--splits", type=int, default=5)
    args = parser.parse_args(argv)
    X, y = load_digits(return_X_y=True)
    X = X / 16
    scores = {}
    for split in range(args.splits):
        X_train, X_test, y_train, y_test = train_test_split(
            X, y, test_size=0.3, random_state=split, stratify=y
        )
        for name, extractor in feature_extractors(split).items():
            steps = [] if extractor is None else [extractor]
            model = make_pipeline(*steps, LogisticRegression(max_iter=3000))
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", ConvergenceWarning)
                model.fit(X_train, y_train)
            scores.setdefault(name, []).append(model.score(X_test, y_test))
    print(f"digits, LogisticRegression on each representation, {args.splits} splits (70/30)")
    print(f"{'features':<22}{'mean accuracy':>14}{'min':>8}{'max':>8}")
    for name, values in scores.items():
        print(f"{name:<22}{np.mean(values):>14.4f}{np.min(values):>8.4f}{np.max(values):>8.4f}")


if __name__ == "__main__":
    main()

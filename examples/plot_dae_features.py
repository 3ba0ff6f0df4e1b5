"""
=================================
Autoencoder, PCA and RBM features
=================================

:class:`skdeep.DenoisingAutoencoderTransformer` is a scikit-learn transformer:
``fit`` learns to reconstruct each training image from a corrupted copy,
``transform`` returns the hidden code of clean images. Placed before a linear
classifier in a :class:`~sklearn.pipeline.Pipeline`, it is a learned non-linear
feature extractor, like scikit-learn's :class:`~sklearn.neural_network.BernoulliRBM`.

We compare logistic regression on raw pixels with logistic regression on features
from PCA, a restricted Boltzmann machine, a plain autoencoder and two denoising
autoencoders, on 2,000 real MNIST training digits and 2,000 test digits. See
:ref:`ug_autoencoders`.
"""

# %%
import time
import warnings

import matplotlib.pyplot as plt
from sklearn.decomposition import PCA
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.neural_network import BernoulliRBM
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skdeep import DenoisingAutoencoderTransformer
from skdeep.datasets import load_mnist_sample
from skdeep.plotting import FilterGridDisplay

X, y = load_mnist_sample(return_X_y=True)
X_train, y_train = X[:2000], y[:2000]
X_test, y_test = X[-2000:], y[-2000:]


# %%
# Six pipelines
# -------------
# Every feature extractor has 256 units except PCA, whose 64 components already keep
# most of the variance. The autoencoders train for 20 epochs. The classic denoising
# autoencoder of Vincent et al. has logistic codes; we train it with and without
# corruption (``noise=None`` makes a plain autoencoder, ``'masking'`` zeroes 30% of
# the pixels of each training image), and add one with skdeep's default relu codes.
def classifier():
    return LogisticRegression(max_iter=500)


def autoencoder(**settings):
    return DenoisingAutoencoderTransformer(
        n_components=256, max_iter=20, random_state=0, **settings
    )


logistic = dict(activation="logistic", learning_rate_init=0.01)
pipelines = {
    "raw pixels": make_pipeline(classifier()),
    "PCA (64)": make_pipeline(
        PCA(n_components=64, random_state=0), StandardScaler(), classifier()
    ),
    "BernoulliRBM": make_pipeline(
        BernoulliRBM(
            n_components=256, learning_rate=0.05, n_iter=15, random_state=0
        ),
        classifier(),
    ),
    "autoencoder, logistic": make_pipeline(
        autoencoder(noise=None, **logistic), classifier()
    ),
    "DAE, logistic": make_pipeline(
        autoencoder(noise="masking", noise_level=0.3, **logistic), classifier()
    ),
    "DAE, relu": make_pipeline(
        autoencoder(noise="masking", noise_level=0.3, learning_rate_init=0.003),
        classifier(),
    ),
}

scores, seconds = {}, {}
for name, pipeline in pipelines.items():
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        pipeline.fit(X_train, y_train)
    seconds[name] = time.perf_counter() - start
    scores[name] = pipeline.score(X_test, y_test)
    print(
        f"{name:<22} test accuracy {scores[name]:.3f}"
        f"   fit {seconds[name]:.1f} s"
    )

# %%
# Accuracy of the linear classifier on each representation
# ---------------------------------------------------------
fig, ax = plt.subplots(figsize=(7, 3.5))
names = list(pipelines)
colours = ["grey", "C0", "C1", "C2", "C3", "C4"]
ax.barh(names, [scores[name] for name in names], color=colours)
for row, name in enumerate(names):
    ax.text(
        scores[name] + 0.001,
        row,
        f"{scores[name]:.3f}  ({seconds[name]:.1f} s)",
        va="center",
    )
ax.set(
    xlim=(0.85, 0.98),
    xlabel="test accuracy of logistic regression on the features",
)
ax.invert_yaxis()
fig.tight_layout()
plt.show()

# %%
# What the feature extractors learned
# -----------------------------------
# Each has one weight vector per unit over the 784 pixels: its ``components_``.
# :class:`~skdeep.plotting.FilterGridDisplay` shows the first 36 of each as 28x28
# images; passing one axes per model makes it divide that axes into the grid, and thin
# figure margins leave the space to the filters.
fig, axes = plt.subplots(1, 3, figsize=(7, 2.6))
fig.subplots_adjust(left=0.005, right=0.995, bottom=0.01, top=0.9, wspace=0.05)
for ax, name in zip(axes, ["PCA (64)", "BernoulliRBM", "DAE, logistic"]):
    FilterGridDisplay.from_estimator(
        pipelines[name][0], image_shape=(28, 28), n_filters=36, ax=ax, name=name
    )
plt.show()

# %%
# PCA's components are global patterns ordered by explained variance. The RBM and the
# denoising autoencoder learn more local detectors of strokes and blobs: to fill in
# masked pixels, a unit must rely on the pixels around them. Every non-linear
# extractor beats the raw pixels with the same linear classifier. With logistic codes
# the corruption clearly helps -- Vincent et al.'s result -- while relu codes make
# strong features even with little noise.

"""
===================================
Does pretraining rescue a deep net?
===================================

A classic claim from the deep-learning courses: a deep sigmoid network (three hidden
layers of 500 units) trained with plain SGD from a random initialisation learns slowly,
while the same network fine-tuned after greedy layer-wise pretraining reaches a far lower
test error with the same fine-tuning budget. This example measures the four settings of
``pretraining`` of :class:`skdeep.DeepMLPClassifier` on real MNIST digits
(:func:`skdeep.datasets.load_mnist_sample`).

The executed version is short: one train/test split, 2,000 training digits, 3 epochs of
fine-tuning (and 3 of pretraining per layer). With ``FULL = True`` below it runs three
random splits, 5,000 training digits and 10 epochs; on this project's two-core build
machine it took about 8 minutes and printed::

    3x500 logistic MLP, SGD+momentum, 10 fine-tuning epochs, 5000 training digits
    pretraining    mean test error     min     max   fit s
    None                    0.8715  0.8178  0.9032      17
    autoencoder             0.0671  0.0654  0.0686      49
    denoising               0.0601  0.0590  0.0608      54
    supervised              0.0934  0.0894  0.0996      35

The claim holds there: after 10 epochs the randomly initialised network is still close to
guessing (test error 0.87, against 0.9 for chance), while every pretraining recipe brings
it under 0.1, denoising autoencoders lowest. The short executed run below shows the same
gap; supervised pretraining, with only 3 epochs per layer, has not caught up yet. See
:ref:`sphx_glr_auto_examples_plot_stacked_pretraining.py` for training curves.
"""

# %%
import time
import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split

from skdeep import DeepMLPClassifier
from skdeep.datasets import load_mnist_sample

FULL = False
splits, epochs, train_size = (3, 10, 5000) if FULL else (1, 3, 2000)
SETTINGS = [None, "autoencoder", "denoising", "supervised"]


def fit_and_score(pretraining, X_train, X_test, y_train, y_test, seed):
    """Test error and fit time of the network with one pretraining setting."""
    clf = DeepMLPClassifier(
        hidden_layer_sizes=(500, 500, 500),
        activation="logistic",
        solver="sgd",
        learning_rate_init=0.05,
        momentum=0.9,
        batch_size=100,
        max_iter=epochs,
        pretraining=pretraining,
        pretraining_max_iter=epochs,
        random_state=seed,
    )
    start = time.perf_counter()
    # A fixed, short budget on purpose: every fit stops at max_iter, and says
    # so.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.fit(X_train, y_train)
    return 1.0 - clf.score(X_test, y_test), time.perf_counter() - start


X, y = load_mnist_sample(return_X_y=True)
errors = {setting: [] for setting in SETTINGS}
seconds = {setting: [] for setting in SETTINGS}
for split in range(splits):
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, train_size=train_size, random_state=split, stratify=y
    )
    for setting in SETTINGS:
        error, elapsed = fit_and_score(
            setting, X_train, X_test, y_train, y_test, seed=split
        )
        errors[setting].append(error)
        seconds[setting].append(elapsed)

print(
    f"3x500 logistic MLP, SGD+momentum, {epochs} fine-tuning epochs, "
    f"{train_size} training digits"
)
print(
    f"{'pretraining':<14}{'mean test error':>16}"
    f"{'min':>8}{'max':>8}{'fit s':>8}"
)
for setting in SETTINGS:
    e = np.array(errors[setting])
    print(
        f"{setting!s:<14}{e.mean():>16.4f}{e.min():>8.4f}{e.max():>8.4f}"
        f"{np.median(seconds[setting]):>8.0f}"
    )

# %%
# Test error of each setting
# --------------------------
# One bar per setting (the mean over the splits); random initialisation stays near
# the error of guessing, 0.9.
fig, ax = plt.subplots(figsize=(6, 3.5), layout="constrained")
means = [np.mean(errors[setting]) for setting in SETTINGS]
bars = ax.bar([str(setting) for setting in SETTINGS], means, color="C0")
ax.bar_label(bars, fmt="%.3f")
ax.axhline(0.9, color="grey", linestyle="--", label="chance (10 classes)")
ax.set(
    xlabel="pretraining",
    ylabel="test error",
    ylim=(0, 1),
    title=f"3x500 sigmoid network, {epochs} epochs of SGD fine-tuning",
)
ax.legend(loc="upper right")
plt.show()

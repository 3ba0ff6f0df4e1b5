"""
=======================
Learning-rate schedules
=======================

``learning_rate`` sets how the step size of a stochastic solver changes from epoch to epoch.
skdeep has scikit-learn's ``'constant'``, ``'invscaling'`` and ``'adaptive'``, and adds
``'exponential'``, ``'step'``, ``'cosine'`` and ``'newbob'``, the performance-based schedule of
speech recognition: keep the rate until the validation score stops improving, then halve it
after every epoch until it stops improving again.

We train SGD with momentum on 3,000 real MNIST digits under each schedule, with early stopping
on a held-out tenth, and plot the learning rate and the validation accuracy per epoch. See
:ref:`ug_schedules` for the formulas.
"""

# %%
import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn.exceptions import ConvergenceWarning

from skdeep import DeepMLPClassifier
from skdeep.datasets import load_mnist_sample

X, y = load_mnist_sample(return_X_y=True)
X_train, y_train = X[:3000], y[:3000]
X_test, y_test = X[-2000:], y[-2000:]

# %%
# One fit per schedule
# --------------------
# Every fit holds out a tenth of the digits (``early_stopping=True``) and records the accuracy
# on them after each epoch in ``validation_scores_``. The five schedules that are functions of
# the epoch run for all 30 epochs (``n_iter_no_change='inf'``); ``'adaptive'`` and ``'newbob'``
# react to the validation accuracy, so for them a plateau is 3 epochs without an improvement:
# ``'adaptive'`` then divides the rate by 5, ``'newbob'`` starts halving it every epoch and
# stops training at its next plateau.
schedules = [
    "constant",
    "invscaling",
    "exponential",
    "step",
    "cosine",
    "adaptive",
    "newbob",
]
common = dict(
    hidden_layer_sizes=(128,),
    solver="sgd",
    learning_rate_init=0.1,
    momentum=0.9,
    batch_size=100,
    max_iter=30,
    early_stopping=True,
    power_t=0.25,
    learning_rate_decay=0.8,
    learning_rate_step=6,
    random_state=0,
)
fitted = {}
for schedule in schedules:
    patience = 3 if schedule in ("adaptive", "newbob") else "inf"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf = DeepMLPClassifier(
            learning_rate=schedule, n_iter_no_change=patience, **common
        )
        clf.fit(X_train, y_train)
    fitted[schedule] = clf
    accuracy = clf.score(X_test, y_test)
    print(
        f"{schedule:<12} {clf.n_iter_:>3} epochs, test accuracy {accuracy:.3f}"
    )

# %%
# The rate of each epoch
# ----------------------
# Every epoch's record in ``history_`` holds the learning rate it used, next to its training
# loss and validation score. (The schedules themselves are small objects of
# :mod:`skdeep.schedules`, usable on their own.)
fig, (ax_rate, ax_score) = plt.subplots(
    2, 1, figsize=(7, 7), sharex=True, layout="constrained"
)
for schedule, clf in fitted.items():
    epochs = np.arange(1, clf.n_iter_ + 1)
    style = {"linewidth": 2.5} if schedule == "newbob" else {}
    if schedule in ("adaptive", "newbob"):
        style["color"] = "k" if schedule == "newbob" else "grey"
    rates = [record["learning_rate"] for record in clf.history_]
    ax_rate.plot(epochs, rates, label=schedule, **style)
    ax_score.plot(epochs, clf.validation_scores_, label=schedule, **style)
ax_rate.set(ylabel="learning rate", yscale="log", title="Learning rate")
ax_score.set(
    xlabel="epoch",
    ylabel="accuracy",
    ylim=(0.88, 0.96),
    title="Validation accuracy",
)
outside = {"loc": "upper left", "bbox_to_anchor": (1.01, 1)}
ax_rate.legend(title="learning_rate", **outside)
plt.show()

# %%
# ``'invscaling'`` (the schedule scikit-learn's ``MLPClassifier`` offers for SGD) divides the
# rate by a power of the number of *samples* seen, so most of its decay happens within the
# first epoch and the rest of training crawls. ``'exponential'`` decays from the first epoch
# on and runs out of step size before the accuracy has settled; ``'step'`` and ``'cosine'``
# keep a large rate while it is useful. The two performance-based schedules need no decay
# constant at all: they keep the rate while the validation accuracy improves. NewBOB then
# anneals for a few epochs and stops on its own, well within the 30-epoch budget the fixed
# schedules used.

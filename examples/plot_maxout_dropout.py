"""
==========================
Maxout units with dropout
==========================

A maxout unit (Goodfellow et al., 2013) outputs the largest of ``maxout_pieces`` affine
functions of its input, :math:`h_j = \\max_p (x W + b)_{j k + p}`: a learned convex
piecewise-linear activation. It was designed as a companion to dropout: its gradient reaches
the winning piece of every unit, never a zero, so the thinned networks of dropout keep
learning everywhere.

We compare, on real MNIST digits, a maxout + dropout network with a relu + dropout network of
exactly the same number of parameters, trained for the same epochs with the same optimiser.
One hidden layer of 159 maxout units of 2 pieces (a ``784 x 318`` matrix, then ``159 x 10``)
and one of 316 relu units (``784 x 316``, then ``316 x 10``) both have 251,230 parameters. See
:ref:`ug_activations`.

This page trains on 2,000 digits so that it builds in seconds. The larger run quoted at the
end (5,000 training digits, 20 epochs, three splits and seeds, the learning rate chosen on a
validation split) is::

    python examples/plot_maxout_dropout.py --full
"""

# %%
import sys
import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn.exceptions import ConvergenceWarning

from skdeep import DeepMLPClassifier
from skdeep.datasets import load_mnist_sample

FULL = "--full" in sys.argv
X, y = load_mnist_sample(return_X_y=True)
n_train, n_epochs, seeds = (5000, 20, (0, 1, 2)) if FULL else (2000, 10, (0,))
n_valid, n_test = 1000, 2000


def split(seed):
    """Disjoint train / validation / test digits, drawn by ``seed``."""
    order = np.random.default_rng(seed).permutation(len(X))
    ends = np.cumsum([n_train, n_valid, n_test])
    parts = np.split(order, ends)[:3]
    return [(X[part], y[part]) for part in parts]


# %%
# Two networks of the same size
# -----------------------------
# Both drop 20% of the input pixels and half of the hidden units, and share
# every optimiser setting.
def networks(learning_rate, seed):
    common = dict(
        input_dropout=0.2,
        dropout=0.5,
        learning_rate_init=learning_rate,
        batch_size=100,
        max_iter=n_epochs,
        random_state=seed,
    )
    return {
        "maxout + dropout": DeepMLPClassifier(
            hidden_layer_sizes=(159,),
            activation="maxout",
            maxout_pieces=2,
            **common,
        ),
        "relu + dropout": DeepMLPClassifier(
            hidden_layer_sizes=(316,), activation="relu", **common
        ),
    }


def n_parameters(clf):
    return sum(w.size for w in clf.coefs_) + sum(
        b.size for b in clf.intercepts_
    )


def test_errors(clf, train, held_out):
    """Fit, recording the error on ``held_out`` after every epoch.

    Without early stopping, ``X_val`` is only recorded in ``history_``.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.fit(*train, X_val=held_out[0], y_val=held_out[1])
    return [1 - record["validation_score"] for record in clf.history_]


# %%
# Choosing the learning rate on the validation digits
# ---------------------------------------------------
# One learning rate for both networks: the one with the lower mean validation
# error at the last epoch (the full run tries two; this page takes its choice).
rates = (0.001, 0.003) if FULL else (0.003,)
train, valid, test = split(seeds[0])
if len(rates) > 1:
    scores = {
        rate: np.mean(
            [
                test_errors(clf, train, valid)[-1]
                for clf in networks(rate, seeds[0]).values()
            ]
        )
        for rate in rates
    }
    print(
        "mean validation error by learning rate:",
        {rate: round(error, 4) for rate, error in scores.items()},
    )
    rate = min(scores, key=scores.get)
else:
    rate = rates[0]
print(f"learning_rate_init={rate}")

# %%
# Test error, epoch by epoch
# --------------------------
curves = {name: [] for name in networks(rate, 0)}
for seed in seeds:
    train, valid, test = split(seed)
    for name, clf in networks(rate, seed).items():
        curves[name].append(test_errors(clf, train, test))
        if seed == seeds[0]:
            print(f"{name}: {n_parameters(clf):,} parameters")

for name, runs in curves.items():
    final = [run[-1] for run in runs]
    runs_text = ", ".join(f"{error:.2%}" for error in final)
    print(
        f"{name}: test error after {n_epochs} epochs "
        f"{np.mean(final):.2%} (runs: {runs_text})"
    )

fig, ax = plt.subplots(figsize=(6, 3.5))
epochs = np.arange(1, n_epochs + 1)
for name, runs in curves.items():
    ax.plot(epochs, 100 * np.mean(runs, axis=0), label=name)
ax.set(
    xlabel="epoch",
    ylabel="test error (%)",
    ylim=(0, None),
    title=f"MNIST, {n_train:,} training digits, {len(seeds)} run(s)",
)
ax.legend()
fig.tight_layout()
plt.show()

# %%
# What the larger run shows
# -------------------------
# ``python examples/plot_maxout_dropout.py --full`` (5,000 training digits, 1,000
# validation and 2,000 test digits per split, 20 epochs, batches of 100) chose
# ``learning_rate_init=0.003`` on the validation digits (mean validation error 4.4%
# against 4.9% for 0.001) and measured, over three splits and seeds:
#
# ================  ==========  ====================
# network           test error  runs (seeds 0, 1, 2)
# ================  ==========  ====================
# maxout + dropout  4.30%       3.90%, 4.40%, 4.60%
# relu + dropout    3.90%       3.50%, 4.00%, 4.20%
# ================  ==========  ====================
#
# At this size and budget maxout + dropout does **not** reach the test error of relu +
# dropout: it is 0.4 points behind on every split. The paper's MNIST results came from
# larger networks trained far longer, with max-norm and a tuned schedule; here, with
# 5,000 digits and 20 epochs, the relu layer (twice the units for the same weights)
# does better.

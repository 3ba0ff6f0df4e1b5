"""
=============
Optimiser zoo
=============

``solver`` chooses the learning rule that turns each mini-batch gradient into a step. skdeep
has scikit-learn's three (``'sgd'``, ``'adam'``, ``'lbfgs'``) and six more: ``'adagrad'``,
``'rmsprop'``, ``'adadelta'``, ``'adamax'``, ``'nadam'`` and ``'amsgrad'``. We train the same
network on scikit-learn's digits with each of them, from the same initial weights, and plot the
training loss per epoch. :ref:`ug_optimisers` gives every update rule.
"""

# %%
import warnings

import matplotlib.pyplot as plt
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning

from skdeep import DeepMLPClassifier

X, y = load_digits(return_X_y=True)
X = X / 16

# %%
# Stochastic solvers
# ------------------
# Each optimiser gets the learning rate its authors suggest (Adadelta has none: it ignores
# ``learning_rate_init``). Only the optimiser changes between runs; ``random_state`` fixes the
# initial weights and the order of the mini-batches.
learning_rates = {
    "sgd": 0.1,
    "adagrad": 0.01,
    "rmsprop": 0.001,
    "adadelta": 1.0,
    "adam": 0.001,
    "adamax": 0.002,
    "nadam": 0.002,
    "amsgrad": 0.001,
}
common = dict(hidden_layer_sizes=(64, 64), batch_size=64, random_state=0)
n_epochs = 40
curves = {}
for solver, rate in learning_rates.items():
    clf = DeepMLPClassifier(
        solver=solver, learning_rate_init=rate, max_iter=n_epochs, **common
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.fit(X, y)
    curves[solver] = clf.loss_curve_
    print(f"{solver:<9} final training loss {clf.loss_:.4f}")

# %%
# L-BFGS
# ------
# L-BFGS is a full-batch quasi-Newton method: it has no epochs and records no ``loss_curve_``.
# Each iteration evaluates the loss and gradient on the whole training set at least once (more
# during a line search). To draw it on the same axes we refit with growing ``max_iter`` and
# plot its final loss ``loss_`` against the number of iterations -- a generous comparison, as
# one iteration costs at least one epoch's worth of gradient computation but makes only one
# step.
lbfgs_iterations = [1, 2, 4, 6, 10, 15, 20, 30, 40]
lbfgs_losses = []
for n_iter in lbfgs_iterations:
    clf = DeepMLPClassifier(solver="lbfgs", max_iter=n_iter, **common)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.fit(X, y)
    lbfgs_losses.append(clf.loss_)
print(f"lbfgs     final training loss {lbfgs_losses[-1]:.4f}")

# %%
# Adam and AMSGrad
# ----------------
# AMSGrad is Adam dividing each step by the largest second-moment estimate seen so far instead
# of the current one. With ``beta_2=0.999`` that estimate averages the squared gradients of
# about the last thousand steps (this run has 40 epochs of 29 mini-batches), so it seldom
# falls far below its maximum, and the two rules take almost the same steps.
gaps = [abs(a - b) / a for a, b in zip(curves["adam"], curves["amsgrad"])]
print(f"adam and amsgrad loss curves: largest relative gap {max(gaps):.1%}")

# %%
# Loss curves
# -----------
# Each solver has its own colour; the Adam family is dashed, and AMSGrad, which follows Adam
# closely, also carries a marker every fifth epoch so that it can be told apart.
styles = {
    "adam": {"linestyle": "--"},
    "adamax": {"linestyle": "--"},
    "nadam": {"linestyle": "--"},
    "amsgrad": {"linestyle": ":", "marker": "o", "markevery": 5, "mfc": "none"},
}
fig, ax = plt.subplots(figsize=(7.5, 4.5), layout="constrained")
for solver, curve in curves.items():
    ax.plot(
        range(1, len(curve) + 1),
        curve,
        label=f"{solver} ({learning_rates[solver]:g})",
        **styles.get(solver, {}),
    )
ax.plot(
    lbfgs_iterations,
    lbfgs_losses,
    "k-.s",
    markersize=3,
    label="lbfgs (per\niteration)",
)
ax.set(
    xlabel="epoch (L-BFGS: iteration)",
    ylabel="training loss",
    yscale="log",
    title="Two hidden layers of 64 relu units on digits",
)
ax.legend(
    title="solver\n(learning_rate_init)",
    loc="upper left",
    bbox_to_anchor=(1.01, 1),
)
plt.show()

# %%
# Which optimiser wins depends on the problem and on the learning rate, so read this figure as
# one draw rather than a ranking. Here SGD with momentum and a well-chosen rate makes the fastest
# progress; the adaptive methods (Adam and its relatives, RMSProp, Adadelta) do well with their
# suggested rates, which is why they are the usual first choice; AdaGrad's steps shrink as its
# sum of squared gradients grows. Adam and AMSGrad draw nearly one curve, for the reason given
# above: AMSGrad's guard only matters once the squared gradients shrink for much longer than
# ``beta_2`` remembers. To compare optimisers fairly, tune ``learning_rate_init`` for
# each -- the :ref:`RandomizedSearchCV example <sphx_glr_auto_examples_plot_randomized_search.py>`
# shows how.

"""
=========================
An exhaustive grid search
=========================

Weight initialisation, batch normalisation, dropout and the optimiser are ordinary
constructor parameters of :class:`skdeep.DeepMLPClassifier`, so scikit-learn's
:class:`~sklearn.model_selection.GridSearchCV` tunes them like any other. Where
:ref:`sphx_glr_auto_examples_plot_randomized_search.py` samples a large space, a grid
crosses a few choices exhaustively and shows how they interact, here on scikit-learn's
digits with 3-fold cross-validation.

The executed version crosses initialisation, batch normalisation and two solvers (8
settings) for a small network, two hidden layers of 64 units trained for 15 epochs, so
that the page builds in seconds. ``FULL = True`` below runs the larger search: 256 units
per layer, 50 epochs, dropout 0 or 0.3 and three solvers (24 settings).
"""

# %%
import textwrap
import time
import warnings

import matplotlib.pyplot as plt
import pandas as pd
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV

from skdeep import DeepMLPClassifier

FULL = False
hidden, epochs = ((256, 256), 50) if FULL else ((64, 64), 15)
solvers = ["adam", "rmsprop", "sgd"] if FULL else ["adam", "sgd"]
dropouts = [0.0, 0.3] if FULL else [0.0]

X, y = load_digits(return_X_y=True)
search = GridSearchCV(
    DeepMLPClassifier(
        hidden_layer_sizes=hidden, max_iter=epochs, random_state=0
    ),
    {
        "weight_init": ["glorot_uniform", "he_normal"],
        "batch_norm": [False, True],
        "dropout": dropouts,
        "solver": solvers,
    },
    cv=3,
)
start = time.perf_counter()
# A short budget on purpose: every fit stops at max_iter, and says so.
with warnings.catch_warnings():
    warnings.simplefilter("ignore", ConvergenceWarning)
    search.fit(X / 16, y)
seconds = time.perf_counter() - start
print(
    f"searched {len(search.cv_results_['params'])} settings in {seconds:.0f} s"
)
print(textwrap.fill(f"best: {search.best_params_}", 80, subsequent_indent="  "))
print(f"best cross-validated accuracy {search.best_score_:.4f}")

# %%
# Every setting, best first
# -------------------------
# The table is ``cv_results_`` as a pandas ``DataFrame``.
results = pd.DataFrame(search.cv_results_).sort_values("rank_test_score")
columns = {
    "param_solver": "solver",
    "param_weight_init": "weight_init",
    "param_batch_norm": "batch_norm",
    "param_dropout": "dropout",
    "mean_test_score": "cv accuracy",
    "std_test_score": "std",
}
table = results[list(columns)].rename(columns=columns)
print(table.to_string(index=False, float_format="{:.4f}".format))

# %%
# How the choices interact
# ------------------------
# One bar per setting, coloured by solver, best at the top. Batch normalisation
# matters most for plain SGD, whose one fixed step size it makes suit every layer;
# Adam scales each weight's step itself and gains much less.
labels = [
    f"{'BN' if row.batch_norm else 'no BN'}, {row.weight_init}"
    + (f", dropout {row.dropout}" if FULL else "")
    for row in table.itertuples()
]
fig, ax = plt.subplots(figsize=(7, 5), layout="constrained")
colours = {solver: f"C{index}" for index, solver in enumerate(solvers)}
ax.barh(
    range(len(table)),
    table["cv accuracy"],
    xerr=table["std"],
    color=[colours[solver] for solver in table["solver"]],
)
ax.set_yticks(range(len(table)), labels, fontsize="small")
ax.invert_yaxis()
ax.set(
    xlabel="mean cross-validated accuracy",
    xlim=(table["cv accuracy"].min() - 0.05, 1.0),
    title=f"GridSearchCV, {len(table)} settings x 3 folds",
)
handles = [
    plt.Rectangle((0, 0), 1, 1, color=colour) for colour in colours.values()
]
ax.legend(handles, list(colours), title="solver", loc="lower right")
plt.show()

"""
==================================
Random search over hyperparameters
==================================

Depth, activation, initialisation, batch normalisation, dropout, optimiser, learning rate and
weight decay are all ordinary constructor parameters of :class:`skdeep.DeepMLPClassifier`, so
scikit-learn's :class:`~sklearn.model_selection.RandomizedSearchCV` samples them like any
others -- from lists or from SciPy distributions. Random search is the better default for
networks: with a fixed budget it tries many more values of the few parameters that matter
(Bergstra and Bengio, 2012). See :ref:`ug_tuning`.
"""

# %%
import textwrap
import warnings

import matplotlib.pyplot as plt
import pandas as pd
from scipy.stats import loguniform, uniform
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import RandomizedSearchCV, train_test_split

from skdeep import DeepMLPClassifier

X, y = load_digits(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(
    X / 16, y, stratify=y, random_state=0
)

# %%
# The search space
# ----------------
# 24 random settings x 3 folds = 72 fits of at most 30 epochs each. ``n_jobs=1`` keeps this
# example to one core; use ``n_jobs=-1`` on your own machine.
param_distributions = {
    "hidden_layer_sizes": [(64,), (128,), (64, 64), (128, 64), (64, 64, 64)],
    "activation": ["relu", "tanh", "elu"],
    "weight_init": ["auto", "glorot_uniform", "he_normal"],
    "batch_norm": [False, True],
    "dropout": uniform(0.0, 0.5),
    "solver": ["adam", "nadam", "rmsprop", "sgd"],
    "learning_rate_init": loguniform(1e-4, 1e-1),
    "alpha": loguniform(1e-6, 1e-2),
}
search = RandomizedSearchCV(
    DeepMLPClassifier(max_iter=30, batch_size=64, random_state=0),
    param_distributions,
    n_iter=24,
    cv=3,
    n_jobs=1,
    random_state=0,
)
with warnings.catch_warnings():
    warnings.simplefilter("ignore", ConvergenceWarning)
    search.fit(X_train, y_train)

best = {
    name: float(round(value, 5)) if isinstance(value, float) else value
    for name, value in search.best_params_.items()
}
print(textwrap.fill(f"best settings: {best}", 80, subsequent_indent="  "))
print(
    f"cross-validated accuracy {search.best_score_:.3f}, "
    f"test accuracy {search.score(X_test, y_test):.3f}"
)

# %%
# The ten best settings
# ---------------------
# The table is ``cv_results_`` as a pandas ``DataFrame``, with short column names:
# ``lr`` is ``learning_rate_init``, ``cv acc.`` is ``mean_test_score``.
results = pd.DataFrame(search.cv_results_).sort_values("rank_test_score")
short = {
    "hidden_layer_sizes": "layers",
    "activation": "act.",
    "weight_init": "init",
    "batch_norm": "BN",
    "dropout": "drop.",
    "learning_rate_init": "lr",
}
columns = {
    "param_" + name: short.get(name, name) for name in param_distributions
}
columns["mean_test_score"] = "cv acc."
table = results[list(columns)].rename(columns=columns).head(10)
print(table.to_string(index=False, float_format="{:.3g}".format))

# %%
# What mattered
# -------------
# Each point is one sampled setting; the learning rate spans three decades and its effect
# depends on the optimiser, which is why a log-uniform distribution and a random (not grid)
# search suit it.
fig, (ax_rate, ax_norm) = plt.subplots(
    2, 1, figsize=(7, 6.5), height_ratios=(3, 1.5), layout="constrained"
)
for solver, group in results.groupby("param_solver"):
    ax_rate.scatter(
        group["param_learning_rate_init"].astype(float),
        group["mean_test_score"],
        label=solver,
        s=40,
    )
ax_rate.set(
    xscale="log",
    xlabel="learning_rate_init",
    ylabel="mean cross-validated accuracy",
    title="Accuracy against learning rate, by solver",
)
ax_rate.legend(title="solver")
scores_by_norm = [
    results.loc[results["param_batch_norm"] == flag, "mean_test_score"]
    for flag in (False, True)
]
ax_norm.boxplot(
    scores_by_norm,
    tick_labels=["batch_norm=False", "batch_norm=True"],
    orientation="horizontal",
)
ax_norm.set(
    xlabel="mean cross-validated accuracy",
    title="Effect of batch normalisation",
)
plt.show()

"""
=================================
Quickstart: next to MLPClassifier
=================================

:class:`skdeep.DeepMLPClassifier` takes every parameter of scikit-learn's
:class:`~sklearn.neural_network.MLPClassifier` with the same default, so the same line of code
trains the same model: from the same ``random_state`` both draw the same initial weights and
shuffles and take the same steps. We fit both with identical settings on scikit-learn's 8x8
digits, then switch on what skdeep adds -- batch normalisation, dropout, He initialisation and
the Nadam optimiser -- for a deeper network, and compare test accuracy, fit time and the
training curves drawn by :class:`skdeep.plotting.TrainingHistoryDisplay`.
"""

# %%
# Data
# ----
# 1,797 digits of 8x8 grey levels in 0..16, scaled to [0, 1]; a quarter is held out.
import time
import warnings

import matplotlib.pyplot as plt
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier

from skdeep import DeepMLPClassifier
from skdeep.plotting import TrainingHistoryDisplay

X, y = load_digits(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(
    X / 16, y, stratify=y, random_state=0
)

# %%
# Three models
# ------------
# The first two lines differ only in the class name. A fixed budget of 60 epochs keeps the
# comparison fair (both would warn that they have not converged; we silence that here).
same_settings = dict(hidden_layer_sizes=(128,), max_iter=60, random_state=0)
models = {
    "MLPClassifier": MLPClassifier(**same_settings),
    "DeepMLPClassifier": DeepMLPClassifier(**same_settings),
    "DeepMLPClassifier, 2x256, batch norm, dropout": DeepMLPClassifier(
        hidden_layer_sizes=(256, 256),
        batch_norm=True,
        dropout=0.2,
        weight_init="he_normal",
        solver="nadam",
        learning_rate_init=0.002,
        max_iter=60,
        random_state=0,
    ),
}

results = {}
for name, model in models.items():
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(X_train, y_train)
    results[name] = (model.score(X_test, y_test), time.perf_counter() - start)
    accuracy, seconds = results[name]
    print(f"{name:<46} test accuracy {accuracy:.3f}   fit {seconds:.1f} s")

# %%
# The fitted attributes are scikit-learn's too: ``loss_curve_``, ``coefs_``, ``n_iter_``, ...
# and so are their values: the first two fits are one model, equal to rounding.
sklearn_model, deep = models["MLPClassifier"], models["DeepMLPClassifier"]
print([w.shape for w in deep.coefs_], deep.n_iter_, round(deep.loss_, 4))
largest = max(
    abs(mine - theirs).max()
    for mine, theirs in zip(deep.coefs_, sklearn_model.coefs_)
)
same = (deep.predict(X_test) == sklearn_model.predict(X_test)).all()
print(
    f"largest weight difference: {largest:.1e}; same test predictions: {same}"
)

# %%
# Training curves and accuracy
# ----------------------------
# ``TrainingHistoryDisplay.from_estimator`` reads ``loss_curve_`` from any of them, including
# scikit-learn's estimator; drawing all three on one axes compares the fits.
fig, (ax_loss, ax_accuracy) = plt.subplots(
    2, 1, figsize=(7, 7), height_ratios=(3, 2), layout="constrained"
)
# The second curve is dashed: it lies exactly on the first.
line_styles = {"DeepMLPClassifier": {"linestyle": "--"}}
for name, model in models.items():
    TrainingHistoryDisplay.from_estimator(
        model, ax=ax_loss, name=name, line_kw=line_styles.get(name)
    )
ax_loss.set_yscale("log")
ax_loss.set_title("Training loss per epoch")
ax_loss.legend(fontsize="small", loc="upper right")

names = list(results)
ax_accuracy.barh(
    names, [results[name][0] for name in names], color=["C0", "C1", "C2"]
)
for row, name in enumerate(names):
    accuracy, seconds = results[name]
    ax_accuracy.text(
        accuracy - 0.005,
        row,
        f"{accuracy:.3f} ({seconds:.1f} s)",
        ha="right",
        va="center",
        color="white",
    )
ax_accuracy.set_xlim(0.9, 1.0)
ax_accuracy.set_yticks(
    range(len(names)),
    [name.replace(", ", ",\n", 1) for name in names],
    fontsize="small",
)
ax_accuracy.invert_yaxis()
ax_accuracy.set_title("Test accuracy (fit time)")
plt.show()

# %%
# The first two curves lie on top of each other: they are the same model. The third shows
# the point of the new parameters: a deeper, regularised network that trains in as many
# epochs. The :ref:`user guide <user_guide>` explains each of them.

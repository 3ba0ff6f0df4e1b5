"""
===============================
Monitoring a fit with callbacks
===============================

skdeep estimators take scikit-learn's callbacks (``sklearn.callback``, scikit-learn 1.9 and
later). Here :class:`~sklearn.callback.ScoringMonitor` scores a
:class:`skdeep.DeepMLPClassifier` on its training rows after every epoch, beside the
validation score early stopping watches (``validation_scores_``). Then a pretrained network
shows what its fit prints and warns: one label per stage with ``verbose``, and no warning about
the pretraining's fixed budget. See :ref:`ug_monitoring`.
"""

# %%
# One fit, scored every epoch
# ---------------------------
# Each epoch is a subtask of the fit; the monitor receives the training data (without the
# validation split) and a copy of the network as it stood at the end of that epoch.
import contextlib
import io
import textwrap
import warnings

import matplotlib.pyplot as plt
from sklearn.callback import ScoringMonitor
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

from skdeep import DeepMLPClassifier

X, y = load_digits(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(
    X / 16, y, test_size=0.3, stratify=y, random_state=0
)
monitor = ScoringMonitor(scoring="accuracy")
clf = DeepMLPClassifier(
    hidden_layer_sizes=(64,), early_stopping=True, max_iter=200, random_state=0
).set_callbacks(monitor)
clf.fit(X_train, y_train)

rows = monitor.get_logs().data
epochs = [row for row in rows if row["task_name"] == "epoch"]
for row in rows[:4]:
    print({key: row[key] for key in ("task_name", "task_id", "accuracy")})
print(
    f"... {len(epochs)} epoch rows for n_iter_={clf.n_iter_}; "
    f"test accuracy {clf.score(X_test, y_test):.3f}"
)

fig, ax = plt.subplots(figsize=(6, 3.5))
ax.plot(
    range(1, len(epochs) + 1),
    [row["accuracy"] for row in epochs],
    label="training accuracy (ScoringMonitor)",
)
ax.plot(
    range(1, len(clf.validation_scores_) + 1),
    clf.validation_scores_,
    label="validation accuracy (validation_scores_)",
)
ax.set_xlabel("epoch")
ax.set_ylabel("accuracy")
ax.legend()
fig.tight_layout()

# %%
# What a pretrained fit prints and warns
# --------------------------------------
# Three hidden layers pretrained as denoising autoencoders, then fine-tuned with early stopping.
# Each pretraining stage runs for ``pretraining_max_iter`` epochs by design, so none of them
# warns; only the fit you configured may.
pretrained = DeepMLPClassifier(
    hidden_layer_sizes=(64, 64, 64),
    pretraining="denoising",
    max_iter=300,
    early_stopping=True,
    verbose=True,
    random_state=0,
)
output = io.StringIO()
with (
    warnings.catch_warnings(record=True) as caught,
    contextlib.redirect_stdout(output),
):
    warnings.simplefilter("always")
    pretrained.fit(X_train, y_train)
labels = [
    line
    for line in output.getvalue().splitlines()
    if not line.startswith(("Iteration ", "Validation score: "))
]
# Long lines are wrapped to fit this page.
print(
    "\n".join(
        textwrap.fill(line, 80, subsequent_indent="  ") for line in labels
    )
)
print(f"warnings: {[str(warning.message) for warning in caught]}")
print(
    f"stopped after {pretrained.n_iter_} fine-tuning epochs; "
    f"test accuracy {pretrained.score(X_test, y_test):.3f}"
)

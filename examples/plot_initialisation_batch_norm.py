"""
=============================
Initialisation and batch norm
=============================

A network of five logistic hidden layers trained with plain SGD and momentum is the classic
example of a net that "does not train": the loss sits on a plateau near ``log(10)`` because the
gradient reaching the lower layers is multiplied, layer after layer, by the logistic
derivative (at most 1/4) and by small weights.

We train the same architecture on 2,000 real MNIST digits with three weight initialisations
(``weight_init``) and then with batch normalisation (``batch_norm=True``), and plot the training
loss and the validation accuracy per epoch. See :ref:`ug_initialisation` and
:ref:`ug_batch_norm` for the maths.
"""

# %%
import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn.exceptions import ConvergenceWarning

from skdeep import DeepMLPClassifier
from skdeep.datasets import load_mnist_sample

X, y = load_mnist_sample(return_X_y=True)
X_train, y_train = X[:2000], y[:2000]
X_test, y_test = X[-2000:], y[-2000:]

# %%
# Four runs of the same network
# -----------------------------
# ``'auto'`` is scikit-learn's initialisation: uniform with variance ``2 / (3 (fan_in +
# fan_out))`` for logistic units. Glorot's uniform scheme has three times that variance and He's
# normal scheme ``2 / fan_in``, about six times. Batch normalisation is combined with the
# default initialisation. ``early_stopping=True`` with ``n_iter_no_change='inf'`` holds out 10%
# of the training digits and records the accuracy on them after every epoch without ever
# stopping early.
common = dict(
    hidden_layer_sizes=(100,) * 5,
    activation="logistic",
    solver="sgd",
    learning_rate_init=0.05,
    momentum=0.9,
    batch_size=50,
    max_iter=40,
    early_stopping=True,
    n_iter_no_change="inf",
    random_state=0,
)
runs = {
    "weight_init='auto'": dict(weight_init="auto"),
    "weight_init='glorot_uniform'": dict(weight_init="glorot_uniform"),
    "weight_init='he_normal'": dict(weight_init="he_normal"),
    "weight_init='auto', batch_norm=True": dict(
        weight_init="auto", batch_norm=True
    ),
}
fitted = {}
for name, settings in runs.items():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        fitted[name] = DeepMLPClassifier(**common, **settings).fit(
            X_train, y_train
        )
    print(f"{name:<38} test accuracy {fitted[name].score(X_test, y_test):.3f}")

# %%
# Training curves
# ---------------
fig, (ax_loss, ax_score) = plt.subplots(
    2, 1, figsize=(7, 7), sharex=True, layout="constrained"
)
for name, clf in fitted.items():
    epochs = np.arange(1, clf.n_iter_ + 1)
    ax_loss.plot(epochs, clf.loss_curve_, label=name)
    ax_score.plot(epochs, clf.validation_scores_, label=name)
ax_loss.axhline(
    np.log(10), color="grey", linestyle=":", label="log(10): uniform guess"
)
ax_loss.set(ylabel="training loss", yscale="log", title="Training loss")
ax_score.set(
    xlabel="epoch", ylabel="accuracy", ylim=(0, 1), title="Validation accuracy"
)
ax_loss.legend(fontsize="small")
fig.suptitle(
    "Five logistic hidden layers of 100 units,\n"
    "SGD with momentum, 2,000 MNIST digits"
)
plt.show()

# %%
# The first two runs never leave the plateau within 40 epochs. He's larger initial weights let
# the gradient through after a long wait. Batch normalisation removes the problem: every hidden
# layer's pre-activations are re-centred and re-scaled over each mini-batch, so the logistic
# units work in their steep middle range and the gradient keeps its size on the way down.
#
# Prediction statistics
# ---------------------
# At prediction time there is no mini-batch: each batch-norm layer uses running averages of the
# batch statistics (``batch_norm_statistics='running'``, the default) or the exact mean and
# variance over the training set, recomputed after training (``'population'``).
population = DeepMLPClassifier(
    **common, batch_norm=True, batch_norm_statistics="population"
)
with warnings.catch_warnings():
    warnings.simplefilter("ignore", ConvergenceWarning)
    population.fit(X_train, y_train)
running = fitted["weight_init='auto', batch_norm=True"]
print(
    f"running averages:       test accuracy {running.score(X_test, y_test):.3f}"
)
print(
    "population statistics:  test accuracy "
    f"{population.score(X_test, y_test):.3f}"
)

"""
===========================
Dropout against overfitting
===========================

With 1,000 training digits a network of two hidden layers of 256 relu units has far more
weights than it has examples: it drives its training loss towards zero while its loss on new
digits starts to climb after a few epochs. Dropout (``dropout``, ``input_dropout``) trains a
different thinned network on every mini-batch, which keeps the units from co-adapting to the
training set.

We train three networks one epoch at a time with ``partial_fit`` and measure the log-loss and
accuracy on the training digits and on 2,000 held-out digits after each epoch. See
:ref:`ug_dropout`.
"""

# %%
import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import log_loss

from skdeep import DeepMLPClassifier
from skdeep.datasets import load_mnist_sample

X, y = load_mnist_sample(return_X_y=True)
X_train, y_train = X[:1000], y[:1000]
X_valid, y_valid = X[-2000:], y[-2000:]
classes = np.arange(10)
n_epochs = 40

# %%
# One epoch per ``partial_fit`` call
# ----------------------------------
# ``anneal_dropout=True`` lowers the rates linearly to zero over ``max_iter`` epochs, so the
# network is regularised early and fine-tuned without noise at the end.
common = dict(
    hidden_layer_sizes=(256, 256),
    learning_rate_init=0.001,
    batch_size=50,
    max_iter=n_epochs,
    random_state=0,
)
networks = {
    "no dropout": DeepMLPClassifier(**common),
    "dropout=0.5, input_dropout=0.2": DeepMLPClassifier(
        **common, dropout=0.5, input_dropout=0.2
    ),
    "the same, annealed": DeepMLPClassifier(
        **common, dropout=0.5, input_dropout=0.2, anneal_dropout=True
    ),
}

curves = {
    name: {"train loss": [], "valid loss": [], "train acc": [], "valid acc": []}
    for name in networks
}
print(f"{'':<31}{'best validation':>16}{'final validation':>18}")
print(f"{'network':<31}{'log-loss':>16}{'accuracy':>18}")
for name, clf in networks.items():
    for epoch in range(n_epochs):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            clf.partial_fit(X_train, y_train, classes=classes)
        for split, (X_split, y_split) in {
            "train": (X_train, y_train),
            "valid": (X_valid, y_valid),
        }.items():
            proba = clf.predict_proba(X_split)
            curves[name][f"{split} loss"].append(
                log_loss(y_split, proba, labels=classes)
            )
            curves[name][f"{split} acc"].append(
                np.mean(classes[proba.argmax(1)] == y_split)
            )
    best_loss = min(curves[name]["valid loss"])
    print(f"{name:<31}{best_loss:>16.3f}{curves[name]['valid acc'][-1]:>18.3f}")

# %%
# Train and validation curves
# ---------------------------
epochs = np.arange(1, n_epochs + 1)
fig, axes = plt.subplot_mosaic(
    [["valid", "train"], ["acc", "acc"]],
    figsize=(7.5, 6.5),
    layout="constrained",
)
ax_valid, ax_train, ax_acc = axes["valid"], axes["train"], axes["acc"]
for colour, (name, curve) in zip(["C3", "C0", "C2"], curves.items()):
    ax_valid.plot(epochs, curve["valid loss"], color=colour, label=name)
    ax_train.plot(epochs, curve["train loss"], color=colour, label=name)
    ax_acc.plot(epochs, curve["valid acc"], color=colour, label=name)
ax_valid.set(xlabel="epoch", ylabel="log-loss", title="Validation log-loss")
ax_train.set(
    xlabel="epoch", ylabel="log-loss", yscale="log", title="Training log-loss"
)
ax_acc.set(
    xlabel="epoch",
    ylabel="accuracy",
    ylim=(0.85, 0.95),
    title="Validation accuracy",
)
ax_valid.set_ylim(0.2, 0.6)
ax_acc.legend()
plt.show()

# %%
# Without dropout the training loss falls fastest and keeps falling, while the validation loss
# reaches its minimum after a few epochs and then rises: the network becomes ever more
# confident about the digits it gets wrong. With dropout the training loss falls more slowly --
# every mini-batch trains a network with half its hidden units switched off -- and the
# validation loss goes on improving for longer and stays lower. Annealing removes the
# regularisation as training proceeds, so towards the end it behaves more and more like the
# network without dropout.
#
# Because skdeep uses inverted dropout (kept units are scaled by ``1 / (1 - p)`` while
# training), nothing changes at prediction time: ``predict_proba`` uses the whole network, which
# approximates the average prediction of all the thinned networks.

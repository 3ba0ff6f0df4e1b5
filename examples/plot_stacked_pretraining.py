"""
=====================================
Stacked pretraining, then fine-tuning
=====================================

Greedy layer-wise pretraining initialises a deep network one hidden layer at a time before the
whole network is trained ("fine-tuned") on the labels. With ``pretraining='autoencoder'`` or
``'denoising'``, :class:`skdeep.DeepMLPClassifier` trains a (denoising) autoencoder on the
inputs, a second one on its codes, and so on; with ``'supervised'`` it trains each new hidden
layer with a temporary output layer on top of the frozen ones below. A fitted
:class:`skdeep.StackedAutoencoder` can be passed instead, which lets the pretraining use data
without labels.

We fine-tune a network of three logistic hidden layers of 256 units with SGD for 15 epochs on
2,000 labelled MNIST digits, from a random initialisation and after each kind of pretraining.
See :ref:`ug_autoencoders`.
"""

# %%
import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn.exceptions import ConvergenceWarning

from skdeep import DeepMLPClassifier, StackedAutoencoder
from skdeep.datasets import load_mnist_sample

X, y = load_mnist_sample(return_X_y=True)
X_train, y_train = X[:2000], y[:2000]
X_unlabelled = X[2000:7000]
X_test, y_test = X[-3000:], y[-3000:]

# %%
# A stack pretrained on unlabelled digits
# ---------------------------------------
# The same greedy procedure as ``pretraining='denoising'``, run by hand on 5,000 further digits
# whose labels we pretend not to have. Its layer sizes must match ``hidden_layer_sizes``.
stack = StackedAutoencoder(
    hidden_layer_sizes=(256, 256, 256),
    activation="logistic",
    noise="masking",
    noise_level=0.3,
    solver="sgd",
    learning_rate_init=0.05,
    batch_size=50,
    max_iter=5,
    random_state=0,
)
with warnings.catch_warnings():
    warnings.simplefilter("ignore", ConvergenceWarning)
    stack.fit(np.vstack([X_train, X_unlabelled]))

# %%
# Five fine-tuning runs
# ---------------------
# Everything but ``pretraining`` is shared; each layer's pretraining runs for
# ``pretraining_max_iter`` epochs with the fine-tuning optimiser's settings.
common = dict(
    hidden_layer_sizes=(256, 256, 256),
    activation="logistic",
    solver="sgd",
    learning_rate_init=0.05,
    momentum=0.9,
    batch_size=50,
    max_iter=15,
    pretraining_max_iter=5,
    random_state=0,
)
settings = {
    "random initialisation": None,
    "'autoencoder'": "autoencoder",
    "'denoising'": "denoising",
    "'supervised'": "supervised",
    "stack, + 5,000 unlabelled": stack,
}
fitted = {}
for name, pretraining in settings.items():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        fitted[name] = DeepMLPClassifier(pretraining=pretraining, **common).fit(
            X_train, y_train
        )
    print(f"{name:<28} test error {1 - fitted[name].score(X_test, y_test):.3f}")

# %%
# Fine-tuning curves and test error
# ---------------------------------
fig, (ax_loss, ax_error) = plt.subplots(
    2, 1, figsize=(7, 6.5), height_ratios=(3, 2), layout="constrained"
)
for name, clf in fitted.items():
    ax_loss.plot(np.arange(1, clf.n_iter_ + 1), clf.loss_curve_, label=name)
ax_loss.set(
    xlabel="fine-tuning epoch",
    ylabel="training loss",
    yscale="log",
    title="Fine-tuning loss",
)
ax_loss.legend(title="pretraining", loc="upper right", bbox_to_anchor=(1, 0.9))
errors = [1 - clf.score(X_test, y_test) for clf in fitted.values()]
ax_error.barh(list(fitted), errors, color=[f"C{i}" for i in range(len(fitted))])
ax_error.set(xscale="log", xlabel="test error (log scale)", title="Test error")
ax_error.invert_yaxis()
plt.show()

# %%
# From random weights, SGD spends the whole budget on the plateau that deep logistic networks
# start on (see :ref:`sphx_glr_auto_examples_plot_initialisation_batch_norm.py`): after 15
# epochs it still guesses. Every pretrained network starts fine-tuning from weights that already
# encode the digits and trains at once. Unsupervised pretraining uses no labels, so it can use
# more data than the labelled set: here the stack fitted on 7,000 digits does best. Batch
# normalisation or a relu network solves the plateau problem too; pretraining remains useful
# when unlabelled data is plentiful and labels are scarce.

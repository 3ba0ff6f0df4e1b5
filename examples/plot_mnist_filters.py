"""
=================================
MNIST filters and reconstructions
=================================

A denoising autoencoder learns what to keep from an image by learning to restore it.
:func:`skdeep.datasets.load_mnist_sample` ships 10,000 real MNIST digits with skdeep, so this
example needs no download. We train :class:`skdeep.DenoisingAutoencoderTransformer` with 100
logistic hidden units on 5,000 of them, then look at

- its filters -- each hidden unit's incoming weights as a 28x28 image -- with
  :class:`skdeep.plotting.FilterGridDisplay`, next to the first-layer filters of a
  :class:`skdeep.DeepMLPClassifier` trained on the labels;
- its reconstructions of test digits, clean and with half their pixels masked, with
  :class:`skdeep.plotting.ReconstructionDisplay`.
"""

# %%
import textwrap
import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn.exceptions import ConvergenceWarning

from skdeep import DeepMLPClassifier, DenoisingAutoencoderTransformer
from skdeep.datasets import load_mnist_sample
from skdeep.noise import masking
from skdeep.plotting import FilterGridDisplay, ReconstructionDisplay

digits = load_mnist_sample()
print(textwrap.fill(digits.DESCR, width=80))
X_train, y_train = digits.data[:5000], digits.target[:5000]
X_test = digits.data[-1000:]

# %%
# Training
# --------
# Masking noise zeroes 40% of the pixels of every training image; the target stays the clean
# image. With inputs in [0, 1] the reconstruction loss is the Bernoulli cross-entropy.
dae = DenoisingAutoencoderTransformer(
    n_components=100,
    activation="logistic",
    noise="masking",
    noise_level=0.4,
    learning_rate_init=0.01,
    max_iter=30,
    random_state=0,
)
clf = DeepMLPClassifier(hidden_layer_sizes=(100,), max_iter=30, random_state=0)
with warnings.catch_warnings():
    warnings.simplefilter("ignore", ConvergenceWarning)
    dae.fit(X_train)
    clf.fit(X_train, y_train)
loss = -dae.score(X_test)
print(f"reconstruction loss per image: {loss:.1f} (cross-entropy, in nats)")

# %%
# Filters
# -------
# ``FilterGridDisplay.from_estimator`` takes the rows of ``components_`` of the autoencoder and
# the columns of ``coefs_[0]`` of the classifier. Each image has its own grey scale. Each
# display divides the axes it is given into an 8x8 grid; thin figure margins leave the
# space to the filters.
fig, (ax_dae, ax_clf) = plt.subplots(1, 2, figsize=(7, 3.9))
fig.subplots_adjust(left=0.01, right=0.99, bottom=0.01, top=0.93, wspace=0.04)
FilterGridDisplay.from_estimator(
    dae,
    image_shape=(28, 28),
    n_filters=64,
    ax=ax_dae,
    name="Denoising autoencoder (no labels)",
)
FilterGridDisplay.from_estimator(
    clf,
    image_shape=(28, 28),
    n_filters=64,
    ax=ax_clf,
    name="MLP classifier (labels)",
)
plt.show()

# %%
# The autoencoder's units have become detectors of strokes and of pen positions: to restore a
# masked pixel, a unit combines the pixels around it. The classifier's filters are noisier: with
# a relu layer trained for 30 epochs they keep much of their random initialisation, and only
# what separates the ten classes had to be learned.
#
# Reconstructions
# ---------------
# ``ReconstructionDisplay.from_estimator`` shows the first images of ``X`` above
# ``inverse_transform(transform(X))``. No noise is applied at transform time, so to see the
# denoising we corrupt the test digits ourselves with the same masking function the
# autoencoder trains with, from :mod:`skdeep.noise`. The display's row labels are ordinary
# y-labels of ``axes_[:, 0]``; we set them upright, in the left margin, one per row.
masked = masking(X_test[:10], 0.5, np.random.default_rng(0))
fig, (ax_clean, ax_masked) = plt.subplots(2, 1, figsize=(7, 2.95))
fig.subplots_adjust(left=0.19, right=0.995, bottom=0.01, top=0.91, hspace=0.25)
row_labels = {
    "Clean test digits": ("clean input", "reconstruction\nof clean"),
    "Half of the pixels masked": ("masked input", "reconstruction\nof masked"),
}
blocks = zip([ax_clean, ax_masked], [X_test, masked], row_labels.items())
for ax, images, (title, labels) in blocks:
    display = ReconstructionDisplay.from_estimator(
        dae, images, (28, 28), n_images=10, ax=ax, labels=labels, name=title
    )
    for row_ax in display.axes_[:, 0]:
        row_ax.yaxis.label.set(rotation=0, ha="right", va="center")
plt.show()

# %%
# The reconstructions of clean digits are slightly blurred copies, as a 100-unit code must
# forget detail. With half the pixels removed, the autoencoder still restores recognisable
# digits: it has learned what digits look like, not just to copy pixels.

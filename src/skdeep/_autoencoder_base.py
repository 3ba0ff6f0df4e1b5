"""What both autoencoders share: parameters, the encoder block, fit / transform / inverse_transform.

An autoencoder is the same network and training loop as the MLPs with the input as its target
(``Y=None``) and, for denoising, a corrupted copy of each training batch as its input.
"""

from numbers import Real

import numpy as np
from sklearn.base import ClassNamePrefixFeaturesOutMixin, TransformerMixin
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import check_array, check_is_fitted

from ._base import TRAINING_CONSTRAINTS, BaseNetworkEstimator, stochastic_solver
from ._tasks import Reconstruction
from ._training import as_dense
from ._validation import per_layer
from .activations import ACTIVATIONS
from .layers import Dense, TiedDense
from .noise import LEVEL_RANGES, NOISES

AUTOENCODER_CONSTRAINTS = {
    "noise": [StrOptions(set(NOISES)), None],
    "noise_level": [Interval(Real, 0, None, closed="left"), "array-like"],
    "activation": [StrOptions(set(ACTIVATIONS))],
    "tied_weights": ["boolean"],
    "loss": [StrOptions({"auto", "cross_entropy", "squared_error"})],
    **TRAINING_CONSTRAINTS,
}


def check_noise(noise, noise_level, n_layers, solver, prefix=""):
    """Return one noise level per layer, checked against the noise type's range.

    ``prefix`` names the parameters in messages as the user set them ('pretraining_' for an
    MLP's denoising pretraining).

    Raises
    ------
    ValueError
        For a per-layer sequence of the wrong length, a level out of range, or noise with L-BFGS.
    """
    low, high = LEVEL_RANGES.get(noise, (0.0, np.inf))
    levels = per_layer(noise_level, n_layers, f"{prefix}noise_level", low=low, high=high)
    if noise is not None and solver == "lbfgs" and any(levels):
        raise ValueError(
            f"{prefix}noise needs a stochastic solver: L-BFGS requires a deterministic "
            "objective. Use solver='adam' (or another stochastic solver), or "
            + ("pretraining='autoencoder'." if prefix else "noise=None.")
        )
    return levels


def decoder_layer(encoder, tied_weights):
    """The layer that maps an encoder block's code back to its input: tied or its own weights."""
    if tied_weights:
        return TiedDense(encoder.dense)
    return Dense(encoder.dense.n_outputs, encoder.dense.n_inputs)


class BaseAutoencoder(ClassNamePrefixFeaturesOutMixin, TransformerMixin, BaseNetworkEstimator):
    """Fit / transform / inverse_transform / score shared by both autoencoders."""

    @property
    def _encoders(self):
        # An autoencoder's network is its encoder blocks, bottom to top, then its decoder layers.
        return self._network.blocks

    _task = Reconstruction()

    def _reconstruction_loss(self, X, sample_weight=None):
        scores = self._network.forward(X, training=False)
        # The reconstruction of a sparse X is dense anyway: a dense target of the same shape
        # at most doubles what this evaluation holds.
        value, _ = self._loss.value_and_gradient(scores, as_dense(X), sample_weight)
        return value

    def fit(self, X, y=None, sample_weight=None, *, X_val=None):
        """Learn to reconstruct ``X`` from its (corrupted) self.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data; float32 input trains in float32.
        y : None
            Ignored for training; handed to scikit-learn's callbacks as it is given.
        sample_weight : array-like of shape (n_samples,), default=None
            Sample weights.
        X_val : {array-like, sparse matrix} of shape (n_val_samples, n_features), default=None
            Validation data: its reconstruction loss is recorded in ``history_`` every epoch and,
            with ``early_stopping=True``, used instead of a random ``validation_fraction``
            ('lbfgs' ignores it). It is used as given: a Pipeline's ``step__X_val=`` skips the
            earlier steps' transformations (a warning says so when the scales disagree); metadata
            routing applies them, with ``transform_input=["X_val"]`` on the Pipeline and
            ``set_fit_request(X_val=True)`` here (:ref:`ug_validation_pipeline`).

        Returns
        -------
        self : object
            Fitted autoencoder.
        """
        return self._fit(X, y, sample_weight=sample_weight, X_val=X_val)

    @available_if(stochastic_solver)
    def partial_fit(self, X, y=None, sample_weight=None, *, X_val=None):
        """Train for one epoch over ``X``.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            A chunk of training data.
        y : None
            Ignored for training; handed to scikit-learn's callbacks as it is given.
        sample_weight : array-like of shape (n_samples,), default=None
            Sample weights.
        X_val : {array-like, sparse matrix} of shape (n_val_samples, n_features), default=None
            Validation data recorded in ``history_``.

        Returns
        -------
        self : object
            Fitted autoencoder.
        """
        return self._fit(X, y, sample_weight=sample_weight, incremental=True, X_val=X_val)

    def transform(self, X):
        """Encode ``X`` (no noise is applied at transform time).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Data to encode.

        Returns
        -------
        codes : ndarray of shape (n_samples, n_components)
            The top-level code of each sample.
        """
        X = self._validate_for_predict(X)
        return self._network.features(X, len(self._encoders))

    def inverse_transform(self, X):
        """Decode codes back to the input space.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_components)
            Codes, as returned by :meth:`transform`.

        Returns
        -------
        X_reconstructed : ndarray of shape (n_samples, n_features)
            Reconstructions, through the output activation.
        """
        check_is_fitted(self)
        codes = check_array(X, dtype=(np.float64, np.float32)).astype(
            self._network.dtype, copy=False
        )
        if codes.shape[1] != self._n_features_out:
            raise ValueError(
                f"X has {codes.shape[-1]} features, but {self.__class__.__name__} produces "
                f"{self._n_features_out} components."
            )
        codes = self._network.forward(codes, training=False, start=len(self._encoders))
        return self._loss.output(codes)

    def score(self, X, y=None):
        """Negative mean reconstruction loss of clean ``X`` (higher is better).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Data to reconstruct.
        y : None
            Ignored.

        Returns
        -------
        score : float
        """
        X = self._validate_for_predict(X)
        return -self._reconstruction_loss(X)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        tags.target_tags.required = False
        return tags

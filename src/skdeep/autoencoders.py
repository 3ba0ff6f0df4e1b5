"""DenoisingAutoencoderTransformer and StackedAutoencoder: unsupervised features for pipelines.

An autoencoder is the same network and training loop as the MLPs with the input as its target
(``Y=None``) and, for denoising, a corrupted copy of each training batch as its input. The
encoder is ``Dense -> [BatchNorm] -> activation``; the decoder is a :class:`TiedDense` (the
transposed encoder weights) or its own Dense layer, and the loss applies the output non-linearity.
"""

from numbers import Integral
from typing import NamedTuple

from sklearn.utils._param_validation import Interval

from ._autoencoder_base import (
    AUTOENCODER_CONSTRAINTS,
    BaseAutoencoder,
    check_noise,
    decoder_layer,
)
from ._base import child_training_parameters, store_parameters
from ._docs import AUTOENCODER_PARAMETERS, OPTIMISATION_PARAMETERS
from ._reporting import fit_stage
from ._training import collecting_convergence_notices, warn_not_converged
from ._validation import hidden_sizes
from .code_penalties import CODE_PENALTY_CONSTRAINTS, check_code_penalties, code_penalty_layers
from .layers import Activation, copy_block_state, copy_layer_state, hidden_block
from .network import Network
from .noise import make_corruption

class AutoencoderSpec(NamedTuple):
    """The checked architecture of a DenoisingAutoencoderTransformer."""

    noise_level: float


class StackSpec(NamedTuple):
    """The checked architecture of a StackedAutoencoder."""

    sizes: list  # units of each encoder
    noise_levels: list  # corruption level of each layer's greedy training


class DenoisingAutoencoderTransformer(BaseAutoencoder):
    __doc__ = f"""Denoising autoencoder as a scikit-learn transformer.

    Read more in the :ref:`User Guide <ug_autoencoders>`.

    Learns ``n_components`` features by reconstructing each training sample from a corrupted
    copy of it (Vincent et al., 2008). ``transform`` returns the code of clean inputs, so the
    features feed any estimator in a :class:`~sklearn.pipeline.Pipeline`.

    Parameters
    ----------
    n_components : int, default=256
        Number of hidden units (features produced by ``transform``).

    {AUTOENCODER_PARAMETERS}
    {OPTIMISATION_PARAMETERS}
    Attributes
    ----------
    components_ : ndarray of shape (n_components, n_features)
        Encoder weights: row ``k`` is the filter of feature ``k`` (a view into the parameters).

    intercept_hidden_ : ndarray of shape (n_components,)
        Encoder biases.

    intercept_visible_ : ndarray of shape (n_features,)
        Decoder biases.

    loss_ : float
        Mean training loss (reconstruction plus penalty) of the last epoch.

    loss_curve_ : list of float
        Training loss after each epoch (stochastic solvers).

    history_ : list of dict
        One record per epoch: ``epoch``, ``loss``, ``validation_loss``, ``validation_score``
        (negative validation loss), ``learning_rate`` and ``seconds``.

    validation_scores_ : list of float or None
        Negative reconstruction loss on the validation split after each epoch (early stopping).

    best_validation_score_ : float or None
        Best of ``validation_scores_``.

    best_loss_ : float or None
        Lowest training loss (without early stopping).

    n_iter_ : int
        Epochs run by the last call.

    t_ : int
        Training samples seen.

    out_activation_ : str
        'logistic' (cross-entropy reconstruction) or 'identity' (squared error).

    n_features_in_ : int
        Number of features seen during fit.

    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during fit, when X has string feature names.

    See Also
    --------
    StackedAutoencoder : Several autoencoders trained greedily, one on the codes of the last.
    sklearn.neural_network.BernoulliRBM : A restricted Boltzmann machine feature learner.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn.pipeline import make_pipeline
    >>> from skdeep import DenoisingAutoencoderTransformer
    >>> X, y = load_digits(return_X_y=True)
    >>> model = make_pipeline(
    ...     DenoisingAutoencoderTransformer(n_components=64, max_iter=20,
    ...                                     random_state=0),
    ...     LogisticRegression(max_iter=1000)).fit(X[:1500] / 16, y[:1500])
    >>> model.score(X[1500:] / 16, y[1500:]) > 0.9
    True
    """

    _parameter_constraints = {
        "n_components": [Interval(Integral, 1, None, closed="left")],
        **AUTOENCODER_CONSTRAINTS,
        **CODE_PENALTY_CONSTRAINTS,
    }

    def __init__(
        self,
        n_components=256,
        *,
        noise="masking",
        noise_level=0.3,
        sparsity_weight=0.0,
        sparsity_target=0.05,
        contraction=0.0,
        activation="relu",
        tied_weights=True,
        loss="auto",
        solver="adam",
        alpha=0.0001,
        batch_size="auto",
        learning_rate="constant",
        learning_rate_init=0.001,
        power_t=0.5,
        max_iter=200,
        shuffle=True,
        random_state=None,
        tol=1e-4,
        verbose=False,
        warm_start=False,
        momentum=0.9,
        nesterovs_momentum=True,
        early_stopping=False,
        validation_fraction=0.1,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-8,
        n_iter_no_change=10,
        max_fun=15000,
        weight_init="auto",
        batch_norm=False,
        batch_norm_momentum=0.9,
        batch_norm_statistics="running",
        max_norm=None,
        l1=0.0,
        rho=0.9,
        learning_rate_decay=0.95,
        learning_rate_step=10,
        on_epoch_end=None,
    ):
        store_parameters(self, locals())

    @property
    def _n_features_out(self):
        return self.n_components

    @property
    def components_(self):
        return self._encoders[0].dense.weights.T

    @property
    def intercept_hidden_(self):
        return self._encoders[0].dense.biases

    @property
    def intercept_visible_(self):
        return self._network.layers[-1].biases

    def _architecture(self):
        (level,) = check_noise(self.noise, self.noise_level, 1, self.solver)
        check_code_penalties(self)
        return AutoencoderSpec(level)

    def _build_network(self, spec, n_features, n_outputs, dtype):
        encoder = hidden_block(
            n_features, self.n_components, self.activation, batch_norm=self.batch_norm,
            batch_norm_momentum=self.batch_norm_momentum,
        )
        decoder = decoder_layer(encoder, self.tied_weights)
        # The penalties after the decoder is built: see code_penalties.CodePenalty.
        return Network(
            [encoder, *code_penalty_layers(self, encoder), decoder], dtype=dtype
        )

    def _corruption(self, spec):
        return make_corruption(self.noise, spec.noise_level)


class StackedAutoencoder(BaseAutoencoder):
    __doc__ = f"""Stacked (denoising) autoencoder trained greedily, layer by layer.

    Read more in the :ref:`User Guide <ug_autoencoders>`.

    The first autoencoder learns to reconstruct the data, each next one the codes of the one
    below, with noise applied only to each autoencoder's own input (Vincent et al., 2010). The
    encoders then form a deep encoder and the decoders, in reverse order, a deep decoder; with
    ``fine_tune=True`` the unrolled deep autoencoder is trained end to end afterwards.

    Parameters
    ----------
    hidden_layer_sizes : array-like of shape (n_layers,), default=(256, 64)
        Code size of each autoencoder, bottom to top; ``transform`` returns the top code.

    {AUTOENCODER_PARAMETERS}
        ``noise`` applies to every layer; ``noise_level`` may be one value or one per layer.
        ``sparsity_weight``, ``sparsity_target`` and ``contraction`` apply to each layer's
        greedily trained autoencoder (its own code); fine-tuning (``fine_tune=True``) trains
        the unrolled stack on its reconstruction loss alone, without them.

    fine_tune : bool, default=False
        After greedy training, train the whole unrolled autoencoder end to end (with the first
        layer's noise on its input) using the training parameters below.

    {OPTIMISATION_PARAMETERS}
    Attributes
    ----------
    autoencoders_ : list of DenoisingAutoencoderTransformer
        The greedily trained autoencoder of each layer, for inspection.

    coefs_ : list of ndarray
        Encoder weight matrices of the (fine-tuned) stack, bottom to top.

    intercepts_ : list of ndarray
        Encoder bias vectors of the stack.

    loss_ : float
        Reconstruction loss of the stack on the training data (after fine-tuning, its last
        epoch's training loss).

    n_iter_ : int
        Fine-tuning epochs run by the last call; without fine-tuning, the most epochs any
        layer's autoencoder ran.

    out_activation_ : str
        Output activation of the bottom decoder.

    n_features_in_ : int
        Number of features seen during fit.

    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during fit, when X has string feature names.

    See Also
    --------
    DenoisingAutoencoderTransformer : One layer of the stack.

    Notes
    -----
    ``partial_fit`` initialises the stack greedily on its first chunk (one epoch per layer) and
    then trains the unrolled autoencoder end to end, one epoch per call.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from skdeep import StackedAutoencoder
    >>> X, _ = load_digits(return_X_y=True)
    >>> sae = StackedAutoencoder(hidden_layer_sizes=(64, 16), max_iter=10,
    ...                          random_state=0)
    >>> sae.fit_transform(X / 16).shape
    (1797, 16)
    """

    _parameter_constraints = {
        "hidden_layer_sizes": ["array-like", Interval(Integral, 1, None, closed="left")],
        **AUTOENCODER_CONSTRAINTS,
        **CODE_PENALTY_CONSTRAINTS,
        "fine_tune": ["boolean"],
    }

    def __init__(
        self,
        hidden_layer_sizes=(256, 64),
        *,
        noise="masking",
        noise_level=0.3,
        sparsity_weight=0.0,
        sparsity_target=0.05,
        contraction=0.0,
        activation="relu",
        tied_weights=True,
        loss="auto",
        fine_tune=False,
        solver="adam",
        alpha=0.0001,
        batch_size="auto",
        learning_rate="constant",
        learning_rate_init=0.001,
        power_t=0.5,
        max_iter=200,
        shuffle=True,
        random_state=None,
        tol=1e-4,
        verbose=False,
        warm_start=False,
        momentum=0.9,
        nesterovs_momentum=True,
        early_stopping=False,
        validation_fraction=0.1,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-8,
        n_iter_no_change=10,
        max_fun=15000,
        weight_init="auto",
        batch_norm=False,
        batch_norm_momentum=0.9,
        batch_norm_statistics="running",
        max_norm=None,
        l1=0.0,
        rho=0.9,
        learning_rate_decay=0.95,
        learning_rate_step=10,
        on_epoch_end=None,
    ):
        store_parameters(self, locals())

    _network_attributes = ("_network", "_decoders")

    @property
    def _n_features_out(self):
        return hidden_sizes(self.hidden_layer_sizes)[-1]

    @property
    def coefs_(self):
        return [block.dense.weights for block in self._encoders]

    @property
    def intercepts_(self):
        return [block.dense.biases for block in self._encoders]

    def _architecture(self):
        sizes = hidden_sizes(self.hidden_layer_sizes)
        if not sizes:
            raise ValueError(
                "hidden_layer_sizes must hold at least one layer size: a StackedAutoencoder "
                f"encodes its input through its hidden layers; got {self.hidden_layer_sizes!r}."
            )
        levels = check_noise(self.noise, self.noise_level, len(sizes), self.solver)
        check_code_penalties(self)
        return StackSpec(sizes, levels)

    def _build_network(self, spec, n_features, n_outputs, dtype):
        inputs = [n_features, *spec.sizes]
        encoders = [
            hidden_block(
                n_in, n_out, self.activation, batch_norm=self.batch_norm,
                batch_norm_momentum=self.batch_norm_momentum,
            )
            for n_in, n_out in zip(inputs[:-1], inputs[1:])
        ]
        layers, decoders = list(encoders), []
        for depth in reversed(range(len(encoders))):
            decoder = decoder_layer(encoders[depth], self.tied_weights)
            decoders.append(decoder)
            # Each inner decoder reconstructs the code below, which lives in the activation's
            # range; the bottom decoder's output non-linearity belongs to the loss.
            layers.extend([decoder, Activation(self.activation)] if depth else [decoder])
        # Decoders are listed top first, the order in which the network applies them.
        self._decoders = decoders
        return Network(layers, dtype=dtype)

    def _layer_parameters(self, depth, spec):
        """Parameters of the autoencoder trained greedily at ``depth``."""
        return child_training_parameters(
            self,
            n_components=spec.sizes[depth],
            noise=self.noise,
            noise_level=spec.noise_levels[depth],
            sparsity_weight=self.sparsity_weight,
            sparsity_target=self.sparsity_target,
            contraction=self.contraction,
            activation=self.activation,
            tied_weights=self.tied_weights,
            loss=self.loss if depth == 0 else "auto",
        )

    def _greedy_only(self, prepared, incremental):
        """Whether the greedy layer-wise stage is the whole of this call."""
        return prepared.first_pass and (incremental or not self.fine_tune)

    def _n_pretraining_stages(self, prepared):
        return len(prepared.spec.sizes) if prepared.first_pass else 0

    def _n_training_tasks(self, prepared, incremental):
        if self._greedy_only(prepared, incremental):
            return 0
        return super()._n_training_tasks(prepared, incremental)

    def _stage_label(self, depth, layer, n_inputs):
        noise = "no noise" if not layer.noise or not layer.noise_level else (
            f"{layer.noise} noise at {layer.noise_level:g}"
        )
        return (
            f"Layer {depth + 1} of {len(self._encoders)} of the stack: an autoencoder "
            f"{n_inputs} -> {layer.n_components} units, {noise}:"
        )

    def _after_initialise(self, spec, X, Y, y_scoring, sample_weight, incremental):
        self.autoencoders_ = []
        unconverged = []
        codes = X
        for depth, encoder in enumerate(self._encoders):
            layer = DenoisingAutoencoderTransformer(**self._layer_parameters(depth, spec))
            label = self._stage_label(depth, layer, codes.shape[1])
            with fit_stage(self, layer, f"layer {depth + 1}", label), \
                    collecting_convergence_notices() as notices:
                if incremental:
                    layer.partial_fit(codes, sample_weight=sample_weight)
                else:
                    layer.fit(codes, sample_weight=sample_weight)
            if notices:
                unconverged.append(depth + 1)
            self.autoencoders_.append(layer)
            copy_block_state(layer._encoders[0], encoder)
            copy_layer_state(layer._network.layers[-1], self._decoders[-1 - depth])
            codes = layer.transform(codes)
        # Fine-tuning trains every layer again and warns for itself; without it, one notice
        # for the stack names the layers that could use more epochs.
        if unconverged and not self.fine_tune and not incremental:
            warn_not_converged(
                f"StackedAutoencoder: layer(s) {', '.join(map(str, unconverged))} of "
                f"{len(self._encoders)} reached max_iter={self.max_iter} epochs before their "
                "reconstruction loss converged. Increase max_iter (each layer's budget) or "
                "learning_rate_init."
            )

    def _train(self, prepared, incremental, validation=None, callback_context=None):
        if self._greedy_only(prepared, incremental):
            self.loss_ = self._reconstruction_loss(prepared.X, prepared.sample_weight)
            self.n_iter_ = max(layer.n_iter_ for layer in self.autoencoders_)
            return
        super()._train(prepared, incremental, validation, callback_context)

    def _corruption(self, spec):
        return make_corruption(self.noise, spec.noise_levels[0])

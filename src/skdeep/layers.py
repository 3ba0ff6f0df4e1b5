"""Layers: the building blocks of a ``skdeep.network.Network``.

The contract every layer keeps (also on the :doc:`architecture page </architecture>`):

- ``param_specs()`` lists ``(name, shape, is_weight)`` for each parameter array. The network lays them
  out in one flat vector and calls ``bind(params, grads)`` with views into the flat parameter and
  gradient vectors, which the layer keeps as attributes of the same names (``grad_<name>`` for grads).
- ``forward(X, training=False, rng=None)`` returns the output. In training mode it caches only what
  ``backward`` needs, overwriting the last cache; in prediction mode it caches nothing, so a fitted
  network never holds a user's batch alive. ``clear_cache()`` drops the cache (the end of a fit).
- ``backward(grad_output)`` writes the parameter gradients into the bound gradient views and returns
  the gradient with respect to the input, or ``None`` when ``propagate`` is False (the first layers
  of a network, whose input gradient nobody needs). It may overwrite ``grad_output``. It needs a
  training-mode forward pass first.
- ``reset_parameters(weight_init, activation, rng)`` draws the initial parameter values.
- ``sublayers()`` lists the layers a composite layer (:class:`HiddenBlock`) is made of; ``role``
  says what a plain layer is to the network (``'dense'``, ``'batch_norm'``, ...), so that the
  network lists its dense, batch-norm and dropout layers by asking them, not by their types.

The element-wise work runs in compiled kernels (``skdeep._kernels``), one pass each, and a
hidden block's activation is applied in the last pass of the layer before it (the dense layer's
bias, or the batch normalisation's scale and shift), while that layer's output is in cache: the
block's ``Activation`` layer then only keeps the output for its backward pass (see
:class:`HiddenBlock`). In training mode the dense, batch-norm and dropout layers write their
outputs into arrays they keep and reuse on the next training pass, as they are only read until
the backward pass of the same batch; a prediction never touches them and returns new arrays.
"""

import numpy as np
import scipy.sparse as sp

from ._kernels._batch_norm import backward as batch_norm_backward
from ._kernels._batch_norm import forward_prediction as batch_norm_prediction
from ._kernels._batch_norm import forward_training as batch_norm_training
from ._kernels._elementwise import activate, column_sums, dropout, dropout_csr
from ._maxout import MAXOUT, maxout, maxout_backward, maxout_with_winners
from ._random import random_uint32, threshold
from .activations import ACTIVATION_CODES, ACTIVATIONS
from .initialisers import initialise_dense

_IDENTITY = ACTIVATION_CODES["identity"]


class Layer:
    """Base class: no parameters, identity initialisation, pickling without views or caches.

    Read more in the :ref:`User Guide <ug_forward_backward>`.
    """

    propagate = True
    # What the layer is to the network; Network.dense_layers and its siblings collect by it.
    role = None

    def sublayers(self):
        """Return the layers this one is made of, input to output (none for a plain layer)."""
        return []

    def walk(self):
        """Yield this layer, then every layer it is made of, input to output."""
        yield self
        for child in self.sublayers():
            yield from child.walk()

    def clear_cache(self):
        """Forget what the last training-mode forward pass kept for ``backward``."""
        for layer in self.walk():
            for key in [key for key in vars(layer) if key.startswith("_cache")]:
                del layer.__dict__[key]

    def param_specs(self):
        """Return the ``(name, shape, is_weight)`` triple of each parameter array."""
        return []

    def bind(self, params, grads):
        """Keep views into the network's flat parameter and gradient vectors.

        Parameters
        ----------
        params, grads : dict of str to ndarray
            Views keyed by the names of :meth:`param_specs`.
        """
        for name, view in params.items():
            setattr(self, name, view)
        for name, view in grads.items():
            setattr(self, "grad_" + name, view)

    def reset_parameters(self, weight_init, activation, rng):
        """Draw initial parameter values (no-op for layers without parameters)."""

    def buffers(self):
        """Return the non-trainable state arrays that a snapshot of the network must include."""
        return []

    def _reused(self, name, shape, dtype):
        """An array for a training pass to write, kept as ``name`` for the next training pass.

        A training pass's outputs and caches are read only until the backward pass of the same
        batch, so the next training pass may write over them; a ``_cache`` name makes
        :meth:`clear_cache` and pickling drop the array with the rest of the cache.
        """
        buffer = self.__dict__.get(name)
        if buffer is None or buffer.shape != shape or buffer.dtype != dtype:
            buffer = self.__dict__[name] = np.empty(shape, dtype=dtype)
        return buffer

    def __getstate__(self):
        # Views into the flat vectors are re-created by Network.__setstate__, and the cached batch
        # would only bloat the pickle.
        bound = {name for name, _, _ in self.param_specs()}
        bound |= {"grad_" + name for name in bound}
        return {
            key: value
            for key, value in self.__dict__.items()
            if key not in bound and not key.startswith("_cache")
        }


class Dense(Layer):
    """Affine map ``X @ weights + biases``.

    Read more in the :ref:`User Guide <ug_forward_backward>`.

    Parameters
    ----------
    n_inputs, n_outputs : int
        Number of input and output units.
    """

    # True when a later TiedDense shares these weights: its backward runs first and writes its
    # share of the weight gradient, so this layer must add to the buffer, not overwrite it.
    shares_weights = False
    # The activation applied in the pass that adds the biases: a HiddenBlock without batch
    # normalisation sets its own, whose Activation layer then only keeps the output.
    fused_activation = "identity"
    # Outputs per unit of the block: a maxout block's dense layer has one output per piece.
    outputs_per_unit = 1
    role = "dense"

    def __init__(self, n_inputs, n_outputs):
        self.n_inputs = n_inputs
        self.n_outputs = n_outputs

    def param_specs(self):
        return [
            ("weights", (self.n_inputs, self.n_outputs), True),
            ("biases", (self.n_outputs,), False),
        ]

    def reset_parameters(self, weight_init, activation, rng):
        initialise_dense(
            self.weights, self.biases, weight_init, rng, activation,
            fan_out=self.n_outputs // self.outputs_per_unit,
        )

    def forward(self, X, training=False, rng=None):
        if training:
            self._cache_input = X
        output = _product(self, X, self.weights, training)
        # The biases and the block's activation in one pass over the product.
        activate(output, self.biases, ACTIVATION_CODES[self.fused_activation])
        return output

    def backward(self, grad_output):
        X = self._cache_input
        if self.shares_weights:
            self.grad_weights += X.T @ grad_output
        elif isinstance(X, np.ndarray):
            np.matmul(X.T, grad_output, out=self.grad_weights)
        else:
            self.grad_weights[...] = X.T @ grad_output
        column_sums(grad_output, self.grad_biases)
        if not self.propagate:
            return None
        return grad_output @ self.weights.T


def _product(layer, X, weights, training):
    """``X @ weights`` as a C-contiguous array of the weights' type, for the kernels after it.

    A dense input goes straight to BLAS, into the layer's reused array while training (a new
    one in prediction, which must never write over what a training pass keeps); a sparse one
    gives a dense product.
    """
    # isinstance rather than sp.issparse, a tenth of a microsecond cheaper on every call.
    if not isinstance(X, np.ndarray):
        return np.ascontiguousarray(X @ weights, dtype=weights.dtype)
    shape = (X.shape[0], weights.shape[1])
    if training:
        output = layer._reused("_cache_output", shape, weights.dtype)
    else:
        output = np.empty(shape, dtype=weights.dtype)
    return np.matmul(X, weights, out=output)


class Activation(Layer):
    """Element-wise non-linearity, applied in place on the previous layer's output.

    Read more in the :ref:`User Guide <ug_forward_backward>`.

    In a :class:`HiddenBlock` the layer before applies it in its own last pass (``fused``):
    this layer then only keeps the output for its backward pass.

    Parameters
    ----------
    name : str
        A key of ``skdeep.activations.ACTIVATIONS``.
    """

    role = "activation"
    # True when the previous layer applies this activation (set by HiddenBlock).
    fused = False
    # Whether the previous layer's kernels can apply it: element-wise activations only.
    fusable = True

    def __init__(self, name):
        self.name = name

    def forward(self, X, training=False, rng=None):
        if not self.fused:
            function, _ = ACTIVATIONS[self.name]
            # In place: X is always an array the previous layer made for this call, never the
            # user's.
            function(X, X)
        if training:
            self._cache_output = X
        return X

    def backward(self, grad_output):
        _, multiply_derivative = ACTIVATIONS[self.name]
        return multiply_derivative(self._cache_output, grad_output)


class Maxout(Layer):
    """Maxout activation: each output unit is the largest of ``pieces`` consecutive inputs.

    Read more in the :ref:`User Guide <ug_activations>`.

    The activation of a maxout :class:`HiddenBlock`, after its dense layer (and batch
    normalisation) of ``n_units * pieces`` outputs, piece ``p`` of unit ``j`` in column
    ``j * pieces + p``. The backward pass sends each unit's gradient to its winning piece (the
    first of tied ones). See ``skdeep._maxout``.

    Parameters
    ----------
    pieces : int
        Number of affine pieces per unit, at least 2.
    """

    role = "activation"
    name = MAXOUT
    # Not element-wise, so no kernel before it can apply it in its own pass.
    fusable = False

    def __init__(self, pieces):
        self.pieces = pieces

    def forward(self, X, training=False, rng=None):
        if not training:
            return maxout(X, self.pieces)
        output, self._cache_winners = maxout_with_winners(X, self.pieces)
        return output

    def backward(self, grad_output):
        winners = self._cache_winners
        shape = (winners.shape[0], winners.shape[1] * self.pieces)
        grad_input = self._reused("_cache_grad_input", shape, grad_output.dtype)
        return maxout_backward(grad_output, winners, grad_input)


class Dropout(Layer):
    """Inverted dropout: zero each unit with probability ``rate`` while training.

    Read more in the :ref:`User Guide <ug_dropout>`.

    Kept units are scaled by ``1 / (1 - rate)`` during training, so that the expected activation is
    unchanged and prediction needs no rescaling: at prediction time the layer is the identity.

    Parameters
    ----------
    rate : float
        Probability of dropping a unit, in [0, 1). The training loop may change it between epochs
        (annealed dropout).
    """

    role = "dropout"

    def __init__(self, rate):
        self.rate = rate

    def forward(self, X, training=False, rng=None):
        if not training:
            return X
        if self.rate == 0:
            self._cache_mask = None
            return X
        keep = 1.0 - self.rate
        # The draws of skdeep._random.bernoulli(rng, X.shape, keep), row by row: the same seed
        # gives the same mask, computed inside the kernel's pass instead of stored as floats.
        draws = random_uint32(rng, (X.shape[0] * X.shape[1],))
        mask = (draws, threshold(keep), 1.0 / keep)
        if sp.issparse(X):
            output = _sparse_dropout(X, *mask)
        else:
            # Never in place: the input may be the caller's data, or a cached activation.
            X = np.ascontiguousarray(X)
            output = self._reused("_cache_output", X.shape, X.dtype)
            dropout(X, output, *mask)
        # Backward needs only the draws and their threshold: 4 bytes a unit, and nothing at all
        # where nobody needs the input gradient (an input dropout).
        self._cache_mask = mask if self.propagate else None
        return output

    def backward(self, grad_output):
        if not self.propagate:
            return None
        if self._cache_mask is not None:
            dropout(grad_output, grad_output, *self._cache_mask)
        return grad_output


def _sparse_dropout(X, draws, limit, scale):
    """Dropout of a sparse batch's stored values, as a CSR matrix of the same pattern.

    Each stored value gets the mask of its position in the dense batch, so a sparse and a dense
    copy of one batch get the same output.
    """
    X = X.tocsr()
    data = np.empty_like(X.data)
    dropout_csr(X.data, X.indices, X.indptr, X.shape[1], draws, limit, scale, data)
    # Own index arrays, so that nothing done to the output can reorder the input's.
    return sp.csr_matrix((data, X.indices.copy(), X.indptr.copy()), shape=X.shape)


class BatchNorm(Layer):
    """Batch normalisation of each unit over the mini-batch, with a learned scale and shift.

    Read more in the :ref:`User Guide <ug_batch_norm>`.

    Training normalises with the batch's mean and (biased) variance and back-propagates through
    them; prediction uses ``running_mean`` / ``running_var``, either exponential moving averages of
    the batch statistics or statistics recomputed over the whole training set after training
    (``skdeep.network.Network.recompute_batch_norm_statistics``).

    Parameters
    ----------
    n_units : int
        Number of units normalised.
    momentum : float, default=0.9
        Weight of the old value in the running averages.
    epsilon : float, default=1e-5
        Added to the variance for numerical stability.

    Notes
    -----
    With ``x_hat = (x - mean) / sqrt(var + epsilon)`` and ``y = scale * x_hat + shift`` over a batch
    of ``N`` rows, the gradients are ``d_shift = sum(g)``, ``d_scale = sum(g * x_hat)`` and
    ``dx = scale / (N sqrt(var + epsilon)) * (N g - d_shift - x_hat * d_scale)``.
    """

    role = "batch_norm"
    # The activation applied to the output in the same pass: a HiddenBlock with batch
    # normalisation sets its own, whose Activation layer then only keeps the output.
    fused_activation = "identity"

    def __init__(self, n_units, momentum=0.9, epsilon=1e-5):
        self.n_units = n_units
        self.momentum = momentum
        self.epsilon = epsilon

    def param_specs(self):
        return [("scale", (self.n_units,), False), ("shift", (self.n_units,), False)]

    def bind(self, params, grads):
        super().bind(params, grads)
        dtype = self.scale.dtype
        if getattr(self, "running_mean", None) is None or self.running_mean.dtype != dtype:
            self.running_mean = np.zeros(self.n_units, dtype=dtype)
            self.running_var = np.ones(self.n_units, dtype=dtype)

    def reset_parameters(self, weight_init, activation, rng):
        self.scale[...] = 1.0
        self.shift[...] = 0.0
        self.running_mean[...] = 0.0
        self.running_var[...] = 1.0

    def buffers(self):
        return [self.running_mean, self.running_var]

    def forward(self, X, training=False, rng=None):
        # Training writes two full-size arrays (the normalised input, kept for backward, and
        # the output) in three passes over X: mean, variance about it, output.
        code = ACTIVATION_CODES[self.fused_activation]
        dtype = self.scale.dtype
        if training:
            normalised = self._reused("_cache_normalised", X.shape, dtype)
            inv_std = self._reused("_cache_inv_std", (self.n_units,), dtype)
            output = self._reused("_cache_output", X.shape, dtype)
            batch_norm_training(
                X, normalised, output, self.scale, self.shift, self.running_mean,
                self.running_var, inv_std, float(self.momentum), float(self.epsilon), code,
            )
            return output
        output = np.empty(X.shape, dtype=dtype)
        batch_norm_prediction(
            X, output, self.scale, self.shift, self.running_mean, self.running_var,
            float(self.epsilon), code,
        )
        return output

    def backward(self, grad_output):
        # d_shift and d_scale in one pass, then dx in grad_output's buffer.
        batch_norm_backward(
            grad_output, self._cache_normalised, self.scale, self._cache_inv_std,
            self.grad_scale, self.grad_shift, self.propagate,
        )
        return grad_output if self.propagate else None


class TiedDense(Layer):
    """Affine map ``X @ source.weights.T + biases`` that reuses another Dense layer's weights.

    Read more in the :ref:`User Guide <ug_autoencoders>`.

    The decoder of an autoencoder with tied weights: it owns only its biases, so the flat
    parameter vector holds the shared matrix once, and the optimiser and the penalties see it
    once. Its share of the weight gradient, ``grad_output.T @ X``, is written into the source's
    gradient view; the source (marked ``shares_weights``) adds its own share afterwards.

    Parameters
    ----------
    source : Dense
        The encoder layer whose weights are shared; it must come earlier in the network.
    """

    role = "tied_dense"

    def __init__(self, source):
        self.source = source
        source.shares_weights = True

    @property
    def n_inputs(self):
        return self.source.n_outputs

    @property
    def n_outputs(self):
        return self.source.n_inputs

    @property
    def weights(self):
        """The transpose of the source's weights (a view)."""
        return self.source.weights.T

    def param_specs(self):
        return [("biases", (self.source.n_inputs,), False)]

    def reset_parameters(self, weight_init, activation, rng):
        self.biases[...] = 0.0

    def forward(self, X, training=False, rng=None):
        if training:
            self._cache_input = X
        output = _product(self, X, self.source.weights.T, training)
        activate(output, self.biases, _IDENTITY)
        return output

    def backward(self, grad_output):
        np.matmul(grad_output.T, self._cache_input, out=self.source.grad_weights)
        column_sums(grad_output, self.grad_biases)
        if not self.propagate:
            return None
        return grad_output @ self.source.weights


class HiddenBlock(Layer):
    """A hidden layer of a network: ``Dense -> [BatchNorm] -> Activation -> [Dropout]``.

    Read more in the :ref:`User Guide <ug_forward_backward>`.

    A layer made of layers: it lists its children (:meth:`sublayers`), offers their parameters
    under prefixed names (``'dense.weights'``, ``'batch_norm.scale'``, ...) in their order, and
    forwards and back-propagates through them. Code that needs "the dense layer of block 2" asks
    ``network.blocks[2].dense``.

    The block tells the layer before its activation (the batch normalisation, or else the dense
    layer) to apply it in its own last pass (``fused_activation``), and the activation layer to
    keep the output for its derivative only (``fused``): one pass over the batch fewer, and the
    same values as the layers one after the other.

    Parameters
    ----------
    dense : Dense
    activation : Activation or Maxout
        A maxout activation is not fused: it runs in a pass of its own.
    batch_norm : BatchNorm, default=None
        Normalises the dense layer's output before the activation.
    dropout : Dropout, default=None
        Applied to the activation's output.
    """

    role = "block"

    def __init__(self, dense, activation, *, batch_norm=None, dropout=None):
        self.dense = dense
        self.batch_norm = batch_norm
        self.activation = activation
        self.dropout = dropout
        # As TiedDense marks its source: the parts learn how they are combined, here that the
        # activation runs in the last pass of the layer before it, while that layer's output is
        # in cache, rather than in a pass of its own.
        if activation.fusable:
            (dense if batch_norm is None else batch_norm).fused_activation = activation.name
            activation.fused = True

    def _named_sublayers(self):
        named = [
            ("dense", self.dense),
            ("batch_norm", self.batch_norm),
            ("activation", self.activation),
            ("dropout", self.dropout),
        ]
        return [(name, layer) for name, layer in named if layer is not None]

    def sublayers(self):
        return [layer for _, layer in self._named_sublayers()]

    @property
    def n_units(self):
        """int: the block's output units (its dense layer has one output per maxout piece)."""
        return self.dense.n_outputs // self.dense.outputs_per_unit

    @property
    def propagate(self):
        return self.dense.propagate

    @propagate.setter
    def propagate(self, needed):
        mark_propagation(self.sublayers(), needed)

    def param_specs(self):
        return [
            (f"{prefix}.{name}", shape, is_weight)
            for prefix, layer in self._named_sublayers()
            for name, shape, is_weight in layer.param_specs()
        ]

    def bind(self, params, grads):
        for prefix, layer in self._named_sublayers():
            own = {name for name, _, _ in layer.param_specs()}
            layer.bind(
                {name: params[f"{prefix}.{name}"] for name in own},
                {name: grads[f"{prefix}.{name}"] for name in own},
            )

    def reset_parameters(self, weight_init, activation, rng):
        # The dense layer is scaled for the activation of its own block.
        for layer in self.sublayers():
            layer.reset_parameters(weight_init, self.activation.name, rng)

    def buffers(self):
        return [buffer for layer in self.sublayers() for buffer in layer.buffers()]

    def forward(self, X, training=False, rng=None):
        # Network.forward runs the parts itself (Network.leaves); this serves a block on its own.
        for layer in self.sublayers():
            X = layer.forward(X, training, rng)
        return X

    def backward(self, grad_output):
        grad = grad_output
        for layer in reversed(self.sublayers()):
            grad = layer.backward(grad)
            if grad is None:
                return None
        return grad


def leaves(layer):
    """The plain layers ``layer`` runs, input to output: itself, or a composite layer's parts.

    Read more in the :ref:`User Guide <ug_forward_backward>`.
    """
    parts = layer.sublayers()
    return [leaf for part in parts for leaf in leaves(part)] if parts else [layer]


def hidden_block(n_inputs, n_units, activation, *, batch_norm=False, batch_norm_momentum=0.9,
                 dropout=0.0, maxout_pieces=2):
    """Build a :class:`HiddenBlock`: the one recipe for the MLPs' hidden layers and the encoders.

    Read more in the :ref:`User Guide <ug_forward_backward>`.

    Parameters
    ----------
    n_inputs, n_units : int
    activation : str
        A key of ``skdeep.activations.ACTIVATIONS``, or ``'maxout'``.
    batch_norm : bool, default=False
    batch_norm_momentum : float, default=0.9
    dropout : float, default=0.0
        Rate of the block's dropout layer (0 adds none).
    maxout_pieces : int, default=2
        Pieces per unit of a maxout block: its dense layer (and batch normalisation) has
        ``n_units * maxout_pieces`` outputs. Ignored by the other activations.

    Returns
    -------
    block : HiddenBlock
    """
    pieces = maxout_pieces if activation == MAXOUT else 1
    dense = Dense(n_inputs, n_units * pieces)
    if pieces > 1:
        dense.outputs_per_unit = pieces
    return HiddenBlock(
        dense,
        Maxout(pieces) if activation == MAXOUT else Activation(activation),
        batch_norm=(
            BatchNorm(n_units * pieces, momentum=batch_norm_momentum) if batch_norm else None
        ),
        dropout=Dropout(dropout) if dropout > 0 else None,
    )


def mark_propagation(layers, needed=False):
    """Set ``propagate`` on ``layers``, applied in sequence to an input whose gradient is ``needed``.

    Read more in the :ref:`User Guide <ug_forward_backward>`.

    Nobody needs the gradient with respect to a network's input, so every layer up to and
    including the first one with parameters skips computing its input gradient.
    """
    for layer in layers:
        layer.propagate = needed
        needed = needed or bool(layer.param_specs())


def copy_block_state(source, target):
    """Copy a block's dense layer, and its batch normalisation when both have one, into ``target``.

    Read more in the :ref:`User Guide <ug_forward_backward>`.

    The one transfer of pretrained hidden layers: a stacked autoencoder's encoders into an MLP,
    an autoencoder's encoder into a stack, a supervised stage's hidden layer into its network.
    """
    copy_layer_state(source.dense, target.dense)
    if source.batch_norm is not None and target.batch_norm is not None:
        copy_layer_state(source.batch_norm, target.batch_norm)


def copy_layer_state(source, target):
    """Copy every parameter and buffer of ``source`` into the same-shaped ``target`` in place.

    Read more in the :ref:`User Guide <ug_forward_backward>`.

    Used to transfer pretrained layers (autoencoders, supervised pretraining) into a network.
    """
    for name, _, _ in source.param_specs():
        getattr(target, name)[...] = getattr(source, name)
    for source_buffer, target_buffer in zip(source.buffers(), target.buffers()):
        target_buffer[...] = source_buffer

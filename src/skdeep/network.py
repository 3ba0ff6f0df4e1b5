"""A stack of layers over one flat parameter vector and one flat gradient vector."""

import numpy as np

from .layers import Dense, Dropout, hidden_block, leaves, mark_propagation


class Network:
    """Layers applied in sequence, sharing one contiguous parameter vector.

    All weight matrices come first in :attr:`params` (so penalties and max-norm work on the slice
    ``params[:n_weights]``), then every other parameter; :attr:`grads` has the same layout. Layers
    hold views into both.

    Parameters
    ----------
    layers : list of Layer
        Applied in order: hidden blocks (:class:`~skdeep.layers.HiddenBlock`) and plain layers
        (an input dropout, the output layer, decoders).
    dtype : numpy dtype, default=np.float64
        Type of the parameters; a network trains in the type of its parameters.

    Attributes
    ----------
    params, grads : ndarray of shape (n_params,)
    n_weights : int
        Length of the leading block of weight-matrix entries.
    """

    def __init__(self, layers, dtype=np.float64):
        self.layers = list(layers)
        dtype = np.dtype(dtype)
        specs = [
            (index, spec) for index, layer in enumerate(self.layers) for spec in layer.param_specs()
        ]
        ordered = [item for item in specs if item[1][2]] + [item for item in specs if not item[1][2]]
        self._layout = []
        offset = 0
        self.n_weights = 0
        for index, (name, shape, is_weight) in ordered:
            size = int(np.prod(shape))
            self._layout.append((index, name, shape, offset, size))
            offset += size
            self.n_weights += size if is_weight else 0
        self.params = np.zeros(offset, dtype=dtype)
        self.grads = np.zeros(offset, dtype=dtype)
        self._bind()
        mark_propagation(self.layers)
        # The whole pass runs the plain layers in one loop: a composite layer would add a call
        # and a list per part and per batch, the whole cost of a small network's step.
        self._leaves = [leaf for layer in self.layers for leaf in leaves(layer)]
        # Listed once, so that a network without code penalties pays nothing per batch.
        self._code_penalties = [leaf for leaf in self._leaves if leaf.role == "code_penalty"]

    def _bind(self):
        params = [{} for _ in self.layers]
        grads = [{} for _ in self.layers]
        for index, name, shape, offset, size in self._layout:
            params[index][name] = self.params[offset : offset + size].reshape(shape)
            grads[index][name] = self.grads[offset : offset + size].reshape(shape)
        for layer, layer_params, layer_grads in zip(self.layers, params, grads):
            layer.bind(layer_params, layer_grads)

    def __getstate__(self):
        # The gradient is scratch space, rewritten by every backward pass: pickles (and what Dask
        # ships to its workers) carry the parameters only.
        state = self.__dict__.copy()
        del state["grads"]
        return state

    def __setstate__(self, state):
        # Layers were pickled without their views (Layer.__getstate__): point them back into the
        # restored flat vectors so that layers and optimiser again share one buffer.
        state["grads"] = np.zeros_like(state["params"])
        self.__dict__.update(state)
        self._bind()

    @property
    def dtype(self):
        """The parameters' type, in which the network trains.

        Derived rather than stored, so a pickled network holds only arrays and builtins.
        """
        return self.params.dtype

    def _with_role(self, role):
        return [layer for top in self.layers for layer in top.walk() if layer.role == role]

    @property
    def blocks(self):
        """The hidden blocks (:class:`~skdeep.layers.HiddenBlock`), input to output."""
        return self._with_role("block")

    @property
    def dense_layers(self):
        """The layers that own a weight matrix, input to output.

        The hidden blocks' dense layers, then the output layer (or an untied decoder): what
        ``coefs_``, the penalties and max-norm see. A tied decoder borrows its encoder's matrix
        and is not one of them.
        """
        return self._with_role("dense")

    @property
    def batch_norm_layers(self):
        """The batch-normalisation layers, input to output."""
        return self._with_role("batch_norm")

    @property
    def dropout_layers(self):
        """The dropout layers (the input's, then the hidden blocks'), input to output."""
        return self._with_role("dropout")

    def reset_parameters(self, weight_init, rng):
        """Draw initial values for every layer's parameters.

        Each hidden block initialises its dense layer for its own activation; the plain layers
        (the output layer, decoders) get the last hidden activation: ``'auto'`` scales every
        layer for a logistic network, as scikit-learn does.
        """
        blocks = self.blocks
        last_activation = blocks[-1].activation.name if blocks else "identity"
        for layer in self.layers:
            layer.reset_parameters(weight_init, last_activation, rng)

    def clear_caches(self):
        """Drop what the last training-mode forward pass kept, so no batch outlives a fit."""
        for layer in self.layers:
            layer.clear_cache()

    def forward(self, X, training=False, rng=None, start=None, stop=None):
        """Apply the layers in order.

        Parameters
        ----------
        X : {ndarray, sparse matrix} of shape (n_samples, n_inputs)
            Never modified.
        training : bool, default=False
            Batch statistics and dropout masks when True; prediction behaviour when False.
        rng : numpy.random.Generator, default=None
            Needed when training with dropout.
        start, stop : int, default=None
            Apply only ``layers[start:stop]``.

        Returns
        -------
        output : ndarray of shape (n_samples, n_outputs)
        """
        layers = self._leaves if start is None and stop is None else self.layers[start:stop]
        for layer in layers:
            X = layer.forward(X, training, rng)
        return X

    def features(self, X, depth):
        """Return the prediction-mode output of the first ``depth`` hidden blocks.

        Plain layers before a block (an input dropout, the identity at prediction time) are
        applied with it; ``depth=0`` gives ``X`` itself.
        """
        remaining = depth
        for layer in self.layers:
            if not remaining:
                break
            X = layer.forward(X)
            remaining -= layer.role == "block"
        return X

    def code_penalty(self, sample_weight=None):
        """The summed value of the code penalties (:mod:`skdeep.code_penalties`) on the batch.

        Call it between a training-mode :meth:`forward` and :meth:`backward`: each penalty
        layer computes its value on the code it kept and its gradient for the backward pass.
        0.0 for a network without such layers.
        """
        return sum(layer.penalty(sample_weight) for layer in self._code_penalties)

    def backward(self, grad_output):
        """Back-propagate ``grad_output`` and fill :attr:`grads` (overwriting it)."""
        grad = grad_output
        for layer in reversed(self._leaves):
            grad = layer.backward(grad)
            if grad is None:
                break

    def snapshot(self):
        """Return a copy of everything that defines the network's predictions."""
        return self.params.copy(), [buffer.copy() for layer in self.layers for buffer in layer.buffers()]

    def restore(self, snapshot):
        """Load a state returned by :meth:`snapshot`."""
        params, buffers = snapshot
        self.params[...] = params
        live = [buffer for layer in self.layers for buffer in layer.buffers()]
        for target, saved in zip(live, buffers):
            target[...] = saved

    def apply_max_norm(self, max_norm):
        """Rescale each unit's incoming weight vector whose Euclidean norm exceeds ``max_norm``."""
        for layer in self.dense_layers:
            norms = np.sqrt(np.einsum("ij,ij->j", layer.weights, layer.weights))
            too_long = norms > max_norm
            if too_long.any():
                layer.weights[:, too_long] *= max_norm / norms[too_long]

    def recompute_batch_norm_statistics(self, X, batch_size=1024):
        """Replace running averages by statistics of ``X`` itself, layer by layer.

        The lectures' recipe for prediction: after training, each batch-norm layer gets the exact
        mean and variance of its inputs over the whole training set, computed in batches (so ``X``
        may be a memory map) with the layers below already using their final statistics.
        """
        for depth, block in enumerate(self.blocks):
            norm = block.batch_norm
            if norm is None:
                continue
            total = np.zeros(norm.n_units, dtype=np.float64)
            total_sq = np.zeros(norm.n_units, dtype=np.float64)
            n = X.shape[0]
            for start in range(0, n, batch_size):
                # The normalised units are the block's dense outputs.
                inputs = block.dense.forward(self.features(X[start : start + batch_size], depth))
                total += inputs.sum(axis=0, dtype=np.float64)
                total_sq += np.einsum("ij,ij->j", inputs, inputs, dtype=np.float64)
            mean = total / n
            norm.running_mean[...] = mean
            norm.running_var[...] = np.maximum(total_sq / n - mean**2, 0.0)


def build_mlp(
    n_inputs,
    hidden_layer_sizes,
    n_outputs,
    activation,
    *,
    batch_norm=False,
    batch_norm_momentum=0.9,
    dropout=(),
    input_dropout=0.0,
    maxout_pieces=2,
    dtype=np.float64,
):
    """Build the layers of a multi-layer perceptron into a :class:`Network`.

    Each hidden layer is a :func:`~skdeep.layers.hidden_block`, ``Dense -> [BatchNorm] ->
    Activation -> [Dropout]``; the output layer is a plain ``Dense`` whose scores the loss turns
    into predictions.

    Parameters
    ----------
    n_inputs : int
    hidden_layer_sizes : sequence of int
    n_outputs : int
    activation : str
    batch_norm : bool, default=False
    batch_norm_momentum : float, default=0.9
    dropout : sequence of float, default=()
        One rate per hidden layer (0 adds no layer).
    input_dropout : float, default=0.0
    maxout_pieces : int, default=2
        Pieces per unit of maxout hidden layers (ignored by the other activations).
    dtype : numpy dtype, default=np.float64

    Returns
    -------
    network : Network
    """
    layers = [Dropout(input_dropout)] if input_dropout > 0 else []
    sizes = [n_inputs, *hidden_layer_sizes]
    rates = list(dropout) or [0.0] * len(hidden_layer_sizes)
    for n_in, n_out, rate in zip(sizes[:-1], sizes[1:], rates):
        layers.append(hidden_block(
            n_in, n_out, activation, batch_norm=batch_norm,
            batch_norm_momentum=batch_norm_momentum, dropout=rate, maxout_pieces=maxout_pieces,
        ))
    layers.append(Dense(sizes[-1], n_outputs))
    return Network(layers, dtype=dtype)

"""A stack of layers over one flat parameter vector and one flat gradient vector."""

import numpy as np

from .layers import Activation, BatchNorm, Dense, Dropout


class Network:
    """Layers applied in sequence, sharing one contiguous parameter vector.

    All weight matrices come first in :attr:`params` (so penalties and max-norm work on the slice
    ``params[:n_weights]``), then every other parameter; :attr:`grads` has the same layout. Layers
    hold views into both.

    Parameters
    ----------
    layers : list of Layer
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
        specs = [(layer, spec) for layer in self.layers for spec in layer.param_specs()]
        ordered = [item for item in specs if item[1][2]] + [item for item in specs if not item[1][2]]
        self._layout = []
        offset = 0
        self.n_weights = 0
        for layer, (name, shape, is_weight) in ordered:
            size = int(np.prod(shape))
            self._layout.append((self.layers.index(layer), name, shape, offset, size))
            offset += size
            self.n_weights += size if is_weight else 0
        self.params = np.zeros(offset, dtype=dtype)
        self.grads = np.zeros(offset, dtype=dtype)
        self._bind()
        self._mark_propagation()

    def _bind(self):
        params = [{} for _ in self.layers]
        grads = [{} for _ in self.layers]
        for index, name, shape, offset, size in self._layout:
            params[index][name] = self.params[offset : offset + size].reshape(shape)
            grads[index][name] = self.grads[offset : offset + size].reshape(shape)
        for layer, layer_params, layer_grads in zip(self.layers, params, grads):
            layer.bind(layer_params, layer_grads)

    def _mark_propagation(self):
        # Nobody needs the gradient with respect to the network's input, so every layer up to and
        # including the first one with parameters skips computing its input gradient.
        seen_parameters = False
        for layer in self.layers:
            layer.propagate = seen_parameters
            seen_parameters = seen_parameters or bool(layer.param_specs())

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

    @property
    def dense_layers(self):
        """The :class:`Dense` layers, input to output."""
        return [layer for layer in self.layers if isinstance(layer, Dense)]

    @property
    def batch_norm_layers(self):
        """The :class:`BatchNorm` layers, input to output."""
        return [layer for layer in self.layers if isinstance(layer, BatchNorm)]

    @property
    def dropout_layers(self):
        """The :class:`Dropout` layers, input to output."""
        return [layer for layer in self.layers if isinstance(layer, Dropout)]

    def reset_parameters(self, weight_init, rng):
        """Draw initial values for every layer's parameters.

        Each dense layer is initialised with the activation that follows it in mind, and the
        output layer with the last hidden activation: ``'auto'`` scales every layer for a
        logistic network, as scikit-learn does.
        """
        names = [layer.name if isinstance(layer, Activation) else None for layer in self.layers]
        for position, layer in enumerate(self.layers):
            following = [name for name in names[position + 1 :] if name is not None]
            preceding = [name for name in names[:position] if name is not None]
            hint = following[0] if following else (preceding[-1] if preceding else "identity")
            layer.reset_parameters(weight_init, hint, rng)

    def forward(self, X, training=False, rng=None, stop=None):
        """Apply the layers in order.

        Parameters
        ----------
        X : {ndarray, sparse matrix} of shape (n_samples, n_inputs)
            Never modified.
        training : bool, default=False
            Batch statistics and dropout masks when True; prediction behaviour when False.
        rng : numpy.random.Generator, default=None
            Needed when training with dropout.
        stop : int, default=None
            Apply only ``layers[:stop]``.

        Returns
        -------
        output : ndarray of shape (n_samples, n_outputs)
        """
        for layer in self.layers[:stop]:
            X = layer.forward(X, training, rng)
        return X

    def backward(self, grad_output):
        """Back-propagate ``grad_output`` and fill :attr:`grads` (overwriting it)."""
        grad = grad_output
        for layer in reversed(self.layers):
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
        for position, layer in enumerate(self.layers):
            if not isinstance(layer, BatchNorm):
                continue
            total = np.zeros(layer.n_units, dtype=np.float64)
            total_sq = np.zeros(layer.n_units, dtype=np.float64)
            n = X.shape[0]
            for start in range(0, n, batch_size):
                inputs = self.forward(X[start : start + batch_size], stop=position)
                total += inputs.sum(axis=0, dtype=np.float64)
                total_sq += np.einsum("ij,ij->j", inputs, inputs, dtype=np.float64)
            mean = total / n
            layer.running_mean[...] = mean
            layer.running_var[...] = np.maximum(total_sq / n - mean**2, 0.0)


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
    dtype=np.float64,
):
    """Build the layers of a multi-layer perceptron into a :class:`Network`.

    Each hidden layer is ``Dense -> [BatchNorm] -> Activation -> [Dropout]``; the output layer is a
    plain ``Dense`` whose scores the loss turns into predictions.

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
    dtype : numpy dtype, default=np.float64

    Returns
    -------
    network : Network
    """
    layers = [Dropout(input_dropout)] if input_dropout > 0 else []
    sizes = [n_inputs, *hidden_layer_sizes]
    rates = list(dropout) or [0.0] * len(hidden_layer_sizes)
    for n_in, n_out, rate in zip(sizes[:-1], sizes[1:], rates):
        layers.append(Dense(n_in, n_out))
        if batch_norm:
            layers.append(BatchNorm(n_out, momentum=batch_norm_momentum))
        layers.append(Activation(activation))
        if rate > 0:
            layers.append(Dropout(rate))
    layers.append(Dense(sizes[-1], n_outputs))
    return Network(layers, dtype=dtype)

"""The ONNX nodes of a fitted network's prediction-mode forward pass.

A :class:`GraphWriter` adds nodes and constants to the graph skl2onnx is building, all in the
network's floating-point type; :func:`forward_nodes` writes the nodes of a run of the
network's layers and :func:`output_nodes` those of the loss's output activation. Prediction
mode is what is written: dropout is the identity, batch normalisation uses its running
statistics.
"""

import numpy as np
from onnx import TensorProto

from .._kernels._elementwise import LEAKY_RELU_SLOPE

PROTO_TYPES = {np.dtype(np.float32): TensorProto.FLOAT, np.dtype(np.float64): TensorProto.DOUBLE}


class GraphWriter:
    """Adds nodes and constants to a skl2onnx container, in one floating-point type.

    Parameters
    ----------
    scope : skl2onnx.common._topology.Scope
        Gives unique variable and node names.
    container : skl2onnx.common._container.ModelComponentContainer
        Receives the nodes and initialisers.
    dtype : numpy dtype
        float32 or float64: the type of the network's parameters.
    """

    def __init__(self, scope, container, dtype):
        self.scope = scope
        self.container = container
        self.dtype = np.dtype(dtype)
        self.proto_type = PROTO_TYPES[self.dtype]

    def constant(self, hint, values, dtype=None):
        """Add an initialiser holding ``values`` (in the writer's type unless ``dtype``)."""
        values = np.asarray(values, dtype=self.dtype if dtype is None else dtype)
        proto_type = TensorProto.INT64 if values.dtype == np.int64 else PROTO_TYPES[values.dtype]
        name = self.scope.get_unique_variable_name(hint)
        self.container.add_initializer(name, proto_type, list(values.shape), values.ravel())
        return name

    def node(self, op_type, inputs, hint=None, output=None, **attributes):
        """Add one node and return the name of its output (``output``, or a new unique name)."""
        output = output or self.scope.get_unique_variable_name(hint or op_type.lower())
        self.container.add_node(
            op_type, list(inputs), output, name=self.scope.get_unique_operator_name(op_type),
            **attributes,
        )
        return output

    def cast(self, name, proto_type, output=None):
        """``name`` converted to ``proto_type`` (the name itself when nothing is to change)."""
        return self.node("Cast", [name], "cast", output=output, to=proto_type)


def affine(writer, X, weights, biases):
    """``X @ weights + biases``."""
    product = writer.node("MatMul", [X, writer.constant("weights", weights)], "product")
    return writer.node("Add", [product, writer.constant("biases", biases)], "affine")


def folded_batch_norm(dense, norm):
    """The weights and biases of ``norm(dense(X))`` as one affine map, computed in float64.

    With ``g = scale / sqrt(running_var + epsilon)``, the normalised output
    ``(X W + b - mean) g + shift`` is ``X (W g) + ((b - mean) g + shift)``.
    """
    variance = norm.running_var.astype(np.float64)
    gain = norm.scale.astype(np.float64) / np.sqrt(variance + norm.epsilon)
    weights = dense.weights.astype(np.float64) * gain
    biases = (dense.biases.astype(np.float64) - norm.running_mean) * gain + norm.shift
    return weights, biases


def batch_norm_nodes(writer, X, norm):
    """``((X - running_mean) * inv_std) * scale + shift``: the kernel's operations, in its order."""
    variance = norm.running_var
    inv_std = 1 / np.sqrt(variance + variance.dtype.type(norm.epsilon))
    centred = writer.node("Sub", [X, writer.constant("running_mean", norm.running_mean)])
    scaled = writer.node("Mul", [centred, writer.constant("inv_std", inv_std)])
    scaled = writer.node("Mul", [scaled, writer.constant("scale", norm.scale)])
    return writer.node("Add", [scaled, writer.constant("shift", norm.shift)], "normalised")


def _leaky_relu(writer, X):
    # max(x, slope x) is x above 0 and slope x below for 0 < slope < 1, with the slope as a
    # constant of the network's type: ONNX's LeakyRelu holds its alpha as a float32
    # attribute, which a float64 network would see rounded.
    scaled = writer.node("Mul", [X, writer.constant("slope", LEAKY_RELU_SLOPE)])
    return writer.node("Max", [X, scaled], "leaky_relu")


def _softplus(writer, X):
    # max(x, 0) + log(1 + exp(-|x|)), which never overflows, from operators every runtime has
    # in float32 and float64 (onnxruntime has no float64 Softplus from opset 22). ONNX has no
    # log1p: where exp(-|x|) is below the type's epsilon the second term rounds to 0, an
    # absolute error below epsilon.
    tail = writer.node("Exp", [writer.node("Neg", [writer.node("Abs", [X])])])
    tail = writer.node("Log", [writer.node("Add", [tail, writer.constant("one", 1.0)])])
    return writer.node("Add", [writer.node("Relu", [X]), tail], "softplus")


def _elu(writer, X):
    # relu(x) + exp(min(x, 0)) - 1 (onnxruntime has no float64 Elu from opset 22): exactly x
    # above 0; below, exp(x) - 1 where skdeep takes expm1, an absolute error below epsilon.
    negative = writer.node("Min", [X, writer.constant("zero", 0.0)])
    tail = writer.node("Sub", [writer.node("Exp", [negative]), writer.constant("one", 1.0)])
    return writer.node("Add", [writer.node("Relu", [X]), tail], "elu")


ACTIVATION_NODES = {
    "identity": lambda writer, X: X,
    "logistic": lambda writer, X: writer.node("Sigmoid", [X], "logistic"),
    "tanh": lambda writer, X: writer.node("Tanh", [X]),
    "relu": lambda writer, X: writer.node("Relu", [X]),
    "leaky_relu": _leaky_relu,
    "elu": _elu,
    "softplus": _softplus,
}


def maxout_nodes(writer, X, block):
    """``X.reshape(n, n_units, pieces).max(axis=2)`` of a maxout block.

    A maxout block's dense layer has ``n_units * pieces`` outputs, piece ``p`` of unit ``j`` in
    column ``j * pieces + p`` (:class:`skdeep.layers.Maxout`).
    """
    shape = writer.constant(
        "maxout_shape", [-1, block.n_units, block.activation.pieces], dtype=np.int64
    )
    grouped = writer.node("Reshape", [X, shape], "pieces")
    # ReduceMax takes its axes as an input from opset 18, as an attribute before.
    if writer.container.target_opset >= 18:
        axes = writer.constant("maxout_axis", [2], dtype=np.int64)
        return writer.node("ReduceMax", [grouped, axes], "maxout", keepdims=0)
    return writer.node("ReduceMax", [grouped], "maxout", axes=[2], keepdims=0)


def activation_nodes(writer, X, name):
    """The element-wise activation ``name`` applied to ``X``."""
    if name not in ACTIVATION_NODES:
        raise ValueError(
            f"skdeep.onnx cannot convert the activation {name!r}; it converts "
            f"{sorted([*ACTIVATION_NODES, 'maxout'])}."
        )
    return ACTIVATION_NODES[name](writer, X)


def block_nodes(writer, X, block, fold_batch_norm=True):
    """``Dense -> [BatchNorm] -> activation`` of a hidden block (its dropout is the identity)."""
    norm = block.batch_norm
    if norm is not None and fold_batch_norm:
        weights, biases = folded_batch_norm(block.dense, norm)
        X = affine(writer, X, weights, biases)
    else:
        X = affine(writer, X, block.dense.weights, block.dense.biases)
        if norm is not None:
            X = batch_norm_nodes(writer, X, norm)
    if block.activation.name == "maxout":
        return maxout_nodes(writer, X, block)
    return activation_nodes(writer, X, block.activation.name)


def forward_nodes(writer, X, network, start=None, stop=None, fold_batch_norm=True):
    """The nodes of ``network.forward(X, start=start, stop=stop)`` in prediction mode.

    Parameters
    ----------
    writer : GraphWriter
    X : str
        Name of the input, already in the writer's type.
    network : skdeep.network.Network
    start, stop : int, default=None
        Write only ``network.layers[start:stop]``.
    fold_batch_norm : bool, default=True
        Fold each batch normalisation into the affine map before it (one MatMul and one Add
        per block) rather than writing its four operations.

    Returns
    -------
    name : str
        The output of the last layer written.
    """
    layers = network.layers
    indices = range(len(layers))[start:stop]
    for index in indices:
        layer = layers[index]
        if layer.role == "block":
            X = block_nodes(writer, X, layer, fold_batch_norm)
        elif layer.role in ("dense", "tied_dense"):
            X = affine(writer, X, layer.weights, layer.biases)
        elif layer.role == "activation":
            X = activation_nodes(writer, X, layer.name)
        elif layer.role != "dropout":
            raise ValueError(f"skdeep.onnx cannot convert a layer of role {layer.role!r}.")
    return X


OUTPUT_NODES = {
    "identity": lambda writer, scores: scores,
    "logistic": lambda writer, scores: writer.node("Sigmoid", [scores], "probability"),
    "softmax": lambda writer, scores: writer.node("Softmax", [scores], "probabilities", axis=1),
    "exp": lambda writer, scores: writer.node("Exp", [scores], "mean"),
}


def output_nodes(writer, scores, output_activation):
    """The loss's output activation (``out_activation_``) applied to the network's scores."""
    return OUTPUT_NODES[output_activation](writer, scores)

"""skl2onnx parsers, shape calculators and converters of the four skdeep estimators.

Each estimator is registered with :func:`skl2onnx.update_registered_converter` under an alias
``Skdeep<ClassName>``. A converter casts the input to the network's type, writes the network's
prediction-mode pass (:mod:`._graph`) and names its results as skl2onnx's own converters do:

==================================  ===============================================================
estimator                           outputs
==================================  ===============================================================
DeepMLPClassifier                   ``label`` (int64 or string, ``(N,)``; multilabel: int64
                                    ``(N, n_classes)``), ``probabilities`` ``(N, n_classes)``,
                                    through a ZipMap unless ``zipmap=False``
DeepMLPRegressor                    ``variable`` ``(N, n_outputs)``
DenoisingAutoencoderTransformer,    ``variable`` ``(N, n_components)``: ``transform``
StackedAutoencoder
==================================  ===============================================================

Values come out in the network's type (``est._network.dtype``), as ``predict`` returns them,
except probabilities that a ZipMap reads (``zipmap=True``): ONNX's ZipMap takes float32 only.
"""

import numpy as np
from skl2onnx import to_onnx, update_registered_converter
from skl2onnx._parse import _parse_sklearn_classifier, _parse_sklearn_simple_model
from skl2onnx.common.data_types import (
    DoubleTensorType,
    FloatTensorType,
    Int64TensorType,
    StringTensorType,
    guess_proto_type,
)
from skl2onnx.common.utils_classifier import get_label_classes
from onnx import TensorProto
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted

from ..autoencoders import DenoisingAutoencoderTransformer, StackedAutoencoder
from ..mlp import DeepMLPClassifier, DeepMLPRegressor
from ._graph import GraphWriter, forward_nodes, output_nodes

TENSOR_TYPES = {np.dtype(np.float32): FloatTensorType, np.dtype(np.float64): DoubleTensorType}
NETWORK_OPTIONS = {"fold_batch_norm": [True, False]}
CLASSIFIER_OPTIONS = {
    "zipmap": [True, False, "columns"],
    "output_class_labels": [False, True],
    "nocl": [True, False],
    **NETWORK_OPTIONS,
}


# ----------------------------------------------------------------------------- checks
def check_convertible(estimator):
    """Raise a clear error for an estimator that cannot be exported, before skl2onnx reads it.

    Read more in the :ref:`User Guide <ug_onnx>`.

    Raises
    ------
    sklearn.exceptions.NotFittedError
        For an unfitted estimator.
    ValueError
        For a classifier fitted on a single class.
    """
    check_is_fitted(estimator)
    if not isinstance(estimator, DeepMLPClassifier):
        return
    classes = estimator.classes_
    if len(classes) < 2:
        raise ValueError(
            f"Cannot convert a DeepMLPClassifier fitted on a single class ({classes[0]!r}) to "
            "ONNX: its one output has no probability to compare. Fit it on two classes or more."
        )


def _checked(parser):
    """``parser`` preceded by :func:`check_convertible`."""

    def parse(scope, model, inputs, custom_parsers=None):
        check_convertible(model)
        return parser(scope, model, inputs, custom_parsers=custom_parsers)

    return parse


def _parse_decoder(scope, model, inputs, custom_parsers=None):
    # skl2onnx wants a parser of exactly these four parameters.
    return _parse_sklearn_simple_model(scope, model, inputs, custom_parsers=custom_parsers)


def _is_multilabel(classifier):
    return classifier._label_binarizer.y_type_ == "multilabel-indicator"


def _string_labels(classes):
    return np.asarray(classes).dtype.kind in "OUS"


# ----------------------------------------------------------------------------- shapes
def _network_tensor(estimator, shape):
    return TENSOR_TYPES[estimator._network.dtype](shape)


def _rows(operator):
    return operator.inputs[0].get_first_dimension()


def classifier_shapes(operator):
    """Label and probabilities: their types and shapes (see the module's table)."""
    classifier = operator.raw_operator
    n_rows, n_classes = _rows(operator), len(classifier.classes_)
    classes = get_label_classes(operator.scope_inst, classifier)
    label_type = StringTensorType if _string_labels(classes) else Int64TensorType
    operator.outputs[0].type = label_type(
        [n_rows, n_classes] if _is_multilabel(classifier) else [n_rows]
    )
    options = operator.scope_inst.get_options(classifier, dict(zipmap=True))
    if options["zipmap"] is True:
        operator.outputs[1].type = FloatTensorType([n_rows, n_classes])
    else:
        operator.outputs[1].type = _network_tensor(classifier, [n_rows, n_classes])


def regressor_shapes(operator):
    """``(N, n_outputs)`` values in the network's type (2-D, as skl2onnx's regressors give)."""
    regressor = operator.raw_operator
    operator.outputs[0].type = _network_tensor(regressor, [_rows(operator), regressor.n_outputs_])


def encoder_shapes(operator):
    """``(N, n_components)`` codes in the network's type."""
    autoencoder = operator.raw_operator
    operator.outputs[0].type = _network_tensor(
        autoencoder, [_rows(operator), autoencoder._n_features_out]
    )


def decoder_shapes(operator):
    """``(N, n_features_in_)`` reconstructions in the network's type."""
    autoencoder = operator.raw_operator.autoencoder
    operator.outputs[0].type = _network_tensor(
        autoencoder, [_rows(operator), autoencoder.n_features_in_]
    )


# ----------------------------------------------------------------------------- converters
def _network_input(scope, operator, container, estimator):
    """A writer in the network's type and the operator's input cast to that type."""
    writer = GraphWriter(scope, container, estimator._network.dtype)
    X = operator.inputs[0].full_name
    if guess_proto_type(operator.inputs[0].type) != writer.proto_type:
        X = writer.cast(X, writer.proto_type)
    return writer, X


def _fold(container, estimator):
    return container.get_options(estimator, dict(fold_batch_norm=True))["fold_batch_norm"]


def _write_output(writer, name, variable):
    """Write ``name`` into the operator's output ``variable``, cast to its declared type."""
    proto_type = guess_proto_type(variable.type)
    if proto_type == writer.proto_type:
        writer.node("Identity", [name], output=variable.full_name)
    else:
        writer.cast(name, proto_type, output=variable.full_name)


def _class_constant(writer, classes):
    """The class labels as an int64 or string constant, for Gather."""
    classes = np.asarray(classes)
    if _string_labels(classes):
        name = writer.scope.get_unique_variable_name("classes")
        encoded = [str(label).encode("utf-8") for label in classes]
        writer.container.add_initializer(name, TensorProto.STRING, [len(encoded)], encoded)
        return name
    return writer.constant("classes", classes.astype(np.int64), dtype=np.int64)


def convert_classifier(scope, operator, container):
    """``predict`` and ``predict_proba`` of a DeepMLPClassifier.

    The label follows ``predict``'s rule rather than an argmax of the probabilities: the
    positive class where its probability exceeds 0.5 (binary, and each label of a multilabel
    target), the most probable class otherwise.
    """
    classifier = operator.raw_operator
    writer, X = _network_input(scope, operator, container, classifier)
    scores = forward_nodes(
        writer, X, classifier._network, fold_batch_norm=_fold(container, classifier)
    )
    probabilities = output_nodes(writer, scores, classifier.out_activation_)
    label_variable, probability_variable = operator.outputs[:2]
    if _is_multilabel(classifier):
        half = writer.constant("half", 0.5)
        positive = writer.node("Greater", [probabilities, half], "positive")
        writer.cast(positive, TensorProto.INT64, output=label_variable.full_name)
        _write_output(writer, probabilities, probability_variable)
        return
    if classifier.n_outputs_ == 1:
        positive = writer.node(
            "Reshape", [probabilities, writer.constant("flat", [-1], dtype=np.int64)], "positive"
        )
        above = writer.node("Greater", [positive, writer.constant("half", 0.5)], "above_half")
        index = writer.cast(above, TensorProto.INT64)
        negative = writer.node("Sub", [writer.constant("one", 1.0), probabilities], "negative")
        probabilities = writer.node("Concat", [negative, probabilities], "probabilities", axis=1)
    else:
        index = writer.node("ArgMax", [probabilities], "index", axis=1, keepdims=0)
    classes = _class_constant(writer, get_label_classes(scope, classifier))
    writer.node("Gather", [classes, index], output=label_variable.full_name, axis=0)
    _write_output(writer, probabilities, probability_variable)


def convert_regressor(scope, operator, container):
    """``predict`` of a DeepMLPRegressor (identity, or exp for Poisson) as ``(N, n_outputs)``."""
    regressor = operator.raw_operator
    writer, X = _network_input(scope, operator, container, regressor)
    scores = forward_nodes(
        writer, X, regressor._network, fold_batch_norm=_fold(container, regressor)
    )
    values = output_nodes(writer, scores, regressor.out_activation_)
    _write_output(writer, values, operator.outputs[0])


def convert_encoder(scope, operator, container):
    """``transform`` of an autoencoder: its encoder blocks."""
    autoencoder = operator.raw_operator
    writer, X = _network_input(scope, operator, container, autoencoder)
    codes = forward_nodes(
        writer, X, autoencoder._network, stop=len(autoencoder._encoders),
        fold_batch_norm=_fold(container, autoencoder),
    )
    _write_output(writer, codes, operator.outputs[0])


def convert_decoder(scope, operator, container):
    """``inverse_transform`` of an autoencoder: its decoder layers and output activation."""
    autoencoder = operator.raw_operator.autoencoder
    writer, X = _network_input(scope, operator, container, autoencoder)
    scores = forward_nodes(writer, X, autoencoder._network, start=len(autoencoder._encoders))
    reconstruction = output_nodes(writer, scores, autoencoder.out_activation_)
    _write_output(writer, reconstruction, operator.outputs[0])


# ----------------------------------------------------------------------------- inverse
class AutoencoderDecoder(BaseEstimator):
    """The ``inverse_transform`` of a fitted autoencoder, as a model skl2onnx can convert.

    Parameters
    ----------
    autoencoder : DenoisingAutoencoderTransformer or StackedAutoencoder
        Fitted; only read.
    """

    def __init__(self, autoencoder):
        self.autoencoder = autoencoder


def to_onnx_inverse_transform(autoencoder, X=None, **options):
    """Convert a fitted autoencoder's ``inverse_transform`` into its own ONNX graph.

    Read more in the :ref:`User Guide <ug_onnx>`.

    Parameters
    ----------
    autoencoder : DenoisingAutoencoderTransformer or StackedAutoencoder
        A fitted autoencoder.
    X : ndarray of shape (n_samples, n_components), default=None
        Example codes, which give the input's type (float32 or float64); by default one row
        of zeros in the network's type.
    **options
        Passed to :func:`skl2onnx.to_onnx` (``target_opset``, ``name``...).

    Returns
    -------
    onnx_model : onnx.ModelProto
        One input, the codes ``(N, n_components)``, and one output ``variable``, the
        reconstructions ``(N, n_features)`` through the output activation.

    Raises
    ------
    TypeError
        When ``autoencoder`` is not one of skdeep's autoencoders.
    sklearn.exceptions.NotFittedError
        When it is not fitted.

    Examples
    --------
    >>> import numpy as np
    >>> import onnxruntime as ort
    >>> from skdeep import DenoisingAutoencoderTransformer
    >>> from skdeep.onnx import to_onnx_inverse_transform
    >>> X = np.random.RandomState(0).uniform(size=(50, 6))
    >>> dae = DenoisingAutoencoderTransformer(n_components=2, random_state=0)
    >>> dae = dae.fit(X)
    >>> session = ort.InferenceSession(
    ...     to_onnx_inverse_transform(dae).SerializeToString(),
    ...     providers=["CPUExecutionProvider"],
    ... )
    >>> codes = dae.transform(X)
    >>> (reconstruction,) = session.run(None, {"X": codes})
    >>> reconstruction.shape
    (50, 6)
    >>> expected = dae.inverse_transform(codes)
    >>> bool(np.allclose(reconstruction, expected, atol=1e-12))
    True
    """
    if not isinstance(autoencoder, (DenoisingAutoencoderTransformer, StackedAutoencoder)):
        raise TypeError(
            "to_onnx_inverse_transform converts a DenoisingAutoencoderTransformer or a "
            f"StackedAutoencoder; got {type(autoencoder).__name__}."
        )
    check_is_fitted(autoencoder)
    if X is None:
        X = np.zeros((1, autoencoder._n_features_out), dtype=autoencoder._network.dtype)
    return to_onnx(AutoencoderDecoder(autoencoder), X, **options)


# ----------------------------------------------------------------------------- registration
def register_converters():
    """Register the parsers, shape calculators and converters with skl2onnx."""
    table = [
        (DeepMLPClassifier, classifier_shapes, convert_classifier, _parse_sklearn_classifier,
         CLASSIFIER_OPTIONS),
        (DeepMLPRegressor, regressor_shapes, convert_regressor, _parse_sklearn_simple_model,
         NETWORK_OPTIONS),
        (DenoisingAutoencoderTransformer, encoder_shapes, convert_encoder,
         _parse_sklearn_simple_model, NETWORK_OPTIONS),
        (StackedAutoencoder, encoder_shapes, convert_encoder, _parse_sklearn_simple_model,
         NETWORK_OPTIONS),
    ]
    for model, shapes, converter, parser, options in table:
        update_registered_converter(
            model, f"Skdeep{model.__name__}", shapes, converter,
            parser=_checked(parser), options=options,
        )
    # to_onnx_inverse_transform has checked the autoencoder it wraps.
    update_registered_converter(
        AutoencoderDecoder, "SkdeepAutoencoderDecoder", decoder_shapes, convert_decoder,
        parser=_parse_decoder,
    )

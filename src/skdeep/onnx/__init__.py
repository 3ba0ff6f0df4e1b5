"""Export fitted skdeep estimators to ONNX with skl2onnx.

Importing this module registers converters for :class:`~skdeep.DeepMLPClassifier`,
:class:`~skdeep.DeepMLPRegressor`, :class:`~skdeep.DenoisingAutoencoderTransformer` and
:class:`~skdeep.StackedAutoencoder` with skl2onnx, after which :func:`skl2onnx.to_onnx`
converts them on their own and inside scikit-learn pipelines; an autoencoder's
``inverse_transform`` is converted into a graph of its own by
:func:`to_onnx_inverse_transform`. It needs the ``onnx`` extra
(``pip install "skdeep[onnx]"``: skl2onnx, onnx, onnxruntime); ``import skdeep`` never
imports them. :ref:`ug_onnx` describes the graphs.
"""

try:
    import onnx  # noqa: F401
    import skl2onnx  # noqa: F401
except ImportError as error:
    raise ImportError(
        "skdeep.onnx needs skl2onnx and onnx, which the 'onnx' extra installs: "
        'pip install "skdeep[onnx]".'
    ) from error

from ._converters import check_convertible, register_converters, to_onnx_inverse_transform

register_converters()

__all__ = ["check_convertible", "to_onnx_inverse_transform"]

"""skdeep: deep neural network estimators for scikit-learn on compiled kernels."""

from importlib.metadata import version as _installed_version

from .autoencoders import DenoisingAutoencoderTransformer, StackedAutoencoder
from .gradient_check import check_gradients
from .mlp import DeepMLPClassifier, DeepMLPRegressor

# Written once, in meson.build; the installed metadata carries it.
__version__ = _installed_version("skdeep")

__all__ = [
    "DeepMLPClassifier",
    "DeepMLPRegressor",
    "DenoisingAutoencoderTransformer",
    "StackedAutoencoder",
    "check_gradients",
    "__version__",
]

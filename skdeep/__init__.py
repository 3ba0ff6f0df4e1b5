"""skdeep: deep neural network estimators for scikit-learn on a vectorised NumPy core."""

from .autoencoders import DenoisingAutoencoderTransformer, StackedAutoencoder
from .gradient_check import check_gradients
from .mlp import DeepMLPClassifier, DeepMLPRegressor

__version__ = "0.1.0"

__all__ = [
    "DeepMLPClassifier",
    "DeepMLPRegressor",
    "DenoisingAutoencoderTransformer",
    "StackedAutoencoder",
    "check_gradients",
    "__version__",
]

"""Docstring fragments shared by the displays (one text per idea, composed into ``__doc__``).

As in :mod:`skdeep._docs`, a fragment's first line starts at its text and its other lines carry
the indentation of the docstring it goes into: 4 spaces for a class's sections, 8 for a
method's. A method's docstring cannot be an f-string, so :func:`document` sets it.
"""

# One line per display for the See Also sections, in the order they are listed.
_SUMMARIES = {
    "FilterGridDisplay": "First-layer weights as images.",
    "ReconstructionDisplay": "Autoencoder inputs next to their reconstructions.",
    "TrainingHistoryDisplay": "Learning curves.",
}


def document(docstring):
    """Return a decorator that gives the decorated function ``docstring``."""

    def decorate(function):
        function.__doc__ = docstring
        return function

    return decorate


def see_also(display):
    """Return the See Also entries of ``display``: every other display."""
    return "\n    ".join(
        f"{name} : {summary}" for name, summary in _SUMMARIES.items() if name != display
    )


def example_opening(display, estimator, target="_"):
    """Return the first lines of a display's Examples: no window, the imports and the digits."""
    return f""">>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from sklearn.datasets import load_digits
    >>> from skdeep import {estimator}
    >>> from skdeep.plotting import {display}
    >>> X, {target} = load_digits(return_X_y=True)"""


def autoencoder_example(display, n_components):
    """Return the first lines of an image display's Examples, up to an autoencoder of the digits."""
    return f"""{example_opening(display, "DenoisingAutoencoderTransformer")}
    >>> dae = DenoisingAutoencoderTransformer(n_components={n_components}, max_iter=5,
    ...                                       random_state=0).fit(X / 16)"""


# Class sections of the displays that draw a grid of images.
IMAGE_PARAMETERS = """image_shape : tuple of (int, int)
        ``(height, width)`` of an image, with ``height * width == n_features``.
    estimator_name : str, default=None
        Title of the figure."""


def grid_attributes(shape, note=""):
    """Return the Attributes entries of the grid of axes ``shape``, ``note`` ending the first."""
    return f"""axes_ : ndarray of matplotlib Axes of shape {shape}
        The grid{note}.
    bounding_ax_ : matplotlib Axes or None
        The Axes whose area holds the grid, when one was passed to :meth:`plot`.
    figure_ : matplotlib Figure
        Figure containing the grid."""


# Method parameters of those displays, shared by ``plot`` and ``from_estimator``.
GRID_AX = """ax : matplotlib Axes, default=None
            Area to divide into the grid; None makes a new figure."""

CMAP = """cmap : str or matplotlib Colormap, default='gray'
            Colour map of the images."""

IMSHOW_KW = """imshow_kw : dict, default=None
            Further keyword arguments for ``Axes.imshow``."""

TITLE = """name : str, default=None
            Title; None shows none."""

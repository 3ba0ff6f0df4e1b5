"""The one place that imports matplotlib, and the grid of small image axes two displays share.

matplotlib is an optional dependency (the ``plot`` extra): importing :mod:`skdeep.plotting`
never imports it, only drawing does, and a missing matplotlib gives an error that says how to
install it instead of a bare ``ModuleNotFoundError`` from deep inside a method.
"""

import numpy as np


def import_pyplot(caller):
    """Return ``matplotlib.pyplot``, or raise an ImportError naming ``caller`` and the fix.

    Parameters
    ----------
    caller : str
        What needs matplotlib, for the message (e.g. ``"TrainingHistoryDisplay.plot"``).

    Returns
    -------
    pyplot : module
    """
    try:
        import matplotlib.pyplot as plt
    except ImportError as error:
        raise ImportError(
            f"{caller} requires matplotlib, which is not installed. Install it with "
            "`pip install matplotlib` (or `pip install \"skdeep[plot]\"`)."
        ) from error
    return plt


def image_grid(ax, n_rows, n_cols, caller, cell_inches=1.0):
    """Make an ``n_rows x n_cols`` grid of axes for small images.

    Parameters
    ----------
    ax : matplotlib Axes or None
        None draws on a new figure. A single Axes is a bounding box: it is switched off and its
        area is divided into the grid (as scikit-learn's ``PartialDependenceDisplay`` does).
    n_rows, n_cols : int
    caller : str
        For the error message when matplotlib is missing.
    cell_inches : float, default=1.0
        Size of one cell of a new figure.

    Returns
    -------
    figure : matplotlib Figure
    axes : ndarray of Axes of shape (n_rows, n_cols)
    bounding_ax : matplotlib Axes or None
        ``ax``, when one was given.
    """
    plt = import_pyplot(caller)
    if ax is None:
        figure, axes = plt.subplots(
            n_rows, n_cols, squeeze=False, figsize=(cell_inches * n_cols, cell_inches * n_rows)
        )
        return figure, axes, None
    from matplotlib.gridspec import GridSpecFromSubplotSpec

    subplot_spec = ax.get_subplotspec()
    if subplot_spec is None:
        raise ValueError(
            "ax must be an Axes made by plt.subplots or figure.add_subplot (one with a "
            "subplot spec) so that its area can be divided into a grid; got an Axes without one."
        )
    ax.set_axis_off()
    figure = ax.get_figure()
    grid = GridSpecFromSubplotSpec(
        n_rows, n_cols, subplot_spec=subplot_spec, wspace=0.05, hspace=0.05
    )
    axes = np.empty((n_rows, n_cols), dtype=object)
    for row in range(n_rows):
        for col in range(n_cols):
            axes[row, col] = figure.add_subplot(grid[row, col])
    return figure, axes, ax


def check_image_shape(image_shape, n_features, what):
    """Return ``image_shape`` as a tuple of two ints whose product is ``n_features``."""
    shape = tuple(int(size) for size in image_shape)
    if len(shape) != 2 or shape[0] * shape[1] != n_features:
        raise ValueError(
            f"image_shape={tuple(image_shape)!r} does not fit {what} of {n_features} values: "
            "it must be (height, width) with height * width equal to that number."
        )
    return shape

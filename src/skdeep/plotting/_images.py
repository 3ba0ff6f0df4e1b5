"""FilterGridDisplay and ReconstructionDisplay: weights and reconstructions shown as images."""

import math

import numpy as np
import scipy.sparse as sp
from sklearn.utils.validation import check_is_fitted

from ._docs import (
    CMAP,
    GRID_AX,
    IMAGE_PARAMETERS,
    IMSHOW_KW,
    TITLE,
    autoencoder_example,
    document,
    grid_attributes,
    see_also,
)
from ._estimator import fitted_model
from ._matplotlib import check_image_shape, image_grid


def first_layer_filters(estimator):
    """Return the first layer's weights of a fitted estimator, one filter per row.

    ``components_`` (autoencoder transformers, scikit-learn's RBM and PCA) already has one row
    per unit; ``coefs_[0]`` (MLPs, stacked autoencoders) has one column per unit. A pipeline's
    weights are those of its final step.
    """
    model, description = fitted_model(estimator)
    if hasattr(model, "components_"):
        return np.asarray(model.components_)
    if hasattr(model, "coefs_"):
        return np.asarray(model.coefs_[0]).T
    raise TypeError(
        f"{description} has neither components_ nor coefs_: there are no first-layer weights "
        "to show."
    )


# The parameters of each grid's plot, which its from_estimator passes on (and documents) unchanged.
_FILTER_GRID_PLOT_PARAMETERS = f"""{GRID_AX}
        n_cols : int, default=None
            Images per row; None makes the grid as square as possible.
        {CMAP}
        {IMSHOW_KW}"""

_RECONSTRUCTION_PLOT_PARAMETERS = f"""{GRID_AX}
        {CMAP}
        labels : tuple of (str, str), default=('input', 'reconstruction')
            Labels of the two rows.
        {IMSHOW_KW}"""


def _bare(ax):
    ax.set_xticks([])
    ax.set_yticks([])


def _title(figure, bounding_ax, title):
    if title is None:
        return
    if bounding_ax is not None:
        bounding_ax.set_title(title)
    else:
        figure.suptitle(title)


class FilterGridDisplay:
    __doc__ = f"""First-layer weights as a grid of images, one image per hidden unit.

    Read more in the :ref:`User Guide <ug_autoencoders>`.

    Each unit's incoming weight vector is reshaped to ``image_shape`` and shown with its own
    colour scale (matplotlib's default for ``imshow``), so that the pattern a unit responds to
    is visible whatever its norm.

    Create it with :meth:`from_estimator` or from an array, then call :meth:`plot`.

    Parameters
    ----------
    filters : array-like of shape (n_filters, n_features)
        One weight vector per row.
    {IMAGE_PARAMETERS}

    Attributes
    ----------
    images_ : list of matplotlib AxesImage
        One image per filter, in the order of ``filters``.
    {grid_attributes("(n_rows, n_cols)", "; the cells after the last filter are switched off")}

    See Also
    --------
    {see_also("FilterGridDisplay")}

    Examples
    --------
    {autoencoder_example("FilterGridDisplay", n_components=16)}
    >>> display = FilterGridDisplay.from_estimator(dae, image_shape=(8, 8))
    >>> len(display.images_), display.axes_.shape
    (16, (4, 4))
    """

    def __init__(self, filters, image_shape, *, estimator_name=None):
        self.filters = filters
        self.image_shape = image_shape
        self.estimator_name = estimator_name

    @document(f"""Draw the grid.

        Parameters
        ----------
        {_FILTER_GRID_PLOT_PARAMETERS}

        Returns
        -------
        display : FilterGridDisplay
            Object that stores the computed values.
        """)
    def plot(self, ax=None, *, n_cols=None, cmap="gray", imshow_kw=None):
        filters = np.asarray(self.filters)
        if filters.ndim != 2 or filters.shape[0] == 0:
            raise ValueError(
                f"filters must be a 2-D array with one filter per row; got shape {filters.shape}."
            )
        shape = check_image_shape(self.image_shape, filters.shape[1], "filters")
        n_filters = filters.shape[0]
        n_cols = math.ceil(math.sqrt(n_filters)) if n_cols is None else int(n_cols)
        n_rows = math.ceil(n_filters / n_cols)
        figure, axes, bounding_ax = image_grid(
            ax, n_rows, n_cols, "FilterGridDisplay.plot", cell_inches=0.8
        )
        imshow_kw = {"cmap": cmap, "interpolation": "nearest", **(imshow_kw or {})}
        self.images_ = []
        for index, cell in enumerate(axes.ravel()):
            if index >= n_filters:
                cell.set_axis_off()
                continue
            self.images_.append(cell.imshow(filters[index].reshape(shape), **imshow_kw))
            cell.set_axis_off()
        _title(figure, bounding_ax, self.estimator_name)
        self.axes_ = axes
        self.bounding_ax_ = bounding_ax
        self.figure_ = figure
        return self

    @classmethod
    @document(f"""Plot the first-layer filters of a fitted estimator.

        Parameters
        ----------
        estimator : fitted estimator
            With ``components_``, one filter per row
            (:class:`~skdeep.DenoisingAutoencoderTransformer`, scikit-learn's ``BernoulliRBM``
            or ``PCA``), or ``coefs_``, one filter per column of ``coefs_[0]`` (the MLPs and
            :class:`~skdeep.StackedAutoencoder`); or a :class:`~sklearn.pipeline.Pipeline`
            whose final step has them, or a :class:`~sklearn.frozen.FrozenEstimator` of one.
        image_shape : tuple of (int, int)
            ``(height, width)`` of the input images.
        n_filters : int, default=None
            Show only the first ``n_filters`` units; None shows all of them.
        {_FILTER_GRID_PLOT_PARAMETERS}
        {TITLE}

        Returns
        -------
        display : FilterGridDisplay
        """)
    def from_estimator(cls, estimator, image_shape, *, n_filters=None, ax=None, n_cols=None,
                       cmap="gray", imshow_kw=None, name=None):
        filters = first_layer_filters(estimator)
        if n_filters is not None:
            filters = filters[: int(n_filters)]
        display = cls(filters, image_shape, estimator_name=name)
        return display.plot(ax=ax, n_cols=n_cols, cmap=cmap, imshow_kw=imshow_kw)


class ReconstructionDisplay:
    __doc__ = f"""Images next to their autoencoder reconstructions: inputs on top, \
reconstructions below.

    Read more in the :ref:`User Guide <ug_autoencoders>`.

    Each column shows one sample; its two images share one colour scale, so that a difference
    in brightness is a difference in the values.

    Create it with :meth:`from_estimator` or from arrays, then call :meth:`plot`.

    Parameters
    ----------
    inputs : array-like of shape (n_images, n_features)
        The samples given to the autoencoder.
    reconstructions : array-like of shape (n_images, n_features)
        Their reconstructions.
    {IMAGE_PARAMETERS}

    Attributes
    ----------
    images_ : ndarray of matplotlib AxesImage of shape (2, n_images)
        Row 0 shows the inputs, row 1 the reconstructions.
    {grid_attributes("(2, n_images)")}

    See Also
    --------
    {see_also("ReconstructionDisplay")}

    Examples
    --------
    {autoencoder_example("ReconstructionDisplay", n_components=32)}
    >>> display = ReconstructionDisplay.from_estimator(dae, X[:6] / 16,
    ...                                                image_shape=(8, 8))
    >>> display.images_.shape
    (2, 6)
    """

    def __init__(self, inputs, reconstructions, image_shape, *, estimator_name=None):
        self.inputs = inputs
        self.reconstructions = reconstructions
        self.image_shape = image_shape
        self.estimator_name = estimator_name

    @document(f"""Draw the two rows of images.

        Parameters
        ----------
        {_RECONSTRUCTION_PLOT_PARAMETERS}

        Returns
        -------
        display : ReconstructionDisplay
            Object that stores the computed values.
        """)
    def plot(self, ax=None, *, cmap="gray", labels=("input", "reconstruction"), imshow_kw=None):
        inputs = np.asarray(self.inputs)
        reconstructions = np.asarray(self.reconstructions)
        if inputs.ndim != 2 or inputs.shape != reconstructions.shape or inputs.shape[0] == 0:
            raise ValueError(
                "inputs and reconstructions must be non-empty 2-D arrays of the same shape; got "
                f"{inputs.shape} and {reconstructions.shape}."
            )
        shape = check_image_shape(self.image_shape, inputs.shape[1], "samples")
        n_images = inputs.shape[0]
        figure, axes, bounding_ax = image_grid(
            ax, 2, n_images, "ReconstructionDisplay.plot", cell_inches=1.0
        )
        imshow_kw = {"cmap": cmap, "interpolation": "nearest", **(imshow_kw or {})}
        self.images_ = np.empty((2, n_images), dtype=object)
        for column in range(n_images):
            pair = (inputs[column], reconstructions[column])
            # One colour scale per column: the reconstruction is judged against its input.
            scale = {"vmin": min(p.min() for p in pair), "vmax": max(p.max() for p in pair)}
            for row, values in enumerate(pair):
                cell = axes[row, column]
                self.images_[row, column] = cell.imshow(
                    values.reshape(shape), **{**scale, **imshow_kw}
                )
                _bare(cell)
        for row, label in enumerate(labels):
            axes[row, 0].set_ylabel(label)
        _title(figure, bounding_ax, self.estimator_name)
        self.axes_ = axes
        self.bounding_ax_ = bounding_ax
        self.figure_ = figure
        return self

    @classmethod
    @document(f"""Plot the first samples of ``X`` next to the autoencoder's reconstructions of them.

        The reconstruction is ``estimator.inverse_transform(estimator.transform(X))``, so no
        noise is applied: pass corrupted samples as ``X`` to show denoising.

        Parameters
        ----------
        estimator : fitted autoencoder
            With ``transform`` and ``inverse_transform``:
            :class:`~skdeep.DenoisingAutoencoderTransformer` or :class:`~skdeep.StackedAutoencoder`
            (or, e.g., scikit-learn's ``PCA``). A :class:`~sklearn.pipeline.Pipeline` of such
            transformers reconstructs through all of its steps, a scaler's included.
        X : {{array-like, sparse matrix}} of shape (n_samples, n_features)
            Samples to reconstruct; the first ``n_images`` are shown.
        image_shape : tuple of (int, int)
            ``(height, width)`` of the images.
        n_images : int, default=8
            Number of samples shown.
        {_RECONSTRUCTION_PLOT_PARAMETERS}
        {TITLE}

        Returns
        -------
        display : ReconstructionDisplay
        """)
    def from_estimator(cls, estimator, X, image_shape, *, n_images=8, ax=None, cmap="gray",
                       labels=("input", "reconstruction"), imshow_kw=None, name=None):
        check_is_fitted(estimator)
        if not (hasattr(estimator, "transform") and hasattr(estimator, "inverse_transform")):
            raise TypeError(
                f"{type(estimator).__name__} cannot reconstruct its input: it needs transform "
                "and inverse_transform."
            )
        # Only the rows shown are densified: X may be a large sparse matrix.
        inputs = X[: int(n_images)]
        inputs = inputs.toarray() if sp.issparse(inputs) else np.asarray(inputs)
        reconstructions = estimator.inverse_transform(estimator.transform(inputs))
        display = cls(inputs, reconstructions, image_shape, estimator_name=name)
        return display.plot(ax=ax, cmap=cmap, labels=labels, imshow_kw=imshow_kw)

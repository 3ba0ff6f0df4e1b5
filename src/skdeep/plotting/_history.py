"""TrainingHistoryDisplay: training loss, validation loss and validation score per epoch."""

import numpy as np

from ._docs import document, example_opening, see_also
from ._estimator import fitted_model
from ._matplotlib import import_pyplot


def _history_from_estimator(estimator, description):
    """``(loss, validation_loss, validation_score)`` per epoch of a fitted estimator.

    ``description`` names the estimator in the error raised when it has no history.

    Reads the per-epoch records ``history_`` where the estimator keeps them, else
    ``loss_curve_`` and ``validation_scores_`` (which scikit-learn's MLPs have too).
    """
    records = getattr(estimator, "history_", None)
    if records:
        columns = {}
        for key in ("loss", "validation_loss", "validation_score"):
            values = [record.get(key) for record in records]
            columns[key] = None if any(value is None for value in values) else values
        if columns["loss"] is not None:
            return columns["loss"], columns["validation_loss"], columns["validation_score"]
    loss_curve = getattr(estimator, "loss_curve_", None)
    if loss_curve is None:
        raise ValueError(
            f"{description} has no per-epoch training history (no loss_curve_). "
            "Only stochastic solvers record one: solver='lbfgs' reports only the final loss_, "
            "and a StackedAutoencoder records one only when fine_tune=True (each of its "
            "autoencoders_ has its own)."
        )
    return loss_curve, None, getattr(estimator, "validation_scores_", None)


# The parameters of plot that from_estimator passes on (and documents) unchanged, around name.
_AXES_PARAMETERS = """ax : matplotlib Axes, default=None
            Axes for the losses; None makes a new figure.
        score_ax : matplotlib Axes, default=None
            Axes for the validation score; None makes a twin of ``ax`` when there is a score.
            Pass the ``ax_score_`` of an earlier display to put several fits' scores on the
            same axes."""

_LINE_KW = """line_kw : dict, default=None
            Keyword arguments for every ``Axes.plot`` call (the line style of each curve is
            set by the display unless given here)."""


class TrainingHistoryDisplay:
    __doc__ = f"""Learning curves of one fit: the loss and validation score after each epoch.

    Read more in the :ref:`User Guide <ug_early_stopping>`.

    The training loss (and, when recorded, the validation loss) is drawn on ``ax_``, the
    validation score on a second y axis, ``ax_score_``, sharing the epoch axis. Call
    :meth:`plot` again with the same axes to compare several fits; all curves of one fit share
    one colour (solid: training loss, dashed: validation loss, dotted: validation score).

    Create it with :meth:`from_estimator` or from arrays, then call :meth:`plot`.

    Parameters
    ----------
    loss_curve : array-like of shape (n_epochs,)
        Training loss after each epoch.
    validation_loss : array-like of shape (n_epochs,), default=None
        Loss on the validation data after each epoch.
    validation_scores : array-like of shape (n_epochs,), default=None
        Score (accuracy, R^2, negative reconstruction loss) on the validation data after each
        epoch.
    estimator_name : str, default=None
        Prefix of the legend labels.

    Attributes
    ----------
    ax_ : matplotlib Axes
        Axes with the loss curves.
    ax_score_ : matplotlib Axes or None
        Twin axes with the validation score, if there is one.
    figure_ : matplotlib Figure
        Figure containing the curves.
    lines_ : list of matplotlib Line2D
        The lines drawn by the last call to :meth:`plot`, in the order training loss,
        validation loss, validation score (those that exist).
    line_loss_ : matplotlib Line2D
        Training loss curve.
    line_validation_loss_ : matplotlib Line2D or None
        Validation loss curve.
    line_validation_score_ : matplotlib Line2D or None
        Validation score curve.

    See Also
    --------
    {see_also("TrainingHistoryDisplay")}

    Examples
    --------
    {example_opening("TrainingHistoryDisplay", "DeepMLPClassifier", target="y")}
    >>> clf = DeepMLPClassifier(hidden_layer_sizes=(32,), early_stopping=True,
    ...                         max_iter=20, random_state=0).fit(X / 16, y)
    >>> display = TrainingHistoryDisplay.from_estimator(clf)
    >>> len(display.lines_) >= 2
    True
    """

    def __init__(self, loss_curve, *, validation_loss=None, validation_scores=None,
                 estimator_name=None):
        self.loss_curve = loss_curve
        self.validation_loss = validation_loss
        self.validation_scores = validation_scores
        self.estimator_name = estimator_name

    @document(f"""Draw the curves.

        Parameters
        ----------
        {_AXES_PARAMETERS}
        name : str, default=None
            Prefix of the legend labels; defaults to ``estimator_name``.
        {_LINE_KW}

        Returns
        -------
        display : TrainingHistoryDisplay
            Object that stores the computed values.
        """)
    def plot(self, ax=None, *, score_ax=None, name=None, line_kw=None):
        plt = import_pyplot("TrainingHistoryDisplay.plot")
        if ax is None:
            _, ax = plt.subplots()
        name = self.estimator_name if name is None else name
        prefix = "" if name is None else f"{name}: "
        line_kw = {} if line_kw is None else dict(line_kw)

        loss = np.asarray(self.loss_curve, dtype=float)
        epochs = np.arange(1, loss.shape[0] + 1)
        (self.line_loss_,) = ax.plot(
            epochs, loss, **{"label": f"{prefix}training loss", **line_kw}
        )
        colour = self.line_loss_.get_color()
        follow = {"color": colour, **{k: v for k, v in line_kw.items() if k != "label"}}
        self.line_validation_loss_ = None
        if self.validation_loss is not None:
            (self.line_validation_loss_,) = ax.plot(
                epochs, np.asarray(self.validation_loss, dtype=float),
                **{"linestyle": "--", "label": f"{prefix}validation loss", **follow},
            )
        self.line_validation_score_ = None
        if self.validation_scores is not None:
            if score_ax is None:
                score_ax = ax.twinx()
            (self.line_validation_score_,) = score_ax.plot(
                epochs, np.asarray(self.validation_scores, dtype=float),
                **{"linestyle": ":", "label": f"{prefix}validation score", **follow},
            )
            score_ax.set_ylabel("validation score")
        ax.set_xlabel("epoch")
        ax.set_ylabel("loss")
        self.lines_ = [
            line for line in
            (self.line_loss_, self.line_validation_loss_, self.line_validation_score_)
            if line is not None
        ]
        # One legend for both axes; matplotlib leaves out lines whose label starts with "_".
        handles = list(ax.get_lines())
        if score_ax is not None:
            handles += list(score_ax.get_lines())
        handles = [line for line in handles if not line.get_label().startswith("_")]
        if handles:
            ax.legend(handles=handles, labels=[line.get_label() for line in handles])
        self.ax_ = ax
        self.ax_score_ = score_ax
        self.figure_ = ax.figure
        return self

    @classmethod
    @document(f"""Plot the training history of a fitted estimator.

        Works with every skdeep estimator trained by a stochastic solver, and with
        scikit-learn's ``MLPClassifier`` and ``MLPRegressor``. The validation curves are those
        recorded with ``early_stopping=True`` (or a validation set given to ``fit``).

        Parameters
        ----------
        estimator : fitted estimator
            With ``history_`` or ``loss_curve_`` (and optionally ``validation_scores_``); or a
            :class:`~sklearn.pipeline.Pipeline` whose final step has them, or a
            :class:`~sklearn.frozen.FrozenEstimator` of one.
        {_AXES_PARAMETERS}
        name : str, default=None
            Prefix of the legend labels; defaults to the class name of the estimator (of a
            pipeline's final step).
        {_LINE_KW}

        Returns
        -------
        display : TrainingHistoryDisplay

        Raises
        ------
        ValueError
            If the estimator recorded no per-epoch history (``solver='lbfgs'``).
        """)
    def from_estimator(cls, estimator, *, ax=None, score_ax=None, name=None, line_kw=None):
        model, description = fitted_model(estimator)
        loss, validation_loss, validation_scores = _history_from_estimator(model, description)
        display = cls(
            loss, validation_loss=validation_loss, validation_scores=validation_scores,
            estimator_name=type(model).__name__ if name is None else name,
        )
        return display.plot(ax=ax, score_ax=score_ax, line_kw=line_kw)

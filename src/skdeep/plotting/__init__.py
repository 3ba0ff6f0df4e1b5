"""Plotting helpers: scikit-learn style Display objects for training curves and learned images.

Each display is built from a fitted estimator with ``Display.from_estimator(...)`` (or from plain
arrays with its constructor followed by ``.plot()``) and keeps what it drew in attributes ending
in ``_`` (``ax_``, ``figure_``, ``lines_``, ``images_``) for further styling. matplotlib is
imported only when something is drawn; install it with ``pip install "skdeep[plot]"``.
"""

from ._history import TrainingHistoryDisplay
from ._images import FilterGridDisplay, ReconstructionDisplay

__all__ = ["TrainingHistoryDisplay", "FilterGridDisplay", "ReconstructionDisplay"]

"""Notice a validation set that is on another scale than the training data.

The usual cause is a Pipeline given ``step__X_val=``: scikit-learn hands that argument to the
step as it is, so the validation set skips the scaler the training data went through, and early
stopping judges the network on inputs it never saw the like of. Without metadata routing the
estimator cannot know it sits in a pipeline; it can see that the two sets disagree by far more
than two samples of one distribution do.
"""

import warnings

import numpy as np
import scipy.sparse as sp

# Rows of each set that are compared (evenly spaced, so the check costs no random draws and
# reads a memory map sparingly).
SAMPLE_ROWS = 2000
# A typical feature's mean this many training standard deviations away, or its spread this many
# times larger or smaller, is no sampling accident.
SHIFT_LIMIT = 3.0
SPREAD_LIMIT = 3.0


def _sample(X):
    if X.shape[0] <= SAMPLE_ROWS:
        return X
    return X[np.linspace(0, X.shape[0] - 1, SAMPLE_ROWS).astype(np.intp)]


def _mean_and_std(X):
    X = _sample(X)
    if sp.issparse(X):
        mean = np.asarray(X.mean(axis=0)).ravel()
        squares = np.asarray(X.multiply(X).mean(axis=0)).ravel()
        return mean, np.sqrt(np.maximum(squares - mean**2, 0.0))
    X = np.asarray(X, dtype=np.float64)
    return X.mean(axis=0), X.std(axis=0)


def warn_if_scaled_unlike(X_train, X_val):
    """Warn if most features of ``X_val`` are shifted or spread unlike those of ``X_train``.

    A feature counts as off when its validation mean lies more than ``SHIFT_LIMIT`` training
    standard deviations from the training mean, or its spread differs by more than a factor of
    ``SPREAD_LIMIT``. Features constant in either sample carry no scale (a rare feature may be
    absent from one set) and are left out, as are sets of fewer than two rows.
    """
    if X_train.shape[0] < 2 or X_val.shape[0] < 2:
        return
    train_mean, train_std = _mean_and_std(X_train)
    val_mean, val_std = _mean_and_std(X_val)
    varying = (train_std > 0) & (val_std > 0)
    if not varying.any():
        return
    shift = np.abs(val_mean - train_mean)[varying] / train_std[varying]
    spread = val_std[varying] / train_std[varying]
    off = (shift > SHIFT_LIMIT) | (spread > SPREAD_LIMIT) | (spread < 1 / SPREAD_LIMIT)
    if off.mean() <= 0.5:
        return
    warnings.warn(
        f"X_val is on another scale than the training data: {off.mean():.0%} of its features "
        f"are shifted by more than {SHIFT_LIMIT:g} training standard deviations or spread more "
        f"than {SPREAD_LIMIT:g} times more or less widely. If it reached this estimator through "
        "a Pipeline as step__X_val, it skipped the earlier steps' transformations: route it "
        "instead (metadata routing, with Pipeline(..., transform_input=['X_val']) and "
        "set_fit_request(X_val=True, y_val=True); see the user guide, 'A validation set in a "
        "pipeline').",
        UserWarning,
    )

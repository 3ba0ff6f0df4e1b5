"""A fit refused by a check leaves the estimator exactly as it was: fitted and unchanged, or not
fitted at all (never a half-written one)."""

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.utils.validation import check_is_fitted

from skdeep import DeepMLPClassifier, DenoisingAutoencoderTransformer


def _refusals(X, y):
    """``(parameters to set, fit arguments, message)`` of fits that a check refuses."""
    multilabel = np.column_stack([y % 2, y > 4]).astype(int)
    return [
        ({}, dict(X=X, y=y, y_val=y[:10]), "y_val was given without X_val"),
        ({}, dict(X=X, y=y, X_val=X[:10]), "X_val was given without y_val"),
        ({}, dict(X=X, y=y, X_val=X[:10, :5], y_val=y[:10]), "features"),
        ({}, dict(X=X, y=y, X_val=X[:10], y_val=y[:10] + 100), "classes not in"),
        ({"class_weight": "balanced"}, dict(X=X, y=multilabel), "multilabel"),
        ({}, dict(X=X, y=np.where(y == 0, np.nan, y)), "NaN"),
        ({"hidden_layer_sizes": (0,)}, dict(X=X, y=y), "must be > 0"),
    ]


@pytest.mark.parametrize("case", range(7))
def test_refused_refit_changes_nothing(case, digits):
    X, X_test, y, _ = digits
    clf = DeepMLPClassifier(hidden_layer_sizes=(8,), max_iter=3, random_state=0).fit(X, y)
    params, arguments, message = _refusals(X, y)[case]
    clf.set_params(**params)
    before = dict(vars(clf))
    predictions = clf.predict_proba(X_test)
    with pytest.raises(ValueError, match=message):
        clf.fit(arguments.pop("X"), arguments.pop("y"), **arguments)
    assert vars(clf).keys() == before.keys()
    assert all(vars(clf)[name] is value for name, value in before.items())
    np.testing.assert_array_equal(clf.predict_proba(X_test), predictions)


@pytest.mark.parametrize("case", range(7))
def test_refused_first_fit_leaves_an_unfitted_estimator(case, digits):
    X, _, y, _ = digits
    params, arguments, message = _refusals(X, y)[case]
    clf = DeepMLPClassifier(hidden_layer_sizes=(8,), max_iter=3).set_params(**params)
    with pytest.raises(ValueError, match=message):
        clf.fit(arguments.pop("X"), arguments.pop("y"), **arguments)
    assert vars(clf) == vars(clone(clf))
    with pytest.raises(NotFittedError):
        check_is_fitted(clf)


def test_partial_fit_is_unavailable_with_lbfgs_for_every_estimator():
    # One rule, scikit-learn's: partial_fit does not exist for a full-batch solver.
    for estimator in (DeepMLPClassifier(solver="lbfgs"),
                      DenoisingAutoencoderTransformer(solver="lbfgs")):
        assert not hasattr(estimator, "partial_fit")
        assert hasattr(estimator.set_params(solver="adam"), "partial_fit")

"""The warning for a validation set on another scale than the training data (step__X_val).

It must fire when a pipeline's scaler was skipped and stay quiet on honest splits of real data,
whatever the split: both are checked over many seeds and sizes, on several datasets.
"""

import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.datasets import load_breast_cancer, load_diabetes, load_digits, load_wine
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import MaxAbsScaler, MinMaxScaler, StandardScaler

from skdeep._scale_check import warn_if_scaled_unlike
from skdeep.datasets import load_ccpp, load_mnist_sample


def _real_data():
    data = {
        "digits": load_digits().data,
        "breast_cancer": load_breast_cancer().data,
        "diabetes": load_diabetes().data,
        "wine": load_wine().data,
        "ccpp": load_ccpp().data,
        "mnist": load_mnist_sample().data[:3000],
    }
    # Word-count-like sparse data: features present in 0.01% to 10% of the rows.
    rng = np.random.default_rng(0)
    presence = np.exp(rng.uniform(np.log(1e-4), np.log(0.1), 1000))
    counts = (rng.random((3000, 1000)) < presence) * rng.poisson(2, (3000, 1000))
    data["sparse_counts"] = sp.csr_matrix(counts.astype(np.float64))
    return data


DATA = _real_data()
SPLITS = [(seed, fraction) for seed in range(10) for fraction in (0.05, 0.3)]


def warns(X_train, X_val):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        warn_if_scaled_unlike(X_train, X_val)
    return [str(warning.message) for warning in caught]


@pytest.mark.parametrize("name", list(DATA))
def test_quiet_on_honest_splits_raw_and_scaled(name):
    X = DATA[name]
    Scaler = MaxAbsScaler if sp.issparse(X) else StandardScaler
    for seed, fraction in SPLITS:
        X_train, X_val = train_test_split(X, test_size=fraction, random_state=seed)
        assert warns(X_train, X_val) == []
        scaler = Scaler().fit(X_train)
        assert warns(scaler.transform(X_train), scaler.transform(X_val)) == []
    # Nor on an unshuffled split (the rows of a file in their order).
    cut = int(0.9 * X.shape[0])
    assert warns(X[:cut], X[cut:]) == []


@pytest.mark.parametrize("name, Scaler", [
    ("digits", StandardScaler), ("breast_cancer", StandardScaler), ("diabetes", StandardScaler),
    ("wine", StandardScaler), ("mnist", StandardScaler), ("digits", MinMaxScaler),
    ("breast_cancer", MinMaxScaler), ("ccpp", MinMaxScaler), ("sparse_counts", MaxAbsScaler),
])
def test_warns_when_the_scaler_was_skipped(name, Scaler):
    X = DATA[name]
    for seed, fraction in SPLITS:
        X_train, X_val = train_test_split(X, test_size=fraction, random_state=seed)
        (message,) = warns(Scaler().fit_transform(X_train), X_val)
        assert "X_val is on another scale" in message and "transform_input" in message


def test_nothing_to_compare_is_no_warning():
    constant = np.ones((50, 3))
    assert warns(constant, constant + 100) == []
    assert warns(np.arange(10.0).reshape(5, 2), np.array([[1e6, 1e6]])) == []

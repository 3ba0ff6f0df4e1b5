"""One search over several solvers, as docs/user_guide/tuning.rst ("Mixing solvers") describes.

A parameter that a solver does not use leaves its fit unchanged; a combination L-BFGS cannot
honour (noise in a deterministic objective) raises, and a list of grids keeps such points out.
"""

import numpy as np
import pytest
from sklearn.model_selection import GridSearchCV
from threadpoolctl import threadpool_limits

from skdeep import DeepMLPClassifier, DenoisingAutoencoderTransformer

LBFGS = dict(solver="lbfgs", hidden_layer_sizes=(16,), max_iter=15, random_state=0)

# What the docs list as ignored by 'lbfgs', each with a value far from its default; the batch
# normalisation parameters are varied on a network that has batch normalisation.
IGNORED_BY_LBFGS = [
    ({}, {"batch_size": 16}),
    ({}, {"shuffle": False}),
    ({}, {"momentum": 0.5}),
    ({}, {"nesterovs_momentum": False}),
    ({}, {"beta_1": 0.5}),
    ({}, {"beta_2": 0.9}),
    ({}, {"epsilon": 1e-2}),
    ({}, {"rho": 0.5}),
    ({}, {"learning_rate": "cosine"}),
    ({}, {"learning_rate_init": 0.1}),
    ({}, {"power_t": 0.1}),
    ({}, {"learning_rate_decay": 0.5}),
    ({}, {"learning_rate_step": 2}),
    ({}, {"early_stopping": True}),
    ({}, {"early_stopping": True, "validation_fraction": 0.3}),
    ({}, {"n_iter_no_change": 1}),
    ({}, {"max_norm": 0.1}),
    ({"batch_norm": True}, {"batch_norm_momentum": 0.1}),
    ({"batch_norm": True}, {"batch_norm_statistics": "population"}),
]


@pytest.fixture(autouse=True)
def one_blas_thread():
    # L-BFGS multiplies the whole (small) training set at every evaluation; on a busy two-core
    # host a multi-threaded BLAS spends ten times longer synchronising than computing.
    with threadpool_limits(limits=1):
        yield


def _probabilities(params, data, **fit_params):
    X_train, X_test, y_train, _ = data
    return DeepMLPClassifier(**params).fit(X_train, y_train, **fit_params).predict_proba(X_test)


def test_list_of_grids_mixes_solvers_without_failures(digits):
    X, _, y, _ = digits
    grid = [{"solver": ["adam"], "dropout": [0.0, 0.3]}, {"solver": ["lbfgs"]}]
    search = GridSearchCV(
        DeepMLPClassifier(hidden_layer_sizes=(16,), max_iter=10, random_state=0),
        grid, cv=2, error_score="raise",
    ).fit(X, y)
    assert search.cv_results_["params"] == [
        {"dropout": 0.0, "solver": "adam"}, {"dropout": 0.3, "solver": "adam"},
        {"solver": "lbfgs"},
    ]
    assert np.isfinite(search.cv_results_["mean_test_score"]).all()


def test_one_grid_crossing_lbfgs_with_dropout_fails_those_points(digits):
    X, _, y, _ = digits
    search = GridSearchCV(
        DeepMLPClassifier(hidden_layer_sizes=(16,), max_iter=10, random_state=0),
        {"solver": ["adam", "lbfgs"], "dropout": [0.0, 0.3]}, cv=2, error_score="raise",
    )
    with pytest.raises(ValueError, match="dropout"):
        search.fit(X, y)


@pytest.mark.parametrize(
    "estimator",
    [
        DeepMLPClassifier(**LBFGS, dropout=0.3),
        DeepMLPClassifier(**LBFGS, input_dropout=0.2),
        DeepMLPClassifier(**LBFGS, pretraining="denoising"),
        DenoisingAutoencoderTransformer(solver="lbfgs", n_components=4),
    ],
    ids=["dropout", "input_dropout", "denoising-pretraining", "autoencoder-noise"],
)
def test_lbfgs_refuses_noise(estimator, digits):
    X, _, y, _ = digits
    with pytest.raises(ValueError, match="stochastic solver"):
        estimator.fit(X, y)


@pytest.mark.parametrize(
    "base, varied", IGNORED_BY_LBFGS, ids=[",".join(varied) for _, varied in IGNORED_BY_LBFGS]
)
def test_parameter_ignored_by_lbfgs_leaves_its_fit_unchanged(base, varied, digits):
    defaults = DeepMLPClassifier().get_params()
    assert all(defaults[name] != value for name, value in varied.items())
    expected = _probabilities({**LBFGS, **base}, digits)
    np.testing.assert_allclose(
        _probabilities({**LBFGS, **base, **varied}, digits), expected, rtol=1e-6, atol=1e-12
    )


def test_lbfgs_ignores_a_validation_set(digits):
    _, X_test, _, y_test = digits
    np.testing.assert_allclose(
        _probabilities(LBFGS, digits, X_val=X_test, y_val=y_test),
        _probabilities(LBFGS, digits), rtol=1e-6, atol=1e-12,
    )


def test_stochastic_solver_ignores_max_fun(digits):
    adam = dict(hidden_layer_sizes=(16,), max_iter=5, random_state=0)
    np.testing.assert_allclose(
        _probabilities({**adam, "max_fun": 1}, digits), _probabilities(adam, digits),
        rtol=1e-6, atol=1e-12,
    )

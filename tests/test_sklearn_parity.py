"""Same parameters, same random_state, same model: DeepMLP* against scikit-learn's MLP*.

With every skdeep-only feature at its default, both libraries draw the same initial weights,
the same early-stopping split and the same per-epoch shuffles from the same RandomState, and
take the same steps; so ``n_iter_`` is equal and ``loss_curve_``, ``coefs_``, ``intercepts_`` and
the predictions agree to rounding. The matrix below fits both estimators on small real and
synthetic problems and compares everything a user can see.
"""

import warnings

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.datasets import load_digits, make_multilabel_classification, make_regression
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPClassifier, MLPRegressor
from sklearn.preprocessing import minmax_scale

from skdeep import DeepMLPClassifier, DeepMLPRegressor

# Relative tolerances: float64 results that went through BLAS in the same shapes agree to a few
# ulps per step; float32 runs compound float32 rounding over every epoch.
TOLERANCE = {
    np.float64: {"loss": 1e-9, "weights": 1e-7, "atol": 1e-10},
    np.float32: {"loss": 2e-4, "weights": 2e-3, "atol": 2e-5},
}


def _digits(n_classes):
    X, y = load_digits(n_class=n_classes, return_X_y=True)
    return minmax_scale(X[:180]), y[:180]


def _multilabel():
    X, Y = make_multilabel_classification(n_samples=120, n_features=12, n_classes=4,
                                          random_state=3)
    return minmax_scale(X), Y


def _regression(n_targets):
    X, y = make_regression(n_samples=160, n_features=8, n_targets=n_targets, noise=5.0,
                           random_state=4)
    return X, y / np.abs(y).max()


def _poisson():
    rng = np.random.RandomState(5)
    X = rng.uniform(size=(160, 6))
    return X, rng.poisson(np.exp(X @ rng.uniform(-1, 1, 6)))


PROBLEMS = {
    "multiclass": (MLPClassifier, DeepMLPClassifier, lambda: _digits(4)),
    "binary": (MLPClassifier, DeepMLPClassifier, lambda: _digits(2)),
    "multilabel": (MLPClassifier, DeepMLPClassifier, _multilabel),
    "regression": (MLPRegressor, DeepMLPRegressor, lambda: _regression(1)),
    "poisson": (MLPRegressor, DeepMLPRegressor, _poisson),
}

SGD_MOMENTUM = {
    "nesterov": {"learning_rate_init": 0.05},
    "momentum": {"nesterovs_momentum": False, "momentum": 0.5, "learning_rate_init": 0.05},
    "plain": {"momentum": 0.0, "learning_rate_init": 0.1},
}
SGD_SCHEDULES = {
    "constant": {},
    "invscaling": {"learning_rate": "invscaling", "power_t": 0.25, "learning_rate_init": 0.2},
    # A large tol and a short patience make the plateaus, and so the rate cuts, happen.
    "adaptive": {"learning_rate": "adaptive", "tol": 0.05, "n_iter_no_change": 2},
}
SOLVERS = {
    **{
        f"sgd-{momentum}-{schedule}": {"solver": "sgd", **SGD_MOMENTUM[momentum],
                                       **SGD_SCHEDULES[schedule]}
        for momentum in SGD_MOMENTUM
        for schedule in SGD_SCHEDULES
    },
    "adam": {"solver": "adam", "learning_rate_init": 0.01},
    # scikit-learn ignores learning_rate for adam; so does skdeep.
    "adam-adaptive": {"solver": "adam", "learning_rate": "adaptive", "tol": 0.05,
                      "n_iter_no_change": 2, "learning_rate_init": 0.01},
    "lbfgs": {"solver": "lbfgs"},
}

VARIANTS = {
    "plain": {},
    "early-stopping": {"early_stopping": True, "validation_fraction": 0.2},
    "logistic-minibatch": {"activation": "logistic", "batch_size": 32, "alpha": 0.01},
    "tanh-two-layers": {"activation": "tanh", "hidden_layer_sizes": (9, 7), "shuffle": False},
}


def quiet_fit(estimator, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return estimator.fit(*args, **kwargs)


def assert_same_model(ours, theirs, X, dtype=np.float64):
    tolerance = TOLERANCE[dtype]
    assert ours.n_iter_ == theirs.n_iter_
    assert ours.t_ == theirs.t_
    for name in ("loss_curve_", "validation_scores_"):
        if getattr(theirs, name, None) is not None:
            assert_allclose(getattr(ours, name), getattr(theirs, name), rtol=tolerance["loss"])
    assert_allclose(ours.loss_, theirs.loss_, rtol=tolerance["loss"])
    for mine, reference in zip(ours.coefs_ + ours.intercepts_,
                               theirs.coefs_ + theirs.intercepts_):
        # A float32 fit keeps float32 weights; scikit-learn's L-BFGS returns float64 ones.
        assert mine.dtype == X.dtype
        assert_allclose(mine, reference, rtol=tolerance["weights"], atol=tolerance["atol"])
    if hasattr(theirs, "predict_proba"):
        assert_allclose(ours.predict_proba(X), theirs.predict_proba(X),
                        rtol=tolerance["weights"], atol=tolerance["atol"])
        assert_array_equal(ours.predict(X), theirs.predict(X))
    else:
        assert_allclose(ours.predict(X), theirs.predict(X), rtol=tolerance["weights"],
                        atol=tolerance["atol"])


def _pair(problem, **params):
    sklearn_class, skdeep_class, load = PROBLEMS[problem]
    params = {"hidden_layer_sizes": (12,), "max_iter": 12, "random_state": 0, **params}
    if sklearn_class is MLPRegressor and problem == "poisson":
        params["loss"] = "poisson"
    return sklearn_class(**params), skdeep_class(**params), load()


@pytest.mark.parametrize("variant", sorted(VARIANTS))
@pytest.mark.parametrize("solver", sorted(SOLVERS))
@pytest.mark.parametrize("problem", sorted(PROBLEMS))
def test_same_seed_same_model(problem, solver, variant):
    params = {**SOLVERS[solver], **VARIANTS[variant]}
    if problem == "poisson":
        params["learning_rate_init"] = min(params.get("learning_rate_init", 0.001), 0.01)
    theirs, ours, (X, y) = _pair(problem, **params)
    assert_same_model(quiet_fit(ours, X, y), quiet_fit(theirs, X, y), X)


@pytest.mark.parametrize("seed", [0, 1, 7, "RandomState(11)"])
@pytest.mark.parametrize("problem", ["multiclass", "binary", "regression"])
def test_every_seed_and_random_state_kind(problem, seed):
    theirs, ours, (X, y) = _pair(problem, early_stopping=True, max_iter=8)
    for estimator in (theirs, ours):
        # A RandomState instance is consumed by the fit: each library gets its own.
        estimator.set_params(random_state=np.random.RandomState(11) if seed == "RandomState(11)"
                             else seed)
    assert_same_model(quiet_fit(ours, X, y), quiet_fit(theirs, X, y), X)


@pytest.mark.parametrize(
    "solver", ["sgd-nesterov-constant", "sgd-nesterov-invscaling", "adam", "lbfgs"]
)
@pytest.mark.parametrize("problem", ["multiclass", "regression"])
def test_float32(problem, solver):
    theirs, ours, (X, y) = _pair(problem, **SOLVERS[solver])
    X = X.astype(np.float32)
    assert_same_model(quiet_fit(ours, X, y), quiet_fit(theirs, X, y), X, dtype=np.float32)


@pytest.mark.parametrize("variant", ["plain", "early-stopping"])
@pytest.mark.parametrize("solver", ["sgd-nesterov-constant", "adam", "lbfgs"])
@pytest.mark.parametrize("problem", ["multiclass", "binary", "regression"])
def test_sample_weight(problem, solver, variant):
    theirs, ours, (X, y) = _pair(problem, **SOLVERS[solver], **VARIANTS[variant])
    weights = np.random.RandomState(2).randint(1, 4, X.shape[0]).astype(float)
    quiet_fit(theirs, X, y, sample_weight=weights)
    quiet_fit(ours, X, y, sample_weight=weights)
    assert_same_model(ours, theirs, X)


@pytest.mark.parametrize("variant", ["plain", "early-stopping"])
@pytest.mark.parametrize(
    "solver", ["sgd-nesterov-invscaling", "sgd-nesterov-adaptive", "adam", "lbfgs"]
)
@pytest.mark.parametrize("problem", ["multiclass", "regression"])
def test_warm_start(problem, solver, variant):
    theirs, ours, (X, y) = _pair(problem, warm_start=True, max_iter=5, **SOLVERS[solver],
                                 **VARIANTS[variant])
    for max_iter in (5, 7):
        for estimator in (theirs, ours):
            quiet_fit(estimator.set_params(max_iter=max_iter), X, y)
        assert_same_model(ours, theirs, X)


@pytest.mark.parametrize("seed", [0, None])
@pytest.mark.parametrize("solver", ["sgd-nesterov-invscaling", "adam"])
@pytest.mark.parametrize("problem", ["multiclass", "multilabel", "regression"])
def test_partial_fit(problem, solver, seed):
    """scikit-learn re-seeds an integer random_state at every call, and so does skdeep."""
    theirs, ours, (X, y) = _pair(problem, **SOLVERS[solver], random_state=seed)
    if seed is None:
        # Without a seed both draw from NumPy's global RandomState: give each the same state.
        np.random.seed(3)
    # For a label indicator matrix, scikit-learn's classes are the column indices.
    classes = np.arange(y.shape[1]) if y.ndim == 2 else np.unique(y)
    extra = {"classes": classes} if problem != "regression" else {}
    for estimator in (theirs, ours):
        if seed is None:
            np.random.seed(3)
        for start in range(0, X.shape[0], 60):
            estimator.partial_fit(X[start : start + 60], y[start : start + 60], **extra)
    assert_same_model(ours, theirs, X)


@pytest.mark.parametrize("solver", ["sgd-nesterov-constant", "adam"])
def test_multioutput_squared_error_departs_only_in_the_reported_loss(solver):
    """A deliberate departure: the multi-output squared error is summed over outputs.

    scikit-learn reports the mean over outputs while it steps along the gradient of the sum
    (scikit-learn issue #8349); skdeep reports the value its gradient belongs to. With
    ``alpha=0`` and ``tol=0`` (whose comparisons do not depend on the loss's scale) the two
    libraries take the same steps and skdeep's loss is n_outputs times scikit-learn's.
    """
    params = {**SOLVERS[solver], "alpha": 0.0, "tol": 0.0, "hidden_layer_sizes": (12,),
              "max_iter": 12, "random_state": 0}
    X, Y = _regression(3)
    theirs = quiet_fit(MLPRegressor(**params), X, Y)
    ours = quiet_fit(DeepMLPRegressor(**params), X, Y)
    assert ours.n_iter_ == theirs.n_iter_
    assert_allclose(ours.loss_curve_, 3 * np.asarray(theirs.loss_curve_), rtol=1e-9)
    for mine, reference in zip(ours.coefs_, theirs.coefs_):
        assert_allclose(mine, reference, rtol=1e-7, atol=1e-10)
    assert_allclose(ours.predict(X), theirs.predict(X), rtol=1e-7, atol=1e-10)


@pytest.mark.parametrize("feature", [{"dropout": 0.3}, {"input_dropout": 0.2},
                                     {"batch_norm": True}])
def test_skdeep_features_leave_scikit_learns_draws_alone(feature):
    """dropout and friends draw from a stream of their own: initial weights stay sklearn's."""
    X, y = _digits(4)
    # One epoch of SGD at a negligible rate leaves the weights at their initial draw.
    params = {"hidden_layer_sizes": (12,), "solver": "sgd", "learning_rate_init": 1e-12,
              "max_iter": 1, "random_state": 5}
    theirs = quiet_fit(MLPClassifier(**params), X, y)
    ours = quiet_fit(DeepMLPClassifier(**params, **feature), X, y)
    for mine, reference in zip(ours.coefs_, theirs.coefs_):
        assert_allclose(mine, reference, rtol=1e-9)


def test_skdeep_randomness_is_reproducible_from_the_seed():
    X, y = _digits(4)
    params = {"hidden_layer_sizes": (12,), "dropout": 0.3, "input_dropout": 0.1, "max_iter": 5}
    fits = [quiet_fit(DeepMLPClassifier(**params, random_state=seed), X, y)
            for seed in (3, 3, 4)]
    assert_array_equal(fits[0]._network.params, fits[1]._network.params)
    assert not np.allclose(fits[0]._network.params, fits[2]._network.params)

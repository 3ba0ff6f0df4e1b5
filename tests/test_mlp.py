"""DeepMLPClassifier / DeepMLPRegressor: scikit-learn conventions, parity with MLP*, features."""

import pickle
import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.datasets import load_digits, make_multilabel_classification, make_regression
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier, MLPRegressor
from sklearn.preprocessing import StandardScaler

from skdeep import DeepMLPClassifier, DeepMLPRegressor
from skdeep.datasets import load_ccpp, load_mnist_sample

PAIRS = [(MLPClassifier, DeepMLPClassifier), (MLPRegressor, DeepMLPRegressor)]


def quiet_fit(estimator, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return estimator.fit(*args, **kwargs)


# ---------------------------------------------------------------- drop-in parity with scikit-learn
@pytest.mark.parametrize("sklearn_class, skdeep_class", PAIRS)
def test_every_sklearn_parameter_with_same_default(sklearn_class, skdeep_class):
    ours = skdeep_class().get_params()
    for name, value in sklearn_class().get_params().items():
        assert name in ours
        assert ours[name] == value, name


@pytest.mark.parametrize("sklearn_class, skdeep_class", PAIRS)
@pytest.mark.parametrize(
    "params",
    [{"solver": "adam"}, {"solver": "sgd", "early_stopping": True}, {"solver": "lbfgs"}],
)
def test_same_fitted_attributes(sklearn_class, skdeep_class, params, digits):
    X, _, y, _ = digits
    X, y = X[:300], y[:300]
    theirs = quiet_fit(sklearn_class(max_iter=5, random_state=0, **params), X, y)
    ours = quiet_fit(skdeep_class(max_iter=5, random_state=0, **params), X, y)
    fitted = [name for name in vars(theirs) if name.endswith("_") and not name.startswith("_")]
    for name in fitted:
        theirs_value, ours_value = getattr(theirs, name), getattr(ours, name)
        assert type(ours_value) is type(theirs_value) or (
            np.isscalar(theirs_value) and np.isscalar(ours_value)
        ), name
        if name in ("coefs_", "intercepts_"):
            assert [a.shape for a in ours_value] == [a.shape for a in theirs_value]
        elif isinstance(theirs_value, (list, np.ndarray)) and name != "loss_curve_":
            assert np.shape(ours_value) == np.shape(theirs_value), name


# ---------------------------------------------------------------- the lectures' debugging recipe
LEARNING_RATES = {
    "sgd": 0.1, "adam": 0.01, "amsgrad": 0.01, "adamax": 0.02, "nadam": 0.01,
    "adagrad": 0.1, "rmsprop": 0.01, "adadelta": 1.0, "lbfgs": 0.001,
}


@pytest.mark.parametrize("solver", sorted(LEARNING_RATES))
@pytest.mark.parametrize(
    "activation", ["identity", "logistic", "tanh", "relu", "leaky_relu", "elu", "softplus"]
)
@pytest.mark.parametrize("batch_norm", [False, True])
@pytest.mark.parametrize(
    "weight_init",
    ["auto", "glorot_uniform", "glorot_normal", "he_uniform", "he_normal", "lecun_uniform",
     "lecun_normal"],
)
def test_overfits_fifty_examples(solver, activation, batch_norm, weight_init, digits):
    X, _, y, _ = digits
    # Adadelta has no learning rate: its first steps are ~sqrt(epsilon), so it needs more epochs.
    epochs = 300 if solver == "adadelta" else 150
    clf = DeepMLPClassifier(
        hidden_layer_sizes=(32,), activation=activation, solver=solver, batch_norm=batch_norm,
        weight_init=weight_init, learning_rate_init=LEARNING_RATES[solver], batch_size=25,
        max_iter=epochs, alpha=0.0, n_iter_no_change=epochs, random_state=0,
    )
    quiet_fit(clf, X[:50], y[:50])
    assert clf.score(X[:50], y[:50]) == 1.0


# ---------------------------------------------------------------- convergence on real data
@pytest.mark.parametrize(
    "params",
    [{}, {"batch_norm": True}, {"dropout": 0.2}, {"solver": "sgd", "learning_rate_init": 0.1},
     {"solver": "lbfgs"}, {"solver": "rmsprop", "learning_rate": "cosine"},
     {"solver": "nadam", "learning_rate": "newbob", "early_stopping": True}],
)
def test_learns_digits(params, digits):
    X_train, X_test, y_train, y_test = digits
    clf = quiet_fit(
        DeepMLPClassifier(hidden_layer_sizes=(64, 64), max_iter=60, random_state=0, **params),
        X_train, y_train,
    )
    assert clf.score(X_test, y_test) > 0.95


def test_learns_real_mnist():
    X, y = load_mnist_sample(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, train_size=3000, test_size=2000, random_state=0, stratify=y
    )
    clf = DeepMLPClassifier(
        hidden_layer_sizes=(128, 128), dropout=0.2, max_iter=15, random_state=0
    )
    quiet_fit(clf, X_train, y_train)
    assert clf.coefs_[0].dtype == np.float32
    assert clf.score(X_test, y_test) > 0.9


def test_learns_real_regression():
    data = load_ccpp()
    reg = DeepMLPRegressor(hidden_layer_sizes=(32, 32), max_iter=40, random_state=0)
    quiet_fit(reg, data.data, data.target)
    assert reg.score(data.data_test, data.target_test) > 0.9


# ---------------------------------------------------------------- what MLPClassifier supports
def test_partial_fit_equals_fit_epoch_by_epoch(digits):
    X, _, y, _ = digits
    params = dict(hidden_layer_sizes=(20,), shuffle=False, random_state=0)
    fitted = quiet_fit(DeepMLPClassifier(max_iter=3, **params), X, y)
    incremental = DeepMLPClassifier(**params)
    for _ in range(3):
        incremental.partial_fit(X, y, classes=np.unique(y))
    np.testing.assert_array_equal(incremental.coefs_[0], fitted.coefs_[0])
    assert incremental.t_ == fitted.t_ == 3 * X.shape[0]


def test_partial_fit_needs_classes_and_stochastic_solver(digits):
    X, _, y, _ = digits
    with pytest.raises(ValueError, match="classes must be passed on the first call"):
        DeepMLPClassifier().partial_fit(X, y)
    with pytest.raises(AttributeError, match="has no attribute 'partial_fit'") as raised:
        DeepMLPClassifier(solver="lbfgs").partial_fit(X, y, classes=np.unique(y))
    assert "lbfgs is not stochastic" in str(raised.value.__cause__)
    with pytest.raises(ValueError, match="does not support early_stopping"):
        DeepMLPRegressor(early_stopping=True).partial_fit(X, y)


def test_warm_start_continues_and_checks_classes(digits):
    X, _, y, _ = digits
    clf = quiet_fit(DeepMLPClassifier(hidden_layer_sizes=(20,), max_iter=5, warm_start=True,
                                      random_state=0), X, y)
    first_curve = list(clf.loss_curve_)
    quiet_fit(clf, X, y)
    assert len(clf.loss_curve_) == 10
    assert clf.loss_curve_[5] < first_curve[0]
    with pytest.raises(ValueError, match="warm_start can only be used"):
        clf.fit(X[y < 5], y[y < 5])


def test_integer_sample_weight_equals_repeated_rows(digits):
    X, _, y, _ = digits
    X, y = X[:80], y[:80]
    weights = np.arange(80) % 3
    params = dict(hidden_layer_sizes=(8,), solver="lbfgs", max_iter=20, random_state=0)
    weighted = quiet_fit(DeepMLPClassifier(**params), X, y, sample_weight=weights)
    repeated = quiet_fit(DeepMLPClassifier(**params), np.repeat(X, weights, axis=0),
                         np.repeat(y, weights))
    np.testing.assert_allclose(weighted.coefs_[0], repeated.coefs_[0], rtol=1e-6, atol=1e-9)


def test_class_weight_matches_sample_weight(digits):
    X, _, y, _ = digits
    X, y = X[:100], (y[:100] > 6).astype(int)
    params = dict(hidden_layer_sizes=(8,), solver="lbfgs", max_iter=20, random_state=0)
    by_class = quiet_fit(DeepMLPClassifier(class_weight={0: 1.0, 1: 3.0}, **params), X, y)
    by_sample = quiet_fit(DeepMLPClassifier(**params), X, y, sample_weight=np.where(y, 3.0, 1.0))
    np.testing.assert_allclose(by_class.coefs_[0], by_sample.coefs_[0])


def test_balanced_class_weight_raises_minority_recall():
    X, y = load_digits(return_X_y=True)
    X, y = X / 16, (y == 3).astype(int)
    X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0, stratify=y)
    recall = {}
    for class_weight in (None, "balanced"):
        clf = quiet_fit(DeepMLPClassifier(hidden_layer_sizes=(4,), max_iter=8, alpha=1.0,
                                          class_weight=class_weight, random_state=0),
                        X_train, y_train)
        recall[class_weight] = clf.predict(X_test)[y_test == 1].mean()
    assert recall["balanced"] > recall[None]


def test_early_stopping_restores_best_weights(digits):
    X, _, y, _ = digits
    clf = quiet_fit(DeepMLPClassifier(hidden_layer_sizes=(32,), early_stopping=True,
                                      n_iter_no_change=3, max_iter=100, random_state=0), X, y)
    assert clf.best_loss_ is None
    assert clf.best_validation_score_ == max(clf.validation_scores_)
    assert clf.n_iter_ == len(clf.validation_scores_) < 100
    # Refitting for exactly the best epoch count reproduces the restored weights' predictions.
    best_epoch = int(np.argmax(clf.validation_scores_)) + 1
    again = quiet_fit(DeepMLPClassifier(hidden_layer_sizes=(32,), early_stopping=True,
                                        n_iter_no_change=100, max_iter=best_epoch,
                                        random_state=0), X, y)
    np.testing.assert_array_equal(again.predict(X), clf.predict(X))


def test_multilabel():
    X, Y = make_multilabel_classification(n_samples=200, n_classes=4, random_state=0)
    clf = quiet_fit(DeepMLPClassifier(hidden_layer_sizes=(32,), max_iter=300, random_state=0), X, Y)
    assert clf.out_activation_ == "logistic"
    assert clf.predict(X).shape == Y.shape
    proba = clf.predict_proba(X)
    assert proba.shape == Y.shape and np.all((proba >= 0) & (proba <= 1))
    assert (clf.predict(X) == Y).mean() > 0.85


def test_multioutput_regression():
    X, Y = make_regression(n_samples=200, n_features=6, n_targets=3, random_state=0)
    Y = StandardScaler().fit_transform(Y)
    reg = quiet_fit(DeepMLPRegressor(hidden_layer_sizes=(32,), solver="lbfgs", max_iter=300,
                                     random_state=0), X, Y)
    assert reg.predict(X).shape == (200, 3)
    assert reg.score(X, Y) > 0.95


def test_poisson_regression_predicts_positive_means():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(400, 3))
    y = rng.poisson(np.exp(0.5 * X[:, 0]))
    reg = quiet_fit(DeepMLPRegressor(loss="poisson", hidden_layer_sizes=(8,), max_iter=100,
                                     learning_rate_init=0.01, random_state=0), X, y)
    assert reg.out_activation_ == "exp"
    prediction = reg.predict(X)
    assert np.all(prediction > 0)
    assert np.corrcoef(prediction, np.exp(0.5 * X[:, 0]))[0, 1] > 0.9
    with pytest.raises(ValueError, match="negative"):
        DeepMLPRegressor(loss="poisson").fit(X, -y)


def test_sparse_input_matches_dense(digits):
    X, _, y, _ = digits
    params = dict(hidden_layer_sizes=(16,), max_iter=3, input_dropout=0.1, random_state=0)
    dense = quiet_fit(DeepMLPClassifier(**params), X, y)
    sparse = quiet_fit(DeepMLPClassifier(**params), sp.csr_matrix(X), y)
    np.testing.assert_allclose(sparse.predict_proba(sp.csr_matrix(X)), dense.predict_proba(X),
                               rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_input_precision_is_kept_end_to_end(dtype, digits):
    X, _, y, _ = digits
    clf = quiet_fit(DeepMLPClassifier(hidden_layer_sizes=(16,), batch_norm=True, max_iter=3,
                                      random_state=0), X.astype(dtype), y)
    assert clf._network.params.dtype == dtype
    assert all(c.dtype == dtype for c in clf.coefs_)
    assert clf.predict_proba(X.astype(dtype)).dtype == dtype


def test_probabilities_are_consistent(digits):
    X, _, y, _ = digits
    for target in (y, y > 4):
        clf = quiet_fit(DeepMLPClassifier(hidden_layer_sizes=(16,), max_iter=5, random_state=0),
                        X, target)
        proba = clf.predict_proba(X)
        np.testing.assert_allclose(proba.sum(axis=1), 1.0)
        np.testing.assert_allclose(clf.predict_log_proba(X), np.log(proba), rtol=1e-6, atol=1e-12)
        np.testing.assert_array_equal(clf.classes_[proba.argmax(axis=1)], clf.predict(X))


@pytest.mark.parametrize("solver", ["sgd", "adam"])
def test_verbose_prints_what_mlpclassifier_prints(capsys, solver, digits):
    X, _, y, _ = digits
    params = dict(hidden_layer_sizes=(8,), solver=solver, max_iter=3, verbose=True,
                  early_stopping=True, random_state=0)
    quiet_fit(MLPClassifier(**params), X, y)
    theirs = capsys.readouterr().out.splitlines()
    quiet_fit(DeepMLPClassifier(**params), X, y)
    ours = capsys.readouterr().out.splitlines()
    assert theirs[0].startswith("Iteration 1, loss = ") and len(ours) == len(theirs) == 6
    # The same lines; the numbers agree to the eighth decimal (rounding may differ).
    for mine, reference in zip(ours, theirs):
        assert mine.split()[:-1] == reference.split()[:-1]
        assert float(mine.split()[-1]) == pytest.approx(float(reference.split()[-1]), abs=2e-8)


def test_feature_names_are_recorded(digits):
    pd = pytest.importorskip("pandas")
    X, _, y, _ = digits
    frame = pd.DataFrame(X, columns=[f"pixel{i}" for i in range(X.shape[1])])
    clf = quiet_fit(DeepMLPClassifier(hidden_layer_sizes=(8,), max_iter=2), frame, y)
    np.testing.assert_array_equal(clf.feature_names_in_, frame.columns)


# ---------------------------------------------------------------- the deep-learning features
def test_population_batch_norm_statistics_are_exact(digits):
    X, _, y, _ = digits
    clf = quiet_fit(DeepMLPClassifier(hidden_layer_sizes=(16,), batch_norm=True,
                                      batch_norm_statistics="population", max_iter=5,
                                      random_state=0), X, y)
    pre_activation = X @ clf.coefs_[0] + clf.intercepts_[0]
    layer = clf._network.batch_norm_layers[0]
    np.testing.assert_allclose(layer.running_mean, pre_activation.mean(axis=0), atol=1e-10)
    np.testing.assert_allclose(layer.running_var, pre_activation.var(axis=0), rtol=1e-8)


def test_max_norm_caps_incoming_weight_norms(digits):
    X, _, y, _ = digits
    clf = quiet_fit(DeepMLPClassifier(hidden_layer_sizes=(32,), max_norm=0.5,
                                      learning_rate_init=0.05, max_iter=5, random_state=0), X, y)
    for weights in clf.coefs_:
        assert np.linalg.norm(weights, axis=0).max() <= 0.5 + 1e-12


def test_annealed_dropout_decays_to_zero(digits):
    X, _, y, _ = digits
    clf = quiet_fit(DeepMLPClassifier(hidden_layer_sizes=(16, 16), dropout=(0.5, 0.2),
                                      input_dropout=0.1, anneal_dropout=True, max_iter=4,
                                      random_state=0), X, y)
    rates = [layer.rate for layer in clf._network.dropout_layers]
    np.testing.assert_allclose(rates, np.array([0.1, 0.5, 0.2]) * 0.25)


def test_l1_penalty_makes_weights_sparser(digits):
    X, _, y, _ = digits
    small = {}
    for l1 in (0.0, 1.0):
        clf = quiet_fit(DeepMLPClassifier(hidden_layer_sizes=(16,), l1=l1, alpha=0.0,
                                          max_iter=60, random_state=0), X, y)
        small[l1] = (np.abs(clf.coefs_[0]) < 1e-2).mean()
        assert clf.score(X, y) > 0.75
    assert small[1.0] > 5 * small[0.0]


def test_same_seed_gives_bit_identical_models(digits):
    X, _, y, _ = digits
    params = dict(hidden_layer_sizes=(16, 16), dropout=0.3, input_dropout=0.1, batch_norm=True,
                  early_stopping=True, max_iter=5, random_state=7)
    first = quiet_fit(DeepMLPClassifier(**params), X, y)
    second = quiet_fit(DeepMLPClassifier(**params), X, y)
    np.testing.assert_array_equal(first._network.params, second._network.params)
    other = quiet_fit(DeepMLPClassifier(**{**params, "random_state": 8}), X, y)
    assert not np.array_equal(first._network.params, other._network.params)


def test_fit_never_modifies_the_callers_arrays(digits):
    X, _, y, _ = digits
    X_before, y_before = X.copy(), y.copy()
    weights = np.ones(len(y))
    quiet_fit(DeepMLPClassifier(hidden_layer_sizes=(8,), input_dropout=0.3, dropout=0.3,
                                max_iter=2), X, y, sample_weight=weights)
    np.testing.assert_array_equal(X, X_before)
    np.testing.assert_array_equal(y, y_before)
    np.testing.assert_array_equal(weights, 1.0)


def test_pickle_round_trip_then_partial_fit(digits):
    X, _, y, _ = digits
    clf = DeepMLPClassifier(hidden_layer_sizes=(16,), random_state=0)
    clf.partial_fit(X, y, classes=np.unique(y))
    loaded = pickle.loads(pickle.dumps(clf))
    np.testing.assert_array_equal(loaded.predict_proba(X), clf.predict_proba(X))
    assert np.shares_memory(loaded.coefs_[0], loaded._network.params)
    clf.partial_fit(X, y)
    loaded.partial_fit(X, y)
    np.testing.assert_array_equal(loaded.coefs_[0], clf.coefs_[0])


def test_divergence_is_reported_and_weights_stay_finite(digits):
    X, _, y, _ = digits
    clf = DeepMLPRegressor(hidden_layer_sizes=(16,), solver="sgd", learning_rate_init=1e3,
                           max_iter=20, random_state=0)
    with pytest.raises(ValueError, match="diverged in epoch .*learning_rate_init"):
        clf.fit(X * 100, y * 1e3)
    assert np.isfinite(clf._network.params).all()
    assert np.isfinite(clf.predict(X)).all()


# ---------------------------------------------------------------- bad hyperparameters
@pytest.mark.parametrize(
    "params, message",
    [
        ({"dropout": (0.1, 0.2)}, "'dropout' parameter has 2 values but the network has 3"),
        ({"dropout": 1.5}, "'dropout' parameter of DeepMLPClassifier must be a float in the"),
        ({"solver": "adamm"}, "Did you mean 'adam'"),
        ({"activation": "relu6"}, "Did you mean 'relu'"),
        ({"weight_init": "he"}, "'weight_init' parameter"),
        ({"solver": "lbfgs", "dropout": 0.5}, "dropout and input_dropout need a stochastic"),
        ({"hidden_layer_sizes": (10, 0, 10)}, "hidden_layer_sizes must be > 0"),
    ],
)
def test_bad_hyperparameters_fail_with_clear_message(params, message, digits):
    X, _, y, _ = digits
    base = {"hidden_layer_sizes": (8, 8, 8)}
    clf = DeepMLPClassifier(**{**base, **params})
    with pytest.raises(ValueError, match=message):
        clf.fit(X, y)
    assert not hasattr(clf, "n_iter_")

"""Issue 5: progress and history, validation sets, callbacks, Ctrl-C, divergence, bad input,
reproducibility and persistence."""

import _thread
import contextlib
import pickle
import signal
import threading

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.model_selection import cross_val_score
from sklearn.neural_network import MLPClassifier

from skdeep import (
    DeepMLPClassifier,
    DeepMLPRegressor,
    DenoisingAutoencoderTransformer,
    StackedAutoencoder,
)

ESTIMATORS = [
    DeepMLPClassifier(hidden_layer_sizes=(16,)),
    DeepMLPRegressor(hidden_layer_sizes=(16,)),
    DenoisingAutoencoderTransformer(n_components=16),
    StackedAutoencoder(hidden_layer_sizes=(16, 8), fine_tune=True),
]


def fit(estimator, X, y, **kwargs):
    """Fit ``estimator`` (with ``y`` unless it is None), returning it."""
    return estimator.fit(X, y, **kwargs) if y is not None else estimator.fit(X, **kwargs)


def target(estimator, y):
    return None if "Autoencoder" in type(estimator).__name__ else y


# ---------------------------------------------------------------- progress and history
@pytest.mark.parametrize("estimator", ESTIMATORS, ids=lambda e: type(e).__name__)
def test_history_records_every_epoch_with_validation_loss(estimator, digits):
    X, _, y, _ = digits
    est = fit(clone(estimator).set_params(max_iter=4, early_stopping=True, n_iter_no_change=50,
                                          random_state=0), X, target(estimator, y))
    assert [record["epoch"] for record in est.history_] == [1, 2, 3, 4]
    assert [record["loss"] for record in est.history_] == est.loss_curve_
    assert [record["validation_score"] for record in est.history_] == est.validation_scores_
    for record in est.history_:
        assert np.isfinite(record["validation_loss"]) and record["validation_loss"] > 0
        assert record["learning_rate"] == pytest.approx(est.learning_rate_init)
        assert record["seconds"] >= 0


def test_validation_loss_is_the_log_loss_of_the_held_out_split(digits):
    X_train, X_val, y_train, y_val = digits
    clf = DeepMLPClassifier(hidden_layer_sizes=(16,), max_iter=3, random_state=0)
    clf.fit(X_train, y_train, X_val=X_val, y_val=y_val)
    last = clf.history_[-1]
    proba = clf.predict_proba(X_val)
    log_loss = -np.mean(np.log(proba[np.arange(len(y_val)), y_val]))
    assert last["validation_loss"] == pytest.approx(log_loss, rel=1e-9)
    assert last["validation_score"] == pytest.approx(clf.score(X_val, y_val))
    # Monitoring alone does not turn on early stopping: scikit-learn's attributes stay as they are.
    assert clf.validation_scores_ is None and clf.n_iter_ == 3


def test_user_validation_set_drives_early_stopping(digits):
    X_train, X_val, y_train, y_val = digits
    clf = DeepMLPClassifier(hidden_layer_sizes=(16,), early_stopping=True, n_iter_no_change=3,
                            max_iter=200, random_state=0)
    clf.fit(X_train, y_train, X_val=X_val, y_val=y_val)
    assert clf.n_iter_ < 200
    assert clf.best_validation_score_ == max(clf.validation_scores_)
    # The best weights were restored, and they were scored on the user's set.
    assert clf.score(X_val, y_val) == pytest.approx(clf.best_validation_score_)


def test_validation_set_errors(digits):
    X_train, X_val, y_train, y_val = digits
    clf = DeepMLPClassifier(hidden_layer_sizes=(8,), max_iter=1)
    with pytest.raises(ValueError, match="X_val was given without y_val"):
        clf.fit(X_train, y_train, X_val=X_val)
    with pytest.raises(ValueError, match="y_val has classes not in"):
        clf.fit(X_train[y_train < 5], y_train[y_train < 5], X_val=X_val, y_val=y_val)
    with pytest.raises(ValueError, match="X has 10 features"):
        clf.fit(X_train, y_train, X_val=X_val[:, :10], y_val=y_val)


def test_verbose_two_adds_skdeeps_figures_to_scikit_learns_lines(capsys, digits):
    X_train, X_val, y_train, y_val = digits
    clf = DeepMLPClassifier(hidden_layer_sizes=(8,), max_iter=3, verbose=2).fit(
        X_train, y_train, X_val=X_val, y_val=y_val)
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 6
    for epoch, record in enumerate(clf.history_, start=1):
        progress, score = lines[2 * epoch - 2], lines[2 * epoch - 1]
        assert progress.startswith(f"Iteration {epoch}, loss = {record['loss']:.8f}, ")
        assert f"validation loss = {record['validation_loss']:.8f}" in progress
        assert "learning rate = 0.001" in progress
        assert score == f"Validation score: {record['validation_score']:f}"


def test_user_hook_sees_records_and_can_stop(digits):
    X, _, y, _ = digits
    seen = []

    def stop_after_three(estimator, record):
        seen.append((estimator, record["epoch"]))
        return record["epoch"] == 3

    clf = DeepMLPClassifier(hidden_layer_sizes=(8,), max_iter=50, on_epoch_end=stop_after_three)
    clf.fit(X, y)
    assert clf.n_iter_ == 3
    assert [epoch for _, epoch in seen] == [1, 2, 3]
    assert all(estimator is clf for estimator, _ in seen)


# ---------------------------------------------------------------- faults
@contextlib.contextmanager
def interrupt_after(seconds):
    """Press Ctrl-C after ``seconds``, as a terminal would."""
    # A process a shell starts in the background ignores SIGINT, and interrupt_main would then
    # do nothing: Python's own handler stands in for the terminal's for the test's duration.
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    timer = threading.Timer(seconds, _thread.interrupt_main)
    timer.start()
    try:
        yield
    finally:
        # Never let a late interrupt reach the next test.
        timer.cancel()
        signal.signal(signal.SIGINT, previous)


# n_iter_no_change=np.inf: the fits never stop by themselves, however fast or slow the machine,
# so the interrupt always lands inside them.
@pytest.mark.parametrize(
    "estimator",
    [
        DeepMLPClassifier(hidden_layer_sizes=(256, 256), max_iter=100000,
                          n_iter_no_change=np.inf),
        DeepMLPClassifier(hidden_layer_sizes=(256, 256), max_iter=100000, early_stopping=True,
                          n_iter_no_change=np.inf),
        DeepMLPClassifier(hidden_layer_sizes=(256, 256), pretraining="denoising",
                          pretraining_max_iter=100000, n_iter_no_change=np.inf),
        StackedAutoencoder(hidden_layer_sizes=(256, 64), max_iter=100000,
                           n_iter_no_change=np.inf),
    ],
    ids=["plain", "early-stopping", "during-pretraining", "stacked"],
)
def test_ctrl_c_stops_at_once_and_leaves_a_usable_model(estimator, digits):
    X, X_test, y, _ = digits
    with interrupt_after(1.0):
        with pytest.warns(UserWarning, match="Training interrupted by user") as caught:
            fit(estimator, X, target(estimator, y))
    assert len([w for w in caught if "interrupted" in str(w.message)]) == 1
    output = estimator.predict(X_test) if hasattr(estimator, "predict") else estimator.transform(
        X_test)
    assert np.isfinite(np.asarray(output, dtype=float)).all()


@pytest.mark.parametrize("solver", ["sgd", "lbfgs"])
def test_divergence_names_the_problem_and_restores_finite_weights(solver, digits):
    X, _, y, _ = digits
    reg = DeepMLPRegressor(hidden_layer_sizes=(16,), solver=solver, learning_rate_init=1e4,
                           max_iter=20, random_state=0)
    with pytest.raises(ValueError, match="diverged.*learning_rate_init.*batch_norm"):
        reg.fit(X * 1e200 if solver == "lbfgs" else X * 100, y * 1e3)
    assert np.isfinite(reg._network.params).all()


@pytest.mark.parametrize("estimator", ESTIMATORS, ids=lambda e: type(e).__name__)
@pytest.mark.parametrize(
    "X, message",
    [
        (np.full((10, 4), np.nan), "Input X contains NaN"),
        (np.full((10, 4), np.inf), "Input X contains infinity"),
        (np.empty((0, 4)), "0 sample\\(s\\)"),
        (np.array([["a", "b"], ["c", "d"]], dtype=object), "could not convert|Unable to convert"),
    ],
    ids=["nan", "inf", "empty", "strings"],
)
def test_bad_input_gets_sklearn_errors(estimator, X, message):
    y = np.arange(len(X)) % 2
    with pytest.raises(ValueError, match=message):
        fit(clone(estimator), X, target(estimator, y))


def test_single_class_fits_as_in_mlpclassifier_and_mixed_labels_fail(digits):
    X, _, _, _ = digits
    clf = DeepMLPClassifier(max_iter=5, random_state=0).fit(X[:20], np.full(20, 3))
    reference = MLPClassifier(max_iter=5, random_state=0).fit(X[:20], np.full(20, 3))
    np.testing.assert_array_equal(clf.classes_, [3])
    np.testing.assert_array_equal(clf.predict(X[20:30]), np.full(10, 3))
    np.testing.assert_allclose(clf.predict_proba(X[20:30]), reference.predict_proba(X[20:30]),
                               rtol=1e-7)
    with pytest.raises(ValueError, match="Unknown label type"):
        DeepMLPClassifier().fit(X[:4], np.array([1, "a", 2, "b"], dtype=object))


def test_same_scores_under_joblib_parallelism(digits):
    X, _, y, _ = digits
    clf = DeepMLPClassifier(hidden_layer_sizes=(16,), dropout=0.2, max_iter=5, random_state=3)
    sequential = cross_val_score(clf, X, y, cv=3, n_jobs=1)
    parallel = cross_val_score(clf, X, y, cv=3, n_jobs=2)
    # Workers may run BLAS on another number of threads, which may change the last bits of a
    # product; a probability that close to a tie may flip one prediction (1/400 of a score).
    # A worker that drew other masks or shuffles would be off by far more.
    np.testing.assert_allclose(sequential, parallel, atol=0.006)


# ---------------------------------------------------------------- persistence
@pytest.mark.parametrize("estimator", ESTIMATORS, ids=lambda e: type(e).__name__)
def test_pickle_round_trip_then_partial_fit(estimator, digits):
    X, _, y, _ = digits
    y = target(estimator, y)
    est = clone(estimator).set_params(max_iter=2, random_state=0)
    fit(est, X, y)
    loaded = pickle.loads(pickle.dumps(est))
    method = "predict" if hasattr(est, "predict") else "transform"
    np.testing.assert_array_equal(getattr(loaded, method)(X), getattr(est, method)(X))
    args = (X, y) if y is not None else (X,)
    est.partial_fit(*args)
    loaded.partial_fit(*args)
    np.testing.assert_array_equal(getattr(loaded, method)(X), getattr(est, method)(X))


def test_pickles_carry_parameters_and_optimiser_state_only(digits):
    X, _, y, _ = digits
    clf = DeepMLPClassifier(hidden_layer_sizes=(256, 256), max_iter=2).fit(X, y)
    # Parameters plus Adam's two moment vectors; the gradient buffer is left out.
    assert len(pickle.dumps(clf)) < 3.3 * clf._network.params.nbytes


@pytest.mark.parametrize("estimator", ESTIMATORS, ids=lambda e: type(e).__name__)
def test_skops_lists_only_skdeep_types(estimator, digits):
    sio = pytest.importorskip("skops.io")
    X, _, y, _ = digits
    est = fit(clone(estimator).set_params(max_iter=2, batch_norm=True, early_stopping=True), X,
              target(estimator, y))
    data = sio.dumps(est)
    untrusted = sio.get_untrusted_types(data=data)
    assert untrusted and all(name.startswith("skdeep.") for name in untrusted)
    loaded = sio.loads(data, trusted=untrusted)
    method = "predict" if hasattr(est, "predict") else "transform"
    np.testing.assert_array_equal(getattr(loaded, method)(X), getattr(est, method)(X))

"""scikit-learn's callback API (``sklearn.callback``): what each hook receives from a skdeep fit.

A fit is one task; its subtasks are the pretraining stages (each the nested fit of the network
trained there), then the epochs or L-BFGS iterations. Every hook gets the training data, the
user's sample weights as metadata and, on request, a copy of the estimator as it stood then.
"""

import warnings

import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import accuracy_score, r2_score
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import MinMaxScaler, StandardScaler

from skdeep import (
    DeepMLPClassifier,
    DeepMLPRegressor,
    DenoisingAutoencoderTransformer,
    StackedAutoencoder,
)
from skdeep._reporting import HAS_SKLEARN_CALLBACKS

pytestmark = pytest.mark.skipif(
    not HAS_SKLEARN_CALLBACKS, reason="this scikit-learn has no callback API"
)
if HAS_SKLEARN_CALLBACKS:
    from sklearn.callback import ScoringMonitor


class Recorder:
    """A callback that keeps what every hook receives (it may ask to stop at one task)."""

    def __init__(self, stop_at=None):
        self.stop_at = stop_at
        self.begins, self.ends, self.stages = [], [], []

    def setup(self, estimator, context):
        pass

    def on_fit_task_begin(self, estimator, context, *, X=None, y=None, metadata=None):
        self.begins.append((context.estimator_name, context.task_name, context.task_id))
        if context.source_task_name is not None:
            # A nested fit's task, merged with the task of the fit that runs it.
            self.stages.append((context.source_task_name, context.estimator_name))

    def on_fit_task_end(
        self, estimator, context, *, X=None, y=None, metadata=None, fitted_estimator=None
    ):
        self.ends.append({
            "task": (context.estimator_name, context.task_name, context.task_id),
            "X": X, "y": y, "metadata": metadata, "fitted": fitted_estimator,
        })
        return context.task_name in ("epoch", "iteration") and context.task_id == self.stop_at

    def teardown(self, estimator, context):
        pass

    def epochs(self, task_name="epoch"):
        """The ends of the epochs (iterations) that ran: the hooks got their data."""
        return [end for end in self.ends if end["task"][1] == task_name and end["X"] is not None]


class PropagatedRecorder(Recorder):
    """The same, propagated to nested fits as scikit-learn's progress bar is."""

    max_propagation_depth = None


def quiet_fit(estimator, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return estimator.fit(*args, **kwargs)


@pytest.mark.parametrize("solver", ["adam", "lbfgs"])
@pytest.mark.parametrize("Estimator, metric", [
    (DeepMLPClassifier, "accuracy"), (DeepMLPRegressor, "r2"),
])
def test_scoring_monitor_scores_each_epoch_as_a_fit_that_stopped_there(
    Estimator, metric, solver, digits
):
    X, _, y, _ = digits
    params = dict(hidden_layer_sizes=(16,), solver=solver, random_state=0)
    monitor = ScoringMonitor(scoring=metric)
    model = quiet_fit(Estimator(max_iter=4, **params).set_callbacks(monitor), X, y)
    rows = monitor.get_logs().data
    task = "iteration" if solver == "lbfgs" else "epoch"
    steps = [row for row in rows if row["task_name"] == task]
    (root,) = [row for row in rows if row["task_name"] == "fit"]
    assert len(steps) == model.n_iter_ == 4
    score = accuracy_score if metric == "accuracy" else r2_score
    for epoch, row in enumerate(steps, start=1):
        # The same seed stopped after `epoch` epochs is the model the monitor scored.
        stopped = quiet_fit(Estimator(max_iter=epoch, **params), X, y)
        assert row[metric] == pytest.approx(score(y, stopped.predict(X)), abs=1e-12)
    assert root[metric] == pytest.approx(score(y, model.predict(X)), abs=1e-12)
    assert steps[0][metric] != steps[-1][metric]


def test_hooks_get_the_training_rows_and_the_users_sample_weights(digits):
    X, _, y, _ = digits
    weights = np.linspace(0.5, 1.5, X.shape[0])
    recorder = Recorder()
    clf = DeepMLPClassifier(
        hidden_layer_sizes=(8,), max_iter=3, early_stopping=True, class_weight="balanced",
        random_state=0,
    ).set_callbacks(recorder)
    quiet_fit(clf, X, y, sample_weight=weights)
    n_validation = int(np.ceil(0.1 * X.shape[0]))
    (root,) = [end for end in recorder.ends if end["task"][1] == "fit"]
    assert root["X"].shape == X.shape
    assert root["metadata"]["sample_weight"] == pytest.approx(weights)
    for end in recorder.epochs():
        # The early-stopping split is held out; class weights are the estimator's own business.
        assert end["X"].shape == (X.shape[0] - n_validation, X.shape[1])
        assert end["y"].shape == (X.shape[0] - n_validation,)
        assert set(end["y"]) <= set(y)
        assert end["metadata"]["sample_weight"].shape == end["y"].shape
        assert np.isin(end["metadata"]["sample_weight"], weights).all()
        rows = [np.flatnonzero((X == row).all(axis=1))[0] for row in end["X"][:5]]
        assert list(end["y"][:5]) == list(y[rows])
    recorder = Recorder()
    quiet_fit(DeepMLPClassifier(max_iter=2).set_callbacks(recorder), X, y)
    assert all(end["metadata"] is None for end in recorder.ends)


def test_fitted_estimator_is_a_frozen_copy_of_that_epoch(digits):
    X, _, y, _ = digits
    recorder = Recorder()
    clf = quiet_fit(
        DeepMLPClassifier(hidden_layer_sizes=(8,), max_iter=3, random_state=0)
        .set_callbacks(recorder), X, y,
    )
    fitted = [end["fitted"] for end in recorder.epochs()]
    assert [copy.n_iter_ for copy in fitted] == [1, 2, 3]
    assert all(copy is not clf and copy._network is not clf._network for copy in fitted)
    first, last = (copy.predict_proba(X) for copy in (fitted[0], fitted[-1]))
    np.testing.assert_allclose(last, clf.predict_proba(X), rtol=1e-6)
    assert np.abs(first - last).max() > 1e-3
    # The copy's coefficients are its own: changing it leaves the fitted estimator alone.
    fitted[0].coefs_[0][...] = 0.0
    np.testing.assert_allclose(clf.predict_proba(X), last, rtol=1e-6)


@pytest.mark.parametrize("solver", ["adam", "lbfgs"])
def test_a_callback_stops_the_fit(solver, digits):
    X, _, y, _ = digits
    recorder = Recorder(stop_at=1)
    clf = DeepMLPClassifier(hidden_layer_sizes=(8,), max_iter=20, solver=solver)
    clf.set_callbacks(recorder).fit(X, y)
    assert clf.n_iter_ == 2
    assert len(recorder.epochs("iteration" if solver == "lbfgs" else "epoch")) == 2
    # Every task that began also ended, the one opened for an epoch that never ran included.
    assert sorted(recorder.begins) == sorted(end["task"] for end in recorder.ends)


@pytest.mark.parametrize("Autoencoder", [DenoisingAutoencoderTransformer, StackedAutoencoder])
def test_autoencoder_hooks_get_the_data_and_a_copy_that_transforms(Autoencoder, digits):
    X = digits[0]
    params = {"n_components": 8} if Autoencoder is DenoisingAutoencoderTransformer else {
        "hidden_layer_sizes": (16, 8), "fine_tune": True,
    }
    recorder = Recorder()
    model = quiet_fit(Autoencoder(max_iter=3, random_state=0, **params).set_callbacks(recorder), X)
    epochs = recorder.epochs()
    assert len(epochs) == 3
    assert all(end["X"] is not None and end["X"].shape == X.shape for end in epochs)
    np.testing.assert_allclose(epochs[-1]["fitted"].transform(X), model.transform(X), rtol=1e-5)
    assert np.abs(epochs[0]["fitted"].transform(X) - model.transform(X)).max() > 1e-4


def test_pretraining_stages_are_labelled_subtasks_with_the_callbacks_propagated(digits):
    X, _, y, _ = digits
    recorder = PropagatedRecorder()
    clf = DeepMLPClassifier(
        hidden_layer_sizes=(16, 8), pretraining="denoising", pretraining_max_iter=2, max_iter=2,
        random_state=0,
    )
    quiet_fit(clf.set_callbacks(recorder), X, y)
    names = [(estimator, task) for estimator, task, _ in recorder.begins]
    assert recorder.stages == [
        ("pretraining (denoising autoencoders)", "StackedAutoencoder"),
        ("layer 1", "DenoisingAutoencoderTransformer"),
        ("layer 2", "DenoisingAutoencoderTransformer"),
    ]
    assert names.index(("StackedAutoencoder", "fit")) < names.index(("DeepMLPClassifier", "epoch"))
    layer_epochs = [name for name in names if name == ("DenoisingAutoencoderTransformer", "epoch")]
    assert len(layer_epochs) == 2 * 2
    assert names.count(("DeepMLPClassifier", "epoch")) == 2
    assert sorted(recorder.begins) == sorted(end["task"] for end in recorder.ends)


def test_supervised_pretraining_stages(digits):
    X, _, y, _ = digits
    recorder = PropagatedRecorder()
    clf = DeepMLPClassifier(
        hidden_layer_sizes=(16, 8), pretraining="supervised", pretraining_max_iter=2, max_iter=2,
    )
    quiet_fit(clf.set_callbacks(recorder), X, y)
    assert recorder.stages == [
        ("pretraining layer 1 (supervised)", "DeepMLPClassifier"),
        ("pretraining layer 2 (supervised)", "DeepMLPClassifier"),
    ]
    stage_epochs = [task for task in recorder.begins if task[1] == "epoch"]
    assert len(stage_epochs) == 3 * 2  # two stages, then the fit's own epochs


def test_scoring_monitor_nested_in_a_pipeline_and_a_search(digits):
    X, _, y, _ = digits
    monitor = ScoringMonitor(scoring="accuracy")
    clf = DeepMLPClassifier(hidden_layer_sizes=(8,), max_iter=3, random_state=0)
    pipeline = make_pipeline(StandardScaler(), clf.set_callbacks(monitor))
    quiet_fit(pipeline, X, y)
    rows = monitor.get_logs().data
    epochs = [row for row in rows if row["task_name"] == "epoch"]
    assert len(epochs) == 3
    # The step was scored on the scaled data it was fitted on.
    assert epochs[-1]["accuracy"] == pytest.approx(pipeline.score(X, y), abs=1e-12)

    monitor = ScoringMonitor(scoring="accuracy")
    search = GridSearchCV(
        DeepMLPClassifier(hidden_layer_sizes=(8,), max_iter=2).set_callbacks(monitor),
        {"alpha": [1e-4, 1e-2]}, cv=2,
    )
    quiet_fit(search, X, y)
    runs = monitor.get_logs(select="all")
    epochs = [row for run in runs for row in run.data if row["task_name"] == "epoch"]
    # Two candidates x two folds, then the refit: two epochs each.
    assert len(epochs) == 2 * (2 * 2 + 1)
    assert all(0 <= row["accuracy"] <= 1 for row in epochs)


def test_progress_bar_follows_fits_searches_pipelines_and_stages(digits):
    pytest.importorskip("rich")
    from sklearn.callback import ProgressBar

    X, _, y, _ = digits
    clf = DeepMLPClassifier(hidden_layer_sizes=(8,), max_iter=3)
    quiet_fit(clf.set_callbacks(ProgressBar()), X, y)
    assert clf.n_iter_ == 3
    pipeline = make_pipeline(MinMaxScaler(), DenoisingAutoencoderTransformer(n_components=8,
                                                                             max_iter=2))
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "The estimator MinMaxScaler does not support")
        quiet_fit(pipeline.set_callbacks(ProgressBar(max_propagation_depth=None)), X)
    search = GridSearchCV(DeepMLPClassifier(hidden_layer_sizes=(8,), max_iter=2),
                          {"alpha": [1e-4, 1e-2]}, cv=2)
    quiet_fit(search.set_callbacks(ProgressBar(max_propagation_depth=None)), X, y)
    assert search.best_estimator_.n_iter_ == 2
    pretrained = DeepMLPClassifier(hidden_layer_sizes=(8, 8), pretraining="denoising",
                                   pretraining_max_iter=2, max_iter=2)
    quiet_fit(pretrained.set_callbacks(ProgressBar(max_propagation_depth=None)), X, y)
    stack = StackedAutoencoder(hidden_layer_sizes=(8, 4), max_iter=2)
    quiet_fit(stack.set_callbacks(ProgressBar(max_propagation_depth=None)), X)
    assert len(stack.autoencoders_) == 2


@pytest.mark.parametrize("Estimator", [DeepMLPClassifier, StackedAutoencoder])
def test_each_partial_fit_call_is_a_task_of_one_epoch(Estimator, digits):
    X, _, y, _ = digits
    recorder = Recorder()
    if Estimator is DeepMLPClassifier:
        model = Estimator(hidden_layer_sizes=(8,)).set_callbacks(recorder)
        calls = [lambda: model.partial_fit(X, y, classes=np.unique(y))] * 2
    else:
        model = Estimator(hidden_layer_sizes=(8, 4)).set_callbacks(recorder)
        calls = [lambda: model.partial_fit(X)] * 2
    for call in calls:
        call()
    roots = [end["task"] for end in recorder.ends if end["task"][1] == "partial_fit"]
    assert len(roots) == 2
    epochs = recorder.epochs()
    if Estimator is DeepMLPClassifier:
        assert len(epochs) == 2
        assert epochs[-1]["fitted"].predict(X).shape == y.shape
    else:
        # A stack's first call trains its layers greedily (one stage each); the second is an
        # epoch of the whole stack.
        layers = [end for end in recorder.ends if end["task"][1].startswith("layer ")]
        assert len(layers) == 2 and len(epochs) == 1


def test_scoring_monitor_scores_an_autoencoder_given_a_y(digits):
    X, _, y, _ = digits
    # scikit-learn's monitor scores only where a y is passed; an autoencoder ignores y, so any
    # y (a pipeline passes its own) gets its reconstruction score logged.
    monitor = ScoringMonitor(scoring=lambda model, X, y: {"reconstruction": model.score(X)})
    model = quiet_fit(
        DenoisingAutoencoderTransformer(n_components=8, max_iter=3, random_state=0)
        .set_callbacks(monitor), X, y,
    )
    rows = monitor.get_logs().data
    scores = [row["reconstruction"] for row in rows if row["task_name"] == "epoch"]
    assert len(scores) == 3 and scores[-1] == pytest.approx(model.score(X), rel=1e-6)
    assert scores[0] < scores[-1]

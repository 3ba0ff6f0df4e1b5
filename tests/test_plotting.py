"""Tests of skdeep.plotting: render with the Agg backend and check what was drawn."""

import subprocess
import sys

import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.base import BaseEstimator
from sklearn.exceptions import ConvergenceWarning, NotFittedError
from sklearn.frozen import FrozenEstimator
from sklearn.linear_model import LogisticRegression
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer, MinMaxScaler, StandardScaler

from skdeep import (
    DeepMLPClassifier,
    DeepMLPRegressor,
    DenoisingAutoencoderTransformer,
    StackedAutoencoder,
)
from skdeep.plotting import FilterGridDisplay, ReconstructionDisplay, TrainingHistoryDisplay

IMAGE_SHAPE = (8, 8)


@pytest.fixture
def pyplot():
    """matplotlib.pyplot on the Agg backend; every figure is closed after the test."""
    matplotlib = pytest.importorskip(
        "matplotlib", reason="the displays need matplotlib (pip install 'skdeep[plot]')"
    )
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    yield plt
    plt.close("all")


@pytest.fixture(scope="module")
def small_digits(digits):
    """300 training digits (8x8 images in [0, 1]) from the shared fixture: fits take no time."""
    X_train, _, y_train, _ = digits
    return X_train[:300], y_train[:300]


@pytest.fixture(scope="module")
def classifier(small_digits):
    clf = DeepMLPClassifier(hidden_layer_sizes=(12,), max_iter=5, random_state=0)
    return clf.fit(*small_digits)


@pytest.fixture(scope="module")
def early_stopped(small_digits):
    clf = DeepMLPClassifier(
        hidden_layer_sizes=(12,), max_iter=6, early_stopping=True, n_iter_no_change="inf",
        random_state=0,
    )
    return clf.fit(*small_digits)


@pytest.fixture(scope="module")
def autoencoder(small_digits):
    dae = DenoisingAutoencoderTransformer(n_components=10, max_iter=3, random_state=0)
    return dae.fit(small_digits[0])


# ------------------------------------------------------------------ TrainingHistoryDisplay
def test_history_draws_the_loss_curve(pyplot, classifier):
    display = TrainingHistoryDisplay.from_estimator(classifier)

    assert len(display.lines_) == 1
    assert display.line_loss_ is display.lines_[0]
    np.testing.assert_array_equal(display.line_loss_.get_ydata(), classifier.loss_curve_)
    np.testing.assert_array_equal(
        display.line_loss_.get_xdata(), np.arange(1, classifier.n_iter_ + 1)
    )
    assert display.ax_score_ is None
    assert display.line_validation_score_ is None
    assert display.figure_ is display.ax_.figure
    assert display.ax_.get_xlabel() == "epoch"
    assert display.line_loss_.get_label() == "DeepMLPClassifier: training loss"


def test_history_draws_validation_score_on_a_twin_axis(pyplot, early_stopped):
    display = TrainingHistoryDisplay.from_estimator(early_stopped, name="net")

    score_line = display.line_validation_score_
    assert score_line in display.lines_
    assert score_line.axes is display.ax_score_
    assert display.ax_score_ is not display.ax_
    np.testing.assert_array_equal(score_line.get_ydata(), early_stopped.validation_scores_)
    np.testing.assert_array_equal(
        display.line_validation_loss_.get_ydata(),
        [record["validation_loss"] for record in early_stopped.history_],
    )
    np.testing.assert_array_equal(display.line_loss_.get_ydata(), early_stopped.loss_curve_)
    # All curves of one fit share the training loss's colour.
    assert score_line.get_color() == display.line_loss_.get_color()
    assert [text.get_text() for text in display.ax_.get_legend().get_texts()][0] == (
        "net: training loss"
    )


def test_history_from_arrays_with_validation_loss(pyplot):
    display = TrainingHistoryDisplay(
        [3.0, 2.0, 1.5], validation_loss=[3.5, 2.5, 2.6], validation_scores=[0.1, 0.5, 0.6]
    ).plot()

    assert len(display.lines_) == 3
    np.testing.assert_array_equal(display.line_validation_loss_.get_ydata(), [3.5, 2.5, 2.6])
    assert display.line_validation_loss_.axes is display.ax_
    assert display.line_validation_loss_.get_linestyle() == "--"
    assert display.line_loss_.get_label() == "training loss"


def test_history_several_fits_share_the_axes(pyplot, early_stopped, classifier):
    _, ax = pyplot.subplots()
    first = TrainingHistoryDisplay.from_estimator(early_stopped, ax=ax, name="a")
    second = TrainingHistoryDisplay.from_estimator(
        classifier, ax=ax, score_ax=first.ax_score_, name="b"
    )

    assert second.ax_ is ax
    drawn = first.lines_ + second.lines_
    assert set(ax.get_lines()) == {line for line in drawn if line.axes is ax}
    assert set(first.ax_score_.get_lines()) == {first.line_validation_score_}
    assert len(ax.get_legend().get_texts()) == len(drawn)
    assert first.line_loss_.get_color() != second.line_loss_.get_color()


def test_history_legend_skips_unlabelled_lines(pyplot, classifier):
    _, ax = pyplot.subplots()
    ax.axhline(1.0)

    display = TrainingHistoryDisplay.from_estimator(classifier, ax=ax)

    assert [text.get_text() for text in display.ax_.get_legend().get_texts()] == [
        "DeepMLPClassifier: training loss"
    ]


def test_history_line_kw_applies_to_every_curve(pyplot, early_stopped):
    display = TrainingHistoryDisplay.from_estimator(early_stopped, line_kw={"linewidth": 3})

    assert all(line.get_linewidth() == 3 for line in display.lines_)


class Recorded(BaseEstimator):
    """A fitted estimator that kept per-epoch records in ``history_``."""

    def __init__(self, history):
        self.history_ = history

    def fit(self, X, y=None):
        return self


def test_history_reads_per_epoch_records(pyplot):
    records = [
        {"epoch": 1, "loss": 2.0, "validation_loss": 2.2, "validation_score": 0.4},
        {"epoch": 2, "loss": 1.0, "validation_loss": 1.9, "validation_score": 0.6},
    ]

    display = TrainingHistoryDisplay.from_estimator(Recorded(records))

    np.testing.assert_array_equal(display.line_loss_.get_ydata(), [2.0, 1.0])
    np.testing.assert_array_equal(display.line_validation_loss_.get_ydata(), [2.2, 1.9])
    np.testing.assert_array_equal(display.line_validation_score_.get_ydata(), [0.4, 0.6])


def test_history_skips_curves_missing_from_records(pyplot):
    records = [{"loss": 2.0, "validation_loss": None}, {"loss": 1.0, "validation_loss": None}]

    display = TrainingHistoryDisplay.from_estimator(Recorded(records))

    assert display.lines_ == [display.line_loss_]


def test_history_of_scikit_learn_mlp(pyplot, small_digits):
    mlp = MLPClassifier(hidden_layer_sizes=(8,), max_iter=4, random_state=0).fit(*small_digits)

    display = TrainingHistoryDisplay.from_estimator(mlp)

    np.testing.assert_array_equal(display.line_loss_.get_ydata(), mlp.loss_curve_)


def test_history_of_autoencoder(pyplot, autoencoder):
    display = TrainingHistoryDisplay.from_estimator(autoencoder)

    np.testing.assert_array_equal(display.line_loss_.get_ydata(), autoencoder.loss_curve_)


def test_history_without_curve_explains_why(pyplot, small_digits):
    reg = DeepMLPRegressor(hidden_layer_sizes=(4,), solver="lbfgs", max_iter=5)
    reg.fit(*small_digits)

    with pytest.raises(ValueError, match="solver='lbfgs'"):
        TrainingHistoryDisplay.from_estimator(reg)


def test_history_needs_a_fitted_estimator(pyplot):
    with pytest.raises(NotFittedError):
        TrainingHistoryDisplay.from_estimator(DeepMLPClassifier())


def _curves(display):
    return [(line.get_label(), list(line.get_ydata())) for line in display.lines_]


@pytest.mark.parametrize("wrap", [
    lambda clf: make_pipeline(FunctionTransformer(), clf),
    FrozenEstimator,
    lambda clf: make_pipeline(FunctionTransformer(), FrozenEstimator(clf)),
], ids=["pipeline", "frozen", "frozen-in-pipeline"])
def test_history_of_a_wrapped_estimator_is_that_of_the_estimator(pyplot, early_stopped, wrap):
    wrapped = TrainingHistoryDisplay.from_estimator(wrap(early_stopped))
    bare = TrainingHistoryDisplay.from_estimator(early_stopped)

    assert _curves(wrapped) == _curves(bare)
    assert wrapped.estimator_name == "DeepMLPClassifier"


def test_history_of_a_fitted_pipeline_is_that_of_its_last_step(pyplot, small_digits):
    pipeline = make_pipeline(
        StandardScaler(), DeepMLPClassifier(hidden_layer_sizes=(8,), max_iter=3, random_state=0)
    ).fit(*small_digits)

    assert _curves(TrainingHistoryDisplay.from_estimator(pipeline)) == _curves(
        TrainingHistoryDisplay.from_estimator(pipeline[-1])
    )


def test_history_of_a_pipeline_without_one_names_its_final_step(pyplot, small_digits):
    pipeline = make_pipeline(StandardScaler(), LogisticRegression()).fit(*small_digits)

    with pytest.raises(
        ValueError, match=r"^LogisticRegression \(the final step of Pipeline\) has no per-epoch"
    ):
        TrainingHistoryDisplay.from_estimator(pipeline)


def test_history_of_a_pipeline_needs_a_fitted_final_step(pyplot):
    with pytest.raises(NotFittedError, match="DeepMLPClassifier"):
        TrainingHistoryDisplay.from_estimator(make_pipeline(StandardScaler(), DeepMLPClassifier()))


# ------------------------------------------------------------------ FilterGridDisplay
def test_filter_grid_of_mlp_shows_columns_of_first_weights(pyplot, classifier):
    display = FilterGridDisplay.from_estimator(classifier, image_shape=IMAGE_SHAPE)

    weights = classifier.coefs_[0]
    assert len(display.images_) == weights.shape[1] == 12
    assert display.axes_.shape == (3, 4)
    for unit, image in enumerate(display.images_):
        np.testing.assert_array_equal(image.get_array(), weights[:, unit].reshape(IMAGE_SHAPE))
    assert display.bounding_ax_ is None
    assert display.figure_ is display.images_[0].axes.figure


def test_filter_grid_of_autoencoder_shows_rows_of_components(pyplot, autoencoder):
    display = FilterGridDisplay.from_estimator(
        autoencoder, image_shape=IMAGE_SHAPE, n_filters=6, n_cols=3
    )

    assert display.axes_.shape == (2, 3)
    assert len(display.images_) == 6
    for unit, image in enumerate(display.images_):
        np.testing.assert_array_equal(
            image.get_array(), autoencoder.components_[unit].reshape(IMAGE_SHAPE)
        )


def test_filter_grid_of_stacked_autoencoder(pyplot, small_digits):
    X, _ = small_digits
    stack = StackedAutoencoder(hidden_layer_sizes=(9, 4), max_iter=2, random_state=0).fit(X)

    display = FilterGridDisplay.from_estimator(stack, image_shape=IMAGE_SHAPE)

    np.testing.assert_array_equal(
        display.images_[8].get_array(), stack.coefs_[0][:, 8].reshape(IMAGE_SHAPE)
    )


def test_filter_grid_switches_off_unused_cells(pyplot):
    display = FilterGridDisplay(np.arange(5 * 4.0).reshape(5, 4), (2, 2)).plot()

    assert display.axes_.shape == (2, 3)
    assert not display.axes_[1, 2].axison
    assert len(display.images_) == 5


def test_filter_grid_inside_a_bounding_axes(pyplot):
    figure, (left, right) = pyplot.subplots(1, 2)

    display = FilterGridDisplay(np.ones((4, 4)), (2, 2), estimator_name="w").plot(ax=right)

    assert display.bounding_ax_ is right
    assert not right.axison
    assert right.get_title() == "w"
    assert display.figure_ is figure
    assert len(figure.axes) == 2 + 4


def test_filter_grid_rejects_wrong_image_shape(pyplot, classifier):
    with pytest.raises(ValueError, match=r"image_shape=\(7, 7\) does not fit filters of 64"):
        FilterGridDisplay.from_estimator(classifier, image_shape=(7, 7))


def test_filter_grid_needs_weights(pyplot, small_digits):
    from sklearn.linear_model import LinearRegression

    with pytest.raises(TypeError, match="neither components_ nor coefs_"):
        FilterGridDisplay.from_estimator(LinearRegression().fit(*small_digits), image_shape=(8, 8))


def _images(display):
    return [image.get_array() for image in display.images_]


@pytest.mark.parametrize("wrap", [
    lambda dae: make_pipeline(FunctionTransformer(), dae), FrozenEstimator,
], ids=["pipeline", "frozen"])
def test_filter_grid_of_a_wrapped_estimator_is_that_of_the_estimator(pyplot, autoencoder, wrap):
    wrapped = FilterGridDisplay.from_estimator(wrap(autoencoder), image_shape=IMAGE_SHAPE)
    bare = FilterGridDisplay.from_estimator(autoencoder, image_shape=IMAGE_SHAPE)

    np.testing.assert_array_equal(_images(wrapped), _images(bare))


def test_filter_grid_of_a_pipeline_without_weights_names_its_final_step(
    pyplot, autoencoder, small_digits
):
    pipeline = make_pipeline(FrozenEstimator(autoencoder), LogisticRegression(max_iter=50))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        pipeline.fit(*small_digits)

    with pytest.raises(
        TypeError, match=r"^LogisticRegression \(the final step of Pipeline\) has neither"
    ):
        FilterGridDisplay.from_estimator(pipeline, image_shape=IMAGE_SHAPE)


# ------------------------------------------------------------------ ReconstructionDisplay
def test_reconstructions_next_to_inputs(pyplot, autoencoder, small_digits):
    X = small_digits[0]

    display = ReconstructionDisplay.from_estimator(
        autoencoder, X, image_shape=IMAGE_SHAPE, n_images=5
    )

    assert display.images_.shape == display.axes_.shape == (2, 5)
    expected = autoencoder.inverse_transform(autoencoder.transform(X[:5]))
    for column in range(5):
        inputs, reconstruction = display.images_[:, column]
        np.testing.assert_array_equal(inputs.get_array(), X[column].reshape(IMAGE_SHAPE))
        np.testing.assert_allclose(
            reconstruction.get_array(), expected[column].reshape(IMAGE_SHAPE)
        )
        # One colour scale per column.
        assert inputs.get_clim() == reconstruction.get_clim()
    assert display.axes_[1, 0].get_ylabel() == "reconstruction"


def test_reconstructions_of_stacked_autoencoder(pyplot, small_digits):
    X, _ = small_digits
    stack = StackedAutoencoder(hidden_layer_sizes=(16, 8), max_iter=2, random_state=0).fit(X)

    display = ReconstructionDisplay.from_estimator(stack, X, IMAGE_SHAPE, n_images=3)

    expected = stack.inverse_transform(stack.transform(X[:3]))
    np.testing.assert_allclose(display.images_[1, 2].get_array(), expected[2].reshape(8, 8))


def test_reconstructions_through_every_step_of_a_pipeline(pyplot, small_digits):
    X = small_digits[0] * 16
    dae = DenoisingAutoencoderTransformer(n_components=10, max_iter=2, random_state=0)
    pipeline = make_pipeline(MinMaxScaler(), dae).fit(X)

    display = ReconstructionDisplay.from_estimator(pipeline, X, IMAGE_SHAPE, n_images=3)

    expected = pipeline.inverse_transform(pipeline.transform(X[:3]))
    np.testing.assert_allclose(display.images_[1, 2].get_array(), expected[2].reshape(8, 8))


def test_reconstructions_of_sparse_input(pyplot, autoencoder, small_digits):
    X = small_digits[0]

    sparse = ReconstructionDisplay.from_estimator(autoencoder, sp.csr_matrix(X), IMAGE_SHAPE)
    dense = ReconstructionDisplay.from_estimator(autoencoder, X, IMAGE_SHAPE)

    np.testing.assert_array_equal(sparse.inputs, dense.inputs)
    np.testing.assert_allclose(sparse.reconstructions, dense.reconstructions, rtol=1e-12)


def test_reconstructions_need_an_autoencoder(pyplot, classifier, small_digits):
    with pytest.raises(TypeError, match="transform and inverse_transform"):
        ReconstructionDisplay.from_estimator(classifier, small_digits[0], IMAGE_SHAPE)


def test_reconstructions_reject_mismatched_arrays(pyplot):
    with pytest.raises(ValueError, match="same shape"):
        ReconstructionDisplay(np.ones((2, 4)), np.ones((3, 4)), (2, 2)).plot()


# ------------------------------------------------------------------ matplotlib is optional
def test_importing_skdeep_plotting_does_not_import_matplotlib():
    code = "import sys, skdeep.plotting; print('matplotlib' in sys.modules)"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "False"


@pytest.mark.parametrize(
    "draw",
    [
        lambda: TrainingHistoryDisplay([1.0, 0.5]).plot(),
        lambda: FilterGridDisplay(np.ones((1, 4)), (2, 2)).plot(),
        lambda: ReconstructionDisplay(np.ones((1, 4)), np.ones((1, 4)), (2, 2)).plot(),
    ],
    ids=["history", "filters", "reconstructions"],
)
def test_missing_matplotlib_gives_install_hint(monkeypatch, draw):
    # A None entry in sys.modules makes `import matplotlib` raise ImportError.
    for name in ("matplotlib", "matplotlib.pyplot", "matplotlib.gridspec"):
        monkeypatch.setitem(sys.modules, name, None)

    with pytest.raises(ImportError, match=r"requires matplotlib.*skdeep\[plot\]"):
        draw()

"""DenoisingAutoencoderTransformer and StackedAutoencoder."""

import pickle
import warnings

import numpy as np
import pytest
from sklearn.datasets import load_digits
from sklearn.decomposition import PCA
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, train_test_split
from sklearn.neural_network import BernoulliRBM
from sklearn.pipeline import make_pipeline
from sklearn.utils.estimator_checks import check_sample_weight_equivalence_on_dense_data

import skdeep._training
from skdeep import DenoisingAutoencoderTransformer, StackedAutoencoder, check_gradients
from skdeep.layers import TiedDense


def quiet(estimator, X, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return estimator.fit(X, **kwargs)


def test_full_batch_sample_weight_equivalence():
    check_sample_weight_equivalence_on_dense_data(
        "DenoisingAutoencoderTransformer",
        DenoisingAutoencoderTransformer(n_components=4, noise=None, solver="lbfgs", max_iter=50),
    )


# ---------------------------------------------------------------- maths
@pytest.mark.parametrize("tied_weights", [True, False])
@pytest.mark.parametrize("loss, scale", [("cross_entropy", 1.0), ("squared_error", 3.0)])
@pytest.mark.parametrize("activation", ["logistic", "tanh", "softplus"])
@pytest.mark.parametrize("batch_norm", [False, True])
def test_gradients_match_finite_differences(tied_weights, loss, scale, activation, batch_norm):
    X = np.random.default_rng(0).uniform(0, 1, (12, 7)) * scale
    dae = DenoisingAutoencoderTransformer(
        n_components=5, tied_weights=tied_weights, loss=loss, activation=activation,
        batch_norm=batch_norm, alpha=0.1, l1=0.01,
    )
    assert check_gradients(dae, X, None).relative_error < 1e-7


def test_stacked_gradients_match_finite_differences():
    X = np.random.default_rng(0).uniform(0, 1, (12, 7))
    sae = StackedAutoencoder(hidden_layer_sizes=(5, 3), activation="tanh", max_iter=2)
    assert check_gradients(sae, X, None).relative_error < 1e-7


def test_tied_decoder_shares_the_encoder_matrix(digits):
    X = digits[0]
    dae = quiet(DenoisingAutoencoderTransformer(n_components=16, max_iter=2), X)
    encoder, decoder = dae._network.blocks[0].dense, dae._network.layers[-1]
    assert isinstance(decoder, TiedDense)
    assert np.shares_memory(decoder.weights, encoder.weights)
    assert dae._network.params.size == 64 * 16 + 16 + 64
    untied = quiet(DenoisingAutoencoderTransformer(n_components=16, tied_weights=False,
                                                   max_iter=2), X)
    assert untied._network.params.size == 2 * 64 * 16 + 16 + 64


def test_auto_loss_follows_the_range_of_the_data(digits):
    X = digits[0]
    assert quiet(DenoisingAutoencoderTransformer(max_iter=1), X).out_activation_ == "logistic"
    assert quiet(DenoisingAutoencoderTransformer(max_iter=1), X * 3).out_activation_ == "identity"
    with pytest.raises(ValueError, match="needs every input value in \\[0, 1\\]"):
        DenoisingAutoencoderTransformer(loss="cross_entropy").fit(X - 0.5)


def test_noise_corrupts_only_the_input_batch(monkeypatch, digits):
    X = digits[0][:100]
    seen = []
    original = skdeep._training.forward_backward

    def spy(network, loss, X_batch, Y_batch, *args, **kwargs):
        seen.append((X_batch.copy(), Y_batch.copy()))
        return original(network, loss, X_batch, Y_batch, *args, **kwargs)

    monkeypatch.setattr(skdeep._training, "forward_backward", spy)
    before = X.copy()
    quiet(DenoisingAutoencoderTransformer(n_components=8, noise="masking", noise_level=0.5,
                                          batch_size=100, shuffle=False, max_iter=1), X)
    (inputs, targets), = seen
    np.testing.assert_array_equal(targets, X)
    np.testing.assert_array_equal(X, before)
    zeroed = (inputs == 0) & (X != 0)
    assert 0.4 < zeroed.sum() / (X != 0).sum() < 0.6


# ---------------------------------------------------------------- transformer behaviour
def test_transform_is_deterministic_and_is_the_encoder(digits):
    X = digits[0]
    dae = quiet(DenoisingAutoencoderTransformer(n_components=16, max_iter=3, random_state=0), X)
    codes = dae.transform(X)
    np.testing.assert_array_equal(codes, dae.transform(X))
    np.testing.assert_allclose(
        codes, np.maximum(X @ dae.components_.T + dae.intercept_hidden_, 0), rtol=1e-12
    )


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_float32_is_kept(dtype, digits):
    X = digits[0].astype(dtype)
    dae = quiet(DenoisingAutoencoderTransformer(n_components=8, max_iter=2), X)
    assert dae.transform(X).dtype == dtype
    assert dae.inverse_transform(dae.transform(X)).dtype == dtype


def test_reconstruction_beats_the_mean_image(digits):
    X_train, X_test = digits[0], digits[1]
    dae = quiet(DenoisingAutoencoderTransformer(n_components=64, random_state=0), X_train)
    reconstructed = dae.inverse_transform(dae.transform(X_test))
    error = np.mean((reconstructed - X_test) ** 2)
    baseline = np.mean((X_train.mean(axis=0) - X_test) ** 2)
    assert error < 0.2 * baseline


def test_score_is_negative_reconstruction_loss_and_improves(digits):
    X = digits[0]
    short = quiet(DenoisingAutoencoderTransformer(n_components=32, max_iter=1, random_state=0), X)
    longer = quiet(DenoisingAutoencoderTransformer(n_components=32, max_iter=30, random_state=0), X)
    assert short.score(X) < longer.score(X) < 0
    assert longer.score(X) == pytest.approx(-longer._reconstruction_loss(X))


def test_feature_names_and_pandas_output(digits):
    pytest.importorskip("pandas")
    X = digits[0]
    dae = quiet(DenoisingAutoencoderTransformer(n_components=3, max_iter=1), X)
    names = ["denoisingautoencodertransformer0", "denoisingautoencodertransformer1",
             "denoisingautoencodertransformer2"]
    assert list(dae.get_feature_names_out()) == names
    frame = dae.set_output(transform="pandas").transform(X)
    assert list(frame.columns) == names


def test_features_beat_raw_pixels_pca_and_rbm_on_digits():
    X, y = load_digits(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(X / 16, y, test_size=0.3,
                                                        random_state=42, stratify=y)

    def accuracy(*steps):
        model = make_pipeline(*steps, LogisticRegression(max_iter=3000))
        return model.fit(X_train, y_train).score(X_test, y_test)

    dae = accuracy(DenoisingAutoencoderTransformer(random_state=0))
    assert dae > accuracy()
    assert dae > accuracy(PCA(n_components=0.95))
    assert dae > accuracy(BernoulliRBM(n_components=256, learning_rate=0.06, n_iter=20,
                                       random_state=0))


def test_grid_search_over_noise_in_a_pipeline(digits):
    X_train, X_test, y_train, y_test = digits
    pipeline = make_pipeline(
        DenoisingAutoencoderTransformer(n_components=32, max_iter=5, random_state=0),
        LogisticRegression(max_iter=500),
    )
    grid = {
        "denoisingautoencodertransformer__noise": ["masking", "salt_and_pepper", "gaussian"],
        "denoisingautoencodertransformer__noise_level": [0.1, 0.4],
    }
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        search = GridSearchCV(pipeline, grid, cv=2, n_jobs=2).fit(X_train, y_train)
    assert len(search.cv_results_["params"]) == 6
    assert not np.isnan(search.cv_results_["mean_test_score"]).any()
    assert search.score(X_test, y_test) > 0.85


@pytest.mark.parametrize(
    "estimator, message",
    [
        (DenoisingAutoencoderTransformer(noise="masking", noise_level=1.0),
         "'noise_level' parameter must be in the range \\[0.0, 1.0\\)"),
        (DenoisingAutoencoderTransformer(noise="masking", solver="lbfgs"),
         "noise needs a stochastic solver"),
        (DenoisingAutoencoderTransformer(noise="gausian"), "Did you mean 'gaussian'"),
        (StackedAutoencoder(hidden_layer_sizes=(8, 4), noise_level=(0.1, 0.2, 0.3)),
         "'noise_level' parameter has 3 values but the network has 2"),
    ],
)
def test_bad_hyperparameters_fail_fast(estimator, message, digits):
    with pytest.raises(ValueError, match=message):
        estimator.fit(digits[0])
    assert not hasattr(estimator, "n_iter_")


# ---------------------------------------------------------------- stacking
def test_stack_trains_each_layer_on_the_codes_below(digits):
    X = digits[0]
    sae = quiet(StackedAutoencoder(hidden_layer_sizes=(32, 8), noise_level=(0.3, 0.1),
                                   max_iter=5, random_state=0), X)
    first, second = sae.autoencoders_
    assert (first.n_features_in_, first.n_components) == (64, 32)
    assert (second.n_features_in_, second.n_components) == (32, 8)
    assert (first.noise_level, second.noise_level) == (0.3, 0.1)
    np.testing.assert_allclose(sae.transform(X), second.transform(first.transform(X)))
    for mine, layer in zip(sae.coefs_, sae.autoencoders_):
        np.testing.assert_array_equal(mine, layer.components_.T)
    assert sae.inverse_transform(sae.transform(X)).shape == X.shape


def test_fine_tuning_improves_the_deep_reconstruction(digits):
    X_train, X_test = digits[0], digits[1]
    params = dict(hidden_layer_sizes=(64, 16), max_iter=30, random_state=0)
    greedy = quiet(StackedAutoencoder(**params), X_train)
    tuned = quiet(StackedAutoencoder(fine_tune=True, **params), X_train)
    assert tuned.score(X_test) > greedy.score(X_test)
    assert not np.array_equal(tuned.coefs_[0], greedy.autoencoders_[0].components_.T)


def test_stack_partial_fit_initialises_greedily_then_fine_tunes(digits):
    X = digits[0]
    sae = StackedAutoencoder(hidden_layer_sizes=(16, 4), random_state=0)
    sae.partial_fit(X[:600])
    assert sae.autoencoders_[0].t_ == 600
    assert sae.t_ == 0
    sae.partial_fit(X[600:])
    assert sae.t_ == X.shape[0] - 600


def test_pickle_round_trip(digits):
    X = digits[0]
    sae = quiet(StackedAutoencoder(hidden_layer_sizes=(16, 4), max_iter=3, fine_tune=True), X)
    loaded = pickle.loads(pickle.dumps(sae))
    np.testing.assert_array_equal(loaded.transform(X), sae.transform(X))
    np.testing.assert_array_equal(loaded.inverse_transform(loaded.transform(X)),
                                  sae.inverse_transform(sae.transform(X)))

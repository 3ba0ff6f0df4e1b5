"""Sparse input to the autoencoders and to unsupervised pretraining: the model of the dense data.

Only the first Dense layer reads the sparse matrix; each mini-batch is densified where it becomes
the reconstruction target or is corrupted. Sparse and dense products sum in different orders, so
the models agree to rounding, never bit for bit.
"""

import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.exceptions import ConvergenceWarning

import skdeep._training
from skdeep import DeepMLPClassifier, DenoisingAutoencoderTransformer, StackedAutoencoder

SPARSE_FORMATS = [sp.csr_matrix, sp.csc_matrix, sp.csr_array]
AUTOENCODERS = {
    "dae": lambda **params: DenoisingAutoencoderTransformer(n_components=8, **params),
    "stack": lambda **params: StackedAutoencoder(hidden_layer_sizes=(8, 4), **params),
}
SETTINGS = {
    "no-noise": dict(noise=None),
    "gaussian": dict(noise="gaussian", noise_level=0.2),
    "masking": dict(noise="masking", noise_level=0.3),
    "salt-and-pepper": dict(noise="salt_and_pepper", noise_level=0.2),
    "lbfgs": dict(noise=None, solver="lbfgs", max_iter=15),
    "early-stopping-batch-norm": dict(
        early_stopping=True, batch_norm=True, batch_norm_statistics="population"
    ),
}
RTOL, ATOL = 1e-5, 1e-9


def quiet_fit(estimator, X, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return estimator.fit(X, *args, **kwargs)


@pytest.fixture(scope="module")
def X(digits):
    """300 digits in [0, 1]: about half of the pixels are zero."""
    return digits[0][:300]


@pytest.mark.parametrize("to_sparse", SPARSE_FORMATS, ids=lambda f: f.__name__)
@pytest.mark.parametrize("setting", SETTINGS.values(), ids=SETTINGS.keys())
@pytest.mark.parametrize("make", AUTOENCODERS.values(), ids=AUTOENCODERS.keys())
def test_sparse_input_fits_the_model_of_the_dense_input(make, setting, to_sparse, X):
    params = dict(dict(max_iter=3, random_state=0), **setting)
    dense = quiet_fit(make(**params), X)
    sparse = quiet_fit(make(**params), to_sparse(X))

    np.testing.assert_allclose(sparse.transform(to_sparse(X)), dense.transform(X),
                               rtol=RTOL, atol=ATOL)
    assert sparse.loss_ == pytest.approx(dense.loss_, rel=RTOL)
    assert sparse.score(to_sparse(X)) == pytest.approx(dense.score(X), rel=RTOL)


def test_stack_fine_tunes_on_sparse_input(X):
    params = dict(hidden_layer_sizes=(8, 4), fine_tune=True, max_iter=3, random_state=0)
    dense = quiet_fit(StackedAutoencoder(**params), X)
    sparse = quiet_fit(StackedAutoencoder(**params), sp.csr_matrix(X))

    np.testing.assert_allclose(sparse.transform(X), dense.transform(X), rtol=RTOL, atol=ATOL)
    np.testing.assert_allclose(sparse.loss_curve_, dense.loss_curve_, rtol=RTOL)


@pytest.mark.parametrize("make", AUTOENCODERS.values(), ids=AUTOENCODERS.keys())
def test_transform_fit_transform_and_score_of_sparse_equal_those_of_dense(make, X):
    model = quiet_fit(make(max_iter=3, random_state=0), X)
    X_sparse = sp.csr_matrix(X)

    np.testing.assert_allclose(model.transform(X_sparse), model.transform(X), rtol=RTOL, atol=ATOL)
    assert model.score(X_sparse) == pytest.approx(model.score(X), rel=RTOL)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        codes = make(max_iter=3, random_state=0).fit_transform(X_sparse)
    np.testing.assert_allclose(codes, model.transform(X), rtol=RTOL, atol=ATOL)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_sparse_input_keeps_its_precision(dtype, X):
    X_sparse = sp.csr_matrix(X.astype(dtype))
    dae = quiet_fit(DenoisingAutoencoderTransformer(n_components=8, max_iter=2), X_sparse)

    assert dae._network.dtype == dtype
    assert dae.transform(X_sparse).dtype == dtype


# A stack records per-epoch validation losses only while it is fine-tuned end to end.
@pytest.mark.parametrize("make, params", [
    (AUTOENCODERS["dae"], {}), (AUTOENCODERS["stack"], {"fine_tune": True}),
], ids=AUTOENCODERS.keys())
def test_sparse_validation_set_gives_the_dense_validation_losses(make, params, X):
    X_train, X_val = X[:200], X[200:]
    params = dict(max_iter=3, random_state=0, **params)
    dense = quiet_fit(make(**params), X_train, X_val=X_val)
    sparse = quiet_fit(make(**params), sp.csr_matrix(X_train), X_val=sp.csc_matrix(X_val))

    losses = [[record["validation_loss"] for record in fit.history_] for fit in (sparse, dense)]
    assert None not in losses[0]
    np.testing.assert_allclose(*losses, rtol=RTOL)


def test_partial_fit_on_sparse_chunks(X):
    dense = DenoisingAutoencoderTransformer(n_components=8, random_state=0)
    sparse = DenoisingAutoencoderTransformer(n_components=8, random_state=0)
    for chunk in (X[:150], X[150:]):
        dense.partial_fit(chunk)
        sparse.partial_fit(sp.csr_matrix(chunk), X_val=sp.csr_matrix(chunk))

    np.testing.assert_allclose(sparse.transform(X), dense.transform(X), rtol=RTOL, atol=ATOL)
    assert sparse.history_[-1]["validation_loss"] == pytest.approx(-sparse.score(X[150:]))


@pytest.mark.parametrize("noise, input_type", [(None, sp.csr_matrix), ("masking", np.ndarray)])
def test_training_densifies_each_batch_never_the_whole_input(monkeypatch, X, noise, input_type):
    seen = []
    original = skdeep._training.forward_backward

    def spy(network, loss, X_batch, Y_batch, *args, **kwargs):
        seen.append((type(X_batch), type(Y_batch), X_batch.shape[0]))
        return original(network, loss, X_batch, Y_batch, *args, **kwargs)

    monkeypatch.setattr(skdeep._training, "forward_backward", spy)
    quiet_fit(DenoisingAutoencoderTransformer(n_components=8, noise=noise, batch_size=100,
                                              max_iter=1), sp.csr_matrix(X))

    # Without noise the first layer reads the sparse batch itself; noise needs it dense.
    assert seen == [(input_type, np.ndarray, 100)] * 3


@pytest.mark.parametrize("pretraining", ["autoencoder", "denoising"])
def test_unsupervised_pretraining_on_sparse_input(pretraining, digits):
    X_train, X_test, y_train, _ = digits
    params = dict(hidden_layer_sizes=(8, 4), max_iter=3, pretraining=pretraining,
                  pretraining_max_iter=3, random_state=0)
    dense = quiet_fit(DeepMLPClassifier(**params), X_train, y_train)
    sparse = quiet_fit(DeepMLPClassifier(**params), sp.csr_matrix(X_train), y_train)

    np.testing.assert_allclose(sparse.predict_proba(sp.csr_matrix(X_test)),
                               dense.predict_proba(X_test), rtol=RTOL, atol=ATOL)


@pytest.mark.parametrize("make", AUTOENCODERS.values(), ids=AUTOENCODERS.keys())
def test_autoencoders_declare_sparse_input(make):
    assert make().__sklearn_tags__().input_tags.sparse

"""Greedy layer-wise pretraining of DeepMLPClassifier / DeepMLPRegressor."""


import numpy as np
import pytest
from sklearn.frozen import FrozenEstimator
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV

import skdeep._mlp_base
from skdeep import DeepMLPClassifier, DeepMLPRegressor, StackedAutoencoder
from skdeep.datasets import load_ccpp


def initialised(estimator, X, y):
    """The estimator's network after initialisation and pretraining, before fine-tuning."""
    estimator._pretrain(estimator._prepare(X, y, None, incremental=False), incremental=False)
    return estimator


@pytest.mark.parametrize("pretraining", ["autoencoder", "denoising", "supervised"])
@pytest.mark.parametrize("batch_norm", [False, True])
def test_every_setting_works_with_batch_norm_and_dropout(pretraining, batch_norm, digits):
    X_train, X_test, y_train, y_test = digits
    clf = DeepMLPClassifier(
        hidden_layer_sizes=(64, 32), batch_norm=batch_norm, dropout=0.1, max_iter=20,
        pretraining=pretraining, pretraining_max_iter=5, random_state=0,
    ).fit(X_train, y_train)
    assert clf.score(X_test, y_test) > 0.9


@pytest.mark.parametrize("pretraining", ["autoencoder", "denoising", "supervised"])
def test_regressor_pretraining_on_real_data(pretraining):
    data = load_ccpp()
    reg = DeepMLPRegressor(hidden_layer_sizes=(32, 16), max_iter=20, pretraining=pretraining,
                           pretraining_noise="gaussian", pretraining_noise_level=0.1,
                           pretraining_max_iter=5, random_state=0)
    reg.fit(data.data[:3000], data.target[:3000])
    assert reg.score(data.data_test, data.target_test) > 0.9


def test_unsupervised_pretraining_installs_the_stacks_encoders(digits):
    X, _, y, _ = digits
    stack = StackedAutoencoder(hidden_layer_sizes=(32, 16), activation="relu", max_iter=5,
                               random_state=0).fit(X)
    clf = initialised(DeepMLPClassifier(hidden_layer_sizes=(32, 16), pretraining=stack), X, y)
    for mine, pretrained in zip(clf.coefs_[:2], stack.coefs_):
        np.testing.assert_array_equal(mine, pretrained)
    for mine, pretrained in zip(clf.intercepts_[:2], stack.intercepts_):
        np.testing.assert_array_equal(mine, pretrained)


def test_batch_norm_state_is_transferred_too(digits):
    X, _, y, _ = digits
    stack = StackedAutoencoder(hidden_layer_sizes=(16,), batch_norm=True, max_iter=3,
                               random_state=0).fit(X)
    clf = initialised(DeepMLPClassifier(hidden_layer_sizes=(16,), batch_norm=True,
                                        pretraining=stack), X, y)
    source = stack._network.batch_norm_layers[0]
    target = clf._network.batch_norm_layers[0]
    np.testing.assert_array_equal(target.scale, source.scale)
    np.testing.assert_array_equal(target.running_mean, source.running_mean)


def test_frozen_stack_survives_cloning_in_a_search(digits):
    X_train, X_test, y_train, y_test = digits
    stack = StackedAutoencoder(hidden_layer_sizes=(32,), max_iter=10, random_state=0).fit(X_train)
    search = GridSearchCV(
        DeepMLPClassifier(hidden_layer_sizes=(32,), max_iter=10, random_state=0),
        {"pretraining": [None, FrozenEstimator(stack)], "learning_rate_init": [1e-3, 1e-2]},
        cv=2,
    ).fit(X_train, y_train)
    assert not np.isnan(search.cv_results_["mean_test_score"]).any()
    assert search.score(X_test, y_test) > 0.9


def test_supervised_pretraining_gives_discriminative_top_features(digits):
    X_train, X_test, y_train, y_test = digits
    params = dict(hidden_layer_sizes=(16, 8), activation="tanh", random_state=0)

    def top_feature_accuracy(clf):
        network = clf._network
        top = network.layers.index(network.dense_layers[-1])
        features = [network.forward(X, stop=top) for X in (X_train, X_test)]
        probe = LogisticRegression(max_iter=2000).fit(features[0], y_train)
        return probe.score(features[1], y_test)

    random = top_feature_accuracy(initialised(DeepMLPClassifier(**params), X_train, y_train))
    pretrained = top_feature_accuracy(initialised(
        DeepMLPClassifier(pretraining="supervised", pretraining_max_iter=30, **params),
        X_train, y_train))
    assert pretrained > random + 0.05


def test_pretraining_happens_once_with_partial_fit_and_warm_start(monkeypatch, digits):
    X, _, y, _ = digits
    calls = []
    original = skdeep._mlp_base.pretrain
    monkeypatch.setattr(skdeep._mlp_base, "pretrain",
                        lambda *args: calls.append(1) or original(*args))
    clf = DeepMLPClassifier(hidden_layer_sizes=(16,), pretraining="denoising",
                            pretraining_max_iter=2, random_state=0)
    for _ in range(3):
        clf.partial_fit(X, y, classes=np.unique(y))
    assert len(calls) == 1
    clf = DeepMLPClassifier(hidden_layer_sizes=(16,), pretraining="autoencoder", max_iter=2,
                            pretraining_max_iter=2, warm_start=True, random_state=0)
    clf.fit(X, y)
    clf.fit(X, y)
    assert len(calls) == 2


def test_grid_search_tunes_pretraining_by_name(digits):
    X_train, _, y_train, _ = digits
    search = GridSearchCV(
        DeepMLPClassifier(hidden_layer_sizes=(32,), max_iter=5, pretraining_max_iter=2,
                          random_state=0),
        {"pretraining": [None, "autoencoder", "denoising", "supervised"],
         "pretraining_noise": ["masking", "salt_and_pepper"]},
        cv=2, n_jobs=2,
    ).fit(X_train, y_train)
    assert not np.isnan(search.cv_results_["mean_test_score"]).any()


@pytest.mark.parametrize(
    "params, message",
    [
        ({"pretraining": "denoising", "pretraining_noise_level": (0.1, 0.2, 0.3)},
         "'pretraining_noise_level' parameter has 3 values but the network has 2"),
        ({"pretraining": "denoising", "solver": "lbfgs"}, "noise needs a stochastic solver"),
        ({"pretraining": "denoisin"}, "Did you mean 'denoising'"),
    ],
)
def test_bad_pretraining_settings_fail_fast(params, message, digits):
    X, _, y, _ = digits
    clf = DeepMLPClassifier(hidden_layer_sizes=(8, 8), **params)
    with pytest.raises(ValueError, match=message):
        clf.fit(X, y)
    assert not hasattr(clf, "n_iter_")


def test_mismatched_stack_is_rejected(digits):
    X, _, y, _ = digits
    stack = StackedAutoencoder(hidden_layer_sizes=(8,), max_iter=1).fit(X)
    with pytest.raises(ValueError, match="layer sizes \\(8,\\) but hidden_layer_sizes is"):
        DeepMLPClassifier(hidden_layer_sizes=(16,), pretraining=stack).fit(X, y)

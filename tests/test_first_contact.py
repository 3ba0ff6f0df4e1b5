"""What a scikit-learn user meets in a first hour: pretraining output, and messages that say
what to do (issue 12's items 3, 4 and 5; callbacks are in test_callbacks.py)."""

import re
import warnings

import pytest
from sklearn.base import clone
from sklearn.exceptions import ConvergenceWarning, NotFittedError
from sklearn.frozen import FrozenEstimator
from sklearn.model_selection import GridSearchCV

from skdeep import DeepMLPClassifier, DeepMLPRegressor, StackedAutoencoder


def caught(function):
    """Run ``function()``; return the messages of every warning it emitted, by category."""
    with warnings.catch_warnings(record=True) as records:
        warnings.simplefilter("always")
        function()
    messages = {}
    for record in records:
        messages.setdefault(record.category, []).append(str(record.message))
    return messages


# ---------------------------------------------------------------- pretraining output (item 4)
def test_pretraining_budget_does_not_warn_but_the_fit_still_does(digits):
    X, _, y, _ = digits
    clf = DeepMLPClassifier(
        hidden_layer_sizes=(16, 16, 16), pretraining="denoising", max_iter=300,
        early_stopping=True, random_state=0,
    )
    assert ConvergenceWarning not in caught(lambda: clf.fit(X, y))
    assert clf.n_iter_ < 300
    # What the user set (max_iter of the fit itself) still warns, once.
    short = clone(clf).set_params(early_stopping=False, max_iter=3)
    (message,) = caught(lambda: short.fit(X, y))[ConvergenceWarning]
    assert "Maximum iterations (3)" in message


@pytest.mark.parametrize("pretraining", ["autoencoder", "supervised"])
def test_pretraining_prints_a_label_for_each_stage(pretraining, digits, capsys):
    X, _, y, _ = digits
    clf = DeepMLPClassifier(
        hidden_layer_sizes=(16, 8), pretraining=pretraining, pretraining_max_iter=2, max_iter=2,
        verbose=True,
    )
    caught(lambda: clf.fit(X, y))
    lines = capsys.readouterr().out.splitlines()
    labels = [line for line in lines if not line.startswith("Iteration ")]
    if pretraining == "supervised":
        assert labels == [
            "Pretraining hidden layer 1 of 2 (16 units, supervised), 2 epochs "
            "(pretraining_max_iter):",
            "Pretraining hidden layer 2 of 2 (8 units, supervised), 2 epochs "
            "(pretraining_max_iter):",
            "Fine-tuning the whole DeepMLPClassifier:",
        ]
    else:
        assert labels == [
            "Pretraining 2 hidden layer(s) (16, 8) greedily as autoencoders, 2 epochs each "
            "(pretraining_max_iter):",
            "Layer 1 of 2 of the stack: an autoencoder 64 -> 16 units, no noise:",
            "Layer 2 of 2 of the stack: an autoencoder 16 -> 8 units, no noise:",
            "Fine-tuning the whole DeepMLPClassifier:",
        ]
    # Two epochs under each of the three stages.
    assert sum(line.startswith("Iteration ") for line in lines) == 3 * 2


def test_stacked_autoencoder_labels_its_layers_and_warns_once(digits, capsys):
    X = digits[0]
    stack = StackedAutoencoder(hidden_layer_sizes=(16, 8, 4), max_iter=2, verbose=True)
    (message,) = caught(lambda: stack.fit(X))[ConvergenceWarning]
    assert "layer(s) 1, 2, 3 of 3 reached max_iter=2" in message
    labels = [line for line in capsys.readouterr().out.splitlines()
              if not line.startswith("Iteration ")]
    assert labels == [
        "Layer 1 of 3 of the stack: an autoencoder 64 -> 16 units, masking noise at 0.3:",
        "Layer 2 of 3 of the stack: an autoencoder 16 -> 8 units, masking noise at 0.3:",
        "Layer 3 of 3 of the stack: an autoencoder 8 -> 4 units, masking noise at 0.3:",
    ]
    # Fine-tuning trains every layer again: its own warning is the one that matters.
    tuned = clone(stack).set_params(fine_tune=True, verbose=False)
    (message,) = caught(lambda: tuned.fit(X))[ConvergenceWarning]
    assert message.startswith("Stochastic Optimizer: Maximum iterations (2)")


# ---------------------------------------------------------------- messages (items 3 and 5)
def test_empty_stack_is_refused_by_name(digits):
    with pytest.raises(ValueError, match=re.escape("hidden_layer_sizes must hold at least one")):
        StackedAutoencoder(hidden_layer_sizes=()).fit(digits[0])


@pytest.mark.parametrize("params, name", [
    ({"pretraining_noise_level": 1.5}, "pretraining_noise_level"),
    ({"solver": "lbfgs"}, "pretraining_noise needs a stochastic solver"),
])
def test_pretraining_noise_errors_name_the_pretraining_parameter(params, name, digits):
    X, _, y, _ = digits
    clf = DeepMLPClassifier(hidden_layer_sizes=(8, 8), pretraining="denoising", **params)
    with pytest.raises(ValueError, match=re.escape(name)):
        clf.fit(X, y)


def test_unfrozen_stack_in_a_search_points_to_frozen_estimator(digits):
    X, _, y, _ = digits
    stack = StackedAutoencoder(hidden_layer_sizes=(8,), max_iter=2)
    caught(lambda: stack.fit(X))
    search = GridSearchCV(
        DeepMLPClassifier(hidden_layer_sizes=(8,), pretraining=stack, max_iter=2),
        {"alpha": [1e-4]}, cv=2, error_score="raise",
    )
    with pytest.raises(NotFittedError, match="FrozenEstimator"):
        search.fit(X, y)
    search.set_params(estimator__pretraining=FrozenEstimator(stack))
    caught(lambda: search.fit(X, y))
    assert search.best_estimator_.n_iter_ == 2


def test_stack_transferred_into_another_activation_warns(digits):
    X, _, y, _ = digits
    stack = StackedAutoencoder(hidden_layer_sizes=(8,), activation="logistic", max_iter=2)
    caught(lambda: stack.fit(X))
    relu = DeepMLPClassifier(hidden_layer_sizes=(8,), pretraining=stack, max_iter=2)
    (message,) = caught(lambda: relu.fit(X, y))[UserWarning]
    assert "activation='logistic' in the stack but 'relu' here" in message
    same = clone(relu).set_params(activation="logistic", pretraining=stack)
    assert UserWarning not in caught(lambda: same.fit(X, y))


def test_lbfgs_with_dropout_error_shows_a_grid_that_works(digits):
    X, _, y, _ = digits
    with pytest.raises(ValueError, match=re.escape("[{'solver': ['adam'], 'dropout'")):
        DeepMLPRegressor(solver="lbfgs", dropout=0.3).fit(X, y)

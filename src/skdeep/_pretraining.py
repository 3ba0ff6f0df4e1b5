"""Greedy layer-wise pretraining of an MLP's hidden layers, then handed back for fine-tuning.

Three recipes from the lectures, all writing into the hidden layers (Dense and, with batch
normalisation, BatchNorm) of an estimator's freshly initialised network:

- unsupervised ('autoencoder', 'denoising'): a :class:`StackedAutoencoder` with the hidden layer
  sizes, whose encoders become the hidden layers;
- 'supervised': a one-hidden-layer network of the estimator's own kind is trained on the frozen
  features of the layers below; its hidden layer becomes the next one, its output layer is dropped;
- 'rbm': a deep belief net, one restricted Boltzmann machine per hidden layer trained by
  contrastive divergence (:mod:`skdeep._rbm`), whose weights and hidden biases become the layers;
- a fitted StackedAutoencoder: its encoders are transferred as they are.

Each pretraining fit is one labelled stage of the estimator's fit (its verbose lines and
scikit-learn's progress bar say which layers and which recipe). ``pretraining_max_iter`` is a
budget rather than a convergence target, so a stage that uses it up does not warn.
"""

import warnings
from collections.abc import Callable
from numbers import Integral, Real
from typing import NamedTuple

from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.utils._param_validation import HasMethods, Interval, StrOptions
from sklearn.utils.validation import check_is_fitted

from ._base import child_training_parameters
from ._autoencoder_base import check_noise
from ._maxout import MAXOUT
from ._rbm import check_rbm, pretrain_rbms
from ._reporting import fit_stage
from ._training import collecting_convergence_notices
from .autoencoders import StackedAutoencoder
from .layers import copy_block_state
from .noise import NOISES

def check_pretraining(estimator, sizes):
    """Fail fast on pretraining settings that cannot work with this architecture."""
    if estimator.activation == MAXOUT and estimator.pretraining not in (None, "supervised"):
        # The autoencoders have no maxout code: a tied decoder would need n_units * pieces
        # inputs, and a stack's encoders have n_units outputs where a maxout block has more.
        # An RBM's hidden unit is one logistic unit, not a maximum over pieces.
        recipe = estimator.pretraining
        what = repr(recipe) if isinstance(recipe, str) else "a fitted StackedAutoencoder"
        learner = "RBMs" if recipe == "rbm" else "autoencoders"
        raise ValueError(
            f"pretraining={what} cannot initialise maxout hidden layers: the {learner} "
            "do not support activation='maxout'. Use pretraining='supervised' or None, or "
            "another activation."
        )
    if estimator.pretraining == "denoising":
        check_noise(
            estimator.pretraining_noise, estimator.pretraining_noise_level, len(sizes),
            estimator.solver, prefix="pretraining_",
        )
    elif estimator.pretraining == "rbm":
        check_rbm(estimator)
    elif estimator.pretraining is not None and not isinstance(estimator.pretraining, str):
        stack = _unwrap(estimator.pretraining)
        stack_sizes = [block.dense.n_outputs for block in stack._encoders]
        if stack_sizes != list(sizes):
            raise ValueError(
                f"The pretrained StackedAutoencoder has layer sizes {tuple(stack_sizes)} but "
                f"hidden_layer_sizes is {tuple(sizes)}; they must match."
            )
        _warn_if_features_change(estimator, stack)


def _warn_if_features_change(estimator, stack):
    """Warn when the network would not compute the features the stack learned."""
    differences = [
        f"{name}={getattr(stack, name)!r} in the stack but {getattr(estimator, name)!r} here"
        for name in ("activation", "batch_norm")
        if getattr(stack, name) != getattr(estimator, name)
    ]
    if differences:
        warnings.warn(
            f"The pretrained StackedAutoencoder's encoders are transferred into a network that "
            f"applies them differently ({'; '.join(differences)}): fine-tuning starts from "
            "weights learned for other features. Give both the same activation and batch_norm.",
            UserWarning,
        )


def _unwrap(pretrained):
    """The fitted StackedAutoencoder inside ``pretrained`` (bare, or in a FrozenEstimator)."""
    stack = getattr(pretrained, "estimator", pretrained)
    if not isinstance(stack, StackedAutoencoder):
        raise ValueError(
            "pretraining must be 'autoencoder', 'denoising', 'supervised', 'rbm', None, or a "
            f"fitted StackedAutoencoder; got {type(stack).__name__}."
        )
    try:
        check_is_fitted(stack)
    except NotFittedError as error:
        raise NotFittedError(
            "pretraining is a StackedAutoencoder that is not fitted. A fitted one loses its "
            "weights when it is cloned, as GridSearchCV, cross_val_score and other "
            "meta-estimators clone their estimator's parameters: pass "
            "pretraining=FrozenEstimator(stack) (sklearn.frozen) to keep it fitted."
        ) from error
    return stack


def _shared_training_parameters(estimator):
    """The estimator's optimisation settings, for the networks trained during pretraining."""
    return child_training_parameters(
        estimator, max_iter=estimator.pretraining_max_iter, early_stopping=False,
        learning_rate_init=estimator.pretraining_learning_rate or estimator.learning_rate_init,
    )


def _stack(estimator, X, y, sample_weight, dropout):
    """'autoencoder' and 'denoising': a StackedAutoencoder of the hidden sizes, trained greedily."""
    sizes = [block.dense.n_outputs for block in estimator._network.blocks]
    denoising = estimator.pretraining == "denoising"
    stack = StackedAutoencoder(
        hidden_layer_sizes=sizes,
        noise=estimator.pretraining_noise if denoising else None,
        noise_level=estimator.pretraining_noise_level if denoising else 0.0,
        activation=estimator.activation,
        **_shared_training_parameters(estimator),
    )
    recipe = "denoising autoencoders" if denoising else "autoencoders"
    label = (
        f"Pretraining {len(sizes)} hidden layer(s) {tuple(sizes)} greedily as {recipe}, "
        f"{estimator.pretraining_max_iter} epochs each (pretraining_max_iter):"
    )
    with fit_stage(estimator, stack, f"pretraining ({recipe})", label):
        stack.fit(X, sample_weight=sample_weight)
    _transfer_encoders(stack, estimator)


def _supervised(estimator, X, y, sample_weight, dropout):
    """'supervised': one hidden layer at a time, each on the frozen features of those below."""
    network = estimator._network
    target_blocks = network.blocks
    for depth, block in enumerate(target_blocks):
        n_units = block.n_units
        features = network.features(X, depth)
        single = clone(estimator).set_params(
            **_shared_training_parameters(estimator),
            hidden_layer_sizes=(n_units,),
            dropout=dropout[depth],
            input_dropout=estimator.input_dropout if depth == 0 else 0.0,
            anneal_dropout=False,
            pretraining=None,
        )
        # clone keeps scikit-learn callbacks; the stage receives the propagated ones instead.
        single.__dict__.pop("_skl_callbacks", None)
        if "class_weight" in single.get_params():
            # sample_weight already carries the class weights.
            single.set_params(class_weight=None)
        label = (
            f"Pretraining hidden layer {depth + 1} of {len(target_blocks)} ({n_units} "
            f"units, supervised), {estimator.pretraining_max_iter} epochs "
            "(pretraining_max_iter):"
        )
        with fit_stage(estimator, single, f"pretraining layer {depth + 1} (supervised)", label):
            single.fit(features, y, sample_weight=sample_weight)
        copy_block_state(single._network.blocks[0], block)


def _transfer_encoders(stack, estimator):
    for source, target in zip(stack._encoders, estimator._network.blocks):
        copy_block_state(source, target)


class Recipe(NamedTuple):
    """A greedy pretraining recipe: how to run it, and how many stages (nested fits) it has."""

    run: Callable  # run(estimator, X, y, sample_weight, dropout) writes the hidden blocks
    n_stages: Callable  # n_stages(n_hidden) -> int


# The recipes ``pretraining`` names. A new one is a function like those above (in a module of
# its own if it is large) and one entry here; the parameter table takes its options from here.
RECIPES = {
    "autoencoder": Recipe(_stack, lambda n_hidden: 1),
    "denoising": Recipe(_stack, lambda n_hidden: 1),
    "supervised": Recipe(_supervised, lambda n_hidden: n_hidden),
    "rbm": Recipe(pretrain_rbms, lambda n_hidden: n_hidden),
}

PRETRAINING_CONSTRAINTS = {
    "pretraining": [StrOptions(set(RECIPES)), HasMethods(["transform"]), None],
    "pretraining_noise": [StrOptions(set(NOISES))],
    "pretraining_noise_level": [Interval(Real, 0, None, closed="left"), "array-like"],
    "pretraining_max_iter": [Interval(Integral, 1, None, closed="left")],
    "pretraining_learning_rate": [Interval(Real, 0, None, closed="neither"), None],
    "pretraining_cd_steps": [Interval(Integral, 1, None, closed="left")],
    "pretraining_persistent": ["boolean"],
}


def n_pretraining_stages(estimator, n_hidden):
    """How many pretraining fits ``estimator`` runs (none for a fitted stack, or None)."""
    recipe = RECIPES.get(estimator.pretraining) if isinstance(estimator.pretraining, str) else None
    return 0 if recipe is None else recipe.n_stages(n_hidden)


def pretrain(estimator, X, y, sample_weight, dropout):
    """Initialise the hidden layers of ``estimator._network`` by greedy layer-wise pretraining.

    Parameters
    ----------
    estimator : BaseDeepMLP
        With its network built and randomly initialised.
    X : {ndarray, sparse matrix} of shape (n_samples, n_features)
    y : ndarray
        Targets as the estimator's ``fit`` takes them (for 'supervised').
    sample_weight : ndarray of shape (n_samples,) or None
    dropout : list of float
        The checked dropout rate of each hidden layer (for 'supervised').
    """
    if isinstance(estimator.pretraining, str):
        # The stages' budget is pretraining_max_iter by design: reaching it is no news.
        with collecting_convergence_notices():
            RECIPES[estimator.pretraining].run(estimator, X, y, sample_weight, dropout)
        return
    stack = _unwrap(estimator.pretraining)
    if stack.n_features_in_ != X.shape[1]:
        raise ValueError(
            f"X has {X.shape[1]} features, but the pretrained StackedAutoencoder was fitted "
            f"with {stack.n_features_in_} features."
        )
    _transfer_encoders(stack, estimator)

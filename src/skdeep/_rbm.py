"""Restricted Boltzmann machines trained by contrastive divergence: the 'rbm' pretraining recipe.

A deep belief net (Hinton, Osindero & Teh, 2006) is pretrained greedily: an RBM on the data,
then one on the hidden probabilities of the one below, and so on; each RBM's weights and hidden
biases then become a hidden layer of the MLP, which is fine-tuned as a whole.

An RBM with visible units ``v``, hidden units ``h``, weights ``W`` and biases ``b`` (visible),
``c`` (hidden) has the energy

- Bernoulli visible units (data in [0, 1]): ``E(v, h) = -b.v - c.h - v.W.h``;
- Gaussian visible units of unit variance: ``E(v, h) = |v - b|^2 / 2 - c.h - v.W.h``;

so ``p(h_j = 1 | v) = sigmoid(c_j + v.W_j)`` in both, and ``p(v | h)`` is Bernoulli with mean
``sigmoid(b + W h)`` or Gaussian with mean ``b + W h``. Summing out ``h`` gives the free energy
``F(v) = -b.v - sum_j softplus(c_j + v.W_j)`` (Bernoulli; ``|v - b|^2 / 2`` replaces ``-b.v``
for Gaussian units), ``p(v) = exp(-F(v)) / Z``. The log-likelihood's gradient is a data term
minus a model term; CD-k estimates the model term with ``k`` steps of Gibbs sampling started at
the data, PCD-k carries on the chains of the previous batch ("fantasy particles").

The RBM keeps its parameters in one flat vector (weights first) with a gradient vector of the
same layout, as a :class:`~skdeep.network.Network` does, so the estimator's own optimiser and
weight penalty step it through :func:`~skdeep._training.penalised_step`; the sigmoid of the
hidden and visible means runs in the layers' compiled kernel.
"""

import warnings

import numpy as np

from ._kernels._elementwise import activate
from ._random import child_seed
from ._reporting import CallbackTasks, fit_stage
from ._training import as_dense, batch_weight, penalised_step
from .activations import ACTIVATION_CODES
from .optimisers import make_optimiser
from .penalties import make_penalty

_LOGISTIC = ACTIVATION_CODES["logistic"]
_IDENTITY = ACTIVATION_CODES["identity"]
VISIBLE_UNITS = ("bernoulli", "gaussian")
# The initial weights' standard deviation: Hinton's "practical guide" (2010), section 8.
_INITIAL_WEIGHT_SCALE = 0.01


class RBM:
    """A restricted Boltzmann machine over one flat parameter vector.

    Parameters
    ----------
    n_visible, n_hidden : int
        Numbers of visible and hidden units.
    visible : {'bernoulli', 'gaussian'}, default='bernoulli'
        Visible units: binary (data in [0, 1], read as probabilities) or Gaussian of unit
        variance (standardised data).
    dtype : {numpy.float32, numpy.float64}, default=numpy.float64

    Attributes
    ----------
    params, grads : ndarray of shape (n_visible * n_hidden + n_hidden + n_visible,)
        The weights, hidden biases and visible biases, and a gradient of the same layout.
    n_weights : int
        Length of the weight block (what a weight penalty touches).
    weights : ndarray of shape (n_visible, n_hidden)
    hidden_biases : ndarray of shape (n_hidden,)
    visible_biases : ndarray of shape (n_visible,)
        Views into ``params`` (``grad_weights`` and so on: views into ``grads``).
    """

    def __init__(self, n_visible, n_hidden, visible="bernoulli", dtype=np.float64):
        self.n_visible = n_visible
        self.n_hidden = n_hidden
        self.visible = visible
        self.n_weights = n_visible * n_hidden
        self.params = np.zeros(self.n_weights + n_hidden + n_visible, dtype=dtype)
        self.grads = np.zeros_like(self.params)
        for prefix, vector in (("", self.params), ("grad_", self.grads)):
            weights, hidden, visible_part = np.split(
                vector, [self.n_weights, self.n_weights + n_hidden]
            )
            setattr(self, prefix + "weights", weights.reshape(n_visible, n_hidden))
            setattr(self, prefix + "hidden_biases", hidden)
            setattr(self, prefix + "visible_biases", visible_part)

    def initialise(self, X, rng):
        """Small random weights, zero hidden biases, visible biases that fit the data's means.

        With zero weights the model's visible means are those of its visible biases alone, so
        ``b = log(m / (1 - m))`` (Bernoulli) or ``b = m`` (Gaussian), ``m`` the data's mean,
        starts the model at the data's marginals (Hinton's practical guide, section 8).
        """
        self.weights[...] = rng.normal(0.0, _INITIAL_WEIGHT_SCALE, self.weights.shape)
        self.hidden_biases[...] = 0.0
        means = np.asarray(X.mean(axis=0), dtype=np.float64).ravel()
        if self.visible == "bernoulli":
            # Clipped: a pixel that is always 0 would otherwise get an infinite bias.
            means = np.clip(means, 1e-3, 1 - 1e-3)
            means = np.log(means / (1 - means))
        self.visible_biases[...] = means

    def hidden_probabilities(self, V):
        """``p(h = 1 | v)`` for each row of ``V`` (dense or sparse)."""
        P = np.ascontiguousarray(V @ self.weights, dtype=self.params.dtype)
        activate(P, self.hidden_biases, _LOGISTIC)
        return P

    def visible_means(self, H):
        """``E[v | h]``: the Bernoulli probabilities or the Gaussian means."""
        M = np.ascontiguousarray(H @ self.weights.T)
        activate(M, self.visible_biases, _LOGISTIC if self.visible == "bernoulli" else _IDENTITY)
        return M

    def sample_hidden(self, P, rng):
        """Binary hidden states drawn with probabilities ``P``."""
        return (rng.random(P.shape, dtype=P.dtype) < P).astype(P.dtype)

    def sample_visible(self, M, rng):
        """Visible states drawn given their means ``M`` (binary, or Gaussian of unit variance)."""
        if self.visible == "bernoulli":
            return self.sample_hidden(M, rng)
        return M + rng.standard_normal(M.shape, dtype=M.dtype)

    def gibbs(self, P, n_steps, rng):
        """Run ``n_steps`` of block Gibbs sampling ``h -> v -> h`` from hidden probabilities ``P``.

        Returns
        -------
        V, P : ndarray
            The last visible states, and the hidden probabilities given them (the
            Rao-Blackwellised hidden statistics of the negative phase).
        """
        for _ in range(n_steps):
            V = self.sample_visible(self.visible_means(self.sample_hidden(P, rng)), rng)
            P = self.hidden_probabilities(V)
        return V, P

    def free_energy(self, V):
        """``F(v)`` of each row of ``V``: ``p(v)`` is proportional to ``exp(-F(v))``."""
        V = np.asarray(as_dense(V), dtype=np.float64)
        pre_activations = V @ self.weights.astype(np.float64) + self.hidden_biases
        hidden_term = np.logaddexp(0.0, pre_activations).sum(axis=1)
        biases = self.visible_biases.astype(np.float64)
        if self.visible == "bernoulli":
            return -V @ biases - hidden_term
        return 0.5 * ((V - biases) ** 2).sum(axis=1) - hidden_term

    def set_gradient(self, positive, negative):
        """Write the CD estimate of the negative log-likelihood's gradient into ``grads``.

        ``grad = <v h>_negative - <v h>_positive`` (and likewise ``<h>`` for the hidden
        biases, ``<v>`` for the visible ones): descending it raises the data's probability
        and lowers that of the samples.

        Parameters
        ----------
        positive, negative : tuple of (V, P, sample_weight or None)
            The visible states, their hidden probabilities and the rows' weights of each
            phase; each phase's averages are weighted means.
        """
        self.grads[...] = 0.0
        for sign, (V, P, weights) in ((-1.0, positive), (1.0, negative)):
            total = batch_weight(V, weights)
            weighted = P if weights is None else P * weights[:, None]
            self.grad_weights += (sign / total) * np.asarray(V.T @ weighted)
            self.grad_hidden_biases += (sign / total) * weighted.sum(axis=0)
            visible_sum = V.sum(axis=0) if weights is None else weights @ V
            self.grad_visible_biases += (sign / total) * np.asarray(visible_sum).ravel()


def train_rbm(rbm, X, sample_weight, *, epochs, batch_size, cd_steps, persistent, optimiser,
              penalty, rng, shuffle=True, report=None, track_reconstruction=False):
    """Train ``rbm`` on the rows of ``X`` by CD-k (or PCD-k) for ``epochs`` epochs.

    Parameters
    ----------
    rbm : RBM
    X : {ndarray, sparse matrix} of shape (n_samples, n_visible)
        Each mini-batch of a sparse ``X`` is densified on its own.
    sample_weight : ndarray of shape (n_samples,) or None
        Weights of the data's rows in the positive phase (and in CD's negative phase, whose
        chains start at those rows; PCD's chains are not data and weigh alike).
    epochs, batch_size, cd_steps : int
    persistent : bool
        PCD: keep one chain per row of a batch from batch to batch, started at the first batch.
    optimiser : Optimiser
        Steps ``rbm.params`` down ``rbm.grads``.
    penalty : WeightPenalty
        Weight decay on ``rbm.weights`` (scaled by the batch's total weight, as in training).
    rng : numpy.random.Generator
        Shuffles and Gibbs samples.
    shuffle : bool, default=True
    report : callable, default=None
        ``report(epoch, reconstruction_error)`` after each epoch; a True return stops training.
    track_reconstruction : bool, default=False
        Measure each epoch's mean squared reconstruction error (else ``report`` gets None).
    """
    n_samples = X.shape[0]
    chains = None
    for epoch in range(1, epochs + 1):
        order = rng.permutation(n_samples) if shuffle else np.arange(n_samples)
        squared_error = 0.0
        for start in range(0, n_samples, batch_size):
            batch = order[start : start + batch_size]
            V0 = np.asarray(as_dense(X[batch]), dtype=rbm.params.dtype)
            weights = None if sample_weight is None else sample_weight[batch]
            P0 = rbm.hidden_probabilities(V0)
            if persistent:
                if chains is None:
                    chains = P0
                Vk, chains = rbm.gibbs(chains, cd_steps, rng)
                negative = (Vk, chains, None)
            else:
                Vk, Pk = rbm.gibbs(P0, cd_steps, rng)
                negative = (Vk, Pk, weights)
            rbm.set_gradient((V0, P0, weights), negative)
            penalised_step(rbm, penalty, optimiser, 1.0 / batch_weight(V0, weights))
            if track_reconstruction:
                # The mean-field reconstruction draws nothing, so reporting never shifts the
                # random stream: a verbose fit is the same fit.
                squared_error += float(((rbm.visible_means(P0) - V0) ** 2).sum())
        error = squared_error / n_samples if track_reconstruction else None
        if report is not None and report(epoch, error):
            break


def visible_units(X, depth):
    """Bernoulli visible units for data in [0, 1] (and every upper layer), else Gaussian."""
    if depth > 0 or (X.min() >= 0 and X.max() <= 1):
        return "bernoulli"
    return "gaussian"


def transfer(rbm, dense, activation, below_is_tanh):
    """Write the RBM's weights and hidden biases into the MLP's ``dense`` layer.

    A logistic unit computes the RBM's ``p(h | v)`` itself. A tanh unit computes the same
    feature rescaled to [-1, 1] exactly, as ``tanh(x / 2) = 2 sigmoid(x) - 1``: the
    pre-activation is halved, and a layer above a tanh one, whose input is ``u = 2 p - 1``
    rather than ``p``, reads ``p = (u + 1) / 2`` in its weights (``W / 2``) and biases
    (``c + sum_i W_i / 2``). Other activations receive the weights as they are.
    """
    weights = rbm.weights.astype(np.float64)
    biases = rbm.hidden_biases.astype(np.float64)
    if below_is_tanh:
        weights, biases = weights / 2, biases + weights.sum(axis=0) / 2
    if activation == "tanh":
        weights, biases = weights / 2, biases / 2
    dense.weights[...] = weights
    dense.biases[...] = biases


def _identity_batch_norm(network, X):
    """Make each batch normalisation the identity on the training data, bottom to top.

    Scale and shift are set to the standard deviation and mean of the pre-activations they
    normalise (and the running statistics to those statistics), so the network starts by
    computing the deep belief net's features, and fine-tuning learns from there. Each
    layer's statistics are those of its inputs through the layers below, already set.
    """
    for block in network.blocks:
        network.recompute_batch_norm_statistics(X)
        norm = block.batch_norm
        norm.scale[...] = np.sqrt(norm.running_var + norm.epsilon)
        norm.shift[...] = norm.running_mean


def _warn_if_not_logistic(activation):
    if activation not in ("logistic", "tanh"):
        warnings.warn(
            f"pretraining='rbm' trains logistic hidden units, but activation={activation!r}: "
            "its weights and hidden biases are transferred as they are, so fine-tuning starts "
            "from weights learned for other features. Use activation='logistic' (or 'tanh', "
            "into which the features transfer exactly).",
            UserWarning,
        )


def check_rbm(estimator):
    """Refuse settings contrastive divergence cannot train with."""
    if estimator.solver == "lbfgs":
        raise ValueError(
            "pretraining='rbm' needs a stochastic solver: contrastive divergence follows a "
            "sampled estimate of the likelihood's gradient, with no objective L-BFGS could "
            "evaluate. Use solver='sgd' or 'adam' (or another stochastic solver), or another "
            "pretraining."
        )


def _layer_reporter(estimator, context, n_epochs, X, sample_weight):
    """``report`` of one layer's training: verbose lines and the stage's epoch subtasks."""
    metadata = None if sample_weight is None else {"sample_weight": sample_weight}
    tasks = CallbackTasks(
        estimator, context, "epoch", n_epochs, {"X": X, "y": None, "metadata": metadata}
    )

    def report(epoch, reconstruction_error):
        if estimator.verbose:
            print(f"Iteration {epoch}, reconstruction error = {reconstruction_error:.8f}",
                  flush=True)
        return tasks.end()

    return report, tasks


def pretrain_rbms(estimator, X, y, sample_weight, dropout):
    """'rbm': train a deep belief net greedily and hand its layers to the hidden blocks.

    Each RBM trains for ``pretraining_max_iter`` epochs with the estimator's solver, momentum
    and weight penalty, at ``pretraining_learning_rate`` (``learning_rate_init`` if None), on
    mini-batches of ``batch_size``; each is one stage of the fit. The labels ``y`` and the
    dropout rates play no part.
    """
    network = estimator._network
    blocks = network.blocks
    _warn_if_not_logistic(estimator.activation)
    learning_rate = estimator.pretraining_learning_rate or estimator.learning_rate_init
    penalty = make_penalty(estimator.alpha, estimator.l1)
    chain = "PCD" if estimator.pretraining_persistent else "CD"
    method = f"{chain}-{estimator.pretraining_cd_steps}"
    n_epochs = estimator.pretraining_max_iter
    V = X
    for depth, block in enumerate(blocks):
        dense = block.dense
        visible = visible_units(V, depth)
        rbm = RBM(dense.n_inputs, dense.n_outputs, visible, dtype=network.dtype)
        rng = np.random.default_rng(child_seed(estimator._rng))
        rbm.initialise(V, rng)
        optimiser = make_optimiser(
            estimator.solver, learning_rate, momentum=estimator.momentum,
            nesterovs_momentum=estimator.nesterovs_momentum, beta_1=estimator.beta_1,
            beta_2=estimator.beta_2, epsilon=estimator.epsilon, rho=estimator.rho,
            from_estimator=True,
        )
        label = (
            f"Pretraining hidden layer {depth + 1} of {len(blocks)} ({dense.n_outputs} units, "
            f"RBM with {visible} visible units, {method}), {n_epochs} epochs "
            "(pretraining_max_iter):"
        )
        stage = f"pretraining layer {depth + 1} (rbm)"
        with fit_stage(estimator, None, stage, label, max_subtasks=n_epochs) as context:
            report, tasks = _layer_reporter(estimator, context, n_epochs, V, sample_weight)
            try:
                train_rbm(
                    rbm, V, sample_weight, epochs=n_epochs,
                    batch_size=estimator._batch_size(V.shape[0]),
                    cd_steps=estimator.pretraining_cd_steps,
                    persistent=estimator.pretraining_persistent, optimiser=optimiser,
                    penalty=penalty, rng=rng, shuffle=estimator.shuffle, report=report,
                    track_reconstruction=bool(estimator.verbose),
                )
            finally:
                tasks.close()
        below_is_tanh = depth > 0 and estimator.activation == "tanh"
        transfer(rbm, dense, estimator.activation, below_is_tanh)
        if depth + 1 < len(blocks):
            V = rbm.hidden_probabilities(V)
    if estimator.batch_norm:
        _identity_batch_norm(network, X)

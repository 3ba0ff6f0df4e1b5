"""Docstring fragments shared by the estimators (one text per idea, composed into ``__doc__``)."""

MLP_ARCHITECTURE = """\
hidden_layer_sizes : array-like of shape (n_layers - 2,), default=(100,)
        The ith element represents the number of neurons in the ith hidden layer.

    activation : {'identity', 'logistic', 'tanh', 'relu', 'leaky_relu', 'elu', 'softplus', \
'maxout'}, default='relu'
        Activation function of the hidden layers. 'maxout' (Goodfellow et al., 2013) makes each
        hidden unit the largest of ``maxout_pieces`` affine functions of the layer's input,
        ``h_j = max_p z_{j * k + p}`` with ``z = x W + b`` and ``k = maxout_pieces``; its
        gradient flows to the winning piece only (the first of tied ones). It works with every
        solver, dropout (after the max), batch normalisation (over the pieces, before the max),
        ``max_norm`` (per piece), ``weight_init`` and ``pretraining='supervised'``; the
        autoencoders have no maxout code, so the other pretraining recipes refuse it.

    maxout_pieces : int, default=2
        Number of affine pieces of each maxout unit (at least 2). Each hidden layer of
        ``n`` units then has a weight matrix of ``n * maxout_pieces`` columns (see
        ``coefs_``). Ignored unless ``activation='maxout'``, as scikit-learn ignores
        parameters of options not in use.
"""

OPTIMISATION_PARAMETERS = """\
solver : {'adam', 'sgd', 'lbfgs', 'adagrad', 'rmsprop', 'adadelta', 'adamax', 'nadam', \
'amsgrad'}, default='adam'
        The optimiser. 'lbfgs' is scipy's full-batch quasi-Newton method; the others are
        stochastic and train on mini-batches (their update rules are in :mod:`skdeep.optimisers`).
        'adadelta' has no learning rate: it ignores ``learning_rate_init`` and ``epsilon`` (its
        steps are scaled by the schedule starting from 1, with epsilon 1e-6 as in Zeiler's paper).

    alpha : float, default=0.0001
        Strength of the L2 penalty on the weights, divided by the batch's total sample weight as
        in scikit-learn.

    batch_size : int or 'auto', default='auto'
        Size of the mini-batches of stochastic solvers; 'auto' is ``min(200, n_samples)``.

    learning_rate : {'constant', 'invscaling', 'adaptive', 'exponential', 'step', 'newbob', \
'cosine'}, default='constant'
        Learning-rate schedule. As in scikit-learn, 'invscaling' and 'adaptive' apply to
        'sgd' and are ignored by 'adam'; every other combination of schedule and stochastic
        solver applies as named:

        - 'constant': ``learning_rate_init``;
        - 'invscaling': ``learning_rate_init / (t + 1) ** power_t``, t the samples seen;
        - 'adaptive': constant, divided by 5 each time ``n_iter_no_change`` epochs fail to
          improve by ``tol``;
        - 'exponential': ``learning_rate_init * learning_rate_decay ** epoch``;
        - 'step': ``learning_rate_init * learning_rate_decay ** (epoch // learning_rate_step)``;
        - 'newbob': constant until the monitored score stops improving (as for 'adaptive'),
          then halved every epoch (the classic factor 0.5) until it stops improving again;
        - 'cosine': cosine decay from ``learning_rate_init`` to 0 over ``max_iter`` epochs.

    learning_rate_init : float, default=0.001
        The initial learning rate.

    power_t : float, default=0.5
        Exponent of the 'invscaling' schedule.

    max_iter : int, default=200
        Maximum number of epochs (iterations for 'lbfgs').

    shuffle : bool, default=True
        Whether to shuffle the samples in each epoch.

    random_state : int, RandomState instance or None, default=None
        Seeds initialisation, shuffling, the validation split, dropout masks and corruption
        noise. The first three are drawn as scikit-learn's MLPs draw them, so the same int
        gives their model; as there, each call (``partial_fit`` included) starts again from
        an int seed. Pass an int for reproducible (bit-identical) fits.

    tol : float, default=1e-4
        Improvement of the training loss (or validation score) below which an epoch counts as
        no improvement.

    verbose : bool or int, default=False
        Print progress messages: scikit-learn's ``Iteration N, loss = ...`` lines (and the
        validation score and stopping messages); from 2 on, each line also shows the
        validation loss, the learning rate and the epoch's duration. Each pretraining stage
        (each layer of a stack) prints a label before its own lines.

    warm_start : bool, default=False
        Reuse the previous solution as initialisation of the next call to fit.

    momentum : float, default=0.9
        Momentum of 'sgd', in [0, 1].

    nesterovs_momentum : bool, default=True
        Whether 'sgd' uses Nesterov's momentum.

    early_stopping : bool, default=False
        Hold out ``validation_fraction`` of the training data and stop when its score fails to
        improve by ``tol`` for ``n_iter_no_change`` epochs; the best weights are restored.

    validation_fraction : float, default=0.1
        Proportion of the training data held out for early stopping.

    beta_1 : float, default=0.9
        Decay of the first-moment estimates (Adam family).

    beta_2 : float, default=0.999
        Decay of the second-moment estimates (Adam family).

    epsilon : float, default=1e-8
        Numerical-stability constant of the adaptive solvers.

    n_iter_no_change : int, np.inf or 'inf', default=10
        Number of epochs without improvement that stop training (or trigger a schedule).

    max_fun : int, default=15000
        Maximum number of loss evaluations of 'lbfgs'.

    weight_init : {'auto', 'glorot_uniform', 'glorot_normal', 'he_uniform', 'he_normal', \
'lecun_uniform', 'lecun_normal'}, default='auto'
        Weight initialisation. 'auto' is scikit-learn's MLP initialisation; the named schemes
        draw weights with variance ``2 / (fan_in + fan_out)`` (Glorot), ``2 / fan_in`` (He) or
        ``1 / fan_in`` (LeCun) and start biases at zero.

    batch_norm : bool, default=False
        Normalise each hidden layer's pre-activations over the mini-batch, with a learned scale
        and shift.

    batch_norm_momentum : float, default=0.9
        Weight of the old value in the running averages of the batch statistics.

    batch_norm_statistics : {'running', 'population'}, default='running'
        Statistics used at prediction time: the running averages, or the mean and variance of
        each layer's inputs recomputed over the whole training set after ``fit`` (always the
        latter with 'lbfgs', which trains on the whole set).

    max_norm : float, default=None
        If set, rescale each unit's incoming weight vector after every update so that its
        Euclidean norm is at most ``max_norm``.

    l1 : float, default=0.0
        Strength of the L1 penalty on the weights (scaled like ``alpha``).

    rho : float, default=0.9
        Decay of the squared-gradient average of 'rmsprop' and 'adadelta'.

    learning_rate_decay : float, default=0.95
        Factor of the 'exponential' (per epoch) and 'step' (per step) schedules.

    learning_rate_step : int, default=10
        Epochs per step of the 'step' schedule.

    on_epoch_end : callable, default=None
        ``on_epoch_end(estimator, record)`` is called after every epoch of a stochastic solver
        with that epoch's record (the dict appended to ``history_``); returning True stops
        training. For scikit-learn's own callbacks use ``set_callbacks`` where available.
"""

MLP_REGULARISATION = """\
dropout : float or array-like of shape (n_layers - 2,), default=0.0
        Probability of dropping each hidden unit during training (inverted dropout: kept units
        are scaled by ``1 / (1 - p)`` so prediction needs no change). One rate, or one per hidden
        layer.

    input_dropout : float, default=0.0
        Probability of dropping each input feature during training.

    anneal_dropout : bool, default=False
        Decay the dropout rates linearly to zero over ``max_iter`` epochs.
"""

PRETRAINING_PARAMETERS = """\
pretraining : {'autoencoder', 'denoising', 'supervised', 'rbm'}, StackedAutoencoder or \
None, default=None
        Greedy layer-wise pretraining of the hidden layers at the first fit, before the whole
        network is fine-tuned with the settings above: 'autoencoder' and 'denoising' train one
        (denoising) autoencoder per hidden layer on the codes of the layer below; 'supervised'
        trains a one-hidden-layer network, then adds each next hidden layer on top of the frozen
        ones and trains only the new weights; 'rbm' trains a deep belief net, one restricted
        Boltzmann machine per hidden layer on the hidden probabilities of the one below, by
        contrastive divergence, and hands each one's weights and hidden biases to its layer
        (see Notes of ``pretraining_cd_steps``). A fitted :class:`StackedAutoencoder` with the same
        layer sizes initialises the hidden layers from its encoders (wrap it in
        ``sklearn.frozen.FrozenEstimator`` inside searches, so that cloning keeps it fitted).

    pretraining_noise : {'masking', 'gaussian', 'salt_and_pepper'}, default='masking'
        Corruption used by ``pretraining='denoising'``.

    pretraining_noise_level : float or array-like of shape (n_layers - 2,), default=0.3
        Its level: one value or one per hidden layer.

    pretraining_max_iter : int, default=10
        Epochs of each layer's pretraining: a budget, so a stage that uses it up does not warn.

    pretraining_learning_rate : float, default=None
        Learning rate of every pretraining stage; None uses ``learning_rate_init``. The classic
        deep-belief-net recipe pretrains at a larger rate than it fine-tunes (with
        ``solver='sgd'``, e.g. 0.05 for the RBMs and 0.01 for fine-tuning), and Gaussian
        visible units want about ten times less than Bernoulli ones.

    pretraining_cd_steps : int, default=1
        Gibbs steps ``k`` of each contrastive-divergence update of ``pretraining='rbm'``. Each
        RBM has the energy ``E(v, h) = -b.v - c.h - v.W.h`` (Bernoulli visible units, used when
        every training value lies in [0, 1], and always above the first layer) or
        ``|v - b|^2 / 2 - c.h - v.W.h`` (Gaussian visible units of unit variance, for other
        data: standardise it first), and logistic hidden units, ``p(h_j = 1 | v) =
        sigmoid(c_j + v.W_j)``. CD-k steps the estimator's solver (with its momentum and weight
        penalty, on mini-batches of ``batch_size``) down

        ``dW = <v p(h | v)>_k - <v p(h | v)>_0``, ``dc = <p(h | v)>_k - <p(h | v)>_0``,
        ``db = <v>_k - <v>_0``,

        ``<.>_0`` the (weighted) mean over the batch's data and ``<.>_k`` over the states after
        ``k`` steps of Gibbs sampling ``v -> h -> v`` started at them. Logistic hidden layers
        receive ``W`` and ``c``; 'tanh' ones the exact rescaling ``tanh(x / 2) = 2 sigmoid(x)
        - 1`` (each layer computes ``2 p(h | v) - 1``); other activations receive them as they
        are, with a warning. With ``batch_norm``, its scale and shift start as the standard
        deviation and mean of the pre-activations, so the network starts by computing the deep
        belief net's features. Needs a stochastic solver.

    pretraining_persistent : bool, default=False
        Persistent contrastive divergence (PCD, Tieleman 2008) for ``pretraining='rbm'``: the
        ``batch_size`` Gibbs chains of the negative phase carry on from batch to batch
        (started at the first batch) instead of restarting at each batch's data.
"""

AUTOENCODER_PARAMETERS = """\
noise : {'masking', 'gaussian', 'salt_and_pepper'} or None, default='masking'
        Corruption of each training batch's input (never of the target, never at transform
        time): 'masking' zeroes a fraction ``noise_level`` of the values, 'salt_and_pepper' sets
        that fraction to 0 or 1, 'gaussian' adds noise of standard deviation ``noise_level``.
        None trains a plain autoencoder.

    noise_level : float, default=0.3
        Amount of corruption; a fraction in [0, 1) for 'masking' and 'salt_and_pepper'.

    sparsity_weight : float, default=0.0
        Strength ``beta`` of a sparsity penalty on the code ``h`` (a sparse autoencoder), added
        to each batch's objective. For a 'logistic' code it is the Kullback-Leibler divergence
        of each unit's mean activation ``rho_hat_j`` over the batch from ``sparsity_target``
        ``rho``: ``beta * sum_j [rho log(rho / rho_hat_j) + (1 - rho) log((1 - rho) / (1 -
        rho_hat_j))]``; for every other activation it is an L1 penalty, ``beta * mean_n sum_j
        |h_nj|``. With sample weights the means over the batch are weighted means. 0 adds
        nothing.

    sparsity_target : float, default=0.05
        Target mean activation ``rho`` in (0, 1) of a 'logistic' code unit; unused by the L1
        penalty of the other activations.

    contraction : float, default=0.0
        Strength ``lambda`` of the contractive penalty (Rifai et al., 2011): ``lambda`` times
        the squared Frobenius norm of the encoder's Jacobian, averaged (sample-weighted) over
        the batch, in closed form ``lambda * mean_n sum_j f'(a_nj)^2 sum_i W_ij^2`` for the
        code ``h = f(a)``, ``a = x W + b`` (``f' = h (1 - h)`` for 'logistic', ``1 - h^2`` for
        'tanh'; every activation is supported). Needs ``batch_norm=False``. 0 adds nothing.

    activation : {'relu', 'logistic', 'tanh', 'leaky_relu', 'elu', 'softplus', 'identity'}, \
default='relu'
        Activation of the code layer. The classic papers use 'logistic'; sparse, unbounded relu
        codes are the more linearly separable features for a downstream linear model.

    tied_weights : bool, default=True
        Decode with the transpose of the encoder weights (one weight matrix to learn).

    loss : {'auto', 'cross_entropy', 'squared_error'}, default='auto'
        Reconstruction loss: Bernoulli cross-entropy with a logistic output, or squared error
        with a linear output; 'auto' picks cross-entropy when every training value lies in
        [0, 1].
"""

FITTED_ATTRIBUTES = """\
loss_ : float
        The current loss computed with the loss function.

    best_loss_ : float or None
        The minimum loss reached by the solver throughout fitting; None with early stopping.

    loss_curve_ : list of shape (`n_iter_`,)
        The training loss at the end of each epoch (stochastic solvers).

    validation_scores_ : list of shape (`n_iter_`,) or None
        The score on the validation split at the end of each epoch (early stopping only).

    best_validation_score_ : float or None
        The best validation score (early stopping only).

    history_ : list of dict
        One record per epoch of a stochastic solver (across ``partial_fit`` and warm-started
        calls): ``epoch``, training ``loss``, ``validation_loss`` and ``validation_score`` (None
        without validation data), ``learning_rate`` and ``seconds``.

    t_ : int
        The number of training samples seen by the solver during fitting.

    coefs_ : list of shape (n_layers - 1,)
        The ith element is the weight matrix between layer i and layer i + 1. With
        ``activation='maxout'`` a hidden layer of ``n`` units has ``n * maxout_pieces``
        columns, unit-major: piece ``p`` of unit ``j`` is column ``j * maxout_pieces + p``, so
        the layer's output is ``(X @ W + b).reshape(-1, n, maxout_pieces).max(axis=2)`` and the
        next matrix has ``n`` rows; ``intercepts_`` follow the same layout.

    intercepts_ : list of shape (n_layers - 1,)
        The ith element is the bias vector of layer i + 1.

    n_features_in_ : int
        Number of features seen during fit.

    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during fit, when X has string feature names.

    n_iter_ : int
        The number of iterations (epochs) the solver ran in the last call.

    n_layers_ : int
        Number of layers.

    n_outputs_ : int
        Number of outputs.
"""

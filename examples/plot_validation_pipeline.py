"""
==================================
Validation data through a pipeline
==================================

``fit(X, y, X_val=..., y_val=...)`` gives :class:`skdeep.DeepMLPClassifier` your own validation
set for early stopping. Inside a :class:`~sklearn.pipeline.Pipeline` the validation set has to
pass through the earlier steps too, exactly as the training data does. We fit the same network
behind a :class:`~sklearn.preprocessing.StandardScaler` three ways on scikit-learn's breast
cancer data (30 measurements on scales from thousandths to thousands): with the validation set
routed through the scaler by scikit-learn's metadata routing, with the step-name form
``deepmlpclassifier__X_val=`` (which hands it over unscaled), and with both sets scaled by
hand. See :ref:`ug_validation_pipeline`.
"""

# %%
# Data
# ----
# Half the 569 tumours train, a quarter decides when to stop, a quarter tests.
import warnings

import matplotlib.pyplot as plt
import numpy as np
import sklearn
from sklearn.datasets import load_breast_cancer
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler

from skdeep import DeepMLPClassifier

X, y = load_breast_cancer(return_X_y=True)
X_train, X_rest, y_train, y_rest = train_test_split(
    X, y, test_size=0.5, stratify=y, random_state=0
)
X_valid, X_test, y_valid, y_test = train_test_split(
    X_rest, y_rest, test_size=0.5, stratify=y_rest, random_state=0
)
settings = dict(
    hidden_layer_sizes=(32,),
    learning_rate_init=0.01,
    early_stopping=True,
    max_iter=100,
    random_state=0,
)

# %%
# Three fits of one model
# -----------------------
# Routing is switched on only around the fit that needs it: ``set_fit_request`` says which
# arguments the network takes, and ``transform_input`` which of them the pipeline passes
# through the fitted steps before it.
with warnings.catch_warnings():
    warnings.simplefilter("ignore", ConvergenceWarning)
    with sklearn.config_context(enable_metadata_routing=True):
        network = DeepMLPClassifier(**settings).set_fit_request(
            X_val=True, y_val=True
        )
        routed = Pipeline(
            [("scale", StandardScaler()), ("net", network)],
            transform_input=["X_val"],
        )
        routed.fit(X_train, y_train, X_val=X_valid, y_val=y_valid)

    unrouted = make_pipeline(StandardScaler(), DeepMLPClassifier(**settings))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", UserWarning)
        unrouted.fit(
            X_train,
            y_train,
            deepmlpclassifier__X_val=X_valid,
            deepmlpclassifier__y_val=y_valid,
        )

    scaler = StandardScaler().fit(X_train)
    by_hand = DeepMLPClassifier(**settings).fit(
        scaler.transform(X_train),
        y_train,
        X_val=scaler.transform(X_valid),
        y_val=y_valid,
    )

# Each network with its test accuracy (the pipelines scale the test set
# themselves).
fits = {
    "routed (transform_input)": (routed[-1], routed.score(X_test, y_test)),
    "step__X_val (unscaled)": (unrouted[-1], unrouted.score(X_test, y_test)),
    "scaled by hand": (
        by_hand,
        by_hand.score(scaler.transform(X_test), y_test),
    ),
}
print(f"{'':<26}{'epochs':>8}{'best validation':>17}{'test':>10}")
print(f"{'fit':<26}{'run':>8}{'accuracy':>17}{'accuracy':>10}")
for name, (net, accuracy) in fits.items():
    best = net.best_validation_score_
    print(f"{name:<26}{net.n_iter_:>8d}{best:>17.3f}{accuracy:>10.3f}")
same = np.allclose(routed[-1].validation_scores_, by_hand.validation_scores_)
print(f"routed and by hand record the same validation scores: {same}")
# The network cannot see the pipeline, but it sees two sets on different scales,
# and says so.
print(
    *(
        str(warning.message)[:76] + "..."
        for warning in caught
        if "another scale" in str(warning.message)
    ),
    sep="\n",
)

# %%
# What early stopping saw
# -----------------------
# The routed fit and the fit scaled by hand draw one curve. Fed unscaled measurements, the
# network trained on standardised ones predicts one class for every validation tumour, so early
# stopping sees no progress, stops and keeps the weights of its first epoch.
fig, ax = plt.subplots(figsize=(7, 4))
for (name, (net, accuracy)), style in zip(fits.items(), ["-", "-", ":"]):
    epochs = np.arange(1, len(net.validation_scores_) + 1)
    ax.plot(
        epochs,
        net.validation_scores_,
        style,
        label=f"{name}: test {accuracy:.3f}",
    )
ax.set(
    xlabel="epoch",
    ylabel="validation accuracy",
    title="The score early stopping watches",
)
ax.legend()
fig.tight_layout()
plt.show()

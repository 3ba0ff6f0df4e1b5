"""
=================================================
Tuning deep hyperparameters with GridSearchCV
=================================================

Weight initialisation, batch normalisation, dropout and the optimiser are ordinary
hyperparameters of :class:`skdeep.DeepMLPClassifier`, so scikit-learn's ``GridSearchCV`` tunes
them like any other. This grid (24 settings x 3 folds) runs on scikit-learn's digits.
"""

import time
import warnings

import pandas as pd
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV

from skdeep import DeepMLPClassifier

X, y = load_digits(return_X_y=True)
search = GridSearchCV(
    DeepMLPClassifier(hidden_layer_sizes=(256, 256), max_iter=50, random_state=0),
    {
        "weight_init": ["glorot_uniform", "he_normal"],
        "batch_norm": [False, True],
        "dropout": [0.0, 0.3],
        "solver": ["adam", "rmsprop", "sgd"],
    },
    cv=3,
    n_jobs=2,
)
start = time.perf_counter()
with warnings.catch_warnings():
    warnings.simplefilter("ignore", ConvergenceWarning)
    search.fit(X / 16, y)
print(f"searched {len(search.cv_results_['params'])} settings in {time.perf_counter() - start:.0f} s")
print("best:", search.best_params_, f"cv accuracy {search.best_score_:.4f}")
results = pd.DataFrame(search.cv_results_).sort_values("rank_test_score")
columns = ["param_solver", "param_weight_init", "param_batch_norm", "param_dropout",
           "mean_test_score", "mean_fit_time"]
print(results[columns].to_string(index=False))

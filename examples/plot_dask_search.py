"""
====================================
Successive halving on a Dask cluster
====================================

skdeep's estimators are ordinary scikit-learn estimators, so scikit-learn's searches run on a
`Dask <https://distributed.dask.org>`_ cluster through joblib's ``"dask"`` backend: every fit of
every candidate on every fold becomes a task that some worker runs. The search itself, its
``random_state`` and its results are exactly those of the same search run in one process.

This example starts a :class:`~distributed.LocalCluster` of two worker processes on this machine
and runs a successive-halving search,
:class:`~sklearn.model_selection.HalvingRandomSearchCV`, whose resource is the number of
training epochs, ``max_iter``: many settings of the deep hyperparameters (dropout, batch
normalisation, solver, greedy pretraining) are trained for a few epochs, and only the best third
of them goes on to train three times as long.

On a real cluster only the line that makes the client changes: connect to the scheduler
instead of starting a local cluster, ::

    client = Client("tcp://scheduler:8786")

and the rest runs unchanged. Every worker must have skdeep (the same version) installed.
"""

import textwrap
import time
import warnings

import joblib
import matplotlib.pyplot as plt
import numpy as np
from distributed import Client, LocalCluster
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.experimental import enable_halving_search_cv  # noqa: F401
from sklearn.model_selection import HalvingRandomSearchCV, train_test_split

from skdeep import DeepMLPClassifier

X, y = load_digits(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(
    X / 16, y, stratify=y, random_state=0
)


def blas_threads():
    """The BLAS libraries loaded in this process and the threads each uses."""
    # threadpoolctl lists the libraries loaded so far: load NumPy's BLAS first.
    import numpy  # noqa: F401
    from threadpoolctl import threadpool_info

    return {
        pool["internal_api"]: pool["num_threads"] for pool in threadpool_info()
    }


# %%
# Start a cluster
# ---------------
#
# Two worker processes with one thread each. Dask's nanny starts every worker with
# ``OMP_NUM_THREADS``, ``OPENBLAS_NUM_THREADS`` and ``MKL_NUM_THREADS`` set to 1, so each worker
# thread runs a single-threaded BLAS and the workers do not fight over the cores: the check
# below runs ``blas_threads`` inside each worker.
#
# Worker processes are started with multiprocessing's "spawn", which re-imports this script in
# every new process; whatever must happen only once (starting the cluster, fitting, plotting)
# is therefore guarded by ``if __name__ == "__main__":``.

if __name__ == "__main__":
    cluster = LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        host="127.0.0.1",
        dashboard_address=None,
    )
    client = Client(
        cluster
    )  # on a real cluster: client = Client("tcp://scheduler:8786")
    print(client)
    print("BLAS threads in each worker:")
    for worker, threads in client.run(blas_threads).items():
        print(f"  {worker}: {threads}")

# %%
# Successive halving over epochs
# ------------------------------
#
# 18 random settings train for 3 epochs, the best 6 of them for 9 and the best 2 for 27 (each
# with 3-fold cross-validation). ``pretraining_max_iter`` is the number of epochs of greedy
# pretraining per hidden layer, spent before the first epoch of training proper.

search = HalvingRandomSearchCV(
    DeepMLPClassifier(pretraining_max_iter=2, random_state=0),
    {
        "hidden_layer_sizes": [(64, 64), (128, 128), (64, 64, 64)],
        "learning_rate_init": [3e-4, 1e-3, 3e-3],
        "solver": ["adam", "rmsprop", "sgd"],
        "dropout": [0.0, 0.2, 0.4],
        "batch_norm": [False, True],
        "pretraining": [None, "autoencoder", "denoising"],
    },
    resource="max_iter",
    min_resources=3,
    max_resources=27,
    factor=3,
    n_candidates=18,
    cv=3,
    random_state=0,
)

if __name__ == "__main__":
    start = time.perf_counter()
    # Inside this block every joblib-parallel loop of scikit-learn sends its
    # work to the cluster; GridSearchCV and RandomizedSearchCV run there the
    # same way. A few epochs are not meant to converge; scikit-learn passes the
    # warning filter on to the workers.
    with joblib.parallel_backend("dask"), warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        search.fit(X_train, y_train)
    print(
        f"searched in {time.perf_counter() - start:.1f} s: candidates per round"
        f" {search.n_candidates_}, epochs per round {search.n_resources_}"
    )
    print(
        textwrap.fill(
            f"best: {search.best_params_}", 80, subsequent_indent="  "
        )
    )
    print(
        f"cross-validated accuracy {search.best_score_:.4f},"
        f" held-out accuracy {search.best_estimator_.score(X_test, y_test):.4f}"
    )

# %%
# Each candidate's cross-validated accuracy after each round: most are dropped after 3 epochs.


def setting(params):
    """A candidate's hyperparameters without the growing resource."""
    return str(
        {name: value for name, value in params.items() if name != "max_iter"}
    )


if __name__ == "__main__":
    results = search.cv_results_
    settings = [setting(params) for params in results["params"]]
    fig, ax = plt.subplots(figsize=(7, 4.5))
    for candidate in sorted(set(settings)):
        rows = [i for i, other in enumerate(settings) if other == candidate]
        epochs = np.asarray(results["n_resources"])[rows]
        scores = np.asarray(results["mean_test_score"])[rows]
        best = candidate == setting(search.best_params_)
        ax.plot(
            epochs,
            scores,
            "o-",
            color="C3" if best else "0.6",
            lw=2 if best else 1,
            zorder=3 if best else 2,
            label="best setting" if best else None,
        )
    ax.set_xscale("log", base=3)
    ax.set_xticks(search.n_resources_, [str(n) for n in search.n_resources_])
    ax.set_xlabel("training epochs (max_iter)")
    ax.set_ylabel("mean cross-validated accuracy")
    ax.set_title("Successive halving over epochs, on a Dask cluster")
    ax.legend(loc="lower right")
    fig.tight_layout()
    plt.show()

    client.close()
    cluster.close()

"""skdeep on a Dask cluster: distributed search, successive halving and incremental training.

One two-process ``distributed.LocalCluster`` on the loopback interface serves the whole module.
The tests need the ``distributed`` extra (``pip install "skdeep[distributed]"``) and skip without
it; CI installs only ``.[test]``, so there they are skipped by design.
"""

import contextlib
import os
import pickle
import signal

import joblib
import numpy as np
import pytest

_NEEDS_EXTRA = "needs the 'distributed' extra: pip install 'skdeep[distributed]'"
dask = pytest.importorskip("dask", reason=_NEEDS_EXTRA)
da = pytest.importorskip("dask.array", reason=_NEEDS_EXTRA)
distributed = pytest.importorskip("distributed", reason=_NEEDS_EXTRA)

from numpy.testing import assert_allclose  # noqa: E402
from sklearn.base import clone  # noqa: E402
from sklearn.datasets import load_digits  # noqa: E402
from sklearn.experimental import enable_halving_search_cv  # noqa: E402, F401
from sklearn.model_selection import (  # noqa: E402
    GridSearchCV,
    HalvingRandomSearchCV,
    train_test_split,
)
from threadpoolctl import threadpool_limits  # noqa: E402

from skdeep import (  # noqa: E402
    DeepMLPClassifier,
    DeepMLPRegressor,
    DenoisingAutoencoderTransformer,
    StackedAutoencoder,
)

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

STARTUP_SECONDS = 90

# Workers run BLAS on their own thread counts and chunks, so outputs agree to rounding (a few
# ulps, grown over a few epochs), never necessarily to the bit; a worker that trained on other
# data or other draws would be off by many orders of magnitude more.
SAME_BUT_FOR_BLAS = {"rtol": 1e-7, "atol": 1e-9}
# A product that rounds differently may flip a prediction at a near tie (each 1/400 of a split
# score): a few may flip, a different model would move the scores by far more.
SAME_SCORES = {"atol": 0.015}
TEST_SECONDS = 180


@contextlib.contextmanager
def time_limit(seconds, what):
    """Raise ``TimeoutError`` in the main thread if the block runs longer than ``seconds``.

    SIGALRM interrupts the client's blocking waits, so a wedged cluster fails the test instead
    of hanging the run. Where there is no SIGALRM (Windows) the block runs unbounded.
    """
    if not hasattr(signal, "setitimer"):
        yield
        return

    def expire(signum, frame):
        raise TimeoutError(f"{what} took longer than {seconds} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


@pytest.fixture(scope="module")
def client():
    """A Client on two single-threaded worker processes, closed when the module is done."""
    with contextlib.ExitStack() as stack:
        with time_limit(STARTUP_SECONDS, "starting the LocalCluster"):
            cluster = stack.enter_context(
                distributed.LocalCluster(
                    n_workers=2,
                    threads_per_worker=1,
                    processes=True,
                    host="127.0.0.1",
                    dashboard_address=None,
                )
            )
            client = stack.enter_context(distributed.Client(cluster, timeout="30s"))
            client.wait_for_workers(2, timeout=STARTUP_SECONDS)
        yield client


@pytest.fixture(autouse=True)
def _bounded_in_time(request):
    with time_limit(TEST_SECONDS, request.node.name):
        yield


@pytest.fixture(scope="module")
def digits():
    """Digits scaled to [0, 1]: ``X_train, X_test, y_train, y_test``."""
    X, y = load_digits(return_X_y=True)
    return train_test_split(X / 16, y, stratify=y, random_state=0)


def _incremental():
    wrappers = pytest.importorskip("dask_ml.wrappers", reason=_NEEDS_EXTRA)
    return wrappers.Incremental


def _threadpools():
    import numpy  # noqa: F401  (loads the BLAS that threadpoolctl then reports)
    from threadpoolctl import threadpool_info

    return threadpool_info()


def _fit_like_a_worker(search, X, y):
    # A fit is bit-identical for a given seed and a given number of BLAS threads: a threaded
    # BLAS may split the sums of a matrix product differently. The workers run one thread.
    with threadpool_limits(limits=1):
        return search.fit(X, y)


def _outputs(estimator, X):
    """What a fitted estimator hands back: probabilities, predictions or codes."""
    for method in ("predict_proba", "predict", "transform"):
        if hasattr(estimator, method):
            return getattr(estimator, method)(X)
    raise AssertionError(f"{estimator!r} has no prediction method")


# ------------------------------------------------------------------------------- the workers
def test_workers_run_blas_single_threaded(client):
    # The nanny starts each worker with OMP_NUM_THREADS, MKL_NUM_THREADS and
    # OPENBLAS_NUM_THREADS set to 1 (dask's `distributed.nanny.pre-spawn-environ`), so one BLAS
    # thread per worker thread: two workers on two cores do not oversubscribe them.
    # A thread count the user exported wins over the nanny's (dask keeps it).
    variables = {"openblas": "OPENBLAS_NUM_THREADS", "mkl": "MKL_NUM_THREADS",
                 "openmp": "OMP_NUM_THREADS"}
    assert set(client.nthreads().values()) == {1}
    for address in client.nthreads():
        pools = client.submit(_threadpools, workers=[address], pure=False).result()
        assert any(pool["user_api"] == "blas" for pool in pools), pools
        for pool in pools:
            variable = variables.get(pool["internal_api"], "OMP_NUM_THREADS")
            assert pool["num_threads"] == int(os.environ.get(variable, "1")), pools


ESTIMATORS = {
    "classifier-batchnorm-dropout": DeepMLPClassifier(
        hidden_layer_sizes=(256, 256), batch_norm=True, dropout=0.2, max_iter=3, random_state=0
    ),
    "classifier-early-stopping": DeepMLPClassifier(
        hidden_layer_sizes=(256, 256), early_stopping=True, max_iter=3, random_state=0
    ),
    "classifier-pretrained": DeepMLPClassifier(
        hidden_layer_sizes=(256, 256), pretraining="denoising", pretraining_max_iter=1,
        max_iter=3, random_state=0,
    ),
    "regressor-lbfgs": DeepMLPRegressor(
        hidden_layer_sizes=(256, 256), solver="lbfgs", max_iter=3, random_state=0
    ),
    "denoising-autoencoder": DenoisingAutoencoderTransformer(
        n_components=256, max_iter=3, random_state=0
    ),
    "stacked-autoencoder": StackedAutoencoder(
        hidden_layer_sizes=(256, 64), fine_tune=True, max_iter=3, random_state=0
    ),
}


@pytest.mark.parametrize("estimator", ESTIMATORS.values(), ids=ESTIMATORS.keys())
def test_fitted_estimator_pickles_small_and_predicts_identically_on_a_worker(
    client, digits, estimator
):
    X_train, X_test, y_train, _ = digits
    fitted = clone(estimator).fit(X_train, y_train)
    with threadpool_limits(limits=1):
        expected = _outputs(fitted, X_test)
    payload = pickle.dumps(fitted)

    # The pickle holds the flat parameters, gradients and optimiser state (plus the early
    # stopping snapshot, or each layer's own autoencoder for a stack), never the data: it does
    # not grow with the training set or after a large prediction.
    assert len(payload) < 10 * fitted._network.params.nbytes
    assert len(payload) < 4 * 2**20
    _outputs(fitted, np.repeat(X_test, 10, axis=0))
    assert len(pickle.dumps(fitted)) == len(payload)
    bigger = clone(estimator).fit(np.repeat(X_train, 3, axis=0), np.repeat(y_train, 3))
    assert abs(len(pickle.dumps(bigger)) - len(payload)) < 1024

    on_worker = client.submit(_outputs, fitted, X_test, pure=False).result()
    assert_allclose(on_worker, expected, **SAME_BUT_FOR_BLAS)


# ------------------------------------------------------------------------------- searching
def test_grid_search_on_dask_matches_sequential(client, digits):
    X_train, _, y_train, _ = digits
    search = GridSearchCV(
        DeepMLPClassifier(hidden_layer_sizes=(32, 32), max_iter=8, random_state=0),
        {"batch_norm": [False, True], "dropout": [0.0, 0.2]},
        cv=3,
    )
    sequential = _fit_like_a_worker(clone(search), X_train, y_train)
    with distributed.get_task_stream(client) as tasks, joblib.parallel_backend("dask"):
        on_dask = clone(search).fit(X_train, y_train)

    assert tasks.data, "no task ran on the cluster"
    for key in ["mean_test_score", *(f"split{k}_test_score" for k in range(3))]:
        assert_allclose(on_dask.cv_results_[key], sequential.cv_results_[key], **SAME_SCORES)
    assert on_dask.best_params_ == sequential.best_params_


def test_halving_random_search_over_epochs_on_dask(client, digits):
    X_train, X_test, y_train, y_test = digits
    search = HalvingRandomSearchCV(
        DeepMLPClassifier(hidden_layer_sizes=(32, 32), pretraining_max_iter=2, random_state=0),
        {
            "dropout": [0.0, 0.2],
            "batch_norm": [False, True],
            "solver": ["adam", "rmsprop", "sgd"],
            "pretraining": [None, "autoencoder", "denoising"],
        },
        resource="max_iter",
        min_resources=2,
        max_resources=18,
        factor=3,
        n_candidates=9,
        cv=3,
        error_score="raise",
        random_state=0,
    )
    sequential = _fit_like_a_worker(clone(search), X_train, y_train)
    with distributed.get_task_stream(client) as tasks, joblib.parallel_backend("dask"):
        on_dask = clone(search).fit(X_train, y_train)

    assert tasks.data, "no task ran on the cluster"
    assert on_dask.n_resources_ == [2, 6, 18]
    assert on_dask.n_candidates_ == [9, 3, 1]
    sampled = on_dask.cv_results_["params"]
    for name in ("dropout", "batch_norm", "solver", "pretraining"):
        assert len({params[name] for params in sampled}) > 1, f"{name} was never varied"
    assert on_dask.best_estimator_.max_iter == 18
    assert on_dask.best_estimator_.score(X_test, y_test) > 0.9
    assert_allclose(
        on_dask.cv_results_["mean_test_score"], sequential.cv_results_["mean_test_score"],
        **SAME_SCORES,
    )
    assert on_dask.best_params_ == sequential.best_params_


# ------------------------------------------------------------------------------- streaming
def _chunked(X_train, y_train, rows=150):
    return da.from_array(X_train, chunks=(rows, -1)), da.from_array(y_train, chunks=rows)


def _partial_fit_arguments(estimator, y):
    if isinstance(estimator, DeepMLPClassifier):
        return {"classes": np.unique(y)}
    return {}


STREAMED = {
    "classifier": DeepMLPClassifier(
        hidden_layer_sizes=(64, 64), batch_norm=True, dropout=0.1, random_state=0
    ),
    "regressor": DeepMLPRegressor(hidden_layer_sizes=(32,), solver="rmsprop", random_state=0),
    "denoising-autoencoder": DenoisingAutoencoderTransformer(n_components=32, random_state=0),
    "stacked-autoencoder": StackedAutoencoder(hidden_layer_sizes=(64, 16), random_state=0),
}


@pytest.mark.parametrize("estimator", STREAMED.values(), ids=STREAMED.keys())
def test_incremental_on_dask_equals_partial_fit_over_the_same_chunks(client, digits, estimator):
    # Incremental passes the model from task to task (and so from worker to worker, pickled),
    # calling partial_fit on one chunk in each: with the chunks in order that must be exactly a
    # local loop of partial_fit over the same chunks, optimiser and random state included.
    Incremental = _incremental()
    X_train, X_test, y_train, _ = digits
    X, y = _chunked(X_train, y_train)
    kwargs = _partial_fit_arguments(estimator, y_train)
    streamed = Incremental(clone(estimator), shuffle_blocks=False)
    local = clone(estimator)
    for _ in range(3):
        streamed.partial_fit(X, y, **kwargs)
        with threadpool_limits(limits=1):
            for X_chunk, y_chunk in zip(X.blocks, y.blocks):
                local.partial_fit(X_chunk.compute(), y_chunk.compute(), **kwargs)

    assert streamed.estimator_.t_ == local.t_ > 0
    assert_allclose(_outputs(streamed.estimator_, X_test), _outputs(local, X_test),
                    **SAME_BUT_FOR_BLAS)


def test_incremental_classifier_reaches_in_memory_accuracy(client, digits):
    Incremental = _incremental()
    X_train, X_test, y_train, y_test = digits
    epochs = 20
    classifier = DeepMLPClassifier(
        hidden_layer_sizes=(64, 64), learning_rate_init=0.01, random_state=0
    )
    in_memory = clone(classifier).set_params(max_iter=epochs).fit(X_train, y_train)

    X, y = _chunked(X_train, y_train)
    streamed = Incremental(classifier, scoring="accuracy", random_state=0)
    for _ in range(epochs):
        streamed.partial_fit(X, y, classes=np.unique(y_train))
    streamed_accuracy = streamed.score(*_chunked(X_test, y_test))

    assert in_memory.score(X_test, y_test) > 0.95
    assert streamed_accuracy >= in_memory.score(X_test, y_test) - 0.02


def test_incremental_autoencoder_reaches_in_memory_reconstruction(client, digits):
    Incremental = _incremental()
    X_train, X_test, _, _ = digits
    epochs = 20
    autoencoder = DenoisingAutoencoderTransformer(n_components=32, random_state=0)
    in_memory = clone(autoencoder).set_params(max_iter=epochs).fit(X_train)

    X, _ = _chunked(X_train, np.zeros(X_train.shape[0]))
    streamed = Incremental(autoencoder, random_state=0)
    for _ in range(epochs):
        streamed.partial_fit(X)
    # The codes of a dask array, chunk by chunk (docs/scaling.md: dask-ml's
    # Incremental.transform would label them with the input's width).
    X_test_chunked = da.from_array(X_test, chunks=(100, -1))
    fitted = streamed.estimator_
    codes = X_test_chunked.map_blocks(
        fitted.transform, chunks=(X_test_chunked.chunks[0], (32,)), dtype=X_test.dtype
    )

    assert codes.shape == (X_test.shape[0], 32)
    # Chunks of 100 rows go through other GEMM shapes than the whole array: equal to rounding.
    assert_allclose(codes.compute(), fitted.transform(X_test), **SAME_BUT_FOR_BLAS)
    # score is the negative reconstruction loss: within 10% of the in-memory fit's.
    assert fitted.score(X_test) >= 1.1 * in_memory.score(X_test)


def _npy_stack(directory, name, array):
    da.to_npy_stack(str(directory / name), array)
    return da.from_npy_stack(str(directory / name), mmap_mode="r")


def _read_rows(path, start, stop):
    return np.array(np.load(path, mmap_mode="r")[start:stop])


def _npy_file(directory, name, array):
    # docs/scaling.md's recipe: one .npy file, one task reading each block of rows.
    path = directory / f"{name}.npy"
    np.save(path, array.compute())
    on_disk = np.load(path, mmap_mode="r")
    blocks, start = [], 0
    for rows in array.chunks[0]:
        blocks.append(da.from_delayed(
            dask.delayed(_read_rows)(path, start, start + rows),
            shape=(rows, *on_disk.shape[1:]), dtype=on_disk.dtype,
        ))
        start += rows
    return da.concatenate(blocks)


@pytest.mark.parametrize("store", [_npy_stack, _npy_file], ids=["npy-stack", "npy-file"])
def test_incremental_streams_chunks_from_disk(client, digits, tmp_path, store):
    # A dataset larger than memory lives on disk; each task reads only its own chunk.
    Incremental = _incremental()
    X_train, X_test, y_train, _ = digits
    X, y = _chunked(X_train, y_train)
    X_disk, y_disk = store(tmp_path, "X", X), store(tmp_path, "y", y)

    classifier = DeepMLPClassifier(hidden_layer_sizes=(32,), random_state=0)
    from_disk = Incremental(clone(classifier), random_state=0)
    from_memory = Incremental(clone(classifier), random_state=0)
    for _ in range(2):
        from_disk.partial_fit(X_disk, y_disk, classes=np.unique(y_train))
        from_memory.partial_fit(X, y, classes=np.unique(y_train))

    assert X_disk.chunks == X.chunks
    assert_allclose(
        from_disk.estimator_.predict_proba(X_test), from_memory.estimator_.predict_proba(X_test),
        **SAME_BUT_FOR_BLAS,
    )


def test_dask_array_from_npy_reads_blocks_lazily(tmp_path):
    from skdeep.streaming import dask_array_from_npy

    data = np.arange(300_000.0).reshape(100_000, 3)
    path = tmp_path / "X.npy"
    np.save(path, data)
    array = dask_array_from_npy(path, rows=40_000)
    assert array.chunks == ((40_000, 40_000, 20_000), (3,))
    # The graph holds the file name and row ranges, not the 2.4 MB of data.
    assert len(pickle.dumps(dict(array.__dask_graph__()))) < 20_000
    np.testing.assert_array_equal(array.compute(), data)

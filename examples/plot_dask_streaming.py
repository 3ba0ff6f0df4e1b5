"""
==================================
Data larger than memory, with Dask
==================================

``partial_fit`` trains any skdeep estimator (with a stochastic solver) for one pass over the
rows it is given, keeping the optimiser's state between calls, so a training set never has to
be in memory all at once: it is enough to hold one chunk of it, plus the model.

This example writes an augmented MNIST training set (the training digits shipped with skdeep,
each randomly shifted by up to two pixels) to a ``.npy`` file on disk, one chunk at a time,
and trains a :class:`~skdeep.DeepMLPClassifier` on it in two ways:

* on one machine, without a cluster: the file is opened as a memory map
  (``np.load(path, mmap_mode="r")``) and ``partial_fit`` is called on one block of rows after
  another; the operating system reads each block in when it is used;
* on a Dask cluster: a dask array whose every chunk is a task that reads its own rows from the
  file is fed to :class:`dask_ml.wrappers.Incremental`, which calls ``partial_fit`` on the
  chunks one after another on the workers, handing the (small) model from task to task.

Finally a :class:`~skdeep.DenoisingAutoencoderTransformer` learns features from the same
stream, and transforms it chunk by chunk.

On a real cluster, connect to its scheduler instead of starting a local cluster, ::

    client = Client("tcp://scheduler:8786")

and keep the data where every worker can read it: a shared filesystem for a ``.npy`` file, or
a chunked format on object storage that dask reads directly (``da.from_zarr``, for example).
"""

import tempfile
import textwrap
import time
import warnings
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
from dask_ml.wrappers import Incremental
from distributed import Client, LocalCluster
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from threadpoolctl import threadpool_limits

from skdeep import DeepMLPClassifier, DenoisingAutoencoderTransformer
from skdeep.datasets import load_mnist_sample
from skdeep.streaming import dask_array_from_npy

CHUNK_ROWS = 4000
N_ROWS = 32_000
EPOCHS = 3

X, y = load_mnist_sample(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(
    X, y, test_size=2000, stratify=y, random_state=0
)


def shifted(images, rng):
    """Move each 28x28 image by up to two pixels in each direction.

    ``np.roll`` wraps pixels around the edges; MNIST digits sit inside a
    20x20 box in the middle of the image, so only blank border pixels wrap.
    """
    images = images.reshape(-1, 28, 28)
    moved = np.empty_like(images)
    shifts = rng.integers(-2, 3, size=(len(images), 2))
    for dy in range(-2, 3):
        for dx in range(-2, 3):
            rows = np.flatnonzero((shifts[:, 0] == dy) & (shifts[:, 1] == dx))
            moved[rows] = np.roll(images[rows], (dy, dx), axis=(1, 2))
    return moved.reshape(len(images), -1)


def write_training_set(directory, rng):
    """Write ``N_ROWS`` augmented digits to ``X.npy`` and ``y.npy`` by chunks.

    Rows are drawn at random, so that every chunk looks like the whole dataset:
    stochastic training on one chunk after another needs the chunks shuffled, as
    they are here.
    """
    X_file = np.lib.format.open_memmap(
        directory / "X.npy",
        mode="w+",
        dtype=np.float32,
        shape=(N_ROWS, X_train.shape[1]),
    )
    y_file = np.lib.format.open_memmap(
        directory / "y.npy", mode="w+", dtype=np.int64, shape=(N_ROWS,)
    )
    for start in range(0, N_ROWS, CHUNK_ROWS):
        rows = rng.integers(0, len(X_train), CHUNK_ROWS)
        X_file[start : start + CHUNK_ROWS] = shifted(X_train[rows], rng)
        y_file[start : start + CHUNK_ROWS] = y_train[rows]
    X_file.flush()
    y_file.flush()


# %%
# The data on disk
# ----------------
#
# 32,000 digits of 784 float32 pixels, 96 MB, written 4,000 rows at a time. Worker processes
# are started with multiprocessing's "spawn", which re-imports this script in every new process;
# whatever must happen only once (writing data, starting the cluster, training) is therefore
# guarded by ``if __name__ == "__main__":``.

if __name__ == "__main__":
    # The workers run a single-threaded BLAS (Dask's nanny sets
    # OMP_NUM_THREADS=1 and friends); so does this process until the end, so
    # that the three ways of training below compare like with like.
    one_blas_thread = threadpool_limits(limits=1)
    workspace = tempfile.TemporaryDirectory()
    directory = Path(workspace.name)
    write_training_set(directory, np.random.default_rng(0))
    size = (directory / "X.npy").stat().st_size
    print(
        f"{N_ROWS} training rows on disk: {size / 2**20:.0f} MB in {directory}"
    )
    classes = np.arange(10)

# %%
# One machine, no cluster: a memory map
# -------------------------------------
#
# Each ``partial_fit`` call is one pass over one block of rows, in mini-batches of
# ``batch_size``; a pass over all the blocks is one epoch.

if __name__ == "__main__":
    start = time.perf_counter()
    X_disk = np.load(directory / "X.npy", mmap_mode="r")
    y_disk = np.load(directory / "y.npy", mmap_mode="r")
    local = DeepMLPClassifier(hidden_layer_sizes=(256, 128), random_state=0)
    local_accuracy = []
    for epoch in range(EPOCHS):
        for block in range(0, N_ROWS, CHUNK_ROWS):
            rows = slice(block, block + CHUNK_ROWS)
            local.partial_fit(X_disk[rows], y_disk[rows], classes=classes)
        local_accuracy.append(local.score(X_test, y_test))
    print(
        f"memory map, {EPOCHS} epochs in {time.perf_counter() - start:.1f} s:"
        f" test accuracy {local_accuracy[-1]:.4f}"
    )

# %%
# A Dask cluster: ``Incremental`` over a chunked dask array
# ---------------------------------------------------------
#
# Nothing is read when the dask array is made; each chunk is read by the task that needs it.
# ``Incremental`` visits the chunks in a random order (``shuffle_blocks=True``, seeded by
# ``random_state``) and ``estimator_`` is the model trained so far.

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

    X_chunked = dask_array_from_npy(directory / "X.npy", CHUNK_ROWS)
    y_chunked = dask_array_from_npy(directory / "y.npy", CHUNK_ROWS)
    print(textwrap.fill(repr(X_chunked), 80, subsequent_indent="  "))

    start = time.perf_counter()
    streamed = Incremental(
        DeepMLPClassifier(hidden_layer_sizes=(256, 128), random_state=0),
        random_state=0,
    )
    streamed_accuracy = []
    for epoch in range(EPOCHS):
        streamed.partial_fit(X_chunked, y_chunked, classes=classes)
        streamed_accuracy.append(streamed.estimator_.score(X_test, y_test))
    seconds = time.perf_counter() - start
    print(
        f"Incremental on the cluster, {EPOCHS} epochs in {seconds:.1f} s:"
        f" test accuracy {streamed_accuracy[-1]:.4f}"
    )

# %%
# The same model fitted in memory, for comparison (possible here only because this dataset is
# small), and the test accuracy after each epoch.

if __name__ == "__main__":
    start = time.perf_counter()
    in_memory = DeepMLPClassifier(
        hidden_layer_sizes=(256, 128), max_iter=EPOCHS, random_state=0
    )
    with warnings.catch_warnings():
        # A few epochs are not meant to converge.
        warnings.simplefilter("ignore", ConvergenceWarning)
        in_memory.fit(
            np.load(directory / "X.npy"), np.load(directory / "y.npy")
        )
    in_memory_accuracy = in_memory.score(X_test, y_test)
    print(
        f"in-memory fit, {EPOCHS} epochs in "
        f"{time.perf_counter() - start:.1f} s:"
        f" test accuracy {in_memory_accuracy:.4f}"
    )

    fig, ax = plt.subplots(figsize=(6.5, 4))
    epochs = np.arange(1, EPOCHS + 1)
    ax.plot(epochs, local_accuracy, "o-", label="partial_fit over a memory map")
    ax.plot(
        epochs,
        streamed_accuracy,
        "s--",
        label="dask_ml Incremental on the cluster",
    )
    ax.axhline(
        in_memory_accuracy, color="0.4", ls=":", label="fit in memory (final)"
    )
    ax.set_xticks(epochs)
    ax.set_xlabel("epoch")
    ax.set_ylabel("test accuracy")
    ax.set_title(f"DeepMLPClassifier streamed over {N_ROWS} digits from disk")
    ax.legend(loc="lower right")
    fig.tight_layout()
    plt.show()

# %%
# Autoencoders stream the same way
# --------------------------------
#
# ``partial_fit`` of an autoencoder takes no target. Mapping ``transform`` over the chunks
# gives the codes as another dask array, computed chunk by chunk when asked for. (dask-ml's
# ``Incremental.transform`` does the same but labels its result with the input's width, 784
# columns, so ``map_blocks`` is called here with the right chunks.)

if __name__ == "__main__":
    features = Incremental(
        DenoisingAutoencoderTransformer(n_components=64, random_state=0),
        random_state=0,
    )
    for epoch in range(2):
        features.partial_fit(X_chunked)
    autoencoder = features.estimator_
    codes = X_chunked.map_blocks(
        autoencoder.transform,
        chunks=(X_chunked.chunks[0], (autoencoder.n_components,)),
        dtype=X_chunked.dtype,
    )
    print(textwrap.fill(repr(codes), 80, subsequent_indent="  "))
    print(
        "mean code over all rows (first 6 features):",
        codes.mean(axis=0)[:6].compute().round(3),
    )
    print(f"test reconstruction loss {-autoencoder.score(X_test):.2f}")

    client.close()
    cluster.close()
    workspace.cleanup()
    one_blas_thread.restore_original_limits()

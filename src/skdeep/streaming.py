"""Training on data larger than memory: chunked views of arrays on disk.

skdeep's estimators already stream from memory maps (a fit gathers only each batch's rows). For
Dask, :func:`dask_array_from_npy` turns a ``.npy`` file into a dask array whose every task reads
only its own block of rows, ready for ``dask_ml.wrappers.Incremental`` and ``partial_fit``.
"""

import numpy as np


def _read_rows(path, start, stop):
    """Rows ``start:stop`` of a ``.npy`` file; only those rows are read from disk."""
    return np.array(np.load(path, mmap_mode="r")[start:stop])


def dask_array_from_npy(path, rows):
    """A dask array over a ``.npy`` file, one task reading each block of ``rows`` rows.

    Read more in the :doc:`User Guide </scaling>`.

    ``dask.array.from_array`` on a memory map would put the whole file into the task graph;
    here each task holds only the file name and its row range, so the graph stays small and a
    worker reads just the block it computes.

    Parameters
    ----------
    path : str or path-like
        A ``.npy`` file (only its header is read here).
    rows : int
        Rows per block (the chunk size along the first axis).

    Returns
    -------
    array : dask.array.Array
        Chunked along the first axis, with the file's dtype and shape.

    Raises
    ------
    ImportError
        If dask is not installed (``pip install "skdeep[distributed]"``).

    Examples
    --------
    >>> import numpy as np, tempfile, os
    >>> from skdeep.streaming import dask_array_from_npy
    >>> path = os.path.join(tempfile.mkdtemp(), "X.npy")
    >>> np.save(path, np.arange(10.0).reshape(5, 2))
    >>> X = dask_array_from_npy(path, rows=2)
    >>> X.chunks, float(X.sum().compute())
    (((2, 2, 1), (2,)), 45.0)
    """
    try:
        import dask
        import dask.array as da
    except ImportError as error:  # pragma: no cover - depends on the installed extras
        raise ImportError(
            "dask_array_from_npy needs dask: pip install 'skdeep[distributed]'"
        ) from error
    on_disk = np.load(path, mmap_mode="r")  # reads the header only
    n = on_disk.shape[0]
    blocks = []
    for start in range(0, n, rows):
        stop = min(start + rows, n)
        blocks.append(da.from_delayed(
            dask.delayed(_read_rows)(path, start, stop),
            shape=(stop - start, *on_disk.shape[1:]), dtype=on_disk.dtype,
        ))
    return da.concatenate(blocks)

"""Real data shipped with skdeep, so examples and tests run offline.

Both data sets are installed with the package: loading them needs no download and no network.
Each loader returns a :class:`~sklearn.utils.Bunch`, whose ``DESCR`` repeats the source and
licence, or with ``return_X_y=True`` the inputs and targets alone.

- :func:`load_mnist_sample`: 10,000 handwritten digits of MNIST, by Y. LeCun, C. Cortes and
  C. Burges, under the CC BY-SA 3.0 licence. They are the validation part of the usual
  50,000/10,000 split of the original MNIST training set, as packaged by the University of
  Edinburgh's "Machine Learning Practical" course; the pixels, scaled to [0, 1], are stored at
  half precision and loaded as float32.
- :func:`load_ccpp`: the Combined Cycle Power Plant data of the UCI Machine Learning Repository,
  by Tüfekci and Kaya, under the CC BY 4.0 licence: four ambient readings (temperature,
  pressure, humidity, exhaust vacuum) and the plant's net hourly electrical output, all
  standardised, in 8,568 training and 1,000 held-out rows as packaged by the same course.
"""

from importlib import resources

import numpy as np
from sklearn.utils import Bunch

_MNIST_DESCR = (
    "10,000 real MNIST handwritten digits (28x28 pixels, scaled to [0, 1]): the validation part "
    "of the original MNIST training set as packaged by the University of Edinburgh 'Machine "
    "Learning Practical' course. MNIST by Y. LeCun, C. Cortes and C. Burges, CC BY-SA 3.0."
)
_CCPP_DESCR = (
    "Combined Cycle Power Plant (UCI, Tüfekci; Kaya, CC BY 4.0): 4 standardised ambient readings "
    "(temperature, pressure, humidity, exhaust vacuum) -> standardised net hourly electrical "
    "output; 8,568 training and 1,000 held-out rows, as packaged by the same course."
)


def _load(name):
    with resources.files(__name__).joinpath("data", name).open("rb") as handle:
        with np.load(handle) as archive:
            return {key: archive[key] for key in archive.files}


def _loader(summary, fields, examples=""):
    """Give the decorated loader the docstring of a ``return_X_y`` loader.

    ``fields`` describes the Bunch's fields and ``examples`` is an optional Examples section;
    lines after their first carry the docstring's own indentation.
    """
    docstring = f"""{summary}

    Parameters
    ----------
    return_X_y : bool, default=False
        Return ``(data, target)`` instead of a Bunch.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        {fields}
    (data, target) : tuple if ``return_X_y`` is True
    {examples}"""

    def document(load):
        load.__doc__ = docstring
        return load

    return document


@_loader(
    """Load 10,000 real MNIST digits.

    The validation part of the usual 50,000/10,000 split of the original MNIST training set,
    as packaged by the University of Edinburgh's "Machine Learning Practical" course. MNIST is
    by Y. LeCun, C. Cortes and C. Burges, under the CC BY-SA 3.0 licence.""",
    """``data`` : ndarray of shape (10000, 784), float32 pixels in [0, 1];
        ``target`` : ndarray of shape (10000,), int64 digit labels;
        ``images`` : ndarray of shape (10000, 28, 28), a view of ``data``; ``DESCR`` : str.""",
    examples="""
    Examples
    --------
    >>> from skdeep.datasets import load_mnist_sample
    >>> X, y = load_mnist_sample(return_X_y=True)
    >>> X.shape, X.dtype, y[:5]
    ((10000, 784), dtype('float32'), array([3, 8, 6, 9, 6]))
    """,
)
def load_mnist_sample(*, return_X_y=False):
    arrays = _load("mnist-10k.npz")
    data = arrays["inputs"].astype(np.float32)
    target = arrays["targets"].astype(np.int64)
    if return_X_y:
        return data, target
    return Bunch(data=data, target=target, images=data.reshape(-1, 28, 28), DESCR=_MNIST_DESCR)


@_loader(
    """Load the Combined Cycle Power Plant regression data (training part, 8,568 rows).

    Four standardised ambient readings (temperature, pressure, humidity, exhaust vacuum) and
    the plant's standardised net hourly electrical output, from the UCI Machine Learning
    Repository (Tüfekci and Kaya, CC BY 4.0 licence), as packaged by the University of
    Edinburgh's "Machine Learning Practical" course.""",
    """``data`` : ndarray of shape (8568, 4); ``target`` : ndarray of shape (8568,);
        ``data_test`` / ``target_test`` : the 1,000 held-out rows; ``DESCR`` : str.""",
)
def load_ccpp(*, return_X_y=False):
    arrays = _load("ccpp.npz")
    data, target = arrays["train_inputs"], arrays["train_targets"].ravel()
    if return_X_y:
        return data, target
    return Bunch(
        data=data,
        target=target,
        data_test=arrays["valid_inputs"],
        target_test=arrays["valid_targets"].ravel(),
        DESCR=_CCPP_DESCR,
    )

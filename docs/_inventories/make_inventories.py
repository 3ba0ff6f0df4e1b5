"""Write the small intersphinx inventories of docs/_inventories/ that no package ships.

scikit-learn's, SciPy's, Dask's and Python's inventories are the ``objects.inv`` files of
Debian's documentation packages (see README.md beside this script). NumPy, matplotlib, joblib,
distributed, dask-ml and skl2onnx ship none that this machine can reach, and scikit-learn's Debian
inventory (1.2) predates a few names these docs use; for those this script writes inventories
of exactly the names the docs and examples refer to, pointing at the projects' online pages.

Run it from anywhere after adding a name: ``python docs/_inventories/make_inventories.py``.
"""

import zlib
from pathlib import Path

HERE = Path(__file__).resolve().parent

# inventory file -> (project, version, [(name, role, page)]). ``page`` is relative to the
# project's documentation root (the URL of intersphinx_mapping in conf.py); the anchor is the
# name itself, as Sphinx writes it.
INVENTORIES = {
    "numpy": ("NumPy", "2", [
        *[(f"numpy.{name}", "py:function", f"reference/generated/numpy.{name}.html")
          for name in ["allclose", "arange", "array", "asarray", "empty_like", "flatnonzero",
                       "load", "save", "log", "max", "mean", "median", "min", "roll",
                       "vstack", "lib.format.open_memmap"]],
        ("numpy.ndarray", "py:class", "reference/generated/numpy.ndarray.html"),
        ("numpy.memmap", "py:class", "reference/generated/numpy.memmap.html"),
        ("numpy.float32", "py:attribute", "reference/arrays.scalars.html"),
        ("numpy.float64", "py:attribute", "reference/arrays.scalars.html"),
        ("numpy.int64", "py:attribute", "reference/arrays.scalars.html"),
        ("numpy.random.Generator", "py:class", "reference/random/generator.html"),
        ("numpy.random.default_rng", "py:function", "reference/random/generator.html"),
    ]),
    "matplotlib": ("Matplotlib", "3", [
        ("matplotlib.pyplot.subplots", "py:function",
         "api/_as_gen/matplotlib.pyplot.subplots.html"),
        ("matplotlib.pyplot.show", "py:function", "api/_as_gen/matplotlib.pyplot.show.html"),
        ("matplotlib.axes.Axes", "py:class", "api/_as_gen/matplotlib.axes.Axes.html"),
        ("matplotlib.figure.Figure", "py:class", "api/_as_gen/matplotlib.figure.Figure.html"),
    ]),
    "joblib": ("joblib", "1", [
        (f"joblib.{name}", "py:function", f"generated/joblib.{name}.html")
        for name in ["dump", "load", "parallel_backend", "parallel_config"]
    ]),
    "distributed": ("Dask.distributed", "2025", [
        ("distributed.Client", "py:class", "api.html"),
        ("distributed.LocalCluster", "py:class", "api.html"),
    ]),
    "dask_ml": ("dask-ml", "2025", [
        ("dask_ml.wrappers.Incremental", "py:class",
         "modules/generated/dask_ml.wrappers.Incremental.html"),
    ]),
    "skl2onnx": ("sklearn-onnx", "1.20", [
        (f"skl2onnx.{name}", "py:function", "api_summary.html")
        for name in ["to_onnx", "convert_sklearn", "update_registered_converter"]
    ]),
    # Names added to scikit-learn after the 1.2 inventory of sklearn.inv.
    "sklearn_recent": ("scikit-learn", "1.9", [
        (f"sklearn.{name}", "py:class", f"modules/generated/sklearn.{name}.html")
        for name in ["frozen.FrozenEstimator", "callback.ProgressBar",
                     "callback.ScoringMonitor", "utils.metadata_routing.MetadataRequest"]
    ]),
}


def inventory_bytes(project, version, entries):
    """Return the bytes of a Sphinx version-2 inventory holding ``entries``."""
    header = (
        "# Sphinx inventory version 2\n"
        f"# Project: {project}\n"
        f"# Version: {version}\n"
        "# The remainder of this file is compressed using zlib.\n"
    )
    # One line per object: name, domain:role, priority, page#anchor ("$" = the name), title.
    lines = "".join(f"{name} {role} 1 {page}#$ -\n" for name, role, page in sorted(entries))
    return header.encode() + zlib.compress(lines.encode())


def main():
    for stem, (project, version, entries) in INVENTORIES.items():
        (HERE / f"{stem}.inv").write_bytes(inventory_bytes(project, version, entries))


if __name__ == "__main__":
    main()

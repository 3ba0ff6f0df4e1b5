"""Sphinx configuration of the skdeep documentation.

Build from the root of a clone (the `docs` extra installs everything needed):

    python3 -m venv .venv && .venv/bin/pip install ".[docs]"
    .venv/bin/sphinx-build -W --keep-going docs docs/_build/html

The examples gallery executes every ``examples/plot_*.py`` script (about a minute on two
cores); add ``-D plot_gallery=0`` to build without running them.
"""

import sys
from importlib.metadata import metadata
from pathlib import Path

# sphinx-gallery resolves the names of every example, run or not, to link them to their docs;
# plot_dask_search.py uses scikit-learn's experimental HalvingRandomSearchCV, whose name exists
# only once this import has run.
import sklearn.experimental.enable_halving_search_cv  # noqa: F401
from threadpoolctl import threadpool_limits

import skdeep

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE / "sphinxext"))

project = "skdeep"
author = "the skdeep developers"
copyright = "the skdeep developers, BSD-3-Clause licence"
version = release = skdeep.__version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.intersphinx",
    "sphinx.ext.mathjax",
    "sphinx.ext.viewcode",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
    "myst_parser",
    "skdeep_docs",
]

source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
root_doc = "index"
templates_path = ["_templates"]
exclude_patterns = ["_build", "_inventories", "auto_examples/*.ipynb", "auto_examples/*.py", "auto_examples/*.zip"]
default_role = "literal"
# Every cross-reference must resolve: a name that links nowhere fails the -W build.
nitpicky = True

# -- autodoc, autosummary, numpydoc --------------------------------------------------------------
autosummary_generate = True
autodoc_default_options = {"member-order": "bysource"}
autodoc_typehints = "none"
# The contents beside an API page list its methods as fit(), not DeepMLPClassifier.fit(): the
# class is the page's title, and the long names were cut off by the narrow sidebar.
toc_object_entries_show_parents = "hide"
# The class template lists the methods itself (docs/_templates/class.rst).
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False

# -- maths ---------------------------------------------------------------------------------------
# MathJax is shipped in docs/_static/mathjax/ (see the README there): a local or offline build
# renders every formula, where the default, a CDN, leaves raw TeX on the page.
mathjax_path = "mathjax/tex-chtml.js"

# -- MyST (architecture.md and scaling.md are written in Markdown) -----------------------------
myst_heading_anchors = 3
myst_enable_extensions = ["dollarmath"]

# -- sphinx-gallery -----------------------------------------------------------------------------
# Only plot_*.py scripts run; the others are shown as code. The `docs` extra installs what every
# one of them imports (pandas, dask, dask-ml included).
sphinx_gallery_conf = {
    "examples_dirs": "../examples",
    "gallery_dirs": "auto_examples",
    "filename_pattern": r"/plot_",
    "within_subsection_order": "skdeep_docs.ExampleOrder",
    "doc_module": ("skdeep",),
    "backreferences_dir": "generated/backreferences",
    "reference_url": {"skdeep": None},
    "min_reported_time": 0,
    "abort_on_example_error": True,
    "remove_config_comments": True,
    "matplotlib_animations": False,
    # Figures are also written at twice the resolution, for high-density screens.
    "image_srcset": ["2x"],
}
# The examples multiply small matrices (mini-batches of a few dozen rows), where a multi-threaded
# BLAS spends more time synchronising its threads than computing -- several times more CPU on a
# busy machine. One thread makes the gallery both faster and lighter.
threadpool_limits(limits=1, user_api="blas")

# -- HTML ----------------------------------------------------------------------------------------
html_theme = "pydata_sphinx_theme"
html_title = f"skdeep {release}"
html_static_path = ["_static"]
# Layout fixes over the theme (docs/_static/skdeep.css says why each rule is there).
html_css_files = ["skdeep.css"]
html_theme_options = {
    "navbar_align": "left",
    "show_toc_level": 2,
    "secondary_sidebar_items": ["page-toc", "sourcelink"],
    "footer_start": ["copyright"],
    "footer_end": ["sphinx-version"],
}
html_sidebars = {"index": [], "coming_from_sklearn": []}


def _project_url(label):
    """The address pyproject.toml's ``[project.urls]`` gives under ``label``, or None."""
    for entry in metadata("skdeep").get_all("Project-URL") or []:
        name, _, url = entry.partition(",")
        if name.strip().lower() == label.lower():
            return url.strip()
    return None


# The navbar links to the repository once pyproject.toml records where it is published
# (``[project.urls] Source = "..."``): the address is written there once, for PyPI and the docs.
repository_url = _project_url("Source")
if repository_url:
    html_theme_options["icon_links"] = [
        {
            "name": "Source code",
            "url": repository_url,
            "icon": (
                "fa-brands fa-github" if "github.com" in repository_url else "fa-solid fa-code"
            ),
            "type": "fontawesome",
        }
    ]
html_show_sourcelink = True

# -- intersphinx ---------------------------------------------------------------------------------
# Links point at the projects' online docs, but the inventories are read from docs/_inventories/,
# so the build needs no network (CI's machines reach package registries only). See
# docs/_inventories/README.md for where each file comes from and how to refresh it.
intersphinx_mapping = {
    name: (url, str(HERE / "_inventories" / f"{name}.inv"))
    for name, url in {
        "python": "https://docs.python.org/3/",
        "sklearn": "https://scikit-learn.org/stable/",
        # Names new since sklearn.inv (1.2), linked to the docs of the version installed here.
        "sklearn_recent": "https://scikit-learn.org/1.9/",
        "numpy": "https://numpy.org/doc/stable/",
        "scipy": "https://docs.scipy.org/doc/scipy/",
        "joblib": "https://joblib.readthedocs.io/en/stable/",
        "dask": "https://docs.dask.org/en/stable/",
        "distributed": "https://distributed.dask.org/en/stable/",
        "dask_ml": "https://ml.dask.org/",
        "matplotlib": "https://matplotlib.org/stable/",
        "skl2onnx": "https://onnx.ai/sklearn-onnx/",
    }.items()
}

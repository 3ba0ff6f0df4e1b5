"""Sphinx helpers of the skdeep docs: tables generated from the code, and checks that fail -W.

- ``.. skdeep-parameter-table:: classifier`` (or ``regressor``) renders the side-by-side table of
  scikit-learn's MLP and skdeep's estimator from the real classes' ``get_params()``; a
  scikit-learn parameter that skdeep lacks, or whose default differs, is a build warning.
- ``.. skdeep-attribute-table:: classifier`` (or ``regressor``) does the same for the fitted
  attributes of both estimators after a tiny fit.
- At the start of the build every public name of the documented modules must appear in
  ``api.rst``, else a warning names it.
- ``docs/scaling.md`` is listed in the user guide only once it exists.
- :class:`ExampleOrder` orders the gallery as a course: from a first model to tuning.
"""

import importlib
import inspect
import re
import warnings
from pathlib import Path

from docutils import nodes
from docutils.statemachine import StringList
from numpydoc.docscrape import NumpyDocString
from sphinx.util import logging
from sphinx.util.docutils import SphinxDirective

logger = logging.getLogger(__name__)

DOCS = Path(__file__).resolve().parent.parent

# Modules whose public names must all be in api.rst; a module without __all__ contributes the
# classes and functions it defines.
DOCUMENTED_MODULES = [
    "skdeep",
    "skdeep.datasets",
    "skdeep.gradient_check",
    "skdeep.optimisers",
    "skdeep.schedules",
    "skdeep.layers",
    "skdeep.noise",
    "skdeep.plotting",
    "skdeep.streaming",
]

EXAMPLE_ORDER = [
    "plot_quickstart.py",
    "plot_initialisation_batch_norm.py",
    "plot_dropout.py",
    "plot_optimisers.py",
    "plot_learning_rate_schedules.py",
    "plot_validation_pipeline.py",
    "plot_monitoring.py",
    "plot_dae_features.py",
    "plot_stacked_pretraining.py",
    "plot_pretraining_mnist.py",
    "plot_mnist_filters.py",
    "plot_randomized_search.py",
    "plot_grid_search_digits.py",
    "plot_dask_search.py",
    "plot_dask_streaming.py",
]


class ExampleOrder:
    """Gallery sort key: the examples of :data:`EXAMPLE_ORDER` first, then the rest by name."""

    def __init__(self, src_dir):
        self.src_dir = src_dir

    def __call__(self, filename):
        name = Path(filename).name
        rank = EXAMPLE_ORDER.index(name) if name in EXAMPLE_ORDER else len(EXAMPLE_ORDER)
        return f"{rank:03d}-{name}"

    def __repr__(self):
        # A stable repr keeps Sphinx from treating the configuration as changed on every build.
        return f"<{type(self).__name__}>"


# ---------------------------------------------------------------------------------------------
# Tables generated from the estimators
# ---------------------------------------------------------------------------------------------
def _pairs():
    from sklearn.neural_network import MLPClassifier, MLPRegressor

    from skdeep import DeepMLPClassifier, DeepMLPRegressor

    return {
        "classifier": (MLPClassifier, DeepMLPClassifier),
        "regressor": (MLPRegressor, DeepMLPRegressor),
    }


def _first_sentence(lines):
    """The text up to the first '.' or ':' that ends a sentence outside brackets and literals."""
    text = " ".join(line.strip() for line in lines if line.strip())
    depth, literal, end = 0, False, len(text)
    for index, char in enumerate(text):
        if char == "`":
            literal = not literal
        elif not literal and char in "([{":
            depth += 1
        elif not literal and char in ")]}":
            depth -= 1
        elif (not literal and depth == 0 and char in ".:"
              and (index + 1 == len(text) or text[index + 1] == " ")):
            end = index
            break
    return text[:end] + "."


def _described(cls, section):
    """``{name: first sentence}`` of a numpydoc section of ``cls``'s docstring."""
    descriptions = {}
    for entry in NumpyDocString(inspect.getdoc(cls))[section]:
        for name in entry.name.split(","):
            descriptions[name.strip()] = _first_sentence(entry.desc)
    return descriptions


def _signature_order(cls):
    return [name for name in inspect.signature(cls).parameters if name != "self"]


def _list_table(header, rows, widths):
    """reST lines of a list-table; each cell is a string of inline markup."""
    lines = [
        ".. list-table::",
        "   :header-rows: 1",
        f"   :widths: {' '.join(str(width) for width in widths)}",
        "   :class: skdeep-param-table",
        "",
    ]
    for row in [header, *rows]:
        for index, cell in enumerate(row):
            lines.append(("   * - " if index == 0 else "     - ") + (cell or " "))
    return lines


class _TableDirective(SphinxDirective):
    required_arguments = 1
    has_content = False

    def _pair(self):
        kind = self.arguments[0]
        pairs = _pairs()
        if kind not in pairs:
            raise self.error(f"expected one of {sorted(pairs)}, got {kind!r}")
        return pairs[kind]

    def _warn(self, message):
        logger.warning(message, location=(self.env.docname, self.lineno))

    def _render(self, lines):
        container = nodes.container()
        self.state.nested_parse(StringList(lines, source=self.env.docname), 0, container)
        return container.children


class ParameterTable(_TableDirective):
    """Side-by-side parameters of scikit-learn's MLP and skdeep's estimator, from get_params()."""

    def run(self):
        sklearn_cls, skdeep_cls = self._pair()
        theirs, ours = sklearn_cls().get_params(), skdeep_cls().get_params()
        meaning = _described(skdeep_cls, "Parameters")
        rows = []
        for name in _signature_order(sklearn_cls):
            if name not in ours:
                self._warn(f"{skdeep_cls.__name__} lacks {sklearn_cls.__name__}'s {name!r}")
                continue
            same = repr(theirs[name]) == repr(ours[name])
            if not same:
                self._warn(
                    f"{skdeep_cls.__name__}'s default {name}={ours[name]!r} differs from "
                    f"{sklearn_cls.__name__}'s {theirs[name]!r}"
                )
            rows.append([f"``{name}``", f"``{theirs[name]!r}``", f"``{ours[name]!r}``",
                         meaning.get(name, "")])
        for name in _signature_order(skdeep_cls):
            if name not in theirs:
                rows.append([f"``{name}``", "--", f"``{ours[name]!r}``", meaning.get(name, "")])
        header = ["Parameter", sklearn_cls.__name__, skdeep_cls.__name__, "Meaning in skdeep"]
        return self._render(_list_table(header, rows, (18, 14, 14, 54)))


def _fitted_attributes(estimator):
    return {
        name for name in dir(estimator)
        if name.endswith("_") and not name.startswith("_") and hasattr(estimator, name)
    }


class AttributeTable(_TableDirective):
    """Fitted attributes of scikit-learn's MLP and skdeep's estimator after the same tiny fit."""

    def run(self):
        from sklearn.datasets import load_digits
        from sklearn.exceptions import ConvergenceWarning

        sklearn_cls, skdeep_cls = self._pair()
        X, y = load_digits(return_X_y=True)
        X, y = X[:60] / 16, y[:60]
        if self.arguments[0] == "regressor":
            y = y / 9.0
        fitted = {}
        for cls in (sklearn_cls, skdeep_cls):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", ConvergenceWarning)
                estimator = cls(hidden_layer_sizes=(5,), max_iter=2, random_state=0).fit(X, y)
            fitted[cls] = _fitted_attributes(estimator)
        theirs, ours = fitted[sklearn_cls], fitted[skdeep_cls]
        for name in sorted(theirs - ours):
            self._warn(f"{skdeep_cls.__name__} lacks {sklearn_cls.__name__}'s fitted {name}")
        meaning = _described(skdeep_cls, "Attributes")
        # feature_names_in_ exists only after a fit on a DataFrame; both estimators document it.
        names = sorted(theirs | ours | {"feature_names_in_"}, key=lambda n: (n not in theirs, n))
        rows = [
            [f"``{name}``",
             "yes" if name in theirs or name == "feature_names_in_" else "--",
             "yes" if name in ours or name == "feature_names_in_" else "--",
             meaning.get(name, "")]
            for name in names
        ]
        header = ["Attribute", sklearn_cls.__name__, skdeep_cls.__name__, "Meaning in skdeep"]
        return self._render(_list_table(header, rows, (22, 12, 12, 54)))


# ---------------------------------------------------------------------------------------------
# Every public name is in the API reference
# ---------------------------------------------------------------------------------------------
def public_objects(module):
    """``{qualified name: object}`` of the public names of ``module``."""
    names = getattr(module, "__all__", None)
    if names is None:
        names = [
            name for name, obj in vars(module).items()
            if not name.startswith("_") and (inspect.isclass(obj) or inspect.isfunction(obj))
            and obj.__module__ == module.__name__
        ]
    return {f"{module.__name__}.{name}": getattr(module, name)
            for name in names if not name.startswith("__")}


def documented_objects(api_text):
    """Objects listed in ``api.rst``'s autosummary blocks, resolved in their currentmodule."""
    documented, module = [], None
    for line in api_text.splitlines():
        current = re.match(r"\.\. currentmodule:: (\S+)", line.strip())
        if current:
            module = importlib.import_module(current.group(1))
            continue
        entry = re.fullmatch(r" {3,}~?([A-Za-z_][\w.]*)", line.rstrip())
        if entry and module is not None:
            obj = module
            for part in entry.group(1).split("."):
                obj = getattr(obj, part, None)
            if obj is not None:
                documented.append(obj)
    return documented


def check_api_coverage(app):
    api = DOCS / "api.rst"
    documented = documented_objects(api.read_text())
    for module_name in DOCUMENTED_MODULES:
        module = importlib.import_module(module_name)
        for qualified, obj in public_objects(module).items():
            if not any(obj is other for other in documented):
                logger.warning(f"{qualified} is public but missing from api.rst", location=str(api))


# ---------------------------------------------------------------------------------------------
# Docstring fix-ups
# ---------------------------------------------------------------------------------------------
_SHAPE = re.compile(r"of shape \(([^()]*)\)")
_FITTED_NAME = re.compile(r"(?<![`\w])([A-Za-z]\w*_)(?=\s*[,)])")


_REF_WITH_TITLE = re.compile(r":ref:`([^`<]*?)\s*<[^`>]*>`")
_REF = re.compile(r":ref:`([^`]*)`")


def tidy_docstrings(app, what, name, obj, options, lines):
    """Make docstrings written for other sites build here without warnings.

    - Quote fitted-attribute names in shapes, ``(n_iter_,)`` -> ``(`n_iter_`,)``:
      reStructuredText reads a word ending in ``_`` as a link to a target of that name.
    - Methods the estimators inherit from scikit-learn (``score``, ``get_params``, ...) link to
      sections of scikit-learn's user guide with ``:ref:``; keep the text, drop the link.
    """
    from_sklearn = getattr(obj, "__module__", "").startswith("sklearn.")
    for index, line in enumerate(lines):
        line = _SHAPE.sub(
            lambda match: "of shape (" + _FITTED_NAME.sub(r"`\1`", match.group(1)) + ")", line
        )
        if from_sklearn:
            line = _REF.sub(r"\1", _REF_WITH_TITLE.sub(r"\1", line))
        lines[index] = line


# ---------------------------------------------------------------------------------------------
# docs/scaling.md joins the user guide once it exists
# ---------------------------------------------------------------------------------------------
def drop_missing_scaling_chapter(app, docname, source):
    if docname == "user_guide/index" and not (DOCS / "scaling.md").exists():
        source[0] = re.sub(r"\n   /scaling\n", "\n", source[0])


# ---------------------------------------------------------------------------------------------
# Pages that need no network
# ---------------------------------------------------------------------------------------------
# sphinx-gallery's execution-time pages load jQuery and DataTables from CDNs to make their table
# sortable; offline the raw HTML block fetches nothing and only delays the page. The table below
# it is plain reST, already sorted slowest first, so the block goes.
_CDN_SCRIPTS = re.compile(r"  \.\. raw:: html\n\n(?:(?:    .*)?\n)*?(?=  \.\. list-table::)")


def drop_cdn_scripts(app, docname, source):
    if docname.endswith("sg_execution_times"):
        source[0] = _CDN_SCRIPTS.sub("", source[0])


# ---------------------------------------------------------------------------------------------
# Fitted attributes that are properties look like every other attribute
# ---------------------------------------------------------------------------------------------
def _attributes_without_member_links():
    """Stop numpydoc linking an Attributes entry to the property of the same name.

    numpydoc renders an attribute that is a documented property (``coefs_``, ``intercepts_``)
    as a cross-reference to the property's own entry, and in place of the description the
    docstring gives. These pages document no properties on their own (the class template lists
    methods), so the link would dangle and the entry would be styled unlike its neighbours.
    """
    from numpydoc.docscrape_sphinx import SphinxDocString

    process_param = SphinxDocString._process_param

    def without_member_link(self, param, desc, fake_autosummary):
        return process_param(self, param, desc, fake_autosummary=False)

    SphinxDocString._process_param = without_member_link


def setup(app):
    app.add_directive("skdeep-parameter-table", ParameterTable)
    app.add_directive("skdeep-attribute-table", AttributeTable)
    app.connect("builder-inited", check_api_coverage)
    app.connect("source-read", drop_missing_scaling_chapter)
    app.connect("source-read", drop_cdn_scripts)
    _attributes_without_member_links()
    # Before numpydoc (priority 500) turns the sections into reST.
    app.connect("autodoc-process-docstring", tidy_docstrings, priority=400)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}

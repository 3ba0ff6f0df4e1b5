"""Sphinx helpers of the skdeep docs: tables generated from the code, and checks that fail -W.

- ``.. skdeep-parameter-table:: shared`` (or ``skdeep-only``) renders the parameters of both
  supervised estimators from the real classes' ``get_params()``, each parameter once; a
  scikit-learn parameter that skdeep lacks, or whose default differs, is a build warning, and so
  is a skdeep-only parameter with no user-guide section in :data:`PARAMETER_CHAPTERS`.
- ``.. skdeep-attribute-table:: both`` does the same for the fitted attributes of both
  estimators after a tiny fit.
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
# The user-guide section that explains each parameter scikit-learn's MLPs do not have. The
# parameter table links every such row to its section, and a skdeep-only parameter missing from
# this mapping is a build warning: a new parameter cannot reach the docs without a chapter.
# Shared parameters link to the chapter that explains them where there is one.
PARAMETER_CHAPTERS = {
    # skdeep only
    "anneal_dropout": "ug_dropout",
    "batch_norm": "ug_batch_norm",
    "batch_norm_momentum": "ug_batch_norm",
    "batch_norm_statistics": "ug_batch_norm",
    "class_weight": "ug_losses",
    "dropout": "ug_dropout",
    "input_dropout": "ug_dropout",
    "l1": "ug_regularisation",
    "learning_rate_decay": "ug_schedules",
    "learning_rate_step": "ug_schedules",
    "max_norm": "ug_max_norm",
    "maxout_pieces": "ug_maxout",
    "on_epoch_end": "ug_stopping_from_code",
    "pretraining": "ug_pretraining",
    "pretraining_cd_steps": "ug_rbm",
    "pretraining_learning_rate": "ug_pretraining",
    "pretraining_max_iter": "ug_pretraining",
    "pretraining_noise": "ug_pretraining",
    "pretraining_noise_level": "ug_pretraining",
    "pretraining_persistent": "ug_rbm",
    "rho": "ug_optimisers",
    "weight_init": "ug_initialisation",
    # shared with scikit-learn: the chapters that explain them, or the values skdeep adds
    "activation": "ug_activations",
    "alpha": "ug_regularisation",
    "early_stopping": "ug_early_stopping",
    "learning_rate": "ug_schedules",
    "loss": "ug_losses",
    "solver": "ug_optimisers",
}

KINDS = ("classifier", "regressor")


def _pairs():
    """``{kind: (scikit-learn class, skdeep class)}`` for the two supervised estimators."""
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
        elif (
            not literal
            and depth == 0
            and char in ".:"
            and (index + 1 == len(text) or text[index + 1] == " ")
        ):
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


def _merged_order(classes):
    """Names of the classes' parameters, each once: the first class's order, then the others'."""
    names = []
    for cls in classes:
        names += [name for name in _signature_order(cls) if name not in names]
    return names


def _per_kind(values, render):
    """One cell from ``{kind: value}``: the value once when both kinds agree, else each kind's.

    ``values`` holds the kinds that have the entry; the cell notes a kind that lacks it, so a
    row says where the classifier and the regressor differ.
    """
    shown = {kind: render(value) for kind, value in values.items()}
    if len(shown) == 1:
        ((kind, text),) = shown.items()
        return f"*{kind.capitalize()} only.* {text}"
    if len(set(shown.values())) == 1:
        return shown[KINDS[0]]
    return " ".join(f"*{kind.capitalize()}:* {text}" for kind, text in shown.items())


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
    """A table over both estimators; the one argument says which of its rows to show."""

    required_arguments = 1
    has_content = False
    choices = ()

    def _which(self):
        which = self.arguments[0]
        if which not in self.choices:
            raise self.error(f"expected one of {list(self.choices)}, got {which!r}")
        return which

    def _warn(self, message):
        logger.warning(message, location=(self.env.docname, self.lineno))

    def _render(self, lines):
        container = nodes.container()
        self.state.nested_parse(StringList(lines, source=self.env.docname), 0, container)
        return container.children


class ParameterTable(_TableDirective):
    """The parameters of both estimators, from get_params(), each parameter once.

    ``.. skdeep-parameter-table:: shared`` lists scikit-learn's parameters with their (common)
    default and skdeep's description; ``skdeep-only`` lists the parameters scikit-learn lacks,
    each linked to the user-guide section of :data:`PARAMETER_CHAPTERS` that explains it. A
    row notes where the classifier and the regressor differ. A scikit-learn parameter that skdeep
    lacks or whose default differs, and a skdeep-only parameter without a chapter, are warnings.
    """

    choices = ("shared", "skdeep-only")

    def run(self):
        which = self._which()
        pairs = _pairs()
        theirs, ours, meaning = {}, {}, {}
        for kind, (sklearn_cls, skdeep_cls) in pairs.items():
            theirs[kind] = sklearn_cls().get_params()
            ours[kind] = skdeep_cls().get_params()
            meaning[kind] = _described(skdeep_cls, "Parameters")
            if which != "shared":
                continue  # the shared table reports these, once
            for name, default in theirs[kind].items():
                if name not in ours[kind]:
                    self._warn(f"{skdeep_cls.__name__} lacks {sklearn_cls.__name__}'s {name!r}")
                elif repr(default) != repr(ours[kind][name]):
                    self._warn(
                        f"{skdeep_cls.__name__}'s default {name}={ours[kind][name]!r} "
                        f"differs from {sklearn_cls.__name__}'s {default!r}"
                    )
        if which == "shared":
            names = [
                name
                for name in _merged_order(cls for cls, _ in pairs.values())
                if any(name in ours[kind] for kind in KINDS)
            ]
        else:
            names = [
                name
                for name in _merged_order(cls for _, cls in pairs.values())
                if not any(name in theirs[kind] for kind in KINDS)
            ]
        rows = []
        for name in names:
            if which == "skdeep-only" and name not in PARAMETER_CHAPTERS:
                self._warn(
                    f"skdeep-only parameter {name!r} has no user-guide section in "
                    "PARAMETER_CHAPTERS (docs/sphinxext/skdeep_docs.py)"
                )
            kinds = [kind for kind in KINDS if name in ours[kind]]
            # A parameter of one estimator only is noted once, in the description.
            default = (
                f"``{ours[kinds[0]][name]!r}``"
                if len(kinds) == 1
                else _per_kind(
                    {kind: ours[kind][name] for kind in kinds}, lambda value: f"``{value!r}``"
                )
            )
            described = _per_kind({kind: meaning[kind].get(name, "") for kind in kinds}, str)
            chapter = f":ref:`{PARAMETER_CHAPTERS[name]}`" if name in PARAMETER_CHAPTERS else ""
            rows.append([f"``{name}``", default, described, chapter])
        header = ["Parameter", "Default", "Meaning in skdeep", "Explained in"]
        return self._render(_list_table(header, rows, (20, 14, 46, 20)))


def _fitted_attributes(estimator):
    return {
        name
        for name in dir(estimator)
        if name.endswith("_") and not name.startswith("_") and hasattr(estimator, name)
    }


class AttributeTable(_TableDirective):
    """Fitted attributes of scikit-learn's MLPs and skdeep's estimators after the same tiny fit.

    ``.. skdeep-attribute-table:: both`` lists every attribute once; a row notes an attribute
    that only the classifier or only the regressor has. A scikit-learn attribute that skdeep
    lacks is a warning.
    """

    choices = ("both",)

    def run(self):
        from sklearn.datasets import load_digits
        from sklearn.exceptions import ConvergenceWarning

        self._which()
        X, y = load_digits(return_X_y=True)
        X, y = X[:60] / 16, y[:60]
        theirs, ours, meaning = {}, {}, {}
        for kind, (sklearn_cls, skdeep_cls) in _pairs().items():
            target = y / 9.0 if kind == "regressor" else y
            fitted = []
            for cls in (sklearn_cls, skdeep_cls):
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", ConvergenceWarning)
                    estimator = cls(hidden_layer_sizes=(5,), max_iter=2, random_state=0)
                    estimator.fit(X, target)
                # feature_names_in_ exists only after a fit on a DataFrame; both document it.
                fitted.append(_fitted_attributes(estimator) | {"feature_names_in_"})
            theirs[kind], ours[kind] = fitted
            for name in sorted(theirs[kind] - ours[kind]):
                self._warn(f"{skdeep_cls.__name__} lacks {sklearn_cls.__name__}'s fitted {name}")
            meaning[kind] = _described(skdeep_cls, "Attributes")
        in_sklearn = set().union(*theirs.values())
        names = sorted(
            set().union(*ours.values(), in_sklearn),
            key=lambda name: (name not in in_sklearn, name),
        )
        rows = []
        for name in names:
            kinds = [kind for kind in KINDS if name in ours[kind] or name in theirs[kind]]
            described = _per_kind({kind: meaning[kind].get(name, "") for kind in kinds}, str)
            rows.append(
                [
                    f"``{name}``",
                    "yes" if name in in_sklearn else "--",
                    "yes" if any(name in ours[kind] for kind in kinds) else "--",
                    described,
                ]
            )
        header = ["Attribute", "scikit-learn", "skdeep", "Meaning in skdeep"]
        return self._render(_list_table(header, rows, (22, 12, 12, 54)))


def check_parameter_chapters(app):
    """Every entry of :data:`PARAMETER_CHAPTERS` names a parameter one of the estimators has."""
    params = set()
    for _, skdeep_cls in _pairs().values():
        params |= set(skdeep_cls().get_params())
    for name in sorted(set(PARAMETER_CHAPTERS) - params):
        logger.warning(
            f"PARAMETER_CHAPTERS (docs/sphinxext/skdeep_docs.py) names {name!r}, "
            "which no estimator has"
        )


# ---------------------------------------------------------------------------------------------
# Every public name is in the API reference
# ---------------------------------------------------------------------------------------------
def public_objects(module):
    """``{qualified name: object}`` of the public names of ``module``."""
    names = getattr(module, "__all__", None)
    if names is None:
        names = [
            name
            for name, obj in vars(module).items()
            if not name.startswith("_")
            and (inspect.isclass(obj) or inspect.isfunction(obj))
            and obj.__module__ == module.__name__
        ]
    return {
        f"{module.__name__}.{name}": getattr(module, name)
        for name in names
        if not name.startswith("__")
    }


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
                logger.warning(
                    f"{qualified} is public but missing from api.rst", location=str(api)
                )


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
    app.connect("builder-inited", check_parameter_chapters)
    app.connect("source-read", drop_missing_scaling_chapter)
    app.connect("source-read", drop_cdn_scripts)
    _attributes_without_member_links()
    # Before numpydoc (priority 500) turns the sections into reST.
    app.connect("autodoc-process-docstring", tidy_docstrings, priority=400)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}

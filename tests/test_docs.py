"""The documentation's examples run: every ``>>>`` session in the pages of docs/ and in the
docstrings of skdeep's modules (the API reference).

README's test command (``python -m pytest``) collects only ``tests/``, so the pages are run from
here rather than with ``--doctest-glob``: one test per page, each in fresh globals, with the
same option flags as the docstring examples.
"""

import doctest
import importlib
import pkgutil
from pathlib import Path

import pytest

import skdeep
from threadpoolctl import threadpool_limits

DOCS = Path(__file__).resolve().parent.parent / "docs"
# What a Sphinx build writes into docs/ is not documentation source.
GENERATED = {"_build", "auto_examples", "generated"}
PAGES = sorted(
    page
    for page in DOCS.rglob("*.rst")
    if GENERATED.isdisjoint(page.relative_to(DOCS).parts) and ">>>" in page.read_text("utf-8")
)


def test_pages_with_examples_are_found():
    # Guards the glob above: were it to match nothing, the parametrised test would only skip.
    assert DOCS / "user_guide" / "optimisers.rst" in PAGES


@pytest.mark.parametrize("page", PAGES, ids=lambda page: str(page.relative_to(DOCS)))
def test_page_examples_pass(page):
    # One BLAS thread, as the gallery runs (docs/conf.py): the pages multiply small matrices.
    # doctest prints each failing example, with what it expected and got, to the captured stdout.
    with threadpool_limits(limits=1):
        result = doctest.testfile(
            str(page),
            module_relative=False,
            encoding="utf-8",
            optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE,
        )
    assert result.attempted > 0
    assert result.failed == 0, f"{result.failed} of {result.attempted} examples failed in {page}"


def _modules_with_examples():
    """The skdeep modules whose docstrings hold examples (as doctest finds them)."""
    finder = doctest.DocTestFinder()
    names = [info.name for info in pkgutil.walk_packages(skdeep.__path__, "skdeep.")]
    # __main__ runs the comparison table when imported.
    modules = [importlib.import_module(name) for name in names if not name.endswith("__main__")]
    return [
        module.__name__
        for module in modules
        if any(test.examples for test in finder.find(module, module=module))
    ]


MODULES = _modules_with_examples()


def test_modules_with_examples_are_found():
    assert "skdeep.optimisers" in MODULES and "skdeep.gradient_check" in MODULES


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples_pass(name):
    # The API reference shows these examples; they run here as the pages' do.
    result = doctest.testmod(
        importlib.import_module(name),
        optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE,
    )
    assert result.attempted > 0
    assert result.failed == 0, f"{result.failed} of {result.attempted} examples failed in {name}"

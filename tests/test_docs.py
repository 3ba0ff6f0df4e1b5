"""The documentation's examples run: every ``>>>`` session in the reStructuredText pages of docs/.

README's test command (``python -m pytest``) collects only ``tests/``, so the pages are run from
here rather than with ``--doctest-glob``: one test per page, each in fresh globals, with the
same option flags as the docstring examples.
"""

import doctest
from pathlib import Path

import pytest
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

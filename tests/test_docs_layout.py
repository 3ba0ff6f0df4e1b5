"""Code shown in the docs fits the page: no line wider than the theme's text column.

At the theme's full page width (88rem, a window of 1440 px or more), the text column is 718 px
wide and a code block, less its padding, shows 684 px of code: 81 characters of 14 px DejaVu
Sans Mono or Menlo, the widest of the common monospace fonts (8.43 px each). Code is wrapped at
80, so that it fits in any of them with room to spare; a longer line makes the block scroll
sideways. On the API pages the class body is indented by 32 px, which leaves room for 77: the
docstrings' examples are wrapped at 76. ``docs/check_width.py`` measures the built pages
themselves in a browser (CI runs it); this test finds a long line before anything is built.
Three places put code on the pages: the gallery scripts (their code cells), the literal blocks
and ``>>>`` sessions of docs/ (reST pages) and the fenced code blocks of its Markdown pages, and
the examples of skdeep's docstrings (the API pages). Each is checked as it is shown: a literal
block without the indentation that marks it in the reST source, a docstring example with its
``>>> `` prompt.
"""

import doctest
import importlib
import pkgutil
from pathlib import Path

import pytest

import skdeep

COLUMNS = 80
API_COLUMNS = 76
ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
GENERATED = {"_build", "auto_examples", "generated"}


def _too_long(lines):
    return [f"{number}: {line}" for number, line in lines if len(line) > COLUMNS]


def example_code_lines(source):
    """The (line number, line) pairs of a gallery script that the page shows as code.

    As sphinx-gallery splits a script: the module docstring and each run of comment lines
    opened by a ``# %%`` line are text, rendered as prose; everything else is code.
    """
    lines = source.splitlines()
    # The docstring opens on the first line and closes on the next line holding quotes.
    docstring_lines = 1 + next(
        index for index, line in enumerate(lines[1:], start=1) if '"""' in line
    )
    in_text = False
    code = []
    for number, line in enumerate(lines, start=1):
        if number <= docstring_lines:
            continue
        if line.startswith("# %%"):
            in_text = True
        elif in_text and not line.startswith("#"):
            in_text = False
        if not in_text:
            code.append((number, line))
    return code


def literal_block_lines(text):
    """The (line number, line) pairs of a reST page shown in literal blocks or sessions."""
    lines = text.splitlines()
    shown = []
    block_indent = None  # indentation of the current literal block's body, once known
    opener_indent = None
    for number, line in enumerate(lines, start=1):
        stripped = line.strip()
        indent = len(line) - len(line.lstrip())
        if stripped.startswith((">>>", "... ")) and opener_indent is None:
            shown.append((number, line[indent:]))
            continue
        if opener_indent is not None and stripped:
            if block_indent is None and indent > opener_indent and not stripped.startswith(":"):
                block_indent = indent
            if block_indent is not None and indent < block_indent:
                opener_indent = block_indent = None
            elif block_indent is not None:
                shown.append((number, line[block_indent:]))
                continue
            elif indent <= opener_indent:
                opener_indent = None
        if stripped.startswith(".. code-block::") or (
            line.rstrip().endswith("::") and not stripped.startswith("..")
        ):
            opener_indent, block_indent = indent, None
    return shown


def fenced_block_lines(text):
    """The (line number, line) pairs of a Markdown page shown in fenced code blocks.

    A fence is three or more backticks or tildes; the block ends at a fence of the same
    character at least as long. The fence's own indentation (a block inside a list item) is
    not shown, so it is removed from the block's lines.
    """
    shown = []
    fence = None  # (character, length, indentation) of the open fence
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.lstrip()
        indent = len(line) - len(stripped)
        marker = stripped[:1]
        run = len(stripped) - len(stripped.lstrip(marker)) if marker in "`~" else 0
        if fence is None:
            if run >= 3:
                fence = (marker, run, indent)
        elif marker == fence[0] and run >= fence[1] and not stripped[run:].strip():
            fence = None
        else:
            shown.append((number, line[min(indent, fence[2]) :]))
    return shown


def test_the_checks_see_long_lines():
    # The helpers find what they are meant to: a long code line, not a long comment cell.
    long = "x = " + "1 + " * 30 + "1"
    script = f'"""\nTitle\n=====\n\n{"word " * 30}\n"""\n\n# %%\n# {"prose " * 20}\n{long}\n'
    assert [number for number, _ in example_code_lines(script) if len(_) > COLUMNS] == [10]
    page = f"Some text::\n\n    {long}\n\nProse {'again ' * 20}\n\n>>> {long}\n"
    assert [number for number, _ in literal_block_lines(page) if len(_) > COLUMNS] == [3, 7]
    markdown = (
        f"{'prose ' * 20}\n\n```python\n{long}\nx = 1\n```\n\n"
        f"- item\n\n  ~~~~\n  {long}\n  ~~~~\n\n{'prose ' * 20}\n"
    )
    assert [number for number, _ in fenced_block_lines(markdown) if len(_) > COLUMNS] == [4, 11]


@pytest.mark.parametrize(
    "script",
    sorted((ROOT / "examples").glob("*.py")),
    ids=lambda path: path.name,
)
def test_gallery_code_fits(script):
    too_long = _too_long(example_code_lines(script.read_text("utf-8")))
    assert not too_long, f"{script.name}: code lines over {COLUMNS} columns:\n" + "\n".join(
        too_long
    )


PAGES = sorted(
    page for page in DOCS.rglob("*.rst") if GENERATED.isdisjoint(page.relative_to(DOCS).parts)
)


# The READMEs of _static/ and _inventories/ are notes beside files, not pages.
MARKDOWN_PAGES = sorted(
    page
    for page in DOCS.rglob("*.md")
    if (GENERATED | {"_static", "_inventories"}).isdisjoint(page.relative_to(DOCS).parts)
)


@pytest.mark.parametrize(
    "page", PAGES + MARKDOWN_PAGES, ids=lambda page: str(page.relative_to(DOCS))
)
def test_page_code_fits(page):
    shown = fenced_block_lines if page.suffix == ".md" else literal_block_lines
    too_long = _too_long(shown(page.read_text("utf-8")))
    assert not too_long, f"{page.name}: code lines over {COLUMNS} columns:\n" + "\n".join(too_long)


def test_docstring_examples_fit():
    finder = doctest.DocTestFinder()
    too_long = []
    for info in pkgutil.walk_packages(skdeep.__path__, "skdeep."):
        if info.name.endswith("__main__"):  # runs the comparison table when imported
            continue
        module = importlib.import_module(info.name)
        for test in finder.find(module, module=module):
            for example in test.examples:
                shown = [">>> " + line for line in example.source.splitlines()]
                shown += example.want.splitlines()
                too_long += [
                    f"{test.name}: {line}" for line in shown if len(line) > API_COLUMNS
                ]
    assert not too_long, "docstring examples over the column:\n" + "\n".join(too_long)

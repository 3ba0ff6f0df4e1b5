"""The module map of docs/architecture.md is the import order: no module imports one below it."""

import ast
import pathlib
import re

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "src" / "skdeep"


def documented_order():
    """Module names (``noise``, ``datasets``, ...) in the order the architecture map lists them."""
    text = (ROOT / "docs" / "architecture.md").read_text()
    block = text.split("```", 2)[1]
    return [match.group(1) for match in re.finditer(r"^  (\w+)(?:\.py|/)\s", block, re.MULTILINE)]


def internal_imports(path):
    """The top-level skdeep modules a file imports (``from .x import``, ``from . import x``)."""
    tree = ast.parse(path.read_text())
    inside_subpackage = path.parent != PACKAGE
    names = set()
    for node in ast.walk(tree):
        if not isinstance(node, ast.ImportFrom) or node.level == 0:
            continue
        if inside_subpackage and node.level == 1:
            continue  # a sibling inside the same subpackage
        if node.module:
            names.add(node.module.split(".")[0])
        else:
            names.update(alias.name for alias in node.names)
    return names


def module_files():
    return sorted(path for path in PACKAGE.rglob("*.py") if path.name != "__init__.py"
                  or path.parent != PACKAGE)


def top_level_name(path):
    relative = path.relative_to(PACKAGE)
    return relative.parts[0].removesuffix(".py")


def test_every_module_is_on_the_map():
    order = documented_order()
    missing = {top_level_name(path) for path in module_files()} - set(order)
    assert not missing, f"modules missing from docs/architecture.md: {sorted(missing)}"


@pytest.mark.parametrize("path", module_files(), ids=lambda path: str(path.relative_to(PACKAGE)))
def test_imports_flow_downwards(path):
    order = documented_order()
    importer = top_level_name(path)
    if importer == "__main__":
        return  # the command line sits on top of everything
    position = order.index(importer)
    upward = [name for name in internal_imports(path)
              if name in order and order.index(name) > position]
    assert not upward, f"{path.relative_to(ROOT)} imports {upward}, listed below it"

"""docs/check_width.py finds content wider than its column, and only that.

The check drives headless Chromium, so these tests run where Debian's chromium and
chromium-driver are installed (CI installs them for the docs step) and are skipped elsewhere.
"""

import importlib.util
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.skipif(
    not (shutil.which("chromium") and shutil.which("chromedriver")),
    reason="needs Debian's chromium and chromium-driver",
)


def _check_width():
    spec = importlib.util.spec_from_file_location("check_width", ROOT / "docs" / "check_width.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# A page laid out as the theme lays out its text column: 700 px wide, code in scroll boxes.
PAGE = """<!DOCTYPE html><html><head><style>
article.bd-article {{ width: 700px; }}
pre {{ overflow-x: auto; font: 14px monospace; padding: 16px; }}
</style></head><body><article class="bd-article">{body}</article></body></html>"""


def _site(tmp_path, pages):
    for name, body in pages.items():
        (tmp_path / name).write_text(PAGE.format(body=body), encoding="utf-8")
    (tmp_path / "_modules").mkdir()
    # viewcode's pages show source as it is: never checked, however wide.
    (tmp_path / "_modules" / "wide.html").write_text(
        PAGE.format(body=f"<pre>{'x' * 300}</pre>"), encoding="utf-8"
    )
    return tmp_path


def test_pages_that_fit_pass(tmp_path, capsys):
    site = _site(tmp_path, {"narrow.html": f"<pre>{'x = 1; ' * 8}</pre><p>{'word ' * 400}</p>"})
    assert _check_width().main([str(site)]) == 0
    assert "1 pages checked" in capsys.readouterr().out


@pytest.mark.parametrize(
    "body, kind",
    [
        (f"<pre>{'y' * 120}</pre>", "scrolls"),  # a code line longer than the column
        ('<div style="width: 900px; height: 10px"><img style="width: 900px"></div>', "sticks out"),
        ('<div style="width: 2000px; height: 10px"></div>', "page"),
    ],
    ids=["code", "figure", "page"],
)
def test_wide_content_fails(tmp_path, capsys, body, kind):
    site = _site(tmp_path, {"fits.html": "<p>short</p>", "wide.html": body})
    assert _check_width().main([str(site)]) == 1
    out = capsys.readouterr().out
    assert f"wide.html:\n    {kind}:" in out
    assert "fits.html" not in out.split("pages checked")[0]

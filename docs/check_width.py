"""Check that no page of a built site scrolls sideways at the theme's default width.

Usage, after a build into OUT (``sphinx-build -W docs OUT``)::

    python docs/check_width.py OUT [--width 1440] [--chromedriver PATH] [--chromium PATH]

Each HTML page is opened in headless Chromium in a window ``--width`` pixels wide (by default
1440, wide enough for the theme's full page width of 88rem, with both sidebars beside the text
column) and, once MathJax has typeset the page, the script lists, in the page's main text:

- every box that scrolls sideways: a code block, a printed output, a table or an equation whose
  content is wider than the box that holds it;
- every figure, table or equation that sticks out to the right of the text column;
- the page itself, when it is wider than the window.

The exit status is 1 when some page has one of these, 0 otherwise. Chromium is driven through
ChromeDriver's W3C WebDriver protocol, plain JSON over HTTP, so the check needs Debian's
``chromium`` and ``chromium-driver`` and nothing from PyPI. Pages that show source files as they
are (viewcode's ``_modules/``), the search page and the indices are not checked: they are not
written at the text column's width.
"""

import argparse
import json
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

SKIPPED_DIRS = {"_modules", "_sources", "_static", "_images", "_downloads"}
SKIPPED_PAGES = {"search.html", "genindex.html", "py-modindex.html"}

# Run in the page, asynchronously: the last argument is WebDriver's callback. MathJax 3 exposes
# a promise that settles once the first typesetting pass is over; pages without maths have none.
MEASURE = r"""
const done = arguments[arguments.length - 1];
const loaded = new Promise((resolve) => {
  if (document.readyState === "complete") { resolve(); }
  else { window.addEventListener("load", resolve); }
});
loaded.then(() => (window.MathJax && MathJax.startup && MathJax.startup.promise)).then(() => {
  try { done(measure()); } catch (error) { done([["error", 0, 0, String(error.stack)]]); }
});
function measure() {
  const found = [];
  const describe = (el) => {
    const text = (el.innerText || el.getAttribute("alt") || el.tagName).trim();
    return text.replace(/\s+/g, " ").slice(0, 70);
  };
  const doc = document.documentElement;
  if (doc.scrollWidth > window.innerWidth + 1) {
    found.push(["page", doc.scrollWidth, window.innerWidth, "the whole page"]);
  }
  const article = document.querySelector("article.bd-article") || document.body;
  const column = article.getBoundingClientRect();
  // Boxes that hold wide content: they scroll (overflow auto or scroll) or would clip it.
  for (const el of article.querySelectorAll("pre, div.highlight, table, div.math, "
        + "mjx-container[display], .table-wrapper, .pst-scrollable-table-container")) {
    const style = getComputedStyle(el);
    if (style.overflowX !== "visible" && el.scrollWidth > el.clientWidth + 1) {
      found.push(["scrolls", el.scrollWidth, el.clientWidth, describe(el)]);
    }
  }
  // Things that stick out of the text column without scrolling.
  for (const el of article.querySelectorAll("img, table, mjx-container[display], pre, svg")) {
    const box = el.getBoundingClientRect();
    if (box.width > 0 && box.right > column.right + 1 && !el.closest(".sphx-glr-thumbcontainer")) {
      let clipped = false;
      for (let up = el.parentElement; up && up !== article; up = up.parentElement) {
        if (getComputedStyle(up).overflowX !== "visible") { clipped = true; break; }
      }
      if (!clipped) {
        found.push(["sticks out", Math.round(box.right - column.left),
                    Math.round(column.width), describe(el)]);
      }
    }
  }
  return found;
}
"""


class WebDriver:
    """The four WebDriver commands the check needs, spoken to a ChromeDriver on localhost."""

    def __init__(self, chromedriver, chromium, width):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.process = subprocess.Popen(
            [chromedriver, f"--port={self.port}"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        self.base = f"http://127.0.0.1:{self.port}"
        self._wait_until_listening()
        options = {
            "binary": chromium,
            "args": [
                "--headless=new",
                "--no-sandbox",
                "--disable-gpu",
                "--hide-scrollbars",
                f"--window-size={width},900",
            ],
        }
        capabilities = {"browserName": "chrome", "goog:chromeOptions": options}
        reply = self._call("POST", "/session", {"capabilities": {"alwaysMatch": capabilities}})
        self.session = f"/session/{reply['sessionId']}"
        self._call("POST", f"{self.session}/timeouts", {"script": 30_000, "pageLoad": 60_000})

    def _wait_until_listening(self, seconds=20):
        deadline = time.monotonic() + seconds
        while True:
            try:
                self._call("GET", "/status")
                return
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)

    def _call(self, method, path, body=None):
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(
            self.base + path,
            data=data,
            method=method,
            headers={"Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(request, timeout=90) as response:
                return json.load(response)["value"]
        except urllib.error.HTTPError as error:
            # WebDriver reports a failed command (a script error, a timeout) as JSON.
            detail = json.load(error)["value"]
            raise RuntimeError(f"{detail.get('error')}: {detail.get('message')}") from None

    def measure(self, url):
        self._call("POST", f"{self.session}/url", {"url": url})
        return self._call("POST", f"{self.session}/execute/async", {"script": MEASURE, "args": []})

    def close(self):
        try:
            self._call("DELETE", self.session)
        finally:
            self.process.terminate()
            self.process.wait(timeout=10)


def pages_to_check(site):
    """The HTML pages of a built site that are written at the text column's width."""
    for page in sorted(site.rglob("*.html")):
        relative = page.relative_to(site)
        if relative.parts[0] in SKIPPED_DIRS or relative.name in SKIPPED_PAGES:
            continue
        yield relative


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("site", type=Path, help="the directory sphinx-build wrote")
    parser.add_argument("--width", type=int, default=1440, help="window width in pixels")
    parser.add_argument("--chromedriver", default=shutil.which("chromedriver"))
    parser.add_argument("--chromium", default=shutil.which("chromium"))
    args = parser.parse_args(argv)
    if not args.chromedriver or not args.chromium:
        parser.error("needs chromium and chromedriver (Debian: chromium chromium-driver)")
    site = args.site.resolve()
    pages = list(pages_to_check(site))
    if not pages:
        parser.error(f"no HTML pages under {site}")

    start = time.monotonic()
    driver = WebDriver(args.chromedriver, args.chromium, args.width)
    failing = 0
    try:
        for relative in pages:
            try:
                problems = driver.measure((site / relative).as_uri())
            except RuntimeError as error:
                raise RuntimeError(f"{relative}: {error}") from None
            if problems:
                failing += 1
                print(f"{relative}:")
                for kind, needed, available, what in problems:
                    print(f"    {kind}: {needed} px in {available} px: {what}")
    finally:
        driver.close()
    seconds = time.monotonic() - start
    print(
        f"{len(pages)} pages checked at {args.width} px in {seconds:.0f} s: "
        f"{failing} with content wider than its column"
    )
    return 1 if failing else 0


if __name__ == "__main__":
    sys.exit(main())

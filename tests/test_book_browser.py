"""The built book, checked in a real browser (headless Chromium driven by Selenium).

`make test` builds the book first; here `_build/html` is served on 127.0.0.1 and every
page of the table of contents is opened. Each page must load without console errors and
without requests to other hosts (the book works offline), show its images and typeset
its maths. Chapter pages must also have the right Colab and download links, folded
solutions, and no trace of their hidden (`remove-cell`) cells.

Skipped, with the reason, when the book is not built, when Chromium, chromedriver or
Selenium is missing. Nothing here downloads a browser or a driver: install Debian's
`chromium` and `chromium-driver` (`.ci/run` does it), or point the environment variables
CHROMIUM and CHROMEDRIVER at other binaries.
"""

from __future__ import annotations

import functools
import http.server
import json
import os
import shutil
import tempfile
import threading
import urllib.request
from pathlib import Path
from urllib.parse import urlparse

import pytest
import yaml
from conftest import toc_files as _toc_files

ROOT = Path(__file__).resolve().parents[1]
HTML = ROOT / "_build" / "html"
CHROMIUM = os.environ.get("CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = os.environ.get("CHROMEDRIVER") or shutil.which("chromedriver") or "/usr/bin/chromedriver"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-dev-shm-usage", "--window-size=1366,800",
]
PAGE_TIMEOUT = 30  # seconds


def _repository() -> tuple[str, str]:
    config = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))
    repo = config["repository"]
    return repo["url"].rstrip("/"), repo.get("branch", "main")


TOC_FILES = _toc_files()
CHAPTERS = [f for f in TOC_FILES if f.startswith("notebooks/")]
PAGES = [f for f in TOC_FILES if not f.startswith("notebooks/")]


def _why_skip() -> str | None:
    if not (HTML / "index.html").is_file():
        return f"the book is not built ({HTML / 'index.html'} is missing): run `make book` first"
    if not Path(CHROMIUM).is_file():
        return (f"no Chromium at {CHROMIUM}: install Debian's chromium and chromium-driver "
                "(apt-get install chromium chromium-driver) or set CHROMIUM")
    if not Path(CHROMEDRIVER).is_file():
        return (f"no chromedriver at {CHROMEDRIVER}: install Debian's chromium-driver "
                "or set CHROMEDRIVER")
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "selenium is not installed: pip install -r requirements.txt"
    return None


pytestmark = pytest.mark.skipif(_why_skip() is not None, reason=_why_skip() or "")


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):  # noqa: A002 - the base class's name
        pass


@pytest.fixture(scope="module")
def server():
    """Serve _build/html on a free port of 127.0.0.1 for the duration of the module."""
    handler = functools.partial(_QuietHandler, directory=str(HTML))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture(scope="module")
def browser():
    """Headless Chromium with a fresh profile, logging the console."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    os.environ.setdefault("SE_AVOID_STATS", "true")
    profile = tempfile.mkdtemp(prefix="book-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in CHROMIUM_ARGS + [f"--user-data-dir={profile}"]:
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(PAGE_TIMEOUT)
    driver.set_script_timeout(PAGE_TIMEOUT)
    yield driver
    driver.quit()
    shutil.rmtree(profile, ignore_errors=True)


def _open(driver, url: str) -> list[dict]:
    """Load ``url``, wait for MathJax to finish, return the console messages of the page."""
    driver.get_log("browser")  # drop what an earlier page left
    driver.get(url)
    driver.execute_async_script(
        """
        const done = arguments[arguments.length - 1];
        const ready = () => {
          if (document.readyState !== "complete") { return setTimeout(ready, 50); }
          const mj = window.MathJax;
          if (mj && mj.startup && mj.startup.promise) {
            mj.startup.promise.then(() => done(true), () => done(false));
          } else { done(true); }
        };
        ready();
        """
    )
    return driver.get_log("browser")


def _page_url(base: str, docname: str) -> str:
    return f"{base}/{docname}.html"


def _check_common(driver, base: str, docname: str, console: list[dict]) -> None:
    errors = [m["message"] for m in console
              if m.get("level") == "SEVERE" and "favicon.ico" not in m.get("message", "")]
    assert not errors, f"{docname}: console errors:\n" + "\n".join(errors)

    title = driver.title
    assert "404" not in title and title.strip(), f"{docname}: page did not load (title {title!r})"

    # Offline: every resource the page loaded came from our server.
    resources = driver.execute_script(
        "return performance.getEntriesByType('resource').map(e => e.name);")
    host = urlparse(base).netloc
    foreign = [r for r in resources if urlparse(r).netloc not in ("", host)]
    assert not foreign, f"{docname}: requests to other hosts (the book must work offline): {foreign}"

    # Images: loaded and described.
    images = driver.execute_script(
        """
        return Array.from(document.querySelectorAll('article img, main img')).map(img => ({
          src: img.getAttribute('src').slice(0, 80), alt: img.getAttribute('alt') || '',
          complete: img.complete, width: img.naturalWidth,
          rawHtml: Boolean(img.closest('.output.text_html'))}));
        """)
    broken = [i["src"] for i in images if not (i["complete"] and i["width"] > 0)]
    assert not broken, f"{docname}: images that did not load: {broken}"
    # Figures (image outputs and the pages' own pictures) need alt text; the frames of an
    # HTML output (e.g. an animation's player) are the HTML's business.
    no_alt = [i["src"] for i in images if not i["rawHtml"] and (
              not i["alt"].strip() or i["alt"].strip() == i["src"]
              or i["alt"].lower().endswith((".png", ".svg", ".jpg", ".jpeg", ".gif")))]
    assert not no_alt, (f"{docname}: images without alt text (set cell.metadata.mystnb.image.alt "
                        f"on the figure's cell): {no_alt}")

    # Maths: every formula Sphinx marked as maths was typeset by MathJax, without errors.
    math = driver.execute_script(
        """
        const nodes = Array.from(document.querySelectorAll('.math'));
        return {total: nodes.length,
                typeset: nodes.filter(n => n.querySelector('mjx-container')).length,
                errors: Array.from(document.querySelectorAll('mjx-merror, [data-mjx-error]'))
                             .map(e => e.getAttribute('data-mjx-error') || e.textContent).slice(0, 5)};
        """)
    assert math["total"] == math["typeset"], (
        f"{docname}: {math['total'] - math['typeset']} of {math['total']} formulas not typeset")
    assert not math["errors"], f"{docname}: MathJax errors: {math['errors']}"


def _notebook_uses_math(path: Path) -> bool:
    nb = json.loads(path.read_text(encoding="utf-8"))
    return any(c["cell_type"] == "markdown" and "$" in "".join(c["source"]) for c in nb["cells"])


@pytest.mark.parametrize("docname", PAGES)
def test_book_page(server, browser, docname):
    if not (HTML / f"{docname}.html").is_file():
        pytest.fail(f"{docname}.html is missing from the built book")
    console = _open(browser, _page_url(server, docname))
    _check_common(browser, server, docname, console)


@pytest.mark.parametrize("docname", CHAPTERS)
def test_chapter_page(server, browser, docname):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    notebook = ROOT / f"{docname}.ipynb"
    if not notebook.is_file():
        pytest.skip(f"{notebook.name} is not written yet")
    assert (HTML / f"{docname}.html").is_file(), f"{docname}.html is missing: rebuild the book"
    console = _open(browser, _page_url(server, docname))
    _check_common(browser, server, docname, console)

    if _notebook_uses_math(notebook):
        count = browser.execute_script("return document.querySelectorAll('mjx-container').length;")
        assert count > 0, f"{docname}: the notebook has maths but none was rendered"

    # The Colab button opens this very notebook from the course repository.
    url, branch = _repository()
    owner_repo = urlparse(url).path.strip("/")
    expected = f"https://colab.research.google.com/github/{owner_repo}/blob/{branch}/{docname}.ipynb"
    colab = [a.get_attribute("href") for a in browser.find_elements(By.CSS_SELECTOR, "a")
             if "colab.research.google.com" in (a.get_attribute("href") or "")]
    assert colab == [expected], f"{docname}: Colab links {colab}, expected [{expected!r}]"

    # The download button offers the .ipynb, and the server has it.
    downloads = [a.get_attribute("href") for a in browser.find_elements(By.CSS_SELECTOR, "a")
                 if (a.get_attribute("href") or "").endswith(f"{Path(docname).name}.ipynb")
                 and "colab" not in a.get_attribute("href")]
    assert downloads, f"{docname}: no download link to the .ipynb"
    with urllib.request.urlopen(downloads[0], timeout=10) as response:
        assert response.status == 200
        json.loads(response.read())  # a real notebook, not an error page

    # Solutions are folded: nothing tagged solution is visible until "Show solution".
    nb = json.loads(notebook.read_text(encoding="utf-8"))
    tags = [c.get("metadata", {}).get("tags", []) for c in nb["cells"]]
    n_solutions = sum("solution" in t and "remove-cell" not in t for t in tags)
    if n_solutions:
        state = browser.execute_script(
            """
            const cells = Array.from(document.querySelectorAll('.tag_solution'));
            const folds = Array.from(document.querySelectorAll('details.solution'));
            return {cells: cells.length,
                    unfolded: cells.filter(c => !c.closest('details.solution')).length,
                    open: folds.filter(d => d.open).length, folds: folds.length,
                    visible: cells.filter(c => c.checkVisibility()).length,
                    labels: folds.map(d => d.querySelector('summary').textContent.trim())};
            """)
        assert state["cells"] == n_solutions, (
            f"{docname}: {n_solutions} solution cells in the notebook, {state['cells']} on the page")
        assert state["unfolded"] == 0 and state["open"] == 0 and state["visible"] == 0, state
        assert set(state["labels"]) == {"Show solution"}, state["labels"]
        summary = browser.find_element(By.CSS_SELECTOR, "details.solution > summary")
        browser.execute_script("arguments[0].scrollIntoView({block: 'center'});", summary)
        summary.click()
        WebDriverWait(browser, 5).until(lambda d: d.execute_script(
            "return document.querySelector('details.solution > summary').textContent.trim();")
            == "Hide solution")
        opened = browser.execute_script(
            """
            const d = document.querySelector('details.solution');
            return {open: d.open, label: d.querySelector('summary').textContent.trim(),
                    visible: Array.from(d.querySelectorAll('.tag_solution'))
                                  .every(c => c.checkVisibility())};
            """)
        assert opened == {"open": True, "label": "Hide solution", "visible": True}, opened

    # Hidden cells stay hidden: no code cell on the page shows a remove-cell cell's code.
    shown = browser.execute_script(
        "return Array.from(document.querySelectorAll('.cell_input pre'))"
        ".map(p => p.textContent.replace(/\\s+/g, ' ').trim());")
    for cell in nb["cells"]:
        if cell["cell_type"] == "code" and "remove-cell" in cell.get("metadata", {}).get("tags", []):
            code = " ".join("".join(cell["source"]).split())
            assert code not in shown, f"{docname}: a remove-cell cell is on the page: {code[:80]!r}"

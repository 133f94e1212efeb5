"""The built book, checked in a real browser (headless Chromium driven by Selenium).

`make test` builds the book first. Every page of the table of contents is then opened
twice, as readers open it: served over http (desktop 1366x800 first) and from disk over
file:// (how the README says to open it; a 390x844 phone first), and each load is also
checked at the other width. On every page and width:

- no console error, no request to another host, every image loaded and described;
- maths typeset where the page has some, and MathJax not loaded where it has none;
- nothing wider than the screen, nothing sticking out of the text column or clipped
  (code, printed tables and outputs scroll inside their own box);
- the header works: on a desktop the menu button collapses and restores the sidebar, on
  a phone it opens the navigation and "Contents" opens the page's sections; the
  navigation lists every chapter; every link inside the book (next/previous chapter,
  cross-references, citations, downloads) leads to a page and anchor that exist.

Chapters also: the Colab button opens this notebook, the download button offers it, the
solutions are folded (and open when clicked, and print), no hidden cell shows, outputs
carry no warning, traceback or progress-bar debris, copy buttons sit on code only and
copy no prompts, and a cold load stays within a page-weight budget. Search finds every
chapter from its title over http and file://, from the header's search button too, and
finds chapters by words of their text that are in none of their titles (the index's
full text, not only its titles); the references page has every entry of
book/references.bib; the API page documents every public name of d2lmini, each with its
own docstring (a class's is not made up by its methods').

Where Chromium, chromedriver or Selenium is missing, or the book is not built, the tests
are skipped with the reason, except in CI (environment variable CI set, as CI does),
where that is a failure. Nothing here downloads a browser or a driver: install Debian's
`chromium` and `chromium-driver` (`.ci/run` does it), or point the environment variables
CHROMIUM and CHROMEDRIVER at other binaries. BOOK_HTML checks another build folder.
"""

from __future__ import annotations

import functools
import http.server
import json
import os
import re
import shutil
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import unquote, urldefrag, urlparse

import pytest
import yaml
from conftest import toc_files as _toc_files

ROOT = Path(__file__).resolve().parents[1]
HTML = Path(os.environ.get("BOOK_HTML") or ROOT / "_build" / "html").resolve()
CHROMIUM = os.environ.get("CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = os.environ.get("CHROMEDRIVER") or shutil.which("chromedriver") or "/usr/bin/chromedriver"
IN_CI = os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")
DESKTOP = (1366, 800)
PHONE = (390, 844)
PAGE_TIMEOUT = 30  # seconds
# A chapter's cold load without its figures (HTML, styles, scripts, fonts, MathJax).
# Before the book cut Font Awesome's script and the full MathJax it was 4.5 MiB.
PAGE_BUDGET = 2.5 * 2**20
# On a phone a figure keeps at least this width (CSS px), or its own if smaller.
PHONE_FIGURE_MIN = 480


def _repository() -> tuple[str, str]:
    config = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))
    repo = config["repository"]
    return repo["url"].rstrip("/"), repo.get("branch", "main")


TOC = [f.removesuffix(".ipynb").removesuffix(".md") for f in _toc_files()]


def _docnames() -> list[str]:
    """Every page of the table of contents, and every notebook (a chapter left out of
    _toc.yml must still fail the sidebar check)."""
    names = list(TOC)
    notebooks = sorted(f"notebooks/{p.stem}" for p in (ROOT / "notebooks").glob("*.ipynb"))
    return names + [n for n in notebooks if n not in names]


DOCNAMES = _docnames()
CHAPTERS = [d for d in DOCNAMES if d.startswith("notebooks/")]


def _notebook(docname: str) -> dict:
    return json.loads((ROOT / f"{docname}.ipynb").read_text(encoding="utf-8"))


def _chapter_title(docname: str) -> str:
    for cell in _notebook(docname)["cells"]:
        if cell["cell_type"] == "markdown":
            for line in "".join(cell["source"]).splitlines():
                if line.startswith("# "):
                    return line[2:].strip()
    return Path(docname).name


def _search_term(docname: str) -> str:
    """The longest word of the chapter's title: search must find the chapter by it."""
    words = re.findall(r"[A-Za-z]{4,}", _chapter_title(docname))
    return max(words, key=len).lower() if words else Path(docname).name.split("_")[-1]


# Words of the chapters' text, not of their titles: a search for one of them must find every
# chapter whose text uses it, and some of those chapters only the index's full text can find.
BODY_WORDS = ("xavier", "momentum")


def _markdown_lines(docname: str) -> tuple[list[str], list[str]]:
    """The chapter's markdown as (heading lines, other lines)."""
    lines = [line for cell in _notebook(docname)["cells"] if cell["cell_type"] == "markdown"
             for line in "".join(cell["source"]).splitlines()]
    headings = [line for line in lines if line.lstrip().startswith("#")]
    return headings, [line for line in lines if not line.lstrip().startswith("#")]


def _chapters_using(word: str) -> tuple[list[str], list[str]]:
    """The chapters whose text uses ``word``, and those of them with it in no heading."""
    pattern = re.compile(rf"\b{re.escape(word)}", re.IGNORECASE)
    using, body_only = [], []
    for docname in CHAPTERS:
        headings, text = _markdown_lines(docname)
        if any(pattern.search(line) for line in text):
            using.append(docname)
            if not any(pattern.search(line) for line in headings):
                body_only.append(docname)
    return using, body_only


def _unavailable() -> str | None:
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


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):  # noqa: A002 - the base class's name
        pass


@pytest.fixture(scope="module")
def server():
    """Serve the built book on a free port of 127.0.0.1 for the duration of the module."""
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
    why = _unavailable()
    if why:
        if IN_CI:
            pytest.fail(f"CI must check the book in a browser, but {why}", pytrace=False)
        pytest.skip(why)
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    os.environ.setdefault("SE_AVOID_STATS", "true")
    profile = tempfile.mkdtemp(prefix="book-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--disable-dev-shm-usage", "--hide-scrollbars",
                f"--window-size={DESKTOP[0]},{DESKTOP[1]}", f"--user-data-dir={profile}"]:
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(PAGE_TIMEOUT)
    driver.set_script_timeout(PAGE_TIMEOUT)
    yield driver
    driver.quit()
    shutil.rmtree(profile, ignore_errors=True)


# --- loading a page -------------------------------------------------------------------------

def _set_width(driver, size: tuple[int, int]) -> None:
    width, height = size
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
        "width": width, "height": height, "deviceScaleFactor": 1, "mobile": width < 600})
    driver.execute_cdp_cmd("Emulation.setTouchEmulationEnabled", {"enabled": width < 600})
    time.sleep(0.1)  # let the theme's resize handlers run


_WAIT_FOR_PAGE = """
const done = arguments[arguments.length - 1];
const start = Date.now();
const usesMathJax = Boolean(document.querySelector('script[src*="mathjax/"]'));
const typeset = () => Array.from(document.querySelectorAll('.math'))
  .every(n => n.querySelector('mjx-container'));
const ready = () => {
  if (Date.now() - start > 25000) { return done(false); }
  if (document.readyState !== 'complete') { return setTimeout(ready, 50); }
  const mj = window.MathJax;
  if (usesMathJax && !(mj && mj.startup && mj.startup.promise)) { return setTimeout(ready, 50); }
  const promise = usesMathJax ? mj.startup.promise : Promise.resolve();
  promise.then(() => typeset() || !usesMathJax ? done(true) : setTimeout(ready, 100),
               () => done(false));
};
ready();
"""


def _console(driver) -> list[str]:
    """The errors and warnings in the browser's console since the last call."""
    return [f"{m['level']}: {m['message']}" for m in driver.get_log("browser")
            if m.get("level") in ("SEVERE", "WARNING") and "favicon.ico" not in m.get("message", "")]


def _open(driver, url: str, size: tuple[int, int]) -> list[str]:
    """Load ``url`` at ``size``, wait for MathJax; return the console's errors and warnings."""
    _set_width(driver, size)
    driver.get_log("browser")  # drop what an earlier page left
    driver.get(url)
    driver.execute_async_script(_WAIT_FOR_PAGE)
    return _console(driver)


def _url(base: str, docname: str) -> str:
    return f"{base}/{docname}.html" if base.startswith("http") else (HTML / f"{docname}.html").as_uri()


# --- checks on any page ---------------------------------------------------------------------

_IMAGES = """
return Array.from(document.querySelectorAll('article img, main img')).map(img => ({
  src: (img.getAttribute('src') || '').slice(0, 80), alt: img.getAttribute('alt') || '',
  complete: img.complete, width: img.naturalWidth,
  shown: Math.round(img.getBoundingClientRect().width),
  cssWidth: parseFloat(img.style.width) || img.naturalWidth,
  figure: Boolean(img.closest('.cell_output')) && !img.closest('.text_html'),
  rawHtml: Boolean(img.closest('.output.text_html'))}));
"""

_MATHS = """
const nodes = Array.from(document.querySelectorAll('.math'));
return {total: nodes.length,
        typeset: nodes.filter(n => n.querySelector('mjx-container')).length,
        mathjax: Array.from(document.scripts).some(s => /mathjax\\//.test(s.src)),
        errors: Array.from(document.querySelectorAll('mjx-merror, [data-mjx-error]'))
                     .map(e => e.getAttribute('data-mjx-error') || e.textContent).slice(0, 5)};
"""

# Everything in the article must lie within the text column, or inside a box of the column
# that scrolls sideways; no box may hide what does not fit.
_LAYOUT = """
const main = document.querySelector('article.bd-article') || document.querySelector('main');
const col = main.getBoundingClientRect();
const problems = [];
const overflowX = el => getComputedStyle(el).overflowX;
const describe = el => el.tagName.toLowerCase() + (typeof el.className === 'string' && el.className
  ? '.' + el.className.trim().split(/\\s+/).slice(0, 3).join('.') : '') + ' "'
  + (el.textContent || el.getAttribute('src') || '').trim().replace(/\\s+/g, ' ').slice(0, 60) + '"';
for (const el of main.querySelectorAll('*')) {
  // A formula is checked as a whole, not glyph by glyph.
  if (el.parentElement.closest('mjx-container') || el.closest('script, style, .headerlink')) { continue; }
  const r = el.getBoundingClientRect();
  if (r.width === 0 || r.height === 0 || !el.checkVisibility()) { continue; }
  if (r.right > col.right + 1 || r.left < col.left - 1) {
    let box = el.parentElement, contained = false;
    while (box && box !== main) {
      if (['auto', 'scroll'].includes(overflowX(box))) {
        const b = box.getBoundingClientRect();
        contained = b.right <= col.right + 1 && b.left >= col.left - 1;
        break;
      }
      box = box.parentElement;
    }
    if (!contained) {
      const out = Math.round(Math.max(r.right - col.right, col.left - r.left));
      problems.push(`${out}px outside the column: ${describe(el)}`);
    }
  }
  if (['hidden', 'clip'].includes(overflowX(el)) && getComputedStyle(el).display !== 'inline'
      && !el.tagName.startsWith('MJX-') && el.scrollWidth > el.clientWidth + 1) {
    let extent = r.right;
    for (const child of el.children) {
      if (child.tagName !== 'MJX-ASSISTIVE-MML') {
        extent = Math.max(extent, child.getBoundingClientRect().right);
      }
    }
    if (extent > r.right + 1) { problems.push(`${Math.round(extent - r.right)}px clipped: ${describe(el)}`); }
  }
  if (problems.length >= 10) { break; }
}
return {problems: problems,
        page: [document.documentElement.scrollWidth, window.innerWidth]};
"""

_LINKS = """
return Array.from(document.querySelectorAll('a[href]'))
  .filter(a => !a.closest('mjx-container'))
  .map(a => ({href: a.href, text: a.textContent.trim().slice(0, 60),
              nav: Boolean(a.closest('nav.bd-docs-nav')),
              next: a.classList.contains('right-next'), prev: a.classList.contains('left-prev')}));
"""


@functools.cache
def _ids(path: Path) -> frozenset[str]:
    text = path.read_text(encoding="utf-8", errors="replace")
    return frozenset(re.findall(r"""\bid=["']([^"']+)["']""", text))


def _local_target(base: str, href: str) -> tuple[Path, str] | None:
    """The file and fragment a link of the book points to; None for other hosts."""
    url, fragment = urldefrag(href)
    if base.startswith("http"):
        if not url.startswith(base + "/"):
            return None
        path = HTML / unquote(url[len(base) + 1:])
    else:
        if urlparse(url).scheme != "file":
            return None
        path = Path(unquote(urlparse(url).path))
    if path.is_dir():
        path = path / "index.html"
    return path, unquote(fragment)


def _check_links(driver, base: str, docname: str) -> None:
    links = driver.execute_script(_LINKS)
    broken = []
    for link in links:
        target = _local_target(base, link["href"])
        if target is None:
            continue
        path, fragment = target
        if not path.is_file():
            shown = path.relative_to(HTML) if path.is_relative_to(HTML) else path
            broken.append(f"{link['text']!r} -> {shown}")
        elif fragment and path.suffix == ".html" and fragment not in _ids(path):
            broken.append(f"{link['text']!r} -> {path.name}#{fragment} (no such anchor)")
    assert not broken, f"{docname}: broken links:\n  " + "\n  ".join(broken)

    # The sidebar lists every page, and "next"/"previous" follow the table of contents.
    listed = set()
    for link in links:
        target = _local_target(base, link["href"])
        if link["nav"] and target:
            listed.add(target[0].relative_to(HTML).with_suffix("").as_posix())
    missing = [d for d in DOCNAMES if d not in listed]
    assert not missing, f"{docname}: the navigation does not list {missing}"
    for key, step in (("next", 1), ("prev", -1)):
        found = [_local_target(base, link["href"]) for link in links if link[key]]
        j = TOC.index(docname) + step if docname in TOC else -1
        if 0 <= j < len(TOC):
            expected = HTML / f"{TOC[j]}.html"
            assert found and found[0] and found[0][0] == expected, (
                f"{docname}: the {key} link goes to {found[0][0] if found and found[0] else None}, "
                f"expected {TOC[j]}")


def _check_page(driver, base: str, docname: str, errors: list[str], size: tuple[int, int]) -> None:
    where = f"{docname} ({'http' if base.startswith('http') else 'file'}, {size[0]}px)"
    assert not errors, f"{where}: console errors:\n" + "\n".join(errors)
    title = driver.title
    assert "404" not in title and title.strip(), f"{where}: page did not load (title {title!r})"

    # Offline: every resource the page loaded came from the book.
    resources = driver.execute_script(
        "return performance.getEntriesByType('resource').map(e => e.name);")
    host = urlparse(base).netloc if base.startswith("http") else ""
    foreign = [r for r in resources if urlparse(r).scheme not in ("file", "data", "blob")
               and urlparse(r).netloc != host]
    assert not foreign, f"{where}: requests to other hosts (the book must work offline): {foreign}"

    images = driver.execute_script(_IMAGES)
    broken = [i["src"] for i in images if not (i["complete"] and i["width"] > 0)]
    assert not broken, f"{where}: images that did not load: {broken}"
    no_alt = [i["src"] for i in images if not i["rawHtml"] and (
              not i["alt"].strip() or i["alt"].strip() == i["src"]
              or i["alt"].lower().endswith((".png", ".svg", ".jpg", ".jpeg", ".gif")))]
    assert not no_alt, (f"{where}: images without alt text (set cell.metadata.mystnb.image.alt "
                        f"on the figure's cell): {no_alt}")

    maths = driver.execute_script(_MATHS)
    assert maths["total"] == maths["typeset"], (
        f"{where}: {maths['total'] - maths['typeset']} of {maths['total']} formulas not typeset")
    assert not maths["errors"], f"{where}: MathJax errors: {maths['errors']}"
    assert maths["mathjax"] == (maths["total"] > 0), (
        f"{where}: MathJax is {'loaded without' if maths['mathjax'] else 'missing for'} maths on the page")


def _check_layout(driver, where: str, size: tuple[int, int]) -> None:
    layout = driver.execute_script(_LAYOUT)
    width, inner = layout["page"]
    assert inner == size[0] and width <= size[0], (
        f"{where}: the page is {max(width, inner)}px wide on a {size[0]}px screen (it scrolls sideways)")
    assert not layout["problems"], (
        f"{where}: wider than the text column:\n  " + "\n  ".join(layout["problems"]))
    if size[0] < 600:
        small = [f"{i['src']} shown {i['shown']}px of {i['cssWidth']:.0f}px"
                 for i in driver.execute_script(_IMAGES)
                 if i["figure"] and i["shown"] < min(i["cssWidth"], PHONE_FIGURE_MIN) - 1]
        assert not small, f"{where}: figures shrunk below a legible width: {small}"


def _click(driver, css: str, where: str):
    """Click the visible element matching ``css`` as a user would (it must be clickable)."""
    from selenium.webdriver.common.by import By

    shown = [e for e in driver.find_elements(By.CSS_SELECTOR, css) if e.is_displayed()]
    assert shown, f"{where}: no visible {css}"
    shown[0].click()
    return shown[0]


def _wait(driver, script: str, where: str, what: str, timeout: float = 5) -> None:
    from selenium.webdriver.support.ui import WebDriverWait

    try:
        WebDriverWait(driver, timeout, poll_frequency=0.05).until(lambda d: d.execute_script(script))
    except Exception:
        pytest.fail(f"{where}: {what}", pytrace=False)


def _check_header(driver, base: str, where: str, size: tuple[int, int]) -> None:
    """The header's buttons do what they show, and their icons are drawn."""
    icons = driver.execute_script("""
      return Array.from(document.querySelectorAll(
          '.bd-header-article i, .bd-header-article span[class*="fa-"]'))
        .filter(i => i.checkVisibility())
        .filter(i => i.getBoundingClientRect().width < 4
                     || ['none', 'normal', ''].includes(getComputedStyle(i, '::before').content))
        .map(i => i.className);""")
    assert not icons, f"{where}: header icons not drawn: {icons}"
    if size[0] >= 992:
        _click(driver, ".bd-header-article .primary-toggle", where)
        sidebar_shown = ("return document.querySelector('#pst-primary-sidebar')"
                         ".checkVisibility({visibilityProperty: true, opacityProperty: true})")
        _wait(driver, sidebar_shown.replace("return ", "return !"), where,
              "the menu button does not collapse the sidebar")
        _click(driver, ".bd-header-article .primary-toggle", where)
        _wait(driver, sidebar_shown, where, "the menu button does not bring the sidebar back")
        return
    # Phone: the menu opens the navigation, "Contents" the page's sections.
    _click(driver, ".bd-header-article .primary-toggle", where)
    _wait(driver, "const d = document.querySelector('#pst-primary-sidebar-modal');"
                  "return d.open && d.querySelectorAll('nav.bd-docs-nav a').length > 0"
                  " && d.getBoundingClientRect().width > 100",
          where, "the menu button does not open the navigation")
    listed = driver.execute_script(
        "return Array.from(document.querySelectorAll('#pst-primary-sidebar-modal nav.bd-docs-nav a'))"
        ".map(a => a.href);")
    pages = {t[0].relative_to(HTML).with_suffix("").as_posix()
             for t in (_local_target(base, h) for h in listed) if t}
    missing = [d for d in DOCNAMES if d not in pages]
    assert not missing, f"{where}: the phone's navigation does not list {missing}"
    driver.execute_script("document.querySelector('#pst-primary-sidebar-modal').close();")
    if driver.execute_script("return !!document.querySelector('.bd-header-article .secondary-toggle')"):
        _click(driver, ".bd-header-article .secondary-toggle", where)
        _wait(driver, "const d = document.querySelector('#pst-secondary-sidebar-modal');"
                      "return d.open && d.querySelectorAll('a').length > 0",
              where, "the Contents button does not open the page's sections")
        driver.execute_script("document.querySelector('#pst-secondary-sidebar-modal').close();")


# --- checks on chapters -----------------------------------------------------------------------

_OUTPUT_DEBRIS = re.compile(
    r"Traceback \(most recent call last\)|\b\w*Warning:|\r|\x1b\[|it/s\]|s/it\]"
    r"|\d+%\|[^\n]*\||[█▉▊▋▌▍▎▏━]{2,}|\[[=#]{2,}>?[ .]*\]")


def _check_outputs(driver, where: str) -> None:
    """No warning, traceback or progress-bar debris in a chapter's outputs."""
    outputs = driver.execute_script("""
      return Array.from(document.querySelectorAll('.cell_output .output')).map(o => ({
        cls: o.className, text: o.textContent}));""")
    debris = []
    for output in outputs:
        classes = output["cls"].split()
        match = _OUTPUT_DEBRIS.search(output["text"])
        if "stderr" in classes or "traceback" in classes or "error" in classes or match:
            sample = match.group(0) if match else output["text"].strip()[:60]
            debris.append(f"[{' '.join(c for c in classes if c != 'output')}] {sample!r}")
    assert not debris, (f"{where}: outputs with warnings, errors or progress bars (fix the code or "
                        "the notebook's stored outputs):\n  " + "\n  ".join(debris[:10]))


def _copy(driver, blocks: str, count: int = 2) -> list[tuple[str, str]]:
    """Click the copy buttons of the first ``count`` code blocks matching ``blocks`` as a reader
    would (hover, click); return (text shown, text copied) for each."""
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By

    driver.execute_script("""
      window.courseCopied = [];
      document.addEventListener('copy', e => window.courseCopied.push(
        e.target && typeof e.target.value === 'string' ? e.target.value : String(getSelection())), true);""")
    shown = []
    for block in driver.find_elements(By.CSS_SELECTOR, blocks)[:count]:
        button = block.find_element(By.XPATH, "./following-sibling::button[contains(@class, 'copybtn')]")
        driver.execute_script("arguments[0].scrollIntoView({block: 'center'});", block)
        ActionChains(driver).move_to_element(block).move_to_element(button).click().perform()
        shown.append(block.text)
    copied = driver.execute_script("return window.courseCopied;")
    return list(zip(shown, copied + [None] * (len(shown) - len(copied))))


def _check_copy_buttons(driver, where: str) -> None:
    state = driver.execute_script("""
      return {onOutputs: document.querySelectorAll('.cell_output button.copybtn').length,
              code: document.querySelectorAll('.cell_input pre').length,
              onCode: document.querySelectorAll('.cell_input button.copybtn').length};""")
    assert state["onOutputs"] == 0, f"{where}: {state['onOutputs']} copy buttons on outputs"
    assert state["onCode"] == state["code"], (
        f"{where}: {state['onCode']} copy buttons for {state['code']} code cells")
    for shown, copied in _copy(driver, ".cell_input div.highlight > pre", count=1):
        assert copied is not None, f"{where}: a copy button copied nothing"
        assert " ".join(copied.split()) == " ".join(shown.split()), (
            f"{where}: a copy button copied {copied[:80]!r}, not the cell's code {shown[:80]!r}")


def _check_solutions(driver, docname: str, where: str, nb: dict) -> None:
    tags = [c.get("metadata", {}).get("tags", []) for c in nb["cells"]]
    expected = sum("solution" in t and "remove-cell" not in t for t in tags)
    state = driver.execute_script("""
      const code = Array.from(document.querySelectorAll('div.cell.tag_solution'));
      const text = Array.from(document.querySelectorAll('details.sd-dropdown.solution'));
      const folds = code.map(c => c.querySelector(':scope > details')).concat(text);
      const bodies = code.map(c => c.querySelector('.cell_input'))
        .concat(text.map(t => t.querySelector('.sd-summary-content')));
      return {cells: code.length + text.length, folds: folds.filter(Boolean).length,
              open: folds.filter(f => f && f.open).length,
              visible: bodies.filter(b => b && b.checkVisibility()).length,
              labels: folds.filter(Boolean).map(f => f.querySelector('summary').textContent.trim())};""")
    assert state["cells"] == expected, (
        f"{where}: {expected} solution cells in the notebook, {state['cells']} on the page")
    if not expected:
        return
    assert state["folds"] == expected, (
        f"{where}: {expected - state['folds']} solutions are not folded: every solution cell needs the "
        "tag hide-cell (run `python tools/tag_notebooks.py`)")
    assert state["open"] == 0 and state["visible"] == 0, f"{where}: solutions shown before a click: {state}"
    assert all("solution" in label.lower() for label in state["labels"]), state["labels"]
    fold = _click(driver, "div.cell.tag_solution > details > summary, details.sd-dropdown.solution > summary",
                  where)
    assert driver.execute_script("return arguments[0].parentElement.open;", fold), (
        f"{where}: a solution does not open")


def _check_print(driver, where: str) -> None:
    """Printed (on A4), every solution is there and no code or formula is cut off."""
    driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": "print"})
    _set_width(driver, (720, 1000))
    try:
        printed = driver.execute_script("""
          const page = document.querySelector('article').getBoundingClientRect();
          const bodies = Array.from(document.querySelectorAll(
            'div.cell.tag_solution .cell_input, details.sd-dropdown.solution .sd-summary-content'));
          return {hidden: bodies.filter(b => !b.checkVisibility()
                                          || b.getBoundingClientRect().height < 5).length,
                  cut: Array.from(document.querySelectorAll('article pre'))
                    .filter(p => p.scrollWidth > p.clientWidth + 1)
                    .map(p => p.textContent.trim().slice(0, 50))
                    .concat(Array.from(document.querySelectorAll('article mjx-container[display="true"]'))
                      .filter(m => m.firstElementChild.getBoundingClientRect().left < page.left - 1
                                   || m.firstElementChild.getBoundingClientRect().right > page.right + 1)
                      .map(m => 'formula ' + m.textContent.slice(0, 40)))};""")
    finally:
        driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": ""})
    assert printed["hidden"] == 0, f"{where}: {printed['hidden']} solutions missing from the printout"
    assert not printed["cut"], (
        f"{where}: printed code or formulas cut off at the margin: {printed['cut'][:3]}")


def _check_chapter(driver, base: str, docname: str, where: str) -> None:
    nb = _notebook(docname)
    url, branch = _repository()
    owner_repo = urlparse(url).path.strip("/")
    expected = f"https://colab.research.google.com/github/{owner_repo}/blob/{branch}/{docname}.ipynb"
    hrefs = driver.execute_script("return Array.from(document.querySelectorAll('a[href]')).map(a => a.href);")
    colab = [h for h in hrefs if "colab.research.google.com" in h]
    assert colab == [expected], f"{where}: Colab links {colab}, expected [{expected!r}]"
    downloads = [h for h in hrefs if h.endswith(f"{Path(docname).name}.ipynb") and "colab" not in h]
    assert downloads, f"{where}: no download link to the .ipynb"
    target = _local_target(base, downloads[0])
    assert target and target[0].is_file(), f"{where}: the download link {downloads[0]} leads nowhere"
    json.loads(target[0].read_text(encoding="utf-8"))  # a real notebook, not an error page
    student = [h for h in hrefs if f"_static/student/{Path(docname).name}.ipynb" in h]
    assert student, f"{where}: no download link to the chapter's student version"
    target = _local_target(base, student[0])
    assert target and target[0].is_file(), f"{where}: the student version link {student[0]} leads nowhere"
    cells = json.loads(target[0].read_text(encoding="utf-8"))["cells"]
    assert not any("solution" in c.get("metadata", {}).get("tags", []) and "NotImplementedError" not in
                   "".join(c["source"]) and c["cell_type"] == "code" for c in cells), \
        f"{where}: the student version still holds solution code"

    # Hidden cells stay hidden: no code cell on the page shows a remove-cell cell's code.
    shown = driver.execute_script(
        "return Array.from(document.querySelectorAll('.cell_input pre'))"
        ".map(p => p.textContent.replace(/\\s+/g, ' ').trim());")
    for cell in nb["cells"]:
        if cell["cell_type"] == "code" and "remove-cell" in cell.get("metadata", {}).get("tags", []):
            code = " ".join("".join(cell["source"]).split())
            assert code not in shown, f"{where}: a remove-cell cell is on the page: {code[:80]!r}"

    _check_outputs(driver, where)
    _check_copy_buttons(driver, where)
    if base.startswith("http"):
        weight = driver.execute_script("""
          const entries = performance.getEntriesByType('resource')
            .concat(performance.getEntriesByType('navigation'));
          return entries.filter(e => !/\\/_images\\//.test(e.name))
                        .reduce((sum, e) => sum + (e.decodedBodySize || 0), 0);""")
        assert weight <= PAGE_BUDGET, (
            f"{where}: the page loads {weight / 2**20:.2f} MiB besides its figures "
            f"(budget {PAGE_BUDGET / 2**20:.1f} MiB): what grew?")
    _check_solutions(driver, docname, where, nb)
    _check_print(driver, where)


# --- the tests --------------------------------------------------------------------------------

def _check_everything(driver, base: str, docname: str, first: tuple[int, int], then: tuple[int, int]) -> None:
    if not (HTML / f"{docname}.html").is_file():
        pytest.fail(f"{docname}.html is missing from the built book ({HTML}): rebuild it", pytrace=False)
    protocol = "http" if base.startswith("http") else "file"
    errors = _open(driver, _url(base, docname), first)
    for size in (first, then):
        where = f"{docname} ({protocol}, {size[0]}px)"
        if size != first:
            driver.get_log("browser")
            _set_width(driver, size)
        _check_page(driver, base, docname, errors if size == first else [], size)
        _check_layout(driver, where, size)
        if size == first:
            _check_links(driver, base, docname)
        _check_header(driver, base, where, size)
        errors_after = _console(driver)
        assert not errors_after, (
            f"{where}: console errors after using the header:\n" + "\n".join(errors_after))
    if docname in CHAPTERS:
        _check_chapter(driver, base, docname, f"{docname} ({protocol})")


@pytest.mark.parametrize("docname", DOCNAMES)
def test_page_over_http(server, browser, docname):
    """Served by a web server, on a desktop and then at a phone's width."""
    _check_everything(browser, server, docname, DESKTOP, PHONE)


@pytest.mark.parametrize("docname", DOCNAMES)
def test_page_from_disk(browser, docname):
    """Opened from disk (file://), on a phone and then on a desktop."""
    _check_everything(browser, "file://", docname, PHONE, DESKTOP)


_SEARCH_RESULTS = """
const done = arguments[arguments.length - 1];
const start = Date.now();
const poll = () => {
  // Sphinx's "Searching" title and status line become the summary when the search is done.
  const finished = typeof Search !== 'undefined' && Search.title && Search.status
    && !Search.title.textContent.startsWith('Searching') && Search.status.textContent.trim();
  if (!finished && Date.now() - start < 15000) { return setTimeout(poll, 100); }
  // Snippets arrive one by one, after the list: wait until they stop coming.
  const wait = Date.now();
  let last = -1, stable = 0;
  const snippets = () => {
    const items = document.querySelectorAll('#search-results li');
    const withText = document.querySelectorAll('#search-results li p.context');
    stable = withText.length === last ? stable + 1 : 0;
    last = withText.length;
    if (location.protocol !== 'file:' && withText.length < items.length
        && (withText.length === 0 || stable < 3) && Date.now() - wait < 5000) {
      return setTimeout(snippets, 100);
    }
    done({links: Array.from(items).map(li => li.querySelector('a').href),
          snippets: Array.from(withText).map(p => p.textContent)});
  };
  snippets();
};
poll();
"""


def _search(driver, base: str, term: str, size: tuple[int, int]) -> set[str]:
    """Search the book for ``term``; return the pages found, after checking the snippets."""
    protocol = "http" if base.startswith("http") else "file"
    search = f"{base}/search.html" if protocol == "http" else (HTML / "search.html").as_uri()
    where = f"search for {term!r} ({protocol}, {size[0]}px)"
    errors = _open(driver, f"{search}?q={term}", size)
    results = driver.execute_async_script(_SEARCH_RESULTS)
    assert not errors, f"{where}: console errors:\n" + "\n".join(errors)
    found = {t[0].relative_to(HTML).with_suffix("").as_posix()
             for t in (_local_target(base, h) for h in results["links"]) if t}
    raw = [s for s in results["snippets"] if re.search(r"\\[(\[]", s)]
    assert not raw, f"{where}: snippets show TeX source: {raw[0][:120]!r}"
    if protocol == "http" and found:
        assert results["snippets"], f"{where}: results without snippets"
    return found


@pytest.mark.parametrize("protocol", ["http", "file"])
def test_search_finds_every_chapter(server, browser, protocol):
    """The search index finds each chapter by a word of its title, with readable snippets."""
    base = server if protocol == "http" else "file://"
    for size, docname in zip([DESKTOP, PHONE] * len(CHAPTERS), CHAPTERS):
        term = _search_term(docname)
        found = _search(browser, base, term, size)
        assert docname in found, (
            f"search for {term!r} ({protocol}, {size[0]}px): {docname} is not among the results "
            f"{sorted(found)}")


@pytest.mark.parametrize("protocol", ["http", "file"])
def test_search_finds_words_of_the_text(server, browser, protocol):
    """The search index finds chapters by words of their text, not only of their titles."""
    base = server if protocol == "http" else "file://"
    for size, word in zip([DESKTOP, PHONE] * len(BODY_WORDS), BODY_WORDS):
        using, body_only = _chapters_using(word)
        assert body_only, (f"no chapter uses {word!r} in its text only: BODY_WORDS needs a word that "
                           "some chapter's text uses and none of its headings")
        found = _search(browser, base, word, size)
        missing = [d for d in using if d not in found]
        assert not missing, (
            f"search for {word!r} ({protocol}, {size[0]}px): {missing} use the word in their text but "
            f"are not among the results {sorted(found)} (is the index's full text missing?)")


@pytest.mark.parametrize("size", [DESKTOP, PHONE], ids=["desktop", "phone"])
@pytest.mark.parametrize("protocol", ["http", "file"])
def test_search_button(server, browser, protocol, size):
    """The search button of a chapter's header (or sidebar) opens a search that finds it."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    base = server if protocol == "http" else "file://"
    docname = CHAPTERS[-1]
    where = f"search button on {docname} ({protocol}, {size[0]}px)"
    errors = _open(browser, _url(base, docname), size)
    assert not errors, f"{where}: console errors:\n" + "\n".join(errors)
    _click(browser, "button.search-button__button", where)
    _wait(browser, "return document.querySelector('#pst-search-dialog').open", where,
          "the search button does not open the search box")
    field = [f for f in browser.find_elements(By.CSS_SELECTOR, "#pst-search-dialog input[name=q]")
             if f.is_displayed()][0]
    field.send_keys(_search_term(docname), Keys.ENTER)
    _wait(browser, "return /search\\.html/.test(location.pathname)", where,
          "submitting the search box does not open the search page", timeout=10)
    browser.execute_async_script(_WAIT_FOR_PAGE)
    results = browser.execute_async_script(_SEARCH_RESULTS)
    found = {t[0].relative_to(HTML).with_suffix("").as_posix()
             for t in (_local_target(base, h) for h in results["links"]) if t}
    assert docname in found, f"{where}: {docname} is not among the results {sorted(found)}"


def _bib_titles() -> list[str]:
    text = (ROOT / "book" / "references.bib").read_text(encoding="utf-8")
    return [re.sub(r"[{}]", "", t) for t in re.findall(r"^\s*title\s*=\s*[{\"](.+?)[}\"],?\s*$", text,
                                                        re.MULTILINE | re.IGNORECASE)]


def _plain(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", " ", text.lower()).strip()


def test_references_list_every_entry(server, browser):
    """The references page shows every entry of book/references.bib."""
    docname = "book/references"
    errors = _open(browser, _url(server, docname), DESKTOP)
    assert not errors, f"{docname}: console errors:\n" + "\n".join(errors)
    entries = browser.execute_script(
        "return Array.from(document.querySelectorAll('.citation')).map(c => c.textContent);")
    titles = _bib_titles()
    assert titles, "no titles found in book/references.bib"
    shown = " | ".join(_plain(e) for e in entries)
    missing = [t for t in titles if _plain(t) not in shown]
    assert not missing, f"{docname}: {len(missing)} of {len(titles)} bibliography entries missing: {missing}"


def test_api_page_documents_every_public_name(server, browser):
    """Every public name of d2lmini is on the API page with its docstring."""
    import d2lmini

    docname = "book/api"
    errors = _open(browser, _url(server, docname), DESKTOP)
    assert not errors, f"{docname}: console errors:\n" + "\n".join(errors)
    # An object's own docstring is what its <dd> holds before the first nested list: its
    # members (a class's methods) and the parameter list generated from its signature.
    documented = browser.execute_script("""
      return Array.from(document.querySelectorAll('dl.py')).filter(dl => !dl.closest('dd dd dd'))
        .map(dl => {
          const dd = dl.querySelector(':scope > dd');
          let own = '';
          for (const node of dd ? dd.childNodes : []) {
            if (node.nodeType === Node.ELEMENT_NODE && node.tagName === 'DL') { break; }
            own += ' ' + node.textContent;
          }
          return {name: (dl.querySelector(':scope > dt') || {}).id || '', kind: dl.className,
                  text: own.replace(/\\s+/g, ' ').trim()};
        });""")
    empty = [d["name"] for d in documented if len(d["text"]) < 20 or len(d["text"].split()) < 3]
    assert documented and not empty, f"{docname}: entries without their own docstring: {empty[:10]}"
    for _shown, copied in _copy(browser, "div.doctest div.highlight > pre", count=3):
        assert copied is not None, f"{docname}: a copy button copied nothing"
        assert not re.search(r"^(>>>|\.\.\.)( |$)", copied, re.MULTILINE), (
            f"{docname}: the copy button of an example copies its prompts: {copied[:80]!r}")
    names = {d["name"].rsplit(".", 1)[-1] for d in documented if d["name"]}
    public = [n for n in getattr(d2lmini, "__all__", []) if not n.startswith("_") and n != "__version__"
              and callable(getattr(d2lmini, n, None))]
    missing = [n for n in public if n not in names]
    assert not missing, f"{docname}: public names of d2lmini not documented: {missing}"

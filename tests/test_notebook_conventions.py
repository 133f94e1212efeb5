"""The notebooks and the book agree: one repository URL, and a table of contents that
lists every notebook and only files that exist.

The course repository is named in one place, ``repository.url`` in ``_config.yml``. The
book's Colab buttons are made from it, and every notebook's setup cell installs d2lmini
from it (on Colab, where d2lmini is missing). If the repository moves, change
``_config.yml`` and the setup cells together: this test fails until they agree.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml
from conftest import toc_files as _toc_files

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))

# The first code cell of every chapter, with @VERSION@ and @URL@ filled in (from
# d2lmini/__init__.py and _config.yml). tests/test_setup_cell.py runs it in a kernel where
# d2lmini is missing and the repository answers 401.
SETUP_CELL = """\
# Setup: installs the course's helper package d2lmini, in the version this book was built
# with, where it is missing or older (e.g. on Colab). If it cannot, it says what to do.
import os
import subprocess
import sys

VERSION, REPO = "@VERSION@", "@URL@"
PACKAGE = f"d2lmini[notebooks] @ git+{REPO}@v{VERSION}"
try:
    from packaging.version import Version

    import d2lmini as d2l
    outdated = Version(d2l.__version__) < Version(VERSION)
except ImportError:
    outdated = True
if outdated:
    print(f"Installing {PACKAGE} ...")
    os.environ["GIT_TERMINAL_PROMPT"] = "0"  # git fails at once instead of asking for a password
    try:  # first a quick look (a minute at most) for this version in the repository
        subprocess.run(["git", "ls-remote", "--exit-code", REPO, f"v{VERSION}"],
                       check=True, capture_output=True, timeout=60)
    except (OSError, subprocess.SubprocessError):
        raise RuntimeError(
            f"Could not download d2lmini {VERSION} from {REPO} (no internet connection, or no\\n"
            "such repository or version). Install it another way, then restart the kernel:\\n"
            f'    pip install "{PACKAGE}"\\n'
            'or, in a downloaded copy of the course:    pip install -e ".[notebooks]"') from None
    %pip install -q "{PACKAGE}"
    for name in [m for m in sys.modules if m.startswith("d2lmini")]:
        del sys.modules[name]  # forget an older d2lmini imported above
    try:
        import d2lmini as d2l
        installed = d2l.__version__
    except ImportError:
        installed = None
    if installed != VERSION:
        raise RuntimeError(f"pip could not install d2lmini {VERSION} (its message is above).\\n"
                           f'Install it another way, then restart the kernel: pip install "{PACKAGE}"')"""


def _config() -> dict:
    return yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))


def _repository_url() -> str:
    url = _config().get("repository", {}).get("url", "")
    assert url.startswith("https://"), f"_config.yml: repository.url must be an https URL, got {url!r}"
    return url.rstrip("/")


def _version() -> str:
    """d2lmini's version, written once, in d2lmini/__init__.py (pyproject.toml reads it there)."""
    text = (ROOT / "d2lmini" / "__init__.py").read_text(encoding="utf-8")
    found = re.findall(r'^__version__ = "([^"]+)"$', text, flags=re.M)
    assert len(found) == 1, "d2lmini/__init__.py must set __version__ once, as __version__ = \"X.Y.Z\""
    return found[0]


def setup_cell() -> str:
    """The setup cell every chapter starts with, for this repository URL and d2lmini version."""
    return SETUP_CELL.replace("@URL@", _repository_url()).replace("@VERSION@", _version())


def _source(cell) -> str:
    source = cell["source"]
    return source if isinstance(source, str) else "".join(source)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_setup_cell_installs_from_the_configured_repository(path):
    nb = json.loads(path.read_text(encoding="utf-8"))
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    assert code, f"{path.name} has no code cell"
    url = _repository_url()
    expected = setup_cell()
    first = _source(code[0]).strip()
    assert first == expected, (
        f"{path.name}: the first code cell must be the setup cell, exactly:\n{expected}\n"
        f"--- found ---\n{first}"
    )
    # No other cell installs from another address.
    for cell in code[1:]:
        for found in re.findall(r"git\+(https?://[^\s\"'@]+)", _source(cell)):
            assert found.rstrip("/") == url, (
                f"{path.name}: a cell installs from {found}, but _config.yml names {url}")


def test_every_notebook_is_in_the_toc():
    listed = set(_toc_files())
    missing = [p.name for p in NOTEBOOKS if f"notebooks/{p.stem}" not in listed
               and f"notebooks/{p.name}" not in listed]
    assert not missing, f"notebooks not in _toc.yml (add them, in chapter order): {missing}"


def test_every_toc_entry_exists():
    missing = []
    for entry in _toc_files():
        path = ROOT / entry
        candidates = [path] if path.suffix else [path.with_suffix(s) for s in (".md", ".ipynb")]
        if not any(c.is_file() for c in candidates):
            missing.append(entry)
    assert not missing, f"_toc.yml lists files that do not exist: {missing}"


def test_toc_lists_the_nine_chapters_in_order():
    chapters = [f for f in _toc_files() if f.startswith("notebooks/")]
    numbers = [int(Path(f).name[:2]) for f in chapters]
    assert numbers == list(range(1, 10)), f"chapters in _toc.yml: {chapters}"


def test_repository_url_is_written_only_in_the_config():
    """Book pages write @REPOSITORY_URL@ (filled in from _config.yml at build time)."""
    url = _repository_url()
    offenders = [str(p.relative_to(ROOT)) for p in sorted((ROOT / "book").rglob("*"))
                 if p.suffix in {".md", ".py", ".js", ".yml"} and url in p.read_text(encoding="utf-8")]
    offenders += [name for name in ("_toc.yml", "Makefile")
                  if url in (ROOT / name).read_text(encoding="utf-8")]
    assert not offenders, f"write @REPOSITORY_URL@ instead of {url} in: {offenders}"


def test_readme_links_the_published_book():
    """The book is published on the repository's GitHub Pages site (.github/workflows/book.yml):
    its address follows from repository.url, and the README links it."""
    owner, name = _repository_url().removeprefix("https://github.com/").split("/")[:2]
    pages = f"https://{owner.lower()}.github.io/{name}/"
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert pages in readme, f"README.md should link the online book, {pages}"
    workflow = ROOT / ".github" / "workflows" / "book.yml"
    assert "deploy-pages" in workflow.read_text(encoding="utf-8"), f"{workflow} should publish the book"

def write_setup_cells() -> list[str]:
    """Make the first code cell of every notebook the setup cell (its outputs cleared).
    Run ``python tests/test_notebook_conventions.py --write`` after changing d2lmini's
    version or the repository URL."""
    changed = []
    for path in NOTEBOOKS:
        nb = json.loads(path.read_text(encoding="utf-8"))
        cell = next(c for c in nb["cells"] if c["cell_type"] == "code")
        if _source(cell).strip() == setup_cell():
            continue
        cell.update(source=setup_cell().splitlines(keepends=True), outputs=[], execution_count=None)
        path.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
        changed.append(path.name)
    return changed


if __name__ == "__main__":
    import sys

    if sys.argv[1:] != ["--write"]:
        sys.exit("usage: python tests/test_notebook_conventions.py --write   (rewrites the setup cells)")
    print("rewrote the setup cell of:", ", ".join(write_setup_cells()) or "none (all up to date)")


# --- cell conventions (../shared/SYLLABUS.md): one convention, so tools and the book rely on it

def _cells(path):
    return json.loads(path.read_text(encoding="utf-8"))["cells"]


def _tags(cell) -> list[str]:
    return cell.get("metadata", {}).get("tags", [])


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_every_figure_has_alt_text(path):
    missing = [i for i, cell in enumerate(_cells(path)) if cell["cell_type"] == "code"
               and any(k.startswith("image/") for o in cell.get("outputs", []) for k in o.get("data", {}))
               and not cell["metadata"].get("mystnb", {}).get("image", {}).get("alt", "").strip()]
    assert not missing, f"{path.name}: cells {missing} show a figure without metadata.mystnb.image.alt"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_solutions_fold_and_say_what_to_write(path):
    for i, cell in enumerate(_cells(path)):
        tags = _tags(cell)
        if "solution" not in tags or "remove-cell" in tags:
            continue
        assert "hide-cell" in tags, f"{path.name} cell {i}: run `python tools/tag_notebooks.py`"
        stub = str(cell["metadata"].get("stub", "")).strip()
        assert stub and not re.search(r"write your solution|explain your answer", stub, re.I), \
            f"{path.name} cell {i}: metadata.stub must say what to write, got {stub!r}"


@pytest.mark.parametrize("path", [p for p in NOTEBOOKS if "03" <= p.name[:2] <= "09"], ids=lambda p: p.name)
def test_chapters_3_to_9_let_students_check_an_answer(path):
    checks = [c for c in _cells(path) if "check-answer" in _tags(c)]
    assert checks, f"{path.name} has no cell tagged check-answer"
    assert all("solution" not in _tags(c) and "from d2lmini import check" in _source(c) for c in checks)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_section_headings_are_not_numbered_by_hand(path):
    headings = [line for c in _cells(path) if c["cell_type"] == "markdown"
                for line in _source(c).splitlines() if re.match(r"#{2,} ", line)]
    numbered = [h for h in headings if re.match(r"#{2,} (\d+\.)+\d*\s", h)]
    assert not numbered, f"{path.name}: {numbered}"

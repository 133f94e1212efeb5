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

SETUP_CELL = """\
# Setup: installs the course's helper package d2lmini where it is missing (e.g. on Colab).
try:
    import d2lmini as d2l
except ImportError:
    %pip install -q "d2lmini @ git+{url}"
    import d2lmini as d2l"""


def _config() -> dict:
    return yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))


def _repository_url() -> str:
    url = _config().get("repository", {}).get("url", "")
    assert url.startswith("https://"), f"_config.yml: repository.url must be an https URL, got {url!r}"
    return url.rstrip("/")


def _source(cell) -> str:
    source = cell["source"]
    return source if isinstance(source, str) else "".join(source)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_setup_cell_installs_from_the_configured_repository(path):
    nb = json.loads(path.read_text(encoding="utf-8"))
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    assert code, f"{path.name} has no code cell"
    url = _repository_url()
    expected = SETUP_CELL.format(url=url)
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

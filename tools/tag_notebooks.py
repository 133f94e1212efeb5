"""Give every solution cell of the course notebooks the tag that folds it in the book.

Usage::

    python tools/tag_notebooks.py [NOTEBOOK_OR_DIR ...]      # default: notebooks/
    python tools/tag_notebooks.py --check                   # exit 1 if a tag is missing

A cell tagged ``solution`` that is shown in the book (not also ``remove-cell``) gets the
tag ``hide-cell``: myst-nb folds such a code cell, source and output, behind a button, and
the book's extension (``book/_ext/course.py``) folds such a markdown cell in a dropdown.
A ``hide-cell`` tag on a cell that is no longer a shown solution is removed again, so the
script can be re-run after any edit (it is idempotent). Only the cells' ``metadata.tags``
change; a notebook that needs no change is not rewritten. Files are written as Jupyter
writes them: JSON indented by one space, UTF-8 unescaped, a final newline.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

SOLUTION = "solution"
HIDDEN = "remove-cell"
FOLD = "hide-cell"
ROOT = Path(__file__).resolve().parents[1]


def wanted_tags(tags: list[str]) -> list[str]:
    """The tags a cell should have: ``hide-cell`` exactly on shown solution cells.

    Example:
        >>> wanted_tags(["solution"])
        ['solution', 'hide-cell']
        >>> wanted_tags(["solution", "remove-cell", "hide-cell"])
        ['solution', 'remove-cell']
        >>> wanted_tags(["hide-cell"])   # not a solution: left to its author
        ['hide-cell']
    """
    if SOLUTION not in tags:
        return list(tags)
    kept = [t for t in tags if t != FOLD]
    return kept if HIDDEN in tags else kept + [FOLD]


def tag_notebook(nb: dict) -> int:
    """Set the tags of every cell of ``nb`` in place; return the number of cells changed."""
    changed = 0
    for cell in nb.get("cells", []):
        metadata = cell.setdefault("metadata", {})
        tags = list(metadata.get("tags", []))
        new = wanted_tags(tags)
        if new != tags:
            metadata["tags"] = new
            changed += 1
    return changed


def notebooks(paths: list[str]) -> list[Path]:
    found: list[Path] = []
    for name in paths or [str(ROOT / "notebooks")]:
        path = Path(name)
        found += sorted(path.glob("*.ipynb")) if path.is_dir() else [path]
    return [p for p in found if ".ipynb_checkpoints" not in p.parts]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("paths", nargs="*", help="notebooks or folders (default: notebooks/)")
    parser.add_argument("--check", action="store_true", help="change nothing; exit 1 if a tag is missing")
    args = parser.parse_args(argv)
    missing = 0
    for path in notebooks(args.paths):
        nb = json.loads(path.read_text(encoding="utf-8"))
        changed = tag_notebook(nb)
        if not changed:
            continue
        missing += changed
        if args.check:
            print(f"{path}: {changed} cell(s) need their {FOLD} tag set: run tools/tag_notebooks.py")
        else:
            path.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
            print(f"{path}: tags of {changed} cell(s) updated")
    return 1 if args.check and missing else 0


if __name__ == "__main__":
    sys.exit(main())

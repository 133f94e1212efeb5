"""Make the student versions of the course notebooks: solutions replaced by stubs.

Usage::

    python -m d2lmini.student [NOTEBOOK_DIR] [-o OUT_DIR]      # default: notebooks -> student

For every notebook in ``NOTEBOOK_DIR``:

- each cell tagged ``solution`` becomes a stub that says what to write: a code cell
  ``raise NotImplementedError("...")`` or a markdown cell ``*Your answer here: ...*``.
  The text is the cell's ``metadata.stub`` when it has one, otherwise a default that
  names the exercise (found from the nearest ``**Exercise N.**`` above). Stubs have no
  outputs and no execution count; they keep the cell's id and tags (so they stay
  recognisable as answer cells) but lose ``stub`` and figure alt text metadata;
- a cell tagged both ``solution`` and ``remove-cell`` is a hidden check of the worked
  solution (an ``assert`` on its results, see the course conventions). There is nothing
  for the student to write there, so it is dropped rather than stubbed;
- every other cell is kept exactly: source, outputs, tags, metadata;
- notebooks without solution cells are copied unchanged, byte for byte, so that the
  output folder holds the complete set of notebooks to hand out.

Example:
    >>> nb = {"cells": [{"cell_type": "code", "source": "x = 1", "metadata": {"tags": ["solution"]},
    ...                  "outputs": [], "execution_count": 1}], "metadata": {}}
    >>> student_version(nb)["cells"][0]["source"]
    '# Exercise: write your solution here.\\nraise NotImplementedError("Exercise: write your solution here.")'
"""

from __future__ import annotations

import argparse
import copy
import json
import re
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

__all__ = ["Report", "is_hidden_check", "is_solution", "main", "make_student_versions",
           "student_version", "stub_text"]

SOLUTION_TAG = "solution"
HIDDEN_TAG = "remove-cell"
_EXERCISE = re.compile(r"\*\*Exercise\s+([0-9]+[a-z]?)\.?\*\*")
# Metadata that describes the solution's content, not the cell: dropped from stubs.
_SOLUTION_METADATA = ("stub", "mystnb", "execution", "scrolled", "collapsed")


def _source(cell: dict) -> str:
    src = cell.get("source", "")
    return src if isinstance(src, str) else "".join(src)


def _tags(cell: dict) -> list[str]:
    return list(cell.get("metadata", {}).get("tags", []))


def is_solution(cell: dict) -> bool:
    """True for a cell tagged ``solution``."""
    return SOLUTION_TAG in _tags(cell)


def is_hidden_check(cell: dict) -> bool:
    """True for a solution cell that is also hidden from the book (``remove-cell``)."""
    return is_solution(cell) and HIDDEN_TAG in _tags(cell)


def stub_text(cell: dict, exercise: str | None) -> str:
    """What the stub for ``cell`` asks for: ``metadata.stub``, or a default naming the exercise.

    Example:
        >>> stub_text({"cell_type": "markdown", "metadata": {}}, "3")
        'Exercise 3: explain your answer.'
    """
    custom = cell.get("metadata", {}).get("stub")
    where = f"Exercise {exercise}" if exercise else "Exercise"
    if custom:
        text = str(custom).strip()
        return text if text.lower().startswith("exercise") or not exercise else f"{where}: {text}"
    if cell.get("cell_type") == "markdown":
        return f"{where}: explain your answer."
    return f"{where}: write your solution here."


def _stub(cell: dict, exercise: str | None) -> dict:
    text = stub_text(cell, exercise)
    meta = {k: v for k, v in cell.get("metadata", {}).items() if k not in _SOLUTION_METADATA}
    new = {"cell_type": cell["cell_type"], "metadata": meta}
    if "id" in cell:
        new["id"] = cell["id"]
    if cell["cell_type"] == "code":
        new["source"] = f"# {text}\nraise NotImplementedError({json.dumps(text, ensure_ascii=False)})"
        new["outputs"] = []
        new["execution_count"] = None
    else:
        new["source"] = f"*Your answer here: {text}*"
        if "attachments" in cell:
            new["attachments"] = {}
    return new


@dataclass
class Report:
    """What :func:`make_student_versions` did to one notebook."""

    name: str
    stubbed: int = 0
    dropped: int = 0
    copied: bool = False

    def __str__(self) -> str:
        if self.copied:
            return f"{self.name}: no solution cells, copied unchanged"
        return (f"{self.name}: {self.stubbed} solution cell(s) stubbed, "
                f"{self.dropped} hidden check(s) removed")


def student_version(nb: dict, report: Report | None = None) -> dict:
    """Return a copy of notebook ``nb`` (a JSON dict) with its solutions stubbed.

    See the module docstring for the rules. ``nb`` itself is not changed.
    """
    if not isinstance(nb, dict) or not isinstance(nb.get("cells"), list):
        raise ValueError("expected a notebook as a JSON dict with a 'cells' list "
                         "(read the .ipynb file with json.load)")
    out = copy.deepcopy(nb)
    cells, exercise = [], None
    for cell in nb["cells"]:
        if cell.get("cell_type") == "markdown" and not is_solution(cell):
            found = _EXERCISE.search(_source(cell))
            if found:
                exercise = found.group(1)
        if is_hidden_check(cell):
            if report:
                report.dropped += 1
            continue
        if is_solution(cell):
            if cell.get("cell_type") not in ("code", "markdown"):
                raise ValueError(f"a {cell.get('cell_type')} cell is tagged solution; "
                                 "only code and markdown cells can be")
            cells.append(_stub(cell, exercise))
            if report:
                report.stubbed += 1
        else:
            cells.append(copy.deepcopy(cell))
    out["cells"] = cells
    return out


def _dumps(nb: dict) -> str:
    # The same layout nbformat and Jupyter write, so untouched cells keep their bytes.
    return json.dumps(nb, indent=1, sort_keys=True, ensure_ascii=False) + "\n"


def make_student_versions(notebook_dir: str | Path = "notebooks", out_dir: str | Path = "student",
                          verbose: bool = True) -> list[Report]:
    """Write the student version of every ``*.ipynb`` in ``notebook_dir`` to ``out_dir``.

    Returns one :class:`Report` per notebook. ``out_dir`` is created if needed; files in
    it with the same names are overwritten.
    """
    src, dst = Path(notebook_dir), Path(out_dir)
    if not src.is_dir():
        raise FileNotFoundError(f"notebook folder {src} does not exist (run from the project's root, "
                                "or pass the folder: python -m d2lmini.student NOTEBOOK_DIR)")
    if src.resolve() == dst.resolve():
        raise ValueError(f"the output folder must differ from the notebook folder ({src}): "
                         "the student versions would overwrite the solutions")
    paths = sorted(src.glob("*.ipynb"))
    if not paths:
        raise FileNotFoundError(f"no .ipynb files in {src}")
    dst.mkdir(parents=True, exist_ok=True)
    reports = []
    for path in paths:
        report = Report(path.name)
        text = path.read_text(encoding="utf-8")
        try:
            nb = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ValueError(f"{path} is not a valid notebook (JSON error: {exc})") from None
        if not any(is_solution(c) for c in nb.get("cells", [])):
            shutil.copyfile(path, dst / path.name)
            report.copied = True
        else:
            (dst / path.name).write_text(_dumps(student_version(nb, report)), encoding="utf-8")
        reports.append(report)
        if verbose:
            print(report)
    return reports


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m d2lmini.student",
        description="Write student versions of the notebooks: cells tagged 'solution' become stubs.")
    parser.add_argument("notebook_dir", nargs="?", default="notebooks",
                        help="folder with the course notebooks (default: notebooks)")
    parser.add_argument("-o", "--out", default="student",
                        help="folder for the student versions (default: student)")
    args = parser.parse_args(argv)
    try:
        reports = make_student_versions(args.notebook_dir, args.out)
    except (FileNotFoundError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"wrote {len(reports)} notebook(s) to {args.out}/")
    return 0


if __name__ == "__main__":
    sys.exit(main())

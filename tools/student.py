"""Write the student versions of the course notebooks, or an nbgrader source version of them.

Usage, from the repository root::

    python tools/student.py notebooks -o student               # make student
    python tools/student.py notebooks --nbgrader -o nbgrader   # make nbgrader

The conventions it relies on (and enforces):

- a cell tagged ``solution`` is a worked solution. Its ``metadata.stub`` says what the student
  writes there ("set shape_a, shape_b and shape_c to the three output shapes"); the tool
  refuses a solution cell without one, naming the notebook and the cell. In the student
  version the cell becomes a stub: ``raise NotImplementedError("Exercise 3: ...")`` in code,
  ``*Your answer here: Exercise 3: ...*`` in markdown. ``Exercise N`` is taken from the
  nearest ``**Exercise N.**`` above;
- a cell tagged ``solution`` and ``remove-cell`` is a hidden check of the worked solution:
  there is nothing to write in it, so it is left out;
- in any cell, tagged or not, a region between a line containing ``BEGIN SOLUTION`` and one
  containing ``END SOLUTION`` (nbgrader's markers, e.g. ``### BEGIN SOLUTION``) is replaced
  by the stub and the rest of the cell is kept; such a cell needs a ``metadata.stub`` too;
- cells tagged ``check-answer`` (a call of a ``d2lmini.check`` checker that tells the student
  whether the answer is right) are kept without their stored output, which quotes the answer;
- everything else is kept exactly.

With ``--nbgrader`` it writes ``OUT/source/<chapter>/<chapter>.ipynb``, one nbgrader assignment
per chapter, whose cells carry nbgrader's metadata (schema version 3): solution code cells are
"autograded answer" cells with the solution between ``### BEGIN SOLUTION`` / ``### END
SOLUTION`` under the stub's instruction; markdown solutions are "manually graded answer" cells
(1 point) with the solution between ``<!-- BEGIN SOLUTION -->`` / ``<!-- END SOLUTION -->``;
``check-answer`` cells are "autograder tests" (1 point, read-only) whose checker calls are
``assert``-ed; exercise statements are "read-only". Lesson cells stay editable. nbgrader is not
needed to write this; ``nbgrader generate_assignment`` makes the student version from it.

Example:
    >>> cell = {"cell_type": "code", "source": "y = 2 * x", "outputs": [], "execution_count": 1,
    ...         "metadata": {"tags": ["solution"], "stub": "set y to twice x"}}
    >>> nb = {"cells": [{"cell_type": "markdown", "source": "**Exercise 2.** Double x.",
    ...                  "metadata": {}}, cell], "metadata": {}}
    >>> print(student_version(nb)["cells"][1]["source"])
    # Exercise 2: set y to twice x
    raise NotImplementedError("Exercise 2: set y to twice x")
"""

from __future__ import annotations

import argparse
import ast
import copy
import json
import re
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

SOLUTION, HIDDEN, CHECK = "solution", "remove-cell", "check-answer"
BEGIN, END = "BEGIN SOLUTION", "END SOLUTION"
# Stub texts that name nothing: the course's old defaults and nbgrader's.
GENERIC = ("write your solution here", "explain your answer", "your code here", "your answer here")
_EXERCISE = re.compile(r"\*\*Exercise\s+([0-9]+[a-z]?)\.?\*\*")
# Metadata that describes the solution's content, not the cell: dropped from stubs.
_SOLUTION_METADATA = ("stub", "mystnb", "execution", "scrolled", "collapsed")


_HOW = ("Every solution cell (and every cell with a BEGIN SOLUTION region) needs metadata.stub: a "
        "short instruction naming what to write, e.g. \"stub\": \"set n_params to the layer's "
        "parameter count\" (in JupyterLab: the property inspector, the gear icon).")


class StubError(ValueError):
    """A notebook breaks the conventions: a solution without ``metadata.stub``, a stub that names
    nothing, an unclosed ``BEGIN SOLUTION`` region, ..."""


def source(cell: dict) -> str:
    src = cell.get("source", "")
    return src if isinstance(src, str) else "".join(src)


def tags(cell: dict) -> list[str]:
    return list(cell.get("metadata", {}).get("tags", []))


def is_solution(cell: dict) -> bool:
    """True for a cell tagged ``solution``."""
    return SOLUTION in tags(cell)


def is_hidden_check(cell: dict) -> bool:
    """True for a solution cell that is also hidden from the book (``remove-cell``)."""
    return is_solution(cell) and HIDDEN in tags(cell)


def has_region(cell: dict) -> bool:
    """True for a cell with a ``BEGIN SOLUTION`` ... ``END SOLUTION`` region."""
    return any(BEGIN in line for line in source(cell).split("\n"))


def _where(name: str, index: int, cell: dict) -> str:
    first = source(cell).strip().split("\n")[0][:60]
    cid = f"id {cell['id']}, " if "id" in cell else ""
    return f"{name}: cell {index} ({cid}{cell.get('cell_type')}: {first!r})"


def stub_text(cell: dict, exercise: str | None, where: str = "cell") -> str:
    """The instruction for the stub of ``cell``: its ``metadata.stub``, after ``Exercise N:``.

    Example:
        >>> stub_text({"metadata": {"stub": "explain why the kernel is flipped"}}, "3")
        'Exercise 3: explain why the kernel is flipped'
    """
    text = str(cell.get("metadata", {}).get("stub") or "").strip()
    if not text:
        raise StubError(f"{where} has no metadata.stub")
    if any(g in text.lower() for g in GENERIC) and len(text) < 60:
        raise StubError(f"{where} has the generic stub {text!r}: name what to write")
    return text if text.lower().startswith("exercise") or not exercise else f"Exercise {exercise}: {text}"


def stub_lines(cell_type: str, text: str) -> list[str]:
    """The lines that stand for a solution: a comment and ``raise`` in code, a line of markdown."""
    if cell_type == "code":
        return [f"# {text}", f"raise NotImplementedError({json.dumps(text, ensure_ascii=False)})"]
    return [f"*Your answer here: {text}*"]


def replace_regions(src: str, lines: list[str], where: str = "cell") -> str:
    """Replace every ``BEGIN SOLUTION`` ... ``END SOLUTION`` region of ``src`` by ``lines``,
    indented like the ``BEGIN`` line, as nbgrader does.

    Example:
        >>> print(replace_regions("def f(x):\\n    ### BEGIN SOLUTION\\n    return 2 * x\\n"
        ...                       "    ### END SOLUTION", ["pass"]))
        def f(x):
            pass
    """
    out, inside = [], False
    for line in src.split("\n"):
        if BEGIN in line:
            if inside:
                raise StubError(f"{where}: a {BEGIN} region inside another one")
            inside = True
            out += [re.match(r"\s*", line).group(0) + stub for stub in lines]
        elif END in line:
            if not inside:
                raise StubError(f"{where}: {END} without {BEGIN}")
            inside = False
        elif not inside:
            out.append(line)
    if inside:
        raise StubError(f"{where}: {BEGIN} without {END}")
    return "\n".join(out)


def _exercises(nb: dict) -> list[str | None]:
    """For each cell, the number of the exercise it belongs to (None before the first)."""
    numbers, current = [], None
    for cell in nb["cells"]:
        if cell.get("cell_type") == "markdown" and not is_solution(cell):
            found = _EXERCISE.search(source(cell))
            current = found.group(1) if found else current
        numbers.append(current)
    return numbers


def _check(nb: dict, name: str) -> None:
    if not isinstance(nb, dict) or not isinstance(nb.get("cells"), list):
        raise ValueError(f"{name}: expected a notebook as a JSON dict with a 'cells' list "
                         "(read the .ipynb file with json.load)")
    for i, cell in enumerate(nb["cells"]):
        if is_solution(cell) and cell.get("cell_type") not in ("code", "markdown"):
            raise StubError(f"{_where(name, i, cell)} is tagged solution; only code and "
                            "markdown cells can be")
        if is_solution(cell) and CHECK in tags(cell):
            raise StubError(f"{_where(name, i, cell)} is tagged both solution and {CHECK}: a "
                            "check cell is kept in the student version, so it holds no solution")


@dataclass
class Report:
    """What was done to one notebook."""

    name: str
    stubbed: int = 0
    regions: int = 0
    dropped: int = 0
    checks: int = 0
    lesson_outputs: int = 0
    copied: bool = False
    nbgrader: bool = False

    def __str__(self) -> str:
        if self.copied:
            return f"{self.name}: no solution cells, copied unchanged"
        if self.nbgrader:
            return (f"{self.name}: {self.stubbed} answer cell(s), {self.checks} autograder test "
                    f"cell(s), {self.dropped} hidden check(s) removed")
        return (f"{self.name}: {self.stubbed} solution cell(s) stubbed, {self.regions} solution "
                f"region(s) replaced, {self.dropped} hidden check(s) removed, {self.checks} "
                "check-your-answer cell(s) kept")


def _for_each_cell(nb: dict, name: str, report: Report | None):
    """Yield (index, cell, stub text or None, exercise) for the cells kept; collect all errors."""
    _check(nb, name)
    report = report or Report(name)
    errors = []
    for i, (cell, exercise) in enumerate(zip(nb["cells"], _exercises(nb))):
        if is_hidden_check(cell):
            report.dropped += 1
            continue
        report.checks += CHECK in tags(cell)
        lesson = not (is_solution(cell) or has_region(cell) or CHECK in tags(cell))
        report.lesson_outputs += len(cell.get("outputs", [])) * lesson
        text = None
        if is_solution(cell) or has_region(cell):
            try:
                text = stub_text(cell, exercise, _where(name, i, cell))
            except StubError as exc:
                errors.append(str(exc))
                continue
        yield i, cell, text, exercise
    if errors:
        raise StubError("\n".join(errors))


def student_version(nb: dict, name: str = "notebook", report: Report | None = None) -> dict:
    """A copy of notebook ``nb`` (a JSON dict) with its solutions stubbed (see the module's
    docstring); ``nb`` itself is not changed."""
    report = report or Report(name)
    cells = []
    for i, cell, text, _ in _for_each_cell(nb, name, report):
        if text is None:
            cells.append(_without_outputs(cell) if CHECK in tags(cell) else copy.deepcopy(cell))
            continue
        meta = {k: v for k, v in cell.get("metadata", {}).items() if k not in _SOLUTION_METADATA}
        new = {"cell_type": cell["cell_type"], "metadata": meta}
        if "id" in cell:
            new["id"] = cell["id"]
        if has_region(cell):
            new["source"] = replace_regions(source(cell), stub_lines(cell["cell_type"], text),
                                            _where(name, i, cell))
            report.regions += 1
        else:
            new["source"] = "\n".join(stub_lines(cell["cell_type"], text))
            report.stubbed += 1
        if cell["cell_type"] == "code":
            new["outputs"], new["execution_count"] = [], None
        elif "attachments" in cell:
            new["attachments"] = {}
        cells.append(new)
    return {**copy.deepcopy(nb), "cells": cells}


def _without_outputs(cell: dict) -> dict:
    """A copy of ``cell`` without outputs: a check cell's stored verdict quotes the answer."""
    cell = copy.deepcopy(cell)
    if cell.get("cell_type") == "code":
        cell["outputs"], cell["execution_count"] = [], None
    return cell


def _asserted(src: str) -> tuple[str, int]:
    """``src`` with each call of a checker (``check.NAME(...)``) that stands as a statement, also
    inside a loop, asserted.

        >>> print(_asserted("for n in (28, 32):\\n    check.output_shape(a[n], n=n, k=5)")[0])
        for n in (28, 32):
            assert check.output_shape(a[n], n=n, k=5)
    """
    try:
        tree = ast.parse(src)
    except SyntaxError:
        return src, 0
    lines = src.split("\n")
    calls = [node for node in ast.walk(tree) if isinstance(node, ast.Expr)
             and isinstance(node.value, ast.Call) and "check." in ast.unparse(node.value.func)]
    for node in calls:
        line, col = node.lineno - 1, node.col_offset
        lines[line] = lines[line][:col] + "assert " + lines[line][col:]
    return "\n".join(lines), len(calls)


def nbgrader_version(nb: dict, name: str = "notebook", report: Report | None = None) -> dict:
    """A copy of notebook ``nb`` as an nbgrader source notebook (see the module's docstring)."""
    report = report or Report(name)
    report.nbgrader, cells = True, []
    for i, cell, text, exercise in _for_each_cell(nb, name, report):
        answer_shown = text is not None or CHECK in tags(cell)   # outputs that show an answer
        cell = _without_outputs(cell) if answer_shown else copy.deepcopy(cell)
        meta = {"grade": False, "solution": False, "locked": False, "schema_version": 3,
                "grade_id": (f"ex{exercise}-" if exercise else "") + f"cell{i}"}
        md = cell["cell_type"] == "markdown"
        if text is not None:
            if not has_region(cell):
                begin, end = ("<!-- BEGIN SOLUTION -->", "<!-- END SOLUTION -->") if md else \
                    ("### BEGIN SOLUTION", "### END SOLUTION")
                cell["source"] = "\n".join(([f"*{text}*", ""] if md else [f"# {text}"]) +
                                           [begin, source(cell), end])
            meta.update(solution=True, grade=md, **({"points": 1} if md else {}))
            report.stubbed += 1
        elif CHECK in tags(cell):
            cell["source"], n = _asserted(source(cell))
            meta.update(locked=True, grade=n > 0, **({"points": 1} if n else {}))
        elif md and _EXERCISE.search(source(cell)):
            meta.update(locked=True)
        else:
            cells.append(cell)
            continue
        cell["metadata"]["nbgrader"] = meta
        cells.append(cell)
    return {**copy.deepcopy(nb), "cells": cells}


def _dumps(nb: dict) -> str:
    # The layout nbformat and Jupyter write, so untouched cells keep their bytes.
    return json.dumps(nb, indent=1, sort_keys=True, ensure_ascii=False) + "\n"


def make_versions(notebook_dir: str | Path = "notebooks", out_dir: str | Path = "student",
                  nbgrader: bool = False, verbose: bool = True) -> list[Report]:
    """Write the student (or nbgrader source) version of every ``*.ipynb`` in ``notebook_dir``.

    Nothing is written when any notebook breaks the conventions: the :class:`StubError`
    then lists every offending cell.
    """
    src, dst = Path(notebook_dir), Path(out_dir)
    if not src.is_dir():
        raise FileNotFoundError(f"notebook folder {src} does not exist (run from the repository's "
                                "root, or pass the folder: python tools/student.py NOTEBOOK_DIR)")
    if src.resolve() == dst.resolve():
        raise ValueError(f"the output folder must differ from the notebook folder ({src}): "
                         "the student versions would overwrite the solutions")
    paths = sorted(src.glob("*.ipynb"))
    if not paths:
        raise FileNotFoundError(f"no .ipynb files in {src}")
    done, errors = [], []
    for path in paths:
        report, text = Report(path.name), path.read_text(encoding="utf-8")
        try:
            nb = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ValueError(f"{path} is not a valid notebook (JSON error: {exc})") from None
        target = dst / "source" / path.stem / path.name if nbgrader else dst / path.name
        try:
            if not nbgrader and not any(is_solution(c) or has_region(c) for c in nb["cells"]):
                report.copied = True
                done.append((report, target, None, path))
                continue
            make = nbgrader_version if nbgrader else student_version
            done.append((report, target, _dumps(make(nb, str(path), report)), path))
        except StubError as exc:
            errors.append(str(exc))
    if errors:
        raise StubError("\n".join(errors + [_HOW]))
    for report, target, text, path in done:
        target.parent.mkdir(parents=True, exist_ok=True)
        if text is None:
            shutil.copyfile(path, target)
        else:
            target.write_text(text, encoding="utf-8")
        if verbose:
            print(report)
    if nbgrader and verbose:
        cleared = sum(report.lesson_outputs for report, *_ in done)
        print(f"nbgrader generate_assignment clears every output: {cleared} lesson output(s) "
              "would go (see book/instructors.md for c.ClearOutput.enabled = False)")
    return [d[0] for d in done]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python tools/student.py",
        description="Write student versions of the notebooks (cells tagged 'solution' become "
                    "stubs), or with --nbgrader an nbgrader source version.")
    parser.add_argument("notebook_dir", nargs="?", default="notebooks",
                        help="folder with the course notebooks (default: notebooks)")
    parser.add_argument("-o", "--out", help="output folder (default: student, or nbgrader)")
    parser.add_argument("--nbgrader", action="store_true",
                        help="write OUT/source/<chapter>/<chapter>.ipynb with nbgrader metadata")
    args = parser.parse_args(argv)
    out = args.out or ("nbgrader" if args.nbgrader else "student")
    try:
        reports = make_versions(args.notebook_dir, out, nbgrader=args.nbgrader)
    except (FileNotFoundError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"wrote {len(reports)} notebook(s) to {out}/")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Tests of tools/student.py: student versions hold no solution source and change nothing else,
every stub names what to write, check-your-answer cells are kept, nbgrader's solution regions
are understood, the nbgrader source version carries valid nbgrader metadata, and a student
version runs up to its first stub.

Execution is tested on a small synthetic notebook (fast, no data) and on the real chapter 09
lab, whose cells before the first stub are only setup and data loading (seconds).
"""

import doctest
import importlib.util
import json
import re
import sys
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
LAB = NOTEBOOKS / "09_lenet_exercises.ipynb"

_spec = importlib.util.spec_from_file_location("student_tool", ROOT / "tools" / "student.py")
tool = importlib.util.module_from_spec(_spec)
sys.modules["student_tool"] = tool
_spec.loader.exec_module(tool)

# The stubs that name nothing: the course's old defaults and nbgrader's.
GENERIC = re.compile(r"(?i:write your solution here|explain your answer)|YOUR CODE HERE|YOUR ANSWER HERE")


def _src(cell):
    return tool.source(cell)


def _synthetic():
    cells = [
        new_markdown_cell("# 0. Demo"),
        new_code_cell("x = 21\nprint(x)", execution_count=1,
                      outputs=[nbformat.v4.new_output("stream", name="stdout", text="21\n")]),
        new_markdown_cell("**Exercise 1.** Double x."),
        new_markdown_cell("**Solution.** Multiply by two: SECRET_PROSE.",
                          metadata={"tags": ["solution"], "stub": "how do you double a number?"}),
        new_code_cell("y = 2 * x  # SECRET_CODE\nprint(y)", execution_count=2,
                      metadata={"tags": ["solution", "hide-input"], "stub": "set y to 2x and print it",
                                "mystnb": {"image": {"alt": "a figure"}}},
                      outputs=[nbformat.v4.new_output("stream", name="stdout", text="42\n")]),
        new_code_cell("assert y == 42  # SECRET_CHECK", execution_count=3,
                      metadata={"tags": ["solution", "remove-cell"]}),
        new_code_cell("# Check your answer\nfrom d2lmini import check\n\n"
                      "check.output_shape(y - 14, n=30, k=3)", execution_count=4,
                      metadata={"tags": ["check-answer"]},
                      outputs=[nbformat.v4.new_output("stream", name="stdout", text="Correct\n")]),
        new_markdown_cell("**Exercise 2.** Write half(x)."),
        new_code_cell("def half(x):\n    ### BEGIN SOLUTION\n    return x / 2  # SECRET_TWO\n"
                      "    ### END SOLUTION\n\nprint(half(4))", execution_count=5,
                      metadata={"stub": "return half of x"},
                      outputs=[nbformat.v4.new_output("stream", name="stdout", text="2.0\n")]),
        new_code_cell("print('after')", metadata={"tags": ["nbval-ignore-output"]}),
    ]
    nb = new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    for i, c in enumerate(nb.cells):
        c.id = f"cell-{i}"
    return json.loads(nbformat.writes(nb))


def _check_student(original: dict, student: dict):
    """Solution cells and regions are stubs (hidden checks dropped), check cells lose their output,
    every other cell is unchanged."""
    kept = [c for c in original["cells"] if not tool.is_hidden_check(c)]
    assert len(student["cells"]) == len(kept)
    for before, after in zip(kept, student["cells"]):
        if tool.is_solution(before) or tool.has_region(before):
            assert after["cell_type"] == before["cell_type"]
            assert "SOLUTION" not in _src(after) and not GENERIC.search(_src(after))
            if after["cell_type"] == "code":
                assert "raise NotImplementedError(" in _src(after)
                assert after["outputs"] == [] and after["execution_count"] is None
                compile(_src(after), "<stub>", "exec")
            else:
                assert "*Your answer here: " in _src(after)
            assert after["metadata"].get("tags") == before["metadata"].get("tags")
            assert "stub" not in after["metadata"] and "mystnb" not in after["metadata"]
        elif "check-answer" in tool.tags(before):   # kept, without the verdict that quotes the answer
            assert _src(after) == _src(before) and after["metadata"] == before["metadata"]
            assert after["outputs"] == [] and after["execution_count"] is None
        else:
            assert after == before
    assert student["metadata"] == original["metadata"]


def test_synthetic_notebook_is_stubbed():
    nb = _synthetic()
    report = tool.Report("demo")
    student = tool.student_version(nb, "demo", report)
    _check_student(nb, student)
    text = json.dumps(student)
    assert "SECRET" not in text and "42" not in text
    sources = [_src(c) for c in student["cells"]]
    assert "*Your answer here: Exercise 1: how do you double a number?*" in sources
    assert ('# Exercise 1: set y to 2x and print it\n'
            'raise NotImplementedError("Exercise 1: set y to 2x and print it")') in sources
    # The region is replaced, indented; the rest of the cell is kept.
    assert ('def half(x):\n    # Exercise 2: return half of x\n'
            '    raise NotImplementedError("Exercise 2: return half of x")\n\nprint(half(4))') in sources
    assert any(c["metadata"].get("tags") == ["check-answer"] for c in student["cells"])
    assert (report.stubbed, report.regions, report.dropped, report.checks) == (2, 1, 1, 1)
    assert nb == _synthetic()                        # the input is not modified


def test_a_solution_without_a_stub_is_refused_with_its_place():
    nb = _synthetic()
    del nb["cells"][4]["metadata"]["stub"]
    nb["cells"][8]["metadata"]["stub"] = "write your solution here"
    with pytest.raises(tool.StubError) as err:
        tool.student_version(nb, "demo.ipynb")
    message = str(err.value)
    assert "demo.ipynb: cell 4 (id cell-4, code: 'y = 2 * x  # SECRET_CODE')" in message
    assert "no metadata.stub" in message
    assert "demo.ipynb: cell 8" in message and "generic stub" in message   # all errors at once


def test_regions_must_be_closed_and_not_nested():
    for src in ("### BEGIN SOLUTION\nx = 1", "### END SOLUTION",
                "### BEGIN SOLUTION\n### BEGIN SOLUTION\n### END SOLUTION"):
        with pytest.raises(tool.StubError, match="SOLUTION"):
            tool.replace_regions(src, ["pass"])
    cell = {"cell_type": "markdown", "metadata": {"stub": "why?"},
            "source": "Before.\n<!-- BEGIN SOLUTION -->\nBecause.\n<!-- END SOLUTION -->\nAfter."}
    student = tool.student_version({"cells": [cell], "metadata": {}})
    assert _src(student["cells"][0]) == "Before.\n*Your answer here: why?*\nAfter."


def test_bad_input_is_refused(tmp_path):
    with pytest.raises(ValueError, match="cells"):
        tool.student_version({"nope": 1})
    with pytest.raises(tool.StubError, match="both solution and check-answer"):
        tool.student_version({"cells": [{"cell_type": "code", "source": "", "metadata": {
            "tags": ["solution", "check-answer"], "stub": "x"}}], "metadata": {}})
    with pytest.raises(FileNotFoundError, match="does not exist"):
        tool.make_versions(tmp_path / "missing", tmp_path / "out")
    with pytest.raises(ValueError, match="must differ"):
        tool.make_versions(NOTEBOOKS, NOTEBOOKS)
    assert tool.main([str(tmp_path / "missing"), "-o", str(tmp_path / "o")]) == 1


def test_nothing_is_written_when_a_notebook_breaks_the_conventions(tmp_path):
    src = tmp_path / "nb"
    src.mkdir()
    good, bad = _synthetic(), _synthetic()
    del bad["cells"][3]["metadata"]["stub"]
    (src / "a.ipynb").write_text(json.dumps(good))
    (src / "b.ipynb").write_text(json.dumps(bad))
    assert tool.main([str(src), "-o", str(tmp_path / "out")]) == 1
    assert not (tmp_path / "out").exists()


def _valid_nbgrader_cell(cell):
    """nbgrader's schema version 3 rules, as its metadata validator applies them."""
    meta = cell["metadata"]["nbgrader"]
    assert set(meta) <= {"schema_version", "grade", "locked", "solution", "task", "grade_id", "points"}
    assert meta["schema_version"] == 3 and all(isinstance(meta[k], bool)
                                               for k in ("grade", "locked", "solution"))
    assert re.fullmatch(r"[a-zA-Z0-9_\-]+", meta["grade_id"])
    assert ("points" in meta) == meta["grade"]
    if cell["cell_type"] == "markdown":          # markdown: grade and solution, or neither
        assert meta["grade"] == meta["solution"]
    if meta["solution"]:
        assert not meta["locked"]
        assert sum("BEGIN SOLUTION" in line for line in _src(cell).split("\n")) >= 1
    return meta


def test_synthetic_nbgrader_version():
    nb = _synthetic()
    out = tool.nbgrader_version(nb, "demo")
    cells = out["cells"]
    assert len(cells) == len(nb["cells"]) - 1                    # the hidden check is left out
    metas = {c["id"]: _valid_nbgrader_cell(c) for c in cells if "nbgrader" in c["metadata"]}
    assert len({m["grade_id"] for m in metas.values()}) == len(metas)
    assert metas["cell-3"] == {"grade": True, "solution": True, "locked": False, "points": 1,
                               "schema_version": 3, "grade_id": "ex1-cell3"}
    assert metas["cell-4"]["solution"] and not metas["cell-4"]["grade"]
    assert _src(cells[4]) == ("# Exercise 1: set y to 2x and print it\n### BEGIN SOLUTION\n"
                              "y = 2 * x  # SECRET_CODE\nprint(y)\n### END SOLUTION")
    assert _src(cells[3]).startswith("*Exercise 1: how do you double a number?*\n\n"
                                     "<!-- BEGIN SOLUTION -->\n**Solution.**")
    check_cell = next(c for c in cells if "check-answer" in c["metadata"].get("tags", []))
    assert metas[check_cell["id"]] == {"grade": True, "solution": False, "locked": True, "points": 1,
                                       "schema_version": 3, "grade_id": "ex1-cell6"}
    assert "\nassert check.output_shape(y - 14, n=30, k=3)" in _src(check_cell)
    assert check_cell["outputs"] == [] and cells[4]["outputs"] == []   # no answer shown
    assert metas["cell-7"]["locked"] and not metas["cell-7"]["grade"]   # exercise statement
    assert _src(cells[7]) == _src(nb["cells"][8])                        # region kept as it is
    assert metas["cell-8"]["solution"]
    for i in (0, 1, 9):                                                   # lesson cells untouched
        assert cells[i if i < 5 else i - 1] == nb["cells"][i]


def _student_tool_on_real_notebooks(tmp_path, nbgrader=False):
    try:
        return tool.make_versions(NOTEBOOKS, tmp_path, nbgrader=nbgrader, verbose=False)
    except tool.StubError as exc:
        missing = sum(": cell " in line for line in str(exc).split("\n"))
        pytest.fail(f"{missing} cell(s) of the notebooks break the stub conventions "
                    f"(every solution cell needs metadata.stub):\n{exc}")


def test_every_course_notebook(tmp_path):
    """All notebooks: every stub names what to write, no solution source is left, nothing else
    changed, a check-your-answer cell in each of chapters 03-09, the rest copied byte for byte."""
    reports = _student_tool_on_real_notebooks(tmp_path)
    assert len(reports) == len(list(NOTEBOOKS.glob("*.ipynb")))
    for report in reports:
        original_text = (NOTEBOOKS / report.name).read_text(encoding="utf-8")
        student_text = (tmp_path / report.name).read_text(encoding="utf-8")
        if report.copied:
            assert student_text == original_text
            continue
        original, student = json.loads(original_text), json.loads(student_text)
        _check_student(original, student)
        assert not GENERIC.search(student_text), report.name
        stubs = [_src(c) for c in student["cells"] if tool.is_solution(c)]
        assert all(a != b for a, b in zip(stubs, stubs[1:])), f"{report.name}: two identical stubs"
        if report.name[:2] in {"03", "04", "05", "06", "07", "08", "09"}:
            assert report.checks >= 1, f"{report.name} has no check-your-answer cell"
        # Byte for byte: putting the solution cells back gives the original file exactly.
        rebuilt, it = [], iter(student["cells"])
        for cell in original["cells"]:
            kept = cell if tool.is_hidden_check(cell) else next(it)
            changed = tool.is_solution(cell) or tool.has_region(cell) or "check-answer" in tool.tags(cell)
            rebuilt.append(cell if changed else kept)
        assert next(it, None) is None
        assert tool._dumps(dict(student, cells=rebuilt)) == original_text


def test_every_course_notebook_as_nbgrader_source(tmp_path, capsys):
    reports = _student_tool_on_real_notebooks(tmp_path, nbgrader=True)
    for report in reports:
        path = tmp_path / "source" / Path(report.name).stem / report.name
        nb = json.loads(path.read_text(encoding="utf-8"))
        ids = [_valid_nbgrader_cell(c)["grade_id"] for c in nb["cells"] if "nbgrader" in c["metadata"]]
        assert len(ids) == len(set(ids)), report.name
        checks = [c["metadata"]["nbgrader"] for c in nb["cells"] if "check-answer" in tool.tags(c)]
        assert all(m["grade"] and m["points"] for m in checks), f"{report.name}: a check is not graded"
    # The report counts the lesson outputs that nbgrader generate_assignment would clear.
    tool.make_versions(NOTEBOOKS, tmp_path, nbgrader=True)
    assert re.search(r"\d+ lesson output\(s\) would go", capsys.readouterr().out)


def test_the_instructors_page_quotes_the_tools_as_they_are(tmp_path, capsys):
    """The numbers and messages that book/instructors.md quotes are what the tools print now."""
    page = (ROOT / "book" / "instructors.md").read_text(encoding="utf-8")
    page = " ".join(page.split())   # the page wraps its lines
    lab = next(r for r in _student_tool_on_real_notebooks(tmp_path) if r.name == LAB.name)
    assert " ".join(f"`{lab}`".split()) in page, str(lab)
    tool.make_versions(NOTEBOOKS, tmp_path / "nbgrader", nbgrader=True)
    cleared = re.search(r"(\d+) lesson output\(s\) would go", capsys.readouterr().out).group(1)
    assert f"that is {cleared} lesson outputs" in page
    from d2lmini import check
    check.output_shape(111, n=224, k=5, p=2, s=2)
    assert capsys.readouterr().out.strip() in page


def test_docstring_examples():
    result = doctest.testmod(tool, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.attempted >= 3 and result.failed == 0


def _run_until_first_stub(nb: dict, cwd: Path):
    from nbclient import NotebookClient

    cells = nb["cells"]
    first = next(i for i, c in enumerate(cells) if "raise NotImplementedError" in _src(c))
    part = nbformat.reads(json.dumps({**nb, "cells": cells[:first + 1]}), as_version=4)
    NotebookClient(part, timeout=600, kernel_name="python3", allow_errors=True,
                   resources={"metadata": {"path": str(cwd)}}).execute()
    errors = [(i, o) for i, c in enumerate(part.cells) if c.cell_type == "code"
              for o in c.outputs if o.output_type == "error"]
    assert len(errors) == 1, [f"cell {i}: {o.ename}: {o.evalue}" for i, o in errors]
    index, error = errors[0]
    assert index == first and error.ename == "NotImplementedError"
    return error


def test_synthetic_student_version_runs_until_its_first_stub(tmp_path):
    error = _run_until_first_stub(tool.student_version(_synthetic()), tmp_path)
    assert "Exercise 1: set y to 2x" in error.evalue


def test_lab_student_version_runs_until_its_first_stub(tmp_path):
    from conftest import have_real_data

    if not have_real_data("FashionMNIST"):
        pytest.skip("Fashion-MNIST not found: set D2LMINI_DATA")
    student = tool.student_version(json.loads(LAB.read_text(encoding="utf-8")), LAB.name)
    error = _run_until_first_stub(student, tmp_path)
    assert error.evalue.startswith("Exercise 1")

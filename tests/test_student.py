"""Tests of d2lmini.student: the student versions hold no solution source, change nothing
else, and run up to their first stub.

Execution is tested on a small synthetic notebook (fast, no data) and on the real chapter 09
lab. Chapter 09 is the right real notebook here: everything before its first stub is setup
and data loading (a few seconds), while all of its training sits in solution cells. Running
a student version *up to* the first stub therefore costs seconds, not the minutes a
training chapter would need.
"""

import json
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from d2lmini.student import is_solution, main, make_student_versions, stub_text, student_version

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
LAB = NOTEBOOKS / "09_lenet_exercises.ipynb"


def _src(cell):
    s = cell["source"]
    return s if isinstance(s, str) else "".join(s)


def _synthetic():
    cells = [
        new_markdown_cell("# 0. Demo"),
        new_code_cell("x = 21\nprint(x)", execution_count=1,
                      outputs=[nbformat.v4.new_output("stream", name="stdout", text="21\n")]),
        new_markdown_cell("**Exercise 1.** Double x."),
        new_markdown_cell("**Solution.** Multiply by two: SECRET_PROSE.", metadata={"tags": ["solution"]}),
        new_code_cell("y = 2 * x  # SECRET_CODE\nprint(y)", execution_count=2,
                      metadata={"tags": ["solution", "hide-input"], "stub": "compute y = 2x and print it",
                                "mystnb": {"image": {"alt": "a figure"}}},
                      outputs=[nbformat.v4.new_output("stream", name="stdout", text="42\n")]),
        new_code_cell("assert y == 42  # SECRET_CHECK", execution_count=3,
                      metadata={"tags": ["solution", "remove-cell"]}),
        new_markdown_cell("**Exercise 2.** Explain."),
        new_code_cell("z = x + 1  # SECRET_TWO", metadata={"tags": ["solution"]}),
        new_code_cell("print('after')", metadata={"tags": ["nbval-ignore-output"]}),
    ]
    nb = new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    for i, c in enumerate(nb.cells):
        c.id = f"cell-{i}"
    return json.loads(nbformat.writes(nb))


def _check_student(original: dict, student: dict):
    """Solution cells are stubs (hidden checks dropped); every other cell is unchanged."""
    kept = [c for c in original["cells"]
            if not (is_solution(c) and "remove-cell" in c["metadata"].get("tags", []))]
    assert len(student["cells"]) == len(kept)
    for before, after in zip(kept, student["cells"]):
        if is_solution(before):
            assert after["cell_type"] == before["cell_type"]
            assert _src(before) not in _src(after)
            if after["cell_type"] == "code":
                assert "raise NotImplementedError(" in _src(after)
                assert after["outputs"] == [] and after["execution_count"] is None
                compile(_src(after), "<stub>", "exec")
            else:
                assert _src(after).startswith("*Your answer here:")
            assert after["metadata"].get("tags") == before["metadata"].get("tags")
        else:
            assert after == before
    assert student["metadata"] == original["metadata"]


def test_synthetic_notebook_is_stubbed():
    nb = _synthetic()
    student = student_version(nb)
    _check_student(nb, student)
    text = json.dumps(student)
    assert "SECRET" not in text and "42" not in text
    sources = [_src(c) for c in student["cells"]]
    assert "*Your answer here: Exercise 1: explain your answer.*" in sources
    assert ('# Exercise 1: compute y = 2x and print it\n'
            'raise NotImplementedError("Exercise 1: compute y = 2x and print it")') in sources
    assert any("Exercise 2: write your solution here." in s for s in sources)
    stub = next(c for c in student["cells"] if "compute y" in _src(c))
    assert "mystnb" not in stub["metadata"] and "stub" not in stub["metadata"]
    assert nb == _synthetic()                        # the input is not modified


def test_stub_text_defaults():
    assert stub_text({"cell_type": "code", "metadata": {}}, None) == "Exercise: write your solution here."
    assert stub_text({"cell_type": "code", "metadata": {"stub": "Exercise 4: plot it"}}, "4") == \
        "Exercise 4: plot it"


def test_bad_input_is_refused(tmp_path):
    with pytest.raises(ValueError, match="cells"):
        student_version({"nope": 1})
    with pytest.raises(FileNotFoundError, match="does not exist"):
        make_student_versions(tmp_path / "missing", tmp_path / "out")
    with pytest.raises(ValueError, match="must differ"):
        make_student_versions(NOTEBOOKS, NOTEBOOKS)
    assert main([str(tmp_path / "missing"), "-o", str(tmp_path / "o")]) == 1


def test_every_course_notebook(tmp_path):
    """All notebooks: no solution source left, nothing else changed, others copied byte for byte."""
    reports = make_student_versions(NOTEBOOKS, tmp_path, verbose=False)
    assert reports, "no notebooks found"
    for report in reports:
        original_text = (NOTEBOOKS / report.name).read_text(encoding="utf-8")
        student_text = (tmp_path / report.name).read_text(encoding="utf-8")
        original = json.loads(original_text)
        if report.copied:
            assert student_text == original_text
            continue
        student = json.loads(student_text)
        _check_student(original, student)
        assert not any(is_solution(c) and "remove-cell" in c["metadata"].get("tags", [])
                       for c in student["cells"])
        # Byte for byte: putting the solution cells back gives the original file exactly.
        rebuilt, it = [], iter(student["cells"])
        for cell in original["cells"]:
            if is_solution(cell) and "remove-cell" in cell["metadata"].get("tags", []):
                rebuilt.append(cell)
                continue
            kept = next(it)
            rebuilt.append(cell if is_solution(cell) else kept)
        assert next(it, None) is None
        restored = dict(student, cells=rebuilt)
        assert json.dumps(restored, indent=1, sort_keys=True, ensure_ascii=False) + "\n" == original_text


def _run_until_first_stub(nb: dict, cwd: Path):
    from nbclient import NotebookClient

    cells = nb["cells"]
    first = next(i for i, c in enumerate(cells) if is_solution(c) and c["cell_type"] == "code")
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
    error = _run_until_first_stub(student_version(_synthetic()), tmp_path)
    assert "Exercise 1: compute y = 2x" in error.evalue


def test_lab_student_version_runs_until_its_first_stub(tmp_path):
    from conftest import have_real_data

    if not LAB.exists():
        pytest.skip("notebooks/09_lenet_exercises.ipynb is not there")
    if not have_real_data("FashionMNIST"):
        pytest.skip("Fashion-MNIST not found: set D2LMINI_DATA")
    student = student_version(json.loads(LAB.read_text(encoding="utf-8")))
    error = _run_until_first_stub(student, tmp_path)
    assert error.evalue.startswith("Exercise 1")

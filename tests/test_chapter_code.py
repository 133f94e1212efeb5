"""What a chapter builds and d2lmini keeps must stay the same code.

Chapter 8 writes ``class LeNet(d2l.Classifier)`` and then says that from now on it is
``d2l.LeNet``. These tests read the class out of the notebook and out of
``d2lmini/module.py`` and compare them as code: their syntax trees, without docstrings
and comments, with ``d2l.NAME`` in the chapter read as ``NAME`` in the package. If one
copy changes, change the other the same way.
"""

from __future__ import annotations

import ast
import difflib
import json
from pathlib import Path

import torch
from torch import nn

import d2lmini as d2l

ROOT = Path(__file__).resolve().parents[1]
CHAPTER = ROOT / "notebooks" / "08_lenet.ipynb"
PACKAGE = ROOT / "d2lmini" / "module.py"


def _class_in(source: str, name: str, where: str) -> ast.ClassDef:
    found = [node for node in ast.walk(ast.parse(source))
             if isinstance(node, ast.ClassDef) and node.name == name]
    assert len(found) == 1, f"{where}: expected one `class {name}`, found {len(found)}"
    return found[0]


def chapter_cell(name: str = "LeNet") -> str:
    """Source of the one code cell of chapter 8 that defines ``class NAME``."""
    cells = json.loads(CHAPTER.read_text(encoding="utf-8"))["cells"]
    sources = ["".join(c["source"]) for c in cells if c["cell_type"] == "code"]
    found = [s for s in sources if any(line.startswith(f"class {name}(")
                                       for line in s.splitlines())]
    assert len(found) == 1, f"{CHAPTER.name}: expected one cell with `class {name}(`, found {len(found)}"
    return found[0]


class _Normalise(ast.NodeTransformer):
    """Read ``d2l.NAME`` as ``NAME``: the package uses the names directly."""

    def visit_Attribute(self, node: ast.Attribute) -> ast.AST:
        if isinstance(node.value, ast.Name) and node.value.id == "d2l":
            return ast.copy_location(ast.Name(id=node.attr, ctx=node.ctx), node)
        return self.generic_visit(node)


def _drop_docstrings(tree: ast.AST) -> ast.AST:
    for node in ast.walk(tree):
        if isinstance(node, (ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) \
                and ast.get_docstring(node, clean=False) is not None:
            node.body = node.body[1:] or [ast.Pass()]
    return tree


def normalised(node: ast.ClassDef) -> str:
    """The class as code, comparable across the two copies (comments are already gone)."""
    return ast.unparse(ast.fix_missing_locations(_Normalise().visit(_drop_docstrings(node))))


def test_chapter_8_lenet_is_d2lmini_lenet():
    ours = normalised(_class_in(chapter_cell("LeNet"), "LeNet", CHAPTER.name))
    theirs = normalised(_class_in(PACKAGE.read_text(encoding="utf-8"), "LeNet", PACKAGE.name))
    diff = "\n".join(difflib.unified_diff(theirs.splitlines(), ours.splitlines(),
                                          "d2lmini/module.py", "notebooks/08_lenet.ipynb",
                                          lineterm=""))
    assert ours == theirs, (
        "Chapter 8's class LeNet and d2lmini's LeNet differ (docstrings and comments "
        f"ignored, d2l.X read as X); change both the same way:\n{diff}")


def test_the_normalisation_still_sees_real_changes():
    """The comparison ignores only docstrings, comments and the d2l. prefix."""
    cell = chapter_cell("LeNet")
    base = normalised(_class_in(cell, "LeNet", "cell"))
    commented = cell.replace("super().__init__()", "super().__init__()  # a comment")
    assert normalised(_class_in(commented, "LeNet", "cell")) == base
    for old, new in [("kernel_size=5, padding=2", "kernel_size=5, padding=1"),
                     ("lr=0.9", "lr=0.1"), ("nn.Linear(120, 84)", "nn.Linear(120, 80)")]:
        assert old in cell, f"the chapter's cell no longer contains {old!r}: update this test"
        changed = normalised(_class_in(cell.replace(old, new), "LeNet", "cell"))
        assert changed != base, f"changing {old!r} to {new!r} went unnoticed"


def test_chapter_8_lenet_builds_the_same_network():
    """Run the chapter's cell: same layers, same initial weights as d2l.LeNet, both variants."""
    namespace = {"d2l": d2l, "nn": nn, "torch": torch}
    exec(compile(chapter_cell("LeNet"), str(CHAPTER), "exec"), namespace)
    for kwargs in [{}, {"lr": 0.1, "activation": nn.ReLU, "pool": nn.MaxPool2d},
                   {"xavier": False}]:
        d2l.set_seed(0)
        ours = namespace["LeNet"](**kwargs)
        d2l.set_seed(0)
        theirs = d2l.LeNet(**kwargs)
        assert repr(ours.net) == repr(theirs.net), kwargs
        assert ours.hparams == theirs.hparams, kwargs
        for (name, a), (_, b) in zip(ours.state_dict().items(), theirs.state_dict().items()):
            assert torch.equal(a, b), f"{name} differs for {kwargs}"
    assert sum(p.numel() for p in d2l.LeNet().parameters()) == 61_706

"""d2lmini stays a small helper: few lines, few modules, few public names, each one used.

The course's promise (issue: d2lmini, second edition): at most 1,500 lines in at most 7
modules and at most 30 public names, each used by a chapter or by the d2l book's LeNet
code, and reached one way (``d2l.NAME``). ``import d2lmini`` loads no teaching tools.
"""

import json
import re
import subprocess
import sys
from pathlib import Path

import d2lmini as d2l

ROOT = Path(__file__).resolve().parents[1]
MODULES = sorted((ROOT / "d2lmini").glob("*.py"))
# Names the d2l book's LeNet chapter (tests/test_d2l_compat.py) and its API rely on.
D2L_API = {"Classifier", "Module", "Trainer", "FashionMNIST", "add_to_class", "init_cnn", "try_gpu",
           "try_all_gpus", "cpu", "num_gpus", "DataModule"}
# What the public functions return (Trainer.fit's History) or raise (the errors a student sees
# and may catch): used wherever those functions are, without being named.
RETURNED_OR_RAISED = {"History", "DataError", "ModelShapeError", "TrainingDivergedError"}


def test_size_limits():
    lines = sum(len(p.read_text(encoding="utf-8").splitlines()) for p in MODULES)
    assert len(MODULES) <= 7, [p.name for p in MODULES]
    assert lines <= 1500, f"d2lmini has {lines} lines"
    assert len(d2l.__all__) <= 30 and len(set(d2l.__all__)) == len(d2l.__all__)
    assert all(hasattr(d2l, name) for name in d2l.__all__)


def test_every_public_name_is_used():
    code = ""
    for path in sorted((ROOT / "notebooks").glob("*.ipynb")):
        nb = json.loads(path.read_text(encoding="utf-8"))
        code += "\n".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code")
    used = set(re.findall(r"\bd2l\.([A-Za-z_]\w*)", code)) | D2L_API | RETURNED_OR_RAISED
    unused = [name for name in d2l.__all__ if name not in used]
    assert not unused, f"public names no chapter uses: {unused}"


def test_chapters_reach_names_one_way():
    for path in sorted((ROOT / "notebooks").glob("*.ipynb")):
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"from d2lmini(\.\w+)? import (?!check\b)", text), path.name
        assert not re.search(r"d2l\.(data|module|trainer|plot|device)\.", text), path.name


def test_import_loads_no_teaching_tools():
    code = "import sys, d2lmini; print(sorted(m for m in sys.modules if m.startswith('d2lmini')))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert "d2lmini.check" not in out and "student" not in out

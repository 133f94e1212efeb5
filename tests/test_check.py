"""Tests of d2lmini.check: the course's own code passes, shortcuts and typical mistakes fail with
a hint that does not give the answer away, and nonsense problems raise clear errors.

"The course's own code" is read from the notebooks: each test takes the function a chapter
defines (e.g. chapter 07's ``pool2d``) out of its cell and checks it, so a checker can never
again reject what the chapter teaches.
"""

import ast
import doctest
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from d2lmini import check

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"


def chapter_function(notebook: str, name: str):
    """The function ``name`` as the chapter's notebook defines it (the last definition wins)."""
    found = None
    for cell in json.loads((NOTEBOOKS / notebook).read_text(encoding="utf-8"))["cells"]:
        if cell["cell_type"] != "code":
            continue
        src = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
        try:
            tree = ast.parse(src)
        except SyntaxError:   # IPython magics: not a cell that defines a helper
            continue
        found = next((node for node in tree.body
                      if isinstance(node, ast.FunctionDef) and node.name == name), found)
    assert found is not None, f"{notebook} defines no function {name}"
    namespace = {"torch": torch, "F": F, "nn": nn}
    exec(compile(ast.Module([found], type_ignores=[]), notebook, "exec"), namespace)
    return namespace[name]


# --------------------------------------------------------------------------- output_shape
@pytest.mark.parametrize("n, k, p, s, right", [
    (30, 3, 0, 1, 28), (224, 5, 1, 2, 111), (528, 7, 2, 3, 176),   # chapter 05, exercise 1
    (112, 3, 1, 2, 56),                                             # chapter 07, exercise 2
    (28, 5, 2, 1, 28), (7, 2, 0, 2, 3), (224, 2, 0, 2, 112),
])
def test_output_shape_accepts_the_formula(n, k, p, s, right, capsys):
    assert check.output_shape(right, n=n, k=k, p=p, s=s)
    assert capsys.readouterr().out.startswith("Correct")
    assert check.output_shape((right, right), n=n, k=k, p=p, s=s, verbose=False)
    assert check.output_shape(torch.Size([8, 64, right, right]), n=n, k=k, p=p, s=s, verbose=False)
    assert check.output_shape(torch.tensor(right), n=n, k=k, p=p, s=s, verbose=False)
    layer = nn.Conv2d(1, 1, k, padding=p, stride=s)
    assert layer(torch.zeros(1, 1, n, n)).shape[-1] == right   # the checker agrees with PyTorch


@pytest.mark.parametrize("answer, n, k, p, s, hint", [
    (219, 224, 5, 0, 1, "'+ 1'"),                   # forgot the + 1
    (26, 28, 3, 1, 1, "each side"),                 # ignored the padding
    (27, 28, 3, 1, 1, "both sides"),                # padded one side only
    (222, 224, 5, 1, 2, "stride"),                  # ignored the stride
    (8, 16, 3, 0, 2, "round down"),                 # rounded up
    (111.5, 224, 5, 1, 2, "round the division"),    # did not round at all
    (-1, 4, 5, 0, 1, "larger than the padded input"),
])
def test_output_shape_rejects_typical_mistakes_with_a_hint(answer, n, k, p, s, hint):
    v = check.output_shape(answer, n=n, k=k, p=p, s=s, verbose=False)
    assert not v and v.message.startswith("Not yet") and hint in v.message, v.message
    right = max(0, (n + 2 * p - k) // s + 1)
    assert not re.search(rf"\b{right}\b", v.message.split("Hint:")[1])   # the hint gives nothing away


def test_a_forgotten_plus_one_is_never_blamed_on_the_padding_alone():
    for n in range(3, 30):
        for k in range(1, 6):
            for p in range(0, 3):
                for s in range(1, 4):
                    if n + 2 * p < k:
                        continue
                    v = check.output_shape((n + 2 * p - k) // s, n=n, k=k, p=p, s=s, verbose=False)
                    assert not v and "'+ 1'" in v.message, (n, k, p, s, v.message)


def test_output_shape_text_answer_asks_for_a_number():
    for answer in ("28", "28x28", ("28", 28), None):
        v = check.output_shape(answer, n=30, k=3, verbose=False)
        assert not v and "give a number" in v.message and "round" not in v.message, v.message


def test_output_shape_no_window_fits_means_no_output():
    # Chapter 03, exercise 1(c): a 5x5 kernel on a 4x4 input has no output at all.
    assert check.output_shape(0, n=4, k=5, verbose=False)
    v = check.output_shape((0, 0), n=4, k=5, verbose=False)
    assert v and "no window fits" in v.message
    assert not check.output_shape(1, n=4, k=5, verbose=False)


def test_output_shape_rectangular_and_errors():
    assert check.output_shape((24, 24), n=28, k=5, verbose=False)                 # chapter 03
    assert check.output_shape((6, 7), n=(6, 8), k=(1, 2), verbose=False)
    assert check.output_shape((14, 7), n=(28, 14), k=(3, 3), p=1, s=2, verbose=False)
    v = check.output_shape((14, 8), n=(28, 14), k=(3, 3), p=1, s=2, verbose=False)
    assert not v and "width" in v.message
    with pytest.raises(ValueError, match="s must be at least 1"):
        check.output_shape(1, n=3, k=2, s=0)
    with pytest.raises(ValueError, match="pair of ints"):
        check.output_shape(1, n=3.5, k=2)


# --------------------------------------------------------------------------- parameter counts
def test_conv_params():
    assert check.conv_params(456, c_in=3, c_out=6, k=5, verbose=False)
    assert check.conv_params(450, c_in=3, c_out=6, k=5, bias=False, verbose=False)
    assert check.conv_params(73856, c_in=64, c_out=128, k=3, verbose=False)        # chapter 06
    cases = {450: "bias", 156: "each input channel", 468: "per input channel",
             81: "own kernel", "456": "give a number"}
    for wrong, hint in cases.items():
        v = check.conv_params(wrong, c_in=3, c_out=6, k=5, verbose=False)
        assert not v and hint in v.message and "456 " not in v.message, (wrong, v.message)
    v = check.conv_params(456, c_in=3, c_out=6, k=5, bias=False, verbose=False)
    assert not v and "bias=False" in v.message
    for layer, k in ((nn.Conv2d(2, 4, (3, 2)), (3, 2)), (nn.Conv2d(3, 3, 3, groups=3), 3)):
        right = sum(p.numel() for p in layer.parameters())
        assert check.conv_params(right, layer.in_channels, layer.out_channels, k,
                                 groups=layer.groups, verbose=False)
    v = check.conv_params(84, c_in=3, c_out=3, k=3, groups=3, verbose=False)     # chapter 06, ex. 4
    assert not v and "groups" in v.message
    with pytest.raises(ValueError, match="groups"):
        check.conv_params(1, c_in=3, c_out=4, k=3, groups=2)


def _lenet():
    return nn.Sequential(nn.Conv2d(1, 6, 5, padding=2), nn.Sigmoid(), nn.AvgPool2d(2, 2),
                         nn.Conv2d(6, 16, 5), nn.Sigmoid(), nn.AvgPool2d(2, 2), nn.Flatten(),
                         nn.Linear(400, 120), nn.Sigmoid(), nn.Linear(120, 84), nn.Sigmoid(),
                         nn.Linear(84, 10))


def test_num_params_lenet():
    net = _lenet()
    assert check.num_params(61706, net, verbose=False)
    assert check.num_params(torch.tensor(61706), net, verbose=False)
    biases = 6 + 16 + 120 + 84 + 10
    v = check.num_params(61706 - biases, net, verbose=False)
    assert not v and "biases" in v.message and "61706" not in v.message
    assert "too few" in check.num_params(50000, net, verbose=False).message
    assert "too many" in check.num_params(70000, net, verbose=False).message
    assert "give a number" in check.num_params("61706", net, verbose=False).message
    with pytest.raises(TypeError):
        check.num_params(1, "not a model")
    with pytest.raises(ValueError, match="lazy"):
        check.num_params(1, nn.LazyLinear(3))


# --------------------------------------------------------------------------- corr2d
def test_corr2d_accepts_the_chapters_own_code(capsys):
    for notebook, name in (("03_cross_correlation.ipynb", "corr2d"),
                           ("03_cross_correlation.ipynb", "corr2d_vec"),
                           ("05_padding_and_stride.ipynb", "corr2d")):
        v = check.corr2d(chapter_function(notebook, name))
        assert v, (notebook, name, v.message)
    out = capsys.readouterr().out
    assert out.count("Correct") == 3
    assert "on 8 random problems" in out   # chapter 05's corr2d: padding and stride tested too


def test_corr2d_rejects_a_library_one_liner():
    shortcuts = {
        "F.conv2d": lambda X, K: F.conv2d(X[None, None], K[None, None])[0, 0],
        "F.conv2d ": lambda X, K: torch.conv2d(X[None, None], K[None, None])[0, 0],
        "F.conv2d  ": lambda X, K: torch.nn.functional.conv2d(X[None, None], K[None, None])[0, 0],
        "torch.convolution": lambda X, K: torch.convolution(
            X[None, None], K[None, None], None, [1, 1], [0, 0], [1, 1], False, [0, 0], 1)[0, 0],
        "F.unfold": lambda X, K: (K.reshape(1, -1) @ F.unfold(X[None, None], K.shape)[0]).reshape(
            X.shape[0] - K.shape[0] + 1, -1),
    }
    for used, fn in shortcuts.items():
        v = check.corr2d(fn, verbose=False)
        assert not v and f"calls {used.strip()}" in v.message and "loops" in v.message, v.message

    def with_a_layer(X, K):
        layer = nn.Conv2d(1, 1, K.shape, bias=False)
        layer.weight.data = K[None, None]
        return layer(X[None, None])[0, 0].detach()

    v = check.corr2d(with_a_layer, verbose=False)
    assert not v and "F.conv2d" in v.message
    # Chapter 03, exercise 4 asks for F.unfold: allowed when the check says so.
    assert check.corr2d(shortcuts["F.unfold"], by_hand=False, verbose=False)


def test_corr2d_names_mistakes():
    corr = chapter_function("03_cross_correlation.ipynb", "corr2d")
    v = check.corr2d(chapter_function("03_cross_correlation.ipynb", "conv2d_true"), verbose=False)
    assert not v and "flipped" in v.message

    def off_by_one(X, K):
        return corr(X, K)[:-1, :-1]

    v = check.corr2d(off_by_one, verbose=False)
    assert not v and "shape" in v.message
    v = check.corr2d(lambda X, K: corr(X.T, K.T), verbose=False)
    assert not v and "swapped" in v.message
    v = check.corr2d(lambda X, K: X[100], verbose=False)
    assert not v and "IndexError" in v.message
    v = check.corr2d(lambda X, K: corr(X, K).tolist(), verbose=False)
    assert not v and "torch.Tensor" in v.message
    with pytest.raises(TypeError):
        check.corr2d(3)


# --------------------------------------------------------------------------- pool2d
def test_pool2d_accepts_chapter_07s_pool2d():
    pool2d = chapter_function("07_pooling.ipynb", "pool2d")
    v = check.pool2d(pool2d, verbose=False)   # both modes, default stride, strides and padding
    assert v and "max and avg" in v.message and "8 random problems each" in v.message
    assert check.pool2d(pool2d, mode="avg", verbose=False)
    assert check.pool2d(lambda X, size: pool2d(X, size), verbose=False)   # stride = window only


def test_pool2d_accepts_chapter_07s_min_pooling():
    min_pool2d = chapter_function("07_pooling.ipynb", "min_pool2d")   # exercise 4: F.max_pool2d
    assert check.pool2d(min_pool2d, mode="min", by_hand=False, batch=True, verbose=False)
    assert not check.pool2d(min_pool2d, mode="max", by_hand=False, batch=True, verbose=False)


def test_pool2d_rejects_a_library_one_liner():
    shortcuts = {
        "F.max_pool2d": (lambda X, k: F.max_pool2d(X[None], k)[0], "max"),
        "F.max_pool2d ": (lambda X, k: nn.MaxPool2d(k)(X[None])[0], "max"),
        "F.avg_pool2d": (lambda X, k: F.avg_pool2d(X[None], k)[0], "avg"),
        "F.avg_pool2d ": (lambda X, k: nn.AdaptiveAvgPool2d((X.shape[0] // k[0], X.shape[1] // k[1]))(
            X[None])[0], "avg"),
        "F.max_pool2d_with_indices": (lambda X, k: F.max_pool2d_with_indices(X[None], k)[0][0], "max"),
    }
    for fn, mode in shortcuts.values():
        v = check.pool2d(fn, mode, verbose=False)
        assert not v and "calls F." in v.message and "loops" in v.message, v.message
    v = check.pool2d(shortcuts["F.max_pool2d_with_indices"][0], verbose=False)
    assert "calls F.max_pool2d_with_indices" in v.message, v.message
    v = check.pool2d(shortcuts["F.max_pool2d"][0], by_hand=False, verbose=False)
    assert v


def test_pool2d_names_mistakes():
    def stride_one(X, pool_size, mode="max"):   # windows that move one pixel at a time
        p_h, p_w = pool_size
        Y = torch.zeros(X.shape[0] - p_h + 1, X.shape[1] - p_w + 1)
        for i in range(Y.shape[0]):
            for j in range(Y.shape[1]):
                window = X[i:i + p_h, j:j + p_w]
                Y[i, j] = window.max() if mode == "max" else window.mean()
        return Y

    v = check.pool2d(stride_one, verbose=False)
    assert not v and "default stride of pooling is the window size" in v.message
    pool2d = chapter_function("07_pooling.ipynb", "pool2d")
    v = check.pool2d(lambda X, k: pool2d(X, k, mode="avg"), "max", verbose=False)
    assert not v and "avg pooling, not max" in v.message
    with pytest.raises(ValueError, match="mode"):
        check.pool2d(pool2d, "median")


# --------------------------------------------------------------------------- models
def test_model_output_shape():
    assert check.model_output_shape(_lenet(), verbose=False)
    assert check.model_output_shape(_lenet(), input_shape=(2, 1, 28, 28), expected=(2, 10),
                                    verbose=False)
    broken = _lenet()
    broken[7] = nn.Linear(256, 120)
    v = check.model_output_shape(broken, verbose=False)
    assert not v and "Layer '7' (Linear(in_features=256" in v.message and "(1, 400)" in v.message
    v = check.model_output_shape(nn.Sequential(nn.Flatten(), nn.Linear(784, 5)), verbose=False)
    assert not v and "(1, 5)" in v.message

    class Reshapes(nn.Module):   # fails in its own forward code, after a layer
        def __init__(self):
            super().__init__()
            self.conv = nn.Conv2d(1, 2, 3)

        def forward(self, x):
            return self.conv(x).view(-1, 10)

    v = check.model_output_shape(Reshapes(), verbose=False)
    assert not v and "after layer 'conv'" in v.message and "forward" in v.message
    bn = nn.Sequential(nn.Flatten(), nn.Linear(784, 10), nn.BatchNorm1d(10))
    assert check.model_output_shape(bn, verbose=False) and bn.training   # mode is restored


# --------------------------------------------------------------------------- the module
def test_docstring_examples():
    result = doctest.testmod(check, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 5 and result.failed == 0


def test_a_verdict_shows_nothing_more_in_a_notebook():
    v = check.output_shape(28, n=30, k=3, verbose=False)
    assert repr(v) == "Verdict(ok=True)" and v._ipython_display_() is None


def test_import_d2lmini_loads_no_teaching_tools():
    """The answer checkers and the student-version tool stay out of the student's import."""
    code = ("import sys, d2lmini; "
            "print(sorted(m for m in sys.modules if m.split('.')[-1] in ('check', 'student')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]", out.stdout
    code = "from d2lmini import check; print(check.output_shape(28, n=30, k=3, verbose=False).ok)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "True"

"""Checkers for exercises: say whether a student's answer is right and, if not, give a hint.

Each checker takes the student's answer and the problem's parameters, prints a verdict
("Correct: ..." or "Not yet: ... Hint: ...") and returns a :class:`Verdict`, which is
truthy when the answer is right. Hints point at the likely mistake without giving the
answer away. Problems that make no sense (a kernel larger than the padded input, ...)
raise ``ValueError`` instead of judging.

Example:
    >>> import d2lmini as d2l
    >>> v = d2l.check.output_shape(15, n=30, k=3, p=0, s=2)
    Not yet: you answered 15 for a size-30 input with kernel 3, padding 0, stride 2. Hint: \
a window that would stick out past the padded input is not used: round down.
    >>> bool(d2l.check.output_shape(14, n=30, k=3, p=0, s=2, verbose=False))
    True
"""

from __future__ import annotations

import numbers
from collections.abc import Callable, Sequence

import torch
import torch.nn.functional as F
from torch import nn

from .module import trace_layers
from .shapes import conv_output_size

__all__ = ["Verdict", "conv_params", "corr2d", "model_output_shape", "num_params", "output_shape",
           "pool2d"]


class Verdict:
    """The result of a check: ``ok`` (also its truth value) and the ``message`` shown.

    In a notebook the message is printed by the checker, so the returned verdict
    displays nothing more.

    Example:
        >>> v = Verdict(False, "Not yet: ...")
        >>> bool(v), v
        (False, Verdict(ok=False))
    """

    def __init__(self, ok: bool, message: str) -> None:
        self.ok, self.message = bool(ok), message

    def __bool__(self) -> bool:
        return self.ok

    def __repr__(self) -> str:
        return f"Verdict(ok={self.ok})"

    def _ipython_display_(self) -> None:  # the checker already printed the message
        pass


def _verdict(ok: bool, text: str, hint: str = "", verbose: bool = True) -> Verdict:
    message = f"Correct: {text}" if ok else f"Not yet: {text}" + (f" Hint: {hint}" if hint else "")
    if verbose:
        print(message)
    return Verdict(ok, message)


def _pair(value, name: str, minimum: int) -> tuple[int, int]:
    vals = tuple(value) if isinstance(value, (tuple, list)) else (value, value)
    if len(vals) != 2 or not all(isinstance(v, int) and not isinstance(v, bool) for v in vals):
        raise ValueError(f"{name} must be an int or a pair of ints (height, width), got {value!r}")
    if any(v < minimum for v in vals):
        raise ValueError(f"{name} must be at least {minimum}, got {value!r}")
    return vals


def _as_int_answer(answer):
    """An int, or None when ``answer`` is not a whole number.

    Python, NumPy and one-element torch numbers are accepted (e.g. ``np.int64(28)``).
    """
    if isinstance(answer, torch.Tensor) and answer.numel() == 1:
        answer = answer.item()
    if isinstance(answer, bool):
        return None
    if isinstance(answer, numbers.Integral):
        return int(answer)
    if isinstance(answer, numbers.Real) and float(answer).is_integer():
        return int(answer)
    return None


# --------------------------------------------------------------------------- output size
def _size_hint(a: int, n: int, k: int, p: int, s: int) -> str:
    if s > 1 and (n + 2 * p - k + 1) == a:
        return "the stride skips positions: divide the distance the window can travel by s."
    if p > 0 and (n - k) // s + 1 == a:
        return "the padding adds rows and columns to the input before the kernel slides."
    if p > 0 and (n + p - k) // s + 1 == a:
        return "padding p is added on both sides, so the input grows by 2p."
    if (n + 2 * p - k) // s == a:
        return "count the first window position too: there is a '+ 1' in the formula."
    if -(-(n + 2 * p - k) // s) + 1 == a:
        return "a window that would stick out past the padded input is not used: round down."
    if a < 1:
        return "an output size is at least 1 when the kernel fits in the padded input."
    return "count the windows with floor((n + 2p - k) / s) + 1, one dimension at a time."


def output_shape(answer, n, k, p=0, s=1, verbose: bool = True) -> Verdict:
    """Check an answer for the output size of a convolution or pooling layer.

    ``n`` (input size), ``k`` (kernel), ``p`` (padding on each side) and ``s`` (stride)
    are ints or (height, width) pairs. ``answer`` is one int (when the problem is the
    same in both dimensions, or a 1-D problem) or a pair ``(height, width)``; a tuple
    or ``torch.Size`` of a full shape such as (B, C, H, W) is also accepted, in which
    case its last two entries are compared.

    Example:
        >>> bool(output_shape((111, 111), n=224, k=5, p=1, s=2, verbose=False))
        True
    """
    n2, k2, p2, s2 = _pair(n, "n", 1), _pair(k, "k", 1), _pair(p, "p", 0), _pair(s, "s", 1)
    right = conv_output_size(n2, k2, p2, s2)   # raises when the kernel does not fit
    problem = (f"a size-{n} input with kernel {k}, padding {p}, stride {s}" if
               not isinstance(n, (tuple, list)) else
               f"an input of {n[0]}x{n[1]} with kernel {k}, padding {p}, stride {s}")
    if isinstance(answer, (tuple, list, torch.Size)):
        if len(answer) < 1:
            raise ValueError("answer is empty: give the output size, e.g. 28 or (28, 28)")
        vals = [_as_int_answer(a) for a in answer]
        vals = vals[-2:] if len(vals) >= 2 else vals * 2
    else:
        vals = [_as_int_answer(answer)] * 2
    if any(v is None for v in vals):
        return _verdict(False, f"you answered {answer!r} for {problem}.",
                        "an output size is a whole number of window positions: round down "
                        "the division by the stride.", verbose)
    if tuple(vals) == right:
        return _verdict(True, f"{answer!r} for {problem}.", verbose=verbose)
    wrong = [i for i in range(2) if vals[i] != right[i]]
    i = wrong[0]
    dim = "" if n2[0] == n2[1] and k2[0] == k2[1] and p2[0] == p2[1] and s2[0] == s2[1] else \
        (" (in the height)" if i == 0 else " (in the width)")
    hint = _size_hint(vals[i], n2[i], k2[i], p2[i], s2[i])
    return _verdict(False, f"you answered {answer!r} for {problem}{dim}.", hint, verbose)


# --------------------------------------------------------------------------- parameters
def conv_params(answer, c_in: int, c_out: int, k, bias: bool = True, verbose: bool = True) -> Verdict:
    """Check a parameter count of a ``nn.Conv2d(c_in, c_out, k, bias=bias)`` layer.

    Example:
        >>> bool(conv_params(456, c_in=3, c_out=6, k=5, verbose=False))   # 6*3*5*5 + 6
        True
    """
    for name, v in (("c_in", c_in), ("c_out", c_out)):
        if not isinstance(v, int) or isinstance(v, bool) or v < 1:
            raise ValueError(f"{name} must be a positive int, got {v!r}")
    kh, kw = _pair(k, "k", 1)
    weights = c_out * c_in * kh * kw
    right = weights + (c_out if bias else 0)
    a = _as_int_answer(answer)
    problem = f"Conv2d({c_in}, {c_out}, kernel_size={k}{'' if bias else ', bias=False'})"
    if a == right:
        return _verdict(True, f"{answer!r} parameters in {problem}.", verbose=verbose)
    if a is None:
        hint = "a parameter count is a whole number."
    elif bias and a == weights:
        hint = "each output channel also has one bias."
    elif not bias and a == weights + c_out:
        hint = "this layer has bias=False."
    elif bias and a == weights + c_out * c_in:
        hint = "there is one bias per output channel, not one per (input, output) pair."
    elif a == c_out * kh * kw + (c_out if bias else 0):
        hint = "every output channel has a kernel slice for each input channel."
    elif a == c_in * kh * kw + (c_out if bias else 0):
        hint = "every output channel has its own 3-D kernel."
    elif a == c_out * c_in * (kh + kw) + (c_out if bias else 0) or a == c_out * c_in * kh + (
            c_out if bias else 0):
        hint = "a kernel of size k_h x k_w has k_h * k_w weights."
    else:
        hint = "the weight tensor has shape (c_out, c_in, k_h, k_w); add the biases."
    return _verdict(False, f"you answered {answer!r} for {problem}.", hint, verbose)


def num_params(answer, model: nn.Module, verbose: bool = True) -> Verdict:
    """Check a count of all the parameters of ``model`` (a layer or a network), as
    :func:`~d2lmini.layer_summary` counts them.

    Lazy layers must be sized first (run one forward pass).

    Example:
        >>> bool(num_params(15, nn.Linear(4, 3), verbose=False))
        True
    """
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be an nn.Module, got {type(model).__name__}")
    params = list(model.parameters())
    if any(isinstance(p, nn.parameter.UninitializedParameter) for p in params):
        raise ValueError("the model has lazy layers that are not sized yet: run one forward "
                         "pass, e.g. model(torch.zeros(1, 1, 28, 28)), before counting")
    right = sum(p.numel() for p in params)
    biases = sum(p.numel() for name, p in model.named_parameters()
                 if name.rsplit(".", 1)[-1] == "bias")
    a = _as_int_answer(answer)
    what = f"{type(model).__name__}"
    if a == right:
        return _verdict(True, f"{answer!r} parameters in the {what}.", verbose=verbose)
    if a is None:
        hint = "a parameter count is a whole number."
    elif biases and a == right - biases:
        hint = "do not forget the biases: one per output unit or channel."
    elif a < right:
        hint = ("too few: check every layer with weights, and remember that a conv kernel "
                "has a slice for each input channel.")
    else:
        hint = ("too many: pooling, activation and flatten layers have no parameters, and a "
                "dense layer's input is the flattened size of the previous output.")
    return _verdict(False, f"you answered {answer!r} for the {what}.", hint, verbose)


# --------------------------------------------------------------------------- functions
def _call(fn: Callable, *args):
    try:
        return fn(*args), None
    except Exception as exc:  # the student's code failed: report it, do not crash
        return None, f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"


def _compare(out, expected: torch.Tensor, shapes: str, extra_hints: Sequence[tuple[torch.Tensor, str]],
             verbose: bool, what: str):
    if not isinstance(out, torch.Tensor):
        return _verdict(False, f"{what} returned a {type(out).__name__} for {shapes}.",
                        "return a torch.Tensor.", verbose)
    if tuple(out.shape) != tuple(expected.shape):
        return _verdict(False, f"{what} returned shape {tuple(out.shape)} for {shapes}; expected "
                        f"{tuple(expected.shape)}.",
                        "the output has one entry per position the window can take.", verbose)
    if torch.allclose(out.double(), expected.double(), atol=1e-4, rtol=1e-4):
        return None
    for alt, hint in extra_hints:
        if alt.shape == out.shape and torch.allclose(out.double(), alt.double(), atol=1e-4, rtol=1e-4):
            return _verdict(False, f"{what} gives wrong values for {shapes}.", hint, verbose)
    bad = (out.double() - expected.double()).abs().flatten().argmax().item()
    r, c = divmod(bad, expected.shape[-1])
    return _verdict(False, f"{what} gives wrong values for {shapes}, e.g. at row {r}, column {c}.",
                    "each output entry is the sum of the window times the kernel, element-wise; "
                    "check which rows and columns the window at (i, j) covers.", verbose)


def corr2d(fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor], trials: int = 5, seed: int = 0,
           verbose: bool = True) -> Verdict:
    """Check a 2-D cross-correlation ``fn(X, K)`` (no padding, stride 1) on random inputs.

    ``X`` is (n_h, n_w), ``K`` is (k_h, k_w); the result is compared with
    ``torch.nn.functional.conv2d`` on ``trials`` random, non-square problems.

    Example:
        >>> def corr(X, K):
        ...     return F.conv2d(X[None, None], K[None, None])[0, 0]
        >>> bool(corr2d(corr, verbose=False))
        True
    """
    if not callable(fn):
        raise TypeError(f"corr2d checks a function fn(X, K); got {type(fn).__name__}")
    gen = torch.Generator().manual_seed(seed)
    sizes = [((3, 3), (2, 2)), ((5, 7), (2, 3)), ((6, 4), (3, 1)), ((4, 6), (1, 2)), ((8, 9), (3, 4))]
    for t in range(trials):
        (nh, nw), (kh, kw) = sizes[t % len(sizes)]
        X = torch.randn(nh, nw, generator=gen)
        K = torch.randn(kh, kw, generator=gen)
        expected = F.conv2d(X[None, None], K[None, None])[0, 0]
        shapes = f"X of shape {(nh, nw)} and K of shape {(kh, kw)}"
        out, err = _call(fn, X.clone(), K.clone())
        if err:
            return _verdict(False, f"your function raised {err} for {shapes}.",
                            "loop over output rows i and columns j and make sure the window "
                            "X[i:i + k_h, j:j + k_w] stays inside X.", verbose)
        flipped = F.conv2d(X[None, None], K.flip(0, 1)[None, None])[0, 0]
        hints = [(flipped, "you flipped the kernel: that is true convolution; cross-correlation "
                           "uses the kernel as it is.")]
        hints.append((expected.T, "rows and columns are swapped somewhere."))
        bad = _compare(out, expected, shapes, hints, verbose, "your function")
        if bad is not None:
            return bad
    return _verdict(True, f"your cross-correlation matches F.conv2d on {trials} random problems.",
                    verbose=verbose)


def pool2d(fn: Callable[[torch.Tensor, tuple[int, int]], torch.Tensor], mode: str = "max",
           trials: int = 4, seed: int = 0, verbose: bool = True) -> Verdict:
    """Check a 2-D pooling ``fn(X, (p_h, p_w))`` (no padding, stride 1) on random inputs.

    ``mode`` is ``"max"`` or ``"avg"``; results are compared with PyTorch's pooling. For a
    function with a mode argument, give the mode to both, e.g.
    ``d2l.check.pool2d(lambda X, size: pool2d(X, size, "avg"), mode="avg")``.

    Example:
        >>> bool(pool2d(lambda X, s: F.max_pool2d(X[None], s, stride=1)[0], verbose=False))
        True
    """
    if mode not in ("max", "avg"):
        raise ValueError(f"mode must be 'max' or 'avg', got {mode!r}")
    if not callable(fn):
        raise TypeError(f"pool2d checks a function fn(X, pool_size); got {type(fn).__name__}")
    gen = torch.Generator().manual_seed(seed)
    sizes = [((3, 3), (2, 2)), ((5, 6), (2, 3)), ((6, 4), (3, 2)), ((7, 7), (3, 3))]
    pool = F.max_pool2d if mode == "max" else F.avg_pool2d
    other = F.avg_pool2d if mode == "max" else F.max_pool2d
    for t in range(trials):
        (nh, nw), (ph, pw) = sizes[t % len(sizes)]
        X = torch.randn(nh, nw, generator=gen)
        expected = pool(X[None], (ph, pw), stride=1)[0]
        shapes = f"X of shape {(nh, nw)} and pool_size {(ph, pw)}"
        out, err = _call(fn, X.clone(), (ph, pw))
        if err:
            return _verdict(False, f"your function raised {err} for {shapes}.",
                            "loop over output rows i and columns j; the window is "
                            "X[i:i + p_h, j:j + p_w].", verbose)
        hints = [(other(X[None], (ph, pw), stride=1)[0],
                  f"that is {'average' if mode == 'max' else 'maximum'} pooling; this check is "
                  f"for {mode} pooling.")]
        bad = _compare(out, expected, shapes, hints, verbose, "your function")
        if bad is not None:
            return bad
    return _verdict(True, f"your {mode} pooling matches PyTorch on {trials} random problems.",
                    verbose=verbose)


# --------------------------------------------------------------------------- models
def model_output_shape(model: nn.Module, input_shape: Sequence[int] = (1, 1, 28, 28),
                       expected: Sequence[int] = (1, 10), verbose: bool = True) -> Verdict:
    """Check that ``model`` runs on zeros of ``input_shape`` and returns ``expected`` shape.

    For a LeNet variant on 28x28 images the defaults apply: one image in, ten logits out.
    When a layer fails, the verdict names it and the shape that reached it.

    Example:
        >>> net = nn.Sequential(nn.Flatten(), nn.Linear(784, 10))
        >>> bool(model_output_shape(net, verbose=False))
        True
    """
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be an nn.Module, got {type(model).__name__}")
    input_shape, expected = tuple(int(v) for v in input_shape), tuple(int(v) for v in expected)
    seen: list[list] = []   # [layer, input shape, output shape once it has run]
    names = {m: n for n, m in model.named_modules()}
    try:
        out, err = trace_layers(model, input_shape, seen), None
    except Exception as exc:
        out, err = None, f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
    if err:
        where = ""
        if seen:
            layer, shape_in, shape_out = seen[-1]
            name = f"{names.get(layer) or type(layer).__name__} ({type(layer).__name__}"
            where = (f" in layer {name} received shape {shape_in})" if shape_out is None else
                     f" after layer {name} output shape {shape_out}), in the model's own forward code")
        return _verdict(False, f"the model fails on an input of shape {input_shape}{where}: {err}.",
                        "print each layer's output shape (d2l.layer_summary) and check that every "
                        "layer's input size matches what the previous layer produces, e.g. the "
                        "flattened size before the first dense layer.", verbose)
    if not isinstance(out, torch.Tensor):
        return _verdict(False, f"the model returned a {type(out).__name__}.", "return a tensor.", verbose)
    if tuple(out.shape) != expected:
        return _verdict(False, f"the model maps {input_shape} to {tuple(out.shape)}, not {expected}.",
                        "the last layer should output one score per class for each example; "
                        "check its size and that the batch dimension is kept.", verbose)
    return _verdict(True, f"the model maps {input_shape} to {expected}.", verbose=verbose)

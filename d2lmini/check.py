"""Answer checkers for the exercises (``from d2lmini import check``; ``import d2lmini`` does not
load them). Each prints ``Correct: ...`` or ``Not yet: ... Hint: ...`` (nothing with ``verbose=False``)
and returns a :class:`Verdict`, true when the answer is right. Hints never give the answer away.
"""

import inspect
import numbers
import re

import torch
import torch.nn.functional as F
from torch import nn
from torch.overrides import TorchFunctionMode

from .module import ModelShapeError, trace

__all__ = ["Verdict", "conv_params", "corr2d", "model_output_shape", "num_params", "output_shape", "pool2d"]
_NUMBER = "give a number (e.g. 28, or a pair (height, width) such as (28, 28)), not text."


class Verdict:
    """A check's result: ``ok`` (also its truth value) and the ``message`` printed."""

    def __init__(self, ok: bool, message: str) -> None:
        self.ok, self.message = bool(ok), message

    def __bool__(self) -> bool: return self.ok
    def __repr__(self) -> str: return f"Verdict(ok={self.ok})"
    def _ipython_display_(self) -> None: pass   # the checker has already printed the message


def _verdict(ok, text, hint="", verbose=True) -> Verdict:
    message = f"Correct: {text}" if ok else f"Not yet: {text}" + (f" Hint: {hint}" if hint else "")
    if verbose:
        print(message)
    return Verdict(ok, message)


def _pair(value, name, minimum=1):
    vals = tuple(value) if isinstance(value, (tuple, list)) else (value, value)
    if len(vals) != 2 or not all(isinstance(v, int) and not isinstance(v, bool) for v in vals):
        raise ValueError(f"{name} must be an int or a pair of ints (height, width), got {value!r}")
    if min(vals) < minimum:
        raise ValueError(f"{name} must be at least {minimum}, got {value!r}")
    return vals


def _int(answer):
    """``answer`` as an int; None for a number that is not whole, "text" for anything else."""
    if isinstance(answer, torch.Tensor) and answer.numel() == 1:
        answer = answer.item()
    if not isinstance(answer, numbers.Real) or isinstance(answer, bool):
        return "text"
    return int(answer) if float(answer).is_integer() else None


def _count(answer, right, problem, hints, verbose):
    """Judge a count; ``hints`` pairs typical wrong values with a hint (the last is the default)."""
    a = _int(answer)
    if a == right:
        return _verdict(True, f"{answer!r} for {problem}.", verbose=verbose)
    hint = _NUMBER if a == "text" else "a count is a whole number." if a is None else \
        next((h for v, h in hints if v == a), hints[-1][1])
    return _verdict(False, f"you answered {answer!r} for {problem}.", hint, verbose)


def output_shape(answer, n, k, p=0, s=1, verbose=True) -> Verdict:
    """Check the output size of a convolution or pooling layer, floor((n + 2p - k) / s) + 1.

    ``n``, ``k``, ``p``, ``s`` are ints or (height, width) pairs; ``answer`` an int, a pair or a full
    shape such as (8, 64, 56, 56), whose last two entries count. If no window fits, the answer is 0.

        >>> v = output_shape(15, n=30, k=3, p=0, s=2)
        Not yet: you answered 15 for a size-30 input with kernel 3, padding 0, stride 2. Hint: \
a window that would stick out past the padded input is not used: round down.
    """
    dims = list(zip(_pair(n, "n"), _pair(k, "k"), _pair(p, "p", 0), _pair(s, "s")))
    right = tuple(max(0, (n_ + 2 * p_ - k_) // s_ + 1) for n_, k_, p_, s_ in dims)
    size = f"an input of {n[0]}x{n[1]}" if isinstance(n, (tuple, list)) else f"a size-{n} input"
    said = f"{answer!r} for {size} with kernel {k}, padding {p}, stride {s}"
    parts = list(answer) if isinstance(answer, (tuple, list, torch.Size)) else [answer]
    vals = [_int(v) for v in parts[-2:]] * (3 - len(parts[-2:]))   # one number counts for both
    if not parts or "text" in vals:
        return _verdict(False, f"you answered {said}.", _NUMBER, verbose)
    if tuple(vals[:2]) == right:
        none = ": no window fits, so there is no output (PyTorch refuses such a layer)" * (0 in right)
        return _verdict(True, f"{said}{none}.", verbose=verbose)
    i = 0 if vals[0] != right[0] else 1   # the first wrong dimension
    (n_, k_, p_, s_), a = dims[i], vals[i]
    span = n_ + 2 * p_ - k_
    mistakes = [(span // s_, True, "count the first window position too: the formula has a '+ 1'."),
                ((n_ - k_) // s_ + 1, p_ > 0, "padding adds p rows and columns on each side."),
                ((n_ + p_ - k_) // s_ + 1, p_ > 0, "padding p goes on both sides: the input grows by 2p."),
                (span + 1, s_ > 1, "the stride skips positions: divide the window's travel by s."),
                (-(-span // s_) + 1, span % s_ > 0, "a window that would stick out past the padded "
                 "input is not used: round down.")]
    hint = ("a size counts whole window positions: round the division by the stride down." if a is None
            else "the kernel is larger than the padded input: where can a window go?" if span < 0
            else "an output size is never negative." if a < 0
            else " Or: ".join(h for v, when, h in mistakes if when and v == a)
            or "count the windows with floor((n + 2p - k) / s) + 1, one dimension at a time.")
    where = "" if len(set(dims)) == 1 else (" (in the height)", " (in the width)")[i]
    return _verdict(False, f"you answered {said}{where}.", hint, verbose)


def conv_params(answer, c_in, c_out, k, bias=True, groups=1, verbose=True) -> Verdict:
    """Check the parameter count of ``nn.Conv2d(c_in, c_out, k, bias=bias, groups=groups)``.

        >>> bool(conv_params(456, c_in=3, c_out=6, k=5, verbose=False))   # 6*3*5*5 + 6
        True
    """
    ints, (kh, kw) = (c_in, c_out, groups), _pair(k, "k")
    if not all(isinstance(v, int) and v >= 1 for v in ints) or c_in % groups or c_out % groups:
        raise ValueError(f"(c_in, c_out, groups) = {ints}: positive ints, groups dividing both")
    per, kk, b = c_in // groups, kh * kw, c_out if bias else 0
    w = c_out * per * kk   # the weights; w + c_out - b below: the biases left out, or added by mistake
    hints = [(w + c_out - b, "each output channel adds one bias." if bias else "this layer has bias=False."),
             (w + c_out * c_in, "one bias per output channel, not per input channel."),
             (c_out * c_in * kk + b, "with groups, an output channel sees c_in / groups channels."),
             (c_out * kk + b, "every output channel has a kernel slice for each input channel."),
             (per * kk + b, "every output channel has its own kernel."),
             (-1, "the weight tensor has shape (c_out, c_in / groups, k_h, k_w); add the biases.")]
    extra = ", bias=False" * (not bias) + f", groups={groups}" * (groups > 1)
    return _count(answer, w + b, f"Conv2d({c_in}, {c_out}, kernel_size={k}{extra})", hints, verbose)


def num_params(answer, model: nn.Module, verbose=True) -> Verdict:
    """Check the number of parameters of ``model`` (a layer or a network).

        >>> bool(num_params(15, nn.Linear(4, 3), verbose=False))
        True
    """
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be an nn.Module, got {type(model).__name__}")
    if any(isinstance(p, nn.parameter.UninitializedParameter) for p in model.parameters()):
        raise ValueError("the model has lazy layers that are not sized yet: run one batch "
                         "through it, e.g. model(torch.zeros(1, 1, 28, 28)), first")
    right = sum(p.numel() for p in model.parameters())
    biases = sum(p.numel() for name, p in model.named_parameters() if name.endswith("bias"))
    a = _int(answer)
    return _count(answer, right, f"the {type(model).__name__}", [
        (right - biases, "do not forget the biases: one per output unit or channel."),
        (a if isinstance(a, int) and a < right else None, "too few: count every layer with weights."),
        (None, "too many: pooling, activations and flatten have no parameters, and a dense "
               "layer's input is the flattened size of the output before it.")], verbose)


class _Calls(TorchFunctionMode):
    """Records the calls inside it that do an exercise in one go: any convolution or pooling, F.unfold."""

    used = frozenset()   # replaced by this instance's own set when it records a call

    def __torch_function__(self, func, types, args=(), kwargs=None):
        name = getattr(func, "__name__", "")
        if func is F.unfold or re.search("conv|pool|im2col", name):   # Tensor.unfold is allowed
            self.used = self.used | {("F." if hasattr(F, name) else "torch.") + name}
        return func(*args, **(kwargs or {}))


def _params(fn) -> set:
    try:
        return set(inspect.signature(fn).parameters)
    except (TypeError, ValueError):   # not a function, or a builtin without a signature
        return set()


def _run(fn, cases, make, answers, by_hand, task, hint, verbose):
    """Check ``fn`` on the ``cases`` [(input size, window, keywords)] whose keywords it takes. ``make``
    builds (args, kwargs) for ``fn`` and ``answers``, which gives the right output, then (output, hint)
    for typical mistakes. Returns a failing Verdict, or the number of cases."""
    if not callable(fn):
        raise TypeError(f"expected the function you wrote, got a {type(fn).__name__}")
    fail = lambda what, why: _verdict(False, f"your function {what}.", why, verbose)
    params, gen = _params(fn), torch.Generator().manual_seed(0)
    cases = [c for c in cases if set(c[2]) <= params]
    for x, w, kw in cases:
        args, kw = make(x, w, kw, gen)
        text = f"an input of shape {tuple(args[0].shape)}, window {w}" + "".join(
            f", {a}={v!r}" for a, v in kw.items())
        expected, *mistakes = answers(*args, **kw)
        try:
            with _Calls() as calls:
                out = fn(*(a.clone() if isinstance(a, torch.Tensor) else a for a in args), **kw)
        except Exception as exc:   # the student's code failed: report it, do not crash
            return fail(f"raised {type(exc).__name__}: {(str(exc).splitlines() or [''])[0]} for {text}",
                        "check which rows and columns the window at output (i, j) covers.")
        used = ", ".join(sorted(calls.used))
        if by_hand and used:
            return fail(f"calls {used}: this exercise asks you to write {task} yourself",
                        f"write it with loops and indexing (or Tensor.unfold), not {used}.")
        if not isinstance(out, torch.Tensor):
            return fail(f"returned a {type(out).__name__} for {text}", "return a torch.Tensor.")
        same = lambda y, o=out: y.shape == o.shape and torch.allclose(o.double(), y.double(), 1e-4, 1e-4)
        if not same(expected):
            known = next((h for wrong, h in mistakes if same(wrong)), None)
            if known is None and out.shape != expected.shape:
                return fail(f"returned shape {tuple(out.shape)}, not {tuple(expected.shape)}, for {text}",
                            "the output has one entry per position the window can take.")
            return fail(f"gives wrong values for {text}", known or hint)
    return len(cases)


def corr2d(fn, by_hand=True, verbose=True) -> Verdict:
    """Check a 2-D cross-correlation ``fn(X, K)`` on random non-square problems (with padding and
    stride when ``fn`` takes them). With ``by_hand``, calling F.conv2d, nn.Conv2d, ... fails.

        >>> corr = lambda X, K: (X.unfold(0, K.shape[0], 1).unfold(1, K.shape[1], 1) * K).sum((-2, -1))
        >>> bool(corr2d(corr, verbose=False))
        True
    """
    conv = lambda X, K, **kw: F.conv2d(X[None, None], K[None, None], **kw)[0, 0]
    answers = lambda X, K, **kw: [conv(X, K, **kw),   # the right output, then typical mistakes
        (conv(X, K.flip(0, 1), **kw), "you flipped the kernel: that is true convolution; "
                                      "cross-correlation uses the kernel as it is."),
        (conv(X, K, **kw).T, "rows and columns are swapped somewhere.")]
    make = lambda x, w, kw, gen: ((torch.randn(x, generator=gen), torch.randn(w, generator=gen)), kw)
    bad = _run(fn, [((3, 3), (2, 2), {}), ((5, 7), (2, 3), {}), ((6, 4), (3, 1), {}), ((8, 9), (3, 4), {}),
                    ((5, 6), (3, 2), {"padding": 1}), ((4, 5), (3, 3), {"padding": (2, 1)}),
                    ((7, 8), (3, 2), {"stride": 2}), ((9, 7), (2, 3), {"stride": (3, 2)})],
               make, answers, by_hand, "the cross-correlation",
               "each output entry is the sum of its window times the kernel, element by element.", verbose)
    return bad if isinstance(bad, Verdict) else _verdict(
        True, f"your cross-correlation matches F.conv2d on {bad} random problems.", verbose=verbose)


def pool2d(fn, mode=None, by_hand=True, batch=False, verbose=True) -> Verdict:
    """Check a pooling ``fn(X, pool_size)`` whose stride defaults to the window, with strides, padding
    and ``mode`` ("max" and "avg" unless given; may be "min") when ``fn`` takes them. X is (H, W), or
    (B, C, H, W) with ``batch``. With ``by_hand``, calling F.max_pool2d, nn.AvgPool2d, ... fails.

        >>> bool(pool2d(lambda X, k: X.unfold(0, k[0], k[0]).unfold(1, k[1], k[1]).amax((-2, -1)),
        ...             verbose=False))
        True
    """
    def pool(kind, X, k, stride=None, padding=0, **_):   # PyTorch's answer; min pooling is -max(-X)
        sign, f = (-1, F.max_pool2d) if kind == "min" else (1, getattr(F, f"{kind}_pool2d"))
        Y = sign * f(sign * (X if batch else X[None]), k, k if stride is None else stride, padding)
        return Y if batch else Y[0]

    kinds, params = {"max", "avg", "min"}, _params(fn)
    modes = [mode] if mode else ["max", "avg"] if "mode" in params else ["max"]
    if not set(modes) <= kinds:
        raise ValueError(f"mode must be 'max', 'avg' or 'min', got {mode!r}")
    cases = [((4, 4), (2, 2), {}), ((6, 9), (2, 3), {}), ((7, 8), (3, 3), {}), ((5, 6), (1, 2), {}),
             ((5, 6), (2, 3), {"stride": 1}), ((7, 9), (3, 2), {"stride": (2, 1)}),
             ((4, 4), (3, 3), {"padding": 1}), ((6, 5), (3, 2), {"padding": (1, 0)})]
    for m in modes:
        answers = lambda X, k, m=m, **kw: [pool(m, X, k, **kw)] + [
            (pool(o, X, k, **kw), f"that is {o} pooling, not {m} pooling.") for o in kinds - {m}] + [
            (pool(m, X, k, **{**kw, "stride": 1}), "your windows overlap: the default stride of pooling "
             "is the window size, as in nn.MaxPool2d.")] * ("stride" not in kw)
        make = lambda x, w, kw, gen, m=m: ((torch.randn(*(2, 3) * batch, *x, generator=gen), w),
                                           {**kw, "mode": m} if "mode" in params else kw)
        bad = _run(fn, cases, make, answers, by_hand, f"{m} pooling",
                   f"each output entry is the {m} of its window; check where each window starts.", verbose)
        if isinstance(bad, Verdict):
            return bad
    return _verdict(True, f"your {' and '.join(modes)} pooling matches PyTorch on {bad} random "
                    f"problems{' each' * (len(modes) > 1)}.", verbose=verbose)


def model_output_shape(model, input_shape=(1, 1, 28, 28), expected=(1, 10), verbose=True):
    """Check that ``model`` maps zeros of ``input_shape`` to ``expected`` shape; when a layer
    fails, the verdict names it and the shape that reached it.

        >>> bool(model_output_shape(nn.Sequential(nn.Flatten(), nn.Linear(784, 10)), verbose=False))
        True
    """
    input_shape, expected = tuple(int(v) for v in input_shape), tuple(int(v) for v in expected)
    X = torch.zeros(input_shape, device=next((p.device for p in model.parameters()), None))
    try:
        out = trace(model, X)[0]
    except Exception as exc:   # a layer that does not fit (named by trace), or the forward's own code
        err = (str(exc).splitlines() or [""])[0]
        err = err if isinstance(exc, ModelShapeError) else f"{type(exc).__name__}: {err}"
        return _verdict(False, f"the model fails on an input of shape {input_shape}: {err}.",
                        "print each layer's output shape (d2l.layer_summary): does each layer get "
                        "the size it expects, e.g. the first dense layer the flattened size?", verbose)
    shape = tuple(out.shape) if isinstance(out, torch.Tensor) else None
    if shape != expected:
        return _verdict(False, f"the model maps {input_shape} to {shape}, not {expected}.",
                        "the last layer should output one score per class for each example.", verbose)
    return _verdict(True, f"the model maps {input_shape} to {expected}.", verbose=verbose)

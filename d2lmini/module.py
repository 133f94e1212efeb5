"""Models that know how to train themselves, and a look inside them.

A model says *what* to compute (``forward``, ``loss``, ``training_step``,
``configure_optimizers``); the :class:`~d2lmini.Trainer` says *how* to run it.
:func:`layer_summary` prints each layer's output shape, and a model whose layers do not
fit together fails with a :class:`ModelShapeError` that names the layer and the fix.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Sequence

import torch
import torch.nn.functional as F
from torch import nn

__all__ = ["Classifier", "LeNet", "ModelShapeError", "Module", "add_to_class",
           "init_cnn", "layer_summary"]


def add_to_class(Class: type) -> Callable:
    """Decorator that adds the decorated function to ``Class`` as a method (d2l's way to grow
    a class one notebook cell at a time).

    Example:
        >>> class A: ...
        >>> @add_to_class(A)
        ... def hello(self): return "hi"
        >>> A().hello()
        'hi'
    """
    def wrapper(obj):
        setattr(Class, obj.__name__, obj)
        return obj
    return wrapper


def init_cnn(module: nn.Module) -> None:
    """Xavier-uniform initialisation of linear and conv weights (biases stay as PyTorch set them),
    for ``model.apply(init_cnn)`` or ``model.apply_init([X], init_cnn)``.

    Example:
        >>> layer = nn.Linear(3, 2); init_cnn(layer)
    """
    lazy = isinstance(getattr(module, "weight", None), nn.UninitializedParameter)
    if isinstance(module, (nn.Linear, nn.Conv2d)) and not lazy:
        nn.init.xavier_uniform_(module.weight)


class ModelShapeError(ValueError):
    """A model's layers do not fit together, or its outputs do not fit the labels."""


def _explain(name: str, layer: nn.Module, shape: tuple, error: Exception) -> str:
    """A short message for ``layer`` failing on an input of ``shape``, with the fix."""
    where = f"Layer {name!r} ({layer}) cannot take an input of shape {shape}"
    if isinstance(layer, nn.Linear) and len(shape) >= 1:
        got, out = shape[-1], layer.out_features
        return (f"{where}: it expects {layer.in_features} features per example, the layer "
                f"before it gives {got}.\nFix: make it nn.Linear({got}, {out}), or "
                f"nn.LazyLinear({out}), which sizes itself on the first batch.")
    if isinstance(layer, nn.Conv2d) and len(shape) == 4 and shape[1] != layer.in_channels:
        return (f"{where}: it expects {layer.in_channels} input channels, gets {shape[1]}.\n"
                f"Fix: give it in_channels={shape[1]} (the previous layer's out_channels).")
    if isinstance(layer, nn.Conv2d) and len(shape) != 4:
        return (f"{where}: convolutions take (batch, channels, height, width).\n"
                "Fix: add the missing dimensions, e.g. X[None, None] for one (H, W) image.")
    return f"{where}: {_first_line(error)}"


def _first_line(error: Exception) -> str:
    return (str(error).strip().splitlines() or [type(error).__name__])[0]


def trace(model: nn.Module, X: torch.Tensor) -> tuple[torch.Tensor, list[tuple[str, nn.Module, tuple]]]:
    """Run ``model(X)`` once in eval mode and record ``(name, layer, output shape)`` per leaf layer.

    A layer that fails raises :class:`ModelShapeError` naming it, its input shape and
    the fix, instead of a long traceback from inside PyTorch. Lazy layers get their
    sizes from ``X``. The model's train/eval mode is restored.

    Example:
        >>> out, rows = trace(nn.Sequential(nn.Flatten(), nn.Linear(4, 3)), torch.zeros(1, 2, 2))
        >>> [(name, shape) for name, _, shape in rows]
        [('0', (1, 4)), ('1', (1, 3))]
    """
    names = {m: n for n, m in model.named_modules()}
    rows: list[tuple[str, nn.Module, tuple]] = []
    current: list = [None, None]      # the leaf layer now running and its input shape

    def before(layer, inputs):
        current[:] = [layer, tuple(getattr(inputs[0], "shape", ())) if inputs else ()]

    def after(layer, _inputs, output):
        current[:] = [None, None]
        rows.append((names.get(layer, type(layer).__name__), layer, tuple(getattr(output, "shape", ()))))

    leaves = [m for m in model.modules() if not list(m.children())]
    hooks = [h for m in leaves for h in (m.register_forward_pre_hook(before),
                                         m.register_forward_hook(after))]
    was_training = model.training
    model.eval()
    failure = None
    try:
        with torch.no_grad():
            out = model(X)
    except (RuntimeError, ValueError, IndexError) as error:
        layer, shape = current
        if isinstance(error, ModelShapeError) or (layer is None and not rows):
            raise
        if layer is None:   # the model's own code between two layers, e.g. a reshape
            failure = (f"The model's forward code failed after layer {rows[-1][0]!r} (output shape "
                       f"{rows[-1][2]}): {_first_line(error)}")
        else:
            failure = _explain(names.get(layer, type(layer).__name__), layer, shape, error)
    finally:
        for h in hooks:
            h.remove()
        model.train(was_training)
    if failure is not None:
        raise ModelShapeError(failure + "\nSee every layer's output shape with "
                              "d2l.layer_summary(model, (1, 1, 28, 28)).") from None
    return out, rows


def check_outputs(y_hat: torch.Tensor, y: torch.Tensor, labels: bool = False) -> None:
    """Raise :class:`ModelShapeError` unless logits ``y_hat`` fit labels ``y``: one row per
    example and, with ``labels`` (which reads the labels, a device sync), a column per class."""
    if y_hat.dim() != 2 or y_hat.shape[0] != len(y):
        raise ModelShapeError(
            f"The model returned outputs of shape {tuple(y_hat.shape)} for a batch of {len(y)} "
            f"labels; a classifier must return one row of scores per example, ({len(y)}, classes).\n"
            "Fix: flatten with nn.Flatten() or X.reshape(X.shape[0], -1), which keep the batch "
            "dimension; X.reshape(-1, n) or X.view(-1, n) with the wrong n mixes examples.")
    if labels and len(y) and not y.is_floating_point() and int(y.max()) >= y_hat.shape[1]:
        raise ModelShapeError(
            f"The model scores {y_hat.shape[1]} classes but a label is {int(y.max())}: "
            f"labels run from 0 to {int(y.max())}, so the last layer needs at least "
            f"{int(y.max()) + 1} outputs.\nFix: e.g. nn.LazyLinear({int(y.max()) + 1}) as the "
            "last layer (num_classes).")


def layer_summary(model: nn.Module, X_shape: Sequence[int] | torch.Tensor) -> list[tuple[str, tuple, int]]:
    """Print each layer's output shape and parameter count for an input of ``X_shape``.

    Runs one forward pass on zeros of ``X_shape`` (or on a tensor you pass) in eval mode,
    which also sizes lazy layers and leaves batch-norm statistics untouched. Image
    models need the full ``(batch, channels, height, width)``, e.g. ``(1, 1, 28, 28)``.
    Returns the rows as ``(layer, output shape, parameters)``.

    Example:
        >>> net = nn.Sequential(nn.Flatten(), nn.Linear(4, 3))
        >>> _ = layer_summary(net, (1, 2, 2))
        Layer    Output shape          Parameters
        Flatten  (1, 4)                         0
        Linear   (1, 3)                        15
        Total parameters: 15
    """
    if not isinstance(X_shape, torch.Tensor) and not all(isinstance(s, int) and s > 0 for s in X_shape):
        raise TypeError(f"layer_summary takes a shape such as (1, 1, 28, 28), got {X_shape!r}")
    X = X_shape if isinstance(X_shape, torch.Tensor) else torch.zeros(tuple(X_shape))
    if any(isinstance(m, nn.modules.conv._ConvNd) for m in model.modules()) and X.dim() != 4:
        raise ModelShapeError(
            f"This model has convolutions, which need (batch, channels, height, width); got "
            f"{tuple(X.shape)}.\nFix: add the batch dimension, e.g. (1, 1, 28, 28) for one image.")
    _, rows = trace(model, X.to(next((p.device for p in model.parameters()), "cpu")))
    table = [(type(m).__name__, shape, sum(p.numel() for p in m.parameters())) for _, m, shape in rows]
    width = max(len(r[0]) for r in [("Layer",), *table])
    print(f"{'Layer':<{width}}  {'Output shape':<20}{'Parameters':>12}")
    for name, shape, n in table:
        print(f"{name:<{width}}  {str(shape):<20}{n:>12,}")
    print(f"Total parameters: {sum(p.numel() for p in model.parameters()):,}")
    return table


class Module(nn.Module):
    """An ``nn.Module`` that also knows its loss, its optimiser and one training step.

    Subclasses set ``self.net`` (used by the default :meth:`forward`) or override
    ``forward``, and usually call :meth:`save_hyperparameters` so that e.g. ``self.lr``
    exists. A step returns a dict of metrics for the batch (``"loss"`` at least); the
    :class:`~d2lmini.Trainer` averages them per epoch.

    Example:
        >>> class Line(Module):
        ...     def __init__(self, lr=0.03):
        ...         super().__init__(); self.save_hyperparameters(); self.net = nn.Linear(1, 1)
        >>> Line().configure_optimizers()
        SGD (...)
    """

    def save_hyperparameters(self, ignore: Sequence[str] = ()) -> None:
        """Store the calling ``__init__``'s arguments as attributes and in ``self.hparams``."""
        args = inspect.getargvalues(inspect.currentframe().f_back)
        self.hparams = {k: args.locals[k] for k in args.args
                        if k not in set(ignore) | {"self"} and not k.startswith("_")}
        for k, v in self.hparams.items():
            setattr(self, k, v)

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        if not hasattr(self, "net"):
            raise NotImplementedError(
                f"{type(self).__name__} has no self.net: set it in __init__ or define forward()")
        return self.net(X)

    def loss(self, y_hat: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """Mean squared error; :class:`Classifier` uses cross-entropy instead."""
        return F.mse_loss(y_hat, y.reshape(y_hat.shape))

    def metrics(self, y_hat: torch.Tensor, y: torch.Tensor) -> dict[str, torch.Tensor]:
        """What the Trainer records per batch: here the loss."""
        return {"loss": self.loss(y_hat, y)}

    def training_step(self, batch: Sequence[torch.Tensor]) -> dict[str, torch.Tensor]:
        """Metrics of one batch ``(*inputs, y)``; the Trainer minimises ``["loss"]``. The
        Trainer calls ``validation_step`` the same way, without gradients."""
        return self.metrics(self(*batch[:-1]), batch[-1])

    validation_step = training_step

    def configure_optimizers(self) -> torch.optim.Optimizer:
        """Plain SGD with learning rate ``self.lr``."""
        if not hasattr(self, "lr"):
            raise AttributeError(
                f"{type(self).__name__} has no learning rate: give __init__ an lr argument and "
                "call self.save_hyperparameters(), or override configure_optimizers()")
        return torch.optim.SGD(self.parameters(), lr=self.lr)

    def apply_init(self, inputs: Sequence[torch.Tensor], init: Callable | None = None) -> None:
        """Run one forward pass on ``inputs`` (sizing lazy layers), then ``self.apply(init)``."""
        with torch.no_grad():
            self(*inputs)
        if init is not None:
            self.apply(init)

    def layer_summary(self, X_shape: Sequence[int]) -> list[tuple[str, tuple, int]]:
        """Print each layer's output shape and parameter count; see :func:`layer_summary`."""
        return layer_summary(self, X_shape)


class Classifier(Module):
    """A :class:`Module` for classification: cross-entropy on logits, and accuracy.

    Example:
        >>> class Linear(Classifier):
        ...     def __init__(self, lr=0.1):
        ...         super().__init__(); self.save_hyperparameters()
        ...         self.net = nn.Sequential(nn.Flatten(), nn.Linear(784, 10))
        >>> m = Linear(); X, y = torch.zeros(8, 1, 28, 28), torch.zeros(8, dtype=torch.long)
        >>> sorted(m.training_step((X, y)))
        ['acc', 'loss']
    """

    def loss(self, y_hat: torch.Tensor, y: torch.Tensor, averaged: bool = True) -> torch.Tensor:
        """Cross-entropy between logits ``y_hat`` (N, classes) and labels ``y`` (N,)."""
        check_outputs(y_hat, y)
        return F.cross_entropy(y_hat, y, reduction="mean" if averaged else "none")

    def accuracy(self, y_hat: torch.Tensor, y: torch.Tensor, averaged: bool = True) -> torch.Tensor:
        """Fraction of rows of ``y_hat`` whose largest score is at label ``y``."""
        correct = (y_hat.argmax(dim=1) == y).float()
        return correct.mean() if averaged else correct

    def metrics(self, y_hat: torch.Tensor, y: torch.Tensor) -> dict[str, torch.Tensor]:
        return {"loss": self.loss(y_hat, y), "acc": self.accuracy(y_hat.detach(), y)}


class LeNet(Classifier):
    """LeNet-5 for (B, 1, 28, 28) images as chapter 8 builds it (``tests/test_chapter_code.py``
    keeps the two copies the same): 61,706 parameters, sigmoid and average pooling, or with
    ``activation=nn.ReLU, pool=nn.MaxPool2d`` the modern variant.

    Example:
        >>> sum(p.numel() for p in LeNet().parameters())
        61706
        >>> LeNet(lr=0.1, activation=nn.ReLU, pool=nn.MaxPool2d).net[1]
        ReLU()
    """

    def __init__(self, lr=0.9, num_classes=10, activation=nn.Sigmoid, pool=nn.AvgPool2d,
                 xavier=True):
        super().__init__()
        self.save_hyperparameters()
        self.net = nn.Sequential(   # two blocks (conv, activation, pool), then three dense layers
            nn.Conv2d(1, 6, kernel_size=5, padding=2), activation(), pool(kernel_size=2, stride=2),
            nn.Conv2d(6, 16, kernel_size=5), activation(), pool(kernel_size=2, stride=2),
            nn.Flatten(), nn.Linear(16 * 5 * 5, 120), activation(),
            nn.Linear(120, 84), activation(), nn.Linear(84, num_classes))
        if xavier:
            self.apply(init_cnn)

"""Models that know how to train themselves: ``Module`` and ``Classifier``.

A model says *what* to compute (``forward``, ``loss``, ``training_step``,
``configure_optimizers``); the :class:`~d2lmini.Trainer` says *how* to run it.

Example:
    >>> from torch import nn
    >>> class Tiny(Classifier):
    ...     def __init__(self, lr=0.1):
    ...         super().__init__()
    ...         self.save_hyperparameters()
    ...         self.net = nn.Sequential(nn.Flatten(), nn.Linear(4, 3))
    >>> model = Tiny()
    >>> model.lr, model(torch.zeros(2, 1, 2, 2)).shape
    (0.1, torch.Size([2, 3]))
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Sequence

import torch
import torch.nn.functional as F
from torch import nn

from .device import _module_device
from .utils import accuracy as _accuracy

__all__ = ["Classifier", "Module", "init_cnn", "layer_summary"]


def init_cnn(module: nn.Module) -> None:
    """Xavier-uniform initialisation for the weights of linear and conv layers.

    Use with ``model.apply(init_cnn)`` or ``model.apply_init([X], init_cnn)``.
    Biases are left as PyTorch set them.

    Example:
        >>> layer = nn.Linear(3, 2); init_cnn(layer)
    """
    if isinstance(module, (nn.Linear, nn.Conv2d)) and not isinstance(
        module, nn.modules.lazy.LazyModuleMixin
    ):
        nn.init.xavier_uniform_(module.weight)


def _parameter_count(module: nn.Module, recurse: bool = True) -> int:
    return sum(p.numel() for p in module.parameters(recurse=recurse)
               if not isinstance(p, nn.parameter.UninitializedParameter))


def _shape(value) -> tuple:
    return tuple(value.shape) if isinstance(value, torch.Tensor) else ()


@torch.no_grad()
def trace_layers(model: nn.Module, X_shape: Sequence[int], calls: list[list]) -> torch.Tensor:
    """Run ``model`` once on zeros of ``X_shape`` in eval mode and record its leaf layers.

    Appends ``[layer, input shape, output shape]`` to ``calls`` for every leaf layer in
    the order it runs (output shape ``None`` for a layer that failed), so a caller still
    has the record when the forward pass raises. Restores the model's train/eval mode.
    Shared by :func:`layer_summary` and :func:`d2lmini.check.model_output_shape`.
    """

    def before(layer, inputs):
        calls.append([layer, _shape(inputs[0]) if inputs else (), None])

    def after(layer, _inputs, output):
        calls[-1][2] = _shape(output)

    leaves = [m for m in model.modules() if not list(m.children())]
    hooks = [m.register_forward_pre_hook(before) for m in leaves]
    hooks += [m.register_forward_hook(after) for m in leaves]
    was_training = model.training
    model.eval()
    try:
        return model(torch.zeros(tuple(int(s) for s in X_shape), device=_module_device(model)))
    finally:
        for h in hooks:
            h.remove()
        model.train(was_training)


def layer_summary(model: nn.Module, X_shape: Sequence[int]) -> list[tuple[str, tuple, int]]:
    """Print each layer's output shape and parameter count for an input of ``X_shape``.

    Runs one forward pass on zeros in eval mode (which also sizes lazy layers, and leaves
    batch-norm statistics untouched) and reports every leaf layer in the order it ran,
    then the total number of parameters. Returns the rows as
    ``(layer name, output shape, parameters)``.

    Example:
        >>> net = nn.Sequential(nn.Flatten(), nn.Linear(4, 3))
        >>> _ = layer_summary(net, (1, 2, 2))
        Layer    Output shape          Parameters
        Flatten  (1, 4)                         0
        Linear   (1, 3)                        15
        Total parameters: 15
    """
    X_shape = tuple(int(s) for s in X_shape)
    calls: list[list] = []
    try:
        trace_layers(model, X_shape, calls)
    except RuntimeError as exc:
        first = str(exc).splitlines()[0]
        raise ValueError(
            f"layer_summary could not run the model on an input of shape {X_shape}: "
            f"{first}\nImage models expect (batch, channels, height, width), e.g. (1, 1, 28, 28)."
        ) from None
    # Counted after the forward pass, so that lazy layers have their sizes.
    rows = [(type(m).__name__, shape, _parameter_count(m)) for m, _, shape in calls]
    width = max([len("Layer")] + [len(r[0]) for r in rows])
    print(f"{'Layer':<{width}}  {'Output shape':<20}{'Parameters':>12}")
    for name, shape, n in rows:
        print(f"{name:<{width}}  {str(shape):<20}{n:>12,}")
    print(f"Total parameters: {_parameter_count(model):,}")
    return rows


class Module(nn.Module):
    """An ``nn.Module`` that also knows its loss, its optimiser and one training step.

    Subclasses set ``self.net`` (used by the default :meth:`forward`) or override
    ``forward``, and usually call :meth:`save_hyperparameters` so that e.g. ``self.lr``
    exists. Metrics reported with :meth:`log` during a step are averaged per epoch by
    the :class:`~d2lmini.Trainer`.

    Example:
        >>> class Line(Module):
        ...     def __init__(self, lr=0.03):
        ...         super().__init__(); self.save_hyperparameters(); self.net = nn.Linear(1, 1)
        >>> Line().configure_optimizers()
        SGD (...)
    """

    def __init__(self) -> None:
        super().__init__()
        self._metric_sink: Callable[[str, torch.Tensor, int], None] | None = None

    def save_hyperparameters(self, ignore: Sequence[str] = ()) -> None:
        """Store the calling ``__init__``'s arguments as attributes and in ``self.hparams``."""
        frame = inspect.currentframe().f_back
        args = inspect.getargvalues(frame)
        self.hparams = {
            k: args.locals[k] for k in args.args
            if k not in set(ignore) | {"self"} and not k.startswith("_")
        }
        for k, v in self.hparams.items():
            setattr(self, k, v)

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        if not hasattr(self, "net"):
            raise NotImplementedError(
                f"{type(self).__name__} has no self.net: set it in __init__ or define forward()"
            )
        return self.net(X)

    def loss(self, y_hat: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """Mean squared error; :class:`Classifier` uses cross-entropy instead."""
        return F.mse_loss(y_hat, y.reshape(y_hat.shape))

    def log(self, name: str, value: torch.Tensor | float, n: int = 1) -> None:
        """Report a metric of the current batch (``n`` examples) to the Trainer, if any."""
        if self._metric_sink is not None:
            self._metric_sink(name, value, n)

    def training_step(self, batch: Sequence[torch.Tensor]) -> torch.Tensor:
        """Loss on one batch ``(*inputs, y)``; logs it as ``loss``."""
        y_hat = self(*batch[:-1])
        loss = self.loss(y_hat, batch[-1])
        self.log("loss", loss.detach(), len(batch[-1]))
        return loss

    def validation_step(self, batch: Sequence[torch.Tensor]) -> None:
        """Log the loss on one validation batch."""
        y_hat = self(*batch[:-1])
        self.log("loss", self.loss(y_hat, batch[-1]), len(batch[-1]))

    def configure_optimizers(self) -> torch.optim.Optimizer:
        """Plain SGD with learning rate ``self.lr``."""
        if not hasattr(self, "lr"):
            raise AttributeError(
                f"{type(self).__name__} has no learning rate: give __init__ an lr argument and "
                "call self.save_hyperparameters(), or override configure_optimizers()"
            )
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
        >>> round(m.loss(m(X), y).item(), 3) > 0
        True
    """

    def loss(self, y_hat: torch.Tensor, y: torch.Tensor, averaged: bool = True) -> torch.Tensor:
        """Cross-entropy between logits ``y_hat`` (N, classes) and labels ``y`` (N,)."""
        if y_hat.dim() != 2:
            raise ValueError(
                f"Classifier.loss expects logits of shape (N, classes), got {tuple(y_hat.shape)}"
            )
        return F.cross_entropy(y_hat, y, reduction="mean" if averaged else "none")

    def accuracy(self, y_hat: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """Fraction of correct predictions in a batch."""
        return _accuracy(y_hat, y)

    def training_step(self, batch: Sequence[torch.Tensor]) -> torch.Tensor:
        y_hat = self(*batch[:-1])
        loss = self.loss(y_hat, batch[-1])
        n = len(batch[-1])
        self.log("loss", loss.detach(), n)
        self.log("acc", self.accuracy(y_hat.detach(), batch[-1]), n)
        return loss

    def validation_step(self, batch: Sequence[torch.Tensor]) -> None:
        y_hat = self(*batch[:-1])
        n = len(batch[-1])
        self.log("loss", self.loss(y_hat, batch[-1]), n)
        self.log("acc", self.accuracy(y_hat, batch[-1]), n)

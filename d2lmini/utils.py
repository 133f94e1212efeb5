"""Small tools used across the course: a stopwatch, running sums, and accuracy.

Example:
    >>> acc = Accumulator(2)
    >>> acc.add(3, 4); acc.add(1, 1)
    >>> acc[0], acc[1]
    (4.0, 5.0)
"""

from __future__ import annotations

import time
from collections.abc import Iterable

import torch
from torch import nn

from .device import _module_device

__all__ = ["Accumulator", "Timer", "accuracy", "add_to_class", "evaluate_accuracy"]


def add_to_class(Class: type):
    """Decorator that adds the decorated function to ``Class`` as a method.

    Lets a notebook grow a class one cell at a time, as the d2l book does.

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


class Timer:
    """Record how long several pieces of work take.

    Example:
        >>> t = Timer()          # starts at once
        >>> _ = sum(range(1000))
        >>> t.stop() >= 0
        True
    """

    def __init__(self) -> None:
        self.times: list[float] = []
        self.start()

    def start(self) -> None:
        """Start (or restart) the stopwatch."""
        self._tik = time.perf_counter()

    def stop(self) -> float:
        """Stop, record and return the seconds since :meth:`start`."""
        self.times.append(time.perf_counter() - self._tik)
        return self.times[-1]

    def avg(self) -> float:
        """Average of the recorded times."""
        return sum(self.times) / len(self.times) if self.times else 0.0

    def sum(self) -> float:
        """Total of the recorded times."""
        return sum(self.times)

    def __repr__(self) -> str:
        return f"Timer({len(self.times)} records, {self.sum():.3f} s in total)"


class Accumulator:
    """Keep ``n`` running sums, e.g. (correct predictions, examples seen).

    Example:
        >>> a = Accumulator(2); a.add(1, 2); a.add(3, 4); a.data
        [4.0, 6.0]
    """

    def __init__(self, n: int) -> None:
        self.data = [0.0] * n

    def add(self, *args: float) -> None:
        """Add one value to each sum (as many values as sums)."""
        if len(args) != len(self.data):
            raise ValueError(f"expected {len(self.data)} values, got {len(args)}")
        self.data = [a + float(b) for a, b in zip(self.data, args)]

    def reset(self) -> None:
        """Set every sum back to zero."""
        self.data = [0.0] * len(self.data)

    def __getitem__(self, idx: int) -> float:
        return self.data[idx]

    def __repr__(self) -> str:
        return f"Accumulator({self.data})"


def _num_correct(y_hat: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Number of rows of logits ``y_hat`` (N, classes) whose argmax equals label ``y`` (N,)."""
    if y_hat.dim() != 2 or y.dim() != 1 or y_hat.shape[0] != y.shape[0]:
        raise ValueError(
            f"expected logits of shape (N, classes) and labels of shape (N,), "
            f"got {tuple(y_hat.shape)} and {tuple(y.shape)}"
        )
    return (y_hat.argmax(dim=1) == y).sum()


def accuracy(y_hat: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Fraction of rows of logits ``y_hat`` (N, classes) whose argmax equals label ``y`` (N,).

    Example:
        >>> accuracy(torch.tensor([[0.1, 0.9], [0.8, 0.2]]), torch.tensor([1, 1]))
        tensor(0.5000)
    """
    return _num_correct(y_hat, y).float() / len(y)


@torch.no_grad()
def evaluate_accuracy(
    net: nn.Module,
    data_iter: Iterable,
    device: torch.device | str | None = None,
) -> float:
    """Accuracy of ``net`` over every ``(X, y)`` batch of ``data_iter``, in eval mode.

    ``device`` defaults to the device of the network's first parameter.

    Example:
        >>> net = nn.Sequential(nn.Flatten(), nn.Linear(4, 2))
        >>> batches = [(torch.zeros(3, 2, 2), torch.zeros(3, dtype=torch.long))]
        >>> 0.0 <= evaluate_accuracy(net, batches) <= 1.0
        True
    """
    if device is None:
        device = _module_device(net)
    was_training = net.training
    net.eval()
    correct = torch.zeros((), device=device)
    total = 0
    try:
        for X, y in data_iter:
            X, y = X.to(device), y.to(device)
            correct += _num_correct(net(X), y)
            total += y.numel()
    finally:
        net.train(was_training)
    if total == 0:
        raise ValueError("evaluate_accuracy got no examples: the data iterator is empty")
    return correct.item() / total

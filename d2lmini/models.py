"""LeNet-5 as in LeCun et al. (1998), and its modern variant with ReLU and max pooling.

Both take (B, 1, 28, 28) images; the first convolution pads by 2, standing in for the
paper's 32x32 inputs. Weights start Xavier-uniform (see :func:`~d2lmini.init_cnn`).

Example:
    >>> net = LeNet()
    >>> net(torch.zeros(2, 1, 28, 28)).shape
    torch.Size([2, 10])
"""

from __future__ import annotations

import torch
from torch import nn

from .module import Classifier, init_cnn

__all__ = ["LeNet", "ModernLeNet"]


def _check_images(X: torch.Tensor, model: str) -> None:
    if not isinstance(X, torch.Tensor) or X.dim() != 4 or X.shape[1] != 1:
        shape = tuple(X.shape) if isinstance(X, torch.Tensor) else type(X).__name__
        hint = " add batch and channel dimensions with X[None, None]" if (
            isinstance(X, torch.Tensor) and X.dim() == 2) else \
            " add a channel dimension with X.unsqueeze(1)" if (
            isinstance(X, torch.Tensor) and X.dim() == 3) else ""
        raise ValueError(f"{model} expects a batch of shape (B, 1, 28, 28), got {shape}:{hint}")


def _lenet_layers(activation: type[nn.Module], pool: type[nn.Module], num_classes: int) -> nn.Sequential:
    """LeNet-5's layers with the given activation and pooling classes."""
    return nn.Sequential(
        nn.Conv2d(1, 6, kernel_size=5, padding=2), activation(),
        pool(kernel_size=2, stride=2),
        nn.Conv2d(6, 16, kernel_size=5), activation(),
        pool(kernel_size=2, stride=2),
        nn.Flatten(),
        nn.Linear(16 * 5 * 5, 120), activation(),
        nn.Linear(120, 84), activation(),
        nn.Linear(84, num_classes),
    )


class LeNet(Classifier):
    """Classic LeNet-5: sigmoid activations and average pooling (61,706 parameters).

    Example:
        >>> sum(p.numel() for p in LeNet().parameters())
        61706
    """

    def __init__(self, lr: float = 0.9, num_classes: int = 10, xavier: bool = True) -> None:
        super().__init__()
        self.save_hyperparameters()
        self.net = _lenet_layers(nn.Sigmoid, nn.AvgPool2d, num_classes)
        if xavier:
            self.apply(init_cnn)

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        _check_images(X, type(self).__name__)
        return self.net(X)


class ModernLeNet(LeNet):
    """LeNet-5 with ReLU activations and max pooling; same shapes and parameter count.

    Example:
        >>> ModernLeNet().net[1]
        ReLU()
    """

    def __init__(self, lr: float = 0.1, num_classes: int = 10, xavier: bool = True) -> None:
        Classifier.__init__(self)
        self.save_hyperparameters()
        self.net = _lenet_layers(nn.ReLU, nn.MaxPool2d, num_classes)
        if xavier:
            self.apply(init_cnn)

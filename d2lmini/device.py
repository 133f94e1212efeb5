"""Devices and reproducibility: pick a GPU when there is one, seed every generator.

Example:
    >>> import d2lmini as d2l
    >>> d2l.cpu()
    device(type='cpu')
    >>> d2l.set_seed(0)
"""

from __future__ import annotations

import random

import numpy as np
import torch

__all__ = ["best_device", "cpu", "num_gpus", "set_seed", "try_all_gpus", "try_gpu"]


def cpu() -> torch.device:
    """Return the CPU device.

    Example:
        >>> cpu()
        device(type='cpu')
    """
    return torch.device("cpu")


def num_gpus() -> int:
    """Return how many CUDA GPUs PyTorch can see (0 on a laptop without one).

    Example:
        >>> num_gpus() >= 0
        True
    """
    return torch.cuda.device_count()


def _mps_available() -> bool:
    mps = getattr(torch.backends, "mps", None)
    return bool(mps is not None and mps.is_available())


def try_gpu(i: int = 0) -> torch.device:
    """Return GPU ``i`` if it exists, else Apple's MPS device if present, else the CPU.

    Example:
        >>> try_gpu().type in {"cuda", "mps", "cpu"}
        True
    """
    if i < 0:
        raise ValueError(f"GPU index must be 0 or more, got {i}")
    if num_gpus() > i:
        return torch.device(f"cuda:{i}")
    if i == 0 and _mps_available():
        return torch.device("mps")
    return cpu()


def try_all_gpus() -> list[torch.device]:
    """Return every CUDA GPU, or ``[try_gpu()]`` (MPS or CPU) when there is none.

    Example:
        >>> len(try_all_gpus()) >= 1
        True
    """
    gpus = [torch.device(f"cuda:{i}") for i in range(num_gpus())]
    return gpus or [try_gpu()]


def best_device() -> torch.device:
    """Return the fastest device here: CUDA, then Apple MPS, then the CPU.

    Example:
        >>> best_device().type in {"cuda", "mps", "cpu"}
        True
    """
    return try_gpu(0)


def _module_device(module: torch.nn.Module) -> torch.device:
    """Device of ``module``'s first parameter; the CPU for a module without parameters."""
    param = next(iter(module.parameters()), None)
    return param.device if param is not None else cpu()


def set_seed(seed: int) -> None:
    """Seed Python's, NumPy's and PyTorch's random generators (all devices).

    Runs on the same machine then print the same numbers; different hardware or
    library versions may still differ in the last digits.

    Example:
        >>> set_seed(0); a = torch.rand(2)
        >>> set_seed(0); bool((a == torch.rand(2)).all())
        True
    """
    if not isinstance(seed, int) or isinstance(seed, bool):
        raise TypeError(f"seed must be an int, got {type(seed).__name__}")
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)

"""Devices and reproducibility: use an accelerator when there is one, seed every generator.

The accelerator is whatever ``torch.accelerator`` reports (CUDA, Apple MPS, Intel XPU, ...)
where the installed PyTorch has it; older versions are asked for CUDA, then MPS.
"""

from __future__ import annotations

import random

import numpy as np
import torch

__all__ = ["cpu", "num_gpus", "set_seed", "try_all_gpus", "try_gpu"]


def cpu() -> torch.device:
    """Return the CPU device, ``device(type='cpu')``."""
    return torch.device("cpu")


def _accelerator() -> tuple[str, int] | None:
    """(device type, count) of this machine's accelerator, or None."""
    acc = getattr(torch, "accelerator", None)
    if acc is not None and hasattr(acc, "current_accelerator"):
        return (acc.current_accelerator().type, acc.device_count()) if acc.is_available() else None
    if torch.cuda.is_available():
        return "cuda", torch.cuda.device_count()
    mps = getattr(torch.backends, "mps", None)
    return ("mps", 1) if mps is not None and mps.is_available() else None


def num_gpus() -> int:
    """Return how many accelerators (GPUs) PyTorch can see: 0 on a laptop without one."""
    return (_accelerator() or ("cpu", 0))[1]


def try_gpu(i: int = 0) -> torch.device:
    """Return accelerator ``i`` (CUDA, MPS, XPU, ...) if it exists, else the CPU.

    Example:
        >>> isinstance(try_gpu(), torch.device)
        True
    """
    if i < 0:
        raise ValueError(f"GPU index must be 0 or more, got {i}")
    kind, count = _accelerator() or ("cpu", 0)
    return cpu() if i >= count else torch.device(kind) if kind == "mps" else torch.device(kind, i)


def try_all_gpus() -> list[torch.device]:
    """Return every accelerator, or ``[cpu()]`` when there is none."""
    return [try_gpu(i) for i in range(num_gpus())] or [cpu()]


def set_seed(seed: int) -> None:
    """Seed Python's, NumPy's and PyTorch's random generators (all devices): runs on the same
    machine then print the same numbers (other hardware or versions may differ in the last digits).

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

"""Output sizes of convolution and pooling layers, from the sizes that go in.

Per dimension, a window of size ``k`` sliding ``s`` pixels at a time over an input of
size ``n`` padded by ``p`` zeros on each side fits ``floor((n + 2p - k) / s) + 1`` times.

Example:
    >>> conv_output_size(224, k=5, p=1, s=2)
    111
    >>> conv_output_size((30, 40), k=3)
    (28, 38)
"""

from __future__ import annotations

__all__ = ["conv_output_size"]

Size = int | tuple[int, int]


def _pair(value, name: str) -> tuple[int, int]:
    """``value`` as an (h, w) pair of ints; a single int is used for both."""
    if isinstance(value, (tuple, list)):
        if len(value) != 2:
            raise ValueError(f"{name} must be an int or an (h, w) pair, got {value!r} "
                             f"with {len(value)} entries")
        pair = tuple(value)
    else:
        pair = (value, value)
    for v in pair:
        if isinstance(v, bool) or not isinstance(v, int):
            raise TypeError(f"{name} must be an int or a pair of ints, got {value!r} "
                            f"({type(v).__name__})")
    return pair


def conv_output_size(n: Size, k: Size, p: Size = 0, s: Size = 1) -> Size:
    """Output size of a convolution (or pooling) layer, per spatial dimension.

    Args:
        n: input size, an int (square input) or an (h, w) pair. At least 1.
        k: kernel (window) size, an int or (k_h, k_w). At least 1.
        p: zero padding added on each side, an int or (p_h, p_w). At least 0.
        s: stride, an int or (s_h, s_w). At least 1.

    Returns:
        ``floor((n + 2p - k) / s) + 1`` for each dimension: an int when every argument
        is an int, otherwise an (h, w) tuple. This is what ``nn.Conv2d`` and
        ``nn.MaxPool2d`` (with the default ``dilation=1``, ``ceil_mode=False``) produce.

    Raises:
        TypeError: an argument is not an int or a pair of ints.
        ValueError: a size is out of range, or the kernel is larger than the padded
            input (no window fits, so there is no output).

    Example:
        >>> conv_output_size(28, k=5, p=2)        # "same" padding for a 5x5 kernel
        28
        >>> conv_output_size((224, 224), k=7, p=3, s=2)
        (112, 112)
    """
    all_ints = not any(isinstance(v, (tuple, list)) for v in (n, k, p, s))
    ns, ks, ps, ss = _pair(n, "n"), _pair(k, "k"), _pair(p, "p"), _pair(s, "s")
    out = []
    for dim, n_i, k_i, p_i, s_i in zip(("height", "width"), ns, ks, ps, ss):
        if n_i < 1:
            raise ValueError(f"input {dim} n must be at least 1, got {n_i}")
        if k_i < 1:
            raise ValueError(f"kernel {dim} k must be at least 1, got {k_i}")
        if p_i < 0:
            raise ValueError(f"padding p must be 0 or more, got {p_i} ({dim})")
        if s_i < 1:
            raise ValueError(f"stride s must be at least 1, got {s_i} ({dim})")
        if k_i > n_i + 2 * p_i:
            raise ValueError(
                f"kernel {dim} {k_i} is larger than the padded input {dim} "
                f"n + 2p = {n_i} + 2*{p_i} = {n_i + 2 * p_i}: no window fits; "
                f"use a smaller kernel or more padding"
            )
        out.append((n_i + 2 * p_i - k_i) // s_i + 1)
    return out[0] if all_ints else (out[0], out[1])

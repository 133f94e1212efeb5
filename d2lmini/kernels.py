"""Hand-made kernels: build a Gaussian, apply a kernel to a grayscale image, draw one window.

Chapters 3 and 4 write cross-correlation out by hand; these are the helpers around it.

Example:
    >>> import torch
    >>> g = gaussian_kernel(5, sigma=1.0)
    >>> g.shape, round(g.sum().item(), 6)
    (torch.Size([5, 5]), 1.0)
    >>> apply_kernel(torch.ones(4, 4), g[:2, :2]).shape
    torch.Size([3, 3])
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import torch
import torch.nn.functional as F
from matplotlib.patches import Rectangle

__all__ = ["apply_kernel", "gaussian_kernel", "show_window"]


def gaussian_kernel(size: int, sigma: float) -> torch.Tensor:
    """A ``size`` x ``size`` Gaussian blur kernel with standard deviation ``sigma`` (pixels).

    Each weight is ``exp(-(x**2 + y**2) / (2 * sigma**2))``, with ``(x, y)`` the offset of
    the cell from the centre; the weights are then divided by their sum, so they add up
    to one and a blur keeps the image's mean brightness. ``size`` must be odd (so there
    is a centre cell); about ``6 * sigma`` (rounded up to odd) keeps almost all the mass.

    Example:
        >>> k = gaussian_kernel(3, sigma=1.0)
        >>> k.shape, bool(k[1, 1] == k.max())
        (torch.Size([3, 3]), True)
    """
    if isinstance(size, bool) or not isinstance(size, int) or size < 1 or size % 2 == 0:
        raise ValueError(f"size must be a positive odd int (the kernel needs a centre cell), got {size!r}")
    if not sigma > 0:
        raise ValueError(f"sigma must be positive (it is a standard deviation in pixels), got {sigma!r}")
    r = size // 2
    offsets = torch.arange(-r, r + 1, dtype=torch.float32)
    y, x = torch.meshgrid(offsets, offsets, indexing="ij")
    weights = torch.exp(-(x**2 + y**2) / (2 * sigma**2))
    return weights / weights.sum()


def apply_kernel(img: torch.Tensor, kernel: torch.Tensor) -> torch.Tensor:
    """Cross-correlate a grayscale image (H, W) with a kernel (k_h, k_w), without padding.

    A thin wrapper around ``F.conv2d`` that adds and removes the batch and channel
    dimensions; the result has shape (H - k_h + 1, W - k_w + 1).

    Example:
        >>> img = torch.tensor([[0., 0., 1., 1.]])
        >>> apply_kernel(img, torch.tensor([[1., -1.]]))
        tensor([[ 0., -1.,  0.]])
    """
    if not isinstance(img, torch.Tensor) or not isinstance(kernel, torch.Tensor):
        raise TypeError(
            f"expected two tensors, got {type(img).__name__} and {type(kernel).__name__}: "
            "convert with torch.as_tensor"
        )
    if img.dim() != 2:
        hint = " (a colour image: convert it to grayscale first, e.g. img.mean(0))" if img.dim() == 3 else ""
        raise ValueError(f"expected a grayscale image of shape (H, W), got {tuple(img.shape)}{hint}")
    if kernel.dim() != 2:
        raise ValueError(f"expected a kernel of shape (k_h, k_w), got {tuple(kernel.shape)}")
    if not img.is_floating_point():
        raise TypeError(f"expected a float image, got {img.dtype}: convert with img.float() / 255")
    if kernel.shape[0] > img.shape[0] or kernel.shape[1] > img.shape[1]:
        raise ValueError(
            f"kernel {tuple(kernel.shape)} is larger than image {tuple(img.shape)}: "
            "without padding the output would be empty"
        )
    return F.conv2d(img[None, None], kernel.to(img.dtype)[None, None])[0, 0]


def _draw_grid(ax, values: torch.Tensor, title: str, box: tuple[int, int, int, int] | None,
               color: str, rows: int) -> None:
    """Draw a small matrix as labelled cells, with an optional highlighted box (row, col, h, w).

    The axes span ``rows`` rows (at least the matrix's height), so that grids of different
    heights drawn side by side get cells of the same size, aligned at the top.
    """
    h, w = values.shape
    ax.set_xlim(-0.55, w - 0.45)
    ax.set_ylim(max(rows, h) - 0.45, -0.55)
    for side in ("right", "bottom", "top", "left"):
        ax.spines[side].set_visible(False)
    ax.set_aspect("equal")
    for r in range(h):
        for c in range(w):
            ax.add_patch(Rectangle((c - 0.5, r - 0.5), 1, 1, facecolor="white", edgecolor="black"))
            v = values[r, c].item()
            ax.text(c, r, f"{v:g}", ha="center", va="center", fontsize=13)
    if box is not None:
        r, c, bh, bw = box
        ax.add_patch(Rectangle((c - 0.5, r - 0.5), bw, bh, facecolor=color, alpha=0.35,
                               edgecolor=color, linewidth=3))
    ax.set_xticks(range(w))
    ax.set_yticks(range(h))
    ax.xaxis.tick_top()
    ax.xaxis.set_label_position("top")
    ax.tick_params(length=0)
    ax.set_xlabel("column")
    ax.set_ylabel("row")
    ax.set_title(title)


def show_window(X: torch.Tensor, K: torch.Tensor, i: int, j: int, figsize=(9.0, 3.2)):
    """Draw input ``X``, kernel ``K`` and their cross-correlation, highlighting window (i, j).

    The window of ``X`` under the kernel when it produces output cell (i, j) is shaded,
    as is that output cell; the figure's title spells out the sum of products.

    Example:
        >>> X = torch.arange(9.).reshape(3, 3); K = torch.ones(2, 2)
        >>> axes = show_window(X, K, 0, 1)
        >>> len(axes)
        3
    """
    if not isinstance(X, torch.Tensor) or not isinstance(K, torch.Tensor):
        raise TypeError(f"show_window takes two tensors, got {type(X).__name__} and {type(K).__name__}")
    if X.dim() != 2 or K.dim() != 2:
        raise ValueError(f"expected a 2-D input and kernel, got {tuple(X.shape)} and {tuple(K.shape)}")
    Y = apply_kernel(X.float(), K.float())
    if not (0 <= i < Y.shape[0] and 0 <= j < Y.shape[1]):
        raise ValueError(f"window ({i}, {j}) is outside the output of shape {tuple(Y.shape)}")
    kh, kw = K.shape
    window = X[i:i + kh, j:j + kw]

    def num(v: torch.Tensor) -> str:
        return f"{v.item():g}" if v >= 0 else f"({v.item():g})"

    terms = " + ".join(f"{num(window[a, b])}·{num(K[a, b])}" for a in range(kh) for b in range(kw))
    fig, axes = plt.subplots(1, 3, figsize=figsize,
                             gridspec_kw={"width_ratios": [X.shape[1], K.shape[1], Y.shape[1]]})
    rows = X.shape[0]
    _draw_grid(axes[0], X, "input X", (i, j, kh, kw), "tab:blue", rows)
    _draw_grid(axes[1], K, "kernel K", (0, 0, kh, kw), "tab:orange", rows)
    _draw_grid(axes[2], Y, "output Y", (i, j, 1, 1), "tab:green", rows)
    fig.suptitle(f"Y[{i}, {j}] = {terms} = {Y[i, j].item():g}")
    fig.tight_layout()
    return axes

"""Figures for the course: image grids, curves, kernels, feature maps and grids of numbers.

In a notebook, importing d2lmini makes every figure sharp on high-density screens and legible
on a phone: drawn at twice its resolution, with fonts of at least 9 points, and stored light.
"""

from __future__ import annotations

import io
import sys
from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np
import torch
from matplotlib.patches import Rectangle
from PIL import Image

__all__ = ["plot", "show_feature_maps", "show_images", "show_kernels", "show_numbers"]
WIDTH = 7.2   # inches: the book's text column at the default 100 dpi, so no figure is shrunk
plt.rcParams.update({"font.size": 10, "axes.titlesize": 10, "axes.labelsize": 10, "legend.fontsize": 9,
                     "xtick.labelsize": 9, "ytick.labelsize": 9})


def notebook_shell():
    """The running Jupyter kernel's shell (JupyterLab, Colab, nbval), or None in a script."""
    shell = sys.modules["IPython"].get_ipython() if "IPython" in sys.modules else None
    return shell if shell is not None and "IPKernelApp" in getattr(shell, "config", {}) else None


def _figure_image(fig, jpeg: bool):
    """``fig`` at twice its resolution, as (bytes, {its size in CSS pixels}), in the lighter of a
    256-colour PNG (plots, grids) and a JPEG (photos); None from the other format's formatter."""
    if getattr(fig, "_d2l_image", None) is None:   # the PNG formatter runs first, the JPEG one next
        buf, png, jpg = io.BytesIO(), io.BytesIO(), io.BytesIO()
        fig.savefig(buf, format="png", dpi=2 * fig.dpi, bbox_inches="tight")
        image = Image.open(buf).convert("RGB")
        image.quantize(256, dither=Image.Dither.NONE).save(png, "PNG", optimize=True)
        image.save(jpg, "JPEG", quality=88, optimize=True)
        fig._d2l_image = (jpg.tell() < png.tell(), min(png, jpg, key=io.BytesIO.tell).getvalue(),
                          {"width": image.width // 2, "height": image.height // 2})
    is_jpeg, data, size = fig._d2l_image
    fig._d2l_image = None if jpeg else fig._d2l_image   # drawn afresh if the figure is shown again
    return (data, size) if is_jpeg == jpeg else None


def _use_sharp_figures() -> None:
    """Show a notebook's figures with :func:`_figure_image` (run once, on import)."""
    if (shell := notebook_shell()) is None:
        return
    import matplotlib_inline.backend_inline  # noqa: F401  (loading it resets the formatters: first)
    from matplotlib.figure import Figure

    formats = shell.display_formatter.formatters
    formats["image/png"].for_type(Figure, lambda fig: _figure_image(fig, jpeg=False))
    formats["image/jpeg"].for_type(Figure, lambda fig: _figure_image(fig, jpeg=True))


_use_sharp_figures()


def _numpy(x) -> np.ndarray:
    return x.detach().cpu().float().numpy() if isinstance(x, torch.Tensor) else np.asarray(x)


def _image(img) -> np.ndarray:
    """One image (tensor, array or PIL) as an array (H, W) or (H, W, 3); (C, H, W) is permuted."""
    if isinstance(img, torch.Tensor):
        img = (img.permute(1, 2, 0) if img.dim() == 3 and img.shape[0] in (1, 3) else img).detach().cpu()
    arr = np.asarray(img)
    arr = arr[..., 0] if arr.ndim == 3 and arr.shape[-1] == 1 else arr
    if arr.ndim not in (2, 3) or (arr.ndim == 3 and arr.shape[-1] not in (3, 4)):
        raise ValueError(f"cannot show an image of shape {tuple(arr.shape)}: expected (H, W), "
                         "(C, H, W) with C = 1 or 3, or (H, W, C)")
    return arr


def _axes_grid(n: int, num_cols: int, scale: float, titles=None):
    """A grid of ``n`` axes (the spare ones hidden), titled with ``titles``, without ticks."""
    cols = max(1, min(num_cols, n))
    rows, scale = -(-n // cols), min(scale, WIDTH / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(cols * scale, rows * scale), squeeze=False,
                             subplot_kw={"xticks": [], "yticks": []})
    for i, ax in enumerate(axes.flat):
        ax.set_visible(i < n)
        ax.set_title(str(titles[i]) if titles is not None and i < len(titles) else "", fontsize=9)
    return fig, axes.flatten()[:n]


def show_images(imgs, num_rows: int, num_cols: int, titles: Sequence[str] | None = None, scale: float = 1.5,
                cmap: str = "gray", vmin: float | None = None, vmax: float | None = None):
    """Show images in a ``num_rows`` x ``num_cols`` grid and return the axes.

    ``imgs`` is a tensor (N, H, W) or (N, C, H, W), an array, or a list of images
    (tensors, arrays or PIL images); only the first ``num_rows * num_cols`` are drawn.
    Each grayscale image is stretched to its own range unless ``vmin``/``vmax`` fix
    the values drawn black and white (e.g. 0 and 1 to compare brightness).

    Example:
        >>> axes = show_images(torch.rand(4, 1, 8, 8), 1, 4, titles=list("abcd"))
        >>> axes.shape
        (4,)
    """
    if hasattr(imgs, "ndim") and imgs.ndim not in (3, 4):
        fix = ": pass a batch, e.g. img[None] for one image" if imgs.ndim == 2 else ""
        raise ValueError(f"show_images takes a batch (N, H, W) or (N, C, H, W), got {tuple(imgs.shape)}{fix}")
    images = [_image(img) for img in list(imgs)[: num_rows * num_cols]]
    fig, axes = _axes_grid(num_rows * num_cols, num_cols, scale, titles)
    for ax, img in zip(axes, images):
        ax.imshow(img, cmap=cmap if img.ndim == 2 else None, vmin=vmin, vmax=vmax)
    for ax in axes:
        ax.axis("off")
    fig.tight_layout()
    return axes


def plot(X, Y=None, xlabel: str | None = None, ylabel: str | None = None, legend: Sequence[str] | None = None,
         xlim=None, ylim=None, xscale: str = "linear", yscale: str = "linear",
         fmts: Sequence[str] = ("-", "m--", "g-.", "r:"), figsize: tuple[float, float] = (4.5, 3),
         title: str | None = None, axes=None):
    """Plot one or several curves and return the axes.

    ``X`` and ``Y`` are sequences, or lists of sequences for several curves; with
    ``Y=None`` the values of ``X`` are plotted against their index.

    Example:
        >>> x = np.linspace(0, 3, 20)
        >>> ax = plot(x, [x, x**2], xlabel="x", legend=["x", "x²"])
    """

    def many(v) -> bool:
        return (isinstance(v, (list, tuple)) and len(v) > 0 and hasattr(v[0], "__len__")) or \
            getattr(v, "ndim", 1) > 1

    if Y is None:
        Y = X if many(X) else [X]
        X = [np.arange(len(y)) for y in Y]
    else:
        Y = Y if many(Y) else [Y]
        X = X if many(X) else [X] * len(Y)
    if len(X) != len(Y):
        raise ValueError(f"got {len(X)} x-sequences for {len(Y)} y-sequences")
    if axes is None:
        _, axes = plt.subplots(figsize=figsize)
    for x, y, fmt in zip(X, Y, list(fmts) * len(Y)):
        axes.plot(_numpy(x), _numpy(y), fmt)
    axes.set(xlabel=xlabel, ylabel=ylabel, xscale=xscale, yscale=yscale, title=title or "",
             **{k: v for k, v in (("xlim", xlim), ("ylim", ylim)) if v is not None})
    if legend:
        axes.legend(legend)
    axes.grid(True, alpha=0.3)
    return axes


def show_numbers(values, ax=None, title: str = "", fmt: str = "{:g}", window=None, highlight=None,
                 padding: int = 0, shown: int | None = None, cmap: str | None = None,
                 row_labels: Sequence[str] | None = None, col_labels: Sequence[str] | None = None,
                 vmin: float | None = None, vmax: float | None = None, fontsize: float = 10):
    """Draw a small matrix as a grid of numbers; return the axes.

    Args:
        values: a 2-D tensor or array; ``fmt`` writes each number, e.g. ``"{:.2f}"``.
        ax: axes to draw on (a new figure by default).
        window: ``(top, left, height, width)`` of a red box, e.g. a kernel's window.
        highlight: ``(row, col)`` of a cell shaded pink, e.g. the output being computed.
        padding: the outer rings that are zero padding: drawn grey, indices start at -padding.
        shown: write only the first ``shown + 1`` numbers (row by row), to build up an output.
        cmap: colour the cells by value (``vmin``/``vmax`` set the range); text turns white on dark.
        row_labels, col_labels: names for the rows and columns instead of indices.

    Example:
        >>> ax = show_numbers(torch.arange(9.).reshape(3, 3), window=(0, 1, 2, 2), title="X")
        >>> len(ax.texts)
        9
    """
    m = _numpy(values)
    if m.ndim != 2:
        raise ValueError(f"show_numbers draws a matrix (rows, cols), got shape {m.shape}")
    rows, cols = m.shape
    if ax is None:
        _, ax = plt.subplots(figsize=(0.5 * cols + 1, 0.5 * rows + 0.8))
    lo, hi = (float(m.min()) if vmin is None else vmin), (float(m.max()) if vmax is None else vmax)
    colours = None if cmap is None else plt.get_cmap(cmap)(np.clip((m - lo) / ((hi - lo) or 1.0), 0, 1))
    for r in range(rows):
        for c in range(cols):
            pad = not (padding <= r < rows - padding and padding <= c < cols - padding)
            face = colours[r, c] if colours is not None else \
                "mistyrose" if (r, c) == highlight else "0.88" if pad else "white"
            ax.add_patch(Rectangle((c, r), 1, 1, facecolor=face, edgecolor="0.6"))
            if shown is None or r * cols + c <= shown:
                dark = colours is not None and colours[r, c, :3] @ [0.3, 0.59, 0.11] < 0.5
                ax.text(c + 0.5, r + 0.5, fmt.format(m[r, c]), ha="center", va="center", fontsize=fontsize,
                        color="white" if dark else "0.5" if pad else "black")
    if window is not None:
        top, left, h, w = window
        ax.add_patch(Rectangle((left, top), w, h, fill=False, edgecolor="red", linewidth=2.5))
    ax.set_xlim(0, cols)
    ax.set_ylim(rows, 0)
    ax.set_aspect("equal")
    named = col_labels is not None
    ax.set_xticks(np.arange(cols) + 0.5, col_labels if named else [str(c - padding) for c in range(cols)],
                  fontsize=9, rotation=45 if named else 0, ha="right" if named else "center")
    ax.set_yticks(np.arange(rows) + 0.5, row_labels if row_labels is not None else
                  [str(r - padding) for r in range(rows)], fontsize=9)
    ax.tick_params(length=0)
    for side in ax.spines.values():
        side.set_visible(False)
    ax.set_title(title, fontsize=10)
    return ax


def show_kernels(weight, num_cols: int = 8, scale: float = 1.2, titles: Sequence[str] | None = None,
                 annotate: bool = False, title: str | None = None):
    """Show convolution kernels as small images, blue negative and red positive.

    ``weight`` is a conv layer's weight (C_out, C_in, k_h, k_w), in which case the
    first input channel of each output channel is shown, or a stack (N, k_h, k_w), or
    one kernel (k_h, k_w). All share one symmetric colour scale, so zero is white.
    With ``annotate`` each cell is labelled with its value (for small kernels).

    Example:
        >>> axes = show_kernels(torch.randn(6, 1, 5, 5))
        >>> len(axes)
        6
    """
    w = _numpy(weight)
    w = w[None] if w.ndim == 2 else w[:, 0] if w.ndim == 4 else w
    if w.ndim != 3:
        raise ValueError(f"expected kernels (k_h, k_w), (N, k_h, k_w) or (C_out, C_in, k_h, k_w), "
                         f"got {tuple(_numpy(weight).shape)}")
    top = float(np.abs(w).max()) or 1.0
    fig, axes = _axes_grid(len(w), num_cols, scale, titles)
    for i, ax in enumerate(axes):
        if annotate:
            show_numbers(w[i], ax=ax, fmt="{:.2g}", cmap="RdBu_r", vmin=-top, vmax=top,
                         title=ax.get_title(), fontsize=9)
            ax.set(xticks=[], yticks=[])
        else:
            ax.imshow(w[i], cmap="RdBu_r", vmin=-top, vmax=top)
    if title:
        fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    return axes


def show_feature_maps(maps, num_cols: int = 8, scale: float = 1.2, titles: Sequence[str] | None = None,
                      cmap: str = "viridis", title: str | None = None, shared_scale: bool = False):
    """Show the channels of one feature map (C, H, W) or (1, C, H, W) as a grid.

    By default each channel gets its own colour scale, so the pattern is visible even
    where the values are small: compare magnitudes with the numbers, not the colours.
    ``shared_scale=True`` gives all channels one scale, so brightness is comparable.

    Example:
        >>> axes = show_feature_maps(torch.rand(1, 6, 28, 28), num_cols=3)
        >>> len(axes)
        6
    """
    m = _numpy(maps)
    if m.ndim == 4 and m.shape[0] != 1:
        raise ValueError(f"show_feature_maps shows one example, got a batch of {m.shape[0]}: pass maps[0]")
    m = m[0] if m.ndim == 4 else m
    if m.ndim != 3:
        raise ValueError(f"expected feature maps (C, H, W) or (1, C, H, W), got {tuple(_numpy(maps).shape)}")
    titles = titles if titles is not None else [f"channel {i}" for i in range(len(m))]
    lo, hi = (float(m.min()), float(m.max())) if shared_scale else (None, None)
    fig, axes = _axes_grid(len(m), num_cols, scale, titles)
    for ax, channel in zip(axes, m):
        ax.imshow(channel, cmap=cmap, vmin=lo, vmax=hi)
    if title:
        fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    return axes

"""Figures for the course: image grids, curves, kernels, feature maps, live progress.

Example:
    >>> import torch, d2lmini as d2l
    >>> axes = d2l.show_images(torch.rand(6, 28, 28), 2, 3)   # a 2x3 grid
"""

from __future__ import annotations

import time
from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np
import torch

__all__ = ["ProgressBoard", "in_notebook", "plot", "show_feature_maps", "show_images", "show_kernels"]


def in_notebook() -> bool:
    """True inside a Jupyter kernel (JupyterLab, Colab, nbval), False in a plain script."""
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    shell = get_ipython()
    return shell is not None and "IPKernelApp" in getattr(shell, "config", {})


def _to_numpy_image(img) -> np.ndarray:
    """One image (tensor, array or PIL) as a numpy array of shape (H, W) or (H, W, 3)."""
    if isinstance(img, torch.Tensor):
        arr = img.detach().cpu()
        if arr.dim() == 3 and arr.shape[0] in (1, 3):  # (C, H, W) -> (H, W, C)
            arr = arr.permute(1, 2, 0)
        arr = arr.float().numpy() if arr.dtype != torch.uint8 else arr.numpy()
    else:
        arr = np.asarray(img)
    if arr.ndim == 3 and arr.shape[-1] == 1:
        arr = arr[..., 0]
    if arr.ndim not in (2, 3) or (arr.ndim == 3 and arr.shape[-1] not in (3, 4)):
        raise ValueError(
            f"cannot show an image of shape {tuple(arr.shape)}: expected (H, W), "
            "(C, H, W) with C = 1 or 3, or (H, W, C)"
        )
    return arr


def _as_image_list(imgs) -> list[np.ndarray]:
    if isinstance(imgs, (torch.Tensor, np.ndarray)):
        if imgs.ndim == 2:
            raise ValueError(
                f"show_images got a single image of shape {tuple(imgs.shape)}; "
                "pass a batch, e.g. img[None] for one image"
            )
        if imgs.ndim not in (3, 4):
            raise ValueError(
                f"expected a batch of images (N, H, W) or (N, C, H, W), got shape {tuple(imgs.shape)}"
            )
    return [_to_numpy_image(img) for img in imgs]


def show_images(
    imgs,
    num_rows: int,
    num_cols: int,
    titles: Sequence[str] | None = None,
    scale: float = 1.5,
    cmap: str = "gray",
    vmin: float | None = None,
    vmax: float | None = None,
):
    """Show images in a ``num_rows`` x ``num_cols`` grid and return the axes.

    ``imgs`` is a tensor (N, H, W) or (N, C, H, W), a numpy array, or a list of images
    (tensors, arrays or PIL images). Grayscale images use ``cmap``; only the first
    ``num_rows * num_cols`` are drawn. Each grayscale image is stretched to its own
    range unless ``vmin``/``vmax`` fix the values drawn black and white (e.g. 0 and 1 to
    compare brightness between images).

    Example:
        >>> axes = show_images(torch.rand(4, 1, 8, 8), 1, 4, titles=list("abcd"))
        >>> axes.shape
        (4,)
    """
    images = _as_image_list(imgs)
    fig, axes = plt.subplots(num_rows, num_cols, figsize=(num_cols * scale, num_rows * scale),
                             squeeze=False)
    axes = axes.flatten()
    for i, ax in enumerate(axes):
        ax.axis("off")
        if i < len(images):
            img = images[i]
            if img.ndim == 2:
                ax.imshow(img, cmap=cmap, vmin=vmin, vmax=vmax)
            else:
                ax.imshow(img)
            if titles is not None and i < len(titles):
                ax.set_title(str(titles[i]), fontsize=9)
    fig.tight_layout()
    return axes


def plot(
    X,
    Y=None,
    xlabel: str | None = None,
    ylabel: str | None = None,
    legend: Sequence[str] | None = None,
    xlim=None,
    ylim=None,
    xscale: str = "linear",
    yscale: str = "linear",
    fmts: Sequence[str] = ("-", "m--", "g-.", "r:"),
    figsize: tuple[float, float] = (4.5, 3),
    title: str | None = None,
    axes=None,
):
    """Plot one or several curves and return the axes.

    ``X`` and ``Y`` are sequences, or lists of sequences for several curves; with
    ``Y=None`` the values of ``X`` are plotted against their index.

    Example:
        >>> x = np.linspace(0, 3, 20)
        >>> ax = plot(x, [x, x**2], xlabel="x", legend=["x", "x²"])
    """

    def is_many(v) -> bool:
        return (isinstance(v, (list, tuple)) and len(v) > 0 and hasattr(v[0], "__len__")) or (
            hasattr(v, "ndim") and v.ndim > 1
        )

    if Y is None:
        X, Y = [[]], X
        Y = Y if is_many(Y) else [Y]
        X = [np.arange(len(y)) for y in Y]
    else:
        Y = Y if is_many(Y) else [Y]
        X = X if is_many(X) else [X] * len(Y)
    if len(X) != len(Y):
        raise ValueError(f"got {len(X)} x-sequences for {len(Y)} y-sequences")
    if axes is None:
        _, axes = plt.subplots(figsize=figsize)
    for x, y, fmt in zip(X, Y, list(fmts) * len(Y)):
        x = x.detach().cpu().numpy() if isinstance(x, torch.Tensor) else x
        y = y.detach().cpu().numpy() if isinstance(y, torch.Tensor) else y
        axes.plot(x, y, fmt)
    axes.set_xlabel(xlabel)
    axes.set_ylabel(ylabel)
    axes.set_xscale(xscale)
    axes.set_yscale(yscale)
    if xlim is not None:
        axes.set_xlim(xlim)
    if ylim is not None:
        axes.set_ylim(ylim)
    if legend:
        axes.legend(legend)
    if title:
        axes.set_title(title)
    axes.grid(True, alpha=0.3)
    return axes


def _grid(maps: np.ndarray, num_cols: int, scale: float, titles, cmap, symmetric: bool,
          annotate: bool, suptitle: str | None):
    n = len(maps)
    num_cols = max(1, min(num_cols, n))
    num_rows = -(-n // num_cols)
    fig, axes = plt.subplots(num_rows, num_cols, figsize=(num_cols * scale, num_rows * scale),
                             squeeze=False)
    vmax = (float(np.abs(maps).max()) or 1.0) if symmetric else None   # 1.0 when all zero
    for i, ax in enumerate(axes.flatten()):
        ax.set_xticks([])
        ax.set_yticks([])
        if i >= n:
            ax.axis("off")
            continue
        if symmetric:
            ax.imshow(maps[i], cmap=cmap, vmin=-vmax, vmax=vmax)
        else:
            ax.imshow(maps[i], cmap=cmap)
        if annotate:
            for (r, c), v in np.ndenumerate(maps[i]):
                dark = symmetric and abs(v) > 0.6 * vmax  # white text on the darkest cells
                ax.text(c, r, f"{v:.2g}", ha="center", va="center", fontsize=7,
                        color="white" if dark else "black")
        if titles is not None and i < len(titles):
            ax.set_title(str(titles[i]), fontsize=8)
    if suptitle:
        fig.suptitle(suptitle)
    fig.tight_layout()
    return axes.flatten()[:n]


def show_kernels(
    weight: torch.Tensor,
    num_cols: int = 8,
    scale: float = 1.2,
    titles: Sequence[str] | None = None,
    annotate: bool = False,
    title: str | None = None,
):
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
    w = weight.detach().cpu().float() if isinstance(weight, torch.Tensor) else torch.as_tensor(weight)
    if w.dim() == 2:
        w = w[None]
    elif w.dim() == 4:
        w = w[:, 0]
    if w.dim() != 3:
        raise ValueError(
            f"expected kernels of shape (k_h, k_w), (N, k_h, k_w) or (C_out, C_in, k_h, k_w), "
            f"got {tuple(w.shape)}"
        )
    return _grid(w.numpy(), num_cols, scale, titles, "RdBu_r", True, annotate, title)


def show_feature_maps(
    maps: torch.Tensor,
    num_cols: int = 8,
    scale: float = 1.2,
    titles: Sequence[str] | None = None,
    cmap: str = "viridis",
    title: str | None = None,
):
    """Show the channels of one feature map (C, H, W) or (1, C, H, W) as a grid.

    Each channel gets its own colour scale, so the pattern is visible even where the
    values are small; compare magnitudes with the numbers, not the colours.

    Example:
        >>> axes = show_feature_maps(torch.rand(1, 6, 28, 28), num_cols=3)
        >>> len(axes)
        6
    """
    m = maps.detach().cpu().float() if isinstance(maps, torch.Tensor) else torch.as_tensor(maps)
    if m.dim() == 4:
        if m.shape[0] != 1:
            raise ValueError(
                f"show_feature_maps shows one example, got a batch of {m.shape[0]}: pass maps[0]"
            )
        m = m[0]
    if m.dim() != 3:
        raise ValueError(f"expected feature maps (C, H, W) or (1, C, H, W), got {tuple(m.shape)}")
    if titles is None:
        titles = [f"channel {i}" for i in range(len(m))]
    return _grid(m.numpy(), num_cols, scale, titles, cmap, False, False, title)


class ProgressBoard:
    """Curves that grow while training, redrawn in place in a notebook.

    Points are added with :meth:`draw`; the figure is redrawn at most every
    ``min_interval`` seconds (and always on :meth:`flush`), replacing the previous
    drawing instead of adding a new figure. Outside a notebook nothing is drawn until
    :meth:`flush` (a script then shows one figure). Each panel is one y-label.

    Example:
        >>> board = ProgressBoard(panels=("loss",), display=False)
        >>> for epoch in range(3):
        ...     board.draw(epoch, 1 / (epoch + 1), "train loss", panel="loss")
        >>> board.data["train loss"]
        ([0.0, 1.0, 2.0], [1.0, 0.5, 0.3333333333333333])
    """

    def __init__(
        self,
        panels: Sequence[str] = ("loss",),
        xlabel: str = "epoch",
        xlim: tuple[float, float] | None = None,
        figsize: tuple[float, float] | None = None,
        display: bool = True,
        min_interval: float = 2.0,
        title: str | None = None,
    ) -> None:
        self.panels, self.xlabel, self.xlim = tuple(panels), xlabel, xlim
        self.title = title
        self.figsize = figsize or (4.0 * len(self.panels), 3.0)
        self.display = display
        self.min_interval = min_interval
        self.data: dict[str, tuple[list[float], list[float]]] = {}
        self.panel_of: dict[str, str] = {}
        self._handle = None
        self._last_draw = -float("inf")

    def draw(self, x: float, y: float, label: str, panel: str | None = None) -> None:
        """Add point (x, y) to the curve ``label`` (on ``panel``) and redraw if due."""
        panel = panel or self.panels[0]
        if panel not in self.panels:
            raise ValueError(f"unknown panel {panel!r}; this board has {self.panels}")
        xs, ys = self.data.setdefault(label, ([], []))
        self.panel_of[label] = panel
        xs.append(float(x))
        ys.append(float(y))
        if time.perf_counter() - self._last_draw >= self.min_interval:
            self._render()

    def figure(self):
        """A new matplotlib figure with the curves so far."""
        fig, axes = plt.subplots(1, len(self.panels), figsize=self.figsize, squeeze=False)
        styles = ["-", "--", "-.", ":"]
        for ax, panel in zip(axes[0], self.panels):
            labels = [k for k, p in self.panel_of.items() if p == panel]
            for i, label in enumerate(labels):
                xs, ys = self.data[label]
                marker = "o" if len(xs) < 3 else None
                ax.plot(xs, ys, styles[i % len(styles)], marker=marker, label=label)
            ax.set_xlabel(self.xlabel)
            ax.set_ylabel(panel)
            if self.xlim:
                ax.set_xlim(self.xlim)
            ax.grid(True, alpha=0.3)
            if labels:
                ax.legend(fontsize=8)
        if self.title:
            fig.suptitle(self.title)
        fig.tight_layout()
        return fig

    def _render(self) -> None:
        self._last_draw = time.perf_counter()
        if not (self.display and in_notebook()):
            return
        from IPython.display import display

        fig = self.figure()
        if self._handle is None:
            self._handle = display(fig, display_id=True)
        else:
            self._handle.update(fig)
        plt.close(fig)

    def flush(self) -> None:
        """Draw now; in a script (no notebook) show the one final figure."""
        if self.display and in_notebook():
            self._render()
        elif self.display and self.data:
            self.figure()
            plt.show()

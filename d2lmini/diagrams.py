"""Architecture drawings: a network as a row of tensors, with the shape at each stage.

Image-shaped stages ``(C, H, W)`` are drawn as a stack of squares whose size follows
``H``; flat stages ``(N,)`` as a bar whose height follows ``N``. The operation that
turns one stage into the next is written under the arrow between them.

Example:
    >>> ax = draw_architecture([(1, 28, 28), (6, 28, 28), (1176,)],
    ...                        ["conv 5x5", "flatten"], title="A tiny net")
    >>> ax = draw_lenet()                       # LeNet-5 as built in chapter 8
"""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.pyplot as plt
from matplotlib.patches import FancyArrowPatch, Rectangle

__all__ = ["LENET_OPS", "LENET_STAGES", "draw_architecture", "draw_lenet"]

#: Output shape (without the batch dimension) after each stage of LeNet-5 on 28x28 input.
LENET_STAGES: tuple[tuple[int, ...], ...] = (
    (1, 28, 28), (6, 28, 28), (6, 14, 14), (16, 10, 10), (16, 5, 5), (400,), (120,), (84,), (10,),
)
#: The operations between consecutive stages of the classic LeNet-5.
LENET_OPS: tuple[str, ...] = (
    "conv 5x5\npad 2\nsigmoid", "avg-pool\n2x2, stride 2", "conv 5x5\nsigmoid",
    "avg-pool\n2x2, stride 2", "flatten", "dense\nsigmoid", "dense\nsigmoid", "dense",
)


def _check(stages: Sequence[Sequence[int]], ops: Sequence[str]) -> None:
    if len(stages) < 2:
        raise ValueError(f"need at least two stages to draw, got {len(stages)}")
    if len(ops) != len(stages) - 1:
        raise ValueError(
            f"need one operation between each pair of stages: {len(stages)} stages take "
            f"{len(stages) - 1} ops, got {len(ops)}"
        )
    for s in stages:
        if len(s) not in (1, 3) or any(int(d) < 1 for d in s):
            raise ValueError(
                f"each stage is a shape (C, H, W) or (N,) of positive sizes, got {tuple(s)}"
            )


def _label(shape: Sequence[int]) -> str:
    if len(shape) == 1:
        return f"{shape[0]}"
    c, h, w = shape
    return f"{c} @ {h}x{w}"


def draw_architecture(
    stages: Sequence[Sequence[int]],
    ops: Sequence[str],
    title: str | None = None,
    figsize: tuple[float, float] = (13, 3.6),
    ax=None,
):
    """Draw a feed-forward network as its tensors, left to right; return the axes.

    Args:
        stages: the shape after each stage, input first: ``(C, H, W)`` for feature
            maps, ``(N,)`` for vectors (no batch dimension).
        ops: ``len(stages) - 1`` labels, the operation from each stage to the next.
        title: figure title.

    Example:
        >>> ax = draw_architecture([(3, 8, 8), (10,)], ["flatten + dense"])
        >>> len(ax.texts)        # two shape labels and one operation
        3
    """
    _check(stages, ops)
    if ax is None:
        _, ax = plt.subplots(figsize=figsize)
    max_hw = max((s[1] for s in stages if len(s) == 3), default=1)
    max_n = max((s[0] for s in stages if len(s) == 1), default=1)
    slot, full = 2.4, 1.7          # horizontal room per stage, height of the largest drawing
    extents = []                   # (left, right) edge of each stage's drawing
    for i, shape in enumerate(stages):
        x = i * slot
        if len(shape) == 3:
            c, h, _ = shape
            side = 0.5 + (full - 0.5) * h / max_hw
            layers = min(c, 6)       # a few offset squares suggest the channel depth
            for k in reversed(range(layers)):
                ax.add_patch(Rectangle((x - side / 2 + 0.08 * k, -side / 2 + 0.08 * k), side, side,
                                       facecolor="#9ecae1" if k else "#3182bd", edgecolor="black",
                                       linewidth=0.8))
            top = side / 2 + 0.08 * (layers - 1)
            extents.append((x - side / 2, x + side / 2 + 0.08 * (layers - 1)))
        else:
            height = 0.3 + (full - 0.3) * shape[0] / max_n
            ax.add_patch(Rectangle((x - 0.12, -height / 2), 0.24, height,
                                   facecolor="#fdae6b", edgecolor="black", linewidth=0.8))
            top = height / 2
            extents.append((x - 0.12, x + 0.12))
        ax.text(x, top + 0.15, _label(shape), ha="center", va="bottom", fontsize=9)
    for i, op in enumerate(ops):
        x0, x1 = extents[i][1] + 0.1, extents[i + 1][0] - 0.1
        ax.add_patch(FancyArrowPatch((x0, 0), (x1, 0), arrowstyle="-|>", mutation_scale=12,
                                     color="dimgray"))
        ax.text((i + 0.5) * slot, -1.25, op, ha="center", va="top", fontsize=8, color="dimgray")
    ax.set_xlim(-slot / 2, (len(stages) - 0.5) * slot)
    ax.set_ylim(-2.3, 1.8)
    ax.set_aspect("equal")
    ax.axis("off")
    if title:
        ax.set_title(title)
    return ax


def draw_lenet(modern: bool = False, title: str | None = None, ax=None):
    """Draw LeNet-5 on 28x28 inputs with the shape after every stage; return the axes.

    ``modern=True`` labels the ReLU / max-pooling variant (same shapes).

    Example:
        >>> ax = draw_lenet(modern=True)
    """
    ops = LENET_OPS
    if modern:
        ops = tuple(op.replace("sigmoid", "ReLU").replace("avg-pool", "max-pool") for op in ops)
    if title is None:
        title = ("Modern LeNet (ReLU, max pooling)" if modern else "LeNet-5") + \
            ": output shape after each stage (channels @ height x width)"
    return draw_architecture(LENET_STAGES, ops, title=title, ax=ax)

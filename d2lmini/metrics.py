"""Where a classifier goes wrong: the confusion matrix, its plot and its largest errors.

Rows are the true classes, columns the predicted ones, so ``cm[i, j]`` counts the
examples of class ``i`` that the model called ``j``; the diagonal holds the correct
answers.

Example:
    >>> import d2lmini as d2l
    >>> data = d2l.FashionMNIST(batch_size=256)                       # doctest: +SKIP
    >>> cm = confusion_matrix(model, data.val_dataloader())           # doctest: +SKIP
    >>> ax = show_confusion_matrix(cm, data.labels)                   # doctest: +SKIP
    >>> most_confused(cm, data.labels, k=3)                           # doctest: +SKIP
    [('Shirt', 'T-shirt/top', 121), ...]
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import matplotlib.pyplot as plt
import numpy as np
import torch
from torch import nn

from .device import _module_device

__all__ = ["confusion_matrix", "most_confused", "show_confusion_matrix"]


def _check_cm(cm, class_names: Sequence[str] | None = None) -> torch.Tensor:
    cm = torch.as_tensor(cm)
    if cm.dim() != 2 or cm.shape[0] != cm.shape[1]:
        raise ValueError(f"a confusion matrix is square (K, K), got shape {tuple(cm.shape)}")
    if class_names is not None and len(class_names) != cm.shape[0]:
        raise ValueError(
            f"got {len(class_names)} class names for a {cm.shape[0]}x{cm.shape[1]} confusion matrix"
        )
    return cm


@torch.no_grad()
def confusion_matrix(model: nn.Module, loader: Iterable, num_classes: int | None = None) -> torch.Tensor:
    """Count (true class, predicted class) pairs of ``model`` over every batch of ``loader``.

    Args:
        model: returns logits (B, K) for a batch ``X``; it runs in eval mode on the
            device of its parameters (its previous mode is restored afterwards).
        loader: yields ``(X, y)`` with integer labels ``y`` of shape (B,).
        num_classes: K; by default the width of the model's output.

    Returns:
        An int64 tensor (K, K) on the CPU: ``cm[i, j]`` = examples of class ``i``
        predicted as ``j``. Its sum is the number of examples.

    Example:
        >>> net = nn.Sequential(nn.Flatten(), nn.Linear(4, 3))
        >>> loader = [(torch.randn(5, 1, 2, 2), torch.tensor([0, 1, 2, 2, 1]))]
        >>> confusion_matrix(net, loader).sum().item()
        5
    """
    device = _module_device(model)
    was_training = model.training
    model.eval()
    cm = None
    try:
        for batch in loader:
            if not isinstance(batch, (tuple, list)) or len(batch) != 2:
                raise ValueError("the loader must yield (X, y) pairs of inputs and integer labels")
            X, y = batch[0].to(device), batch[1].to(device)
            logits = model(X)
            if logits.dim() != 2 or logits.shape[0] != len(y):
                raise ValueError(
                    f"expected logits of shape ({len(y)}, classes), got {tuple(logits.shape)}"
                )
            if num_classes is not None and num_classes < logits.shape[1]:
                raise ValueError(
                    f"num_classes={num_classes} but the model scores {logits.shape[1]} classes: "
                    "a prediction could land outside the matrix; leave num_classes out or "
                    "give at least the width of the model's output"
                )
            k = num_classes if num_classes is not None else logits.shape[1]
            if cm is None:
                cm = torch.zeros(k * k, dtype=torch.int64, device=device)
            if y.dtype.is_floating_point or (len(y) and (y.min() < 0 or y.max() >= k)):
                raise ValueError(f"labels must be integers in [0, {k}), got {y[:8].tolist()}...")
            pred = logits.argmax(dim=1)
            cm += torch.bincount(y * k + pred, minlength=k * k)
    finally:
        model.train(was_training)
    if cm is None:
        raise ValueError("the loader yielded no batches")
    return cm.reshape(k, k).cpu()


def most_confused(cm, class_names: Sequence[str], k: int = 5) -> list[tuple[str, str, int]]:
    """The ``k`` largest off-diagonal cells as ``(true name, predicted name, count)``.

    Example:
        >>> most_confused(torch.tensor([[5, 1], [3, 4]]), ["cat", "dog"], k=1)
        [('dog', 'cat', 3)]
    """
    if not isinstance(k, int) or k < 0:
        raise ValueError(f"k must be a whole number of pairs, 0 or more, got {k!r}")
    cm = _check_cm(cm, class_names)
    errors = cm.to(torch.float64, copy=True)   # also safe for unsigned counts (uint8 has no -1)
    errors.fill_diagonal_(-1)
    counts, flat = errors.flatten().sort(descending=True, stable=True)
    n = cm.shape[0]
    return [(class_names[int(i) // n], class_names[int(i) % n], int(c))
            for c, i in zip(counts[:k], flat[:k]) if c > 0]


def show_confusion_matrix(
    cm,
    class_names: Sequence[str],
    title: str = "Confusion matrix",
    emphasize_errors: bool = True,
    figsize: tuple[float, float] = (7, 6),
    ax=None,
):
    """Draw a confusion matrix with its counts, rows = true class, columns = predicted.

    With ``emphasize_errors`` (default) the colour scale stops at the largest
    off-diagonal count, so that the mistakes are visible next to the much larger
    diagonal (the diagonal cells are then all at full colour: read their numbers).
    A float matrix (e.g. each row divided by its sum) is drawn with its fractions.

    Example:
        >>> ax = show_confusion_matrix(torch.tensor([[5, 1], [3, 4]]), ["cat", "dog"])
        >>> ax.get_xlabel()
        'predicted class'
    """
    cm = _check_cm(cm, class_names).cpu().numpy()
    n = cm.shape[0]
    off = cm[~np.eye(n, dtype=bool)]
    top = float(off.max()) if emphasize_errors and off.size else float(cm.max())
    vmax = top if top > 0 else 1.0
    fractions = np.issubdtype(cm.dtype, np.floating)
    if ax is None:
        _, ax = plt.subplots(figsize=figsize)
    image = ax.imshow(cm, cmap="Blues", vmin=0, vmax=vmax)
    cbar = ax.figure.colorbar(image, ax=ax, fraction=0.046, pad=0.04)
    cbar.set_label("examples" + (" (colour capped at the largest error)" if emphasize_errors else ""))
    for (r, c), v in np.ndenumerate(cm):
        dark = v > 0.6 * vmax
        ax.text(c, r, f"{v:.2f}" if fractions else str(int(v)), ha="center", va="center", fontsize=7,
                color="white" if dark else "black", fontweight="bold" if r == c else "normal")
    ax.set_xticks(range(n), labels=class_names, rotation=45, ha="right", rotation_mode="anchor")
    ax.set_yticks(range(n), labels=class_names)
    ax.set_xlabel("predicted class")
    ax.set_ylabel("true class")
    ax.set_title(title)
    ax.figure.tight_layout()
    return ax

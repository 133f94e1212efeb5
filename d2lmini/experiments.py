"""Small training experiments: train model variants for several seeds, quietly, and compare.

One helper serves every sweep of the course's lab: :func:`train_seeds` builds a fresh
model from a factory for each seed, trains it with :class:`~d2lmini.Trainer` without
live output and returns the final validation accuracies and histories as :class:`Runs`;
:func:`sweep` does that for several named variants and :func:`results_table` prints
mean and spread. :func:`subset` makes a smaller data module for quick sweeps.

Example:
    >>> import d2lmini as d2l                                             # doctest: +SKIP
    >>> data = d2l.experiments.subset(d2l.FashionMNIST(128), n_train=10_000)  # doctest: +SKIP
    >>> runs = d2l.sweep({"modern": d2l.models.ModernLeNet}, data,        # doctest: +SKIP
    ...                  max_epochs=2, seeds=(0, 1))
    >>> print(d2l.results_table(runs))                                    # doctest: +SKIP
    variant  val acc (mean ± std)  runs
    modern   0.781 ± 0.004            2
"""

from __future__ import annotations

import contextlib
import io
import math
import statistics
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import torch

from .data import DataModule, TensorLoader
from .device import set_seed
from .module import Module
from .trainer import History, Trainer

__all__ = ["Runs", "SubsetData", "plot_runs", "results_table", "subset", "sweep", "train_seeds"]


@dataclass
class Runs:
    """The runs of one model variant: one entry per seed.

    ``val_acc`` holds each run's final validation accuracy, ``histories`` the per-epoch
    :class:`~d2lmini.History` of each run and ``models`` the trained models (empty unless
    asked for with ``keep_models=True``).

    Example:
        >>> r = Runs("a", [0, 1], [0.80, 0.84])
        >>> round(r.mean, 2), round(r.std, 3)
        (0.82, 0.028)
    """

    name: str
    seeds: list[int]
    val_acc: list[float]
    histories: list[History] = field(default_factory=list)
    models: list[Module] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def mean(self) -> float:
        """Mean final validation accuracy over the seeds."""
        return statistics.fmean(self.val_acc)

    @property
    def std(self) -> float:
        """Sample standard deviation over the seeds (0 for a single run)."""
        return statistics.stdev(self.val_acc) if len(self.val_acc) > 1 else 0.0

    def curve(self, key: str = "val_acc") -> list[float]:
        """Per-epoch mean of metric ``key`` over the seeds (needs the histories)."""
        if not self.histories:
            raise ValueError(f"Runs {self.name!r} has no histories to average")
        columns = [h[key] for h in self.histories]
        return [statistics.fmean(epoch) for epoch in zip(*columns)]

    def __repr__(self) -> str:
        return (f"Runs({self.name!r}: val acc {self.mean:.3f} ± {self.std:.3f} "
                f"over {len(self.val_acc)} seed(s))")


class SubsetData(DataModule):
    """A fixed random part of a data module's splits (same part on every call).

    Batches are resized like the original's when its ``resize`` attribute is set
    (:func:`subset` copies it).

    Example:
        >>> small = SubsetData(torch.zeros(100, 28, 28, dtype=torch.uint8), torch.arange(100),
        ...                    torch.zeros(20, 28, 28, dtype=torch.uint8), torch.arange(20), 32)
        >>> len(small.train_dataloader()), len(small.val_dataloader())
        (4, 1)
    """

    def __init__(self, train_images: torch.Tensor, train_labels: torch.Tensor,
                 val_images: torch.Tensor, val_labels: torch.Tensor, batch_size: int) -> None:
        self.train_images, self.train_labels = train_images, train_labels
        self.val_images, self.val_labels = val_images, val_labels
        self.batch_size = batch_size
        self.resize: tuple[int, int] | None = None

    def get_dataloader(self, train: bool) -> TensorLoader:
        if train:
            return TensorLoader(self.train_images, self.train_labels, self.batch_size, shuffle=True,
                                resize=self.resize)
        return TensorLoader(self.val_images, self.val_labels, self.batch_size, resize=self.resize)

    def __repr__(self) -> str:
        return (f"SubsetData(train={len(self.train_labels)}, val={len(self.val_labels)}, "
                f"batch_size={self.batch_size})")


def subset(data, n_train: int | None = None, n_val: int | None = None, seed: int = 0) -> SubsetData:
    """A smaller copy of ``data`` (e.g. ``d2l.FashionMNIST``): ``n_train`` training and
    ``n_val`` validation examples drawn at random once (``None`` keeps the whole split).

    The draw uses its own generator seeded with ``seed``, so it does not disturb the
    global random state and gives the same examples on every run.

    Example:
        >>> small = subset(d2l.FashionMNIST(128), n_train=10_000)        # doctest: +SKIP
    """
    for split in ("train", "val"):
        if not hasattr(getattr(data, split, None), "images"):
            raise TypeError(
                f"subset needs a data module with .train and .val image splits, such as "
                f"d2l.FashionMNIST(...) or d2l.MNIST(...); got {type(data).__name__}"
            )
    gen = torch.Generator().manual_seed(seed)

    def pick(split, n: int | None, what: str):
        total = len(split.labels)
        if n is None:
            return split.images, split.labels
        if not isinstance(n, int) or not 1 <= n <= total:
            raise ValueError(f"{what} must be an int between 1 and {total}, got {n!r}")
        idx = torch.randperm(total, generator=gen)[:n]
        return split.images[idx], split.labels[idx]

    small = SubsetData(*pick(data.train, n_train, "n_train"), *pick(data.val, n_val, "n_val"),
                       batch_size=data.batch_size)
    small.resize = getattr(data, "resize", None)   # e.g. FashionMNIST(128, resize=32)
    return small


def train_seeds(
    make_model: Callable[[], Module],
    data,
    max_epochs: int,
    seeds: Iterable[int] = (0,),
    name: str = "",
    keep_models: bool = False,
    device: torch.device | str | None = None,
) -> Runs:
    """Train a fresh ``make_model()`` once per seed and return the :class:`Runs`.

    Before building each model the global seed is set (:func:`~d2lmini.set_seed`), so
    initial weights and batch order depend on the seed only. Training uses
    :class:`~d2lmini.Trainer` with no live output (its per-epoch lines are swallowed);
    a diverging run raises :class:`~d2lmini.TrainingDivergedError` as usual.

    Args:
        make_model: a function (or class) with no required arguments that returns a new
            :class:`~d2lmini.Module`, e.g. ``d2l.models.ModernLeNet`` or
            ``lambda: MyNet(lr=0.3)``.
        data: a data module (``d2l.FashionMNIST(...)``, :func:`subset` of one, ...).
        max_epochs: epochs per run.
        seeds: one run per seed.
        name: the variant's name, used in tables and plots.
        keep_models: also return the trained models (they stay on ``device``).
        device: where to train; ``None`` lets the Trainer pick the fastest device.

    Example:
        >>> runs = train_seeds(d2l.models.ModernLeNet, data, 2, seeds=(0, 1))  # doctest: +SKIP
        >>> runs.val_acc                                                     # doctest: +SKIP
        [0.842, 0.836]
    """
    seeds = list(seeds)
    if not seeds:
        raise ValueError("seeds is empty: give at least one seed, e.g. seeds=(0,)")
    if isinstance(make_model, torch.nn.Module):
        raise TypeError(
            f"make_model must be a function or class that builds a model, got a model "
            f"({type(make_model).__name__}); every seed needs a fresh one: pass e.g. "
            f"{type(make_model).__name__} or lambda: {type(make_model).__name__}(lr=0.1)"
        )
    if not callable(make_model):
        raise TypeError(f"make_model must be a function or class that builds a model, "
                        f"got {type(make_model).__name__}")
    runs = Runs(name or getattr(make_model, "__name__", "model"), seeds, [])
    for seed in seeds:
        set_seed(seed)
        model = make_model()
        if not isinstance(model, Module):
            raise TypeError(
                f"make_model() returned a {type(model).__name__}; it must return a d2lmini "
                "Module (e.g. a d2l.Classifier subclass) so the Trainer can train it"
            )
        trainer = Trainer(max_epochs=max_epochs, device=device, progress=False)
        with contextlib.redirect_stdout(io.StringIO()):
            history = trainer.fit(model, data)
        if history.interrupted:
            raise KeyboardInterrupt(f"stopped during {runs.name!r}, seed {seed}")
        runs.val_acc.append(history.last["val_acc"])
        runs.histories.append(history)
        runs.seconds += sum(history["seconds"])
        if keep_models:
            runs.models.append(model)
    return runs


def sweep(
    variants: Mapping[str, Callable[[], Module]],
    data,
    max_epochs: int,
    seeds: Iterable[int] = (0,),
    keep_models: bool = False,
    device: torch.device | str | None = None,
) -> dict[str, Runs]:
    """Run :func:`train_seeds` for every named variant; returns ``{name: Runs}`` in order.

    Example:
        >>> runs = sweep({"k=3": lambda: Net(k=3), "k=5": lambda: Net(k=5)},  # doctest: +SKIP
        ...              data, max_epochs=2, seeds=(0, 1))
    """
    if not variants:
        raise ValueError("variants is empty: give a dict {name: model factory}")
    seeds = list(seeds)
    return {name: train_seeds(make, data, max_epochs, seeds, name, keep_models, device)
            for name, make in variants.items()}


def results_table(runs: Mapping[str, Runs] | Sequence[Runs], digits: int = 3) -> str:
    """A text table of mean ± standard deviation of the final accuracy, one row per variant.

    Example:
        >>> print(results_table([Runs("a", [0, 1], [0.80, 0.84]), Runs("b", [0], [0.9])]))
        variant  val acc (mean ± std)  runs
        a        0.820 ± 0.028            2
        b        0.900 ± 0.000            1
    """
    rows = list(runs.values()) if isinstance(runs, Mapping) else list(runs)
    if not rows:
        raise ValueError("no runs to tabulate")
    width = max(len("variant"), *(len(r.name) for r in rows))
    head = "val acc (mean ± std)"
    lines = [f"{'variant':<{width}}  {head}  runs"]
    for r in rows:
        cell = f"{r.mean:.{digits}f} ± {r.std:.{digits}f}"
        if math.isnan(r.mean):
            cell = "nan"
        lines.append(f"{r.name:<{width}}  {cell:<{len(head)}}  {len(r.val_acc):>4}")
    return "\n".join(lines)


def plot_runs(runs: Mapping[str, Runs] | Sequence[Runs], title: str, xlabel: str = "variant",
              ylabel: str = "final validation accuracy", ax=None):
    """Plot each variant's final accuracy: one dot per seed, and the mean ± std as a bar.

    Returns the matplotlib axes; end the cell with ``plt.show()``.

    Example:
        >>> ax = plot_runs([Runs("a", [0, 1], [0.80, 0.84]), Runs("b", [0], [0.9])], "demo")
    """
    import matplotlib.pyplot as plt

    rows = list(runs.values()) if isinstance(runs, Mapping) else list(runs)
    if not rows:
        raise ValueError("no runs to plot")
    if ax is None:
        _, ax = plt.subplots(figsize=(max(4.0, 1.1 * len(rows) + 1.5), 3.0))
    for i, r in enumerate(rows):
        ax.scatter([i] * len(r.val_acc), r.val_acc, s=16, color="tab:blue", alpha=0.6,
                   label="one seed" if i == 0 else None, zorder=3)
        ax.errorbar(i, r.mean, yerr=r.std, fmt="_", markersize=18, color="black", capsize=5,
                    label="mean ± std" if i == 0 else None, zorder=2)
    ax.set_xticks(range(len(rows)), [r.name for r in rows])
    ax.set_xlim(-0.6, len(rows) - 0.4)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.grid(True, axis="y", alpha=0.3)
    ax.legend(fontsize=8)
    return ax

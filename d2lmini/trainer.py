"""The Trainer: runs a :class:`~d2lmini.Module` on a data module, epoch by epoch.

It picks the device, moves model and data there, shows live progress in a notebook,
records a per-epoch :class:`History`, stops cleanly on Ctrl-C, and stops with a clear
message when the loss diverges.

Example:
    >>> import d2lmini as d2l
    >>> trainer = d2l.Trainer(max_epochs=10)                   # doctest: +SKIP
    >>> history = trainer.fit(model, d2l.FashionMNIST(128))    # doctest: +SKIP
    >>> history.last["val_acc"]                                # doctest: +SKIP
    0.85
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterable

import torch
from torch import nn

from .device import best_device, cpu
from .module import Module
from .plot import ProgressBoard, in_notebook

__all__ = ["History", "Trainer", "TrainingDivergedError"]

COLUMNS = ("epoch", "train_loss", "train_acc", "val_loss", "val_acc", "examples_per_sec", "seconds")


class TrainingDivergedError(RuntimeError):
    """The training loss became NaN or infinite."""


class History:
    """What happened in each epoch: a list of dicts with the keys in ``COLUMNS``.

    ``history["val_acc"]`` is the list of one metric over epochs, ``history.last`` the
    final epoch's record, ``history.plot()`` draws the curves.

    Example:
        >>> h = History(); h.append({"epoch": 1, "train_loss": 0.5})
        >>> h["train_loss"], h.last["epoch"]
        ([0.5], 1)
    """

    def __init__(self, device: str = "", interrupted: bool = False) -> None:
        self.records: list[dict[str, float]] = []
        self.device, self.interrupted = device, interrupted

    def append(self, record: dict[str, float]) -> None:
        self.records.append(dict(record))

    def __len__(self) -> int:
        return len(self.records)

    def __getitem__(self, key: str) -> list[float]:
        if self.records and key not in self.records[0]:
            raise KeyError(f"no metric {key!r}; recorded: {', '.join(self.records[0])}")
        return [r.get(key, math.nan) for r in self.records]

    @property
    def last(self) -> dict[str, float]:
        if not self.records:
            raise IndexError("the history is empty: no epoch has finished yet")
        return self.records[-1]

    def __repr__(self) -> str:
        if not self.records:
            return "History(no epochs)"
        keys = [k for k in COLUMNS if k in self.records[0]]
        lines = ["  ".join(f"{k:>10}" if k != "examples_per_sec" else f"{'examples/s':>10}" for k in keys)]
        for r in self.records:
            cells = []
            for k in keys:
                v = r[k]
                cells.append(f"{int(v):>10}" if k == "epoch" else
                             f"{v:>10,.0f}" if k == "examples_per_sec" else
                             f"{v:>10.1f}" if k == "seconds" else f"{v:>10.4f}")
            lines.append("  ".join(cells))
        return "\n".join(lines)

    def plot(self, title: str | None = None):
        """Loss and accuracy per epoch, training and validation, side by side."""
        board = _board(max(1, len(self)), display=False, title=title)
        for r in self.records:
            _draw_epoch(board, r)
        return board.figure()


def _board(max_epochs: int, display: bool, title: str | None = None) -> ProgressBoard:
    return ProgressBoard(panels=("loss", "accuracy"), xlabel="epoch",
                         xlim=(0, max_epochs), display=display, title=title)


def _draw_epoch(board: ProgressBoard, r: dict[str, float]) -> None:
    for key, panel in (("train_loss", "loss"), ("val_loss", "loss"),
                       ("train_acc", "accuracy"), ("val_acc", "accuracy")):
        if key in r and not math.isnan(r[key]):
            board.draw(r["epoch"], r[key], key.replace("_", " "), panel=panel)


class _Metrics:
    """Per-epoch weighted sums of logged metrics, kept on the device (no syncs)."""

    def __init__(self) -> None:
        self.sums: dict[str, torch.Tensor] = {}
        self.counts: dict[str, int] = {}

    def __call__(self, name: str, value, n: int) -> None:
        value = value.detach() if isinstance(value, torch.Tensor) else torch.tensor(float(value))
        self.sums[name] = self.sums.get(name, 0) + value * n
        self.counts[name] = self.counts.get(name, 0) + n

    def means(self) -> dict[str, float]:
        return {k: (v / self.counts[k]).item() for k, v in self.sums.items()}


class Trainer:
    """Train a :class:`~d2lmini.Module` on a data module for ``max_epochs`` epochs.

    Args:
        max_epochs: number of passes over the training data.
        num_gpus: ``None`` (default) uses the fastest device here (CUDA, then Apple
            MPS, then the CPU); ``0`` forces the CPU; ``1`` or more asks for a GPU and
            falls back like ``None`` (Apple MPS, else the CPU) when there is no CUDA GPU.
            Only one GPU is used, whatever the number.
        device: a device to use instead of choosing one (overrides ``num_gpus``).
        gradient_clip_val: clip the gradient norm to this value (0 = no clipping).
        progress: show a live progress line and curves in a notebook (one line per
            epoch in a script).

    Example:
        >>> trainer = Trainer(max_epochs=2, num_gpus=0)
        >>> trainer.device
        device(type='cpu')
    """

    def __init__(
        self,
        max_epochs: int,
        num_gpus: int | None = None,
        device: torch.device | str | None = None,
        gradient_clip_val: float = 0.0,
        progress: bool = True,
    ) -> None:
        if not isinstance(max_epochs, int) or max_epochs < 1:
            raise ValueError(f"max_epochs must be a positive int, got {max_epochs!r}")
        if device is not None:
            self.device = torch.device(device)
        elif num_gpus == 0:
            self.device = cpu()
        else:  # None, or a request for GPUs: the fastest single device here
            self.device = best_device()
        self.max_epochs = max_epochs
        self.gradient_clip_val = gradient_clip_val
        self.progress = progress
        self.history = History(str(self.device))

    def __repr__(self) -> str:
        return f"Trainer(max_epochs={self.max_epochs}, device={self.device})"

    def _loader(self, loader: Iterable) -> Iterable:
        return loader.to(self.device) if hasattr(loader, "to") else loader

    def _batch(self, batch) -> list[torch.Tensor]:
        batch = [b.to(self.device, non_blocking=True) for b in batch]
        if self._channels_last and batch[0].dim() == 4:
            batch[0] = batch[0].contiguous(memory_format=torch.channels_last)
        return batch

    def fit(self, model: Module, data) -> History:
        """Train ``model`` on ``data`` and return the :class:`History` (also ``self.history``).

        Press Ctrl-C (or the notebook's stop button) to stop between two steps: the
        model keeps its weights and the history the epochs finished so far.
        """
        if not isinstance(model, Module):
            raise TypeError(
                f"Trainer.fit needs a d2lmini Module (e.g. a Classifier subclass), got "
                f"{type(model).__name__}; a plain nn.Module has no training_step or optimiser"
            )
        self.model, self.data = model, data
        train_loader = self._loader(data.train_dataloader())
        val_loader = self._loader(data.val_dataloader())
        self.num_train_batches = len(train_loader)
        model.to(self.device)
        # Convolutions run faster on channels-last tensors on CPUs and recent GPUs.
        self._channels_last = any(isinstance(m, nn.Conv2d) for m in model.modules())
        if self._channels_last:
            model.to(memory_format=torch.channels_last)
        self.optim = model.configure_optimizers()
        self.history = History(str(self.device))
        show = self.progress and in_notebook()
        title = f"Training {type(model).__name__} on {type(data).__name__} ({self.device})"
        board = _board(self.max_epochs, display=show, title=title)
        status = _Status(show, self.progress, self.max_epochs, self.num_train_batches, self.device)
        self.epoch = 0
        try:
            for epoch in range(1, self.max_epochs + 1):
                self.epoch = epoch
                record = self._fit_epoch(train_loader, val_loader, status)
                self.history.append(record)
                _draw_epoch(board, record)
                if show:
                    board.flush()
                status.epoch_done(record)
        except KeyboardInterrupt:
            self.history.interrupted = True
            status.write(
                f"Stopped by the user in epoch {self.epoch}. The model keeps its weights; "
                f"the history has the {len(self.history)} finished epoch(s)."
            )
        finally:
            model._metric_sink = None
            model.eval()
        return self.history

    def _fit_epoch(self, train_loader, val_loader, status) -> dict[str, float]:
        model = self.model
        model.train()
        metrics = _Metrics()
        model._metric_sink = metrics
        examples, start = 0, time.perf_counter()
        for step, batch in enumerate(train_loader, 1):
            batch = self._batch(batch)
            loss = model.training_step(batch)
            self.optim.zero_grad(set_to_none=True)
            loss.backward()
            if self.gradient_clip_val > 0:
                nn.utils.clip_grad_norm_(model.parameters(), self.gradient_clip_val)
            self.optim.step()
            examples += len(batch[-1])
            if step % 20 == 0 or step == self.num_train_batches:
                self._check_finite(loss)
                status.step(self.epoch, step, loss, examples / (time.perf_counter() - start))
        train_seconds = time.perf_counter() - start
        train = metrics.means()
        model.eval()
        metrics = _Metrics()
        model._metric_sink = metrics
        with torch.no_grad():
            for batch in val_loader:
                model.validation_step(self._batch(batch))
        val = metrics.means()
        record = {"epoch": self.epoch}
        record.update({f"train_{k}": v for k, v in train.items()})
        record.update({f"val_{k}": v for k, v in val.items()})
        record["examples_per_sec"] = examples / train_seconds
        record["seconds"] = time.perf_counter() - start
        return record

    def _check_finite(self, loss: torch.Tensor) -> None:
        value = loss.item()
        if not math.isfinite(value):
            lr = getattr(self.model, "lr", None)
            hint = f" (it is {lr} now)" if lr is not None else ""
            raise TrainingDivergedError(
                f"Training diverged: the loss became {value} in epoch {self.epoch}. "
                f"Try a smaller learning rate{hint}, e.g. ten times smaller, or check the "
                "inputs for NaNs. The model's weights are now unusable: rebuild it before "
                "training again."
            ) from None


class _Status:
    """One progress line, updated in place in a notebook; one line per epoch in a script.

    With ``verbose=False`` only a Ctrl-C message is printed.
    """

    def __init__(self, live: bool, verbose: bool, max_epochs: int, num_batches: int, device) -> None:
        self.live, self.verbose = live, verbose
        self.max_epochs, self.num_batches = max_epochs, num_batches
        self.device = device
        self._handle = None
        self._last = 0.0

    def _show(self, text: str, force: bool = False) -> None:
        if not self.live:
            return
        now = time.perf_counter()
        if not force and now - self._last < 0.5:
            return
        self._last = now
        from IPython.display import Pretty, display

        if self._handle is None:
            self._handle = display(Pretty(text), display_id=True)
        else:
            self._handle.update(Pretty(text))

    def step(self, epoch: int, step: int, loss: torch.Tensor, speed: float) -> None:
        if not self.live:
            return
        done = int(20 * step / self.num_batches)
        bar = "#" * done + "." * (20 - done)
        self._show(f"epoch {epoch}/{self.max_epochs} [{bar}] batch {step}/{self.num_batches}, "
                   f"loss {loss.item():.4f}, {speed:,.0f} examples/s on {self.device}")

    def epoch_done(self, r: dict[str, float]) -> None:
        text = (f"epoch {int(r['epoch'])}/{self.max_epochs}: train loss {r.get('train_loss', math.nan):.4f}"
                + (f", train acc {r['train_acc']:.3f}" if "train_acc" in r else "")
                + (f", val loss {r['val_loss']:.4f}" if "val_loss" in r else "")
                + (f", val acc {r['val_acc']:.3f}" if "val_acc" in r else "")
                + f" | {r['examples_per_sec']:,.0f} examples/s on {self.device}, {r['seconds']:.1f} s")
        if self.live:
            self._show(text, force=True)
        elif self.verbose:
            print(text)

    def write(self, text: str) -> None:
        print(text)

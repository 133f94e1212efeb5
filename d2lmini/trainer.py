"""The Trainer: runs a :class:`~d2lmini.Module` on a data module, epoch by epoch.

One batch's path, top to bottom: :meth:`Trainer.fit` takes the data module's loaders,
checks the model once on a first batch (layers that do not fit, outputs that do not fit
the labels), then :meth:`Trainer._run_epoch` feeds every batch to
``model.training_step``, steps the optimiser and adds the batch's metrics to the
epoch's sums; the means become one record of the :class:`History`, and
:class:`_Progress` shows it (a live line and curves in a notebook, a line in a script).
"""

from __future__ import annotations

import math
import time

import matplotlib.pyplot as plt
import torch
from torch import nn

from .device import cpu, try_gpu
from .module import Classifier, Module, check_outputs, trace
from .plot import WIDTH, notebook_shell

__all__ = ["History", "Trainer", "TrainingDivergedError"]


class TrainingDivergedError(RuntimeError):
    """The training loss became NaN, infinite, or exploded."""


class History:
    """What happened in each epoch: one dict per epoch (``epoch``, ``train_loss``, ...).

    ``history["val_acc"]`` is one metric over the epochs, ``history.last`` the final
    epoch's record, ``history.plot()`` draws the curves.

    Example:
        >>> h = History(); h.records.append({"epoch": 1, "train_loss": 0.5})
        >>> h["train_loss"], h.last["epoch"]
        ([0.5], 1)
    """

    def __init__(self, device: str = "") -> None:
        self.records: list[dict[str, float]] = []
        self.device, self.interrupted = device, False

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
        heads = {"epoch": "epoch", "train_loss": "tr loss", "train_acc": "tr acc", "val_loss": "val loss",
                 "val_acc": "val acc", "examples_per_sec": "ex/s", "seconds": "s"}
        keys = [k for k in heads if self.records and k in self.records[0]] or ["epoch"]
        lines = ["".join(f"{heads[k]:>9}" for k in keys)]
        for r in self.records:
            lines.append("".join(f"{r[k]:>9.0f}" if k in ("epoch", "examples_per_sec") else
                                 f"{r[k]:>9.1f}" if k == "seconds" else f"{r[k]:>9.4f}" for k in keys))
        return "\n".join(lines)

    def plot(self, title: str | None = None, max_epochs: int | None = None):
        """Loss and accuracy per epoch, training and validation, side by side; returns the figure."""
        fig, axes = plt.subplots(1, 2, figsize=(WIDTH, 2.8))
        for ax, metric in zip(axes, ("loss", "acc")):
            for key, style in ((f"train_{metric}", "-"), (f"val_{metric}", "--")):
                if self.records and key in self.records[0]:
                    ax.plot(self["epoch"], self[key], style, marker="o" if len(self) < 3 else None,
                            label=key.replace("_", " "))
                    ax.legend()
            ax.set(xlabel="epoch", ylabel="accuracy" if metric == "acc" else metric,
                   xlim=(0, max(max_epochs or 0, len(self), 1)))
            ax.grid(True, alpha=0.3)
        fig.suptitle(title or "", fontsize=10)
        fig.tight_layout()
        return fig


class _Progress:
    """What a student sees while training: a status line and curves, updated in place
    in a notebook (at most every ``interval`` seconds); one line per epoch in a script."""

    def __init__(self, enabled: bool, title: str, max_epochs: int, num_batches: int, interval=0.5):
        self.live, self.verbose = enabled and notebook_shell() is not None, enabled
        self.title, self.max_epochs, self.num_batches = title, max_epochs, num_batches
        self.interval, self.last_shown = interval, 0.0
        self.line = self.figure = None        # IPython display handles, made on first use

    def _display(self, handle, content):
        from IPython.display import display
        if handle is None:
            return display(content, display_id=True)
        handle.update(content)
        return handle

    def step(self, epoch: int, step: int, loss: float, speed: float, device) -> None:
        if not self.live or time.perf_counter() - self.last_shown < self.interval:
            return
        from IPython.display import Pretty
        self.last_shown = time.perf_counter()
        bar = ("#" * int(20 * step / self.num_batches)).ljust(20, ".")
        self.line = self._display(self.line, Pretty(
            f"epoch {epoch}/{self.max_epochs} [{bar}] batch {step}/{self.num_batches}, "
            f"loss {loss:.4f}, {speed:,.0f} examples/s on {device}"))

    def epoch_end(self, history: History) -> None:
        r = history.last
        text = (f"epoch {int(r['epoch'])}/{self.max_epochs}: "
                + ", ".join(f"{k.replace('_', ' ')} {r[k]:.4f}" for k in r if "loss" in k or "acc" in k)
                + f" | {r['examples_per_sec']:,.0f} examples/s on {history.device}, {r['seconds']:.1f} s")
        if not self.live:
            if self.verbose:
                print(text)
            return
        from IPython.display import Pretty
        self.line = self._display(self.line, Pretty(text))
        fig = history.plot(self.title, self.max_epochs)
        self.figure = self._display(self.figure, fig)
        plt.close(fig)


class Trainer:
    """Train a :class:`~d2lmini.Module` on a data module for ``max_epochs`` epochs.

    Args:
        max_epochs: number of passes over the training data.
        num_gpus: ``None`` (default) or 1 or more uses this machine's accelerator
            (CUDA, Apple MPS, ...) when there is one, else the CPU; ``0`` forces the CPU.
            One device is used, whatever the number.
        device: a device to use instead of choosing one (overrides ``num_gpus``).
        gradient_clip_val: clip the gradient norm to this value (0 = no clipping).
        progress: show a live progress line and curves in a notebook (one line per
            epoch in a script).

    Calling :meth:`fit` again with the same model continues training: the optimiser
    keeps its state and the history goes on from the last epoch.

    Example:
        >>> trainer = Trainer(max_epochs=2, num_gpus=0)
        >>> trainer.device
        device(type='cpu')
    """

    def __init__(self, max_epochs: int, num_gpus: int | None = None, device: torch.device | str | None = None,
                 gradient_clip_val: float = 0.0, progress: bool = True) -> None:
        if isinstance(max_epochs, bool) or not isinstance(max_epochs, int) or max_epochs < 1:
            raise ValueError(f"max_epochs must be a positive int, got {max_epochs!r}")
        self.max_epochs, self.gradient_clip_val, self.progress = max_epochs, gradient_clip_val, progress
        self.device = torch.device(device) if device is not None else cpu() if num_gpus == 0 else try_gpu()
        self.model: Module | None = None       # the model of the last fit, its optimiser and history
        self.optim: torch.optim.Optimizer | None = None
        self.history = History(str(self.device))

    def fit(self, model: Module, data) -> History:
        """Train ``model`` on ``data`` and return the :class:`History` (also ``self.history``).

        Press Ctrl-C (or the notebook's stop button) to stop between two steps: the
        model keeps its weights and the history the epochs finished so far.
        """
        if not isinstance(model, Module):
            raise TypeError(f"Trainer.fit needs a d2lmini Module (e.g. a d2l.Classifier subclass), got "
                            f"{type(model).__name__}: a plain nn.Module has no training_step or optimiser")
        train_loader, val_loader = (loader.to(self.device) if hasattr(loader, "to") else loader
                                    for loader in (data.train_dataloader(), data.val_dataloader()))
        model.to(self.device)
        self._check_model(model, next(iter(val_loader), None))
        if any(isinstance(m, nn.Conv2d) for m in model.modules()):
            model.to(memory_format=torch.channels_last)   # faster convolutions on CPUs and GPUs
        if model is not self.model:   # a new model gets a new optimiser and history
            self.model, self.optim = model, model.configure_optimizers()
            self.history = History(str(self.device))
        first = len(self.history) + 1
        if first > 1:
            print(f"Continuing to train the same {type(model).__name__}: epochs {first}-"
                  f"{first + self.max_epochs - 1}, same optimiser; use a new Trainer to start afresh.")
        title = f"Training {type(model).__name__} on {type(data).__name__} ({self.device})"
        progress = _Progress(self.progress, title, first + self.max_epochs - 1, len(train_loader))
        try:
            for epoch in range(first, first + self.max_epochs):
                record = self._run_epoch(model, epoch, train_loader, val_loader, progress)
                self.history.records.append(record)
                progress.epoch_end(self.history)
        except KeyboardInterrupt:
            self.history.interrupted = True
            print(f"Stopped by the user. The model keeps its weights; the history has the "
                  f"{len(self.history)} finished epoch(s).")
        finally:
            model.eval()
        return self.history

    def _batch(self, batch, channels_last: bool) -> list[torch.Tensor]:
        batch = [b.to(self.device, non_blocking=True) for b in batch]
        if channels_last and batch[0].dim() == 4:
            batch[0] = batch[0].contiguous(memory_format=torch.channels_last)
        return batch

    def _check_model(self, model: Module, batch) -> None:
        """One forward pass on a first batch: sizes lazy layers; a shape mistake names its layer."""
        if batch is None or len(batch) != 2:
            return
        X, y = self._batch(batch, False)
        y_hat, _ = trace(model, X)
        if isinstance(model, Classifier):
            check_outputs(y_hat, y, labels=True)

    def _run_epoch(self, model: Module, epoch: int, train_loader, val_loader, progress: _Progress) -> dict:
        channels_last = any(isinstance(m, nn.Conv2d) for m in model.modules())
        model.train()
        sums: dict[str, torch.Tensor] = {}
        examples, start = 0, time.perf_counter()
        for step, batch in enumerate(train_loader, 1):
            batch = self._batch(batch, channels_last)
            out = model.training_step(batch)
            metrics = out if isinstance(out, dict) else {"loss": out}
            self.optim.zero_grad(set_to_none=True)
            metrics["loss"].backward()
            if self.gradient_clip_val > 0:
                nn.utils.clip_grad_norm_(model.parameters(), self.gradient_clip_val)
            self.optim.step()
            n = len(batch[-1])
            for k, v in metrics.items():       # weighted sums, kept on the device (no syncs)
                sums[k] = sums.get(k, 0) + v.detach() * n
            examples += n
            if step % 20 == 0 or step == len(train_loader):
                loss = metrics["loss"].item()
                self._check_diverged(model, epoch, loss)
                progress.step(epoch, step, loss, examples / (time.perf_counter() - start), self.device)
        train_seconds = time.perf_counter() - start
        record = {"epoch": epoch, **{f"train_{k}": (v / examples).item() for k, v in sums.items()}}
        model.eval()
        sums, count = {}, 0
        with torch.no_grad():
            for batch in val_loader:
                batch = self._batch(batch, channels_last)
                for k, v in (model.validation_step(batch) or {}).items():
                    sums[k] = sums.get(k, 0) + v * len(batch[-1])
                count += len(batch[-1])
        record.update({f"val_{k}": (v / count).item() for k, v in sums.items()})
        record["examples_per_sec"] = examples / train_seconds
        record["seconds"] = time.perf_counter() - start
        return record

    def _check_diverged(self, model: Module, epoch: int, loss: float) -> None:
        """Stop when the loss is NaN or infinite, or a classifier's loss has exploded past 100
        (cross-entropy starts near ln(classes), 2.3 for ten, and a sane run never gets there)."""
        if math.isfinite(loss) and (loss < 100 or not isinstance(model, Classifier)):
            return
        lr = getattr(model, "lr", None)
        raise TrainingDivergedError(
            f"Training diverged: the loss is {loss:.4g} in epoch {epoch}. Try a smaller learning rate"
            + (f" (it is {lr} now)" if lr is not None else "") + ", e.g. ten times smaller, or check the "
            f"inputs for NaNs.\ntrainer.history keeps the {len(self.history)} finished epoch(s); the "
            "weights are now unusable: build a new model before training again.") from None

"""Trainer: device choice, history, Ctrl-C, divergence, and a real short run."""

import math

import pytest
import torch
from torch import nn

import d2lmini as d2l
from d2lmini.data import DataModule, TensorLoader


class ToyData(DataModule):
    """Two classes of 8x8 images: bright left half or bright right half."""

    def __init__(self, n=256, batch_size=32, nan=False):
        g = torch.Generator().manual_seed(0)
        y = torch.randint(0, 2, (n,), generator=g)
        images = torch.randint(0, 60, (n, 8, 8), dtype=torch.uint8, generator=g)
        images[y == 0, :, :4] += 150
        images[y == 1, :, 4:] += 150
        self.images, self.labels, self.batch_size = images, y, batch_size
        self.nan = nan

    def get_dataloader(self, train):
        loader = TensorLoader(self.images, self.labels, self.batch_size, shuffle=train)
        if not self.nan:
            return loader
        return [(X * math.nan, y) for X, y in loader]


class Small(d2l.Classifier):
    def __init__(self, lr=0.5):
        super().__init__()
        self.save_hyperparameters()
        self.net = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.Flatten(),
                                 nn.Linear(4 * 64, 2))


def test_device_choice():
    assert d2l.Trainer(1, num_gpus=0).device == torch.device("cpu")
    assert d2l.Trainer(1, device="cpu").device == torch.device("cpu")
    assert d2l.Trainer(1).device == d2l.try_gpu()
    if d2l.num_gpus() == 0:  # asks for a GPU, falls back like the d2l book
        assert d2l.Trainer(1, num_gpus=1).device == d2l.try_gpu()
    with pytest.raises(ValueError, match="max_epochs"):
        d2l.Trainer(0)


def test_fit_learns_and_records_history(capsys):
    d2l.set_seed(0)
    model = Small()
    history = d2l.Trainer(max_epochs=3, num_gpus=0).fit(model, ToyData())
    assert len(history) == 3 and history["epoch"] == [1, 2, 3]
    assert set(history.last) == {"epoch", "train_loss", "train_acc", "val_loss", "val_acc",
                                 "examples_per_sec", "seconds"}
    assert history.last["val_acc"] > 0.95
    assert history["train_loss"][-1] < history["train_loss"][0]
    assert "epoch 3/3" in capsys.readouterr().out  # one line per epoch in a script
    assert "val acc" in repr(history) and not model.training
    with pytest.raises(KeyError, match="recorded"):
        history["nope"]
    assert len(history.plot().axes) == 2


def test_fit_rejects_plain_modules():
    with pytest.raises(TypeError, match="d2lmini Module"):
        d2l.Trainer(1).fit(nn.Linear(2, 2), ToyData())


def test_divergence_names_epoch_and_learning_rate():
    with pytest.raises(d2l.TrainingDivergedError, match=r"nan in epoch 1.*smaller learning rate"):
        d2l.Trainer(max_epochs=2, num_gpus=0, progress=False).fit(Small(), ToyData(nan=True))


def test_ctrl_c_keeps_weights_and_history(capsys):
    class Interrupted(Small):
        steps = 0

        def training_step(self, batch):
            Interrupted.steps += 1
            if Interrupted.steps == 12:  # in epoch 2 (8 steps an epoch)
                raise KeyboardInterrupt
            return super().training_step(batch)

    model = Interrupted()
    initial = [p.detach().clone() for p in model.parameters()]
    trainer = d2l.Trainer(max_epochs=5, num_gpus=0, progress=False)
    history = trainer.fit(model, ToyData())
    assert len(history) == 1 and history.interrupted
    assert "Stopped by the user" in capsys.readouterr().out
    # The weights are the trained ones (11 steps were taken), not reset or lost.
    assert any(not torch.equal(a, b) for a, b in zip(initial, model.parameters()))
    assert all(torch.isfinite(p).all() for p in model.parameters())


def test_gradient_clipping_runs():
    history = d2l.Trainer(1, num_gpus=0, gradient_clip_val=0.1, progress=False).fit(Small(), ToyData())
    assert len(history) == 1


def test_fit_twice_continues_and_says_so(capsys):
    model, trainer = Small(), d2l.Trainer(max_epochs=2, num_gpus=0, progress=False)
    trainer.fit(model, ToyData())
    optim = trainer.optim
    history = trainer.fit(model, ToyData())
    assert history["epoch"] == [1, 2, 3, 4] and trainer.optim is optim
    assert "Continuing to train the same Small: epochs 3-4" in capsys.readouterr().out
    other = trainer.fit(Small(), ToyData())   # another model: a fresh history and optimiser
    assert other["epoch"] == [1, 2] and trainer.optim is not optim


def test_short_real_training_run(fashion):
    d2l.set_seed(0)
    model = d2l.LeNet(lr=0.1, activation=nn.ReLU, pool=nn.MaxPool2d)
    history = d2l.Trainer(max_epochs=1, num_gpus=0, progress=False).fit(model, fashion)
    # One epoch of the ReLU/max-pool LeNet lands near 0.8 on Fashion-MNIST.
    assert history.last["val_acc"] > 0.7
    with torch.no_grad():
        correct = sum((model(X).argmax(1) == y).sum().item() for X, y in fashion.val_dataloader())
    assert abs(correct / len(fashion.val) - history.last["val_acc"]) < 1e-6

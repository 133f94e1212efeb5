"""Tests of d2lmini.experiments: the seed-sweep helper used by the LeNet lab (chapter 09)."""

from types import SimpleNamespace

import pytest
import torch
from torch import nn

import d2lmini as d2l
from d2lmini.data import ImageSplit
from d2lmini.experiments import Runs, SubsetData, plot_runs, results_table, subset, sweep, train_seeds


def _split(n, seed):
    g = torch.Generator().manual_seed(seed)
    labels = torch.randint(0, 2, (n,), generator=g)
    images = (torch.rand(n, 8, 8, generator=g) * 60).to(torch.uint8)
    images[labels == 1, :, :4] += 150   # class 1: bright left half, easy to learn
    return ImageSplit(images, labels)


@pytest.fixture
def toy():
    return SimpleNamespace(train=_split(256, 0), val=_split(128, 1), batch_size=32)


class Tiny(d2l.Classifier):
    def __init__(self, lr=0.5):
        super().__init__()
        self.save_hyperparameters()
        self.net = nn.Sequential(nn.Flatten(), nn.Linear(64, 2))


def test_runs_statistics_and_repr():
    r = Runs("a", [0, 1, 2], [0.8, 0.9, 1.0])
    assert r.mean == pytest.approx(0.9) and r.std == pytest.approx(0.1)
    assert Runs("b", [0], [0.7]).std == 0.0
    assert "a" in repr(r) and "3 seed" in repr(r)


def test_subset_is_fixed_and_sized(toy):
    a, b = subset(toy, n_train=100, n_val=50), subset(toy, n_train=100, n_val=50)
    assert len(a.train_labels) == 100 and len(a.val_labels) == 50
    assert torch.equal(a.train_images, b.train_images)      # same draw every time
    state = torch.random.get_rng_state()
    subset(toy, n_train=10)
    assert torch.equal(state, torch.random.get_rng_state())  # global RNG untouched
    assert len(subset(toy).train_labels) == 256               # None keeps everything


def test_subset_rejects_bad_sizes_and_objects(toy):
    with pytest.raises(ValueError, match="n_train must be an int between 1 and 256"):
        subset(toy, n_train=1000)
    with pytest.raises(TypeError, match="FashionMNIST"):
        subset(object())


def test_train_seeds_is_reproducible_and_quiet(toy, capsys):
    data = subset(toy)
    r1 = train_seeds(Tiny, data, max_epochs=2, seeds=(0, 1), name="tiny", keep_models=True)
    r2 = train_seeds(Tiny, data, max_epochs=2, seeds=(0, 1))
    assert capsys.readouterr().out == ""                      # no per-epoch lines
    assert r1.val_acc == r2.val_acc                           # same seeds, same results
    assert len(r1.histories) == 2 and len(r1.histories[0]) == 2 and len(r1.models) == 2
    assert r2.models == [] and r2.name == "Tiny"
    assert r1.mean > 0.9                                       # the toy problem is learned
    assert len(r1.curve()) == 2


def test_train_seeds_errors(toy):
    data = subset(toy)
    with pytest.raises(ValueError, match="seeds is empty"):
        train_seeds(Tiny, data, 1, seeds=())
    with pytest.raises(TypeError, match="d2lmini Module"):
        train_seeds(lambda: nn.Linear(2, 2), data, 1)
    with pytest.raises(TypeError, match="function or class"):
        train_seeds(Tiny(), data, 1)


def test_sweep_table_and_plot(toy):
    data = subset(toy)
    runs = sweep({"lr=0.5": Tiny, "lr=0.01": lambda: Tiny(lr=0.01)}, data, 1, seeds=(0, 1))
    assert list(runs) == ["lr=0.5", "lr=0.01"]
    table = results_table(runs)
    assert table.splitlines()[0].startswith("variant") and "lr=0.01" in table
    ax = plot_runs(runs, "demo")
    assert ax.get_title() == "demo" and len(ax.get_xticklabels()) == 2
    with pytest.raises(ValueError):
        sweep({}, data, 1)
    with pytest.raises(ValueError):
        results_table([])


def test_subset_data_loaders():
    d = SubsetData(torch.zeros(10, 4, 4, dtype=torch.uint8), torch.zeros(10, dtype=torch.long),
                   torch.zeros(4, 4, 4, dtype=torch.uint8), torch.zeros(4, dtype=torch.long), 4)
    X, y = next(iter(d.train_dataloader()))
    assert X.shape == (4, 1, 4, 4) and X.dtype == torch.float32
    assert len(d.val_dataloader()) == 1 and "train=10" in repr(d)


def test_subset_keeps_the_resize_of_the_original(toy):
    toy.resize = (12, 12)
    X, _ = next(iter(subset(toy, n_train=10).train_dataloader()))
    assert X.shape == (10, 1, 12, 12)

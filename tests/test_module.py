"""Module, Classifier, layer_summary, init_cnn and the LeNet models."""

import pytest
import torch
from torch import nn

import d2lmini as d2l


class Tiny(d2l.Classifier):
    def __init__(self, lr=0.5, hidden=8, _private=1):
        super().__init__()
        self.save_hyperparameters(ignore=["hidden"])
        self.net = nn.Sequential(nn.Flatten(), nn.LazyLinear(hidden), nn.ReLU(), nn.LazyLinear(3))


def test_save_hyperparameters():
    m = Tiny(lr=0.25)
    assert m.lr == 0.25 and m.hparams == {"lr": 0.25}
    assert not hasattr(m, "hidden")


def test_configure_optimizers_needs_lr():
    class NoLr(d2l.Module):
        def __init__(self):
            super().__init__()
            self.net = nn.Linear(1, 1)

    with pytest.raises(AttributeError, match="learning rate"):
        NoLr().configure_optimizers()
    assert isinstance(Tiny().configure_optimizers(), torch.optim.SGD)


def test_forward_without_net_is_explained():
    with pytest.raises(NotImplementedError, match="self.net"):
        d2l.Module()(torch.zeros(1))


def test_apply_init_sizes_lazy_layers_and_inits():
    m = Tiny()
    m.apply_init([torch.zeros(2, 1, 2, 2)], d2l.init_cnn)
    assert m.net[1].weight.shape == (8, 4)


def test_init_cnn_is_xavier_uniform():
    torch.manual_seed(0)
    layer = nn.Linear(300, 100)
    d2l.init_cnn(layer)
    bound = (6 / (300 + 100)) ** 0.5
    assert layer.weight.abs().max() <= bound
    assert layer.weight.abs().max() > 0.95 * bound


def test_classifier_loss_and_accuracy():
    m = Tiny()
    y_hat = torch.tensor([[5.0, 0.0, 0.0], [0.0, 5.0, 0.0]])
    y = torch.tensor([0, 2])
    assert m.accuracy(y_hat, y).item() == 0.5
    expected = nn.functional.cross_entropy(y_hat, y)
    assert torch.allclose(m.loss(y_hat, y), expected)
    assert m.loss(y_hat, y, averaged=False).shape == (2,)
    with pytest.raises(d2l.ModelShapeError, match="one row of scores per example"):
        m.loss(torch.zeros(2, 3, 1), y)


def test_training_step_returns_loss_and_accuracy():
    metrics = Tiny().training_step((torch.zeros(4, 1, 2, 2), torch.zeros(4, dtype=torch.long)))
    assert set(metrics) == {"loss", "acc"} and metrics["loss"].requires_grad


def test_layer_summary_lenet(capsys):
    rows = d2l.LeNet().layer_summary((1, 1, 28, 28))
    shapes = [shape for _, shape, _ in rows]
    for expected in [(1, 6, 28, 28), (1, 6, 14, 14), (1, 16, 10, 10), (1, 16, 5, 5),
                     (1, 400), (1, 120), (1, 84), (1, 10)]:
        assert expected in shapes
    assert sum(n for *_, n in rows) == 61706
    out = capsys.readouterr().out
    assert "Total parameters: 61,706" in out and "AvgPool2d" in out


def test_modern_lenet_same_shapes_different_layers():
    classic, modern = d2l.LeNet(), d2l.LeNet(lr=0.1, activation=nn.ReLU, pool=nn.MaxPool2d)
    assert [p.shape for p in classic.parameters()] == [p.shape for p in modern.parameters()]
    assert isinstance(modern.net[1], nn.ReLU) and isinstance(modern.net[2], nn.MaxPool2d)
    assert modern.lr == 0.1 and classic.lr == 0.9


def test_add_to_class():
    class A:
        pass

    @d2l.add_to_class(A)
    def twice(self, x):
        return 2 * x

    assert A().twice(3) == 6


def test_layer_summary_runs_in_eval_mode_and_restores_it(capsys):
    net = nn.Sequential(nn.Conv2d(1, 2, 3), nn.BatchNorm2d(2), nn.Flatten(), nn.Linear(8, 3),
                        nn.BatchNorm1d(3))
    net.train()
    stats = [b.clone() for b in net.buffers()]
    rows = d2l.layer_summary(net, (1, 1, 4, 4))   # batch of one: BatchNorm1d needs eval mode
    assert rows[-1][1] == (1, 3) and net.training
    assert all(torch.equal(a, b) for a, b in zip(stats, net.buffers()))  # statistics untouched

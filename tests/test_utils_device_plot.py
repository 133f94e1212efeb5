"""Devices, seeds, small utilities and the plotting helpers."""

import numpy as np
import pytest
import torch
from PIL import Image
from torch import nn

import d2lmini as d2l


def test_devices():
    assert d2l.cpu() == torch.device("cpu")
    assert d2l.try_gpu().type in {"cuda", "mps", "cpu"}
    assert len(d2l.try_all_gpus()) >= 1
    if d2l.num_gpus() == 0:
        assert d2l.try_gpu(3) == torch.device("cpu")
    with pytest.raises(ValueError):
        d2l.try_gpu(-1)


def test_set_seed_repeats_all_generators():
    d2l.set_seed(7)
    a = (torch.rand(3), np.random.rand(3))
    d2l.set_seed(7)
    b = (torch.rand(3), np.random.rand(3))
    assert torch.equal(a[0], b[0]) and np.array_equal(a[1], b[1])
    with pytest.raises(TypeError):
        d2l.set_seed(1.5)


def test_accumulator_timer_accuracy():
    acc = d2l.Accumulator(2)
    acc.add(1, 2)
    acc.add(3, 4)
    assert acc.data == [4.0, 6.0] and acc[1] == 6.0
    with pytest.raises(ValueError):
        acc.add(1)
    acc.reset()
    assert acc.data == [0.0, 0.0]
    timer = d2l.Timer()
    assert timer.stop() >= 0 and len(timer.times) == 1 and timer.avg() == timer.sum()
    assert d2l.accuracy(torch.tensor([[0.0, 1.0]]), torch.tensor([1])).item() == 1.0
    with pytest.raises(ValueError, match=r"\(N, classes\)"):
        d2l.accuracy(torch.zeros(3), torch.zeros(3))


def test_evaluate_accuracy_restores_mode():
    net = nn.Sequential(nn.Flatten(), nn.Linear(4, 2))
    with torch.no_grad():
        net[1].weight.zero_()
        net[1].bias.copy_(torch.tensor([0.0, 1.0]))
    batches = [(torch.zeros(4, 2, 2), torch.tensor([1, 1, 0, 1]))]
    net.train()
    assert d2l.evaluate_accuracy(net, batches) == 0.75 and net.training
    with pytest.raises(ValueError, match="empty"):
        d2l.evaluate_accuracy(net, [])


@pytest.mark.parametrize("imgs", [
    torch.rand(4, 28, 28),
    torch.rand(4, 1, 28, 28),
    torch.rand(4, 3, 16, 16),
    np.random.rand(4, 16, 16, 3),
    [Image.new("L", (8, 8)), Image.new("RGB", (8, 8))],
    torch.randint(0, 255, (2, 8, 8), dtype=torch.uint8),
])
def test_show_images_accepts_common_inputs(imgs):
    axes = d2l.show_images(imgs, 2, 2, titles=["a", "b"])
    assert len(axes) == 4 and axes[0].get_title() == "a"


def test_show_images_rejects_single_image_and_bad_shapes():
    with pytest.raises(ValueError, match=r"img\[None\]"):
        d2l.show_images(torch.rand(28, 28), 1, 1)
    with pytest.raises(ValueError, match="expected"):
        d2l.show_images(torch.rand(2, 5, 8, 8), 1, 2)


def test_plot_curves():
    x = np.arange(5)
    ax = d2l.plot(x, [x, x**2], xlabel="x", ylabel="y", legend=["a", "b"], title="t")
    assert len(ax.lines) == 2 and ax.get_xlabel() == "x" and ax.get_title() == "t"
    ax = d2l.plot(torch.tensor([3.0, 2.0, 1.0]))
    assert list(ax.lines[0].get_xdata()) == [0, 1, 2]
    with pytest.raises(ValueError, match="x-sequences"):
        d2l.plot([x, x], [x, x, x])


def test_kernel_and_feature_map_grids():
    assert len(d2l.show_kernels(torch.randn(6, 1, 5, 5))) == 6
    assert len(d2l.show_kernels(torch.tensor([[1.0, -1.0]]), annotate=True)) == 1
    assert len(d2l.show_feature_maps(torch.rand(1, 16, 10, 10), num_cols=4)) == 16
    with pytest.raises(ValueError, match="maps\\[0\\]"):
        d2l.show_feature_maps(torch.rand(2, 6, 5, 5))
    with pytest.raises(ValueError, match="kernels"):
        d2l.show_kernels(torch.rand(2, 2, 2, 2, 2))


def test_progress_board_collects_points():
    board = d2l.ProgressBoard(panels=("loss", "accuracy"), display=False, title="run 1")
    board.draw(1, 0.5, "train loss", panel="loss")
    board.draw(1, 0.9, "val acc", panel="accuracy")
    assert board.data["val acc"] == ([1.0], [0.9])
    fig = board.figure()
    assert len(fig.axes) == 2 and fig._suptitle.get_text() == "run 1"
    with pytest.raises(ValueError, match="unknown panel"):
        board.draw(1, 1, "x", panel="nope")


def test_evaluate_accuracy_rejects_labels_that_would_broadcast():
    net = nn.Sequential(nn.Flatten(), nn.Linear(4, 2))
    column = torch.tensor([[1], [1], [0], [1]])  # (N, 1): used to broadcast to (N, N), giving 3.0
    with pytest.raises(ValueError, match=r"labels of shape \(N,\)"):
        d2l.evaluate_accuracy(net, [(torch.zeros(4, 2, 2), column)])

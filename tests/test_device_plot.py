"""Devices, seeds and the plotting helpers."""

import numpy as np
import pytest
import torch
from PIL import Image

import d2lmini as d2l
from d2lmini import device


def test_devices():
    assert d2l.cpu() == torch.device("cpu")
    assert isinstance(d2l.try_gpu(), torch.device)
    assert len(d2l.try_all_gpus()) >= 1
    if d2l.num_gpus() == 0:
        assert d2l.try_gpu() == d2l.try_gpu(3) == torch.device("cpu")
        assert d2l.try_all_gpus() == [torch.device("cpu")]
    with pytest.raises(ValueError):
        d2l.try_gpu(-1)


def test_accelerator_is_used_when_torch_reports_one(monkeypatch):
    class FakeAccelerator:
        @staticmethod
        def is_available():
            return True

        @staticmethod
        def current_accelerator():
            return torch.device("xpu")

        @staticmethod
        def device_count():
            return 2

    monkeypatch.setattr(torch, "accelerator", FakeAccelerator, raising=False)
    assert d2l.num_gpus() == 2
    assert d2l.try_gpu(1) == torch.device("xpu", 1) and d2l.try_gpu(2) == torch.device("cpu")
    assert d2l.Trainer(1).device == torch.device("xpu", 0)
    assert d2l.Trainer(1, num_gpus=0).device == torch.device("cpu")


def test_fallback_without_torch_accelerator(monkeypatch):
    monkeypatch.delattr(torch, "accelerator", raising=False)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 1)
    assert device._accelerator() == ("cuda", 1) and d2l.try_gpu() == torch.device("cuda", 0)


def test_set_seed_repeats_all_generators():
    d2l.set_seed(7)
    a = (torch.rand(3), np.random.rand(3))
    d2l.set_seed(7)
    b = (torch.rand(3), np.random.rand(3))
    assert torch.equal(a[0], b[0]) and np.array_equal(a[1], b[1])
    with pytest.raises(TypeError):
        d2l.set_seed(1.5)


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


def test_show_images_fixed_range_or_own_range():
    axes = d2l.show_images([torch.full((4, 4), 0.2), torch.full((4, 4), 0.8)], 1, 2, vmin=0, vmax=1)
    assert [ax.images[0].get_clim() for ax in axes] == [(0, 1), (0, 1)]
    axes = d2l.show_images(torch.stack([torch.linspace(0.2, 0.4, 16).reshape(4, 4)]), 1, 1)
    lo, hi = axes[0].images[0].get_clim()
    assert abs(lo - 0.2) < 1e-6 and abs(hi - 0.4) < 1e-6


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
    shared = d2l.show_feature_maps(torch.stack([torch.zeros(3, 3), torch.ones(3, 3)]), shared_scale=True)
    assert [ax.images[0].get_clim() for ax in shared] == [(0.0, 1.0), (0.0, 1.0)]
    with pytest.raises(ValueError, match="maps\\[0\\]"):
        d2l.show_feature_maps(torch.rand(2, 6, 5, 5))
    with pytest.raises(ValueError, match="kernels"):
        d2l.show_kernels(torch.rand(2, 2, 2, 2, 2))


def test_show_kernels_annotations_readable_on_dark_cells():
    axes = d2l.show_kernels(torch.tensor([[0.0, -1.0], [5.0, 1.0]]), annotate=True)
    colours = {t.get_text(): t.get_color() for t in axes[0].texts}
    assert colours["5"] == "white" and colours["0"] == "black" and colours["1"] == "black"


def test_show_numbers_window_padding_and_labels():
    ax = d2l.show_numbers(torch.arange(16.).reshape(4, 4), padding=1, window=(0, 1, 2, 2),
                          highlight=(1, 1), shown=5)
    assert len(ax.texts) == 6                                   # numbers 0..5 written so far
    assert [t.get_text() for t in ax.get_xticklabels()] == ["-1", "0", "1", "2"]
    ax = d2l.show_numbers(np.array([[5, 1], [3, 4]]), cmap="Blues", row_labels=["cat", "dog"],
                          col_labels=["cat", "dog"], fmt="{:.0f}")
    assert ax.get_yticklabels()[1].get_text() == "dog"
    with pytest.raises(ValueError, match="matrix"):
        d2l.show_numbers(torch.zeros(2, 2, 2))

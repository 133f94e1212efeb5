"""show_images can fix the grayscale range (vmin/vmax), so brightness is comparable."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import torch

import d2lmini as d2l


def test_show_images_fixed_range():
    axes = d2l.show_images([torch.full((4, 4), 0.2), torch.full((4, 4), 0.8)], 1, 2, vmin=0, vmax=1)
    assert [ax.images[0].get_clim() for ax in axes] == [(0, 1), (0, 1)]
    plt.close("all")


def test_show_images_default_stretches_each_image():
    axes = d2l.show_images(torch.stack([torch.linspace(0.2, 0.4, 16).reshape(4, 4)]), 1, 1)
    lo, hi = axes[0].images[0].get_clim()
    assert abs(lo - 0.2) < 1e-6 and abs(hi - 0.4) < 1e-6
    plt.close("all")


def test_show_kernels_annotations_readable_on_dark_cells():
    axes = d2l.show_kernels(torch.tensor([[0.0, -1.0], [5.0, 1.0]]), annotate=True)
    colours = {t.get_text(): t.get_color() for t in axes[0].texts}
    assert colours["5"] == "white" and colours["0"] == "black" and colours["1"] == "black"
    plt.close("all")

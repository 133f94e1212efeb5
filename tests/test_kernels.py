"""Tests for d2lmini.kernels: the Gaussian kernel, apply_kernel and the window figure."""

import matplotlib

matplotlib.use("Agg")

import math

import matplotlib.pyplot as plt
import pytest
import torch
import torch.nn.functional as F

from d2lmini.kernels import apply_kernel, gaussian_kernel, show_window


def test_gaussian_matches_formula_and_sums_to_one():
    k = gaussian_kernel(5, sigma=1.5)
    assert k.shape == (5, 5)
    assert torch.isclose(k.sum(), torch.tensor(1.0))
    raw = torch.tensor([[math.exp(-(x * x + y * y) / (2 * 1.5**2)) for x in range(-2, 3)]
                        for y in range(-2, 3)])
    assert torch.allclose(k, raw / raw.sum())


def test_gaussian_is_symmetric_and_peaks_at_centre():
    k = gaussian_kernel(7, sigma=1.0)
    assert torch.equal(k, k.T) and torch.equal(k, k.flip(0)) and torch.equal(k, k.flip(1))
    assert k[3, 3] == k.max()


def test_gaussian_size_one_is_identity():
    assert torch.equal(gaussian_kernel(1, sigma=2.0), torch.ones(1, 1))


@pytest.mark.parametrize("size", [0, 4, -3, 2.0, True])
def test_gaussian_rejects_bad_size(size):
    with pytest.raises(ValueError, match="odd"):
        gaussian_kernel(size, sigma=1.0)


@pytest.mark.parametrize("sigma", [0, -1.0, float("nan")])
def test_gaussian_rejects_bad_sigma(sigma):
    with pytest.raises(ValueError, match="sigma"):
        gaussian_kernel(3, sigma=sigma)


def test_apply_kernel_matches_conv2d_and_shape():
    torch.manual_seed(0)
    img, k = torch.rand(10, 12), torch.randn(3, 2)
    out = apply_kernel(img, k)
    assert out.shape == (8, 11)
    assert torch.allclose(out, F.conv2d(img[None, None], k[None, None])[0, 0])


def test_apply_kernel_is_cross_correlation():
    img = torch.tensor([[0.0, 0.0, 1.0, 1.0, 0.0]])
    assert torch.equal(apply_kernel(img, torch.tensor([[1.0, -1.0]])), torch.tensor([[0.0, -1.0, 0.0, 1.0]]))


def test_apply_kernel_errors():
    with pytest.raises(ValueError, match="grayscale"):
        apply_kernel(torch.rand(3, 8, 8), torch.ones(2, 2))
    with pytest.raises(ValueError, match="kernel"):
        apply_kernel(torch.rand(8, 8), torch.ones(1, 2, 2))
    with pytest.raises(TypeError, match="float"):
        apply_kernel(torch.zeros(8, 8, dtype=torch.uint8), torch.ones(2, 2))
    with pytest.raises(ValueError, match="larger"):
        apply_kernel(torch.rand(2, 8), torch.ones(3, 3))
    with pytest.raises(TypeError, match="tensors"):
        apply_kernel([[1.0]], torch.ones(1, 1))


def test_show_window_draws_three_panels():
    X = torch.tensor([[1.0, 2.0, 0.0], [0.0, 1.0, 3.0], [2.0, 1.0, 1.0]])
    axes = show_window(X, torch.tensor([[1.0, 0.0], [-1.0, 2.0]]), 1, 0)
    assert len(axes) == 3
    assert "Y[1, 0]" in axes[0].figure._suptitle.get_text()
    plt.close("all")
    with pytest.raises(ValueError, match="outside"):
        show_window(X, torch.ones(2, 2), 2, 0)


def test_show_window_rejects_non_tensors():
    with pytest.raises(TypeError, match="two tensors"):
        show_window([[1, 2], [3, 4]], torch.ones(1, 1), 0, 0)

"""Tests of d2lmini.shapes.conv_output_size against the formula and real layers."""

import itertools

import pytest
import torch
from torch import nn

from d2lmini.shapes import conv_output_size


def test_examples():
    assert conv_output_size(30, 3) == 28
    assert conv_output_size(224, 5, p=1, s=2) == 111
    assert conv_output_size(528, 7, p=2, s=3) == 176
    assert conv_output_size(28, 5, p=2) == 28


def test_pairs_give_tuples():
    assert conv_output_size((30, 40), 3) == (28, 38)
    assert conv_output_size(8, (3, 5), p=(0, 1), s=(3, 4)) == (2, 2)
    assert conv_output_size([8, 8], 2, s=2) == (4, 4)


def test_kernel_equal_to_padded_input_gives_one():
    assert conv_output_size(3, 5, p=1) == 1


def test_agrees_with_conv2d_and_maxpool():
    for n, k, p, s in itertools.product([5, 8, 13], [1, 2, 3, 5], [0, 1, 2], [1, 2, 3]):
        if k > n + 2 * p:
            continue
        x = torch.zeros(1, 1, n, n + 1)
        y = nn.Conv2d(1, 1, k, stride=s, padding=p)(x)
        assert tuple(y.shape[2:]) == conv_output_size((n, n + 1), k, p, s)
        if p <= k // 2:  # MaxPool2d's own rule on padding
            y = nn.MaxPool2d(k, stride=s, padding=p)(x)
            assert tuple(y.shape[2:]) == conv_output_size((n, n + 1), k, p, s)


@pytest.mark.parametrize(
    "args, match",
    [
        ((3, 5), "larger than the padded input"),
        ((0, 1), "input height n must be at least 1"),
        ((5, 0), "kernel height k must be at least 1"),
        ((5, 3, -1), "padding p must be 0 or more"),
        ((5, 3, 0, 0), "stride s must be at least 1"),
        (((5, 5, 5), 3), "int or an \\(h, w\\) pair"),
    ],
)
def test_bad_values(args, match):
    with pytest.raises(ValueError, match=match):
        conv_output_size(*args)


@pytest.mark.parametrize("args", [(5.0, 3), (5, "3"), (5, 3, True), ((5, 2.5), 3)])
def test_bad_types(args):
    with pytest.raises(TypeError, match="must be an int"):
        conv_output_size(*args)

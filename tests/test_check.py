"""Tests of d2lmini.check: right answers pass, typical wrong answers fail with a hint that
does not give the answer away, and nonsense problems raise clear errors."""

import pytest
import torch
import torch.nn.functional as F
from torch import nn

import d2lmini as d2l
from d2lmini import check


def corr2d_loop(X, K):
    h, w = K.shape
    Y = torch.zeros(X.shape[0] - h + 1, X.shape[1] - w + 1)
    for i in range(Y.shape[0]):
        for j in range(Y.shape[1]):
            Y[i, j] = (X[i:i + h, j:j + w] * K).sum()
    return Y


def pool2d_loop(X, pool_size, mode="max"):
    p_h, p_w = pool_size
    Y = torch.zeros(X.shape[0] - p_h + 1, X.shape[1] - p_w + 1)
    for i in range(Y.shape[0]):
        for j in range(Y.shape[1]):
            window = X[i:i + p_h, j:j + p_w]
            Y[i, j] = window.max() if mode == "max" else window.mean()
    return Y


# --------------------------------------------------------------------------- output_shape
@pytest.mark.parametrize("n, k, p, s, right", [
    (30, 3, 0, 1, 28), (224, 5, 1, 2, 111), (528, 7, 2, 3, 176), (28, 5, 2, 1, 28), (7, 2, 0, 2, 3),
])
def test_output_shape_accepts_the_formula(n, k, p, s, right, capsys):
    assert check.output_shape(right, n=n, k=k, p=p, s=s)
    assert capsys.readouterr().out.startswith("Correct")
    assert check.output_shape((right, right), n=n, k=k, p=p, s=s, verbose=False)
    assert check.output_shape(torch.Size([100, 3, right, right]), n=n, k=k, p=p, s=s, verbose=False)
    layer = nn.Conv2d(1, 1, k, padding=p, stride=s)
    assert layer(torch.zeros(1, 1, n, n)).shape[-1] == right   # the checker agrees with PyTorch


@pytest.mark.parametrize("answer, n, k, p, s, hint", [
    (219, 224, 5, 0, 1, "'+ 1'"),                   # forgot the + 1
    (26, 28, 3, 1, 1, "padding"),                   # ignored the padding
    (27, 28, 3, 1, 1, "both sides"),                # padded one side only
    (221, 224, 5, 1, 1, "both sides"),
    (222, 224, 5, 1, 2, "stride"),                  # ignored the stride
    (8, 16, 3, 0, 2, "round down"),                 # rounded up
    (111.5, 224, 5, 1, 2, "whole number"),          # did not round at all
])
def test_output_shape_rejects_typical_mistakes_with_a_hint(answer, n, k, p, s, hint):
    v = check.output_shape(answer, n=n, k=k, p=p, s=s, verbose=False)
    assert not v and v.message.startswith("Not yet") and hint in v.message
    right = (n + 2 * p - k) // s + 1
    assert str(right) not in v.message.replace(str(answer), "").replace(str(n), "")  # no answer leak


def test_output_shape_rectangular_and_errors():
    assert check.output_shape((14, 7), n=(28, 14), k=(3, 3), p=1, s=2, verbose=False)
    v = check.output_shape((14, 8), n=(28, 14), k=(3, 3), p=1, s=2, verbose=False)
    assert not v and "width" in v.message
    with pytest.raises(ValueError, match="larger than the padded input"):
        check.output_shape(1, n=3, k=5)
    with pytest.raises(ValueError, match="s must be at least 1"):
        check.output_shape(1, n=3, k=2, s=0)
    with pytest.raises(ValueError, match="pair of ints"):
        check.output_shape(1, n=3.5, k=2)


# --------------------------------------------------------------------------- parameter counts
def test_conv_params():
    assert check.conv_params(456, c_in=3, c_out=6, k=5, verbose=False)
    assert check.conv_params(450, c_in=3, c_out=6, k=5, bias=False, verbose=False)
    cases = {450: "bias", 156: "each input channel", 468: "per (input, output) pair",
             81: "own 3-D kernel", 186: "k_h * k_w"}
    for wrong, hint in cases.items():
        v = check.conv_params(wrong, c_in=3, c_out=6, k=5, verbose=False)
        assert not v and hint in v.message and "456" not in v.message, (wrong, v.message)
    v = check.conv_params(456, c_in=3, c_out=6, k=5, bias=False, verbose=False)
    assert not v and "bias=False" in v.message
    assert check.conv_params(sum(p.numel() for p in nn.Conv2d(2, 4, (3, 2)).parameters()),
                             c_in=2, c_out=4, k=(3, 2), verbose=False)


def test_num_params_lenet():
    net = d2l.models.LeNet()
    assert check.num_params(61706, net, verbose=False)
    biases = 6 + 16 + 120 + 84 + 10
    v = check.num_params(61706 - biases, net, verbose=False)
    assert not v and "biases" in v.message and "61706" not in v.message and "61,706" not in v.message
    assert "too few" in check.num_params(50000, net, verbose=False).message
    assert "too many" in check.num_params(70000, net, verbose=False).message
    with pytest.raises(TypeError):
        check.num_params(1, "not a model")


# --------------------------------------------------------------------------- functions
def test_corr2d_accepts_a_correct_loop_and_names_mistakes():
    assert check.corr2d(corr2d_loop, verbose=False)
    v = check.corr2d(lambda X, K: corr2d_loop(X, K.flip(0, 1)), verbose=False)
    assert not v and "flipped" in v.message
    v = check.corr2d(lambda X, K: corr2d_loop(X.T, K.T).T if X.shape != X.T.shape else corr2d_loop(X, K),
                     verbose=False)
    assert v  # transposing everything consistently is still correct

    def off_by_one(X, K):
        h, w = K.shape
        Y = torch.zeros(X.shape[0] - h, X.shape[1] - w)
        for i in range(Y.shape[0]):
            for j in range(Y.shape[1]):
                Y[i, j] = (X[i:i + h, j:j + w] * K).sum()
        return Y

    v = check.corr2d(off_by_one, verbose=False)
    assert not v and "shape" in v.message
    v = check.corr2d(lambda X, K: X[0, 0] / 0 if False else (_ for _ in ()).throw(IndexError("bad")),
                     verbose=False)
    assert not v and "IndexError" in v.message
    v = check.corr2d(lambda X, K: corr2d_loop(X, K).tolist(), verbose=False)
    assert not v and "torch.Tensor" in v.message

    def swapped(X, K):   # slides the kernel with rows and columns mixed up
        return F.conv2d(X.T[None, None], K.T[None, None])[0, 0]

    v = check.corr2d(swapped, verbose=False)
    assert not v and "swapped" in v.message
    with pytest.raises(TypeError):
        check.corr2d(3)


def test_pool2d():
    assert check.pool2d(pool2d_loop, "max", verbose=False)
    assert check.pool2d(lambda X, s: pool2d_loop(X, s, "avg"), "avg", verbose=False)
    v = check.pool2d(lambda X, s: pool2d_loop(X, s, "avg"), "max", verbose=False)
    assert not v and "average pooling" in v.message
    with pytest.raises(ValueError, match="mode"):
        check.pool2d(pool2d_loop, "min")


# --------------------------------------------------------------------------- models
def test_model_output_shape():
    assert check.model_output_shape(d2l.models.ModernLeNet(), verbose=False)
    assert check.model_output_shape(d2l.models.LeNet(), (4, 1, 28, 28), (4, 10), verbose=False)
    broken = nn.Sequential(nn.Conv2d(1, 6, 5), nn.ReLU(), nn.Flatten(), nn.Linear(400, 10))
    v = check.model_output_shape(broken, verbose=False)
    assert not v and "layer 3 (Linear" in v.message and "(1, 3456)" in v.message
    v = check.model_output_shape(nn.Sequential(nn.Flatten(), nn.Linear(784, 5)), verbose=False)
    assert not v and "(1, 5)" in v.message and "one score per class" in v.message


def test_verdict_prints_and_is_truthy(capsys):
    v = check.output_shape(28, n=30, k=3)
    assert bool(v) and repr(v) == "Verdict(ok=True)"
    assert capsys.readouterr().out.strip() == v.message
    check.output_shape(28, n=30, k=3, verbose=False)
    assert capsys.readouterr().out == ""


def test_numpy_numbers_are_accepted_as_answers():
    import numpy as np

    # np.int64 is not a Python int: it used to be judged "not a whole number".
    assert check.output_shape(np.int64(28), n=30, k=3, verbose=False)
    assert check.output_shape((np.int64(14), np.float64(7.0)), n=(28, 14), k=3, p=1, s=2, verbose=False)
    assert check.conv_params(np.int64(456), c_in=3, c_out=6, k=5, verbose=False)
    assert check.num_params(np.int32(15), nn.Linear(4, 3), verbose=False)
    assert not check.output_shape(np.bool_(True), n=3, k=3, verbose=False)


def test_model_output_shape_blames_forward_code_not_the_last_layer():
    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv, self.fc = nn.Conv2d(1, 6, 5), nn.Linear(400, 10)

        def forward(self, X):
            return self.fc(self.conv(X).reshape(len(X), 400))   # wrong size: 6 * 24 * 24

    v = check.model_output_shape(Net(), verbose=False)
    assert not v and "after layer conv (Conv2d output shape (1, 6, 24, 24))" in v.message
    assert "forward code" in v.message


def test_num_params_counts_frozen_layers_like_layer_summary():
    net = nn.Sequential(nn.Linear(4, 3), nn.Linear(3, 2))
    net[0].requires_grad_(False)
    assert bool(d2l.check.num_params(23, net, verbose=False))

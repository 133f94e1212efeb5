"""Tests of d2lmini.diagrams: the architecture drawings."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import pytest
import torch

import d2lmini as d2l
from d2lmini.diagrams import LENET_OPS, LENET_STAGES, draw_architecture, draw_lenet


def test_lenet_stages_match_the_model():
    shapes = []
    net = d2l.models.LeNet().net
    X = torch.zeros(1, 1, 28, 28)
    shapes.append(tuple(X.shape[1:]))
    for layer in net:
        X = layer(X)
        if not isinstance(layer, (torch.nn.Sigmoid,)):
            shapes.append(tuple(X.shape[1:]))
    assert tuple(shapes) == LENET_STAGES
    assert len(LENET_OPS) == len(LENET_STAGES) - 1


def test_draw_lenet_writes_every_shape_and_op():
    ax = draw_lenet()
    texts = [t.get_text() for t in ax.texts]
    for label in ["1 @ 28x28", "6 @ 28x28", "6 @ 14x14", "16 @ 10x10", "16 @ 5x5", "400", "120",
                  "84", "10"]:
        assert label in texts
    assert "LeNet" in ax.get_title()
    modern = [t.get_text() for t in draw_lenet(modern=True).texts]
    assert any("ReLU" in t for t in modern) and not any("sigmoid" in t for t in modern)
    assert any("max-pool" in t for t in modern)
    plt.close("all")


def test_draw_architecture_checks_its_input():
    with pytest.raises(ValueError, match="ops"):
        draw_architecture([(1, 4, 4), (3,)], [])
    with pytest.raises(ValueError, match="shape"):
        draw_architecture([(1, 4), (3,)], ["x"])
    with pytest.raises(ValueError, match="two stages"):
        draw_architecture([(3,)], [])
    ax = draw_architecture([(3, 8, 8), (10,)], ["flatten + dense"], title="t")
    assert len(ax.texts) == 3 and ax.get_title() == "t"
    plt.close("all")

"""Mistakes students make with models end in a short message that names the layer and the fix.

Each case runs as a script in a subprocess, as a student would run it, and the whole
output (traceback included) must stay short.
"""

import subprocess
import sys
import textwrap

import pytest
import torch
from torch import nn

import d2lmini as d2l

PRELUDE = '''
import torch
from torch import nn
import d2lmini as d2l
from d2lmini.data import DataModule, TensorLoader

class Data(DataModule):
    def __init__(self):
        g = torch.Generator().manual_seed(0)
        self.images = torch.randint(0, 255, (64, 28, 28), dtype=torch.uint8, generator=g)
        self.labels = torch.arange(64) % 10
    def get_dataloader(self, train):
        return TensorLoader(self.images, self.labels, 16, shuffle=train)

class Net(d2l.Classifier):
    def __init__(self, lr=0.1):
        super().__init__()
        self.save_hyperparameters()
        self.net = NET
'''


def run_script(net: str, call: str) -> tuple[int, str]:
    code = textwrap.dedent(PRELUDE).replace("NET", net) + textwrap.dedent(call)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    return done.returncode, done.stdout + done.stderr


CASES = {
    "linear in_features": (
        "nn.Sequential(nn.Conv2d(1, 6, 5), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), "
        "nn.Linear(6 * 14 * 14, 10))",
        ["Layer 'net.4'", "864)", "nn.Linear(864, 10)", "nn.LazyLinear(10)"]),
    "conv channels": (
        "nn.Sequential(nn.Conv2d(1, 6, 5), nn.Conv2d(16, 4, 3), nn.Flatten(), nn.LazyLinear(10))",
        ["Layer 'net.1'", "expects 16 input channels, gets 6", "in_channels=6"]),
    "too few outputs": (
        "nn.Sequential(nn.Flatten(), nn.Linear(784, 5))",
        ["scores 5 classes but a label is 9", "at least 10 outputs"]),
}


@pytest.mark.parametrize("case", list(CASES))
@pytest.mark.parametrize("call", ["d2l.Trainer(1, num_gpus=0).fit(Net(), Data())",
                                  "d2l.layer_summary(Net(), (1, 1, 28, 28))"])
def test_shape_mistakes_are_short_and_name_the_fix(case, call):
    net, expected = CASES[case]
    if case == "too few outputs" and "layer_summary" in call:
        pytest.skip("layer_summary has no labels to compare with")
    code, out = run_script(net, call)
    assert code == 1 and "ModelShapeError" in out
    for text in expected:
        assert text in out, out
    assert len(out.strip().splitlines()) <= 15, out


def test_reshape_that_doubles_the_batch():
    net = "nn.Linear(392, 10)\n    def forward(self, X):\n        return self.net(X.reshape(-1, 392))"
    code, out = run_script(net, "d2l.Trainer(1, num_gpus=0).fit(Net(), Data())")
    assert code == 1 and "outputs of shape (32, 10) for a batch of 16 labels" in out
    assert "X.reshape(X.shape[0], -1)" in out and len(out.strip().splitlines()) <= 15


def test_lazy_d2l_style_model_trains_without_apply_init():
    code, out = run_script(
        "nn.Sequential(nn.LazyConv2d(6, 5, padding=2), nn.Sigmoid(), nn.AvgPool2d(2), nn.Flatten(), "
        "nn.LazyLinear(10))", "h = d2l.Trainer(2, num_gpus=0).fit(Net(), Data()); print('epochs', len(h))")
    assert code == 0 and "epochs 2" in out, out


def test_exploding_loss_without_nan_stops_with_advice():
    code, out = run_script("nn.Sequential(nn.Flatten(), nn.Linear(784, 10))",
                           "d2l.Trainer(5, num_gpus=0).fit(Net(lr=1000.0), Data())")
    assert code == 1 and "TrainingDivergedError" in out and "smaller learning rate" in out, out
    assert "trainer.history keeps the" in out and len(out.strip().splitlines()) <= 15


def test_layer_summary_takes_a_tensor_and_rejects_3d_shapes_of_conv_models(capsys):
    lazy = nn.Sequential(nn.LazyConv2d(4, 3), nn.Flatten(), nn.LazyLinear(10))
    with pytest.raises(d2l.ModelShapeError, match=r"add the batch dimension"):
        d2l.layer_summary(lazy, (1, 28, 28))
    assert isinstance(lazy[0].weight, nn.parameter.UninitializedParameter)   # nothing sized wrong
    rows = d2l.layer_summary(lazy, torch.zeros(1, 1, 28, 28))
    assert rows[-1][1] == (1, 10)
    assert lazy(torch.zeros(5, 1, 28, 28)).shape == (5, 10)
    with pytest.raises(TypeError, match=r"takes a shape such as \(1, 1, 28, 28\)"):
        d2l.layer_summary(lazy, (1, 1, 28.5, 28))

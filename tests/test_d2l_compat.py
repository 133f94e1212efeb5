"""The d2l book's LeNet-chapter code runs with `import d2lmini as d2l` swapped in.

Run in a subprocess: the book's code patches Classifier with add_to_class, which must
not leak into the other tests. Three epochs instead of the book's ten, to stay fast
(the sigmoid LeNet sits at chance for about one epoch before it starts to learn), and
a seed so the run is repeatable.
"""

import subprocess
import sys
import textwrap

D2L_LENET = textwrap.dedent('''
    import torch
    from torch import nn
    import d2lmini as d2l
    torch.manual_seed(0)

    def init_cnn(module):
        if type(module) == nn.Linear or type(module) == nn.Conv2d:
            nn.init.xavier_uniform_(module.weight)

    class LeNet(d2l.Classifier):
        def __init__(self, lr=0.1, num_classes=10):
            super().__init__()
            self.save_hyperparameters()
            self.net = nn.Sequential(
                nn.LazyConv2d(6, kernel_size=5, padding=2), nn.Sigmoid(),
                nn.AvgPool2d(kernel_size=2, stride=2),
                nn.LazyConv2d(16, kernel_size=5), nn.Sigmoid(),
                nn.AvgPool2d(kernel_size=2, stride=2),
                nn.Flatten(),
                nn.LazyLinear(120), nn.Sigmoid(),
                nn.LazyLinear(84), nn.Sigmoid(),
                nn.LazyLinear(num_classes))

    @d2l.add_to_class(d2l.Classifier)
    def layer_summary(self, X_shape):
        X = torch.randn(*X_shape)
        for layer in self.net:
            X = layer(X)
            print(layer.__class__.__name__, 'output shape:\\t', X.shape)

    model = LeNet()
    model.layer_summary((1, 1, 28, 28))

    trainer = d2l.Trainer(max_epochs=EPOCHS, num_gpus=1)
    data = d2l.FashionMNIST(batch_size=128)
    model = LeNet(lr=0.9)
    model.apply_init([next(iter(data.get_dataloader(True)))[0]], init_cnn)
    trainer.fit(model, data)
    print("final val acc", trainer.history.last["val_acc"])
''')


def test_d2l_lenet_chapter_code_runs(fashion):
    code = D2L_LENET.replace("EPOCHS", "3")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=600)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "Linear output shape:\t torch.Size([1, 10])" in result.stdout
    acc = float(result.stdout.strip().splitlines()[-1].split()[-1])
    assert acc > 0.5  # well above chance (0.1); about 0.7 after three epochs

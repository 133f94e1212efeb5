"""Training throughput of LeNet on Fashion-MNIST: three input pipelines, one run.

    python benchmarks/throughput.py [--batch-sizes 128 256] [--epochs 1] [--rounds 3]

Compares examples/second of the same LeNet trained with SGD for one epoch by
  (a) a minimal hand-written loop over tensors preloaded in memory (the baseline),
  (b) the torchvision DataLoader + ToTensor pipeline most tutorials use,
  (c) d2lmini.Trainer with its FashionMNIST data module,
and prints a Markdown table with the ratios (c)/(a) and (c)/(b). All three run in one
process, one after the other, in interleaved rounds, and each keeps its fastest round: a
moment of load on a shared machine then slows one round, not the comparison. The ratios
are fair; the absolute numbers depend on the machine. The data root is taken from $D2LMINI_DATA as everywhere.
"""

from __future__ import annotations

import argparse
import os
import platform
import time

import torch
from torch import nn

import d2lmini as d2l
from d2lmini.data import data_root

TARGETS = {"c/a": 1.0, "c/b": 1.5}


def plain_lenet() -> nn.Sequential:
    """LeNet-5 as plain PyTorch (sigmoid, average pooling), default initialisation."""
    return nn.Sequential(
        nn.Conv2d(1, 6, kernel_size=5, padding=2), nn.Sigmoid(), nn.AvgPool2d(2, 2),
        nn.Conv2d(6, 16, kernel_size=5), nn.Sigmoid(), nn.AvgPool2d(2, 2),
        nn.Flatten(), nn.Linear(400, 120), nn.Sigmoid(), nn.Linear(120, 84), nn.Sigmoid(),
        nn.Linear(84, 10),
    )


def train_batches(net: nn.Module, batches, lr: float = 0.9) -> tuple[int, float]:
    """Run SGD over ``batches``; return (examples, seconds)."""
    optim = torch.optim.SGD(net.parameters(), lr=lr)
    loss_fn = nn.CrossEntropyLoss()
    n, start = 0, time.perf_counter()
    for X, y in batches:
        loss = loss_fn(net(X), y)
        optim.zero_grad()
        loss.backward()
        optim.step()
        n += len(y)
    return n, time.perf_counter() - start


def run_preloaded(data: d2l.FashionMNIST, batch_size: int, epochs: int) -> float:
    """(a) Float tensors prepared once, batches by random indexing, plain loop."""
    X_all = data.train.images.unsqueeze(1).float() / 255
    y_all = data.train.labels

    def batches():
        for _ in range(epochs):
            order = torch.randperm(len(y_all))
            for i in range(0, len(y_all), batch_size):
                idx = order[i:i + batch_size]
                yield X_all[idx], y_all[idx]

    n, seconds = train_batches(plain_lenet(), batches())
    return n / seconds


def run_torchvision(root: str, batch_size: int, epochs: int, workers: int) -> float:
    """(b) torchvision.datasets.FashionMNIST + ToTensor + DataLoader."""
    import torchvision
    from torchvision import transforms

    dataset = torchvision.datasets.FashionMNIST(root, train=True, transform=transforms.ToTensor())
    loader = torch.utils.data.DataLoader(dataset, batch_size=batch_size, shuffle=True,
                                         num_workers=workers)

    def batches():
        for _ in range(epochs):
            yield from loader

    n, seconds = train_batches(plain_lenet(), batches())
    return n / seconds


def run_trainer(data: d2l.FashionMNIST, epochs: int) -> float:
    """(c) d2lmini.Trainer.fit; training examples/second as the trainer measures them."""
    trainer = d2l.Trainer(max_epochs=epochs, num_gpus=0, progress=False)
    history = trainer.fit(d2l.LeNet(lr=0.9), data)
    n = len(data.train)
    seconds = sum(n / r["examples_per_sec"] for r in history.records)
    return n * len(history) / seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch-sizes", type=int, nargs="+", default=[128, 256])
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--rounds", type=int, default=3,
                        help="interleaved rounds of (a), (b), (c); each keeps its fastest")
    parser.add_argument("--workers", type=int, default=2,
                        help="DataLoader workers for (b) (default 2, one per core here)")
    args = parser.parse_args()

    torch.manual_seed(0)
    root = str(data_root())
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, "
          f"{os.cpu_count()} cores, {platform.machine()}, device cpu\n")
    rows = []
    for batch_size in args.batch_sizes:
        data = d2l.FashionMNIST(batch_size=batch_size)
        run_preloaded(data, batch_size, 1) if not rows else None  # warm-up, first size only
        best = [0.0, 0.0, 0.0]   # examples/second of (a), (b), (c): the fastest round
        for _ in range(args.rounds):
            rates = (run_preloaded(data, batch_size, args.epochs),
                     run_torchvision(root, batch_size, args.epochs, args.workers),
                     run_trainer(data, args.epochs))
            best = [max(old, new) for old, new in zip(best, rates)]
        rows.append((batch_size, *best))

    print("| batch | (a) preloaded loop | (b) DataLoader+ToTensor | (c) d2lmini.Trainer "
          "| (c)/(a) | (c)/(b) |")
    print("|---:|---:|---:|---:|---:|---:|")
    ok = True
    for batch_size, a, b, c in rows:
        print(f"| {batch_size} | {a:,.0f} | {b:,.0f} | {c:,.0f} | {c / a:.2f} | {c / b:.2f} |")
        ok &= c / a >= TARGETS["c/a"] and c / b >= TARGETS["c/b"]
    print(f"\nexamples/second, the fastest of {args.rounds} rounds of {args.epochs} epoch(s). "
          f"Targets: (c)/(a) >= {TARGETS['c/a']}, (c)/(b) >= {TARGETS['c/b']}: "
          f"{'met' if ok else 'NOT met'}")


if __name__ == "__main__":
    main()

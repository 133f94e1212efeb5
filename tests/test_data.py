"""Data modules: real files, the fast loader, and the failure messages."""

import shutil
import socket

import pytest
import torch

import d2lmini as d2l
from d2lmini.data import ImageSplit, TensorLoader, _load_split


def test_data_root_order(monkeypatch, tmp_path):
    monkeypatch.setenv("D2LMINI_DATA", str(tmp_path / "env"))
    assert d2l.data_root(tmp_path / "arg") == tmp_path / "arg"
    assert d2l.data_root() == tmp_path / "env"
    monkeypatch.delenv("D2LMINI_DATA")
    assert d2l.data_root() == d2l.data.DEFAULT_ROOT.expanduser()


def test_fashion_mnist_batches(fashion):
    assert len(fashion.train) == 60000 and len(fashion.val) == 10000
    loader = fashion.train_dataloader()
    assert len(loader) == 469  # ceil(60000 / 128)
    X, y = next(iter(loader))
    assert X.shape == (128, 1, 28, 28) and X.dtype == torch.float32
    assert y.shape == (128,) and y.dtype == torch.int64
    assert 0.0 <= X.min() and X.max() <= 1.0
    # Fashion-MNIST has 6000 training images per class.
    assert torch.bincount(fashion.train.labels).tolist() == [6000] * 10
    assert abs(fashion.train.images.float().mean().item() / 255 - 0.2860) < 1e-3


def test_train_is_shuffled_and_val_is_not(fashion):
    y1 = next(iter(fashion.train_dataloader()))[1]
    y2 = next(iter(fashion.train_dataloader()))[1]
    assert not torch.equal(y1, y2)
    v1 = next(iter(fashion.val_dataloader()))[1]
    v2 = next(iter(fashion.val_dataloader()))[1]
    assert torch.equal(v1, v2) and torch.equal(v1, fashion.val.labels[:128])


def test_mnist_is_the_original(mnist):
    assert mnist.train.labels[:5].tolist() == [5, 0, 4, 1, 9]
    mean = mnist.train.images.float().mean().item() / 255
    assert abs(mean - 0.1307) < 1e-4
    assert mnist.text_labels([5, 0]) == ["5", "0"]


def test_text_labels_and_dataset_item(fashion):
    assert fashion.text_labels(torch.tensor([0, 9])) == ["T-shirt/top", "Ankle boot"]
    x, label = fashion.train[0]
    assert x.shape == (1, 28, 28) and isinstance(label, int)


def test_resize(fashion):
    data = d2l.FashionMNIST(batch_size=16, resize=(32, 32))
    X, _ = next(iter(data.val_dataloader()))
    assert X.shape == (16, 1, 32, 32)


def test_visualize(fashion):
    batch = next(iter(fashion.val_dataloader()))
    axes = fashion.visualize(batch, nrows=2, ncols=4)
    assert len(axes) == 8 and axes[0].get_title() == fashion.text_labels(batch[1][:1])[0]


def test_tensor_loader_sizes_and_errors():
    images = torch.randint(0, 256, (10, 28, 28), dtype=torch.uint8)
    loader = TensorLoader(images, torch.arange(10), batch_size=4)
    assert [len(y) for _, y in loader] == [4, 4, 2]
    assert len(TensorLoader(images, torch.arange(10), 4, drop_last=True)) == 2
    assert loader.to("cpu") is loader
    with pytest.raises(ValueError, match="batch_size"):
        TensorLoader(images, torch.arange(10), batch_size=0)
    with pytest.raises(ValueError, match="labels"):
        ImageSplit(images, torch.arange(9))


def _forbid_network(monkeypatch):
    def refuse(*args, **kwargs):
        raise OSError("network disabled by the test")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)


def test_offline_and_no_data_gives_one_clear_error(monkeypatch, tmp_path, capsys):
    _forbid_network(monkeypatch)
    monkeypatch.setenv("D2LMINI_DATA", str(tmp_path))
    _load_split.cache_clear()
    with pytest.raises(d2l.DataError) as info:
        d2l.MNIST()
    message = str(info.value)
    assert "D2LMINI_DATA" in message
    assert str(tmp_path / "MNIST" / "raw") in message
    assert "train-images-idx3-ubyte" in message
    assert "internet" in message
    assert info.value.__cause__ is None  # no chained torchvision traceback


def test_truncated_file_is_reported(tmp_path, fashion):
    source = d2l.data_root() / "FashionMNIST" / "raw"
    raw = tmp_path / "FashionMNIST" / "raw"
    raw.mkdir(parents=True)
    for f in source.iterdir():
        (raw / f.name).symlink_to(f)
    damaged = raw / "t10k-images-idx3-ubyte"
    damaged.unlink()
    damaged.write_bytes((source / damaged.name).read_bytes()[:100_000])
    _load_split.cache_clear()
    with pytest.raises(d2l.DataError, match="damaged"):
        d2l.FashionMNIST(root=tmp_path)


def test_corrupt_bytes_are_reported(tmp_path, fashion):
    source = d2l.data_root() / "FashionMNIST" / "raw"
    raw = tmp_path / "FashionMNIST" / "raw"
    shutil.copytree(source, raw)
    labels = raw / "train-labels-idx1-ubyte"
    data = bytearray(labels.read_bytes())
    data[-1] = (data[-1] + 1) % 10  # same size, one label changed
    labels.write_bytes(bytes(data))
    _load_split.cache_clear()
    with pytest.raises(d2l.DataError, match="md5"):
        d2l.FashionMNIST(root=tmp_path)


def test_tensor_loader_rejects_float_images_and_label_mismatch():
    with pytest.raises(ValueError, match="uint8"):   # would be divided by 255 a second time
        TensorLoader(torch.rand(4, 28, 28), torch.arange(4), batch_size=2)
    with pytest.raises(ValueError, match="one label per image"):
        TensorLoader(torch.zeros(10, 28, 28, dtype=torch.uint8), torch.arange(5), batch_size=4)

"""Data modules on the real files: batches, splits, the fast loader, damaged files.

Failures of downloads and folders, with local servers and small fake files, are in
test_data_download.py.
"""

import shutil

import pytest
import torch

import d2lmini as d2l
from d2lmini import data as D
from d2lmini.data import ImageSplit, TensorLoader


def test_data_root_order(monkeypatch, tmp_path):
    monkeypatch.setenv("D2LMINI_DATA", str(tmp_path / "env"))
    assert D.data_root(tmp_path / "arg") == tmp_path / "arg"
    assert D.data_root() == tmp_path / "env"
    monkeypatch.delenv("D2LMINI_DATA")
    assert D.data_root() == D.DEFAULT_ROOT.expanduser()


def test_public_names():
    assert set(D.__all__) == {"DataError", "DataModule", "MNIST", "FashionMNIST"}


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


def test_default_val_is_the_test_split_as_in_d2l(fashion):
    assert fashion.val is fashion.test
    assert torch.equal(next(iter(fashion.test_dataloader()))[1], fashion.test.labels[:128])
    assert "train=60000, val=test=10000" in repr(fashion)


def test_validation_split_of_the_real_data(fashion):
    state = torch.random.get_rng_state()
    data = d2l.FashionMNIST(batch_size=128, num_val=10000)
    assert torch.equal(torch.random.get_rng_state(), state)  # the global seed is untouched
    assert (len(data.train), len(data.val), len(data.test)) == (50000, 10000, 10000)
    assert "train=50000, val=10000, test=10000" in repr(data)
    # The same images on every run and machine (a fixed draw from a generator seeded 0).
    assert data.val.labels[:12].tolist() == [0, 3, 6, 0, 3, 3, 5, 5, 4, 1, 7, 9]
    assert torch.equal(data.val.images[0], fashion.train.images[1])  # index 1 is held out
    assert torch.equal(data.test.labels, fashion.test.labels)
    # Held-out and kept images together are the whole training split, per class.
    counts = torch.bincount(data.train.labels) + torch.bincount(data.val.labels)
    assert counts.tolist() == [6000] * 10
    small = d2l.FashionMNIST(num_val=10000, num_train=1000)
    assert len(small.train) == 1000 and torch.equal(small.val.images, data.val.images)


def test_mnist_is_the_original(mnist):
    assert mnist.train.labels[:5].tolist() == [5, 0, 4, 1, 9]
    mean = mnist.train.images.float().mean().item() / 255
    assert abs(mean - 0.1307) < 1e-4
    assert mnist.text_labels([5, 0]) == ["5", "0"]


def test_text_labels_and_dataset_item(fashion):
    assert fashion.text_labels(torch.tensor([0, 9])) == ["T-shirt/top", "Ankle boot"]
    x, label = fashion.train[0]
    assert x.shape == (1, 28, 28) and isinstance(label, int)
    assert repr(fashion.val) == "ImageSplit(10000 images of 28x28, uint8 in memory)"


def test_resize(fashion):
    data = d2l.FashionMNIST(batch_size=16, resize=(32, 32))
    X, _ = next(iter(data.val_dataloader()))
    assert X.shape == (16, 1, 32, 32)
    assert next(iter(data.test_dataloader()))[0].shape == (16, 1, 32, 32)
    assert d2l.FashionMNIST(batch_size=16, resize=28).resize is None


def test_visualize(fashion):
    batch = next(iter(fashion.val_dataloader()))
    axes = fashion.visualize(batch, nrows=2, ncols=4)
    assert len(axes) == 8 and axes[0].get_title() == fashion.text_labels(batch[1][:1])[0]


def test_modules_do_not_share_tensors(fashion):
    """Editing one module's images in place leaves a later module's alone."""
    first = fashion.train.images[0].clone()
    fashion.train.images[0] = 0
    fashion.test.images[0] = 0
    later = d2l.FashionMNIST()
    assert torch.equal(later.train.images[0], first)
    assert later.test.images[0].any()


def test_tensor_loader_sizes_and_errors():
    images = torch.randint(0, 256, (10, 28, 28), dtype=torch.uint8)
    loader = TensorLoader(images, torch.arange(10), batch_size=4)
    assert [len(y) for _, y in loader] == [4, 4, 2]
    assert loader.to("cpu") is loader and loader.device == torch.device("cpu")
    assert torch.equal(torch.cat([y for _, y in loader]), torch.arange(10))
    shuffled = TensorLoader(images, torch.arange(10), batch_size=4, shuffle=True)
    assert sorted(torch.cat([y for _, y in shuffled]).tolist()) == list(range(10))
    with pytest.raises(ValueError, match="batch_size"):
        TensorLoader(images, torch.arange(10), batch_size=0)
    assert len(ImageSplit(images, torch.arange(10))) == 10


def test_tensor_loader_rejects_float_images_and_label_mismatch():
    with pytest.raises(ValueError, match="uint8"):   # would be divided by 255 a second time
        TensorLoader(torch.rand(4, 28, 28), torch.arange(4), batch_size=2)
    with pytest.raises(ValueError, match="one label per image"):
        TensorLoader(torch.zeros(10, 28, 28, dtype=torch.uint8), torch.arange(5), batch_size=4)


def _copy_real(tmp_path, name="FashionMNIST"):
    source = D.data_root() / name / "raw"
    raw = tmp_path / name / "raw"
    shutil.copytree(source, raw)
    for f in raw.iterdir():
        f.chmod(0o644)
    return raw


def test_truncated_file_is_reported_and_only_it(tmp_path, fashion):
    raw = _copy_real(tmp_path)
    damaged = raw / "t10k-images-idx3-ubyte"
    damaged.write_bytes(damaged.read_bytes()[:100_000])
    D._load.cache_clear()
    with pytest.raises(d2l.DataError, match="damaged files: t10k-images-idx3-ubyte ") as info:
        d2l.FashionMNIST(root=tmp_path)
    message = str(info.value)
    assert f"os.remove({str(damaged)!r})" in message and message.count("os.remove") == 1
    assert "train-images" not in message  # the intact files are not to be deleted


def test_corrupt_bytes_are_reported(tmp_path, fashion):
    raw = _copy_real(tmp_path)
    labels = raw / "train-labels-idx1-ubyte"
    data = bytearray(labels.read_bytes())
    data[-1] = (data[-1] + 1) % 10  # same size, one label changed
    labels.write_bytes(bytes(data))
    D._load.cache_clear()
    with pytest.raises(d2l.DataError, match="md5") as info:
        d2l.FashionMNIST(root=tmp_path)
    assert "train-labels-idx1-ubyte" in str(info.value)
    assert info.value.__cause__ is None and info.value.__suppress_context__

"""MNIST and Fashion-MNIST as data modules, kept in memory as uint8 tensors.

Where the files live: the ``root`` argument, else the ``D2LMINI_DATA`` environment
variable, else ``~/.cache/d2lmini/data``. torchvision's layout is used
(``ROOT/MNIST/raw/...``, ``ROOT/FashionMNIST/raw/...``); missing files are downloaded.

Each split is held as one ``(N, 28, 28)`` uint8 tensor; a batch is made by indexing it
and scaling to floats in [0, 1], with no per-image Python work. That is several times
faster than a ``DataLoader`` with ``ToTensor`` on a laptop CPU.

Example:
    >>> import d2lmini as d2l
    >>> data = d2l.FashionMNIST(batch_size=128)          # doctest: +SKIP
    >>> X, y = next(iter(data.train_dataloader()))       # doctest: +SKIP
    >>> X.shape, y.shape                                  # doctest: +SKIP
    (torch.Size([128, 1, 28, 28]), torch.Size([128]))
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import io
import os
from collections.abc import Iterator, Sequence
from pathlib import Path

import torch
import torch.nn.functional as F
from torch.utils.data import Dataset

__all__ = [
    "DATA_ENV_VAR",
    "DataError",
    "DataModule",
    "FashionMNIST",
    "MNIST",
    "TensorLoader",
    "data_root",
]

DATA_ENV_VAR = "D2LMINI_DATA"
DEFAULT_ROOT = Path("~/.cache/d2lmini/data")

# md5 of the uncompressed files, as published with the data sets.
_MD5 = {
    "MNIST": {
        "train-images-idx3-ubyte": "6bbc9ace898e44ae57da46a324031adb",
        "train-labels-idx1-ubyte": "a25bea736e30d166cdddb491f175f624",
        "t10k-images-idx3-ubyte": "2646ac647ad5339dbf082846283269ea",
        "t10k-labels-idx1-ubyte": "27ae3e4e09519cfbb04c329615203637",
    },
    "FashionMNIST": {
        "train-images-idx3-ubyte": "f4a8712d7a061bf5bd6d2ca38dc4d50a",
        "train-labels-idx1-ubyte": "9018921c3c673c538a1fc5bad174d6f9",
        "t10k-images-idx3-ubyte": "8181f5470baa50b63fa0f6fddb340f0a",
        "t10k-labels-idx1-ubyte": "15d484375f8d13e6eb1aabb0c3f46965",
    },
}
_HOMEPAGE = {
    "MNIST": "https://yann.lecun.com/exdb/mnist/ (or any mirror torchvision lists)",
    "FashionMNIST": "https://github.com/zalandoresearch/fashion-mnist",
}


class DataError(RuntimeError):
    """The data set is missing, cannot be downloaded, or its files are damaged."""


def data_root(root: str | os.PathLike | None = None) -> Path:
    """Folder that holds the data sets: ``root``, else $D2LMINI_DATA, else the default.

    Example:
        >>> data_root("/tmp/mydata")
        PosixPath('/tmp/mydata')
    """
    if root is None:
        root = os.environ.get(DATA_ENV_VAR) or DEFAULT_ROOT
    return Path(root).expanduser()


def _md5(path: Path) -> str:
    digest = hashlib.md5()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _missing_message(name: str, raw: Path, reason: str) -> str:
    files = "\n".join(f"    {raw / f}" for f in _MD5[name])
    return (
        f"{name} is not on this machine and could not be downloaded ({reason}).\n"
        f"d2lmini looked in {raw} for:\n{files}\n"
        f"To fix it, either connect to the internet and run again (the files are "
        f"downloaded once, about 30-60 MB), or copy the files (gzipped or not) from "
        f"{_HOMEPAGE[name]} into that folder, or set the environment variable "
        f"{DATA_ENV_VAR} to a folder that already has {name}/raw/ inside it."
    )


def _download(name: str, root: Path) -> None:
    """Download ``name`` with torchvision, quietly, turning failures into a DataError."""
    import torchvision

    raw = root / name / "raw"
    print(f"Downloading {name} to {raw} (once) ...")
    dataset_cls = getattr(torchvision.datasets, name)
    log = io.StringIO()
    try:
        with contextlib.redirect_stdout(log), contextlib.redirect_stderr(log):
            for train in (True, False):
                dataset_cls(str(root), train=train, download=True)
    except Exception as exc:  # no network, a proxy, a full disk ...
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise DataError(_missing_message(name, raw, reason)) from None


def _check_files(name: str, raw: Path, train: bool) -> None:
    prefix = "train" if train else "t10k"
    for file, expected in _MD5[name].items():
        if not file.startswith(prefix):
            continue
        path = raw / file
        if _md5(path) != expected:
            raise DataError(
                f"{path} is damaged: its size is {path.stat().st_size:,} bytes and its "
                f"md5 checksum does not match the published one (a truncated download?).\n"
                f"Delete {raw} and run again to download a fresh copy, or set "
                f"{DATA_ENV_VAR} to a folder with intact files."
            )


@functools.lru_cache(maxsize=8)
def _load_split(name: str, root: str, train: bool) -> tuple[torch.Tensor, torch.Tensor]:
    """Read one split as (uint8 images (N, 28, 28), int64 labels (N,)), checked."""
    import torchvision

    root_path = Path(root)
    raw = root_path / name / "raw"
    if not all((raw / f).is_file() for f in _MD5[name]):
        _download(name, root_path)
    _check_files(name, raw, train)
    dataset = getattr(torchvision.datasets, name)(root, train=train, download=False)
    return dataset.data.contiguous(), dataset.targets.long().contiguous()


def _check_split(images: torch.Tensor, labels: torch.Tensor) -> None:
    """Raise a ValueError unless ``images`` is uint8 (N, H, W) and ``labels`` has shape (N,)."""
    if images.dtype != torch.uint8 or images.dim() != 3:
        raise ValueError(
            f"expected uint8 images (N, H, W) with values 0-255, got {images.dtype} "
            f"{tuple(images.shape)}: convert float images in [0, 1] with (X * 255).to(torch.uint8)"
        )
    if labels.shape != images.shape[:1]:
        raise ValueError(f"{len(images)} images but labels of shape {tuple(labels.shape)}: "
                         "give one label per image")


class ImageSplit(Dataset):
    """One split of an image data set as a map-style ``Dataset`` of ``(image, label)``.

    Images come out as float tensors of shape (1, H, W) with values in [0, 1].

    Example:
        >>> split = ImageSplit(torch.zeros(5, 28, 28, dtype=torch.uint8), torch.arange(5))
        >>> x, y = split[2]; x.shape, y
        (torch.Size([1, 28, 28]), 2)
    """

    def __init__(self, images: torch.Tensor, labels: torch.Tensor) -> None:
        _check_split(images, labels)
        self.images, self.labels = images, labels

    def __len__(self) -> int:
        return len(self.labels)

    def __getitem__(self, idx: int) -> tuple[torch.Tensor, int]:
        return self.images[idx].unsqueeze(0).float().div_(255), int(self.labels[idx])

    def __repr__(self) -> str:
        h, w = self.images.shape[1:]
        return f"ImageSplit({len(self)} images of {h}x{w}, uint8 in memory)"


class TensorLoader:
    """Iterate over ``(X, y)`` mini-batches of a uint8 image tensor, fast.

    Each batch is one indexing operation: ``X`` is float32 (B, 1, H, W) in [0, 1]
    (resized when ``resize`` is given), ``y`` int64 (B,). With ``shuffle`` a new order
    is drawn every epoch. :meth:`to` moves the whole split to a device once, so that
    batches are made there.

    Example:
        >>> loader = TensorLoader(torch.zeros(10, 28, 28, dtype=torch.uint8),
        ...                       torch.arange(10), batch_size=4)
        >>> len(loader), [len(y) for _, y in loader]
        (3, [4, 4, 2])
    """

    def __init__(
        self,
        images: torch.Tensor,
        labels: torch.Tensor,
        batch_size: int,
        shuffle: bool = False,
        resize: tuple[int, int] | None = None,
        drop_last: bool = False,
    ) -> None:
        if not isinstance(batch_size, int) or batch_size < 1:
            raise ValueError(f"batch_size must be a positive int, got {batch_size!r}")
        _check_split(images, labels)
        self.images, self.labels = images, labels
        self.batch_size, self.shuffle = batch_size, shuffle
        self.resize, self.drop_last = resize, drop_last

    @property
    def device(self) -> torch.device:
        """Device the batches are made on."""
        return self.images.device

    def to(self, device: torch.device | str) -> TensorLoader:
        """Return a loader whose batches are made on ``device`` (data copied once)."""
        device = torch.device(device)
        if device == self.device:
            return self
        return TensorLoader(
            self.images.to(device), self.labels.to(device), self.batch_size,
            self.shuffle, self.resize, self.drop_last,
        )

    def __len__(self) -> int:
        n, b = len(self.labels), self.batch_size
        return n // b if self.drop_last else -(-n // b)

    def __iter__(self) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        n = len(self.labels)
        order = torch.randperm(n, device=self.device) if self.shuffle else None
        for i in range(len(self)):
            if order is None:
                X, y = self.images[i * self.batch_size:(i + 1) * self.batch_size], \
                    self.labels[i * self.batch_size:(i + 1) * self.batch_size]
            else:
                idx = order[i * self.batch_size:(i + 1) * self.batch_size]
                X, y = self.images[idx], self.labels[idx]
            X = X.unsqueeze(1).float().div_(255)
            if self.resize is not None:
                X = F.interpolate(X, size=self.resize, mode="bilinear", antialias=True,
                                  align_corners=False)
            yield X, y

    def __repr__(self) -> str:
        return (f"TensorLoader({len(self.labels)} examples, batch_size={self.batch_size}, "
                f"shuffle={self.shuffle}, device={self.device})")


class DataModule:
    """Base class of a data set with a training and a validation split.

    Subclasses provide :meth:`get_dataloader`; :meth:`train_dataloader` and
    :meth:`val_dataloader` call it, as in the d2l book.
    """

    def get_dataloader(self, train: bool):
        raise NotImplementedError

    def train_dataloader(self):
        """Shuffled mini-batches of the training split."""
        return self.get_dataloader(train=True)

    def val_dataloader(self):
        """Mini-batches of the validation (test) split, in a fixed order."""
        return self.get_dataloader(train=False)


class _IdxImageData(DataModule):
    """Shared code of MNIST and Fashion-MNIST (28x28 grayscale, 10 classes)."""

    name: str = ""
    labels: Sequence[str] = ()

    def __init__(
        self,
        batch_size: int = 64,
        resize: tuple[int, int] | int | None = None,
        root: str | os.PathLike | None = None,
    ) -> None:
        if isinstance(resize, int):
            resize = (resize, resize)
        if resize is not None and tuple(resize) == (28, 28):
            resize = None
        self.batch_size, self.resize = batch_size, resize
        self.root = data_root(root)
        self.train = ImageSplit(*_load_split(self.name, str(self.root), True))
        self.val = ImageSplit(*_load_split(self.name, str(self.root), False))

    def get_dataloader(self, train: bool) -> TensorLoader:
        """Mini-batches of the training (``train=True``, shuffled) or test split."""
        split = self.train if train else self.val
        return TensorLoader(split.images, split.labels, self.batch_size,
                            shuffle=train, resize=self.resize)

    def text_labels(self, indices: Sequence[int] | torch.Tensor) -> list[str]:
        """Class names of label indices.

        Example:
            >>> FashionMNIST.labels[0], FashionMNIST.labels[9]
            ('T-shirt/top', 'Ankle boot')
        """
        return [self.labels[int(i)] for i in indices]

    def visualize(self, batch, nrows: int = 1, ncols: int = 8, labels: Sequence[str] = ()):
        """Show the first ``nrows * ncols`` images of a batch, titled with their classes."""
        from .plot import show_images

        X, y = batch
        if not labels:
            labels = self.text_labels(y)
        return show_images(X[: nrows * ncols], nrows, ncols, titles=list(labels)[: nrows * ncols])

    def __repr__(self) -> str:
        size = "28x28" if self.resize is None else "x".join(map(str, self.resize))
        return (f"{type(self).__name__}(train={len(self.train)}, val={len(self.val)}, "
                f"{size}, batch_size={self.batch_size}, root='{self.root}')")


class MNIST(_IdxImageData):
    """Handwritten digits: 60,000 training and 10,000 test images, 28x28 grayscale.

    Example:
        >>> data = MNIST(batch_size=256)                     # doctest: +SKIP
        >>> data.text_labels([5, 0, 4])                      # doctest: +SKIP
        ['5', '0', '4']
    """

    name = "MNIST"
    labels = tuple(str(d) for d in range(10))


class FashionMNIST(_IdxImageData):
    """Zalando's clothing images: 60,000 training and 10,000 test, 28x28, 10 classes.

    Example:
        >>> data = FashionMNIST(batch_size=128)              # doctest: +SKIP
        >>> data.text_labels([0, 9])                         # doctest: +SKIP
        ['T-shirt/top', 'Ankle boot']
    """

    name = "FashionMNIST"
    labels = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
              "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot")

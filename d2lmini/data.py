"""MNIST and Fashion-MNIST as data modules, kept in memory as uint8 tensors: a batch is one
indexing operation, several times faster than a ``DataLoader`` on a laptop CPU. Missing files
are downloaded once (laid out as torchvision does), and each is checked against its md5 sum.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import urllib.error
import urllib.request
from collections.abc import Iterator, Sequence
from functools import lru_cache
from pathlib import Path

import torch
import torch.nn.functional as F
from torch.utils.data import Dataset

from .plot import show_images

try:
    import fcntl  # POSIX only; elsewhere the atomic renames alone keep parallel downloads safe
except ImportError:  # pragma: no cover
    fcntl = None

__all__ = ["DataError", "DataModule", "FashionMNIST", "MNIST"]

DATA_ENV_VAR = "D2LMINI_DATA"
DEFAULT_ROOT = Path("~/.cache/d2lmini/data")
DOWNLOAD_TIMEOUT = 30.0  # seconds a server may stay silent before the next mirror is tried

_FILES = ["train-images-idx3-ubyte", "train-labels-idx1-ubyte",
          "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"]
_MD5 = {name: dict(zip(_FILES, md5s)) for name, md5s in [  # of the uncompressed files, as published
    ("MNIST", ["6bbc9ace898e44ae57da46a324031adb", "a25bea736e30d166cdddb491f175f624",
               "2646ac647ad5339dbf082846283269ea", "27ae3e4e09519cfbb04c329615203637"]),
    ("FashionMNIST", ["f4a8712d7a061bf5bd6d2ca38dc4d50a", "9018921c3c673c538a1fc5bad174d6f9",
                      "8181f5470baa50b63fa0f6fddb340f0a", "15d484375f8d13e6eb1aabb0c3f46965"])]}
_MIRRORS = {  # FILE.gz is fetched from the first that works (yann.lecun.com now answers 403)
    "MNIST": ["https://ossci-datasets.s3.amazonaws.com/mnist/",
              "https://storage.googleapis.com/cvdf-datasets/mnist/"],
    "FashionMNIST": ["http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
                     "https://raw.githubusercontent.com/zalandoresearch/fashion-mnist/master/data/fashion/"]}


class DataError(RuntimeError):
    """The data set is missing, cannot be downloaded or stored, or its files are damaged."""


def data_root(root: str | os.PathLike | None = None) -> Path:
    """Folder that holds the data sets: ``root``, else $D2LMINI_DATA, else the default."""
    return Path(root or os.environ.get(DATA_ENV_VAR) or DEFAULT_ROOT).expanduser()


def _get(url: str) -> bytearray:
    """Download ``url``, showing progress; fail if the server is silent for too long."""
    print(f"  {url}", end="", flush=True)
    with urllib.request.urlopen(url, timeout=DOWNLOAD_TIMEOUT) as response:
        size, data = int(response.headers.get("Content-Length") or 0), bytearray()
        while chunk := response.read(1 << 18):
            data += chunk
            print(f"\r  {url}: {len(data):,} of {size:,} bytes", end="", flush=True)
    print()
    return data


def _fetch(name: str, raw: Path, file: str, mirrors: list[str]) -> None:
    """Put ``raw/file`` in place, from ``raw/file.gz`` or the first of ``mirrors`` that works."""
    gz, errors = raw / f"{file}.gz", []
    for source in ([gz] if gz.is_file() else []) + [f"{m}{file}.gz" for m in mirrors]:
        try:
            data = gzip.decompress(source.read_bytes() if source == gz else _get(source))
            if hashlib.md5(data).hexdigest() == _MD5[name][file]:
                mirrors.sort(key=lambda m: source != f"{m}{file}.gz")   # no wait on a silent one next time
                break
            errors.append(f"{source}: wrong md5 checksum (damaged, or not the original)")
        except Exception as exc:  # no network, a proxy, an HTTP error, a broken .gz file ...
            cause = exc.reason if type(exc) is urllib.error.URLError else exc  # the real cause
            why = " ".join(f"{type(cause).__name__}: {cause}".split())[:200]  # on one short line
            errors.append(f"{source}: " + (f"no answer within {DOWNLOAD_TIMEOUT:g} s"
                                           if "timed out" in why else why))
        print(f"\r  {errors[-1]}")
    else:
        raise DataError(
            f"Could not get {file} of {name} into {raw}:\n" + "".join(f"  {e}\n" for e in errors)
            + "To fix it: check the internet connection (or proxy) and run again; or download the "
            f"four .gz files\nfrom one of the addresses above into that folder yourself; or pass "
            f"root= (or set {DATA_ENV_VAR}) to a folder\nthat already has {name}/raw/ in it.")
    tmp = raw / f".{file}.{os.getpid()}.tmp"  # renamed when complete: no one sees half a file
    try:
        tmp.write_bytes(data)
        os.replace(tmp, raw / file)
    finally:
        tmp.unlink(missing_ok=True)


def _prepare(name: str, root: Path) -> Path:
    """Make sure the four files of ``name`` are in ``root/name/raw``; return that folder."""
    raw = root / name / "raw"
    if all((raw / f).is_file() for f in _FILES):
        return raw  # nothing to write: a read-only folder is fine
    try:
        raw.mkdir(parents=True, exist_ok=True)
        with open(raw / ".lock", "w") as lock:
            if fcntl is not None:  # a second process waits here, then finds the files there
                try:
                    fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    print(f"Waiting for another download into {raw} to finish ...")
                    fcntl.flock(lock, fcntl.LOCK_EX)
            missing = [f for f in _FILES if not (raw / f).is_file()]
            if missing:
                print(f"Downloading {name} into {raw} (once) ...")
            mirrors = list(_MIRRORS[name])
            for file in missing:
                _fetch(name, raw, file, mirrors)
    except OSError as exc:  # a file where a folder should be, no permission, a full disk ...
        file = next((p for p in (raw, *raw.parents) if p.exists() and not p.is_dir()), None)
        problem = f"{file} is a file, not a folder" if file else f"{exc.strerror or exc} ({raw})"
        fix = "move that file away, or " if file else ""
        raise DataError(f"Cannot store {name}: {problem}.\nTo fix it: {fix}pass root= (or set "
                        f"{DATA_ENV_VAR}) to a folder you can write to, with 60 MB free.") from None
    return raw


@lru_cache(maxsize=4)
def _load(name: str, root: Path) -> tuple[torch.Tensor, ...]:
    """(train images, train labels, test images, test labels) of ``name``; cached, so copy them."""
    raw = _prepare(name, root)
    blobs = {f: bytearray((raw / f).read_bytes()) for f in _FILES}
    damaged = [raw / f for f in _FILES if hashlib.md5(blobs[f]).hexdigest() != _MD5[name][f]]
    if damaged:
        raise DataError(
            f"{raw} has damaged files: {', '.join(p.name for p in damaged)} (wrong md5 checksum: an "
            f"interrupted download or copy?).\nTo fix it, delete only the damaged files (the others "
            f"are intact) and run again to get a fresh copy:\n    import os\n"
            + "".join(f"    os.remove({str(p)!r})\n" for p in damaged))
    tensors = []
    for data in blobs.values():  # idx format: 0, 0, 8 (uint8), ndim, ndim big-endian sizes
        shape = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(data[3])]
        x = torch.frombuffer(data, dtype=torch.uint8, offset=4 + 4 * data[3]).view(shape)
        tensors.append(x.long() if x.dim() == 1 else x)
    return tuple(tensors)


class ImageSplit(Dataset):
    """One split as a ``Dataset`` of ``(image, label)``, images float (1, H, W) in [0, 1]."""

    def __init__(self, images: torch.Tensor, labels: torch.Tensor) -> None:
        self.images, self.labels = images, labels

    def __len__(self) -> int:
        return len(self.labels)

    def __getitem__(self, idx: int) -> tuple[torch.Tensor, int]:
        return self.images[idx].unsqueeze(0).float().div_(255), int(self.labels[idx])

    def __repr__(self) -> str:
        size = "x".join(map(str, self.images.shape[1:]))
        return f"ImageSplit({len(self)} images of {size}, uint8 in memory)"


class TensorLoader:
    """Mini-batches ``(X, y)`` of uint8 images (N, H, W): ``X`` float32 (B, 1, H, W) in [0, 1],
    resized to ``resize`` if given, ``y`` int64 (B,); ``shuffle`` draws a new order every epoch.

    Example:
        >>> loader = TensorLoader(torch.zeros(10, 28, 28, dtype=torch.uint8), torch.arange(10), 4)
        >>> len(loader), [len(y) for _, y in loader]
        (3, [4, 4, 2])
    """

    def __init__(self, images: torch.Tensor, labels: torch.Tensor, batch_size: int,
                 shuffle: bool = False, resize: tuple[int, int] | None = None) -> None:
        if not isinstance(batch_size, int) or batch_size < 1:
            raise ValueError(f"batch_size must be a positive int, got {batch_size!r}")
        if images.dtype != torch.uint8 or images.dim() != 3:
            raise ValueError(f"expected uint8 images (N, H, W) with values 0-255, got {images.dtype} "
                             f"{tuple(images.shape)}: convert images in [0, 1] with (X * 255).round().byte()")
        if labels.shape != images.shape[:1]:
            raise ValueError(f"{len(images)} images, labels {tuple(labels.shape)}: one label per image")
        self.images, self.labels, self.batch_size = images, labels, batch_size
        self.shuffle, self.resize = shuffle, resize

    @property
    def device(self) -> torch.device:
        return self.images.device

    def to(self, device: torch.device | str) -> TensorLoader:
        """Return a loader whose batches are made on ``device`` (data copied once)."""
        return self if torch.device(device) == self.device else TensorLoader(
            self.images.to(device), self.labels.to(device), self.batch_size, self.shuffle, self.resize)

    def __len__(self) -> int:
        return -(-len(self.labels) // self.batch_size)  # the last batch may be smaller

    def __iter__(self) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        b = self.batch_size
        order = torch.randperm(len(self.labels), device=self.device) if self.shuffle else None
        for i in range(len(self)):
            idx = slice(i * b, (i + 1) * b) if order is None else order[i * b:(i + 1) * b]
            X = self.images[idx].unsqueeze(1).float().div_(255)
            if self.resize is not None:
                X = F.interpolate(X, size=self.resize, mode="bilinear", antialias=True)
            yield X, self.labels[idx]


class DataModule:
    """Base class of a data set, as in the d2l book: subclasses define :meth:`get_dataloader`."""

    def get_dataloader(self, train: bool):
        raise NotImplementedError

    def train_dataloader(self):
        """Shuffled mini-batches of the training split."""
        return self.get_dataloader(train=True)

    def val_dataloader(self):
        """Mini-batches of the validation split, in a fixed order."""
        return self.get_dataloader(train=False)


class MNIST(DataModule):
    """Handwritten digits 0-9, 28x28 grayscale, as splits ``train`` (60,000), ``val`` and ``test``.

    Args:
        batch_size: examples per mini-batch.
        resize: size of the images in the batches, e.g. ``(32, 32)`` or ``32``; default 28x28.
        root: folder of the data sets (default: $D2LMINI_DATA, else ~/.cache/d2lmini/data).
        num_val: training images held out as ``val`` to tune on, the same on every run and
            machine; 0 (the d2l book's choice) makes ``val`` the test split.
        num_train: keep only this many of the other training images (a fixed random choice).

    Example:
        >>> data = MNIST(batch_size=256, num_val=5000)       # doctest: +SKIP
        >>> len(data.train), len(data.val), len(data.test)   # doctest: +SKIP
        (55000, 5000, 10000)
    """

    name = "MNIST"
    labels: Sequence[str] = tuple(str(d) for d in range(10))

    def __init__(self, batch_size: int = 64, resize: tuple[int, int] | int | None = None,
                 root: str | os.PathLike | None = None, num_val: int = 0, num_train: int | None = None):
        resize = (resize, resize) if isinstance(resize, int) else resize
        self.resize = None if resize is None or tuple(resize) == (28, 28) else tuple(resize)
        self.batch_size, self.root = batch_size, data_root(root)
        try:
            images, labels, test_images, test_labels = _load(self.name, self.root)
        except DataError as exc:  # a short traceback: the caller's line and this one
            raise exc.with_traceback(None) from None
        n = len(labels)
        if not 0 <= num_val < n or num_train is not None and not 0 < num_train <= n - num_val:
            raise ValueError(f"{self.name} has {n} training images: num_val={num_val} and "
                             f"num_train={num_train} must fit in them, with num_train >= 1")
        # The same draw on every run, from its own generator: the global seed is left alone.
        order = torch.randperm(n, generator=torch.Generator().manual_seed(0))
        keep, val = order[num_val:][:num_train].sort().values, order[:num_val].sort().values
        self.train = ImageSplit(images[keep], labels[keep])  # indexing copies: this module's own
        self.test = ImageSplit(test_images.clone(), test_labels.clone())
        self.val = ImageSplit(images[val], labels[val]) if num_val else self.test

    def get_dataloader(self, train: bool) -> TensorLoader:
        """Mini-batches of ``train`` (``train=True``, shuffled) or of ``val`` (in order)."""
        split = self.train if train else self.val
        return TensorLoader(split.images, split.labels, self.batch_size, train, self.resize)

    def test_dataloader(self) -> TensorLoader:
        """Mini-batches of the test split, in a fixed order: for the one final evaluation."""
        return TensorLoader(self.test.images, self.test.labels, self.batch_size, False, self.resize)

    def text_labels(self, indices: Sequence[int] | torch.Tensor) -> list[str]:
        """Class names of label indices (see the example of :class:`FashionMNIST`)."""
        return [self.labels[int(i)] for i in indices]

    def visualize(self, batch, nrows: int = 1, ncols: int = 8, labels: Sequence[str] = ()):
        """Show the first ``nrows * ncols`` images of a batch, titled with their classes."""
        X, y = batch
        titles = list(labels or self.text_labels(y))[: nrows * ncols]
        return show_images(X[: nrows * ncols], nrows, ncols, titles=titles)

    def __repr__(self) -> str:
        size = "x".join(map(str, self.resize or (28, 28)))
        val = "val=test=" if self.val is self.test else f"val={len(self.val)}, test="
        return (f"{type(self).__name__}(train={len(self.train)}, {val}{len(self.test)}, "
                f"{size}, batch_size={self.batch_size}, root='{self.root}')")


class FashionMNIST(MNIST):
    """Zalando's clothing images, a drop-in replacement of :class:`MNIST` (same sizes and arguments).

    Example:
        >>> FashionMNIST(batch_size=128).text_labels([0, 9])   # doctest: +SKIP
        ['T-shirt/top', 'Ankle boot']
    """

    name = "FashionMNIST"
    labels = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
              "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot")

"""Shared test set-up: a non-interactive matplotlib, closed figures, data-root and book helpers."""

from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import pytest
import yaml

import d2lmini as d2l
from d2lmini import data as d2l_data


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def have_real_data(name: str) -> bool:
    raw = d2l_data.data_root() / name / "raw"
    return all((raw / f).is_file() for f in d2l_data._MD5[name])


@pytest.fixture
def fashion():
    """The real Fashion-MNIST from $D2LMINI_DATA (CI points it at ../shared/data)."""
    if not have_real_data("FashionMNIST"):
        pytest.skip(f"Fashion-MNIST not found under {d2l_data.data_root()}: set D2LMINI_DATA")
    return d2l.FashionMNIST(batch_size=128)


@pytest.fixture
def mnist():
    """The real MNIST from $D2LMINI_DATA."""
    if not have_real_data("MNIST"):
        pytest.skip(f"MNIST not found under {d2l_data.data_root()}: set D2LMINI_DATA")
    return d2l.MNIST(batch_size=256)


ROOT = Path(__file__).resolve().parents[1]


def toc_files() -> list[str]:
    """Every file _toc.yml lists, root first, as written there (usually without a suffix)."""
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf-8"))
    files = [toc["root"]]

    def walk(entries):
        for entry in entries or []:
            if "file" in entry:
                files.append(entry["file"])
            walk(entry.get("sections"))

    for part in toc.get("parts", []):
        walk(part.get("chapters"))
    walk(toc.get("chapters"))
    return files

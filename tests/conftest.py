"""Shared test set-up: a non-interactive matplotlib, closed figures, data-root helpers."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import pytest

import d2lmini as d2l


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def have_real_data(name: str) -> bool:
    raw = d2l.data_root() / name / "raw"
    return all((raw / f).is_file() for f in d2l.data._MD5[name])


@pytest.fixture
def fashion():
    """The real Fashion-MNIST from $D2LMINI_DATA (CI points it at ../shared/data)."""
    if not have_real_data("FashionMNIST"):
        pytest.skip(f"Fashion-MNIST not found under {d2l.data_root()}: set D2LMINI_DATA")
    return d2l.FashionMNIST(batch_size=128)


@pytest.fixture
def mnist():
    """The real MNIST from $D2LMINI_DATA."""
    if not have_real_data("MNIST"):
        pytest.skip(f"MNIST not found under {d2l.data_root()}: set D2LMINI_DATA")
    return d2l.MNIST(batch_size=256)

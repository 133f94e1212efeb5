"""Tests of d2lmini.metrics: confusion matrix, its largest errors and its plot."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import pytest
import torch
from torch import nn

from d2lmini.metrics import confusion_matrix, most_confused, show_confusion_matrix


class Fixed(nn.Module):
    """Predicts the class stored in the input's first value (as one-hot logits)."""

    def __init__(self, k=3):
        super().__init__()
        self.k = k
        self.dummy = nn.Parameter(torch.zeros(1))

    def forward(self, X):
        return nn.functional.one_hot(X[:, 0].long(), self.k).float() + 0 * self.dummy


def test_confusion_matrix_counts_pairs():
    pred = torch.tensor([0, 1, 1, 2, 0, 2, 2])
    y = torch.tensor([0, 1, 2, 2, 1, 2, 0])
    loader = [(pred[:4, None].float(), y[:4]), (pred[4:, None].float(), y[4:])]
    cm = confusion_matrix(Fixed(), loader)
    expected = torch.zeros(3, 3, dtype=torch.int64)
    for t, p in zip(y, pred):
        expected[t, p] += 1
    assert torch.equal(cm, expected)
    assert cm.sum().item() == 7 and cm.trace().item() == 4


def test_confusion_matrix_restores_mode_and_checks_input():
    net = nn.Sequential(nn.Flatten(), nn.Linear(4, 3))
    net.train()
    cm = confusion_matrix(net, [(torch.randn(5, 1, 2, 2), torch.tensor([0, 1, 2, 2, 1]))])
    assert net.training and cm.shape == (3, 3) and cm.sum() == 5
    with pytest.raises(ValueError, match="integers in"):
        confusion_matrix(net, [(torch.randn(2, 1, 2, 2), torch.tensor([0, 7]))])
    with pytest.raises(ValueError, match="no batches"):
        confusion_matrix(net, [])
    with pytest.raises(ValueError, match="pairs"):
        confusion_matrix(net, [torch.randn(2, 4)])


def test_most_confused_orders_off_diagonal_cells():
    cm = torch.tensor([[50, 2, 9], [0, 40, 1], [4, 0, 30]])
    top = most_confused(cm, ["a", "b", "c"], k=3)
    assert top == [("a", "c", 9), ("c", "a", 4), ("a", "b", 2)]
    assert most_confused(torch.eye(2, dtype=torch.int64), ["a", "b"]) == []
    with pytest.raises(ValueError, match="class names"):
        most_confused(cm, ["a", "b"])
    with pytest.raises(ValueError, match="square"):
        most_confused(torch.zeros(2, 3), ["a", "b"])


def test_show_confusion_matrix_labels_axes_with_class_names():
    names = ["cat", "dog", "bird"]
    ax = show_confusion_matrix(torch.tensor([[5, 1, 0], [3, 4, 0], [0, 0, 2]]), names)
    assert [t.get_text() for t in ax.get_xticklabels()] == names
    assert [t.get_text() for t in ax.get_yticklabels()] == names
    assert ax.get_xlabel() == "predicted class" and ax.get_ylabel() == "true class"
    assert len(ax.texts) == 9
    plt.close("all")


def test_confusion_matrix_rejects_num_classes_below_the_model_width():
    # A prediction of class 2 with num_classes=2 used to be counted in the next row.
    with pytest.raises(ValueError, match="num_classes=2"):
        confusion_matrix(Fixed(3), [(torch.tensor([[2.0]]), torch.tensor([0]))], num_classes=2)
    cm = confusion_matrix(Fixed(3), [(torch.tensor([[2.0]]), torch.tensor([0]))], num_classes=4)
    assert cm.shape == (4, 4) and cm[0, 2] == 1


def test_most_confused_unsigned_counts_and_input_untouched():
    import numpy as np

    assert most_confused(np.array([[5, 1], [3, 4]], dtype=np.uint8), ["a", "b"]) == [
        ("b", "a", 3), ("a", "b", 1)]
    cm = torch.tensor([[5.0, 1.0], [3.0, 4.0]], dtype=torch.float64)
    most_confused(cm, ["a", "b"])
    assert cm[0, 0] == 5.0


def test_show_confusion_matrix_of_fractions_shows_the_fractions():
    cm = torch.tensor([[0.9, 0.1], [0.3, 0.7]])          # rows normalised: used to print all 0s
    ax = show_confusion_matrix(cm, ["cat", "dog"])
    assert [t.get_text() for t in ax.texts] == ["0.90", "0.10", "0.30", "0.70"]
    assert ax.images[0].get_clim() == (0, pytest.approx(0.3))


def test_most_confused_rejects_negative_k():
    with pytest.raises(ValueError, match="k must be"):
        most_confused(torch.tensor([[5, 1], [3, 4]]), ["cat", "dog"], k=-1)

"""d2lmini: the small helper package of the convolutional-networks course.

Names follow the d2l book (``Trainer``, ``Classifier``, ``FashionMNIST``, ``try_gpu``),
so ``import d2lmini as d2l`` can replace ``from d2l import torch as d2l``. The answer
checkers of the exercises are a separate import: ``from d2lmini import check``.
"""

from .data import MNIST, DataError, DataModule, FashionMNIST
from .device import cpu, num_gpus, set_seed, try_all_gpus, try_gpu
from .module import Classifier, LeNet, ModelShapeError, Module, add_to_class, init_cnn, layer_summary
from .plot import plot, show_feature_maps, show_images, show_kernels, show_numbers
from .trainer import History, Trainer, TrainingDivergedError

__version__ = "0.2.1"

__all__ = [
    "Classifier", "DataError", "DataModule", "FashionMNIST", "History", "LeNet", "MNIST",
    "ModelShapeError", "Module", "Trainer", "TrainingDivergedError", "add_to_class", "cpu",
    "init_cnn", "layer_summary", "num_gpus", "plot", "set_seed", "show_feature_maps",
    "show_images", "show_kernels", "show_numbers", "try_all_gpus", "try_gpu",
]

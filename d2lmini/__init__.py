"""d2lmini: the small helper package of the convolutional-networks course.

Names follow the d2l book (``Trainer``, ``Classifier``, ``FashionMNIST``, ``try_gpu``),
so ``import d2lmini as d2l`` can replace ``from d2l import torch as d2l``.
"""

from . import models
from .data import DATA_ENV_VAR, MNIST, DataError, DataModule, FashionMNIST, TensorLoader, data_root
from .device import best_device, cpu, num_gpus, set_seed, try_all_gpus, try_gpu
from .module import Classifier, Module, init_cnn, layer_summary
from .plot import ProgressBoard, plot, show_feature_maps, show_images, show_kernels
from .trainer import History, Trainer, TrainingDivergedError
from .utils import Accumulator, Timer, accuracy, add_to_class, evaluate_accuracy

__version__ = "0.1.0"

__all__ = [
    "DATA_ENV_VAR", "Accumulator", "Classifier", "DataError", "DataModule", "FashionMNIST",
    "History", "MNIST", "Module", "ProgressBoard", "TensorLoader", "Timer", "Trainer",
    "TrainingDivergedError", "accuracy", "add_to_class", "best_device", "cpu", "data_root",
    "evaluate_accuracy", "init_cnn", "layer_summary", "models", "num_gpus", "plot",
    "set_seed", "show_feature_maps", "show_images", "show_kernels", "try_all_gpus", "try_gpu",
]

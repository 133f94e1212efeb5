"""d2lmini: the small helper package of the convolutional-networks course.

Names follow the d2l book (``Trainer``, ``Classifier``, ``FashionMNIST``, ``try_gpu``),
so ``import d2lmini as d2l`` can replace ``from d2l import torch as d2l``.
"""

from . import check, experiments, models
from .data import DATA_ENV_VAR, MNIST, DataError, DataModule, FashionMNIST, TensorLoader, data_root
from .device import best_device, cpu, num_gpus, set_seed, try_all_gpus, try_gpu
from .diagrams import draw_architecture, draw_lenet
from .experiments import Runs, results_table, subset, sweep, train_seeds
from .kernels import apply_kernel, gaussian_kernel, show_window
from .metrics import confusion_matrix, most_confused, show_confusion_matrix
from .module import Classifier, Module, init_cnn, layer_summary
from .plot import ProgressBoard, plot, show_feature_maps, show_images, show_kernels
from .shapes import conv_output_size
from .trainer import History, Trainer, TrainingDivergedError
from .utils import Accumulator, Timer, accuracy, add_to_class, evaluate_accuracy

__version__ = "0.1.0"

__all__ = [
    "DATA_ENV_VAR", "Accumulator", "Classifier", "DataError", "DataModule", "FashionMNIST",
    "History", "MNIST", "Module", "ProgressBoard", "TensorLoader", "Timer", "Trainer",
    "Runs", "TrainingDivergedError", "accuracy", "add_to_class", "apply_kernel", "best_device", "check",
    "confusion_matrix", "conv_output_size", "cpu", "data_root", "draw_architecture", "draw_lenet",
    "evaluate_accuracy", "experiments", "gaussian_kernel", "init_cnn", "layer_summary", "models",
    "most_confused", "num_gpus", "plot", "results_table", "show_confusion_matrix",
    "set_seed", "show_feature_maps", "show_images", "show_kernels", "show_window", "subset", "sweep",
    "train_seeds", "try_all_gpus", "try_gpu",
]

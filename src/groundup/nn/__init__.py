"""groundup.nn: modules, layers and losses with PyTorch's names, defaults and layouts."""

from groundup.nn import functional, init, utils
from groundup.nn.activation import GELU, LeakyReLU, LogSoftmax, ReLU, Sigmoid, Softmax, Tanh
from groundup.nn.batchnorm import BatchNorm1d
from groundup.nn.container import ModuleDict, ModuleList, Sequential
from groundup.nn.dropout import Dropout
from groundup.nn.embedding import Embedding
from groundup.nn.linear import Flatten, Identity, Linear
from groundup.nn.loss import (
    BCELoss,
    BCEWithLogitsLoss,
    CrossEntropyLoss,
    L1Loss,
    MSELoss,
    NLLLoss,
)
from groundup.nn.module import Module, Parameter
from groundup.nn.normalization import LayerNorm

__all__ = [
    "BCELoss",
    "BCEWithLogitsLoss",
    "BatchNorm1d",
    "CrossEntropyLoss",
    "Dropout",
    "Embedding",
    "Flatten",
    "GELU",
    "Identity",
    "L1Loss",
    "LayerNorm",
    "LeakyReLU",
    "Linear",
    "LogSoftmax",
    "MSELoss",
    "Module",
    "ModuleDict",
    "ModuleList",
    "NLLLoss",
    "Parameter",
    "ReLU",
    "Sequential",
    "Sigmoid",
    "Softmax",
    "Tanh",
    "functional",
    "init",
    "utils",
]

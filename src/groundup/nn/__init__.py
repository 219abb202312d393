"""groundup.nn: modules, layers and losses with PyTorch's names, defaults and layouts."""

from groundup.nn import functional, init
from groundup.nn.activation import GELU, LeakyReLU, LogSoftmax, ReLU, Sigmoid, Softmax, Tanh
from groundup.nn.container import ModuleDict, ModuleList, Sequential
from groundup.nn.linear import Flatten, Identity, Linear
from groundup.nn.module import Module, Parameter

# ---- layers: dropout, embedding

# ---- losses and normalization

__all__ = [
    "GELU",
    "Flatten",
    "Identity",
    "LeakyReLU",
    "Linear",
    "LogSoftmax",
    "Module",
    "ModuleDict",
    "ModuleList",
    "Parameter",
    "ReLU",
    "Sequential",
    "Sigmoid",
    "Softmax",
    "Tanh",
    "functional",
    "init",
]

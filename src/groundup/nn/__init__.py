"""groundup.nn: modules, layers and losses with PyTorch's names, defaults and layouts."""

from groundup.nn import functional, init, utils
from groundup.nn.activation import GELU, LeakyReLU, LogSoftmax, ReLU, Sigmoid, Softmax, Tanh
from groundup.nn.attention import AdditiveAttention, DotProductAttention, GeneralAttention
from groundup.nn.batchnorm import BatchNorm1d, BatchNorm2d
from groundup.nn.container import ModuleDict, ModuleList, Sequential
from groundup.nn.conv import Conv1d, Conv2d, ConvTranspose1d, ConvTranspose2d
from groundup.nn.dropout import Dropout, Dropout2d
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
from groundup.nn.multihead_attention import MultiheadAttention
from groundup.nn.normalization import LayerNorm
from groundup.nn.pooling import AdaptiveAvgPool2d, AvgPool1d, AvgPool2d, MaxPool1d, MaxPool2d
from groundup.nn.positional import LearnedPositionalEncoding, SinusoidalPositionalEncoding
from groundup.nn.rnn import GRU, LSTM, RNN, GRUCell, LSTMCell, RNNBase, RNNCell, RNNCellBase
from groundup.nn.transformer import (
    Transformer,
    TransformerDecoder,
    TransformerDecoderLayer,
    TransformerEncoder,
    TransformerEncoderLayer,
)

__all__ = [
    "LearnedPositionalEncoding",
    "MultiheadAttention",
    "SinusoidalPositionalEncoding",
    "Transformer",
    "TransformerDecoder",
    "TransformerDecoderLayer",
    "TransformerEncoder",
    "TransformerEncoderLayer",
    "AdaptiveAvgPool2d",
    "AvgPool1d",
    "AvgPool2d",
    "BatchNorm2d",
    "Conv1d",
    "Conv2d",
    "ConvTranspose1d",
    "ConvTranspose2d",
    "Dropout2d",
    "MaxPool1d",
    "MaxPool2d",
    "AdditiveAttention",
    "BCELoss",
    "BCEWithLogitsLoss",
    "BatchNorm1d",
    "CrossEntropyLoss",
    "DotProductAttention",
    "Dropout",
    "Embedding",
    "Flatten",
    "GELU",
    "GeneralAttention",
    "GRU",
    "GRUCell",
    "Identity",
    "L1Loss",
    "LSTM",
    "LSTMCell",
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
    "RNN",
    "RNNBase",
    "RNNCell",
    "RNNCellBase",
    "ReLU",
    "Sequential",
    "Sigmoid",
    "Softmax",
    "Tanh",
    "functional",
    "init",
    "utils",
]

"""groundup.nn.functional: the stateless forms of the layers and losses."""

from groundup.ops.activation import gelu, leaky_relu, log_softmax, relu, sigmoid, softmax, tanh
from groundup.ops.dropout import dropout
from groundup.ops.embedding import embedding
from groundup.ops.linalg import linear

# ---- losses and normalization

__all__ = [
    "dropout",
    "embedding",
    "gelu",
    "leaky_relu",
    "linear",
    "log_softmax",
    "relu",
    "sigmoid",
    "softmax",
    "tanh",
]

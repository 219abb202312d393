"""groundup.nn.functional: the stateless forms of the layers and losses."""

from groundup.ops.activation import gelu, leaky_relu, log_softmax, relu, sigmoid, softmax, tanh
from groundup.ops.cross_entropy import cross_entropy, nll_loss
from groundup.ops.dropout import dropout
from groundup.ops.embedding import embedding
from groundup.ops.linalg import linear
from groundup.ops.loss import (
    binary_cross_entropy,
    binary_cross_entropy_with_logits,
    l1_loss,
    mse_loss,
)
from groundup.ops.norm import batch_norm, layer_norm

__all__ = [
    "batch_norm",
    "binary_cross_entropy",
    "binary_cross_entropy_with_logits",
    "cross_entropy",
    "dropout",
    "embedding",
    "gelu",
    "layer_norm",
    "l1_loss",
    "leaky_relu",
    "linear",
    "log_softmax",
    "mse_loss",
    "nll_loss",
    "relu",
    "sigmoid",
    "softmax",
    "tanh",
]

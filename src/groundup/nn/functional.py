"""groundup.nn.functional: the stateless forms of the layers and losses."""

from groundup.ops.activation import gelu, leaky_relu, log_softmax, relu, sigmoid, softmax, tanh
from groundup.ops.attention import scaled_dot_product_attention
from groundup.ops.conv import conv1d, conv2d
from groundup.ops.conv_transpose import conv_transpose1d, conv_transpose2d
from groundup.ops.cross_entropy import cross_entropy, nll_loss
from groundup.ops.dropout import dropout, dropout2d
from groundup.ops.embedding import embedding
from groundup.ops.im2col import col2im, fold, im2col, unfold
from groundup.ops.linalg import linear
from groundup.ops.loss import (
    binary_cross_entropy,
    binary_cross_entropy_with_logits,
    l1_loss,
    mse_loss,
)
from groundup.ops.norm import batch_norm, layer_norm
from groundup.ops.pool import (
    adaptive_avg_pool2d,
    avg_pool1d,
    avg_pool2d,
    max_pool1d,
    max_pool2d,
)

__all__ = [
    "scaled_dot_product_attention",
    "adaptive_avg_pool2d",
    "avg_pool1d",
    "avg_pool2d",
    "col2im",
    "conv1d",
    "conv2d",
    "conv_transpose1d",
    "conv_transpose2d",
    "dropout2d",
    "fold",
    "im2col",
    "max_pool1d",
    "max_pool2d",
    "unfold",
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

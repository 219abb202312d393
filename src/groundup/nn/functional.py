"""groundup.nn.functional: the stateless forms of the layers and losses.

Most functions live in `groundup.ops` and are re-exported here. Defined here are torch's
`nn.functional` spellings that add to them: `inplace=` (F.relu(x, inplace=True) changes x
through `groundup.inplace.apply_inplace`, exactly as x.relu_() does), the in-place twins
(F.relu_, F.elu_, ...), softmax's `dim=None` legacy rule and `dtype=`, and softmin.
"""

from __future__ import annotations

import warnings
from typing import Any

from groundup.inplace import apply_inplace
from groundup.ops import activation as _A
from groundup.ops import activation_extra as _X
from groundup.ops import activation_param as _P
from groundup.ops import dropout as _D
from groundup.ops import elementwise as _E
from groundup.ops.activation import gelu, sigmoid, tanh
from groundup.ops.activation_extra import (
    hardshrink,
    logsigmoid,
    softplus,
    softshrink,
    softsign,
    tanhshrink,
)
from groundup.ops.activation_param import glu, prelu
from groundup.ops.attention import scaled_dot_product_attention
from groundup.ops.bilinear import bilinear
from groundup.ops.conv import conv1d, conv2d
from groundup.ops.conv_transpose import conv_transpose1d, conv_transpose2d
from groundup.ops.cross_entropy import cross_entropy, nll_loss
from groundup.ops.distance import cosine_similarity, normalize, one_hot, pairwise_distance, pdist
from groundup.ops.dropout_extra import alpha_dropout, dropout1d, feature_alpha_dropout
from groundup.ops.embedding import embedding
from groundup.ops.embedding_bag import embedding_bag
from groundup.ops.fold import fold, unfold
from groundup.ops.group_norm import group_norm, instance_norm
from groundup.ops.im2col import col2im, im2col
from groundup.ops.interpolate import interpolate
from groundup.ops.linalg import linear
from groundup.ops.loss import (
    binary_cross_entropy,
    binary_cross_entropy_with_logits,
    l1_loss,
    mse_loss,
)
from groundup.ops.loss_extra import (
    gaussian_nll_loss,
    huber_loss,
    kl_div,
    poisson_nll_loss,
    smooth_l1_loss,
    soft_margin_loss,
)
from groundup.ops.loss_margin import (
    cosine_embedding_loss,
    hinge_embedding_loss,
    margin_ranking_loss,
    triplet_margin_loss,
)
from groundup.ops.nn_torch import celu_, relu_, rrelu_, selu_, threshold_
from groundup.ops.norm import batch_norm, layer_norm
from groundup.ops.padding import pad
from groundup.ops.pool import (
    adaptive_avg_pool2d,
    avg_pool1d,
    avg_pool2d,
    max_pool1d,
    max_pool2d,
)
from groundup.ops.pool_extra import adaptive_avg_pool1d, adaptive_max_pool1d, adaptive_max_pool2d
from groundup.ops.rms_norm import rms_norm
from groundup.ops.shuffle import pixel_shuffle, pixel_unshuffle
from groundup.tensor import Tensor


# ------------------------------------------------------- activations with inplace=
def _maybe_inplace(
    input: Tensor,  # noqa: A002 - torch's names
    op: Any,
    args: tuple[Any, ...],
    inplace: bool,
    name: str,
) -> Tensor:
    """op(input, *args), or the same written into `input` (torch's `inplace=True`)."""
    if inplace:
        return apply_inplace(input, op, args, {}, name)
    return op(input, *args)


def relu(input: Tensor, inplace: bool = False) -> Tensor:  # noqa: A002
    return _maybe_inplace(input, _A.relu, (), inplace, "relu_")


def leaky_relu(
    input: Tensor,  # noqa: A002
    negative_slope: float = 0.01,
    inplace: bool = False,
) -> Tensor:
    return _maybe_inplace(input, _A.leaky_relu, (negative_slope,), inplace, "leaky_relu_")


def leaky_relu_(input: Tensor, negative_slope: float = 0.01) -> Tensor:  # noqa: A002
    return apply_inplace(input, _A.leaky_relu, (negative_slope,), {}, "leaky_relu_")


def elu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:  # noqa: A002
    return _maybe_inplace(input, _X.elu, (alpha,), inplace, "elu_")


def elu_(input: Tensor, alpha: float = 1.0) -> Tensor:  # noqa: A002
    return apply_inplace(input, _X.elu, (alpha,), {}, "elu_")


def selu(input: Tensor, inplace: bool = False) -> Tensor:  # noqa: A002
    return _maybe_inplace(input, _X.selu, (), inplace, "selu_")


def celu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:  # noqa: A002
    return _maybe_inplace(input, _X.celu, (alpha,), inplace, "celu_")


def hardtanh(
    input: Tensor,  # noqa: A002
    min_val: float = -1.0,
    max_val: float = 1.0,
    inplace: bool = False,
) -> Tensor:
    return _maybe_inplace(input, _X.hardtanh, (min_val, max_val), inplace, "hardtanh_")


def hardtanh_(input: Tensor, min_val: float = -1.0, max_val: float = 1.0) -> Tensor:  # noqa: A002
    return apply_inplace(input, _X.hardtanh, (min_val, max_val), {}, "hardtanh_")


def relu6(input: Tensor, inplace: bool = False) -> Tensor:  # noqa: A002
    return _maybe_inplace(input, _X.relu6, (), inplace, "hardtanh_")


def silu(input: Tensor, inplace: bool = False) -> Tensor:  # noqa: A002
    return _maybe_inplace(input, _X.silu, (), inplace, "silu_")


def mish(input: Tensor, inplace: bool = False) -> Tensor:  # noqa: A002
    return _maybe_inplace(input, _X.mish, (), inplace, "mish_")


def hardswish(input: Tensor, inplace: bool = False) -> Tensor:  # noqa: A002
    return _maybe_inplace(input, _X.hardswish, (), inplace, "hardswish_")


def hardsigmoid(input: Tensor, inplace: bool = False) -> Tensor:  # noqa: A002
    return _maybe_inplace(input, _X.hardsigmoid, (), inplace, "hardsigmoid_")


def threshold(
    input: Tensor,  # noqa: A002
    threshold: float,
    value: float,
    inplace: bool = False,
) -> Tensor:
    return _maybe_inplace(input, _X.threshold, (threshold, value), inplace, "threshold_")


def rrelu(
    input: Tensor,  # noqa: A002
    lower: float = 1.0 / 8,
    upper: float = 1.0 / 3,
    training: bool = False,
    inplace: bool = False,
) -> Tensor:
    return _maybe_inplace(input, _P.rrelu, (lower, upper, training), inplace, "rrelu_")


def dropout(
    input: Tensor,  # noqa: A002
    p: float = 0.5,
    training: bool = True,
    inplace: bool = False,
) -> Tensor:
    """Zero each element with probability p, scale the rest by 1/(1-p) (training only)."""
    if inplace and training and p != 0:
        return apply_inplace(input, _D.dropout, (p, training), {}, "dropout_")
    return _D.dropout(input, p, training)


def dropout2d(
    input: Tensor,  # noqa: A002
    p: float = 0.5,
    training: bool = True,
    inplace: bool = False,
) -> Tensor:
    """Zero whole channels of (N, C, H, W) with probability p (training only)."""
    if inplace and training and p != 0:
        return apply_inplace(input, _D.dropout2d, (p, training), {}, "dropout2d_")
    return _D.dropout2d(input, p, training)


# --------------------------------------------------------------- softmax family
def _softmax_dim(name: str, dim: int | None, ndim: int, stacklevel: int) -> int:
    """torch's legacy rule when no dim is given (with a warning): 0 for 0-, 1- and 3-D
    inputs, else 1."""
    if dim is not None:
        return dim
    warnings.warn(
        f"{name}: implicit dimension choice for {name} has been deprecated; change the call "
        "to include dim=X as an argument",
        UserWarning,
        stacklevel=stacklevel,
    )
    return 0 if ndim in (0, 1, 3) else 1


def softmax(
    input: Tensor,  # noqa: A002
    dim: int | None = None,
    _stacklevel: int = 3,
    dtype: Any = None,
) -> Tensor:
    """exp(x) / sum(exp(x)) along `dim`; `dtype` casts the input first."""
    return _A.softmax(input, _softmax_dim("softmax", dim, input.ndim, _stacklevel), dtype)


def log_softmax(
    input: Tensor,  # noqa: A002
    dim: int | None = None,
    _stacklevel: int = 3,
    dtype: Any = None,
) -> Tensor:
    """log(softmax(x)) along `dim`, computed stably; `dtype` casts the input first."""
    return _A.log_softmax(input, _softmax_dim("log_softmax", dim, input.ndim, _stacklevel), dtype)


def softmin(
    input: Tensor,  # noqa: A002
    dim: int | None = None,
    _stacklevel: int = 3,
    dtype: Any = None,
) -> Tensor:
    """softmax(-x) along `dim`: large inputs get small weights."""
    dim = _softmax_dim("softmin", dim, input.ndim, _stacklevel)
    return _A.softmax(_E.neg(input), dim, dtype)


__all__ = [
    "adaptive_avg_pool2d",
    "avg_pool1d",
    "avg_pool2d",
    "batch_norm",
    "binary_cross_entropy",
    "binary_cross_entropy_with_logits",
    "celu",
    "celu_",
    "col2im",
    "conv1d",
    "conv2d",
    "conv_transpose1d",
    "conv_transpose2d",
    "cosine_embedding_loss",
    "cosine_similarity",
    "cross_entropy",
    "dropout",
    "dropout2d",
    "elu",
    "elu_",
    "embedding",
    "fold",
    "gaussian_nll_loss",
    "gelu",
    "glu",
    "group_norm",
    "hardshrink",
    "hardsigmoid",
    "hardswish",
    "hardtanh",
    "hardtanh_",
    "hinge_embedding_loss",
    "huber_loss",
    "im2col",
    "instance_norm",
    "interpolate",
    "kl_div",
    "l1_loss",
    "layer_norm",
    "leaky_relu",
    "leaky_relu_",
    "linear",
    "log_softmax",
    "logsigmoid",
    "margin_ranking_loss",
    "max_pool1d",
    "max_pool2d",
    "mish",
    "mse_loss",
    "nll_loss",
    "normalize",
    "one_hot",
    "pad",
    "pairwise_distance",
    "pdist",
    "poisson_nll_loss",
    "prelu",
    "relu",
    "relu6",
    "relu_",
    "rrelu",
    "rrelu_",
    "scaled_dot_product_attention",
    "selu",
    "selu_",
    "sigmoid",
    "silu",
    "smooth_l1_loss",
    "soft_margin_loss",
    "softmax",
    "softmin",
    "softplus",
    "softshrink",
    "softsign",
    "tanh",
    "tanhshrink",
    "threshold",
    "threshold_",
    "triplet_margin_loss",
    "unfold",
    # pooling, shuffles, dropouts, norms and bags (more of torch.nn.functional)
    "adaptive_avg_pool1d",
    "adaptive_max_pool1d",
    "adaptive_max_pool2d",
    "alpha_dropout",
    "bilinear",
    "dropout1d",
    "embedding_bag",
    "feature_alpha_dropout",
    "pixel_shuffle",
    "pixel_unshuffle",
    "rms_norm",
]

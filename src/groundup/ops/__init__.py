"""Differentiable ops by kind. Each op is a `Function` subclass plus a functional wrapper
that checks its arguments; `TENSOR_METHODS` makes them `Tensor` methods too, and `INPLACE`
names the ops whose in-place twin `x.op_(...)` exists (`groundup.inplace` runs them).

A family module lists its public functions in `__all__`; all of them become methods but
those in `NOT_METHODS` (torch.var_mean has no Tensor.var_mean), `METHODS` adds method-only
names or aliases, and `INPLACE` its in-place ops.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from groundup import inplace as _inplace
from groundup.ops import compare as _compare
from groundup.ops import conversion as _conversion
from groundup.ops import counting as _counting
from groundup.ops import cumulative as _cumulative
from groundup.ops import dtype_info as _dtype_info
from groundup.ops import indexing as _indexing
from groundup.ops import layout as _layout
from groundup.ops import linalg_torch as _linalg_torch
from groundup.ops import math as _math
from groundup.ops import math_binary as _math_binary
from groundup.ops import math_sign as _math_sign
from groundup.ops import pairwise as _pairwise
from groundup.ops import products as _products
from groundup.ops import reduce_extra as _reduce_extra
from groundup.ops import sampling as _sampling
from groundup.ops import shape_extra as _shape_extra
from groundup.ops import sorting as _sorting
from groundup.ops import special as _special
from groundup.ops import statistics as _statistics
from groundup.ops.activation import gelu, leaky_relu, log_softmax, relu, sigmoid, softmax, tanh
from groundup.ops.compare import *  # noqa: F403
from groundup.ops.conversion import *  # noqa: F403
from groundup.ops.counting import *  # noqa: F403
from groundup.ops.cumulative import *  # noqa: F403
from groundup.ops.dtype_info import *  # noqa: F403
from groundup.ops.elementwise import (
    abs,
    add,
    clamp,
    clip,
    clone,
    div,
    exp,
    log,
    masked_fill,
    maximum,
    minimum,
    mul,
    neg,
    pow,
    sqrt,
    sub,
    where,
)
from groundup.ops.indexing import *  # noqa: F403
from groundup.ops.layout import *  # noqa: F403
from groundup.ops.linalg import matmul
from groundup.ops.linalg_torch import *  # noqa: F403
from groundup.ops.math import *  # noqa: F403
from groundup.ops.math_binary import *  # noqa: F403
from groundup.ops.math_sign import *  # noqa: F403
from groundup.ops.pairwise import *  # noqa: F403
from groundup.ops.products import *  # noqa: F403
from groundup.ops.reduce import (
    amax,
    amin,
    argmax,
    argmin,
    logsumexp,
    max,
    mean,
    min,
    std,
    sum,
    var,
)
from groundup.ops.reduce_extra import *  # noqa: F403
from groundup.ops.sampling import *  # noqa: F403
from groundup.ops.shape import (
    chunk,
    expand,
    expand_as,
    flatten,
    getitem,
    permute,
    reshape,
    split,
    squeeze,
    transpose,
    unsqueeze,
    view,
)
from groundup.ops.shape_extra import *  # noqa: F403
from groundup.ops.sorting import *  # noqa: F403
from groundup.ops.special import *  # noqa: F403
from groundup.ops.statistics import *  # noqa: F403

if TYPE_CHECKING:
    from groundup.tensor import Tensor

_FAMILIES = (
    _compare,
    _math,
    _math_binary,
    _math_sign,
    _cumulative,
    _statistics,
    _indexing,
    _sorting,
    _layout,
    _products,
    _linalg_torch,
    _conversion,
    _special,
    _reduce_extra,
    _counting,
    _pairwise,
    _shape_extra,
    _dtype_info,
    _sampling,
)

TENSOR_METHODS: dict[str, Callable[..., Any]] = {
    f.__name__: f
    for f in (
        abs,
        add,
        clamp,
        clip,
        div,
        exp,
        log,
        masked_fill,
        maximum,
        minimum,
        mul,
        neg,
        pow,
        sqrt,
        sub,
        matmul,
        amax,
        amin,
        argmax,
        argmin,
        logsumexp,
        max,
        mean,
        min,
        std,
        sum,
        var,
        chunk,
        expand,
        expand_as,
        flatten,
        permute,
        reshape,
        split,
        squeeze,
        transpose,
        unsqueeze,
        relu,
        sigmoid,
        tanh,
        softmax,
        log_softmax,
        gelu,
        leaky_relu,
    )
}
TENSOR_METHODS["view"] = view
TENSOR_METHODS["clip"] = clip  # an alias: its __name__ is "clamp"


def _where_method(self: Tensor, condition: Tensor, other: Tensor) -> Tensor:
    """`x.where(condition, y)` is `where(condition, x, y)`, as in torch."""
    return where(condition, self, other)


TENSOR_METHODS["where"] = _where_method
for _family in _FAMILIES:
    _functions_only: frozenset[str] = getattr(_family, "NOT_METHODS", frozenset())
    TENSOR_METHODS.update(
        {name: getattr(_family, name) for name in _family.__all__ if name not in _functions_only}
    )
    TENSOR_METHODS.update(getattr(_family, "METHODS", {}))

TENSOR_METHODS.update(
    {
        "zero_": _inplace.zero_,
        "fill_": _inplace.fill_,
        "copy_": _inplace.copy_,
        "uniform_": _inplace.uniform_,
        "normal_": _inplace.normal_,
        "bernoulli_": _inplace.bernoulli_,
        "exponential_": _inplace.exponential_,
        "random_": _inplace.random_,
        "index_put_": _inplace.index_put_,
        "index_put": _inplace.index_put,
    }
)

# Ops whose in-place twin x.op_(...) exists, as in torch.
INPLACE: set[str] = {
    "abs",
    "add",
    "clamp",
    "clip",
    "div",
    "exp",
    "log",
    "masked_fill",
    "mul",
    "neg",
    "pow",
    "relu",
    "sigmoid",
    "sqrt",
    "sub",
    "tanh",
}
for _family in _FAMILIES:
    INPLACE |= getattr(_family, "INPLACE", set())

# torch.<name> ops of the nn.functional families (torch.selu, torch.cosine_similarity, ...:
# see ops/nn_torch.py), Tensor methods only where torch has them (x.hardshrink, x.prelu).
from groundup.ops import nn_torch as _nn_torch  # noqa: E402

TENSOR_METHODS.update(_nn_torch.METHODS)

__all__ = [
    "INPLACE",
    "TENSOR_METHODS",
    "abs",
    "add",
    "amax",
    "amin",
    "argmax",
    "argmin",
    "chunk",
    "clamp",
    "clip",
    "clone",
    "div",
    "exp",
    "expand",
    "expand_as",
    "flatten",
    "gelu",
    "getitem",
    "leaky_relu",
    "log",
    "log_softmax",
    "logsumexp",
    "masked_fill",
    "matmul",
    "max",
    "maximum",
    "mean",
    "min",
    "minimum",
    "mul",
    "neg",
    "permute",
    "pow",
    "relu",
    "reshape",
    "sigmoid",
    "softmax",
    "split",
    "sqrt",
    "squeeze",
    "std",
    "sub",
    "sum",
    "tanh",
    "transpose",
    "unsqueeze",
    "var",
    "view",
    "where",
]
for _family in _FAMILIES:
    __all__ += _family.__all__

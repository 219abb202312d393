"""Differentiable ops by kind. Each op is a `Function` subclass plus a functional wrapper
that checks its arguments; `TENSOR_METHODS` makes them `Tensor` methods too."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from groundup.ops.activation import gelu, leaky_relu, log_softmax, relu, sigmoid, softmax, tanh
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
from groundup.ops.linalg import matmul
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

if TYPE_CHECKING:
    from groundup.tensor import Tensor

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

__all__ = [
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

"""scatter_reduce: the src elements sent to each position, reduced with sum, prod, mean,
amax or amin (and the input's own element unless include_self=False).

The gradients are torch's (FunctionsManual.cpp, scatter_reduce_backward):

* sum: 1 for every term.
* mean: 1/N for every term, N the number of terms at the position.
* prod: d/d t of a product is the product of the other terms, result / t when t != 0.
  A zero term t gets the product of the others when it is the only zero of src there,
  else 0 (two zeros: every partial derivative has a zero factor).
* amax/amin: the terms equal to the result share the gradient evenly (ties).

With include_self=False the input's element is no term: where something is scattered it
gets no gradient. For amax/amin it is not counted among the ties either (torch counts it
when it happens to equal the result, which shrinks the src gradient; the value here is
the derivative, as central differences confirm).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from groundup.function import Function
from groundup.ops.torch_indexing import add_at, along, leading

REDUCTIONS = ("sum", "prod", "mean", "amax", "amin")


def check_reduce(reduce: Any) -> None:
    if reduce not in REDUCTIONS:
        raise RuntimeError(
            f"scatter_reduce(): reduce argument must be either sum, prod, mean, amax or amin, "
            f"got {reduce}"
        )


def _identity(reduce: str, dtype: np.dtype) -> Any:
    """The value a position starts from when the input's own element is left out."""
    if reduce in ("sum", "mean"):
        return 0
    if reduce == "prod":
        return 1
    if dtype.kind == "f":
        return -np.inf if reduce == "amax" else np.inf
    if dtype == np.bool_:
        return reduce == "amin"
    info = np.iinfo(dtype)
    return info.min if reduce == "amax" else info.max


def reduce_at(
    a: np.ndarray, key: Any, values: np.ndarray, reduce: str, include_self: bool
) -> np.ndarray:
    """a with `values` reduced into a[key] (positions that receive nothing keep a)."""
    out = a.copy()
    if not include_self:
        out[key] = _identity(reduce, a.dtype)
    if reduce in ("sum", "mean"):
        add_at(out, key, values)
    elif reduce == "prod":
        np.multiply.at(out, key, values)
    elif reduce == "amax":
        np.maximum.at(out, key, values)
    else:
        np.minimum.at(out, key, values)
    if reduce == "mean":
        count = _terms(a.shape, key, include_self)
        if out.dtype.kind == "f":
            out = out / count.astype(out.dtype)
        else:  # torch rounds an integer mean down
            out = np.floor_divide(out, count.astype(out.dtype))
    return out


def _terms(shape: tuple[int, ...], key: Any, include_self: bool) -> np.ndarray:
    """How many terms each position reduces (at least 1, so untouched ones divide by 1)."""
    count = np.full(shape, 1.0 if include_self else 0.0)
    add_at(count, key, np.ones(np.broadcast_shapes(*(k.shape for k in key))))
    count[count == 0] = 1
    return count


class ScatterReduce(Function):
    saves_output = True  # and every input: backward reads the input, the index and src

    def forward(
        self,
        a: np.ndarray,
        dim: int,
        index: np.ndarray,
        src: np.ndarray,
        reduce: str,
        include_self: bool,
    ) -> np.ndarray:
        self.a_shape, self.src_shape = a.shape, src.shape
        self.reduce, self.include_self = reduce, include_self
        index_shape = index.shape or (1,)  # a 0-d tensor acts as 1-D
        self.key = along(index.reshape(index_shape), dim)
        self.a = np.atleast_1d(a)
        self.src = np.atleast_1d(src)[leading(index_shape)]
        self.out = reduce_at(self.a, self.key, self.src, reduce, include_self)
        return self.out.reshape(a.shape)

    def backward(self, grad: np.ndarray) -> tuple[Any, ...]:
        g, key, a = np.atleast_1d(grad), self.key, self.a
        reduce, include_self = self.reduce, self.include_self
        if reduce == "sum":
            d_a, d_src = g, g[key]
        elif reduce == "mean":
            count = _terms(a.shape, key, include_self).astype(g.dtype)
            d_a, d_src = g / count, g[key] / count[key]
        elif reduce == "prod":
            d_a, d_src = self._prod_grads(g)
        else:
            d_a, d_src = self._extremum_grads(g)
        if not include_self:  # the input's element was no term where something was scattered
            d_a = d_a.copy()
            d_a[key] = 0
        full_src = np.zeros(self.src_shape or (1,), grad.dtype)
        full_src[leading(d_src.shape)] = d_src
        return d_a.reshape(self.a_shape), None, None, full_src.reshape(self.src_shape), None, None

    def _prod_grads(self, g: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The product of the other terms, written as torch computes it (division by the
        term where it is not zero)."""
        key, a, src, out = self.key, self.a, self.src, self.out
        # input: result / a, where a zero a is replaced by 1 in both (the others' product)
        a_or_1 = np.where(a == 0, 1, a).astype(a.dtype)
        d_a = g * reduce_at(a_or_1, key, src, "prod", self.include_self) / a_or_1
        # src: a zero that is the only zero of src at its position gets the others' product
        zero = src == 0
        zeros_there = add_at(np.zeros(a.shape), key, zero.astype(np.float64))[key]
        single_zero = zero & (zeros_there == 1)
        others = reduce_at(
            a, key, np.where(single_zero, 1, src).astype(src.dtype), "prod", self.include_self
        )
        d_src = np.where(single_zero, (g * others)[key], (g * out)[key] / np.where(zero, 1, src))
        return d_a, d_src

    def _extremum_grads(self, g: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The terms equal to the result share its gradient evenly."""
        key, a, src, out = self.key, self.a, self.src, self.out
        a_wins = a == out
        if not self.include_self:
            a_wins[key] = False
        src_wins = src == out[key]
        ties = add_at(a_wins.astype(g.dtype), key, src_wins.astype(g.dtype))
        with np.errstate(divide="ignore", invalid="ignore"):
            share = g / ties
        return a_wins * share, src_wins * share[key]

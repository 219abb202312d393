"""Cumulative ops along one dim: cumsum, cumprod, logcumsumexp, cummax, cummin.

Output i along `dim` depends on inputs 0..i, so each gradient is a *reversed* cumulative
sum of something: input i gets the gradient of every output j >= i. A 0-d tensor is
treated as a 1-element vector (dim 0 or -1), as in torch.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from groundup.function import Function, normalize_dim
from groundup.ops.reduce import MaxResult, dim_or_axis
from groundup.tensor import Tensor

__all__ = ["cummax", "cummin", "cumprod", "cumsum", "logcumsumexp"]

INPLACE = frozenset(["cumsum", "cumprod"])


def _reversed_cumsum(x: np.ndarray, axis: int) -> np.ndarray:
    """out[i] = sum of x[j] for j >= i along `axis` (flip, cumsum, flip, as torch does)."""
    return np.flip(np.cumsum(np.flip(x, axis), axis), axis)


def _last(a: np.ndarray, axis: int) -> np.ndarray:
    """`a` with `axis` moved last (a view): the scans below all run along the last axis."""
    return np.moveaxis(a, axis, -1)


class CumSum(Function):
    saves = ()

    def forward(self, a: np.ndarray, axis: int) -> np.ndarray:
        self.axis = axis
        return np.cumsum(a, axis=axis, dtype=a.dtype)  # NumPy would widen small integers

    def backward(self, grad: np.ndarray) -> tuple[Any, ...]:
        return _reversed_cumsum(grad, self.axis), None


class CumProd(Function):
    """out_j = x_0 x_1 ... x_j;  dL/dx_i = sum_{j >= i} g_j prod_{k <= j, k != i} x_k.

    Without zeros that is reversed_cumsum(g * out)_i / x_i. Dividing by a zero is not
    possible, so with z = the first zero of a slice: before z the formula still holds
    (every out_j with j >= z is 0 and adds nothing); at z, the products skip x_z, which
    are the cumulative products of x with x_z replaced by 1; after z every product
    contains x_z = 0, so the gradient is 0.
    """

    saves = (0,)
    saves_output = True

    def forward(self, a: np.ndarray, axis: int) -> np.ndarray:
        self.a, self.axis = a, axis
        self.out = np.cumprod(a, axis=axis, dtype=a.dtype)
        return self.out

    def backward(self, grad: np.ndarray) -> tuple[Any, ...]:
        x, out, g = _last(self.a, self.axis), _last(self.out, self.axis), _last(grad, self.axis)
        zero = x == 0
        with np.errstate(divide="ignore", invalid="ignore"):
            dx = _reversed_cumsum(g * out, -1) / x
        if zero.any():
            position = np.arange(x.shape[-1])
            has_zero = zero.any(-1, keepdims=True)
            first = np.where(has_zero, zero.argmax(-1, keepdims=True), x.shape[-1])
            at_first = position == first
            skipping = np.cumprod(np.where(at_first, np.ones((), x.dtype), x), axis=-1)
            dx = np.where(position < first, dx, np.zeros((), dx.dtype))
            dx = np.where(at_first, _reversed_cumsum(g * skipping, -1), dx)
        return np.moveaxis(dx, -1, self.axis), None


class LogCumSumExp(Function):
    """out_j = log(sum_{k <= j} exp(x_k));  dL/dx_i = sum_{j >= i} g_j exp(x_i - out_j).

    The sum is taken in log space to stay finite, separately for the positive and the
    negative part of g (torch's formula): exp(x_i + log(sum_{j >= i} exp(log|g_j| - out_j))).
    """

    saves = (0,)
    saves_output = True

    def forward(self, a: np.ndarray, axis: int) -> np.ndarray:
        self.a, self.axis = a, axis
        self.out = np.logaddexp.accumulate(a, axis=axis) if a.size else a.copy()
        return self.out

    def backward(self, grad: np.ndarray) -> tuple[Any, ...]:
        if grad.size == 0:
            return grad, None
        axis = self.axis
        lowest = np.finfo(grad.dtype).min  # log(0) without -inf, so -inf - -inf cannot occur
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            log_abs = np.log(np.abs(grad))
            parts = []
            for sign in (grad > 0, grad < 0):
                log_g = np.where(sign, log_abs, lowest) - self.out
                reversed_lse = np.flip(np.logaddexp.accumulate(np.flip(log_g, axis), axis), axis)
                parts.append(np.exp(reversed_lse + self.a))
        return parts[0] - parts[1], None


class CumMaxMin(Function):
    """Running max/min, given the `indices` of the element each output copied: every
    output's gradient goes to that element (which may be chosen by several outputs)."""

    saves = ()

    def forward(self, a: np.ndarray, indices: np.ndarray, axis: int) -> np.ndarray:
        self.indices, self.axis, self.shape = indices, axis, a.shape
        return np.take_along_axis(a, indices, axis=axis)

    def backward(self, grad: np.ndarray) -> tuple[Any, ...]:
        if grad.size == 0:
            return np.zeros(self.shape, grad.dtype), None, None
        g, idx = _last(grad, self.axis), _last(self.indices, self.axis)
        n = g.shape[-1]
        # scatter-add: flat position (row, idx) of each output's gradient, summed by bincount
        rows = np.arange(g.size // n).reshape(g.shape[:-1] + (1,)) * n
        flat = np.bincount((rows + idx).ravel(), weights=g.ravel(), minlength=g.size)
        dx = flat.reshape(g.shape).astype(grad.dtype)
        return np.moveaxis(dx, -1, self.axis), None, None


# ------------------------------------------------------------------ functional API
def _dim(op: str, a: Tensor, dim: Any, axis: Any) -> int:
    dim = dim_or_axis(dim, axis, op)
    if dim is None:
        raise TypeError(f"{op}() missing 1 required positional argument: 'dim'")
    if not isinstance(dim, int) or isinstance(dim, bool):
        raise TypeError(f"{op}(): argument 'dim' must be int, not {type(dim).__name__}")
    return normalize_dim(dim, a.ndim, op)


def _vector(a: Tensor) -> Tensor:
    """A 0-d tensor as a 1-element vector (scans need an axis)."""
    return a.reshape(1) if a.ndim == 0 else a


def _scan(op: str, cls: type[Function], a: Tensor, dim: Any, dtype: Any, axis: Any) -> Tensor:
    d = _dim(op, a, dim, axis)
    if dtype is not None:
        a = a.to(np.dtype(dtype))
    elif a._data.dtype.kind in "biu":  # bool and integer scans accumulate in int64
        a = a.to(np.int64)
    out = cls.apply(_vector(a), d)
    return out.reshape(()) if a.ndim == 0 else out


def cumsum(
    input: Tensor,  # noqa: A002 - torch's names
    dim: int | None = None,
    *,
    dtype: Any = None,
    axis: int | None = None,
) -> Tensor:
    """Running sum along `dim`; bool and integer tensors give int64 (or `dtype=`)."""
    return _scan("cumsum", CumSum, input, dim, dtype, axis)


def cumprod(
    input: Tensor,  # noqa: A002
    dim: int | None = None,
    *,
    dtype: Any = None,
    axis: int | None = None,
) -> Tensor:
    """Running product along `dim`; the gradient is exact with zeros in the input."""
    return _scan("cumprod", CumProd, input, dim, dtype, axis)


def logcumsumexp(
    input: Tensor, dim: int | None = None, *, axis: int | None = None  # noqa: A002
) -> Tensor:
    """log(cumsum(exp(input))) along `dim`, computed without overflow."""
    d = _dim("logcumsumexp", input, dim, axis)
    if input._data.dtype.kind != "f":
        raise NotImplementedError(
            f"logcumsumexp(): not implemented for dtype {input.dtype}; convert to a "
            "floating type first (x.float())"
        )
    out = LogCumSumExp.apply(_vector(input), d)
    return out.reshape(()) if input.ndim == 0 else out


def _running(op: str, t: Tensor, dim: Any, axis: Any, largest: bool) -> MaxResult:
    d = _dim(op, t, dim, axis)
    a = _vector(t)
    x = _last(a._data, d)
    values = (np.maximum if largest else np.minimum).accumulate(x, axis=-1) if x.size else x
    # torch's indices: the latest position that attains the running value (ties move the
    # index forward) and, once a nan appeared, the latest nan.
    attains = x == values
    if x.dtype.kind == "f":
        attains |= np.isnan(x)
    position = np.arange(x.shape[-1])
    indices = np.maximum.accumulate(np.where(attains, position, 0), axis=-1) if x.size else x
    indices = np.moveaxis(np.asarray(indices, np.int64), -1, d)
    out = CumMaxMin.apply(a, indices, d)
    if t.ndim == 0:
        out, indices = out.reshape(()), indices.reshape(())
    return MaxResult(out, Tensor._make(indices, False))


def cummax(
    input: Tensor, dim: int | None = None, *, axis: int | None = None  # noqa: A002
) -> MaxResult:
    """(values, indices) of the running maximum along `dim`; nan propagates."""
    return _running("cummax", input, dim, axis, largest=True)


def cummin(
    input: Tensor, dim: int | None = None, *, axis: int | None = None  # noqa: A002
) -> MaxResult:
    """(values, indices) of the running minimum along `dim`; nan propagates."""
    return _running("cummin", input, dim, axis, largest=False)

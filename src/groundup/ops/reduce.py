"""Reductions: sum, mean, var/std, max/min (values and indices), amax/amin, argmax/argmin,
logsumexp. (prod, median, norms and the rest: ops/statistics.py; cumulative ops:
ops/cumulative.py.)

Every reduction takes torch's `axis=` alias for `dim=`; a reduction over an empty dim
follows torch: 0 for sum, nan for mean, an error for max/min (no identity element)."""

from __future__ import annotations

import builtins
import math
from typing import Any, NamedTuple

import numpy as np

from groundup.function import Function, normalize_dim
from groundup.tensor import Tensor

Dim = int | tuple[int, ...] | list[int] | None


def _axes(dim: Dim, ndim: int, op: str) -> tuple[int, ...]:
    """Normalize `dim` to a sorted tuple of axes; None or () means every axis, as in torch."""
    if dim is None:
        return tuple(range(ndim))
    dims = (dim,) if isinstance(dim, int) else tuple(dim)
    if not dims:
        return tuple(range(ndim))
    axes = sorted(normalize_dim(d, ndim, op) for d in dims)
    if len(set(axes)) != len(axes):
        raise RuntimeError(f"{op}: dim {dims} names the same dimension twice")
    return tuple(axes) if ndim else ()


def dim_or_axis(dim: Any, axis: Any, op: str, default: Any = None) -> Any:
    """torch's NumPy-style alias: `axis=` names the same argument as `dim=`."""
    if axis is None:
        return dim
    if dim is not default:
        raise TypeError(f"{op}(): got both dim and axis; pass only one of them")
    return axis


def check_nonempty(a: np.ndarray, axes: tuple[int, ...], op: str, dim_given: bool) -> None:
    """max/min-like reductions have no identity: an empty reduced dim is torch's error."""
    if not dim_given:
        if a.size == 0:
            raise RuntimeError(
                f"{op}(): expected reduction dim to be specified for an empty tensor "
                f"(shape {a.shape}); pass dim= to reduce over the non-empty dims only"
            )
        return
    for axis in axes:
        if a.shape[axis] == 0:
            raise IndexError(
                f"{op}(): expected reduction dim {axis} to have non-zero size "
                f"(shape {a.shape})"
            )


def _regrow(grad: np.ndarray, axes: tuple[int, ...], keepdim: bool) -> np.ndarray:
    """Put back the reduced axes as size-1 axes so `grad` broadcasts against the input."""
    return grad if keepdim else np.expand_dims(grad, axes)


def _count(shape: tuple[int, ...], axes: tuple[int, ...]) -> int:
    return math.prod(shape[i] for i in axes)


class Sum(Function):
    saves = ()

    def forward(self, a: np.ndarray, axes: tuple[int, ...], keepdim: bool) -> np.ndarray:
        self.shape, self.axes, self.keepdim = a.shape, axes, keepdim
        return np.asarray(a.sum(axis=axes, keepdims=keepdim))

    def backward(self, grad: np.ndarray) -> tuple[Any, ...]:
        return np.broadcast_to(_regrow(grad, self.axes, self.keepdim), self.shape), None, None


class Mean(Function):
    saves = ()

    def forward(self, a: np.ndarray, axes: tuple[int, ...], keepdim: bool) -> np.ndarray:
        self.shape, self.axes, self.keepdim = a.shape, axes, keepdim
        self.count = _count(a.shape, axes)
        if self.count == 0:  # the mean of nothing is nan, as in torch (NumPy would warn)
            return np.full(a.sum(axis=axes, keepdims=keepdim).shape, np.nan, a.dtype)
        return np.asarray(a.mean(axis=axes, keepdims=keepdim))

    def backward(self, grad: np.ndarray) -> tuple[Any, ...]:
        g = _regrow(grad, self.axes, self.keepdim) / self.count
        return np.broadcast_to(g, self.shape), None, None


class Var(Function):
    """var = sum((x - mean)^2) / (N - correction);  d var/dx = 2 (x - mean) / (N - correction).

    N - correction <= 0 gives nan/inf, as in torch.
    """

    saves = ()

    def forward(
        self, a: np.ndarray, axes: tuple[int, ...], correction: float, keepdim: bool
    ) -> np.ndarray:
        self.axes, self.keepdim = axes, keepdim
        count = _count(a.shape, axes)
        self.denominator = builtins.max(0, count - correction)
        self.centered = a - a.mean(axis=axes, keepdims=True) if count else a  # empty: nan below
        with np.errstate(divide="ignore", invalid="ignore"):
            var = (self.centered**2).sum(axis=axes, keepdims=keepdim) / self.denominator
        return np.asarray(var, dtype=a.dtype)

    def backward(self, grad: np.ndarray) -> tuple[Any, ...]:
        g = _regrow(grad, self.axes, self.keepdim)
        if self.denominator == 0:
            return np.full(self.centered.shape, np.nan, grad.dtype), None, None, None
        return g * (2 / self.denominator) * self.centered, None, None, None


class Std(Var):
    """std = sqrt(var);  d std/dx = (x - mean) / ((N - correction) std), and 0 where std = 0
    (torch's choice: a constant input gets zero gradient instead of 0/0)."""

    saves_output = True

    def forward(
        self, a: np.ndarray, axes: tuple[int, ...], correction: float, keepdim: bool
    ) -> np.ndarray:
        self.std = np.sqrt(super().forward(a, axes, correction, keepdim))
        return self.std

    def backward(self, grad: np.ndarray) -> tuple[Any, ...]:
        if self.denominator == 0:
            return np.full(self.centered.shape, np.nan, grad.dtype), None, None, None
        std = _regrow(self.std, self.axes, self.keepdim)
        with np.errstate(divide="ignore", invalid="ignore"):
            g = _regrow(grad, self.axes, self.keepdim) / (std * self.denominator)
        g = np.where(std == 0, np.zeros((), g.dtype), g)
        return g * self.centered, None, None, None


class MaxMin(Function):
    """max/min along one dim, given the winning `indices` (N.B. ties: the first one wins);
    the gradient flows to the selected element only."""

    saves = ()

    def forward(self, a: np.ndarray, indices: np.ndarray, dim: int, keepdim: bool) -> np.ndarray:
        self.shape, self.dim, self.keepdim = a.shape, dim, keepdim
        self.indices = np.expand_dims(indices, dim)
        values = np.take_along_axis(a, self.indices, axis=dim)
        return values if keepdim else values.squeeze(dim)

    def backward(self, grad: np.ndarray) -> tuple[Any, ...]:
        g = grad if self.keepdim else np.expand_dims(grad, self.dim)
        out = np.zeros(self.shape, dtype=grad.dtype)
        np.put_along_axis(out, self.indices, g, axis=self.dim)
        return out, None, None, None


class AMaxMin(Function):
    """amax/amin over `axes` (and max()/min() of everything): tied maxima share the
    gradient evenly, as in torch."""

    saves = ()

    def forward(
        self, a: np.ndarray, axes: tuple[int, ...], keepdim: bool, largest: bool
    ) -> np.ndarray:
        self.axes, self.keepdim = axes, keepdim
        out = a.max(axis=axes, keepdims=True) if largest else a.min(axis=axes, keepdims=True)
        self.hits = a == out
        if a.dtype.kind == "f" and np.isnan(out).any():  # a nan "maximum" picks the nan entries
            self.hits |= np.isnan(a) & np.isnan(out)
        return np.asarray(out if keepdim else out.squeeze(axes))

    def backward(self, grad: np.ndarray) -> tuple[Any, ...]:
        count = self.hits.sum(axis=self.axes, keepdims=True, dtype=grad.dtype)
        return self.hits * (_regrow(grad, self.axes, self.keepdim) / count), None, None, None


class LogSumExp(Function):
    """log(sum(exp(x))) computed stably as m + log(sum(exp(x - m))); gradient = softmax(x)."""

    saves = ()

    def forward(self, a: np.ndarray, axes: tuple[int, ...], keepdim: bool) -> np.ndarray:
        self.axes, self.keepdim = axes, keepdim
        m = a.max(axis=axes, keepdims=True, initial=-np.inf)  # an empty dim: log(0) = -inf
        m = np.where(np.isfinite(m), m, 0)  # all -inf (or inf) rows: shift by 0 instead
        e = np.exp(a - m)
        s = e.sum(axis=axes, keepdims=True)
        with np.errstate(divide="ignore", invalid="ignore"):  # an all -inf row: -inf, nan grad
            self.softmax = e / s
            out = np.log(s) + m
        return out if keepdim else out.squeeze(axes)

    def backward(self, grad: np.ndarray) -> tuple[Any, ...]:
        return _regrow(grad, self.axes, self.keepdim) * self.softmax, None, None


class MaxResult(NamedTuple):
    values: Tensor
    indices: Tensor


def _floating(op: str, a: Tensor, what: str = "") -> None:
    if a._data.dtype.kind != "f":
        raise RuntimeError(
            f"{op}(): expected a floating-point tensor, got dtype {a.dtype}{what}; "
            "convert it first (x.float())"
        )


# ------------------------------------------------------------------ functional API
def sum(  # noqa: A001
    input: Tensor,  # noqa: A002 - torch's names
    dim: Dim = None,
    keepdim: bool = False,
    *,
    dtype: Any = None,
    axis: Dim = None,
) -> Tensor:
    """Sum over `dim` (all dims when None); bool and integer tensors sum to int64, and
    `dtype=` converts the input first (sum(x, dtype=float64) accumulates in float64)."""
    axes = _axes(dim_or_axis(dim, axis, "sum"), input.ndim, "sum")
    if dtype is not None:
        dtype = np.dtype(dtype)
        if dtype.kind != "f":  # integer (or bool) accumulation has no gradient
            out = input._data.astype(dtype).sum(axis=axes, keepdims=keepdim, dtype=dtype)
            return Tensor._make(np.asarray(out), False)
        input = input.to(dtype)
    if input._data.dtype.kind in "biu":
        out = input._data.sum(axis=axes, keepdims=keepdim, dtype=np.int64)
        return Tensor._make(np.asarray(out), False)
    return Sum.apply(input, axes, keepdim)


def mean(
    input: Tensor,  # noqa: A002
    dim: Dim = None,
    keepdim: bool = False,
    *,
    dtype: Any = None,
    axis: Dim = None,
) -> Tensor:
    """Arithmetic mean over `dim` (all dims when None); nan over an empty dim. Integer
    tensors need `dtype=` (a floating type), as in torch."""
    if dtype is not None:
        dtype = np.dtype(dtype)
        if dtype.kind != "f":
            raise RuntimeError(
                f"mean(): could not infer output dtype; dtype= must be a floating-point "
                f"type, got {dtype}"
            )
        input = input.to(dtype)
    _floating("mean", input, " (pass dtype=float32 to average integers)")
    axes = _axes(dim_or_axis(dim, axis, "mean"), input.ndim, "mean")
    return Mean.apply(input, axes, keepdim)


def var_args(dim: Any, unbiased: bool | None, correction: float | None) -> tuple[Dim, float]:
    """Resolve torch's var/std overloads: var(x, unbiased) and var(x, dim, unbiased)."""
    if isinstance(dim, bool):  # var(x, False): the bool is `unbiased`, not dim 0
        dim, unbiased = None, dim
    if correction is None:
        correction = 1 if unbiased is None or unbiased else 0
    return dim, correction


def _variance(
    op: str, cls: type[Var], input: Tensor, dim: Any, unbiased: Any, keepdim: bool,
    correction: Any, axis: Any,
) -> Tensor:
    if input._data.dtype.kind != "f":
        raise RuntimeError(
            f"{op}(): std and var only support floating-point tensors, got dtype "
            f"{input.dtype}; convert it first (x.float())"
        )
    dim, correction = var_args(dim_or_axis(dim, axis, op), unbiased, correction)
    return cls.apply(input, _axes(dim, input.ndim, op), correction, keepdim)


def var(
    input: Tensor,  # noqa: A002
    dim: Dim = None,
    unbiased: bool | None = None,
    keepdim: bool = False,
    *,
    correction: float | None = None,
    axis: Dim = None,
) -> Tensor:
    """Variance with torch's default Bessel correction (divide by N - 1); `correction=0` or
    `unbiased=False` divides by N."""
    return _variance("var", Var, input, dim, unbiased, keepdim, correction, axis)


def std(
    input: Tensor,  # noqa: A002
    dim: Dim = None,
    unbiased: bool | None = None,
    keepdim: bool = False,
    *,
    correction: float | None = None,
    axis: Dim = None,
) -> Tensor:
    """Standard deviation: the square root of `var` with the same arguments."""
    return _variance("std", Std, input, dim, unbiased, keepdim, correction, axis)


def _max_or_min(a: Tensor, dim: Any, keepdim: bool, largest: bool) -> Any:
    op = "max" if largest else "min"
    if isinstance(dim, Tensor):  # max(a, b) is the elementwise maximum, as in torch
        from groundup.ops.elementwise import maximum, minimum

        return maximum(a, dim) if largest else minimum(a, dim)
    if dim is None:
        check_nonempty(a._data, (), op, dim_given=False)
        return AMaxMin.apply(a, tuple(range(a.ndim)), False, largest)
    d = normalize_dim(dim, a.ndim, op)
    if a.ndim == 0:  # the only element, at index 0
        values = AMaxMin.apply(a, (), keepdim, largest)
        return MaxResult(values, Tensor._make(np.zeros((), np.int64), False))
    check_nonempty(a._data, (d,), op, dim_given=True)
    idx = np.argmax(a._data, axis=d) if largest else np.argmin(a._data, axis=d)
    values = MaxMin.apply(a, idx, d, keepdim)
    idx = np.expand_dims(idx, d) if keepdim else idx
    return MaxResult(values, Tensor._make(np.asarray(idx, dtype=np.int64), False))


def max(  # noqa: A001
    input: Tensor, dim: Any = None, keepdim: bool = False, *, axis: Any = None  # noqa: A002
) -> Any:
    """`max(a)` -> tensor; `max(a, dim)` -> (values, indices); `max(a, b)` -> maximum."""
    return _max_or_min(input, dim_or_axis(dim, axis, "max"), keepdim, largest=True)


def min(  # noqa: A001
    input: Tensor, dim: Any = None, keepdim: bool = False, *, axis: Any = None  # noqa: A002
) -> Any:
    """`min(a)` -> tensor; `min(a, dim)` -> (values, indices); `min(a, b)` -> minimum."""
    return _max_or_min(input, dim_or_axis(dim, axis, "min"), keepdim, largest=False)


def _amax_or_amin(a: Tensor, dim: Dim, keepdim: bool, largest: bool) -> Tensor:
    op = "amax" if largest else "amin"
    axes = _axes(dim, a.ndim, op)
    check_nonempty(a._data, axes, op, dim_given=dim not in (None, ()))
    return AMaxMin.apply(a, axes, keepdim, largest)


def amax(
    input: Tensor, dim: Dim = (), keepdim: bool = False, *, axis: Dim = None  # noqa: A002
) -> Tensor:
    """Maximum over `dim` (all dims by default); ties share the gradient evenly."""
    return _amax_or_amin(input, dim_or_axis(dim, axis, "amax", ()), keepdim, largest=True)


def amin(
    input: Tensor, dim: Dim = (), keepdim: bool = False, *, axis: Dim = None  # noqa: A002
) -> Tensor:
    """Minimum over `dim` (all dims by default); ties share the gradient evenly."""
    return _amax_or_amin(input, dim_or_axis(dim, axis, "amin", ()), keepdim, largest=False)


def _arg(a: Tensor, dim: int | None, keepdim: bool, largest: bool) -> Tensor:
    op = "argmax" if largest else "argmin"
    pick = np.argmax if largest else np.argmin
    if dim is None:  # index into the flattened tensor
        if a._data.size == 0:
            raise IndexError(f"{op}(): expected dim to be given for an empty tensor")
        idx = pick(a._data)
        return Tensor._make(np.full((1,) * a.ndim if keepdim else (), idx, np.int64), False)
    d = normalize_dim(dim, a.ndim, op)
    data = a._data.reshape(1) if a.ndim == 0 else a._data
    check_nonempty(data, (d,), op, dim_given=True)
    idx = pick(data, axis=d, keepdims=keepdim and a.ndim > 0)
    return Tensor._make(np.asarray(idx, np.int64), False)


def argmax(
    input: Tensor,  # noqa: A002
    dim: int | None = None,
    keepdim: bool = False,
    *,
    axis: int | None = None,
) -> Tensor:
    """Index of the largest element (the first one on ties), along `dim` or flattened."""
    return _arg(input, dim_or_axis(dim, axis, "argmax"), keepdim, largest=True)


def argmin(
    input: Tensor,  # noqa: A002
    dim: int | None = None,
    keepdim: bool = False,
    *,
    axis: int | None = None,
) -> Tensor:
    """Index of the smallest element (the first one on ties), along `dim` or flattened."""
    return _arg(input, dim_or_axis(dim, axis, "argmin"), keepdim, largest=False)


def logsumexp(
    input: Tensor, dim: Dim = None, keepdim: bool = False, *, axis: Dim = None  # noqa: A002
) -> Tensor:
    """log(sum(exp(a))) over `dim`, without overflow for large inputs (-inf over an empty
    dim)."""
    dim = dim_or_axis(dim, axis, "logsumexp")
    if dim is None:
        raise TypeError("logsumexp() missing 1 required positional argument: 'dim'")
    if input._data.dtype.kind != "f":
        input = input.to(np.float32)
    return LogSumExp.apply(input, _axes(dim, input.ndim, "logsumexp"), keepdim)

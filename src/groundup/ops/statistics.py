"""Statistics: prod, var_mean/std_mean, median/nanmedian, count_nonzero, aminmax, and
torch.norm (a front end for the norms in groundup.linalg).

median(x) is the *lower* median, as in torch: the element of rank (n - 1) // 2 in sorted
order, so the median of [1, 2, 3, 4] is 2, not 2.5, and it is always an element of x.
"""

from __future__ import annotations

import math
from typing import Any, NamedTuple

import numpy as np

from groundup.function import Function, normalize_dim
from groundup.ops.reduce import (
    AMaxMin,
    MaxMin,
    MaxResult,
    _axes,
    _regrow,
    check_nonempty,
    dim_or_axis,
    mean,
    std,
    var,
    var_args,
)
from groundup.tensor import Tensor

__all__ = [
    "aminmax",
    "count_nonzero",
    "median",
    "nanmedian",
    "norm",
    "prod",
    "std_mean",
    "var_mean",
]

INPLACE: frozenset[str] = frozenset()

# torch has these as functions only: torch.var_mean(x), no x.var_mean()
NOT_METHODS = frozenset(["std_mean", "var_mean"])


def _products_of_the_others(a: np.ndarray, axes: tuple[int, ...]) -> np.ndarray:
    """For each element, the product of the other elements of its slice along `axes`:
    (exclusive product from the left) * (exclusive product from the right), no division."""
    rest = [i for i in range(a.ndim) if i not in axes]
    moved = np.transpose(a, rest + list(axes))  # (*kept, *reduced)
    x = moved.reshape(moved.shape[: len(rest)] + (math.prod(a.shape[i] for i in axes),))
    ones = np.ones(x.shape[:-1] + (1,), a.dtype)
    left = np.concatenate([ones, np.cumprod(x[..., :-1], axis=-1)], axis=-1)
    right = np.flip(np.concatenate([ones, np.cumprod(np.flip(x, -1)[..., :-1], axis=-1)], -1), -1)
    others = (left * right).reshape(moved.shape)
    return np.transpose(others, np.argsort(rest + list(axes)))


class Prod(Function):
    """prod over `axes`; d prod / dx_i = the product of the other elements.

    Without zeros that is prod / x_i (torch's formula). With a zero it is computed without
    division, so a lone zero gets the product of the others and the other elements 0;
    with two zeros in a slice every gradient of that slice is 0.
    """

    saves = (0,)
    saves_output = True

    def forward(self, a: np.ndarray, axes: tuple[int, ...], keepdim: bool) -> np.ndarray:
        self.a, self.axes, self.keepdim = a, axes, keepdim
        self.out = np.asarray(a.prod(axis=axes, keepdims=keepdim))
        return self.out

    def backward(self, grad: np.ndarray) -> tuple[Any, ...]:
        if not self.axes:  # a 0-d input: the product of nothing else is 1
            return grad, None, None
        g = _regrow(grad, self.axes, self.keepdim)
        if not (self.a == 0).any():
            return g * (_regrow(self.out, self.axes, self.keepdim) / self.a), None, None
        return g * _products_of_the_others(self.a, self.axes), None, None


class Median(MaxMin):
    """median(x, dim): the value at the selected index; the gradient goes to that element."""


class EvenlyDistributed(Function):
    """A statistic of all of x that equals some of its elements (median(x), nanmedian(x)):
    the gradient is shared evenly by the elements equal to it (nan: by the nan elements),
    torch's rule."""

    saves = ()

    def forward(self, a: np.ndarray, value: np.ndarray) -> np.ndarray:
        self.hits = a == value
        if a.dtype.kind == "f" and np.isnan(value):
            self.hits = np.isnan(a)
        return np.asarray(value, a.dtype)

    def backward(self, grad: np.ndarray) -> tuple[Any, ...]:
        return self.hits * (grad / self.hits.sum(dtype=grad.dtype)), None


# ------------------------------------------------------------------ functional API
def prod(
    input: Tensor,  # noqa: A002 - torch's names
    dim: int | None = None,
    keepdim: bool = False,
    *,
    dtype: Any = None,
    axis: int | None = None,
) -> Tensor:
    """Product over one `dim` (all elements when None); bool and integer tensors give int64
    (or `dtype=`, which converts the input first). The product of nothing is 1."""
    dim = dim_or_axis(dim, axis, "prod")
    if dim is not None and (not isinstance(dim, int) or isinstance(dim, bool)):
        raise TypeError(f"prod(): argument 'dim' must be int, not {type(dim).__name__}")
    if dim is None and keepdim:
        raise TypeError("prod(): keepdim= needs a dim; pass prod(x, dim, keepdim=True)")
    axes = _axes(dim, input.ndim, "prod")
    if dtype is not None:
        input = input.to(np.dtype(dtype))
    if input._data.dtype.kind in "biu":  # no gradient; int64 unless dtype= says otherwise
        accumulate = input._data.dtype if dtype is not None else np.int64
        out = input._data.prod(axis=axes, keepdims=keepdim, dtype=accumulate)
        return Tensor._make(np.asarray(out), False)
    return Prod.apply(input, axes, keepdim)


def _spread_and_mean(
    op: str, spread: Any, input: Tensor, dim: Any, unbiased: Any, keepdim: bool,  # noqa: A002
    correction: Any, axis: Any,
) -> tuple[Tensor, Tensor]:
    if input._data.dtype.kind != "f":
        raise RuntimeError(
            f"{op}(): only supports floating-point tensors, got dtype {input.dtype}; "
            "convert it first (x.float())"
        )
    dim, correction = var_args(dim_or_axis(dim, axis, op), unbiased, correction)
    return spread(input, dim, keepdim=keepdim, correction=correction), mean(input, dim, keepdim)


def var_mean(
    input: Tensor,  # noqa: A002
    dim: Any = None,
    unbiased: bool | None = None,
    keepdim: bool = False,
    *,
    correction: float | None = None,
    axis: Any = None,
) -> tuple[Tensor, Tensor]:
    """(var, mean) with `var`'s arguments (Bessel's correction by default)."""
    return _spread_and_mean("var_mean", var, input, dim, unbiased, keepdim, correction, axis)


def std_mean(
    input: Tensor,  # noqa: A002
    dim: Any = None,
    unbiased: bool | None = None,
    keepdim: bool = False,
    *,
    correction: float | None = None,
    axis: Any = None,
) -> tuple[Tensor, Tensor]:
    """(std, mean) with `std`'s arguments (Bessel's correction by default)."""
    return _spread_and_mean("std_mean", std, input, dim, unbiased, keepdim, correction, axis)


def _lower_median(values: np.ndarray) -> Any:
    """The element of rank (n - 1) // 2 of a 1-D array without nan."""
    k = (values.size - 1) // 2
    return np.partition(values, k)[k]


def _median_of_all(op: str, a: Tensor, ignore_nan: bool) -> Tensor:
    flat = a._data.ravel()
    floating = flat.dtype.kind == "f"
    if ignore_nan and floating:
        flat = flat[~np.isnan(flat)]
    if flat.size == 0 or (floating and np.isnan(flat).any()):
        if not floating:
            raise IndexError(f"{op}(): cannot take the median of an empty integer tensor")
        return EvenlyDistributed.apply(a, np.asarray(np.nan, flat.dtype))
    return EvenlyDistributed.apply(a, np.asarray(_lower_median(flat)))


def _median_along(op: str, t: Tensor, dim: int, keepdim: bool, ignore_nan: bool) -> MaxResult:
    d = normalize_dim(dim, t.ndim, op)
    a = t.reshape(1) if t.ndim == 0 else t
    check_nonempty(a._data, (d,), op, dim_given=True)
    x = np.moveaxis(a._data, d, -1)  # (..., n)
    order = np.argsort(x, axis=-1, kind="stable")  # ties keep their order; nan sorts last
    nan = np.isnan(x) if x.dtype.kind == "f" else np.zeros(x.shape, bool)
    if ignore_nan:  # the lower median of the non-nan elements (the first nan if none)
        k = np.maximum((x.shape[-1] - nan.sum(-1, keepdims=True) - 1) // 2, 0)
    else:
        k = np.full(x.shape[:-1] + (1,), (x.shape[-1] - 1) // 2)
    idx = np.take_along_axis(order, k, axis=-1)
    if not ignore_nan:  # a slice with nan has median nan: the first nan
        idx = np.where(nan.any(-1, keepdims=True), nan.argmax(-1, keepdims=True), idx)
    idx = np.moveaxis(idx, -1, d).squeeze(d)
    values = Median.apply(a, idx, d, keepdim)
    indices = np.expand_dims(idx, d) if keepdim else idx
    if t.ndim == 0:
        values, indices = values.reshape(()), indices.reshape(())
    return MaxResult(values, Tensor._make(np.asarray(indices, np.int64), False))


def _median(op: str, t: Tensor, dim: Any, keepdim: bool, axis: Any, ignore_nan: bool) -> Any:
    if t._data.dtype == np.bool_:
        raise NotImplementedError(f"{op}(): not implemented for bool tensors; use x.long()")
    dim = dim_or_axis(dim, axis, op)
    if dim is None:
        return _median_of_all(op, t, ignore_nan)
    return _median_along(op, t, dim, keepdim, ignore_nan)


def median(
    input: Tensor,  # noqa: A002
    dim: int | None = None,
    keepdim: bool = False,
    *,
    axis: int | None = None,
) -> Any:
    """`median(x)`: the lower median of all elements (nan if there is a nan), a 0-d tensor
    whose gradient is shared by the elements equal to it. `median(x, dim)`: (values,
    indices) along `dim`, the gradient to the selected element."""
    return _median("median", input, dim, keepdim, axis, ignore_nan=False)


def nanmedian(
    input: Tensor,  # noqa: A002
    dim: int | None = None,
    keepdim: bool = False,
    *,
    axis: int | None = None,
) -> Any:
    """`median` that ignores nan (nan only when every element is nan)."""
    return _median("nanmedian", input, dim, keepdim, axis, ignore_nan=True)


def count_nonzero(input: Tensor, dim: Any = None, *, axis: Any = None) -> Tensor:  # noqa: A002
    """The number of nonzero elements over `dim` (an int or a tuple; all when None), int64."""
    axes = _axes(dim_or_axis(dim, axis, "count_nonzero"), input.ndim, "count_nonzero")
    return Tensor._make(np.asarray(np.count_nonzero(input._data, axis=axes), np.int64), False)


class MinMax(NamedTuple):
    min: Tensor
    max: Tensor


def aminmax(
    input: Tensor, *, dim: int | None = None, keepdim: bool = False  # noqa: A002
) -> MinMax:
    """(amin, amax) over one `dim` (all elements when None); ties share the gradient."""
    if dim is not None and (not isinstance(dim, int) or isinstance(dim, bool)):
        raise TypeError(f"aminmax(): argument 'dim' must be int, not {type(dim).__name__}")
    if dim is None:
        check_nonempty(input._data, (), "aminmax", dim_given=False)
        axes: tuple[int, ...] = tuple(range(input.ndim))
    else:
        axes = _axes(dim, input.ndim, "aminmax")
        check_nonempty(input._data, axes, "aminmax", dim_given=True)
    low = AMaxMin.apply(input, axes, keepdim, False)
    return MinMax(low, AMaxMin.apply(input, axes, keepdim, True))


def norm(
    input: Tensor,  # noqa: A002
    p: Any = "fro",
    dim: Any = None,
    keepdim: bool = False,
    dtype: Any = None,
) -> Tensor:
    """torch.norm: `p` a number -> linalg.vector_norm over `dim` (all elements when None);
    'fro' -> the 2-norm over up to two dims; 'nuc' -> linalg.matrix_norm."""
    from groundup import linalg  # groundup.linalg imports the ops, so not at module level

    dims = [dim] if isinstance(dim, int) else dim
    if isinstance(p, str):
        if p == "fro" and (dim is None or isinstance(dim, int) or len(dim) <= 2):
            return linalg.vector_norm(input, 2, dims, keepdim, dtype=dtype)
        dims = list(range(input.ndim)) if dims is None else dims
        return linalg.matrix_norm(input, p, dims, keepdim, dtype=dtype)
    return linalg.vector_norm(input, 2 if p is None else p, dims, keepdim, dtype=dtype)

"""Reductions: sum, mean, var/std, max/min (values and indices), argmax/argmin, logsumexp."""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

from groundup.function import Function
from groundup.tensor import Tensor

Dim = int | tuple[int, ...] | list[int] | None


def _axes(dim: Dim, ndim: int) -> tuple[int, ...]:
    """Normalize `dim` (None = all, negative allowed) to a sorted tuple of axes."""
    if dim is None:
        return tuple(range(ndim))
    dims = (dim,) if isinstance(dim, int) else tuple(dim)
    axes = []
    bound = ndim if ndim else 1
    for d in dims:
        if not -bound <= d < bound:
            raise IndexError(f"dim {d} is out of range for a tensor with {ndim} dimensions")
        axes.append(d % ndim if ndim else 0)
    return tuple(sorted(axes))


def _regrow(grad: np.ndarray, axes: tuple[int, ...], keepdim: bool) -> np.ndarray:
    """Put back the reduced axes as size-1 axes so `grad` broadcasts against the input."""
    return grad if keepdim else np.expand_dims(grad, axes)


class Sum(Function):
    def forward(self, a: np.ndarray, axes: tuple[int, ...], keepdim: bool) -> np.ndarray:
        self.shape, self.axes, self.keepdim = a.shape, axes, keepdim
        return np.asarray(a.sum(axis=axes, keepdims=keepdim))

    def backward(self, grad: np.ndarray) -> tuple[Any, ...]:
        return np.broadcast_to(_regrow(grad, self.axes, self.keepdim), self.shape), None, None


class Mean(Function):
    def forward(self, a: np.ndarray, axes: tuple[int, ...], keepdim: bool) -> np.ndarray:
        self.shape, self.axes, self.keepdim = a.shape, axes, keepdim
        self.count = int(np.prod([a.shape[i] for i in axes]))
        return np.asarray(a.mean(axis=axes, keepdims=keepdim))

    def backward(self, grad: np.ndarray) -> tuple[Any, ...]:
        g = _regrow(grad, self.axes, self.keepdim) / self.count
        return np.broadcast_to(g, self.shape), None, None


class Var(Function):
    """var = sum((x - mean)^2) / (N - correction); d var / dx = 2 (x - mean) / (N - correction)."""

    def forward(
        self, a: np.ndarray, axes: tuple[int, ...], correction: int, keepdim: bool
    ) -> np.ndarray:
        self.axes, self.keepdim = axes, keepdim
        n = int(np.prod([a.shape[i] for i in axes]))
        self.denominator = n - correction if n > correction else 0
        self.centered = a - a.mean(axis=axes, keepdims=True)
        with np.errstate(divide="ignore", invalid="ignore"):
            var = (self.centered**2).sum(axis=axes, keepdims=keepdim) / self.denominator
        return np.asarray(var, dtype=a.dtype)

    def backward(self, grad: np.ndarray) -> tuple[Any, ...]:
        g = _regrow(grad, self.axes, self.keepdim)
        return g * (2 / self.denominator) * self.centered, None, None, None


class MaxMin(Function):
    """max/min along one dim; the gradient flows to the selected element only."""

    def forward(self, a: np.ndarray, dim: int, keepdim: bool, largest: bool) -> np.ndarray:
        self.shape, self.dim, self.keepdim = a.shape, dim, keepdim
        pick = np.argmax if largest else np.argmin
        self.indices = np.expand_dims(pick(a, axis=dim), dim)
        values = np.take_along_axis(a, self.indices, axis=dim)
        return values if keepdim else values.squeeze(dim)

    def backward(self, grad: np.ndarray) -> tuple[Any, ...]:
        g = grad if self.keepdim else np.expand_dims(grad, self.dim)
        out = np.zeros(self.shape, dtype=grad.dtype)
        np.put_along_axis(out, self.indices, g, axis=self.dim)
        return out, None, None, None


class MaxMinAll(Function):
    """max/min of all elements; ties share the gradient evenly (torch's rule)."""

    def forward(self, a: np.ndarray, largest: bool) -> np.ndarray:
        self.out = np.asarray(a.max() if largest else a.min())
        self.hits = a == self.out
        return self.out

    def backward(self, grad: np.ndarray) -> tuple[Any, None]:
        return self.hits * (grad / self.hits.sum()), None


class LogSumExp(Function):
    """log(sum(exp(x))) computed stably as m + log(sum(exp(x - m))); gradient = softmax(x)."""

    def forward(self, a: np.ndarray, axes: tuple[int, ...], keepdim: bool) -> np.ndarray:
        self.axes, self.keepdim = axes, keepdim
        m = a.max(axis=axes, keepdims=True)
        m = np.where(np.isfinite(m), m, 0)
        e = np.exp(a - m)
        s = e.sum(axis=axes, keepdims=True)
        self.softmax = e / s
        out = np.log(s) + m
        return out if keepdim else out.squeeze(axes)

    def backward(self, grad: np.ndarray) -> tuple[Any, ...]:
        return _regrow(grad, self.axes, self.keepdim) * self.softmax, None, None


class MaxResult(NamedTuple):
    values: Tensor
    indices: Tensor


# ------------------------------------------------------------------ functional API
def sum(a: Tensor, dim: Dim = None, keepdim: bool = False) -> Tensor:  # noqa: A001
    if a.data.dtype == np.bool_ or a.data.dtype.kind in "iu":
        return Tensor._make(
            np.asarray(a.data.sum(axis=_axes(dim, a.ndim), keepdims=keepdim), dtype=np.int64), False
        )
    return Sum.apply(a, _axes(dim, a.ndim), keepdim)


def mean(a: Tensor, dim: Dim = None, keepdim: bool = False) -> Tensor:
    if a.data.dtype.kind not in "fc":
        raise TypeError(f"mean: expected a floating-point tensor, got dtype {a.dtype}")
    return Mean.apply(a, _axes(dim, a.ndim), keepdim)


def var(
    a: Tensor,
    dim: Dim = None,
    unbiased: bool | None = None,
    keepdim: bool = False,
    *,
    correction: int | None = None,
) -> Tensor:
    """Variance with torch's default Bessel correction (divide by N - 1)."""
    if correction is None:
        correction = 1 if unbiased is None or unbiased else 0
    return Var.apply(a, _axes(dim, a.ndim), correction, keepdim)


def std(
    a: Tensor,
    dim: Dim = None,
    unbiased: bool | None = None,
    keepdim: bool = False,
    *,
    correction: int | None = None,
) -> Tensor:
    from groundup.ops.elementwise import sqrt

    return sqrt(var(a, dim, unbiased, keepdim, correction=correction))


def _max_or_min(a: Tensor, dim: Any, keepdim: bool, largest: bool) -> Any:
    if isinstance(dim, Tensor):  # max(a, b) is the elementwise maximum, as in torch
        from groundup.ops.elementwise import maximum, minimum

        return maximum(a, dim) if largest else minimum(a, dim)
    if a.data.size == 0:
        raise RuntimeError("max/min of an empty tensor is undefined")
    if dim is None:
        return MaxMinAll.apply(a, largest)
    d = _axes(dim, a.ndim)[0]
    values = MaxMin.apply(a, d, keepdim, largest)
    idx = np.argmax(a.data, axis=d) if largest else np.argmin(a.data, axis=d)
    idx = np.expand_dims(idx, d) if keepdim else idx
    return MaxResult(values, Tensor._make(np.asarray(idx, dtype=np.int64), False))


def max(a: Tensor, dim: Any = None, keepdim: bool = False) -> Any:  # noqa: A001
    """`max(a)` -> tensor; `max(a, dim)` -> (values, indices); `max(a, b)` -> maximum."""
    return _max_or_min(a, dim, keepdim, largest=True)


def min(a: Tensor, dim: Any = None, keepdim: bool = False) -> Any:  # noqa: A001
    """`min(a)` -> tensor; `min(a, dim)` -> (values, indices); `min(a, b)` -> minimum."""
    return _max_or_min(a, dim, keepdim, largest=False)


def amax(a: Tensor, dim: Any = None, keepdim: bool = False) -> Tensor:
    result = max(a, dim, keepdim)
    return result.values if isinstance(result, MaxResult) else result


def argmax(a: Tensor, dim: int | None = None, keepdim: bool = False) -> Tensor:
    if dim is None:
        return Tensor._make(np.asarray(np.argmax(a.data), dtype=np.int64), False)
    return Tensor._make(np.asarray(np.argmax(a.data, axis=dim, keepdims=keepdim), np.int64), False)


def argmin(a: Tensor, dim: int | None = None, keepdim: bool = False) -> Tensor:
    if dim is None:
        return Tensor._make(np.asarray(np.argmin(a.data), dtype=np.int64), False)
    return Tensor._make(np.asarray(np.argmin(a.data, axis=dim, keepdims=keepdim), np.int64), False)


def logsumexp(a: Tensor, dim: Dim, keepdim: bool = False) -> Tensor:
    return LogSumExp.apply(a, _axes(dim, a.ndim), keepdim)

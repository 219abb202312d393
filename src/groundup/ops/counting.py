"""Counting: unique_consecutive (runs of equal elements), bincount (occurrences of each
non-negative integer) and histc (a histogram with equal-width bins).

None of them has a derivative in torch: unique_consecutive's output and a weighted
bincount's require grad like torch's and their backward raises; histc's never requires grad.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from groundup.function import Function, normalize_dim
from groundup.ops.numeric import require_tensor, unsupported
from groundup.ops.special import NoDerivative
from groundup.tensor import Tensor

__all__ = ["bincount", "histc", "unique_consecutive"]

INPLACE: frozenset[str] = frozenset()


class UniqueConsecutive(Function):
    """torch has no derivative for unique_consecutive: its output needs grad, its backward
    raises."""

    saves = ()

    def forward(self, a: np.ndarray, values: np.ndarray) -> np.ndarray:
        return values

    def backward(self, grad: np.ndarray) -> Any:
        raise NotImplementedError(
            "the derivative for 'unique_consecutive' is not implemented (as in torch)"
        )


def _indices(array: Any) -> Tensor:
    return Tensor._make(np.asarray(array, np.int64), False)


def unique_consecutive(
    input: Tensor,  # noqa: A002 - torch's names
    return_inverse: bool = False,
    return_counts: bool = False,
    dim: int | None = None,
) -> Any:
    """The first element of every run of equal consecutive elements (of the flattened input,
    or of slices along `dim`): [1, 1, 2, 2, 3, 1] -> [1, 2, 3, 1]. NaNs are never equal.
    return_inverse: each element's (or slice's) position in the output; return_counts: the
    length of each run. Returns a tensor, or a tuple when either flag is set."""
    require_tensor(input, "unique_consecutive", "input", 1)
    data = input._data
    if dim is None:
        lines = data.reshape(-1, 1)  # (n, 1): each element is one "slice"
        inverse_shape = data.shape
    else:
        if data.ndim == 0:
            raise IndexError(
                f"unique_consecutive(): dimension specified as {dim} but tensor has no "
                "dimensions"
            )
        d = normalize_dim(dim, data.ndim, "unique_consecutive")
        if data.size == 0 and any(n == 0 for i, n in enumerate(data.shape) if i != d):
            raise RuntimeError(
                "There are 0 sized dimensions, and they aren't selected, so unique cannot be "
                "applied"
            )
        rest = math.prod(n for i, n in enumerate(data.shape) if i != d)
        lines = np.moveaxis(data, d, 0).reshape(data.shape[d], rest)  # (n, rest)
        inverse_shape = (data.shape[d],)
    starts = np.ones(lines.shape[0], bool)  # where a run of equal slices begins
    starts[1:] = (lines[1:] != lines[:-1]).any(axis=1)
    first = np.flatnonzero(starts)
    values = data.reshape(-1)[first] if dim is None else np.take(data, first, axis=d)
    out = (
        UniqueConsecutive.apply(input, values)
        if input.requires_grad
        else Tensor._make(values, False)
    )
    if not (return_inverse or return_counts):
        return out
    result: list[Tensor] = [out]
    if return_inverse:
        result.append(_indices((np.cumsum(starts) - 1).reshape(inverse_shape)))
    if return_counts:
        result.append(_indices(np.diff(np.append(first, lines.shape[0]))))
    return tuple(result)


def bincount(input: Tensor, weights: Tensor | None = None, minlength: int = 0) -> Tensor:  # noqa: A002
    """How often each value 0..max occurs in a 1-d tensor of non-negative integers (at least
    `minlength` bins); with `weights`, the sum of the weights of each value instead (float32
    weights give float32, any other dtype float64, as in torch)."""
    require_tensor(input, "bincount", "input", 1)
    data = input._data
    if data.dtype.kind not in "iu":
        raise unsupported("bincount_cpu", data.dtype)
    if data.ndim != 1 or (data.size and data.min() < 0):
        raise RuntimeError(
            "bincount only supports 1-d non-negative integral inputs, got shape "
            f"{list(data.shape)}"
        )
    if minlength < 0:
        raise RuntimeError(f"bincount(): minlength should be >= 0, got {minlength}")
    if weights is None:
        return _indices(np.bincount(data, minlength=minlength))
    require_tensor(weights, "bincount", "weights", 2)
    if weights.shape != data.shape:
        raise RuntimeError(
            "weights should be 1-d and have the same length as input, got "
            f"{list(weights.shape)} for an input of {list(data.shape)}"
        )
    dtype = np.float32 if weights.dtype == np.float32 else np.float64
    counts = np.bincount(data, weights._data.astype(np.float64), minlength).astype(dtype)
    if weights.requires_grad:
        return NoDerivative.apply(counts, "bincount", weights)
    return Tensor._make(counts, False)


def _histogram_range(data: np.ndarray, low: float, high: float) -> tuple[float, float]:
    """torch's outer bin edges: [min, max], or the data's range when min == max (both 0 by
    default), widened by 1 on each side when that is a single point."""
    if low == high and data.size:
        low, high = float(data.min()), float(data.max())
    if low == high:
        low, high = low - 1, high + 1
    if not (np.isfinite(low) and np.isfinite(high)):
        raise RuntimeError(f"torch.histc: range of [{low}, {high}] is not finite")
    if low > high:
        raise RuntimeError(f"torch.histc: max must be larger than min, got [{low}, {high}]")
    return low, high


def histc(input: Tensor, bins: int = 100, min: Any = 0, max: Any = 0) -> Tensor:  # noqa: A002
    """A histogram of the elements in `bins` equal bins between min and max (the data's own
    range when min == max); elements outside are ignored, the last bin includes max. The
    counts have input's dtype (floating tensors only) and no gradient."""
    require_tensor(input, "histc", "input", 1)
    if isinstance(bins, bool) or not isinstance(bins, (int, np.integer)):
        raise TypeError(
            f"histc(): argument 'bins' (position 2) must be int, not {type(bins).__name__}"
        )
    data = input._data.reshape(-1)
    if data.dtype.kind != "f":
        raise unsupported("histogram_cpu", data.dtype)
    if bins <= 0:
        raise RuntimeError(f"torch.histogram(): bins must be > 0, but got {bins} for dimension 0")
    low, high = _histogram_range(data, float(min), float(max))
    left, right = data.dtype.type(low), data.dtype.type(high)
    inside = data[(data >= left) & (data <= right)]
    # torch's linear bin search, in the input's dtype: the bin of x is
    # int((x - left) * bins / (right - left)), and x == right falls in the last bin
    position = ((inside - left) * bins / (right - left)).astype(np.int64)
    position[position == bins] = bins - 1
    return Tensor._make(np.bincount(position, minlength=bins).astype(data.dtype), False)

"""Sorting and selection: sort, argsort, msort, topk, kthvalue, unique, searchsorted.

Every sort here is stable: equal elements keep their order (descending too), so indices
equal torch's stable=True results whatever `stable` says; NaN counts as larger than every
number (last ascending, first descending), as in torch. topk and kthvalue pick among
equal elements the same way (torch leaves that order unspecified: its indices may differ
on ties, its values never do).

The values come with a gradient: each selected element gets the gradient of its place
(`TakeAlong`, a gather whose indices never repeat along the dim).
"""

from __future__ import annotations

from typing import Any, Literal, NamedTuple

import numpy as np

from groundup.function import Function, normalize_dim
from groundup.tensor import Tensor

__all__ = ["argsort", "kthvalue", "msort", "searchsorted", "sort", "topk", "unique"]

INPLACE: frozenset[str] = frozenset()


class SortResult(NamedTuple):
    """torch.return_types.sort: (values, indices)."""

    values: Tensor
    indices: Tensor


class TopkResult(NamedTuple):
    """torch.return_types.topk: (values, indices)."""

    values: Tensor
    indices: Tensor


class KthvalueResult(NamedTuple):
    """torch.return_types.kthvalue: (values, indices)."""

    values: Tensor
    indices: Tensor


class TakeAlong(Function):
    """out = a at `indices` along `dim` (np.take_along_axis); each index appears at most
    once per line, so the gradient is put back, not accumulated."""

    saves = ()

    def forward(self, a: np.ndarray, indices: np.ndarray, dim: int) -> np.ndarray:
        self.shape, self.indices, self.dim = a.shape, indices, dim
        if a.ndim == 0:
            return a.copy()
        return np.take_along_axis(a, indices, axis=dim)

    def backward(self, grad: np.ndarray) -> tuple[Any, None, None]:
        if not self.shape:
            return grad, None, None
        out = np.zeros(self.shape, grad.dtype)
        np.put_along_axis(out, self.indices, grad, axis=self.dim)
        return out, None, None


class Unique(Function):
    """torch has no derivative for unique: its output needs grad, its backward raises."""

    saves = ()

    def forward(self, a: np.ndarray, values: np.ndarray) -> np.ndarray:
        return values

    def backward(self, grad: np.ndarray) -> Any:
        raise NotImplementedError("the derivative for 'unique' is not implemented (as in torch)")


def _order(data: np.ndarray, dim: int, descending: bool) -> np.ndarray:
    """Stable argsort along dim; descending keeps equal elements in their order too (sort
    the reversed line ascending, reverse the result, map back the positions)."""
    if data.ndim == 0:
        return np.zeros((), np.int64)
    if not descending:
        return np.argsort(data, axis=dim, kind="stable")
    n = data.shape[dim]
    flipped = np.flip(data, axis=dim)
    return (n - 1 - np.flip(np.argsort(flipped, axis=dim, kind="stable"), axis=dim)).astype(
        np.int64
    )


def _indices(array: Any) -> Tensor:
    return Tensor._make(np.asarray(array, np.int64), False)


# ------------------------------------------------------------------ functional API
def sort(
    input: Tensor,  # noqa: A002
    dim: int = -1,
    descending: bool = False,
    *,
    stable: bool = False,
) -> SortResult:
    """(values, indices) along dim, ascending unless descending=True. Always stable
    (`stable` is accepted: the indices are torch's stable=True ones)."""
    d = normalize_dim(dim, input.ndim, "sort")
    order = _order(input._data, d, descending)
    return SortResult(TakeAlong.apply(input, order, d), _indices(order))


def argsort(
    input: Tensor,  # noqa: A002
    dim: int = -1,
    descending: bool = False,
    *,
    stable: bool = False,
) -> Tensor:
    """The indices that sort input along dim (stable; see `sort`)."""
    d = normalize_dim(dim, input.ndim, "argsort")
    return _indices(_order(input._data, d, descending))


def msort(input: Tensor) -> Tensor:  # noqa: A002
    """input sorted along dim 0 (the values of sort(input, dim=0))."""
    return sort(input, 0).values


def topk(
    input: Tensor,  # noqa: A002
    k: int,
    dim: int = -1,
    largest: bool = True,
    sorted: bool = True,  # noqa: A002 - torch's name
) -> TopkResult:
    """The k largest (or smallest) elements along dim and their indices, in sorted order
    (also with sorted=False); among equal elements the earlier one comes first."""
    if input.dtype == np.bool_:
        raise RuntimeError(
            "topk(): does not support bool tensors (as torch on CPU); convert with .int() first"
        )
    d = normalize_dim(dim, input.ndim, "topk")
    n = input.shape[d] if input.ndim else 1
    if not 0 <= k <= n:
        raise RuntimeError(f"topk(): selected index k={k} out of range for a dim of size {n}")
    if input.ndim == 0:
        return TopkResult(TakeAlong.apply(input, np.zeros((), np.int64), 0), _indices(0))
    order = np.take(_order(input._data, d, descending=largest), np.arange(k), axis=d)
    return TopkResult(TakeAlong.apply(input, order, d), _indices(order))


def kthvalue(
    input: Tensor,  # noqa: A002
    k: int,
    dim: int = -1,
    keepdim: bool = False,
) -> KthvalueResult:
    """The k-th smallest element along dim (k counts from 1) and its index."""
    if input.dtype == np.bool_:
        raise NotImplementedError("kthvalue(): not implemented for bool tensors (as in torch)")
    d = normalize_dim(dim, input.ndim, "kthvalue")
    n = input.shape[d] if input.ndim else 1
    if not 1 <= k <= n:
        raise RuntimeError(
            f"kthvalue(): selected number k={k} out of range for dimension {d} (size {n})"
        )
    if input.ndim == 0:
        return KthvalueResult(TakeAlong.apply(input, np.zeros((), np.int64), 0), _indices(0))
    order = np.take(_order(input._data, d, descending=False), [k - 1], axis=d)
    values = TakeAlong.apply(input, order, d)
    if not keepdim:
        values, order = values.squeeze(d), order.squeeze(d)
    return KthvalueResult(values, _indices(order))


def unique(
    input: Tensor,  # noqa: A002
    sorted: bool = True,  # noqa: A002 - torch's name
    return_inverse: bool = False,
    return_counts: bool = False,
    dim: int | None = None,
) -> Any:
    """The distinct elements in ascending order (also with sorted=False, as torch on CPU),
    or the distinct slices along dim; NaNs are all distinct. With return_inverse, the
    index of each input element (or slice) in the output; with return_counts, how often
    each output element occurs. Returns a tensor, or a tuple when either flag is set."""
    data = input._data
    axis = None if dim is None else normalize_dim(dim, input.ndim, "unique")
    values, inverse, counts = np.unique(
        data, return_inverse=True, return_counts=True, axis=axis, equal_nan=False
    )
    out = Unique.apply(input, values) if input.requires_grad else Tensor._make(values, False)
    if not (return_inverse or return_counts):
        return out
    result: list[Tensor] = [out]
    if return_inverse:
        result.append(_indices(inverse.reshape(data.shape if axis is None else (-1,))))
    if return_counts:
        result.append(_indices(counts))
    return tuple(result)


def searchsorted(
    sorted_sequence: Tensor,
    values: Any,
    *,
    out_int32: bool = False,
    right: bool = False,
    side: str | None = None,
    sorter: Tensor | None = None,
) -> Tensor:
    """For each value, the index where it would be inserted into the innermost dim of
    sorted_sequence to keep it sorted (before equal elements; after them with right=True
    or side='right'). sorted_sequence is 1-D, or its leading dims match those of values."""
    if side is not None:
        if side not in ("left", "right"):
            raise RuntimeError(f"searchsorted(): side can only be 'left' or 'right' but got {side}")
        if right and side == "left":
            raise RuntimeError(
                "searchsorted(): side and right can't be set to opposites, got side of left "
                "while right was True"
            )
        right = side == "right"
    boundaries = sorted_sequence._data
    if boundaries.ndim == 0:
        raise RuntimeError("searchsorted(): boundaries tensor should have positive dimension")
    v = values._data if isinstance(values, Tensor) else np.asarray(values)
    order = None if sorter is None else sorter._data
    how: Literal["left", "right"] = "right" if right else "left"
    if boundaries.ndim == 1:
        found = np.searchsorted(boundaries, v, side=how, sorter=order)
    else:
        if v.shape[:-1] != boundaries.shape[:-1]:
            raise RuntimeError(
                "searchsorted(): boundaries tensor should be 1 dimension or the first N-1 "
                "dimensions of boundaries tensor and input value tensor must match, but we "
                f"got boundaries tensor {list(boundaries.shape)} and input value tensor "
                f"{list(v.shape)}"
            )
        rows = boundaries.reshape(-1, boundaries.shape[-1])
        wanted = v.reshape(-1, v.shape[-1])
        sorters = None if order is None else order.reshape(rows.shape)
        found = np.stack(
            [
                np.searchsorted(
                    rows[r], wanted[r], side=how, sorter=None if sorters is None else sorters[r]
                )
                for r in range(rows.shape[0])
            ]
        ).reshape(v.shape)
    return Tensor._make(np.asarray(found, np.int32 if out_int32 else np.int64), False)

"""Gathers and scatters along a dim: gather/scatter/scatter_add/scatter_reduce, take and
take_along_dim. (index_select and co., masked_select and co., nonzero: `ops.index_ops`.)

A gather reads a[positions]; its backward adds the gradient back at those positions (a
scatter_add, repeats added). A scatter writes src at positions; its backward reads the
gradient there for src (a gather) and zeroes it there for the input, whose values were
overwritten. For dim 1 of a 2-D tensor, position (i, j) of `index` stands for the element
(i, index[i, j]): `along` builds that key, an open grid (np.ix_-like) for the other dims.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from groundup.function import Function, normalize_dim
from groundup.ops.index_ops import (
    argwhere,
    check_index_dtype,
    index_add,
    index_copy,
    index_fill,
    index_select,
    masked_scatter,
    masked_select,
    nonzero,
    out_of_bounds,
)
from groundup.ops.scatter_reduce import ScatterReduce, check_reduce
from groundup.ops.torch_indexing import add_at, along, grad_of_src, leading
from groundup.tensor import Tensor

__all__ = [
    "argwhere",
    "gather",
    "index_add",
    "index_copy",
    "index_fill",
    "index_select",
    "masked_scatter",
    "masked_select",
    "nonzero",
    "scatter",
    "scatter_add",
    "scatter_reduce",
    "take",
    "take_along_dim",
]

INPLACE = frozenset(
    {
        "index_add",
        "index_copy",
        "index_fill",
        "masked_scatter",
        "scatter",
        "scatter_add",
        "scatter_reduce",
    }
)


class Gather(Function):
    """out[i, j] = a[i, index[i, j]] (dim 1); the gradient is added back where each element
    came from."""

    saves = (2,)  # the index

    def forward(self, a: np.ndarray, dim: int, index: np.ndarray) -> np.ndarray:
        self.shape, self.index_shape = a.shape, index.shape or (1,)  # 0-d acts as 1-D
        self.key = along(index.reshape(self.index_shape), dim)
        return np.atleast_1d(a)[self.key].reshape(index.shape)

    def backward(self, grad: np.ndarray) -> tuple[Any, ...]:
        out = np.zeros(self.shape or (1,), grad.dtype)
        add_at(out, self.key, grad.reshape(self.index_shape))
        return out.reshape(self.shape), None, None


class Scatter(Function):
    """a with a[i, index[i, j]] = src[i, j] (dim 1), src a tensor or a number; the
    overwritten elements of a get no gradient, src elements get theirs."""

    saves = (2,)

    def forward(
        self, a: np.ndarray, dim: int, index: np.ndarray, src: Any, reduce: str | None
    ) -> np.ndarray:
        self.reduce, self.src_shape = reduce, np.shape(src)
        self.key = along(index.reshape(index.shape or (1,)), dim)
        out = np.atleast_1d(a).copy()
        values = np.atleast_1d(src)[leading(index.shape or (1,))] if np.ndim(src) else src
        if reduce is None:
            out[self.key] = values
        elif reduce == "add":
            np.add.at(out, self.key, values)
        else:
            np.multiply.at(out, self.key, values)
        return out.reshape(a.shape)

    def backward(self, grad: np.ndarray) -> tuple[Any, ...]:
        if self.reduce is not None:
            raise RuntimeError(
                f"scatter(reduce={self.reduce!r}): the derivative is not implemented (as in "
                "torch); use scatter_reduce, which has one"
            )
        g = np.atleast_1d(grad)
        d_a = None
        if self.parents[0] is not None:
            d_a = g.copy()
            d_a[self.key] = 0
            d_a = d_a.reshape(grad.shape)
        d_src = None
        if self.parents[3] is not None:
            d_src = grad_of_src(g, self.key, self.src_shape or (1,)).reshape(self.src_shape)
        return d_a, None, None, d_src, None


class ScatterAdd(Function):
    """a with src[i, j] added at a[i, index[i, j]] (dim 1), repeats added; both get the
    gradient, src the one at its target position."""

    saves = (2,)

    def forward(self, a: np.ndarray, dim: int, index: np.ndarray, src: np.ndarray) -> np.ndarray:
        self.src_shape = src.shape
        self.key = along(index.reshape(index.shape or (1,)), dim)
        out = np.atleast_1d(a).copy()
        add_at(out, self.key, np.atleast_1d(src)[leading(index.shape or (1,))])
        return out.reshape(a.shape)

    def backward(self, grad: np.ndarray) -> tuple[Any, ...]:
        d_src = None
        if self.parents[3] is not None:
            g = np.atleast_1d(grad)
            d_src = grad_of_src(g, self.key, self.src_shape or (1,)).reshape(self.src_shape)
        return grad, None, None, d_src


class Take(Function):
    """out = a.flatten()[index] (negative indices count from the end); the gradient is
    added back at each read position."""

    saves = (1,)

    def forward(self, a: np.ndarray, index: np.ndarray) -> np.ndarray:
        self.shape = a.shape
        self.index = np.where(index < 0, index + a.size, index)
        return a.reshape(-1)[self.index]

    def backward(self, grad: np.ndarray) -> tuple[Any, None]:
        out = np.zeros(int(np.prod(self.shape)), grad.dtype)
        return add_at(out, (self.index,), grad).reshape(self.shape), None


# ------------------------------------------------------------------ checks
def _tensor(x: Any, op: str, name: str) -> Tensor:
    if not isinstance(x, Tensor):
        raise TypeError(f"{op}(): argument '{name}' must be a Tensor, not {type(x).__name__}")
    return x


def _shape1(t: Tensor) -> tuple[int, ...]:
    """torch treats a 0-d tensor as 1-D in gathers and scatters."""
    return t.shape or (1,)


def _checkalong(op: str, a: Tensor, dim: int, index: Tensor, src: Tensor | None = None) -> None:
    """torch's rules for gather/scatter: same number of dims, index no larger than the
    input (except along dim) and than src, every index in [0, size)."""
    a_shape, i_shape = _shape1(a), _shape1(index)
    if len(i_shape) != len(a_shape):
        raise RuntimeError(
            f"{op}(): index has {index.ndim} dims but the input has {a.ndim}; they must have "
            "the same number of dimensions"
        )
    if src is not None and len(_shape1(src)) != len(i_shape):
        raise RuntimeError(
            f"{op}(): index has {index.ndim} dims but src has {src.ndim}; they must have the "
            "same number of dimensions"
        )
    if index._data.size == 0:
        return
    too_big = any(i_shape[d] > a_shape[d] for d in range(len(a_shape)) if d != dim)
    if src is not None:
        too_big = too_big or any(i > s for i, s in zip(i_shape, _shape1(src), strict=True))
    if too_big:
        than_src = f" and than src {list(src.shape)}" if src is not None else ""
        raise RuntimeError(
            f"{op}(): index {list(index.shape)} must be no larger than the input "
            f"{list(a.shape)} apart from dimension {dim}{than_src}"
        )
    out_of_bounds(op, index._data, a_shape[dim], dim, RuntimeError, negative=False)


def _same_dtype(op: str, a: Tensor, src: Tensor) -> None:
    if src.dtype != a.dtype:
        raise RuntimeError(
            f"{op}(): expected self and src to have the same dtype, got {a.dtype} and "
            f"{src.dtype}; convert src first (src.to(x.dtype))"
        )


# ------------------------------------------------------------------ functional API
def gather(input: Tensor, dim: int, index: Tensor, *, sparse_grad: bool = False) -> Tensor:  # noqa: A002
    """out[i][j] = input[i][index[i][j]] for dim 1 (index no larger than input apart from
    dim; indices in [0, size)). `sparse_grad` is accepted and ignored (dense gradients)."""
    _tensor(index, "gather", "index")
    check_index_dtype("gather", index, (np.int64, np.int32))
    d = normalize_dim(dim, input.ndim, "gather")
    _checkalong("gather", input, d, index)
    return Gather.apply(input, d, index)


def scatter(
    input: Tensor,  # noqa: A002
    dim: int,
    index: Tensor,
    src: Any = None,
    value: Any = None,
    *,
    reduce: str | None = None,
) -> Tensor:
    """A copy of input with out[i][index[i][j]] = src[i][j] (dim 1), or = value (a number).

    With repeated indices one of the writes wins (which one is unspecified, as in torch).
    reduce='add' or 'multiply' combines instead of writing (no gradient, as in torch; use
    scatter_reduce)."""
    if src is None:
        src = value
    if src is None:
        raise TypeError("scatter(): expected src (a tensor) or value (a number)")
    _tensor(index, "scatter", "index")
    check_index_dtype("scatter", index, (np.int64, np.int32))
    if reduce not in (None, "add", "multiply"):
        raise RuntimeError(
            f"scatter(): reduce argument must be either add or multiply, got {reduce!r}"
        )
    d = normalize_dim(dim, input.ndim, "scatter")
    if isinstance(src, Tensor):
        _same_dtype("scatter", input, src)
        _checkalong("scatter", input, d, index, src)
    else:
        if not isinstance(src, (bool, int, float, np.generic)):
            raise TypeError(f"scatter(): value must be a number, got {type(src).__name__}")
        _checkalong("scatter", input, d, index)
        src = np.asarray(src).astype(input.dtype)
    return Scatter.apply(input, d, index, src, reduce)


def scatter_add(input: Tensor, dim: int, index: Tensor, src: Tensor) -> Tensor:  # noqa: A002
    """A copy of input with src[i][j] added at out[i][index[i][j]] (dim 1); repeats add up."""
    _tensor(index, "scatter_add", "index")
    _tensor(src, "scatter_add", "src")
    check_index_dtype("scatter_add", index, (np.int64, np.int32))
    _same_dtype("scatter_add", input, src)
    d = normalize_dim(dim, input.ndim, "scatter_add")
    _checkalong("scatter_add", input, d, index, src)
    return ScatterAdd.apply(input, d, index, src)


def scatter_reduce(
    input: Tensor,  # noqa: A002
    dim: int,
    index: Tensor,
    src: Tensor,
    reduce: str,
    *,
    include_self: bool = True,
) -> Tensor:
    """Reduce the src elements sent to each position (out[i][index[i][j]], dim 1) with
    'sum', 'prod', 'mean', 'amax' or 'amin', together with input's own element unless
    include_self=False (then positions that receive nothing keep input's value).
    Integer 'mean' rounds down, as in torch."""
    _tensor(index, "scatter_reduce", "index")
    _tensor(src, "scatter_reduce", "src")
    check_index_dtype("scatter_reduce", index, (np.int64, np.int32))
    check_reduce(reduce)
    _same_dtype("scatter_reduce", input, src)
    d = normalize_dim(dim, input.ndim, "scatter_reduce")
    _checkalong("scatter_reduce", input, d, index, src)
    return ScatterReduce.apply(input, d, index, src, reduce, include_self)


def take(input: Tensor, index: Tensor) -> Tensor:  # noqa: A002
    """input.flatten()[index], of index's shape; negative indices count from the end."""
    _tensor(index, "take", "index")
    check_index_dtype("take", index, (np.int64,))
    n = input._data.size
    if index._data.size:
        low, high = int(index._data.min()), int(index._data.max())
        bad = low if low < -n else high if high >= n else None
        if bad is not None:
            raise IndexError(
                f"take(): out of range: tried to access index {bad} on a tensor of {n} elements"
            )
    return Take.apply(input, index)


def take_along_dim(input: Tensor, indices: Tensor, dim: int | None = None) -> Tensor:  # noqa: A002
    """gather with broadcasting: input and indices broadcast in every dim but `dim`.
    dim=None reads the flattened input at the flattened indices.

    Indices lie in [-size, size), negative ones counting from the end (torch reads other
    values modulo the size without an error; here they raise)."""
    _tensor(indices, "take_along_dim", "indices")
    check_index_dtype("take_along_dim", indices, (np.int64,))
    if dim is None:
        return gather(input.reshape(-1), 0, indices.reshape(-1))
    if input.ndim != indices.ndim:
        raise RuntimeError(
            f"take_along_dim(): input and indices should have the same number of dimensions, "
            f"but got {input.ndim} dimensions for input, and {indices.ndim} for indices"
        )
    d = normalize_dim(dim, input.ndim, "take_along_dim")
    if input.ndim == 0:
        return gather(input, 0, indices)
    try:  # broadcast every dim but d
        index_shape = list(
            np.broadcast_shapes(_with(input.shape, d, indices.shape[d]), indices.shape)
        )
        input_shape = list(
            np.broadcast_shapes(_with(indices.shape, d, input.shape[d]), input.shape)
        )
    except ValueError:
        raise RuntimeError(
            f"take_along_dim(): input of shape {list(input.shape)} and indices of shape "
            f"{list(indices.shape)} do not broadcast (apart from dimension {d})"
        ) from None
    size = input.shape[d]
    out_of_bounds("take_along_dim", indices._data, size, d, RuntimeError, negative=True)
    wrapped = np.where(indices._data < 0, indices._data + size, indices._data)
    index = Tensor._make(np.broadcast_to(wrapped, index_shape), False)
    return Gather.apply(input.expand(*input_shape), d, index)


def _with(shape: tuple[int, ...], dim: int, size: int) -> tuple[int, ...]:
    return shape[:dim] + (size,) + shape[dim + 1 :]

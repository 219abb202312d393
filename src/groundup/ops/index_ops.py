"""Whole slices picked by a 1-D index along a dim (index_select, index_add, index_copy,
index_fill), masks (masked_select, masked_scatter) and nonzero/argwhere. Part of the
indexing family (`ops.indexing` exports them).

Along dim 1, index [2, 0] picks the columns 2 and 0: the NumPy key (:, [2, 0]) (`_key`).
Reading slices (index_select) sends the gradient back with repeats added; writing them
(index_copy, index_fill) blocks the gradient of what was overwritten.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from groundup.function import Function, normalize_dim, torch_type_name
from groundup.ops.shape import GetItem
from groundup.ops.torch_indexing import add_at
from groundup.tensor import Tensor


def _key(dim: int, index: np.ndarray) -> tuple[Any, ...]:
    """(:, ..., index): the slices number index[k] along `dim`."""
    return (slice(None),) * dim + (index.reshape(-1),)


class IndexSelect(Function):
    saves = (2,)

    def forward(self, a: np.ndarray, dim: int, index: np.ndarray) -> np.ndarray:
        self.shape, self.key = a.shape, _key(dim, index)
        if a.ndim == 0:  # the only element, whatever the (single) index
            return a.copy()
        return a[self.key]

    def backward(self, grad: np.ndarray) -> tuple[Any, ...]:
        if not self.shape:
            return grad, None, None
        return add_at(np.zeros(self.shape, grad.dtype), self.key, grad), None, None


class IndexAdd(Function):
    """out = a with alpha * source[k] added to slice index[k]; repeats add up."""

    saves = (2,)

    def forward(
        self, a: np.ndarray, dim: int, index: np.ndarray, source: np.ndarray, alpha: Any
    ) -> np.ndarray:
        self.key, self.alpha, self.source_shape = _key(dim, index), alpha, source.shape
        out = np.atleast_1d(a).copy()
        scaled = source * alpha if alpha != 1 else source
        add_at(out, self.key, np.atleast_1d(np.asarray(scaled, a.dtype)))
        return out.reshape(a.shape)

    def backward(self, grad: np.ndarray) -> tuple[Any, ...]:
        d_source = None
        if self.parents[3] is not None:
            picked = np.atleast_1d(grad)[self.key]
            d_source = (picked * self.alpha if self.alpha != 1 else picked).reshape(
                self.source_shape
            )
        return grad, None, None, d_source, None


class IndexCopy(Function):
    """out = a with slice index[k] replaced by source[k]."""

    saves = (2,)

    def forward(self, a: np.ndarray, dim: int, index: np.ndarray, source: np.ndarray) -> np.ndarray:
        self.key, self.source_shape = _key(dim, index), source.shape
        out = np.atleast_1d(a).copy()
        out[self.key] = np.atleast_1d(source)
        return out.reshape(a.shape)

    def backward(self, grad: np.ndarray) -> tuple[Any, ...]:
        g = np.atleast_1d(grad)
        d_a = None
        if self.parents[0] is not None:
            d_a = g.copy()
            d_a[self.key] = 0
            d_a = d_a.reshape(grad.shape)
        d_source = g[self.key].reshape(self.source_shape) if self.parents[3] is not None else None
        return d_a, None, None, d_source


class IndexFill(Function):
    """out = a with the slices in index set to value (a number, or a 0-d tensor that gets
    the sum of the gradient over the filled elements, each counted once)."""

    saves = (2,)

    def forward(self, a: np.ndarray, dim: int, index: np.ndarray, value: Any) -> np.ndarray:
        self.filled = np.zeros(a.shape or (1,), np.bool_)
        self.filled[_key(dim, index)] = True
        out = np.atleast_1d(a).copy()
        out[self.filled] = value
        return out.reshape(a.shape)

    def backward(self, grad: np.ndarray) -> tuple[Any, ...]:
        filled = self.filled.reshape(grad.shape)
        d_a = None
        if self.parents[0] is not None:
            d_a = np.where(filled, np.zeros((), grad.dtype), grad)
        d_value = grad[filled].sum() if self.parents[3] is not None else None
        return d_a, None, None, d_value


class MaskedScatter(Function):
    """out = a (broadcast with mask) with the masked elements replaced, in order, by the
    first elements of source."""

    saves = ()

    def forward(self, a: np.ndarray, source: np.ndarray, mask: np.ndarray) -> np.ndarray:
        shape = np.broadcast_shapes(a.shape, mask.shape)
        self.mask, self.source_shape = np.broadcast_to(mask, shape), source.shape
        self.count = int(np.count_nonzero(self.mask))
        out = np.broadcast_to(a, shape).copy()
        out[self.mask] = source.reshape(-1)[: self.count]
        return out

    def backward(self, grad: np.ndarray) -> tuple[Any, ...]:
        d_a = np.where(self.mask, np.zeros((), grad.dtype), grad)  # summed back to a's shape
        d_source = np.zeros(int(np.prod(self.source_shape)), grad.dtype)
        d_source[: self.count] = grad[self.mask]
        return d_a, d_source.reshape(self.source_shape), None


# ------------------------------------------------------------------ checks
def check_index_dtype(
    op: str, index: Any, dtypes: tuple[type, ...], error: type = RuntimeError
) -> None:
    if not isinstance(index, Tensor):
        raise TypeError(f"{op}(): index must be a Tensor, not {type(index).__name__}")
    if index.dtype not in dtypes:
        names = " or ".join(np.dtype(d).name for d in dtypes)
        raise error(f"{op}(): expected dtype {names} for index, got {index.dtype}")


def _vector(op: str, index: Tensor, error: type = IndexError) -> None:
    if index.ndim > 1:
        raise error(
            f"{op}(): index is supposed to be a vector (or a 0-d tensor), got shape "
            f"{list(index.shape)}"
        )


def out_of_bounds(
    op: str, data: np.ndarray, size: int, dim: int, error: type, negative: bool
) -> None:
    """torch's error for an index outside [0, size) (or [-size, size) with `negative`)."""
    if data.size == 0:
        return
    low, high = int(data.min()), int(data.max())
    bad = low if low < (-size if negative else 0) else high if high >= size else None
    if bad is not None:
        raise error(f"{op}(): index {bad} is out of bounds for dimension {dim} with size {size}")


def _check_source(op: str, a: Tensor, d: int, index: Tensor, source: Tensor) -> None:
    """source: a's shape with len(index) slices along d (a 0-d tensor counts as 1-D)."""
    if not isinstance(source, Tensor):
        raise TypeError(f"{op}(): source must be a Tensor, not {type(source).__name__}")
    if source.dtype != a.dtype:
        raise RuntimeError(
            f"{op}(): self ({_type(a.dtype)}) and source ({_type(source.dtype)}) must have the "
            "same dtype; convert source first (source.to(x.dtype))"
        )
    a_shape, s_shape = a.shape or (1,), source.shape or (1,)
    n = index._data.size
    if len(s_shape) != len(a_shape) or any(
        s != t for k, (s, t) in enumerate(zip(s_shape, a_shape, strict=True)) if k != d
    ):
        raise RuntimeError(
            f"{op}(): source tensor shape must match self tensor shape, excluding the specified "
            f"dimension. Got self.shape = {list(a.shape)} source.shape = {list(source.shape)}"
        )
    if s_shape[d] != n:
        raise RuntimeError(
            f"{op}(): number of indices ({n}) should be equal to source.size(dim) "
            f"({s_shape[d]}), for dim {d}"
        )


def _type(dtype: np.dtype) -> str:
    return torch_type_name(dtype).removesuffix("Tensor")


def _dim(op: str, a: Tensor, dim: int) -> int:
    return normalize_dim(dim, a.ndim, op)


# ------------------------------------------------------------------ functional API
def index_select(input: Tensor, dim: int, index: Tensor) -> Tensor:  # noqa: A002
    """The slices index[0], index[1], ... of input along dim (repeats allowed)."""
    check_index_dtype("index_select", index, (np.int64, np.int32))
    _vector("index_select", index)
    d = _dim("index_select", input, dim)
    if input.ndim == 0 and index._data.size != 1:
        raise RuntimeError(
            f"index_select(): index to scalar can have only 1 value, got {index._data.size}"
        )
    out_of_bounds("index_select", index._data, (input.shape or (1,))[d], d, RuntimeError, False)
    return IndexSelect.apply(input, d, index)


def index_add(
    input: Tensor,
    dim: int,
    index: Tensor,
    source: Tensor,
    *,
    alpha: Any = 1,  # noqa: A002
) -> Tensor:
    """A copy of input with alpha * source[k] added to its slice index[k] along dim."""
    check_index_dtype("index_add", index, (np.int64, np.int32))
    _vector("index_add", index)
    d = _dim("index_add", input, dim)
    _check_source("index_add", input, d, index, source)
    out_of_bounds("index_add", index._data, (input.shape or (1,))[d], d, RuntimeError, False)
    alpha = alpha.item() if isinstance(alpha, Tensor) else alpha
    if input.dtype.kind in "iu":
        alpha = int(alpha)  # torch truncates alpha for integer tensors
    return IndexAdd.apply(input, d, index, source, alpha)


def index_copy(input: Tensor, dim: int, index: Tensor, source: Tensor) -> Tensor:  # noqa: A002
    """A copy of input with its slice index[k] along dim replaced by source[k] (with
    repeated indices one of the copies wins, unspecified which, as in torch)."""
    check_index_dtype("index_copy", index, (np.int64,))
    _vector("index_copy", index)
    d = _dim("index_copy", input, dim)
    _check_source("index_copy", input, d, index, source)
    out_of_bounds("index_copy", index._data, (input.shape or (1,))[d], d, IndexError, False)
    return IndexCopy.apply(input, d, index, source)


def index_fill(input: Tensor, dim: int, index: Tensor, value: Any) -> Tensor:  # noqa: A002
    """A copy of input with the slices in index along dim set to value (a number or a 0-d
    tensor; negative indices count from the end)."""
    check_index_dtype("index_fill", index, (np.int64,), IndexError)
    _vector("index_fill", index, RuntimeError)
    d = _dim("index_fill", input, dim)
    out_of_bounds("index_fill", index._data, (input.shape or (1,))[d], d, IndexError, True)
    if isinstance(value, Tensor):
        if value.ndim != 0:
            raise RuntimeError(
                f"index_fill(): only supports a 0-dimensional value tensor, but got a tensor "
                f"with {value.ndim} dimension(s)"
            )
        if value.dtype != input.dtype:
            value = value.to(input.dtype) if input.dtype.kind == "f" else value.detach()
    elif not isinstance(value, (bool, int, float, np.generic)):
        raise TypeError(f"index_fill(): value must be a number or a 0-d tensor, got {value!r}")
    return IndexFill.apply(input, d, index, value)


def _bool_mask(op: str, mask: Any) -> np.ndarray:
    m = mask._data if isinstance(mask, Tensor) else np.asarray(mask)
    if m.dtype != np.bool_:
        raise RuntimeError(
            f"{op}(): only supports boolean masks, but got mask with dtype {m.dtype}"
        )
    return m


def _broadcast(op: str, a: Tensor, mask: np.ndarray) -> tuple[int, ...]:
    try:
        return np.broadcast_shapes(a.shape, mask.shape)
    except ValueError:
        raise RuntimeError(
            f"{op}(): the mask of shape {list(mask.shape)} does not broadcast with the input of "
            f"shape {list(a.shape)}"
        ) from None


def masked_select(input: Tensor, mask: Any) -> Tensor:  # noqa: A002
    """The elements of input where mask (broadcast together) is True, as a 1-D tensor."""
    m = _bool_mask("masked_select", mask)
    shape = _broadcast("masked_select", input, m)
    source = input if input.shape == shape else input.expand(*shape)
    return GetItem.apply(source, (np.broadcast_to(m, shape),))


def masked_scatter(input: Tensor, mask: Any, source: Tensor) -> Tensor:  # noqa: A002
    """A copy of input (broadcast with mask) whose masked elements take the values of
    source in order (source needs at least as many elements as mask has True)."""
    m = _bool_mask("masked_scatter", mask)
    if not isinstance(source, Tensor):
        raise TypeError(f"masked_scatter(): source must be a Tensor, not {type(source).__name__}")
    if source.dtype != input.dtype:
        raise RuntimeError(
            f"masked_scatter(): expected self and source to have the same dtype, got "
            f"{input.dtype} and {source.dtype}"
        )
    shape = _broadcast("masked_scatter", input, m)
    if np.count_nonzero(np.broadcast_to(m, shape)) > source._data.size:
        raise RuntimeError(
            "masked_scatter(): number of elements of source < number of ones in mask"
        )
    return MaskedScatter.apply(input, source, m)


def nonzero(input: Tensor, *, as_tuple: bool = False) -> Any:  # noqa: A002
    """The indices of the nonzero elements: a (count, ndim) int64 tensor, one row per
    element in row-major order, or with as_tuple=True one 1-D tensor per dim (a 0-d input
    counts as 1-D there)."""
    data = input._data if isinstance(input, Tensor) else np.asarray(input)
    if as_tuple:
        return tuple(
            Tensor._make(i.astype(np.int64), False) for i in np.nonzero(np.atleast_1d(data))
        )
    return Tensor._make(np.argwhere(data).astype(np.int64), False)


def argwhere(input: Tensor) -> Tensor:  # noqa: A002
    """nonzero(input): the (count, ndim) indices of the nonzero elements."""
    return nonzero(input)

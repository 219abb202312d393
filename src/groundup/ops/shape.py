"""Shape ops: reshape/view, permute/transpose, squeeze/unsqueeze, flatten, expand,
indexing, cat, stack, split, chunk. Their backward passes move gradients, never compute."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from groundup.function import Function
from groundup.tensor import Tensor, _sequence_of_ints


class Reshape(Function):
    def forward(self, a: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
        self.shape = a.shape
        try:
            return a.reshape(shape)
        except ValueError:
            raise RuntimeError(
                f"reshape: shape {tuple(shape)} is invalid for input of shape {a.shape} "
                f"({a.size} elements)"
            ) from None

    def backward(self, grad: np.ndarray) -> tuple[Any, None]:
        return grad.reshape(self.shape), None


class Permute(Function):
    def forward(self, a: np.ndarray, axes: tuple[int, ...]) -> np.ndarray:
        self.inverse = tuple(np.argsort(axes))
        return a.transpose(axes)

    def backward(self, grad: np.ndarray) -> tuple[Any, None]:
        return grad.transpose(self.inverse), None


class Expand(Function):
    def forward(self, a: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
        return np.broadcast_to(a, shape)

    def backward(self, grad: np.ndarray) -> tuple[Any, None]:
        return grad, None  # the engine sums the broadcast axes back


def _is_basic(index: Any) -> bool:
    """Ints, slices, None and Ellipsis select without repeats: assignment can scatter back."""
    items = index if isinstance(index, tuple) else (index,)
    return all(isinstance(i, (int, np.integer, slice)) or i is None or i is Ellipsis for i in items)


class GetItem(Function):
    def forward(self, a: np.ndarray, index: Any) -> np.ndarray:
        self.shape, self.dtype, self.index = a.shape, a.dtype, index
        return np.asarray(a[index])

    def backward(self, grad: np.ndarray) -> tuple[Any, None]:
        out = np.zeros(self.shape, dtype=grad.dtype)
        items = self.index if isinstance(self.index, tuple) else (self.index,)
        if _is_basic(self.index) or any(
            isinstance(i, np.ndarray) and i.dtype == np.bool_ for i in items
        ):
            out[self.index] = grad
        else:  # integer arrays may repeat an element: add, don't overwrite
            np.add.at(out, self.index, grad)
        return out, None


class Cat(Function):
    def forward(self, *arrays: np.ndarray, dim: int) -> np.ndarray:
        self.dim = dim
        self.boundaries = np.cumsum([a.shape[dim] for a in arrays])[:-1]
        return np.concatenate(arrays, axis=dim)

    def backward(self, grad: np.ndarray) -> tuple[Any, ...]:
        return tuple(np.split(grad, self.boundaries, axis=self.dim))


class Stack(Function):
    def forward(self, *arrays: np.ndarray, dim: int) -> np.ndarray:
        self.dim = dim
        return np.stack(arrays, axis=dim)

    def backward(self, grad: np.ndarray) -> tuple[Any, ...]:
        return tuple(np.moveaxis(grad, self.dim, 0))


# ------------------------------------------------------------------ functional API
def reshape(a: Tensor, *shape: Any) -> Tensor:
    return Reshape.apply(a, _sequence_of_ints(shape))


view = reshape


def permute(a: Tensor, *dims: Any) -> Tensor:
    axes = tuple(d % a.ndim for d in _sequence_of_ints(dims))
    if sorted(axes) != list(range(a.ndim)):
        raise ValueError(f"permute: {dims} is not a permutation of the {a.ndim} dims of {a.shape}")
    return Permute.apply(a, axes)


def transpose(a: Tensor, dim0: int, dim1: int) -> Tensor:
    axes = list(range(a.ndim))
    axes[dim0], axes[dim1] = axes[dim1], axes[dim0]
    return Permute.apply(a, tuple(axes))


def squeeze(a: Tensor, dim: int | tuple[int, ...] | None = None) -> Tensor:
    """Drop size-1 dims (all of them, or those in `dim`; a dim of another size is kept)."""
    if dim is None:
        shape = tuple(n for n in a.shape if n != 1)
    else:
        dims = {d % a.ndim for d in ((dim,) if isinstance(dim, int) else dim)} if a.ndim else set()
        shape = tuple(n for i, n in enumerate(a.shape) if not (i in dims and n == 1))
    return Reshape.apply(a, shape)


def unsqueeze(a: Tensor, dim: int) -> Tensor:
    d = dim % (a.ndim + 1)
    return Reshape.apply(a, a.shape[:d] + (1,) + a.shape[d:])


def flatten(a: Tensor, start_dim: int = 0, end_dim: int = -1) -> Tensor:
    if a.ndim == 0:
        return Reshape.apply(a, (1,))
    s, e = start_dim % a.ndim, end_dim % a.ndim
    return Reshape.apply(a, a.shape[:s] + (-1,) + a.shape[e + 1 :])


def expand(a: Tensor, *sizes: Any) -> Tensor:
    """Broadcast to `sizes` without copying; -1 keeps a dimension."""
    target = _sequence_of_ints(sizes)
    lead = len(target) - a.ndim
    shape = tuple(a.shape[i - lead] if n == -1 else n for i, n in enumerate(target))
    return Expand.apply(a, shape)


def expand_as(a: Tensor, other: Tensor) -> Tensor:
    return Expand.apply(a, other.shape)


def getitem(a: Tensor, index: Any) -> Tensor:
    """Ints, slices, None, Ellipsis, integer arrays and boolean masks, as NumPy does them."""
    if isinstance(index, tuple):
        index = tuple(i.data if isinstance(i, Tensor) else i for i in index)
    elif isinstance(index, Tensor):
        index = index.data
    elif isinstance(index, list):
        index = np.asarray(index)
    return GetItem.apply(a, index)


def cat(tensors: Sequence[Tensor], dim: int = 0) -> Tensor:
    if len(tensors) == 0:
        raise ValueError("cat: expected a non-empty sequence of tensors")
    ref = tensors[0]
    d = dim % ref.ndim
    for i, t in enumerate(tensors):
        if (
            t.ndim != ref.ndim
            or t.shape[:d] + t.shape[d + 1 :] != ref.shape[:d] + ref.shape[d + 1 :]
        ):
            raise ValueError(
                f"cat: tensor {i} has shape {t.shape}, incompatible with {ref.shape} "
                f"(all sizes must match except in dim {dim})"
            )
    return Cat.apply(*tensors, dim=d)


concat = cat


def stack(tensors: Sequence[Tensor], dim: int = 0) -> Tensor:
    if len(tensors) == 0:
        raise ValueError("stack: expected a non-empty sequence of tensors")
    for i, t in enumerate(tensors):
        if t.shape != tensors[0].shape:
            raise ValueError(
                f"stack: tensor {i} has shape {t.shape}, expected {tensors[0].shape} (all equal)"
            )
    return Stack.apply(*tensors, dim=dim % (tensors[0].ndim + 1))


def split(
    a: Tensor, split_size_or_sections: int | Sequence[int], dim: int = 0
) -> tuple[Tensor, ...]:
    """Pieces of `split_size` along `dim` (the last may be smaller), or of the given sizes."""
    d = dim % a.ndim
    n = a.shape[d]
    if isinstance(split_size_or_sections, int):
        size = split_size_or_sections
        sizes = [min(size, n - start) for start in range(0, n, size)]
    else:
        sizes = list(split_size_or_sections)
        if sum(sizes) != n:
            raise ValueError(f"split: sizes {sizes} do not sum to dim {dim}'s size {n}")
    pieces, start = [], 0
    for size in sizes:
        index = (slice(None),) * d + (slice(start, start + size),)
        pieces.append(GetItem.apply(a, index))
        start += size
    return tuple(pieces)


def chunk(a: Tensor, chunks: int, dim: int = 0) -> tuple[Tensor, ...]:
    """torch.chunk: pieces of ceil(n / chunks) elements (possibly fewer than `chunks`)."""
    n = a.shape[dim % a.ndim]
    return split(a, max(1, -(-n // chunks)), dim)

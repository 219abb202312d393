"""Shape ops: reshape/view, permute/transpose, squeeze/unsqueeze, flatten, expand,
indexing, cat, stack, split, chunk. Their backward passes move gradients, never compute."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from groundup.function import Function, normalize_dim
from groundup.ops.torch_indexing import add_at, has_index_array, torch_key
from groundup.tensor import Tensor, _sequence_of_ints


class Reshape(Function):
    saves = ()
    is_view = True

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
    saves = ()
    is_view = True

    def forward(self, a: np.ndarray, axes: tuple[int, ...]) -> np.ndarray:
        self.inverse = tuple(np.argsort(axes))
        return a.transpose(axes)

    def backward(self, grad: np.ndarray) -> tuple[Any, None]:
        return grad.transpose(self.inverse), None


class Expand(Function):
    saves = ()
    is_view = True

    def forward(self, a: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
        if a.shape == shape:  # nothing repeated: a writable view, as in torch
            return a[...]
        return np.broadcast_to(a, shape)  # read-only: in-place ops on it raise, as in torch

    def backward(self, grad: np.ndarray) -> tuple[Any, None]:
        return grad, None  # the engine sums the broadcast axes back


class GetItem(Function):
    saves = ()
    is_view = True  # basic indexing (ints, slices) is a view; an integer array copies

    def forward(self, a: np.ndarray, index: Any) -> np.ndarray:
        self.shape, self.index = a.shape, index
        out = a[index]
        if not isinstance(out, np.ndarray):  # x[0] of a vector: a 0-d view, not a copy
            out = a[(*index, Ellipsis) if isinstance(index, tuple) else (index, Ellipsis)]
        return out

    def backward(self, grad: np.ndarray) -> tuple[Any, None]:
        out = np.zeros(self.shape, dtype=grad.dtype)
        if has_index_array(self.index):  # x[[0, 0]]: a repeated index adds both gradients
            add_at(out, self.index, grad)
        else:  # ints, slices, None, bools, bool masks: each element at most once
            out[self.index] = grad
        return out, None


class Cat(Function):
    """Join along `dim`; the inputs listed in `skip` (legacy empty tensors of shape (0,))
    take no part and get an empty gradient."""

    saves = ()

    def forward(
        self, *arrays: np.ndarray, dim: int, skip: frozenset[int] = frozenset()
    ) -> np.ndarray:
        self.dim, self.skip, self.n = dim, skip, len(arrays)
        kept = [a for i, a in enumerate(arrays) if i not in skip]
        self.boundaries = np.cumsum([a.shape[dim] for a in kept])[:-1]
        return np.concatenate(kept, axis=dim)

    def backward(self, grad: np.ndarray) -> tuple[Any, ...]:
        pieces = iter(np.split(grad, self.boundaries, axis=self.dim))
        return tuple(
            np.zeros(0, grad.dtype) if i in self.skip else next(pieces) for i in range(self.n)
        )


class Stack(Function):
    saves = ()

    def forward(self, *arrays: np.ndarray, dim: int) -> np.ndarray:
        self.dim = dim
        return np.stack(arrays, axis=dim)

    def backward(self, grad: np.ndarray) -> tuple[Any, ...]:
        return tuple(np.moveaxis(grad, self.dim, 0))


# ------------------------------------------------------------------ functional API
def reshape(a: Tensor, *shape: Any) -> Tensor:
    """Same elements, new shape (one entry may be -1); shares memory when it can."""
    return Reshape.apply(a, _sequence_of_ints(shape))


def view(a: Tensor, *shape: Any) -> Tensor:
    """The same memory seen with a new shape (torch's `view`): unlike `reshape`, it never
    copies, so a layout that cannot be reshaped without a copy is a RuntimeError.
    `view(dtype)` reinterprets the bytes as another dtype of the same size."""
    if len(shape) == 1 and not isinstance(shape[0], (int, tuple, list, np.integer)):
        return _view_as_dtype(a, np.dtype(shape[0]))
    target = _sequence_of_ints(shape)
    probe = a._data.view()
    try:
        probe.shape = target  # NumPy refuses exactly when a copy would be needed
    except AttributeError:
        raise RuntimeError(
            f"view(): view size {list(target)} is not compatible with input tensor's size and "
            f"stride {list(a.shape)} (at least one dimension spans across two contiguous "
            "subspaces); use .reshape(...) instead, or .contiguous().view(...)"
        ) from None
    except ValueError:
        pass  # a wrong size: Reshape raises torch's message
    return Reshape.apply(a, target)


def _view_as_dtype(a: Tensor, dtype: np.dtype) -> Tensor:
    if dtype.itemsize != a.dtype.itemsize:
        raise RuntimeError(
            f"view(dtype): {a.dtype} and {dtype} differ in size ({a.dtype.itemsize} and "
            f"{dtype.itemsize} bytes); groundup views only between dtypes of equal size"
        )
    if a.requires_grad and dtype.kind != "f":
        raise RuntimeError("view(dtype): a tensor that requires grad can only be viewed as float")
    out = Tensor._make(a._data.view(dtype), False)
    out._vc = a._vc
    return out


def permute(a: Tensor, *dims: Any) -> Tensor:
    """Reorder the dims: output dim i is input dim dims[i]."""
    order = _sequence_of_ints(dims)
    axes = tuple(normalize_dim(d, a.ndim, "permute") for d in order)
    if len(axes) != a.ndim or sorted(axes) != list(range(a.ndim)):
        raise RuntimeError(
            f"permute: {order} is not a permutation of the {a.ndim} dims of shape {a.shape}"
        )
    return Permute.apply(a, axes if a.ndim else ())


def transpose(a: Tensor, dim0: int, dim1: int) -> Tensor:
    """Swap two dims."""
    if a.ndim < 2:
        normalize_dim(dim0, a.ndim, "transpose")
        normalize_dim(dim1, a.ndim, "transpose")
        return Reshape.apply(a, a.shape)  # a 0-d or 1-d tensor has nothing to swap
    axes = list(range(a.ndim))
    d0, d1 = normalize_dim(dim0, a.ndim, "transpose"), normalize_dim(dim1, a.ndim, "transpose")
    axes[d0], axes[d1] = axes[d1], axes[d0]
    return Permute.apply(a, tuple(axes))


def squeeze(a: Tensor, dim: int | tuple[int, ...] | None = None) -> Tensor:
    """Drop size-1 dims (all of them, or those in `dim`; a dim of another size is kept)."""
    if dim is None:
        shape = tuple(n for n in a.shape if n != 1)
    else:
        dims = {
            normalize_dim(d, a.ndim, "squeeze") for d in ((dim,) if isinstance(dim, int) else dim)
        }
        shape = tuple(n for i, n in enumerate(a.shape) if not (i in dims and n == 1))
    return Reshape.apply(a, shape)


def unsqueeze(a: Tensor, dim: int) -> Tensor:
    """Insert a size-1 dim at `dim` (in [-ndim-1, ndim])."""
    d = normalize_dim(dim, a.ndim + 1, "unsqueeze")
    return Reshape.apply(a, a.shape[:d] + (1,) + a.shape[d:])


def flatten(a: Tensor, start_dim: int = 0, end_dim: int = -1) -> Tensor:
    """Merge dims start_dim..end_dim into one: (2, 3, 4) with start_dim=1 -> (2, 12)."""
    if a.ndim == 0:  # dims 0 and -1 only, as in torch
        normalize_dim(start_dim, 0, "flatten")
        normalize_dim(end_dim, 0, "flatten")
        return Reshape.apply(a, (1,))
    s = normalize_dim(start_dim, a.ndim, "flatten")
    e = normalize_dim(end_dim, a.ndim, "flatten")
    if s > e:
        raise RuntimeError(f"flatten: start_dim {start_dim} comes after end_dim {end_dim}")
    return Reshape.apply(a, (*a.shape[:s], int(np.prod(a.shape[s : e + 1])), *a.shape[e + 1 :]))


def expand(a: Tensor, *sizes: Any) -> Tensor:
    """Broadcast to `sizes` without copying; -1 keeps a dimension."""
    target = _sequence_of_ints(sizes)
    lead = len(target) - a.ndim
    if lead < 0:
        raise RuntimeError(
            f"expand: target {target} has fewer dims than the tensor's shape {a.shape}"
        )
    shape = []
    for i, n in enumerate(target):
        if i < lead:
            if n < 0:
                raise RuntimeError(f"expand: new leading dim {i} of {target} cannot be {n}")
            shape.append(n)
            continue
        have = a.shape[i - lead]
        if n == -1:
            n = have
        if have not in (1, n):
            raise RuntimeError(
                f"expand: the size {have} at dim {i - lead} of shape {a.shape} must be 1 or "
                f"equal the target size {n} (target {target})"
            )
        shape.append(n)
    return Expand.apply(a, tuple(shape))


def expand_as(a: Tensor, other: Tensor) -> Tensor:
    return expand(a, other.shape)


def index_key(index: Any, shape: tuple[int, ...]) -> Any:
    """A torch index (ints, slices, None, Ellipsis, tensors, lists, masks) as a NumPy key
    with torch's meaning, for reading and for assignment (see `ops.torch_indexing`)."""
    return torch_key(index, shape)


def getitem(a: Tensor, index: Any) -> Tensor:
    """Ints, slices, None, Ellipsis, integer arrays and boolean masks, as torch does them:
    ints first (a view), then the index tensors (a copy)."""
    return GetItem.apply(a, index_key(index, a.shape))


def _check_tensors(op: str, tensors: Sequence[Tensor]) -> list[Tensor]:
    if isinstance(tensors, Tensor):
        raise TypeError(f"{op}: expected a sequence of tensors, got a Tensor; wrap it: [t]")
    if len(tensors) == 0:
        raise ValueError(f"{op}: expected a non-empty sequence of tensors")
    if not all(isinstance(t, Tensor) for t in tensors):
        kinds = sorted({type(t).__name__ for t in tensors})
        raise TypeError(f"{op}: expected a sequence of tensors, got {kinds}")
    dtype = tensors[0].dtype
    if any(t.dtype != dtype for t in tensors):  # mixed dtypes promote as in torch
        from groundup.ops.elementwise import cast, promote_types

        for t in tensors[1:]:
            dtype = promote_types(dtype, t.dtype)
        return [cast(t, dtype) for t in tensors]
    return list(tensors)


def cat(tensors: Sequence[Tensor], dim: int = 0, *, axis: int | None = None) -> Tensor:
    """Join tensors along an existing dim; all other sizes must match (`axis` is an alias).

    As in torch, a 1-d empty tensor (shape (0,), the old way to start an accumulator) may
    sit next to tensors of any shape: it is skipped (its dtype still takes part in the
    promotion).
    """
    dim = dim if axis is None else axis
    tensors = _check_tensors("cat", tensors)
    for i, t in enumerate(tensors):
        if t.ndim == 0:
            raise RuntimeError(f"cat: tensor {i} is 0-d and cannot be concatenated")
    skip = frozenset(i for i, t in enumerate(tensors) if t.shape == (0,))
    if len(skip) == len(tensors):  # only empty ones: the result is empty too
        return Cat.apply(*tensors, dim=0)
    ref = next(t for i, t in enumerate(tensors) if i not in skip)
    d = normalize_dim(dim, ref.ndim, "cat")
    for i, t in enumerate(tensors):
        if i not in skip and (
            t.ndim != ref.ndim
            or t.shape[:d] + t.shape[d + 1 :] != ref.shape[:d] + ref.shape[d + 1 :]
        ):
            raise RuntimeError(
                f"cat: tensor {i} has shape {t.shape}, incompatible with {ref.shape} "
                f"(all sizes must match except in dim {dim})"
            )
    return Cat.apply(*tensors, dim=d, skip=skip)


concat = cat
concatenate = cat


def stack(tensors: Sequence[Tensor], dim: int = 0) -> Tensor:
    """Join equal-shaped tensors along a new dim."""
    tensors = _check_tensors("stack", tensors)
    for i, t in enumerate(tensors):
        if t.shape != tensors[0].shape:
            raise RuntimeError(
                f"stack: tensor {i} has shape {t.shape}, expected {tensors[0].shape} (all equal)"
            )
    return Stack.apply(*tensors, dim=normalize_dim(dim, tensors[0].ndim + 1, "stack"))


def split(
    a: Tensor, split_size_or_sections: int | Sequence[int], dim: int = 0
) -> tuple[Tensor, ...]:
    """Pieces of `split_size` along `dim` (the last may be smaller), or of the given sizes."""
    d = normalize_dim(dim, a.ndim, "split")
    n = a.shape[d]
    if isinstance(split_size_or_sections, int):
        size = split_size_or_sections
        if size <= 0:
            raise ValueError(f"split: split_size must be positive, got {size}")
        sizes = [min(size, n - start) for start in range(0, n, size)] or [0]
    else:
        sizes = list(split_size_or_sections)
        if any(s < 0 for s in sizes) or sum(sizes) != n:
            raise ValueError(
                f"split: sizes {sizes} must be non-negative and sum to dim {dim}'s size {n}"
            )
    pieces, start = [], 0
    for size in sizes:
        index = (slice(None),) * d + (slice(start, start + size),)
        pieces.append(GetItem.apply(a, index))
        start += size
    return tuple(pieces)


def chunk(a: Tensor, chunks: int, dim: int = 0) -> tuple[Tensor, ...]:
    """torch.chunk: pieces of ceil(n / chunks) elements (possibly fewer than `chunks`)."""
    if chunks <= 0:
        raise ValueError(f"chunk: chunks must be positive, got {chunks}")
    n = a.shape[normalize_dim(dim, a.ndim, "chunk")]
    return split(a, max(1, -(-n // chunks)), dim)

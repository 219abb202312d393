"""Layout ops: views that pick or reorder (t, mT, narrow, select, unbind, diagonal, movedim,
swapaxes, unflatten, broadcast_to) and copies that rearrange (contiguous, flip, roll, repeat,
tile, repeat_interleave, diag, diag_embed, tril, triu).

A view returns a NumPy view of its input (`is_view = True`): it shares the memory and the
version counter, so an in-place change through it shows in the input, as in torch. The
copies return fresh arrays. Backward passes move gradients back to where the values came
from: the inverse permutation, a zero array with the picked region filled, or a sum over
the copies an element was repeated into.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.lib.stride_tricks import as_strided

from groundup.function import Function, normalize_dim
from groundup.ops.elementwise import Clone
from groundup.ops.shape import Permute, Reshape, expand, reshape, transpose
from groundup.tensor import Tensor

__all__ = [
    "broadcast_to",
    "diag",
    "diag_embed",
    "diagonal",
    "flip",
    "fliplr",
    "flipud",
    "movedim",
    "moveaxis",
    "narrow",
    "repeat_interleave",
    "roll",
    "select",
    "swapaxes",
    "swapdims",
    "t",
    "tile",
    "tril",
    "triu",
    "unbind",
    "unflatten",
    "unfold",
]

INPLACE: frozenset[str] = frozenset({"tril", "triu"})


# --------------------------------------------------------------------- views
class Select(Function):
    """a[..., index, ...] at `dim`: the dim disappears. The gradient fills that slice of zeros."""

    saves = ()
    is_view = True

    def forward(self, a: np.ndarray, dim: int, index: int) -> np.ndarray:
        self.shape, self.key = a.shape, (slice(None),) * dim + (index,)
        return a[(*self.key, Ellipsis)]  # Ellipsis: a 0-d view, not a copied scalar

    def backward(self, grad: np.ndarray) -> tuple[Any, None, None]:
        out = np.zeros(self.shape, dtype=grad.dtype)
        out[self.key] = grad
        return out, None, None


class UnfoldWindows(Function):
    """x.unfold(dim, size, step): the windows x[..., i*step : i*step + size, ...] along `dim`,
    as a view of shape (..., n_windows, ...) with a last dim of `size`. Overlapping windows
    share memory, so the view is read-only then (torch refuses in-place writes too). The
    gradient of an element is the sum over the windows that contain it."""

    saves = ()
    is_view = True

    def forward(self, a: np.ndarray, dim: int, size: int, step: int) -> np.ndarray:
        self.shape, self.dim, self.size, self.step = a.shape, dim, size, step
        n = (a.shape[dim] - size) // step + 1 if a.ndim else 1
        if a.ndim == 0:
            return a.reshape(1)
        shape = a.shape[:dim] + (n,) + a.shape[dim + 1 :] + (size,)
        strides = a.strides[:dim] + (a.strides[dim] * step,) + a.strides[dim + 1 :]
        return as_strided(
            a, shape, strides + (a.strides[dim],), writeable=step >= size and a.flags.writeable
        )

    def backward(self, grad: np.ndarray) -> tuple[Any, None, None, None]:
        if not self.shape:
            return grad.reshape(()), None, None, None
        out = np.zeros(self.shape, dtype=grad.dtype)
        d, n = self.dim, grad.shape[self.dim]
        moved = np.moveaxis(out, d, -1)  # (..., L): a view of out
        windows = np.moveaxis(grad, d, -2)  # (..., n, size)
        for k in range(self.size):  # offset k of every window sits at i*step + k
            moved[..., k : k + (n - 1) * self.step + 1 : self.step] += windows[..., k]
        return out, None, None, None


def unfold(input: Tensor, dimension: int, size: int, step: int) -> Tensor:  # noqa: A002
    """Sliding windows of `size` every `step` along `dimension`, as a new last dim (a view)."""
    d = normalize_dim(dimension, input.ndim, "unfold")
    length = input.shape[d] if input.ndim else 1
    if step <= 0:
        raise RuntimeError(f"unfold: step is {step} but must be > 0")
    if size < 0 or size > length:
        raise RuntimeError(
            f"unfold: maximum size for tensor at dimension {d} is {length} but size is {size}"
        )
    return UnfoldWindows.apply(input, d, size, step)


class Narrow(Function):
    """a[..., start:start + length, ...] at `dim`."""

    saves = ()
    is_view = True

    def forward(self, a: np.ndarray, dim: int, start: int, length: int) -> np.ndarray:
        self.shape, self.key = a.shape, (slice(None),) * dim + (slice(start, start + length),)
        return a[self.key]

    def backward(self, grad: np.ndarray) -> tuple[Any, None, None, None]:
        out = np.zeros(self.shape, dtype=grad.dtype)
        out[self.key] = grad
        return out, None, None, None


def _diagonal_view(a: np.ndarray, offset: int, dim1: int, dim2: int) -> np.ndarray:
    """The diagonal of dims (dim1, dim2) as a writable view, moved to the last axis.

    np.diagonal returns a read-only view; stepping by the sum of the two strides over the
    same memory gives the same elements, writable (x.diagonal().zero_() must work).
    """
    rest = [i for i in range(a.ndim) if i not in (dim1, dim2)]
    m = a.transpose(*rest, dim1, dim2)  # (..., rows, cols)
    m = m[..., :, offset:] if offset >= 0 else m[..., -offset:, :]
    n = min(m.shape[-2], m.shape[-1])
    return as_strided(m, m.shape[:-2] + (n,), m.strides[:-2] + (m.strides[-2] + m.strides[-1],))


class Diagonal(Function):
    """The elements a[..., i, i + offset, ...] of dims (dim1, dim2), as a last dim."""

    saves = ()
    is_view = True

    def forward(self, a: np.ndarray, offset: int, dim1: int, dim2: int) -> np.ndarray:
        self.shape, self.where = a.shape, (offset, dim1, dim2)
        return _diagonal_view(a, offset, dim1, dim2)

    def backward(self, grad: np.ndarray) -> tuple[Any, None, None, None]:
        out = np.zeros(self.shape, dtype=grad.dtype)
        _diagonal_view(out, *self.where)[...] = grad
        return out, None, None, None


def _dim(dim: Any, ndim: int, op: str) -> int:
    if isinstance(dim, bool) or not isinstance(dim, (int, np.integer)):
        raise TypeError(f"{op}(): dim must be an int, not {type(dim).__name__}")
    return normalize_dim(int(dim), ndim, op)


def _index(value: Any, op: str, name: str) -> int:
    """An int, or a 0-d integer tensor (torch accepts both for narrow's start)."""
    if isinstance(value, Tensor):
        if value.ndim != 0 or value.dtype.kind not in "iu":
            raise RuntimeError(f"{op}(): {name} must be an 0-dim integral Tensor.")
        return int(value.item())
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{op}(): argument '{name}' must be int, not {type(value).__name__}")
    return int(value)


def t(input: Tensor) -> Tensor:  # noqa: A002
    """The transpose of a matrix; a 0-d or 1-d tensor is returned as it is (a view)."""
    if input.ndim > 2:
        raise RuntimeError(
            f"t() expects a tensor with <= 2 dimensions, but self is {input.ndim}D; "
            "use transpose(dim0, dim1) or mT for batches of matrices"
        )
    return Permute.apply(input, (1, 0)) if input.ndim == 2 else Reshape.apply(input, input.shape)


def matrix_transpose(input: Tensor, name: str = "mT") -> Tensor:  # noqa: A002
    """`x.mT` (and `x.mH`, the same for real tensors): swap the last two dims."""
    if input.ndim == 0:
        warnings.warn(
            f"Tensor.{name} is deprecated on 0-D tensors. This function is the identity in "
            "these cases.",
            UserWarning,
            stacklevel=3,
        )
        return Reshape.apply(input, ())
    if input.ndim == 1:
        raise RuntimeError(
            f"tensor.{name} is only supported on matrices or batches of matrices. Got 1-D tensor."
        )
    return transpose(input, -2, -1)


def hermitian(input: Tensor) -> Tensor:  # noqa: A002
    """`x.H`: the (conjugate) transpose of a matrix; real tensors have nothing to conjugate."""
    if input.ndim == 0:
        warnings.warn(
            "Tensor.H is deprecated on 0-D tensors. Consider using x.conj().",
            UserWarning,
            stacklevel=3,
        )
        return Reshape.apply(input, ())
    if input.ndim != 2:
        raise RuntimeError(
            f"tensor.H is only supported on matrices (2-D tensors). Got {input.ndim}-D tensor. "
            "For batches of matrices, consider using tensor.mH"
        )
    return Permute.apply(input, (1, 0))


def select(input: Tensor, dim: int, index: Any) -> Tensor:  # noqa: A002
    """input[..., index] along `dim`: one slice, with that dim removed (a view)."""
    if input.ndim == 0:
        raise IndexError("select() cannot be applied to a 0-dim tensor.")
    d, i = _dim(dim, input.ndim, "select"), _index(index, "select", "index")
    size = input.shape[d]
    if not -size <= i < size:
        raise IndexError(
            f"select(): index {i} out of range for tensor of size {list(input.shape)} at "
            f"dimension {d}"
        )
    return Select.apply(input, d, i % size)


def narrow(input: Tensor, dim: int, start: Any, length: int) -> Tensor:  # noqa: A002
    """`length` elements from `start` along `dim` (a view); a negative start counts back."""
    if input.ndim == 0:
        raise RuntimeError("narrow() cannot be applied to a 0-dim tensor.")
    d, s = _dim(dim, input.ndim, "narrow"), _index(start, "narrow", "start")
    n, size = _index(length, "narrow", "length"), input.shape[d]
    if not -size <= s <= size:
        raise IndexError(
            f"narrow(): start out of range (expected to be in range of [{-size}, {size}], "
            f"but got {s})"
        )
    if n < 0:
        raise RuntimeError("narrow(): length must be non-negative.")
    s = s + size if s < 0 else s
    if s + n > size:
        raise RuntimeError(f"narrow(): start ({s}) + length ({n}) exceeds dimension size ({size}).")
    return Narrow.apply(input, d, s, n)


def unbind(input: Tensor, dim: int = 0) -> tuple[Tensor, ...]:  # noqa: A002
    """The slices along `dim`, each a view: unbind(x)[i] is x[i]."""
    if input.ndim == 0:
        raise IndexError("unbind(): dimension specified as 0 but tensor has no dimensions")
    d = _dim(dim, input.ndim, "unbind")
    return tuple(Select.apply(input, d, i) for i in range(input.shape[d]))


def diagonal(input: Tensor, offset: int = 0, dim1: int = 0, dim2: int = 1) -> Tensor:  # noqa: A002
    """The diagonal of dims (dim1, dim2), offset above (> 0) or below (< 0) the main one,
    as a last dim (a view): (2, 3, 4).diagonal(0, 1, 2) has shape (2, 3)."""
    d1, d2 = _dim(dim1, input.ndim, "diagonal"), _dim(dim2, input.ndim, "diagonal")
    if d1 == d2:
        raise RuntimeError(f"diagonal(): diagonal dimensions cannot be identical {dim1}, {dim2}")
    return Diagonal.apply(input, int(offset), d1, d2)


def movedim(input: Tensor, source: Any, destination: Any) -> Tensor:  # noqa: A002
    """Move dims `source` to positions `destination`; the others keep their order (a view)."""
    src = (source,) if isinstance(source, (int, np.integer)) else tuple(source)
    dst = (destination,) if isinstance(destination, (int, np.integer)) else tuple(destination)
    if len(src) != len(dst):
        raise RuntimeError(
            f"movedim: Invalid source or destination dims: source ({list(src)} dims) should "
            f"contain the same number of dims as destination ({list(dst)} dims)"
        )
    s = [_dim(d, input.ndim, "movedim") for d in src]
    e = [_dim(d, input.ndim, "movedim") for d in dst]
    for name, dims, given in (("source", s, src), ("destination", e, dst)):
        if len(set(dims)) != len(dims):
            raise RuntimeError(f"movedim: repeated dim in `{name}` ({list(given)})")
    order = [i for i in range(input.ndim) if i not in s]
    for to, frm in sorted(zip(e, s, strict=True)):
        order.insert(to, frm)
    return Permute.apply(input, tuple(order))


moveaxis = movedim


def swapaxes(input: Tensor, axis0: int, axis1: int) -> Tensor:  # noqa: A002
    """transpose(axis0, axis1), NumPy's name."""
    return transpose(input, axis0, axis1)


def swapdims(input: Tensor, dim0: int, dim1: int) -> Tensor:  # noqa: A002
    return transpose(input, dim0, dim1)


def unflatten(input: Tensor, dim: int, sizes: Sequence[int]) -> Tensor:  # noqa: A002
    """Split dim `dim` into `sizes` (one may be -1): (2, 6).unflatten(1, (2, 3)) -> (2, 2, 3)."""
    sizes = tuple(int(s) for s in sizes)
    if not sizes:
        raise RuntimeError("unflatten: sizes must be non-empty")
    if input.ndim == 0:
        raise RuntimeError("unflatten: cannot unflatten a 0-d tensor; unsqueeze it first")
    d = _dim(dim, input.ndim, "unflatten")
    n = input.shape[d]
    if sizes.count(-1) > 1:
        raise RuntimeError(
            f"unflatten: only one dimension can be inferred, got sizes {list(sizes)}"
        )
    known = int(np.prod([s for s in sizes if s != -1]))
    if -1 in sizes and known and n % known == 0:
        sizes = tuple(n // known if s == -1 else s for s in sizes)
    if -1 in sizes or int(np.prod(sizes)) != n:
        raise RuntimeError(
            f"unflatten: Provided sizes {list(sizes)} don't multiply up to the size of dim "
            f"{dim} ({n}) in the input tensor"
        )
    return Reshape.apply(input, input.shape[:d] + sizes + input.shape[d + 1 :])


def broadcast_to(input: Tensor, size: Sequence[int]) -> Tensor:  # noqa: A002
    """Broadcast to `size` without copying (torch.expand's rules; -1 keeps a dim)."""
    return expand(input, tuple(size))


def view_as(self: Tensor, other: Tensor) -> Tensor:
    """view(other.shape)."""
    return reshape(self, other.shape)


def reshape_as(self: Tensor, other: Tensor) -> Tensor:
    return reshape(self, other.shape)


def contiguous(self: Tensor, memory_format: Any = None) -> Tensor:
    """This tensor when its memory is already in C order, else a C-ordered copy."""
    return self if self._data.flags.c_contiguous else Clone.apply(self)


from groundup.ops.layout_copies import (  # noqa: E402  (the copies need the helpers above)
    diag,
    diag_embed,
    flip,
    fliplr,
    flipud,
    repeat,
    repeat_interleave,
    roll,
    tile,
    tril,
    triu,
)

METHODS = {
    "contiguous": contiguous,
    "repeat": repeat,
    "view_as": view_as,
    "reshape_as": reshape_as,
}

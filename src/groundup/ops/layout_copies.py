"""Layout ops that copy: flip, roll, repeat, tile, repeat_interleave, diag, diag_embed,
tril, triu (the views are in ops/layout.py, which exports these too).

Each output element is one input element (or a zero), so each backward is the inverse
rearrangement: flip the gradient back, roll it back, sum the copies an element was repeated
into, or keep the gradient where the triangle kept the input.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from groundup.function import Function, normalize_dim
from groundup.ops.elementwise import Clone
from groundup.ops.layout import Diagonal, _diagonal_view, _dim
from groundup.tensor import Tensor


class Flip(Function):
    saves = ()

    def forward(self, a: np.ndarray, dims: tuple[int, ...]) -> np.ndarray:
        self.dims = dims
        return np.flip(a, dims).copy()  # np.flip is a view with negative strides

    def backward(self, grad: np.ndarray) -> tuple[Any, None]:
        return np.flip(grad, self.dims), None


class Roll(Function):
    """Shift elements by `shifts` along `dims`, wrapping around (dims None: the flattened
    tensor); the gradient rolls back by -shifts."""

    saves = ()

    def forward(self, a: np.ndarray, shifts: Any, dims: Any) -> np.ndarray:
        self.shifts, self.dims = shifts, dims
        return np.roll(a, shifts, dims)

    def backward(self, grad: np.ndarray) -> tuple[Any, None, None]:
        back = -self.shifts if self.dims is None else tuple(-s for s in self.shifts)
        return np.roll(grad, back, self.dims), None, None


class Repeat(Function):
    """The tensor tiled `repeats[i]` times along dim i (leading repeats add dims)."""

    saves = ()

    def forward(self, a: np.ndarray, repeats: tuple[int, ...]) -> np.ndarray:
        self.shape, self.repeats = a.shape, repeats
        return np.tile(a, repeats)

    def backward(self, grad: np.ndarray) -> tuple[Any, None]:
        # (r0 * s0, r1 * s1, ...) -> (r0, s0, r1, s1, ...): sum the copies on the r axes
        padded = (1,) * (len(self.repeats) - len(self.shape)) + self.shape
        split = [n for pair in zip(self.repeats, padded, strict=True) for n in pair]
        summed = grad.reshape(split).sum(axis=tuple(range(0, len(split), 2)))
        return summed.reshape(self.shape), None


class RepeatInterleave(Function):
    """Each slice along `dim` repeated in place: [a, b] with repeats 2 -> [a, a, b, b]."""

    saves = ()

    def forward(self, a: np.ndarray, repeats: Any, dim: int) -> np.ndarray:
        self.shape, self.repeats, self.dim = a.shape, repeats, dim
        return np.repeat(a, repeats, axis=dim)

    def backward(self, grad: np.ndarray) -> tuple[Any, None, None]:
        d, reps = self.dim, self.repeats
        if isinstance(reps, int):  # (..., n * r, ...) -> (..., n, r, ...): sum over r
            shape = grad.shape[:d] + (self.shape[d], reps) + grad.shape[d + 1 :]
            return grad.reshape(shape).sum(axis=d + 1), None, None
        out = np.zeros(self.shape, dtype=grad.dtype)
        kept = reps > 0  # an element repeated 0 times gets no gradient
        if kept.any():
            starts = (np.cumsum(reps) - reps)[kept]
            key = (slice(None),) * d + (kept,)
            out[key] = np.add.reduceat(grad, starts, axis=d)
        return out, None, None


class Tril(Function):
    """The lower (or, with upper, the upper) triangle of the last two dims; zeros elsewhere."""

    saves = ()

    def forward(self, a: np.ndarray, diagonal: int, upper: bool) -> np.ndarray:
        self.diagonal, self.upper = diagonal, upper
        return np.triu(a, diagonal) if upper else np.tril(a, diagonal)

    def backward(self, grad: np.ndarray) -> tuple[Any, None, None]:
        keep = np.triu if self.upper else np.tril
        return keep(grad, self.diagonal), None, None


class DiagEmbed(Function):
    """Zeros with the last dim of `a` written on the diagonal of dims (dim1, dim2)."""

    saves = ()

    def forward(
        self, a: np.ndarray, shape: tuple[int, ...], offset: int, dim1: int, dim2: int
    ) -> np.ndarray:
        self.where = (offset, dim1, dim2)
        out = np.zeros(shape, dtype=a.dtype)
        _diagonal_view(out, offset, dim1, dim2)[...] = a
        return out

    def backward(self, grad: np.ndarray) -> tuple[Any, None, None, None, None]:
        return _diagonal_view(grad, *self.where).copy(), None, None, None, None


# ------------------------------------------------------------------ functional API
def _dims(dims: tuple[Any, ...], ndim: int, op: str) -> tuple[int, ...]:
    """f(x, 0), f(x, 0, 1) and f(x, (0, 1)): normalized dims, each at most once."""
    if len(dims) == 1 and isinstance(dims[0], (tuple, list)):
        dims = tuple(dims[0])
    out = tuple(_dim(d, ndim, op) for d in dims)
    for d in out:
        if out.count(d) > 1:
            raise RuntimeError(f"{op}(): dim {d} appears multiple times in the list of dims")
    return out


def flip(input: Tensor, *dims: Any) -> Tensor:  # noqa: A002
    """Reverse the order of elements along `dims` (a copy)."""
    if not dims:
        raise TypeError('flip() missing 1 required positional arguments: "dims"')
    d = _dims(dims, input.ndim, "flip")
    return Flip.apply(input, d if input.ndim else ())


def fliplr(input: Tensor) -> Tensor:  # noqa: A002
    """Flip dim 1 (left-right)."""
    if input.ndim < 2:
        raise RuntimeError(f"fliplr(): input must be >= 2-d, got {input.ndim}-d")
    return Flip.apply(input, (1,))


def flipud(input: Tensor) -> Tensor:  # noqa: A002
    """Flip dim 0 (up-down)."""
    if input.ndim < 1:
        raise RuntimeError("flipud(): input must be >= 1-d, got a 0-d tensor")
    return Flip.apply(input, (0,))


def roll(input: Tensor, shifts: Any, dims: Any = None) -> Tensor:  # noqa: A002
    """Shift elements along `dims` with wrap-around; with dims=None, along the flattened
    tensor (the shape is kept)."""
    sh = (shifts,) if isinstance(shifts, (int, np.integer)) else tuple(shifts)
    ds = () if dims is None else (dims,) if isinstance(dims, (int, np.integer)) else tuple(dims)
    if dims is None and len(sh) == 1:
        return Roll.apply(input, int(sh[0]), None)
    if len(sh) != len(ds):
        raise RuntimeError(
            f"roll(): shifts and dimensions must align. shifts: {len(sh)}, dims:{len(ds)}"
        )
    if input.ndim == 0:
        raise IndexError("roll(): dimension specified as 0 but tensor has no dimensions")
    axes = tuple(_dim(d, input.ndim, "roll") for d in ds)
    return Roll.apply(input, tuple(int(s) for s in sh), axes)


def _repeats(args: tuple[Any, ...], op: str) -> tuple[int, ...]:
    if len(args) == 1 and isinstance(args[0], (tuple, list)):
        args = tuple(args[0])
    for r in args:
        if isinstance(r, bool) or not isinstance(r, (int, np.integer)):
            raise TypeError(f"{op}(): repeats must be ints, got {type(r).__name__}")
    return tuple(int(r) for r in args)


def repeat(self: Tensor, *repeats: Any) -> Tensor:
    """Tile the tensor: x.repeat(2, 1) stacks two copies along dim 0; more repeats than dims
    add leading dims (torch's Tensor.repeat, NumPy's tile)."""
    if not repeats:
        raise TypeError('repeat() missing 1 required positional arguments: "repeats"')
    reps = _repeats(repeats, "repeat")
    if len(reps) < self.ndim:
        raise RuntimeError(
            f"repeat(): number of dimensions of repeat dims ({len(reps)}) can not be smaller "
            f"than number of dimensions of tensor ({self.ndim})"
        )
    if any(r < 0 for r in reps):
        raise RuntimeError(f"repeat(): repeats must be non-negative, got {list(reps)}")
    return Repeat.apply(self, reps)


def tile(input: Tensor, *dims: Any) -> Tensor:  # noqa: A002
    """repeat(), with fewer repeats than dims allowed (they apply to the last dims)."""
    reps = _repeats(dims, "tile")
    return repeat(input, (1,) * (input.ndim - len(reps)) + reps)


def repeat_interleave(
    input: Tensor,  # noqa: A002
    repeats: Any = None,
    dim: int | None = None,
    *,
    output_size: int | None = None,
) -> Tensor:
    """Repeat each element (dim=None: of the flattened tensor) or each slice along `dim`
    `repeats` times in place; `repeats` is an int or an integer tensor (one count each).

    repeat_interleave(counts) alone gives the indices 0, 1, ... each repeated counts[i] times.
    """
    if repeats is None:  # repeat_interleave(counts)
        if input.ndim != 1 or input.dtype.kind not in "iu":
            raise RuntimeError("repeat_interleave(repeats): repeats must be a 1-d integer tensor")
        indices = Tensor._make(np.arange(input.shape[0], dtype=np.int64), False)
        return repeat_interleave(indices, input, 0, output_size=output_size)
    if dim is None:
        input, d = input.reshape(-1), 0
    else:
        d = _dim(dim, input.ndim, "repeat_interleave")
    size = input.shape[d] if input.ndim else 1
    if isinstance(repeats, Tensor):
        if repeats.dtype.kind not in "iu":
            raise NotImplementedError(
                f"repeat_interleave(): repeats must be an integer tensor, got dtype {repeats.dtype}"
            )
        if repeats.ndim > 1:
            raise RuntimeError("repeat_interleave(): repeats must be 0-dim or 1-dim tensor")
        counts = repeats._data.astype(np.int64)
        reps: Any = int(counts.reshape(-1)[0]) if counts.size == 1 else counts
        if not isinstance(reps, int) and reps.shape[0] != size:
            raise RuntimeError(
                f"repeat_interleave(): repeats must have the same size as input along dim, but "
                f"got repeats.size(0) = {reps.shape[0]} and input.size({d}) = {size}"
            )
    elif isinstance(repeats, (int, np.integer)) and not isinstance(repeats, bool):
        reps = int(repeats)
    else:
        raise TypeError(
            f"repeat_interleave(): repeats must be an int or an integer tensor, not "
            f"{type(repeats).__name__}"
        )
    if np.any(np.asarray(reps) < 0):
        raise RuntimeError("repeat_interleave(): repeats can not be negative")
    total = reps * size if isinstance(reps, int) else int(reps.sum())
    if output_size is not None and output_size != total:
        raise RuntimeError(
            f"repeat_interleave: Invalid output_size, expected {total} but got {output_size}"
        )
    if input.ndim == 0:
        input = input.reshape(1)
    return RepeatInterleave.apply(input, reps, d)


def tril(input: Tensor, diagonal: int = 0) -> Tensor:  # noqa: A002
    """Keep the elements on and below the `diagonal`-th diagonal of the last two dims."""
    if input.ndim < 2:
        raise RuntimeError("tril: input tensor must have at least 2 dimensions")
    return Tril.apply(input, int(diagonal), False)


def triu(input: Tensor, diagonal: int = 0) -> Tensor:  # noqa: A002
    """Keep the elements on and above the `diagonal`-th diagonal of the last two dims."""
    if input.ndim < 2:
        raise RuntimeError("triu: input tensor must have at least 2 dimensions")
    return Tril.apply(input, int(diagonal), True)


def diag_embed(
    input: Tensor,  # noqa: A002
    offset: int = 0,
    dim1: int = -2,
    dim2: int = -1,
) -> Tensor:
    """A tensor whose (dim1, dim2) diagonals are the last dim of `input`: (B, n) -> (B, n, n)."""
    ndim = input.ndim + 1
    if input.ndim == 0:
        normalize_dim(dim1, 1, "diag_embed")
    d1, d2 = _dim(dim1, ndim, "diag_embed"), _dim(dim2, ndim, "diag_embed")
    if d1 == d2:
        raise RuntimeError(f"diag_embed(): diagonal dimensions cannot be identical {dim1}, {dim2}")
    n = input.shape[-1] + abs(int(offset))
    batch = iter(input.shape[:-1])
    shape = tuple(n if i in (d1, d2) else next(batch) for i in range(ndim))
    return DiagEmbed.apply(input, shape, int(offset), d1, d2)


def diag(input: Tensor, diagonal: int = 0) -> Tensor:  # noqa: A002
    """1-D: the square matrix with `input` on its `diagonal`-th diagonal; 2-D: that diagonal
    as a vector (a copy; `diagonal()` gives the view)."""
    if input.ndim == 1:
        n = input.shape[0] + abs(int(diagonal))
        return DiagEmbed.apply(input, (n, n), int(diagonal), 0, 1)
    if input.ndim == 2:
        return Clone.apply(Diagonal.apply(input, int(diagonal), 0, 1))
    raise RuntimeError(f"diag(): Supports 1D or 2D tensors. Got {input.ndim}D")


__all__ = [
    "diag",
    "diag_embed",
    "flip",
    "fliplr",
    "flipud",
    "repeat",
    "repeat_interleave",
    "roll",
    "tile",
    "tril",
    "triu",
]

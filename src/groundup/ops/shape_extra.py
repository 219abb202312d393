"""Shapes and indices, continued: tensor_split, rot90, ravel, diagflat, block_diag,
cartesian_prod, broadcast_tensors and broadcast_shapes, index_put as a function, bucketize,
tril_indices and triu_indices. (dtype questions, promote_types to iinfo: `ops.dtype_info`.)
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import Any

import numpy as np

from groundup.device import check_device
from groundup.function import Function, normalize_dim, torch_type_name
from groundup.ops.creation import resolve_dtype
from groundup.ops.layout_copies import diag
from groundup.ops.numeric import broadcast_shape, cast, require_tensor, result_type, unsupported
from groundup.ops.shape import expand, reshape, stack
from groundup.ops.stacking import meshgrid
from groundup.tensor import Tensor

__all__ = [
    "block_diag",
    "broadcast_shapes",
    "broadcast_tensors",
    "bucketize",
    "cartesian_prod",
    "diagflat",
    "index_put",
    "ravel",
    "rot90",
    "tensor_split",
    "tril_indices",
    "triu_indices",
]

INPLACE: frozenset[str] = frozenset()
# functions only in torch (Tensor.index_put is groundup.inplace's, with Tensor.index_put_)
NOT_METHODS = frozenset(__all__) - {"diagflat", "ravel", "rot90", "tensor_split"}


class Rot90(Function):
    """A quarter turn k times in the plane of dims (d0, d1), from d0 towards d1, as torch
    computes it: k = 1 flips d1 then swaps the dims, k = 2 flips both, k = 3 flips d0 then
    swaps. The gradient turns back: rot90(grad, -k)."""

    saves = ()

    def forward(self, a: np.ndarray, k: int, d0: int, d1: int) -> np.ndarray:
        self.k, self.dims = k, (d0, d1)
        turns = k % 4
        if turns == 1:
            return np.swapaxes(np.flip(a, d1).copy(), d0, d1)
        if turns == 2:
            return np.flip(a, (d0, d1)).copy()
        if turns == 3:
            return np.swapaxes(np.flip(a, d0).copy(), d0, d1)
        return a.copy()

    def backward(self, grad: np.ndarray) -> tuple[Any, ...]:
        return Rot90().forward(grad, -self.k, *self.dims), None, None, None


class BlockDiag(Function):
    """Matrices (..., as 2-d) along the diagonal of a zero matrix; each gets its block of the
    gradient."""

    saves = ()

    def forward(self, *blocks: np.ndarray) -> np.ndarray:
        self.spans = []
        rows, cols = (sum(b.shape[i] for b in blocks) for i in (0, 1))
        out = np.zeros((rows, cols), blocks[0].dtype)
        r = c = 0
        for b in blocks:
            span = (slice(r, r + b.shape[0]), slice(c, c + b.shape[1]))
            out[span] = b
            self.spans.append(span)
            r, c = r + b.shape[0], c + b.shape[1]
        return out

    def backward(self, grad: np.ndarray) -> tuple[Any, ...]:
        return tuple(grad[span] for span in self.spans)


# ------------------------------------------------------------------ splitting, turning
def tensor_split(
    input: Tensor,  # noqa: A002 - torch's names
    indices_or_sections: Any = None,
    dim: int = 0,
    *,
    sections: int | None = None,
    indices: Sequence[int] | None = None,
    tensor_indices_or_sections: Tensor | None = None,
) -> tuple[Tensor, ...]:
    """Views of input along `dim`: an int n gives n parts as equal as possible (the first
    size % n one longer); a list of indices splits before each (slice rules: negative
    indices count from the end, pieces may be empty). A 0-d or 1-d int64 tensor is either."""
    given = [x for x in (indices_or_sections, sections, indices, tensor_indices_or_sections)
             if x is not None]
    if len(given) != 1:
        raise TypeError("tensor_split() expects one of sections or indices, e.g. (x, 3)")
    spec = given[0]
    if input.ndim == 0:
        raise RuntimeError(
            "tensor_split expected at least a 1-dimensional tensor, but got a tensor with 0 dims"
        )
    d = normalize_dim(dim, input.ndim, "tensor_split")
    if isinstance(spec, Tensor):
        if spec.dtype != np.int64:
            raise RuntimeError(
                "tensor_split expected tensor_indices_or_sections to have dtype of long, but "
                f"got {torch_type_name(spec.dtype).removesuffix('Tensor')}"
            )
        if spec.ndim > 1:
            raise RuntimeError(
                "tensor_split expected tensor_indices_or_sections to be a zero-dimensional or "
                f"one-dimensional tensor, but got a tensor with {spec.ndim} dims"
            )
        spec = int(spec.item()) if spec.ndim == 0 else [int(i) for i in spec._data]
    n = input.shape[d]
    if isinstance(spec, (int, np.integer)) and not isinstance(spec, bool):
        if spec <= 0:
            raise RuntimeError(f"number of sections must be larger than 0, got {spec}")
        size, longer = divmod(n, int(spec))
        edges = [i * size + min(i, longer) for i in range(int(spec) + 1)]
    elif isinstance(spec, (tuple, list)) and all(isinstance(i, int) for i in spec):
        edges = [0, *spec, n]
    else:
        raise TypeError(
            "tensor_split(): indices_or_sections must be an int, a sequence of ints or an "
            f"int64 tensor, not {type(spec).__name__}"
        )
    lead = (slice(None),) * d
    return tuple(input[(*lead, slice(start, stop))] for start, stop in itertools.pairwise(edges))


def rot90(input: Tensor, k: int = 1, dims: Sequence[int] = (0, 1)) -> Tensor:  # noqa: A002
    """Rotate by 90 degrees k times in the plane of `dims`, from the first dim towards the
    second (k < 0 turns the other way); a copy."""
    require_tensor(input, "rot90", "input", 1)
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)):
        raise TypeError(f"rot90(): argument 'k' (position 2) must be int, not {type(k).__name__}")
    if len(dims) != 2:
        raise RuntimeError(f"expected total rotation dims == 2, but got dims = {len(dims)}")
    if input.ndim < 2:
        raise RuntimeError(f"expected total dims >= 2, but got total dims = {input.ndim}")
    d0, d1 = (normalize_dim(d, input.ndim, "rot90") for d in dims)
    if d0 == d1:
        raise RuntimeError(
            f"expected rotation dims to be different, but got dim0 = {dims[0]} and "
            f"dim1 = {dims[1]}"
        )
    return Rot90.apply(input, int(k), d0, d1)


def ravel(input: Tensor) -> Tensor:  # noqa: A002
    """The elements as a 1-d tensor: a view when the layout allows, else a copy."""
    require_tensor(input, "ravel", "input", 1)
    return reshape(input, -1)


def diagflat(input: Tensor, offset: int = 0) -> Tensor:  # noqa: A002
    """The square matrix with the flattened input on its `offset`-th diagonal."""
    require_tensor(input, "diagflat", "input", 1)
    return diag(reshape(input, -1), offset)


def block_diag(*tensors: Tensor) -> Tensor:
    """The block-diagonal matrix of the tensors (0-d is 1x1, 1-d is one row), promoted to a
    common dtype: block_diag(A, B) = [[A, 0], [0, B]]."""
    for i, t in enumerate(tensors):
        if not isinstance(t, Tensor):
            raise TypeError(f"block_diag(): expected Tensor as element {i}, got {type(t).__name__}")
        if t.ndim > 2:
            raise RuntimeError(
                "torch.block_diag: Input tensors must have 2 or fewer dimensions. Input "
                f"{i} has {t.ndim} dimensions"
            )
    if not tensors:  # torch's answer: an empty row
        return Tensor._make(np.zeros((1, 0), np.float32), False)
    dtype = result_type(*tensors)
    blocks = [reshape(cast(t, dtype), (1,) * (2 - t.ndim) + t.shape) for t in tensors]
    return BlockDiag.apply(*blocks)


def cartesian_prod(*tensors: Tensor) -> Tensor:
    """Every combination of one element from each 1-d tensor, as rows (n0 * n1 * ..., k), in
    the order of nested loops; a single tensor is returned as it is."""
    for t in tensors:
        if isinstance(t, Tensor) and t.ndim != 1:
            raise RuntimeError(f"Expect a 1D vector, but got shape {list(t.shape)}")
    if len(tensors) == 1:
        return tensors[0]
    grids = meshgrid(*tensors, indexing="ij")
    return stack([reshape(g, -1) for g in grids], 1)


# ------------------------------------------------------------------ broadcasting
def broadcast_shapes(*shapes: Any) -> tuple[int, ...]:
    """The shape that tensors of `shapes` (ints or sequences of ints) broadcast to."""
    shapes = tuple((s,) if isinstance(s, int) else tuple(s) for s in shapes if s is not None)
    for shape in shapes:
        for n in shape:
            if isinstance(n, bool) or not isinstance(n, (int, np.integer)):
                raise TypeError(f"broadcast_shapes(): sizes must be ints, got {n!r} in {shape}")
    common = [1] * max((len(s) for s in shapes), default=0)
    for index, shape in enumerate(shapes):
        for i in range(-1, -1 - len(shape), -1):
            if shape[i] < 0:
                raise ValueError("Attempting to broadcast a dimension with negative length!")
            if common[i] == 1:
                common[i] = shape[i]
            elif shape[i] not in (1, common[i]):
                raise RuntimeError(
                    f"Attempting to broadcast a dimension of length {shape[i]} at {i}! "
                    f"Mismatching argument at index {index} had {shape}; but expected shape "
                    f"should be broadcastable to {common}"
                )
    return tuple(int(n) for n in common)


def broadcast_tensors(*tensors: Tensor) -> tuple[Tensor, ...]:
    """The tensors expanded (as views) to their common broadcast shape."""
    for i, t in enumerate(tensors):
        if not isinstance(t, Tensor):
            raise TypeError(
                f"broadcast_tensors(): expected Tensor as element {i}, but got {type(t).__name__}"
            )
    if not tensors:
        return ()
    shape = broadcast_shape(*tensors)
    return tuple(expand(t, shape) for t in tensors)


# ------------------------------------------------------------------ indices
_INDEX_DTYPES = (np.int64, np.int32, np.uint8, np.bool_)


def index_put(
    input: Tensor,  # noqa: A002
    indices: Sequence[Tensor],
    values: Tensor,
    accumulate: bool = False,
) -> Tensor:
    """A copy of input with input[indices] = values (accumulate=True adds instead, repeated
    indices adding up). indices is a tuple of index tensors, one per leading dim; values
    must have input's dtype."""
    from groundup import inplace  # groundup.inplace imports the ops

    require_tensor(input, "index_put", "input", 1)
    if not isinstance(indices, (tuple, list)):
        raise TypeError(
            "index_put(): argument 'indices' (position 2) must be tuple of Tensors, not "
            f"{type(indices).__name__}"
        )
    for i, index in enumerate(indices):
        if not isinstance(index, Tensor):
            raise TypeError(
                f"index_put(): expected Tensor as element {i} in argument 1, but got "
                f"{type(index).__name__}"
            )
        if index.dtype not in _INDEX_DTYPES:
            raise IndexError(
                f"tensors used as indices must be long, int, byte or bool tensors, got "
                f"{index.dtype}"
            )
    require_tensor(values, "index_put", "values", 3)
    if values.dtype != input.dtype:
        raise RuntimeError(
            "Index put requires the source and destination dtypes match, got "
            f"{input.dtype} for the destination and {values.dtype} for the source."
        )
    return inplace.index_put(input, tuple(indices), values, accumulate)


def bucketize(
    input: Any,  # noqa: A002
    boundaries: Tensor,
    *,
    out_int32: bool = False,
    right: bool = False,
) -> Tensor:
    """For each value, the index of its bucket among the sorted 1-d boundaries: the number
    of boundaries below it (right=False: boundaries[i-1] < v <= boundaries[i]) or not above
    it (right=True). A number gives a 0-d result."""
    require_tensor(boundaries, "bucketize", "boundaries", 2)
    if boundaries.ndim != 1:
        raise RuntimeError(f"boundaries tensor must be 1 dimension, but got dim({boundaries.ndim})")
    values = input._data if isinstance(input, Tensor) else np.asarray(input)
    found = np.searchsorted(boundaries._data, values, side="right" if right else "left")
    return Tensor._make(np.asarray(found, np.int32 if out_int32 else np.int64), False)


def _triangle_indices(
    op: str, row: Any, col: Any, offset: Any, dtype: Any, device: Any, upper: bool
) -> Tensor:
    check_device(device, op)
    for name, position, n in (("row", 1, row), ("col", 2, col), ("offset", 3, offset)):
        if isinstance(n, bool) or not isinstance(n, (int, np.integer)):
            raise TypeError(
                f"{op}(): argument '{name}' (position {position}) must be int, not "
                f"{type(n).__name__}"
            )
    for name, n in (("row", row), ("col", col)):
        if n < 0:
            raise RuntimeError(f"{name} must be non-negative, got {n}")
    dt = resolve_dtype(dtype, op, np.dtype(np.int64))
    if dt not in (np.int64, np.int32):
        raise unsupported(op, dt)
    pick = np.triu_indices if upper else np.tril_indices
    rows, cols = pick(int(row), int(offset), int(col))  # row-major order, as torch's
    return Tensor._make(np.stack([rows, cols]).astype(dt), False)


def tril_indices(
    row: int,
    col: int,
    offset: int = 0,
    *,
    dtype: Any = None,
    device: Any = None,
    layout: Any = None,
) -> Tensor:
    """The (2, N) coordinates of the lower triangle of a row x col matrix: on and below the
    `offset`-th diagonal (offset > 0 moves it up), in row-major order."""
    return _triangle_indices("tril_indices", row, col, offset, dtype, device, upper=False)


def triu_indices(
    row: int,
    col: int,
    offset: int = 0,
    *,
    dtype: Any = None,
    device: Any = None,
    layout: Any = None,
) -> Tensor:
    """The (2, N) coordinates of the upper triangle of a row x col matrix: on and above the
    `offset`-th diagonal (offset < 0 moves it down), in row-major order."""
    return _triangle_indices("triu_indices", row, col, offset, dtype, device, upper=True)

"""torch's indexing rules as one NumPy key (`x[key]`, `x[key] = v`, `index_put_`), and
`add_at`, the repeat-aware accumulation that the backward passes of gathers use.

torch and NumPy agree on most keys: ints, slices, None, Ellipsis, integer arrays and
boolean masks mean the same in both. `torch_key` fixes where they differ:

1. An int next to an index array. torch applies ints first, as basic indexing (`select`),
   so they take no part in advanced indexing; NumPy counts an int as one more (0-d) index
   array. Where the index arrays' dims land can differ: for x of shape (2, 3, 4) and a
   2-element index tensor `idx`, torch's x[0, :, idx] is x[0][:, idx], of shape (3, 2),
   while NumPy sees two index arrays (0 and idx) apart from each other and puts their dims
   first: (2, 3). Then the key is rewritten as one broadcast integer array per input dim,
   laid out in torch's order (`_broadcast_key`), which NumPy reads without ambiguity.
2. What counts as an index: a 0-d integer tensor is an int (torch selects with it), a
   Python or 0-d bool adds a dim of size 1 (True) or 0 (False), uint8 tensors are masks,
   lists and tuples become int64 index arrays (bool ones masks, even [1.5] -> [1]), and a
   top-level list holding a slice, None, Ellipsis, a sequence or a tensor is read as a tuple
   (x[[0, slice(None)]] is x[0, :]), with torch's deprecation warning.
3. Errors, as torch raises them: a negative or zero slice step (ValueError), float or int16
   index tensors, out-of-range ints and indices, masks of the wrong shape, index arrays that
   do not broadcast, too many indices (IndexError).
4. Several Ellipses are allowed (torch: each stands for the same number of dims).
"""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np

from groundup.tensor import Tensor

_SEQUENCES = (slice, list, tuple, np.ndarray, Tensor)
_INDEX_TYPES = "only integers, slices (`:`), ellipsis (`...`), None and long or byte tensors"


def _items(index: Any) -> tuple[Any, ...]:
    """The key as a tuple of items, reading a list as torch does."""
    if isinstance(index, tuple):
        return index
    if isinstance(index, list) and len(index) < 32:
        for item in index:
            if item is None or item is Ellipsis or isinstance(item, _SEQUENCES):
                warnings.warn(
                    "Using a non-tuple sequence for multidimensional indexing is deprecated "
                    "(as in torch); use x[tuple(seq)] instead of x[seq]",
                    UserWarning,
                    stacklevel=6,  # the line with x[...] (through getitem or setitem)
                )
                return tuple(index)
    return (index,)


def _item(item: Any) -> Any:
    """One item as int, slice, None, Ellipsis, bool, or an int64 / bool array of >= 1 dims."""
    if item is None or item is Ellipsis:
        return item
    if isinstance(item, slice):
        return _slice(item)
    if isinstance(item, (bool, np.bool_)):
        return bool(item)
    if isinstance(item, (int, np.integer)):
        return int(item)
    if isinstance(item, (list, tuple)):
        array = np.asarray([i._data if isinstance(i, Tensor) else i for i in item])
        return array if array.dtype == np.bool_ else array.astype(np.int64)
    if isinstance(item, Tensor):
        item = item._data
    if not isinstance(item, np.ndarray):
        raise IndexError(f"{_INDEX_TYPES} are valid indices (got {type(item).__name__})")
    if item.dtype == np.uint8:  # torch's deprecated byte masks
        item = item.astype(np.bool_)
    if item.dtype != np.bool_ and item.dtype not in (np.int32, np.int64):
        raise IndexError(
            f"tensors used as indices must be long, int, byte or bool tensors, got {item.dtype}"
        )
    if item.ndim == 0:  # a 0-d index tensor acts as a Python int or bool
        return item.item()
    return item


def _slice(s: slice) -> slice:
    bounds = [int(b._data) if isinstance(b, Tensor) else b for b in (s.start, s.stop, s.step)]
    if bounds[2] is not None:
        if bounds[2] == 0:
            raise ValueError("slice step cannot be zero")
        if bounds[2] < 0:
            raise ValueError(
                "step must be greater than zero (torch has no negative steps; use flip())"
            )
    return slice(*bounds)


def _dims_taken(item: Any) -> int:
    """How many dims of the tensor an item indexes (None, Ellipsis and bools take none)."""
    if item is None or item is Ellipsis or isinstance(item, bool):
        return 0
    if isinstance(item, np.ndarray) and item.dtype == np.bool_:
        return item.ndim
    return 1


def _is_array(item: Any) -> bool:
    """Advanced indices: arrays, masks and bools (torch indexes a new dim with a bool)."""
    return isinstance(item, (bool, np.ndarray))


def _array_shape(item: Any) -> tuple[int, ...]:
    if isinstance(item, bool):
        return (int(item),)
    if item.dtype == np.bool_:
        return (int(np.count_nonzero(item)),)
    return item.shape


def _check(items: list[Any], shape: tuple[int, ...]) -> None:
    """torch's IndexErrors for out-of-range ints and indices and for mismatched masks."""
    dim = 0
    for item in items:
        if isinstance(item, bool) or item is None:
            continue
        if isinstance(item, int):
            if not -shape[dim] <= item < shape[dim]:
                raise IndexError(
                    f"index {item} is out of bounds for dimension {dim} with size {shape[dim]}"
                )
        elif isinstance(item, np.ndarray) and item.dtype == np.bool_:
            if item.shape != shape[dim : dim + item.ndim]:
                raise IndexError(
                    f"The shape of the mask {list(item.shape)} does not match the shape of the "
                    f"indexed tensor {list(shape)} at index {dim}"
                )
        elif isinstance(item, np.ndarray) and item.size:
            low, high = int(item.min()), int(item.max())
            bad = low if low < -shape[dim] else high if high >= shape[dim] else None
            if bad is not None:
                raise IndexError(
                    f"index {bad} is out of bounds for dimension {dim} with size {shape[dim]}"
                )
        dim += _dims_taken(item)


def torch_key(index: Any, shape: tuple[int, ...]) -> Any:
    """A torch index (ints, slices, None, Ellipsis, bools, tensors, lists, masks) as a NumPy
    key that selects what torch selects, in torch's layout."""
    items = [_item(i) for i in _items(index)]
    ndim = len(shape)
    taken = sum(_dims_taken(i) for i in items)
    if taken > ndim:
        if ndim == 0 and isinstance(items[0], int) and not isinstance(items[0], bool):
            raise IndexError(
                "invalid index of a 0-dim tensor. Use `tensor.item()` to convert a 0-dim "
                "tensor to a number"
            )
        raise IndexError(f"too many indices for tensor of dimension {ndim}")
    expanded: list[Any] = []
    for item in items:  # each Ellipsis: as many full slices as the dims left over
        expanded.extend([slice(None)] * (ndim - taken) if item is Ellipsis else [item])
    taken = sum(_dims_taken(i) for i in expanded)
    while taken > ndim and expanded[-1] == slice(None):  # a second Ellipsis past the end
        expanded.pop()
        taken -= 1
    if taken > ndim:
        raise IndexError(f"too many indices for tensor of dimension {ndim}")
    _check(expanded, shape)
    arrays = [i for i in expanded if _is_array(i)]
    if arrays:
        shapes = [_array_shape(i) for i in arrays]
        try:
            np.broadcast_shapes(*shapes)
        except ValueError:
            raise IndexError(
                "shape mismatch: indexing tensors could not be broadcast together with shapes "
                + ", ".join(str(list(s)) for s in shapes)
            ) from None
        if _arrays_axis(expanded, numpy_rule=True) != _arrays_axis(expanded, numpy_rule=False):
            return _broadcast_key(expanded, shape)
    return tuple(expanded)


def _is_int(item: Any) -> bool:
    return isinstance(item, int) and not isinstance(item, bool)


def _arrays_axis(items: list[Any], numpy_rule: bool) -> int:
    """The first result axis of the index arrays' dims.

    torch drops the ints first; if the arrays are then adjacent, their dims go where the
    first one is, else first. NumPy counts ints as arrays, so an int apart from the arrays
    (a slice or None between) sends the dims first even when torch keeps them in place.
    """
    grouped = [_is_array(i) or (numpy_rule and _is_int(i)) for i in items]
    other = [i is None or isinstance(i, slice) for i in items]
    first, last = grouped.index(True), len(grouped) - 1 - grouped[::-1].index(True)
    return 0 if any(other[first:last]) else sum(other[:first])


def coordinates(
    items: list[Any], shape: tuple[int, ...], numpy_rule: bool
) -> tuple[list[Any], tuple[int, ...]]:
    """For each input dim, the index it takes at each element of the result, as an array
    that broadcasts to the result's shape (also returned); `numpy_rule` picks NumPy's
    placement of the index arrays' dims, else torch's."""
    items = list(items) + [slice(None)] * (len(shape) - sum(_dims_taken(i) for i in items))
    arrays = [i for i in items if _is_array(i)]
    arrays_shape = np.broadcast_shapes(*(_array_shape(i) for i in arrays)) if arrays else ()
    arrays_at = _arrays_axis(items, numpy_rule) if arrays else 0
    out_shape: list[int] = []
    placed, others = not arrays, 0
    found: list[tuple[Any, int | None]] = []  # (index values, result axis or None)
    for item in items:
        dim = len(found)
        if item is None or isinstance(item, slice):
            if not placed and others == arrays_at:
                out_shape.extend(arrays_shape)
                placed = True
            others += 1
            if isinstance(item, slice):
                steps = np.arange(*item.indices(shape[dim]))
                found.append((steps, len(out_shape)))
            out_shape.append(1 if item is None else len(steps))
        elif _is_int(item):
            found.append((np.int64(item + shape[dim] if item < 0 else item), None))
        elif isinstance(item, np.ndarray):
            columns = np.nonzero(item) if item.dtype == np.bool_ else (item,)
            for d, c in enumerate(columns):
                found.append((np.where(c < 0, c + shape[dim + d], c), -1))
    if not placed:
        out_shape.extend(arrays_shape)
    coords = []
    for values, axis in found:
        if axis is None:  # an int: a 0-d array
            coords.append(values)
            continue
        # an index array is right-aligned within the arrays' dims; a slice has its own axis
        lead = arrays_at + len(arrays_shape) - values.ndim if axis < 0 else axis
        trail = len(out_shape) - lead - values.ndim
        coords.append(values.reshape((1,) * lead + values.shape + (1,) * trail))
    return coords, tuple(out_shape)


def _broadcast_key(items: list[Any], shape: tuple[int, ...]) -> Any:
    """One integer array per input dim, all broadcast to torch's result shape: NumPy reads
    such a key without moving anything, so its result is exactly torch's."""
    coords, out_shape = coordinates(items, shape, numpy_rule=False)
    return tuple(np.broadcast_to(c, out_shape) for c in coords)


def has_index_array(key: Any) -> bool:
    """True when the key holds an integer array, which may pick an element twice."""
    items = key if isinstance(key, tuple) else (key,)
    return any(isinstance(i, np.ndarray) and i.dtype != np.bool_ for i in items)


def flat_positions(shape: tuple[int, ...], key: Any) -> np.ndarray:
    """The flat (C-order) position, in an array of `shape`, of every element `key` selects
    (a key of ints, slices, None, bools, index arrays and masks, read as NumPy does), in
    the layout of the result: the dot product of each element's coordinates and the
    strides, computed by broadcasting (one pass over the result)."""
    items = list(key) if isinstance(key, tuple) else [key]
    coords, out_shape = coordinates(items, shape, numpy_rule=True)
    positions: Any = np.zeros((), np.int64)
    for d, c in enumerate(coords):
        positions = positions + c * math.prod(shape[d + 1 :])
    if positions.shape != out_shape:  # None and bool dims: copied (bincount is slow on views)
        positions = np.broadcast_to(positions, out_shape).copy()
    return positions


def add_at(out: np.ndarray, key: Any, values: np.ndarray) -> np.ndarray:
    """out[key] += values, adding every repeat of a position (what np.add.at does).

    For many float updates under a key other than one index array on the first dim, a
    histogram of the flat positions weighted by the values (np.bincount, in float64,
    rounded once) is faster: 1.5-3x for gather backward, x[:, idx] and float64 W[idx]
    (measured on NumPy 2.4). NumPy's own np.add.at is faster for W[idx] and v[idx] in
    float32 (a fast path) and for few updates (bincount passes over all of out).
    """
    items = key if isinstance(key, tuple) else (key,)
    first = items[0] if items else None
    first_dim_only = (
        isinstance(first, np.ndarray)
        and first.dtype != np.bool_
        and first.ndim == 1
        and all(isinstance(i, slice) and i == slice(None) for i in items[1:])
    )
    if out.dtype.kind == "f" and not first_dim_only and np.size(values) >= 4096:
        positions = flat_positions(out.shape, key)
        if positions.size * 8 >= out.size:
            weights = np.broadcast_to(values, positions.shape).ravel()
            sums = np.bincount(positions.ravel(), weights=weights, minlength=out.size)
            out += sums.reshape(out.shape)  # float64 sums, rounded once to out.dtype
            return out
    np.add.at(out, key, values)
    return out


def along(index: np.ndarray, dim: int) -> tuple[np.ndarray, ...]:
    """The key of the elements a gather or scatter index points at along `dim`:
    index[i, j] (dim 1) stands for (i, index[i, j]), an open grid for the other dims."""
    key: list[np.ndarray] = list(np.indices(index.shape, sparse=True))
    key[dim] = index
    return tuple(key)


def leading(shape: tuple[int, ...]) -> tuple[slice, ...]:
    """The leading block of that shape (a scatter reads only index's shape of src)."""
    return tuple(slice(0, n) for n in shape)


def grad_of_src(grad: np.ndarray, key: Any, src_shape: tuple[int, ...]) -> np.ndarray:
    """d src of a scatter: the gradient at the scattered positions, zero for the src
    elements it did not read."""
    picked = grad[key]
    if picked.shape == src_shape:
        return picked
    out = np.zeros(src_shape, grad.dtype)
    out[leading(picked.shape)] = picked
    return out

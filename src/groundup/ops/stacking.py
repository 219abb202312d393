"""Joining helpers on top of cat: hstack, vstack (row_stack), dstack, column_stack, the
atleast_1d/2d/3d reshapes they use, and meshgrid. Functions only, as in torch (no Tensor
methods); groundup/__init__.py exports them.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

from groundup.ops.shape import Reshape, cat, expand
from groundup.tensor import Tensor

__all__ = [
    "atleast_1d",
    "atleast_2d",
    "atleast_3d",
    "column_stack",
    "dstack",
    "hstack",
    "meshgrid",
    "row_stack",
    "vstack",
]


def _tensor_list(op: str, tensors: Any, allow_empty: bool = False) -> list[Tensor]:
    if isinstance(tensors, Tensor):
        raise TypeError(f"{op}(): argument 'tensors' must be a sequence of Tensors, not Tensor")
    tensors = list(tensors)
    if not tensors and not allow_empty:
        raise RuntimeError(f"{op} expects a non-empty TensorList")
    for i, t in enumerate(tensors):
        if not isinstance(t, Tensor):
            raise TypeError(f"{op}(): expected Tensor as element {i}, but got {type(t).__name__}")
    return tensors


def _at_least(op: str, args: tuple[Any, ...], shape_of: Any) -> Any:
    """One tensor in, one out; several (or a list) in, a tuple out."""
    single = len(args) == 1 and isinstance(args[0], Tensor)
    many = args[0] if len(args) == 1 and isinstance(args[0], (list, tuple)) else args
    out = []
    for t in _tensor_list(op, many, allow_empty=True):
        shape = shape_of(t.shape)
        out.append(t if shape == t.shape else Reshape.apply(t, shape))  # a view, as in torch
    return out[0] if single else tuple(out)


def atleast_1d(*tensors: Any) -> Any:
    """0-d -> (1,); tensors with dims are returned as they are."""
    return _at_least("atleast_1d", tensors, lambda s: s or (1,))


def atleast_2d(*tensors: Any) -> Any:
    """0-d -> (1, 1), (n,) -> (1, n)."""
    return _at_least("atleast_2d", tensors, lambda s: (1,) * (2 - len(s)) + s if len(s) < 2 else s)


def atleast_3d(*tensors: Any) -> Any:
    """0-d -> (1, 1, 1), (n,) -> (1, n, 1), (m, n) -> (m, n, 1)."""

    def shape(s: tuple[int, ...]) -> tuple[int, ...]:
        if len(s) == 0:
            return (1, 1, 1)
        if len(s) == 1:
            return (1, s[0], 1)
        return s + (1,) if len(s) == 2 else s

    return _at_least("atleast_3d", tensors, shape)


def hstack(tensors: Sequence[Tensor]) -> Tensor:
    """Join side by side: vectors end to end (dim 0), anything else along dim 1."""
    parts = atleast_1d(_tensor_list("hstack", tensors))
    return cat(parts, 0 if parts[0].ndim == 1 else 1)


def vstack(tensors: Sequence[Tensor]) -> Tensor:
    """Join as rows: vectors become (1, n) rows, then cat along dim 0."""
    return cat(atleast_2d(_tensor_list("vstack", tensors)), 0)


row_stack = vstack


def dstack(tensors: Sequence[Tensor]) -> Tensor:
    """Join along the third dim (depth), after atleast_3d."""
    return cat(atleast_3d(_tensor_list("dstack", tensors)), 2)


def column_stack(tensors: Sequence[Tensor]) -> Tensor:
    """Join as columns: 0-d and 1-d tensors become (n, 1) columns, then cat along dim 1."""
    parts = _tensor_list("column_stack", tensors)
    columns = [Reshape.apply(t, (t.numel(), 1)) if t.ndim < 2 else t for t in parts]
    return cat(columns, 1)


def meshgrid(*tensors: Any, indexing: str | None = None) -> tuple[Tensor, ...]:
    """Coordinate grids from 1-d tensors: with indexing="ij", output i varies along dim i and
    has shape (len(t0), len(t1), ...); "xy" swaps the first two dims (x along columns).

    Each output is a view of its input, broadcast (expanded) to the grid's shape.
    """
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    parts = _tensor_list("meshgrid", tensors, allow_empty=True)
    if not parts:
        raise RuntimeError("meshgrid expects a non-empty TensorList")
    if indexing is None:
        warnings.warn(
            "torch.meshgrid: in an upcoming release, it will be required to pass the indexing "
            "argument.",
            UserWarning,
            stacklevel=2,
        )
        indexing = "ij"
    if indexing not in ("ij", "xy"):
        raise RuntimeError(
            f'torch.meshgrid: indexing must be one of "xy" or "ij", but received: {indexing}'
        )
    for i, t in enumerate(parts):
        if t.ndim > 1:
            raise RuntimeError(
                f"meshgrid: expected 0D or 1D tensors in the tensor list, but tensor {i} has "
                f"shape {t.shape}"
            )
        if t.dtype != parts[0].dtype:
            raise RuntimeError("meshgrid expects all tensors to have the same dtype")
    axis = list(range(len(parts)))
    if indexing == "xy" and len(parts) > 1:
        axis[0], axis[1] = 1, 0  # x varies along the columns (dim 1), y along the rows
    shape = [0] * len(parts)
    for i, t in enumerate(parts):
        shape[axis[i]] = t.numel()
    grids = []
    for i, t in enumerate(parts):
        line = [1] * len(parts)
        line[axis[i]] = t.numel()
        grids.append(expand(Reshape.apply(t, tuple(line)), tuple(shape)))
    return tuple(grids)

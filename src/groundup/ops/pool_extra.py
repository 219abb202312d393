"""Adaptive pooling beyond `adaptive_avg_pool2d`: the 1-D average and the 1-D and 2-D max.

Adaptive pooling fixes the output size instead of the window: output cell i along an axis
of length L pools input cells floor(i L / out) .. ceil((i + 1) L / out) - 1, so the bins
cover the input exactly and overlap by at most one cell when out does not divide L.

    average  a fixed linear map per axis (`ops.pool.AdaptiveAvgPool`); 1-D is 2-D with H = 1.
    max      the bins along each axis are gathered into a (out, K) index table, K the longest
             bin, shorter bins padded by repeating their last cell (a repeat never changes a
             maximum nor, coming later, which cell is the first maximum). The max and argmax
             are then one reduction over the gathered windows; backward adds each output's
             gradient to its argmax cell (overlapping bins may share one, so it is a sum).
             Ties go to the first maximum in row-major order; a NaN wins (the last one), as
             in torch.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from groundup.function import Function
from groundup.ops.pool import AdaptiveAvgPool
from groundup.tensor import Tensor


def _bin_table(size: int, out: int) -> np.ndarray:
    """(out, K) input cells of each adaptive bin, the short bins padded with their last cell."""
    i = np.arange(out)
    start = (i * size) // out
    end = -((-(i + 1) * size) // out)  # ceil((i + 1) size / out)
    longest = int((end - start).max()) if out else 1
    return np.minimum(start[:, None] + np.arange(longest), end[:, None] - 1)


class AdaptiveMaxPool(Function):
    """Max over the adaptive bins of the last two axes of (B, H, W) (a 1-D signal has H = 1)."""

    saves = ()

    def forward(self, x: np.ndarray, *, out: tuple[int, int], record: list[Any]) -> np.ndarray:
        b, h, w = x.shape
        rows, cols = _bin_table(h, out[0]), _bin_table(w, out[1])  # (OH, KH), (OW, KW)
        # cell (p, q) of every window as flat indices r * W + c: (OH, OW, KH * KW)
        cells = rows.shape[1] * cols.shape[1]  # K = KH * KW
        flat = (rows[:, None, :, None] * w + cols[None, :, None, :]).reshape(*out, cells)
        windows = x.reshape(b, h * w)[:, flat]  # (B, OH, OW, K)
        k = windows.argmax(axis=-1)  # the first maximum (or the first NaN)
        nan = np.isnan(windows)
        if nan.any():  # torch's rule: the last NaN of the window
            last = windows.shape[-1] - 1 - nan[..., ::-1].argmax(axis=-1)
            k = np.where(nan.any(axis=-1), last, k)
        index = np.take_along_axis(np.broadcast_to(flat, windows.shape), k[..., None], -1)[..., 0]
        record.append(index)  # (B, OH, OW): flat input cell of each output
        self.index, self.x_shape = index, x.shape
        return np.take_along_axis(windows, k[..., None], -1)[..., 0]

    def backward(self, grad: np.ndarray) -> np.ndarray:
        b, h, w = self.x_shape
        # dx[n, index[n, o]] += dy[n, o]: one bincount over (plane, cell) pairs
        cells = (np.arange(b)[:, None, None] * (h * w) + self.index).ravel()
        dx = np.bincount(cells, weights=grad.ravel(), minlength=b * h * w)
        return dx.reshape(self.x_shape).astype(grad.dtype, copy=False)


# ------------------------------------------------------------ checked wrappers
def _check(op: str, input: Tensor, dims: int) -> None:
    if not isinstance(input, Tensor):
        raise TypeError(f"{op}(): argument 'input' must be Tensor, not {type(input).__name__}")
    if input.ndim not in (dims + 1, dims + 2):
        raise RuntimeError(
            f"{op}(): expected a {dims + 1}-D (unbatched) or {dims + 2}-D (batched) input, got "
            f"input of shape {input.shape}"
        )
    if input.dtype.kind != "f":
        raise NotImplementedError(f'"{op}" not implemented for dtype {input.dtype}')
    spatial = input.shape[-dims:]
    if min(spatial) < 1 or (input.ndim == dims + 2 and input.shape[1] == 0 and "max" in op):
        raise RuntimeError(
            f"{op}(): Expected input to have non-zero size for non-batch dimensions, but "
            f"input has sizes {list(input.shape)}"
        )


def _sizes(op: str, output_size: Any, input: Tensor, dims: int) -> tuple[int, int]:
    """output_size as (OH, OW) (OH = 1 for 1-D); None keeps the input's size (2-D only)."""
    if isinstance(output_size, (int, np.integer)):
        sizes: tuple[Any, ...] = (int(output_size),) * dims
    else:
        sizes = tuple(output_size)
        if dims == 1 and len(sizes) != 1:
            raise RuntimeError(
                f"{op}() argument 'output_size' should contain one int (got {len(sizes)})"
            )
        if len(sizes) == 1:
            sizes *= dims
        if len(sizes) != dims:
            raise RuntimeError(f"{op}(): output_size must be 1 or 2 ints, got {output_size!r}")
    out = [input.shape[-dims + i] if s is None else int(s) for i, s in enumerate(sizes)]
    if min(out) < 0:
        raise RuntimeError(f"{op}(): elements of output_size must be non-negative, got {out}")
    return (1, out[0]) if dims == 1 else (out[0], out[1])


def _planes(input: Tensor, dims: int) -> Tensor:
    """(*lead, [H,] W) -> (B, H, W) with H = 1 for a 1-D signal."""
    return input.reshape(-1, 1 if dims == 1 else input.shape[-2], input.shape[-1])


def _adaptive_max(op: str, input: Tensor, output_size: Any, dims: int, indices: bool) -> Any:
    _check(op, input, dims)
    out = _sizes(op, output_size, input, dims)
    shape = (*input.shape[:-dims], *out[2 - dims :])
    record: list[np.ndarray] = []
    y = AdaptiveMaxPool.apply(_planes(input, dims), out=out, record=record).reshape(shape)
    if not indices:
        return y
    index = record[0].astype(np.int64).reshape(shape)  # row * W + col (just col in 1-D)
    return y, Tensor._make(index, False)


def adaptive_max_pool1d(
    input: Tensor, output_size: int | Sequence[int], return_indices: bool = False
) -> Any:
    """Max of (N, C, L) over `output_size` adaptive bins along L; with return_indices=True
    also the position in L of each maximum."""
    return _adaptive_max("adaptive_max_pool1d", input, output_size, 1, return_indices)


def adaptive_max_pool2d(
    input: Tensor, output_size: int | Sequence[int | None], return_indices: bool = False
) -> Any:
    """Max of (N, C, H, W) over an (OH, OW) grid of adaptive bins (None keeps that size);
    with return_indices=True also the flat index row * W + col of each maximum."""
    return _adaptive_max("adaptive_max_pool2d", input, output_size, 2, return_indices)


def adaptive_avg_pool1d(input: Tensor, output_size: int | Sequence[int]) -> Tensor:
    """Average (N, C, L) into `output_size` adaptive bins along L."""
    _check("adaptive_avg_pool1d", input, 1)
    out = _sizes("adaptive_avg_pool1d", output_size, input, 1)
    if out[1] == 0:
        return input[..., :0]  # no bins: an empty output (whose gradient is zero)
    y = AdaptiveAvgPool.apply(_planes(input, 1), out=out)  # (B, 1, OL)
    return y.reshape(*input.shape[:-1], out[1])


__all__ = [
    "AdaptiveMaxPool",
    "adaptive_avg_pool1d",
    "adaptive_max_pool1d",
    "adaptive_max_pool2d",
]

"""`pad`: torch's F.pad, modes 'constant' (any number of trailing dims, negative padding
crops), 'reflect', 'replicate' and 'circular' (the last 1, 2 or 3 dims).

`pad` lists (left, right) pairs from the LAST dim backwards: (1, 2) pads the last dim with 1
before and 2 after; (1, 2, 3, 4) also pads the second-to-last dim with 3 above, 4 below.

Constant padding copies the input into a filled array (backward: slice the gradient back
out). The other modes are gathers: each output position along a padded dim reads one input
position (reflect: x[-1] is x[1]; replicate: x[-1] is x[0]; circular: x[-1] is x[n-1]), so
the backward scatters the gradient back with `np.add.at`, one padded dim at a time.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from groundup.function import Function
from groundup.tensor import Tensor

_MODES = ("constant", "reflect", "replicate", "circular")


class ConstantPad(Function):
    """`value` around the input; a negative amount crops instead."""

    saves = ()

    def forward(self, x: np.ndarray, pairs: tuple[tuple[int, int], ...], value: Any) -> np.ndarray:
        # pairs[i] = (before, after) for axis i, (0, 0) for axes that are not padded
        self.shape = x.shape
        out_shape = tuple(n + lo + hi for n, (lo, hi) in zip(x.shape, pairs, strict=True))
        out = np.full(out_shape, value, dtype=x.dtype)
        # the kept part of the input (negative amounts crop) and where it lands in the output
        self.src = tuple(
            slice(max(-lo, 0), n - max(-hi, 0)) for n, (lo, hi) in zip(x.shape, pairs, strict=True)
        )
        self.dst = tuple(
            slice(max(lo, 0), max(lo, 0) + (s.stop - s.start))
            for (lo, _), s in zip(pairs, self.src, strict=True)
        )
        out[self.dst] = x[self.src]
        return out

    def backward(self, grad: np.ndarray) -> tuple[Any, None, None]:
        dx = np.zeros(self.shape, dtype=grad.dtype)
        dx[self.src] = grad[self.dst]
        return dx, None, None


class GatherPad(Function):
    """out = x indexed along each padded axis by `positions[axis]` (input positions)."""

    saves = ()

    def forward(self, x: np.ndarray, positions: dict[int, np.ndarray]) -> np.ndarray:
        self.shape, self.positions = x.shape, positions
        for axis, idx in positions.items():
            x = np.take(x, idx, axis=axis)
        return x

    def backward(self, grad: np.ndarray) -> tuple[Any, None]:
        for axis, idx in reversed(self.positions.items()):
            shape = grad.shape[:axis] + (self.shape[axis],) + grad.shape[axis + 1 :]
            scattered = np.zeros(shape, dtype=grad.dtype)
            index: tuple[Any, ...] = (slice(None),) * axis + (idx,)
            np.add.at(scattered, index, grad)  # sums the gradients of repeated reads
            grad = scattered
        return grad, None


def _positions(n: int, before: int, after: int, mode: str) -> np.ndarray:
    """Input position read by each output position along one padded dim of size n."""
    if mode == "circular":
        # torch crops first (negative amounts), then wraps around what is left
        start, stop = max(-before, 0), n - max(-after, 0)
        return (np.arange(-max(before, 0), stop - start + max(after, 0)) % (stop - start)) + start
    i = np.arange(-before, n + after)  # output position k reads input position i[k]
    if mode == "replicate":
        return np.clip(i, 0, n - 1)
    i = np.abs(i)  # reflect about 0 ...
    return np.where(i > n - 1, 2 * (n - 1) - i, i)  # ... and about n - 1


def _pairs(pad: Sequence[Any], ndim: int) -> list[tuple[int, int]]:
    if not all(isinstance(p, (int, np.integer)) and not isinstance(p, bool) for p in pad):
        raise TypeError(f"pad(): argument 'pad' must be a tuple of ints, got {tuple(pad)!r}")
    if len(pad) % 2:
        raise RuntimeError(f"pad: padding length must be divisible by 2, got {len(pad)} values")
    if len(pad) // 2 > ndim:
        raise RuntimeError(
            f"pad: padding length should be less than or equal to two times the input "
            f"dimension but got padding length {len(pad)} and input of dimension {ndim}"
        )
    return [(int(pad[i]), int(pad[i + 1])) for i in range(0, len(pad), 2)]


def _check_gather(input: Tensor, pairs: list[tuple[int, int]], mode: str) -> None:  # noqa: A002
    k, ndim = len(pairs), input.ndim
    if k not in (1, 2, 3) or ndim not in (k + 1, k + 2):
        raise NotImplementedError(
            f"pad: padding size {2 * k} is not supported for {ndim}D input tensor in mode "
            f"{mode!r}; supported: a 2D or 3D input with padding size 2 (pads the last dim), "
            "3D or 4D with 4 (the last 2 dims), 4D or 5D with 6 (the last 3 dims)"
        )
    if mode != "circular" and 0 in input.shape[1:]:
        raise RuntimeError(
            f"pad: expected a {k + 1}D or {k + 2}D (batch mode) tensor with possibly 0 batch "
            f"size and other non-zero dimensions for input, but got: {list(input.shape)}"
        )
    for j, (before, after) in enumerate(pairs):
        axis = ndim - 1 - j
        n = input.shape[axis]
        if mode == "reflect" and not (before < n and after < n):
            raise RuntimeError(
                f"pad: argument #{4 + 2 * j}: padding size should be less than the corresponding "
                f"input dimension, but got: padding ({before}, {after}) at dimension {axis} of "
                f"input {list(input.shape)}"
            )
        kept = n - max(-before, 0) - max(-after, 0)
        if mode == "circular" and (max(before, 0) > kept or max(after, 0) > kept):
            raise RuntimeError(
                f"pad: padding value causes wrapping around more than once (padding "
                f"({before}, {after}) of a dimension of size {kept}); use mode='replicate'"
            )
        if mode != "circular" and n + before + after <= 0:
            raise RuntimeError(
                f"pad: input (size {n} at dimension {axis}) is too small; calculated output "
                f"size: {n + before + after}"
            )


def pad(
    input: Tensor,  # noqa: A002 - torch's names
    pad: Sequence[int],
    mode: str = "constant",
    value: float | None = None,
) -> Tensor:
    """Pad the trailing dims: `pad` = (last_before, last_after, prev_before, prev_after, ...).

    mode 'constant' fills with `value` (default 0, cast to the input's dtype) and crops where
    an amount is negative; 'reflect' mirrors without repeating the edge (each amount must be
    smaller than the dim), 'replicate' repeats the edge, 'circular' wraps around.
    """
    if mode not in _MODES:
        raise NotImplementedError(
            f"pad: unrecognised padding mode {mode!r}, expected one of {_MODES}"
        )
    pairs = _pairs(pad, input.ndim)
    if mode == "constant":
        per_axis = [(0, 0)] * (input.ndim - len(pairs)) + pairs[::-1]  # axis order
        for axis, (n, (lo, hi)) in enumerate(zip(input.shape, per_axis, strict=True)):
            if n - max(-lo, 0) - max(-hi, 0) < 0:
                raise RuntimeError(
                    f"pad: cropping ({lo}, {hi}) from dimension {axis} of size {n} leaves a "
                    "negative length"
                )
        return ConstantPad.apply(input, tuple(per_axis), 0 if value is None else value)
    if value is not None and value != 0:
        raise RuntimeError(f'pad: padding mode "{mode}" doesn\'t take in value argument')
    _check_gather(input, pairs, mode)
    positions = {
        input.ndim - 1 - j: _positions(input.shape[input.ndim - 1 - j], lo, hi, mode)
        for j, (lo, hi) in enumerate(pairs)
    }
    return GatherPad.apply(input, positions)

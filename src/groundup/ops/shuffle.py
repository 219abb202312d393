"""pixel_shuffle and pixel_unshuffle: move values between channels and space.

With factor r, pixel_shuffle rearranges (*, C r^2, H, W) into (*, C, H r, W r): the r^2
channels of each output channel c become an r x r block of pixels,

    y[..., c, h r + i, w r + j] = x[..., c r^2 + i r + j, h, w]

(the sub-pixel convolution of Shi et al., 2016). pixel_unshuffle is its inverse, and each
is the other's backward: a pure permutation of the elements, no arithmetic.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from groundup.function import Function
from groundup.tensor import Tensor


def shuffle(a: np.ndarray, r: int) -> np.ndarray:
    """(*, C r^2, H, W) -> (*, C, H r, W r)."""
    *lead, crr, h, w = a.shape
    c = crr // (r * r)
    blocks = a.reshape(*lead, c, r, r, h, w)  # (*, C, i, j, H, W)
    n = len(lead)
    order = (*range(n), n, n + 3, n + 1, n + 4, n + 2)  # (*, C, H, i, W, j)
    return blocks.transpose(order).reshape(*lead, c, h * r, w * r)


def unshuffle(a: np.ndarray, r: int) -> np.ndarray:
    """(*, C, H r, W r) -> (*, C r^2, H, W)."""
    *lead, c, hr, wr = a.shape
    h, w = hr // r, wr // r
    blocks = a.reshape(*lead, c, h, r, w, r)  # (*, C, H, i, W, j)
    n = len(lead)
    order = (*range(n), n, n + 2, n + 4, n + 1, n + 3)  # (*, C, i, j, H, W)
    return blocks.transpose(order).reshape(*lead, c * r * r, h, w)


class PixelShuffle(Function):
    saves = ()

    def forward(self, x: np.ndarray, r: int) -> np.ndarray:
        self.r = r
        return shuffle(x, r)

    def backward(self, grad: np.ndarray) -> tuple[Any, None]:
        return unshuffle(grad, self.r), None


class PixelUnshuffle(Function):
    saves = ()

    def forward(self, x: np.ndarray, r: int) -> np.ndarray:
        self.r = r
        return unshuffle(x, r)

    def backward(self, grad: np.ndarray) -> tuple[Any, None]:
        return shuffle(grad, self.r), None


def _check(op: str, input: Any, factor: Any, what: str) -> None:
    if not isinstance(input, Tensor):
        raise TypeError(f"{op}(): argument 'input' must be Tensor, not {type(input).__name__}")
    if isinstance(factor, bool) or not isinstance(factor, (int, np.integer)):
        raise TypeError(
            f"{op}(): argument '{what}' (position 2) must be int, not {type(factor).__name__}"
        )
    if input.ndim < 3:
        raise RuntimeError(
            f"{op} expects input to have at least 3 dimensions, but got input with "
            f"{input.ndim} dimension(s)"
        )
    if factor <= 0:
        raise RuntimeError(f"{op} expects a positive {what}, but got {factor}")


def pixel_shuffle(input: Tensor, upscale_factor: int) -> Tensor:
    """(*, C r^2, H, W) -> (*, C, H r, W r) for r = upscale_factor."""
    _check("pixel_shuffle", input, upscale_factor, "upscale_factor")
    r = int(upscale_factor)
    if input.shape[-3] % (r * r):
        raise RuntimeError(
            "pixel_shuffle expects its input's 'channel' dimension to be divisible by the "
            f"square of upscale_factor, but input.size(-3)={input.shape[-3]} is not divisible "
            f"by {r * r}"
        )
    return PixelShuffle.apply(input, r)


def pixel_unshuffle(input: Tensor, downscale_factor: int) -> Tensor:
    """(*, C, H r, W r) -> (*, C r^2, H, W) for r = downscale_factor."""
    _check("pixel_unshuffle", input, downscale_factor, "downscale_factor")
    r = int(downscale_factor)
    for axis, name in ((-2, "height"), (-1, "width")):
        if input.shape[axis] % r:
            raise RuntimeError(
                f"pixel_unshuffle expects {name} to be divisible by downscale_factor, but "
                f"input.size({axis})={input.shape[axis]} is not divisible by {r}"
            )
    return PixelUnshuffle.apply(input, r)


__all__ = ["PixelShuffle", "PixelUnshuffle", "pixel_shuffle", "pixel_unshuffle"]

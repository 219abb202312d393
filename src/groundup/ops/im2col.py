"""im2col and col2im: the array machinery under convolution and pooling.

A kernel of size KH x KW sliding with stride S and dilation D over an image padded to
(Hp, Wp) visits OH x OW windows, OH = floor((Hp - D(KH - 1) - 1) / S) + 1. `sliding_windows`
exposes all of them as one strided *view* (N, C, KH, KW, OH, OW) of the padded image, so no
Python loop over pixels is needed and nothing is copied until a consumer asks for it:

    im2col   the view reshaped to columns (N, C*KH*KW, OH*OW); the one copy a convolution
             makes, after which it is a single matrix product
    col2im   the adjoint: every column entry added back to the pixel it was read from.
             Windows overlap when S < D(K - 1) + 1, so a pixel can receive several entries;
             `add_windows` loops over the KH*KW kernel offsets and adds, for each offset,
             one strided slice covering all windows -- never a loop over pixels, and no
             scatter-add (`np.add.at`).

`unfold`/`fold` are the differentiable versions with torch's names and layout.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.lib.stride_tricks import as_strided

from groundup.function import Function
from groundup.inspect.shapes import output_size
from groundup.tensor import Tensor

Pair = tuple[int, int]
Pads = tuple[Pair, Pair]  # ((top, bottom), (left, right))


def sliding_windows(
    xp: np.ndarray, kernel: Pair, stride: Pair, dilation: Pair, out: Pair
) -> np.ndarray:
    """Every kernel window of an already padded array, as a read-only strided view.

    xp: (*lead, Hp, Wp) -> (*lead, KH, KW, OH, OW) with
    view[..., i, j, p, q] = xp[..., p*S_h + i*D_h, q*S_w + j*D_w]. No data is copied:
    moving one kernel row is D_h rows of xp, moving one output row is S_h rows.
    """
    *lead, _, _ = xp.shape
    *lead_strides, row, col = xp.strides
    shape = (*lead, kernel[0], kernel[1], out[0], out[1])
    strides = (
        *lead_strides,
        row * dilation[0],
        col * dilation[1],
        row * stride[0],
        col * stride[1],
    )
    return as_strided(xp, shape, strides, writeable=False)


def pad2d(x: np.ndarray, pads: Pads, value: float = 0.0) -> np.ndarray:
    """Pad the last two axes: (*lead, H, W) -> (*lead, top + H + bottom, left + W + right).

    Returns `x` itself when there is nothing to pad (no copy)."""
    (top, bottom), (left, right) = pads
    if top == bottom == left == right == 0:
        return x
    *lead, h, w = x.shape
    out = np.full((*lead, top + h + bottom, left + w + right), value, dtype=x.dtype)
    out[..., top : top + h, left : left + w] = x
    return out


def crop2d(x: np.ndarray, pads: Pads) -> np.ndarray:
    """Undo `pad2d`: drop `pads` from the last two axes (a view)."""
    (top, bottom), (left, right) = pads
    h, w = x.shape[-2:]
    return x[..., top : h - bottom, left : w - right]


def window_slice(i: int, j: int, stride: Pair, dilation: Pair, out: Pair) -> tuple[Any, ...]:
    """The slice of the padded image that kernel offset (i, j) visits: rows
    i*D_h, i*D_h + S_h, ..., for OH rows (and the same for columns)."""
    r0, c0 = i * dilation[0], j * dilation[1]
    rows = slice(r0, r0 + stride[0] * (out[0] - 1) + 1, stride[0])
    cols = slice(c0, c0 + stride[1] * (out[1] - 1) + 1, stride[1])
    return (Ellipsis, rows, cols)


def add_windows(dxp: np.ndarray, dwin: np.ndarray, stride: Pair, dilation: Pair) -> np.ndarray:
    """col2im's accumulation: dwin (*lead, KH, KW, OH, OW) -> added into dxp (*lead, Hp, Wp).

    One vectorized, strided `+=` per kernel offset (KH*KW of them): all pixels at once,
    and overlapping windows simply add up.
    """
    kh, kw, oh, ow = dwin.shape[-4:]
    for i in range(kh):
        for j in range(kw):
            dxp[window_slice(i, j, stride, dilation, (oh, ow))] += dwin[..., i, j, :, :]
    return dxp


def add_windows_stride1(
    padded_shape: tuple[int, ...], dwin: np.ndarray, dilation: Pair
) -> np.ndarray:
    """col2im for stride 1 with rows as wide as the padded image (a faster `add_windows`).

    dwin: (*lead, KH, KW, OH*Wp) -> (*lead, Hp, Wp). Each window row here holds Wp entries,
    the last Wp - OW of them zero. In the row-major flattened image, kernel offset (i, j)
    then covers ONE contiguous run starting at i*D_h*Wp + j*D_w, so each of the KH*KW
    additions is a single long vectorized add instead of OH short ones (the zero tails
    spill harmlessly into the next row).
    """
    *lead, hp, wp = padded_shape
    kh, kw, length = dwin.shape[-3:]
    flat = np.zeros((*lead, hp * wp + (kw - 1) * dilation[1]), dtype=dwin.dtype)
    for i in range(kh):
        for j in range(kw):
            start = i * dilation[0] * wp + j * dilation[1]
            flat[..., start : start + length] += dwin[..., i, j, :]
    return flat[..., : hp * wp].reshape(*lead, hp, wp)


def num_windows(padded: int, kernel: int, stride: int, dilation: int) -> int:
    """Windows along one padded axis: floor((padded - D(K - 1) - 1) / S) + 1."""
    return (padded - dilation * (kernel - 1) - 1) // stride + 1


# ---------------------------------------------------------- im2col for readers
def im2col(
    x: np.ndarray,
    kernel_size: int | Sequence[int],
    stride: int | Sequence[int] = 1,
    padding: int | Sequence[int] = 0,
    dilation: int | Sequence[int] = 1,
) -> np.ndarray:
    """Unroll every receptive field of a batch of images into a column.

    x: (N, C, H, W) -> cols: (N, C*KH*KW, OH*OW), with rows ordered (c, i, j) and columns
    ordered (p, q) row-major -- the layout of torch.nn.functional.unfold:

        cols[n, (c*KH + i)*KW + j, p*OW + q] = x_pad[n, c, p*S_h + i*D_h, q*S_w + j*D_w]

    A convolution is then W.reshape(O, C*KH*KW) @ cols -> (N, O, OH*OW).
    """
    kernel, s = _ints2(kernel_size, "kernel_size", "im2col"), _ints2(stride, "stride", "im2col")
    p, d = _ints2(padding, "padding", "im2col"), _ints2(dilation, "dilation", "im2col")
    xp = pad2d(x, ((p[0], p[0]), (p[1], p[1])))  # (N, C, H + 2P_h, W + 2P_w)
    n, c, hp, wp = xp.shape
    out = (num_windows(hp, kernel[0], s[0], d[0]), num_windows(wp, kernel[1], s[1], d[1]))
    windows = sliding_windows(xp, kernel, s, d, out)  # (N, C, KH, KW, OH, OW), a view
    return windows.reshape(n, c * kernel[0] * kernel[1], out[0] * out[1])  # the one copy


def col2im(
    cols: np.ndarray,
    input_size: Sequence[int],
    kernel_size: int | Sequence[int],
    stride: int | Sequence[int] = 1,
    padding: int | Sequence[int] = 0,
    dilation: int | Sequence[int] = 1,
) -> np.ndarray:
    """The adjoint of `im2col`: add every column entry back to the pixel it was read from.

    cols: (N, C*KH*KW, OH*OW) -> (N, C, H, W) for `input_size` = (H, W) (torch's `fold`).
    Pixels covered by several windows receive the sum, so col2im(im2col(x)) multiplies each
    pixel by the number of windows that contain it.
    """
    kernel, s = _ints2(kernel_size, "kernel_size", "col2im"), _ints2(stride, "stride", "col2im")
    p, d = _ints2(padding, "padding", "col2im"), _ints2(dilation, "dilation", "col2im")
    h, w = _ints2(input_size, "input_size", "col2im")
    n, ckk, _ = cols.shape
    c = ckk // (kernel[0] * kernel[1])
    pads = ((p[0], p[0]), (p[1], p[1]))
    hp, wp = h + 2 * p[0], w + 2 * p[1]
    out = (num_windows(hp, kernel[0], s[0], d[0]), num_windows(wp, kernel[1], s[1], d[1]))
    dwin = cols.reshape(n, c, kernel[0], kernel[1], out[0], out[1])  # (N, C, KH, KW, OH, OW)
    dxp = np.zeros((n, c, hp, wp), dtype=cols.dtype)  # (N, C, Hp, Wp)
    return crop2d(add_windows(dxp, dwin, s, d), pads)  # (N, C, H, W)


class Unfold(Function):
    """torch.nn.functional.unfold: `im2col` with col2im as its backward."""

    def forward(
        self, x: np.ndarray, *, kernel: Pair, stride: Pair, padding: Pair, dilation: Pair
    ) -> np.ndarray:
        self.args = (x.shape[2:], kernel, stride, padding, dilation)
        return im2col(x, kernel, stride, padding, dilation)

    def backward(self, grad: np.ndarray) -> np.ndarray:
        return col2im(grad, *self.args)


class Fold(Function):
    """torch.nn.functional.fold: `col2im` with im2col as its backward."""

    def forward(
        self,
        cols: np.ndarray,
        *,
        output_size: Pair,
        kernel: Pair,
        stride: Pair,
        padding: Pair,
        dilation: Pair,
    ) -> np.ndarray:
        self.args = (kernel, stride, padding, dilation)
        return col2im(cols, output_size, kernel, stride, padding, dilation)

    def backward(self, grad: np.ndarray) -> np.ndarray:
        return im2col(grad, *self.args)


def _ints2(value: Any, what: str, op: str) -> Pair:
    """An int, or a sequence of one or two ints, as (height, width)."""
    if isinstance(value, (int, np.integer)):
        return int(value), int(value)
    values = tuple(int(v) for v in value)
    if len(values) == 1:
        values *= 2
    if len(values) != 2:
        raise ValueError(f"{op}: {what} must be an int or 2 ints, got {value!r}")
    return values[0], values[1]


def _blocks(
    op: str, shape: tuple[int, ...], size: Pair, k: Pair, s: Pair, p: Pair, d: Pair
) -> Pair:
    """The number of windows along height and width, or a RuntimeError showing the arithmetic."""
    try:
        return (
            output_size(size[0], k[0], s[0], p[0], d[0], what=f"{op} on shape {shape}: height"),
            output_size(size[1], k[1], s[1], p[1], d[1], what=f"{op} on shape {shape}: width"),
        )
    except ValueError as error:
        raise RuntimeError(str(error)) from None


def unfold(
    input: Tensor,
    kernel_size: int | Sequence[int],
    dilation: int | Sequence[int] = 1,
    padding: int | Sequence[int] = 0,
    stride: int | Sequence[int] = 1,
) -> Tensor:
    """Differentiable im2col (torch.nn.functional.unfold): (N, C, H, W) -> (N, C*KH*KW, L),
    L = OH*OW windows."""
    if input.ndim != 4:
        raise RuntimeError(f"unfold: expected a 4-D input (N, C, H, W), got shape {input.shape}")
    k, d = _ints2(kernel_size, "kernel_size", "unfold"), _ints2(dilation, "dilation", "unfold")
    p, s = _ints2(padding, "padding", "unfold"), _ints2(stride, "stride", "unfold")
    _blocks("unfold", input.shape, (input.shape[2], input.shape[3]), k, s, p, d)
    return Unfold.apply(input, kernel=k, stride=s, padding=p, dilation=d)


def fold(
    input: Tensor,
    output_size: int | Sequence[int],
    kernel_size: int | Sequence[int],
    dilation: int | Sequence[int] = 1,
    padding: int | Sequence[int] = 0,
    stride: int | Sequence[int] = 1,
) -> Tensor:
    """Differentiable col2im (torch.nn.functional.fold): (N, C*KH*KW, L) -> (N, C, H, W) for
    `output_size` (H, W), overlapping entries summed."""
    size = _ints2(output_size, "output_size", "fold")
    k, d = _ints2(kernel_size, "kernel_size", "fold"), _ints2(dilation, "dilation", "fold")
    p, s = _ints2(padding, "padding", "fold"), _ints2(stride, "stride", "fold")
    oh, ow = _blocks("fold", input.shape, size, k, s, p, d)
    if input.ndim != 3 or input.shape[1] % (k[0] * k[1]) or input.shape[2] != oh * ow:
        raise RuntimeError(
            f"fold: expected input of shape (N, C*{k[0]}*{k[1]}, {oh}*{ow}) for output_size "
            f"{size} and kernel {k}, got {input.shape}"
        )
    return Fold.apply(input, output_size=size, kernel=k, stride=s, padding=p, dilation=d)


__all__ = [
    "Fold",
    "Unfold",
    "add_windows",
    "add_windows_stride1",
    "col2im",
    "crop2d",
    "fold",
    "im2col",
    "num_windows",
    "pad2d",
    "sliding_windows",
    "unfold",
    "window_slice",
]

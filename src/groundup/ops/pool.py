"""Pooling: max, average and adaptive average over windows of each channel separately.

Pooling has no parameters: it slides a window (stride = window size unless given) over each
feature map and keeps the maximum or the mean, so channels stay channels and only the
spatial size changes, by the same formula as convolution (`groundup.inspect.shapes`).

The windows are the strided view of `groundup.ops.im2col.sliding_windows`; both directions
loop over the KH*KW kernel offsets, never over pixels:

    max      forward keeps, per window, the value and the offset k = i*KW + j of the first
             maximum (torch's tie rule; NaN wins, so it propagates); backward sends each
             output gradient to that one input, dx[window k] += where(argmax == k, dy, 0).
    average  y = sum(window) / divisor; backward spreads dy / divisor evenly over the window.
             The divisor is KH*KW, or with count_include_pad=False (or ceil_mode windows that
             run past the padding) the number of counted cells under each window.
    adaptive output cell i averages input rows floor(i H / out) .. ceil((i + 1) H / out) - 1:
             a fixed linear map per axis, so y = A_h @ x @ A_w^T and dx = A_h^T @ dy @ A_w.

Every function accepts unbatched input too: pooling treats all leading axes alike.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from groundup.errors import InvalidArgumentError, UnsupportedDtypeError
from groundup.function import Function
from groundup.inspect.shapes import output_size
from groundup.ops.im2col import (
    Pads,
    Pair,
    add_windows,
    crop2d,
    pad2d,
    sliding_windows,
    window_slice,
)
from groundup.tensor import Tensor


def _planes(x: np.ndarray, dims: int) -> np.ndarray:
    """(*lead, [H,] W) -> (B, H, W), B = prod(lead); a 1-D signal is an image of height 1."""
    return x.reshape(-1, 1, x.shape[-1]) if dims == 1 else x.reshape(-1, *x.shape[-2:])


class MaxPool(Function):
    def forward(
        self,
        x: np.ndarray,
        *,
        dims: int,
        kernel: Pair,
        stride: Pair,
        pads: Pads,
        dilation: Pair,
        out: Pair,
        record: list[np.ndarray] | None = None,
    ) -> np.ndarray:
        lowest = -np.inf if x.dtype.kind == "f" else np.iinfo(x.dtype).min
        xp = pad2d(_planes(x, dims), pads, lowest)  # (B, Hp, Wp); padding never wins
        windows = sliding_windows(xp, kernel, stride, dilation, out)  # (B, KH, KW, OH, OW)
        offsets = [(k // kernel[1], k % kernel[1]) for k in range(kernel[0] * kernel[1])]
        best = windows[:, 0, 0].copy()  # (B, OH, OW)
        argmax = np.zeros(best.shape, np.int32)  # kernel offset k = i*KW + j of the max
        larger = np.empty(best.shape, np.bool_)
        for k, (i, j) in enumerate(offsets[1:], start=1):
            value = windows[:, i, j]
            np.greater(value, best, out=larger)  # strictly greater: the first max wins
            np.maximum(best, value, out=best)
            np.copyto(argmax, k, where=larger)
        if np.isnan(best).any():  # rare: redo with torch's rule that a NaN is the max
            best, argmax = windows[:, 0, 0].copy(), np.zeros(best.shape, np.int32)
            for k, (i, j) in enumerate(offsets[1:], start=1):
                value = windows[:, i, j]
                take = (value > best) | np.isnan(value)
                np.copyto(best, value, where=take)
                np.copyto(argmax, k, where=take)
        if record is not None:
            record.append(argmax)
        self.argmax, self.xp_shape, self.x_shape = argmax, xp.shape, x.shape
        self.stride, self.pads, self.dilation, self.kernel = stride, pads, dilation, kernel
        self.out = out
        # windows overlap when the stride is shorter than the (dilated) kernel
        self.overlap = any(
            s < d * (k - 1) + 1 for s, d, k in zip(stride, dilation, kernel, strict=True)
        )
        return best.reshape(*x.shape[:-dims], *out[2 - dims :])

    def backward(self, grad: np.ndarray) -> np.ndarray:
        g = grad.reshape(-1, *self.out)  # (B, OH, OW)
        dxp = np.zeros(self.xp_shape, dtype=grad.dtype)  # (B, Hp, Wp)
        kh, kw = self.kernel
        for k in range(kh * kw):  # offset k receives the gradients of the windows it won
            where = window_slice(k // kw, k % kw, self.stride, self.dilation, self.out)
            if self.overlap:
                dxp[where] += np.where(self.argmax == k, g, 0)
            else:  # each cell is in at most one window: write, no need to add
                np.multiply(g, self.argmax == k, out=dxp[where])
        return crop2d(dxp, self.pads).reshape(self.x_shape)


class AvgPool(Function):
    def forward(
        self,
        x: np.ndarray,
        *,
        dims: int,
        kernel: Pair,
        stride: Pair,
        pads: Pads,
        out: Pair,
        divisor: float | np.ndarray,
    ) -> np.ndarray:
        xp = pad2d(_planes(x, dims), pads)  # (B, Hp, Wp), zero padding
        windows = sliding_windows(xp, kernel, stride, (1, 1), out)  # (B, KH, KW, OH, OW)
        total = windows.sum(axis=(1, 2))  # (B, OH, OW)
        if x.dtype.kind == "f":
            y = total / divisor
        else:  # torch's integer mean: the quotient truncated toward zero
            d = np.asarray(divisor).astype(x.dtype)
            y = (np.abs(total) // np.abs(d)) * (np.sign(total) * np.sign(d))
        self.divisor, self.xp_shape, self.x_shape = divisor, xp.shape, x.shape
        self.stride, self.pads, self.kernel, self.out = stride, pads, kernel, out
        return y.reshape(*x.shape[:-dims], *out[2 - dims :])

    def backward(self, grad: np.ndarray) -> np.ndarray:
        share = grad.reshape(-1, *self.out) / self.divisor  # (B, OH, OW): dy / divisor
        dwin = np.broadcast_to(share[:, None, None], (share.shape[0], *self.kernel, *self.out))
        dxp = np.zeros(self.xp_shape, dtype=grad.dtype)
        add_windows(dxp, dwin, self.stride, (1, 1))  # every cell of a window gets its share
        return crop2d(dxp, self.pads).reshape(self.x_shape)


class AdaptiveAvgPool(Function):
    def forward(self, x: np.ndarray, *, out: Pair) -> np.ndarray:
        h, w = x.shape[-2:]
        self.ah = _bins(h, out[0], x.dtype)  # (OH, H)
        self.aw = _bins(w, out[1], x.dtype)  # (OW, W)
        self.x_shape = x.shape
        y = self.ah @ _planes(x, 2) @ self.aw.T  # (B, OH, W) @ (W, OW) -> (B, OH, OW)
        return y.reshape(*x.shape[:-2], *out)

    def backward(self, grad: np.ndarray) -> np.ndarray:
        g = grad.reshape(-1, *grad.shape[-2:])  # (B, OH, OW)
        return (self.ah.T @ g @ self.aw).reshape(self.x_shape)  # (B, H, W)


def _bins(size: int, out: int, dtype: np.dtype) -> np.ndarray:
    """(out, size) averaging matrix: row i is 1/n on input cells floor(i size / out) ..
    ceil((i + 1) size / out) - 1 (n of them), 0 elsewhere -- torch's adaptive bins."""
    i = np.arange(out)
    start = (i * size) // out
    end = -((-(i + 1) * size) // out)  # ceil division
    cells = np.arange(size)
    inside = (cells >= start[:, None]) & (cells < end[:, None])
    return (inside / (end - start)[:, None]).astype(dtype)


# ------------------------------------------------------------ checked wrappers
def _ints(value: Any, dims: int, what: str, name: object) -> tuple[int, ...]:
    if isinstance(value, (int, np.integer)):
        return (int(value),) * dims
    values = tuple(int(v) for v in value)
    if len(values) == 1:
        values *= dims
    if len(values) != dims:
        raise ValueError(f"{name}: {what} must be an int or {dims} ints, got {value!r}")
    return values


def _pair(values: tuple[int, ...], fill: int) -> Pair:
    return (values[0], values[1]) if len(values) == 2 else (fill, values[0])


_ALL_INTS = ("int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64")


def _check_input(name: object, input: Tensor, dims: int, integers: tuple[str, ...] = ()) -> None:
    """Check the rank, and the dtype: floating point, or one of the `integers` dtypes (the
    ones torch pools: every integer type for max_pool2d, int64 for average pooling)."""
    layout = "(N, C, L)" if dims == 1 else "(N, C, H, W)"
    if input.ndim not in (dims + 1, dims + 2):
        raise RuntimeError(
            f"{name}: expected a {dims + 1}-D (unbatched) or {dims + 2}-D (batched) input of "
            f"shape {layout}, got input of shape {input.shape}"
        )
    if input.dtype.kind != "f" and input.dtype.name not in integers:
        raise UnsupportedDtypeError(
            f"{name}: expected a floating-point input, got dtype {input.dtype}"
        )


def _windows_for(
    name: object,
    input: Tensor,
    dims: int,
    kernel_size: Any,
    stride: Any,
    padding: Any,
    dilation: Any,
    ceil_mode: bool,
) -> tuple[Pair, Pair, Pads, Pair, Pair, Pair]:
    """Parse and check pooling arguments: (kernel, stride, pads, dilation, out, padding).

    `pads` includes the extra bottom/right cells a ceil_mode window reaches past the input.
    """
    kernel = _ints(kernel_size, dims, "kernel_size", name)
    strides = kernel if stride is None or stride == [] else _ints(stride, dims, "stride", name)
    pad = _ints(padding, dims, "padding", name)
    dil = _ints(dilation, dims, "dilation", name)
    if min(kernel) < 1 or min(strides) < 1 or min(dil) < 1 or min(pad) < 0:
        raise InvalidArgumentError(
            f"{name}: kernel_size {kernel}, stride {strides} and dilation {dil} must be "
            f"positive, padding {pad} non-negative"
        )
    if any(2 * p > k for p, k in zip(pad, kernel, strict=True)):  # torch's rule
        raise InvalidArgumentError(
            f"{name}: padding {pad} should be at most half of kernel size {kernel}"
        )
    spans = [d * (k - 1) + 1 for k, d in zip(kernel, dil, strict=True)]
    spatial = input.shape[-dims:]
    names = ("length",) if dims == 1 else ("height", "width")
    try:
        out = tuple(
            output_size(size, k, s, p, d, ceil_mode, what=f"output {dim}")
            for size, k, s, p, d, dim in zip(spatial, kernel, strides, pad, dil, names, strict=True)
        )
    except ValueError as error:
        raise RuntimeError(f"{name} got input of shape {input.shape}: {error}") from None
    # extra cells past the bottom/right padding that a ceil_mode window reaches
    extra = [
        max(0, (o - 1) * s + span - (size + 2 * p))
        for o, s, span, size, p in zip(out, strides, spans, spatial, pad, strict=True)
    ]
    pairs = [(p, p + e) for p, e in zip(pad, extra, strict=True)]
    pads = ((0, 0), pairs[0]) if dims == 1 else (pairs[0], pairs[1])
    return (
        _pair(kernel, 1),
        _pair(strides, 1),
        pads,
        _pair(dil, 1),
        _pair(out, 1),
        _pair(pad, 0),
    )


def _max_pool(
    name: object,
    input: Tensor,
    dims: int,
    kernel_size: Any,
    stride: Any,
    padding: Any,
    dilation: Any,
    ceil_mode: bool,
    return_indices: bool,
) -> Any:
    _check_input(name, input, dims, _ALL_INTS if dims == 2 else ())
    kernel, strides, pads, dil, out, pad = _windows_for(
        name, input, dims, kernel_size, stride, padding, dilation, ceil_mode
    )
    record: list[np.ndarray] = []
    y = MaxPool.apply(
        input,
        dims=dims,
        kernel=kernel,
        stride=strides,
        pads=pads,
        dilation=dil,
        out=out,
        record=record,
    )
    if not return_indices:
        return y
    # flat index into each input plane: row * W + col of the chosen cell
    k = record[0]
    rows = np.arange(out[0])[:, None] * strides[0] - pad[0] + (k // kernel[1]) * dil[0]
    cols = np.arange(out[1]) * strides[1] - pad[1] + (k % kernel[1]) * dil[1]
    width = input.shape[-1]
    index = (rows * width + cols).astype(np.int64) if dims == 2 else cols.astype(np.int64)
    return y, Tensor(index.reshape(y.shape))


def max_pool1d(
    input: Tensor,
    kernel_size: int | Sequence[int],
    stride: int | Sequence[int] | None = None,
    padding: int | Sequence[int] = 0,
    dilation: int | Sequence[int] = 1,
    ceil_mode: bool = False,
    return_indices: bool = False,
) -> Any:
    """Max over windows of length K of (N, C, L); stride defaults to K. With
    return_indices=True also returns, per output, the position in L of the chosen input."""
    return _max_pool(
        "max_pool1d", input, 1, kernel_size, stride, padding, dilation, ceil_mode, return_indices
    )


def max_pool2d(
    input: Tensor,
    kernel_size: int | Sequence[int],
    stride: int | Sequence[int] | None = None,
    padding: int | Sequence[int] = 0,
    dilation: int | Sequence[int] = 1,
    ceil_mode: bool = False,
    return_indices: bool = False,
) -> Any:
    """Max over KH x KW windows of (N, C, H, W); stride defaults to the kernel size. With
    return_indices=True also returns the flat index row * W + col of each chosen input."""
    return _max_pool(
        "max_pool2d", input, 2, kernel_size, stride, padding, dilation, ceil_mode, return_indices
    )


def _avg_pool(
    name: object,
    input: Tensor,
    dims: int,
    kernel_size: Any,
    stride: Any,
    padding: Any,
    ceil_mode: bool,
    count_include_pad: bool,
    divisor_override: int | None,
) -> Tensor:
    _check_input(name, input, dims, ("int64",))
    kernel, strides, pads, _, out, pad = _windows_for(
        name, input, dims, kernel_size, stride, padding, 1, ceil_mode
    )
    divisor: float | np.ndarray
    has_extra = pads[0][1] != pads[0][0] or pads[1][1] != pads[1][0]
    if divisor_override is not None:
        if divisor_override == 0:
            raise ValueError(f"{name}: divisor_override must be non-zero")
        divisor = float(divisor_override)
    elif count_include_pad and not has_extra:
        divisor = float(kernel[0] * kernel[1])
    else:  # count, under each window, the cells that count: input (+ padding) only
        h, w = (1, input.shape[-1]) if dims == 1 else input.shape[-2:]
        counted = np.zeros((h + sum(pads[0]), w + sum(pads[1])), dtype=input.dtype)
        if count_include_pad:
            counted[: h + 2 * pad[0], : w + 2 * pad[1]] = 1
        else:
            counted[pad[0] : pad[0] + h, pad[1] : pad[1] + w] = 1
        divisor = sliding_windows(counted, kernel, strides, (1, 1), out).sum(axis=(0, 1))
    return AvgPool.apply(
        input, dims=dims, kernel=kernel, stride=strides, pads=pads, out=out, divisor=divisor
    )


def avg_pool1d(
    input: Tensor,
    kernel_size: int | Sequence[int],
    stride: int | Sequence[int] | None = None,
    padding: int | Sequence[int] = 0,
    ceil_mode: bool = False,
    count_include_pad: bool = True,
) -> Tensor:
    """Mean over windows of length K of (N, C, L); stride defaults to K."""
    return _avg_pool(
        "avg_pool1d", input, 1, kernel_size, stride, padding, ceil_mode, count_include_pad, None
    )


def avg_pool2d(
    input: Tensor,
    kernel_size: int | Sequence[int],
    stride: int | Sequence[int] | None = None,
    padding: int | Sequence[int] = 0,
    ceil_mode: bool = False,
    count_include_pad: bool = True,
    divisor_override: int | None = None,
) -> Tensor:
    """Mean over KH x KW windows of (N, C, H, W); stride defaults to the kernel size.
    Zero padding counts in the divisor unless count_include_pad=False."""
    return _avg_pool(
        "avg_pool2d",
        input,
        2,
        kernel_size,
        stride,
        padding,
        ceil_mode,
        count_include_pad,
        divisor_override,
    )


def adaptive_avg_pool2d(input: Tensor, output_size: int | Sequence[int | None]) -> Tensor:
    """Average (N, C, H, W) into a fixed (OH, OW) grid whatever H and W are (None keeps
    that size); (1, 1) is global average pooling."""
    _check_input("adaptive_avg_pool2d", input, 2)
    sizes = (output_size, output_size) if isinstance(output_size, int) else tuple(output_size)
    if len(sizes) != 2:
        raise ValueError(f"adaptive_avg_pool2d: output_size must be 1 or 2 ints, got {sizes}")
    out = tuple(input.shape[-2 + i] if s is None else int(s) for i, s in enumerate(sizes))
    if min(out) < 0 or min(input.shape[-2:]) < 1:  # an output size of 0: an empty output
        raise RuntimeError(
            f"adaptive_avg_pool2d: output_size {out} must be non-negative and the input's "
            f"spatial size {input.shape[-2:]} (input of shape {input.shape}) positive"
        )
    return AdaptiveAvgPool.apply(input, out=(out[0], out[1]))


__all__ = [
    "AdaptiveAvgPool",
    "AvgPool",
    "MaxPool",
    "adaptive_avg_pool2d",
    "avg_pool1d",
    "avg_pool2d",
    "max_pool1d",
    "max_pool2d",
]

"""Convolution as im2col + one matrix product (Chellapilla et al., 2006).

A convolution layer (a cross-correlation, like every deep-learning library's) computes

    y[n, o, p, q] = b[o] + sum_{c, i, j} W[o, c, i, j] * x_pad[n, c, p*S + i*D, q*S + j*D]

im2col (`groundup.ops.im2col`) gathers, for every output position (p, q), the C*KH*KW input
values the kernel covers into one column; the sum over (c, i, j) is then a single matrix
product of the weights, reshaped to (O, C*KH*KW), with those columns. Backward, with cols
the column matrix and dY the output gradient:

    dW    = dY @ cols^T            summed over the batch
    dcols = W^T @ dY               the gradient of every column entry
    dx    = col2im(dcols)          each entry added back to the pixel it came from

With groups g the channels split into g independent convolutions: one batched GEMM over
(sample, group). At stride 1, col2im works on rows as wide as the padded image
(`add_windows_stride1`), so each kernel offset is one long contiguous addition. 1-D
convolutions run as 2-D ones of height 1. The transposed convolution, which runs the same
pair the other way round, is in `groundup.ops.conv_transpose`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from groundup.errors import InputDtypeError, InvalidArgumentError
from groundup.function import Function
from groundup.inspect.shapes import output_size, same_padding
from groundup.ops.im2col import (
    Pads,
    Pair,
    add_windows,
    add_windows_stride1,
    crop2d,
    num_windows,
    pad2d,
    sliding_windows,
)
from groundup.ops.shape import squeeze, unsqueeze
from groundup.tensor import Tensor


def _as4d(a: np.ndarray) -> np.ndarray:
    """(N, C, L) -> (N, C, 1, L): a 1-D convolution is a 2-D one of height 1."""
    return a[:, :, None, :] if a.ndim == 3 else a


class Conv(Function):
    """Convolution of x (N, C, [H,] W) with weight (O, C/groups, [KH,] KW) and bias (O,)."""

    def forward(
        self,
        x: np.ndarray,
        weight: np.ndarray,
        bias: np.ndarray | None,
        *,
        stride: Pair,
        pads: Pads,
        dilation: Pair,
        groups: int,
    ) -> np.ndarray:
        self.x_shape, self.w_shape = x.shape, weight.shape
        x4, w4 = _as4d(x), _as4d(weight)
        n, c, _, _ = x4.shape
        o, cg, kh, kw = w4.shape
        xp = pad2d(x4, pads)  # (N, C, Hp, Wp)
        out = (
            num_windows(xp.shape[2], kh, stride[0], dilation[0]),
            num_windows(xp.shape[3], kw, stride[1], dilation[1]),
        )
        windows = sliding_windows(xp, (kh, kw), stride, dilation, out)  # (N, C, KH, KW, OH, OW)
        # im2col: the one copy. Channels are outermost in a column, so groups split it freely.
        self.cols = windows.reshape(n, groups, cg * kh * kw, out[0] * out[1])  # (N, g, CKK/g, L)
        self.w2 = w4.reshape(groups, o // groups, cg * kh * kw)  # (g, O/g, CKK/g)
        y = np.matmul(self.w2, self.cols)  # (N, g, O/g, L): one GEMM per sample and group
        y = y.reshape(n, o, *out)  # (N, O, OH, OW), already contiguous
        if bias is not None:
            y += bias.reshape(1, o, 1, 1)
        self.xp_shape, self.out, self.kernel = xp.shape, out, (kh, kw)
        self.stride, self.pads, self.dilation = stride, pads, dilation
        return y.reshape(n, o, out[0] * out[1]) if x.ndim == 3 else y  # (N, O, L) for 1-D

    def backward(self, grad: np.ndarray) -> tuple[Any, Any, Any]:
        n, c = self.xp_shape[:2]
        g, og, _ = self.w2.shape
        length = self.out[0] * self.out[1]
        gy = grad.reshape(n, g, og, length)  # (N, g, O/g, L)
        dx = dw = db = None
        if self.parents[0] is not None:
            dxp = self._col2im(gy)  # (N, C, Hp, Wp)
            dx = crop2d(dxp, self.pads).reshape(self.x_shape)
        if self.parents[1] is not None:
            # sum over n of dY_n (O/g, L) @ cols_n^T (L, CKK/g); BLAS reads cols transposed
            dw = np.matmul(gy, self.cols.transpose(0, 1, 3, 2)).sum(axis=0)  # (g, O/g, CKK/g)
            dw = dw.reshape(self.w_shape)
        if len(self.parents) > 2 and self.parents[2] is not None:
            db = gy.sum(axis=(0, 3)).reshape(-1)  # (O,)
        return dx, dw, db

    def _col2im(self, gy: np.ndarray) -> np.ndarray:
        """dx of the padded input: dcols = W^T @ dY, then each entry back to its pixel."""
        n, c, hp, wp = self.xp_shape
        w_t = self.w2.transpose(0, 2, 1)  # (g, CKK/g, O/g)
        if self.stride == (1, 1):  # give dY rows of width Wp: col2im becomes long runs
            oh, ow = self.out
            wide = np.zeros((*gy.shape[:3], oh, wp), dtype=gy.dtype)  # (N, g, O/g, OH, Wp)
            wide[..., :ow] = gy.reshape(*gy.shape[:3], oh, ow)
            dcols = np.matmul(w_t, wide.reshape(*gy.shape[:3], oh * wp))  # (N, g, CKK/g, OH*Wp)
            dwin = dcols.reshape(n, c, *self.kernel, oh * wp)  # (N, C, KH, KW, OH*Wp)
            return add_windows_stride1(self.xp_shape, dwin, self.dilation)
        dcols = np.matmul(w_t, gy)  # (N, g, CKK/g, L)
        dwin = dcols.reshape(n, c, *self.kernel, *self.out)  # (N, C, KH, KW, OH, OW)
        dxp = np.zeros(self.xp_shape, dtype=gy.dtype)
        return add_windows(dxp, dwin, self.stride, self.dilation)


# ------------------------------------------------------------ checked wrappers
_DIM_NAMES = {1: ("length",), 2: ("height", "width")}


def _ints(value: Any, dims: int, what: str, name: object) -> tuple[int, ...]:
    """An int repeated `dims` times, or a sequence of `dims` ints."""
    if isinstance(value, (int, np.integer)):
        return (int(value),) * dims
    values = tuple(int(v) for v in value)
    if len(values) == 1:
        values *= dims
    if len(values) != dims:
        raise ValueError(f"{name}: {what} must be an int or {dims} ints, got {value!r}")
    return values


def _as_pair(values: tuple[int, ...], fill: int) -> Pair:
    """A 1-D setting (v,) becomes (fill, v): the height-1 axis of the 2-D implementation."""
    return (values[0], values[1]) if len(values) == 2 else (fill, values[0])


def _check_common(
    name: object, input: Tensor, weight: Tensor, bias: Tensor | None, dims: int, groups: int
) -> None:
    layout = "(N, C, L)" if dims == 1 else "(N, C, H, W)"
    if input.ndim not in (dims + 1, dims + 2):
        raise RuntimeError(
            f"{name}: expected a {dims + 1}-D (unbatched) or {dims + 2}-D (batched) input of "
            f"shape {layout}, got input of shape {input.shape}"
        )
    if weight.ndim != dims + 2:
        raise RuntimeError(
            f"{name}: expected a {dims + 2}-D weight, got weight of shape {weight.shape}"
        )
    if not isinstance(groups, (int, np.integer)) or groups < 1:
        raise ValueError(f"{name}: groups must be a positive integer, got {groups!r}")
    if input.dtype != weight.dtype or input.dtype.kind != "f":
        raise InputDtypeError(
            f"{name}: input dtype {input.dtype} and weight dtype {weight.dtype} must be the same "
            f"floating type; cast the input (x.to({weight.dtype})) or the model (.to(dtype))"
        )
    if bias is not None and (bias.ndim != 1 or bias.dtype != weight.dtype):
        raise RuntimeError(
            f"{name}: bias must be 1-D of dtype {weight.dtype}, got shape {bias.shape} "
            f"and dtype {bias.dtype}"
        )


def _out_sizes(
    name: object,
    shape: tuple[int, ...],
    spatial: tuple[int, ...],
    kernel: tuple[int, ...],
    stride: tuple[int, ...],
    pads: list[Pair],
    dilation: tuple[int, ...],
) -> None:
    """Raise RuntimeError naming the layer and the arithmetic when a window does not fit."""
    for size, k, s, p, d, dim in zip(
        spatial, kernel, stride, pads, dilation, _DIM_NAMES[len(spatial)], strict=True
    ):
        try:
            output_size(size, k, s, p, d, what=f"output {dim}")
        except ValueError as error:
            raise RuntimeError(f"{name} got input of shape {shape}: {error}") from None


def _conv(
    name: object,
    input: Tensor,
    weight: Tensor,
    bias: Tensor | None,
    stride: Any,
    padding: Any,
    dilation: Any,
    groups: int,
    dims: int,
) -> Tensor:
    _check_common(name, input, weight, bias, dims, groups)
    batched = input.ndim == dims + 2
    c, o = input.shape[1 if batched else 0], weight.shape[0]
    if o % groups:
        raise RuntimeError(
            f"{name}: out_channels = {o} (weight of shape {weight.shape}) must be divisible "
            f"by groups = {groups}"
        )
    if c != weight.shape[1] * groups:
        raise RuntimeError(
            f"{name} got input of shape {input.shape}: expected {weight.shape[1] * groups} "
            f"input channels in dim {1 if batched else 0} (weight of shape {weight.shape} "
            f"has {weight.shape[1]} per group x groups {groups}), got {c} channels"
        )
    if bias is not None and bias.shape != (o,):
        raise RuntimeError(f"{name}: bias of shape {bias.shape} must be ({o},), one per filter")
    kernel = weight.shape[2:]
    strides = _ints(stride, dims, "stride", name)
    dilations = _ints(dilation, dims, "dilation", name)
    if isinstance(padding, str):
        if padding == "valid":
            pads = [(0, 0)] * dims
        elif padding == "same":
            if any(s != 1 for s in strides):
                raise ValueError(
                    f"{name}: padding='same' is not supported for strided convolutions"
                )
            pads = [same_padding(k, d) for k, d in zip(kernel, dilations, strict=True)]
        else:
            raise ValueError(f"{name}: invalid padding string {padding!r}; use 'same' or 'valid'")
    else:
        pads = [(p, p) for p in _ints(padding, dims, "padding", name)]
    if min(strides) < 1 or min(dilations) < 1 or min(p for pair in pads for p in pair) < 0:
        raise InvalidArgumentError(
            f"{name}: stride {strides} and dilation {dilations} must be positive and padding "
            f"{padding} non-negative"
        )
    _out_sizes(name, input.shape, input.shape[-dims:], kernel, strides, pads, dilations)
    x = input if batched else unsqueeze(input, 0)
    y = Conv.apply(
        x,
        weight,
        bias,
        stride=_as_pair(strides, 1),
        pads=((0, 0), pads[0]) if dims == 1 else (pads[0], pads[1]),
        dilation=_as_pair(dilations, 1),
        groups=int(groups),
    )
    return y if batched else squeeze(y, 0)


def conv1d(
    input: Tensor,
    weight: Tensor,
    bias: Tensor | None = None,
    stride: int | Sequence[int] = 1,
    padding: int | Sequence[int] | str = 0,
    dilation: int | Sequence[int] = 1,
    groups: int = 1,
) -> Tensor:
    """1-D convolution: input (N, C_in, L), weight (C_out, C_in/groups, K) -> (N, C_out, L_out)."""
    return _conv("conv1d", input, weight, bias, stride, padding, dilation, groups, dims=1)


def conv2d(
    input: Tensor,
    weight: Tensor,
    bias: Tensor | None = None,
    stride: int | Sequence[int] = 1,
    padding: int | Sequence[int] | str = 0,
    dilation: int | Sequence[int] = 1,
    groups: int = 1,
) -> Tensor:
    """2-D convolution: input (N, C_in, H, W), weight (C_out, C_in/groups, KH, KW) ->
    (N, C_out, OH, OW), OH = floor((H + 2P - D(KH - 1) - 1) / S) + 1 (same for OW)."""
    return _conv("conv2d", input, weight, bias, stride, padding, dilation, groups, dims=2)


__all__ = ["Conv", "conv1d", "conv2d"]

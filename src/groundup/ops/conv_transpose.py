"""Transposed convolution: the input-gradient of a convolution, used to upsample.

Where a convolution gathers a window of inputs into one output, a transposed convolution
scatters each input, times the kernel, into a window of the output (overlaps add):

    y = col2im(W^T @ x)       forward: the col2im half of a convolution's backward
    dx = W @ im2col(dy)       backward: a plain convolution of the output gradient

so the output size inverts the convolution formula, (H - 1) S - 2P + D(K - 1) +
output_padding + 1; output_padding picks among the sizes that a strided convolution maps
to the same H. 1-D runs as 2-D of height 1, as in `groundup.ops.conv`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from groundup.errors import InvalidArgumentError
from groundup.function import Function
from groundup.inspect.shapes import conv_transpose_output_shape
from groundup.ops.conv import _as4d, _as_pair, _check_common, _ints
from groundup.ops.im2col import Pads, Pair, add_windows, crop2d, sliding_windows
from groundup.ops.shape import squeeze, unsqueeze
from groundup.tensor import Tensor


class ConvTranspose(Function):
    """Transposed convolution of x (N, C_in, [H,] W) with weight (C_in, C_out/groups,
    [KH,] KW): the input-gradient of `Conv`, so forward is col2im and backward im2col."""

    def forward(
        self,
        x: np.ndarray,
        weight: np.ndarray,
        bias: np.ndarray | None,
        *,
        stride: Pair,
        pads: Pads,
        output_padding: Pair,
        dilation: Pair,
        groups: int,
    ) -> np.ndarray:
        self.x_shape, self.w_shape = x.shape, weight.shape
        x4, w4 = _as4d(x), _as4d(weight)
        n, cin, h, w = x4.shape
        _, cog, kh, kw = w4.shape
        cout = cog * groups
        self.x2 = x4.reshape(n, groups, cin // groups, h * w)  # (N, g, Cin/g, H*W)
        self.w2 = w4.reshape(groups, cin // groups, cog * kh * kw)  # (g, Cin/g, Cout/g*KK)
        cols = np.matmul(self.w2.transpose(0, 2, 1), self.x2)  # (N, g, Cout/g*KK, H*W)
        # the padded output: (H - 1) S + D (K - 1) + 1 rows reached, + output_padding
        full = tuple(
            (size - 1) * s + d * (k - 1) + 1 + op
            for size, s, d, k, op in zip(
                (h, w), stride, dilation, (kh, kw), output_padding, strict=True
            )
        )
        yp = np.zeros((n, cout, *full), dtype=x.dtype)  # (N, Cout, Hfull, Wfull)
        add_windows(yp, cols.reshape(n, cout, kh, kw, h, w), stride, dilation)  # col2im
        y = np.ascontiguousarray(crop2d(yp, pads))  # (N, Cout, OH, OW)
        if bias is not None:
            y += bias.reshape(1, cout, 1, 1)
        self.full, self.kernel, self.in_hw = full, (kh, kw), (h, w)
        self.stride, self.pads, self.dilation = stride, pads, dilation
        return y.reshape(n, cout, y.shape[2] * y.shape[3]) if x.ndim == 3 else y

    def backward(self, grad: np.ndarray) -> tuple[Any, Any, Any]:
        n, g, cin_g, hw = self.x2.shape
        g4 = _as4d(grad)  # (N, Cout, OH, OW)
        cout = g4.shape[1]
        gp = np.zeros((n, cout, *self.full), dtype=grad.dtype)  # back to the padded size
        (top, bottom), (left, right) = self.pads
        gp[..., top : self.full[0] - bottom, left : self.full[1] - right] = g4
        windows = sliding_windows(gp, self.kernel, self.stride, self.dilation, self.in_hw)
        kk = self.kernel[0] * self.kernel[1]
        gcols = windows.reshape(n, g, cout // g * kk, hw)  # im2col: (N, g, Cout/g*KK, H*W)
        dx = dw = db = None
        if self.parents[0] is not None:
            dx = np.matmul(self.w2, gcols).reshape(self.x_shape)  # (N, g, Cin/g, H*W)
        if self.parents[1] is not None:
            dw = np.matmul(self.x2, gcols.transpose(0, 1, 3, 2)).sum(axis=0)
            dw = dw.reshape(self.w_shape)  # (g, Cin/g, Cout/g*KK) -> (Cin, Cout/g, KH, KW)
        if len(self.parents) > 2 and self.parents[2] is not None:
            db = g4.sum(axis=(0, 2, 3))
        return dx, dw, db


def _conv_transpose(
    name: object,
    input: Tensor,
    weight: Tensor,
    bias: Tensor | None,
    stride: Any,
    padding: Any,
    output_padding: Any,
    groups: int,
    dilation: Any,
    dims: int,
) -> Tensor:
    _check_common(name, input, weight, bias, dims, groups)
    batched = input.ndim == dims + 2
    c = input.shape[1 if batched else 0]
    if weight.shape[0] % groups:
        raise RuntimeError(
            f"{name}: in_channels = {weight.shape[0]} (weight of shape {weight.shape}) must be "
            f"divisible by groups = {groups}"
        )
    if c != weight.shape[0]:
        raise RuntimeError(
            f"{name} got input of shape {input.shape}: expected {weight.shape[0]} input "
            f"channels in dim {1 if batched else 0} (dim 0 of weight {weight.shape}), got {c}"
        )
    cout = weight.shape[1] * groups
    if bias is not None and bias.shape != (cout,):
        raise RuntimeError(f"{name}: bias of shape {bias.shape} must be ({cout},)")
    strides = _ints(stride, dims, "stride", name)
    pads = _ints(padding, dims, "padding", name)
    extra = _ints(output_padding, dims, "output_padding", name)
    dilations = _ints(dilation, dims, "dilation", name)
    if min(strides) < 1 or min(dilations) < 1 or min(pads) < 0:
        raise InvalidArgumentError(
            f"{name}: stride {strides} and dilation {dilations} must be positive and padding "
            f"{pads} non-negative"
        )
    for op, s, d in zip(extra, strides, dilations, strict=True):
        if not 0 <= op < max(s, d):
            raise ValueError(
                f"{name}: output_padding {extra} must be smaller than either stride {strides} "
                f"or dilation {dilations}"
            )
    try:
        conv_transpose_output_shape(
            tuple(input.shape[-dims:]), weight.shape[2:], strides, pads, extra, dilations
        )
    except ValueError as error:
        raise RuntimeError(f"{name} got input of shape {input.shape}: {error}") from None
    x = input if batched else unsqueeze(input, 0)
    y = ConvTranspose.apply(
        x,
        weight,
        bias,
        stride=_as_pair(strides, 1),
        pads=((0, 0), (pads[0],) * 2) if dims == 1 else ((pads[0],) * 2, (pads[1],) * 2),
        output_padding=_as_pair(extra, 0),
        dilation=_as_pair(dilations, 1),
        groups=int(groups),
    )
    return y if batched else squeeze(y, 0)


def conv_transpose1d(
    input: Tensor,
    weight: Tensor,
    bias: Tensor | None = None,
    stride: int | Sequence[int] = 1,
    padding: int | Sequence[int] = 0,
    output_padding: int | Sequence[int] = 0,
    groups: int = 1,
    dilation: int | Sequence[int] = 1,
) -> Tensor:
    """Transposed 1-D convolution: input (N, C_in, L), weight (C_in, C_out/groups, K) ->
    (N, C_out, (L - 1) S - 2P + D(K - 1) + output_padding + 1)."""
    return _conv_transpose(
        "conv_transpose1d",
        input,
        weight,
        bias,
        stride,
        padding,
        output_padding,
        groups,
        dilation,
        dims=1,
    )


def conv_transpose2d(
    input: Tensor,
    weight: Tensor,
    bias: Tensor | None = None,
    stride: int | Sequence[int] = 1,
    padding: int | Sequence[int] = 0,
    output_padding: int | Sequence[int] = 0,
    groups: int = 1,
    dilation: int | Sequence[int] = 1,
) -> Tensor:
    """Transposed 2-D convolution (the gradient of conv2d with respect to its input):
    input (N, C_in, H, W), weight (C_in, C_out/groups, KH, KW) -> (N, C_out, OH, OW) with
    OH = (H - 1) S - 2P + D(KH - 1) + output_padding + 1."""
    return _conv_transpose(
        "conv_transpose2d",
        input,
        weight,
        bias,
        stride,
        padding,
        output_padding,
        groups,
        dilation,
        dims=2,
    )


__all__ = ["ConvTranspose", "conv_transpose1d", "conv_transpose2d"]

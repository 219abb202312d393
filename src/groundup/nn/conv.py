"""Convolution layers: Conv1d, Conv2d, ConvTranspose1d, ConvTranspose2d.

Weights use torch's layout, so state dicts move both ways:

    Conv:          weight (out_channels, in_channels / groups, *kernel_size), bias (out_channels,)
    ConvTranspose: weight (in_channels, out_channels / groups, *kernel_size), bias (out_channels,)

A filter spans all input channels of its group and produces one feature map, so a layer
has (in_channels / groups * prod(kernel_size) + 1) * out_channels parameters, whatever the
image size. Default initialization is torch's: weight ~ kaiming_uniform(a=sqrt(5)), that is
U(-1/sqrt(fan_in), 1/sqrt(fan_in)) with fan_in = weight.shape[1] * prod(kernel_size), and
bias ~ U(-1/sqrt(fan_in), 1/sqrt(fan_in)).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from groundup.errors import check_sizes
from groundup.nn import init
from groundup.nn.module import Module, Parameter, factory_dtype
from groundup.ops.conv import _conv
from groundup.ops.conv_transpose import _conv_transpose
from groundup.tensor import Tensor

PADDING_MODES = ("zeros", "reflect", "replicate", "circular")


def _tuple(value: int | Sequence[int], dims: int, what: str, layer: str) -> tuple[int, ...]:
    if isinstance(value, (int, np.integer)):
        return (int(value),) * dims
    values = tuple(int(v) for v in value)
    if len(values) != dims:
        raise ValueError(f"{layer}: {what} must be an int or {dims} ints, got {value!r}")
    return values


class _ConvNd(Module):
    """Shared constructor, initialization and repr of the convolution layers."""

    _dims = 2
    _transposed = False
    weight: Parameter
    bias: Parameter | None

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: int | Sequence[int],
        stride: int | Sequence[int],
        padding: int | Sequence[int] | str,
        dilation: int | Sequence[int],
        output_padding: int | Sequence[int],
        groups: int,
        bias: bool,
        padding_mode: str,
        device: Any,
        dtype: Any,
    ):
        super().__init__()
        layer, dims = type(self).__name__, self._dims
        if groups <= 0:
            raise ValueError(f"{layer}: groups must be a positive integer, got {groups}")
        for what, channels in (("in_channels", in_channels), ("out_channels", out_channels)):
            if channels % groups:
                raise ValueError(
                    f"{layer}: {what} = {channels} must be divisible by groups = {groups} "
                    f"({channels} / {groups} = {channels / groups:g})"
                )
        if padding_mode not in PADDING_MODES:
            raise ValueError(
                f"{layer}: padding_mode must be one of {PADDING_MODES}, got {padding_mode!r}"
            )
        if padding_mode != "zeros":
            raise NotImplementedError(
                f"{layer}: padding_mode={padding_mode!r} is not implemented; groundup pads "
                "with zeros (padding_mode='zeros')"
            )
        self.in_channels, self.out_channels = in_channels, out_channels
        self.kernel_size = _tuple(kernel_size, dims, "kernel_size", layer)
        check_sizes(
            layer, in_channels=in_channels, out_channels=out_channels, kernel_size=self.kernel_size
        )
        self.stride = _tuple(stride, dims, "stride", layer)
        self.dilation = _tuple(dilation, dims, "dilation", layer)
        self.output_padding = _tuple(output_padding, dims, "output_padding", layer)
        if isinstance(padding, str):
            if padding not in ("same", "valid"):
                raise ValueError(
                    f"{layer}: invalid padding string {padding!r}, should be 'same' or 'valid'"
                )
            if padding == "same" and any(s != 1 for s in self.stride):
                raise ValueError(
                    f"{layer}: padding='same' is not supported for strided convolutions "
                    f"(stride {self.stride})"
                )
            self.padding: tuple[int, ...] | str = padding
        else:
            self.padding = _tuple(padding, dims, "padding", layer)
        self.transposed, self.groups, self.padding_mode = self._transposed, groups, padding_mode
        dtype = factory_dtype(device, dtype)
        if self._transposed:  # (in, out / groups, *kernel)
            shape = (in_channels, out_channels // groups, *self.kernel_size)
        else:  # (out, in / groups, *kernel)
            shape = (out_channels, in_channels // groups, *self.kernel_size)
        self.weight = Parameter(np.empty(shape, dtype=dtype))
        if bias:
            self.bias = Parameter(np.empty(out_channels, dtype=dtype))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            fan_in, _ = init._calculate_fan_in_and_fan_out(self.weight)
            if fan_in != 0:
                bound = 1 / math.sqrt(fan_in)
                init.uniform_(self.bias, -bound, bound)

    def extra_repr(self) -> str:
        dims = self._dims
        s = (
            f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
            f"stride={self.stride}"
        )
        if self.padding != (0,) * dims:
            s += f", padding={self.padding}"
        if self.dilation != (1,) * dims:
            s += f", dilation={self.dilation}"
        if self.output_padding != (0,) * dims:
            s += f", output_padding={self.output_padding}"
        if self.groups != 1:
            s += f", groups={self.groups}"
        if self.bias is None:
            s += ", bias=False"
        return s


class _ConvForwardNd(_ConvNd):
    """torch's Conv constructor signature and the forward pass of Conv1d and Conv2d; each
    subclass sets only `_dims`."""

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: int | Sequence[int],
        stride: int | Sequence[int] = 1,
        padding: int | Sequence[int] | str = 0,
        dilation: int | Sequence[int] = 1,
        groups: int = 1,
        bias: bool = True,
        padding_mode: str = "zeros",
        device: Any = None,
        dtype: Any = None,
    ):
        super().__init__(
            in_channels,
            out_channels,
            kernel_size,
            stride,
            padding,
            dilation,
            0,
            groups,
            bias,
            padding_mode,
            device,
            dtype,
        )

    def forward(self, input: Tensor) -> Tensor:
        return _conv(
            self,
            input,
            self.weight,
            self.bias,
            self.stride,
            self.padding,
            self.dilation,
            self.groups,
            dims=self._dims,
        )


class Conv1d(_ConvForwardNd):
    """1-D convolution over (N, C_in, L) -> (N, C_out, L_out), e.g. a signal or a sentence
    of embeddings (channels = embedding size). L_out = floor((L + 2P - D(K - 1) - 1) / S) + 1."""

    _dims = 1


class Conv2d(_ConvForwardNd):
    """2-D convolution over images (N, C_in, H, W) -> (N, C_out, OH, OW) with
    OH = floor((H + 2P - D(KH - 1) - 1) / S) + 1; im2col + one GEMM (`groundup.ops.conv`)."""

    _dims = 2


class _ConvTransposeNd(_ConvNd):
    _transposed = True

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: int | Sequence[int],
        stride: int | Sequence[int] = 1,
        padding: int | Sequence[int] = 0,
        output_padding: int | Sequence[int] = 0,
        groups: int = 1,
        bias: bool = True,
        dilation: int | Sequence[int] = 1,
        padding_mode: str = "zeros",
        device: Any = None,
        dtype: Any = None,
    ):
        if isinstance(padding, str):
            raise ValueError(f"{type(self).__name__}: padding must be ints, got {padding!r}")
        super().__init__(
            in_channels,
            out_channels,
            kernel_size,
            stride,
            padding,
            dilation,
            output_padding,
            groups,
            bias,
            padding_mode,
            device,
            dtype,
        )
        for op, s, d in zip(self.output_padding, self.stride, self.dilation, strict=True):
            if op >= max(s, d):
                raise ValueError(
                    f"{type(self).__name__}: output_padding {self.output_padding} must be "
                    f"smaller than either stride {self.stride} or dilation {self.dilation}"
                )

    def forward(self, input: Tensor, output_size: Sequence[int] | None = None) -> Tensor:
        """`output_size` picks the output's spatial size among those the stride allows
        (torch's: it sets output_padding for this call)."""
        extra = self.output_padding
        if output_size is not None:
            extra = self._output_padding(input, output_size)
        return _conv_transpose(
            self,
            input,
            self.weight,
            self.bias,
            self.stride,
            self.padding,
            extra,
            self.groups,
            self.dilation,
            dims=self._dims,
        )

    def _output_padding(self, input: Tensor, output_size: Sequence[int]) -> tuple[int, ...]:
        """The output_padding that makes the spatial size `output_size` (the last dims of
        it), or torch's ValueError naming the sizes the stride allows."""
        layer, dims = type(self).__name__, self._dims
        sizes = [int(s) for s in output_size]
        if len(sizes) not in (dims, dims + 2):
            raise ValueError(
                f"{layer}: output_size must have {dims} or {dims + 2} elements (got {len(sizes)})"
            )
        sizes = sizes[-dims:]
        padding = self.padding if isinstance(self.padding, tuple) else (0,) * dims
        smallest = [
            (n - 1) * s - 2 * p + d * (k - 1) + 1
            for n, s, p, d, k in zip(
                input.shape[-dims:],
                self.stride,
                padding,
                self.dilation,
                self.kernel_size,
                strict=True,
            )
        ]
        largest = [m + s - 1 for m, s in zip(smallest, self.stride, strict=True)]
        if not all(lo <= n <= hi for n, lo, hi in zip(sizes, smallest, largest, strict=True)):
            raise ValueError(
                f"{layer}: requested an output size of {sizes}, but valid sizes range from "
                f"{smallest} to {largest} (for an input of shape {input.shape})"
            )
        return tuple(n - lo for n, lo in zip(sizes, smallest, strict=True))


class ConvTranspose1d(_ConvTransposeNd):
    """Transposed 1-D convolution (N, C_in, L) -> (N, C_out, (L - 1) S - 2P + D(K - 1) +
    output_padding + 1): the input-gradient of Conv1d, used to upsample."""

    _dims = 1


class ConvTranspose2d(_ConvTransposeNd):
    """Transposed 2-D convolution (N, C_in, H, W) -> (N, C_out, OH, OW) with
    OH = (H - 1) S - 2P + D(KH - 1) + output_padding + 1: each input pixel stamps the
    kernel, scaled by its value, onto the output (overlaps add). With stride 2 it doubles
    the size (kernel 4, padding 1; or kernel 3, padding 1, output_padding 1)."""

    _dims = 2


__all__ = ["Conv1d", "Conv2d", "ConvTranspose1d", "ConvTranspose2d"]

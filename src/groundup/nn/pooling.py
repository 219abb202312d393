"""Pooling layers: MaxPool1d/2d, AvgPool1d/2d, AdaptiveAvgPool1d/2d, AdaptiveMaxPool1d/2d.

None has parameters (`list(layer.parameters()) == []`), and each works on every channel
separately, so the channel count never changes; only the spatial size shrinks, by the
convolution formula with stride = kernel_size by default (a 2 x 2 pool halves H and W,
dropping an odd last row or column unless ceil_mode=True).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from groundup.nn.module import Module
from groundup.ops.pool import _avg_pool, _max_pool, adaptive_avg_pool2d
from groundup.ops.pool_extra import adaptive_avg_pool1d, adaptive_max_pool1d, adaptive_max_pool2d
from groundup.tensor import Tensor

IntOrSeq = int | Sequence[int]


def _single(value: IntOrSeq) -> tuple[int, ...]:
    """torch's AvgPool1d stores its settings as 1-tuples: 2 -> (2,)."""
    return (value,) if isinstance(value, int) else tuple(value)


class _MaxPoolNd(Module):
    _dims = 2

    def __init__(
        self,
        kernel_size: IntOrSeq,
        stride: IntOrSeq | None = None,
        padding: IntOrSeq = 0,
        dilation: IntOrSeq = 1,
        return_indices: bool = False,
        ceil_mode: bool = False,
    ):
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = stride if stride is not None else kernel_size
        self.padding, self.dilation = padding, dilation
        self.return_indices, self.ceil_mode = return_indices, ceil_mode

    def forward(self, input: Tensor) -> Any:
        return _max_pool(
            self,
            input,
            self._dims,
            self.kernel_size,
            self.stride,
            self.padding,
            self.dilation,
            self.ceil_mode,
            self.return_indices,
        )

    def extra_repr(self) -> str:
        return (
            f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}, "
            f"dilation={self.dilation}, ceil_mode={self.ceil_mode}"
        )


class MaxPool1d(_MaxPoolNd):
    """Max over windows of length kernel_size of (N, C, L) -> (N, C, L_out)."""

    _dims = 1


class MaxPool2d(_MaxPoolNd):
    """Max over kernel_size windows of (N, C, H, W) -> (N, C, OH, OW). The gradient goes
    only to the (first) maximum of each window; with return_indices=True the forward also
    returns where that maximum was, as flat indices row * W + col."""

    _dims = 2


class AvgPool1d(Module):
    """Mean over windows of length kernel_size of (N, C, L) -> (N, C, L_out). Zero padding
    counts in the mean unless count_include_pad=False."""

    def __init__(
        self,
        kernel_size: IntOrSeq,
        stride: IntOrSeq | None = None,
        padding: IntOrSeq = 0,
        ceil_mode: bool = False,
        count_include_pad: bool = True,
    ):
        super().__init__()
        self.kernel_size = _single(kernel_size)
        self.stride = _single(stride if stride is not None else kernel_size)
        self.padding = _single(padding)
        self.ceil_mode, self.count_include_pad = ceil_mode, count_include_pad

    def forward(self, input: Tensor) -> Tensor:
        return _avg_pool(
            self,
            input,
            1,
            self.kernel_size,
            self.stride,
            self.padding,
            self.ceil_mode,
            self.count_include_pad,
            None,
        )

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class AvgPool2d(Module):
    """Mean over kernel_size windows of (N, C, H, W) -> (N, C, OH, OW); the gradient is
    spread evenly, dy / divisor to every cell of the window."""

    def __init__(
        self,
        kernel_size: IntOrSeq,
        stride: IntOrSeq | None = None,
        padding: IntOrSeq = 0,
        ceil_mode: bool = False,
        count_include_pad: bool = True,
        divisor_override: int | None = None,
    ):
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = stride if stride is not None else kernel_size
        self.padding, self.ceil_mode = padding, ceil_mode
        self.count_include_pad, self.divisor_override = count_include_pad, divisor_override

    def forward(self, input: Tensor) -> Tensor:
        return _avg_pool(
            self,
            input,
            2,
            self.kernel_size,
            self.stride,
            self.padding,
            self.ceil_mode,
            self.count_include_pad,
            self.divisor_override,
        )

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class AdaptiveAvgPool2d(Module):
    """Average (N, C, H, W) into a fixed output_size grid for any H, W; output_size=1 is
    global average pooling, the usual bridge from feature maps to a classifier."""

    def __init__(self, output_size: int | Sequence[int | None]):
        super().__init__()
        self.output_size = output_size

    def forward(self, input: Tensor) -> Tensor:
        return adaptive_avg_pool2d(input, self.output_size)

    def extra_repr(self) -> str:
        return f"output_size={self.output_size}"


class AdaptiveAvgPool1d(Module):
    """Average (N, C, L) into output_size bins along L, whatever L is."""

    def __init__(self, output_size: int | Sequence[int]):
        super().__init__()
        self.output_size = output_size

    def forward(self, input: Tensor) -> Tensor:
        return adaptive_avg_pool1d(input, self.output_size)

    def extra_repr(self) -> str:
        return f"output_size={self.output_size}"


class _AdaptiveMaxPoolNd(Module):
    def __init__(self, output_size: Any, return_indices: bool = False):
        super().__init__()
        self.output_size, self.return_indices = output_size, return_indices

    def extra_repr(self) -> str:
        return f"output_size={self.output_size}"


class AdaptiveMaxPool1d(_AdaptiveMaxPoolNd):
    """Max of (N, C, L) over output_size adaptive bins along L (and, with
    return_indices=True, where each maximum was)."""

    def forward(self, input: Tensor) -> Any:
        return adaptive_max_pool1d(input, self.output_size, self.return_indices)


class AdaptiveMaxPool2d(_AdaptiveMaxPoolNd):
    """Max of (N, C, H, W) over an output_size grid of adaptive bins (None keeps a size);
    with return_indices=True also the flat index row * W + col of each maximum."""

    def forward(self, input: Tensor) -> Any:
        return adaptive_max_pool2d(input, self.output_size, self.return_indices)


__all__ = [
    "AdaptiveAvgPool1d",
    "AdaptiveAvgPool2d",
    "AdaptiveMaxPool1d",
    "AdaptiveMaxPool2d",
    "AvgPool1d",
    "AvgPool2d",
    "MaxPool1d",
    "MaxPool2d",
]

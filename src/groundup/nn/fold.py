"""Fold and Unfold: the sliding blocks of an image as columns (im2col) and back (col2im)."""

from __future__ import annotations

from collections.abc import Sequence

from groundup.nn.module import Module
from groundup.ops.fold import fold, unfold
from groundup.tensor import Tensor

IntOrPair = int | Sequence[int]


class Fold(Module):
    """Columns (N, C*KH*KW, L) -> image (N, C, H, W) of output_size, each column entry added
    to the pixel it came from (overlapping blocks sum). Unfold followed by Fold multiplies
    each pixel by the number of blocks that contain it."""

    def __init__(
        self,
        output_size: IntOrPair,
        kernel_size: IntOrPair,
        dilation: IntOrPair = 1,
        padding: IntOrPair = 0,
        stride: IntOrPair = 1,
    ):
        super().__init__()
        self.output_size, self.kernel_size = output_size, kernel_size
        self.dilation, self.padding, self.stride = dilation, padding, stride

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002 - torch's name
        return fold(
            input, self.output_size, self.kernel_size, self.dilation, self.padding, self.stride
        )

    def extra_repr(self) -> str:
        return (
            f"output_size={self.output_size}, kernel_size={self.kernel_size}, "
            f"dilation={self.dilation}, padding={self.padding}, stride={self.stride}"
        )


class Unfold(Module):
    """Image (N, C, H, W) -> columns (N, C*KH*KW, L): every kernel_size block flattened,
    L blocks in row-major order. A convolution is Unfold, a matrix product and a reshape."""

    def __init__(
        self,
        kernel_size: IntOrPair,
        dilation: IntOrPair = 1,
        padding: IntOrPair = 0,
        stride: IntOrPair = 1,
    ):
        super().__init__()
        self.kernel_size = kernel_size
        self.dilation, self.padding, self.stride = dilation, padding, stride

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002 - torch's name
        return unfold(input, self.kernel_size, self.dilation, self.padding, self.stride)

    def extra_repr(self) -> str:
        return (
            f"kernel_size={self.kernel_size}, dilation={self.dilation}, "
            f"padding={self.padding}, stride={self.stride}"
        )

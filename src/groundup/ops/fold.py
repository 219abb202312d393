"""torch.nn.functional.unfold and fold with their unbatched forms.

`groundup.ops.im2col` has the differentiable im2col/col2im for batches, (N, C, H, W) <->
(N, C*KH*KW, L); torch also takes one image, (C, H, W) <-> (C*KH*KW, L), which is the
batch of one with the batch axis dropped again.
"""

from __future__ import annotations

from collections.abc import Sequence

from groundup.ops import im2col as _im2col
from groundup.tensor import Tensor

IntOrPair = int | Sequence[int]


def _check(op: str, input: Tensor, dims: tuple[int, int], layouts: str) -> bool:
    """True when `input` is the unbatched form (dims[0] axes)."""
    if not isinstance(input, Tensor):
        raise TypeError(f"{op}(): argument 'input' must be Tensor, not {type(input).__name__}")
    if input.ndim not in dims:
        raise RuntimeError(f"{op}: expected {layouts}, got input of shape {input.shape}")
    if input.dtype.kind != "f":
        raise NotImplementedError(f'"{op}" not implemented for dtype {input.dtype}')
    return input.ndim == dims[0]


def unfold(
    input: Tensor,  # noqa: A002 - torch's names
    kernel_size: IntOrPair,
    dilation: IntOrPair = 1,
    padding: IntOrPair = 0,
    stride: IntOrPair = 1,
) -> Tensor:
    """Every kernel_size block of (N, C, H, W) as a column: (N, C*KH*KW, L), L the number
    of blocks; an unbatched (C, H, W) gives (C*KH*KW, L)."""
    single = _check("unfold", input, (3, 4), "a 3-D (C, H, W) or 4-D (N, C, H, W) input")
    x = input.unsqueeze(0) if single else input
    cols = _im2col.unfold(x, kernel_size, dilation, padding, stride)
    return cols.squeeze(0) if single else cols


def fold(
    input: Tensor,  # noqa: A002 - torch's names
    output_size: IntOrPair,
    kernel_size: IntOrPair,
    dilation: IntOrPair = 1,
    padding: IntOrPair = 0,
    stride: IntOrPair = 1,
) -> Tensor:
    """The adjoint of unfold: columns (N, C*KH*KW, L) summed back into (N, C, H, W) for
    output_size (H, W), overlapping blocks adding up; unbatched (C*KH*KW, L) -> (C, H, W)."""
    single = _check("fold", input, (2, 3), "a 2-D (C*KH*KW, L) or 3-D (N, C*KH*KW, L) input")
    x = input.unsqueeze(0) if single else input
    image = _im2col.fold(x, output_size, kernel_size, dilation, padding, stride)
    return image.squeeze(0) if single else image


__all__ = ["fold", "unfold"]

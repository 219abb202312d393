"""Shape arithmetic of convolution and pooling: the output size, before running anything.

Along one spatial dimension of size H, a kernel of size K with dilation D covers
D(K - 1) + 1 input positions, and stepping it by the stride S over the input padded by P
on each side fits

    out = floor((H + 2P - D(K - 1) - 1) / S) + 1

windows (PyTorch's formula; with D = 1 it is the familiar floor((H + 2P - K) / S) + 1).
The floor drops the rows that a last, incomplete window would need. Pooling uses the same
formula (stride defaults to the kernel size), and `ceil_mode=True` rounds up instead, as
long as the extra window still starts inside the input or its left padding. A transposed
convolution inverts the map:

    out = (H - 1) S - 2P + D(K - 1) + output_padding + 1

    >>> conv_output_shape((28, 28), kernel_size=5)
    (24, 24)
    >>> conv_output_shape(39, kernel_size=4)        # the seed table's first layer
    36
    >>> pool_output_shape((36, 28), kernel_size=2)
    (18, 14)

These functions are pure arithmetic (no arrays), so the layers use them to check their
inputs and to say which number went wrong.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import overload

Size = int | Sequence[int]


def _tuple(value: int | Sequence[int], n: int, name: str) -> tuple[int, ...]:
    """An int repeated n times, or a sequence of n ints."""
    if not isinstance(value, Sequence):
        return (int(value),) * n
    values = tuple(int(v) for v in value)
    if len(values) == 1 and n > 1:
        return values * n
    if len(values) != n:
        raise ValueError(f"{name} must be an int or {n} ints, got {tuple(value)}")
    return values


def same_padding(kernel_size: int, dilation: int = 1) -> tuple[int, int]:
    """(left, right) padding that keeps the size at stride 1: D(K - 1) in total, the odd
    one on the right (PyTorch's padding='same'). For odd K it is (K - 1)/2 on each side."""
    total = dilation * (kernel_size - 1)
    return total // 2, total - total // 2


def output_size(
    size: int,
    kernel_size: int,
    stride: int = 1,
    padding: int | tuple[int, int] = 0,
    dilation: int = 1,
    ceil_mode: bool = False,
    strict: bool = False,
    what: str = "output size",
) -> int:
    """floor((H + P_left + P_right - D(K - 1) - 1) / S) + 1 for one dimension.

    Raises ValueError when the result is below 1 (the dilated kernel is larger than the
    padded input) or, with `strict=True`, when the division leaves a remainder (the last
    rows would be silently dropped). The message shows the arithmetic.
    """
    lo, hi = (padding, padding) if isinstance(padding, int) else padding
    padded = size + lo + hi
    span = dilation * (kernel_size - 1) + 1  # input positions one window covers
    if stride < 1 or kernel_size < 1 or dilation < 1:
        raise ValueError(
            f"{what}: stride ({stride}), kernel size ({kernel_size}) and dilation "
            f"({dilation}) must be positive"
        )
    pad_text = f"{lo} + {hi}" if lo != hi else f"2*{lo}"
    formula = f"({size} + {pad_text} - {dilation}*({kernel_size} - 1) - 1) / {stride} + 1"
    # floor division, or ceiling with ceil_mode (PyTorch: add S - 1 before dividing)
    out = (padded - span + (stride - 1 if ceil_mode else 0)) // stride + 1
    if ceil_mode and (out - 1) * stride >= size + lo:
        out -= 1  # PyTorch: the last window must start inside the input or the left padding
    if out < 1:
        raise ValueError(
            f"{what}: {formula} < 1: the kernel covers {span} positions but the padded "
            f"input has only {padded} ({size} + padding {lo + hi})"
        )
    remainder = (padded - span) % stride
    if strict and remainder and padded >= span:
        raise ValueError(
            f"{what}: {formula} = {(padded - span) / stride + 1:g} is not an integer: the last "
            f"{remainder} position(s) fit no window and would be dropped; pad by "
            f"{stride - remainder} more or choose another stride"
        )
    return out


@overload
def conv_output_shape(
    input_size: int,
    kernel_size: Size,
    stride: Size = 1,
    padding: Size | str = 0,
    dilation: Size = 1,
    strict: bool = False,
) -> int: ...
@overload
def conv_output_shape(
    input_size: Sequence[int],
    kernel_size: Size,
    stride: Size = 1,
    padding: Size | str = 0,
    dilation: Size = 1,
    strict: bool = False,
) -> tuple[int, ...]: ...
def conv_output_shape(
    input_size: Size,
    kernel_size: Size,
    stride: Size = 1,
    padding: Size | str = 0,
    dilation: Size = 1,
    strict: bool = False,
) -> int | tuple[int, ...]:
    """Spatial output size of a convolution: floor((H + 2P - D(K - 1) - 1) / S) + 1 per dim.

    `input_size` is the spatial size only, an int (L) or a tuple (H, W); the result has
    the same form. `padding` may be 'valid' (0) or 'same' (stride 1 only; D(K - 1) split
    over both sides). `strict=True` raises when a division is not exact.
    """
    dims = len(input_size) if isinstance(input_size, Sequence) else 1
    sizes = _tuple(input_size, dims, "input_size")
    kernel = _tuple(kernel_size, dims, "kernel_size")
    strides = _tuple(stride, dims, "stride")
    dilations = _tuple(dilation, dims, "dilation")
    pads: list[tuple[int, int]]
    if isinstance(padding, str):
        if padding == "valid":
            pads = [(0, 0)] * dims
        elif padding == "same":
            if any(s != 1 for s in strides):
                raise ValueError(f"padding='same' needs stride 1, got stride {strides}")
            pads = [same_padding(k, d) for k, d in zip(kernel, dilations, strict=True)]
        else:
            raise ValueError(f"padding must be 'same', 'valid' or ints, got {padding!r}")
    else:
        pads = [(p, p) for p in _tuple(padding, dims, "padding")]
    names = ("length",) if dims == 1 else ("height", "width", "depth")[:dims]
    out = tuple(
        output_size(h, k, s, p, d, strict=strict, what=f"conv output {name}")
        for h, k, s, p, d, name in zip(sizes, kernel, strides, pads, dilations, names, strict=True)
    )
    return out if isinstance(input_size, Sequence) else out[0]


@overload
def pool_output_shape(
    input_size: int,
    kernel_size: Size,
    stride: Size | None = None,
    padding: Size = 0,
    dilation: Size = 1,
    ceil_mode: bool = False,
    strict: bool = False,
) -> int: ...
@overload
def pool_output_shape(
    input_size: Sequence[int],
    kernel_size: Size,
    stride: Size | None = None,
    padding: Size = 0,
    dilation: Size = 1,
    ceil_mode: bool = False,
    strict: bool = False,
) -> tuple[int, ...]: ...
def pool_output_shape(
    input_size: Size,
    kernel_size: Size,
    stride: Size | None = None,
    padding: Size = 0,
    dilation: Size = 1,
    ceil_mode: bool = False,
    strict: bool = False,
) -> int | tuple[int, ...]:
    """Spatial output size of max/avg pooling; the stride defaults to the kernel size, so
    a 2 x 2 pool gives floor(H / 2) x floor(W / 2). Channels are unchanged."""
    dims = len(input_size) if isinstance(input_size, Sequence) else 1
    sizes = _tuple(input_size, dims, "input_size")
    kernel = _tuple(kernel_size, dims, "kernel_size")
    strides = kernel if stride is None else _tuple(stride, dims, "stride")
    pads = _tuple(padding, dims, "padding")
    dilations = _tuple(dilation, dims, "dilation")
    names = ("length",) if dims == 1 else ("height", "width", "depth")[:dims]
    out = tuple(
        output_size(h, k, s, p, d, ceil_mode, strict, what=f"pool output {name}")
        for h, k, s, p, d, name in zip(sizes, kernel, strides, pads, dilations, names, strict=True)
    )
    return out if isinstance(input_size, Sequence) else out[0]


@overload
def conv_transpose_output_shape(
    input_size: int,
    kernel_size: Size,
    stride: Size = 1,
    padding: Size = 0,
    output_padding: Size = 0,
    dilation: Size = 1,
) -> int: ...
@overload
def conv_transpose_output_shape(
    input_size: Sequence[int],
    kernel_size: Size,
    stride: Size = 1,
    padding: Size = 0,
    output_padding: Size = 0,
    dilation: Size = 1,
) -> tuple[int, ...]: ...
def conv_transpose_output_shape(
    input_size: Size,
    kernel_size: Size,
    stride: Size = 1,
    padding: Size = 0,
    output_padding: Size = 0,
    dilation: Size = 1,
) -> int | tuple[int, ...]:
    """Spatial output size of a transposed convolution:
    (H - 1) S - 2P + D(K - 1) + output_padding + 1 per dim."""
    dims = len(input_size) if isinstance(input_size, Sequence) else 1
    cols = zip(
        _tuple(input_size, dims, "input_size"),
        _tuple(kernel_size, dims, "kernel_size"),
        _tuple(stride, dims, "stride"),
        _tuple(padding, dims, "padding"),
        _tuple(output_padding, dims, "output_padding"),
        _tuple(dilation, dims, "dilation"),
        strict=True,
    )
    out = []
    for h, k, s, p, op, d in cols:
        size = (h - 1) * s - 2 * p + d * (k - 1) + op + 1
        if size < 1:
            raise ValueError(
                f"conv transpose output size: ({h} - 1)*{s} - 2*{p} + {d}*({k} - 1) + {op} + 1 "
                f"= {size} < 1: the padding removes more than the input produces"
            )
        out.append(size)
    return tuple(out) if isinstance(input_size, Sequence) else out[0]


__all__ = [
    "conv_output_shape",
    "conv_transpose_output_shape",
    "output_size",
    "pool_output_shape",
    "same_padding",
]

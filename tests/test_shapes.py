"""Shape arithmetic: conv_output_shape, pool_output_shape, conv_transpose_output_shape and
same_padding agree with what the layers (ours and torch's) actually produce."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given
from hypothesis import strategies as st

import groundup as gu
from groundup.inspect import (
    conv_output_shape,
    conv_transpose_output_shape,
    pool_output_shape,
    same_padding,
)
from groundup.nn import functional as gF


def test_textbook_examples():
    assert conv_output_shape(28, 5) == 24  # int in, int out
    assert conv_output_shape((28, 28), 5, padding=2) == (28, 28)  # tuple in, tuple out
    assert conv_output_shape(7, 3, stride=2) == 3  # (7 - 3) / 2 + 1
    assert conv_output_shape(8, 3, stride=2) == 3  # floor(5 / 2) + 1: the last row is dropped
    assert conv_output_shape(10, 3, dilation=2) == 6  # effective kernel D(K - 1) + 1 = 5
    assert conv_output_shape((39, 31), (4, 4)) == (36, 28)
    assert pool_output_shape((36, 28), 2) == (18, 14)  # stride defaults to the kernel size
    assert pool_output_shape((7, 5), 2) == (3, 2)  # odd sizes drop the remainder
    assert pool_output_shape(7, 2, ceil_mode=True) == 4
    assert conv_transpose_output_shape((2, 2), 3, stride=2, padding=1, output_padding=1) == (4, 4)
    assert conv_output_shape(40, 5, stride=2, padding=1) == 19  # MNIST-1D CNN: 40 -> 19 -> 10 -> 5


def test_same_padding_keeps_the_size_for_odd_kernels_at_stride_1():
    for k in (1, 3, 5, 7):
        assert same_padding(k) == ((k - 1) // 2, (k - 1) // 2)
        assert conv_output_shape(13, k, padding=(k - 1) // 2) == 13
        assert conv_output_shape(13, k, padding="same") == 13
    assert same_padding(4) == (1, 2)  # even K: the extra zero goes on the right, as in torch
    assert conv_output_shape(13, 4, padding=1) == 12  # symmetric (K - 1) // 2 loses one
    assert conv_output_shape(13, 3, stride=2, padding=1) == 7  # stride 2: ceil(13 / 2), not 13
    with pytest.raises(ValueError, match="padding='same' needs stride 1"):
        conv_output_shape(13, 3, stride=2, padding="same")


def test_errors_show_the_arithmetic():
    with pytest.raises(
        ValueError,
        match=r"conv output height: \(3 \+ 2\*0 - 1\*\(4 - 1\) - 1\) "
        r"/ 1 \+ 1 < 1: the kernel covers 4 positions but the padded input has "
        r"only 3",
    ):
        conv_output_shape((3, 9), 4)
    with pytest.raises(
        ValueError,
        match=r"\(8 \+ 2\*0 - 1\*\(3 - 1\) - 1\) / 2 \+ 1 = 3.5 is not "
        r"an integer: the last 1 position\(s\) fit no window",
    ):
        conv_output_shape(8, 3, stride=2, strict=True)
    assert conv_output_shape(7, 3, stride=2, strict=True) == 3  # exact: fine
    with pytest.raises(ValueError, match=r"pool output width: .* is not an integer"):
        pool_output_shape((6, 7), 2, strict=True)
    with pytest.raises(ValueError, match=r"conv transpose output size: .* = -1 < 1"):
        conv_transpose_output_shape(1, 1, padding=1)


@given(
    size=st.integers(1, 20),
    kernel=st.integers(1, 5),
    stride=st.integers(1, 4),
    padding=st.integers(0, 3),
    dilation=st.integers(1, 3),
)
def test_conv_output_shape_equals_the_layers_output(size, kernel, stride, padding, dilation):
    x = np.zeros((1, 1, size, size + 1))
    w = np.zeros((1, 1, kernel, kernel))
    kw = dict(stride=stride, padding=padding, dilation=dilation)
    try:
        expected = tuple(F.conv2d(torch.tensor(x), torch.tensor(w), **kw).shape[2:])
    except RuntimeError:
        with pytest.raises(ValueError, match="< 1"):
            conv_output_shape((size, size + 1), kernel, **kw)
        return
    assert conv_output_shape((size, size + 1), kernel, **kw) == expected
    assert gF.conv2d(gu.tensor(x), gu.tensor(w), **kw).shape[2:] == expected


@given(
    size=st.integers(1, 20),
    kernel=st.integers(1, 5),
    stride=st.integers(1, 4),
    padding=st.integers(0, 2),
    dilation=st.integers(1, 2),
    ceil_mode=st.booleans(),
)
def test_pool_output_shape_equals_the_layers_output(
    size, kernel, stride, padding, dilation, ceil_mode
):
    if 2 * padding > kernel:
        return  # torch rejects padding above half the kernel
    x = torch.zeros(1, 1, size, size + 2)
    kw = dict(stride=stride, padding=padding, dilation=dilation, ceil_mode=ceil_mode)
    try:
        expected = tuple(F.max_pool2d(x, kernel, **kw).shape[2:])
    except RuntimeError:
        with pytest.raises(ValueError):
            pool_output_shape((size, size + 2), kernel, **kw)
        return
    assert pool_output_shape((size, size + 2), kernel, **kw) == expected
    assert gF.max_pool2d(gu.tensor(x.numpy()), kernel, **kw).shape[2:] == expected


@given(
    size=st.integers(1, 8),
    kernel=st.integers(1, 4),
    stride=st.integers(1, 3),
    padding=st.integers(0, 2),
    dilation=st.integers(1, 2),
    extra=st.integers(0, 2),
)
def test_conv_transpose_output_shape_equals_torch(size, kernel, stride, padding, dilation, extra):
    if extra >= max(stride, dilation):
        return
    x, w = torch.zeros(1, 1, size, size), torch.zeros(1, 1, kernel, kernel)
    kw = dict(stride=stride, padding=padding, output_padding=extra, dilation=dilation)
    try:
        expected = tuple(F.conv_transpose2d(x, w, **kw).shape[2:])
        assert min(expected) >= 1  # torch returns an empty tensor for size 0; we raise
    except (RuntimeError, AssertionError):
        with pytest.raises(ValueError):
            conv_transpose_output_shape((size, size), kernel, **kw)
        return
    assert conv_transpose_output_shape((size, size), kernel, **kw) == expected

"""Convolution ops against torch: conv1d, conv2d, conv_transpose1d/2d, unfold/fold, im2col
and col2im (forward, input and weight gradients, dtypes, no mutation), finite differences,
and im2col + GEMM against a naive sliding-window loop."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given
from hypothesis import strategies as st

import groundup as gu
from groundup.inspect import gradcheck
from groundup.nn import functional as gF
from groundup.ops.im2col import add_windows, add_windows_stride1, col2im, im2col
from tests.oracle import assert_close, check_op, randn

CONV2D_CASES = [
    dict(),
    dict(stride=2),
    dict(padding=1),
    dict(padding=(2, 0)),
    dict(padding="same"),
    dict(padding="valid"),
    dict(dilation=2, padding=2),
    dict(stride=(2, 1), padding=(1, 2), dilation=(1, 2)),
    dict(groups=2),
    dict(groups=4, padding=1),  # depthwise: one filter per input channel
    dict(stride=3, padding=1, groups=2, dilation=(2, 1)),
]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("kw", CONV2D_CASES, ids=str)
def test_conv2d_matches_torch(kw, bias, dtype):
    x = randn(2, 4, 9, 8, dtype=dtype)
    w = randn(8, 4 // kw.get("groups", 1), 3, 2, dtype=dtype, seed=1)
    b = randn(8, dtype=dtype, seed=2)
    if bias:
        check_op(
            lambda x, w, b: gF.conv2d(x, w, b, **kw),
            lambda x, w, b: F.conv2d(x, w, b, **kw),
            x,
            w,
            b,
        )
    else:
        check_op(lambda x, w: gF.conv2d(x, w, **kw), lambda x, w: F.conv2d(x, w, **kw), x, w)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize(
    "kw",
    [dict(), dict(stride=2, padding=1), dict(padding="same", dilation=3), dict(groups=3)],
    ids=str,
)
def test_conv1d_matches_torch(kw, dtype):
    x = randn(3, 6, 17, dtype=dtype)
    w = randn(9, 6 // kw.get("groups", 1), 4, dtype=dtype, seed=1)
    b = randn(9, dtype=dtype, seed=2)
    check_op(
        lambda x, w, b: gF.conv1d(x, w, b, **kw), lambda x, w, b: F.conv1d(x, w, b, **kw), x, w, b
    )


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize(
    "kw",
    [
        dict(),
        dict(stride=2),
        dict(stride=2, padding=1, output_padding=1),
        dict(stride=(2, 3), padding=(1, 0), output_padding=(1, 2)),
        dict(groups=2, dilation=2),
        dict(stride=2, dilation=(1, 2), output_padding=(1, 1), groups=2, padding=(0, 1)),
    ],
    ids=str,
)
def test_conv_transpose2d_matches_torch(kw, dtype):
    x = randn(2, 4, 5, 4, dtype=dtype)
    w = randn(4, 3, 3, 2, dtype=dtype, seed=1)  # (C_in, C_out / groups, KH, KW)
    b = randn(3 * kw.get("groups", 1), dtype=dtype, seed=2)
    check_op(
        lambda x, w, b: gF.conv_transpose2d(x, w, b, **kw),
        lambda x, w, b: F.conv_transpose2d(x, w, b, **kw),
        x,
        w,
        b,
    )


def test_conv_transpose1d_matches_torch():
    x, w, b = randn(2, 4, 6), randn(4, 3, 3, seed=1), randn(3, seed=2)
    kw = dict(stride=2, padding=1, output_padding=1, dilation=2)
    check_op(
        lambda x, w, b: gF.conv_transpose1d(x, w, b, **kw),
        lambda x, w, b: F.conv_transpose1d(x, w, b, **kw),
        x,
        w,
        b,
    )


def test_unbatched_inputs_match_torch():
    x, w, b = randn(3, 7, 6), randn(5, 3, 3, 3, seed=1), randn(5, seed=2)
    check_op(
        lambda x, w, b: gF.conv2d(x, w, b, padding=1),
        lambda x, w, b: F.conv2d(x, w, b, padding=1),
        x,
        w,
        b,
    )
    x1, w1 = randn(3, 11), randn(4, 3, 2, seed=1)
    check_op(lambda x, w: gF.conv1d(x, w, stride=2), lambda x, w: F.conv1d(x, w, stride=2), x1, w1)
    wt = randn(3, 2, 3, 3, seed=1)
    check_op(
        lambda x, w: gF.conv_transpose2d(x, w, stride=2),
        lambda x, w: F.conv_transpose2d(x, w, stride=2),
        x,
        wt,
    )


@given(
    n=st.integers(1, 2),
    groups=st.sampled_from([1, 2]),
    c_per_group=st.integers(1, 2),
    o_per_group=st.integers(1, 2),
    size=st.tuples(st.integers(5, 9), st.integers(5, 9)),
    kernel=st.tuples(st.integers(1, 3), st.integers(1, 3)),
    stride=st.tuples(st.integers(1, 3), st.integers(1, 3)),
    padding=st.tuples(st.integers(0, 2), st.integers(0, 2)),
    dilation=st.tuples(st.integers(1, 2), st.integers(1, 2)),
)
def test_conv2d_random_configurations_match_torch(
    n, groups, c_per_group, o_per_group, size, kernel, stride, padding, dilation
):
    x = randn(n, groups * c_per_group, *size)
    w = randn(groups * o_per_group, c_per_group, *kernel, seed=1)
    kw = dict(stride=stride, padding=padding, dilation=dilation, groups=groups)
    check_op(lambda x, w: gF.conv2d(x, w, **kw), lambda x, w: F.conv2d(x, w, **kw), x, w)


def test_finite_differences_agree_with_backward():
    x = gu.tensor(randn(2, 4, 6, 5), requires_grad=True)
    w = gu.tensor(randn(4, 2, 3, 2, seed=1), requires_grad=True)
    b = gu.tensor(randn(4, seed=2), requires_grad=True)
    assert gradcheck(lambda x, w, b: gF.conv2d(x, w, b, stride=2, padding=1, groups=2), (x, w, b))
    wt = gu.tensor(randn(4, 3, 3, 3, seed=3), requires_grad=True)
    assert gradcheck(
        lambda x, w: gF.conv_transpose2d(x, w, stride=2, padding=1, output_padding=1), (x, wt)
    )
    x1 = gu.tensor(randn(2, 3, 9), requires_grad=True)
    w1 = gu.tensor(randn(5, 3, 3, seed=4), requires_grad=True)
    assert gradcheck(lambda x, w: gF.conv1d(x, w, stride=2, dilation=2, padding=2), (x1, w1))


def naive_conv2d(x, w, b, stride, padding, dilation):
    """The definition, one output value at a time (for tiny inputs only)."""
    xp = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    n, _, hp, wp = xp.shape
    o, c, kh, kw = w.shape
    oh = (hp - dilation * (kh - 1) - 1) // stride + 1
    ow = (wp - dilation * (kw - 1) - 1) // stride + 1
    y = np.zeros((n, o, oh, ow))
    for i in range(n):
        for f in range(o):
            for p in range(oh):
                for q in range(ow):
                    patch = xp[
                        i,
                        :,
                        p * stride : p * stride + dilation * (kh - 1) + 1 : dilation,
                        q * stride : q * stride + dilation * (kw - 1) + 1 : dilation,
                    ]
                    y[i, f, p, q] = np.sum(patch * w[f]) + b[f]
    return y


@pytest.mark.parametrize("stride,padding,dilation", [(1, 0, 1), (2, 1, 1), (1, 2, 2), (3, 1, 2)])
def test_im2col_gemm_equals_naive_sliding_window(stride, padding, dilation):
    x, w, b = randn(2, 3, 8, 7), randn(4, 3, 3, 2, seed=1), randn(4, seed=2)
    expected = naive_conv2d(x, w, b, stride, padding, dilation)
    cols = im2col(x, (3, 2), stride, padding, dilation)  # (N, C*KH*KW, L)
    fused = (w.reshape(4, -1) @ cols + b[:, None]).reshape(expected.shape)
    np.testing.assert_allclose(fused, expected, rtol=1e-12, atol=1e-12)
    layer = gF.conv2d(gu.tensor(x), gu.tensor(w), gu.tensor(b), stride, padding, dilation)
    np.testing.assert_allclose(layer.numpy(), expected, rtol=1e-12, atol=1e-12)


def test_im2col_and_col2im_equal_torch_unfold_and_fold():
    x = randn(2, 3, 7, 6)
    kw = dict(kernel_size=(2, 3), dilation=(2, 1), padding=1, stride=(1, 2))
    cols = im2col(x, kw["kernel_size"], kw["stride"], kw["padding"], kw["dilation"])
    expected = F.unfold(torch.tensor(x), **kw).numpy()
    np.testing.assert_array_equal(cols, expected)  # a pure copy: exactly equal
    back = col2im(cols, (7, 6), kw["kernel_size"], kw["stride"], kw["padding"], kw["dilation"])
    assert_close(back, F.fold(torch.tensor(cols), (7, 6), **kw))
    # adjoint: <im2col(x), c> = <x, col2im(c)>
    c = randn(*cols.shape, seed=5)
    assert np.isclose(np.sum(cols * c), np.sum(x * col2im(c, (7, 6), **_positional(kw))))
    # col2im(im2col(ones)) counts the windows covering each pixel
    counts = col2im(im2col(np.ones((1, 1, 4, 4)), 3), (4, 4), 3)
    np.testing.assert_array_equal(
        counts[0, 0], [[1, 2, 2, 1], [2, 4, 4, 2], [2, 4, 4, 2], [1, 2, 2, 1]]
    )


def _positional(kw):
    return dict(
        kernel_size=kw["kernel_size"],
        stride=kw["stride"],
        padding=kw["padding"],
        dilation=kw["dilation"],
    )


def test_unfold_and_fold_are_differentiable_like_torch():
    x = randn(2, 3, 6, 5)
    kw = dict(kernel_size=3, padding=1, stride=2)
    check_op(lambda x: gF.unfold(x, **kw), lambda x: F.unfold(x, **kw), x)
    c = randn(2, 3 * 9, 9, seed=1)
    check_op(lambda c: gF.fold(c, (6, 5), **kw), lambda c: F.fold(c, (6, 5), **kw), c)


def test_float32_stays_float32_through_forward_and_backward():
    x = gu.tensor(randn(2, 3, 8, 8, dtype=np.float32), requires_grad=True)
    w = gu.tensor(randn(4, 3, 3, 3, dtype=np.float32, seed=1), requires_grad=True)
    b = gu.tensor(randn(4, dtype=np.float32, seed=2), requires_grad=True)
    y = gF.conv2d(x, w, b, padding="same")
    z = gF.conv_transpose2d(y, gu.tensor(randn(4, 2, 2, 2, dtype=np.float32)), stride=2)
    z.sum().backward()
    assert y.dtype == z.dtype == np.float32
    assert x.grad.dtype == w.grad.dtype == b.grad.dtype == np.float32


def test_functional_errors_name_the_op_shape_and_arithmetic():
    x, w = gu.tensor(randn(1, 1, 3, 3)), gu.tensor(randn(2, 1, 4, 4))
    with pytest.raises(
        RuntimeError,
        match=r"conv2d got input of shape \(1, 1, 3, 3\): output "
        r"height: \(3 \+ 2\*0 - 1\*\(4 - 1\) - 1\) / 1 \+ 1 < 1",
    ):
        gF.conv2d(x, w)
    with pytest.raises(RuntimeError, match=r"expected 2 input channels .* got 1"):
        gF.conv2d(x, gu.tensor(randn(2, 1, 1, 1)), groups=2)
    with pytest.raises(RuntimeError, match="out_channels = 3 .* divisible by groups = 2"):
        gF.conv2d(gu.tensor(randn(1, 2, 3, 3)), gu.tensor(randn(3, 1, 1, 1)), groups=2)
    with pytest.raises(ValueError, match="padding='same' is not supported for strided"):
        gF.conv2d(x, gu.tensor(randn(2, 1, 1, 1)), stride=2, padding="same")
    with pytest.raises(RuntimeError, match=r"3-D \(unbatched\) or 4-D \(batched\)"):
        gF.conv2d(gu.tensor(randn(3, 3)), w)
    with pytest.raises(TypeError, match="float32 and weight dtype float64"):
        gF.conv2d(gu.tensor(randn(1, 1, 5, 5, dtype=np.float32)), w)
    with pytest.raises(ValueError, match="output_padding .* smaller than either stride"):
        gF.conv_transpose2d(x, gu.tensor(randn(1, 2, 2, 2)), output_padding=1)


@pytest.mark.parametrize("dilation", [(1, 1), (2, 1), (1, 3)])
def test_wide_row_col2im_equals_the_strided_one(dilation):
    """The stride-1 fast path (rows padded to the image width) against `add_windows`."""
    n, c, kh, kw, hp, wp = 2, 3, 3, 2, 9, 8
    oh, ow = hp - dilation[0] * (kh - 1), wp - dilation[1] * (kw - 1)
    dwin = randn(n, c, kh, kw, oh, ow)
    expected = add_windows(np.zeros((n, c, hp, wp)), dwin, (1, 1), dilation)
    wide = np.zeros((n, c, kh, kw, oh, wp))
    wide[..., :ow] = dwin
    result = add_windows_stride1((n, c, hp, wp), wide.reshape(n, c, kh, kw, oh * wp), dilation)
    np.testing.assert_allclose(result, expected, rtol=1e-14, atol=1e-14)

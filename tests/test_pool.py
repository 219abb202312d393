"""Pooling against torch: max_pool1d/2d (ties, padding, dilation, ceil_mode, NaN, indices),
avg_pool1d/2d (count_include_pad, divisor_override, ceil_mode), adaptive_avg_pool2d, the
layers (repr, no parameters, channels kept) and errors that name the layer."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given
from hypothesis import strategies as st

import groundup as gu
from groundup import nn
from groundup.inspect import gradcheck
from groundup.nn import functional as gF
from tests.oracle import check_op, randn

MAX2D = [
    dict(kernel_size=2),
    dict(kernel_size=3, stride=2, padding=1),
    dict(kernel_size=(2, 3), stride=(1, 2), padding=(1, 1), dilation=(2, 1)),
    dict(kernel_size=3, stride=1),  # overlapping windows: gradients add up
    dict(kernel_size=3, stride=2, ceil_mode=True),
    dict(kernel_size=2, stride=2, padding=1, ceil_mode=True),
]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("shape", [(2, 3, 7, 6), (3, 5, 5)], ids=str)
@pytest.mark.parametrize("kw", MAX2D, ids=str)
def test_max_pool2d_matches_torch(kw, shape, dtype):
    x = randn(*shape, dtype=dtype)
    check_op(lambda x: gF.max_pool2d(x, **kw), lambda x: F.max_pool2d(x, **kw), x)
    y, index = gF.max_pool2d(gu.tensor(x), return_indices=True, **kw)
    _, t_index = F.max_pool2d(torch.tensor(x), return_indices=True, **kw)
    np.testing.assert_array_equal(index.numpy(), t_index.numpy())
    assert index.dtype == np.int64


@pytest.mark.parametrize(
    "kw",
    [
        dict(kernel_size=2),
        dict(kernel_size=3, stride=2, padding=1, ceil_mode=True),
        dict(kernel_size=3, stride=1, dilation=2),
    ],
    ids=str,
)
def test_max_pool1d_matches_torch(kw):
    x = randn(2, 3, 9)
    check_op(lambda x: gF.max_pool1d(x, **kw), lambda x: F.max_pool1d(x, **kw), x)
    _, index = gF.max_pool1d(gu.tensor(x), return_indices=True, **kw)
    np.testing.assert_array_equal(
        index.numpy(), F.max_pool1d(torch.tensor(x), return_indices=True, **kw)[1].numpy()
    )


def test_max_pool_ties_send_the_gradient_to_the_first_maximum_only():
    """After a ReLU, windows of zeros are common; torch routes each gradient to the first."""
    for x, k, s in [
        (np.zeros((1, 1, 4, 4)), 2, 2),
        (np.zeros((1, 1, 5, 5)), 3, 1),
        (np.array([[[[1.0, 3, 3], [3, 0, 3], [1, 1, 1]]]]), 2, 1),
    ]:
        check_op(
            lambda x, k=k, s=s: gF.max_pool2d(x, k, s), lambda x, k=k, s=s: F.max_pool2d(x, k, s), x
        )
    g = gu.tensor(np.zeros((1, 1, 2, 2)), requires_grad=True)
    gF.max_pool2d(g, 2).sum().backward()
    np.testing.assert_array_equal(g.grad.numpy()[0, 0], [[1, 0], [0, 0]])


def test_max_pool_propagates_nan_like_torch():
    x = randn(1, 2, 6, 6)
    x[0, 0, 1, 1] = x[0, 0, 0, 1] = x[0, 1, 4, 5] = np.nan
    tx = torch.tensor(x, requires_grad=True)
    gx = gu.tensor(x, requires_grad=True)
    ty, gy = F.max_pool2d(tx, 2), gF.max_pool2d(gx, 2)
    np.testing.assert_array_equal(np.isnan(gy.detach().numpy()), np.isnan(ty.detach().numpy()))
    ty.sum().backward()
    gy.sum().backward()
    np.testing.assert_array_equal(gx.grad.numpy(), tx.grad.numpy())


AVG2D = [
    dict(kernel_size=2),
    dict(kernel_size=3, stride=2, padding=1),
    dict(kernel_size=3, stride=2, padding=1, count_include_pad=False),
    dict(kernel_size=(2, 3), stride=(1, 2), padding=(1, 0)),
    dict(kernel_size=3, stride=2, padding=1, ceil_mode=True),
    dict(kernel_size=3, stride=2, padding=1, ceil_mode=True, count_include_pad=False),
    dict(kernel_size=2, divisor_override=3),
]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("kw", AVG2D, ids=str)
def test_avg_pool2d_matches_torch(kw, dtype):
    x = randn(2, 3, 7, 6, dtype=dtype)
    check_op(lambda x: gF.avg_pool2d(x, **kw), lambda x: F.avg_pool2d(x, **kw), x)


@pytest.mark.parametrize(
    "kw",
    [
        dict(kernel_size=2),
        dict(kernel_size=3, stride=2, padding=1, ceil_mode=True, count_include_pad=False),
        dict(kernel_size=4, stride=1),
    ],
    ids=str,
)
def test_avg_pool1d_matches_torch(kw):
    check_op(lambda x: gF.avg_pool1d(x, **kw), lambda x: F.avg_pool1d(x, **kw), randn(2, 3, 9))


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("size", [1, (3, 2), (None, 4), (5, 7), (7, 5)], ids=str)
def test_adaptive_avg_pool2d_matches_torch(size, dtype):
    x = randn(2, 3, 7, 5, dtype=dtype)
    check_op(lambda x: gF.adaptive_avg_pool2d(x, size), lambda x: F.adaptive_avg_pool2d(x, size), x)


INT_POOLS = [
    ("max_pool2d", np.int64, dict(kernel_size=3, stride=2, padding=1)),
    ("max_pool2d", np.uint8, dict(kernel_size=2, padding=1, ceil_mode=True)),
    ("max_pool2d", np.int32, dict(kernel_size=(2, 3), dilation=(2, 1))),
    ("avg_pool2d", np.int64, dict(kernel_size=2)),
    ("avg_pool2d", np.int64, dict(kernel_size=3, stride=1, padding=1)),
    ("avg_pool2d", np.int64, dict(kernel_size=3, stride=1, padding=1, count_include_pad=False)),
    ("avg_pool2d", np.int64, dict(kernel_size=2, divisor_override=3)),
    ("avg_pool1d", np.int64, dict(kernel_size=3, stride=2, padding=1)),
]


@pytest.mark.parametrize(("op", "dtype", "kw"), INT_POOLS, ids=str)
def test_integer_pooling_matches_torch(op, dtype, kw):
    """torch pools integers for max_pool2d (any integer type: padding is the type's
    minimum) and average pooling (int64: the mean truncated toward zero)."""
    shape = (2, 3, 9) if op.endswith("1d") else (2, 3, 7, 6)
    low = 0 if np.iinfo(dtype).min == 0 else -50
    x = np.random.default_rng(0).integers(low, 50, shape).astype(dtype)
    ours = getattr(gF, op)(gu.tensor(x), **kw).numpy()
    theirs = getattr(F, op)(torch.tensor(x), **kw).numpy()
    assert ours.dtype == theirs.dtype
    np.testing.assert_array_equal(ours, theirs)


NO_KERNEL = [
    ("max_pool1d", np.int64),
    ("max_pool2d", np.bool_),
    ("avg_pool2d", np.int32),
    ("adaptive_avg_pool2d", np.int64),
]


@pytest.mark.parametrize(("op", "dtype"), NO_KERNEL)
def test_integer_pooling_without_a_torch_kernel_is_not_implemented(op, dtype):
    x = np.zeros((1, 2, 4) if op.endswith("1d") else (1, 2, 4, 4), dtype)
    size = 1 if op.startswith("adaptive") else 2
    with pytest.raises(NotImplementedError, match="floating-point"):
        getattr(gF, op)(gu.tensor(x), size)


def test_adaptive_pooling_to_size_zero_is_empty_as_in_torch():
    x = randn(2, 3, 4, 5)
    for size in (0, (0, 2), (3, 0)):
        y = gF.adaptive_avg_pool2d(gu.tensor(x), size)
        assert y.shape == F.adaptive_avg_pool2d(torch.tensor(x), size).shape


def test_global_average_pooling_is_the_mean_of_each_map():
    x = randn(2, 4, 5, 3)
    y = gF.adaptive_avg_pool2d(gu.tensor(x), 1).numpy()
    np.testing.assert_allclose(y[..., 0, 0], x.mean(axis=(2, 3)), rtol=1e-12)


def test_finite_differences_agree_with_backward():
    x = gu.tensor(randn(2, 2, 6, 5), requires_grad=True)
    assert gradcheck(lambda x: gF.max_pool2d(x, 3, 1, padding=1), (x,))
    assert gradcheck(
        lambda x: gF.avg_pool2d(x, 3, 2, 1, ceil_mode=True, count_include_pad=False), (x,)
    )
    assert gradcheck(lambda x: gF.adaptive_avg_pool2d(x, (4, 3)), (x,))


def test_float32_is_preserved():
    x = gu.tensor(randn(2, 3, 6, 6, dtype=np.float32), requires_grad=True)
    y = gF.max_pool2d(x, 2) + gF.avg_pool2d(x, 2, count_include_pad=False, padding=1)[..., :3, :3]
    z = y.sum() + gF.adaptive_avg_pool2d(x, 4).sum()
    z.backward()
    assert y.dtype == z.dtype == x.grad.dtype == np.float32


LAYER_CASES = [
    ("MaxPool2d", (2,), dict(), (2, 3, 7, 6)),
    (
        "MaxPool2d",
        ((2, 3),),
        dict(stride=1, padding=1, dilation=(1, 2), ceil_mode=True),
        (2, 3, 7, 6),
    ),
    ("MaxPool1d", (3, 2), dict(padding=1), (2, 3, 10)),
    ("AvgPool2d", (3,), dict(stride=2, padding=1, count_include_pad=False), (2, 3, 7, 6)),
    ("AvgPool2d", (2,), dict(divisor_override=2, ceil_mode=True), (3, 7, 6)),
    ("AvgPool1d", (2,), dict(), (2, 3, 9)),
    ("AdaptiveAvgPool2d", ((3, None),), dict(), (2, 3, 7, 6)),
    ("AdaptiveAvgPool2d", (1,), dict(), (2, 3, 7, 6)),
]


@pytest.mark.parametrize("name,args,kw,shape", LAYER_CASES, ids=str)
def test_layers_match_torch_have_no_parameters_and_keep_channels(name, args, kw, shape):
    g_layer, t_layer = getattr(nn, name)(*args, **kw), getattr(torch.nn, name)(*args, **kw)
    assert repr(g_layer) == repr(t_layer)
    assert list(g_layer.parameters()) == [] and g_layer.state_dict() == {}
    x = randn(*shape)
    check_op(g_layer, t_layer, x)
    dims = 1 if name.endswith("1d") else 2
    assert g_layer(gu.tensor(x)).shape[:-dims] == shape[:-dims]  # batch and channels kept


def test_max_pool_layer_can_return_indices():
    y, index = nn.MaxPool2d(2, return_indices=True)(gu.tensor(randn(1, 2, 4, 4)))
    assert y.shape == index.shape == (1, 2, 2, 2)


def test_errors_name_the_layer_the_input_and_what_failed():
    with pytest.raises(
        RuntimeError,
        match=r"MaxPool2d\(kernel_size=3, stride=3.* got input of "
        r"shape \(1, 1, 2, 2\): output height: \(2 \+ 2\*0 - 1\*\(3 - 1\) - 1\) / "
        r"3 \+ 1 < 1",
    ):
        nn.MaxPool2d(3)(gu.tensor(np.zeros((1, 1, 2, 2))))
    with pytest.raises(ValueError, match=r"padding \(2, 2\) should be at most half of kernel size"):
        gF.max_pool2d(gu.tensor(np.zeros((1, 1, 6, 6))), 2, padding=2)
    with pytest.raises(ValueError, match="at most half of kernel size"):
        gF.max_pool2d(gu.tensor(np.zeros((1, 1, 9, 9))), 3, padding=2, dilation=2)
    with pytest.raises(ValueError, match="at most half of kernel size"):
        gF.avg_pool2d(gu.tensor(np.zeros((1, 1, 6, 6))), 2, padding=2)
    with pytest.raises(RuntimeError, match=r"AvgPool1d.*: expected a 2-D \(unbatched\) or 3-D"):
        nn.AvgPool1d(2)(gu.tensor(np.zeros((1, 1, 4, 4))))
    with pytest.raises(TypeError, match="floating-point"):
        gF.max_pool2d(gu.tensor(np.zeros((1, 1, 4, 4), np.bool_)), 2)
    with pytest.raises(TypeError, match="floating-point"):
        gF.max_pool1d(gu.tensor(np.zeros((1, 1, 4), np.int64)), 2)
    with pytest.raises(ValueError, match="divisor_override must be non-zero"):
        gF.avg_pool2d(gu.tensor(np.zeros((1, 1, 4, 4))), 2, divisor_override=0)
    with pytest.raises(RuntimeError, match="output_size .* must be non-negative"):
        gF.adaptive_avg_pool2d(gu.tensor(np.zeros((1, 1, 4, 4))), -1)


@given(
    size=st.tuples(st.integers(1, 9), st.integers(1, 9)),
    kernel=st.tuples(st.integers(1, 4), st.integers(1, 4)),
    stride=st.tuples(st.integers(1, 3), st.integers(1, 3)),
    padding=st.tuples(st.integers(0, 2), st.integers(0, 2)),
    ceil_mode=st.booleans(),
    count_include_pad=st.booleans(),
)
def test_random_pool_configurations_match_torch(
    size, kernel, stride, padding, ceil_mode, count_include_pad
):
    if any(2 * p > k for p, k in zip(padding, kernel, strict=True)):
        return  # torch rejects padding above half the kernel
    x = randn(2, 2, *size)
    kw = dict(kernel_size=kernel, stride=stride, padding=padding, ceil_mode=ceil_mode)
    try:
        F.max_pool2d(torch.tensor(x), **kw)
    except RuntimeError:
        with pytest.raises(RuntimeError, match="< 1"):
            gF.max_pool2d(gu.tensor(x), **kw)
        return
    check_op(lambda x: gF.max_pool2d(x, **kw), lambda x: F.max_pool2d(x, **kw), x)
    kw["count_include_pad"] = count_include_pad
    check_op(lambda x: gF.avg_pool2d(x, **kw), lambda x: F.avg_pool2d(x, **kw), x)

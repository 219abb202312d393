"""Cumulative ops against torch: cumsum, cumprod (gradients with zeros), logcumsumexp,
cummax/cummin (values, indices with ties and nan, gradients), dtypes, 0-d and empty
inputs, the in-place twins cumsum_/cumprod_."""

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

import groundup as gu
from tests.oracle import check_op
from tests.strategies import ladder, normal, seeds, with_ties

NAN, INF = float("nan"), float("inf")
DIMS = [0, 1, -1, 2]


@pytest.mark.parametrize("dim", DIMS)
@pytest.mark.parametrize("op", ["cumsum", "cumprod", "logcumsumexp"])
def test_scans_match_torch(op, dim):
    x = normal((2, 3, 4), 0)
    ladder(lambda t: getattr(t, op)(dim), lambda t: getattr(t, op)(dim), x)
    ladder(lambda t: getattr(gu, op)(t, dim=dim), lambda t: getattr(torch, op)(t, dim=dim), x)
    check_op(lambda t: getattr(t, op)(dim), lambda t: getattr(t, op)(dim), x.transpose(2, 1, 0))


CUMPROD_ZEROS = {
    "one_zero": np.array([1.5, 0.0, 2.0, -3.0, 0.5]),
    "leading_zero": np.array([0.0, 2.0, 3.0, 0.5]),
    "trailing_zero": np.array([2.0, 3.0, 0.5, 0.0]),
    "two_zeros": np.array([1.0, 0.0, 2.0, 0.0, 3.0]),
    "adjacent_zeros": np.array([2.0, 0.0, 0.0, 3.0]),
    "all_zeros": np.zeros(4),
    "rows": np.array([[1.0, 0.0, 2.0], [3.0, 4.0, 5.0], [0.0, 0.0, 1.0]]),
}


@pytest.mark.parametrize("case", sorted(CUMPROD_ZEROS))
def test_cumprod_gradient_with_zeros_matches_torch(case):
    x = CUMPROD_ZEROS[case]
    ladder(lambda t: t.cumprod(-1), lambda t: t.cumprod(-1), x)
    if x.ndim == 2:
        ladder(lambda t: t.cumprod(0), lambda t: t.cumprod(0), x)


@given(shape=st.lists(st.integers(1, 4), min_size=1, max_size=3), seed=seeds, data=st.data())
def test_prod_and_cumprod_with_random_zeros(shape, seed, data):
    x = with_ties(shape, seed)  # integers in [-2, 2]: zeros, often several, are common
    dim = data.draw(st.integers(-len(shape), len(shape) - 1))
    ladder(lambda t: t.cumprod(dim), lambda t: t.cumprod(dim), x)
    ladder(lambda t: t.prod(dim), lambda t: t.prod(dim), x)
    ladder(lambda t: t.prod(), lambda t: t.prod(), x)


@pytest.mark.parametrize("op", ["cumsum", "cumprod"])
def test_integer_and_bool_scans_are_int64_and_dtype_converts(op):
    for a in (np.array([[1, 2], [3, 4]], np.int32), np.array([True, True, False]), np.arange(4)):
        out, expected = getattr(gu.tensor(a), op)(0), getattr(torch.tensor(a), op)(0)
        assert out.dtype == np.int64 == expected.numpy().dtype
        np.testing.assert_array_equal(out.numpy(), expected.numpy())
    pairs = [
        (np.array([1.5, 2.5]), np.int64, torch.int64),
        (np.array([1, 2], np.uint8), np.uint8, torch.uint8),
        (np.array([1, 2]), np.float64, torch.float64),
    ]
    for a, dtype, torch_dtype in pairs:
        out = getattr(gu.tensor(a), op)(0, dtype=dtype)
        expected = getattr(torch.tensor(a), op)(0, dtype=torch_dtype)
        assert out.dtype == expected.numpy().dtype
        np.testing.assert_array_equal(out.numpy(), expected.numpy())
    x = normal((3,), 1, np.float32)
    check_op(
        lambda t: getattr(t, op)(0, dtype=np.float64),
        lambda t: getattr(t, op)(0, dtype=torch.float64),
        x,
    )


@pytest.mark.parametrize("op", ["cumsum", "cumprod", "logcumsumexp"])
def test_scans_of_0d_and_empty_tensors(op):
    for dim in (0, -1):
        check_op(
            lambda t, d=dim: getattr(t, op)(d), lambda t, d=dim: getattr(t, op)(d), np.array(1.5)
        )
    for shape, dim in (((0, 3), 0), ((0, 3), 1), ((2, 0), 1)):
        check_op(
            lambda t, d=dim: getattr(t, op)(d), lambda t, d=dim: getattr(t, op)(d), np.zeros(shape)
        )


def test_logcumsumexp_is_stable_and_matches_torch_at_infinities():
    ladder(
        lambda t: t.logcumsumexp(0),
        lambda t: t.logcumsumexp(0),
        np.array([1000.0, 999.0, -1000.0, 1001.0]),
    )
    for a in (np.array([-INF, -INF, 2.0, 1.0]), np.array([INF, 1.0])):
        check_op(lambda t: t.logcumsumexp(0), lambda t: t.logcumsumexp(0), a)
    with pytest.raises(NotImplementedError):
        torch.tensor([1, 2]).logcumsumexp(0)
    with pytest.raises(NotImplementedError, match="logcumsumexp.*int64"):
        gu.tensor([1, 2]).logcumsumexp(0)


CUM_ROWS = [
    np.array([1.0, 1.0, 1.0]),  # ties: the index moves forward
    np.array([3.0, 1.0, 2.0, 1.0, 3.0]),
    np.array([1.0, NAN, 3.0, NAN, 0.0]),  # nan propagates, later nans take the index
    np.array([NAN, 2.0, 1.0]),
    with_ties((3, 6), 2),
]


@pytest.mark.parametrize("index", range(len(CUM_ROWS)))
@pytest.mark.parametrize("op", ["cummax", "cummin"])
def test_cummax_cummin_values_indices_and_gradients(op, index):
    a = CUM_ROWS[index]
    g, t = getattr(gu.tensor(a), op)(-1), getattr(torch.tensor(a), op)(-1)
    values, indices = g
    assert values is g.values and indices is g.indices
    assert indices.dtype == np.int64 and not indices.requires_grad
    np.testing.assert_array_equal(indices.numpy(), t.indices.numpy())
    check_op(lambda t: getattr(t, op)(-1).values, lambda t: getattr(t, op)(-1).values, a)
    check_op(lambda t: getattr(t, op)(0).values, lambda t: getattr(t, op)(0).values, a)


@pytest.mark.parametrize("dim", DIMS)
@pytest.mark.parametrize("op", ["cummax", "cummin"])
def test_cummax_cummin_match_torch_on_random_data(op, dim):
    x = normal((2, 3, 4), 3)
    ladder(lambda t: getattr(t, op)(dim).values, lambda t: getattr(t, op)(dim).values, x)
    check_op(
        lambda t: getattr(t, op)(dim).values,
        lambda t: getattr(t, op)(dim).values,
        x.transpose(1, 2, 0),
    )


@pytest.mark.parametrize("op", ["cummax", "cummin"])
def test_cummax_cummin_dtypes_0d_and_empty(op):
    for a in (
        np.array([3, 1, 2, 1, 3]),
        np.array([True, False, True]),
        np.array([1, 5, 2], np.uint8),
    ):
        g, t = getattr(gu.tensor(a), op)(0), getattr(torch.tensor(a), op)(0)
        assert g.values.dtype == t.values.numpy().dtype
        np.testing.assert_array_equal(g.values.numpy(), t.values.numpy())
        np.testing.assert_array_equal(g.indices.numpy(), t.indices.numpy())
    g, t = getattr(gu.tensor(2.5), op)(0), getattr(torch.tensor(2.5), op)(0)
    assert g.values.shape == g.indices.shape == () and g.indices.item() == t.indices.item() == 0
    check_op(lambda t: getattr(t, op)(0).values, lambda t: getattr(t, op)(0).values, np.array(2.5))
    check_op(
        lambda t: getattr(t, op)(1).values, lambda t: getattr(t, op)(1).values, np.zeros((0, 3))
    )


@pytest.mark.parametrize(
    "call, error, message",
    [
        (lambda T, x: x.cumsum(), TypeError, "missing 1 required positional argument: 'dim'"),
        (lambda T, x: x.cumsum(dim=None), TypeError, "missing"),
        (lambda T, x: x.cumprod(dim=(0,)), TypeError, "must be int, not tuple"),
        (lambda T, x: x.cumsum(2), IndexError, "cumsum: dim 2 is out of range"),
        (lambda T, x: x.cummax(-3), IndexError, "cummax: dim -3 is out of range"),
        (lambda T, x: x.logcumsumexp(5), IndexError, "logcumsumexp: dim 5"),
    ],
)
def test_scan_errors(call, error, message):
    with pytest.raises(error):
        call(torch, torch.zeros(2, 3))
    with pytest.raises(error, match=message):
        call(gu, gu.zeros(2, 3))


@pytest.mark.parametrize("op", ["cumsum_", "cumprod_"])
def test_inplace_scans_on_a_non_leaf_match_torch(op):
    a = normal((3, 4), 4)
    a[1, 2] = 0.0
    results = []
    for T in (gu, torch):
        x = T.tensor(a, requires_grad=True)
        y = x * 2
        out = getattr(y, op)(1)
        assert out is y and y._version == 1
        (y * y).sum().backward()
        results.append((y.detach().numpy().copy(), x.grad.numpy().copy()))
    np.testing.assert_allclose(results[0][0], results[1][0], rtol=1e-12)
    np.testing.assert_allclose(results[0][1], results[1][1], rtol=1e-12)
    ints = gu.tensor([1, 2, 3])
    with pytest.raises(RuntimeError):  # int64 result, int64 tensor: fine; into bool: not
        gu.tensor([True, False]).cumsum_(0)
    assert ints.cumsum_(0).tolist() == [1, 3, 6]

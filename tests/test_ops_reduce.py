"""Reductions against torch: sum/mean/var/std over any dims, max/min with values and
indices, ties, amax/amin, argmax/argmin, logsumexp."""

import warnings

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

import groundup as gu
from tests.oracle import check_op
from tests.strategies import ladder, normal, seeds, with_ties

DIMS = [None, 0, 1, -1, (0, 2), (-1, 0), (), [1, 2]]


@pytest.mark.parametrize("op", ["sum", "mean"])
@pytest.mark.parametrize("dim", DIMS)
@pytest.mark.parametrize("keepdim", [False, True])
def test_sum_and_mean_match_torch(op, dim, keepdim):
    x = normal((2, 3, 4), 0)
    if dim is None:
        ladder(lambda t: getattr(t, op)(), lambda t: getattr(t, op)(), x)
    else:
        ladder(
            lambda t: getattr(t, op)(dim=dim, keepdim=keepdim),
            lambda t: getattr(t, op)(dim=dim, keepdim=keepdim),
            x,
        )


@given(shape=st.lists(st.integers(1, 4), min_size=0, max_size=3), seed=seeds, data=st.data())
def test_sum_over_random_dims(shape, seed, data):
    ndim = len(shape)
    dims = data.draw(st.lists(st.integers(-max(ndim, 1), max(ndim, 1) - 1), unique=True))
    dims = sorted({d % max(ndim, 1) for d in dims})
    keepdim = data.draw(st.booleans())
    x = normal(shape, seed)
    ladder(lambda t: gu.sum(t, dims, keepdim), lambda t: torch.sum(t, dims, keepdim), x)


def test_sum_of_bool_and_int_tensors_is_int64_without_grad():
    for a in (np.array([[True, False], [True, True]]), np.array([[1, 2], [3, 4]], np.int32)):
        out, expected = gu.tensor(a).sum(dim=0), torch.tensor(a).sum(dim=0)
        assert out.dtype == np.int64 and str(expected.dtype) == "torch.int64"
        np.testing.assert_array_equal(out.numpy(), expected.numpy())
        assert not out.requires_grad


def test_reductions_of_0d_tensors():
    x = np.array(2.5)
    for dim in (0, -1):
        check_op(lambda t, d=dim: t.sum(dim=d), lambda t, d=dim: t.sum(dim=d), x)
        check_op(lambda t, d=dim: t.mean(d), lambda t, d=dim: t.mean(d), x)
        check_op(lambda t, d=dim: t.max(d).values, lambda t, d=dim: t.max(d).values, x)
        assert gu.tensor(x).max(dim).indices.item() == 0
    check_op(lambda t: t.amax(), lambda t: t.amax(), x)


@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"dim": 1},
        {"dim": (0, 2), "keepdim": True},
        {"dim": -1, "unbiased": False},
        {"dim": 1, "correction": 0},
        {"dim": 1, "correction": 2},
        {"correction": 0},
        {"unbiased": True},
    ],
)
@pytest.mark.parametrize("op", ["var", "std"])
def test_var_and_std_match_torch_corrections(op, kwargs):
    ladder(
        lambda t: getattr(t, op)(**kwargs), lambda t: getattr(t, op)(**kwargs), normal((3, 4, 5), 1)
    )


def test_var_positional_unbiased_as_in_torch():
    x = normal((4, 5), 2)
    check_op(lambda t: gu.var(t, 1, False, True), lambda t: torch.var(t, 1, False, True), x)
    check_op(lambda t: t.var(False), lambda t: t.var(False), x)  # the bool is `unbiased`
    check_op(lambda t: gu.std(t, True), lambda t: torch.std(t, True), x)


def test_std_of_a_constant_has_zero_gradient_like_torch():
    x = np.array([[1.0, 1.0, 1.0], [1.0, 2.0, 3.0]])
    check_op(lambda t: t.std(dim=1), lambda t: t.std(dim=1), x)


def test_var_with_too_few_elements_is_nan_like_torch():
    x = np.array([[1.0], [2.0]])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # torch warns about dof <= 0
        for op in ("var", "std"):
            check_op(
                lambda t, op=op: getattr(t, op)(dim=1), lambda t, op=op: getattr(t, op)(dim=1), x
            )


def test_var_of_an_integer_tensor_is_an_error():
    # torch raises RuntimeError for both
    with pytest.raises(RuntimeError, match=r"var\(\): std and var only support floating-point"):
        gu.tensor([1, 2, 3]).var()
    with pytest.raises(RuntimeError, match=r"mean\(\): expected a floating-point tensor"):
        gu.tensor([1, 2, 3]).mean()


@pytest.mark.parametrize("op", ["max", "min"])
@pytest.mark.parametrize("dim", [0, 1, -1])
@pytest.mark.parametrize("keepdim", [False, True])
def test_max_min_along_a_dim_return_values_and_indices(op, dim, keepdim):
    x = normal((3, 4, 5), 3)
    gu_out = getattr(gu.tensor(x), op)(dim, keepdim)
    torch_out = getattr(torch.tensor(x), op)(dim, keepdim)
    np.testing.assert_array_equal(gu_out.indices.numpy(), torch_out.indices.numpy())
    assert gu_out.indices.dtype == np.int64
    values, indices = gu_out  # a named pair, like torch's
    assert values is gu_out.values and indices is gu_out.indices
    ladder(
        lambda t: getattr(t, op)(dim=dim, keepdim=keepdim).values,
        lambda t: getattr(t, op)(dim=dim, keepdim=keepdim).values,
        x,
    )


@pytest.mark.parametrize("op", ["max", "min"])
def test_max_along_a_dim_with_ties_sends_gradient_to_the_returned_index(op):
    x = np.array([[1.0, 3.0, 3.0], [2.0, 2.0, 2.0], [-1.0, 0.0, -1.0]])
    check_op(lambda t: getattr(t, op)(1).values, lambda t: getattr(t, op)(1).values, x)
    np.testing.assert_array_equal(
        getattr(gu.tensor(x), op)(1).indices.numpy(), getattr(torch.tensor(x), op)(1).indices
    )


@pytest.mark.parametrize("op", ["max", "min"])
def test_max_of_everything_shares_ties_evenly(op):
    x = np.array([[1.0, 3.0, 3.0], [3.0, -1.0, -1.0]])
    check_op(lambda t: getattr(t, op)(), lambda t: getattr(t, op)(), x)
    t = gu.tensor(x, requires_grad=True)
    t.max().backward()
    np.testing.assert_allclose(t.grad.numpy(), [[0, 1 / 3, 1 / 3], [1 / 3, 0, 0]])


@pytest.mark.parametrize("op", ["amax", "amin"])
@pytest.mark.parametrize("dim", [(), 0, -1, (0, 1)])
@pytest.mark.parametrize("keepdim", [False, True])
def test_amax_amin_share_ties_evenly(op, dim, keepdim):
    x = with_ties((4, 5), 4)
    ladder(
        lambda t: getattr(gu, op)(t, dim, keepdim),
        lambda t: getattr(torch, op)(t, dim, keepdim),
        x,
        check_gradients=False,  # ties make finite differences one-sided
    )
    ladder(
        lambda t: getattr(t, op)(dim, keepdim),
        lambda t: getattr(t, op)(dim, keepdim),
        normal((4, 5), 5),
    )


def test_max_of_nan_propagates_and_routes_gradient_to_nan():
    x = np.array([1.0, np.nan, 3.0])
    check_op(lambda t: t.max(), lambda t: t.max(), x)


@pytest.mark.parametrize("op", ["argmax", "argmin"])
@pytest.mark.parametrize(
    "dim, keepdim", [(None, False), (None, True), (0, False), (1, True), (-1, False)]
)
def test_argmax_argmin_match_torch_including_ties(op, dim, keepdim):
    x = with_ties((4, 5), 6)
    out = getattr(gu.tensor(x), op)(dim=dim, keepdim=keepdim)
    expected = getattr(torch.tensor(x), op)(dim=dim, keepdim=keepdim)
    assert out.dtype == np.int64 and out.shape == tuple(expected.shape)
    np.testing.assert_array_equal(out.numpy(), expected.numpy())
    assert not out.requires_grad


@pytest.mark.parametrize("dim", [0, 1, -1, (0, 1)])
@pytest.mark.parametrize("keepdim", [False, True])
def test_logsumexp_matches_torch(dim, keepdim):
    ladder(
        lambda t: t.logsumexp(dim, keepdim), lambda t: t.logsumexp(dim, keepdim), normal((3, 4), 7)
    )


def test_logsumexp_is_stable_for_huge_and_minus_infinite_inputs():
    x = np.array([[1e4, 1e4 - 1.0, -1e4], [-np.inf, -np.inf, -np.inf], [-np.inf, 0.0, 1.0]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        check_op(lambda t: t.logsumexp(1), lambda t: t.logsumexp(1), x)
        # float32: torch's gradient exp(x - result) loses digits to the rounding of
        # result ~ 1e4; groundup's softmax does not, so compare with the float64 truth.
        t = gu.tensor(x.astype(np.float32), requires_grad=True)
        out = t.logsumexp(1)
        out.backward(np.array([1.0, 1.0, 2.0], np.float32))
    reference = torch.tensor(x, requires_grad=True)
    reference.logsumexp(1).backward(torch.tensor([1.0, 1.0, 2.0], dtype=torch.float64))
    assert out.dtype == t.grad.dtype == np.float32
    np.testing.assert_allclose(out.detach().numpy(), reference.logsumexp(1).detach(), rtol=1e-6)
    np.testing.assert_allclose(t.grad.numpy(), reference.grad, rtol=1e-6)


def test_logsumexp_of_integers_is_float32():
    out, expected = gu.tensor([1, 2]).logsumexp(0), torch.tensor([1, 2]).logsumexp(0)
    assert out.dtype == np.float32
    np.testing.assert_allclose(out.item(), expected.item(), rtol=1e-6)


@pytest.mark.parametrize(
    "call, error, message",
    [
        (lambda t: t.sum(dim=3), IndexError, r"sum: dim 3 is out of range .* \[-3, 2\]"),
        (
            lambda t: t.mean(dim=(0, -3)),
            RuntimeError,
            "mean: dim .* names the same dimension twice",
        ),
        (lambda t: t.max(dim=-4), IndexError, "max: dim -4 is out of range"),
        (lambda t: t.argmax(dim=5), IndexError, "argmax: dim 5 is out of range"),
        (lambda t: t.logsumexp(7), IndexError, "logsumexp: dim 7 is out of range"),
        (
            lambda t: t[:0].max(),
            RuntimeError,
            r"max\(\): expected reduction dim to be specified .* \(shape \(0, 3, 4\)\)",
        ),
    ],
)
def test_reduction_errors_name_the_op_and_the_problem(call, error, message):
    with pytest.raises(error, match=message):
        call(gu.tensor(normal((2, 3, 4), 0)))


def test_float32_reductions_stay_float32():
    x = gu.tensor(normal((3, 4), 0, np.float32), requires_grad=True)
    outs = [x.sum(), x.mean(0), x.var(1), x.std(), x.max(0).values, x.amin(), x.logsumexp(1)]
    assert all(o.dtype == np.float32 for o in outs)
    sum(o.sum() for o in outs).backward()
    assert x.grad.dtype == np.float32

"""Elementwise ops against torch: arithmetic with broadcasting, unary math, clamp,
maximum/minimum ties, where, masked_fill, comparisons and dtype promotion."""

import operator
import warnings

import numpy as np
import pytest
import torch
from hypothesis import given

import groundup as gu
from groundup.inspect import gradcheck
from tests.oracle import assert_close, check_op
from tests.strategies import (
    away_from_zero,
    broadcast_shapes,
    ladder,
    normal,
    positive,
    seeds,
    with_ties,
)

# name: (groundup op, torch op, data for a, data for b)
BINARY = {
    "add": (lambda a, b: a + b, lambda a, b: a + b, normal, normal),
    "sub": (lambda a, b: a - b, lambda a, b: a - b, normal, normal),
    "mul": (lambda a, b: a * b, lambda a, b: a * b, normal, normal),
    "div": (lambda a, b: a / b, lambda a, b: a / b, normal, away_from_zero),
    "pow": (lambda a, b: a**b, lambda a, b: a**b, positive, normal),
    "maximum": (gu.maximum, torch.maximum, with_ties, with_ties),
    "minimum": (gu.minimum, torch.minimum, with_ties, with_ties),
    "functional_add": (gu.add, torch.add, normal, normal),
    "functional_div": (gu.div, torch.div, normal, away_from_zero),
}


@pytest.mark.parametrize("name", sorted(BINARY))
@given(shapes=broadcast_shapes(), seed=seeds)
def test_binary_op_broadcasts_like_torch(name, shapes, seed):
    gu_fn, torch_fn, make_a, make_b = BINARY[name]
    a, b = make_a(shapes[0], seed), make_b(shapes[1], seed + 1)
    ladder(gu_fn, torch_fn, a, b)


@given(shapes=broadcast_shapes(num_shapes=3), seed=seeds)
def test_where_broadcasts_condition_and_both_branches(shapes, seed):
    cond = np.random.default_rng(seed).random(shapes[0]) > 0.5
    a, b = normal(shapes[1], seed), normal(shapes[2], seed + 1)
    ladder(
        lambda x, y: gu.where(gu.tensor(cond), x, y),
        lambda x, y: torch.where(torch.tensor(cond), x, y),
        a,
        b,
    )


@pytest.mark.parametrize(
    "gu_fn, torch_fn",
    [
        (lambda x: 2.5 - x, lambda x: 2.5 - x),
        (lambda x: 3.0 / x, lambda x: 3.0 / x),
        (lambda x: 2.0**x, lambda x: 2.0**x),
        (lambda x: x**2, lambda x: x**2),
        (lambda x: x**-1.5, lambda x: x**-1.5),
        (lambda x: 1 + x * 2, lambda x: 1 + x * 2),
        (lambda x: -x, lambda x: -x),
        (lambda x: x.where(x > 1, x * 3), lambda x: x.where(x > 1, x * 3)),
    ],
)
def test_python_scalar_operands_and_reflected_operators(gu_fn, torch_fn):
    ladder(gu_fn, torch_fn, positive((3, 4), 0))


@pytest.mark.parametrize(
    "gu_fn, torch_fn, make",
    [
        (gu.neg, torch.neg, normal),
        (gu.exp, torch.exp, normal),
        (gu.log, torch.log, positive),
        (gu.sqrt, torch.sqrt, positive),
        (gu.abs, torch.abs, away_from_zero),
        (lambda x: x.exp().log(), lambda x: x.exp().log(), normal),
        (lambda x: abs(x), lambda x: abs(x), away_from_zero),
    ],
)
@pytest.mark.parametrize("shape", [(), (5,), (2, 3, 4)])
def test_unary_op_matches_torch(gu_fn, torch_fn, make, shape):
    ladder(gu_fn, torch_fn, make(shape, 7))


def test_abs_has_zero_gradient_at_zero():
    check_op(gu.abs, torch.abs, np.array([-1.5, 0.0, 2.0]))


@pytest.mark.parametrize("low, high", [(-0.5, 0.5), (-0.5, None), (None, 0.5), (1.0, -1.0), (0, 1)])
def test_clamp_passes_gradient_inside_and_on_both_boundaries(low, high):
    # exact boundary values: torch passes the gradient there (inclusive)
    x = np.array([-2.0, -0.5, -0.2, 0.0, 0.3, 0.5, 1.0, 2.0])
    check_op(
        lambda t: gu.clamp(t, min=low, max=high), lambda t: torch.clamp(t, min=low, max=high), x
    )
    check_op(lambda t: t.clip(low, high), lambda t: t.clip(low, high), x.astype(np.float32))


def test_clamp_boundary_gradient_is_one():
    x = gu.tensor([-1.0, 0.0, 1.0], requires_grad=True)
    x.clamp(-1.0, 1.0).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [1.0, 1.0, 1.0])


def test_clamp_needs_a_bound():
    with pytest.raises(RuntimeError, match="At least one of 'min' or 'max' must not be None"):
        gu.clamp(gu.tensor([1.0]))


@pytest.mark.parametrize("op", ["maximum", "minimum"])
def test_maximum_minimum_split_a_tie_evenly(op):
    a = np.array([[1.0, 2.0, 3.0], [0.0, -1.0, 5.0]])
    b = np.array([1.0, 3.0, 3.0])  # ties at (0, 0), (0, 2)
    check_op(getattr(gu, op), getattr(torch, op), a, b)
    x, y = gu.tensor([2.0], requires_grad=True), gu.tensor([2.0], requires_grad=True)
    getattr(gu, op)(x, y).backward()
    assert x.grad.item() == y.grad.item() == 0.5


def test_max_and_min_of_two_tensors_are_elementwise():
    a, b = with_ties((3, 4), 1), with_ties((4,), 2)
    check_op(lambda x, y: gu.max(x, y), lambda x, y: torch.max(x, y), a, b)
    check_op(lambda x, y: gu.min(x, y), lambda x, y: torch.min(x, y), a, b)


def test_where_with_python_scalar_branch_and_condition_errors():
    x = normal((2, 3), 0)
    ladder(lambda t: gu.where(t > 0, t, 0.0), lambda t: torch.where(t > 0, t, 0.0), x)
    with pytest.raises(
        RuntimeError, match="where: condition must be a bool tensor, got dtype int64"
    ):
        gu.where(gu.tensor([1, 0]), gu.tensor([1.0, 2.0]), 0.0)


@pytest.mark.parametrize("value", [0.0, -1e9, float("-inf"), 3])
def test_masked_fill_broadcasts_mask_and_blocks_gradient(value):
    mask = np.array([[True, False, False, True]])  # broadcast over rows
    x = normal((3, 4), 0)
    ladder(
        lambda t: t.masked_fill(gu.tensor(mask), value) * 2,
        lambda t: t.masked_fill(torch.tensor(mask), value) * 2,
        x,
        check_gradients=value != float("-inf"),
    )


def test_masked_fill_accepts_a_tensor_value_and_checks_its_mask():
    x = normal((2, 2), 0)
    check_op(
        lambda t: gu.masked_fill(t, gu.tensor([True, False]), gu.tensor(7.0, dtype=np.float64)),
        lambda t: torch.masked_fill(t, torch.tensor([True, False]), torch.tensor(7.0).double()),
        x,
    )
    with pytest.raises(RuntimeError, match="masked_fill: mask must be a bool tensor"):
        gu.masked_fill(gu.tensor(x), gu.tensor([1, 0]), 0.0)
    with pytest.raises(RuntimeError, match=r"masked_fill: mask of shape \(3,\) does not broadcast"):
        gu.masked_fill(gu.tensor(x), gu.tensor([True, False, True]), 0.0)


@pytest.mark.parametrize("op", ["eq", "ne", "lt", "le", "gt", "ge"])
def test_comparisons_give_bool_tensors_outside_the_graph(op):
    a, b = with_ties((3, 4), 0), with_ties((4,), 1)
    x = gu.tensor(a, requires_grad=True)
    compare = getattr(operator, op)
    # a tensor, a Python scalar and an ndarray on the right
    for other, other_torch in [(gu.tensor(b), torch.tensor(b)), (0.0, 0.0), (b, torch.tensor(b))]:
        out = compare(x, other)
        expected = compare(torch.tensor(a), other_torch)
        assert out.dtype == np.bool_ and not out.requires_grad and out.grad_fn is None
        np.testing.assert_array_equal(out.numpy(), expected.numpy())


def test_reflected_comparison_and_logic_with_ndarray():
    a = np.array([1.0, 2.0, 3.0])
    t = gu.tensor([2.0, 2.0, 2.0])
    out = a < t  # ndarray.__lt__ defers: Tensor.__gt__
    assert isinstance(out, gu.Tensor)
    np.testing.assert_array_equal(out.numpy(), [True, False, False])
    np.testing.assert_array_equal(((t > 1) & (t < 3)).numpy(), [True] * 3)
    np.testing.assert_array_equal((~(t > 1) | (t == 2)).numpy(), [True] * 3)


# ---------------------------------------------------------------- dtype promotion
def _torch_dtype_name(t):
    return str(t.dtype).replace("torch.", "")


@pytest.mark.parametrize(
    "make",
    [
        lambda m: m.tensor([1.0, 2.0]) * np.float64(2.0),
        lambda m: np.float64(2.0) * m.tensor([1.0, 2.0]),
        lambda m: m.tensor([1.0, 2.0]) + np.float32(0.5),
        lambda m: m.tensor([1, 2]) + 1.5,
        lambda m: 1.5 * m.tensor([1, 2]),
        lambda m: m.tensor([1, 2]) / m.tensor([2, 4]),
        lambda m: m.tensor([1, 2]) + m.tensor([1.0, 2.0]),
        lambda m: m.tensor([1.0, 2.0]) + m.tensor(np.array(3.0)),  # 0-d float64
        lambda m: m.tensor([1.0, 2.0]) + m.tensor(np.array([3.0, 4.0])),  # float64 wins
        lambda m: m.tensor([1, 2]) + m.tensor(np.array(2.5)),  # 0-d float64, higher category
        lambda m: m.tensor([True, False]) + 1,
        lambda m: m.tensor([True, False]) * 1.5,
        lambda m: m.tensor(np.array([1, 2], dtype=np.int32)) + m.tensor(5),
        lambda m: m.exp(m.tensor([1, 2])),
        lambda m: m.sqrt(m.tensor([1, 4])),
        lambda m: m.sigmoid(m.tensor([1, 2])),
        lambda m: m.tensor([1, 2]) ** 2,
        lambda m: m.tensor([1, 2]).clamp(min=0.5),
        lambda m: m.where(m.tensor([True, False]), m.tensor([1.0, 2.0]), m.tensor([1, 2])),
        lambda m: m.maximum(m.tensor([1.0, 2.0]), m.tensor(np.array([1.5, 0.0]))),
    ],
)
def test_result_dtype_follows_torch(make):
    out, expected = make(gu), make(torch)
    assert str(out.dtype) == _torch_dtype_name(expected)
    np.testing.assert_allclose(out.numpy(), expected.numpy(), rtol=1e-6)


def test_float32_gradients_stay_float32_through_mixed_dtypes():
    x = gu.tensor([1.0, 2.0], requires_grad=True)
    y = (x * np.float64(3.0) + np.array([1.0, 1.0], dtype=np.float32)) / 2
    assert y.dtype == np.float32
    (y * gu.tensor(np.array([1.0, 2.0]))).sum().backward()  # float64 operand: promotes
    assert x.grad.dtype == np.float32
    np.testing.assert_allclose(x.grad.numpy(), [1.5, 3.0])


def test_casts_to_integer_leave_the_graph_and_float_casts_stay_in_it():
    x = gu.tensor([1.5, -2.5], requires_grad=True)
    assert not x.long().requires_grad and x.long().dtype == np.int64
    assert not x.bool().requires_grad
    y = x.double()
    assert y.dtype == np.float64 and y.requires_grad
    (y * y).sum().backward()
    assert x.grad.dtype == np.float32
    np.testing.assert_allclose(x.grad.numpy(), [3.0, -5.0])
    assert x.float() is x  # no-op cast


def test_clone_is_differentiable_and_does_not_share_memory():
    x = gu.tensor([1.0, 2.0], requires_grad=True)
    y = x.clone()
    assert not np.shares_memory(x._data, y._data)
    (y * 3).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [3.0, 3.0])


# ---------------------------------------------------------------- pow corner cases
def test_pow_gradients_at_zero_follow_torch():
    # 0 ** 0, 0 ** 2, 0 ** 0.5 for the base gradient; exponent gradient where base == 0
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        check_op(lambda a, b: a**b, lambda a, b: a**b, np.zeros(3), np.array([0.0, 2.0, 3.5]))
        check_op(lambda a: a**0, lambda a: a**0, np.array([0.0, 1.5]))


def test_pow_of_integer_tensor_and_negative_base():
    check_op(lambda a: a**3, lambda a: a**3, np.array([-2, 0, 3]))
    check_op(lambda a: a**3, lambda a: a**3, np.array([-2.0, 0.5, 3.0]))
    check_op(lambda a: a**-2, lambda a: a**-2, np.array([-2.0, 0.5, 3.0]))


def test_division_gradient_does_not_overflow_for_large_divisors():
    a = np.array([1.0, 2.0], dtype=np.float32)
    b = np.array([1e20, -3e20], dtype=np.float32)  # b * b overflows float32
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        check_op(lambda x, y: x / y, lambda x, y: x / y, a, b)


def test_gradcheck_of_a_composite_expression():
    x = gu.tensor(positive((3, 4), 3), requires_grad=True)
    y = gu.tensor(normal((4,), 4), requires_grad=True)
    assert gradcheck(lambda a, b: (a.sqrt() * b - a / (b * b + 1)).exp().abs(), [x, y])


def test_inputs_are_not_mutated_by_forward_or_backward():
    a, b = normal((3, 4), 0), normal((4,), 1)
    x, y = gu.tensor(a, requires_grad=True), gu.tensor(b, requires_grad=True)
    out = gu.maximum(x * y, y).clamp(-0.5, 0.5) + gu.where(x > 0, x, y).exp()
    out.backward(np.ones((3, 4)))
    np.testing.assert_array_equal(x.detach().numpy(), a)
    np.testing.assert_array_equal(y.detach().numpy(), b)
    assert_close(
        out,
        torch.maximum(torch.tensor(a) * torch.tensor(b), torch.tensor(b)).clamp(-0.5, 0.5)
        + torch.where(torch.tensor(a) > 0, torch.tensor(a), torch.tensor(b)).exp(),
    )

"""Comparison and logic ops against torch: eq..ge and their aliases with torch's type
promotion, isnan & co., isclose/allclose/equal, logical_*, bitwise_* and the operators
& | ^ ~, all/any, and the in-place twins."""

import operator

import numpy as np
import pytest
import torch
from hypothesis import given

import groundup as gu
from tests.strategies import broadcast_shapes, normal, seeds, with_ties

NAN, INF = float("nan"), float("inf")

COMPARISONS = ["eq", "ne", "lt", "le", "gt", "ge"]
ALIASES = {
    "greater": "gt",
    "greater_equal": "ge",
    "less": "lt",
    "less_equal": "le",
    "not_equal": "ne",
}
OPERATORS = {
    "eq": operator.eq,
    "ne": operator.ne,
    "lt": operator.lt,
    "le": operator.le,
    "gt": operator.gt,
    "ge": operator.ge,
}


def same(gu_out, torch_out):
    """Equal values, shape and dtype, and no history."""
    assert isinstance(gu_out, gu.Tensor)
    expected = torch_out.detach().numpy()
    assert gu_out.dtype == expected.dtype, f"dtype {gu_out.dtype} != torch {expected.dtype}"
    assert gu_out.shape == expected.shape
    np.testing.assert_array_equal(gu_out.numpy(), expected)
    assert not gu_out.requires_grad


def both(value):
    """The same operand for groundup and torch: arrays become tensors, numbers stay."""
    if isinstance(value, np.ndarray):
        return gu.tensor(value), torch.tensor(value)
    return value, value


# (input, other): dtype promotion cases, broadcasting and special values
OPERANDS = {
    "float_broadcast": (with_ties((3, 1, 4), 0), with_ties((2, 4), 1)),
    "float_nan_inf": (np.array([NAN, INF, -INF, 1.0]), np.array([NAN, INF, INF, 1.0])),
    "int_vs_float_scalar": (np.array([1, 2, 3]), 2.5),
    "int_vs_whole_float": (np.array([1, 2, 3]), 2.0),
    "int_vs_float_tensor": (np.array([1, 2, 3]), np.array([1.0, 2.5, 3.0], np.float32)),
    "int64_vs_float32_rounding": (np.array([16777217]), np.array([16777216.0], np.float32)),
    "float32_vs_python_float": (np.array([0.1, 0.2], np.float32), 0.1),
    "float64_vs_0d_float32": (np.array([0.1, 0.2]), np.array(0.1, np.float32)),
    "0d_float64_vs_float32": (np.array(0.1), np.array([0.1, 0.2], np.float32)),
    "bool_vs_int": (np.array([True, False]), 1),
    "bool_vs_two": (np.array([True, False]), 2),
    "bool_vs_float": (np.array([True, False]), 0.5),
    "bool_vs_bool": (np.array([True, False]), np.array([[True], [False]])),
    "uint8_vs_minus_one": (np.array([1, 2, 255], np.uint8), -1),
    "uint8_vs_300": (np.array([1, 2, 255], np.uint8), 300),
    "int8_vs_200": (np.array([1, -56, 3], np.int8), 200),
    "int32_vs_int64": (np.array([1, 2], np.int32), np.array([2, 2])),
    "0d_vs_0d": (np.array(1.5), np.array(2.0)),
    "empty": (np.zeros((0, 3)), np.zeros(3)),
}


@pytest.mark.parametrize("case", sorted(OPERANDS))
@pytest.mark.parametrize("op", COMPARISONS)
def test_comparisons_promote_like_torch(op, case):
    a, b = OPERANDS[case]
    (ga, ta), (gb, tb) = both(a), both(b)
    expected = getattr(torch, op)(ta, tb)
    same(getattr(gu, op)(ga, gb), expected)
    same(getattr(ga, op)(gb), expected)
    same(OPERATORS[op](ga, gb), expected)


@given(shapes=broadcast_shapes(), seed=seeds)
def test_comparisons_and_logic_broadcast_like_torch(shapes, seed):
    a, b = with_ties(shapes[0], seed), with_ties(shapes[1], seed + 1)  # ties: == is common
    ga, gb, ta, tb = gu.tensor(a), gu.tensor(b), torch.tensor(a), torch.tensor(b)
    for op in [*COMPARISONS, "logical_and", "logical_xor", "isclose"]:
        same(getattr(gu, op)(ga, gb), getattr(torch, op)(ta, tb))
    same(ga.long() & gb.long(), ta.long() & tb.long())


@pytest.mark.parametrize("op", COMPARISONS)
def test_reflected_comparisons_with_a_number_on_the_left(op):
    a = with_ties((2, 3), 2)
    same(OPERATORS[op](1.0, gu.tensor(a)), OPERATORS[op](1.0, torch.tensor(a)))


@pytest.mark.parametrize("alias", sorted(ALIASES))
def test_aliases_are_the_same_comparisons(alias):
    a, b = with_ties((3, 4), 3), with_ties((4,), 4)
    expected = getattr(torch, alias)(torch.tensor(a), torch.tensor(b))
    same(getattr(gu, alias)(gu.tensor(a), gu.tensor(b)), expected)
    same(getattr(gu.tensor(a), alias)(gu.tensor(b)), expected)


def test_comparisons_of_tensors_that_require_grad_have_no_history():
    x = gu.tensor(normal((3,), 0), requires_grad=True)
    for out in (x > 0, x.eq(x), gu.isnan(x), x.isclose(x), gu.logical_not(x), x.all()):
        assert out.dtype == np.bool_ and not out.requires_grad and out.grad_fn is None


def test_non_contiguous_inputs():
    a, b = with_ties((4, 3), 5), with_ties((3, 4), 6)
    ga, ta = gu.tensor(a).T, torch.tensor(a).T
    assert not ga.is_contiguous()
    same(ga < gu.tensor(b), ta < torch.tensor(b))
    same(ga.any(0), ta.any(0))
    same(gu.isclose(ga, gu.tensor(b)), torch.isclose(ta, torch.tensor(b)))


# ------------------------------------------------------------------ in-place twins
INPLACE_CASES = [
    ("eq_", np.array([1.0, 2.0, 3.0]), 2.0),  # a float tensor keeps its dtype: 1.0 / 0.0
    ("ne_", np.array([1.0, NAN, 3.0], np.float32), np.array([1.0, NAN, 0.0], np.float32)),
    ("lt_", np.array([1, 2, 3]), 2.5),  # an int64 tensor stores 1 / 0
    ("le_", np.array([[1, 2], [3, 4]]), np.array([2, 3])),
    ("gt_", np.array([True, False]), np.array([False, False])),
    ("ge_", np.array([0.5, 1.5]), 1),
    ("greater_", np.array([0.5, 1.5]), 1.0),
    ("greater_equal_", np.array([0.5, 1.5]), 1.5),
    ("less_", np.array([0.5, 1.5]), 1.0),
    ("less_equal_", np.array([0.5, 1.5]), 1.5),
    ("not_equal_", np.array([0.5, 1.5]), 1.5),
    ("logical_and_", np.array([1, 0, 2]), np.array([True, True, False])),
    ("logical_or_", np.array([0.0, 0.0, 2.5]), np.array([0.0, 1.0, 0.0])),
    ("logical_xor_", np.array([True, False, True]), np.array([1.0, 0.0, 0.0])),
    ("logical_not_", np.array([0.0, 1.5, NAN]), None),
    ("bitwise_and_", np.array([5, 6, 7]), 3),
    ("bitwise_or_", np.array([5, 6, 7], np.uint8), np.array([8, 8, 8], np.uint8)),
    ("bitwise_xor_", np.array([True, False]), True),
    ("bitwise_not_", np.array([0, 1, -5]), None),
    ("bitwise_and_", np.array([5, 6, 7]), np.array([True, False, True])),
]


@pytest.mark.parametrize("name, a, b", INPLACE_CASES)
def test_inplace_twins_keep_the_dtype_and_bump_the_version(name, a, b):
    g, t = gu.tensor(a), torch.tensor(a)
    args = () if b is None else both(b)
    g_out = getattr(g, name)(*args[:1])
    getattr(t, name)(*args[1:])
    assert g_out is g
    np.testing.assert_array_equal(g.numpy(), t.numpy())
    assert g.dtype == t.numpy().dtype
    assert g._version == 1


@pytest.mark.parametrize("name", ["eq_", "lt_", "ge_", "not_equal_"])
def test_inplace_comparison_on_a_non_leaf_gives_a_constant(name):
    # torch keeps a zero-gradient history on y; here y becomes a constant: the gradient
    # through y is 0 either way, so the gradients of x agree.
    a = with_ties((3, 4), 10)
    grads = []
    for T in (gu, torch):
        x = T.tensor(a, requires_grad=True)
        y = x * 2
        getattr(y, name)(1.0)
        (y * x).sum().backward()
        grads.append((y.detach().numpy().copy(), x.grad.numpy()))
    np.testing.assert_array_equal(grads[0][0], grads[1][0])
    np.testing.assert_array_equal(grads[0][1], grads[1][1])


def test_inplace_operators_and_or_xor():
    for op in ("__iand__", "__ior__", "__ixor__"):
        g, t = gu.tensor([5, 6, 7]), torch.tensor([5, 6, 7])
        assert getattr(g, op)(gu.tensor([3, 3, 1])) is g
        getattr(t, op)(torch.tensor([3, 3, 1]))
        np.testing.assert_array_equal(g.numpy(), t.numpy())
        assert g._version == 1


def test_inplace_twins_refuse_what_torch_refuses():
    with pytest.raises(RuntimeError, match="can't be cast"):
        gu.tensor([True, False]).bitwise_and_(gu.tensor([1, 2]))  # int64 result into bool
    with pytest.raises(RuntimeError, match="doesn't match the broadcast shape"):
        gu.zeros(2).eq_(gu.zeros(3, 2))
    g = gu.zeros(3, 2).eq_(gu.zeros(2))  # broadcasting the other operand is fine
    np.testing.assert_array_equal(g.numpy(), np.ones((3, 2)))


def test_inplace_comparison_through_a_view_changes_the_base():
    g, t = gu.tensor([[1.0, 2.0], [3.0, 4.0]]), torch.tensor([[1.0, 2.0], [3.0, 4.0]])
    g[0].gt_(1.5)
    t[0].gt_(1.5)
    np.testing.assert_array_equal(g.numpy(), t.numpy())
    assert g._version == 1


# ------------------------------------------------------------ floating-point tests
TESTS = ["isnan", "isinf", "isposinf", "isneginf", "isfinite", "isreal"]
TEST_INPUTS = [
    np.array([1.0, NAN, INF, -INF, 0.0, -0.0]),
    np.array([[NAN], [INF]], np.float32),
    np.array([1, -2, 3]),
    np.array([True, False]),
    np.array(NAN),
    np.zeros((0, 2)),
]


@pytest.mark.parametrize("index", range(len(TEST_INPUTS)))
@pytest.mark.parametrize("op", TESTS)
def test_floating_point_tests_match_torch(op, index):
    a = TEST_INPUTS[index]
    expected = getattr(torch, op)(torch.tensor(a))
    same(getattr(gu, op)(gu.tensor(a)), expected)
    same(getattr(gu.tensor(a), op)(), expected)


def test_floating_point_tests_need_a_tensor():
    with pytest.raises(TypeError, match="isnan.*must be a Tensor"):
        gu.isnan(1.0)


# ------------------------------------------------------------------------ closeness
CLOSE_PAIRS = {
    "float64": (np.array([1.0, 1.0 + 1e-6, 1.0 + 1e-4, 0.0, 1e-9, 100.0]), np.ones(6)),
    "float32": (
        np.array([1.0, 1.00001, 1.0001, 0.0, 2e-8], np.float32),
        np.array([1.0, 1.0, 1.0, 1e-8, 0.0], np.float32),
    ),
    "specials": (np.array([INF, NAN, -INF, INF, 1.0]), np.array([INF, NAN, INF, 1.0, NAN])),
    "int64": (np.array([1, 2, 3, 100]), np.array([1, 3, 4, 101])),
    "uint8_no_wrap": (np.array([1, 2, 0], np.uint8), np.array([2, 1, 255], np.uint8)),
    "int64_in_float32": (np.array([2**40 + 1, 16777217, 5]), np.array([2**40, 16777216, 6])),
    "bool": (np.array([True, False, True]), np.array([True, True, False])),
    "broadcast": (np.array([1.0, 2.0]), np.array([[1.0], [2.0 + 1e-9]])),
}
TOLERANCES = [
    {},
    {"rtol": 0.0, "atol": 0.0},
    {"rtol": 0.5},
    {"atol": 1.0},
    {"rtol": 1e-3, "atol": 0.0},
    {"equal_nan": True},
]


@pytest.mark.parametrize("kwargs", TOLERANCES)
@pytest.mark.parametrize("case", sorted(CLOSE_PAIRS))
def test_isclose_and_allclose_match_torch(case, kwargs):
    a, b = CLOSE_PAIRS[case]
    ga, gb, ta, tb = gu.tensor(a), gu.tensor(b), torch.tensor(a), torch.tensor(b)
    same(gu.isclose(ga, gb, **kwargs), torch.isclose(ta, tb, **kwargs))
    same(ga.isclose(gb, **kwargs), torch.isclose(ta, tb, **kwargs))
    result = gu.allclose(ga, gb, **kwargs)
    assert type(result) is bool and result == torch.allclose(ta, tb, **kwargs)


def test_isclose_positional_arguments_and_random_data():
    a = normal((5, 6), 7)
    b = a + normal((5, 6), 8) * 1e-5
    for dtype in (np.float64, np.float32):
        ga, gb = gu.tensor(a.astype(dtype)), gu.tensor(b.astype(dtype))
        ta, tb = torch.tensor(a.astype(dtype)), torch.tensor(b.astype(dtype))
        same(gu.isclose(ga, gb, 1e-5, 1e-5, False), torch.isclose(ta, tb, 1e-5, 1e-5, False))
        assert gu.allclose(ga, gb, 1e-3) == torch.allclose(ta, tb, 1e-3)


@pytest.mark.parametrize(
    "call, error, message",
    [
        (lambda: gu.isclose(gu.tensor([1]), gu.tensor([1.0])), RuntimeError, "dtype int64"),
        (lambda: gu.isclose(gu.tensor([1.0]), gu.tensor([1.0]), rtol=-1), RuntimeError, "rtol"),
        (lambda: gu.isclose(gu.tensor([1.0]), gu.tensor([1.0]), atol=-1), RuntimeError, "atol"),
        (lambda: gu.isclose(gu.tensor([1.0]), 1.0), TypeError, "'other' must be a Tensor"),
        (lambda: gu.allclose(gu.zeros(2), gu.zeros(3)), RuntimeError, "do not broadcast"),
        (lambda: gu.allclose(gu.tensor([1]), gu.tensor([1.0])), RuntimeError, "dtype"),
    ],
)
def test_closeness_errors(call, error, message):
    with pytest.raises(error, match=message):
        call()


EQUAL_PAIRS = [
    (np.array([1, 2]), np.array([1.0, 2.0])),
    (np.array([1, 2]), np.array([1.0, 2.5])),
    (np.array([1, 0]), np.array([True, False])),
    (np.zeros(2), np.zeros(1)),
    (np.zeros(2), np.zeros((1, 2))),
    (np.array([NAN]), np.array([NAN])),
    (np.zeros((0, 2)), np.zeros((0, 2))),
    (np.array(3.0), np.array(3.0)),
]


@pytest.mark.parametrize("a, b", EQUAL_PAIRS)
def test_equal_is_a_python_bool_like_torch(a, b):
    result = gu.equal(gu.tensor(a), gu.tensor(b))
    assert type(result) is bool
    assert result == torch.equal(torch.tensor(a), torch.tensor(b))
    assert gu.tensor(a).equal(gu.tensor(b)) == result


def test_equal_needs_tensors():
    with pytest.raises(TypeError, match="'other' must be a Tensor"):
        gu.equal(gu.tensor([1.0]), 1)


# -------------------------------------------------------------------------- logical
LOGICAL = ["logical_and", "logical_or", "logical_xor"]
LOGICAL_OPERANDS = [
    (np.array([0.0, 1.5, NAN, 0.0]), np.array([0, 2, 0, 0])),
    (np.array([True, False]), np.array([[1.0], [0.0]], np.float32)),
    (np.array([0, 1, 2], np.uint8), np.array(True)),
    (np.zeros((0, 2)), np.ones(2)),
]


@pytest.mark.parametrize("index", range(len(LOGICAL_OPERANDS)))
@pytest.mark.parametrize("op", LOGICAL)
def test_logical_ops_on_any_dtypes_give_bool(op, index):
    a, b = LOGICAL_OPERANDS[index]
    expected = getattr(torch, op)(torch.tensor(a), torch.tensor(b))
    same(getattr(gu, op)(gu.tensor(a), gu.tensor(b)), expected)
    same(getattr(gu.tensor(a), op)(gu.tensor(b)), expected)
    same(gu.logical_not(gu.tensor(a)), torch.logical_not(torch.tensor(a)))


def test_logical_ops_need_tensors():
    with pytest.raises(TypeError, match="logical_and.*'other' must be a Tensor"):
        gu.logical_and(gu.tensor([1.0]), 2)
    with pytest.raises(TypeError, match="logical_not.*'input' must be a Tensor"):
        gu.logical_not(1)


# -------------------------------------------------------------------------- bitwise
BITWISE = {
    "bitwise_and": operator.and_,
    "bitwise_or": operator.or_,
    "bitwise_xor": operator.xor,
}
BITWISE_OPERANDS = {
    "int64": (np.array([5, 6, -7, 0]), np.array([3, 12, 5, -1])),
    "bool": (np.array([True, False, True]), np.array([True, True, False])),
    "bool_int_scalar": (np.array([True, False, True]), 1),
    "bool_bool_scalar": (np.array([True, False, True]), True),
    "int_bool_scalar": (np.array([1, 2, 3]), True),
    "bool_uint8": (np.array([True, False]), np.array([1, 255], np.uint8)),
    "int8_wraps": (np.array([1, 2, -1], np.int8), 257),
    "uint8_minus_one": (np.array([1, 2, 250], np.uint8), -1),
    "int32_int64": (np.array([[1], [6]], np.int32), np.array([3, 5])),
    "0d": (np.array(6), np.array(3)),
}


@pytest.mark.parametrize("case", sorted(BITWISE_OPERANDS))
@pytest.mark.parametrize("op", sorted(BITWISE))
def test_bitwise_ops_and_operators_match_torch(op, case):
    a, b = BITWISE_OPERANDS[case]
    (ga, ta), (gb, tb) = both(a), both(b)
    expected = getattr(torch, op)(ta, tb)
    same(getattr(gu, op)(ga, gb), expected)
    same(getattr(ga, op)(gb), expected)
    same(BITWISE[op](ga, gb), expected)
    if not isinstance(b, np.ndarray):  # reflected: 3 & t, True ^ t
        same(BITWISE[op](gb, ga), BITWISE[op](tb, ta))


@pytest.mark.parametrize(
    "a", [np.array([0, 5, -6]), np.array([True, False]), np.array([0, 7, 255], np.uint8)]
)
def test_bitwise_not_and_invert(a):
    same(gu.bitwise_not(gu.tensor(a)), torch.bitwise_not(torch.tensor(a)))
    same(~gu.tensor(a), ~torch.tensor(a))


@pytest.mark.parametrize(
    "call",
    [
        lambda T: T.tensor([1, 2]) & T.tensor([1.0, 2.0]),
        lambda T: T.tensor([1.0]) | 1,
        lambda T: T.tensor([1, 2]) ^ 1.5,
        lambda T: T.bitwise_not(T.tensor([1.5])),
    ],
)
def test_bitwise_ops_on_floats_are_not_implemented_like_torch(call):
    with pytest.raises(NotImplementedError):
        call(torch)
    with pytest.raises(NotImplementedError, match="bitwise ops take integer or bool"):
        call(gu)
    assert issubclass(NotImplementedError, RuntimeError)


def test_binary_ops_reject_what_torch_rejects():
    with pytest.raises(TypeError, match="eq.*'input' must be a Tensor"):
        gu.eq(1, gu.tensor([1]))
    with pytest.raises(TypeError, match="expected a Tensor or a number, got NoneType"):
        gu.eq(gu.tensor([1]), None)
    with pytest.raises(TypeError, match="two numbers"):
        gu.bitwise_and(1, 2)
    with pytest.raises(RuntimeError, match=r"shapes \[2\] and \[3\] do not broadcast"):
        gu.lt(gu.zeros(2), gu.zeros(3))


# ------------------------------------------------------------------------ all / any
ALL_ANY_DIMS = [None, 0, 1, -1, (0, 2), (-1, 0), [1], (), []]


@pytest.mark.parametrize("keepdim", [False, True])
@pytest.mark.parametrize("dim", ALL_ANY_DIMS)
@pytest.mark.parametrize("op", ["all", "any"])
def test_all_any_over_dims(op, dim, keepdim):
    rng = np.random.default_rng(9)
    for a in (
        rng.integers(0, 3, (2, 3, 4)).astype(np.float64),
        rng.integers(0, 2, (2, 3, 4)).astype(bool),
        rng.integers(0, 2, (2, 3, 4)).astype(np.int32),
        rng.integers(0, 2, (2, 3, 4)).astype(np.uint8),  # uint8 in, uint8 out
    ):
        g, t = gu.tensor(a), torch.tensor(a)
        if dim is None:
            same(getattr(g, op)(keepdim=keepdim), getattr(t, op)(keepdim=keepdim))
        else:
            same(getattr(gu, op)(g, dim, keepdim), getattr(torch, op)(t, dim, keepdim))
            same(getattr(g, op)(dim=dim, keepdim=keepdim), getattr(t, op)(dim=dim, keepdim=keepdim))


@pytest.mark.parametrize("op", ["all", "any"])
def test_all_any_edge_cases(op):
    cases = [
        (np.array([NAN, 1.0]), {}),  # nan is nonzero
        (np.zeros((0, 3)), {}),  # all of nothing is True, any False
        (np.zeros((0, 3)), {"dim": 0}),
        (np.zeros((0, 3)), {"dim": 1}),
        (np.array(2.0), {"dim": 0}),
        (np.array(0.0), {"dim": -1, "keepdim": True}),
        (np.array([[1, 0], [1, 1]]), {"axis": 1}),
    ]
    for a, kwargs in cases:
        same(getattr(gu, op)(gu.tensor(a), **kwargs), getattr(torch, op)(torch.tensor(a), **kwargs))


def test_all_any_errors():
    x = gu.zeros(2, 3)
    with pytest.raises(IndexError, match="dim 2 is out of range"):
        x.all(2)
    with pytest.raises(RuntimeError, match="same dimension twice"):
        x.any((0, 0))
    with pytest.raises(TypeError, match="both dim and axis"):
        x.all(dim=0, axis=1)

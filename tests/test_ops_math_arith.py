"""Arithmetic options and clamp (ops.elementwise) against torch: add/sub with alpha,
div with rounding_mode, pow of integers to negative powers, clamp with tensor bounds (their
gradients, broadcasting, min > max, nan) and torch's type promotion and errors."""

import itertools

import numpy as np
import pytest
import torch

import groundup as gu
from tests.oracle import assert_close, check_op
from tests.strategies import away_from_zero, ladder, normal, with_ties


def _same_outcome(make):
    """make(gu) and make(torch) agree: same dtype and values, or the same exception class."""
    try:
        expected = make(torch)
    except Exception as error:  # noqa: BLE001 - any exception torch raises
        with pytest.raises(type(error)):
            make(gu)
        return
    out = make(gu)
    assert str(out.dtype) == str(expected.dtype).removeprefix("torch."), (out.dtype, expected)
    assert out.shape == tuple(expected.shape)
    np.testing.assert_allclose(out.numpy(), expected.numpy(), rtol=1e-6, atol=1e-7)


SHAPES = [((2, 3), (2, 3)), ((3, 1), (4,)), ((), (3,))]


@pytest.mark.parametrize("alpha", [1, 2, -0.5, 0.3])
@pytest.mark.parametrize("name", ["add", "sub", "subtract", "rsub"])
@pytest.mark.parametrize("shapes", SHAPES, ids=str)
def test_alpha_scales_other(name, alpha, shapes):
    a, b = normal(shapes[0], 1), normal(shapes[1], 2)
    ladder(
        lambda x, y: getattr(gu, name)(x, y, alpha=alpha),
        lambda x, y: getattr(torch, name)(x, y, alpha=alpha),
        a,
        b,
    )
    ladder(
        lambda x: getattr(gu, name)(x, 1.5, alpha=alpha),
        lambda x: getattr(torch, name)(x, 1.5, alpha=alpha),
        a,
    )


@pytest.mark.parametrize("mode", ["trunc", "floor"])
@pytest.mark.parametrize("shapes", SHAPES, ids=str)
def test_div_rounding_modes_have_zero_gradient(mode, shapes):
    a, b = normal(shapes[0], 1) * 4, away_from_zero(shapes[1], 2)
    ladder(
        lambda x, y: gu.div(x, y, rounding_mode=mode),
        lambda x, y: torch.div(x, y, rounding_mode=mode),
        a,
        b,
    )
    check_op(
        lambda x: x.div(2.5, rounding_mode=mode), lambda x: x.div(2.5, rounding_mode=mode), a
    )
    check_op(lambda x: gu.div(x, 0.0, rounding_mode=mode),
             lambda x: torch.div(x, 0.0, rounding_mode=mode), np.array([-1.5, 0.0, 2.5]))


OPERANDS = [
    np.array([-7, -3, 0, 2, 5]),
    np.array([3, -2, 4, -5, 1]),
    np.array([2, -3, 3, 1, -1], dtype=np.int32),
    np.array([3, 1, 7, 2, 9], dtype=np.uint8),
    np.array([True, False, True, True, False]),
    np.array([1.5, -2.0, 0.5, 3.0, -0.25], dtype=np.float32),
    np.array(2.5),
    np.array(-2),
]
NUMBERS = [2, -3, 2.5, True, 0, 0.0]


@pytest.mark.parametrize(
    "op",
    [
        lambda m, x, y: m.add(x, y),
        lambda m, x, y: m.add(x, y, alpha=2),
        lambda m, x, y: m.add(x, y, alpha=0.5),
        lambda m, x, y: m.add(x, y, alpha=True),
        lambda m, x, y: m.sub(x, y),
        lambda m, x, y: m.sub(x, y, alpha=-2),
        lambda m, x, y: m.mul(x, y),
        lambda m, x, y: m.div(x, y),
        lambda m, x, y: m.div(x, y, rounding_mode="trunc"),
        lambda m, x, y: m.div(x, y, rounding_mode="floor"),
        lambda m, x, y: m.pow(x, y),
        lambda m, x, y: m.clamp(x, min=y),
        lambda m, x, y: m.clamp(x, max=y),
        lambda m, x, y: m.clamp(x, y, y),
    ],
)
def test_integer_bool_mixed_and_number_operands_follow_torch(op):
    for x, y in itertools.product(OPERANDS, repeat=2):
        _same_outcome(lambda m, x=x, y=y: op(m, m.tensor(x), m.tensor(y)))
    for x, n in itertools.product(OPERANDS[:6], NUMBERS):
        _same_outcome(lambda m, x=x, n=n: op(m, m.tensor(x), n))


@pytest.mark.parametrize(
    "make",
    [
        lambda m: m.tensor([1, 2]) ** -1,
        lambda m: m.pow(m.tensor([1, 2]), -2),
        lambda m: m.pow(m.tensor([True]), -1),
        lambda m: m.tensor([1, -1, 2, -2, 0]) ** m.tensor([-1, -3, -1, -2, -1]),
        lambda m: m.tensor([1, -1, 2, -2]) ** m.tensor(-2),
        lambda m: m.pow(2, m.tensor([-1, 0, 3])),
        lambda m: m.pow(-1, m.tensor([-3, -2])),
        lambda m: m.tensor([2, 4]) ** -1.0,
        lambda m: m.tensor([2.0, 4.0]) ** -1,
        lambda m: m.tensor(np.array([2, 3], dtype=np.int32)) ** 2,
        lambda m: m.add(m.tensor([1, 2]), m.tensor([1, 2]), alpha=1.5),
        lambda m: m.add(m.tensor([1.0]), m.tensor([1.0]), alpha=True),
        lambda m: m.add(m.tensor([True]), m.tensor([False]), alpha=2),
        lambda m: m.sub(m.tensor([True]), m.tensor([False])),
        lambda m: m.sub(m.tensor([True]), 1),
        lambda m: 1 - m.tensor([True]),
        lambda m: m.tensor([1.0]) - True,
        lambda m: m.div(m.tensor([1.0]), 2, rounding_mode="round"),
        lambda m: m.div(m.tensor([5, 3]), m.tensor([0, 1]), rounding_mode="floor"),
        lambda m: m.div(m.tensor([5, 3]), 0, rounding_mode="trunc"),
        lambda m: m.div(m.tensor([True]), True, rounding_mode="trunc"),
        lambda m: m.div(m.tensor([5, 3]), 0),
        lambda m: m.div(m.tensor(np.array([3, 1], dtype=np.uint8)), m.tensor(-2)),
        lambda m: m.clamp(m.tensor([1.0])),
        lambda m: m.clamp(m.tensor([1.0]), m.tensor([0.0]), 1.0),
        lambda m: m.clamp(m.tensor([1.0]), 0.0, m.tensor([2.0])),
        lambda m: m.clamp(m.tensor([1.0, 5.0]), m.tensor(0.5), 2.0),
        lambda m: m.clamp(m.tensor([1.0]), m.tensor(0.5, requires_grad=True), 2.0),
        lambda m: m.clamp(m.tensor([1.0, 2.0]), m.tensor([0.0, 1.0, 2.0])),
        lambda m: m.clamp(m.tensor(1.0), m.tensor([0.0, 2.0])),
        lambda m: m.clamp(m.tensor([True]), min=True),
        lambda m: m.clamp(m.tensor([True]), 0, 1),
        lambda m: m.clamp(m.tensor([-1.5, 0.0, 2.5]), min=float("nan")),
        lambda m: m.clamp(m.tensor([-1.5, 0.0, 2.5]), 2.0, 1.0),
        lambda m: m.clamp(2.0, 0.0, 1.0),
        lambda m: m.clip(m.tensor([-1.5, 0.0, 2.5]), m.tensor([0.0]).double()),
        lambda m: m.abs(m.tensor([True])),
    ],
)
def test_errors_and_corner_results_follow_torch(make):
    _same_outcome(make)


# ------------------------------------------------------------------ clamp gradients
@pytest.mark.parametrize("bounds", ["both", "min", "max"])
@pytest.mark.parametrize(
    "shapes", [((2, 3), (2, 3), (2, 3)), ((3, 1), (4,), ()), ((), (3,), (2, 1))], ids=str
)
def test_clamp_with_tensor_bounds_gives_them_torch_gradients(bounds, shapes):
    # ties between the input and the bounds, and bounds with min > max, on purpose
    x, low, high = (with_ties(s, i) for i, s in enumerate(shapes))
    if bounds == "both":
        # torch's clamp backward fails when a bound broadcasts the input to a larger shape
        # ("output with shape [3, 1] doesn't match the broadcast shape [3, 4]"); expanding
        # the bounds first gives it the same function
        full = np.broadcast_shapes(*shapes)

        def torch_clamp(a, b, c):
            return torch.clamp(a, b.expand(full), c.expand(full))

        check_op(gu.clamp, torch_clamp, x, low, high)
        check_op(lambda a, b, c: a.clip(b, c), torch_clamp, x, low, high)
        check_op(gu.clamp, torch_clamp, *(v.astype(np.float32) for v in (x, low, high)))
    elif bounds == "min":
        check_op(lambda a, b: gu.clamp(a, min=b), lambda a, b: torch.clamp(a, min=b), x, low)
        check_op(gu.clamp_min, torch.clamp_min, x, low)
    else:
        check_op(lambda a, c: gu.clamp(a, max=c), lambda a, c: torch.clamp(a, max=c), x, high)
        check_op(gu.clamp_max, torch.clamp_max, x, high)


def test_clamp_with_tensor_bounds_passes_gradcheck_away_from_ties():
    x, low, high = normal((3, 4), 1), normal((4,), 2) - 0.5, normal((3, 1), 3) + 0.5
    ladder(gu.clamp, torch.clamp, x, low, high)


def test_clamp_nan_in_input_or_bounds_follows_torch():
    x = np.array([np.nan, 1.0, -2.0, 0.5])
    low = np.array([0.0, np.nan, -1.0, 0.0])
    high = np.array([1.0, 2.0, np.nan, 0.25])
    check_op(gu.clamp, torch.clamp, x, low, high)
    check_op(lambda a: gu.clamp(a, -1.0, 1.0), lambda a: torch.clamp(a, -1.0, 1.0), x)
    check_op(lambda a, b: gu.clamp(a, min=b), lambda a, b: torch.clamp(a, min=b), x, low)


def test_clamp_accepts_a_grad_free_0d_tensor_as_a_number():
    x = normal((5,), 1)
    check_op(
        lambda a: gu.clamp(a, gu.tensor(-0.5), 0.5),
        lambda a: torch.clamp(a, torch.tensor(-0.5), 0.5),
        x,
    )


# ------------------------------------------------------------------ in-place twins
IN_PLACE = {  # name: the arguments, given the module and the other operand
    "add_": lambda m, o: ((o,), {"alpha": 0.5}),
    "sub_": lambda m, o: ((o,), {"alpha": 2}),
    "div_ floor": lambda m, o: ((o,), {"rounding_mode": "floor"}),
    "div_": lambda m, o: ((o,), {}),
    "pow_": lambda m, o: ((2,), {}),
    "clamp_": lambda m, o: ((o - 0.5, o + 0.5), {}),
    "clamp_ max": lambda m, o: ((), {"max": o}),
    "clip_": lambda m, o: ((-0.5, 0.5), {}),
    "clamp_min_": lambda m, o: ((o,), {}),
    "clamp_max_": lambda m, o: ((0.1,), {}),
}


@pytest.mark.parametrize("case", sorted(IN_PLACE))
def test_in_place_twins_match_torch(case):
    name, arguments = case.split()[0], IN_PLACE[case]
    a, b, w = normal((2, 3), 1), away_from_zero((3,), 2), normal((2, 3), 3)
    results = []
    for m in (gu, torch):
        x, other = m.tensor(a, requires_grad=True), m.tensor(b, requires_grad=True)
        y = x * 1.0
        args, kwargs = arguments(m, other)
        assert getattr(y, name)(*args, **kwargs) is y
        (y * m.tensor(w)).sum().backward()
        with m.no_grad():
            leaf = m.tensor(a, requires_grad=True)
            args, kwargs = arguments(m, m.tensor(b))
            getattr(leaf, name)(*args, **kwargs)
        results.append((y.detach(), x.grad, other.grad, y._version, leaf.detach(), leaf._version))
    ours, theirs = results
    for i in (0, 1, 4):
        assert_close(ours[i], theirs[i], what=str(i))
    if theirs[2] is None:
        assert ours[2] is None
    else:
        assert_close(ours[2], theirs[2], what="gradient of the other operand")
    assert ours[3] == theirs[3] and ours[5] == theirs[5] == 1


def test_integer_in_place_division_keeps_or_refuses_the_dtype_as_torch():
    for make in [
        lambda m: m.tensor([5, -7]).div_(2, rounding_mode="floor"),
        lambda m: m.tensor([5, -7]).div_(2, rounding_mode="trunc"),
        lambda m: m.tensor([5, -7]).div_(2),
        lambda m: m.tensor([5, -7]).clamp_(0.5),
        lambda m: m.tensor([5, -7]).add_(1, alpha=2),
    ]:
        _same_outcome(make)

"""Binary and ternary elementwise math (ops.math_binary) against torch: atan2, hypot, fmod,
remainder, floor_divide, lerp, addcmul, addcdiv, logaddexp(2), copysign, xlogy, clamp_min,
clamp_max, rsub and the arithmetic aliases. Forward, backward and dtype in float64 and
float32 with gradcheck, broadcasting, number operands, integer and bool inputs, special
points, the in-place twins, and torch's errors."""

import itertools
import warnings

import numpy as np
import pytest
import torch

import groundup as gu
from groundup.inspect import gradcheck
from tests.oracle import assert_close, check_op
from tests.strategies import away_from_zero, ladder, normal, positive

inf, nan = np.inf, np.nan

# name: (data for input, data for other, keyword arguments)
BINARY = {
    "atan2": (normal, normal, {}),
    "arctan2": (normal, normal, {}),
    "hypot": (normal, normal, {}),
    "fmod": (normal, away_from_zero, {}),
    "remainder": (normal, away_from_zero, {}),
    "logaddexp": (normal, normal, {}),
    "logaddexp2": (normal, normal, {}),
    "copysign": (away_from_zero, normal, {}),
    "xlogy": (normal, positive, {}),
    "clamp_min": (normal, normal, {}),
    "clamp_max": (normal, normal, {}),
    "rsub": (normal, normal, {"alpha": 0.5}),
    "multiply": (normal, normal, {}),
    "subtract": (normal, normal, {"alpha": 2}),
    "divide": (normal, away_from_zero, {}),
    "true_divide": (normal, away_from_zero, {}),
    "add": (normal, normal, {"alpha": -1.5}),
    "sub": (normal, normal, {"alpha": 0.3}),
    "div": (normal, away_from_zero, {"rounding_mode": "floor"}),
}
SHAPES = [((2, 3), (2, 3)), ((3, 1), (4,)), ((), (3,)), ((2, 3), ()), ((), ())]
NO_IN_PLACE = {"logaddexp", "logaddexp2", "rsub"}  # torch has none


def test_registration_follows_torch():
    for name in [*BINARY, "lerp", "addcmul", "addcdiv", "floor_divide"]:
        assert (name in gu.ops.INPLACE) == hasattr(torch.Tensor, name + "_"), name
        assert (name in gu.ops.TENSOR_METHODS) == hasattr(torch.Tensor, name), name
    assert gu.arctan2 is gu.atan2 and gu.multiply is gu.mul and gu.divide is gu.div


@pytest.mark.parametrize("name", sorted(BINARY))
@pytest.mark.parametrize("shapes", SHAPES, ids=str)
def test_binary_op_matches_torch_with_broadcasting(name, shapes):
    make_a, make_b, kwargs = BINARY[name]
    a, b = make_a(shapes[0], 1), make_b(shapes[1], 2)
    ladder(
        lambda x, y: getattr(gu, name)(x, y, **kwargs),
        lambda x, y: getattr(torch, name)(x, y, **kwargs),
        a,
        b,
    )


@pytest.mark.parametrize("name", sorted(BINARY))
def test_binary_method_and_zero_size(name):
    make_a, make_b, kwargs = BINARY[name]
    a, b = make_a((2, 3), 3).astype(np.float32), make_b((3,), 4).astype(np.float32)
    if name != "rsub":  # torch has no Tensor.rsub
        check_op(
            lambda x, y: getattr(x, name)(y, **kwargs),
            lambda x, y: getattr(x, name)(y, **kwargs),
            a,
            b,
        )
    fn = getattr(gu, name)
    check_op(lambda x, y: fn(x, y, **kwargs), lambda x, y: getattr(torch, name)(x, y, **kwargs),
             np.zeros((0, 3)), np.zeros((3,)))


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


OPERANDS = {
    "int64": np.array([-7, -3, 0, 2, 5]),
    "int64 nonzero": np.array([3, -2, 4, -5, 1]),
    "int32": np.array([2, -3, 3, 1, -1], dtype=np.int32),
    "uint8": np.array([3, 1, 7, 2, 9], dtype=np.uint8),
    "bool": np.array([True, False, True, True, False]),
    "float32": np.array([1.5, -2.0, 0.5, 3.0, -0.25], dtype=np.float32),
    "float64 0-d": np.array(2.5),
    "int64 0-d": np.array(-2),
}
NUMBERS = [2, -3, 2.5, True, 0, 0.0]


@pytest.mark.parametrize("name", sorted(BINARY))
def test_dtypes_of_integer_bool_and_mixed_operands_follow_torch(name):
    kwargs = BINARY[name][2]
    if name in ("add", "sub", "subtract", "rsub"):
        kwargs = {}  # a float alpha is an error for integers, tested with the arithmetic
    for a, b in itertools.product(sorted(OPERANDS), repeat=2):
        x, y = OPERANDS[a], OPERANDS[b]
        _same_outcome(lambda m, x=x, y=y: getattr(m, name)(m.tensor(x), m.tensor(y), **kwargs))


@pytest.mark.parametrize("name", sorted(BINARY))
def test_number_operands_on_either_side(name):
    kwargs = {k: v for k, v in BINARY[name][2].items() if k != "alpha"}
    for number, operand in itertools.product(NUMBERS, ["int64", "float32", "bool"]):
        x = OPERANDS[operand]
        _same_outcome(lambda m, n=number, x=x: getattr(m, name)(m.tensor(x), n, **kwargs))
        _same_outcome(lambda m, n=number, x=x: getattr(m, name)(n, m.tensor(x), **kwargs))


# (name, input, other): points where gradients are 0, inf or nan, or where torch masks
SPECIAL = [
    ("atan2", [0.0, 0.0, -0.0, 1.0, -1.0, inf, 0.0], [0.0, -0.0, 0.0, 0.0, -0.0, inf, inf]),
    ("hypot", [0.0, 3.0, 0.0, inf, nan, 1e30], [0.0, 4.0, -0.0, nan, inf, 1e30]),
    ("fmod", [5.0, -5.0, 4.0, 1.0, 5.0, inf, -4.0], [3.0, 3.0, 2.0, 0.0, inf, 2.0, 2.0]),
    ("remainder", [5.0, -5.0, 4.0, 1.0, 5.0, -5.0, -4.0], [3.0, 3.0, 2.0, 0.0, inf, inf, -2.0]),
    ("logaddexp", [0.0, inf, -inf, 1000.0, -inf, nan], [0.0, inf, -inf, -1000.0, inf, 1.0]),
    ("logaddexp2", [0.0, inf, -inf, 1000.0, -inf, 3.0], [0.0, inf, -inf, -1000.0, inf, 3.0]),
    ("copysign", [0.0, -0.0, 1.0, -2.0, 3.0, inf, 2.0], [1.0, -1.0, -0.0, 0.0, nan, -1.0, -inf]),
    ("xlogy", [0.0, 0.0, 1.0, 2.0, 0.0, 0.0, 3.0], [0.0, 1.0, 0.0, 3.0, nan, -1.0, inf]),
    ("clamp_min", [0.0, 1.0, 2.0, nan, 1.0], [1.0, 1.0, 1.0, 0.0, nan]),
    ("clamp_max", [0.0, 1.0, 2.0, nan, 1.0], [1.0, 1.0, 1.0, 0.0, nan]),
]


@pytest.mark.parametrize("name, a, b", SPECIAL, ids=[s[0] for s in SPECIAL])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_special_points_match_torch_values_gradients_and_zero_signs(name, a, b, dtype):
    a, b = np.array(a, dtype=dtype), np.array(b, dtype=dtype)
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        check_op(getattr(gu, name), getattr(torch, name), a, b)
        out = getattr(gu, name)(gu.tensor(a), gu.tensor(b)).numpy()
    expected = getattr(torch, name)(torch.tensor(a), torch.tensor(b)).numpy()
    numbers = ~np.isnan(expected)
    np.testing.assert_array_equal(np.signbit(out[numbers]), np.signbit(expected[numbers]))


def test_atan2_gradient_at_the_origin_is_zero_with_torch_signs():
    for y, x in [(0.0, 0.0), (0.0, -0.0), (-0.0, 0.0)]:
        grads = []
        for m in (gu, torch):
            ty, tx = m.tensor(y, requires_grad=True), m.tensor(x, requires_grad=True)
            m.atan2(ty, tx).backward()
            grads.append([float(ty.grad), float(tx.grad)])
        assert grads[0] == grads[1] == [0.0, 0.0]
        assert np.array_equal(np.signbit(grads[0]), np.signbit(grads[1]))


def test_floor_divide_forward_matches_and_backward_raises_like_torch():
    a, b = normal((3, 4), 1) * 5, away_from_zero((4,), 2)
    check_op(gu.floor_divide, torch.floor_divide, a, b, grad=[False, False])
    check_op(lambda x, y: x // y, lambda x, y: x // y, a, b, grad=[False, False])
    check_op(lambda x: 7.5 // x, lambda x: 7.5 // x, b, grad=[False])
    for m in (gu, torch):
        x = m.tensor(a, requires_grad=True)
        y = m.floor_divide(x, 2.0)
        assert y.requires_grad
        with pytest.raises(RuntimeError, match="derivative for .*floor_divide is not implemented"):
            y.sum().backward()


def test_modulo_operators_and_signs_of_zero():
    a = np.array([-4.0, 4.0, -5.0, 5.5, 0.0, -0.0])
    for other in (2.0, -2.0, 3.0):
        check_op(lambda x, o=other: x % o, lambda x, o=other: x % o, a)
        check_op(lambda x, o=other: x.fmod(o), lambda x, o=other: x.fmod(o), a)
        ours, theirs = (gu.tensor(a) % other).numpy(), (torch.tensor(a) % other).numpy()
        np.testing.assert_array_equal(np.signbit(ours), np.signbit(theirs))  # -4 % 2 = -0.0
    # torch implements no derivative for number % tensor; groundup's is -floor(7.5 / x)
    b = away_from_zero((6,), 1)
    check_op(lambda x: 7.5 % x, lambda x: 7.5 % x, b, grad=[False])
    x = gu.tensor(b, requires_grad=True)
    (7.5 % x).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), -np.floor(7.5 / b))
    assert gradcheck(lambda t: 7.5 % t, [gu.tensor(b, requires_grad=True)])
    check_op(lambda x: 7 % x, lambda x: 7 % x, np.array([2, -3, 5]))
    check_op(lambda x: 7 // x, lambda x: 7 // x, np.array([2, -3, 5]))


@pytest.mark.parametrize("weight", [0.3, 0.7, -0.2, 1.0, 1.5, "tensor", "0-d"])
@pytest.mark.parametrize("shapes", [((2, 3), (2, 3)), ((3, 1), (4,)), ((), (3,))], ids=str)
def test_lerp_matches_torch(weight, shapes):
    a, b = normal(shapes[0], 1), normal(shapes[1], 2)
    if weight in ("tensor", "0-d"):
        w = np.random.default_rng(3).uniform(-0.5, 1.5, (1, 1) if weight == "tensor" else ())
        ladder(gu.lerp, torch.lerp, a, b, w)
    else:
        ladder(lambda x, y: gu.lerp(x, y, weight), lambda x, y: torch.lerp(x, y, weight), a, b)


@pytest.mark.parametrize("value", [1, 0.5, -2, True])
@pytest.mark.parametrize("name", ["addcmul", "addcdiv"])
def test_addcmul_and_addcdiv_match_torch(name, value):
    a, t1, t2 = normal((2, 3), 1), normal((3,), 2), away_from_zero((2, 1), 3)
    ladder(
        lambda x, y, z: getattr(gu, name)(x, y, z, value=value),
        lambda x, y, z: getattr(torch, name)(x, y, z, value=value),
        a,
        t1,
        t2,
    )
    check_op(
        lambda x, y, z: getattr(x, name)(y, z, value=value),
        lambda x, y, z: getattr(x, name)(y, z, value=value),
        a.astype(np.float32),
        t1.astype(np.float32),
        t2.astype(np.float32),
    )


@pytest.mark.parametrize(
    "make",
    [
        lambda m: m.lerp(m.tensor([1.0, 2.0]), m.tensor([3.0, 5.0]).double(), 0.5),
        lambda m: m.lerp(m.tensor([1.0, 2.0]), m.tensor([3.0, 5.0]), m.tensor([0.5]).double()),
        lambda m: m.lerp(m.tensor([1.0, 2.0]), m.tensor([3.0, 5.0]), m.tensor(0.5).double()),
        lambda m: m.lerp(m.tensor([1.0, 2.0]), m.tensor([3.0, 5.0]), m.tensor(1)),
        lambda m: m.lerp(m.tensor([1, 2]), m.tensor([3, 5]), 0.5),
        lambda m: m.lerp(m.tensor([1.0, 2.0]), 3.0, 0.5),
        lambda m: m.lerp(m.tensor([1.0, 2.0]), m.tensor([3.0, 5.0]), True),
        lambda m: m.addcmul(m.tensor([1, 2]), m.tensor([3, 4]), m.tensor([5, 6]), value=2.5),
        lambda m: m.addcmul(m.tensor([1.0, 2.0]), m.tensor([3, 4]), m.tensor(2)),
        lambda m: m.addcmul(m.tensor([1.0]), m.tensor([2.0]).double(), m.tensor([3.0])),
        lambda m: m.addcmul(m.tensor([True]), m.tensor([True]), m.tensor([True])),
        lambda m: m.addcmul(m.tensor([1.0]), 2.0, m.tensor([3.0])),
        lambda m: m.addcdiv(m.tensor([1, 2]), m.tensor([3, 4]), m.tensor([5, 6])),
        lambda m: m.addcdiv(m.tensor([1.0, 2.0]), m.tensor([3, 4]), m.tensor([True, True])),
        lambda m: m.addcdiv(m.tensor([1, 2]), m.tensor([3.0, 4.0]), m.tensor([5, 0])),
        lambda m: m.atan2(m.tensor([1.0]), 2.0),
        lambda m: m.atan2(2.0, m.tensor([1.0])),
        lambda m: m.hypot(m.tensor([1.0]), 2.0),
        lambda m: m.hypot(m.tensor([3]), m.tensor([4])),
        lambda m: m.logaddexp(m.tensor([1]), m.tensor([2])),
        lambda m: m.logaddexp2(m.tensor([True]), m.tensor([1.0])),
        lambda m: m.fmod(2.0, m.tensor([1.0])),
        lambda m: m.fmod(m.tensor([5, 3]), m.tensor([0, 1])),
        lambda m: m.remainder(m.tensor([5, 3]), 0),
        lambda m: m.floor_divide(m.tensor([5]), m.tensor([0])),
        lambda m: m.floor_divide(m.tensor([True]), m.tensor([True])),
        lambda m: m.remainder(m.tensor([5, -3]), 0.0),
        lambda m: m.copysign(2.0, m.tensor([1.0])),
        lambda m: m.xlogy(m.tensor([1, 0, 2]), m.tensor([2, 5, 0])),
        lambda m: m.clamp_min(m.tensor([1.0]), None),
        lambda m: m.rsub(2.0, m.tensor([1.0])),
        lambda m: m.rsub(m.tensor([True]), m.tensor([True])),
        lambda m: m.true_divide(m.tensor([5]), m.tensor([2])),
    ],
)
def test_errors_and_dtypes_of_argument_combinations_follow_torch(make):
    _same_outcome(make)


def test_fused_multiply_add_ops_equal_torch_bit_for_bit_in_float32():
    # torch rounds x * y + z once (a fused multiply-add) in add(alpha=), sub, lerp, addcmul
    a, b, c = (normal((1000,), s, np.float32) for s in (1, 2, 3))
    w = np.random.default_rng(4).uniform(-0.5, 1.5, 1000).astype(np.float32)
    ga, gb, gc, gw = map(gu.tensor, (a, b, c, w))
    ta, tb, tc, tw = map(torch.tensor, (a, b, c, w))
    pairs = [
        (gu.add(ga, gb, alpha=0.3), torch.add(ta, tb, alpha=0.3)),
        (gu.sub(ga, gb, alpha=0.3), torch.sub(ta, tb, alpha=0.3)),
        (gu.rsub(ga, 2.0, alpha=0.3), torch.rsub(ta, 2.0, alpha=0.3)),
        (gu.lerp(ga, gb, gw), torch.lerp(ta, tb, tw)),
        (gu.lerp(ga, gb, 0.3), torch.lerp(ta, tb, 0.3)),
        (gu.lerp(ga, gb, 0.7), torch.lerp(ta, tb, 0.7)),
        (gu.addcmul(ga, gb, gc, value=0.7), torch.addcmul(ta, tb, tc, value=0.7)),
        (gu.addcdiv(ga, gb, gc, value=0.7), torch.addcdiv(ta, tb, tc, value=0.7)),
        (gu.remainder(ga, gb), torch.remainder(ta, tb)),
        (gu.floor_divide(ga, gb), torch.floor_divide(ta, tb)),
        (gu.copysign(ga, gb), torch.copysign(ta, tb)),
        (gu.xlogy(ga.abs(), gb.abs()), torch.xlogy(ta.abs(), tb.abs())),
        (gu.hypot(ga, gb), torch.hypot(ta, tb)),
    ]
    for ours, theirs in pairs:
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


# ------------------------------------------------------------------ in-place twins
IN_PLACE = {  # name: (data for self, for the other operands, keyword arguments)
    **{k: v for k, v in BINARY.items() if k not in NO_IN_PLACE},
    "lerp": (normal, normal, {"weight": 0.3}),
    "addcmul": (normal, normal, {"tensor2": "other", "value": 0.5}),
    "addcdiv": (normal, away_from_zero, {"tensor2": "other", "value": -2}),
    "floor_divide": (normal, away_from_zero, {}),
}


def _in_place(m, name, a, b, kwargs, w, no_grad):
    kwargs = {k: (m.tensor(b) if v == "other" else v) for k, v in kwargs.items()}
    x, other = m.tensor(a, requires_grad=True), m.tensor(b, requires_grad=True)
    if no_grad:
        with m.no_grad():
            assert getattr(x, name + "_")(other, **kwargs) is x
        return x.detach(), x._version
    y = x * 1.0
    assert getattr(y, name + "_")(other, **kwargs) is y
    version = y._version
    if name != "floor_divide":
        (y * m.tensor(w)).sum().backward()
    return y.detach(), x.grad, other.grad, version


@pytest.mark.parametrize("name", sorted(IN_PLACE))
def test_in_place_twin_matches_torch(name):
    make_a, make_b, kwargs = IN_PLACE[name]
    a, b, w = make_a((2, 3), 5), make_b((3,), 6), normal((2, 3), 7)
    ours, theirs = (_in_place(m, name, a, b, kwargs, w, False) for m in (gu, torch))
    assert_close(ours[0], theirs[0], what="value")
    for i in (1, 2):
        if theirs[i] is not None:
            assert_close(ours[i], theirs[i], what=f"gradient {i}")
        else:
            assert ours[i] is None
    assert ours[3] == theirs[3] == 1
    ours, theirs = (_in_place(m, name, a, b, kwargs, w, True) for m in (gu, torch))
    assert_close(ours[0], theirs[0])
    assert ours[1] == theirs[1] == 1


def test_in_place_twin_cannot_broadcast_self_or_change_its_dtype():
    for make in [
        lambda m: m.tensor([1.0, 2.0]).lerp_(m.tensor([[1.0, 2.0]]), 0.5),
        lambda m: m.tensor([1, 2]).atan2_(m.tensor([1, 2])),
        lambda m: m.tensor([1, 2]).copysign_(-1),
        lambda m: m.tensor([5, 6]).remainder_(m.tensor([2, 4])),
        lambda m: m.tensor([5, 6]).floor_divide_(2.5),
    ]:
        _same_outcome(make)


@pytest.mark.parametrize(
    "name, arguments",
    [
        ("atan2_", lambda m, o: ((o,), {})),
        ("lerp_", lambda m, o: ((o * 2, o), {})),
        ("addcdiv_", lambda m, o: ((o, o + 3), {"value": 0.5})),
        ("clamp_", lambda m, o: ((o - 0.5, o + 0.5), {})),
        ("remainder_", lambda m, o: ((o + 3,), {})),
    ],
    ids=lambda v: v if isinstance(v, str) else "",
)
def test_in_place_twin_through_a_view_with_tensor_operands_matches_torch(name, arguments):
    a, b, w = normal((3, 4), 1), normal((2,), 2), normal((3, 4), 3)
    results = []
    for m in (gu, torch):
        x, other = m.tensor(a, requires_grad=True), m.tensor(b, requires_grad=True)
        base = x * 1.0
        view = base[1:, ::2]  # (2, 2), non-contiguous
        args, kwargs = arguments(m, other)
        getattr(view, name)(*args, **kwargs)
        (base * m.tensor(w)).sum().backward()
        results.append((base.detach(), x.grad, other.grad))
    for ours, theirs in zip(*results, strict=True):
        assert_close(ours, theirs)


@pytest.mark.parametrize("name", sorted(BINARY) + ["lerp", "addcmul"])
def test_non_contiguous_operands(name):
    make_a, make_b, kwargs = BINARY.get(name, (normal, normal, {}))
    a, b, w = make_a((3, 4), 1), make_b((4, 3), 2), normal((4, 3), 3)
    results = []
    for m in (gu, torch):
        x, y = m.tensor(a, requires_grad=True), m.tensor(b, requires_grad=True)
        assert not x.T.is_contiguous()
        if name == "lerp":
            out = m.lerp(x.T, y, 0.3)
        elif name == "addcmul":
            out = m.addcmul(y, x.T, x.T, value=0.5)
        else:
            out = getattr(m, name)(x.T, y, **kwargs)
        (out * m.tensor(w)).sum().backward()
        results.append((out.detach(), x.grad, y.grad))
    for ours, theirs in zip(*results, strict=True):
        assert_close(ours, theirs)

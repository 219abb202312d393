"""Pointwise extras (ops.special) against torch: float_power, logit (with eps), lgamma,
digamma, i0, sinc, deg2rad, rad2deg, signbit, fmax, fmin, heaviside. Forward, backward and
dtype in float64 and float32 with gradcheck, 0-d and zero-size tensors, broadcasting,
special points (poles, 0 and -0, the logit clamp, NaN), integer, bool and float16 inputs,
non-contiguous inputs, the in-place twins, and torch's errors."""

import numpy as np
import pytest
import torch

import groundup as gu
from tests.oracle import assert_close, check_op
from tests.strategies import ladder, normal, positive

nan, inf = np.nan, np.inf


def uniform(low, high):
    def make(shape, seed, dtype=np.float64):
        return np.random.default_rng(seed).uniform(low, high, shape).astype(dtype)

    return make


def off_the_poles(shape, seed, dtype=np.float64):
    """Positive values and negative ones between the poles of lgamma and digamma."""
    rng = np.random.default_rng(seed)
    x = rng.uniform(0.2, 4.0, shape)
    negative = rng.random(shape) < 0.4
    return np.where(negative, -rng.integers(0, 3, shape) - rng.uniform(0.2, 0.8, shape), x).astype(
        dtype
    )


# name: (inputs in the domain, keyword arguments)
UNARY = {
    "lgamma": (off_the_poles, {}),
    "digamma": (off_the_poles, {}),
    "i0": (normal, {}),
    "sinc": (normal, {}),
    "deg2rad": (normal, {}),
    "rad2deg": (normal, {}),
    "logit": (uniform(0.05, 0.95), {}),
}
SHAPES = [(2, 3), (), (0, 3)]


def test_registration_follows_torch():
    names = [*UNARY, "float_power", "signbit", "fmax", "fmin", "heaviside"]
    for name in names:
        assert hasattr(gu, name), name
        assert (name in gu.ops.INPLACE or name == "float_power") == hasattr(
            torch.Tensor, name + "_"
        ), name
        assert (name in gu.ops.TENSOR_METHODS) == hasattr(torch.Tensor, name), name
    assert "float_power_" in gu.ops.TENSOR_METHODS


@pytest.mark.parametrize("name", sorted(UNARY))
@pytest.mark.parametrize("shape", SHAPES, ids=str)
def test_unary_op_matches_torch(name, shape):
    make, kwargs = UNARY[name]
    ladder(
        lambda x: getattr(gu, name)(x, **kwargs), lambda x: getattr(torch, name)(x, **kwargs),
        make(shape, 1),
    )


@pytest.mark.parametrize("eps", [0.1, 0.0, 0.3, -0.5])
def test_logit_with_eps_clamps_and_has_zero_gradient_outside(eps):
    x = np.array([-0.5, 0.03, 0.2, 0.45, 0.81, 0.97, 1.5])
    ladder(lambda t: gu.logit(t, eps), lambda t: torch.logit(t, eps), x, check_gradients=False)
    check_op(lambda t: t.logit(eps=eps), lambda t: t.logit(eps=eps), x)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize(
    "name, points",
    [
        ("lgamma", [0.0, -0.0, -1.0, -2.0, -2.5, 0.5, 1.0, 2.0, 1e-30, 35.0, inf, -inf, nan]),
        ("digamma", [0.0, -0.0, -1.0, -2.0, -2.5, -0.5, 0.5, 1.0, 6.0, 1e-30, 35.0, inf, nan]),
        ("i0", [0.0, -0.0, 1.0, -3.0, 30.0, nan]),
        ("sinc", [0.0, -0.0, 1.0, -1.0, 0.5, 2.5, 1e-20, inf, nan]),
        ("logit", [0.0, 1.0, 0.5, -1.0, 2.0, 1e-8, nan]),
        ("deg2rad", [0.0, -0.0, 180.0, -90.0, inf, nan]),
    ],
)
def test_special_points_match_torch_values_and_gradients(name, points, dtype):
    check_op(getattr(gu, name), getattr(torch, name), np.array(points, dtype=dtype))


def test_digamma_gradient_is_torchs_trigamma_to_the_last_digit():
    x = np.concatenate([np.linspace(-3.7, 12.3, 41), [6.5, 7.25, 100.0, 1e5, -1.0, -4.0]])
    check_op(gu.digamma, torch.digamma, x)


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
    np.testing.assert_allclose(out.numpy(), expected.numpy(), rtol=1e-3, atol=1e-6)


INTEGERS = [
    np.array([-3, -1, 0, 1, 2]),
    np.array([3, 0, 1], dtype=np.int32),
    np.array([0, 3, 200], dtype=np.uint8),
    np.array([True, False]),
    np.array(7),
    np.array([0.25, -1.5, 3.0], dtype=np.float16),
]


@pytest.mark.parametrize("name", [*sorted(UNARY), "signbit"])
@pytest.mark.parametrize("values", INTEGERS, ids=lambda v: f"{v.dtype}{v.shape}")
def test_integer_bool_and_float16_inputs_give_torchs_dtype(name, values):
    _same_outcome(lambda m: getattr(m, name)(m.tensor(values)))


def test_signbit_sees_negative_zero_and_the_sign_of_nan():
    x = np.array([-0.0, 0.0, -1.5, 2.0, -inf, inf, nan, -nan])
    _same_outcome(lambda m: m.signbit(m.tensor(x)))
    _same_outcome(lambda m: m.signbit(m.tensor(x.astype(np.float32))))
    assert not gu.signbit(gu.tensor([1.0], requires_grad=True)).requires_grad


OPERANDS = {
    "float32": np.array([1.5, nan, nan, -2.0, 0.0, -0.0], dtype=np.float32),
    "float64": np.array([nan, 3.0, nan, -2.0, -0.0, 0.0]),
    "float64 0-d": np.array(0.5),
    "int64": np.array([-7, 0, 2, 5, 1, 1]),
    "int8": np.array([3, -1, 7, 2, 9, 0], dtype=np.int8),
    "bool": np.array([True, False, True, True, False, True]),
}


@pytest.mark.parametrize("name", ["fmax", "fmin"])
@pytest.mark.parametrize("a", sorted(OPERANDS))
@pytest.mark.parametrize("b", sorted(OPERANDS))
def test_fmax_fmin_dtypes_and_nan_rule_follow_torch(name, a, b):
    x, y = OPERANDS[a], OPERANDS[b]
    _same_outcome(lambda m: getattr(m, name)(m.tensor(x), m.tensor(y)))


@pytest.mark.parametrize("name", ["fmax", "fmin"])
def test_fmax_fmin_gradients_send_ties_and_nans_to_one_side(name):
    a = np.array([[1.0, nan, nan, 2.0, 2.0, -1.0]])
    b = np.array([[nan, 3.0, nan, 1.0, 2.0, 4.0], [0.0, 0.0, 0.0, 5.0, -5.0, -1.0]])
    check_op(getattr(gu, name), getattr(torch, name), a, b)
    x, y = normal((3, 1), 1), normal((4,), 2)
    ladder(getattr(gu, name), getattr(torch, name), x, y)
    check_op(lambda p, q: getattr(p, name)(q), lambda p, q: getattr(p, name)(q), x, y)


def test_heaviside_values_dtypes_and_no_derivative():
    x = np.array([-1.5, 0.0, -0.0, 2.0, nan])
    for values in (np.array([0.5]), np.array(0.25), np.array([1.0, 2.0, 3.0, 4.0, 5.0])):
        check_op(gu.heaviside, torch.heaviside, x, values, grad=[False, False])
    _same_outcome(lambda m: m.heaviside(m.tensor([-2, 0, 3]), m.tensor([7])))
    _same_outcome(lambda m: m.heaviside(m.tensor([True, False]), m.tensor([True])))
    for make in (
        lambda m: m.heaviside(m.tensor([1.0]), m.tensor([1.0], dtype=m.float64)),
        lambda m: m.heaviside(m.tensor([1]), m.tensor([0.5])),
        lambda m: m.heaviside(m.tensor([1.0]), 0.5),
        lambda m: m.heaviside(m.tensor([1.0, 2.0]), m.tensor([1.0, 2.0, 3.0])),
    ):
        _same_outcome(make)
    y = gu.heaviside(gu.tensor([1.0, 0.0], requires_grad=True), gu.tensor([0.5]))
    assert y.requires_grad
    with pytest.raises(RuntimeError, match="derivative for heaviside is not implemented"):
        y.sum().backward()


@pytest.mark.parametrize("shapes", [((2, 3), (2, 3)), ((3, 1), (4,)), ((), (3,)), ((2,), ())])
def test_float_power_is_float64_pow_with_gradients(shapes):
    a, b = positive(shapes[0], 1), normal(shapes[1], 2)
    ladder(gu.float_power, torch.float_power, a, b)
    check_op(lambda x: gu.float_power(x, 2), lambda x: torch.float_power(x, 2), a)
    check_op(lambda x: gu.float_power(x, -0.5), lambda x: torch.float_power(x, -0.5), a)
    check_op(lambda y: gu.float_power(3, y), lambda y: torch.float_power(3, y), b)
    check_op(lambda x: x.float_power(2.5), lambda x: x.float_power(2.5), a.astype(np.float32))


@pytest.mark.parametrize(
    "make",
    [
        lambda m: m.float_power(m.tensor([1, 2, -3]), 2),
        lambda m: m.float_power(m.tensor([1, 2, -3]), 0.5),
        lambda m: m.float_power(m.tensor([True, False]), 3),
        lambda m: m.float_power(m.tensor([2.0], dtype=m.float16), m.tensor([1, 2])),
        lambda m: m.float_power(m.tensor(2.0), m.tensor([1, 2])),
        lambda m: m.float_power(2, 3),
        lambda m: m.tensor([1.0, 2.0]).float_power_(2),
        lambda m: m.tensor([1, 2]).float_power_(2),
        lambda m: m.tensor([1.0, 2.0], dtype=m.float64).float_power_(m.tensor([1.0, 3.0])),
        lambda m: m.fmax(m.tensor([1.0]), 2.0),
        lambda m: m.fmin(2.0, m.tensor([1.0])),
        lambda m: m.logit(m.tensor([0, 1]), 0.1),
        lambda m: m.logit(m.tensor([0.5]), "0.1"),
        lambda m: m.lgamma(1.0),
    ],
)
def test_dtypes_and_errors_follow_torch(make):
    _same_outcome(make)


IN_PLACE = ["lgamma", "digamma", "i0", "sinc", "deg2rad", "rad2deg", "logit"]


def _in_place_on_non_leaf(m, name, a, w, *args):
    x = m.tensor(a, requires_grad=True)
    y = x * 1.0
    assert getattr(y, name + "_")(*args) is y
    version = y._version
    (y * m.tensor(w)).sum().backward()
    return y.detach(), x.grad, version


@pytest.mark.parametrize("name", IN_PLACE)
def test_in_place_twin_on_a_non_leaf_matches_torch(name):
    a, w = UNARY[name][0]((2, 3), 7), normal((2, 3), 8)
    ours, theirs = (_in_place_on_non_leaf(m, name, a, w) for m in (gu, torch))
    assert_close(ours[0], theirs[0], what="value")
    assert_close(ours[1], theirs[1], what="gradient through the in-place op")
    assert ours[2] == theirs[2] == 1


def test_in_place_logit_eps_float_power_and_heaviside():
    a, w = uniform(-0.2, 1.2)((2, 3), 3), normal((2, 3), 4)
    ours, theirs = (_in_place_on_non_leaf(m, "logit", a, w, 0.1) for m in (gu, torch))
    assert_close(ours[0], theirs[0])
    assert_close(ours[1], theirs[1])
    b = positive((2, 3), 5)
    ours, theirs = (_in_place_on_non_leaf(m, "float_power", b, w, 1.5) for m in (gu, torch))
    assert_close(ours[0], theirs[0])
    assert_close(ours[1], theirs[1])
    for m in (gu, torch):
        x = m.tensor([-1.0, 0.0, 2.0])
        assert x.heaviside_(m.tensor([0.5])) is x and x._version == 1
        np.testing.assert_array_equal(x.numpy(), [0.0, 0.5, 1.0])


@pytest.mark.parametrize("name", [*sorted(UNARY), "fmax"])
def test_non_contiguous_input(name):
    make = UNARY[name][0] if name in UNARY else normal
    a, w = make((3, 4), 5), normal((4, 3), 6)
    results = []
    for m in (gu, torch):
        x = m.tensor(a, requires_grad=True)
        op = getattr(m, name)
        y = op(x.T, x.T * 0.5) if name == "fmax" else op(x.T)
        (y * m.tensor(w)).sum().backward()
        results.append((y.detach(), x.grad))
    assert not gu.tensor(a).T.is_contiguous()
    assert_close(results[0][0], results[1][0])
    assert_close(results[0][1], results[1][1])

"""Unary elementwise math (ops.math, ops.math_sign) against torch: forward, backward and
dtype in float64 and float32 with gradcheck, 0-d and zero-size tensors, integer and bool
inputs, special points (0, +-1, inf, nan, halves) where gradients are inf or nan, non-
contiguous inputs, the in-place twins, and the errors torch raises."""

import warnings

import numpy as np
import pytest
import torch

import groundup as gu
from tests.oracle import assert_close, check_op
from tests.strategies import away_from_zero, ladder, normal, positive


def uniform(low, high):
    def make(shape, seed, dtype=np.float64):
        return np.random.default_rng(seed).uniform(low, high, shape).astype(dtype)

    return make


unit = uniform(-0.9, 0.9)  # inside the domain of asin, acos, atanh, erfinv

# name: inputs inside the op's domain and away from its kinks
UNARY = {
    "sin": normal,
    "cos": normal,
    "tan": uniform(-1.2, 1.2),
    "asin": unit,
    "acos": unit,
    "atan": normal,
    "sinh": normal,
    "cosh": normal,
    "asinh": normal,
    "acosh": uniform(1.1, 3.0),
    "atanh": unit,
    "arcsin": unit,
    "arccos": unit,
    "arctan": normal,
    "arcsinh": normal,
    "arccosh": uniform(1.1, 3.0),
    "arctanh": unit,
    "exp": normal,
    "exp2": normal,
    "expm1": normal,
    "log": positive,
    "log2": positive,
    "log10": positive,
    "log1p": uniform(-0.5, 2.0),
    "sqrt": positive,
    "rsqrt": positive,
    "reciprocal": away_from_zero,
    "square": normal,
    "erf": normal,
    "erfc": normal,
    "erfinv": unit,
    "neg": normal,
    "negative": normal,
    "positive": normal,
    "abs": away_from_zero,
    "absolute": away_from_zero,
    "sign": away_from_zero,
    "sgn": away_from_zero,
    "floor": normal,
    "ceil": normal,
    "round": normal,
    "trunc": normal,
    "fix": normal,
    "frac": normal,
    "nan_to_num": normal,
}
IN_PLACE = sorted(set(UNARY) - {"positive"})  # torch has no positive_
# torch.sgn's gradient is a ZeroTensor, which cannot be read as an array: for real inputs
# sgn is sign, so torch.sign is the oracle
ORACLE = {"sgn": "sign"}
# torch implements no derivative for these in-place twins (backward raises); groundup's
# in-place ops all have one, compared with torch's out-of-place op
NO_TORCH_IN_PLACE_GRADIENT = {"asinh", "acosh", "atanh", "arcsinh", "arccosh", "arctanh"}


def torch_op(name):
    return getattr(torch, ORACLE.get(name, name))


def test_every_op_has_its_in_place_twin_registered():
    for name in UNARY:
        assert name in gu.ops.TENSOR_METHODS, name
        assert (name in gu.ops.INPLACE) == hasattr(torch.Tensor, name + "_"), name


@pytest.mark.parametrize("name", sorted(UNARY))
@pytest.mark.parametrize("shape", [(), (5,), (2, 3)])
def test_unary_op_matches_torch(name, shape):
    x = UNARY[name](shape, 3)
    ladder(getattr(gu, name), torch_op(name), x)
    method = ORACLE.get(name, name)
    ladder(lambda t: getattr(t, name)(), lambda t: getattr(t, method)(), x, dtypes=(np.float32,))


@pytest.mark.parametrize("name", sorted(UNARY))
@pytest.mark.parametrize("shape", [(0,), (2, 0)])
def test_unary_op_on_zero_size_tensors(name, shape):
    check_op(getattr(gu, name), torch_op(name), np.zeros(shape))


SPECIAL = [0.0, -0.0, 1.0, -1.0, 0.5, -0.5, 1.5, 2.5, -2.5, 3.0, np.inf, -np.inf, np.nan]


@pytest.mark.parametrize("name", sorted(UNARY))
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_special_points_match_torch_values_gradients_and_zero_signs(name, dtype):
    # inf and nan gradients included (rsqrt'(0) = -inf, asin'(1) = inf, sign' = 0 ...);
    # no NumPy warning may escape, as torch gives none
    x = np.array(SPECIAL, dtype=dtype)
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        check_op(getattr(gu, name), torch_op(name), x)
        out = getattr(gu, name)(gu.tensor(x))
    expected = getattr(torch, name)(torch.tensor(x)).numpy()
    numbers = ~np.isnan(expected)
    np.testing.assert_array_equal(np.signbit(out.numpy()[numbers]), np.signbit(expected[numbers]))


def _same_outcome(make):
    """make(gu) and make(torch) agree: same dtype and values, or the same exception class."""
    try:
        expected = make(torch)
    except Exception as error:  # noqa: BLE001 - any exception torch raises
        with pytest.raises(type(error)):
            make(gu)
        return
    out = make(gu)
    if not isinstance(expected, torch.Tensor):
        assert out == expected
        return
    assert str(out.dtype) == str(expected.dtype).removeprefix("torch."), (out.dtype, expected)
    assert out.shape == tuple(expected.shape)
    np.testing.assert_allclose(out.numpy(), expected.numpy(), rtol=1e-6, atol=1e-7)


INTEGER_INPUTS = [
    np.array([-3, -1, 0, 1, 2]),
    np.array([3, 0, 1], dtype=np.int32),
    np.array([0, 3, 200], dtype=np.uint8),
    np.array([True, False]),
    np.array(7),
]


@pytest.mark.parametrize("name", sorted(UNARY))
@pytest.mark.parametrize("values", INTEGER_INPUTS, ids=lambda v: f"{v.dtype}{v.shape}")
def test_integer_and_bool_inputs_give_torch_dtype_or_error(name, values):
    _same_outcome(lambda m: getattr(m, name)(m.tensor(values)))


def test_float16_keeps_its_dtype():
    x = np.array([0.25, -1.5, 0.75], dtype=np.float16)
    for name in ("sin", "erf", "erfinv", "round", "exp2", "nan_to_num"):
        _same_outcome(lambda m, name=name: getattr(m, name)(m.tensor(x)))


@pytest.mark.parametrize("name", sorted(UNARY))
def test_non_contiguous_input(name):
    a = UNARY[name]((3, 4), 5)
    w = normal((4, 3), 6)
    x, tx = gu.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)
    y, ty = getattr(gu, name)(x.T), torch_op(name)(tx.T)
    assert not x.T.is_contiguous()
    (y * gu.tensor(w)).sum().backward()
    (ty * torch.tensor(w)).sum().backward()
    assert_close(y, ty)
    assert_close(x.grad, tx.grad)


def _in_place_on_non_leaf(m, name, a, w, kwargs):
    x = m.tensor(a, requires_grad=True)
    y = x * 1.0
    if m is torch and name in NO_TORCH_IN_PLACE_GRADIENT | set(ORACLE):
        y = torch_op(name)(y, **kwargs)
    else:
        assert getattr(y, name + "_")(**kwargs) is y
    version = y._version
    (y * m.tensor(w)).sum().backward()
    return y.detach(), x.grad, version


@pytest.mark.parametrize("name", IN_PLACE)
def test_in_place_twin_on_a_non_leaf_matches_torch(name):
    a, w = UNARY[name]((2, 3), 7), normal((2, 3), 8)
    ours, theirs = _in_place_on_non_leaf(gu, name, a, w, {}), _in_place_on_non_leaf(
        torch, name, a, w, {}
    )
    assert_close(ours[0], theirs[0], what="value")
    assert_close(ours[1], theirs[1], what="gradient through the in-place op")
    assert ours[2] == 1


@pytest.mark.parametrize("name", IN_PLACE)
def test_in_place_twin_under_no_grad_on_a_leaf(name):
    a = UNARY[name]((2, 3), 9).astype(np.float32)
    x, tx = gu.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)
    with gu.no_grad():
        assert getattr(x, name + "_")() is x
    with torch.no_grad():
        getattr(tx, name + "_")()
    assert_close(x, tx, np.float32)
    assert x._version == tx._version == 1
    assert x.requires_grad and x.grad_fn is None


def test_in_place_round_with_decimals_and_the_leaf_error():
    a, w = normal((2, 3), 1) * 10, normal((2, 3), 2)
    ours = _in_place_on_non_leaf(gu, "round", a, w, {"decimals": 1})
    theirs = _in_place_on_non_leaf(torch, "round", a, w, {"decimals": 1})
    assert_close(ours[0], theirs[0])
    assert_close(ours[1], theirs[1])
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
        gu.tensor([1.0], requires_grad=True).sin_()


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("decimals", [-3, -1, 0, 1, 2, 4, 50, 400])
def test_round_decimals_equals_torch_bit_for_bit(dtype, decimals):
    x = np.array([1.25, 2.5, -0.55, 1234.5678, 0.125, -7.5, 0.0, 1e-3, 99.95], dtype=dtype)
    x = np.concatenate([x, normal((50,), 3, dtype) * 100])
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        out = gu.round(gu.tensor(x), decimals=decimals)
    expected = torch.round(torch.tensor(x), decimals=decimals)
    np.testing.assert_array_equal(out.numpy(), expected.numpy())
    check_op(lambda t: t.round(decimals=decimals), lambda t: t.round(decimals=decimals), x)


@pytest.mark.parametrize(
    "kwargs",
    [{}, {"nan": 1.5}, {"posinf": 7.0, "neginf": -7.0}, {"nan": None}, {"posinf": 1e300}],
)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_nan_to_num_replacements_and_gradient(kwargs, dtype):
    x = np.array([np.nan, np.inf, -np.inf, 1.5, -0.25], dtype=dtype)
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        check_op(lambda t: gu.nan_to_num(t, **kwargs), lambda t: torch.nan_to_num(t, **kwargs), x)


def test_sign_and_friends_have_zero_gradient_and_positive_is_the_input():
    x = gu.tensor([-2.0, 0.0, 3.5], requires_grad=True)
    for op in (gu.sign, gu.sgn, gu.floor, gu.ceil, gu.round, gu.trunc, gu.fix):
        x.grad = None
        op(x).sum().backward()
        np.testing.assert_array_equal(x.grad.numpy(), [0.0, 0.0, 0.0])
    assert gu.positive(x) is x and +x is x
    assert gu.arcsin is gu.asin and gu.absolute is gu.abs and gu.fix is gu.trunc


@pytest.mark.parametrize(
    "make",
    [
        lambda m: m.round(m.tensor([1.5]), decimals=1.5),
        lambda m: m.round(m.tensor([1]), decimals=1),
        lambda m: m.frac(m.tensor([1, 2])),
        lambda m: m.floor(m.tensor([True])),
        lambda m: m.abs(m.tensor([True])),
        lambda m: m.neg(m.tensor([True])),
        lambda m: -m.tensor([True]),
        lambda m: m.positive(m.tensor([True])),
        lambda m: m.tensor([1, 2]).sin_(),
        lambda m: m.tensor([1, 2]).sqrt_(),
        lambda m: m.tensor([True]).neg_(),
        lambda m: m.tensor([1, 2]).floor_(),
        lambda m: m.tensor([1, 2]).sign_(),
        lambda m: m.tensor([True, False]).sign_(),
    ],
)
def test_errors_and_integer_in_place_ops_follow_torch(make):
    _same_outcome(make)


@pytest.mark.parametrize("name", ["tan", "rsqrt", "erfinv", "floor", "frac", "nan_to_num"])
def test_in_place_twin_through_a_view_matches_torch(name):
    a, w = UNARY[name]((3, 4), 11), normal((3, 4), 12)
    results = []
    for m in (gu, torch):
        x = m.tensor(a, requires_grad=True)
        base = x * 1.0
        row = base[1:, ::2]  # a non-contiguous view
        getattr(row, name + "_")()
        (base * m.tensor(w)).sum().backward()
        results.append((base.detach(), x.grad, base._version))
    assert_close(results[0][0], results[1][0])
    assert_close(results[0][1], results[1][1])
    assert results[0][2] == results[1][2]

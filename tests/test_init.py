"""nn.init: torch's fan and gain conventions, checked statistically (the random streams of
the two libraries differ), and reproducibility through groundup.manual_seed."""

import math

import numpy as np
import pytest
import torch

import groundup as gu
from groundup.nn import init


def big(*shape, dtype=np.float32):
    return gu.zeros(*shape, dtype=dtype)


@pytest.mark.parametrize(
    ("name", "param"),
    [
        ("linear", None),
        ("conv2d", None),
        ("sigmoid", None),
        ("tanh", None),
        ("relu", None),
        ("leaky_relu", None),
        ("leaky_relu", 0.2),
        ("leaky_relu", math.sqrt(5)),
        ("selu", None),
    ],
)
def test_calculate_gain_matches_torch(name, param):
    assert init.calculate_gain(name, param) == torch.nn.init.calculate_gain(name, param)


def test_calculate_gain_errors():
    with pytest.raises(ValueError, match="unsupported nonlinearity 'swish'"):
        init.calculate_gain("swish")
    with pytest.raises(ValueError, match="negative_slope True is not a valid number"):
        init.calculate_gain("leaky_relu", True)


@pytest.mark.parametrize("shape", [(30, 20), (16, 8, 3, 3), (4, 5, 7)])
def test_fans_match_torch(shape):
    expected = torch.nn.init._calculate_fan_in_and_fan_out(torch.empty(shape))
    assert init._calculate_fan_in_and_fan_out(gu.zeros(*shape)) == expected
    with pytest.raises(ValueError, match=r"fewer than 2 dims, got shape \(5,\)"):
        init._calculate_fan_in_and_fan_out(gu.zeros(5))


# shape (out, in, kh, kw) = (64, 32, 5, 5): fan_in = 800, fan_out = 1600; 51,200 draws, so
# the sample std is within 1% of the target (std error ~ 0.3%).
CONV = (64, 32, 5, 5)
FAN_IN, FAN_OUT = 32 * 25, 64 * 25


@pytest.mark.parametrize(
    ("fill", "std", "bound"),
    [
        (lambda t: init.xavier_uniform_(t), math.sqrt(2 / (FAN_IN + FAN_OUT)), None),
        (lambda t: init.xavier_uniform_(t, gain=2.0), 2 * math.sqrt(2 / (FAN_IN + FAN_OUT)), None),
        (lambda t: init.xavier_normal_(t), math.sqrt(2 / (FAN_IN + FAN_OUT)), None),
        (lambda t: init.kaiming_uniform_(t, nonlinearity="relu"), math.sqrt(2 / FAN_IN), None),
        (
            lambda t: init.kaiming_uniform_(t, a=math.sqrt(5)),  # Linear's and Conv's default
            1 / math.sqrt(3 * FAN_IN),
            1 / math.sqrt(FAN_IN),
        ),
        (
            lambda t: init.kaiming_normal_(t, mode="fan_out", nonlinearity="relu"),
            math.sqrt(2 / FAN_OUT),
            None,
        ),
        (lambda t: init.kaiming_normal_(t), math.sqrt(2 / (1 + 0.01**2) / FAN_IN), None),
        (lambda t: init.uniform_(t, -0.5, 0.5), 1 / math.sqrt(12), 0.5),
        (lambda t: init.normal_(t, 0.0, 0.02), 0.02, None),
    ],
)
def test_initializer_statistics(fill, std, bound):
    gu.manual_seed(0)
    t = fill(big(*CONV))
    assert t.dtype == np.float32
    w = t._data.astype(np.float64)
    assert abs(w.std() / std - 1) < 0.01
    assert abs(w.mean()) < 0.02 * std
    if bound is not None:  # uniform: the support is exactly [-bound, bound]
        assert np.abs(w).max() <= bound * (1 + 1e-6) and np.abs(w).max() > 0.99 * bound


def test_uniform_bounds_follow_torch_formula():
    gu.manual_seed(1)
    t = init.xavier_uniform_(big(300, 100), gain=init.calculate_gain("tanh"))
    bound = (5 / 3) * math.sqrt(6 / 400)
    assert bound * 0.99 < np.abs(t._data).max() <= bound * (1 + 1e-6)
    t = init.kaiming_uniform_(big(300, 100), mode="fan_out", nonlinearity="relu")
    bound = math.sqrt(2) * math.sqrt(3 / 300)
    assert bound * 0.99 < np.abs(t._data).max() <= bound * (1 + 1e-6)


def test_same_seed_same_values_and_explicit_generator():
    draws = []
    for _ in range(2):
        gu.manual_seed(42)
        draws.append(init.kaiming_normal_(big(20, 10))._data.copy())
    np.testing.assert_array_equal(draws[0], draws[1])
    gu.manual_seed(43)
    assert not np.array_equal(draws[0], init.kaiming_normal_(big(20, 10))._data)
    a = init.normal_(big(5), generator=np.random.default_rng(7))._data
    b = init.normal_(big(5), generator=np.random.default_rng(7))._data
    np.testing.assert_array_equal(a, b)


def test_constant_fills_in_place_keep_dtype():
    t = gu.zeros(3, 2, dtype=np.float64)
    data = t._data
    assert init.ones_(t) is t and t._data is data and np.all(t._data == 1)
    init.constant_(t, 0.25)
    assert np.all(t._data == 0.25) and t.dtype == np.float64
    init.zeros_(t)
    assert np.all(t._data == 0)
    init.uniform_(t)
    assert t.dtype == np.float64 and np.all((t._data >= 0) & (t._data < 1))


def test_kaiming_errors_and_empty_tensor():
    with pytest.raises(ValueError, match="mode 'fan_avg' not supported"):
        init.kaiming_uniform_(big(3, 3), mode="fan_avg")
    assert init.kaiming_uniform_(big(0, 3)).shape == (0, 3)

"""Random sampling (ops.sampling) and the generator API (groundup.random). The numbers cannot
equal torch's streams, so these test what can be compared: the distributions (moments,
supports, frequencies), determinism under manual_seed and Generator seeds, shapes, dtypes,
gradients (zero, as torch's) and torch's errors."""

import copy
import pickle

import numpy as np
import pytest
import torch

import groundup as gu

N = 20_000  # samples for the moment checks: standard errors near 1%


def _same_error_or_shape(make):
    """make(gu) raises the exception class torch raises, or both give the same shape and
    dtype (the values are random)."""
    try:
        expected = make(torch)
    except Exception as error:  # noqa: BLE001 - any exception torch raises
        with pytest.raises(type(error)):
            make(gu)
        return
    out = make(gu)
    assert out.shape == tuple(expected.shape)
    assert str(out.dtype) == str(expected.dtype).removeprefix("torch."), (out, expected)
    assert out.requires_grad == expected.requires_grad


# ------------------------------------------------------------------ the generator API
def test_generator_seeds_reproduce_every_sampler():
    def draws(g):
        return [
            gu.rand(3, generator=g), gu.randn(3, generator=g), gu.randint(9, (3,), generator=g),
            gu.randperm(5, generator=g), gu.normal(0.0, 1.0, (3,), generator=g),
            gu.bernoulli(gu.full((4,), 0.5), generator=g),
            gu.multinomial(gu.ones(6), 3, generator=g), gu.poisson(gu.full((3,), 4.0), g),
            gu.empty(3).uniform_(generator=g), gu.empty(3).normal_(generator=g),
            gu.empty(3).bernoulli_(0.5, generator=g), gu.empty(3).exponential_(generator=g),
            gu.empty(3).random_(10, generator=g),
        ]

    g = gu.Generator()
    assert g.manual_seed(7) is g and g.initial_seed() == 7
    first = draws(g)
    second = draws(gu.Generator().manual_seed(7))
    for a, b in zip(first, second, strict=True):
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    other = draws(gu.Generator().manual_seed(8))
    assert not all(np.array_equal(a.numpy(), b.numpy()) for a, b in zip(first, other, strict=True))


def test_a_private_generator_leaves_the_global_stream_alone():
    gu.manual_seed(3)
    expected = gu.rand(4).numpy()
    gu.manual_seed(3)
    gu.randn(10, generator=gu.Generator().manual_seed(1))
    np.testing.assert_array_equal(gu.rand(4).numpy(), expected)


def test_initial_seed_seed_and_the_default_generator():
    assert gu.Generator().initial_seed() == torch.Generator().initial_seed()
    g = gu.manual_seed(5)
    assert g is gu.random.default_generator() and isinstance(g, gu.Generator)
    assert gu.initial_seed() == 5
    fresh = gu.seed()
    assert isinstance(fresh, int) and 0 <= fresh < 2**64 and gu.initial_seed() == fresh
    gu.manual_seed(-1)  # negative seeds count modulo 2**64, as in torch
    torch_default = torch.initial_seed()
    torch.manual_seed(-1)
    assert gu.initial_seed() == torch.initial_seed() == 2**64 - 1
    torch.manual_seed(torch_default)
    g = gu.Generator()
    own = g.seed()
    assert g.initial_seed() == own and own != gu.Generator().seed()


def test_get_state_and_set_state_round_trip_with_the_seed():
    g = gu.Generator().manual_seed(11)
    gu.rand(5, generator=g)
    state = g.get_state()
    assert state.dtype == np.uint8 and state.ndim == 1
    expected = gu.randn(6, generator=g).numpy()
    g.manual_seed(99)
    assert g.set_state(state) is g and g.initial_seed() == 11
    np.testing.assert_array_equal(gu.randn(6, generator=g).numpy(), expected)
    following = gu.rand(3, generator=gu.Generator().set_state(g.get_state())).numpy()
    for clone in (pickle.loads(pickle.dumps(g)), copy.deepcopy(g)):
        assert isinstance(clone, gu.Generator) and clone.initial_seed() == 11
        np.testing.assert_array_equal(gu.rand(3, generator=clone).numpy(), following)
    gu.set_rng_state(gu.get_rng_state())  # the global snapshot API still works


@pytest.mark.parametrize(
    "make, error",
    [
        (lambda m: m.Generator().set_state([1, 2]), TypeError),
        (lambda m: m.Generator().set_state(m.zeros(56)), TypeError),
        (lambda m: m.Generator().set_state(m.zeros(3, dtype=m.uint8)), RuntimeError),
        (lambda m: m.Generator().manual_seed(1.5), RuntimeError),
        (lambda m: m.Generator().manual_seed(True), RuntimeError),
        (lambda m: m.Generator().manual_seed(2**64), ValueError),
        (lambda m: m.Generator(device="cuda"), RuntimeError),
        (lambda m: m.empty(3).normal_(generator=3), TypeError),
        (lambda m: m.normal(m.zeros(2), generator="g"), TypeError),
        (lambda m: m.bernoulli(m.zeros(2), generator=1), TypeError),
    ],
)
def test_generator_errors_follow_torch(make, error):
    with pytest.raises(error):
        make(torch)
    with pytest.raises(error):
        make(gu)


def test_generator_device_and_state_size_in_torchs_words():
    g = gu.Generator("cpu")
    assert str(g.device) == "cpu"
    assert g.manual_seed(2**64 - 1).initial_seed() == 2**64 - 1
    assert g.manual_seed(-(2**63)).initial_seed() == 2**63


# ------------------------------------------------------------------ normal
def test_normal_moments_for_each_overload():
    gu.manual_seed(0)
    cases = [
        gu.normal(gu.full((N,), 2.0), gu.full((N,), 3.0)),  # tensor, tensor
        gu.normal(gu.full((N,), 2.0), 3.0),  # tensor, float
        gu.normal(2.0, gu.full((N,), 3.0)),  # float, tensor
        gu.normal(2.0, 3.0, (N,)),  # float, float, size
        gu.normal(mean=gu.full((N,), 2.0), std=gu.full((1,), 3.0)),  # broadcast
    ]
    for x in cases:
        assert x.shape == (N,) and x.dtype == np.float32
        assert abs(x.numpy().mean() - 2.0) < 0.1 and abs(x.numpy().std() - 3.0) < 0.1
    means = gu.normal(gu.arange(5.0), 0.0)
    np.testing.assert_array_equal(means.numpy(), np.arange(5.0))


@pytest.mark.parametrize(
    "make",
    [
        lambda m: m.normal(m.zeros(2, 3), m.ones(2, 3)),
        lambda m: m.normal(m.zeros(2, 3), m.ones(3)),
        lambda m: m.normal(m.zeros(3), m.ones(2, 3)),
        lambda m: m.normal(m.zeros(2, 1), m.ones(1, 2)),
        lambda m: m.normal(m.zeros(2, 3)),
        lambda m: m.normal(m.zeros(2, 3, dtype=m.float64), m.ones(3)),
        lambda m: m.normal(m.zeros(2, 3), m.ones(3, dtype=m.float64)),
        lambda m: m.normal(1.0, m.ones(2, dtype=m.float64)),
        lambda m: m.normal(m.zeros(2, dtype=m.float16), 1.0),
        lambda m: m.normal(0, 1, (2, 3)),
        lambda m: m.normal(0.0, 1.0, size=[4], dtype=m.float64),
        lambda m: m.normal(0.0, 1.0, (2,), requires_grad=True),
        lambda m: m.normal(m.tensor(0.0), m.tensor(1.0)),
        lambda m: m.normal(m.zeros(0), m.ones(0)),
        lambda m: m.normal(m.zeros(2, 3), m.ones(5)),
        lambda m: m.normal(m.zeros(2), -1.0),
        lambda m: m.normal(m.zeros(2), -m.ones(2)),
        lambda m: m.normal(m.zeros(2), m.tensor([float("nan"), 1.0])),
        lambda m: m.normal(m.zeros(2), float("nan")),
        lambda m: m.normal(0.0, -1.0, (2,)),
        lambda m: m.normal(0.0, 1.0),
        lambda m: m.normal(0.0, 1.0, 5),
        lambda m: m.normal(m.zeros(2), m.ones(2), (2,)),
        lambda m: m.normal(m.zeros(2, dtype=m.int64), 1.0),
        lambda m: m.normal(1.0, m.ones(2, dtype=m.int64)),
        lambda m: m.normal(0.0, 1.0, (2,), dtype=m.int64),
    ],
)
def test_normal_shapes_dtypes_and_errors(make):
    _same_error_or_shape(make)


def test_samples_get_zero_gradients_as_in_torch():
    for m in (gu, torch):
        mean = m.zeros(3, requires_grad=True)
        std = m.ones(3, requires_grad=True)
        p = m.full((3,), 0.5, requires_grad=True)
        rate = m.full((3,), 2.0, requires_grad=True)
        total = (m.normal(mean, std) + m.normal(mean, 2.0) + m.normal(0.0, std)
                 + m.bernoulli(p) + m.poisson(rate))
        assert total.requires_grad
        total.sum().backward()
        for t in (mean, std, p, rate):
            np.testing.assert_array_equal(t.grad.numpy(), np.zeros(3))
    assert not gu.multinomial(gu.ones(3, requires_grad=True), 2).requires_grad


# ------------------------------------------------------------------ bernoulli
def test_bernoulli_frequencies_and_supports():
    gu.manual_seed(1)
    p = gu.tensor([0.0, 0.2, 0.7, 1.0]).expand(N // 4, 4)
    x = gu.bernoulli(p).numpy()
    assert set(np.unique(x)) <= {0.0, 1.0}
    np.testing.assert_allclose(x.mean(0), [0.0, 0.2, 0.7, 1.0], atol=0.03)
    y = gu.bernoulli(gu.zeros(N, dtype=gu.int64), 0.3)
    assert y.dtype == np.int64 and abs(y.numpy().mean() - 0.3) < 0.02
    z = gu.bernoulli(gu.zeros(N), p=gu.tensor(0.6))
    assert abs(z.numpy().mean() - 0.6) < 0.02
    assert abs(gu.tensor([0.25] * N).bernoulli().numpy().mean() - 0.25) < 0.02


@pytest.mark.parametrize(
    "make",
    [
        lambda m: m.bernoulli(m.tensor([0.0, 1.0, 0.5])),
        lambda m: m.bernoulli(m.tensor([0.0, 1.0], dtype=m.float64)),
        lambda m: m.bernoulli(m.tensor([0.0, 1.0], dtype=m.float16)),
        lambda m: m.bernoulli(m.tensor(0.3)),
        lambda m: m.bernoulli(m.tensor([0, 1]), 0.5),
        lambda m: m.bernoulli(m.tensor([True, False]), 0.5),
        lambda m: m.bernoulli(m.tensor([0.5]), p=0.3),
        lambda m: m.tensor([0.5, 0.5]).bernoulli(0.2),
        lambda m: m.bernoulli(m.tensor([0, 1])),
        lambda m: m.bernoulli(m.tensor([True, False])),
        lambda m: m.bernoulli(m.tensor([1.5])),
        lambda m: m.bernoulli(m.tensor([-0.5])),
        lambda m: m.bernoulli(m.tensor([float("nan")])),
        lambda m: m.bernoulli(m.tensor([0.5]), 1.5),
        lambda m: m.bernoulli(m.tensor([0.5]), -0.1),
        lambda m: m.bernoulli(0.3),
        lambda m: m.bernoulli(m.tensor([0.5]), m.tensor([0.1])),
    ],
)
def test_bernoulli_dtypes_and_errors(make):
    _same_error_or_shape(make)


def test_bernoulli_with_p_has_no_derivative():
    y = gu.bernoulli(gu.tensor([0.2, 0.5], requires_grad=True), 0.5)
    assert y.requires_grad
    with pytest.raises(RuntimeError, match="derivative for bernoulli"):
        y.sum().backward()


# ------------------------------------------------------------------ multinomial
def test_multinomial_with_replacement_follows_the_weights():
    gu.manual_seed(2)
    weights = gu.tensor([0.0, 1.0, 2.0, 7.0])
    counts = np.bincount(gu.multinomial(weights, N, replacement=True).numpy(), minlength=4)
    np.testing.assert_allclose(counts / N, [0.0, 0.1, 0.2, 0.7], atol=0.015)
    assert counts[0] == 0
    rows = gu.multinomial(gu.tensor([[1.0, 0.0], [0.0, 4.0]]), 5, True).numpy()
    np.testing.assert_array_equal(rows, [[0] * 5, [1] * 5])


def test_multinomial_without_replacement_draws_distinct_indices_in_weight_order():
    gu.manual_seed(3)
    weights = gu.tensor([[1.0, 0.0, 0.0, 3.0]] * 4000)
    picked = gu.multinomial(weights, 3).numpy()
    assert all(len(set(row)) == 3 for row in picked)
    assert set(map(tuple, picked[:, :2])) <= {(0, 3), (3, 0)}  # the positive weights first
    first = picked[:, 0]
    assert abs((first == 3).mean() - 0.75) < 0.03  # P(first = i) is proportional to w_i
    np.testing.assert_array_equal(np.sort(gu.multinomial(gu.ones(6), 6).numpy()), np.arange(6))


@pytest.mark.parametrize(
    "make",
    [
        lambda m: m.multinomial(m.tensor([0.0, 1.0, 2.0]), 2),
        lambda m: m.multinomial(m.tensor([[1.0, 2.0], [3.0, 4.0]]), 2),
        lambda m: m.multinomial(m.tensor([1.0, 2.0], dtype=m.float64), 5, True),
        lambda m: m.multinomial(m.tensor([1.0, 2.0], dtype=m.float16), 1),
        lambda m: m.multinomial(m.zeros(0, 3), 1),
        lambda m: m.multinomial(m.tensor([1.0, 0.0, 0.0]), 2),
        lambda m: m.tensor([1.0, 2.0]).multinomial(1, replacement=False),
        lambda m: m.multinomial(m.tensor([1.0, 2.0]), 3),
        lambda m: m.multinomial(m.tensor([1.0, 2.0]), 0),
        lambda m: m.multinomial(m.tensor([1.0, 2.0]), 2.5),
        lambda m: m.multinomial(m.tensor([[1.0, 0.0], [0.0, 0.0]]), 1),
        lambda m: m.multinomial(m.tensor([0.0, 0.0]), 1, True),
        lambda m: m.multinomial(m.tensor([-1.0, 2.0]), 1),
        lambda m: m.multinomial(m.tensor([float("nan"), 2.0]), 1),
        lambda m: m.multinomial(m.tensor([float("inf"), 2.0]), 2, True),
        lambda m: m.multinomial(m.tensor(1.0), 1),
        lambda m: m.multinomial(m.ones(2, 2, 2), 1),
        lambda m: m.multinomial(m.tensor([1, 2]), 1),
        lambda m: m.multinomial(m.zeros(0), 1),
    ],
)
def test_multinomial_shapes_and_errors(make):
    _same_error_or_shape(make)


# ------------------------------------------------------------------ poisson
def test_poisson_mean_variance_and_support():
    gu.manual_seed(4)
    for rate in (0.5, 4.0, 30.0):
        x = gu.poisson(gu.full((N,), rate)).numpy()
        assert (x == np.round(x)).all() and (x >= 0).all()
        assert abs(x.mean() - rate) < 0.05 * rate + 0.02
        assert abs(x.var() - rate) < 0.1 * rate + 0.02
    np.testing.assert_array_equal(gu.poisson(gu.zeros(5)).numpy(), np.zeros(5))


@pytest.mark.parametrize(
    "make",
    [
        lambda m: m.poisson(m.tensor([1.0, 2.0, 0.0])),
        lambda m: m.poisson(m.tensor([1.0, 2.0], dtype=m.float64)),
        lambda m: m.poisson(m.tensor([1.0, 2.0], dtype=m.float16)),
        lambda m: m.poisson(m.zeros(2, 0)),
        lambda m: m.poisson(m.tensor([1.0]), m.Generator()),
        lambda m: m.poisson(m.tensor([1, 2])),
        lambda m: m.poisson(m.tensor([-1.0])),
        lambda m: m.poisson(m.tensor([float("nan")])),
        lambda m: m.poisson(1.0),
    ],
)
def test_poisson_dtypes_and_errors(make):
    _same_error_or_shape(make)


def test_poisson_of_an_infinite_rate_is_torchs_overflowed_sample():
    for m in (gu, torch):
        out = m.poisson(m.tensor([float("inf"), 1e30]))
        np.testing.assert_array_equal(out.numpy(), [-(2.0**63)] * 2)


def test_registration_follows_torch():
    for name in ["normal", "bernoulli", "multinomial", "poisson", "seed", "initial_seed"]:
        assert hasattr(gu, name), name
        assert (name in gu.ops.TENSOR_METHODS) == hasattr(torch.Tensor, name), name
    assert "Generator" not in gu.ops.TENSOR_METHODS and gu.Generator is gu.random.Generator

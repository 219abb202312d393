"""Factories against torch: shapes, values and default dtypes; seeded random factories."""

import numpy as np
import pytest
import torch

import groundup as gu


def _same(out, expected):
    assert out.shape == tuple(expected.shape)
    assert str(out.dtype) == str(expected.dtype).replace("torch.", "")
    np.testing.assert_array_equal(out.numpy(), expected.numpy())


@pytest.mark.parametrize(
    "make",
    [
        lambda m: m.zeros(2, 3),
        lambda m: m.zeros((2, 3)),
        lambda m: m.zeros(()),
        lambda m: m.ones(4),
        lambda m: m.ones([2, 1], dtype=m.float64),
        lambda m: m.zeros(3, dtype=m.int64),
        lambda m: m.full((2, 2), 7),
        lambda m: m.full((2, 2), 7.5),
        lambda m: m.full((3,), True),
        lambda m: m.full((2,), 1, dtype=m.float64),
        lambda m: m.arange(5),
        lambda m: m.arange(2, 9, 3),
        lambda m: m.arange(5, 0, -2),
        lambda m: m.arange(0.0, 1.0, 0.1),
        lambda m: m.arange(-1, 1, 0.25),
        lambda m: m.arange(0, 2.5, 0.3),
        lambda m: m.arange(3, dtype=m.float64),
        lambda m: m.eye(3),
        lambda m: m.eye(2, 4),
        lambda m: m.eye(2, dtype=m.float64),
    ],
)
def test_factory_matches_torch(make):
    _same(make(gu), make(torch))


@pytest.mark.parametrize("name", ["zeros_like", "ones_like"])
def test_like_factories_keep_shape_and_dtype(name):
    for a in (np.ones((2, 3), np.float64), np.ones(4, np.int64), np.ones((), np.float32)):
        _same(getattr(gu, name)(gu.tensor(a)), getattr(torch, name)(torch.tensor(a)))
    _same(
        getattr(gu, name)(gu.ones(2), dtype=gu.float64),
        getattr(torch, name)(torch.ones(2), dtype=torch.float64),
    )
    _same(gu.full_like(gu.ones(2, 2), 3.5), torch.full_like(torch.ones(2, 2), 3.5))


def test_requires_grad_on_factories():
    for t in (
        gu.zeros(2, requires_grad=True),
        gu.ones(2, requires_grad=True),
        gu.randn(2, requires_grad=True),
        gu.rand(2, requires_grad=True),
        gu.full((2,), 1.0, requires_grad=True),
        gu.arange(0.0, 2.0, requires_grad=True),
        gu.eye(2, requires_grad=True),
        gu.zeros_like(gu.ones(2), requires_grad=True),
    ):
        assert t.requires_grad and t.is_leaf
    with pytest.raises(RuntimeError, match="only floating-point tensors can require gradients"):
        gu.zeros(2, dtype=gu.int64, requires_grad=True)
    with pytest.raises(RuntimeError, match="got dtype int64"):
        gu.arange(3, requires_grad=True)


@pytest.mark.parametrize(
    "make",
    [
        lambda: gu.randn(3, 4),
        lambda: gu.rand((2, 5), dtype=gu.float64),
        lambda: gu.randint(0, 10, (20,)),
        lambda: gu.randint(5, (3, 3)),
        lambda: gu.randperm(10),
    ],
)
def test_random_factories_are_seeded_and_fresh(make):
    gu.manual_seed(7)
    first, second = make(), make()
    gu.manual_seed(7)
    np.testing.assert_array_equal(make().numpy(), first.numpy())
    assert not np.array_equal(first.numpy(), second.numpy())


def test_random_factories_have_the_right_dtypes_ranges_and_moments():
    gu.manual_seed(0)
    n = gu.randn(100_000)
    assert (
        n.dtype == np.float32 and abs(n.numpy().mean()) < 0.02 and abs(n.numpy().std() - 1) < 0.02
    )
    u = gu.rand(100_000).numpy()
    assert u.dtype == np.float32 and u.min() >= 0 and u.max() < 1 and abs(u.mean() - 0.5) < 0.01
    r = gu.randint(-3, 4, (1000,))
    assert r.dtype == np.int64 and set(np.unique(r.numpy())) == set(range(-3, 4))
    assert gu.randint(5, (2, 3)).shape == (2, 3)
    p = gu.randperm(50)
    assert p.dtype == np.int64 and sorted(p.tolist()) == list(range(50))
    with pytest.raises(ValueError, match="randint: low 5 must be smaller than high 5"):
        gu.randint(5, 5, (2,))


def test_from_numpy_shares_memory_and_keeps_dtype():
    a = np.arange(6.0).reshape(2, 3)
    t = gu.from_numpy(a)
    assert t.dtype == np.float64 and np.shares_memory(t.numpy(), a)
    a[0, 0] = 10
    assert t[0, 0].item() == 10
    with pytest.raises(TypeError, match="from_numpy: expected a numpy.ndarray, got list"):
        gu.from_numpy([1, 2])

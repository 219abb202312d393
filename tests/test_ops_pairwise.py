"""dist, cdist and cross (ops.pairwise) and unique_consecutive, bincount and histc
(ops.counting) against torch: values, gradients (torch's subgradients at zero distances and
ties), dtypes, broadcasting of batch dims, 0-d and zero-size tensors, and torch's errors."""

import warnings

import numpy as np
import pytest
import torch

import groundup as gu
from tests.oracle import check_op
from tests.strategies import ladder, normal, with_ties

nan, inf = np.nan, np.inf


def _same_outcome(make):
    """make(gu) and make(torch) agree: same dtype and values, or the same exception class."""
    try:
        expected = make(torch)
    except Exception as error:  # noqa: BLE001 - any exception torch raises
        with pytest.raises(type(error)):
            make(gu)
        return
    out = make(gu)
    pairs = zip(out, expected, strict=True) if isinstance(out, tuple) else [(out, expected)]
    for ours, theirs in pairs:
        assert str(ours.dtype) == str(theirs.dtype).removeprefix("torch."), (ours, theirs)
        assert ours.shape == tuple(theirs.shape)
        np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-6, atol=1e-6)


def test_registration_follows_torch():
    for name in ["dist", "cdist", "cross", "unique_consecutive", "bincount", "histc"]:
        assert hasattr(gu, name), name
        assert (name in gu.ops.TENSOR_METHODS) == hasattr(torch.Tensor, name), name
        assert (name in gu.ops.INPLACE) == hasattr(torch.Tensor, name + "_"), name


# ------------------------------------------------------------------ dist
@pytest.mark.parametrize("p", [2, 1, 3.5, 0.5, inf, -inf, -1, 0])
@pytest.mark.parametrize("shapes", [((2, 3), (2, 3)), ((2, 3), (3,)), ((), ())], ids=str)
def test_dist_matches_torch(p, shapes):
    a, b = normal(shapes[0], 1), normal(shapes[1], 2)
    # p = 0 has no gradient; torch's backward fails when `other` requires grad then
    grad = [True, p != 0]
    ladder(lambda x, y: gu.dist(x, y, p), lambda x, y: torch.dist(x, y, p), a, b, grad=grad,
           check_gradients=p != 0)


def test_dist_at_zero_and_ties_uses_torchs_subgradients():
    a, b = np.array([1.0, 2.0, -2.0]), np.array([1.0, 0.0, 0.0])
    for p in (2, 1, inf):
        check_op(lambda x, y, p=p: x.dist(y, p), lambda x, y, p=p: x.dist(y, p), a, b)
    check_op(lambda x, y: gu.dist(x, y), lambda x, y: torch.dist(x, y), a, a.copy())


@pytest.mark.parametrize(
    "make",
    [
        lambda m: m.dist(m.tensor([1, 2]), m.tensor([0, 0])),
        lambda m: m.dist(m.ones(2, 4), m.zeros(4, dtype=m.float64)),
        lambda m: m.dist(m.ones(2, 4), m.zeros(3)),
        lambda m: m.dist(m.ones(2), 1.0),
    ],
)
def test_dist_dtypes_and_errors(make):
    _same_outcome(make)


# ------------------------------------------------------------------ cdist
@pytest.mark.parametrize("p", [2.0, 1.0, 0.0, 0.5, 1.5, 3.0, inf])
@pytest.mark.parametrize(
    "shapes", [((4, 3), (5, 3)), ((2, 4, 3), (1, 5, 3)), ((4, 3), (2, 5, 3)), ((0, 3), (2, 3))],
    ids=str,
)
def test_cdist_matches_torch(p, shapes):
    a, b = normal(shapes[0], 1), normal(shapes[1], 2)
    ladder(lambda x, y: gu.cdist(x, y, p), lambda x, y: torch.cdist(x, y, p), a, b,
           check_gradients=p != 0)


@pytest.mark.parametrize(
    "mode", ["use_mm_for_euclid_dist_if_necessary", "use_mm_for_euclid_dist",
             "donot_use_mm_for_euclid_dist"]
)
def test_cdist_compute_modes_agree_with_torch_also_above_25_rows(mode):
    a, b = normal((30, 4), 3), normal((7, 4), 4)
    ladder(lambda x, y: gu.cdist(x, y, compute_mode=mode),
           lambda x, y: torch.cdist(x, y, compute_mode=mode), a, b)


@pytest.mark.parametrize("p", [2.0, 1.0, 0.5, 1.5, 3.0, inf])
def test_cdist_gradient_at_zero_distance_and_ties(p):
    a = np.array([[0.0, 0.0], [1.0, 1.0], [3.0, 1.0]])
    b = np.array([[0.0, 0.0], [1.0, 3.0], [3.0, -1.0]])
    check_op(lambda x, y: gu.cdist(x, y, p), lambda x, y: torch.cdist(x, y, p), a, b)
    check_op(lambda x, y: gu.cdist(x, y, p), lambda x, y: torch.cdist(x, y, p),
             a.T.copy().T, b)  # a non-contiguous first operand is read the same way


@pytest.mark.parametrize(
    "make",
    [
        lambda m: m.cdist(m.ones(3, 2), m.ones(2, 2), -1),
        lambda m: m.cdist(m.ones(3, 2), m.ones(2, 2, dtype=m.float64)),
        lambda m: m.cdist(m.ones(3, 2, dtype=m.int64), m.ones(2, 2, dtype=m.int64)),
        lambda m: m.cdist(m.ones(3, 2), m.ones(2, 1)),
        lambda m: m.cdist(m.ones(2), m.ones(2, 2)),
        lambda m: m.cdist(m.ones(2, 3, 2), m.ones(3, 4, 2)),
        lambda m: m.cdist(m.ones(3, 2), m.ones(2, 2), compute_mode="fast"),
        lambda m: m.cdist(m.ones(3, 0), m.ones(4, 0)),
    ],
)
def test_cdist_errors_follow_torch(make):
    _same_outcome(make)


# ------------------------------------------------------------------ cross
@pytest.mark.parametrize("shapes, dim", [(((4, 3), (4, 3)), 1), (((3, 5), (3, 1)), 0),
                                         (((1, 3), (4, 3)), -1), (((2, 3, 2), (2, 3, 2)), 1)])
def test_cross_matches_torch(shapes, dim):
    a, b = normal(shapes[0], 1), normal(shapes[1], 2)
    ladder(lambda x, y: gu.cross(x, y, dim), lambda x, y: torch.cross(x, y, dim), a, b)
    check_op(lambda x, y: x.cross(y, dim=dim), lambda x, y: x.cross(y, dim=dim), a, b)


@pytest.mark.parametrize(
    "make",
    [
        lambda m: m.cross(m.tensor([1, 2, 3]), m.tensor([4, 5, 6]), 0),
        lambda m: m.cross(m.ones(3, 3), m.ones(3, 3)),
        lambda m: m.cross(m.ones(3, 2), m.ones(3, 1)),
        lambda m: m.cross(m.ones(2, 4), m.ones(2, 4)),
        lambda m: m.cross(m.ones(2, 3), m.ones(2, 3), 0),
        lambda m: m.cross(m.ones(3), m.ones(4, 3)),
        lambda m: m.cross(m.ones(3), m.ones(3, dtype=m.float64)),
        lambda m: m.cross(m.tensor([True, False, True]), m.tensor([True, True, True])),
        lambda m: m.cross(m.ones(3), m.ones(3), 1),
    ],
)
def test_cross_dtypes_and_errors(make):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        _same_outcome(make)


def test_cross_without_dim_warns_as_torch():
    with pytest.warns(UserWarning, match="without specifying the dim"):
        gu.cross(gu.ones(3, 3), gu.ones(3, 3))


# ------------------------------------------------------------------ counting
@pytest.mark.parametrize(
    "make",
    [
        lambda m: m.unique_consecutive(m.tensor([1, 1, 2, 2, 3, 1, 1, 2])),
        lambda m: m.unique_consecutive(m.tensor([1, 1, 2, 2, 3, 1, 1, 2]), True, True),
        lambda m: m.unique_consecutive(m.tensor([[1, 1, 2], [1, 1, 3]]), return_inverse=True),
        lambda m: m.unique_consecutive(m.tensor([nan, nan, 1.0, 1.0, -0.0, 0.0]),
                                       return_counts=True),
        lambda m: m.unique_consecutive(m.tensor([[1, 2], [1, 2], [3, 4]]), True, True, dim=0),
        lambda m: m.unique_consecutive(m.tensor([[1, 1, 2], [1, 1, 3]]), True, True, dim=-1),
        lambda m: m.unique_consecutive(m.tensor([[1.0, 1.0, 2.0], [1.0, 1.0, 3.0]]).t(), dim=0),
        lambda m: m.unique_consecutive(m.tensor(5), return_inverse=True),
        lambda m: m.unique_consecutive(m.zeros(0), True, True),
        lambda m: m.unique_consecutive(m.zeros(2, 0), True, True, dim=1),
        lambda m: m.unique_consecutive(m.zeros(2, 0), True, True, dim=0),
        lambda m: m.unique_consecutive(m.tensor(5), dim=0),
        lambda m: m.unique_consecutive(m.tensor([1, 2]), dim=1),
        lambda m: m.unique_consecutive(m.tensor([True, True, False])),
        lambda m: m.tensor([2, 2, 3]).unique_consecutive(return_counts=True),
    ],
)
def test_unique_consecutive_follows_torch(make):
    _same_outcome(make)


def test_unique_consecutive_on_random_runs_and_no_derivative():
    x = with_ties((40,), 3)
    _same_outcome(lambda m: m.unique_consecutive(m.tensor(x), True, True))
    y = gu.unique_consecutive(gu.tensor([1.0, 1.0, 2.0], requires_grad=True))
    assert y.requires_grad
    with pytest.raises(NotImplementedError, match="unique_consecutive"):
        y.sum().backward()


@pytest.mark.parametrize(
    "make",
    [
        lambda m: m.bincount(m.tensor([1, 1, 4, 0])),
        lambda m: m.bincount(m.tensor([1, 1, 4, 0]), minlength=7),
        lambda m: m.bincount(m.tensor([1, 1, 4, 0]), m.tensor([0.5, 1.0, 2.0, 3.0])),
        lambda m: m.bincount(m.tensor([1, 0]), m.tensor([0.5, 1.0], dtype=m.float64)),
        lambda m: m.bincount(m.tensor([1, 0]), m.tensor([2, 3])),
        lambda m: m.bincount(m.tensor([1, 0]), m.tensor([True, False])),
        lambda m: m.bincount(m.tensor([1, 0]), m.tensor([2, 3], dtype=m.float16)),
        lambda m: m.bincount(m.tensor([1, 2], dtype=m.uint8)),
        lambda m: m.bincount(m.tensor([1, 2], dtype=m.int8), minlength=1),
        lambda m: m.bincount(m.tensor([], dtype=m.int64)),
        lambda m: m.bincount(m.tensor([], dtype=m.int64), minlength=3),
        lambda m: m.bincount(m.tensor([-1, 2])),
        lambda m: m.bincount(m.tensor([1.0, 2.0])),
        lambda m: m.bincount(m.tensor([True, False])),
        lambda m: m.bincount(m.tensor([[1, 2]])),
        lambda m: m.bincount(m.tensor(1)),
        lambda m: m.bincount(m.tensor([1, 2]), minlength=-1),
        lambda m: m.bincount(m.tensor([1, 2]), m.tensor([1.0])),
        lambda m: m.tensor([3, 3, 1]).bincount(),
    ],
)
def test_bincount_follows_torch(make):
    _same_outcome(make)


def test_weighted_bincount_has_no_derivative():
    y = gu.bincount(gu.tensor([0, 1]), gu.tensor([1.0, 2.0], requires_grad=True))
    assert y.requires_grad
    with pytest.raises(RuntimeError, match="derivative for bincount"):
        y.sum().backward()


@pytest.mark.parametrize(
    "make",
    [
        lambda m: m.histc(m.tensor([1.0, 2, 1, 2.5, 4, -1]), bins=4, min=0, max=3),
        lambda m: m.histc(m.tensor([1.0, 2, 1, 2.5, 4, -1])),
        lambda m: m.histc(m.tensor([1.0, 2, 1, 2.5, 4, -1], dtype=m.float64), 4),
        lambda m: m.histc(m.tensor([1.0, 2, 1, 2.5, 4, -1], dtype=m.float16), 4),
        lambda m: m.histc(m.tensor([1.0, 1.0, 1.0]), 4),
        lambda m: m.histc(m.tensor([0.0, 0.99999, 1.0, 2.0, 3.0]), 3, 0, 3),
        lambda m: m.histc(m.tensor([0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7]), 3, min=0.1, max=0.7),
        lambda m: m.histc(m.tensor([[1.0, 2.0], [3.0, nan]]), 4, 0, 4),
        lambda m: m.histc(m.tensor([]), 4),
        lambda m: m.histc(m.tensor([1, 2, 3]), 4),
        lambda m: m.histc(m.tensor([1.0]), 0),
        lambda m: m.histc(m.tensor([1.0]), 4.5),
        lambda m: m.histc(m.tensor([1.0]), 4, 3, 1),
        lambda m: m.histc(m.tensor([1.0, nan]), 4),
        lambda m: m.histc(m.tensor([1.0, inf]), 4),
        lambda m: m.tensor([1.0, 2.0, 2.0]).histc(3),
    ],
)
def test_histc_follows_torch(make):
    _same_outcome(make)


def test_histc_of_random_data_and_no_gradient():
    x = normal((500,), 4).astype(np.float32)
    for bins, low, high in [(10, 0, 0), (7, -1.0, 1.5), (100, -3, 3)]:
        _same_outcome(lambda m, b=bins, lo=low, hi=high: m.histc(m.tensor(x), b, lo, hi))
    assert not gu.histc(gu.tensor([1.0, 2.0], requires_grad=True), 4).requires_grad

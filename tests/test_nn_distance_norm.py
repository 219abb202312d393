"""normalize, cosine_similarity, pairwise_distance, pdist and one_hot against torch, with
CosineSimilarity and PairwiseDistance (including the norms' non-differentiable points)."""

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F

import groundup as gu
import groundup.nn.functional as gF
from groundup import nn
from tests.oracle import assert_close, check_op
from tests.strategies import ladder, normal

INF = math.inf
# rows with a zero vector, ties of |x| and exact zeros: the non-differentiable points
AWKWARD = np.array([[1.0, -2.0, 2.0, 0.0], [0.0, 0.0, 0.0, 0.0], [3.0, -3.0, 1.0, 3.0]])
OTHER = np.array([[1.0, -2.0, 2.0, 0.0], [1.0, 0.0, 0.0, 0.0], [0.0, -3.0, 1.0, 0.5]])
PS = [2, 1, 0, INF, -INF, 3, 0.5, 1.5, -1]


# ----------------------------------------------------------------- normalize
@pytest.mark.parametrize("p", PS)
@pytest.mark.parametrize("dim", [1, 0, -1])
def test_normalize_matches_torch(p, dim):
    ladder(
        lambda t: gF.normalize(t, p, dim), lambda t: F.normalize(t, p, dim), normal((3, 4), 0) + 0.1
    )


@pytest.mark.parametrize("p", PS)
def test_normalize_at_zero_vectors_and_ties(p):
    check_op(lambda t: gF.normalize(t, p), lambda t: F.normalize(t, p), AWKWARD)


def test_normalize_edge_cases():
    check_op(lambda t: gF.normalize(t, dim=0), lambda t: F.normalize(t, dim=0), np.array(2.0))
    check_op(
        lambda t: gF.normalize(t, eps=0.5),
        lambda t: F.normalize(t, eps=0.5),
        normal((2, 3), 1) * 0.1,
    )
    assert gF.normalize(gu.tensor(np.zeros((0, 3)))).shape == (0, 3)
    x = normal((4, 3), 2)
    check_op(lambda t: gF.normalize(t.T), lambda t: F.normalize(t.T), x)  # non-contiguous
    with pytest.raises(RuntimeError, match="floating-point"):
        gF.normalize(gu.tensor([[1, 2]]))
    with pytest.raises(IndexError):
        gF.normalize(gu.tensor(normal((3,), 0)))  # dim=1 of a 1-D tensor
    out = gu.zeros(2, 3, dtype=np.float64)
    assert gF.normalize(gu.tensor(x[:2]), out=out) is out
    assert_close(out, F.normalize(torch.tensor(x[:2])))


# ---------------------------------------------------------- cosine_similarity
@pytest.mark.parametrize(
    "s1, s2, dim",
    [
        ((3, 4), (3, 4), 1),
        ((3, 4), (4,), 1),
        ((2, 3, 4), (3, 1), -2),
        ((4,), (4,), 0),
        ((), (), 0),
        ((2, 3), (2, 3), 0),
    ],
)
def test_cosine_similarity_matches_torch(s1, s2, dim):
    ladder(
        lambda a, b: gF.cosine_similarity(a, b, dim),
        lambda a, b: F.cosine_similarity(a, b, dim),
        normal(s1, 3),
        normal(s2, 4),
    )
    check_op(
        lambda a, b: gu.cosine_similarity(a, b, dim),
        lambda a, b: torch.cosine_similarity(a, b, dim),
        normal(s1, 5),
        normal(s2, 6),
    )


def test_cosine_similarity_clamp_is_invisible_to_autograd_as_in_torch():
    # a vector shorter than eps: torch clamps its norm under no_grad
    x1 = np.array([[1e-10, 2e-10], [1.0, 2.0], [0.0, 0.0]])
    x2 = np.array([[3.0, 1.0], [0.5, -1.0], [1.0, 1.0]])
    check_op(gF.cosine_similarity, F.cosine_similarity, x1, x2)
    check_op(
        lambda a, b: gF.cosine_similarity(a, b, eps=0.5),
        lambda a, b: F.cosine_similarity(a, b, eps=0.5),
        x1,
        x2,
    )


def test_cosine_similarity_dtypes_and_errors():
    g = gF.cosine_similarity(gu.tensor([[1, 2]]), gu.tensor(np.array([[3.0, 4.0]])))
    assert g.dtype == np.float64
    assert_close(
        g,
        F.cosine_similarity(
            torch.tensor([[1, 2]]), torch.tensor([[3.0, 4.0]], dtype=torch.float64)
        ),
    )
    f32 = gu.tensor(normal((2, 3), 0).astype(np.float32))
    assert gF.cosine_similarity(f32, f32).dtype == np.float32
    with pytest.raises(RuntimeError, match="common dtype to be floating point"):
        gF.cosine_similarity(gu.tensor([[1, 2]]), gu.tensor([[3, 4]]))
    with pytest.raises(RuntimeError, match="do not broadcast"):
        gF.cosine_similarity(gu.tensor(normal((2, 3), 0)), gu.tensor(normal((4, 3), 0)))
    with pytest.raises(IndexError):
        gF.cosine_similarity(gu.tensor(normal((3,), 0)), gu.tensor(normal((3,), 0)))
    assert gF.cosine_similarity(gu.tensor(np.zeros((0, 3))), gu.tensor(np.zeros((0, 3)))).shape == (
        0,
    )
    assert_close(
        gF.cosine_similarity(gu.tensor(np.zeros((2, 0))), gu.tensor(np.zeros((2, 0)))), np.zeros(2)
    )


# ---------------------------------------------------------- pairwise_distance
@pytest.mark.parametrize("p", PS)
def test_pairwise_distance_matches_torch(p):
    ladder(
        lambda a, b: gF.pairwise_distance(a, b, p),
        lambda a, b: F.pairwise_distance(a, b, p),
        normal((3, 4), 7),
        normal((3, 4), 8),
    )
    check_op(
        lambda a, b: gF.pairwise_distance(a, b, p, 0.0),
        lambda a, b: F.pairwise_distance(a, b, p, 0.0),
        AWKWARD,
        OTHER,
    )


@pytest.mark.parametrize("s1, s2", [((2, 3), (3,)), ((3,), (3,)), ((), ()), ((2, 1, 3), (4, 3))])
@pytest.mark.parametrize("keepdim", [False, True])
def test_pairwise_distance_shapes(s1, s2, keepdim):
    ladder(
        lambda a, b: gF.pairwise_distance(a, b, keepdim=keepdim),
        lambda a, b: F.pairwise_distance(a, b, keepdim=keepdim),
        normal(s1, 9),
        normal(s2, 10),
    )
    check_op(
        lambda a, b: gu.pairwise_distance(a, b),
        lambda a, b: torch.pairwise_distance(a, b),
        normal(s1, 9),
        normal(s2, 10),
    )


def test_pairwise_distance_of_integers_is_float32():
    g = gF.pairwise_distance(gu.tensor([[1, 2]]), gu.tensor([[3, 5]]))
    assert g.dtype == np.float32
    assert_close(g, F.pairwise_distance(torch.tensor([[1, 2]]), torch.tensor([[3, 5]])), np.float32)


# ---------------------------------------------------------------------- pdist
@pytest.mark.parametrize("p", [2, 1, 0, INF, 3, 0.5, 1.5])
def test_pdist_matches_torch(p):
    ladder(lambda t: gF.pdist(t, p), lambda t: F.pdist(t, p), normal((5, 3), 11))
    ties = np.array([[1.0, 2.0], [1.0, 2.0], [3.0, 2.0], [0.0, 5.0]])  # equal rows, inf ties
    check_op(lambda t: gu.pdist(t, p), lambda t: torch.pdist(t, p), ties)


def test_pdist_edge_cases_and_errors():
    for n in (0, 1):
        assert gF.pdist(gu.tensor(np.zeros((n, 3)))).shape == (0,)
    with pytest.raises(RuntimeError, match="only supports 2D tensors, got: 1D"):
        gF.pdist(gu.tensor(normal((3,), 0)))
    with pytest.raises(RuntimeError, match="non-negative p"):
        gF.pdist(gu.tensor(normal((3, 2), 0)), -1)
    with pytest.raises(RuntimeError, match="floating-point"):
        gF.pdist(gu.tensor([[1, 2], [3, 4]]))


# -------------------------------------------------------------------- one_hot
@pytest.mark.parametrize("classes", [-1, 5])
def test_one_hot_matches_torch(classes):
    for idx in ([0, 2, 1], [[0, 1], [3, 0]], 2):
        g, t = gF.one_hot(gu.tensor(idx), classes), F.one_hot(torch.tensor(idx), classes)
        assert g.dtype == np.int64 and not g.requires_grad
        np.testing.assert_array_equal(g.numpy(), t.numpy())
    assert gF.one_hot(gu.tensor(np.zeros(0, np.int64)), 4).shape == (0, 4)
    x = gu.tensor([[0, 1], [2, 0]]).T  # non-contiguous
    np.testing.assert_array_equal(
        gF.one_hot(x).numpy(), F.one_hot(torch.tensor([[0, 1], [2, 0]]).T)
    )


@pytest.mark.parametrize(
    "idx, classes, match",
    [
        ([-1, 0], -1, "non-negative"),
        ([0, 3], 3, "smaller than num_classes"),
        ([0, 1], -2, "smaller than num_classes"),
        (np.zeros(0, np.int64), -1, "empty tensor"),
        ([0.0, 1.0], -1, "LongTensor"),
        (np.array([0, 1], np.int32), -1, "LongTensor"),
    ],
)
def test_one_hot_errors_are_torchs(idx, classes, match):
    with pytest.raises(RuntimeError, match=match):
        gF.one_hot(gu.tensor(idx), classes)
    with pytest.raises(RuntimeError):
        F.one_hot(torch.tensor(idx), classes)


# -------------------------------------------------------------------- modules
def test_distance_modules_match_torch():
    for args in [(), (0,), (-1, 1e-3)]:
        g, t = nn.CosineSimilarity(*args), torch.nn.CosineSimilarity(*args)
        assert repr(g) == repr(t)
        check_op(g, t, normal((3, 4), 28), normal((3, 4), 29))
    for args in [(), (1.0,), (3.0, 1e-3, True), (INF,)]:
        g, t = nn.PairwiseDistance(*args), torch.nn.PairwiseDistance(*args)
        assert repr(g) == repr(t)
        check_op(g, t, normal((3, 4), 30), normal((3, 4), 31))

"""Sorting ops against torch: sort, argsort, msort, topk, kthvalue (values, indices,
gradients, ties and NaN), unique (inverse, counts, dim) and searchsorted."""

import numpy as np
import pytest
import torch

import groundup as gu
from tests.strategies import ladder, normal, with_ties

X = normal((3, 5), 0)
TIES = with_ties((4, 6), 1)
NAN = np.array([[3.0, 1.0, np.nan, 2.0], [np.nan, 0.0, -1.0, 4.0]])
NANS = np.array([[np.nan, 1.0, np.nan, 1.0], [0.0, np.nan, -1.0, np.nan]])  # tied NaNs


def both(f, x, **kwargs):
    ladder(lambda t: f(gu, t), lambda t: f(torch, t), x, **kwargs)


def same_indices(f, x):
    """f returns (values, indices) or indices: equal to torch's, dtype included."""
    out, expected = f(gu, gu.tensor(x)), f(torch, torch.tensor(x))
    outs = out if isinstance(out, tuple) else (out,)
    expecteds = expected if isinstance(expected, tuple) else (expected,)
    for o, e in zip(outs, expecteds, strict=True):
        assert o.shape == tuple(e.shape)
        assert o.dtype == np.dtype(str(e.dtype).removeprefix("torch."))
        np.testing.assert_array_equal(o.numpy(), e.numpy())


VALUES = {
    "sort": lambda m, t: m.sort(t).values,
    "sort dim 0 descending": lambda m, t: t.sort(0, True).values,
    "sort of a transposed input": lambda m, t: t.T.sort(dim=-1, descending=True).values,
    "msort": lambda m, t: m.msort(t),
    "topk": lambda m, t: t.topk(2).values,
    "topk smallest dim 0": lambda m, t: m.topk(t, 2, dim=0, largest=False).values,
    "topk k=0": lambda m, t: t.topk(0).values,
    "topk sorted=False": lambda m, t: t.topk(3, sorted=False).values.sort().values,
    "kthvalue": lambda m, t: t.kthvalue(2).values,
    "kthvalue keepdim dim 0": lambda m, t: m.kthvalue(t, 3, 0, True).values,
    "sort values times indices": lambda m, t: (lambda r: r.values * r.indices)(t.sort()),
}


@pytest.mark.parametrize("name", sorted(VALUES))
def test_values_and_gradients_match_torch(name):
    both(VALUES[name], X)


INDICES = {
    "sort": lambda m, t: tuple(m.sort(t, stable=True)),
    "sort descending": lambda m, t: tuple(t.sort(descending=True, stable=True)),
    "sort dim 0": lambda m, t: tuple(t.sort(dim=0, stable=True)),
    "argsort": lambda m, t: m.argsort(t, stable=True),
    "argsort descending dim 0": lambda m, t: t.argsort(stable=True, dim=0, descending=True),
    "topk": lambda m, t: tuple(t.topk(3)),
    "topk smallest": lambda m, t: tuple(t.topk(3, largest=False)),
    "kthvalue": lambda m, t: tuple(t.kthvalue(2)),
    "kthvalue keepdim": lambda m, t: tuple(t.kthvalue(4, -1, keepdim=True)),
}


@pytest.mark.parametrize("name", sorted(INDICES))
@pytest.mark.parametrize("data", ["distinct", "nan"])
def test_indices_match_torch_stable(name, data):
    same_indices(INDICES[name], X if data == "distinct" else NAN)


@pytest.mark.parametrize(
    "name", ["sort", "sort descending", "sort dim 0", "argsort", "argsort descending dim 0"]
)
def test_ties_keep_their_order_like_torch_stable_sort(name):
    same_indices(INDICES[name], TIES)
    same_indices(INDICES[name], NANS)


def test_topk_and_kthvalue_on_ties_give_torch_values_and_equal_elements():
    for f, dim in [
        (lambda m, t: t.topk(3), -1),
        (lambda m, t: t.topk(2, 0, False), 0),
        (lambda m, t: t.kthvalue(3, keepdim=True), -1),
    ]:
        out, expected = f(gu, gu.tensor(TIES)), f(torch, torch.tensor(TIES))
        np.testing.assert_array_equal(out.values.numpy(), expected.values.numpy())
        # the index points at an element of that value (torch's choice among ties may differ)
        picked = np.take_along_axis(TIES, out.indices.numpy(), dim)
        np.testing.assert_array_equal(picked, out.values.numpy())
    x = gu.tensor(TIES, requires_grad=True)
    x.topk(2).values.sum().backward()  # one element per pick gets the gradient
    assert x.grad.numpy().sum() == 2 * TIES.shape[0] and set(np.unique(x.grad.numpy())) <= {0, 1}


@pytest.mark.parametrize(
    "f",
    [
        lambda m, t: tuple(t.sort()),
        lambda m, t: tuple(t.topk(1)),
        lambda m, t: tuple(t.topk(0)),
        lambda m, t: tuple(t.kthvalue(1)),
        lambda m, t: t.argsort(),
        lambda m, t: m.msort(t),
    ],
)
def test_0d_inputs(f):
    same_indices(f, np.array(2.5))


@pytest.mark.parametrize(
    "f",
    [
        lambda m, t: tuple(t.long().sort(descending=True, stable=True)),
        lambda m, t: tuple((t > 0).sort(stable=True)),
        lambda m, t: tuple(t.long().topk(2)),
        lambda m, t: tuple(t.int().kthvalue(2, 0)),
        lambda m, t: t.long().argsort(stable=True),
        lambda m, t: tuple(t[:, :0].sort()),
        lambda m, t: tuple(t[:0].topk(0)),
    ],
)
def test_integer_bool_and_empty_inputs(f):
    same_indices(f, np.argsort(X, axis=None).reshape(X.shape) - 7.0)  # distinct integers


def test_results_are_named_tuples():
    out = gu.sort(gu.tensor(X))
    values, indices = out
    assert out.values is values and out.indices is indices and indices.dtype == np.int64
    assert gu.topk(gu.tensor(X), 1)._fields == ("values", "indices")
    assert gu.kthvalue(gu.tensor(X), 1)._fields == ("values", "indices")


@pytest.mark.parametrize(
    "call",
    [
        lambda m, t: t.topk(6),
        lambda m, t: t.topk(-1),
        lambda m, t: (t > 0).topk(1),
        lambda m, t: t.kthvalue(0),
        lambda m, t: t.kthvalue(6),
        lambda m, t: (t > 0).kthvalue(1),
        lambda m, t: t.sort(2),
        lambda m, t: t.argsort(-3),
        lambda m, t: t.topk(1, dim=2),
        lambda m, t: t.unique(dim=2),
        lambda m, t: t.unique().sum().backward(),
        lambda m, t: m.searchsorted(t[0, 0], t),
        lambda m, t: m.searchsorted(t, t[0]),
        lambda m, t: m.searchsorted(t[0], t, side="middle"),
        lambda m, t: m.searchsorted(t[0], t, side="left", right=True),
    ],
)
def test_errors_are_torch_exception_classes(call):
    with pytest.raises(Exception) as expected:
        call(torch, torch.tensor(X, requires_grad=True))
    with pytest.raises(type(expected.value)):
        call(gu, gu.tensor(X, requires_grad=True))


U = np.array([[3.0, 1.0, 2.0], [1.0, 3.0, 2.0], [3.0, 1.0, 2.0], [np.nan, 1.0, np.nan]])


@pytest.mark.parametrize(
    "f",
    [
        lambda m, t: m.unique(t),
        lambda m, t: t.unique(sorted=False),
        lambda m, t: t.unique(return_inverse=True),
        lambda m, t: t.unique(return_counts=True),
        lambda m, t: t.unique(return_inverse=True, return_counts=True),
        lambda m, t: t[:3].unique(dim=0, return_inverse=True, return_counts=True),
        lambda m, t: t[:3].unique(dim=-1, return_inverse=True),
        lambda m, t: t[0, 0].unique(return_inverse=True),
        lambda m, t: t.long().unique(return_counts=True),
        lambda m, t: (t > 1).unique(),
        lambda m, t: t[:0].unique(dim=0),
    ],
)
def test_unique_matches_torch(f):
    out, expected = f(gu, gu.tensor(U)), f(torch, torch.tensor(U))
    outs = out if isinstance(out, tuple) else (out,)
    expecteds = expected if isinstance(expected, tuple) else (expected,)
    assert len(outs) == len(expecteds)
    for o, e in zip(outs, expecteds, strict=True):
        assert o.shape == tuple(e.shape)
        assert o.dtype == np.dtype(str(e.dtype).removeprefix("torch."))
        np.testing.assert_array_equal(o.numpy(), e.numpy())


B = np.array([1.0, 3.0, 5.0, 7.0])
V = np.array([[3.0, 6.0, 0.0], [9.0, 1.0, 7.0]])


@pytest.mark.parametrize(
    "f",
    [
        lambda m, b, v: m.searchsorted(b, v),
        lambda m, b, v: m.searchsorted(b, v, right=True),
        lambda m, b, v: m.searchsorted(b, v, side="right"),
        lambda m, b, v: m.searchsorted(b, v, side="left", right=False),
        lambda m, b, v: m.searchsorted(b, v, out_int32=True),
        lambda m, b, v: m.searchsorted(b, 3.0),
        lambda m, b, v: m.searchsorted(b, v[0, 0]),
        lambda m, b, v: m.searchsorted(b, v.long()),
        lambda m, b, v: m.searchsorted(b.flip(0), v, sorter=m.tensor([3, 2, 1, 0])),
        lambda m, b, v: m.searchsorted(m.stack([b[:3], b[1:]]), v, right=True),
        lambda m, b, v: m.searchsorted(m.stack([b, b]).reshape(2, 1, 4), v.reshape(2, 1, 3)),
    ],
)
def test_searchsorted_matches_torch(f):
    out = f(gu, gu.tensor(B), gu.tensor(V))
    expected = f(torch, torch.tensor(B), torch.tensor(V))
    assert out.dtype == np.dtype(str(expected.dtype).removeprefix("torch."))
    assert out.shape == tuple(expected.shape)
    np.testing.assert_array_equal(out.numpy(), expected.numpy())

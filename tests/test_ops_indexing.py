"""The indexing family against torch: gather, scatter (src, value, reduce), scatter_add,
scatter_reduce (all five reductions, include_self, ties, zeros), index_select/add/copy/fill,
take, take_along_dim, masked_select, masked_scatter, masked_fill, nonzero/argwhere/where,
their in-place twins, and their errors.

Each case is one function `f(m, *tensors)` run with m = groundup and m = torch: the same
code, since the APIs are the same.
"""

import numpy as np
import pytest
import torch

import groundup as gu
from groundup.inspect import gradcheck
from tests.oracle import assert_close, check_op
from tests.strategies import ladder, normal, with_ties

X = normal((3, 4), 0)
X3 = normal((2, 3, 4), 1)
SRC = normal((3, 4), 2)
IDX = np.array([[0, 2, 1], [3, 3, 0], [1, 0, 2]])  # repeats within a row
PERM = np.array([[0, 2, 1, 3], [3, 1, 0, 2], [1, 0, 2, 3]])  # a permutation per row
COLS = np.array([[0, 2], [1, 0]])  # a permutation of part of each column (dim 0)


def both(f, *arrays, **kwargs):
    """Forward, backward and dtype of f(groundup, ...) equal to f(torch, ...), then gradcheck."""
    ladder(lambda *ts: f(gu, *ts), lambda *ts: f(torch, *ts), *arrays, **kwargs)


def forward_only(f, *arrays):
    out = f(gu, *[gu.tensor(a) for a in arrays])
    expected = f(torch, *[torch.tensor(a) for a in arrays])
    assert out.dtype == np.dtype(str(expected.dtype).removeprefix("torch."))
    np.testing.assert_array_equal(out.numpy(), expected.numpy())


CASES = {
    "gather dim 1, repeats": lambda m, t: m.gather(t, 1, m.tensor(IDX)),
    "gather dim 0": lambda m, t: m.gather(t, 0, m.tensor(COLS)),
    "gather dim -1, int32 index": lambda m, t: t.gather(-1, m.tensor(IDX.astype(np.int32))),
    "gather of a transposed input": lambda m, t: t.T.gather(0, m.tensor(IDX[:, :2] % 3)),
    "gather 3-D": lambda m, t: t.reshape(2, 3, 2).gather(1, m.tensor([[[2, 0]], [[1, 1]]])),
    "gather zero-size index": lambda m, t: t.gather(1, m.tensor(np.zeros((3, 0), np.int64))),
    "scatter src": lambda m, t, s: t.scatter(1, m.tensor(PERM[:, :3]), s[:, :3]),
    "scatter dim 0": lambda m, t, s: t.scatter(0, m.tensor(COLS), s[:2, :2]),
    "scatter value": lambda m, t: t.scatter(1, m.tensor(IDX), 2.5),
    "scatter_add": lambda m, t, s: t.scatter_add(1, m.tensor(IDX), s[:, :3]),
    "scatter_add dim 0": lambda m, t, s: m.scatter_add(t, 0, m.tensor(COLS), s[:2, :2]),
    "index_select dim 1": lambda m, t: t.index_select(1, m.tensor([3, 0, 3, 1])),
    "index_select dim 0, int32": lambda m, t: t.index_select(0, m.tensor([2, 2], dtype=m.int32)),
    "index_select 0-d index": lambda m, t: t.index_select(1, m.tensor(2)),
    "index_add": lambda m, t, s: t.index_add(1, m.tensor([3, 0, 3, 1]), s),
    "index_add alpha": lambda m, t, s: m.index_add(t, 0, m.tensor([2, 0, 2]), s, alpha=-1.5),
    "index_copy": lambda m, t, s: t.index_copy(1, m.tensor([3, 0]), s[:, :2]),
    "index_fill": lambda m, t: t.index_fill(1, m.tensor([3, 0, 3]), -2.0),
    "index_fill negative index": lambda m, t: t.index_fill(0, m.tensor([-1]), 1.0),
    "take": lambda m, t: t.take(m.tensor([[0, -1], [5, 5]])),
    "take_along_dim": lambda m, t: t.take_along_dim(m.tensor(IDX), 1),
    "take_along_dim broadcast": lambda m, t: t.take_along_dim(m.tensor([[1, -1]]), 1),
    "take_along_dim broadcast input": lambda m, t: t[:1].take_along_dim(m.tensor(IDX), 1),
    "take_along_dim flat": lambda m, t: m.take_along_dim(t, m.tensor([11, 0, 0])),
    "masked_select": lambda m, t: t.masked_select(m.tensor(X > 0)),
    "masked_select broadcast mask": lambda m, t: t.masked_select(m.tensor([True, False] * 2)),
    "masked_select broadcast input": lambda m, t: t[0].masked_select(m.tensor(X > 0)),
    "masked_scatter": lambda m, t, s: t.masked_scatter(m.tensor(X > 0), s),
    "masked_scatter broadcast": lambda m, t, s: t[:1].masked_scatter(m.tensor(X > 0), s),
    "masked_fill broadcast to a larger shape": lambda m, t: t[0].masked_fill(m.tensor(X > 0), 3.0),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_op_matches_torch(name):
    f = CASES[name]
    arrays = (X, SRC)[: f.__code__.co_argcount - 1]
    both(f, *arrays)


@pytest.mark.parametrize("dim", [0, 1, -1])
def test_gather_and_scatter_add_along_every_dim_of_3d(dim):
    rng = np.random.default_rng(dim % 3)
    shape = list(X3.shape)
    shape[dim] = 5
    index = rng.integers(0, X3.shape[dim], shape)
    both(lambda m, t: t.gather(dim, m.tensor(index)), X3)
    both(lambda m, t, s: t.scatter_add(dim, m.tensor(index), s), X3, normal(shape, 3))


@pytest.mark.parametrize("reduce", ["sum", "prod", "mean", "amax", "amin"])
@pytest.mark.parametrize("include_self", [True, False])
def test_scatter_reduce_matches_torch(reduce, include_self):
    def f(m, t, s):
        return t.scatter_reduce(1, m.tensor(IDX), s[:, :3], reduce, include_self=include_self)

    both(f, X, SRC)  # no ties: gradcheck too
    # ties (amax/amin share the gradient) and zeros (prod); not differentiable there.
    # An excluded input element is kept off the results (torch would count it as a tie).
    ties, src = with_ties((3, 4), 1) + (0 if include_self else 0.5), with_ties((3, 4), 2)
    for dtype in (np.float64, np.float32):
        check_op(
            lambda *ts: f(gu, *ts), lambda *ts: f(torch, *ts), ties.astype(dtype), src.astype(dtype)
        )


@pytest.mark.parametrize("include_self", [True, False])
def test_scatter_reduce_prod_with_zeros(include_self):
    def f(m, t, s):
        return t.scatter_reduce(
            0, m.tensor([0, 1, 1, 2, 2, 2]), s, "prod", include_self=include_self
        )

    x = np.array([0.0, 2.0, 3.0])
    for src in ([0.0, 5.0, 0.0, 4.0, 0.0, 0.0], [2.0, 0.0, 0.0, 1.5, 0.0, -1.0]):
        both(f, x, np.array(src))


def test_scatter_reduce_amax_excluded_self_is_not_a_tie():
    """include_self=False: the input's element is no term, even when it equals the result.
    torch counts it among the ties (src gets 0.5); the derivative is 1."""
    s = gu.tensor([3.0, 5.0], dtype=np.float64, requires_grad=True)
    src = gu.tensor([3.0, 1.0], dtype=np.float64, requires_grad=True)
    out = s.scatter_reduce(0, gu.tensor([0, 0]), src, "amax", include_self=False)
    out.backward(np.ones(2))
    np.testing.assert_array_equal(src.grad.numpy(), [1.0, 0.0])
    np.testing.assert_array_equal(s.grad.numpy(), [0.0, 1.0])
    gradcheck(
        lambda a, b: a.scatter_reduce(0, gu.tensor([0, 0]), b, "amax", include_self=False),
        [
            gu.tensor([3.0, 5.0], dtype=np.float64, requires_grad=True),
            gu.tensor([3.1, 1.0], dtype=np.float64, requires_grad=True),
        ],
    )


@pytest.mark.parametrize(
    "f",
    [
        lambda m, t: t.scatter(1, m.tensor(IDX), 2.0, reduce="multiply"),
        lambda m, t: t.scatter(1, m.tensor(IDX), t, reduce="add"),
        lambda m, t: t.long().scatter_reduce(1, m.tensor(IDX), -t.long(), "mean"),
        lambda m, t: t.long().scatter_reduce(
            1, m.tensor(IDX), t.long(), "amin", include_self=False
        ),
        lambda m, t: (t > 0).scatter_add(1, m.tensor(IDX), t < 0),
        lambda m, t: (t > 0).gather(1, m.tensor(IDX)),
        lambda m, t: t.long().scatter(1, m.tensor(IDX), 7.9),
        lambda m, t: t.long().index_add(1, m.tensor([1, 1]), t.long()[:, :2], alpha=-1.7),
        lambda m, t: t.int().index_fill(0, m.tensor([1]), 7.5),
        lambda m, t: t.long().take(m.tensor([3, -2])),
        lambda m, t: (t > 0).masked_select(t < 1),
        lambda m, t: t.long().masked_fill(t > 0, 2.7),
        lambda m, t: (t > 0).masked_fill(t > 1, 0),
        lambda m, t: (t > 0).index_select(0, m.tensor([2, 0])),
    ],
)
def test_integer_and_bool_inputs_keep_torch_dtypes(f):
    forward_only(f, X * 3)


def test_edge_cases_0d_and_zero_size():
    scalar = np.array(1.5)
    both(lambda m, t: t.gather(0, m.tensor(0)), scalar)
    both(lambda m, t: t.gather(0, m.tensor([0, 0])), scalar)
    both(lambda m, t, s: t.scatter_add(0, m.tensor([0, 0]), s), scalar, np.array([1.0, 2.0]))
    both(lambda m, t: t.index_select(0, m.tensor([0])), scalar)
    both(lambda m, t: t.index_fill(0, m.tensor([0, 0]), 2.0), scalar)
    both(lambda m, t, s: t.index_add(0, m.tensor(0), s), scalar, np.array(2.0))
    both(lambda m, t: t.take(m.tensor([0, -1])), scalar)
    both(lambda m, t: t.masked_select(m.tensor(True)), scalar)
    empty = np.zeros((0, 3))
    both(lambda m, t: t.index_select(0, m.tensor([], dtype=m.int64)), empty)
    both(lambda m, t: t.masked_select(m.tensor(np.zeros((0, 3), bool))), empty)
    both(lambda m, t: t.index_select(1, m.tensor([], dtype=m.int64)), X)


@pytest.mark.parametrize(
    "f",
    [
        lambda m, t: m.nonzero(t),
        lambda m, t: m.nonzero(t, as_tuple=True),
        lambda m, t: m.argwhere(t),
        lambda m, t: m.where(t),
        lambda m, t: t[0, 0].nonzero(),
        lambda m, t: (t[0, 0] * 0).nonzero(),
        lambda m, t: t[0, 0].nonzero(as_tuple=True),
        lambda m, t: (t[0, 0] * 0).nonzero(as_tuple=True),
        lambda m, t: (t > 0.5).argwhere(),
        lambda m, t: t[:0].nonzero(),
        lambda m, t: m.where(t[0, 0]),
    ],
)
def test_nonzero_argwhere_and_one_argument_where(f):
    x = np.where(X > 0, X, 0.0)
    out, expected = f(gu, gu.tensor(x)), f(torch, torch.tensor(x))
    outs = out if isinstance(out, tuple) else (out,)
    expecteds = expected if isinstance(expected, tuple) else (expected,)
    assert len(outs) == len(expecteds)
    for o, e in zip(outs, expecteds, strict=True):
        assert o.dtype == np.int64 and o.shape == tuple(e.shape)
        np.testing.assert_array_equal(o.numpy(), e.numpy())


def test_where_of_two_numbers_has_torch_default_dtypes():
    cond = X > 0
    for a, b in [(1.0, 0.0), (1, 0), (1.0, 0), (True, False)]:
        out, expected = gu.where(gu.tensor(cond), a, b), torch.where(torch.tensor(cond), a, b)
        assert out.dtype == np.dtype(str(expected.dtype).removeprefix("torch."))
        np.testing.assert_array_equal(out.numpy(), expected.numpy())


def test_masked_fill_tensor_value_gets_the_gradient():
    mask = np.array([[True, False, True, False], [False, False, False, True], [True] * 4])
    for value_dtype in (np.float64, np.float32):

        def f(m, t, v):
            return t.masked_fill(m.tensor(mask), v) * 2

        both(f, X, np.array(0.7, value_dtype))
    # mask larger than the input: the value is counted once per filled element
    both(lambda m, t, v: t[0].masked_fill(m.tensor(mask), v), X, np.array(0.7))


def test_index_fill_tensor_value_gets_the_gradient_once_per_element():
    both(lambda m, t, v: t.index_fill(1, m.tensor([2, 0, 2]), v), X, np.array(3.0))


# ------------------------------------------------------------------ in-place twins
INPLACE = {
    "scatter_": lambda m, t, s: t.scatter_(1, m.tensor(PERM[:, :3]), s[:, :3]),
    "scatter_ value": lambda m, t, s: t.scatter_(1, m.tensor(IDX), 1.5),
    "scatter_add_": lambda m, t, s: t.scatter_add_(1, m.tensor(IDX), s[:, :3]),
    "scatter_reduce_": lambda m, t, s: t.scatter_reduce_(1, m.tensor(IDX), s[:, :3], "amax"),
    "scatter_reduce_ mean": lambda m, t, s: t.scatter_reduce_(
        0, m.tensor(COLS), s[:2, :2], "mean", include_self=False
    ),
    "index_add_": lambda m, t, s: t.index_add_(1, m.tensor([1, 1, 0, 3]), s, alpha=2),
    "index_copy_": lambda m, t, s: t.index_copy_(0, m.tensor([2, 0]), s[:2]),
    "index_fill_": lambda m, t, s: t.index_fill_(1, m.tensor([1, 2]), -1.0),
    "index_fill_ tensor value": lambda m, t, s: t.index_fill_(1, m.tensor([1]), s[0, 0]),
    "masked_fill_": lambda m, t, s: t.masked_fill_(t > 0, 0.5),
    "masked_fill_ tensor value": lambda m, t, s: t.masked_fill_(t > 0, s.sum()),
    "masked_scatter_": lambda m, t, s: t.masked_scatter_(t > 0, s),
}


@pytest.mark.parametrize("name", sorted(INPLACE))
def test_inplace_twin_matches_torch(name):
    f = INPLACE[name]
    results = []
    for m in (gu, torch):
        a = m.tensor(X.copy(), requires_grad=True)
        s = m.tensor(SRC.copy(), requires_grad=True)
        y = a * 1.0  # a non-leaf
        before = y._version
        out = f(m, y, s)
        assert out is y and y._version == before + 1
        (y * m.tensor(normal(X.shape, 5))).sum().backward()
        results.append((y.detach().numpy().copy(), a.grad.numpy(), s.grad))
    (gy, ga, gs), (ty, ta, ts) = results
    np.testing.assert_allclose(gy, ty, rtol=1e-12)
    assert_close(ga, ta)
    if ts is None:
        assert gs is None or not gs.numpy().any()
    else:
        assert_close(gs, ts, what="src gradient")


def test_inplace_twins_refuse_a_larger_broadcast_shape():
    for m in (gu, torch):
        with pytest.raises(RuntimeError, match="doesn't match the broadcast shape"):
            m.tensor(X[0].copy()).masked_fill_(m.tensor(X > 0), 1.0)
        with pytest.raises(RuntimeError):
            m.tensor(X[0].copy()).masked_scatter_(m.tensor(X > 0), m.tensor(SRC))


def test_saved_index_modified_in_place_is_detected():
    for m in (gu, torch):
        x = m.tensor(X, requires_grad=True)
        index = m.tensor(IDX)
        y = x.gather(1, index)
        index.add_(1)
        with pytest.raises(RuntimeError, match="modified by an inplace operation"):
            y.sum().backward()


# ------------------------------------------------------------------ errors
ERRORS = [
    lambda m, t: t.gather(1, m.tensor(IDX).float()),
    lambda m, t: t.gather(1, m.tensor([[4]])),
    lambda m, t: t.gather(1, m.tensor([[-1]])),
    lambda m, t: t.gather(1, m.tensor([0])),
    lambda m, t: t.gather(0, m.tensor(np.zeros((4, 5), np.int64))),
    lambda m, t: t.gather(2, m.tensor(IDX)),
    lambda m, t: t.scatter(1, m.tensor(IDX), t.float()),
    lambda m, t: t.scatter(1, m.tensor(IDX), t[:2]),
    lambda m, t: t.scatter(1, m.tensor(IDX), t, reduce="mean"),
    lambda m, t: t.scatter_add(1, m.tensor(IDX), 1.0),
    lambda m, t: t.scatter_add(1, m.tensor([[4]]), t),
    lambda m, t: t.scatter_reduce(1, m.tensor(IDX), t, "max2"),
    lambda m, t: t.scatter_reduce(1, m.tensor(IDX), t.float(), "sum"),
    lambda m, t: t.index_select(1, m.tensor([4])),
    lambda m, t: t.index_select(1, m.tensor([-1])),
    lambda m, t: t.index_select(1, m.tensor([[1]])),
    lambda m, t: t.index_select(1, m.tensor([1.0])),
    lambda m, t: t.index_add(1, m.tensor([0, 1]), t),
    lambda m, t: t.index_add(1, m.tensor([0, 1, 2, 4]), t),
    lambda m, t: t.index_add(1, m.tensor([0, 1, 2, 3]), t.float()),
    lambda m, t: t.index_add(1, m.tensor([0, 1, 2]), t[:2, :3]),
    lambda m, t: t.index_copy(1, m.tensor([0, 1], dtype=m.int32), t[:, :2]),
    lambda m, t: t.index_copy(1, m.tensor([0, 4]), t[:, :2]),
    lambda m, t: t.index_copy(1, m.tensor([[0, 1]]), t[:, :2]),
    lambda m, t: t.index_fill(1, m.tensor([4]), 1.0),
    lambda m, t: t.index_fill(1, m.tensor([1], dtype=m.int32), 1.0),
    lambda m, t: t.index_fill(1, m.tensor([[1]]), 1.0),
    lambda m, t: t.index_fill(1, m.tensor([1]), t[0]),
    lambda m, t: t.take(m.tensor([12])),
    lambda m, t: t.take(m.tensor([-13])),
    lambda m, t: t.take(m.tensor([1], dtype=m.int32)),
    lambda m, t: t.take_along_dim(m.tensor([1]), 1),
    lambda m, t: t.take_along_dim(m.tensor([[1.0]]), 1),
    lambda m, t: t.take_along_dim(m.tensor([[0, 1, 1]] * 2), 1),
    lambda m, t: t.take_along_dim(m.tensor([12])),
    lambda m, t: t.masked_select(t),
    lambda m, t: t.masked_select(m.tensor([True, False])),
    lambda m, t: t.masked_scatter(t > 0, m.tensor([1.0])),
    lambda m, t: t.masked_scatter(t > 0, t.long()),
    lambda m, t: t.masked_scatter(t.long(), t),
    lambda m, t: t.masked_fill(t, 0.0),
    lambda m, t: t.masked_fill(t > 0, t[0]),
    lambda m, t: t.masked_fill(m.tensor([True, False]), 0.0),
    lambda m, t: t.long().masked_fill(t > 0, float("inf")),
    lambda m, t: m.where(t.long(), t, t),
    lambda m, t: t.scatter(1, m.tensor(IDX), 2.0, reduce="add").sum().backward(),
]


@pytest.mark.parametrize("call", ERRORS)
def test_errors_are_torch_exception_classes(call):
    with pytest.raises(Exception) as expected:
        call(torch, torch.tensor(X, requires_grad=True))
    with pytest.raises(type(expected.value)):
        call(gu, gu.tensor(X, requires_grad=True))


def test_error_messages_name_the_op():
    t = gu.tensor(X)
    with pytest.raises(RuntimeError, match=r"gather\(\): index 4 is out of bounds for dimension 1"):
        t.gather(1, gu.tensor([[4]]))
    with pytest.raises(IndexError, match=r"take\(\): out of range: tried to access index 12"):
        t.take(gu.tensor([12]))
    with pytest.raises(RuntimeError, match=r"scatter_reduce\(\): reduce argument must be"):
        t.scatter_reduce(1, gu.tensor(IDX), t, "max2")
    with pytest.raises(RuntimeError, match=r"index_add\(\): number of indices \(2\)"):
        t.index_add(1, gu.tensor([0, 1]), t)


def test_scatter_gradient_for_src_larger_than_index_is_zero_where_unread():
    # torch refuses this backward (its gradient has the index's shape); it is zero there
    x = gu.tensor(X, requires_grad=True)
    s = gu.tensor(SRC, requires_grad=True)
    x.scatter_add(0, gu.tensor(COLS), s).sum().backward()
    expected = np.zeros(SRC.shape)
    expected[:2, :2] = 1
    np.testing.assert_array_equal(s.grad.numpy(), expected)
    gradcheck(
        lambda a, b: a.scatter(0, gu.tensor(COLS), b),
        [gu.tensor(X, requires_grad=True), gu.tensor(SRC, requires_grad=True)],
    )

"""Products against torch: mm, bmm, mv, dot, vdot, outer/ger, inner, addmm, addmv, addbmm,
baddbmm (and their in-place twins), einsum, tensordot, kron: forward, backward, float64
gradcheck, dtypes, and torch's shape and dtype errors."""

import numpy as np
import pytest
import torch

import groundup as gu
from tests.oracle import assert_close, check_op
from tests.strategies import ladder, normal


def _both(fn):
    return (lambda *ts: fn(gu, *ts)), (lambda *ts: fn(torch, *ts))


PRODUCTS = {
    "mm": (lambda m, a, b: m.mm(a, b), [(2, 3), (3, 4)]),
    "mm method": (lambda m, a, b: a.mm(b), [(1, 3), (3, 1)]),
    "mm transposed": (lambda m, a, b: m.mm(a.t(), b.t()), [(3, 2), (4, 3)]),
    "mm empty": (lambda m, a, b: m.mm(a, b), [(2, 0), (0, 3)]),
    "bmm empty batch": (lambda m, a, b: m.bmm(a, b), [(0, 2, 3), (0, 3, 1)]),
    "bmm": (lambda m, a, b: m.bmm(a, b), [(2, 3, 4), (2, 4, 5)]),
    "bmm method": (lambda m, a, b: a.bmm(b.transpose(1, 2)), [(3, 2, 2), (3, 4, 2)]),
    "mv": (lambda m, a, b: m.mv(a, b), [(3, 4), (4,)]),
    "mv method": (lambda m, a, b: a.t().mv(b), [(4, 3), (4,)]),
    "dot": (lambda m, a, b: m.dot(a, b), [(5,), (5,)]),
    "vdot": (lambda m, a, b: a.vdot(b), [(3,), (3,)]),
    "outer": (lambda m, a, b: m.outer(a, b), [(3,), (4,)]),
    "ger": (lambda m, a, b: a.ger(b), [(2,), (3,)]),
    "inner": (lambda m, a, b: m.inner(a, b), [(2, 3), (4, 3)]),
    "inner vectors": (lambda m, a, b: a.inner(b), [(3,), (3,)]),
    "inner 3-d": (lambda m, a, b: m.inner(a, b), [(2, 1, 3), (4, 3)]),
    "inner 0-d": (lambda m, a, b: m.inner(a, b), [(), (2, 3)]),
    "kron": (lambda m, a, b: m.kron(a, b), [(2, 3), (2, 2)]),
    "kron ranks": (lambda m, a, b: a.kron(b), [(2,), (3, 2)]),
    "kron 0-d": (lambda m, a, b: m.kron(a, b), [(), (2, 3)]),
    "tensordot 2": (lambda m, a, b: m.tensordot(a, b), [(2, 3, 4), (3, 4, 2)]),
    "tensordot 1": (lambda m, a, b: m.tensordot(a, b, 1), [(2, 3), (3, 4)]),
    "tensordot 0": (lambda m, a, b: m.tensordot(a, b, dims=0), [(2,), (3, 2)]),
    "tensordot lists": (
        lambda m, a, b: m.tensordot(a, b, dims=([1, 2], [1, 0])),
        [(2, 3, 4), (4, 3, 5)],
    ),
    "tensordot negative": (lambda m, a, b: m.tensordot(a, b, ([-1], [0])), [(2, 3), (3,)]),
}


@pytest.mark.parametrize("name", PRODUCTS)
def test_product_matches_torch(name):
    fn, shapes = PRODUCTS[name]
    ladder(*_both(fn), *(normal(s, k) for k, s in enumerate(shapes)))


ADD_PRODUCTS = {
    "addmm": (lambda m, c, a, b: m.addmm(c, a, b), [(2, 4), (2, 3), (3, 4)]),
    "addmm beta alpha": (
        lambda m, c, a, b: m.addmm(c, a, b, beta=0.5, alpha=-2.0),
        [(2, 4), (2, 3), (3, 4)],
    ),
    "addmm bias row": (lambda m, c, a, b: c.addmm(a, b, alpha=3), [(4,), (2, 3), (3, 4)]),
    "addmm column": (lambda m, c, a, b: m.addmm(c, a, b, beta=2), [(2, 1), (2, 3), (3, 4)]),
    "addmm beta 0": (lambda m, c, a, b: m.addmm(c, a, b, beta=0), [(2, 4), (2, 3), (3, 4)]),
    "addmm 0-d": (lambda m, c, a, b: m.addmm(c, a, b), [(), (2, 3), (3, 4)]),
    "addmv": (lambda m, c, a, b: m.addmv(c, a, b, beta=-1, alpha=0.5), [(3,), (3, 4), (4,)]),
    "addmv method": (lambda m, c, a, b: c.addmv(a, b), [(1,), (3, 4), (4,)]),
    "baddbmm": (lambda m, c, a, b: m.baddbmm(c, a, b), [(2, 3, 5), (2, 3, 4), (2, 4, 5)]),
    "baddbmm broadcast": (
        lambda m, c, a, b: c.baddbmm(a, b, beta=0.25, alpha=2),
        [(5,), (2, 3, 4), (2, 4, 5)],
    ),
    "addbmm": (lambda m, c, a, b: m.addbmm(c, a, b), [(3, 5), (2, 3, 4), (2, 4, 5)]),
    "addbmm method": (
        lambda m, c, a, b: c.addbmm(a, b, beta=3, alpha=0.5),
        [(3, 5), (4, 3, 2), (4, 2, 5)],
    ),
}


@pytest.mark.parametrize("name", ADD_PRODUCTS)
def test_fused_add_product_matches_torch(name):
    fn, shapes = ADD_PRODUCTS[name]
    ladder(*_both(fn), *(normal(s, k) for k, s in enumerate(shapes)))


def test_addmm_with_beta_0_ignores_nan_in_input_and_gives_it_zero_gradient():
    c = np.full((2, 2), np.nan)
    outs = []
    for m in (gu, torch):
        ct = m.tensor(c, requires_grad=True)
        out = m.addmm(ct, m.tensor(normal((2, 3), 0)), m.tensor(normal((3, 2), 1)), beta=0)
        out.sum().backward()
        outs.append((out, ct.grad))
    assert not np.isnan(outs[0][0]._data).any()
    assert_close(outs[0][0], outs[1][0])
    assert_close(outs[0][1], outs[1][1])


@pytest.mark.parametrize(
    "name, shapes",
    [
        ("addmm", [(2, 4), (2, 3), (3, 4)]),
        ("addmv", [(2,), (2, 3), (3,)]),
        ("baddbmm", [(2, 2, 4), (2, 2, 3), (2, 3, 4)]),
        ("addbmm", [(2, 4), (3, 2, 3), (3, 3, 4)]),
    ],
)
def test_in_place_add_products_match_torch(name, shapes):
    arrays = [normal(s, k) for k, s in enumerate(shapes)]
    results = []
    for m in (gu, torch):
        c, a, b = (m.tensor(x, requires_grad=True) for x in arrays)
        y = c * 1.0
        version = y._version
        assert getattr(y, name + "_")(a, b, beta=0.5, alpha=2) is y
        assert y._version == version + 1
        (y * m.tensor(normal(y.shape, 9))).sum().backward()
        results.append([y, c.grad, a.grad, b.grad])
    for g, t in zip(*results, strict=True):
        assert_close(g, t)


@pytest.mark.parametrize("dtype", [np.int64, np.int32])
@pytest.mark.parametrize(
    "fn",
    [
        lambda m, a, b: m.mm(a, b),
        lambda m, a, b: m.bmm(a.unsqueeze(0), b.unsqueeze(0)),
        lambda m, a, b: m.mv(a, b[:, 0]),
        lambda m, a, b: m.dot(a[0], b[:, 0]),
        lambda m, a, b: m.outer(a[0], b[0]),
        lambda m, a, b: m.inner(a, b.t()),
        lambda m, a, b: m.kron(a, b),
        lambda m, a, b: m.tensordot(a, b, 1),
        lambda m, a, b: m.einsum("ij,jk->ik", a, b),
        lambda m, a, b: m.addmm(a[:, :1], a, b, beta=2, alpha=3),
        lambda m, a, b: m.addmm(a[:, :1], a, b, beta=0.5),
    ],
)
def test_integer_products_match_torch(fn, dtype):
    a = np.arange(6).reshape(2, 3).astype(dtype) - 2
    b = np.arange(12).reshape(3, 4).astype(dtype) % 5
    check_op(*_both(fn), a, b)


def test_outer_and_kron_promote_dtypes_like_torch():
    for fn in (lambda m, a, b: m.outer(a, b), lambda m, a, b: m.kron(a, b)):
        for da, db in ((np.float32, np.float64), (np.int64, np.float32), (np.int32, np.int64)):
            check_op(*_both(fn), np.arange(3).astype(da), np.arange(2).astype(db))


# ------------------------------------------------------------------- einsum
EINSUM = {
    "matmul": ("ij,jk->ik", [(2, 3), (3, 4)]),
    "implicit": ("ij,jk", [(2, 3), (3, 4)]),
    "implicit order": ("ba", [(2, 3)]),
    "implicit upper first": ("aB", [(2, 3)]),
    "upper and lower": ("Ab,bC", [(2, 3), (3, 4)]),
    "transpose": ("ij->ji", [(2, 3)]),
    "diagonal": ("ii->i", [(3, 3)]),
    "trace": ("ii", [(3, 3)]),
    "trace explicit": ("ii->", [(3, 3)]),
    "batched diagonal": ("iij->ij", [(3, 3, 2)]),
    "repeated with other": ("ii,ij->j", [(3, 3), (3, 2)]),
    "sum all": ("ij->", [(2, 3)]),
    "row sums": ("ij->i", [(2, 3)]),
    "outer": ("i,j", [(3,), (2,)]),
    "dot": ("i,i", [(3,), (3,)]),
    "batched": ("bij,bjk->bik", [(2, 2, 3), (2, 3, 4)]),
    "batch broadcast": ("bij,bjk->bik", [(1, 2, 3), (4, 3, 2)]),
    "ellipsis": ("...ij,...jk", [(5, 2, 3), (3, 4)]),
    "ellipsis out": ("...ij->...ji", [(2, 2, 3)]),
    "ellipsis summed": ("...i->i", [(2, 3)]),
    "ellipsis last": ("i...->...", [(2, 3)]),
    "ellipsis broadcast": ("...,...->...", [(2, 1), (3,)]),
    "ellipsis middle": ("i...j,j->i...", [(2, 3, 4), (4,)]),
    "spaces": ("i j , j k -> i k", [(2, 3), (3, 4)]),
    "scalar operand": ("ij,->ij", [(2, 3), ()]),
    "0-d": ("->", [()]),
    "size-1 broadcast": ("ij,jk", [(2, 1), (3, 4)]),
    "three operands": ("bn,anm,bm->ba", [(2, 3), (4, 3, 5), (2, 5)]),
    "chain": ("ij,jk,kl->il", [(2, 3), (3, 4), (4, 2)]),
    "only in one": ("ij,k->k", [(2, 3), (4,)]),
    "zero size": ("ij,jk->ik", [(2, 0), (0, 3)]),
}


@pytest.mark.parametrize("name", EINSUM)
def test_einsum_matches_torch(name):
    equation, shapes = EINSUM[name]
    ladder(
        lambda *ts: gu.einsum(equation, *ts),
        lambda *ts: torch.einsum(equation, *ts),
        *(normal(s, k) for k, s in enumerate(shapes)),
    )


def test_einsum_operand_forms_match_torch():
    a, b = normal((2, 3), 0), normal((3, 4), 1)
    for fn in (
        lambda m, x, y: m.einsum("ij,jk", [x, y]),
        lambda m, x, y: m.einsum("ij,jk", (x, y)),
        lambda m, x, y: m.einsum(x, [0, 1], y, [1, 2], [0, 2]),
        lambda m, x, y: m.einsum(x, [0, 1], y, [1, 2]),
        lambda m, x, y: m.einsum(x, [Ellipsis, 1], [1, Ellipsis]),
    ):
        ladder(*_both(fn), a, b)


def test_einsum_of_integers_keeps_the_dtype_and_bool_products_refuse():
    check_op(*_both(lambda m, a: m.einsum("ij->ji", a)), np.arange(6).reshape(2, 3))
    check_op(*_both(lambda m, a: m.einsum("ij->", a)), np.arange(6, dtype=np.int32).reshape(2, 3))
    check_op(*_both(lambda m, a: m.einsum("ij->ji", a)), np.eye(2, dtype=bool))
    check_op(*_both(lambda m, a: m.einsum("ij->i", a)), np.eye(2, dtype=bool))
    for m in (gu, torch):
        with pytest.raises(NotImplementedError):
            m.einsum("ij,jk", m.ones(2, 3, dtype=m.bool), m.ones(3, 4, dtype=m.bool))


EINSUM_ERRORS = [
    (lambda m: m.einsum("ij,jk", m.ones(2, 3), m.ones(3, 4, dtype=m.float64)), RuntimeError),
    (lambda m: m.einsum("ij,jk", m.ones(2, 3), m.ones(4, 4)), RuntimeError),
    (lambda m: m.einsum("ij,jk->ik", m.ones(2, 3)), RuntimeError),
    (lambda m: m.einsum("ij", m.ones(2, 3), m.ones(2)), RuntimeError),
    (lambda m: m.einsum("ij"), ValueError),
    (lambda m: m.einsum("ij->jj", m.ones(2, 3)), RuntimeError),
    (lambda m: m.einsum("ij->k", m.ones(2, 3)), RuntimeError),
    (lambda m: m.einsum("ijk", m.ones(2, 3)), RuntimeError),
    (lambda m: m.einsum("ii->i", m.ones(2, 3)), RuntimeError),
    (lambda m: m.einsum("i...,i...", m.ones(2, 3), m.ones(2, 4)), RuntimeError),
    (lambda m: m.einsum("i->i", m.tensor(1.0)), RuntimeError),
    (lambda m: m.einsum("i1", m.ones(2, 3)), RuntimeError),
    (lambda m: m.einsum("ij-ji", m.ones(2, 3)), RuntimeError),
    (lambda m: m.einsum("ij->i->j", m.ones(2, 3)), RuntimeError),
    (lambda m: m.einsum("i.j", m.ones(2, 3)), RuntimeError),
    (lambda m: m.einsum("...i...", m.ones(2, 3)), RuntimeError),
    (lambda m: m.einsum("ij,jk->ik", m.ones(2, 3), [1]), TypeError),
]


@pytest.mark.parametrize("call, error", EINSUM_ERRORS)
def test_einsum_errors_match_torch(call, error):
    with pytest.raises(error):
        call(torch)
    with pytest.raises(error, match="einsum"):
        call(gu)


# ------------------------------------------------------------------- errors
ERRORS = [
    (lambda m: m.mm(m.ones(2, 3), m.ones(4, 4)), RuntimeError, r"cannot be multiplied \(2x3"),
    (lambda m: m.mm(m.ones(2, 3), m.ones(3)), RuntimeError, "mat2 must be a matrix"),
    (lambda m: m.mm(m.ones(2, 3, 1), m.ones(3, 4)), RuntimeError, "must be a matrix"),
    (lambda m: m.mm(m.ones(2, 3), m.ones(3, 4, dtype=m.float64)), RuntimeError, "same dtype"),
    (lambda m: m.mm(m.ones(2, 3, dtype=m.int64), m.ones(3, 4)), RuntimeError, "same dtype"),
    (
        lambda m: m.mm(m.ones(2, 3, dtype=m.bool), m.ones(3, 4, dtype=m.bool)),
        NotImplementedError,
        "Bool",
    ),
    (
        lambda m: m.bmm(m.ones(2, 2, 3), m.ones(3, 3, 4)),
        RuntimeError,
        r"\[2, 3\] but got: \[3, 3\]",
    ),
    (lambda m: m.bmm(m.ones(2, 2, 3), m.ones(2, 4, 4)), RuntimeError, "first two dimensions"),
    (lambda m: m.bmm(m.ones(2, 3), m.ones(2, 3, 4)), RuntimeError, "batch1 must be a 3D"),
    (lambda m: m.bmm(m.ones(2, 2, 3), m.ones(2, 3, 4, dtype=m.float64)), RuntimeError, "dtype"),
    (lambda m: m.mv(m.ones(2, 3), m.ones(4)), RuntimeError, "size mismatch"),
    (lambda m: m.mv(m.ones(2, 3), m.ones(3, 1)), RuntimeError, "vec must be a vector"),
    (lambda m: m.mv(m.ones(2, 3), m.ones(3, dtype=m.float64)), RuntimeError, "same dtype"),
    (lambda m: m.dot(m.ones(3), m.ones(4)), RuntimeError, "inconsistent tensor size"),
    (lambda m: m.dot(m.ones(3), m.ones(3, dtype=m.float64)), RuntimeError, "same dtype"),
    (lambda m: m.dot(m.ones(3, 1), m.ones(3)), RuntimeError, "1D tensors expected"),
    (lambda m: m.outer(m.ones(2, 1), m.ones(3)), RuntimeError, "Expected 1-D argument self"),
    (lambda m: m.inner(m.ones(2, 3), m.ones(4, 2)), RuntimeError, "last dimension must match"),
    (lambda m: m.inner(m.ones(3), m.ones(3, dtype=m.float64)), RuntimeError, "same dtype"),
    (lambda m: m.addmm(m.ones(3), m.ones(2, 3), m.ones(3, 4)), RuntimeError, "does not broadcast"),
    (
        lambda m: m.addmm(m.ones(2, 4, dtype=m.float64), m.ones(2, 3), m.ones(3, 4)),
        RuntimeError,
        "same dtype",
    ),
    (lambda m: m.addmm(m.ones(2, 4), m.ones(2, 3), m.ones(3, 4), 0.5, 2), TypeError, "positional"),
    (lambda m: m.addmv(m.ones(2), m.ones(2, 3), m.ones(4)), RuntimeError, "size mismatch"),
    (
        lambda m: m.baddbmm(m.ones(3, 2, 4), m.ones(2, 2, 3), m.ones(2, 3, 4)),
        RuntimeError,
        "broadcast",
    ),
    (lambda m: m.addbmm(m.ones(2, 4), m.ones(2, 2, 3), m.ones(3, 3, 4)), RuntimeError, "first two"),
    (lambda m: m.tensordot(m.ones(2, 3), m.ones(4, 5), dims=-1), RuntimeError, "dims >= 0"),
    (lambda m: m.tensordot(m.ones(2, 3), m.ones(4, 5), dims=1), RuntimeError, "need to match"),
    (
        lambda m: m.tensordot(m.ones(2, 3), m.ones(3, dtype=m.float64), 1),
        RuntimeError,
        "same dtype",
    ),
    (lambda m: m.tensordot(m.ones(2, 3), m.ones(3, 4), dims=(1, 0)), TypeError, "dims"),
]


@pytest.mark.parametrize("call, error, message", ERRORS)
def test_product_errors_match_torch(call, error, message):
    with pytest.raises(error):
        call(torch)
    with pytest.raises(error, match=message):
        call(gu)

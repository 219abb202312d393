"""groundup.linalg's matrix functions and products against torch (matrix_power, matrix_exp,
multi_dot, vecdot, cross, diagonal), torch.trace, and the torch-level names of the linalg
family as functions and Tensor methods."""

import warnings

import numpy as np
import pytest
import torch

import groundup as gu
from tests.linalg_cases import raises_like, rand, same_error, well
from tests.oracle import assert_close, check_op
from tests.strategies import ladder

L, TL = gu.linalg, torch.linalg


# -------------------------------------------------------------------- matrix_power
@pytest.mark.parametrize("n", [-3, -1, 0, 1, 2, 3, 6, 11])
def test_matrix_power_matches_torch(n):
    a = well(3, 2, seed=1) / 3
    ladder(lambda t: L.matrix_power(t, n), lambda t: TL.matrix_power(t, n), a)
    check_op(lambda t: gu.matrix_power(t, n), lambda t: torch.matrix_power(t, n), a[0])
    check_op(lambda t: t.matrix_power(n), lambda t: t.matrix_power(n), a[0])


def test_matrix_power_of_integers_empty_and_bad_input():
    ints = np.array([[1, 2], [3, 4]])
    for n in (0, 1, 2, 5):
        check_op(lambda t, n=n: L.matrix_power(t, n), lambda t, n=n: TL.matrix_power(t, n), ints)
    check_op(lambda t: L.matrix_power(t, 0), lambda t: TL.matrix_power(t, 0), np.zeros((2, 0, 0)))
    x = gu.tensor(np.eye(2), requires_grad=True)
    assert L.matrix_power(x, 0).requires_grad  # as torch, with a zero gradient
    for call in [
        lambda m: m.linalg.matrix_power(m.ones(2, 3), 2),
        lambda m: m.linalg.matrix_power(m.ones(3), 2),
        lambda m: m.linalg.matrix_power(m.eye(2), 2.0),
        lambda m: m.linalg.matrix_power(m.tensor([[1, 2], [3, 4]]), -1),
        lambda m: m.linalg.matrix_power(m.zeros(2, 2), -1),
        lambda m: m.linalg.matrix_power(m.eye(2, dtype=m.bool), 2),
    ]:
        same_error(call)


# ---------------------------------------------------------------------- matrix_exp
@pytest.mark.parametrize("batch", [(), (2,), (2, 1)])
def test_matrix_exp_matches_torch(batch):
    a = rand(*batch, 3, 3, seed=2)
    ladder(L.matrix_exp, TL.matrix_exp, a)
    check_op(gu.matrix_exp, torch.matrix_exp, 3 * a)  # large enough to need squaring
    check_op(lambda t: t.matrix_exp(), lambda t: t.matrix_exp(), a)


def test_matrix_exp_edge_cases():
    check_op(L.matrix_exp, TL.matrix_exp, np.zeros((0, 0)))
    check_op(L.matrix_exp, TL.matrix_exp, np.zeros((2, 0, 0)))
    check_op(lambda t: L.matrix_exp(t.mT), lambda t: TL.matrix_exp(t.mT), rand(3, 3, seed=3))
    half = rand(3, 3, seed=4).astype(np.float16)  # torch's float16 kernel overflows here:
    got = L.matrix_exp(gu.tensor(half))  # groundup computes in float32 and rounds
    assert got.dtype == np.float16 == TL.matrix_exp(torch.tensor(half)).numpy().dtype
    want = TL.matrix_exp(torch.tensor(half, dtype=torch.float64)).numpy()
    np.testing.assert_allclose(got._data, want, rtol=1e-3, atol=1e-3)
    for call in [
        lambda m: m.linalg.matrix_exp(m.ones(2, 3)),
        lambda m: m.linalg.matrix_exp(m.ones(3)),
        lambda m: m.linalg.matrix_exp(m.eye(2, dtype=m.int64)),
    ]:
        same_error(call)


# ----------------------------------------------------------------------- multi_dot
@pytest.mark.parametrize(
    "shapes",
    [
        [(3, 4), (4, 2)],
        [(4,), (4, 2)],
        [(3, 4), (4,)],
        [(4,), (4,)],
        [(2, 9), (9, 3), (3, 8)],  # (AB)C is cheaper
        [(9, 2), (2, 8), (8, 3)],  # A(BC) is cheaper
        [(5,), (5, 2), (2, 6), (6, 3), (3,)],
        [(3, 0), (0, 2), (2, 2)],
    ],
)
def test_multi_dot_matches_torch(shapes):
    arrays = [rand(*s, seed=i) for i, s in enumerate(shapes)]
    ladder(lambda *t: L.multi_dot(t), lambda *t: TL.multi_dot(t), *arrays)


def test_multi_dot_integers_and_bad_input():
    ints = [np.arange(4).reshape(2, 2), np.arange(6).reshape(2, 3)]
    check_op(lambda *t: L.multi_dot(list(t)), lambda *t: TL.multi_dot(list(t)), *ints)
    for call in [
        lambda m: m.linalg.multi_dot([m.ones(2, 2)]),
        lambda m: m.linalg.multi_dot([]),
        lambda m: m.linalg.multi_dot([m.ones(2, 2, 2), m.ones(2, 2)]),
        lambda m: m.linalg.multi_dot([m.ones(2, 2), m.ones(2, 2, 2)]),
        lambda m: m.linalg.multi_dot([m.ones(2, 2), m.ones(2), m.ones(2, 2)]),
        lambda m: m.linalg.multi_dot([m.ones(2, 2), m.ones(3, 3)]),
        lambda m: m.linalg.multi_dot([m.ones(2, 2), m.ones(2, 2, dtype=m.float64)]),
        lambda m: m.linalg.multi_dot([m.tensor(1.0), m.ones(1)]),
    ]:
        same_error(call)


# ------------------------------------------------------------------ vecdot and cross
@pytest.mark.parametrize(
    "x_shape, y_shape, dim",
    [((4,), (4,), -1), ((3, 1, 4), (2, 4), -1), ((3, 2), (3, 2), 0), ((), (), -1)],
)
def test_vecdot_matches_torch(x_shape, y_shape, dim):
    ladder(
        lambda x, y: L.vecdot(x, y, dim=dim),
        lambda x, y: TL.vecdot(x, y, dim=dim),
        rand(*x_shape),
        rand(*y_shape, seed=1),
    )


def test_vecdot_bad_input():
    for call in [
        lambda m: m.linalg.vecdot(m.ones(3), m.ones(3, dtype=m.float64)),
        lambda m: m.linalg.vecdot(m.ones(3, dtype=m.int64), m.ones(3, dtype=m.int64)),
    ]:
        same_error(call)


@pytest.mark.parametrize(
    "a_shape, b_shape, dim",
    [((3,), (3,), -1), ((2, 1, 3), (1, 4, 3), -1), ((3, 2), (3, 2), 0), ((2, 3, 2), (2, 3, 2), 1)],
)
def test_cross_matches_torch(a_shape, b_shape, dim):
    a, b = rand(*a_shape), rand(*b_shape, seed=1)
    ladder(lambda x, y: L.cross(x, y, dim=dim), lambda x, y: TL.cross(x, y, dim=dim), a, b)
    check_op(lambda x, y: gu.cross(x, y, dim), lambda x, y: torch.cross(x, y, dim), a, b)
    check_op(lambda x, y: x.cross(y, dim), lambda x, y: x.cross(y, dim), a, b)
    ints = (np.arange(6).reshape(2, 3), np.arange(6)[::-1].reshape(2, 3).copy())
    check_op(lambda x, y: L.cross(x, y), lambda x, y: TL.cross(x, y), *ints)


def test_torch_cross_without_dim_takes_the_first_dim_of_size_3_and_warns():
    a, b = rand(3, 2), rand(3, 2, seed=1)
    with pytest.warns(UserWarning, match="without specifying the dim"):
        got = gu.cross(gu.tensor(a), gu.tensor(b))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert_close(got, torch.cross(torch.tensor(a), torch.tensor(b)))
        raises_like(
            lambda: gu.cross(gu.ones(2, 2), gu.ones(2, 2)),
            lambda: torch.cross(torch.ones(2, 2), torch.ones(2, 2)),
        )


def test_cross_bad_input():
    for call in [
        lambda m: m.linalg.cross(m.ones(2, 4), m.ones(2, 4)),
        lambda m: m.linalg.cross(m.ones(2, 3), m.ones(2, 2, 3)),
        lambda m: m.linalg.cross(m.ones(2, 3), m.ones(2, 3), dim=2),
        lambda m: m.linalg.cross(m.ones(3), m.ones(3, dtype=m.float64)),
        lambda m: m.linalg.cross(m.ones(3, dtype=m.bool), m.ones(3, dtype=m.bool)),
    ]:
        same_error(call)


# ----------------------------------------------------------------- diagonal and trace
def test_linalg_diagonal_matches_torch():
    a = rand(2, 3, 4)
    ladder(L.diagonal, TL.diagonal, a)
    ladder(
        lambda t: L.diagonal(t, offset=1, dim1=0, dim2=2),
        lambda t: TL.diagonal(t, offset=1, dim1=0, dim2=2),
        a,
    )
    raises_like(lambda: L.diagonal(gu.tensor(a), 1), lambda: TL.diagonal(torch.tensor(a), 1))


@pytest.mark.parametrize("shape", [(3, 3), (2, 4), (4, 2), (0, 3)])
def test_trace_matches_torch(shape):
    ladder(gu.trace, torch.trace, rand(*shape))
    check_op(lambda t: t.trace(), lambda t: t.trace(), rand(*shape).T.copy())
    for dtype in (np.int32, np.int64, np.uint8):  # integers sum to int64
        check_op(gu.trace, torch.trace, np.arange(int(np.prod(shape))).reshape(shape).astype(dtype))


def test_trace_bad_input():
    for call in [
        lambda m: m.trace(m.ones(2, 2, 2)),
        lambda m: m.trace(m.tensor(1.0)),
        lambda m: m.trace(m.ones(2, 2, dtype=m.bool)),
    ]:
        same_error(call)


# ------------------------------------------------------- torch-level names and methods
def test_torch_level_names_are_functions_and_methods_as_in_torch():
    names = [
        "det",
        "logdet",
        "slogdet",
        "inverse",
        "pinverse",
        "trace",
        "cross",
        "matrix_exp",
        "matrix_power",
        "cholesky",
        "cholesky_solve",
        "cholesky_inverse",
        "svd",
        "qr",
    ]
    x = gu.eye(2)
    for name in names:
        assert hasattr(torch, name) and hasattr(torch.Tensor, name)
        assert callable(getattr(gu, name)) and callable(getattr(x, name)), name
    for name in ["inv", "eigh", "multi_dot", "vecdot", "solve_triangular", "lu_factor"]:
        assert callable(getattr(gu.linalg, name))  # torch.linalg only: no method
        assert not hasattr(torch.Tensor, name)
        with pytest.raises(AttributeError):
            getattr(x, name)


def test_deprecated_torch_level_names_warn_as_torch():
    a = gu.tensor(np.eye(2) * 2)
    with pytest.warns(UserWarning, match="torch.linalg.qr"):
        gu.qr(a)
    with pytest.warns(UserWarning, match="torch.linalg.cholesky"):
        a.cholesky()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        gu.svd(a)  # torch.svd does not warn
        a.det()
        a.pinverse()

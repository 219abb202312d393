"""groundup.linalg's decompositions and least squares against torch: eigh, eigvalsh, svd,
svdvals, qr, pinv, matrix_rank, lstsq, cond, and the refusal of eig/eigvals. Vectors have no
sign, so the forward checks compare invariants (eigenvalues, |vectors| after aligning signs,
reconstructions) and the losses behind the gradient checks do not depend on the signs."""

import numpy as np
import pytest
import torch

import groundup as gu
from groundup.inspect import gradcheck
from tests.linalg_cases import (
    align,
    check_outputs,
    distinct,
    raises_like,
    rand,
    same_error,
    spd,
    sym,
    well,
)
from tests.oracle import assert_close, check_op
from tests.strategies import ladder

L, TL = gu.linalg, torch.linalg


# ------------------------------------------------------------------------ eigh
def _eigh_invariants(got, want):
    assert_close(got[0], want[0], got[0].dtype)
    assert_close(align(got[1], want[1]), want[1], got[1].dtype)


def _eigh_loss(o, t):  # depends on V only through V * V (sign-free)
    n = o[0].shape[-1]
    return (o[0] * t(np.arange(n) + 1.0)).sum() + (o[1] * o[1] * t(rand(n, n, seed=9))).sum()


@pytest.mark.parametrize("uplo", ["L", "U"])
@pytest.mark.parametrize("batch", [(), (2,)])
def test_eigh_matches_torch(uplo, batch):
    a = distinct(4, *batch)
    check_outputs(
        lambda t: L.eigh(t, uplo), lambda t: TL.eigh(t, uplo), [a], _eigh_loss, _eigh_invariants
    )
    check_outputs(
        lambda t: L.eigh(t, uplo),
        lambda t: TL.eigh(t, uplo),
        [a.astype(np.float32)],
        _eigh_loss,
        _eigh_invariants,
    )
    gradcheck(
        lambda t: _eigh_loss(L.eigh(sym(t), uplo), gu.tensor), [gu.tensor(a, requires_grad=True)]
    )


def test_eigh_reads_one_triangle_and_eigvalsh_matches_torch():
    a = np.array([[4.0, 1.0], [3.0, 5.0]])
    for uplo in ("L", "U", "u"):
        check_op(
            lambda t, uplo=uplo: L.eigvalsh(t, uplo), lambda t, uplo=uplo: TL.eigvalsh(t, uplo), a
        )
    ladder(lambda t: L.eigvalsh(sym(t)), lambda t: TL.eigvalsh(sym(t)), spd(3, 2))
    assert not L.eigvalsh(gu.tensor(a)).requires_grad


def test_eigh_with_repeated_eigenvalues_gives_torchs_gradients():
    eye = np.eye(3)
    # eigenvalues only: finite; eigenvectors: inf/nan, as in torch (the gaps are zero)
    check_outputs(L.eigh, TL.eigh, [eye], lambda o, t: o[0].sum())
    x = gu.tensor(eye, requires_grad=True)
    L.eigh(x).eigenvectors.sum().backward()
    assert not np.isfinite(x.grad._data).all()


def test_eigh_of_empty_and_bad_input():
    check_outputs(L.eigh, TL.eigh, [np.zeros((0, 0))], None)
    check_outputs(L.eigh, TL.eigh, [np.zeros((2, 0, 0))], None)
    raises_like(lambda: L.eigh(gu.eye(2), UPLO="X"), lambda: TL.eigh(torch.eye(2), UPLO="X"))
    raises_like(lambda: L.eigh(gu.eye(2), UPLO=1), lambda: TL.eigh(torch.eye(2), UPLO=1))
    for m in ("ones(2, 3)", "eye(2, dtype={}.int64)", "eye(2, dtype={}.float16)"):
        raises_like(
            lambda m=m: L.eigh(eval("gu." + m.format("gu"))),
            lambda m=m: TL.eigh(eval("torch." + m.format("torch"))),
        )


def test_eig_and_eigvals_are_refused_with_a_pointer_to_eigh():
    for op in (L.eig, L.eigvals):
        with pytest.raises(NotImplementedError, match="eigh"):
            op(gu.eye(2))


# ------------------------------------------------------------------------- SVD
def _svd_invariants(got, want):
    u, s, vh = got
    tu, ts, tvh = want
    k = s.shape[-1]
    assert_close(s, ts, s.dtype)
    assert_close(
        (u[..., :k] * s[..., None, :]) @ vh[..., :k, :],
        (tu[..., :k] * ts[..., None, :]) @ tvh[..., :k, :],
        s.dtype,
    )
    signs = np.sign((u[..., :k] * tu[..., :k]).sum(-2, keepdims=True))
    assert_close(u[..., :k] * signs, tu[..., :k], s.dtype)
    assert_close(vh[..., :k, :] * np.swapaxes(signs, -1, -2), tvh[..., :k, :], s.dtype)


def _svd_loss(o, t):  # sign-free: S, U diag(S) Vh, and the squares of U's entries
    u, s, vh = o
    k = s.shape[-1]
    a = (u[..., :k] * s.unsqueeze(-2)) @ vh[..., :k, :]
    w = t(rand(*u.shape[-2:], seed=10))
    return (s * s).sum() + (a * a * a).sum() + (u[..., :k] * u[..., :k] * w[..., :k]).sum()


@pytest.mark.parametrize("shape", [(3, 3), (2, 4, 3), (2, 3, 5)])
@pytest.mark.parametrize("full_matrices", [False, True])
def test_svd_matches_torch(shape, full_matrices):
    a = rand(*shape, seed=11)
    for dtype in (np.float64, np.float32):
        check_outputs(
            lambda t: L.svd(t, full_matrices),
            lambda t: TL.svd(t, full_matrices),
            [a.astype(dtype)],
            _svd_loss,
            _svd_invariants,
        )
    gradcheck(
        lambda t: _svd_loss(L.svd(t, full_matrices), gu.tensor), [gu.tensor(a, requires_grad=True)]
    )


@pytest.mark.parametrize("shape", [(3, 3), (2, 4, 3), (3, 5)])
def test_svdvals_matches_torch(shape):
    ladder(L.svdvals, TL.svdvals, rand(*shape, seed=12))
    check_op(lambda t: L.svdvals(t.mT), lambda t: TL.svdvals(t.mT), rand(*shape, seed=12))


def test_svd_of_empty_matrices_and_bad_input():
    for shape in [(0, 0), (3, 0), (0, 3), (2, 0, 2)]:
        for full in (True, False):
            check_outputs(
                lambda t, full=full: L.svd(t, full),
                lambda t, full=full: TL.svd(t, full),
                [np.zeros(shape)],
                None,
            )
        check_op(L.svdvals, TL.svdvals, np.zeros(shape))
    raises_like(
        lambda: L.svd(gu.eye(2), driver="gesvd"), lambda: TL.svd(torch.eye(2), driver="gesvd")
    )
    raises_like(lambda: L.svd(gu.ones(2)), lambda: TL.svd(torch.ones(2)))
    raises_like(
        lambda: L.svdvals(gu.eye(2, dtype=gu.int64)),
        lambda: TL.svdvals(torch.eye(2, dtype=torch.int64)),
    )


def test_singular_vectors_of_repeated_singular_values_give_nan_as_torch():
    x = gu.tensor(np.eye(3), requires_grad=True)
    L.svd(x).U.sum().backward()
    assert not np.isfinite(x.grad._data).all()
    check_outputs(L.svd, TL.svd, [np.eye(3)], lambda o, t: o.S.sum(), _svd_invariants)


def test_torch_svd_returns_v_and_some():
    a = rand(4, 3, seed=13)
    for some in (True, False):
        got, want = gu.svd(gu.tensor(a), some), torch.svd(torch.tensor(a), some)
        assert got.V.shape == tuple(want.V.shape)
        assert_close(np.abs(got.V._data), np.abs(want.V.numpy()))
    got, want = gu.tensor(a).svd(compute_uv=False), torch.tensor(a).svd(compute_uv=False)
    for g, t in zip(got, want, strict=True):
        assert_close(g, t)


# -------------------------------------------------------------------------- QR
def _qr_loss(o, t):
    return (o[0] ** 3).sum() + (o[1] * o[1] * t(rand(*o[1].shape[-2:], seed=14))).sum()


@pytest.mark.parametrize("shape", [(3, 3), (2, 5, 3), (2, 3, 5)])
@pytest.mark.parametrize("mode", ["reduced", "complete"])
def test_qr_matches_torch(shape, mode):
    a = rand(*shape, seed=15)
    differentiable = mode == "reduced" or shape[-2] <= shape[-1]
    loss = _qr_loss if differentiable else None
    for dtype in (np.float64, np.float32):
        check_outputs(lambda t: L.qr(t, mode), lambda t: TL.qr(t, mode), [a.astype(dtype)], loss)
    if differentiable:
        gradcheck(lambda t: _qr_loss(L.qr(t, mode), gu.tensor), [gu.tensor(a, requires_grad=True)])
    else:
        x = gu.tensor(a, requires_grad=True)
        with pytest.raises(RuntimeError, match="not differentiable when mode='complete'"):
            L.qr(x, mode).Q.sum().backward()


def test_qr_mode_r_torch_qr_and_errors():
    a = rand(4, 3, seed=16)
    check_outputs(lambda t: L.qr(t, "r"), lambda t: TL.qr(t, "r"), [a], None)
    x = gu.tensor(a, requires_grad=True)
    with pytest.raises(RuntimeError, match="mode='r'"):
        L.qr(x, "r").R.sum().backward()
    with pytest.warns(UserWarning, match="deprecated"):  # both warn
        for some in (True, False):
            check_outputs(
                lambda t, some=some: gu.qr(t, some),
                lambda t, some=some: torch.qr(t, some),
                [a],
                None,
            )
        check_outputs(lambda t: t.qr(), lambda t: t.qr(), [a], None)
    check_outputs(L.qr, TL.qr, [np.zeros((3, 0))], None)
    raises_like(lambda: L.qr(gu.eye(2), "x"), lambda: TL.qr(torch.eye(2), "x"))
    raises_like(
        lambda: L.qr(gu.eye(2, dtype=gu.int64)), lambda: TL.qr(torch.eye(2, dtype=torch.int64))
    )


# ------------------------------------------------------------- pinv and matrix_rank
@pytest.mark.parametrize("shape", [(3, 3), (2, 4, 3), (3, 5)])
def test_pinv_matches_torch(shape):
    a = rand(*shape, seed=17)
    ladder(L.pinv, TL.pinv, a)
    ladder(gu.pinverse, torch.pinverse, a, check_gradients=False)
    ladder(
        lambda t: L.pinv(sym(t), hermitian=True),
        lambda t: TL.pinv(sym(t), hermitian=True),
        distinct(3),
    )


def test_pinv_tolerances_match_torch():
    a = np.diag([3.0, 1.0, 1e-3])
    for kwargs in [{"rtol": 0.01}, {"atol": 0.5}, {"atol": 0.5, "rtol": 0.5}, {"atol": 0.0}]:
        check_op(
            lambda t, kwargs=kwargs: L.pinv(t, **kwargs),
            lambda t, kwargs=kwargs: TL.pinv(t, **kwargs),
            a,
        )
    check_op(lambda t: L.pinv(t, 0.01), lambda t: TL.pinv(t, 0.01), a)  # rcond
    check_op(lambda t: gu.pinverse(t, rcond=0.5), lambda t: torch.pinverse(t, rcond=0.5), a)
    batch = np.stack([np.eye(2), np.eye(2)])
    got = L.pinv(gu.tensor(batch), atol=gu.tensor([0.5, 2.0]))
    assert_close(got, TL.pinv(torch.tensor(batch), atol=torch.tensor([0.5, 2.0])))
    check_op(L.pinv, TL.pinv, np.zeros((0, 3)))
    for m in ("ones(3)", "eye(2, dtype={}.int64)"):
        raises_like(
            lambda m=m: L.pinv(eval("gu." + m.format("gu"))),
            lambda m=m: TL.pinv(eval("torch." + m.format("torch"))),
        )


def test_matrix_rank_matches_torch():
    a = rand(2, 5, 2, seed=18) @ rand(2, 2, 4, seed=19)  # rank 2
    cases = [{}, {"atol": 1.0}, {"rtol": 0.5}, {"atol": 0.1, "rtol": 0.2}, {"hermitian": True}]
    for kwargs in cases:
        m = a[..., :4, :] @ np.swapaxes(a[..., :4, :], -1, -2) if kwargs.get("hermitian") else a
        got, want = L.matrix_rank(gu.tensor(m), **kwargs), TL.matrix_rank(torch.tensor(m), **kwargs)
        assert got.dtype == np.int64
        np.testing.assert_array_equal(got._data, want.numpy())
    assert int(L.matrix_rank(gu.eye(3), 0.5)) == int(TL.matrix_rank(torch.eye(3), 0.5))
    assert int(L.matrix_rank(gu.zeros(0, 3))) == 0
    raises_like(lambda: L.matrix_rank(gu.ones(3)), lambda: TL.matrix_rank(torch.ones(3)))
    raises_like(
        lambda: L.matrix_rank(gu.eye(2, dtype=gu.int64)),
        lambda: TL.matrix_rank(torch.eye(2, dtype=torch.int64)),
    )


# --------------------------------------------------------------------------- lstsq
@pytest.mark.parametrize("driver", [None, "gels", "gelsd", "gelss"])
@pytest.mark.parametrize(
    "a_shape, b_shape",
    [((5, 3), (5, 2)), ((2, 5, 3), (2, 5)), ((3, 5), (3, 2)), ((1, 5, 3), (3, 5, 2))],
)
def test_lstsq_matches_torch(driver, a_shape, b_shape):
    a, b = rand(*a_shape, seed=20), rand(*b_shape, seed=21)

    def loss(o, t):
        out = (o.solution**3).sum()
        return out + o.residuals.sum() if o.residuals.shape[0] else out

    for dtype in (np.float64, np.float32):
        arrays = [a.astype(dtype), b.astype(dtype)]
        check_outputs(
            lambda x, y: L.lstsq(x, y, driver=driver),
            lambda x, y: TL.lstsq(x, y, driver=driver),
            arrays,
            loss,
        )
    inputs = [gu.tensor(a, requires_grad=True), gu.tensor(b, requires_grad=True)]
    gradcheck(lambda x, y: L.lstsq(x, y, driver=driver).solution, inputs)


def test_lstsq_rank_deficient_and_empty_and_bad_input():
    a, b = np.ones((5, 3)), rand(5, 2, seed=22)
    for driver in ("gelsd", "gelsy"):
        got, want = (
            L.lstsq(gu.tensor(a), gu.tensor(b), driver=driver),
            TL.lstsq(torch.tensor(a), torch.tensor(b), driver=driver),
        )
        assert_close(got.solution, want.solution)  # the minimum-norm solution
        assert int(got.rank) == int(want.rank) and got.residuals.shape == (0,)
    check_outputs(
        lambda x, y: L.lstsq(x, y, rcond=0.1, driver="gelsd"),
        lambda x, y: TL.lstsq(x, y, rcond=0.1, driver="gelsd"),
        [a, b],
        None,
    )
    for shapes in [((0, 3), (0, 2)), ((5, 0), (5, 2))]:
        arrays = [np.zeros(shapes[0]), rand(*shapes[1], seed=23)]
        check_outputs(
            lambda x, y: L.lstsq(x, y, driver="gelsd"),
            lambda x, y: TL.lstsq(x, y, driver="gelsd"),
            arrays,
            None,
        )
    for call in [
        lambda m: m.linalg.lstsq(m.ones(5, 3), m.ones(5, 2), driver="x"),
        lambda m: m.linalg.lstsq(m.ones(5, 3), m.ones(4, 2)),
        lambda m: m.linalg.lstsq(m.ones(5, 3), m.ones(4)),
        lambda m: m.linalg.lstsq(m.ones(5, 3), m.ones(2, 2, 5, 2)),
        lambda m: m.linalg.lstsq(m.ones(5), m.ones(5)),
        lambda m: m.linalg.lstsq(m.ones(5, 3), m.ones(5, 2, dtype=m.float64)),
        lambda m: m.linalg.lstsq(m.ones(2, 2, dtype=m.int64), m.ones(2, 2, dtype=m.int64)),
    ]:
        same_error(call)


# ---------------------------------------------------------------------------- cond
@pytest.mark.parametrize("p", [None, 2, -2, 1, -1, float("inf"), -float("inf"), "fro", "nuc"])
def test_cond_matches_torch(p):
    a = well(3, 2, seed=24)
    if p in (None, 2, -2, "nuc"):
        ladder(lambda t: L.cond(t, p), lambda t: TL.cond(t, p), a)
        if p != "nuc":  # any shape
            check_op(lambda t: L.cond(t, p), lambda t: TL.cond(t, p), rand(2, 3, 4, seed=25))
    else:  # torch's backward fails here (it fills its inverse in place): forward only
        ladder(
            lambda t: L.cond(t, p), lambda t: TL.cond(t, p), a, check_gradients=False, grad=[False]
        )
        gradcheck(lambda t: L.cond(t, p), [gu.tensor(a, requires_grad=True)])
    check_op(lambda t: L.cond(t, p), lambda t: TL.cond(t, p), np.zeros((2, 0, 0)))


def test_cond_of_singular_matrices_and_bad_input():
    singular = np.stack([np.eye(2), np.zeros((2, 2))])
    for p in (None, 1, "fro"):
        check_op(lambda t, p=p: L.cond(t, p), lambda t, p=p: TL.cond(t, p), singular, grad=[False])
    for call in [
        lambda m: m.linalg.cond(m.eye(2), 3),
        lambda m: m.linalg.cond(m.eye(2), "x"),
        lambda m: m.linalg.cond(m.ones(3)),
        lambda m: m.linalg.cond(m.ones(2, 3), 1),
        lambda m: m.linalg.cond(m.ones(2, 3), "nuc"),
        lambda m: m.linalg.cond(m.eye(2, dtype=m.int64)),
    ]:
        err = same_error(call)
        assert "linalg" in str(err)
    check_op(lambda t: L.cond(t, -2), lambda t: TL.cond(t, -2), np.ones((2, 3)), grad=[False])


def test_cond_of_a_single_singular_matrix_in_every_norm():
    for p in (1, -1, float("inf"), "fro", "nuc"):
        check_op(
            lambda t, p=p: L.cond(t, p),
            lambda t, p=p: TL.cond(t, p),
            np.zeros((2, 2)),
            grad=[False],
        )
        check_op(lambda t, p=p: L.cond(t, p), lambda t, p=p: TL.cond(t, p), well(2), grad=[False])


@pytest.mark.parametrize(
    "call",
    [
        lambda m, x: m.linalg.svd(x),
        lambda m, x: m.linalg.svdvals(x),
        lambda m, x: m.linalg.pinv(x),
        lambda m, x: m.linalg.matrix_rank(x),
        lambda m, x: m.linalg.cond(x),
        lambda m, x: m.linalg.cholesky(x),
    ],
)
def test_non_finite_input_raises_linalg_error_as_torch(call):
    nan = np.full((2, 2), np.nan)
    same_error(lambda m: call(m, m.tensor(nan)))


def test_non_finite_input_propagates_where_torch_does_not_raise():
    nan = np.full((2, 2), np.nan)
    for op in ("det", "inv", "eigvalsh", "matrix_exp"):
        got, want = getattr(L, op)(gu.tensor(nan)), getattr(TL, op)(torch.tensor(nan))
        assert np.isnan(got._data).all() and np.isnan(want.numpy()).all()

"""groundup.linalg's determinants, inverses, solvers and factorizations against torch: det,
slogdet, logdet, inv(_ex), solve(_ex), cholesky(_ex), cholesky_solve/inverse, lu_factor(_ex),
lu, lu_solve, solve_triangular. Forward, backward, gradcheck, batches, broadcasting, empty
matrices, singular inputs (LinAlgError) and the info codes of the _ex ops."""

import numpy as np
import pytest
import torch

import groundup as gu
from groundup.inspect import gradcheck
from tests.linalg_cases import check_outputs, raises_like, rand, same_error, spd, sym, well
from tests.oracle import assert_close, check_op
from tests.strategies import ladder

L, TL = gu.linalg, torch.linalg
SINGULAR = np.array([[1.0, 2.0], [2.0, 4.0]])


def test_linalg_error_is_a_runtime_error_as_in_torch():
    assert issubclass(gu.linalg.LinAlgError, RuntimeError)
    assert issubclass(torch.linalg.LinAlgError, RuntimeError)


# ------------------------------------------------------------------ det and slogdet
@pytest.mark.parametrize("batch", [(), (2,), (2, 3)])
def test_det_and_logdet_match_torch(batch):
    ladder(L.det, TL.det, well(3, *batch))
    ladder(gu.logdet, torch.logdet, spd(3, *batch))
    ladder(gu.det, torch.det, well(2, *batch), check_gradients=False)


def test_slogdet_matches_torch_with_negative_determinants():
    a = well(3, 4, seed=1)
    a[1] = a[1][[1, 0, 2]]  # a row swap flips the sign
    check_outputs(L.slogdet, TL.slogdet, [a], lambda o, t: o.logabsdet.sum() + o.sign.sum() * 0)
    check_outputs(gu.slogdet, torch.slogdet, [a.astype(np.float32)], lambda o, t: o[1].sum())
    gradcheck(lambda x: L.slogdet(x).logabsdet, [gu.tensor(a, requires_grad=True)])
    assert type(gu.slogdet(gu.tensor(a))).__name__ == "SlogdetResult"
    check_op(gu.logdet, torch.logdet, a)  # nan where det < 0, and no gradient there


def test_det_of_a_singular_matrix_has_torchs_zero_gradient_and_slogdet_minus_inf():
    batch = np.stack([SINGULAR, np.eye(2) * 2])
    check_op(L.det, TL.det, batch)
    sign, logabsdet = L.slogdet(gu.tensor(SINGULAR))
    assert float(sign) == 0 and float(logabsdet) == -np.inf
    assert float(gu.logdet(gu.tensor(SINGULAR))) == -np.inf


def test_det_slogdet_of_empty_matrices_are_one_and_zero():
    check_op(L.det, TL.det, np.zeros((0, 0)))
    check_op(L.det, TL.det, np.zeros((3, 0, 0)))
    check_outputs(L.slogdet, TL.slogdet, [np.zeros((2, 0, 0))], lambda o, t: o[1].sum())


def test_det_of_a_transposed_view_and_the_methods():
    a = well(3, seed=2)
    check_op(lambda t: L.det(t.mT), lambda t: TL.det(t.mT), a)
    x = gu.tensor(a)
    assert_close(x.det(), np.linalg.det(a))
    assert_close(x.logdet(), np.log(np.linalg.det(a)))
    assert_close(x.slogdet()[1], np.log(abs(np.linalg.det(a))))


# ------------------------------------------------------------------------- inverse
@pytest.mark.parametrize("batch", [(), (3,), (2, 2)])
def test_inv_matches_torch(batch):
    ladder(L.inv, TL.inv, well(3, *batch))
    ladder(gu.inverse, torch.inverse, well(2, *batch), check_gradients=False)
    ladder(lambda t: t.inverse(), lambda t: t.inverse(), well(2, *batch), check_gradients=False)


def test_inv_of_singular_raises_linalg_error_naming_the_batch_element():
    batch = np.stack([np.eye(2), SINGULAR])
    err = raises_like(lambda: L.inv(gu.tensor(batch)), lambda: TL.inv(torch.tensor(batch)))
    assert "(Batch element 1)" in str(err) and "singular" in str(err)
    raises_like(lambda: gu.inverse(gu.zeros(2, 2)), lambda: torch.inverse(torch.zeros(2, 2)))


def test_inv_ex_reports_info_instead_of_raising():
    batch = np.stack([np.eye(2), SINGULAR, np.zeros((2, 2))])
    got, want = L.inv_ex(gu.tensor(batch)), TL.inv_ex(torch.tensor(batch))
    assert got.info.dtype == np.int32
    np.testing.assert_array_equal(got.info._data, want.info.numpy())
    assert_close(got.inverse[0], want.inverse[0])
    assert not np.isfinite(got.inverse._data[1]).all()
    raises_like(
        lambda: L.inv_ex(gu.tensor(batch), check_errors=True),
        lambda: TL.inv_ex(torch.tensor(batch), check_errors=True),
    )
    assert L.inv_ex(gu.eye(2)).info.shape == ()


def test_inverse_of_empty_and_an_output_changed_in_place():
    check_op(L.inv, TL.inv, np.zeros((0, 0)))
    check_op(L.inv, TL.inv, np.zeros((0, 3, 3)))
    x = gu.tensor(well(2), requires_grad=True)
    y = L.inv(x)
    y.add_(1)  # backward reads the inverse: torch raises, so does groundup
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.sum().backward()


# --------------------------------------------------------------------------- solve
@pytest.mark.parametrize(
    "a_shape, b_shape, left",
    [
        ((3, 3), (3, 2), True),
        ((3, 3), (3,), True),  # a vector
        ((2, 3, 3), (2, 3), True),  # a batch of vectors: B.shape == A.shape[:-1]
        ((2, 3, 3), (3,), True),
        ((3, 1, 3, 3), (4, 3, 2), True),  # broadcast batch dims
        ((2, 3, 3), (2, 4, 3), False),  # X A = B
    ],
)
def test_solve_matches_torch(a_shape, b_shape, left):
    a = rand(*a_shape) + 3 * np.eye(3)
    b = rand(*b_shape, seed=1)
    ladder(lambda x, y: L.solve(x, y, left=left), lambda x, y: TL.solve(x, y, left=left), a, b)


def test_solve_singular_raises_and_solve_ex_gives_info():
    a = np.stack([np.eye(2), np.zeros((2, 2))])
    b = np.ones((2, 2, 1))
    err = raises_like(
        lambda: L.solve(gu.tensor(a), gu.tensor(b)),
        lambda: TL.solve(torch.tensor(a), torch.tensor(b)),
    )
    assert "(Batch element 1)" in str(err)
    got, want = (
        L.solve_ex(gu.tensor(a), gu.tensor(b)),
        TL.solve_ex(torch.tensor(a), torch.tensor(b)),
    )
    np.testing.assert_array_equal(got.info._data, want.info.numpy())
    assert_close(got.result[0], want.result[0])


@pytest.mark.parametrize(
    "a, b, left",
    [
        (np.eye(2), np.ones((3, 1)), True),  # rows of B != n
        (np.eye(2), np.ones(2), False),  # a vector cannot be X in XA = B
        (np.eye(2), np.ones((2, 2), np.float32), True),  # dtypes differ
        (np.eye(2, dtype=np.int64), np.ones((2, 1), np.int64), True),
        (np.ones((2, 3)), np.ones((2, 1)), True),  # not square
        (np.ones(2), np.ones(2), True),  # not a matrix
    ],
)
def test_solve_bad_input_raises_like_torch(a, b, left):
    raises_like(
        lambda: L.solve(gu.tensor(a), gu.tensor(b), left=left),
        lambda: TL.solve(torch.tensor(a), torch.tensor(b), left=left),
    )


def test_solve_of_empty_systems():
    check_op(L.solve, TL.solve, np.zeros((0, 0)), np.zeros((0, 2)))
    check_op(L.solve, TL.solve, well(2), np.zeros((2, 0)))


# ------------------------------------------------------------------------ cholesky
@pytest.mark.parametrize("upper", [False, True])
@pytest.mark.parametrize("batch", [(), (2,)])
def test_cholesky_matches_torch(upper, batch):
    a = spd(3, *batch)
    ladder(lambda t: L.cholesky(sym(t), upper=upper), lambda t: TL.cholesky(sym(t), upper=upper), a)
    check_op(lambda t: L.cholesky(t, upper=upper), lambda t: TL.cholesky(t, upper=upper), a)


def test_cholesky_reads_one_triangle_as_torch():
    a = np.array([[4.0, 1.0], [3.0, 5.0]])  # not symmetric: lower reads 3, upper reads 1
    for upper in (False, True):
        check_op(
            lambda t, upper=upper: L.cholesky(t, upper=upper),
            lambda t, upper=upper: TL.cholesky(t, upper=upper),
            a,
        )


def test_cholesky_not_positive_definite_and_cholesky_ex():
    bad = np.stack([np.eye(2), np.array([[1.0, 2.0], [2.0, 1.0]])])
    err = raises_like(lambda: L.cholesky(gu.tensor(bad)), lambda: TL.cholesky(torch.tensor(bad)))
    assert "(Batch element 1)" in str(err) and "order 2" in str(err)
    got, want = L.cholesky_ex(gu.tensor(bad)), TL.cholesky_ex(torch.tensor(bad))
    np.testing.assert_array_equal(got.info._data, want.info.numpy())
    assert_close(got.L, want.L)  # LAPACK's partial factorization, as torch returns it
    raises_like(
        lambda: L.cholesky_ex(gu.tensor(bad), check_errors=True),
        lambda: TL.cholesky_ex(torch.tensor(bad), check_errors=True),
    )
    check_op(L.cholesky, TL.cholesky, np.zeros((0, 0)))


def test_torch_cholesky_solve_and_inverse_match_torch():
    a = spd(3, 2)
    low = np.linalg.cholesky(a)
    b = rand(2, 3, 2, seed=3)
    for upper in (False, True):
        f = np.swapaxes(low, -1, -2).copy() if upper else low

        def tri(t, upper=upper):  # torch's gradient for the factor is a full matrix: the
            return t.triu() if upper else t.tril()  # finite differences see one triangle

        ladder(
            lambda x, y, upper=upper: gu.cholesky_solve(x, y, upper),
            lambda x, y, upper=upper: torch.cholesky_solve(x, y, upper),
            b,
            f,
            check_gradients=False,
        )
        ladder(
            lambda y, upper=upper: gu.cholesky_inverse(y, upper),
            lambda y, upper=upper: torch.cholesky_inverse(y, upper),
            f[0],
            check_gradients=False,
        )
        inputs = [gu.tensor(b, requires_grad=True), gu.tensor(f, requires_grad=True)]
        gradcheck(lambda x, y, upper=upper: gu.cholesky_solve(x, tri(y), upper), inputs)
        gradcheck(lambda y, upper=upper: gu.cholesky_inverse(tri(y), upper), inputs[1:])
    check_op(gu.cholesky_solve, torch.cholesky_solve, rand(4, 1, 3, 2), low)  # broadcast
    with pytest.warns(UserWarning, match="deprecated"):
        assert_close(gu.cholesky(gu.tensor(a)), np.linalg.cholesky(a))
    x = gu.tensor(b)
    assert_close(x.cholesky_solve(gu.tensor(low)), np.linalg.solve(a, b))
    assert_close(gu.tensor(low[0]).cholesky_inverse(), np.linalg.inv(a[0]))


@pytest.mark.parametrize(
    "call",
    [
        lambda m: m.cholesky_solve(m.ones(2), m.eye(2)),
        lambda m: m.cholesky_solve(m.ones(3, 4), m.eye(2)),
        lambda m: m.cholesky_solve(m.ones(2, 4), m.eye(2, dtype=m.float64)),
        lambda m: m.cholesky_inverse(m.ones(2, 3)),
        lambda m: m.cholesky_inverse(m.eye(2, dtype=m.int64)),
        lambda m: m.linalg.cholesky(m.eye(2, dtype=m.int64)),
        lambda m: m.linalg.cholesky(m.eye(2, dtype=m.float16)),
        lambda m: m.linalg.cholesky(m.ones(2, 3)),
    ],
)
def test_cholesky_bad_input_raises_like_torch(call):
    same_error(call)


# ------------------------------------------------------------------------------ LU
@pytest.mark.parametrize("shape", [(3, 3), (2, 4, 4), (4, 2), (2, 3, 5)])
def test_lu_factor_and_lu_match_torch(shape):
    a = rand(*shape, seed=4)
    got, want = L.lu_factor(gu.tensor(a)), TL.lu_factor(torch.tensor(a))
    assert got.pivots.dtype == np.int32  # LAPACK's 1-based pivots
    np.testing.assert_array_equal(got.pivots._data, want.pivots.numpy())
    ladder(lambda t: L.lu_factor(t).LU, lambda t: TL.lu_factor(t).LU, a)
    check_outputs(L.lu, TL.lu, [a], lambda o, t: (o.L**3).sum() + (o.U * o.U).sum() + o.P.sum())
    check_outputs(L.lu, TL.lu, [a.astype(np.float32)], lambda o, t: (o.L * o.U[..., :1, :1]).sum())
    gradcheck(lambda t: L.lu(t)[1:], [gu.tensor(a, requires_grad=True)])
    P, Lo, U = L.lu(gu.tensor(a))
    assert not P.requires_grad
    assert_close(P @ Lo @ U, a)


def test_lu_factor_of_singular_matrices_and_lu_factor_ex():
    a = np.stack([np.array([[1.0, 2.0], [3.0, 4.0]]), np.array([[0.0, 0.0], [0.0, 1.0]])])
    err = raises_like(lambda: L.lu_factor(gu.tensor(a)), lambda: TL.lu_factor(torch.tensor(a)))
    assert "(Batch element 1)" in str(err) and "U[1,1]" in str(err)
    got, want = L.lu_factor_ex(gu.tensor(a)), TL.lu_factor_ex(torch.tensor(a))
    for g, t in zip(got, want, strict=True):
        np.testing.assert_array_equal(g._data, t.numpy())
    check_outputs(L.lu, TL.lu, [np.zeros((2, 2))], None)  # lu does not raise
    for shape in [(0, 0), (0, 3), (2, 0)]:
        check_outputs(L.lu_factor_ex, TL.lu_factor_ex, [np.zeros(shape)], None)


@pytest.mark.parametrize(
    "call",
    [
        lambda m: m.linalg.lu_factor(m.ones(2)),
        lambda m: m.linalg.lu_factor(m.eye(2, dtype=m.int64)),
        lambda m: m.linalg.lu_factor(m.eye(2), pivot=False),
        lambda m: m.linalg.lu(m.ones(2)),
        lambda m: m.linalg.lu_solve(m.eye(2), m.ones(2, dtype=m.int64), m.ones(2, 1)),
        lambda m: m.linalg.lu_solve(m.eye(2), m.ones(2, dtype=m.int32), m.ones(3, 1)),
        lambda m: m.linalg.lu_solve(m.eye(2), m.ones(1, dtype=m.int32), m.ones(2, 1)),
        lambda m: m.linalg.lu_solve(m.eye(2), m.ones(2, dtype=m.int32), m.ones(2)),
        lambda m: m.linalg.lu_solve(m.ones(2, 3), m.ones(2, dtype=m.int32), m.ones(2, 1)),
    ],
)
def test_lu_bad_input_raises_like_torch(call):
    same_error(call)


@pytest.mark.parametrize("left", [True, False])
@pytest.mark.parametrize("adjoint", [False, True])
def test_lu_solve_matches_torch(left, adjoint):
    a, b = well(3, 2, seed=5), rand(2, 3, 2, seed=6)
    b = b if left else np.swapaxes(b, -1, -2).copy()

    def run(lib, A, B):
        return lib.lu_solve(*lib.lu_factor(A), B, left=left, adjoint=adjoint)

    ladder(lambda x, y: run(L, x, y), lambda x, y: run(TL, x, y), a, b)


# ---------------------------------------------------------------- solve_triangular
@pytest.mark.parametrize("upper", [True, False])
@pytest.mark.parametrize("left", [True, False])
@pytest.mark.parametrize("unitriangular", [False, True])
def test_solve_triangular_matches_torch(upper, left, unitriangular):
    a = well(3, 2, seed=7)  # full matrices: only one triangle may be read
    b = rand(2, 3, 4, seed=8) if left else rand(2, 4, 3, seed=8)

    def run(lib):
        return lambda x, y: lib.solve_triangular(
            x, y, upper=upper, left=left, unitriangular=unitriangular
        )

    ladder(run(L), run(TL), a, b)


def test_solve_triangular_broadcasts_and_divides_by_zero_without_raising():
    check_op(
        lambda x, y: L.solve_triangular(x, y, upper=True),
        lambda x, y: TL.solve_triangular(x, y, upper=True),
        well(2, 3, 1),
        rand(4, 2, 5),
    )
    x = L.solve_triangular(gu.zeros(2, 2), gu.ones(2, 1), upper=True)
    assert not np.isfinite(x._data).any()
    a, b = gu.tensor(well(2), dtype=gu.float32), gu.ones(2, 2, dtype=gu.float64)
    assert L.solve_triangular(a, b, upper=True).dtype == np.float32  # torch: A's dtype


@pytest.mark.parametrize(
    "call",
    [
        lambda m: m.linalg.solve_triangular(m.eye(2), m.ones(2, 1)),  # upper is required
        lambda m: m.linalg.solve_triangular(m.eye(2), m.ones(2), upper=True),
        lambda m: m.linalg.solve_triangular(m.eye(2), m.ones(3, 2), upper=True),
        lambda m: m.linalg.solve_triangular(m.ones(2, 3), m.ones(2, 2), upper=True),
        lambda m: m.linalg.solve_triangular(m.ones(2), m.ones(2, 2), upper=True),
        lambda m: m.linalg.solve_triangular(
            m.eye(2, dtype=m.int64), m.ones(2, 1, dtype=m.int64), upper=True
        ),
    ],
)
def test_solve_triangular_bad_input_raises_like_torch(call):
    same_error(call)


@pytest.mark.parametrize(
    "call",
    [
        lambda m: m.linalg.det(m.ones(2, 3)),
        lambda m: m.linalg.det(m.ones(3)),
        lambda m: m.linalg.det(m.eye(2, dtype=m.int64)),
        lambda m: m.linalg.det(m.eye(2, dtype=m.bool)),
        lambda m: m.linalg.det(m.eye(2, dtype=m.float16)),
        lambda m: m.linalg.slogdet(m.eye(2, dtype=m.float16)),
        lambda m: m.linalg.inv(m.eye(2, dtype=m.float16)),
        lambda m: m.linalg.inv(m.eye(2, dtype=m.int64)),
        lambda m: m.logdet(m.eye(2, dtype=m.int64)),
        lambda m: m.logdet(m.ones(2, 3)),
        lambda m: m.linalg.inv(m.ones(2, 3)),
    ],
)
def test_det_inv_bad_input_raises_like_torch(call):
    same_error(call)

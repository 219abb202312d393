"""torch.linalg's determinants, inverses, linear solves and the Cholesky factorization:
det, slogdet, inv, inv_ex, solve, solve_ex, cholesky, cholesky_ex.

Every op works on batches of matrices (..., n, n). The gradients come from the differential
of the inverse, d(A^{-1}) = -A^{-1} dA A^{-1}:

    det:    d det(A) = det(A) tr(A^{-1} dA)   ->  dL/dA = g det(A) A^{-T}   (Jacobi)
    slogdet: d log|det A| = tr(A^{-1} dA)      ->  dL/dA = g A^{-T}
    inv:    dL/dA = -A^{-T} G A^{-T}
    solve:  X = A^{-1} B, dX = A^{-1}(dB - dA X) ->  dL/dB = A^{-T} G,  dL/dA = -(dL/dB) X^T
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

from groundup.function import Function
from groundup.ops.linalg_core import (
    LinAlgError,
    MultiOutput,
    check_dtype,
    check_matrix,
    check_same_dtype,
    check_tensor,
    first_failure,
    outputs,
    potrf,
    swap,
    trsm,
)
from groundup.ops.linalg_core import (
    inv_ex as _inv_ex,
)
from groundup.ops.linalg_core import (
    solve_ex as _solve_ex,
)
from groundup.ops.shape import squeeze, unsqueeze
from groundup.tensor import Tensor

__all__ = [
    "cholesky",
    "cholesky_ex",
    "det",
    "inv",
    "inv_ex",
    "slogdet",
    "solve",
    "solve_ex",
]


class SlogdetResult(NamedTuple):
    sign: Tensor
    logabsdet: Tensor


class InvExResult(NamedTuple):
    inverse: Tensor
    info: Tensor


class SolveExResult(NamedTuple):
    result: Tensor
    info: Tensor


class CholeskyExResult(NamedTuple):
    L: Tensor
    info: Tensor


def _info(info: np.ndarray) -> Tensor:
    return Tensor._make(np.asarray(info, np.int32), False)


# ----------------------------------------------------------------------- Functions
class Det(Function):
    """det(A) of each matrix (..., n, n) -> (...), from the LU factorization (det(0x0) = 1).

    Jacobi's formula d det(A) = det(A) tr(A^{-1} dA) gives dL/dA = g det(A) A^{-T}. As in
    torch, a matrix whose LU factorization has an exact zero pivot (det(A) = 0) gets a zero
    gradient (torch solves with the zero pivot replaced by eps and multiplies by det = 0),
    although a matrix of rank n - 1 has a nonzero one (its cofactor matrix)."""

    saves = (0,)
    saves_output = True

    def forward(self, a: np.ndarray) -> np.ndarray:
        self.a = a
        with np.errstate(invalid="ignore"):  # nan in, nan out
            self.out = np.asarray(np.linalg.det(a))
        return self.out

    def backward(self, grad: np.ndarray) -> np.ndarray:
        inverse, info = _inv_ex(self.a)
        inverse = np.where((info != 0)[..., None, None], 0, inverse)
        return (grad * self.out)[..., None, None] * swap(inverse)


class Slogdet(MultiOutput):
    """(sign, log|det A|) of each matrix; sign is 0 and log|det| -inf for a singular one.
    d log|det A| = tr(A^{-1} dA), so dL/dA = g A^{-T} (sign is piecewise constant: no
    gradient). A singular matrix gets inf/nan, as in torch."""

    saves = (0,)

    def forward(self, a: np.ndarray, extra: dict) -> np.ndarray:
        self.a = a
        sign, logabsdet = np.linalg.slogdet(a)
        return self.pack(extra, a.ndim - 2, np.asarray(sign), np.asarray(logabsdet))

    def backward(self, grad: np.ndarray) -> tuple[Any, None]:
        _, g = self.unpack(grad)
        inverse, _ = _inv_ex(self.a)
        return g[..., None, None] * swap(inverse), None


class Inv(Function):
    """A^{-1} of each matrix. d(A^{-1}) = -A^{-1} dA A^{-1}, so dL/dA = -A^{-T} G A^{-T}."""

    saves = ()
    saves_output = True

    def forward(self, a: np.ndarray, extra: dict) -> np.ndarray:
        self.out, extra["info"] = _inv_ex(a)
        return self.out

    def backward(self, grad: np.ndarray) -> tuple[Any, None]:
        inverse_t = swap(self.out)
        return -(inverse_t @ grad @ inverse_t), None


class Solve(Function):
    """X with A X = B (left) or X A = B, for A (..., n, n) and B (..., n, k) ((..., k, n)),
    batch dims broadcast. AX = B: dL/dB = A^{-T} G, dL/dA = -(dL/dB) X^T.
    XA = B (X = B A^{-1}): dL/dB = G A^{-T}, dL/dA = -X^T (dL/dB)."""

    saves = (0,)
    saves_output = True

    def forward(self, a: np.ndarray, b: np.ndarray, left: bool, extra: dict) -> np.ndarray:
        self.a, self.left = a, left
        if left:
            x, extra["info"] = _solve_ex(a, b)
        else:  # X A = B is A^T X^T = B^T
            xt, extra["info"] = _solve_ex(swap(a), swap(b))
            x = swap(xt)
        self.out = x
        return x

    def backward(self, grad: np.ndarray) -> tuple[Any, Any, None, None]:
        a, x = self.a, self.out
        if self.left:
            gb = _solve_ex(swap(a), grad)[0]
            ga = -gb @ swap(x)
        else:
            gb = swap(_solve_ex(a, swap(grad))[0])
            ga = -swap(x) @ gb
        return ga, gb, None, None


class Cholesky(Function):
    """L with A = L L^T from A's lower triangle (upper: U = L^T with A = U^T U, from the
    upper triangle). The gradient (Murray 2016, "Differentiation of the Cholesky
    decomposition"; torch's formula):

        Phi = tril(L^T G) with its diagonal halved,   dL/dA = sym(L^{-T} Phi L^{-1}),

    sym(X) = (X + X^T) / 2: the gradient is symmetric, as A is."""

    saves = ()
    saves_output = True

    def forward(self, a: np.ndarray, upper: bool, extra: dict) -> np.ndarray:
        # the upper factor of A is the transpose of the lower factor of A^T
        self.lower, extra["info"] = potrf(swap(a) if upper else a)
        self.upper = upper
        return swap(self.lower) if upper else self.lower

    def backward(self, grad: np.ndarray) -> tuple[Any, None, None]:
        low, n = self.lower, self.lower.shape[-1]
        g = swap(grad) if self.upper else grad
        phi = np.tril(swap(low) @ g)
        idx = np.arange(n)
        phi[..., idx, idx] *= 0.5
        low_inv = trsm(low, np.eye(n, dtype=low.dtype), lower=True)  # L^{-1}
        ga = swap(low_inv) @ phi @ low_inv
        return (ga + swap(ga)) * 0.5, None, None


# ------------------------------------------------------------------ functional API
def _raise_singular(op: str, info: np.ndarray) -> None:
    failed = first_failure(info)
    if failed:
        prefix, i = failed
        raise LinAlgError(
            f"{op}: {prefix}The diagonal element {i} is zero, the inversion could not be "
            "completed because the input matrix is singular."
        )


def det(A: Tensor) -> Tensor:
    """The determinant of each matrix (..., n, n) -> (...)."""
    check_matrix("linalg.det", A)
    return Det.apply(A)


def slogdet(A: Tensor) -> SlogdetResult:
    """(sign, log|det A|) of each matrix: the log-determinant without overflow."""
    check_matrix("linalg.slogdet", A, kind="lapack")
    (sign, logabsdet), _ = outputs(Slogdet, A)
    return SlogdetResult(sign, logabsdet)


def _inv(op: str, A: Tensor, check_errors: bool) -> InvExResult:
    check_matrix(op, A, kind="lapack")
    extra: dict[str, Any] = {}
    inverse = Inv.apply(A, extra)
    if check_errors:
        _raise_singular(op, extra["info"])
    return InvExResult(inverse, _info(extra["info"]))


def inv(A: Tensor) -> Tensor:
    """A^{-1} of each matrix; a singular one raises LinAlgError."""
    return _inv("linalg.inv", A, True).inverse


def inv_ex(A: Tensor, *, check_errors: bool = False) -> InvExResult:
    """(A^{-1}, info) without raising: info > 0 marks a singular matrix (its inverse holds
    inf/nan). check_errors=True raises as inv does."""
    return _inv("linalg.inv_ex", A, check_errors)


def _solve(op: str, A: Tensor, B: Tensor, left: bool, check_errors: bool) -> SolveExResult:
    check_matrix(op, A)
    check_tensor(op, B, "B")
    check_dtype(op, B, "B")
    check_same_dtype(op, A, B)
    if B.ndim == 0:
        raise RuntimeError(f"{op}: The input tensor B must have at least 1 dimension.")
    # torch's rule: B is a vector (or a batch of vectors) when B.shape == A.shape[:-1]
    vector = B.ndim == 1 or (B.ndim == A.ndim - 1 and B.shape == A.shape[:-1])
    B2 = unsqueeze(B, -1) if vector else B
    n, rows = A.shape[-1], B2.shape[-2] if left else B2.shape[-1]
    if rows != n:
        equation = "AX = B" if left else "XA = B"
        raise RuntimeError(
            f"{op}: Incompatible shapes of A and B for the equation {equation} "
            f"({n}x{n} and {B2.shape[-2]}x{B2.shape[-1]})"
        )
    try:
        np.broadcast_shapes(A.shape[:-2], B2.shape[:-2])
    except ValueError:
        raise RuntimeError(
            f"{op}: the batch dims of A {A.shape[:-2]} and B {B2.shape[:-2]} do not broadcast"
        ) from None
    extra: dict[str, Any] = {}
    X = Solve.apply(A, B2, left, extra)
    failed = first_failure(extra["info"]) if check_errors else None
    if failed:
        raise LinAlgError(
            f"torch.{op}: {failed[0]}The solver failed because the input matrix is singular."
        )
    return SolveExResult(squeeze(X, -1) if vector else X, _info(extra["info"]))


def solve(A: Tensor, B: Tensor, *, left: bool = True) -> Tensor:
    """X with A X = B (left=False: X A = B) for each matrix of A, batch dims broadcast. B may
    be a vector (n,) or a batch of vectors with B.shape == A.shape[:-1]."""
    return _solve("linalg.solve", A, B, left, True).result


def solve_ex(
    A: Tensor, B: Tensor, *, left: bool = True, check_errors: bool = False
) -> SolveExResult:
    """(X, info) without raising for a singular A (info > 0; X holds inf/nan)."""
    return _solve("linalg.solve_ex", A, B, left, check_errors)


def cholesky_factor(op: str, A: Tensor, upper: bool, check_errors: bool) -> CholeskyExResult:
    """The factor and info; raises LinAlgError when check_errors and a matrix is not
    positive-definite (torch.cholesky shares this with the linalg ops)."""
    extra: dict[str, Any] = {}
    factor = Cholesky.apply(A, upper, extra)
    failed = first_failure(extra["info"]) if check_errors else None
    if failed:
        prefix, order = failed
        raise LinAlgError(
            f"{op}: {prefix}The factorization could not be completed because the input is "
            f"not positive-definite (the leading minor of order {order} is not "
            "positive-definite)."
        )
    return CholeskyExResult(factor, _info(extra["info"]))


def cholesky(A: Tensor, *, upper: bool = False) -> Tensor:
    """L with A = L L^T for each symmetric positive-definite matrix, from its lower
    triangle (upper=True: U with A = U^T U, from the upper triangle)."""
    check_matrix("linalg.cholesky", A)
    return cholesky_factor("linalg.cholesky", A, upper, True).L


def cholesky_ex(A: Tensor, *, upper: bool = False, check_errors: bool = False) -> CholeskyExResult:
    """(L, info) without raising: info > 0 is the order of the leading minor that is not
    positive-definite (L is then LAPACK's partial factorization)."""
    check_matrix("linalg.cholesky", A)
    return cholesky_factor("linalg.cholesky_ex", A, upper, check_errors)

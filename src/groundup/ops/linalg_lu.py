"""torch.linalg's LU factorization and triangular solves: lu_factor, lu_factor_ex, lu,
lu_solve, solve_triangular.

LU is LAPACK's getrf: A = P L U with partial pivoting, for any (..., m, n); L is (m, k)
with a unit diagonal, U is (k, n), k = min(m, n). lu_factor returns L and U packed in one
matrix and the row swaps as torch's 1-based int32 pivots (row i was swapped with row
pivots[i]). The gradient of L and U is torch's (linalg_lu_backward, from
dA = P (dL U + L dU)): for a square A,

    dL/dA = P L^{-T} (tril(L^T G_L, -1) + triu(G_U U^T)) U^{-T},

and for a wide (tall) A the extra columns of U (rows of L) enter as in torch's derivation.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

from groundup.function import Function
from groundup.ops.linalg import matmul
from groundup.ops.linalg_core import (
    MultiOutput,
    check_dtype,
    check_matrix,
    check_tensor,
    first_failure,
    getrf,
    outputs,
    permutation,
    swap,
    trsm,
)
from groundup.ops.shape import transpose
from groundup.tensor import Tensor

__all__ = ["lu", "lu_factor", "lu_factor_ex", "lu_solve", "solve_triangular"]


class LUFactorResult(NamedTuple):
    LU: Tensor
    pivots: Tensor


class LUFactorExResult(NamedTuple):
    LU: Tensor
    pivots: Tensor
    info: Tensor


class LUResult(NamedTuple):
    P: Tensor
    L: Tensor
    U: Tensor


def _unpack(lu: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """L (..., m, k) with its unit diagonal and U (..., k, n) from getrf's packed LU."""
    m, n = lu.shape[-2:]
    k = min(m, n)
    low = np.tril(lu[..., :, :k], -1) + np.eye(m, k, dtype=lu.dtype)
    return low, np.triu(lu[..., :k, :])


def lu_backward(
    g_low: np.ndarray, g_up: np.ndarray, p: np.ndarray, low: np.ndarray, up: np.ndarray
) -> np.ndarray:
    """dL/dA from the gradients of L (..., m, k) and U (..., k, n): torch's formula."""
    m, n = low.shape[-2], up.shape[-1]
    k = min(m, n)
    if m == n:  # P L^{-T} [tril(L^T G_L, -1) + triu(G_U U^T)] U^{-T}
        ga = np.tril(swap(low) @ g_low, -1) + np.triu(g_up @ swap(up))
        ga = trsm(up, ga, lower=False, left=False, trans=True)  # ... U^{-T}
        ga = trsm(low, ga, lower=True, unit=True, trans=True)  # L^{-T} ...
    elif m < n:  # wide: U = [U1 | U2] with U1 (k, k)
        ga = np.tril(swap(low) @ g_low - np.triu(g_up) @ swap(up), -1)
        ga = trsm(up[..., :k], ga, lower=False, left=False, trans=True)
        ga = np.concatenate([ga + np.triu(g_up[..., :k]), g_up[..., k:]], axis=-1)
        ga = trsm(low, ga, lower=True, unit=True, trans=True)
    else:  # tall: L = [L1; L2] with L1 (k, k)
        ga = np.triu(g_up @ swap(up) - swap(low) @ np.tril(g_low, -1))
        ga = trsm(low[..., :k, :], ga, lower=True, unit=True, trans=True)
        ga = np.concatenate([ga + np.tril(g_low[..., :k, :], -1), g_low[..., k:, :]], axis=-2)
        ga = trsm(up, ga, lower=False, left=False, trans=True)
    return p @ ga


class LUFactor(Function):
    """getrf's packed LU (..., m, n); the pivots and info go to `extra`. The gradient of the
    packed matrix is that of L (its strict lower part) and U (its upper part)."""

    saves = ()
    saves_output = True

    def forward(self, a: np.ndarray, extra: dict) -> np.ndarray:
        self.out, self.piv, extra["info"] = getrf(a)
        extra["pivots"] = self.piv + 1  # LAPACK's 1-based pivots, as torch returns them
        return self.out

    def backward(self, grad: np.ndarray) -> tuple[Any, None]:
        low, up = _unpack(self.out)
        k = low.shape[-1]
        p = permutation(self.piv, low.shape[-2], low.dtype)
        g_low, g_up = np.tril(grad[..., :, :k], -1), np.triu(grad[..., :k, :])
        return lu_backward(g_low, g_up, p, low, up), None


class LU(MultiOutput):
    """(L, U) of A = P L U; P (no gradient) goes to `extra`."""

    saves = ()

    def forward(self, a: np.ndarray, extra: dict) -> np.ndarray:
        lu, piv, _ = getrf(a)
        self.low, self.up = _unpack(lu)
        self.p = extra["P"] = permutation(piv, a.shape[-2], a.dtype)
        return self.pack(extra, a.ndim - 2, self.low, self.up)

    def backward(self, grad: np.ndarray) -> tuple[Any, None]:
        g_low, g_up = self.unpack(grad)
        return lu_backward(g_low, g_up, self.p, self.low, self.up), None


class SolveTriangular(Function):
    """X with A X = B (left) or X A = B for a triangular A, read from its upper (lower)
    triangle, with ones on the diagonal if unitriangular. torch's gradient:
    dL/dB = A^{-T} G (X A = B: G A^{-T}), dL/dA = -(dL/dB) X^T (-X^T dL/dB) kept on the
    triangle that was read."""

    saves = (0,)
    saves_output = True

    def forward(
        self, a: np.ndarray, b: np.ndarray, upper: bool, left: bool, unit: bool
    ) -> np.ndarray:
        self.a, self.options = a, (upper, left, unit)
        self.out = trsm(a, b, lower=not upper, left=left, unit=unit)
        return self.out

    def backward(self, grad: np.ndarray) -> tuple[Any, Any, None, None, None]:
        upper, left, unit = self.options
        gb = trsm(self.a, grad, lower=not upper, left=left, unit=unit, trans=True)
        ga = -gb @ swap(self.out) if left else -swap(self.out) @ gb
        ga = np.triu(ga, int(unit)) if upper else np.tril(ga, -int(unit))
        return ga, gb, None, None, None


# ------------------------------------------------------------------ functional API
def _lu_input(op: str, A: Any, pivot: bool) -> None:
    check_tensor(op, A, "A")
    if A.ndim < 2:
        raise RuntimeError(
            f"{op}: Expected tensor with 2 or more dimensions. Got size: {list(A.shape)} instead"
        )
    check_dtype(op, A, "A", "kernel")
    if not pivot:
        raise RuntimeError(
            "linalg.lu_factor: LU without pivoting is not implemented on the CPU; use pivot=True"
        )


def _lu_factor(op: str, A: Tensor, pivot: bool, check_errors: bool) -> LUFactorExResult:
    _lu_input(op, A, pivot)
    extra: dict[str, Any] = {}
    packed = LUFactor.apply(A, extra)
    failed = first_failure(extra["info"]) if check_errors else None
    if failed:
        prefix, i = failed
        raise RuntimeError(
            f"torch.{op}: {prefix}U[{i},{i}] is zero and using it on lu_solve would result in "
            "a division by zero. If you still want to perform the factorization, consider "
            "calling linalg.lu(A, pivot) or linalg.lu_factor_ex(A, pivot)"
        )
    pivots = Tensor._make(extra["pivots"], False)
    return LUFactorExResult(packed, pivots, Tensor._make(extra["info"], False))


def lu_factor(A: Tensor, *, pivot: bool = True) -> LUFactorResult:
    """(LU, pivots): L and U of A = P L U packed in one matrix, and torch's 1-based int32
    pivots. A matrix with a zero on U's diagonal raises (use lu_factor_ex or lu)."""
    LU_, pivots, _ = _lu_factor("linalg.lu_factor", A, pivot, True)
    return LUFactorResult(LU_, pivots)


def lu_factor_ex(A: Tensor, *, pivot: bool = True, check_errors: bool = False) -> LUFactorExResult:
    """(LU, pivots, info): info > 0 is the 1-based index of the first zero on U's diagonal."""
    return _lu_factor("linalg.lu_factor_ex", A, pivot, check_errors)


def lu(A: Tensor, *, pivot: bool = True) -> LUResult:
    """(P, L, U) with A = P L U: P a permutation matrix (A's dtype, no gradient), L (m, k)
    lower triangular with a unit diagonal, U (k, n) upper triangular, k = min(m, n)."""
    _lu_input("linalg.lu", A, pivot)
    (L, U), extra = outputs(LU, A)
    return LUResult(Tensor._make(extra["P"], False), L, U)


def solve_triangular(
    A: Tensor, B: Tensor, *, upper: bool, left: bool = True, unitriangular: bool = False
) -> Tensor:
    """X with A X = B (left=False: X A = B) for a triangular A: only its upper (lower)
    triangle is read, and with unitriangular=True its diagonal is taken as ones. No check
    for a zero on the diagonal: X holds inf/nan then, as in torch."""
    op = "linalg.solve_triangular"
    check_matrix(op, A, kind="kernel")
    check_tensor(op, B, "B")
    check_dtype(op, B, "B", "kernel")
    if B.ndim < 2:
        raise RuntimeError(f"{op}: The input tensor B must have at least 2 dimensions.")
    n = A.shape[-1]
    if (B.shape[-2] if left else B.shape[-1]) != n:
        equation = "AX = B" if left else "XA = B"
        raise RuntimeError(
            f"{op}: Incompatible shapes of A and B for the equation {equation} "
            f"({n}x{n} and {B.shape[-2]}x{B.shape[-1]})"
        )
    try:
        np.broadcast_shapes(A.shape[:-2], B.shape[:-2])
    except ValueError:
        raise RuntimeError(
            f"{op}: the batch dims of A {A.shape[:-2]} and B {B.shape[:-2]} do not broadcast"
        ) from None
    if B.dtype != A.dtype:  # torch computes in A's dtype
        B = B.to(A.dtype)
    return SolveTriangular.apply(A, B, bool(upper), bool(left), bool(unitriangular))


def lu_solve(
    LU: Tensor, pivots: Tensor, B: Tensor, *, left: bool = True, adjoint: bool = False
) -> Tensor:
    """X with A X = B from lu_factor's (LU, pivots) (adjoint: A^T X = B; left=False:
    X A = B or X A^T = B). Two triangular solves and a permutation, so the gradient reaches
    LU through solve_triangular and B through all three."""
    op = "linalg.lu_solve"
    check_matrix(f"torch.{op}", LU, "A")
    check_dtype(op, LU, "LU", "kernel")
    check_tensor(op, pivots, "pivots")
    check_tensor(op, B, "B")
    if pivots.dtype != np.int32:
        raise RuntimeError(
            f"{op}: pivots should be a Tensor of scalar type torch.int32, got "
            f"{pivots.dtype}; pass lu_factor's pivots (or pivots.int())"
        )
    if B.ndim < 2:
        raise RuntimeError(f"{op}: The input tensor B must have at least 2 dimensions.")
    n = LU.shape[-1]
    if pivots.ndim == 0 or pivots.shape[-1] != n:
        raise RuntimeError(
            f"{op}: Number of pivots per batch should be same as the dimension of the matrix"
        )
    if (B.shape[-2] if left else B.shape[-1]) != n:
        equation = "AX = B" if left else "XA = B"
        raise RuntimeError(
            f"{op}: Incompatible shapes of A and B for the equation {equation} "
            f"({n}x{n} and {B.shape[-2]}x{B.shape[-1]})"
        )
    if not left:  # X A = B is A^T X^T = B^T (and X A^T = B is A X^T = B^T)
        return transpose(lu_solve(LU, pivots, transpose(B, -2, -1), adjoint=not adjoint), -2, -1)
    if B.dtype != LU.dtype:
        raise RuntimeError(f"{op}: LU and B must have the same dtype, got {LU.dtype} and {B.dtype}")
    piv = pivots._data.astype(np.intp) - 1
    if piv.size and (piv.min() < 0 or piv.max() >= n):
        raise RuntimeError(f"{op}: the pivots must be in [1, {n}] (lu_factor's 1-based pivots)")
    P = Tensor._make(permutation(piv, n, LU._data.dtype), False)
    if not adjoint:  # A = P L U:  X = U^{-1} L^{-1} P^T B
        Y = solve_triangular(LU, matmul(transpose(P, -2, -1), B), upper=False, unitriangular=True)
        return solve_triangular(LU, Y, upper=True)
    # A^T = U^T L^T P^T:  X = P L^{-T} U^{-T} B, with U^T and L^T the triangles of LU^T
    LUt = transpose(LU, -2, -1)
    Y = solve_triangular(LUt, B, upper=False)
    return matmul(P, solve_triangular(LUt, Y, upper=True, unitriangular=True))

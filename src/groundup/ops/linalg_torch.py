"""The linear algebra torch also has at its top level, each a Tensor method as well:
torch.det, logdet, slogdet, inverse, pinverse, trace, cross, matrix_exp, matrix_power,
cholesky, cholesky_solve, cholesky_inverse, svd, qr (groundup.linalg has the rest).

Most are torch.linalg ops under their older names and arguments (torch.svd returns V, not
Vh; torch.qr takes some=; torch.cross finds its dim). trace, cholesky_solve and
cholesky_inverse are Functions, with torch's gradients:

    trace:            dL/dA = g I
    cholesky_solve:   X = (L L^T)^{-1} B:  dL/dB = (L L^T)^{-1} G,
                      dL/dL = -(C + C^T) L with C = (dL/dB) X^T
    cholesky_inverse: P = (L L^T)^{-1}:    dL/dL = -P (G + G^T) P L
(U^T U and the transposed formulas with upper=True). torch's gradients for L are full
matrices, not restricted to the triangle that is read.
"""

from __future__ import annotations

import warnings
from typing import Any, NamedTuple

import numpy as np

from groundup.errors import UnsupportedDtypeError
from groundup.function import Function
from groundup.ops import linalg_decomp as _decomp
from groundup.ops import linalg_funcs as _funcs
from groundup.ops import linalg_lstsq as _lstsq
from groundup.ops import linalg_solve as _solve
from groundup.ops.elementwise import where
from groundup.ops.linalg_core import (
    batch_shape,
    check_dtype,
    check_matrix,
    check_tensor,
    swap,
    trsm,
    type_name,
)
from groundup.ops.linalg_funcs import matrix_exp, matrix_power
from groundup.ops.linalg_solve import det, slogdet
from groundup.ops.shape import transpose
from groundup.tensor import Tensor

__all__ = [
    "cholesky",
    "cholesky_inverse",
    "cholesky_solve",
    "cross",
    "det",
    "inverse",
    "logdet",
    "matrix_exp",
    "matrix_power",
    "pinverse",
    "qr",
    "slogdet",
    "svd",
    "trace",
]


class SVDOldResult(NamedTuple):
    U: Tensor
    S: Tensor
    V: Tensor


class QROldResult(NamedTuple):
    Q: Tensor
    R: Tensor


class Trace(Function):
    """The sum of the diagonal of a matrix (m, n); dL/dA = g I (m x n)."""

    saves = ()

    def forward(self, a: np.ndarray, dtype: Any) -> np.ndarray:
        self.shape = a.shape
        return np.asarray(np.trace(a, dtype=dtype))

    def backward(self, grad: np.ndarray) -> tuple[Any, None]:
        return grad * np.eye(*self.shape, dtype=grad.dtype), None


def _cho_solve(factor: np.ndarray, b: np.ndarray, upper: bool) -> np.ndarray:
    """(L L^T)^{-1} B (upper: (U^T U)^{-1} B) by two triangular solves."""
    y = trsm(factor, b, lower=not upper, trans=upper)  # L y = b  (U^T y = b)
    return trsm(factor, y, lower=not upper, trans=not upper)  # L^T x = y  (U x = y)


class CholeskySolve(Function):
    """X with A X = B for A = L L^T (U^T U) given its factor; batch dims broadcast."""

    saves = (1,)
    saves_output = True

    def forward(self, b: np.ndarray, factor: np.ndarray, upper: bool) -> np.ndarray:
        self.factor, self.upper = factor, upper
        self.out = _cho_solve(factor, b, upper)
        return self.out

    def backward(self, grad: np.ndarray) -> tuple[Any, Any, None]:
        gb = _cho_solve(self.factor, grad, self.upper)
        common = gb @ swap(self.out)
        common = common + swap(common)
        g_factor = -(self.factor @ common) if self.upper else -(common @ self.factor)
        return gb, g_factor, None


class CholeskyInverse(Function):
    """(L L^T)^{-1} (upper: (U^T U)^{-1}) from the factor."""

    saves = (0,)
    saves_output = True

    def forward(self, factor: np.ndarray, upper: bool) -> np.ndarray:
        self.factor, self.upper = factor, upper
        self.out = _cho_solve(factor, np.eye(factor.shape[-1], dtype=factor.dtype), upper)
        return self.out

    def backward(self, grad: np.ndarray) -> tuple[Any, None]:
        common = self.out @ (grad + swap(grad)) @ self.out
        return (-(self.factor @ common) if self.upper else -(common @ self.factor)), None


# ------------------------------------------------------------------ functional API
def logdet(input: Tensor) -> Tensor:  # noqa: A002
    """log det(A) of each matrix: nan where det(A) < 0, -inf where it is 0."""
    check_matrix("logdet", input, kind="lapack")
    sign, logabsdet = slogdet(input)
    return where(sign == -1, float("nan"), logabsdet)


def inverse(input: Tensor) -> Tensor:  # noqa: A002
    """torch.inverse: linalg.inv."""
    return _solve.inv(input)


def pinverse(input: Tensor, rcond: float = 1e-15) -> Tensor:  # noqa: A002
    """torch.pinverse: linalg.pinv with rtol=rcond (singular values at or below
    rcond * s_max count as zero)."""
    return _lstsq.pinv(input, atol=0.0, rtol=rcond)


def trace(input: Tensor) -> Tensor:  # noqa: A002
    """The sum of the diagonal of a 2-D tensor (integers sum to int64, as in torch)."""
    check_tensor("trace", input, "input")
    if input.ndim != 2:
        raise RuntimeError(f"trace: expected a matrix, but got tensor with dim {input.ndim}")
    if input.dtype == np.bool_:
        raise UnsupportedDtypeError("trace: not implemented for 'Bool'; cast to int or float first")
    dtype = np.int64 if input.dtype.kind in "iu" else input.dtype
    return Trace.apply(input, dtype)


def cross(input: Tensor, other: Tensor, dim: int | None = None) -> Tensor:  # noqa: A002
    """torch.cross: linalg.cross, except that dim=None (deprecated in torch) picks the
    first dim of size 3."""
    if dim is None:
        warnings.warn(
            "Using torch.cross without specifying the dim arg is deprecated. Please either "
            "pass the dim explicitly or simply use torch.linalg.cross.",
            UserWarning,
            stacklevel=2,
        )
        check_tensor("cross", input, "input")
        sizes = [i for i, n in enumerate(input.shape) if n == 3]
        if not sizes:
            raise RuntimeError("no dimension of size 3 in input")
        dim = sizes[0]
    return _funcs.cross(input, other, dim=dim)


def cholesky(input: Tensor, upper: bool = False) -> Tensor:  # noqa: A002
    """torch.cholesky (deprecated in torch): linalg.cholesky."""
    warnings.warn(
        "torch.cholesky is deprecated in favor of torch.linalg.cholesky and will be removed in "
        "a future PyTorch release.",
        UserWarning,
        stacklevel=2,
    )
    check_matrix("cholesky", input, kind="kernel")
    return _solve.cholesky_factor("cholesky", input, bool(upper), True).L


def _factor(op: str, factor: Any) -> None:
    check_tensor(op, factor, "input2")
    check_dtype(op, factor, "input2", "kernel")


def cholesky_solve(input: Tensor, input2: Tensor, upper: bool = False) -> Tensor:  # noqa: A002
    """X with A X = B for B = `input` and A = L L^T given its Cholesky factor L = `input2`
    (upper=True: U with A = U^T U). Batch dims broadcast."""
    op = "cholesky_solve"
    check_tensor(op, input, "input")
    check_dtype(op, input, "input", "kernel")
    _factor(op, input2)
    if input.ndim < 2:
        raise RuntimeError(
            f"b should have at least 2 dimensions, but has {input.ndim} dimensions instead"
        )
    if input2.ndim < 2:
        raise RuntimeError(
            f"u should have at least 2 dimensions, but has {input2.ndim} dimensions instead"
        )
    n = input2.shape[-1]
    if input2.shape[-2] != n or input.shape[-2] != n:
        raise RuntimeError(
            f"Incompatible matrix sizes for cholesky_solve: each A matrix is "
            f"{input2.shape[-2]} by {n} but each b matrix is {input.shape[-2]} by "
            f"{input.shape[-1]}"
        )
    if input.dtype != input2.dtype:
        raise RuntimeError(
            f"Expected b and A to have the same dtype, but found b of type "
            f"{type_name(input.dtype)} and A of type {type_name(input2.dtype)} instead."
        )
    batch_shape(op, input.shape[:-2], input2.shape[:-2])
    return CholeskySolve.apply(input, input2, bool(upper))


def cholesky_inverse(input: Tensor, upper: bool = False) -> Tensor:  # noqa: A002
    """A^{-1} for A = L L^T given its Cholesky factor L (upper=True: U with A = U^T U)."""
    check_matrix("cholesky_inverse", input, kind="kernel")
    return CholeskyInverse.apply(input, bool(upper))


def svd(input: Tensor, some: bool = True, compute_uv: bool = True) -> SVDOldResult:  # noqa: A002
    """torch.svd: (U, S, V) with A = U diag(S) V^T (V, not linalg.svd's Vh); some=False
    gives the full U and V. compute_uv=False: S only, U and V zero-filled (m, m), (n, n)."""
    if not compute_uv:
        S = _decomp.svdvals(input)
        m, n = input.shape[-2:]
        batch = input.shape[:-2]
        zeros = [Tensor._make(np.zeros(batch + (k, k), input.dtype), False) for k in (m, n)]
        return SVDOldResult(zeros[0], S, zeros[1])
    U, S, Vh = _decomp.svd(input, full_matrices=not some)
    return SVDOldResult(U, S, transpose(Vh, -2, -1))


def qr(input: Tensor, some: bool = True) -> QROldResult:  # noqa: A002
    """torch.qr (deprecated in torch): linalg.qr with mode 'reduced' (some=True) or
    'complete'."""
    warnings.warn(
        "torch.qr is deprecated in favor of torch.linalg.qr and will be removed in a future "
        "PyTorch release.",
        UserWarning,
        stacklevel=2,
    )
    return QROldResult(*_decomp.qr(input, "reduced" if some else "complete"))

"""torch.linalg's decompositions: eigh, eigvalsh, svd, svdvals, qr (eig and eigvals refuse:
their results are complex).

The gradients are torch's, from the differentials of the factors (Giles 2008, "An extended
collection of matrix derivative results"; Seeger et al. 2017; Townsend 2016 for the SVD;
Walter & Lehmann 2018 and Liao et al. 2019 for QR). Those of eigenvectors and singular
vectors divide by eigenvalue gaps (lambda_j - lambda_i, s_j^2 - s_i^2): they are finite only
for distinct eigenvalues (singular values), and torch returns inf/nan otherwise, as here.
When the loss uses only the eigenvalues (singular values), the gradient is V diag(g) V^T
(U diag(g) V^T), finite always. Vectors are defined up to sign, so only losses that do not
depend on the signs have a meaningful gradient.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

from groundup.function import Function
from groundup.ops.linalg_core import (
    MultiOutput,
    check_matrix,
    check_tensor,
    outputs,
    swap,
    trsm,
    unused,
)
from groundup.ops.linalg_core import svd as _svd
from groundup.tensor import Tensor, is_grad_enabled

__all__ = ["eig", "eigh", "eigvals", "eigvalsh", "qr", "svd", "svdvals"]


class EighResult(NamedTuple):
    eigenvalues: Tensor
    eigenvectors: Tensor


class SVDResult(NamedTuple):
    U: Tensor
    S: Tensor
    Vh: Tensor


class QRResult(NamedTuple):
    Q: Tensor
    R: Tensor


def _set_diagonal(a: np.ndarray, values: Any) -> np.ndarray:
    idx = np.arange(a.shape[-1])
    a[..., idx, idx] = values
    return a


# ------------------------------------------------------------------------ eigh
class Eigh(MultiOutput):
    """A = V diag(w) V^T for a symmetric A (read from one triangle); w ascending.

        dL/dA = V (diag(g_w) + skew(V^T G_V) / E) V^T,   E_ij = w_j - w_i,

    skew(X) = (X - X^T) / 2: the quotient is symmetric, and so is the gradient."""

    saves = ()

    def forward(self, a: np.ndarray, uplo: Any, extra: dict) -> np.ndarray:
        self.w, self.v = np.linalg.eigh(a, UPLO=uplo)
        return self.pack(extra, a.ndim - 2, self.w, self.v)

    def backward(self, grad: np.ndarray) -> tuple[Any, None, None]:
        gw, gv = self.unpack(grad)
        w, v = self.w, self.v
        if unused(gv):  # eigenvalues only: V diag(g_w) V^T
            return v @ (gw[..., :, None] * swap(v)), None, None
        k = swap(v) @ gv
        k = 0.5 * (k - swap(k))
        gaps = _set_diagonal(w[..., None, :] - w[..., :, None], 1)
        with np.errstate(divide="ignore", invalid="ignore"):  # repeated eigenvalues: inf/nan
            inner = _set_diagonal(k / gaps, gw)
        return v @ inner @ swap(v), None, None


class Eigvalsh(Function):
    """The eigenvalues of a symmetric matrix; dL/dA = V diag(g) V^T. The eigenvectors are
    computed only when a gradient is needed (as in torch)."""

    saves = ()

    def forward(self, a: np.ndarray, uplo: Any, vectors: bool) -> np.ndarray:
        if not vectors:
            return np.linalg.eigvalsh(a, UPLO=uplo)
        w, self.v = np.linalg.eigh(a, UPLO=uplo)
        return w

    def backward(self, grad: np.ndarray) -> tuple[Any, None, None]:
        return self.v @ (grad[..., :, None] * swap(self.v)), None, None


# ------------------------------------------------------------------------- SVD
def svd_backward(
    gu: np.ndarray, gs: np.ndarray, gvh: np.ndarray, u: np.ndarray, s: np.ndarray, vh: np.ndarray
) -> np.ndarray:
    """dL/dA for the reduced SVD A = U diag(s) Vh, U (m, k), Vh (k, n): torch's svd_backward.

    With J = skew(U^T G_U) = U^T G_U - G_U^T U, K = skew(Vh G_Vh^T), E_ij = s_j^2 - s_i^2:
        dL/dA = U [(J S + S K) / E + diag(g_s)] Vh
                + (I - U U^T) G_U S^{-1} Vh  (m > n)  + U S^{-1} G_Vh (I - V V^T)  (m < n)."""
    use_u, use_v = not unused(gu), not unused(gvh)
    m, n = u.shape[-2], vh.shape[-1]
    if not (use_u or use_v):  # singular values only
        return u @ (gs[..., :, None] * vh)
    s2 = s * s
    gaps = _set_diagonal(s2[..., None, :] - s2[..., :, None], 1)
    inner = np.zeros(gaps.shape, gaps.dtype)
    if use_u:
        j = swap(u) @ gu
        inner = (j - swap(j)) * s[..., None, :]
    if use_v:
        kv = vh @ swap(gvh)
        inner = inner + s[..., :, None] * (kv - swap(kv))
    with np.errstate(divide="ignore", invalid="ignore"):  # repeated singular values
        middle = inner / gaps + _set_diagonal(np.zeros_like(inner), gs)
        if m > n and use_u:  # the part of G_U outside the span of U
            gu_sinv = gu / s[..., None, :]
            return (u @ middle + gu_sinv - u @ (swap(u) @ gu_sinv)) @ vh
        if m < n and use_v:
            sinv_gvh = gvh / s[..., :, None]
            return u @ (middle @ vh + sinv_gvh - (sinv_gvh @ swap(vh)) @ vh)
    return u @ (middle @ vh) if m >= n else (u @ middle) @ vh


class SVD(MultiOutput):
    """(U, S, Vh); with full_matrices only the first k columns of U (rows of Vh) depend on A
    smoothly, and only their gradient is used (as in torch)."""

    saves = ()

    def forward(self, a: np.ndarray, full: bool, extra: dict) -> np.ndarray:
        self.u, self.s, self.vh = _svd(a, full_matrices=full)
        self.full = full
        return self.pack(extra, a.ndim - 2, self.u, self.s, self.vh)

    def backward(self, grad: np.ndarray) -> tuple[Any, None, None]:
        gu, gs, gvh = self.unpack(grad)
        u, s, vh = self.u, self.s, self.vh
        k = s.shape[-1]
        if self.full:
            u, vh, gu, gvh = u[..., :k], vh[..., :k, :], gu[..., :k], gvh[..., :k, :]
        return svd_backward(gu, gs, gvh, u, s, vh), None, None


class SvdVals(Function):
    """The singular values s of each matrix (..., m, n) -> (..., min(m, n)), descending.
    A = U diag(s) V^T, and ds_i = u_i^T dA v_i, so dL/dA = U diag(dL/ds) V^T."""

    saves = ()

    def forward(self, a: np.ndarray, vectors: bool) -> np.ndarray:
        if not vectors:
            return _svd(a, compute_uv=False)
        self.u, s, self.vh = _svd(a, full_matrices=False)
        return s

    def backward(self, grad: np.ndarray) -> tuple[Any, None]:
        return self.u @ (grad[..., :, None] * self.vh), None  # (..., m, k) @ (..., k, n)


# -------------------------------------------------------------------------- QR
def _qr_backward(q: np.ndarray, r: np.ndarray, gq: np.ndarray, gr: np.ndarray) -> np.ndarray:
    """dL/dA for A = Q R, m >= n (reduced):
    dL/dA = (G_Q + Q copyu(G_R R^T - Q^T G_Q)) R^{-T}, copyu(X) the symmetric matrix with
    X's upper triangle."""
    x = np.triu(gr @ swap(r) - swap(q) @ gq)
    sym = x + swap(x)
    idx = np.arange(x.shape[-1])
    sym[..., idx, idx] *= 0.5
    return trsm(r, gq + q @ sym, lower=False, left=False, trans=True)


class QR(MultiOutput):
    """(Q, R) of A = Q R by Householder reflections (LAPACK geqrf/orgqr)."""

    saves = ()

    q: np.ndarray
    r: np.ndarray

    def forward(self, a: np.ndarray, mode: Any, extra: dict) -> np.ndarray:
        self.mode = mode
        if mode == "r":
            self.r = np.asarray(np.linalg.qr(a, mode="r"))  # R alone
            return self.pack(extra, a.ndim - 2, self.r)
        self.q, self.r = np.linalg.qr(a, mode=mode)
        return self.pack(extra, a.ndim - 2, self.q, self.r)

    def backward(self, grad: np.ndarray) -> tuple[Any, None, None]:
        if self.mode == "r":
            raise RuntimeError(
                "The derivative of linalg.qr depends on Q, which is not computed when "
                "mode='r'. Please use linalg.qr(A, mode='reduced') if you are going to "
                "differentiate through linalg.qr."
            )
        gq, gr = self.unpack(grad)
        q, r = self.q, self.r
        m, n = q.shape[-2], r.shape[-1]
        if m > n and self.mode == "complete":
            raise RuntimeError(
                "The QR decomposition is not differentiable when mode='complete' and nrows > "
                "ncols; use mode='reduced'"
            )
        if m >= n:
            return _qr_backward(q, r, gq, gr), None, None
        # wide: A = [X | Y], X = Q R1 (m x m) and Y = Q R2, so R2 = Q^T Y
        y, g2 = q @ r[..., m:], gr[..., m:]
        gx = _qr_backward(q, r[..., :m], gq + y @ swap(g2), gr[..., :m])
        return np.concatenate([gx, q @ g2], axis=-1), None, None


# ------------------------------------------------------------------ functional API
def _uplo(op: str, UPLO: Any) -> str:
    if not isinstance(UPLO, str):
        raise TypeError(f"{op}(): argument 'UPLO' must be str, not {type(UPLO).__name__}")
    if UPLO.upper() not in ("L", "U"):
        raise RuntimeError(f"Expected UPLO argument to be 'L' or 'U', but got {UPLO}")
    return UPLO.upper()


def _wants_grad(A: Tensor) -> bool:
    return is_grad_enabled() and A.requires_grad


def eigh(A: Tensor, UPLO: str = "L") -> EighResult:
    """(eigenvalues, eigenvectors) of each symmetric matrix, read from its lower (UPLO='L')
    or upper triangle: A = V diag(w) V^T, w ascending, V's columns orthonormal."""
    check_matrix("linalg.eigh", A, kind="kernel")
    (w, v), _ = outputs(Eigh, A, _uplo("linalg_eigh", UPLO))
    return EighResult(w, v)


def eigvalsh(A: Tensor, UPLO: str = "L") -> Tensor:
    """The eigenvalues of each symmetric matrix, ascending."""
    check_matrix("linalg.eigvalsh", A, kind="kernel")
    return Eigvalsh.apply(A, _uplo("linalg_eigvalsh", UPLO), _wants_grad(A))


def _no_driver(driver: Any) -> None:
    if driver is not None:
        raise RuntimeError(
            "torch.linalg.svd: keyword argument `driver=` is only supported on CUDA inputs "
            "with cuSOLVER backend; leave it None"
        )


def svd(A: Tensor, full_matrices: bool = True, *, driver: str | None = None) -> SVDResult:
    """(U, S, Vh) with A = U diag(S) Vh, S descending. full_matrices=True: U (m, m) and Vh
    (n, n); False: U (m, k), Vh (k, n), k = min(m, n)."""
    check_matrix("linalg.svd", A, square=False)
    _no_driver(driver)
    (U, S, Vh), _ = outputs(SVD, A, bool(full_matrices))
    return SVDResult(U, S, Vh)


def svdvals(A: Tensor, *, driver: str | None = None) -> Tensor:
    """The singular values of each matrix, descending (..., min(m, n))."""
    check_matrix("linalg.svd", A, square=False)
    _no_driver(driver)
    return SvdVals.apply(A, _wants_grad(A))


def qr(A: Tensor, mode: str = "reduced") -> QRResult:
    """(Q, R) with A = Q R, Q's columns orthonormal, R upper triangular. mode='reduced':
    Q (m, k), R (k, n); 'complete': Q (m, m), R (m, n); 'r': R only (Q is empty)."""
    check_matrix("linalg.qr", A, square=False)
    if mode not in ("reduced", "complete", "r"):
        raise RuntimeError(
            f"qr received unrecognized mode '{mode}' but expected one of 'reduced' (default), "
            "'r', or 'complete'"
        )
    factors, _ = outputs(QR, A, mode)
    if mode == "r":
        return QRResult(Tensor._make(np.zeros(0, A.dtype), False), factors[0])
    return QRResult(*factors)


def _complex(op: str, A: Any) -> None:
    check_tensor(op, A, "A")
    raise NotImplementedError(
        f"{op}: the eigenvalues of a general real matrix are complex, and groundup has no "
        "complex dtype; for a symmetric matrix use linalg.eigh (eigenvalues and eigenvectors) "
        "or linalg.eigvalsh (eigenvalues only)"
    )


def eig(A: Tensor) -> Any:
    """Refused: the eigen-decomposition of a general matrix is complex (use eigh)."""
    _complex("linalg.eig", A)


def eigvals(A: Tensor) -> Any:
    """Refused: the eigenvalues of a general matrix are complex (use eigvalsh)."""
    _complex("linalg.eigvals", A)

"""torch.linalg's pseudo-inverse, rank and least squares: pinv, matrix_rank, lstsq.

All three look at the singular values s of A (|eigenvalues| with hermitian=True) and treat
those at or below tol = max(atol, rtol * s_max) as zero, with torch's defaults: atol = 0,
rtol = eps * max(m, n) (rtol = 0 when only a positive atol is given).

The gradient of the pseudo-inverse A^+ (for a constant rank: Golub & Pereyra 1973, torch's
pinv_backward) is, for m <= n, with K = G^T A^+,

    dL/dA = -(A^+ K)^T + K A^{+T} - A A^+ K A^{+T} + A^{+T} A^+ (G^T - K A)

(the transposed formula for m > n). lstsq's solution X = A^+ B takes its gradient from it;
its residuals ||A x_j - b_j||^2 are differentiated with X held fixed (their derivative in X
is zero at the least-squares solution), as in torch.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

from groundup.function import Function
from groundup.ops.linalg_core import (
    LinAlgError,
    MultiOutput,
    batch_shape,
    check_tensor,
    outputs,
    swap,
    type_name,
)
from groundup.ops.linalg_core import svd as _svd
from groundup.ops.shape import squeeze, unsqueeze
from groundup.tensor import Tensor

__all__ = ["lstsq", "matrix_rank", "pinv"]

DRIVERS = ("gels", "gelsy", "gelsd", "gelss")


class LstsqResult(NamedTuple):
    solution: Tensor
    residuals: Tensor
    rank: Tensor
    singular_values: Tensor


def _tolerances(a: np.ndarray, atol: Any, rtol: Any) -> tuple[np.ndarray, np.ndarray]:
    """atol and rtol as float64 arrays (numbers, or tensors that broadcast with the batch)."""

    def as64(v: Any) -> np.ndarray:
        return np.asarray(v._data if isinstance(v, Tensor) else v, np.float64)

    at = as64(0.0 if atol is None else atol)
    if rtol is None:
        default = np.finfo(a.dtype).eps * max(a.shape[-2:])
        rt = np.asarray(default) if atol is None else np.where(at > 0, 0.0, default)
    else:
        rt = as64(rtol)
    return at, rt


def _cutoff(s: np.ndarray, s_max: np.ndarray, atol: np.ndarray, rtol: np.ndarray) -> np.ndarray:
    return np.maximum(atol[..., None], rtol[..., None] * s_max)  # (..., 1), float64


def pinv_array(a: np.ndarray, atol: np.ndarray, rtol: np.ndarray, hermitian: bool) -> np.ndarray:
    """A^+ of each matrix (..., m, n) -> (..., n, m)."""
    m, n = a.shape[-2:]
    if a.size == 0:
        return np.zeros(a.shape[:-2] + (n, m), a.dtype)
    with np.errstate(divide="ignore"):
        if hermitian:  # A = V diag(w) V^T: A^+ = V diag(1 / w_i where |w_i| > tol) V^T
            w, v = np.linalg.eigh(a)
            s = np.abs(w)
            keep = s > _cutoff(s, s.max(-1, keepdims=True), atol, rtol)
            inv_s = np.where(keep, 1 / w, 0).astype(a.dtype)
            return (v * inv_s[..., None, :]) @ swap(v)
        u, s, vh = _svd(a, full_matrices=False)  # A^+ = V diag(1 / s_i) U^T
        inv_s = np.where(s > _cutoff(s, s[..., :1], atol, rtol), 1 / s, 0).astype(a.dtype)
    return (swap(vh) * inv_s[..., None, :]) @ swap(u)


def pinv_backward(g: np.ndarray, p: np.ndarray, a: np.ndarray) -> np.ndarray:
    """dL/dA from G = dL/dA^+ (..., n, m), P = A^+ and A (..., m, n): torch's formula."""
    ph, gh = swap(p), swap(g)
    if a.shape[-2] <= a.shape[-1]:
        k = gh @ p  # (m, m)
        k_ph = k @ ph
        return -swap(p @ k) + k_ph - (a @ p) @ k_ph + (ph @ p) @ (gh - k @ a)
    k = p @ gh  # (n, n)
    ph_k = ph @ k
    return -swap(k @ p) + (gh - a @ k) @ p @ ph + ph_k - ph_k @ p @ a


class Pinv(Function):
    """The Moore-Penrose pseudo-inverse A^+ (SVD, or eigh with hermitian=True)."""

    saves = (0,)
    saves_output = True

    def forward(
        self, a: np.ndarray, atol: np.ndarray, rtol: np.ndarray, hermitian: bool
    ) -> np.ndarray:
        self.a = a
        self.out = pinv_array(a, atol, rtol, hermitian)
        return self.out

    def backward(self, grad: np.ndarray) -> tuple[Any, None, None, None]:
        return pinv_backward(grad, self.out, self.a), None, None, None


class Lstsq(MultiOutput):
    """The least-squares solution X (..., n, k) of A X = B per matrix (LAPACK gelsd, through
    NumPy), and, when torch computes them, the residuals (..., k). rank and the singular
    values go to `extra`."""

    saves = (0, 1)

    def forward(
        self, a: np.ndarray, b: np.ndarray, rcond: float, driver: str, extra: dict
    ) -> np.ndarray:
        batch = np.broadcast_shapes(a.shape[:-2], b.shape[:-2])
        aa, bb = np.broadcast_to(a, batch + a.shape[-2:]), np.broadcast_to(b, batch + b.shape[-2:])
        (m, n), k = a.shape[-2:], b.shape[-1]
        x = np.zeros(batch + (n, k), a.dtype)
        res = np.zeros(batch + (k,), a.dtype)
        rank = np.zeros(batch, np.int64)
        sv = np.zeros(batch + (min(m, n),), a.dtype)
        for i in np.ndindex(batch):
            if m and n:
                try:
                    x[i], r, rank[i], sv[i] = np.linalg.lstsq(aa[i], bb[i], rcond=rcond)
                except np.linalg.LinAlgError:  # inf/nan in A or B
                    raise LinAlgError(
                        "torch.linalg.lstsq: the SVD did not converge: the input contains "
                        "non-finite values"
                    ) from None
                if r.size:  # LAPACK's residuals, given for a full-rank A with m > n
                    res[i] = r
        if n == 0:  # nothing to fit: the residual is all of B
            res = (bb * bb).sum(-2)
        # rank and singular values depend on A only: torch gives them A's batch shape
        pad = len(batch) - (a.ndim - 2)
        own = tuple(
            0 if d < pad or a.shape[d - pad] == 1 else slice(None) for d in range(len(batch))
        )
        extra["rank"] = rank[own].reshape(a.shape[:-2])
        extra["singular_values"] = sv[own].reshape(a.shape[:-2] + sv.shape[-1:])
        self.a, self.b, self.x = a, b, x
        full_rank = bool(np.all(rank == n))
        self.residuals = m > n and (driver == "gels" or driver != "gelsy" and full_rank)
        if self.residuals and driver == "gels" and not full_rank:  # not LAPACK's: computed
            r = aa @ x - bb
            res = (r * r).sum(-2)
        return self.pack(extra, len(batch), *((x, res) if self.residuals else (x,)))

    def backward(self, grad: np.ndarray) -> tuple[Any, Any, None, None, None]:
        gx, *g_res = self.unpack(grad)
        a, b, x = self.a, self.b, self.x
        p = pinv_array(a, *_tolerances(a, None, None), False)
        ga = pinv_backward(gx @ swap(b), p, a)  # X = A^+ B: dL/dA^+ = G_X B^T
        gb = swap(p) @ gx
        if g_res:  # r_j = ||A x_j - b_j||^2 at fixed X
            weighted = 2 * (a @ x - b) * g_res[0][..., None, :]
            ga, gb = ga + weighted @ swap(x), gb - weighted
        return ga, gb, None, None, None


# ------------------------------------------------------------------ functional API
def _float_input(op: str, A: Any, name: str) -> None:
    check_tensor(op, A, name)
    if A.dtype not in (np.float32, np.float64):
        raise RuntimeError(
            f"{op}: This function doesn't handle types other than float and double; got "
            f"{type_name(A.dtype)} (convert it: {name}.double())"
        )


def _tol_arguments(op: str, rcond: Any, atol: Any, rtol: Any, name: str) -> tuple[Any, Any]:
    """torch's old positional tolerance (`rcond` of pinv, `tol` of matrix_rank) and the
    keywords cannot be mixed."""
    if rcond is not None and (atol is not None or rtol is not None):
        raise TypeError(f"{op}(): pass either {name} or atol/rtol, not both")
    return atol, rtol


def pinv(
    A: Tensor,
    rcond: Any = None,
    hermitian: bool = False,
    *,
    atol: Any = None,
    rtol: Any = None,
) -> Tensor:
    """The pseudo-inverse A^+ (..., n, m) of each matrix. Singular values at or below
    max(atol, rtol * s_max) count as zero; `rcond` (torch's older argument) is rtol with
    atol = 0. hermitian=True uses the eigen-decomposition of a symmetric A."""
    op = "linalg.pinv"
    atol, rtol = _tol_arguments(op, rcond, atol, rtol, "rcond")
    if rcond is not None:
        atol, rtol = 0.0, rcond
    check_tensor(op, A, "A")
    if A.ndim < 2 or A.dtype not in (np.float32, np.float64):
        raise RuntimeError(
            f"{op}({type_name(A.dtype)}{list(A.shape)}): expected a tensor with 2 or more "
            "dimensions of float, double, cfloat or cdouble types"
        )
    at, rt = _tolerances(A._data, atol, rtol)
    return Pinv.apply(A, at, rt, bool(hermitian))


def matrix_rank(
    A: Tensor,
    tol: Any = None,
    hermitian: bool = False,
    *,
    atol: Any = None,
    rtol: Any = None,
) -> Tensor:
    """The number of singular values (|eigenvalues| with hermitian=True) above
    max(atol, rtol * s_max), int64, no gradient. `tol` (torch's older argument) is atol
    with rtol = 0."""
    op = "linalg.matrix_rank"
    atol, rtol = _tol_arguments(op, tol, atol, rtol, "tol")
    if tol is not None:
        atol, rtol = tol, 0.0
    check_tensor(op, A, "A")
    if A.ndim < 2:
        raise RuntimeError(f"torch.{op}: The input tensor input must have at least 2 dimensions.")
    _float_input(op, A, "A")
    a = A._data
    if min(a.shape[-2:]) == 0:
        return Tensor._make(np.zeros(a.shape[:-2], np.int64), False)
    at, rt = _tolerances(a, atol, rtol)
    s = np.abs(np.linalg.eigvalsh(a)) if hermitian else _svd(a, compute_uv=False)
    rank = (s > _cutoff(s, s.max(-1, keepdims=True), at, rt)).sum(-1)
    return Tensor._make(np.asarray(rank, np.int64), False)


def lstsq(
    A: Tensor, B: Tensor, rcond: float | None = None, *, driver: str | None = None
) -> LstsqResult:
    """The least-squares solution of A X = B for each matrix of A (..., m, n) and B
    (..., m, k) or (..., m): (solution, residuals, rank, singular_values).

    What is filled depends on `driver`, as in torch on the CPU (default 'gelsy'):
    residuals (the squared residual of each column) when m > n and every A has full rank
    (for 'gels' always, never for 'gelsy'); rank except for 'gels'; singular_values for
    'gelsd' and 'gelss'. The solution is the minimum-norm one (gelsd) for every driver."""
    op = "torch.linalg.lstsq"
    _float_input(op, A, "input")
    _float_input(op, B, "other")
    if A.ndim < 2:
        raise RuntimeError(f"{op}: input must have at least 2 dimensions.")
    if A.dtype != B.dtype:
        raise RuntimeError(
            f"{op}: Expected input and other to have the same dtype, but got input's dtype "
            f"{type_name(A.dtype)} and other's dtype {type_name(B.dtype)}"
        )
    diff = A.ndim - B.ndim
    if not 0 <= diff <= 1:
        raise RuntimeError(
            f"{op}: input.dim() must be greater or equal to other.dim() and (input.dim() - "
            "other.dim()) <= 1"
        )
    vector = diff == 1
    B2 = unsqueeze(B, -1) if vector else B
    if A.shape[-2] != B2.shape[-2]:
        which = "other.size(-1)" if vector else "other.size(-2)"
        raise RuntimeError(f"{op}: input.size(-2) should match {which}")
    driver = "gelsy" if driver is None else driver
    if driver not in DRIVERS:
        raise RuntimeError(f"{op}: parameter `driver` should be one of (gels, gelsy, gelsd, gelss)")
    batch_shape(op, A.shape[:-2], B2.shape[:-2])
    if rcond is None:
        rcond = float(np.finfo(A.dtype).eps) * max(A.shape[-2:])
    solved, extra = outputs(Lstsq, A, B2, float(rcond), driver)
    empty_int = np.zeros(0, np.int64)
    residuals = solved[1] if len(solved) > 1 else Tensor._make(np.zeros(0, A.dtype), False)
    rank = extra["rank"] if driver != "gels" else empty_int
    sv = extra["singular_values"] if driver in ("gelsd", "gelss") else np.zeros(0, A.dtype)
    return LstsqResult(
        squeeze(solved[0], -1) if vector else solved[0],
        residuals,
        Tensor._make(rank, False),
        Tensor._make(sv, False),
    )

"""groundup's torch.linalg: norms, decompositions, solvers and matrix functions, batched over
leading dims, with torch's signatures, dtypes, errors and gradients.

    gu.linalg.vector_norm(x)                  # sqrt(sum x_i^2) over all elements
    gu.linalg.vector_norm(x, ord=1, dim=-1)   # sum |x_i| along the last dim
    gu.linalg.matrix_norm(A, ord="nuc")       # the sum of the singular values of each matrix
    gu.linalg.solve(A, b)                     # x with A x = b
    L, V = gu.linalg.eigh(S)                  # S = V diag(L) V^T for a symmetric S

The norms and `cond` are here; the other ops live in groundup/ops/linalg_*.py (solve: det,
inv, solve, cholesky; lu: lu_factor, lu, solve_triangular; decomp: eigh, svd, qr; funcs:
matrix_power, matrix_exp, multi_dot, vecdot, cross; lstsq: pinv, matrix_rank, lstsq) and are
re-exported below. A singular (or not positive-definite) input raises `LinAlgError`, a
RuntimeError, as in torch.

Matrix norms are built from other ops, as torch builds them, so their gradients are the
same: 'fro' is the vector 2-norm over two dims; 1/-1 (inf/-inf) the largest/smallest
column (row) sum of |A|; 2/-2 the largest/smallest singular value and 'nuc' the sum of
the singular values, from NumPy's SVD.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from groundup.function import Function, normalize_dim
from groundup.ops.elementwise import masked_fill
from groundup.ops.linalg import matmul
from groundup.ops.linalg_core import LinAlgError, check_matrix, check_tensor
from groundup.ops.linalg_decomp import (
    eig,
    eigh,
    eigvals,
    eigvalsh,
    qr,
    svd,
    svdvals,
)
from groundup.ops.linalg_funcs import (
    cross,
    diagonal,
    matrix_exp,
    matrix_power,
    multi_dot,
    vecdot,
)
from groundup.ops.linalg_lstsq import lstsq, matrix_rank, pinv
from groundup.ops.linalg_lu import lu, lu_factor, lu_factor_ex, lu_solve, solve_triangular
from groundup.ops.linalg_solve import (
    cholesky,
    cholesky_ex,
    det,
    inv,
    inv_ex,
    slogdet,
    solve,
    solve_ex,
)
from groundup.ops.reduce import _axes, _regrow, amax, amin
from groundup.ops.reduce import sum as _sum
from groundup.tensor import Tensor

__all__ = [
    "LinAlgError",
    "cholesky",
    "cholesky_ex",
    "cond",
    "cross",
    "det",
    "diagonal",
    "eig",
    "eigh",
    "eigvals",
    "eigvalsh",
    "inv",
    "inv_ex",
    "lstsq",
    "lu",
    "lu_factor",
    "lu_factor_ex",
    "lu_solve",
    "matmul",
    "matrix_exp",
    "matrix_norm",
    "matrix_power",
    "matrix_rank",
    "multi_dot",
    "norm",
    "pinv",
    "qr",
    "slogdet",
    "solve",
    "solve_ex",
    "solve_triangular",
    "svd",
    "svdvals",
    "vecdot",
    "vector_norm",
]


def _sgn(x: np.ndarray) -> np.ndarray:
    """sign(x), with torch's sgn(nan) = 0."""
    return np.where(np.isnan(x), np.zeros((), x.dtype), np.sign(x))


class VectorNorm(Function):
    """||x||_p = (sum |x_i|^p)^(1/p); p = inf: max |x_i|, p = -inf: min |x_i|, p = 0: the
    number of nonzero x_i. The gradient, torch's (with the subgradient 0 where ||x|| = 0):

        d||x||_p / dx_i = sign(x_i) |x_i|^(p-1) / ||x||_p^(p-1)

    p = 2 gives x_i / ||x||, p = 1 gives sign(x_i); p = +-inf shares the gradient evenly
    between the elements that attain the max (min); p = 0 has no gradient.
    """

    saves = (0,)
    saves_output = True

    def forward(self, a: np.ndarray, ord: float, axes: tuple[int, ...], keepdim: bool) -> Any:
        self.a, self.ord, self.axes, self.keepdim = a, ord, axes, keepdim
        x = np.abs(a)
        with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
            if ord == math.inf:
                out = x.max(axis=axes, keepdims=True)
            elif ord == -math.inf:
                out = x.min(axis=axes, keepdims=True)
            elif ord == 0:
                out = (a != 0).sum(axis=axes, keepdims=True).astype(a.dtype)
            elif ord == 1:
                out = x.sum(axis=axes, keepdims=True)
            elif ord == 2:
                out = np.sqrt((x * x).sum(axis=axes, keepdims=True))
            else:  # negative p: a zero element makes the sum inf and the norm 0
                out = (x**ord).sum(axis=axes, keepdims=True) ** (1 / ord)
        self.norm = out  # (the input's shape, reduced axes of size 1)
        return out if keepdim else out.squeeze(axes)

    def backward(self, grad: np.ndarray) -> tuple[Any, ...]:
        p, x, norm = self.ord, self.a, self.norm
        g = _regrow(grad, self.axes, self.keepdim)
        zero = np.zeros((), x.dtype)
        with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
            if p == 0:
                dx = None
            elif p == 1:
                dx = _sgn(x) * g
            elif p == 2:
                dx = g * np.where(norm == 0, zero, x / norm)
            elif math.isinf(p):
                hits = (np.abs(x) == norm) | np.isnan(x)
                dx = _sgn(x) * (g / hits.sum(axis=self.axes, keepdims=True) * hits)
            elif p < 1:  # |x_i|^(p-1) is infinite at x_i = 0: that subgradient is 0
                scaled = _sgn(x) * np.where(x == 0, zero, np.abs(x) ** (p - 1))
                dx = scaled * g * norm ** (1 - p)
            else:
                scaled = _sgn(x) * np.abs(x) ** (p - 1) if p < 2 else x * np.abs(x) ** (p - 2)
                dx = scaled * np.where(norm == 0, zero, g / norm ** (p - 1))
        return dx, None, None, None


# ------------------------------------------------------------------ functional API
def _floating_input(op: str, x: Tensor, dtype: Any) -> Tensor:
    """torch's checks: a floating input, and `dtype=` only widens it (then it is cast)."""
    if not isinstance(x, Tensor):
        raise TypeError(f"{op}(): argument 'input' must be a Tensor, not {type(x).__name__}")
    if x._data.dtype.kind != "f":
        raise RuntimeError(
            f"{op}: expected a floating-point tensor as input, got dtype {x.dtype}; "
            "convert it first (x.float())"
        )
    if dtype is None:
        return x
    dtype = np.dtype(dtype)
    if dtype.kind != "f":
        raise RuntimeError(f"{op}: dtype= must be a floating-point type, got {dtype}")
    if dtype.itemsize < x._data.dtype.itemsize:
        raise RuntimeError(
            f"{op}: the input dtype {x.dtype} cannot be converted without narrowing to "
            f"dtype={dtype}; pass a wider dtype or convert the input first"
        )
    return x.to(dtype)


def vector_norm(
    x: Tensor,
    ord: float = 2,
    dim: int | tuple[int, ...] | list[int] | None = None,
    keepdim: bool = False,
    *,
    dtype: Any = None,
) -> Tensor:
    """The `ord`-norm of the elements over `dim` (all elements when None): any float, inf,
    -inf, and 0 (the count of nonzeros). The input is not rescaled first (as in torch):
    huge or tiny entries overflow or underflow as their powers do."""
    op = "linalg.vector_norm"
    if isinstance(ord, str) or not isinstance(ord, (int, float, np.number)):
        raise TypeError(f"{op}(): argument 'ord' must be a number, not {type(ord).__name__}")
    x = _floating_input(op, x, dtype)
    axes = _axes(dim, x.ndim, op)
    ord = float(ord)
    if (ord < 0 or math.isinf(ord)) and x._data.size == 0:  # max, min, negative powers
        empty = [i for i in axes if x.shape[i] == 0]
        if dim is None or empty:
            where = "an empty tensor" if dim is None else f"the empty dimension {empty[0]}"
            raise RuntimeError(
                f"{op}: cannot compute the {ord:g} norm over {where}: the operation has no "
                "identity element; reduce over non-empty dims only"
            )
    return VectorNorm.apply(x, ord, axes, keepdim)


def _svdvals(a: Tensor, d0: int, d1: int) -> Tensor:
    """The singular values of the matrices spanned by dims (d0, d1)."""
    batch = [i for i in range(a.ndim) if i not in (d0, d1)]
    return svdvals(a.permute(*batch, d0, d1))  # (*batch, m, n) -> (*batch, k)


def _largest(x: Tensor, dim: int, keepdim: bool) -> Tensor:
    """amax of values >= 0, with torch's convention that it is 0 over an empty dim (amin
    over an empty dim stays an error)."""
    if x.shape[dim] == 0:
        return _sum(x, dim, keepdim)  # zeros of the reduced shape, still in the graph
    return amax(x, dim, keepdim)


def matrix_norm(
    A: Tensor,
    ord: Any = "fro",
    dim: tuple[int, ...] | list[int] = (-2, -1),
    keepdim: bool = False,
    *,
    dtype: Any = None,
) -> Tensor:
    """The `ord` norm of each matrix spanned by `dim`: 'fro', 'nuc', 1, -1, 2, -2, inf,
    -inf (the max/min column sum, singular value, row sum)."""
    op = "linalg.matrix_norm"
    valid = ord in ("fro", "nuc") if isinstance(ord, str) else abs(ord) in (1, 2, math.inf)
    if not valid:
        raise RuntimeError(
            f"{op}: order {ord!r} is not supported; use 'fro', 'nuc', 1, -1, 2, -2, inf or -inf"
        )
    if not isinstance(A, Tensor) or A.ndim < 2:
        raise RuntimeError(f"{op}: the input tensor A must have at least 2 dimensions")
    dims = tuple(dim)
    if len(dims) != 2:
        raise RuntimeError(f"{op}: dim must be a 2-tuple, got {dims}")
    d0, d1 = (normalize_dim(d, A.ndim, op) for d in dims)
    if d0 == d1:
        raise RuntimeError(f"{op}: the two dims must be different, got {dims}")
    A = _floating_input(op, A, dtype)
    if ord == "fro":
        return vector_norm(A, 2, (d0, d1), keepdim)
    if ord == "nuc" or abs(ord) == 2:
        s = _svdvals(A, d0, d1)
        out = s.sum(-1) if ord == "nuc" else _largest(s, -1, False) if ord > 0 else amin(s, -1)
        for d in sorted((d0, d1)) if keepdim else ():
            out = out.unsqueeze(d)
        return out
    if math.isinf(ord):  # the row sums: the 1-norm of the transpose
        d0, d1 = d1, d0
    sums = vector_norm(A, 1, d0, keepdim)  # sum of |A| along d0
    if not keepdim and d0 < d1:
        d1 -= 1
    return _largest(sums, d1, keepdim) if ord > 0 else amin(sums, d1, keepdim)


def norm(
    A: Tensor,
    ord: Any = None,
    dim: int | tuple[int, ...] | list[int] | None = None,
    keepdim: bool = False,
    *,
    dtype: Any = None,
) -> Tensor:
    """A vector norm when `dim` is an int (or `A` is 1-D), a matrix norm when `dim` is a
    2-tuple (or `A` is 2-D) or `ord` is 'fro'/'nuc'. With neither `ord` nor `dim`, the
    2-norm of all elements."""
    op = "linalg.norm"
    dims = None if dim is None else (dim,) if isinstance(dim, int) else tuple(dim)
    if dims is not None and len(dims) not in (1, 2):
        raise RuntimeError(f"{op}: dim must have 1 or 2 entries, got {list(dims)}")
    if dims is None and ord is not None and A.ndim not in (1, 2):
        raise RuntimeError(
            f"{op}: with ord but no dim, the input must be 1-D or 2-D, got {A.ndim}-D; pass dim"
        )
    matrix = dims is not None and len(dims) == 2 or dims is None and A.ndim == 2
    if isinstance(ord, str) or ord is not None and matrix:
        return matrix_norm(A, ord, (0, 1) if dims is None else dims, keepdim, dtype=dtype)
    return vector_norm(A, 2 if ord is None else ord, dims, keepdim, dtype=dtype)


def _ord_text(p: Any) -> str:
    """ord as torch prints it in cond's messages: 1, 1.000000, inf, fro."""
    if isinstance(p, (str, int, np.integer)) or math.isinf(p):
        return str(p)
    return f"{p:.6f}"


def cond(A: Tensor, p: Any = None) -> Tensor:
    """The condition number of each matrix in the norm `p`: ||A||_p ||A^{-1}||_p, and for
    p = None or 2 (-2) the ratio of the largest and smallest (smallest and largest) singular
    values (any shape). As in torch, 'nuc' is computed from the singular values too, the
    other norms from inv_ex, and a singular matrix has cond inf (nan for a zero matrix with
    p = None, 2 or 'nuc': 0 / 0)."""
    op = "linalg.cond"
    check_tensor(op, A, "A")
    if A.ndim < 2:
        raise RuntimeError(f"{op}: The input tensor must have at least 2 dimensions.")
    numeric = not isinstance(p, str) and p is not None
    if not (p is None or p in ("fro", "nuc") or numeric and abs(p) in (1, 2, math.inf)):
        raise RuntimeError(f"{op} got an invalid norm type: {p}")
    by_svd = p is None or numeric and abs(p) == 2
    if not by_svd:
        check_matrix(f"{op}(ord={_ord_text(p)})", A, kind="any")
    if A._data.size == 0:  # torch: 0 for empty matrices
        check_matrix("linalg.svd" if by_svd else "linalg.inv", A, square=not by_svd, kind="lapack")
        return Tensor._make(np.zeros(A.shape[:-2], A.dtype), False)
    if by_svd or p == "nuc":
        s = svdvals(A)
        with np.errstate(divide="ignore", invalid="ignore"):  # 1 / 0 = inf, 0 / 0 = nan
            if p == "nuc":  # ||A||_nuc ||A^{-1}||_nuc = sum(s) sum(1 / s)
                return s.sum(-1) * (1 / s).sum(-1)
            largest, smallest = s[..., :1], s[..., -1:]
            ratio = smallest / largest if p == -2 else largest / smallest
            return ratio.squeeze(-1)
    inverse, info = inv_ex(A)
    singular = info._data > 0  # torch: cond is inf there (the inverse holds inf/nan)
    inverse = masked_fill(inverse, Tensor._make(singular[..., None, None], False), 0.0)
    product = matrix_norm(A, p) * matrix_norm(inverse, p)
    return masked_fill(product, Tensor._make(singular, False), math.inf)

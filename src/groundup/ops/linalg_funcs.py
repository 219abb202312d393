"""torch.linalg's matrix functions and products: matrix_power, matrix_exp, multi_dot,
vecdot, cross, diagonal.

matrix_power, multi_dot and vecdot are built from matmul, mul and sum, as torch builds them
(the same products in the same order, so the same rounding and gradients). matrix_exp and
cross are Functions:

    exp(A):  dL/dA = L_exp(A^T, G), the Frechet derivative of exp at A^T applied to G: the
             upper-right block of exp([[A^T, G], [0, A^T]]) (Najfeld & Havel 1995; torch's)
    a x b:   dL/da = b x G,  dL/db = G x a   (G . (a x b) = a . (b x G) = b . (G x a))
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from groundup._lazy import linalg as scipy_linalg
from groundup.errors import UnsupportedDtypeError
from groundup.function import Function, normalize_dim
from groundup.ops.elementwise import clone, mul
from groundup.ops.layout import diagonal as _diagonal
from groundup.ops.linalg import matmul
from groundup.ops.linalg_core import (
    batch_shape,
    check_dtype,
    check_matrix,
    check_tensor,
    swap,
    type_name,
)
from groundup.ops.linalg_solve import inv
from groundup.ops.reduce import sum as _sum
from groundup.ops.shape import squeeze, unsqueeze
from groundup.tensor import Tensor

__all__ = ["cross", "diagonal", "matrix_exp", "matrix_power", "multi_dot", "vecdot"]


class EyeLike(Function):
    """The identity matrices of A's shape (A^0): they do not depend on A (zero gradient)."""

    saves = ()

    def forward(self, a: np.ndarray) -> np.ndarray:
        self.shape = a.shape
        return np.broadcast_to(np.eye(a.shape[-1], dtype=a.dtype), a.shape).copy()

    def backward(self, grad: np.ndarray) -> np.ndarray:
        return np.zeros(self.shape, grad.dtype)


def _expm(a: np.ndarray) -> np.ndarray:
    """exp of each matrix: scaling and squaring with a Pade approximant (Al-Mohy & Higham
    2009, SciPy's expm). float16 is computed in float32."""
    if a.dtype == np.float16:
        return scipy_linalg.expm(a.astype(np.float32)).astype(np.float16)
    if a.size == 0:
        return a.copy()
    return np.asarray(scipy_linalg.expm(a), dtype=a.dtype)


class MatrixExp(Function):
    """exp(A) = sum_k A^k / k! of each matrix; the gradient by the block-matrix trick."""

    saves = (0,)

    def forward(self, a: np.ndarray) -> np.ndarray:
        self.a = a
        return _expm(a)

    def backward(self, grad: np.ndarray) -> np.ndarray:
        n, at = self.a.shape[-1], swap(self.a)
        block = np.concatenate(  # [[A^T, G], [0, A^T]]  (..., 2n, 2n)
            [np.concatenate([at, grad], -1), np.concatenate([np.zeros_like(at), at], -1)], -2
        )
        return _expm(block)[..., :n, n:]


class Cross(Function):
    """The cross product a x b of 3-vectors along `dim`, other dims broadcast."""

    def saved_inputs(self) -> tuple[int, ...]:
        # dL/da reads b and dL/db reads a
        return tuple(i for i in (0, 1) if self.parents[1 - i] is not None)

    def forward(self, a: np.ndarray, b: np.ndarray, dim: int) -> np.ndarray:
        self.a, self.b, self.dim = a, b, dim
        return np.cross(a, b, axis=dim)

    def backward(self, grad: np.ndarray) -> tuple[Any, Any, None]:
        d = self.dim
        ga = np.cross(self.b, grad, axis=d) if self.parents[0] is not None else None
        gb = np.cross(grad, self.a, axis=d) if self.parents[1] is not None else None
        return ga, gb, None


# ------------------------------------------------------------------ functional API
def _no_bool(op: str, t: Tensor) -> None:
    if t.dtype == np.bool_:
        raise UnsupportedDtypeError(f"{op}: not implemented for 'Bool'; cast to int or float first")


def matrix_power(A: Tensor, n: int) -> Tensor:
    """A^n for an integer n by repeated squaring (torch's products); n = 0 gives the
    identity, n < 0 the power of inv(A)."""
    op = "linalg.matrix_power"
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)):
        raise TypeError(
            f"linalg_matrix_power(): argument 'n' (position 2) must be int, not {type(n).__name__}"
        )
    check_matrix(op, A, kind="any")
    _no_bool(op, A)
    n = int(n)
    if n == 0:
        return EyeLike.apply(A)
    if n < 0:
        A, n = inv(A), -n
    if n == 1:
        return clone(A)
    if n == 2:
        return matmul(A, A)
    if n == 3:
        return matmul(matmul(A, A), A)
    z = result = None  # binary powers of A, from the least significant bit up
    while n > 0:
        bit, n = n % 2, n // 2
        z = A if z is None else matmul(z, z)
        if bit:
            result = z if result is None else matmul(result, z)
    assert result is not None
    return result


def matrix_exp(A: Tensor) -> Tensor:
    """The matrix exponential exp(A) of each square matrix."""
    check_matrix("linalg.matrix_exp", A, kind="half")
    return MatrixExp.apply(A)


def _chain_order(dims: list[int]) -> list[list[int]]:
    """The split points of the cheapest order of a matrix chain (dims[i] x dims[i + 1] for
    matrix i), by dynamic programming on the number of scalar multiplications (CLRS 15.2)."""
    n = len(dims) - 1
    cost = [[0] * n for _ in range(n)]
    split = [[0] * n for _ in range(n)]
    for length in range(1, n):
        for i in range(n - length):
            j = i + length
            cost[i][j] = -1
            for k in range(i, j):
                q = cost[i][k] + cost[k + 1][j] + dims[i] * dims[k + 1] * dims[j + 1]
                if cost[i][j] < 0 or q < cost[i][j]:
                    cost[i][j], split[i][j] = q, k
    return split


def _chain(mats: list[Tensor], split: list[list[int]], i: int, j: int) -> Tensor:
    if i == j:
        return mats[i]
    k = split[i][j]
    return matmul(_chain(mats, split, i, k), _chain(mats, split, k + 1, j))


def multi_dot(tensors: Sequence[Tensor]) -> Tensor:
    """The product of two or more matrices in the cheapest order; the first may be a row
    vector (1-D) and the last a column vector (1-D), as in torch."""
    op = "multi_dot()"
    if not isinstance(tensors, (list, tuple)):
        raise TypeError(
            f"linalg_multi_dot(): argument 'tensors' must be a list or tuple of Tensors, not "
            f"{type(tensors).__name__}"
        )
    count = len(tensors)
    if count < 2:
        raise RuntimeError(f"{op}: expected at least 2 tensors but got {count}")
    for i, t in enumerate(tensors):
        check_tensor("linalg.multi_dot", t, f"tensors[{i}]")
        where = "the first tensor" if i == 0 else "the last tensor" if i == count - 1 else None
        if where and t.ndim not in (1, 2):
            raise RuntimeError(f"{op}: {where} must be 1D or 2D but got {t.ndim}D")
        if not where and t.ndim != 2:
            raise RuntimeError(f"{op}: tensor {i} must be 2D but got {t.ndim}D")
        if t.dtype != tensors[0].dtype:
            raise RuntimeError(
                f"{op}: all tensors must have be the same dtype but tensor 0 is "
                f"{type_name(tensors[0].dtype)} and tensor {i} {type_name(t.dtype)}"
            )
    _no_bool("linalg.multi_dot", tensors[0])
    row, column = tensors[0].ndim == 1, tensors[-1].ndim == 1
    mats = list(tensors)
    if row:
        mats[0] = unsqueeze(mats[0], 0)
    if column:
        mats[-1] = unsqueeze(mats[-1], -1)
    for i in range(count - 1):
        if mats[i].shape[1] != mats[i + 1].shape[0]:
            raise RuntimeError(
                f"{op}: tensors {i} and {i + 1} with shapes {list(tensors[i].shape)} and "
                f"{list(tensors[i + 1].shape)} cannot be multiplied"
            )
    if count == 3:  # torch's direct choice between (AB)C and A(BC)
        a, b, c, d = mats[0].shape[0], mats[1].shape[0], mats[2].shape[0], mats[2].shape[1]
        if a * c * (b + d) > b * d * (a + c):
            out = matmul(mats[0], matmul(mats[1], mats[2]))
        else:
            out = matmul(matmul(mats[0], mats[1]), mats[2])
    else:
        dims = [m.shape[0] for m in mats] + [mats[-1].shape[1]]
        out = _chain(mats, _chain_order(dims), 0, count - 1)
    if row:
        out = squeeze(out, 0)
    if column:
        out = squeeze(out, -1)
    return out


def vecdot(x: Tensor, y: Tensor, *, dim: int = -1) -> Tensor:
    """The dot product of vectors along `dim`: sum(x * y, dim), other dims broadcast."""
    op = "linalg.vecdot"
    check_tensor(op, x, "x")
    check_tensor(op, y, "y")
    check_dtype(op, x, "x", "half")
    if x.dtype != y.dtype:
        raise RuntimeError(
            f"{op}: Expected x and y to have the same dtype, but found x of type "
            f"{type_name(x.dtype)} and y of type {type_name(y.dtype)} instead; cast one first"
        )
    return _sum(mul(x, y), dim)


def cross(input: Tensor, other: Tensor, *, dim: int = -1) -> Tensor:  # noqa: A002
    """The cross product of 3-vectors along `dim` (size 3); the other dims broadcast."""
    op = "linalg.cross"
    check_tensor(op, input, "input")
    check_tensor(op, other, "other")
    if input.ndim != other.ndim:
        raise RuntimeError(
            f"{op}: inputs must have the same number of dimensions; got {input.ndim} and "
            f"{other.ndim} (unsqueeze one of them)"
        )
    d = normalize_dim(dim, input.ndim, op)
    if input.shape[d] != 3 or other.shape[d] != 3:
        raise RuntimeError(
            f"{op}: inputs dimension {dim} must have length 3. Got {input.shape[d]} and "
            f"{other.shape[d]}"
        )
    batch_shape(op, input.shape, other.shape)
    if input.dtype != other.dtype:
        raise RuntimeError(
            f"{op}: expected both inputs to have the same dtype, got {type_name(input.dtype)} "
            f"and {type_name(other.dtype)}; cast one first"
        )
    _no_bool(op, input)
    return Cross.apply(input, other, d)


def diagonal(A: Tensor, *, offset: int = 0, dim1: int = -2, dim2: int = -1) -> Tensor:
    """The diagonals of the matrices in dims (dim1, dim2) (the last two by default), a view."""
    return _diagonal(A, offset, dim1, dim2)

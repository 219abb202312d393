"""Matrix products: `matmul` (batched, broadcast, 1-D cases) and the fused `linear`."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from groundup.errors import InputDtypeError
from groundup.function import Function
from groundup.tensor import Tensor


class MatMul(Function):
    """C = A @ B;  dA = dC @ B^T,  dB = A^T @ dC (batch dims are summed by the engine)."""

    def saved_inputs(self) -> tuple[int, ...]:
        # dA reads b and dB reads a: each is needed only for the other's gradient
        return tuple(i for i in (0, 1) if self.parents[1 - i] is not None)

    def forward(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        self.a, self.b = a, b
        return np.matmul(a, b)

    def backward(self, grad: np.ndarray) -> tuple[Any, Any]:
        a, b = self.a, self.b
        # Treat a vector as a matrix with one row (a) or one column (b), as matmul does.
        a2 = a[None, :] if a.ndim == 1 else a
        b2 = b[:, None] if b.ndim == 1 else b
        g = grad  # put back the size-1 dims that matmul dropped for vectors
        if b.ndim == 1:
            g = np.expand_dims(g, -1)  # (..., m) -> (..., m, 1)
        if a.ndim == 1:
            g = np.expand_dims(g, -2)  # (..., n) -> (..., 1, n)
        da = db = None
        if self.parents[0] is not None:
            da = np.matmul(g, np.swapaxes(b2, -1, -2))
            if a.ndim == 1:
                da = da.squeeze(-2)
        if self.parents[1] is not None:
            db = np.matmul(np.swapaxes(a2, -1, -2), g)
            if b.ndim == 1:
                db = db.squeeze(-1)
        return da, db


class Linear(Function):
    """y = x W^T + b for x of shape (..., in), W (out, in), b (out,).

    dx = dy W;  dW = dy^T x over all leading dims (one GEMM);  db = sum of dy over them.
    """

    saves = (0, 1)  # x and W; the bias gradient needs neither

    def forward(self, x: np.ndarray, weight: np.ndarray, bias: np.ndarray | None) -> np.ndarray:
        self.x, self.weight = x, weight
        # One 2-D GEMM over all leading dims: NumPy would run one small GEMM per batch entry
        rows = math.prod(x.shape[:-1])  # N = product of the leading dims
        out = x.reshape(rows, x.shape[-1]) @ weight.T  # (N, in) @ (in, out)
        if bias is not None:
            out += bias
        return out.reshape(*x.shape[:-1], weight.shape[0])

    def backward(self, grad: np.ndarray) -> tuple[Any, Any, Any]:
        rows = math.prod(grad.shape[:-1])  # N = product of the leading dims
        g2 = grad.reshape(rows, grad.shape[-1])  # (N, out)
        dx = (g2 @ self.weight).reshape(self.x.shape) if self.parents[0] is not None else None
        dw = g2.T @ self.x.reshape(rows, self.x.shape[-1]) if self.parents[1] is not None else None
        db = g2.sum(axis=0) if len(self.parents) > 2 and self.parents[2] is not None else None
        return dx, dw, db


def matmul(a: Any, b: Any) -> Tensor:
    """torch.matmul: vector-vector, matrix-vector, matrix-matrix, and batched with the batch
    dims broadcast: (2, 1, 3, 4) @ (5, 4, 6) -> (2, 5, 3, 6)."""
    a = a if isinstance(a, Tensor) else Tensor(a)
    b = b if isinstance(b, Tensor) else Tensor(b)
    if a.ndim == 0 or b.ndim == 0:
        raise RuntimeError(
            f"matmul: both arguments need at least 1 dimension, got {a.shape} and {b.shape}"
        )
    k_a = a.shape[-1]
    k_b = b.shape[0] if b.ndim == 1 else b.shape[-2]
    if k_a != k_b:
        raise RuntimeError(
            f"matmul: shapes {a.shape} and {b.shape} cannot be multiplied "
            f"(a's last dim {k_a} must equal b's {'first' if b.ndim == 1 else 'second-to-last'} "
            f"dim {k_b})"
        )
    if a.ndim > 2 and b.ndim > 2:
        try:
            np.broadcast_shapes(a.shape[:-2], b.shape[:-2])
        except ValueError:
            raise RuntimeError(
                f"matmul: batch dims {a.shape[:-2]} and {b.shape[:-2]} of shapes {a.shape} and "
                f"{b.shape} do not broadcast (each pair must be equal or 1)"
            ) from None
    if a.dtype != b.dtype:
        raise TypeError(f"matmul: dtypes differ ({a.dtype} and {b.dtype}); cast one first")
    return MatMul.apply(a, b)


mm = matmul
bmm = matmul


def linear(input: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:  # noqa: A002
    """input @ weight.T + bias, fused: one GEMM per gradient in backward."""
    if not isinstance(input, Tensor):
        raise TypeError(
            f"linear(): argument 'input' (position 1) must be Tensor, not "
            f"{type(input).__name__}; wrap the data in groundup.tensor(...)"
        )
    x = input
    if x.ndim == 0 or x.shape[-1] != weight.shape[1]:
        raise RuntimeError(
            f"Linear({weight.shape[1]}->{weight.shape[0]}) got input of shape {x.shape}: "
            f"last dimension must be {weight.shape[1]}"
        )
    if bias is not None and bias.shape != weight.shape[:1]:
        raise RuntimeError(
            f"Linear: bias of shape {bias.shape} does not match weight of shape {weight.shape}; "
            f"expected ({weight.shape[0]},)"
        )
    if x.dtype != weight.dtype:
        raise InputDtypeError(
            f"Linear: input dtype {x.dtype} differs from weight dtype {weight.dtype}; "
            f"cast the input (x.to({weight.dtype})) or the model (.to(dtype))"
        )
    return Linear.apply(x, weight, bias)

"""Norms and distances: `normalize`, `cosine_similarity`, `pairwise_distance`, `pdist`, and
`one_hot` (not differentiable).

`VectorNorm` is ||x||_p along one dim with torch's gradient, including its conventions where
the norm is not differentiable: 0 where the norm is 0, and for p = +-inf the gradient of
|x| shared equally between the tied largest (or smallest) entries.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from groundup.function import Function, normalize_dim
from groundup.ops import elementwise as E
from groundup.tensor import Tensor, is_grad_enabled


def _norm(x: np.ndarray, p: float, axis: int) -> np.ndarray:
    """||x||_p along `axis`, kept as a size-1 axis."""
    a = np.abs(x)
    if p == math.inf:
        return a.max(axis=axis, keepdims=True)
    if p == -math.inf:
        return a.min(axis=axis, keepdims=True)
    if p == 0:
        return (a != 0).sum(axis=axis, keepdims=True).astype(x.dtype)
    if p == 1:
        return a.sum(axis=axis, keepdims=True)
    if p == 2:
        return np.sqrt((x * x).sum(axis=axis, keepdims=True))
    with np.errstate(divide="ignore"):  # |0|^p = inf for p < 0, whose norm is then 0
        return (a**p).sum(axis=axis, keepdims=True) ** (1 / p)


def _norm_grad(x: np.ndarray, norm: np.ndarray, p: float, axis: int) -> np.ndarray:
    """d||x||_p / dx at the kept-dims `norm` (torch's norm_backward), without the grad."""
    zero = norm == 0
    with np.errstate(divide="ignore", invalid="ignore"):
        if p == 0:
            return np.zeros_like(x)
        if p == 1:
            return np.sign(x)
        if p == 2:
            return np.where(zero, 0, x / norm)
        if math.isinf(p):  # one |x| is the norm: its share of the ties, with the sign of x
            ties = np.abs(x) == norm
            return np.sign(x) * ties / ties.sum(axis=axis, keepdims=True)
        if p < 1:  # sign(x) |x|^(p-1) norm^(1-p), and 0 where x = 0
            scaled = np.where(x == 0, 0, np.sign(x) * np.abs(x) ** (p - 1))
            return scaled * norm ** (1 - p)
        # x |x|^(p-2) / norm^(p-1), and 0 where the norm is 0
        scaled = np.sign(x) * np.abs(x) ** (p - 1)
        return np.where(zero, 0, scaled / norm ** (p - 1))


class VectorNorm(Function):
    """||x||_p = (sum |x|^p)^(1/p) along `dim` (max |x| for p = inf, the count of nonzeros
    for p = 0)."""

    saves = (0,)
    saves_output = True

    def forward(self, x: np.ndarray, p: float, dim: int, keepdim: bool) -> np.ndarray:
        self.x, self.p, self.dim = x, p, dim
        self.norm = _norm(x, p, dim)  # (..., 1, ...)
        self.out = self.norm if keepdim or x.ndim == 0 else self.norm.squeeze(dim)
        return self.out

    def backward(self, grad: np.ndarray) -> tuple[Any, None, None, None]:
        grad = grad.reshape(self.norm.shape)  # put the reduced axis back
        return grad * _norm_grad(self.x, self.norm, self.p, self.dim), None, None, None


def _float_input(op: str, x: Tensor) -> None:
    if x.dtype.kind != "f":
        raise RuntimeError(
            f"{op}: expected a floating-point tensor, got dtype {x.dtype}; convert it with .float()"
        )


def vector_norm(x: Tensor, p: float, dim: int, keepdim: bool, op: str) -> Tensor:
    _float_input(op, x)
    dim = normalize_dim(dim, x.ndim, op)
    if math.isinf(p) and x.ndim and x.shape[dim] == 0:
        raise RuntimeError(f"{op}: cannot compute the {p} norm over an empty dimension")
    return VectorNorm.apply(x, float(p), dim, keepdim)


def normalize(
    input: Tensor,  # noqa: A002 - torch's names
    p: float = 2.0,
    dim: int = 1,
    eps: float = 1e-12,
    out: Tensor | None = None,
) -> Tensor:
    """x / max(||x||_p, eps) along `dim`: unit vectors (the clamp has torch's gradient: none
    flows through a norm below eps)."""
    denom = E.clamp(vector_norm(input, p, dim, True, "normalize"), min=eps)
    result = E.div(input, denom)
    if out is None:
        return result
    if is_grad_enabled() and result.requires_grad:
        raise RuntimeError(
            "normalize(): functions with out=... arguments don't support automatic "
            "differentiation; call it without out="
        )
    return out.copy_(result)


class CosineSimilarity(Function):
    """cos = sum(a * b) along `dim`, a = x1 / max(||x1||, eps), b = x2 / max(||x2||, eps).

    As in torch, the clamp is invisible to autograd: with n1 = ||x1|| and c1 = max(n1, eps),
        dx1 = g (b - cos x1 / n1) / c1   (x1 / n1 taken as 0 where n1 = 0), and alike for x2.
    """

    saves = (0, 1)

    def forward(self, x1: np.ndarray, x2: np.ndarray, dim: int, eps: float) -> np.ndarray:
        x1, x2 = np.broadcast_arrays(x1, x2)
        self.x1, self.x2, self.dim = x1, x2, dim
        self.n1, self.n2 = _norm(x1, 2, dim), _norm(x2, 2, dim)  # (..., 1, ...)
        self.c1, self.c2 = np.maximum(self.n1, eps), np.maximum(self.n2, eps)
        self.cos = ((x1 / self.c1) * (x2 / self.c2)).sum(axis=dim, keepdims=True)
        return self.cos.squeeze(dim) if x1.ndim else self.cos.reshape(())

    def backward(self, grad: np.ndarray) -> tuple[Any, Any, None, None]:
        g = grad.reshape(self.cos.shape)
        with np.errstate(divide="ignore", invalid="ignore"):
            u1 = np.where(self.n1 == 0, 0, self.x1 / self.n1)
            u2 = np.where(self.n2 == 0, 0, self.x2 / self.n2)
        dx1 = g * (self.x2 / self.c2 - self.cos * u1) / self.c1
        dx2 = g * (self.x1 / self.c1 - self.cos * u2) / self.c2
        return dx1, dx2, None, None


def _common_float(op: str, x1: Tensor, x2: Tensor) -> tuple[Tensor, Tensor]:
    dtype = E.result_dtype(x1, x2)
    if dtype.kind != "f":
        raise RuntimeError(
            f"{op}: expected common dtype to be floating point, yet common dtype is {dtype}"
        )
    return E.cast(x1, dtype), E.cast(x2, dtype)


def cosine_similarity(x1: Tensor, x2: Tensor, dim: int = 1, eps: float = 1e-8) -> Tensor:
    """<x1, x2> / (max(||x1||, eps) max(||x2||, eps)) along `dim` of the broadcast inputs."""
    x1, x2 = _common_float("cosine_similarity", x1, x2)
    try:
        shape = np.broadcast_shapes(x1.shape, x2.shape)
    except ValueError:
        raise RuntimeError(
            f"cosine_similarity: shapes {x1.shape} and {x2.shape} do not broadcast"
        ) from None
    dim = normalize_dim(dim, len(shape), "cosine_similarity")
    return CosineSimilarity.apply(x1, x2, dim, float(eps))


def pairwise_distance(
    x1: Tensor, x2: Tensor, p: float = 2.0, eps: float = 1e-6, keepdim: bool = False
) -> Tensor:
    """||x1 - x2 + eps||_p along the last dim, composed as torch composes it (the eps keeps
    the gradient finite where x1 = x2)."""
    last = max(x1.ndim, x2.ndim) - 1
    diff = E.add(E.sub(x1, x2), eps)
    return vector_norm(diff, p, last, keepdim, "pairwise_distance")


class PDist(Function):
    """Distances ||x_i - x_j||_p between the rows of (N, D), for i < j, in row-major order;
    backward is torch's _pdist_backward (ties of the inf norm each get the full gradient)."""

    saves = ()

    def forward(self, x: np.ndarray, p: float) -> np.ndarray:
        self.n, self.p = x.shape[0], p
        self.i, self.j = np.triu_indices(x.shape[0], 1)
        self.diff = x[self.i] - x[self.j]  # (M, D)
        self.dist = _norm(self.diff, p, 1)  # (M, 1)
        return self.dist[:, 0].copy()

    def backward(self, grad: np.ndarray) -> tuple[Any, None]:
        d, dist, p, g = self.diff, self.dist, self.p, grad[:, None]
        with np.errstate(divide="ignore", invalid="ignore"):
            if p == 0:
                dd = np.zeros_like(d)
            elif p == 1:
                dd = g * np.sign(d)
            elif p == math.inf:
                dd = g * np.sign(d) * (np.abs(d) == dist)
            elif p < 1:
                dd = np.where(
                    (dist == 0) | (d == 0),
                    0,
                    np.sign(d) * np.abs(d) ** (p - 1) * g / dist ** (p - 1),
                )
            else:
                dd = np.where(dist == 0, 0, np.sign(d) * np.abs(d) ** (p - 1) * g / dist ** (p - 1))
        dx = np.zeros((self.n, d.shape[1]), dtype=d.dtype)
        np.add.at(dx, self.i, dd)
        np.add.at(dx, self.j, -dd)
        return dx, None


def pdist(input: Tensor, p: float = 2) -> Tensor:  # noqa: A002
    """The N (N - 1) / 2 pairwise p-norm distances between the rows of an (N, D) input."""
    if input.ndim != 2:
        raise RuntimeError(f"pdist only supports 2D tensors, got: {input.ndim}D")
    if input.dtype.kind != "f":
        raise RuntimeError(f"pdist only supports floating-point dtypes, got {input.dtype}")
    if p < 0:
        raise RuntimeError(f"pdist only supports non-negative p values, got p={p}")
    return PDist.apply(input, float(p))


def one_hot(tensor: Tensor, num_classes: int = -1) -> Tensor:
    """(*) int64 class indices -> (*, num_classes) int64 rows with a single 1; num_classes=-1
    means max + 1."""
    if tensor.dtype != np.int64:
        raise RuntimeError(
            f"one_hot is only applicable to index tensor of type LongTensor, got {tensor.dtype}"
        )
    idx = tensor._data
    if num_classes == -1:
        if idx.size == 0:
            raise RuntimeError(
                "one_hot: can not infer total number of classes from empty tensor; pass num_classes"
            )
        num_classes = int(idx.max()) + 1
    if idx.size and idx.min() < 0:
        raise RuntimeError(f"one_hot: class values must be non-negative, got {idx.min()}")
    if idx.size and idx.max() >= num_classes:
        raise RuntimeError(
            f"one_hot: class values must be smaller than num_classes, got {idx.max()} for "
            f"num_classes={num_classes}"
        )
    if num_classes < 0:
        raise RuntimeError(f"one_hot: num_classes must be -1 or >= 0, got {num_classes}")
    out = (idx[..., None] == np.arange(num_classes)).astype(np.int64)
    return Tensor._make(out, False)

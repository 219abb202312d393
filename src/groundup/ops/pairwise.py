"""Ops on pairs of vectors: dist (the norm of a difference), cdist (all pairwise distances
between two sets of rows) and cross (the cross product of 3-vectors).
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from groundup.function import Function, normalize_dim
from groundup.ops.elementwise import sub
from groundup.ops.numeric import _operands, broadcast_shape, require_tensor, unsupported
from groundup.ops.shape_extra import broadcast_shapes
from groundup.tensor import Tensor

__all__ = ["cdist", "cross", "dist"]

INPLACE: frozenset[str] = frozenset()
NOT_METHODS = frozenset(["cdist"])  # torch has no Tensor.cdist


class Cross(Function):
    """a x b along `dim` (of size 3); d/da = b x grad, d/db = grad x a."""

    def forward(self, a: np.ndarray, b: np.ndarray, dim: int) -> np.ndarray:
        self.a, self.b, self.dim = a, b, dim
        return np.cross(a, b, axis=dim)

    def backward(self, grad: np.ndarray) -> tuple[Any, ...]:
        da = np.cross(self.b, grad, axis=self.dim) if self.parents[0] is not None else None
        db = np.cross(grad, self.a, axis=self.dim) if self.parents[1] is not None else None
        return da, db, None


class CDist(Function):
    """out[..., i, j] = ||x1[..., i, :] - x2[..., j, :]||_p for (..., P, M) and (..., R, M).

    p = 2 with `use_mm` is torch's matrix-product form sqrt(|a|^2 - 2 a.b + |b|^2), clamped
    at 0; otherwise the differences are formed, (..., P, R, M). The p = 2 gradient is
    (x1_i - x2_j) / d_ij (0 where d_ij = 0), summed with matrix products; other p use
    torch's _cdist_backward rules (p = inf: every maximal |difference| gets the gradient).
    """

    saves_output = True

    @np.errstate(divide="ignore", invalid="ignore")
    def forward(self, x1: np.ndarray, x2: np.ndarray, p: float, use_mm: bool) -> np.ndarray:
        self.x1, self.x2, self.p = x1, x2, p
        if p == 2 and use_mm:
            squared = (
                (x1 * x1).sum(-1)[..., :, None]
                - 2 * (x1 @ np.swapaxes(x2, -1, -2))
                + (x2 * x2).sum(-1)[..., None, :]
            )
            self.out = np.sqrt(np.maximum(squared, 0))
            return self.out
        diff = np.abs(x1[..., :, None, :] - x2[..., None, :, :])  # (..., P, R, M)
        if p == 0:
            out = (diff != 0).sum(-1).astype(x1.dtype)
        elif p == np.inf:
            out = diff.max(-1, initial=0)
        elif p == 1:
            out = diff.sum(-1)
        elif p == 2:
            out = np.sqrt((diff * diff).sum(-1))
        else:
            out = (diff**p).sum(-1) ** (1 / p)
        self.out = np.asarray(out, x1.dtype)
        return self.out

    @np.errstate(divide="ignore", invalid="ignore")
    def backward(self, grad: np.ndarray) -> tuple[Any, ...]:
        x1, x2, p, dist = self.x1, self.x2, self.p, self.out
        if p == 2:  # sum_j ratio_ij (x1_i - x2_j), with ratio = grad / dist (0 where dist = 0)
            ratio = np.where(dist == 0, 0, grad / dist)
            d1 = x1 * ratio.sum(-1)[..., None] - ratio @ x2
            d2 = x2 * ratio.sum(-2)[..., None] - np.swapaxes(ratio, -1, -2) @ x1
            return d1, d2, None, None
        diff = x1[..., :, None, :] - x2[..., None, :, :]  # (..., P, R, M)
        g, d = grad[..., None], dist[..., None]
        if p == 0:
            per = np.zeros_like(diff)
        elif p == 1:
            per = np.sign(diff) * g
        elif p == np.inf:
            per = np.sign(diff) * (np.abs(diff) == d) * g
        elif p < 2:
            per = np.sign(diff) * np.abs(diff) ** (p - 1) * g / d ** (p - 1)
            per = np.where((d == 0) | ((diff == 0) & (p < 1)), 0, per)
        else:
            per = np.where(d == 0, 0, diff * np.abs(diff) ** (p - 2) * g / d ** (p - 1))
        return per.sum(-2), -per.sum(-3), None, None


# ------------------------------------------------------------------ functional API
def dist(input: Tensor, other: Tensor, p: float = 2) -> Tensor:  # noqa: A002
    """The p-norm of input - other (broadcast): linalg.vector_norm(input - other, p)."""
    from groundup import linalg  # groundup.linalg imports the ops

    require_tensor(input, "dist", "input", 1)
    require_tensor(other, "dist", "other", 2)
    a, b = _operands(input, other)
    if a.dtype.kind != "f":
        raise RuntimeError(
            f"dist(): input dtype should be either floating point, got {a.dtype}; convert it "
            "first (x.float())"
        )
    return linalg.vector_norm(sub(a, b), p)


def cross(input: Tensor, other: Tensor, dim: int | None = None) -> Tensor:  # noqa: A002
    """The cross product along `dim` (size 3) of tensors with the same number of dims and
    dtype, broadcast. Without dim: the first dim of size 3 of input (deprecated in torch)."""
    require_tensor(input, "cross", "input", 1)
    require_tensor(other, "cross", "other", 2)
    if dim is None:
        warnings.warn(
            "Using torch.cross without specifying the dim arg is deprecated. Please either "
            "pass the dim explicitly or simply use torch.linalg.cross.",
            UserWarning,
            stacklevel=2,
        )
        dim = next((i for i, size in enumerate(input.shape) if size == 3), None)
        if dim is None:
            raise RuntimeError(f"no dimension of size 3 in input (shape {input.shape})")
    if input.ndim != other.ndim:
        raise RuntimeError("linalg.cross: inputs must have the same number of dimensions.")
    if input.dtype != other.dtype:
        raise RuntimeError(
            f"cross(): expected scalar type {input.dtype} but found {other.dtype}; convert "
            "one of them first"
        )
    if input.dtype == np.bool_:
        raise unsupported("cross", input.dtype)
    d = normalize_dim(dim, input.ndim, "cross")
    if input.shape[d] != 3 or other.shape[d] != 3:
        raise RuntimeError(
            f"linalg.cross: inputs dimension {d} must have length 3. Got {input.shape[d]} and "
            f"{other.shape[d]}"
        )
    broadcast_shape(input, other)
    return Cross.apply(input, other, d)


_COMPUTE_MODES = {
    "use_mm_for_euclid_dist_if_necessary": None,
    "use_mm_for_euclid_dist": True,
    "donot_use_mm_for_euclid_dist": False,
}


def cdist(
    x1: Tensor,
    x2: Tensor,
    p: float = 2.0,
    compute_mode: str = "use_mm_for_euclid_dist_if_necessary",
) -> Tensor:
    """The p-norm distance between each row of x1 (..., P, M) and each row of x2 (..., R, M):
    (..., P, R), batch dims broadcast. For p = 2 the matrix-product form is used when
    compute_mode asks for it, or ("if necessary") when P > 25 or R > 25, as in torch."""
    for i, x in enumerate((x1, x2), 1):
        require_tensor(x, "cdist", f"x{i}", i)
        if x.ndim < 2:
            raise RuntimeError(f"cdist only supports at least 2D tensors, X{i} got: {x.ndim}D")
        if x.dtype.kind != "f":
            raise RuntimeError(
                f"cdist only supports floating-point dtypes, X{i} got: {x.dtype}"
            )
    if x1.shape[-1] != x2.shape[-1]:
        raise RuntimeError(
            "X1 and X2 must have the same number of columns. X1: "
            f"{x1.shape[-1]} X2: {x2.shape[-1]}"
        )
    if x1.dtype != x2.dtype:
        raise RuntimeError(f"cdist(): expected scalar type {x1.dtype} but found {x2.dtype}")
    if compute_mode not in _COMPUTE_MODES:
        raise ValueError(f"{compute_mode} is not a valid value for compute_mode")
    if p < 0:
        raise RuntimeError(f"cdist only supports non-negative p values, got {p}")
    broadcast_shapes(x1.shape[:-2], x2.shape[:-2])  # torch's error for batch dims that clash
    use_mm = _COMPUTE_MODES[compute_mode]
    if use_mm is None:
        use_mm = x1.shape[-2] > 25 or x2.shape[-2] > 25
    return CDist.apply(x1, x2, float(p), use_mm)

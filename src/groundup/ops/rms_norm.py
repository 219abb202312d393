"""rms_norm: scale each sample by the inverse root mean square of its trailing dims.

    y = x / sqrt(mean(x^2) + eps) * weight        (Zhang & Sennrich, 2019)

LayerNorm without the centering: the mean is over the last len(normalized_shape) dims, and
eps defaults to the machine epsilon of the input's dtype. With r = (mean(x^2) + eps)^(-1/2)
and xhat = x r, the backward is the closed form of the chain rule through the mean:

    dx = r (dxhat - xhat * mean(dxhat * xhat)),   dxhat = dy * weight
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from groundup.function import Function
from groundup.tensor import Tensor


class RMSNorm(Function):
    saves = (1,)  # backward reads the weight (and its own xhat, r), not x

    def forward(
        self, x: np.ndarray, weight: np.ndarray | None, *, ndim: int, eps: float
    ) -> np.ndarray:
        self.axes = tuple(range(x.ndim - ndim, x.ndim))
        mean_square = (x * x).mean(axis=self.axes, keepdims=True)  # (*batch, 1, ..., 1)
        self.r = 1 / np.sqrt(mean_square + np.asarray(eps, x.dtype))
        self.xhat = x * self.r
        self.weight = weight
        out = self.xhat if weight is None else self.xhat * weight
        return out.astype(x.dtype, copy=False)  # torch keeps the input's dtype

    def backward(self, grad: np.ndarray) -> tuple[Any, Any]:
        dxhat = grad if self.weight is None else grad * self.weight
        dx = self.r * (dxhat - self.xhat * (dxhat * self.xhat).mean(axis=self.axes, keepdims=True))
        # dweight at the input's shape: the engine sums the leading (batch) axes
        dweight = grad * self.xhat if self.parents[1] is not None else None
        return dx, dweight


def rms_norm(
    input: Tensor,  # noqa: A002 - torch's names
    normalized_shape: Sequence[int],
    weight: Tensor | None = None,
    eps: float | None = None,
) -> Tensor:
    """Divide by the root mean square over the trailing dims `normalized_shape`, then scale
    by `weight` (of that shape). eps=None is the input dtype's machine epsilon."""
    if isinstance(normalized_shape, (int, np.integer)):
        raise TypeError(
            "rms_norm(): argument 'normalized_shape' (position 2) must be tuple of ints, not "
            "int (write (n,) or [n])"
        )
    shape = tuple(int(n) for n in normalized_shape)
    if not shape:
        raise RuntimeError(
            "Expected normalized_shape to be at least 1-dimensional, i.e., containing at "
            "least one element, but got normalized_shape = []"
        )
    if input.dtype.kind != "f":
        raise NotImplementedError(f'"rms_norm" not implemented for dtype {input.dtype}')
    if input.ndim < len(shape) or input.shape[input.ndim - len(shape) :] != shape:
        raise RuntimeError(
            f"Given normalized_shape={list(shape)}, expected input with shape "
            f"[*, {', '.join(map(str, shape))}], but got input of size {list(input.shape)}"
        )
    if weight is not None and weight.shape != shape:
        raise RuntimeError(
            "Expected weight to be of same shape as normalized_shape, but got weight of shape "
            f"{list(weight.shape)} and normalized_shape = {list(shape)}"
        )
    e = float(np.finfo(input.dtype).eps) if eps is None else float(eps)
    return RMSNorm.apply(input, weight, ndim=len(shape), eps=e)


__all__ = ["RMSNorm", "rms_norm"]

"""Activations with a parameter, randomness or two halves: prelu (a learned slope), rrelu
(a random slope while training) and glu (a gate), each one Function with torch's gradient.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from groundup._lazy import special
from groundup.function import Function, normalize_dim
from groundup.ops.activation import leaky_relu
from groundup.ops.activation_extra import _floating
from groundup.random import default_generator
from groundup.tensor import Tensor


class PReLU(Function):
    """x for x > 0, else w x, with one learned slope w per channel (dim 1) or one for all.

    dx = g where x > 0, else g w;  dw = sum of g x where x <= 0 (summed by the engine over
    every axis but the channel one, since w arrives shaped (C, 1, ...) to broadcast).
    """

    def saved_inputs(self) -> tuple[int, ...]:
        return (0, 1) if self.parents[0] is not None else (0,)  # x always (its sign), w for dx

    def forward(self, x: np.ndarray, w: np.ndarray) -> np.ndarray:
        self.x, self.w = x, w
        return np.where(x > 0, x, w * x)

    def backward(self, grad: np.ndarray) -> tuple[Any, Any]:
        positive = self.x > 0
        dx = np.where(positive, grad, grad * self.w) if self.parents[0] is not None else None
        dw = np.where(positive, 0, grad * self.x) if self.parents[1] is not None else None
        return dx, dw


class RReLU(Function):
    """Randomized leaky ReLU while training: each x <= 0 is multiplied by its own slope drawn
    from U(lower, upper) (Xu et al., 2015); the gradient is that slope (1 where x > 0)."""

    saves = ()

    def forward(self, x: np.ndarray, slopes: np.ndarray) -> np.ndarray:
        self.noise = np.where(x > 0, 1, slopes).astype(x.dtype)
        return x * self.noise

    def backward(self, grad: np.ndarray) -> tuple[Any, None]:
        return grad * self.noise, None


class GLU(Function):
    """Gated linear unit (Dauphin et al., 2017): split x in halves a, b along `dim`,
    y = a sigmoid(b);  da = g sigmoid(b),  db = g a sigmoid(b) (1 - sigmoid(b))."""

    saves = (0,)  # `a` is a view of the input

    def forward(self, x: np.ndarray, dim: int) -> np.ndarray:
        self.a, b = np.split(x, 2, axis=dim)  # (..., n/2, ...) each
        self.s, self.dim = special.expit(b), dim
        return self.a * self.s

    def backward(self, grad: np.ndarray) -> tuple[Any, None]:
        da = grad * self.s
        db = grad * self.a * self.s * (1 - self.s)
        return np.concatenate([da, db], axis=self.dim), None  # back to (..., n, ...)


# ------------------------------------------------------------------ functional API
def prelu(input: Tensor, weight: Tensor) -> Tensor:  # noqa: A002
    """x for x > 0, else weight * x, `weight` holding one slope per channel (dim 1; a 1-D or
    0-d input has one channel) or a single slope."""
    if weight.ndim > 1:
        raise RuntimeError(
            f"prelu: expected `weight` to be a scalar or 1D tensor, but got: ndim = {weight.ndim}"
        )
    if weight.dtype != input.dtype:
        raise RuntimeError(
            f"prelu: type promoting not supported, got {input.dtype} input and {weight.dtype} "
            "weight; cast one of them"
        )
    _floating("prelu", input)
    channels = input.shape[1] if input.ndim >= 2 else 1
    n = weight.numel()
    if n != 1 and n != channels:
        raise RuntimeError(
            f"prelu: mismatch of parameter numbers and input channel size, found parameter "
            f"numbers = {n} and channel size = {channels}"
        )
    # (C,) -> (C, 1, ..., 1): one slope per channel, broadcast over the rest; or one slope
    weight = weight.reshape((n,) + (1,) * (input.ndim - 2) if n > 1 else ())
    return PReLU.apply(input, weight)


def rrelu(
    input: Tensor,  # noqa: A002
    lower: float = 1.0 / 8,
    upper: float = 1.0 / 3,
    training: bool = False,
) -> Tensor:
    """leaky_relu with a random slope in [lower, upper] per element while training (drawn
    from the global generator), and the mean slope (lower + upper) / 2 in evaluation."""
    _floating("rrelu", input)
    if lower > upper:
        raise RuntimeError(
            f"rrelu: lower bound should be less than or equal to the upper bound, got "
            f"lower={lower} and upper={upper}"
        )
    if not training:
        return leaky_relu(input, (lower + upper) / 2)
    slopes = default_generator().uniform(lower, upper, input.shape)
    return RReLU.apply(input, slopes)


def glu(input: Tensor, dim: int = -1) -> Tensor:  # noqa: A002
    """a * sigmoid(b), where a and b are the two halves of the input along `dim`."""
    if input.ndim == 0:
        raise RuntimeError("glu does not support scalars because halving size must be even")
    dim = normalize_dim(dim, input.ndim, "glu")
    if input.shape[dim] % 2:
        raise RuntimeError(
            f"glu: halving dimension must be even, but dimension {dim} is size {input.shape[dim]}"
        )
    _floating("glu", input)
    return GLU.apply(input, dim)

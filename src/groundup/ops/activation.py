"""Activations: relu, leaky_relu, sigmoid, tanh, gelu, softmax, log_softmax.

The rest of torch's activations (elu, softplus, hardtanh, ...) are in `activation_extra`.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from groundup._lazy import special
from groundup.errors import UnsupportedDtypeError
from groundup.function import Function, normalize_dim
from groundup.tensor import Tensor


class ReLU(Function):
    saves = ()
    saves_output = True

    def forward(self, x: np.ndarray) -> np.ndarray:
        self.out = np.maximum(x, 0)
        return self.out

    def backward(self, grad: np.ndarray) -> np.ndarray:
        return grad * (self.out > 0)  # zero gradient at x = 0, as torch


class LeakyReLU(Function):
    saves = ()

    def forward(self, x: np.ndarray, slope: float) -> np.ndarray:
        self.positive, self.slope = x > 0, slope
        return np.where(self.positive, x, x * slope)

    def backward(self, grad: np.ndarray) -> tuple[Any, None]:
        return np.where(self.positive, grad, grad * self.slope), None


class Sigmoid(Function):
    saves = ()
    saves_output = True

    def forward(self, x: np.ndarray) -> np.ndarray:
        self.out = special.expit(x)  # 1 / (1 + e^-x) without overflow warnings
        return self.out

    def backward(self, grad: np.ndarray) -> np.ndarray:
        return grad * self.out * (1 - self.out)  # s'(x) = s(x) (1 - s(x))


class Tanh(Function):
    saves = ()
    saves_output = True

    def forward(self, x: np.ndarray) -> np.ndarray:
        self.out = np.tanh(x)
        return self.out

    def backward(self, grad: np.ndarray) -> np.ndarray:
        return grad * (1 - self.out * self.out)


_SQRT_2_OVER_PI = math.sqrt(2 / math.pi)


class GELU(Function):
    """GELU(x) = x Phi(x) (exact, with erf) or its tanh approximation (Hendrycks & Gimpel)."""

    def forward(self, x: np.ndarray, approximate: str) -> np.ndarray:
        self.x, self.approximate = x, approximate
        if approximate == "tanh":
            self.t = np.tanh(_SQRT_2_OVER_PI * (x + 0.044715 * x**3))
            return 0.5 * x * (1 + self.t)
        self.cdf = 0.5 * (1 + special.erf(x / math.sqrt(2)))
        return x * self.cdf

    def backward(self, grad: np.ndarray) -> tuple[Any, None]:
        x = self.x
        if self.approximate == "tanh":
            dt = (1 - self.t**2) * _SQRT_2_OVER_PI * (1 + 3 * 0.044715 * x**2)
            return grad * (0.5 * (1 + self.t) + 0.5 * x * dt), None
        pdf = np.exp(-0.5 * x * x) / math.sqrt(2 * math.pi)
        return grad * (self.cdf + x * pdf), None  # d/dx x Phi(x) = Phi(x) + x phi(x)


class Softmax(Function):
    saves = ()
    saves_output = True

    def forward(self, x: np.ndarray, dim: int) -> np.ndarray:
        self.dim = dim
        if x.size == 0:  # an empty slice has nothing to normalize (torch returns it empty)
            self.out = np.empty_like(x)
            return self.out
        e = np.exp(x - x.max(axis=dim, keepdims=True))
        self.out = e / e.sum(axis=dim, keepdims=True)
        return self.out

    def backward(self, grad: np.ndarray) -> tuple[Any, None]:
        # Jacobian-vector product: s * (g - <g, s>)
        s = self.out
        return s * (grad - (grad * s).sum(axis=self.dim, keepdims=True)), None


class LogSoftmax(Function):
    saves = ()
    saves_output = True

    def forward(self, x: np.ndarray, dim: int) -> np.ndarray:
        self.dim = dim
        if x.size == 0:
            self.out = np.empty_like(x)
            return self.out
        shifted = x - x.max(axis=dim, keepdims=True)
        self.out = shifted - np.log(np.exp(shifted).sum(axis=dim, keepdims=True))
        return self.out

    def backward(self, grad: np.ndarray) -> tuple[Any, None]:
        # d log_softmax: g - softmax * sum(g)
        return grad - np.exp(self.out) * grad.sum(axis=self.dim, keepdims=True), None


def _float_input(name: str, x: Tensor) -> None:
    if x._data.dtype.kind != "f":
        raise UnsupportedDtypeError(
            f"{name}: expected a floating-point tensor, got dtype {x.dtype} (pass dtype= or "
            "convert it with .float())"
        )


def _floating(x: Tensor) -> Tensor:
    """sigmoid/tanh of an integer tensor is float32, as in torch."""
    return x if x._data.dtype.kind == "f" else x.to(np.float32)


def relu(input: Tensor) -> Tensor:  # noqa: A002 - torch's name
    """max(x, 0); the gradient at exactly 0 is 0, as in torch. Integer tensors stay integer."""
    if input._data.dtype == np.bool_:
        raise RuntimeError("relu: boolean inputs are not supported; convert with .float()")
    return ReLU.apply(input)


def leaky_relu(input: Tensor, negative_slope: float = 0.01) -> Tensor:  # noqa: A002
    """x for x > 0, negative_slope * x otherwise."""
    _float_input("leaky_relu", input)
    return LeakyReLU.apply(input, negative_slope)


def sigmoid(input: Tensor) -> Tensor:  # noqa: A002
    """1 / (1 + e^-x), without overflow for large |x|."""
    return Sigmoid.apply(_floating(input))


def tanh(input: Tensor) -> Tensor:  # noqa: A002
    return Tanh.apply(_floating(input))


def gelu(input: Tensor, approximate: str = "none") -> Tensor:  # noqa: A002
    """x Phi(x) with the exact normal CDF, or its tanh approximation (approximate='tanh')."""
    if approximate not in ("none", "tanh"):
        raise ValueError(f"gelu: approximate must be 'none' or 'tanh', got {approximate!r}")
    _float_input("gelu", input)
    return GELU.apply(input, approximate)


def _with_dtype(name: str, x: Tensor, dtype: Any) -> Tensor:
    """torch's `dtype=` of softmax and co.: the input is cast first (the gradient flows back
    through the cast), which keeps a float16 or integer input from overflowing."""
    if dtype is not None:
        target = np.dtype(dtype)
        if target.kind != "f":
            raise UnsupportedDtypeError(
                f"{name}: dtype must be a floating-point type, got {target}"
            )
        x = x.to(target)
    _float_input(name, x)
    return x


def softmax(input: Tensor, dim: int, dtype: Any = None) -> Tensor:  # noqa: A002 - torch's name
    """exp(x) / sum(exp(x)) along `dim`, shifted by the max so large logits cannot overflow;
    `dtype` casts the input first. An empty input gives an empty result."""
    x = _with_dtype("softmax", input, dtype)
    return Softmax.apply(x, normalize_dim(dim, x.ndim, "softmax"))


def log_softmax(input: Tensor, dim: int, dtype: Any = None) -> Tensor:  # noqa: A002
    """x - logsumexp(x) along `dim`, stable for large logits; `dtype` casts the input first."""
    x = _with_dtype("log_softmax", input, dtype)
    return LogSoftmax.apply(x, normalize_dim(dim, x.ndim, "log_softmax"))

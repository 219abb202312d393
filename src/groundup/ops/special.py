"""Pointwise extras: float_power, logit, lgamma and digamma, i0, sinc, deg2rad and rad2deg,
signbit, fmax and fmin (NaN-ignoring maximum/minimum), heaviside.

Integer and bool inputs of the unary math give float32, as in torch; float_power computes in
float64 whatever its operands. The gradients are torch's formulas, special points included
(logit's eps clamp, sinc at 0, fmax's NaN rule); digamma's derivative is torch's trigamma
series, so that gradients agree to the last digit. scipy.special is imported on first use.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from groundup._lazy import special
from groundup.function import Function
from groundup.ops.elementwise import pow
from groundup.ops.numeric import (
    _floating,
    _operands,
    broadcast_shape,
    cast,
    quiet,
    require_tensor,
)
from groundup.tensor import Tensor

__all__ = [
    "deg2rad",
    "digamma",
    "float_power",
    "fmax",
    "fmin",
    "heaviside",
    "i0",
    "lgamma",
    "logit",
    "rad2deg",
    "signbit",
    "sinc",
]

# float_power_ is a method of its own (it checks the dtype), the rest use ops.INPLACE
INPLACE = frozenset(__all__) - {"signbit", "fmax", "fmin", "float_power"}


def _opmath(a: np.ndarray) -> np.ndarray:
    """torch computes float16 in float32 and rounds the result once; NumPy would round
    every step to float16."""
    return a.astype(np.float32) if a.dtype == np.float16 else a


class NoDerivative(Function):
    """A value torch computes but cannot differentiate (heaviside, bincount with weights): it
    requires grad when an input does, as torch's, and backward raises torch's error."""

    saves = ()

    def forward(self, value: np.ndarray, name: str, *inputs: Any) -> np.ndarray:
        self.name = name
        return value

    def backward(self, grad: np.ndarray) -> Any:
        raise RuntimeError(f"derivative for {self.name} is not implemented (as in torch)")


# ------------------------------------------------------------------ gamma functions
def _trigamma(x: np.ndarray) -> np.ndarray:
    """psi'(x) computed as torch computes it: below 1/2 the reflection
    psi'(x) = pi^2 / sin^2(pi x) - psi'(1 - x), then six steps of psi'(x) = psi'(x + 1) + 1/x^2,
    then the asymptotic series 1/x + 1/(2x^2) + 1/(6x^3) - 1/(30x^5) + 1/(42x^7)."""
    pi = x.dtype.type(math.pi)
    reflect = x < 0.5
    sign = np.where(reflect, -1, 1).astype(x.dtype)
    result = np.where(reflect, -(pi * pi) / np.sin(pi * x) ** 2, 0).astype(x.dtype)
    x = np.where(reflect, 1 - x, x)
    for _ in range(6):
        result = result + 1 / (x * x)
        x = x + 1
    ixx = 1 / (x * x)
    result = result + (1 + 1 / (2 * x) + ixx * (1 / 6 - ixx * (1 / 30 - ixx * (1 / 42)))) / x
    return sign * result


class Lgamma(Function):
    """log |Gamma(x)|; its derivative is digamma(x)."""

    @quiet
    def forward(self, a: np.ndarray) -> np.ndarray:

        self.a = a
        out = special.gammaln(a).astype(a.dtype, copy=False)  # scipy has no float16 loop
        return np.where(a == -np.inf, np.inf, out)  # |Gamma(-inf)| = inf (scipy says -inf)

    @quiet
    def backward(self, grad: np.ndarray) -> np.ndarray:

        return grad * special.psi(self.a).astype(self.a.dtype, copy=False)


class Digamma(Function):
    """psi(x) = Gamma'(x) / Gamma(x): -inf at +0, +inf at -0, nan at the negative integers."""

    @quiet
    def forward(self, a: np.ndarray) -> np.ndarray:

        self.a = a
        return special.psi(a).astype(a.dtype, copy=False)

    @quiet
    def backward(self, grad: np.ndarray) -> np.ndarray:
        return grad * _trigamma(self.a)


class I0(Function):
    """The modified Bessel function of the first kind, order 0; I0' = I1."""

    def forward(self, a: np.ndarray) -> np.ndarray:

        self.a = a
        return special.i0(a).astype(a.dtype, copy=False)

    def backward(self, grad: np.ndarray) -> np.ndarray:

        return grad * special.i1(self.a).astype(self.a.dtype, copy=False)


# ------------------------------------------------------------------ sinc, angles, logit
class Sinc(Function):
    """sin(pi x) / (pi x), and 1 at x = 0."""

    @quiet
    def forward(self, a: np.ndarray) -> np.ndarray:
        self.a, x = a, _opmath(a)
        product = x * x.dtype.type(math.pi)
        return np.where(x == 0, 1, np.sin(product) / product).astype(a.dtype, copy=False)

    @quiet
    def backward(self, grad: np.ndarray) -> np.ndarray:
        # d/dx sin(pi x)/(pi x) = (pi x cos(pi x) - sin(pi x)) / (pi x^2), 0 at x = 0 (torch)
        a_pi, a_squared_pi = self.a * math.pi, self.a * self.a * math.pi
        out = grad * (a_pi * np.cos(a_pi) - np.sin(a_pi)) / a_squared_pi
        return np.where(a_squared_pi == 0, np.zeros((), grad.dtype), out)


class Scale(Function):
    """input * factor for a constant factor (deg2rad: pi/180, rad2deg: 180/pi)."""

    saves = ()

    def forward(self, a: np.ndarray, factor: float) -> np.ndarray:
        self.factor = factor
        return (_opmath(a) * factor).astype(a.dtype, copy=False)  # a Python float keeps the dtype

    def backward(self, grad: np.ndarray) -> tuple[Any, None]:
        return grad * self.factor, None


class Logit(Function):
    """log(x / (1 - x)), with x first clamped to [eps, 1 - eps] when eps >= 0 is given.

    The gradient is 1 / (x (1 - x)): inf at 0 and 1; outside [0, 1] nan without eps, and
    0 outside [eps, 1 - eps] with it (the clamp is flat there), as torch's logit_backward.
    """

    @quiet
    def forward(self, a: np.ndarray, eps: float | None) -> np.ndarray:
        self.a, self.bounds, x = a, None, _opmath(a)
        if eps is not None and not eps < 0:  # a negative eps means no clamp, as in torch
            low = a.dtype.type(eps)
            high = a.dtype.type(1) - low
            self.bounds = (low, high)
            x = np.where(x < low, low, np.where(x > high, high, x))  # (a nan eps clamps nothing)
        return np.log(x / (1 - x)).astype(a.dtype, copy=False)

    @quiet
    def backward(self, grad: np.ndarray) -> tuple[Any, None]:
        a = self.a
        low, high = (0, 1) if self.bounds is None else self.bounds
        outside = np.nan if self.bounds is None else 0
        at_edge = (a == 0) | (a == 1)
        inside = np.where(at_edge, grad * np.inf, grad / (a * (1 - a)))
        return np.where((a < low) | (a > high), np.asarray(outside, grad.dtype), inside), None


# ------------------------------------------------------------------ two operands
class FMax(Function):
    """Elementwise maximum that ignores NaN (NaN only where both are NaN). The whole gradient
    goes to input where input >= other or other is NaN, else to other (torch's rule: ties
    are not split, unlike maximum)."""

    saves = ()
    largest = True

    def forward(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        keeps_a = (a >= b) if self.largest else (a <= b)
        self.to_a = keeps_a | np.isnan(b) if b.dtype.kind == "f" else keeps_a
        return np.fmax(a, b) if self.largest else np.fmin(a, b)

    def backward(self, grad: np.ndarray) -> tuple[Any, Any]:
        zero = np.zeros((), grad.dtype)
        return np.where(self.to_a, grad, zero), np.where(self.to_a, zero, grad)


class FMin(FMax):
    largest = False


# ------------------------------------------------------------------ functional API
def _unary(fn: type[Function], input: Tensor, op: str, *args: Any) -> Tensor:  # noqa: A002
    require_tensor(input, op, "input", 1)
    return fn.apply(_floating(input), *args)


def lgamma(input: Tensor) -> Tensor:  # noqa: A002 - torch's names
    """log |Gamma(input)| (inf at 0 and the negative integers)."""
    return _unary(Lgamma, input, "lgamma")


def digamma(input: Tensor) -> Tensor:  # noqa: A002
    """The derivative of lgamma: psi(input) = Gamma'(input) / Gamma(input)."""
    return _unary(Digamma, input, "digamma")


def i0(input: Tensor) -> Tensor:  # noqa: A002
    """The modified Bessel function of the first kind of order 0 (even, I0(0) = 1)."""
    return _unary(I0, input, "i0")


def sinc(input: Tensor) -> Tensor:  # noqa: A002
    """The normalized sinc: sin(pi input) / (pi input), 1 at 0."""
    return _unary(Sinc, input, "sinc")


def deg2rad(input: Tensor) -> Tensor:  # noqa: A002
    """Degrees to radians: input * pi / 180."""
    return _unary(Scale, input, "deg2rad", math.pi / 180)


def rad2deg(input: Tensor) -> Tensor:  # noqa: A002
    """Radians to degrees: input * 180 / pi."""
    return _unary(Scale, input, "rad2deg", 180 / math.pi)


def logit(input: Tensor, eps: float | None = None) -> Tensor:  # noqa: A002
    """log(p / (1 - p)), the inverse of sigmoid; with `eps`, p is clamped to [eps, 1 - eps]
    first, so 0 and 1 give finite values."""
    if eps is not None and not isinstance(eps, (int, float)):
        raise TypeError(f"logit(): argument 'eps' must be float, not {type(eps).__name__}")
    return _unary(Logit, input, "logit", None if eps is None else float(eps))


def signbit(input: Tensor) -> Tensor:  # noqa: A002
    """True where the sign bit is set: negative numbers, -0.0, -inf and NaNs with the bit."""
    require_tensor(input, "signbit", "input", 1)
    a = input._data
    return Tensor._make(np.signbit(a) if a.dtype.kind == "f" else a < 0, False)


def _tensor_pair(op: str, input: Any, other: Any) -> tuple[Tensor, Tensor]:  # noqa: A002
    require_tensor(input, op, "input", 1)
    require_tensor(other, op, "other", 2)
    return _operands(input, other)


def fmax(input: Tensor, other: Tensor) -> Tensor:  # noqa: A002
    """Elementwise maximum that ignores NaN: fmax(nan, 1) = 1 (maximum would give nan)."""
    return FMax.apply(*_tensor_pair("fmax", input, other))


def fmin(input: Tensor, other: Tensor) -> Tensor:  # noqa: A002
    """Elementwise minimum that ignores NaN: fmin(nan, 1) = 1."""
    return FMin.apply(*_tensor_pair("fmin", input, other))


def heaviside(input: Tensor, values: Tensor) -> Tensor:  # noqa: A002
    """The step function: 0 where input < 0, 1 where input > 0, `values` where input == 0
    (broadcast). Both tensors must have the same dtype; no derivative, as in torch."""
    require_tensor(input, "heaviside", "input", 1)
    require_tensor(values, "heaviside", "values", 2)
    if input.dtype != values.dtype:
        raise RuntimeError(
            "heaviside is not yet implemented for tensors with different dtypes "
            f"(got {input.dtype} and {values.dtype}); convert values with .to(input.dtype)"
        )
    broadcast_shape(input, values)  # torch's error for shapes that do not broadcast
    a, v = input._data, values._data
    out = np.where(a == 0, v, a > 0).astype(a.dtype)
    if input.requires_grad or values.requires_grad:
        return NoDerivative.apply(out, "heaviside", input, values)
    return Tensor._make(out, False)


def float_power(input: Any, exponent: Any) -> Tensor:  # noqa: A002
    """input ** exponent computed in float64 (the result is float64 whatever the operands)."""
    if not isinstance(input, Tensor) and not isinstance(exponent, Tensor):
        raise TypeError(
            "float_power(): expected a tensor as input or exponent, got two numbers; "
            "use math.pow for numbers"
        )
    double = np.dtype(np.float64)
    operands = (input, exponent)
    base, power = (cast(x, double) if isinstance(x, Tensor) else float(x) for x in operands)
    return pow(base, power)


def float_power_(self: Tensor, exponent: Any) -> Tensor:
    """In-place float_power: the tensor must already be float64 (the result's dtype)."""
    from groundup.inplace import apply_inplace

    if self.dtype != np.float64:
        raise RuntimeError(
            f"float_power_(): the base given to float_power_ has dtype {self.dtype} but the "
            "operation's result requires dtype float64; convert it first (x = x.double())"
        )
    return apply_inplace(self, float_power, (exponent,), {}, "float_power_")


METHODS = {"float_power_": float_power_}

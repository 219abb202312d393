"""Unary elementwise math: exp and log in several bases, roots and powers, trigonometric and
hyperbolic functions and their inverses, erf. Signs (abs, neg, sign) and rounding are in
`math_sign`.

Integer and bool inputs give float32, as in torch. Each gradient is the formula torch uses,
so the special points agree too: 1/sqrt(0) = inf, asin'(1) = inf, and so on. `@quiet`
marks computations whose inf and nan results are expected (no NumPy warnings, as in torch).
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from groundup._lazy import special
from groundup.function import Function
from groundup.ops.numeric import _floating, quiet
from groundup.tensor import Tensor

__all__ = [
    "acos",
    "acosh",
    "arccos",
    "arccosh",
    "arcsin",
    "arcsinh",
    "arctan",
    "arctanh",
    "asin",
    "asinh",
    "atan",
    "atanh",
    "cos",
    "cosh",
    "erf",
    "erfc",
    "erfinv",
    "exp2",
    "expm1",
    "log10",
    "log1p",
    "log2",
    "reciprocal",
    "rsqrt",
    "sin",
    "sinh",
    "square",
    "tan",
]

INPLACE = frozenset(__all__)

_LN2, _LN10 = math.log(2), math.log(10)
_TWO_OVER_SQRT_PI = 2 / math.sqrt(math.pi)


# ------------------------------------------------------------------ exp, log, powers
class Exp(Function):
    saves = ()
    saves_output = True

    @quiet
    def forward(self, a: np.ndarray) -> np.ndarray:
        self.out = np.exp(a)
        return self.out

    @quiet
    def backward(self, grad: np.ndarray) -> np.ndarray:
        return grad * self.out


class Exp2(Function):
    saves = ()
    saves_output = True

    @quiet
    def forward(self, a: np.ndarray) -> np.ndarray:
        self.out = np.exp2(a)
        return self.out

    @quiet
    def backward(self, grad: np.ndarray) -> np.ndarray:
        return grad * self.out * _LN2  # d 2^x = 2^x ln 2


class Expm1(Function):
    saves = ()
    saves_output = True

    @quiet
    def forward(self, a: np.ndarray) -> np.ndarray:
        self.out = np.expm1(a)  # e^x - 1, accurate near 0
        return self.out

    @quiet
    def backward(self, grad: np.ndarray) -> np.ndarray:
        return grad * (self.out + 1)


class Log(Function):
    """log x (and log2, log10: ln x / ln base, so the gradient is 1 / (x ln base))."""

    ufunc: np.ufunc = np.log
    ln_base = 1.0

    @quiet
    def forward(self, a: np.ndarray) -> np.ndarray:
        self.a = a
        return self.ufunc(a)

    @quiet
    def backward(self, grad: np.ndarray) -> np.ndarray:
        return grad / self.a if self.ln_base == 1.0 else grad / (self.a * self.ln_base)


class Log2(Log):
    ufunc, ln_base = np.log2, _LN2


class Log10(Log):
    ufunc, ln_base = np.log10, _LN10


class Log1p(Function):
    @quiet
    def forward(self, a: np.ndarray) -> np.ndarray:
        self.a = a
        return np.log1p(a)  # log(1 + x), accurate near 0

    @quiet
    def backward(self, grad: np.ndarray) -> np.ndarray:
        return grad / (self.a + 1)


class Sqrt(Function):
    saves = ()
    saves_output = True

    @quiet
    def forward(self, a: np.ndarray) -> np.ndarray:
        self.out = np.sqrt(a)
        return self.out

    @quiet
    def backward(self, grad: np.ndarray) -> np.ndarray:
        return grad / (2 * self.out)


class Rsqrt(Function):
    saves = ()
    saves_output = True

    @quiet
    def forward(self, a: np.ndarray) -> np.ndarray:
        self.out = 1 / np.sqrt(a)
        return self.out

    @quiet
    def backward(self, grad: np.ndarray) -> np.ndarray:
        # d x^(-1/2) = -1/2 x^(-3/2) = -1/2 rsqrt(x)^3: -inf at x = 0, as torch
        return -0.5 * grad * (self.out * self.out * self.out)


class Reciprocal(Function):
    saves = ()
    saves_output = True

    @quiet
    def forward(self, a: np.ndarray) -> np.ndarray:
        self.out = 1 / a
        return self.out

    @quiet
    def backward(self, grad: np.ndarray) -> np.ndarray:
        return -grad * (self.out * self.out)  # d 1/x = -1/x^2


# ------------------------------------------------------------------ trigonometric
class Sin(Function):
    @quiet
    def forward(self, a: np.ndarray) -> np.ndarray:
        self.a = a
        return np.sin(a)

    @quiet
    def backward(self, grad: np.ndarray) -> np.ndarray:
        return grad * np.cos(self.a)


class Cos(Function):
    @quiet
    def forward(self, a: np.ndarray) -> np.ndarray:
        self.a = a
        return np.cos(a)

    @quiet
    def backward(self, grad: np.ndarray) -> np.ndarray:
        return grad * -np.sin(self.a)


class Tan(Function):
    saves = ()
    saves_output = True

    @quiet
    def forward(self, a: np.ndarray) -> np.ndarray:
        self.out = np.tan(a)
        return self.out

    @quiet
    def backward(self, grad: np.ndarray) -> np.ndarray:
        return grad * (1 + self.out * self.out)  # d tan x = 1 + tan^2 x


class Asin(Function):
    @quiet
    def forward(self, a: np.ndarray) -> np.ndarray:
        self.a = a
        return np.arcsin(a)

    @quiet
    def backward(self, grad: np.ndarray) -> np.ndarray:
        return grad * (1 / np.sqrt(-self.a * self.a + 1))  # 1 / sqrt(1 - x^2)


class Acos(Function):
    @quiet
    def forward(self, a: np.ndarray) -> np.ndarray:
        self.a = a
        return np.arccos(a)

    @quiet
    def backward(self, grad: np.ndarray) -> np.ndarray:
        return grad * -(1 / np.sqrt(-self.a * self.a + 1))  # -1 / sqrt(1 - x^2)


class Atan(Function):
    def forward(self, a: np.ndarray) -> np.ndarray:
        self.a = a
        return np.arctan(a)

    @quiet
    def backward(self, grad: np.ndarray) -> np.ndarray:
        return grad / (self.a * self.a + 1)


# ------------------------------------------------------------------ hyperbolic
class Sinh(Function):
    @quiet
    def forward(self, a: np.ndarray) -> np.ndarray:
        self.a = a
        return np.sinh(a)

    @quiet
    def backward(self, grad: np.ndarray) -> np.ndarray:
        return grad * np.cosh(self.a)


class Cosh(Function):
    @quiet
    def forward(self, a: np.ndarray) -> np.ndarray:
        self.a = a
        return np.cosh(a)

    @quiet
    def backward(self, grad: np.ndarray) -> np.ndarray:
        return grad * np.sinh(self.a)


class Asinh(Function):
    @quiet
    def forward(self, a: np.ndarray) -> np.ndarray:
        self.a = a
        return np.arcsinh(a)

    @quiet
    def backward(self, grad: np.ndarray) -> np.ndarray:
        return grad * (1 / np.sqrt(self.a * self.a + 1))  # 1 / sqrt(x^2 + 1)


class Acosh(Function):
    @quiet
    def forward(self, a: np.ndarray) -> np.ndarray:
        self.a = a
        return np.arccosh(a)

    @quiet
    def backward(self, grad: np.ndarray) -> np.ndarray:
        return grad * (1 / np.sqrt(self.a * self.a - 1))  # 1 / sqrt(x^2 - 1)


class Atanh(Function):
    @quiet
    def forward(self, a: np.ndarray) -> np.ndarray:
        self.a = a
        return np.arctanh(a)

    @quiet
    def backward(self, grad: np.ndarray) -> np.ndarray:
        return grad / (1 - self.a * self.a)


# ------------------------------------------------------------------ error function
class Erf(Function):
    """erf x = 2/sqrt(pi) * integral_0^x e^(-t^2) dt, so erf' x = 2/sqrt(pi) e^(-x^2)."""

    sign = 1.0

    def forward(self, a: np.ndarray) -> np.ndarray:

        self.a = a
        out = special.erf(a) if self.sign > 0 else special.erfc(a)
        return out.astype(a.dtype, copy=False)  # scipy has no float16 loop

    @quiet
    def backward(self, grad: np.ndarray) -> np.ndarray:
        return self.sign * _TWO_OVER_SQRT_PI * np.exp(-(self.a * self.a)) * grad


class Erfc(Erf):
    """erfc x = 1 - erf x, computed without the cancellation for large x."""

    sign = -1.0


class Erfinv(Function):
    saves = ()
    saves_output = True

    def forward(self, a: np.ndarray) -> np.ndarray:

        out = special.erfinv(a).astype(a.dtype, copy=False)
        self.out = np.where(a == 0, a, out)  # keep the sign of -0.0 (erfinv is odd)
        return self.out

    @quiet
    def backward(self, grad: np.ndarray) -> np.ndarray:
        # inverse function rule: 1 / erf'(erfinv x) = sqrt(pi)/2 e^(erfinv(x)^2)
        return (0.5 * math.sqrt(math.pi)) * np.exp(self.out * self.out) * grad


# ------------------------------------------------------------------ functional API
def square(input: Tensor) -> Tensor:  # noqa: A002
    """input ** 2 (an integer stays an integer; bool gives int64, as in torch)."""
    from groundup.ops.elementwise import pow  # elementwise imports this module

    return pow(input, 2)


def _unary(fn: type[Function], doc: str) -> Callable[[Tensor], Tensor]:
    """The functional form of a unary op: integer and bool inputs become float32 first."""

    def op(input: Tensor) -> Tensor:  # noqa: A002
        return fn.apply(_floating(input))

    op.__name__ = op.__qualname__ = fn.__name__.lower()
    op.__doc__ = doc
    return op


exp = _unary(Exp, "e ** input.")
exp2 = _unary(Exp2, "2 ** input.")
expm1 = _unary(Expm1, "e ** input - 1, accurate for small inputs.")
log = _unary(Log, "Natural logarithm; log(0) = -inf, log(-1) = nan.")
log2 = _unary(Log2, "Base-2 logarithm.")
log10 = _unary(Log10, "Base-10 logarithm.")
log1p = _unary(Log1p, "log(1 + input), accurate for small inputs.")
sqrt = _unary(Sqrt, "Square root; the gradient at 0 is inf.")
rsqrt = _unary(Rsqrt, "1 / sqrt(input).")
reciprocal = _unary(Reciprocal, "1 / input (integers give float32).")
sin = _unary(Sin, "Sine (radians).")
cos = _unary(Cos, "Cosine (radians).")
tan = _unary(Tan, "Tangent (radians).")
asin = _unary(Asin, "Inverse sine, in [-pi/2, pi/2]; nan outside [-1, 1].")
acos = _unary(Acos, "Inverse cosine, in [0, pi]; nan outside [-1, 1].")
atan = _unary(Atan, "Inverse tangent, in (-pi/2, pi/2).")
sinh = _unary(Sinh, "Hyperbolic sine.")
cosh = _unary(Cosh, "Hyperbolic cosine.")
asinh = _unary(Asinh, "Inverse hyperbolic sine.")
acosh = _unary(Acosh, "Inverse hyperbolic cosine; nan below 1.")
atanh = _unary(Atanh, "Inverse hyperbolic tangent; +-inf at +-1, nan outside [-1, 1].")
erf = _unary(Erf, "The error function 2/sqrt(pi) * integral_0^x e^(-t^2) dt.")
erfc = _unary(Erfc, "1 - erf(input), accurate where erf(input) is close to 1.")
erfinv = _unary(Erfinv, "Inverse of erf: +-inf at +-1, nan outside [-1, 1].")

# torch's aliases (the same functions under NumPy's names)
arcsin, arccos, arctan = asin, acos, atan
arcsinh, arccosh, arctanh = asinh, acosh, atanh

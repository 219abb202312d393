"""Elementwise ops: arithmetic, exp/log/sqrt/abs, clamp, maximum/minimum, where, masked_fill.

Each backward returns the gradient at the broadcast shape; the engine sums it back.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from groundup.function import Function
from groundup.tensor import Tensor


def _operands(a: Any, b: Any) -> tuple[Any, Any]:
    """Python scalars stay scalars (NumPy keeps the tensor's dtype for them); arrays become
    constant tensors. An integer tensor meeting a Python float becomes float32, as in torch."""
    a = Tensor(a) if isinstance(a, (np.ndarray, list)) else a
    b = Tensor(b) if isinstance(b, (np.ndarray, list)) else b
    for x, y in ((a, b), (b, a)):
        if isinstance(x, Tensor) and isinstance(y, float) and x.data.dtype.kind in "biu":
            x_float = x.to(np.float32)
            return (x_float, b) if x is a else (a, x_float)
    return a, b


class Add(Function):
    def forward(self, a: Any, b: Any) -> np.ndarray:
        return np.add(a, b)

    def backward(self, grad: np.ndarray) -> tuple[Any, Any]:
        return grad, grad


class Sub(Function):
    def forward(self, a: Any, b: Any) -> np.ndarray:
        return np.subtract(a, b)

    def backward(self, grad: np.ndarray) -> tuple[Any, Any]:
        return grad, (-grad if self.parents[1] is not None else None)


class Mul(Function):
    def forward(self, a: Any, b: Any) -> np.ndarray:
        self.a, self.b = a, b
        return np.multiply(a, b)

    def backward(self, grad: np.ndarray) -> tuple[Any, Any]:
        da = grad * self.b if self.parents[0] is not None else None
        db = grad * self.a if self.parents[1] is not None else None
        return da, db


class Div(Function):
    def forward(self, a: Any, b: Any) -> np.ndarray:
        self.a, self.b = a, b
        return np.divide(a, b)

    def backward(self, grad: np.ndarray) -> tuple[Any, Any]:
        da = grad / self.b if self.parents[0] is not None else None
        # d(a/b)/db = -a / b^2
        db = -grad * self.a / (self.b * self.b) if self.parents[1] is not None else None
        return da, db


class Pow(Function):
    def forward(self, a: Any, b: Any) -> np.ndarray:
        self.a, self.b = a, b
        self.out = np.power(a, b)
        return self.out

    def backward(self, grad: np.ndarray) -> tuple[Any, Any]:
        a, b = self.a, self.b
        da = db = None
        if self.parents[0] is not None:  # d(a^b)/da = b * a^(b-1)
            da = grad * b * np.power(a, b - 1)
        if self.parents[1] is not None:  # d(a^b)/db = a^b * ln(a); torch uses 0 where a == 0
            with np.errstate(divide="ignore", invalid="ignore"):
                db = np.where(np.asarray(a) == 0, 0, grad * self.out * np.log(a))
        return da, db


class Neg(Function):
    def forward(self, a: np.ndarray) -> np.ndarray:
        return np.negative(a)

    def backward(self, grad: np.ndarray) -> np.ndarray:
        return -grad


class Exp(Function):
    def forward(self, a: np.ndarray) -> np.ndarray:
        self.out = np.exp(a)
        return self.out

    def backward(self, grad: np.ndarray) -> np.ndarray:
        return grad * self.out


class Log(Function):
    def forward(self, a: np.ndarray) -> np.ndarray:
        self.a = a
        return np.log(a)

    def backward(self, grad: np.ndarray) -> np.ndarray:
        return grad / self.a


class Sqrt(Function):
    def forward(self, a: np.ndarray) -> np.ndarray:
        self.out = np.sqrt(a)
        return self.out

    def backward(self, grad: np.ndarray) -> np.ndarray:
        return grad / (2 * self.out)


class Abs(Function):
    def forward(self, a: np.ndarray) -> np.ndarray:
        self.a = a
        return np.abs(a)

    def backward(self, grad: np.ndarray) -> np.ndarray:
        return grad * np.sign(self.a)  # sign(0) = 0, as torch


class Clamp(Function):
    def forward(self, a: np.ndarray, low: float | None, high: float | None) -> np.ndarray:
        self.passes = np.ones(a.shape, dtype=bool)
        if low is not None:
            self.passes &= a >= low
        if high is not None:
            self.passes &= a <= high
        return np.clip(a, low, high)

    def backward(self, grad: np.ndarray) -> tuple[Any, ...]:
        return grad * self.passes, None, None


class Maximum(Function):
    """Elementwise max; a tie sends half the gradient to each side (torch's rule)."""

    sign = 1

    def forward(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        self.a, self.b = a, b
        return np.maximum(a, b) if self.sign > 0 else np.minimum(a, b)

    def backward(self, grad: np.ndarray) -> tuple[Any, Any]:
        a_wins = (self.a - self.b) * self.sign > 0
        tie = self.a == self.b
        da = np.where(tie, grad / 2, np.where(a_wins, grad, 0))
        db = np.where(tie, grad / 2, np.where(a_wins, 0, grad))
        return da.astype(grad.dtype, copy=False), db.astype(grad.dtype, copy=False)


class Minimum(Maximum):
    sign = -1


class Where(Function):
    def forward(self, cond: np.ndarray, a: Any, b: Any) -> np.ndarray:
        self.cond = cond
        return np.where(cond, a, b)

    def backward(self, grad: np.ndarray) -> tuple[Any, ...]:
        zero = np.zeros((), grad.dtype)
        da = np.where(self.cond, grad, zero) if self.parents[1] is not None else None
        db = np.where(self.cond, zero, grad) if self.parents[2] is not None else None
        return None, da, db


class MaskedFill(Function):
    def forward(self, a: np.ndarray, mask: np.ndarray, value: float) -> np.ndarray:
        self.mask = mask
        return np.where(mask, np.asarray(value, dtype=a.dtype), a)

    def backward(self, grad: np.ndarray) -> tuple[Any, ...]:
        return np.where(self.mask, np.zeros((), grad.dtype), grad), None, None


class Cast(Function):
    def forward(self, a: np.ndarray, dtype: np.dtype) -> np.ndarray:
        return a.astype(dtype)

    def backward(self, grad: np.ndarray) -> tuple[Any, None]:
        return grad, None  # the engine casts back to the input dtype


class Clone(Function):
    def forward(self, a: np.ndarray) -> np.ndarray:
        return a.copy()

    def backward(self, grad: np.ndarray) -> np.ndarray:
        return grad


# ------------------------------------------------------------------ functional API
def add(a: Any, b: Any) -> Tensor:
    return Add.apply(*_operands(a, b))


def sub(a: Any, b: Any) -> Tensor:
    return Sub.apply(*_operands(a, b))


def mul(a: Any, b: Any) -> Tensor:
    return Mul.apply(*_operands(a, b))


def div(a: Any, b: Any) -> Tensor:
    a, b = _operands(a, b)
    for x in (a, b):  # true division of integers gives float32, as in torch
        if isinstance(x, Tensor) and x.data.dtype.kind in "biu":
            return div(a.to(np.float32) if x is a else a, b.to(np.float32) if x is b else b)
    return Div.apply(a, b)


def pow(a: Any, exponent: Any) -> Tensor:  # noqa: A001 - torch's name
    return Pow.apply(*_operands(a, exponent))


def neg(a: Tensor) -> Tensor:
    return Neg.apply(a)


def exp(a: Tensor) -> Tensor:
    return Exp.apply(a)


def log(a: Tensor) -> Tensor:
    return Log.apply(a)


def sqrt(a: Tensor) -> Tensor:
    return Sqrt.apply(a)


def abs(a: Tensor) -> Tensor:  # noqa: A001 - torch's name
    return Abs.apply(a)


def clamp(a: Tensor, min: float | None = None, max: float | None = None) -> Tensor:  # noqa: A002
    if min is None and max is None:
        raise ValueError("clamp: at least one of min and max must be given")
    return Clamp.apply(a, min, max)


clip = clamp


def maximum(a: Tensor, b: Tensor) -> Tensor:
    return Maximum.apply(*_operands(a, b))


def minimum(a: Tensor, b: Tensor) -> Tensor:
    return Minimum.apply(*_operands(a, b))


def where(condition: Any, a: Any, b: Any) -> Tensor:
    cond = condition.data if isinstance(condition, Tensor) else np.asarray(condition)
    if cond.dtype != np.bool_:
        raise TypeError(f"where: condition must be a bool tensor, got dtype {cond.dtype}")
    a, b = _operands(a, b)
    return Where.apply(cond, a, b)


def masked_fill(a: Tensor, mask: Any, value: float) -> Tensor:
    m = mask.data if isinstance(mask, Tensor) else np.asarray(mask)
    if m.dtype != np.bool_:
        raise TypeError(f"masked_fill: mask must be a bool tensor, got dtype {m.dtype}")
    return MaskedFill.apply(a, m, value)


def cast(a: Tensor, dtype: np.dtype) -> Tensor:
    if a.data.dtype == dtype:
        return a
    return Cast.apply(a, dtype)


def clone(a: Tensor) -> Tensor:
    return Clone.apply(a)

"""Elementwise ops: arithmetic, exp/log/sqrt/abs, clamp, maximum/minimum, where, masked_fill.

Each backward returns the gradient at the broadcast shape; the engine sums it back.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from groundup.function import Function
from groundup.tensor import Tensor


def _category(dtype: np.dtype) -> int:
    """torch's promotion categories: bool < integer < floating."""
    return 0 if dtype == np.bool_ else 1 if dtype.kind in "iu" else 2


def promote_types(da: np.dtype, db: np.dtype) -> np.dtype:
    """torch.promote_types: the higher category wins (int64 with float32 -> float32, where
    NumPy would say float64); within a category, the wider type."""
    if da == db:
        return da
    ca, cb = _category(da), _category(db)
    if ca != cb:
        return da if ca > cb else db
    return np.promote_types(da, db)


def result_dtype(a: Tensor, b: Tensor) -> np.dtype:
    """torch.result_type for two tensors: as `promote_types`, except that within a category
    a tensor with dims beats a 0-d one (float32 matrix * float64 0-d tensor -> float32)."""
    da, db = a._data.dtype, b._data.dtype
    zero_dim_a, zero_dim_b = a._data.ndim == 0, b._data.ndim == 0
    if zero_dim_a != zero_dim_b and da != db and _category(da) == _category(db):
        return db if zero_dim_a else da
    return promote_types(da, db)


def _operands(a: Any, b: Any) -> tuple[Any, Any]:
    """Bring two operands to torch's result dtype without ever upcasting float32 by accident.

    Python scalars stay scalars (NumPy keeps the tensor's dtype for them), NumPy scalars
    become Python scalars (np.float64(2) * float32 tensor stays float32, as in torch), arrays
    and lists become constant tensors, and an integer tensor meeting a Python float becomes
    float32.
    """
    a = Tensor(a) if isinstance(a, (np.ndarray, list)) else a
    b = Tensor(b) if isinstance(b, (np.ndarray, list)) else b
    a = a.item() if isinstance(a, np.generic) else a
    b = b.item() if isinstance(b, np.generic) else b
    if isinstance(a, Tensor) and isinstance(b, Tensor):
        if a._data.dtype != b._data.dtype:
            dtype = result_dtype(a, b)
            a, b = cast(a, dtype), cast(b, dtype)
        return a, b
    for x, y in ((a, b), (b, a)):
        if isinstance(x, Tensor) and isinstance(y, float) and x._data.dtype.kind in "biu":
            x_float = x.to(np.float32)
            return (x_float, b) if x is a else (a, x_float)
    return a, b


def _floating(a: Tensor) -> Tensor:
    """exp/log/sqrt of an integer tensor is float32, as in torch."""
    return a if a._data.dtype.kind == "f" else a.to(np.float32)


class Add(Function):
    saves = ()

    def forward(self, a: Any, b: Any) -> np.ndarray:
        return np.add(a, b)

    def backward(self, grad: np.ndarray) -> tuple[Any, Any]:
        return grad, grad


class Sub(Function):
    saves = ()

    def forward(self, a: Any, b: Any) -> np.ndarray:
        return np.subtract(a, b)

    def backward(self, grad: np.ndarray) -> tuple[Any, Any]:
        return grad, (-grad if self.parents[1] is not None else None)


class Mul(Function):
    def saved_inputs(self) -> tuple[int, ...]:
        # a's gradient reads b and b's reads a: save each only when the other needs it
        return tuple(i for i in (0, 1) if self.parents[1 - i] is not None)

    def forward(self, a: Any, b: Any) -> np.ndarray:
        self.a, self.b = a, b
        return np.multiply(a, b)

    def backward(self, grad: np.ndarray) -> tuple[Any, Any]:
        da = grad * self.b if self.parents[0] is not None else None
        db = grad * self.a if self.parents[1] is not None else None
        return da, db


class Div(Function):
    saves = (1,)
    saves_output = True

    def forward(self, a: Any, b: Any) -> np.ndarray:
        self.b = b
        self.out = np.divide(a, b)
        return self.out

    def backward(self, grad: np.ndarray) -> tuple[Any, Any]:
        da = grad / self.b if self.parents[0] is not None else None
        # d(a/b)/db = -a / b^2 = -(a/b) / b  (written this way b^2 cannot overflow)
        db = -grad * self.out / self.b if self.parents[1] is not None else None
        return da, db


class Pow(Function):
    saves_output = True

    def forward(self, a: Any, b: Any) -> np.ndarray:
        self.a, self.b = a, b
        self.out = np.power(a, b)
        return self.out

    def backward(self, grad: np.ndarray) -> tuple[Any, Any]:
        a, b = self.a, self.b
        da = db = None
        with np.errstate(divide="ignore", invalid="ignore"):
            if self.parents[0] is not None:  # d(a^b)/da = b a^(b-1), and 0 where b == 0 (torch)
                da = grad * b * np.power(a, b - 1)
                b_zero = np.asarray(b) == 0
                if b_zero.any():
                    da = np.where(b_zero, 0, da)
            if self.parents[1] is not None:  # d(a^b)/db = a^b ln(a), and 0 where a == 0 <= b
                db = grad * self.out * np.log(a, dtype=self.out.dtype)
                zero_base = (np.asarray(a) == 0) & (np.asarray(b) >= 0)
                if zero_base.any():
                    db = np.where(zero_base, 0, db)
        return da, db


class Neg(Function):
    saves = ()

    def forward(self, a: np.ndarray) -> np.ndarray:
        return np.negative(a)

    def backward(self, grad: np.ndarray) -> np.ndarray:
        return -grad


class Exp(Function):
    saves = ()
    saves_output = True

    def forward(self, a: np.ndarray) -> np.ndarray:
        self.out = np.exp(a)
        return self.out

    def backward(self, grad: np.ndarray) -> np.ndarray:
        return grad * self.out


class Log(Function):
    saves = (0,)

    def forward(self, a: np.ndarray) -> np.ndarray:
        self.a = a
        return np.log(a)

    def backward(self, grad: np.ndarray) -> np.ndarray:
        return grad / self.a


class Sqrt(Function):
    saves = ()
    saves_output = True

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
    saves = ()

    def forward(self, a: np.ndarray, low: float | None, high: float | None) -> np.ndarray:
        # The gradient passes where low <= a <= high: both boundaries included, as in torch.
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

    largest = True

    def forward(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        self.a, self.b = a, b
        return np.maximum(a, b) if self.largest else np.minimum(a, b)

    def backward(self, grad: np.ndarray) -> tuple[Any, Any]:
        a_wins = self.a > self.b if self.largest else self.a < self.b
        tie = self.a == self.b
        half = grad * 0.5
        zero = np.zeros((), grad.dtype)
        da = np.where(tie, half, np.where(a_wins, grad, zero))
        db = np.where(tie, half, np.where(a_wins, zero, grad))
        return da, db


class Minimum(Maximum):
    largest = False


class Where(Function):
    saves = ()

    def forward(self, cond: np.ndarray, a: Any, b: Any) -> np.ndarray:
        self.cond = cond
        return np.where(cond, a, b)

    def backward(self, grad: np.ndarray) -> tuple[Any, ...]:
        zero = np.zeros((), grad.dtype)
        da = np.where(self.cond, grad, zero) if self.parents[1] is not None else None
        db = np.where(self.cond, zero, grad) if self.parents[2] is not None else None
        return None, da, db


class MaskedFill(Function):
    saves = ()

    def forward(self, a: np.ndarray, mask: np.ndarray, value: float) -> np.ndarray:
        self.mask = mask
        return np.where(mask, np.asarray(value, dtype=a.dtype), a)

    def backward(self, grad: np.ndarray) -> tuple[Any, ...]:
        return np.where(self.mask, np.zeros((), grad.dtype), grad), None, None


class Cast(Function):
    saves = ()

    def forward(self, a: np.ndarray, dtype: np.dtype) -> np.ndarray:
        return a.astype(dtype)

    def backward(self, grad: np.ndarray) -> tuple[Any, None]:
        return grad, None  # the engine casts back to the input dtype


class Clone(Function):
    saves = ()

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
    """True division; integer operands give float32, as in torch."""
    a, b = _operands(a, b)
    if isinstance(a, Tensor) and a._data.dtype.kind in "biu":
        a = a.to(np.float32)
    if isinstance(b, Tensor) and b._data.dtype.kind in "biu":
        b = b.to(np.float32)
    return Div.apply(a, b)


def pow(a: Any, exponent: Any) -> Tensor:  # noqa: A001 - torch's name
    return Pow.apply(*_operands(a, exponent))


def neg(a: Tensor) -> Tensor:
    return Neg.apply(a)


def exp(a: Tensor) -> Tensor:
    return Exp.apply(_floating(a))


def log(a: Tensor) -> Tensor:
    return Log.apply(_floating(a))


def sqrt(a: Tensor) -> Tensor:
    return Sqrt.apply(_floating(a))


def abs(a: Tensor) -> Tensor:  # noqa: A001 - torch's name
    return Abs.apply(a)


def clamp(a: Tensor, min: float | None = None, max: float | None = None) -> Tensor:  # noqa: A002
    """Limit to [min, max]; the gradient is 1 inside, boundaries included, 0 outside."""
    if min is None and max is None:
        raise ValueError("clamp: at least one of min and max must be given")
    if a._data.dtype.kind in "biu" and (isinstance(min, float) or isinstance(max, float)):
        a = a.to(np.float32)
    return Clamp.apply(a, min, max)


clip = clamp


def maximum(a: Tensor, b: Tensor) -> Tensor:
    return Maximum.apply(*_operands(a, b))


def minimum(a: Tensor, b: Tensor) -> Tensor:
    return Minimum.apply(*_operands(a, b))


def where(condition: Any, a: Any, b: Any) -> Tensor:
    """`a` where `condition` holds, else `b`; the gradient follows the chosen side."""
    cond = condition._data if isinstance(condition, Tensor) else np.asarray(condition)
    if cond.dtype != np.bool_:
        raise TypeError(f"where: condition must be a bool tensor, got dtype {cond.dtype}")
    a, b = _operands(a, b)
    return Where.apply(cond, a, b)


def masked_fill(a: Tensor, mask: Any, value: Any) -> Tensor:
    """Put `value` where `mask` is True (mask broadcasts to `a`); those entries get no gradient."""
    m = mask._data if isinstance(mask, Tensor) else np.asarray(mask)
    if m.dtype != np.bool_:
        raise TypeError(f"masked_fill: mask must be a bool tensor, got dtype {m.dtype}")
    try:
        fits = np.broadcast_shapes(m.shape, a.shape) == a.shape
    except ValueError:
        fits = False
    if not fits:
        raise RuntimeError(f"masked_fill: mask of shape {m.shape} does not broadcast to {a.shape}")
    if isinstance(value, Tensor):
        value = value.item()
    return MaskedFill.apply(a, m, value)


def cast(a: Tensor, dtype: np.dtype) -> Tensor:
    """Convert to `dtype`; only a floating result stays in the graph (as torch's `.to`)."""
    dtype = np.dtype(dtype)
    if a._data.dtype == dtype:
        return a
    if dtype.kind != "f":
        return Tensor._make(a._data.astype(dtype), False)
    return Cast.apply(a, dtype)


def clone(a: Tensor) -> Tensor:
    return Clone.apply(a)

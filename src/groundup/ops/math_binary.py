"""Elementwise math of two or three operands: atan2, hypot, remainder and fmod, floor_divide,
lerp, addcmul and addcdiv, logaddexp, xlogy, clamp_min and clamp_max, and torch's aliases of
the arithmetic ops (multiply, subtract, divide, true_divide, rsub). copysign is in
`math_sign`.

Operands broadcast and promote as in torch (`ops.numeric`); each backward returns the
gradient at the broadcast shape and the engine sums it back to each input.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from groundup._lazy import special
from groundup.function import Function
from groundup.ops.elementwise import clamp, div, mul, sub
from groundup.ops.numeric import (
    _operands,
    broadcast_shape,
    cast,
    check_divisor,
    divide_rounded,
    float_operands,
    fused_multiply_add,
    operands_dtype,
    quiet,
    raw,
    require_tensor,
    result_type,
    unsupported,
)
from groundup.tensor import Tensor

__all__ = [
    "addcdiv",
    "addcmul",
    "arctan2",
    "atan2",
    "clamp_max",
    "clamp_min",
    "divide",
    "floor_divide",
    "fmod",
    "hypot",
    "lerp",
    "logaddexp",
    "logaddexp2",
    "multiply",
    "remainder",
    "rsub",
    "subtract",
    "true_divide",
    "xlogy",
]

# torch has no logaddexp_, logaddexp2_ or rsub_, nor a Tensor.rsub method
INPLACE = frozenset(__all__) - {"logaddexp", "logaddexp2", "rsub"}
NOT_METHODS = frozenset(["rsub"])


class Atan2(Function):
    """atan2(y, x): the angle of the point (x, y), in [-pi, pi]."""

    @quiet
    def forward(self, y: Any, x: Any) -> Any:
        self.y, self.x = y, x
        return np.arctan2(y, x)

    @quiet
    def backward(self, grad: np.ndarray) -> tuple[Any, Any]:
        # d atan2(y, x) = (x dy - y dx) / (x^2 + y^2); torch takes 0 at the origin
        r2 = self.y * self.y + self.x * self.x
        recip = np.where(r2 == 0, 0, 1 / r2)
        dy = grad * self.x * recip if self.parents[0] is not None else None
        dx = grad * -self.y * recip if self.parents[1] is not None else None
        return dy, dx


class Hypot(Function):
    """sqrt(a^2 + b^2) without overflow; d/da = a / hypot (nan at the origin, as torch)."""

    saves_output = True

    @quiet
    def forward(self, a: Any, b: Any) -> Any:
        self.a, self.b = a, b
        self.out = np.hypot(a, b)
        return self.out

    @quiet
    def backward(self, grad: np.ndarray) -> tuple[Any, Any]:
        da = grad * self.a / self.out if self.parents[0] is not None else None
        db = grad * self.b / self.out if self.parents[1] is not None else None
        return da, db


class Fmod(Function):
    """a - trunc(a / b) * b: the remainder with the sign of a (C's fmod).

    The gradient is 1 for a and -trunc(a / b) for b (the quotient is locally constant).
    """

    rounding = "trunc"

    def saved_inputs(self) -> tuple[int, ...]:
        return (0, 1) if self.parents[1] is not None else ()  # only b's gradient reads them

    @quiet
    def forward(self, a: Any, b: Any) -> Any:
        self.a, self.b = a, b
        return np.fmod(a, b)

    @quiet
    def backward(self, grad: np.ndarray) -> tuple[Any, Any]:
        db = None
        if self.parents[1] is not None:
            db = -grad * divide_rounded(self.a, self.b, self.rounding)
        return grad, db


class Remainder(Fmod):
    """a - floor(a / b) * b: the remainder with the sign of b (Python's %)."""

    rounding = "floor"

    @quiet
    def forward(self, a: Any, b: Any) -> Any:
        self.a, self.b = a, b
        mod = np.fmod(a, b)  # torch's kernel: move fmod's result into b's sign where they differ
        return np.where((mod != 0) & ((np.asarray(b) < 0) != (mod < 0)), mod + b, mod)


class FloorDivide(Function):
    """a // b, rounded toward minus infinity. torch defines no derivative for it."""

    saves = ()

    def forward(self, a: Any, b: Any) -> Any:
        return divide_rounded(a, b, "floor")

    def backward(self, grad: np.ndarray) -> tuple[Any, Any]:
        raise RuntimeError(
            "derivative for floor_divide is not implemented; use "
            "div(a, b, rounding_mode='floor'), whose gradient is zero"
        )


class Lerp(Function):
    """start + weight * (end - start), computed from the nearer end so that weight 1 gives
    exactly `end`: start + w d for |w| < 0.5, else end + (w - 1) d, with d = end - start and
    one rounding (torch's fused multiply-add)."""

    def saved_inputs(self) -> tuple[int, ...]:
        return (2,)  # start's and end's gradients read a tensor weight (d is kept instead)

    def forward(self, start: np.ndarray, end: np.ndarray, weight: Any) -> Any:
        self.weight, self.diff = weight, end - start
        w = np.asarray(weight).astype(start.dtype)
        small = np.abs(w) < 0.5
        coeff, base = np.where(small, w, w - 1), np.where(small, start, end)
        return fused_multiply_add(coeff, self.diff, base, start.dtype)

    def backward(self, grad: np.ndarray) -> tuple[Any, ...]:
        w = self.weight
        d_start = grad * (1 - w) if self.parents[0] is not None else None
        d_end = grad * w if self.parents[1] is not None else None
        d_weight = grad * self.diff if self.parents[2] is not None else None
        return d_start, d_end, d_weight


class Addcmul(Function):
    """input + value * tensor1 * tensor2 (torch: one rounding for the last multiply-add)."""

    def saved_inputs(self) -> tuple[int, ...]:
        return tuple(i for i, j in ((1, 2), (2, 1)) if self.parents[j] is not None)

    def forward(self, a: Any, t1: Any, t2: Any, value: Any) -> Any:
        self.t1, self.t2, self.value = t1, t2, value
        dtype = np.result_type(a, t1, t2)
        return fused_multiply_add(np.asarray(value).astype(dtype) * t1, t2, a, dtype)

    def backward(self, grad: np.ndarray) -> tuple[Any, ...]:
        d1 = grad * self.t2 * self.value if self.parents[1] is not None else None
        d2 = grad * self.t1 * self.value if self.parents[2] is not None else None
        return grad, d1, d2, None


class Addcdiv(Function):
    """input + value * tensor1 / tensor2."""

    def saved_inputs(self) -> tuple[int, ...]:
        # tensor1's gradient reads tensor2; tensor2's reads both
        if self.parents[2] is not None:
            return (1, 2)
        return (2,) if self.parents[1] is not None else ()

    @quiet
    def forward(self, a: Any, t1: Any, t2: Any, value: Any) -> Any:
        self.t1, self.t2, self.value = t1, t2, value
        return a + np.asarray(value).astype(np.result_type(a, t1, t2)) * t1 / t2

    @quiet
    def backward(self, grad: np.ndarray) -> tuple[Any, ...]:
        t1, t2, v = self.t1, self.t2, self.value
        d1 = grad * v / t2 if self.parents[1] is not None else None
        d2 = -grad * v * t1 / (t2 * t2) if self.parents[2] is not None else None
        return grad, d1, d2, None


class LogAddExp(Function):
    """log(e^a + e^b) without overflow: max(a, b) + log1p(e^-|a - b|) (log-sum-exp);
    base 2: log2(2^a + 2^b) = max(a, b) + log1p(2^-|a - b|) / ln 2."""

    base2 = False

    @quiet
    def forward(self, a: Any, b: Any) -> Any:
        self.a, self.b = a, b
        gap = -np.abs(a - b)
        if self.base2:
            out = np.maximum(a, b) + np.log1p(np.exp2(gap)) * (1 / math.log(2))
        else:
            out = np.maximum(a, b) + np.log1p(np.exp(gap))
        # both inputs +inf (or both -inf): the gap inf - inf would make it nan
        return np.where(np.isinf(a) & (a == b), a, out)

    @quiet
    def backward(self, grad: np.ndarray) -> tuple[Any, Any]:
        # d/da log(e^a + e^b) = e^a / (e^a + e^b) = 1 / (1 + e^(b - a)); base 2 alike
        power = np.exp2 if self.base2 else np.exp
        da = grad / (1 + power(self.b - self.a)) if self.parents[0] is not None else None
        db = grad / (1 + power(self.a - self.b)) if self.parents[1] is not None else None
        return da, db


class LogAddExp2(LogAddExp):
    base2 = True


class Xlogy(Function):
    """x * log(y), with 0 where x == 0 (unless y is nan), as in entropy terms."""

    @quiet
    def forward(self, x: Any, y: Any) -> Any:

        self.x, self.y = x, y
        self.dtype = np.result_type(x, y)
        return special.xlogy(x, y).astype(self.dtype, copy=False)

    @quiet
    def backward(self, grad: np.ndarray) -> tuple[Any, Any]:

        dx = dy = None
        if self.parents[0] is not None:  # log(y), or 0 where x == 0, as torch
            nonzero = (np.asarray(self.x) != 0).astype(self.dtype)
            dx = grad * special.xlogy(nonzero, self.y).astype(self.dtype, copy=False)
        if self.parents[1] is not None:
            dy = grad * self.x / self.y
        return dx, dy


# ------------------------------------------------------------------ functional API
def _float_kernel(op: str, input: Tensor, other: Tensor) -> tuple[Any, Any]:  # noqa: A002
    """Both tensors, promoted; ops with float kernels only raise on integers (hypot, ...)."""
    require_tensor(input, op, "input", 1)
    require_tensor(other, op, "other", 2)
    a, b = _operands(input, other)
    if operands_dtype(a, b).kind != "f":
        raise unsupported(op, operands_dtype(a, b))
    return a, b


def atan2(input: Tensor, other: Tensor) -> Tensor:  # noqa: A002 - torch's names
    """The angle of the point (other, input), in [-pi, pi] (integers give float32)."""
    require_tensor(input, "atan2", "input", 1)
    require_tensor(other, "atan2", "other", 2)
    return Atan2.apply(*float_operands(input, other))


def hypot(input: Tensor, other: Tensor) -> Tensor:  # noqa: A002
    """sqrt(input^2 + other^2), without overflow for large values."""
    return Hypot.apply(*_float_kernel("hypot", input, other))


def logaddexp(input: Tensor, other: Tensor) -> Tensor:  # noqa: A002
    """log(exp(input) + exp(other)), without overflow."""
    return LogAddExp.apply(*_float_kernel("logaddexp", input, other))


def logaddexp2(input: Tensor, other: Tensor) -> Tensor:  # noqa: A002
    """log2(2^input + 2^other), without overflow."""
    return LogAddExp2.apply(*_float_kernel("logaddexp2", input, other))


def _division_operands(op: str, input: Any, other: Any) -> tuple[Any, Any]:  # noqa: A002
    a, b = _operands(input, other)
    dtype = operands_dtype(a, b)
    if dtype == np.bool_:
        raise unsupported(op, dtype)
    check_divisor(raw(b), dtype, op)
    return a, b


def fmod(input: Tensor, other: Any) -> Tensor:  # noqa: A002
    """The remainder of input / other with the sign of input (C's fmod): fmod(-5, 3) = -2."""
    require_tensor(input, "fmod", "input", 1)
    return Fmod.apply(*_division_operands("fmod", input, other))


def remainder(input: Any, other: Any) -> Tensor:  # noqa: A002
    """The remainder of input / other with the sign of other (Python's %): -5 % 3 = 1."""
    return Remainder.apply(*_division_operands("remainder", input, other))


def floor_divide(input: Any, other: Any) -> Tensor:  # noqa: A002
    """input // other, rounded toward minus infinity, as Python's // (no derivative)."""
    return FloorDivide.apply(*_division_operands("floor_divide", input, other))


def lerp(input: Tensor, end: Tensor, weight: Any) -> Tensor:  # noqa: A002
    """input + weight * (end - input); weight is a number or a tensor that broadcasts."""
    require_tensor(input, "lerp", "input", 1)
    require_tensor(end, "lerp", "end", 2)
    dtype = input._data.dtype
    if dtype.kind != "f":
        raise unsupported("lerp", dtype)
    weight = weight.item() if isinstance(weight, np.generic) else weight
    named = [("end", end)] + ([("weight", weight)] if isinstance(weight, Tensor) else [])
    for name, t in named:
        if t._data.dtype != dtype and not (name == "weight" and t.ndim == 0):
            raise RuntimeError(
                f"lerp: expected dtype {dtype} for `{name}` but got dtype {t._data.dtype}; "
                f"convert it with .to({dtype})"
            )
    broadcast_shape(input, end, weight)
    if isinstance(weight, Tensor):
        weight = cast(weight, dtype)  # a 0-d weight may have any dtype, as in torch
    return Lerp.apply(input, end, weight)


def _pointwise_operands(op: str, input: Tensor, t1: Tensor, t2: Tensor) -> list[Tensor]:  # noqa: A002
    for position, (name, t) in enumerate((("input", input), ("tensor1", t1), ("tensor2", t2))):
        require_tensor(t, op, name, position + 1)
    broadcast_shape(input, t1, t2)
    dtype = result_type(input, t1, t2)
    return [cast(t, dtype) for t in (input, t1, t2)]


def addcmul(input: Tensor, tensor1: Tensor, tensor2: Tensor, *, value: Any = 1) -> Tensor:  # noqa: A002
    """input + value * tensor1 * tensor2 (value is truncated to an integer for integers)."""
    a, t1, t2 = _pointwise_operands("addcmul", input, tensor1, tensor2)
    if a._data.dtype == np.bool_:
        raise unsupported("addcmul", a._data.dtype)
    return Addcmul.apply(a, t1, t2, value)


def addcdiv(input: Tensor, tensor1: Tensor, tensor2: Tensor, *, value: Any = 1) -> Tensor:  # noqa: A002
    """input + value * tensor1 / tensor2 (true division: the tensors cannot both be integers)."""
    a, t1, t2 = _pointwise_operands("addcdiv", input, tensor1, tensor2)
    if tensor1._data.dtype.kind in "biu" and tensor2._data.dtype.kind in "biu":
        raise RuntimeError(
            "Integer division with addcdiv is no longer supported, and in a future release "
            "addcdiv will perform a true division of tensor1 and tensor2; use "
            "addcdiv(input, tensor1.float(), tensor2) or (input + value * tensor1 // tensor2)"
        )
    return Addcdiv.apply(a, t1, t2, value)


def xlogy(input: Any, other: Any) -> Tensor:  # noqa: A002
    """input * log(other), and 0 where input == 0 (unless other is nan)."""
    if not isinstance(input, Tensor) and not isinstance(other, Tensor):
        raise TypeError("xlogy(): expected at least one tensor, got two numbers")
    return Xlogy.apply(*float_operands(input, other))


def clamp_min(input: Tensor, min: Any) -> Tensor:  # noqa: A002
    """clamp(input, min=min)."""
    if min is None:
        raise TypeError("clamp_min(): argument 'min' must be a number or a tensor, not None")
    return clamp(input, min=min)


def clamp_max(input: Tensor, max: Any) -> Tensor:  # noqa: A002
    """clamp(input, max=max)."""
    if max is None:
        raise TypeError("clamp_max(): argument 'max' must be a number or a tensor, not None")
    return clamp(input, max=max)


def rsub(input: Tensor, other: Any, *, alpha: Any = 1) -> Tensor:  # noqa: A002
    """other - alpha * input (sub with the operands swapped)."""
    require_tensor(input, "rsub", "input", 1)
    return sub(other, input, alpha=alpha)


def true_divide(input: Any, other: Any) -> Tensor:  # noqa: A002
    """input / other (div without rounding_mode)."""
    return div(input, other)


# torch's aliases
arctan2, multiply, subtract, divide = atan2, mul, sub, div

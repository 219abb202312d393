"""Signs, magnitudes and rounding: abs, neg, positive, sign, sgn, copysign, floor, ceil,
round, trunc, frac, and nan_to_num.

Steps (sign, floor, ...) are flat almost everywhere, so their gradient is zero everywhere
(torch's choice; at the jumps there is no derivative). Integer tensors pass through floor,
ceil, round and trunc unchanged; bool tensors have no kernel there, as in torch.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from groundup.function import Function
from groundup.ops.numeric import float_operands, quiet, require_tensor, sign_of, unsupported
from groundup.tensor import Tensor

__all__ = [
    "absolute",
    "ceil",
    "copysign",
    "fix",
    "floor",
    "frac",
    "nan_to_num",
    "negative",
    "positive",
    "round",
    "sgn",
    "sign",
    "trunc",
]

INPLACE = frozenset(__all__) - {"positive"}  # torch has no positive_


class Neg(Function):
    saves = ()

    def forward(self, a: np.ndarray) -> np.ndarray:
        return np.negative(a)

    def backward(self, grad: np.ndarray) -> np.ndarray:
        return -grad


class Abs(Function):
    def forward(self, a: np.ndarray) -> np.ndarray:
        self.a = a
        return np.abs(a)

    def backward(self, grad: np.ndarray) -> np.ndarray:
        return grad * sign_of(self.a)  # 0 at 0 (and at nan), as torch


class Copysign(Function):
    """|a| with the sign of b; d/da = copysign(a, b) / a (0 where a == 0), d/db = 0."""

    saves = ()

    @quiet
    def forward(self, a: Any, b: Any) -> Any:
        out = np.copysign(a, b)
        self.ratio = np.where(np.asarray(a) == 0, 0, out / a)  # +-1
        return out

    def backward(self, grad: np.ndarray) -> tuple[Any, Any]:
        return grad * self.ratio, (None if self.parents[1] is None else np.zeros_like(grad))


class Step(Function):
    """A piecewise-constant function: zero gradient."""

    saves = ()

    def backward(self, grad: np.ndarray) -> Any:
        return np.zeros_like(grad)


class Sign(Step):
    def forward(self, a: np.ndarray) -> np.ndarray:
        return sign_of(a)  # torch's: 0 for nan, +0.0 for -0.0


class Floor(Step):
    def forward(self, a: np.ndarray) -> np.ndarray:
        return np.floor(a)


class Ceil(Step):
    def forward(self, a: np.ndarray) -> np.ndarray:
        return np.ceil(a)


class Trunc(Step):
    def forward(self, a: np.ndarray) -> np.ndarray:
        return np.trunc(a)


class Round(Step):
    """Round half to even (2.5 -> 2), at `decimals` digits after the point."""

    @quiet
    def forward(self, a: np.ndarray, decimals: int) -> np.ndarray:
        if decimals == 0:
            return np.rint(a)
        # torch's kernel: scale by 10^|decimals| in the tensor's dtype (float16: float32),
        # round, scale back; a scale that overflows gives nan, as in torch
        dtype = np.float32 if a.dtype == np.float16 else a.dtype
        digits = -decimals if decimals < 0 else decimals
        scale = (np.float64(10.0) ** digits).astype(dtype)
        x = a.astype(dtype, copy=False)
        out = np.rint(x * scale) / scale if decimals > 0 else np.rint(x / scale) * scale
        return out.astype(a.dtype, copy=False)

    def backward(self, grad: np.ndarray) -> tuple[Any, None]:
        return np.zeros_like(grad), None


class Frac(Function):
    """x - trunc(x): the fractional part, with x's sign; gradient 1."""

    saves = ()

    @quiet
    def forward(self, a: np.ndarray) -> np.ndarray:
        return a - np.trunc(a)

    def backward(self, grad: np.ndarray) -> np.ndarray:
        return grad


class NanToNum(Function):
    """nan, +inf and -inf replaced by finite numbers; only finite entries get a gradient."""

    saves = ()

    def forward(self, a: np.ndarray, nan: float, posinf: float, neginf: float) -> np.ndarray:
        self.finite = np.isfinite(a)
        with np.errstate(over="ignore"):  # a replacement too large for the dtype is inf
            nan_, posinf_, neginf_ = (np.asarray(v).astype(a.dtype) for v in (nan, posinf, neginf))
        out = np.where(np.isnan(a), nan_, a)
        return np.where(a == np.inf, posinf_, np.where(a == -np.inf, neginf_, out))

    def backward(self, grad: np.ndarray) -> tuple[Any, ...]:
        return grad * self.finite, None, None, None


# ------------------------------------------------------------------ functional API
def _integer_copy(input: Tensor, op: str) -> Tensor | None:  # noqa: A002
    """floor/ceil/round/trunc of an integer tensor is a copy; a bool tensor has no kernel."""
    if input._data.dtype == np.bool_:
        raise unsupported(op, input._data.dtype)
    if input._data.dtype.kind in "iu":
        return Tensor._make(input._data.copy(), False)
    return None


def abs(input: Tensor) -> Tensor:  # noqa: A001, A002 - torch's names
    """|input| (the gradient at 0 is 0, as torch)."""
    if input._data.dtype == np.bool_:
        raise unsupported("abs", input._data.dtype)
    return Abs.apply(input)


def neg(input: Tensor) -> Tensor:  # noqa: A002
    """-input."""
    if input._data.dtype == np.bool_:
        raise RuntimeError(
            "Negation, the `-` operator, on a bool tensor is not supported. If you are trying "
            "to invert a mask, use the `~` or `logical_not()` operator instead."
        )
    return Neg.apply(input)


def copysign(input: Tensor, other: Any) -> Tensor:  # noqa: A002
    """|input| with the sign of other (also for zeros: copysign(1, -0.0) = -1); float."""
    require_tensor(input, "copysign", "input", 1)
    return Copysign.apply(*float_operands(input, other))


def sign(input: Tensor) -> Tensor:  # noqa: A002
    """-1, 0 or 1 by the sign of each element (0 for nan); bool stays bool."""
    if input._data.dtype == np.bool_:
        return Tensor._make(input._data.copy(), False)
    return Sign.apply(input)


def sgn(input: Tensor) -> Tensor:  # noqa: A002
    """sign for real tensors (torch's sgn also covers complex ones: x / |x|)."""
    return sign(input)


def floor(input: Tensor) -> Tensor:  # noqa: A002
    """Round toward minus infinity."""
    copy = _integer_copy(input, "floor")
    return Floor.apply(input) if copy is None else copy


def ceil(input: Tensor) -> Tensor:  # noqa: A002
    """Round toward plus infinity."""
    copy = _integer_copy(input, "ceil")
    return Ceil.apply(input) if copy is None else copy


def trunc(input: Tensor) -> Tensor:  # noqa: A002
    """Round toward zero."""
    copy = _integer_copy(input, "trunc")
    return Trunc.apply(input) if copy is None else copy


def round(input: Tensor, *, decimals: int = 0) -> Tensor:  # noqa: A001, A002
    """Round to the nearest integer, halves to even (0.5 -> 0, 1.5 -> 2), or to `decimals`
    digits after the point (negative: before it)."""
    if isinstance(decimals, bool) or not isinstance(decimals, (int, np.integer)):
        raise TypeError(f"round(): decimals must be an int, got {type(decimals).__name__}")
    if input._data.dtype.kind in "iu" and decimals != 0:
        raise unsupported("round", input._data.dtype)
    copy = _integer_copy(input, "round")
    return Round.apply(input, int(decimals)) if copy is None else copy


def frac(input: Tensor) -> Tensor:  # noqa: A002
    """input - trunc(input) (floating tensors only)."""
    if input._data.dtype.kind != "f":
        raise unsupported("frac", input._data.dtype)
    return Frac.apply(input)


def positive(input: Tensor) -> Tensor:  # noqa: A002
    """`+input`: the input itself (not a copy), as in torch."""
    if input._data.dtype == np.bool_:
        raise RuntimeError(
            "The `+` operator, on a bool tensor is not supported; use the tensor itself"
        )
    return input


def nan_to_num(
    input: Tensor,  # noqa: A002
    nan: float | None = 0.0,
    posinf: float | None = None,
    neginf: float | None = None,
) -> Tensor:
    """Replace nan by `nan` (default 0), +inf by `posinf` and -inf by `neginf` (default: the
    largest and smallest finite numbers of the dtype). Integer and bool tensors are copied."""
    if input._data.dtype.kind != "f":
        return Tensor._make(input._data.copy(), False)
    info = np.finfo(input._data.dtype)
    nan = 0.0 if nan is None else nan
    posinf = float(info.max) if posinf is None else posinf
    neginf = float(info.min) if neginf is None else neginf
    return NanToNum.apply(input, nan, posinf, neginf)


# torch's aliases
absolute, negative, fix = abs, neg, trunc

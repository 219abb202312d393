"""Elementwise arithmetic (+ - * / ** with torch's alpha= and rounding_mode=), clamp,
maximum/minimum, where, masked_fill, clone.

Each backward returns the gradient at the broadcast shape; the engine sums it back.
Type promotion is in `ops.numeric`; exp, log, sqrt and the rest of the unary math are in
`ops.math`, abs and neg in `ops.math_sign`, the other binary math (remainder, lerp, hypot,
...) in `ops.math_binary`.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from groundup.function import Function
from groundup.ops.math import exp, log, sqrt  # noqa: F401 - ops/__init__ imports them here
from groundup.ops.math_sign import abs, neg  # noqa: F401 - ops/__init__ imports them here
from groundup.ops.numeric import (  # noqa: F401 - re-exported: other modules import them from here
    Cast,
    _category,
    _floating,
    _operands,
    broadcast_shape,
    cast,
    check_divisor,
    divide_rounded,
    float_operands,
    fused_multiply_add,
    operands_dtype,
    promote_types,
    quiet,
    raw,
    result_dtype,
    result_type,
    unsupported,
    wrap_number,
)
from groundup.tensor import Tensor


def _check_alpha(alpha: Any, dtype: np.dtype) -> None:
    if isinstance(alpha, bool) and dtype != np.bool_:
        raise RuntimeError("Boolean alpha only supported for Boolean results.")
    if isinstance(alpha, float) and dtype.kind in "biu":
        raise RuntimeError(
            "For integral input tensors, argument alpha must not be a floating point number."
        )


def _integer_power(a: Any, b: Any) -> Any:
    """a ** b for integers, with torch's answer for a negative b (NumPy raises): the
    integer part of 1 / a^|b|, so 1 for a == 1, +-1 for a == -1, else 0."""
    negative = np.asarray(b) < 0
    if not negative.any():
        return np.power(a, b)
    out = np.power(a, np.where(negative, 0, b))
    odd = np.asarray(b) % 2 == 1
    small = np.where(np.asarray(a) == 1, 1, np.where(np.asarray(a) == -1, np.where(odd, -1, 1), 0))
    return np.where(negative, small, out).astype(out.dtype)


class Add(Function):
    """input + alpha * other."""

    saves = ()

    def forward(self, a: Any, b: Any, alpha: Any) -> Any:
        self.alpha = alpha
        if alpha == 1:
            return np.add(a, b)
        return fused_multiply_add(alpha, b, a, np.result_type(a, b))

    def backward(self, grad: np.ndarray) -> tuple[Any, ...]:
        if self.parents[1] is None:
            return grad, None, None
        return grad, (grad if self.alpha == 1 else grad * self.alpha), None


class Sub(Function):
    """input - alpha * other."""

    saves = ()

    def forward(self, a: Any, b: Any, alpha: Any) -> Any:
        self.alpha = alpha
        if alpha == 1:
            return np.subtract(a, b)
        return fused_multiply_add(-alpha, b, a, np.result_type(a, b))

    def backward(self, grad: np.ndarray) -> tuple[Any, ...]:
        if self.parents[1] is None:
            return grad, None, None
        return grad, (-grad if self.alpha == 1 else -grad * self.alpha), None


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

    @quiet
    def forward(self, a: Any, b: Any) -> np.ndarray:
        self.b = b
        self.out = np.divide(a, b)
        return self.out

    @quiet
    def backward(self, grad: np.ndarray) -> tuple[Any, Any]:
        da = grad / self.b if self.parents[0] is not None else None
        # d(a/b)/db = -a / b^2 = -(a/b) / b  (written this way b^2 cannot overflow)
        db = -grad * self.out / self.b if self.parents[1] is not None else None
        return da, db


class DivRounded(Function):
    """a / b rounded ("floor" or "trunc"): a step function, so zero gradient (torch's)."""

    saves = ()

    def forward(self, a: Any, b: Any, mode: str) -> Any:
        return divide_rounded(a, b, mode)

    def backward(self, grad: np.ndarray) -> tuple[Any, ...]:
        return np.zeros_like(grad), np.zeros_like(grad), None


class Pow(Function):
    saves_output = True

    @quiet
    def forward(self, a: Any, b: Any) -> np.ndarray:
        self.a, self.b = a, b
        dtype = np.result_type(a, b)
        self.out = _integer_power(a, b) if dtype.kind in "biu" else np.power(a, b)
        if dtype == np.bool_:  # NumPy computes bool ** bool in int8
            self.out = self.out.astype(np.bool_)
        return self.out

    @quiet
    def backward(self, grad: np.ndarray) -> tuple[Any, Any]:
        a, b = self.a, self.b
        da = db = None
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


class Clamp(Function):
    """Clamp to number bounds (either may be None)."""

    saves = ()

    def forward(self, a: np.ndarray, low: Any, high: Any) -> np.ndarray:
        # The gradient passes where low <= a <= high: both boundaries included, as in torch.
        self.passes = np.ones(a.shape, dtype=bool)
        if low is not None:
            self.passes &= a >= low
        if high is not None:
            self.passes &= a <= high
        return np.clip(a, low, high)

    def backward(self, grad: np.ndarray) -> tuple[Any, ...]:
        return grad * self.passes, None, None


class ClampTensor(Function):
    """Clamp to tensor bounds (either may be None), broadcast against the input.

    The gradient goes to the value the output took: the input where low <= x <= high, `low`
    where x < low < high, `high` where x > high or high < low (then the output is `high`
    everywhere), as torch's clamp_backward_min_max.
    """

    saves = ()

    def forward(self, a: np.ndarray, low: Any, high: Any) -> np.ndarray:
        if low is not None and high is not None:
            self.to_input = (a >= low) & (a <= high)
            self.to_low = (a < low) & (low < high)
            self.to_high = (a > high) | (high < low)
        elif low is not None:
            self.to_input, self.to_low, self.to_high = a >= low, a < low, None
        else:
            self.to_input, self.to_low, self.to_high = a <= high, None, a > high
        out = a if low is None else np.maximum(a, low)  # a nan bound gives nan, as in torch
        return out if high is None else np.minimum(out, high)

    def backward(self, grad: np.ndarray) -> tuple[Any, ...]:
        zero = np.zeros((), grad.dtype)
        masks = (self.to_input, self.to_low, self.to_high)
        return tuple(
            None if m is None or p is None else np.where(m, grad, zero)
            for m, p in zip(masks, self.parents, strict=True)
        )


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
    """a (broadcast with mask) with `value` where mask is True: those elements of a get no
    gradient; a 0-d tensor value gets the sum of the gradient over them."""

    saves = ()

    def forward(self, a: np.ndarray, mask: np.ndarray, value: Any) -> np.ndarray:
        self.mask = mask
        return np.where(mask, np.asarray(value).astype(a.dtype), a)

    def backward(self, grad: np.ndarray) -> tuple[Any, ...]:
        zero = np.zeros((), grad.dtype)
        d_a = np.where(self.mask, zero, grad) if self.parents[0] is not None else None
        d_value = np.where(self.mask, grad, zero).sum() if self.parents[2] is not None else None
        return d_a, None, d_value


class Clone(Function):
    saves = ()

    def forward(self, a: np.ndarray) -> np.ndarray:
        return a.copy()

    def backward(self, grad: np.ndarray) -> np.ndarray:
        return grad


# ------------------------------------------------------------------ functional API
def add(input: Any, other: Any, *, alpha: Any = 1) -> Tensor:  # noqa: A002 - torch's names
    """input + alpha * other (alpha must be an integer for integer tensors)."""
    a, b = _operands(input, other)
    alpha = alpha.item() if isinstance(alpha, np.generic) else alpha
    dtype = operands_dtype(a, b)
    _check_alpha(alpha, dtype)
    return Add.apply(a, b, bool(alpha) if dtype == np.bool_ else alpha)


def _is_bool(x: Any) -> bool:
    return isinstance(x, bool) or (isinstance(x, Tensor) and x._data.dtype == np.bool_)


def sub(input: Any, other: Any, *, alpha: Any = 1) -> Tensor:  # noqa: A002
    """input - alpha * other; bool tensors cannot be subtracted (use ^ or ~), as in torch."""
    if _is_bool(input) and _is_bool(other):
        raise RuntimeError(
            "Subtraction, the `-` operator, with two bool tensors is not supported. "
            "Use the `^` or `logical_xor()` operator instead."
        )
    if _is_bool(input) or _is_bool(other):
        raise RuntimeError(
            "Subtraction, the `-` operator, with a bool tensor is not supported. If you are "
            "trying to invert a mask, use the `~` or `logical_not()` operator instead."
        )
    a, b = _operands(input, other)
    alpha = alpha.item() if isinstance(alpha, np.generic) else alpha
    _check_alpha(alpha, operands_dtype(a, b))
    return Sub.apply(a, b, alpha)


def mul(input: Any, other: Any) -> Tensor:  # noqa: A002
    return Mul.apply(*_operands(input, other))


def div(input: Any, other: Any, *, rounding_mode: str | None = None) -> Tensor:  # noqa: A002
    """True division (integer operands give float32), or with rounding_mode "trunc"
    (toward zero) or "floor" (toward minus infinity), which keep integer dtypes."""
    if rounding_mode is None:
        return Div.apply(*float_operands(input, other))
    a, b = _operands(input, other)
    if rounding_mode not in ("trunc", "floor"):
        raise RuntimeError(
            "div expected rounding_mode to be one of None, 'trunc', or 'floor' but found "
            f"{rounding_mode!r}"
        )
    dtype = operands_dtype(a, b)
    if dtype == np.bool_:
        raise unsupported(f"div_{rounding_mode}", dtype)
    check_divisor(raw(b), dtype, "div")
    return DivRounded.apply(a, b, rounding_mode)


def pow(input: Any, exponent: Any) -> Tensor:  # noqa: A001 - torch's name
    """input ** exponent; an integer tensor to a negative integer number raises, as in torch."""
    a, b = _operands(input, exponent)
    dtype = operands_dtype(a, b)
    if isinstance(exponent, (int, np.integer)) and exponent < 0 and dtype.kind in "biu":
        raise RuntimeError("Integers to negative integer powers are not allowed.")
    if dtype == np.bool_ and isinstance(a, Tensor) and isinstance(b, Tensor):
        raise unsupported("pow", dtype)
    return Pow.apply(a, b)


def _bounds(low: Any, high: Any) -> tuple[Any, Any]:
    """torch takes the bounds both as tensors or both as numbers; a 0-d tensor that needs no
    gradient may stand for a number."""
    low, high = (x.item() if isinstance(x, np.generic) else x for x in (low, high))
    if isinstance(low, Tensor) == isinstance(high, Tensor) or low is None or high is None:
        return low, high
    bound = low if isinstance(low, Tensor) else high
    if bound.ndim == 0 and not bound.requires_grad:
        return (bound.item(), high) if bound is low else (low, bound.item())
    raise TypeError(
        f"clamp(): min and max must both be tensors or both be numbers, got "
        f"{type(low).__name__} and {type(high).__name__}; use a tensor for both"
    )


def clamp(input: Tensor, min: Any = None, max: Any = None) -> Tensor:  # noqa: A002
    """Limit to [min, max]; numbers or tensors that broadcast with the input. The gradient is
    1 inside, boundaries included, and 0 outside; a tensor bound gets it where it is the
    output. With min > max every element is max."""
    if not isinstance(input, Tensor):
        raise TypeError(f"clamp(): argument 'input' must be Tensor, not {type(input).__name__}")
    if min is None and max is None:
        raise RuntimeError(
            "clamp: At least one of 'min' or 'max' must not be None; pass min=, max= or both"
        )
    low, high = _bounds(min, max)
    dtype = result_type(input, low, high)
    if isinstance(low, Tensor) or isinstance(high, Tensor):
        broadcast_shape(input, low, high)
        if dtype == np.bool_ and low is not None and high is not None:
            raise unsupported("clamp", dtype)
        low, high = (None if x is None else cast(x, dtype) for x in (low, high))
        return ClampTensor.apply(cast(input, dtype), low, high)
    if dtype == np.bool_:
        raise unsupported("clamp", dtype)
    low, high = (wrap_number(x, dtype) for x in (low, high))
    return Clamp.apply(cast(input, dtype), low, high)


clip = clamp


def maximum(input: Tensor, other: Tensor) -> Tensor:  # noqa: A002
    return Maximum.apply(*_operands(input, other))


def minimum(input: Tensor, other: Tensor) -> Tensor:  # noqa: A002
    return Minimum.apply(*_operands(input, other))


def where(condition: Any, input: Any = None, other: Any = None) -> Any:  # noqa: A002
    """`input` where `condition` holds, else `other`; the gradient follows the chosen side.
    `where(condition)` alone is `nonzero(condition, as_tuple=True)`."""
    if input is None and other is None:
        from groundup.ops.index_ops import nonzero

        return nonzero(condition, as_tuple=True)
    if input is None or other is None:
        raise TypeError("where(): takes where(condition) or where(condition, input, other)")
    cond = condition._data if isinstance(condition, Tensor) else np.asarray(condition)
    if cond.dtype != np.bool_:
        raise RuntimeError(f"where: condition must be a bool tensor, got dtype {cond.dtype}")
    if not isinstance(input, Tensor) and not isinstance(other, Tensor):  # two numbers
        dtype = result_type(input, other)  # torch's default dtypes: 1.0 -> float32
        input, other = (Tensor._make(np.asarray(x, dtype), False) for x in (input, other))
    input, other = _operands(input, other)
    return Where.apply(cond, input, other)


def masked_fill(input: Tensor, mask: Any, value: Any) -> Tensor:  # noqa: A002
    """`value` where `mask` is True, else input. mask and input broadcast together (the
    result has the broadcast shape; the in-place masked_fill_ needs input's shape). value is
    a number, or a 0-d tensor that gets the sum of the gradient over the filled elements;
    the filled elements of input get no gradient."""
    m = mask._data if isinstance(mask, Tensor) else np.asarray(mask)
    if m.dtype != np.bool_:
        raise RuntimeError(f"masked_fill: mask must be a bool tensor, got dtype {m.dtype}")
    try:
        np.broadcast_shapes(m.shape, input.shape)
    except ValueError:
        raise RuntimeError(
            f"masked_fill: mask of shape {m.shape} does not broadcast with the input's shape "
            f"{input.shape}"
        ) from None
    if isinstance(value, Tensor):
        if value.ndim != 0:
            raise RuntimeError(
                "masked_fill: only supports a 0-dimensional value tensor, but got a tensor "
                f"with {value.ndim} dimension(s)"
            )
        if value.dtype != input.dtype:
            value = value.to(input.dtype) if input.dtype.kind == "f" else value.detach()
    elif not isinstance(value, (bool, int, float, np.generic)):
        raise TypeError(f"masked_fill: value must be a number or a 0-d tensor, got {value!r}")
    elif input.dtype.kind in "iu" and not np.isfinite(value):
        raise RuntimeError(f"masked_fill: value {value} cannot be converted to {input.dtype}")
    return MaskedFill.apply(input, m, value)


def clone(a: Tensor) -> Tensor:
    return Clone.apply(a)

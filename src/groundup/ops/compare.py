"""Comparison and logic: eq ne lt le gt ge (and torch's aliases greater, less, ...),
isnan & co., isclose/allclose/equal, logical_*, bitwise_* (the `&`, `|`, `^`, `~`
operators) and the all/any reductions.

None of these is differentiable: they return bool tensors (bitwise ops: the promoted
integer or bool dtype) with no history. The operands follow torch's type promotion: an
int64 tensor compared with 2.5 is compared in float32, and an integer scalar meets an
integer tensor in the tensor's own dtype, wrapping around as torch does (a uint8 tensor
`== -1` tests for 255).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from groundup.ops.elementwise import result_dtype
from groundup.ops.reduce import Dim, _axes, dim_or_axis
from groundup.tensor import Tensor

__all__ = [
    "all",
    "allclose",
    "any",
    "bitwise_and",
    "bitwise_not",
    "bitwise_or",
    "bitwise_xor",
    "eq",
    "equal",
    "ge",
    "greater",
    "greater_equal",
    "gt",
    "isclose",
    "isfinite",
    "isinf",
    "isnan",
    "isneginf",
    "isposinf",
    "isreal",
    "le",
    "less",
    "less_equal",
    "logical_and",
    "logical_not",
    "logical_or",
    "logical_xor",
    "lt",
    "ne",
    "not_equal",
]

INPLACE = frozenset(
    [
        *("eq", "ne", "lt", "le", "gt", "ge"),
        *("greater", "greater_equal", "less", "less_equal", "not_equal"),
        *("logical_and", "logical_or", "logical_xor", "logical_not"),
        *("bitwise_and", "bitwise_or", "bitwise_xor", "bitwise_not"),
    ]
)


# ------------------------------------------------------------------------ operands
def _require_tensor(op: str, role: str, x: Any) -> Tensor:
    if not isinstance(x, Tensor):
        raise TypeError(f"{op}(): argument '{role}' must be a Tensor, not {type(x).__name__}")
    return x


def _operand(op: str, x: Any) -> Any:
    """A tensor or a Python number; NumPy scalars become numbers, arrays and lists tensors."""
    if isinstance(x, (np.ndarray, list)):
        return Tensor(x)
    if isinstance(x, np.generic):
        return x.item()
    if not isinstance(x, (Tensor, bool, int, float)):
        raise TypeError(f"{op}(): expected a Tensor or a number, got {type(x).__name__}")
    return x


def _scalar_dtype(value: bool | int | float, dtype: np.dtype) -> np.dtype:
    """torch.result_type(tensor, scalar): the scalar counts only when it is of a higher
    category (bool < integer < floating), and then brings its default dtype."""
    if isinstance(value, bool):
        return dtype
    if isinstance(value, int):
        return dtype if dtype.kind in "iuf" else np.dtype(np.int64)
    return dtype if dtype.kind == "f" else np.dtype(np.float32)


def _scalar(value: bool | int | float, dtype: np.dtype) -> np.ndarray:
    # NumPy's C cast wraps integers around (uint8: -1 -> 255, 300 -> 44) as torch's does.
    with np.errstate(over="ignore"):
        return np.asarray(value).astype(dtype)


def _operands(op: str, a: Any, b: Any) -> tuple[np.ndarray, np.ndarray]:
    """The raw arrays of two operands, both in torch's result dtype."""
    a, b = _operand(op, a), _operand(op, b)
    if isinstance(a, Tensor) and isinstance(b, Tensor):
        dtype = result_dtype(a, b)
        x, y = a._data.astype(dtype, copy=False), b._data.astype(dtype, copy=False)
    elif isinstance(a, Tensor):
        dtype = _scalar_dtype(b, a._data.dtype)
        x, y = a._data.astype(dtype, copy=False), _scalar(b, dtype)
    elif isinstance(b, Tensor):
        dtype = _scalar_dtype(a, b._data.dtype)
        x, y = _scalar(a, dtype), b._data.astype(dtype, copy=False)
    else:
        raise TypeError(f"{op}(): expected at least one Tensor, got two numbers")
    _check_broadcast(op, x.shape, y.shape)
    return x, y


def _check_broadcast(op: str, a: tuple[int, ...], b: tuple[int, ...]) -> None:
    try:
        np.broadcast_shapes(a, b)
    except ValueError:
        raise RuntimeError(
            f"{op}(): the shapes {list(a)} and {list(b)} do not broadcast (sizes must match "
            "or be 1 in every trailing dim)"
        ) from None


def _result(array: Any) -> Tensor:
    return Tensor._make(np.asarray(array), False)


# --------------------------------------------------------------------- comparisons
def _compare(op: str, ufunc: Any, input: Any, other: Any) -> Tensor:  # noqa: A002
    _require_tensor(op, "input", input)
    return _result(ufunc(*_operands(op, input, other)))


def eq(input: Tensor, other: Any) -> Tensor:  # noqa: A002 - torch's names
    """input == other, elementwise with broadcasting, as a bool tensor."""
    return _compare("eq", np.equal, input, other)


def ne(input: Tensor, other: Any) -> Tensor:  # noqa: A002
    """input != other elementwise (True where either side is nan)."""
    return _compare("ne", np.not_equal, input, other)


def lt(input: Tensor, other: Any) -> Tensor:  # noqa: A002
    """input < other elementwise."""
    return _compare("lt", np.less, input, other)


def le(input: Tensor, other: Any) -> Tensor:  # noqa: A002
    """input <= other elementwise."""
    return _compare("le", np.less_equal, input, other)


def gt(input: Tensor, other: Any) -> Tensor:  # noqa: A002
    """input > other elementwise."""
    return _compare("gt", np.greater, input, other)


def ge(input: Tensor, other: Any) -> Tensor:  # noqa: A002
    """input >= other elementwise."""
    return _compare("ge", np.greater_equal, input, other)


# torch's NumPy-style aliases (functions, methods and in-place twins alike)
not_equal, less, less_equal, greater, greater_equal = ne, lt, le, gt, ge


# ------------------------------------------------------------- floating-point tests
def _test(op: str, test: Any, input: Any, otherwise: bool) -> Tensor:  # noqa: A002
    """`test` on floating tensors; an integer or bool tensor is never nan or infinite."""
    data = _require_tensor(op, "input", input)._data
    if data.dtype.kind in "fc":
        return _result(test(data))
    return _result(np.full(data.shape, otherwise))


def isnan(input: Tensor) -> Tensor:  # noqa: A002
    return _test("isnan", np.isnan, input, False)


def isinf(input: Tensor) -> Tensor:  # noqa: A002
    return _test("isinf", np.isinf, input, False)


def isposinf(input: Tensor) -> Tensor:  # noqa: A002
    return _test("isposinf", np.isposinf, input, False)


def isneginf(input: Tensor) -> Tensor:  # noqa: A002
    return _test("isneginf", np.isneginf, input, False)


def isfinite(input: Tensor) -> Tensor:  # noqa: A002
    return _test("isfinite", np.isfinite, input, True)


def isreal(input: Tensor) -> Tensor:  # noqa: A002
    """True where the imaginary part is 0: everywhere for real dtypes."""
    return _test("isreal", lambda z: z.imag == 0, input, True)


# ------------------------------------------------------------------------ closeness
def isclose(
    input: Tensor,  # noqa: A002
    other: Tensor,
    rtol: float = 1e-05,
    atol: float = 1e-08,
    equal_nan: bool = False,
) -> Tensor:
    """|input - other| <= atol + rtol * |other| elementwise (not symmetric: the tolerance
    scales with `other`); equal infinities are close, nan only with `equal_nan`."""
    a = _require_tensor("isclose", "input", input)._data
    b = _require_tensor("isclose", "other", other)._data
    if a.dtype != b.dtype:
        raise RuntimeError(
            f"isclose(): input has dtype {a.dtype} but other has {b.dtype}; convert one "
            "(other.to(input.dtype))"
        )
    if rtol < 0 or atol < 0:
        raise RuntimeError(f"isclose(): rtol and atol must be >= 0, got rtol={rtol}, atol={atol}")
    _check_broadcast("isclose", a.shape, b.shape)
    close = a == b
    if equal_nan and a.dtype.kind == "f":
        close |= np.isnan(a) & np.isnan(b)
    if rtol == 0 and atol == 0:
        return _result(close)
    # torch's arithmetic: bool and integer tensors are compared in float32 (so uint8 1 - 2
    # does not wrap around, and int64 2**40 + 1 is close to 2**40 even with atol=0.5)
    if a.dtype.kind != "f":
        a, b = a.astype(np.float32), b.astype(np.float32)
    with np.errstate(invalid="ignore", over="ignore"):
        allowed = float(atol) + np.abs(float(rtol) * b)  # NumPy keeps float32 as float32
        actual = np.abs(a - b)
        close |= np.isfinite(actual) & (actual <= allowed)
    return _result(close)


def allclose(
    input: Tensor,  # noqa: A002
    other: Tensor,
    rtol: float = 1e-05,
    atol: float = 1e-08,
    equal_nan: bool = False,
) -> bool:
    """`isclose` everywhere, as a Python bool."""
    return bool(isclose(input, other, rtol, atol, equal_nan)._data.all())


def equal(input: Tensor, other: Tensor) -> bool:  # noqa: A002
    """True when both have the same shape and equal values (nan is never equal); the dtypes
    may differ (values are compared after type promotion)."""
    _require_tensor("equal", "input", input)
    _require_tensor("equal", "other", other)
    if input.shape != other.shape:
        return False
    a, b = _operands("equal", input, other)
    return bool(np.array_equal(a, b))


# -------------------------------------------------------------------------- logical
def _logical(op: str, ufunc: Any, input: Any, other: Any) -> Tensor:  # noqa: A002
    a = _require_tensor(op, "input", input)._data
    b = _require_tensor(op, "other", other)._data
    _check_broadcast(op, a.shape, b.shape)
    return _result(ufunc(a, b))


def logical_and(input: Tensor, other: Tensor) -> Tensor:  # noqa: A002
    """Elementwise AND of the truth values (nonzero is True), for any dtypes."""
    return _logical("logical_and", np.logical_and, input, other)


def logical_or(input: Tensor, other: Tensor) -> Tensor:  # noqa: A002
    return _logical("logical_or", np.logical_or, input, other)


def logical_xor(input: Tensor, other: Tensor) -> Tensor:  # noqa: A002
    return _logical("logical_xor", np.logical_xor, input, other)


def logical_not(input: Tensor) -> Tensor:  # noqa: A002
    """True where input is zero."""
    return _result(np.logical_not(_require_tensor("logical_not", "input", input)._data))


# -------------------------------------------------------------------------- bitwise
def _integral(op: str, dtype: np.dtype) -> None:
    if dtype.kind not in "biu":
        raise NotImplementedError(
            f"{op}(): not implemented for dtype {dtype}; bitwise ops take integer or bool "
            "tensors (for truth values use logical_and/or/xor/not)"
        )


def _bitwise(op: str, ufunc: Any, input: Any, other: Any) -> Tensor:  # noqa: A002
    a, b = _operands(op, input, other)  # `input` may be a number: 3 & t calls t.__rand__
    _integral(op, a.dtype)
    return _result(ufunc(a, b))


def bitwise_and(input: Any, other: Any) -> Tensor:  # noqa: A002
    """Bitwise AND on integers, logical AND on bools (the `&` operator)."""
    return _bitwise("bitwise_and", np.bitwise_and, input, other)


def bitwise_or(input: Any, other: Any) -> Tensor:  # noqa: A002
    """Bitwise OR on integers, logical OR on bools (the `|` operator)."""
    return _bitwise("bitwise_or", np.bitwise_or, input, other)


def bitwise_xor(input: Any, other: Any) -> Tensor:  # noqa: A002
    """Bitwise XOR on integers, logical XOR on bools (the `^` operator)."""
    return _bitwise("bitwise_xor", np.bitwise_xor, input, other)


def bitwise_not(input: Tensor) -> Tensor:  # noqa: A002
    """~x: flips every bit of an integer (two's complement: ~x = -x - 1), negates a bool."""
    data = _require_tensor("bitwise_not", "input", input)._data
    _integral("bitwise_not", data.dtype)
    return _result(np.invert(data))


# ------------------------------------------------------------------------- all / any
def _all_or_any(
    op: str, reduce: Any, input: Tensor, dim: Any, keepdim: bool, axis: Any  # noqa: A002
) -> Tensor:
    data = _require_tensor(op, "input", input)._data
    dim = dim_or_axis(dim, axis, op)
    truth = data != 0  # nan is nonzero, hence True
    if isinstance(dim, (tuple, list)) and not dim:
        out = truth  # dim=(): nothing is reduced (unlike sum, which then reduces everything)
    else:
        out = reduce(truth, axis=_axes(dim, data.ndim, op), keepdims=keepdim)
    # uint8 in, uint8 out (a leftover of torch's byte masks); everything else gives bool
    return _result(np.asarray(out, np.uint8 if data.dtype == np.uint8 else np.bool_))


def all(  # noqa: A001 - torch's name
    input: Tensor,  # noqa: A002
    dim: Dim = None,
    keepdim: bool = False,
    *,
    axis: Dim = None,
) -> Tensor:
    """True when every element (along `dim`, an int or a tuple) is nonzero; True when empty."""
    return _all_or_any("all", np.all, input, dim, keepdim, axis)


def any(  # noqa: A001
    input: Tensor,  # noqa: A002
    dim: Dim = None,
    keepdim: bool = False,
    *,
    axis: Dim = None,
) -> Tensor:
    """True when some element (along `dim`, an int or a tuple) is nonzero; False when empty."""
    return _all_or_any("any", np.any, input, dim, keepdim, axis)

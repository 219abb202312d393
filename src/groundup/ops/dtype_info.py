"""Questions about dtypes, with torch's answers: promote_types, result_type, can_cast, and
finfo / iinfo (the limits of a floating or integer dtype, under torch's attribute names).

Dtypes are NumPy dtypes (`groundup.float32`, `np.float64`) or Python types (`float` is
float64, `int` int64, `bool` bool), as `dtype=` everywhere in groundup.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from groundup.ops.creation import get_default_dtype, resolve_dtype
from groundup.ops.numeric import promote_types as _promote
from groundup.ops.numeric import result_type as _result_type
from groundup.tensor import Tensor

__all__ = ["can_cast", "finfo", "iinfo", "promote_types", "result_type"]

INPLACE: frozenset[str] = frozenset()
NOT_METHODS = frozenset(__all__)


def _dtype(value: Any, op: str, name: str, position: int) -> np.dtype:
    try:
        return resolve_dtype(value, op)
    except TypeError:
        raise TypeError(
            f"{op}(): argument '{name}' (position {position}) must be a dtype such as "
            f"groundup.float32, not {type(value).__name__}"
        ) from None


def promote_types(type1: Any, type2: Any) -> np.dtype:
    """The smallest dtype both promote to: the higher category (bool < integer < floating)
    wins, so int64 with float32 gives float32; within one, the wider (uint8, int8 -> int16)."""
    return _promote(_dtype(type1, "promote_types", "type1", 1),
                    _dtype(type2, "promote_types", "type2", 2))


def result_type(tensor1: Any, tensor2: Any) -> np.dtype:
    """The dtype of an arithmetic op on the two operands (tensors or Python numbers): as
    promote_types, but a 0-d tensor or a number only changes the category, not the width
    (an int64 tensor with 1.5 gives float32, a uint8 tensor with 300 stays uint8)."""
    for position, x in enumerate((tensor1, tensor2), 1):
        if not isinstance(x, (Tensor, bool, int, float)):
            raise TypeError(
                f"result_type(): argument {position} must be a Tensor or a number, not "
                f"{type(x).__name__}"
            )
    return _result_type(tensor1, tensor2)


def can_cast(from_: Any, to: Any) -> bool:
    """Whether torch's type promotion allows the cast (in-place ops and out= use it): never
    from floating to integer or bool, nor from integer to bool; narrowing within a category
    is allowed."""
    src = _dtype(from_, "can_cast", "from_", 1)
    dst = _dtype(to, "can_cast", "to", 2)
    if src.kind == "f" and dst.kind in "biu":
        return False
    return not (src.kind in "iu" and dst.kind == "b")


class finfo:  # noqa: N801 - torch's name
    """The limits of a floating dtype (float32 when none is given): bits, eps (the gap from
    1 to the next number), max, min, tiny and smallest_normal (the smallest positive normal
    number), resolution (10 ** -decimal digits) and dtype (its name)."""

    __slots__ = ("bits", "dtype", "eps", "max", "min", "resolution", "smallest_normal", "tiny")

    def __init__(self, type: Any = None) -> None:  # noqa: A002 - torch's name
        dt = get_default_dtype() if type is None else _dtype(type, "finfo", "type", 1)
        if dt.kind != "f":
            raise TypeError(
                f"finfo() requires a floating point input type, got {dt}; use iinfo for "
                "integer types"
            )
        info = np.finfo(dt)
        self.bits = int(info.bits)
        self.eps = float(info.eps)
        self.max = float(info.max)
        self.min = float(info.min)
        self.tiny = self.smallest_normal = float(info.smallest_normal)
        self.resolution = 10.0**-info.precision  # (NumPy's is rounded to the dtype)
        self.dtype = dt.name

    def __eq__(self, other: object) -> bool:
        return isinstance(other, finfo) and other.dtype == self.dtype

    def __hash__(self) -> int:
        return hash(("finfo", self.dtype))

    def __repr__(self) -> str:
        return (
            f"finfo(resolution={self.resolution:g}, min={self.min:g}, max={self.max:g}, "
            f"eps={self.eps:g}, smallest_normal={self.smallest_normal:g}, "
            f"tiny={self.tiny:g}, dtype={self.dtype})"
        )


class iinfo:  # noqa: N801 - torch's name
    """The limits of an integer dtype: bits, min, max (Python ints) and dtype (its name)."""

    __slots__ = ("bits", "dtype", "max", "min")

    def __init__(self, type: Any) -> None:  # noqa: A002 - torch's name
        dt = _dtype(type, "iinfo", "type", 1)
        if dt == np.bool_:
            raise TypeError("bool is not supported by iinfo")
        if dt.kind not in "iu":
            raise TypeError(
                f"iinfo() requires an integer input type, got {dt}; use finfo for floating "
                "types"
            )
        info = np.iinfo(dt)
        self.bits, self.min, self.max = int(info.bits), int(info.min), int(info.max)
        self.dtype = dt.name

    def __eq__(self, other: object) -> bool:
        return isinstance(other, iinfo) and other.dtype == self.dtype

    def __hash__(self) -> int:
        return hash(("iinfo", self.dtype))

    def __repr__(self) -> str:
        return f"iinfo(min={float(self.min):g}, max={float(self.max):g}, dtype={self.dtype})"

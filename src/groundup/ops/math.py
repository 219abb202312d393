"""Elementwise math beyond arithmetic: floor division and remainder (more to come).

Each backward returns the gradient at the broadcast shape; the engine sums it back.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from groundup.ops.elementwise import _operands
from groundup.tensor import Tensor

__all__ = ["floor_divide", "remainder"]

INPLACE = frozenset(["floor_divide", "remainder"])


def _raw(x: Any) -> Any:
    return x._data if isinstance(x, Tensor) else x


def floor_divide(input: Any, other: Any) -> Tensor:  # noqa: A002 - torch's names
    """input // other, rounded toward minus infinity (not differentiable)."""
    a, b = _operands(input, other)
    return Tensor._make(np.asarray(np.floor_divide(_raw(a), _raw(b))), False)


def remainder(input: Any, other: Any) -> Tensor:  # noqa: A002
    """input % other with the sign of `other` (Python's %)."""
    a, b = _operands(input, other)
    return Tensor._make(np.asarray(np.remainder(_raw(a), _raw(b))), False)

"""Comparison and logic: eq ne lt le gt ge, bitwise & | ^ ~ on integers and bools.

None of these is differentiable: they return bool (or integer) tensors with no history.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from groundup.tensor import Tensor

__all__ = [
    "bitwise_and",
    "bitwise_not",
    "bitwise_or",
    "bitwise_xor",
    "eq",
    "ge",
    "gt",
    "le",
    "lt",
    "ne",
]

INPLACE = frozenset(["bitwise_and", "bitwise_or", "bitwise_xor", "bitwise_not"])


def _raw(x: Any) -> Any:
    return x._data if isinstance(x, Tensor) else x


def _apply(ufunc: Any, a: Any, b: Any) -> Tensor:
    return Tensor._make(np.asarray(ufunc(_raw(a), _raw(b))), False)


def eq(input: Any, other: Any) -> Tensor:  # noqa: A002 - torch's names
    return _apply(np.equal, input, other)


def ne(input: Any, other: Any) -> Tensor:  # noqa: A002
    return _apply(np.not_equal, input, other)


def lt(input: Any, other: Any) -> Tensor:  # noqa: A002
    return _apply(np.less, input, other)


def le(input: Any, other: Any) -> Tensor:  # noqa: A002
    return _apply(np.less_equal, input, other)


def gt(input: Any, other: Any) -> Tensor:  # noqa: A002
    return _apply(np.greater, input, other)


def ge(input: Any, other: Any) -> Tensor:  # noqa: A002
    return _apply(np.greater_equal, input, other)


def bitwise_and(input: Any, other: Any) -> Tensor:  # noqa: A002
    return _apply(np.bitwise_and, input, other)


def bitwise_or(input: Any, other: Any) -> Tensor:  # noqa: A002
    return _apply(np.bitwise_or, input, other)


def bitwise_xor(input: Any, other: Any) -> Tensor:  # noqa: A002
    return _apply(np.bitwise_xor, input, other)


def bitwise_not(input: Tensor) -> Tensor:  # noqa: A002
    return Tensor._make(np.asarray(np.invert(input._data)), False)

"""Factories: zeros, ones, full, arange, eye, randn, rand, randint, randperm, *_like."""

from __future__ import annotations

from typing import Any

import numpy as np

from groundup.random import default_generator
from groundup.tensor import Tensor, _sequence_of_ints

_FLOAT = np.float32


def _make(data: np.ndarray, requires_grad: bool) -> Tensor:
    return Tensor(data, requires_grad=requires_grad)


def zeros(*size: Any, dtype: Any = _FLOAT, requires_grad: bool = False) -> Tensor:
    return _make(np.zeros(_sequence_of_ints(size), dtype=dtype), requires_grad)


def ones(*size: Any, dtype: Any = _FLOAT, requires_grad: bool = False) -> Tensor:
    return _make(np.ones(_sequence_of_ints(size), dtype=dtype), requires_grad)


def full(size: Any, fill_value: float, dtype: Any = _FLOAT, requires_grad: bool = False) -> Tensor:
    return _make(np.full(_sequence_of_ints((size,)), fill_value, dtype=dtype), requires_grad)


def zeros_like(t: Tensor, dtype: Any = None) -> Tensor:
    return Tensor(np.zeros(t.shape, dtype=dtype or t.dtype))


def ones_like(t: Tensor, dtype: Any = None) -> Tensor:
    return Tensor(np.ones(t.shape, dtype=dtype or t.dtype))


def arange(start: float, end: float | None = None, step: float = 1, dtype: Any = None) -> Tensor:
    if end is None:
        start, end = 0, start
    ints = all(isinstance(v, int) for v in (start, end, step))
    return Tensor(np.arange(start, end, step, dtype=dtype or (np.int64 if ints else _FLOAT)))


def eye(n: int, m: int | None = None, dtype: Any = _FLOAT) -> Tensor:
    return Tensor(np.eye(n, m, dtype=dtype))


def randn(*size: Any, dtype: Any = _FLOAT, requires_grad: bool = False) -> Tensor:
    """Standard normal samples from the global generator (`manual_seed`)."""
    data = default_generator().standard_normal(_sequence_of_ints(size)).astype(dtype)
    return _make(data, requires_grad)


def rand(*size: Any, dtype: Any = _FLOAT, requires_grad: bool = False) -> Tensor:
    """Uniform samples on [0, 1) from the global generator."""
    data = default_generator().random(_sequence_of_ints(size)).astype(dtype)
    return _make(data, requires_grad)


def randint(low: int, high: int, size: Any) -> Tensor:
    return Tensor(
        default_generator().integers(low, high, size=_sequence_of_ints((size,)), dtype=np.int64)
    )


def randperm(n: int) -> Tensor:
    return Tensor(default_generator().permutation(n).astype(np.int64))


def from_numpy(array: np.ndarray) -> Tensor:
    """Share `array`'s memory, as torch.from_numpy does."""
    return Tensor._make(array, False)

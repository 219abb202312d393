"""Factories: zeros, ones, full, arange, eye, randn, rand, randint, randperm, *_like.

Floating results are float32 unless `dtype` says otherwise, as with torch's default dtype.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from groundup.random import default_generator
from groundup.tensor import Tensor, _sequence_of_ints

_FLOAT = np.float32


def _make(data: np.ndarray, requires_grad: bool) -> Tensor:
    """Wrap a freshly built array (no copy); only floating tensors may require grad."""
    return Tensor._make(data, False).requires_grad_(requires_grad)


def zeros(*size: Any, dtype: Any = _FLOAT, requires_grad: bool = False) -> Tensor:
    return _make(np.zeros(_sequence_of_ints(size), dtype=dtype), requires_grad)


def ones(*size: Any, dtype: Any = _FLOAT, requires_grad: bool = False) -> Tensor:
    return _make(np.ones(_sequence_of_ints(size), dtype=dtype), requires_grad)


def full(size: Any, fill_value: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """A tensor of `size` filled with `fill_value`; the dtype follows the value (bool, int64
    or float32) unless given."""
    if isinstance(fill_value, np.generic):
        fill_value = fill_value.item()
    if dtype is None:
        is_bool, is_int = isinstance(fill_value, bool), isinstance(fill_value, int)
        dtype = np.bool_ if is_bool else np.int64 if is_int else _FLOAT
    return _make(np.full(_sequence_of_ints((size,)), fill_value, dtype=dtype), requires_grad)


def zeros_like(input: Tensor, dtype: Any = None, requires_grad: bool = False) -> Tensor:  # noqa: A002
    return _make(
        np.zeros(input.shape, dtype=input.dtype if dtype is None else dtype), requires_grad
    )


def ones_like(input: Tensor, dtype: Any = None, requires_grad: bool = False) -> Tensor:  # noqa: A002
    return _make(np.ones(input.shape, dtype=input.dtype if dtype is None else dtype), requires_grad)


def full_like(
    input: Tensor,  # noqa: A002
    fill_value: Any,
    dtype: Any = None,
    requires_grad: bool = False,
) -> Tensor:
    data = np.full(input.shape, fill_value, dtype=input.dtype if dtype is None else dtype)
    return _make(data, requires_grad)


def arange(
    start: float,
    end: float | None = None,
    step: float = 1,
    dtype: Any = None,
    requires_grad: bool = False,
) -> Tensor:
    """[start, end) in steps; int64 when all bounds are ints, else float32.

    Values are start + i * step computed in float64 and then rounded, as torch does, so
    arange(0, 1, 0.1)[9] is float32(0.9) rather than an accumulated 0.90000004.
    """
    if end is None:
        start, end = 0, start
    ints = all(isinstance(v, (int, np.integer)) for v in (start, end, step))
    if step == 0:
        raise ValueError("arange: step must be nonzero")
    if dtype is None:
        dtype = np.int64 if ints else _FLOAT
    data = np.arange(start, end, step, dtype=np.int64 if ints else np.float64)
    return _make(data.astype(dtype, copy=False), requires_grad)


def eye(n: int, m: int | None = None, dtype: Any = _FLOAT, requires_grad: bool = False) -> Tensor:
    return _make(np.eye(n, m, dtype=dtype), requires_grad)


def randn(*size: Any, dtype: Any = _FLOAT, requires_grad: bool = False) -> Tensor:
    """Standard normal samples from the global generator (`manual_seed`)."""
    data = default_generator().standard_normal(_sequence_of_ints(size)).astype(dtype)
    return _make(data, requires_grad)


def rand(*size: Any, dtype: Any = _FLOAT, requires_grad: bool = False) -> Tensor:
    """Uniform samples on [0, 1) from the global generator."""
    data = default_generator().random(_sequence_of_ints(size)).astype(dtype)
    return _make(data, requires_grad)


def randint(low: int, high: Any = None, size: Any = None, dtype: Any = np.int64) -> Tensor:
    """Uniform integers in [low, high): `randint(high, size)` or `randint(low, high, size)`."""
    if size is None:  # randint(high, size)
        low, high, size = 0, low, high
    if size is None:
        raise TypeError("randint: size is required, e.g. randint(10, (3,))")
    if low >= high:
        raise ValueError(f"randint: low {low} must be smaller than high {high}")
    shape = _sequence_of_ints((size,))
    return Tensor._make(default_generator().integers(low, high, size=shape).astype(dtype), False)


def randperm(n: int, dtype: Any = np.int64) -> Tensor:
    """A random permutation of 0..n-1."""
    return Tensor._make(default_generator().permutation(n).astype(dtype), False)


def from_numpy(array: np.ndarray) -> Tensor:
    """Share `array`'s memory, as torch.from_numpy does (float64 stays float64)."""
    if not isinstance(array, np.ndarray):
        raise TypeError(f"from_numpy: expected a numpy.ndarray, got {type(array).__name__}")
    return Tensor._make(array, False)

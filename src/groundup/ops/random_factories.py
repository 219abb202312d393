"""Random factories: rand, randn, randint, randperm and their `*_like` twins.

All draw from the global generator (`groundup.manual_seed`) unless a NumPy Generator is
passed as `generator=`; floating samples are drawn in float64 and rounded to the dtype.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from groundup.ops.creation import _as_int, _check, _like, _new, _no_out, _rng, _shape, _size
from groundup.tensor import Tensor


def _floating_only(dt: np.dtype, op: str, kernel: str) -> None:
    if dt.kind != "f":
        raise NotImplementedError(
            f'{op}(): "{kernel}" is not implemented for dtype {dt}; sample a floating '
            f"tensor (or use randint for integers)"
        )


def _below_one(values: np.ndarray, dt: np.dtype) -> np.ndarray:
    """Round float64 samples of [0, 1) to `dt` without letting one round up to 1.0."""
    out = values.astype(dt)
    return np.minimum(out, np.nextafter(dt.type(1), dt.type(0)), out=out)


def rand(
    *args: Any,
    size: Any = None,
    generator: Any = None,
    out: Any = None,
    dtype: Any = None,
    device: Any = None,
    requires_grad: bool = False,
) -> Tensor:
    """Uniform samples on [0, 1) from the global generator (or `generator=`)."""
    _no_out(out, "rand")
    dt = _check("rand", device, dtype)
    _floating_only(dt, "rand", "uniform")
    shape = _size(args, size, "rand")
    return _new(_below_one(_rng(generator).random(shape), dt), requires_grad)


def randn(
    *args: Any,
    size: Any = None,
    generator: Any = None,
    out: Any = None,
    dtype: Any = None,
    device: Any = None,
    requires_grad: bool = False,
) -> Tensor:
    """Standard normal samples from the global generator (`manual_seed`) or `generator=`."""
    _no_out(out, "randn")
    dt = _check("randn", device, dtype)
    _floating_only(dt, "randn", "normal")
    shape = _size(args, size, "randn")
    return _new(_rng(generator).standard_normal(shape).astype(dt), requires_grad)


def _integers(low: Any, high: Any, shape: tuple[int, ...], dt: np.dtype, gen: Any, op: str) -> Any:
    low, high = _as_int(low, op, "low"), _as_int(high, op, "high")
    if low >= high:
        raise ValueError(f"{op}: low {low} must be smaller than high {high}")
    if dt.kind in "biu":
        info = np.iinfo(dt) if dt.kind != "b" else None
        lo, hi = (0, 1) if info is None else (int(info.min), int(info.max))
        if low < lo or high - 1 > hi:
            raise RuntimeError(
                f"{op}(): the range [{low}, {high}) does not fit in dtype {dt} "
                f"([{lo}, {hi}]); choose a wider dtype"
            )
    return _rng(gen).integers(low, high, size=shape).astype(dt)


def randint(
    low: Any = None,
    high: Any = None,
    size: Any = None,
    *,
    generator: Any = None,
    out: Any = None,
    dtype: Any = None,
    device: Any = None,
    requires_grad: bool = False,
) -> Tensor:
    """Uniform integers in [low, high): `randint(high, size)` or `randint(low, high, size)`;
    int64 unless `dtype=` says otherwise."""
    _no_out(out, "randint")
    if size is None and isinstance(high, (tuple, list)):  # randint(high, size)
        low, high, size = 0, low, high
    if high is None:  # randint(high, size=...)
        low, high = 0, low
    if low is None:
        low = 0
    if high is None or size is None:
        raise TypeError(
            "randint(): expected (high, size) or (low, high, size), e.g. randint(10, (3,))"
        )
    dt = _check("randint", device, dtype, np.dtype(np.int64))
    shape = _shape(size, "randint")
    return _new(_integers(low, high, shape, dt, generator, "randint"), requires_grad)


def randperm(
    n: int,
    *,
    generator: Any = None,
    out: Any = None,
    dtype: Any = None,
    device: Any = None,
    requires_grad: bool = False,
) -> Tensor:
    """A random permutation of 0..n-1."""
    _no_out(out, "randperm")
    dt = _check("randperm", device, dtype, np.dtype(np.int64))
    n = _as_int(n, "randperm", "n")
    if n < 0:
        raise RuntimeError(f"randperm(): n must be non-negative, got {n}")
    return _new(_rng(generator).permutation(n).astype(dt), requires_grad)


# ------------------------------------------------------------ *_like
def rand_like(
    input: Tensor,  # noqa: A002
    *,
    generator: Any = None,
    dtype: Any = None,
    device: Any = None,
    requires_grad: bool = False,
) -> Tensor:
    shape, dt = _like(input, "rand_like", device, dtype)
    return rand(shape, generator=generator, dtype=dt, requires_grad=requires_grad)


def randn_like(
    input: Tensor,  # noqa: A002
    *,
    generator: Any = None,
    dtype: Any = None,
    device: Any = None,
    requires_grad: bool = False,
) -> Tensor:
    shape, dt = _like(input, "randn_like", device, dtype)
    return randn(shape, generator=generator, dtype=dt, requires_grad=requires_grad)


def randint_like(
    input: Tensor,  # noqa: A002
    low: Any = None,
    high: Any = None,
    *,
    generator: Any = None,
    dtype: Any = None,
    device: Any = None,
    requires_grad: bool = False,
) -> Tensor:
    """Integers in [low, high) (or [0, high) with one bound) in `input`'s shape and dtype."""
    shape, dt = _like(input, "randint_like", device, dtype)
    if high is None:
        low, high = 0, low
    if high is None:
        raise TypeError("randint_like(): missing the upper bound high, e.g. randint_like(x, 10)")
    values = _integers(0 if low is None else low, high, shape, dt, generator, "randint_like")
    return _new(values, requires_grad)

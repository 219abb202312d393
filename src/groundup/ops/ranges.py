"""Ranges: arange, linspace, logspace, with torch's exact values.

torch's CPU kernels compute start + i * step with a fused multiply-add (one rounding) in a
wide type and round the result to the output dtype once; linspace and logspace fill the
second half backwards from `end`, so both ends are exact. The same arithmetic here gives the
same numbers to the last bit.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from groundup.ops.creation import _FLOAT, _as_int, _check, _new, _no_out
from groundup.tensor import Tensor


def _fma(a: Any, b: np.ndarray, c: Any) -> np.ndarray:
    """a * b + c in float64 with a single rounding, like the fused multiply-add that torch's
    range kernels compile to (error-free transformations: Dekker's product, Knuth's sum)."""
    a, b, c = np.float64(a), b.astype(np.float64), np.float64(c)
    p = a * b
    split = 134217729.0  # 2^27 + 1 splits a double into two 26-bit halves
    ta, tb = split * a, split * b
    a_hi, b_hi = ta - (ta - a), tb - (tb - b)
    a_lo, b_lo = a - a_hi, b - b_hi
    p_err = ((a_hi * b_hi - p) + a_hi * b_lo + a_lo * b_hi) + a_lo * b_lo  # a*b = p + p_err
    s = p + c
    virtual = s - p
    s_err = (p - (s - virtual)) + (c - virtual)  # p + c = s + s_err
    return s + (p_err + s_err)


def _scalar(value: Any, op: str, name: str) -> Any:
    """A Python number from a number or a 0-d tensor."""
    if isinstance(value, Tensor):
        if value.ndim != 0:
            raise RuntimeError(
                f"{op}(): only supports 0-dimensional {name} tensors, but got {name} with "
                f"{value.ndim} dimension(s)"
            )
        return value.item()
    if isinstance(value, np.generic):
        return value.item()
    if not isinstance(value, (int, float)):
        raise TypeError(f"{op}(): argument '{name}' must be a number, not {type(value).__name__}")
    return value


def arange(
    start: Any = 0,
    end: Any = None,
    step: Any = 1,
    *,
    out: Any = None,
    dtype: Any = None,
    device: Any = None,
    requires_grad: bool = False,
) -> Tensor:
    """[start, end) in steps; int64 when all bounds are ints, else float32.

    Each value is start + i * step computed in float64 and rounded once (torch's scalar
    kernel), so arange(0, 1, 0.1)[9] is float32(0.9) rather than an accumulated 0.90000004.
    (torch's vectorized kernel, used for longer ranges, rounds once per block of 8 or 16
    values instead, so its float results may differ from these in the last bit.)
    """
    _no_out(out, "arange")
    if end is None:
        start, end = 0, start
    start, end, step = (
        _scalar(v, "arange", n)
        for n, v in zip(("start", "end", "step"), (start, end, step), strict=True)
    )
    ints = all(isinstance(v, int) for v in (start, end, step))
    dt = _check("arange", device, dtype, np.dtype(np.int64) if ints else _FLOAT)
    if dt == np.bool_:
        raise NotImplementedError("\"arange_cpu\" not implemented for 'Bool'")
    if step == 0:
        raise RuntimeError("arange(): step must be nonzero")
    if not (np.isfinite(start) and np.isfinite(end)):
        raise RuntimeError(f"arange(): unsupported range: {start} -> {end}")
    if (step > 0 and end < start) or (step < 0 and end > start):
        raise RuntimeError(
            f"arange(): upper bound and lower bound inconsistent with step sign "
            f"(start={start}, end={end}, step={step})"
        )
    first, stride, last = int(start), int(step), int(end)  # integer dtypes truncate them
    if dt == np.int64:  # count exactly in integers: ceil((end - start) / step)
        if stride == 0:
            raise ValueError(f"arange(): step {step} truncates to 0 for dtype int64")
        n = (last - first + stride - (1 if stride > 0 else -1)) // stride
    else:
        n = int(np.ceil((float(end) - float(start)) / float(step)))
    if dt.kind in "iu":
        return _new((first + stride * np.arange(n, dtype=np.int64)).astype(dt), requires_grad)
    values = _fma(step, np.arange(n), start)
    if dt == np.float16:  # torch's half kernel computes in float32
        values = values.astype(np.float32)
    return _new(values.astype(dt), requires_grad)


def _in_dtype(value: Any, dt: np.dtype) -> Any:
    """A Python number as a NumPy scalar of `dt`; torch makes a half through a float."""
    return np.float16(np.float32(value)) if dt == np.float16 else dt.type(value)


def _steps(steps: Any, op: str) -> int:
    steps = _as_int(steps, op, "steps")
    if steps < 0:
        raise RuntimeError(f"{op}(): number of steps must be non-negative, got {steps}")
    return steps


def _spaced(start: float, end: float, steps: int, dt: np.dtype) -> np.ndarray:
    """torch's linspace values: start + i * step for the first half, end - (steps-1-i) * step
    for the second (so both ends are exact), in the dtype's precision (float64 for integers)."""
    i = np.arange(steps)
    half = steps // 2
    if dt == np.float16:  # half arithmetic rounds after every operation
        s, e = _in_dtype(start, dt), _in_dtype(end, dt)
        step = (e - s) / np.float16(steps - 1)
        i16 = i.astype(np.float16)
        return np.where(i < half, s + step * i16, e - step * (np.float16(steps - 1) - i16))
    if dt == np.float32:
        s, e = np.float32(start), np.float32(end)
        step = np.float32((e - s) / np.float32(steps - 1))
    else:
        s, e = (float(v) if dt.kind == "f" else int(v) for v in (start, end))
        step = (float(e) - float(s)) / (steps - 1)
    return np.where(i < half, _fma(step, i, s), _fma(-step, steps - 1 - i, e))


def linspace(
    start: Any,
    end: Any,
    steps: int,
    *,
    out: Any = None,
    dtype: Any = None,
    device: Any = None,
    requires_grad: bool = False,
) -> Tensor:
    """`steps` evenly spaced values from start to end, both included."""
    _no_out(out, "linspace")
    dt = _check("linspace", device, dtype)
    start, end = _scalar(start, "linspace", "start"), _scalar(end, "linspace", "end")
    n = _steps(steps, "linspace")
    if n <= 1:
        return _new(np.full(n, start).astype(dt), requires_grad)
    values = _spaced(start, end, n, dt)
    return _new(
        np.trunc(values).astype(dt) if dt.kind in "iub" else values.astype(dt), requires_grad
    )


def logspace(
    start: Any,
    end: Any,
    steps: int,
    base: float = 10.0,
    *,
    out: Any = None,
    dtype: Any = None,
    device: Any = None,
    requires_grad: bool = False,
) -> Tensor:
    """base ** linspace(start, end, steps): `steps` values evenly spaced on a log scale."""
    _no_out(out, "logspace")
    dt = _check("logspace", device, dtype)
    start, end = _scalar(start, "logspace", "start"), _scalar(end, "logspace", "end")
    n = _steps(steps, "logspace")
    if n <= 1:
        with np.errstate(invalid="ignore", over="ignore"):
            return _new(np.full(n, float(base) ** float(start)).astype(dt), requires_grad)
    # torch: the bounds in the dtype, their difference in the dtype, the rest in float64
    s, e = (int(v) if dt.kind in "iu" else _in_dtype(v, dt) for v in (start, end))
    step = float(e - s) / (n - 1)
    i = np.arange(n)
    exponent = np.where(i < n // 2, float(s) + step * i, float(e) - step * (n - 1 - i))
    # C's pow, as torch's kernel calls it (NumPy's power can differ in the last bit)
    values = np.array([math.pow(base, x) for x in exponent.tolist()])
    if dt == np.float16:  # torch stores a double in a half through a float
        values = values.astype(np.float32)
    with np.errstate(invalid="ignore", over="ignore"):  # out of the dtype's range: as torch
        out = np.trunc(values).astype(dt) if dt.kind in "iu" else values.astype(dt)
    return _new(out, requires_grad)

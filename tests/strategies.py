"""Hypothesis strategies for shapes and data, and `ladder`, the parity check every op climbs:
forward and backward equal to torch in float64 and float32, then float64 gradcheck."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import groundup as gu
from groundup.inspect import gradcheck
from tests.oracle import check_op


def broadcast_shapes(num_shapes: int = 2, max_dims: int = 3, max_side: int = 4) -> Any:
    """Tuples of `num_shapes` shapes that broadcast together, 0-d shapes included."""
    return hnp.mutually_broadcastable_shapes(
        num_shapes=num_shapes, min_dims=0, max_dims=max_dims, min_side=1, max_side=max_side
    ).map(lambda r: r.input_shapes)


def matmul_shapes(max_dims: int = 4, max_side: int = 4) -> Any:
    """Shape pairs valid for matmul: 1-D or n-D, with broadcast batch dims."""
    return hnp.mutually_broadcastable_shapes(
        signature=np.matmul.signature, max_dims=max_dims, min_side=1, max_side=max_side
    ).map(lambda r: r.input_shapes)


seeds = st.integers(0, 2**32 - 1)


def normal(shape: Sequence[int], seed: int, dtype: Any = np.float64) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal(shape).astype(dtype)


def away_from_zero(shape: Sequence[int], seed: int, dtype: Any = np.float64) -> np.ndarray:
    """Values with |x| in [0.5, 2]: safe divisors."""
    rng = np.random.default_rng(seed)
    return (rng.uniform(0.5, 2.0, shape) * rng.choice([-1.0, 1.0], shape)).astype(dtype)


def positive(shape: Sequence[int], seed: int, dtype: Any = np.float64) -> np.ndarray:
    """Values in [0.5, 2]: safe for log, sqrt and fractional powers."""
    return np.random.default_rng(seed).uniform(0.5, 2.0, shape).astype(dtype)


def with_ties(shape: Sequence[int], seed: int, dtype: Any = np.float64) -> np.ndarray:
    """Small integers as floats, so that equal values (ties) are common."""
    return np.random.default_rng(seed).integers(-2, 3, shape).astype(dtype)


def ladder(
    gu_fn: Callable[..., Any],
    torch_fn: Callable[..., Any],
    *arrays: np.ndarray,
    grad: Sequence[bool] | None = None,
    dtypes: Sequence[Any] = (np.float64, np.float32),
    check_gradients: bool = True,
) -> None:
    """`gu_fn` equals `torch_fn` (forward, input gradients, dtype, no mutation) in every dtype
    of `dtypes`, and its float64 gradients pass gradcheck."""
    floating = [np.issubdtype(a.dtype, np.floating) for a in arrays]
    grad = floating if grad is None else list(grad)
    for dtype in dtypes:
        cast = [a.astype(dtype) if f else a for a, f in zip(arrays, floating, strict=True)]
        check_op(gu_fn, torch_fn, *cast, grad=grad)
    if check_gradients and any(grad):
        inputs = [
            gu.tensor(a.astype(np.float64) if f else a, requires_grad=g)
            for a, f, g in zip(arrays, floating, grad, strict=True)
        ]
        gradcheck(gu_fn, inputs)

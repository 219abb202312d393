"""Shared helpers: run the same computation in groundup and in torch, compare both ways.

`check_op(gu_fn, torch_fn, *arrays)` feeds copies of `arrays` to both functions, compares
the outputs, backpropagates the same random output gradient through both, and compares
the input gradients. float64 must agree to 1e-10, float32 to a relative 1e-4.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import torch

import groundup as gu

TOL = {np.float64: dict(rtol=1e-10, atol=1e-10), np.float32: dict(rtol=1e-4, atol=1e-5)}


def tolerance(dtype: Any) -> dict[str, float]:
    return TOL[np.dtype(dtype).type]


def assert_close(actual: Any, expected: Any, dtype: Any = np.float64, what: str = "") -> None:
    if isinstance(actual, gu.Tensor):  # its data, even when it requires grad
        a = actual._data
    elif hasattr(actual, "numpy") and not isinstance(actual, np.ndarray):
        a = actual.detach().numpy() if isinstance(actual, torch.Tensor) else actual.numpy()
    else:
        a = actual
    e = expected.detach().numpy() if isinstance(expected, torch.Tensor) else expected
    np.testing.assert_allclose(np.asarray(a), np.asarray(e), err_msg=what, **tolerance(dtype))


def check_op(
    gu_fn: Callable[..., Any],
    torch_fn: Callable[..., Any],
    *arrays: np.ndarray,
    grad: Sequence[bool] | None = None,
    seed: int = 0,
) -> None:
    """Forward and backward of `gu_fn` equal those of `torch_fn` on the same inputs."""
    grad = [np.issubdtype(a.dtype, np.floating) for a in arrays] if grad is None else grad
    gx = [gu.tensor(a.copy(), requires_grad=g) for a, g in zip(arrays, grad, strict=True)]
    tx = [torch.tensor(a.copy(), requires_grad=g) for a, g in zip(arrays, grad, strict=True)]
    originals = [a.copy() for a in arrays]
    gout, tout = gu_fn(*gx), torch_fn(*tx)
    dtype = next((a.dtype for a in arrays if np.issubdtype(a.dtype, np.floating)), np.float64)
    assert gout.shape == tuple(tout.shape), f"shape {gout.shape} != torch {tuple(tout.shape)}"
    assert gout.dtype == np.dtype(str(tout.dtype).replace("torch.", "")), (
        f"dtype {gout.dtype} != torch {tout.dtype}"
    )
    assert_close(gout, tout, dtype, "forward")
    if not any(grad) or not tout.requires_grad:
        return
    upstream = (
        np.random.default_rng(seed).standard_normal(tout.shape).astype(tout.detach().numpy().dtype)
    )
    gout.backward(upstream)
    tout.backward(torch.tensor(upstream))
    for i, (g, t) in enumerate(zip(gx, tx, strict=True)):
        if not grad[i]:
            continue
        if t.grad is None:
            assert g.grad is None or np.all(g.grad._data == 0), f"input {i}: torch has no grad"
            continue
        assert g.grad is not None, f"input {i}: groundup computed no gradient"
        assert g.grad.dtype == g.dtype, f"input {i}: grad dtype {g.grad.dtype} != {g.dtype}"
        assert_close(g.grad, t.grad, dtype, f"grad of input {i}")
    for g, o in zip(gx, originals, strict=True):
        np.testing.assert_array_equal(g._data, o, err_msg="an input was mutated")


def randn(*shape: int, dtype: Any = np.float64, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal(shape).astype(dtype)

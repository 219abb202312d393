"""Inputs and checks shared by the linear-algebra tests (test_linalg*.py): well-conditioned
random matrices, and a comparison with torch for ops with several outputs."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pytest
import torch

import groundup as gu
from tests.oracle import assert_close


def rand(*shape: int, seed: int = 0, dtype: Any = np.float64) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal(shape).astype(dtype)


def well(n: int, *batch: int, seed: int = 0, dtype: Any = np.float64) -> np.ndarray:
    """A + n I: invertible and well conditioned."""
    return (rand(*batch, n, n, seed=seed) + n * np.eye(n)).astype(dtype)


def spd(n: int, *batch: int, seed: int = 0, dtype: Any = np.float64) -> np.ndarray:
    """X X^T + n I: symmetric positive-definite."""
    x = rand(*batch, n, n, seed=seed)
    return (x @ np.swapaxes(x, -1, -2) + n * np.eye(n)).astype(dtype)


def distinct(n: int, *batch: int, seed: int = 0, dtype: Any = np.float64) -> np.ndarray:
    """A symmetric matrix with eigenvalues 1.5 apart (some negative): Q diag(w) Q^T."""
    q, _ = np.linalg.qr(rand(*batch, n, n, seed=seed))
    w = 1.5 * np.arange(n) - n / 2 + 0.25
    return ((q * w[..., None, :]) @ np.swapaxes(q, -1, -2)).astype(dtype)


def sym(t: Any) -> Any:
    """(A + A^T) / 2, in either library: ops that read one triangle see the whole matrix, so
    finite differences agree with their symmetric gradients."""
    return (t + t.mT) / 2


def align(a: np.ndarray, ref: np.ndarray) -> np.ndarray:
    """`a` with each column's sign flipped to agree with `ref`'s (vectors have no sign)."""
    signs = np.sign((a * ref).sum(-2, keepdims=True))
    return a * np.where(signs == 0, 1, signs)


def numpy(t: Any) -> np.ndarray:
    return t._data if isinstance(t, gu.Tensor) else t.detach().numpy()


def check_outputs(
    gu_fn: Callable[..., Sequence[Any]],
    torch_fn: Callable[..., Sequence[Any]],
    arrays: Sequence[np.ndarray],
    loss: Callable[[Sequence[Any], Callable[[np.ndarray], Any]], Any] | None,
    compare: Callable[[Sequence[Any], Sequence[Any]], None] | None = None,
) -> None:
    """Several outputs against torch: shapes and dtypes, values (or `compare`'s invariants),
    then the input gradients of a scalar `loss(outputs, to_tensor)` computed in each library
    (a loss that does not depend on the signs of singular or eigen vectors)."""
    dtype = arrays[0].dtype
    gx = [gu.tensor(a.copy(), requires_grad=loss is not None) for a in arrays]
    tx = [torch.tensor(a.copy(), requires_grad=loss is not None) for a in arrays]
    gout, tout = gu_fn(*gx), torch_fn(*tx)
    assert len(gout) == len(tout)
    for g, t in zip(gout, tout, strict=True):
        assert g.shape == tuple(t.shape), f"shape {g.shape} != torch {tuple(t.shape)}"
        assert str(g.dtype) == str(t.dtype).replace("torch.", "")
    if compare is None:
        for i, (g, t) in enumerate(zip(gout, tout, strict=True)):
            assert_close(g, t, dtype, f"output {i}")
    else:
        compare([numpy(g) for g in gout], [numpy(t) for t in tout])
    if loss is None:
        return
    loss(gout, lambda a: gu.tensor(a.astype(dtype))).backward()
    loss(tout, lambda a: torch.tensor(a.astype(dtype))).backward()
    for i, (g, t) in enumerate(zip(gx, tx, strict=True)):
        assert g.grad is not None and g.grad.dtype == dtype
        assert_close(g.grad, t.grad, dtype, f"grad of input {i}")


def raises_like(gu_call: Callable[[], Any], torch_call: Callable[[], Any]) -> BaseException:
    """Both calls raise; groundup's exception is an instance of the class torch raised (of
    groundup's LinAlgError when torch's is a LinAlgError). Returns groundup's exception."""
    with pytest.raises(Exception) as expected:
        torch_call()
    kind = type(expected.value)
    if issubclass(kind, torch.linalg.LinAlgError):
        kind = gu.linalg.LinAlgError
    elif kind.__module__.startswith("torch"):  # torch's other private classes
        kind = next(c for c in kind.__mro__ if c.__module__ == "builtins")
    with pytest.raises(kind) as got:
        gu_call()
    return got.value


def same_error(call: Callable[[Any], Any]) -> BaseException:
    """`raises_like` for a call written once for either library: call(gu), call(torch)."""
    return raises_like(lambda: call(gu), lambda: call(torch))

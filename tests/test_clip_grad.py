"""Gradient clipping equals torch.nn.utils: the returned total norm and the clipped
gradients, for every norm type, both dtypes, clipping and non-clipping max_norm."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import torch

from groundup.nn import Parameter
from groundup.nn.utils import clip_grad_norm_, clip_grad_value_, get_total_norm
from groundup.tensor import Tensor

SHAPES = [(5, 4), (4,), (3, 2, 2), ()]
TOL = {np.float64: dict(rtol=1e-12, atol=1e-12), np.float32: dict(rtol=1e-5, atol=1e-6)}


def grads(dtype: Any, seed: int = 0, scale: float = 1.0) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    return [(scale * rng.standard_normal(s)).astype(dtype) for s in SHAPES]


def pair(arrays: list[np.ndarray | None]) -> tuple[list[Parameter], list[torch.nn.Parameter]]:
    """Parameters carrying `arrays` as gradients (None: no gradient), in both libraries."""
    ours, theirs = [], []
    for i, g in enumerate(arrays):
        zeros = np.zeros(SHAPES[i]) if g is None else np.zeros_like(g)
        p, t = Parameter(zeros.copy()), torch.nn.Parameter(torch.tensor(zeros))
        if g is not None:
            p.grad, t.grad = Tensor(g.copy()), torch.tensor(g.copy())
        ours.append(p)
        theirs.append(t)
    return ours, theirs


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("norm_type", [2.0, 1.0, 3.5, 0.5, float("inf"), float("-inf"), 0.0])
@pytest.mark.parametrize("max_norm", [0.5, 1e3])
def test_clip_grad_norm_matches_torch(dtype: Any, norm_type: float, max_norm: float) -> None:
    arrays: list[np.ndarray | None] = list(grads(dtype))
    arrays[1] = None  # skipped, as in torch
    ours, theirs = pair(arrays)
    total = clip_grad_norm_(ours, max_norm, norm_type)
    expected = torch.nn.utils.clip_grad_norm_(theirs, max_norm, norm_type)
    assert isinstance(total, Tensor) and total.shape == ()
    assert total.dtype == dtype
    np.testing.assert_allclose(total._data, expected.numpy(), **TOL[dtype])
    for p, t in zip(ours, theirs, strict=True):
        if t.grad is None:
            assert p.grad is None
            continue
        assert p.grad.dtype == dtype
        np.testing.assert_allclose(p.grad._data, t.grad.numpy(), **TOL[dtype])


def test_clipping_rescales_to_max_norm_and_keeps_direction() -> None:
    arrays = grads(np.float64, scale=10.0)
    ours, _ = pair(list(arrays))
    total = float(clip_grad_norm_(ours, max_norm=1.0).item())
    flat_before = np.concatenate([a.ravel() for a in arrays])
    flat_after = np.concatenate([p.grad._data.ravel() for p in ours if p.grad is not None])
    assert total == pytest.approx(np.linalg.norm(flat_before), rel=1e-12)
    assert np.linalg.norm(flat_after) == pytest.approx(1.0, rel=1e-5)  # 1e-6 in the divisor
    np.testing.assert_allclose(flat_after * total, flat_before, rtol=1e-5)


def test_small_gradients_are_left_alone() -> None:
    arrays = grads(np.float64, scale=1e-3)
    ours, _ = pair(list(arrays))
    clip_grad_norm_(ours, max_norm=1.0)
    for p, a in zip(ours, arrays, strict=True):
        np.testing.assert_array_equal(p.grad._data, a)  # the clamped coefficient is exactly 1


def test_single_tensor_generator_and_no_gradients() -> None:
    p = Parameter(np.zeros(3))
    p.grad = Tensor(np.array([3.0, 4.0, 0.0]))
    assert float(clip_grad_norm_(p, 100.0).item()) == 5.0
    q = Parameter(np.zeros(2))
    q.grad = Tensor(np.array([6.0, 8.0]))
    total = clip_grad_norm_((x for x in [q]), 5.0)  # a generator is read once only
    assert float(total.item()) == 10.0
    np.testing.assert_allclose(q.grad._data, [3.0, 4.0], rtol=1e-6)
    empty = clip_grad_norm_([Parameter(np.zeros(2))], 1.0)
    assert float(empty.item()) == 0.0 and empty.dtype == np.float32  # torch.tensor(0.0)


def test_nonfinite_norm() -> None:
    p = Parameter(np.zeros(3))
    p.grad = Tensor(np.array([1.0, np.nan, 2.0]))
    with pytest.raises(RuntimeError, match="non-finite"):
        clip_grad_norm_([p], 1.0, error_if_nonfinite=True)
    assert not np.isnan(p.grad._data[0])  # nothing was scaled before the error
    assert np.isnan(float(clip_grad_norm_([p], 1.0).item()))


def test_get_total_norm_of_tensors() -> None:
    arrays = grads(np.float64, seed=3)
    got = get_total_norm([Tensor(a) for a in arrays], norm_type=3.0)
    expected = torch.nn.utils.get_total_norm([torch.tensor(a) for a in arrays], norm_type=3.0)
    np.testing.assert_allclose(got._data, expected.numpy(), rtol=1e-12)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_clip_grad_value_matches_torch(dtype: Any) -> None:
    arrays: list[np.ndarray | None] = list(grads(dtype, seed=4, scale=2.0))
    arrays[2] = None
    ours, theirs = pair(arrays)
    clip_grad_value_(ours, 0.75)
    torch.nn.utils.clip_grad_value_(theirs, 0.75)
    clipped_any = False
    for p, t, a in zip(ours, theirs, arrays, strict=True):
        if a is None:
            assert p.grad is None
            continue
        np.testing.assert_array_equal(p.grad._data, t.grad.numpy())
        assert p.grad.dtype == dtype and np.abs(p.grad._data).max() <= 0.75
        clipped_any |= bool(np.abs(a).max() > 0.75)
    assert clipped_any

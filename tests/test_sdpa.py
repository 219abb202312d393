"""scaled_dot_product_attention against torch: every mask kind, causal, scale, dropout,
fully masked rows, broadcasting, gradients (including the float mask's), the fused op
against its composed twin, and the errors."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as tF

import groundup as gu
from groundup.inspect import gradcheck
from groundup.nn.functional import scaled_dot_product_attention as sdpa
from tests.oracle import assert_close, check_op, randn

DTYPES = [np.float64, np.float32]


def _qkv(batch=(2, 3), length=4, source=5, e=6, ev=7, dtype=np.float64, seed=0):
    return (
        randn(*batch, length, e, dtype=dtype, seed=seed),
        randn(*batch, source, e, dtype=dtype, seed=seed + 1),
        randn(*batch, source, ev, dtype=dtype, seed=seed + 2),
    )


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(
    "options",
    [
        {},
        {"is_causal": True},
        {"scale": 0.37},
        {"is_causal": True, "scale": 2.0},
    ],
    ids=["plain", "causal", "scale", "causal-scale"],
)
def test_matches_torch(dtype, options):
    q, k, v = _qkv(dtype=dtype)
    check_op(
        lambda a, b, c: sdpa(a, b, c, **options),
        lambda a, b, c: tF.scaled_dot_product_attention(a, b, c, **options),
        q,
        k,
        v,
    )


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("mask_shape", [(4, 5), (1, 3, 4, 5), (2, 1, 1, 5), (2, 3, 4, 5)], ids=str)
@pytest.mark.parametrize("kind", ["bool", "float"])
def test_masks_broadcast_like_torch(dtype, mask_shape, kind):
    q, k, v = _qkv(dtype=dtype)
    rng = np.random.default_rng(3)
    if kind == "bool":
        mask = rng.random(mask_shape) > 0.4
        mask[..., 0] = True  # keep one key per row (fully masked rows are tested below)
    else:
        mask = rng.standard_normal(mask_shape).astype(dtype)
    check_op(
        lambda a, b, c: sdpa(a, b, c, attn_mask=mask),
        lambda a, b, c: tF.scaled_dot_product_attention(a, b, c, attn_mask=torch.tensor(mask)),
        q,
        k,
        v,
    )


def test_causal_with_more_keys_than_queries_is_top_left_aligned():
    """torch's is_causal: query i sees keys 0..i even when S > L."""
    q, k, v = _qkv(length=3, source=6)
    check_op(
        lambda a, b, c: sdpa(a, b, c, is_causal=True),
        lambda a, b, c: tF.scaled_dot_product_attention(a, b, c, is_causal=True),
        q,
        k,
        v,
    )
    out = sdpa(gu.tensor(q), gu.tensor(k), gu.tensor(np.eye(6)[None, None].repeat(2, 0)))
    assert out.shape == (2, 3, 3, 6)


def test_float_mask_gets_torch_gradient():
    q, k, v = _qkv()
    mask = randn(4, 5, seed=9)
    check_op(
        lambda a, b, c, m: sdpa(a, b, c, attn_mask=m),
        lambda a, b, c, m: tF.scaled_dot_product_attention(a, b, c, attn_mask=m),
        q,
        k,
        v,
        mask,
    )


def test_broadcast_batch_dims_sum_gradients_back():
    """A key/value shared by every head (batch dim 1) gets the gradient summed over heads."""
    q, _, _ = _qkv()
    k, v = randn(2, 1, 5, 6, seed=4), randn(2, 1, 5, 7, seed=5)
    check_op(sdpa, tF.scaled_dot_product_attention, q, k, v)


@pytest.mark.parametrize("kind", ["bool", "float"])
def test_fully_masked_rows_give_zeros_like_torch(kind):
    q, k, v = _qkv()
    keep = np.ones((4, 5), bool)
    keep[1] = False  # query 1 may attend to nothing
    mask = keep if kind == "bool" else np.where(keep, 0.0, -np.inf)
    check_op(
        lambda a, b, c: sdpa(a, b, c, attn_mask=mask),
        lambda a, b, c: tF.scaled_dot_product_attention(a, b, c, attn_mask=torch.tensor(mask)),
        q,
        k,
        v,
    )
    gq = gu.tensor(q, requires_grad=True)
    out = sdpa(gq, gu.tensor(k), gu.tensor(v), attn_mask=mask)
    out.sum().backward()
    assert np.all(out._data[:, :, 1] == 0) and np.all(gq.grad._data[:, :, 1] == 0)
    assert np.all(np.isfinite(out._data))


def test_gradcheck_float64():
    q, k, v = _qkv(batch=(2,), length=3, source=4, e=3, ev=2)
    mask = randn(3, 4, seed=7)
    inputs = [gu.tensor(a, requires_grad=True) for a in (q, k, v, mask)]
    assert gradcheck(lambda a, b, c, m: sdpa(a, b, c, attn_mask=m, scale=0.8), inputs)
    assert gradcheck(lambda a, b, c: sdpa(a, b, c, is_causal=True), inputs[:3])


def test_fused_equals_composed_twin():
    """The fused op equals matmul -> scale -> add mask -> softmax -> matmul built from
    groundup's checked primitives, forward and backward."""
    q, k, v = _qkv()
    mask = np.where(np.random.default_rng(0).random((4, 5)) > 0.3, 0.0, -np.inf)
    mask[:, 0] = 0.0

    def composed(a, b, c):
        scores = gu.matmul(a, b.transpose(-2, -1)) * (1 / math.sqrt(a.shape[-1]))
        return gu.matmul(gu.softmax(scores + gu.tensor(mask), dim=-1), c)

    grads = []
    for fn in (lambda a, b, c: sdpa(a, b, c, attn_mask=mask), composed):
        ins = [gu.tensor(x, requires_grad=True) for x in (q, k, v)]
        out = fn(*ins)
        out.backward(randn(*out.shape, seed=11))
        grads.append([out._data] + [t.grad._data for t in ins])
    for fused, twin in zip(*grads, strict=True):
        np.testing.assert_allclose(fused, twin, rtol=1e-12, atol=1e-12)


def test_dropout_zeroes_weights_and_rescales_the_rest():
    """With value = identity the output is the (dropped) weight matrix itself: each entry
    is 0 or p_ij / (1 - p), about a fraction p are 0, and a seed reproduces the draw."""
    q, k, _ = _qkv(batch=(8, 4), length=16, source=16, e=8)
    eye = np.broadcast_to(np.eye(16), (8, 4, 16, 16)).copy()
    clean = sdpa(gu.tensor(q), gu.tensor(k), gu.tensor(eye))._data
    gu.manual_seed(0)
    dropped = sdpa(gu.tensor(q), gu.tensor(k), gu.tensor(eye), dropout_p=0.25)._data
    zero = dropped == 0
    assert abs(zero.mean() - 0.25) < 0.02
    np.testing.assert_allclose(dropped[~zero], clean[~zero] / 0.75, rtol=1e-12)
    gu.manual_seed(0)
    again = sdpa(gu.tensor(q), gu.tensor(k), gu.tensor(eye), dropout_p=0.25)._data
    np.testing.assert_array_equal(dropped, again)


def test_dropout_backward_uses_the_same_mask():
    """Reseeding before every call makes the dropped attention a fixed function, whose
    backward must then agree with finite differences."""

    def dropped(a, b, c):
        gu.manual_seed(1)
        return sdpa(a, b, c, dropout_p=0.3)

    ins = [gu.tensor(x, requires_grad=True) for x in _qkv(batch=(2,), e=3, ev=2)]
    assert gradcheck(dropped, ins)


def test_float32_stays_float32():
    q, k, v = _qkv(dtype=np.float32)
    out = sdpa(gu.tensor(q), gu.tensor(k), gu.tensor(v), attn_mask=np.ones((4, 5), bool))
    assert out.dtype == np.float32


def test_bad_inputs_name_the_problem():
    q, k, v = (gu.tensor(a) for a in _qkv())
    with pytest.raises(RuntimeError, match=r"attn_mask of shape \(3, 5\) does not broadcast"):
        sdpa(q, k, v, attn_mask=np.ones((3, 5), bool))
    with pytest.raises(RuntimeError, match=r"would grow the scores"):
        sdpa(q, k, v, attn_mask=np.ones((7, 2, 3, 4, 5), bool))
    with pytest.raises(RuntimeError, match="either attn_mask or is_causal"):
        sdpa(q, k, v, attn_mask=np.ones((4, 5), bool), is_causal=True)
    with pytest.raises(RuntimeError, match="same last dim"):
        sdpa(q, gu.tensor(randn(2, 3, 5, 4)), v)
    with pytest.raises(RuntimeError, match="same sequence length"):
        sdpa(q, k, gu.tensor(randn(2, 3, 6, 7)))
    with pytest.raises(RuntimeError, match="do not broadcast"):
        sdpa(q, gu.tensor(randn(4, 3, 5, 6)), gu.tensor(randn(4, 3, 5, 7)))
    with pytest.raises(TypeError, match="share one floating dtype"):
        sdpa(q, k.to(np.float32), v)
    with pytest.raises(TypeError, match="bool or float"):
        sdpa(q, k, v, attn_mask=np.ones((4, 5), np.int64))
    with pytest.raises(ValueError, match="dropout_p"):
        sdpa(q, k, v, dropout_p=1.5)
    with pytest.raises(RuntimeError, match=r"shape \(\.\.\., seq, features\)"):
        sdpa(gu.tensor(randn(4)), k, v)


def test_fully_masked_rows_are_finite_in_float32_too():
    q, k, v = _qkv(dtype=np.float32)
    out = sdpa(gu.tensor(q), gu.tensor(k), gu.tensor(v), attn_mask=np.zeros((4, 5), bool))
    assert_close(out, np.zeros_like(out._data), np.float32)

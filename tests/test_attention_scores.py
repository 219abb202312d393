"""Attention scores, weights and context vectors: the worked example of seed note 004
(calc item 6), and each score function against torch with the same weights."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

import groundup as gu
from groundup import nn
from groundup.inspect import gradcheck
from tests.oracle import assert_close

DECODER = [10.0, 5.0, 10.0]
ENCODER = [[0.0, 1.0, 1.0], [5.0, 0.0, 1.0], [1.0, 1.0, 0.0], [0.0, 5.0, 1.0]]


def test_seed_worked_example_dot_product_attention():
    """One decoder state [10, 5, 10], four encoder states, dot-product scores.

    The note gets the scores right (15, 60, 15, 35) but writes the softmax as [0, 1, 0, 0]
    and the context as [5, 0, 1]: that is an argmax. The softmax gives weights
    [e^-45, 1, e^-45, e^-25] / (1 + 2 e^-45 + e^-25) = [2.86e-20, 1 - 1.39e-11, 2.86e-20,
    1.39e-11], never exactly 0 or 1, and the context [5 - 6.9e-11, 6.94e-11, 1].
    """
    query = gu.tensor([DECODER], dtype=gu.float64)  # (N=1, 3)
    keys = gu.tensor([ENCODER], dtype=gu.float64)  # (N=1, S=4, 3)
    attention = nn.DotProductAttention()
    scores = attention.score(query.unsqueeze(1), keys)
    np.testing.assert_array_equal(scores._data, [[[15.0, 60.0, 15.0, 35.0]]])

    context, weights = attention(query, keys)
    assert weights.shape == (1, 4) and context.shape == (1, 3)
    denominator = 1 + 2 * math.exp(-45) + math.exp(-25)
    expected = np.array([math.exp(-45), 1, math.exp(-45), math.exp(-25)]) / denominator
    np.testing.assert_allclose(weights._data[0], expected, rtol=1e-12)
    np.testing.assert_allclose(
        weights._data[0], [2.862519e-20, 1 - 1.388794e-11, 2.862519e-20, 1.388794e-11], rtol=1e-6
    )
    assert weights._data[0, 0] > 0 and weights._data[0, 1] < 1  # not the note's one-hot
    np.testing.assert_allclose(context._data[0], expected @ np.array(ENCODER), rtol=1e-12)
    np.testing.assert_allclose(
        context._data[0], [5 - 6.944e-11, 6.944e-11, 1.0], rtol=1e-9, atol=1e-14
    )
    np.testing.assert_allclose(context._data[0], [5, 0, 1], atol=1e-10)  # the note, to 10 places
    assert context._data[0, 1] > 0  # ... but not exactly


def test_worked_example_with_small_score_gaps_spreads_the_weight():
    """Decoder state [1, 0.5, 1]: scores [1.5, 6, 1.5, 3.5], weights ~[0.010, 0.906, 0.010,
    0.074], context ~[4.54, 0.39, 0.99]; scaling by 1/sqrt(3) flattens it further."""
    keys = gu.tensor([ENCODER], dtype=gu.float64)
    context, weights = nn.DotProductAttention()(
        gu.tensor([[1.0, 0.5, 1.0]], dtype=gu.float64), keys
    )
    e = np.exp(np.array([1.5, 6.0, 1.5, 3.5]) - 6.0)
    np.testing.assert_allclose(weights._data[0], e / e.sum(), rtol=1e-12)
    np.testing.assert_allclose(weights._data[0], [0.010, 0.906, 0.010, 0.074], atol=5e-4)
    np.testing.assert_allclose(context._data[0], [4.54, 0.39, 0.99], atol=5e-3)
    _, scaled = nn.DotProductAttention(scaled=True)(
        gu.tensor([[1.0, 0.5, 1.0]], dtype=gu.float64), keys
    )
    assert scaled._data[0].max() < weights._data[0].max()


def _torch_attention(scores, values, mask=None):
    if mask is not None:
        scores = scores.masked_fill(torch.tensor(mask)[:, None, :], float("-inf"))
    weights = torch.softmax(scores, dim=-1)
    return weights @ values, weights


def _data(dtype, n=2, t=3, s=5, dq=4, dk=4, seed=0):
    rng = np.random.default_rng(seed)
    return (
        rng.standard_normal((n, t, dq)).astype(dtype),
        rng.standard_normal((n, s, dk)).astype(dtype),
        rng.standard_normal((n, s, 6)).astype(dtype),
    )


def _compare(module, torch_scores, dtype, dq=4, dk=4, mask=None):
    q, k, v = _data(dtype, dq=dq, dk=dk)
    gq, gk, gv = (gu.tensor(a, requires_grad=True) for a in (q, k, v))
    tq, tk, tv = (torch.tensor(a, requires_grad=True) for a in (q, k, v))
    g_ctx, g_w = module(gq, gk, gv, mask=mask)
    t_ctx, t_w = _torch_attention(torch_scores(tq, tk), tv, mask)
    assert g_ctx.shape == (2, 3, 6) and g_w.shape == (2, 3, 5)
    assert g_ctx.dtype == dtype
    assert_close(g_w, t_w, dtype, "weights")
    assert_close(g_ctx, t_ctx, dtype, "context")
    up = np.random.default_rng(9).standard_normal(g_ctx.shape).astype(dtype)
    (g_ctx * gu.tensor(up)).sum().backward()
    (t_ctx * torch.tensor(up)).sum().backward()
    for name, a, b in (("query", gq, tq), ("keys", gk, tk), ("values", gv, tv)):
        assert_close(a.grad, b.grad, dtype, f"grad of {name}")
    return gq, gk, gv


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("scaled", [False, True])
def test_dot_product_attention_matches_torch(dtype, scaled):
    module = nn.DotProductAttention(scaled=scaled)
    _compare(module, lambda q, k: q @ k.transpose(1, 2) / (2.0 if scaled else 1.0), dtype)
    if scaled:  # equal to torch's scaled_dot_product_attention
        q, k, v = _data(dtype)
        ctx, _ = module(gu.tensor(q), gu.tensor(k), gu.tensor(v))
        expected = torch.nn.functional.scaled_dot_product_attention(*map(torch.tensor, (q, k, v)))
        assert_close(ctx, expected, dtype)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_general_attention_matches_torch(dtype):
    module = nn.GeneralAttention(4, 7, dtype=dtype)
    w = torch.tensor(module.weight._data)
    _compare(module, lambda q, k: q @ w @ k.transpose(1, 2), dtype, dk=7)  # q^T W k
    assert module.weight.grad is not None


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_additive_attention_matches_torch(dtype):
    module = nn.AdditiveAttention(4, 7, 8, dtype=dtype)
    wq, wk, v = (
        torch.tensor(m.weight._data) for m in (module.query_proj, module.key_proj, module.v)
    )

    def scores(q, k):  # v^T tanh(W_q q + W_k k) for every pair
        hidden = torch.tanh((q @ wq.T)[:, :, None, :] + (k @ wk.T)[:, None, :, :])
        return (hidden @ v.T).squeeze(-1)

    _compare(module, scores, dtype, dk=7)
    assert all(p.grad is not None for p in module.parameters())


def test_mask_gives_padding_zero_weight():
    mask = np.array([[False, False, True, True, True], [False, False, False, False, True]])
    _compare(nn.DotProductAttention(), lambda q, k: q @ k.transpose(1, 2), np.float64, mask=mask)
    q, k, v = _data(np.float64)
    _, weights = nn.DotProductAttention()(gu.tensor(q), gu.tensor(k), gu.tensor(v), mask=mask)
    assert np.all(weights._data[0, :, 2:] == 0) and np.all(weights._data[1, :, 4] == 0)
    np.testing.assert_allclose(weights._data.sum(-1), 1.0)


def test_one_query_step_drops_the_time_axis():
    q, k, _ = _data(np.float64)
    att = nn.AdditiveAttention(4, 4, 5, dtype=np.float64)
    ctx1, w1 = att(gu.tensor(q[:, 1]), gu.tensor(k))
    ctx, w = att(gu.tensor(q), gu.tensor(k))
    assert ctx1.shape == (2, 4) and w1.shape == (2, 5)
    np.testing.assert_allclose(ctx1._data, ctx._data[:, 1])
    np.testing.assert_allclose(w1._data, w._data[:, 1])


@pytest.mark.parametrize(
    "make",
    [
        lambda: nn.DotProductAttention(),
        lambda: nn.GeneralAttention(4, dtype=np.float64),
        lambda: nn.AdditiveAttention(4, 4, 3, dtype=np.float64),
    ],
)
def test_gradcheck(make):
    q, k, v = _data(np.float64, n=1, t=2, s=3)
    module = make()
    assert gradcheck(
        lambda q, k, v: module(q, k, v)[0], [gu.tensor(a, requires_grad=True) for a in (q, k, v)]
    )


def test_bad_shapes_name_the_module_and_expected_shape():
    q, k, v = _data(np.float64)
    with pytest.raises(ValueError, match=r"DotProductAttention: keys must be \(N, S, Dk\)"):
        nn.DotProductAttention()(gu.tensor(q), gu.tensor(k[0]))
    with pytest.raises(
        ValueError, match=r"query of shape \(3, 3, 4\) must be \(N, Dq\) or \(N, T, Dq\) with N = 2"
    ):
        nn.DotProductAttention()(gu.tensor(np.zeros((3, 3, 4))), gu.tensor(k))
    with pytest.raises(
        ValueError, match=r"values of shape \(2, 4, 6\) must be \(N, S, Dv\) = \(2, 5, Dv\)"
    ):
        nn.DotProductAttention()(gu.tensor(q), gu.tensor(k), gu.tensor(v[:, :4]))
    with pytest.raises(ValueError, match=r"query size 4 must equal key size 3"):
        nn.DotProductAttention()(gu.tensor(q), gu.tensor(k[..., :3]))
    with pytest.raises(ValueError, match=r"GeneralAttention\(4, 7\): got query"):
        nn.GeneralAttention(4, 7, dtype=np.float64)(gu.tensor(q), gu.tensor(k))
    with pytest.raises(ValueError, match=r"mask of shape \(2, 4\) must be \(N, S\) = \(2, 5\)"):
        nn.DotProductAttention()(gu.tensor(q), gu.tensor(k), mask=np.zeros((2, 4), bool))

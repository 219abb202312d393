"""MultiheadAttention against torch.nn.MultiheadAttention with the same weights (torch's
state_dict loaded as is): outputs, attention weights, input and parameter gradients, for
every layout, mask and projection option, and the errors."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import torch

import groundup as gu
from groundup import nn
from groundup.inspect import gradcheck
from tests.oracle import assert_close, randn

E, H = 8, 2


def make_pair(dtype=np.float64, **options):
    t = torch.nn.MultiheadAttention(E, H, dtype=getattr(torch, np.dtype(dtype).name), **options)
    g = nn.MultiheadAttention(E, H, dtype=dtype, **options)
    assert list(g.state_dict()) == list(t.state_dict())
    g.load_state_dict({k: v.detach().numpy() for k, v in t.state_dict().items()})
    return g, t


def _to_torch(value):
    if isinstance(value, np.ndarray):
        return torch.tensor(value)
    if isinstance(value, gu.Tensor):
        return torch.tensor(value._data)
    return value


def run_both(g, t, query, key, value, dtype, *, self_attention=False, seed=0, **kwargs):
    """Forward both (with the same masks), backpropagate the same random output gradient
    (plus one through the weights), and return the (name, groundup, torch) pairs."""
    g_in = [gu.tensor(a, requires_grad=True) for a in (query, key, value)]
    t_in = [torch.tensor(a, requires_grad=True) for a in (query, key, value)]
    if self_attention:  # the same object three times, as a self-attention layer passes it
        g_in, t_in = [g_in[0]] * 3, [t_in[0]] * 3
    g_out, g_w = g(*g_in, **kwargs)
    t_out, t_w = t(*t_in, **{k: _to_torch(v) for k, v in kwargs.items()})
    rng = np.random.default_rng(seed)
    u = rng.standard_normal(g_out.shape).astype(dtype)
    g_loss, t_loss = (g_out * gu.tensor(u)).sum(), (t_out * torch.tensor(u)).sum()
    if g_w is not None:
        uw = rng.standard_normal(g_w.shape).astype(dtype)
        g_loss = g_loss + (g_w * gu.tensor(uw)).sum()
        t_loss = t_loss + (t_w * torch.tensor(uw)).sum()
    g_loss.backward()
    t_loss.backward()
    pairs = [("output", g_out, t_out)]
    if g_w is not None or t_w is not None:
        pairs.append(("weights", g_w, t_w))
    names = ["query"] if self_attention else ["query", "key", "value"]
    pairs += [(f"{n} grad", a.grad, b.grad) for n, a, b in zip(names, g_in, t_in, strict=False)]
    t_params = dict(t.named_parameters())
    pairs += [(f"{n} grad", p.grad, t_params[n].grad) for n, p in g.named_parameters()]
    return pairs


def assert_pairs(pairs, dtype):
    for name, a, b in pairs:
        assert a is not None and b is not None, name
        assert a.shape == tuple(b.shape), f"{name}: {a.shape} != {tuple(b.shape)}"
        assert a.dtype == dtype, f"{name}: dtype {a.dtype}"
        assert_close(a, b, dtype, name)


def _inputs(batch_first, length=4, source=5, n=3, kdim=E, vdim=E, dtype=np.float64):
    def shape(s, d):
        return (n, s, d) if batch_first else (s, n, d)

    return (
        randn(*shape(length, E), dtype=dtype, seed=1),
        randn(*shape(source, kdim), dtype=dtype, seed=2),
        randn(*shape(source, vdim), dtype=dtype, seed=3),
    )


def _key_padding(n=3, source=5, kind="bool"):
    mask = np.random.default_rng(5).random((n, source)) > 0.6
    mask[:, 0] = False  # every query keeps a key
    return mask if kind == "bool" else np.where(mask, -np.inf, 0.0)


@pytest.mark.parametrize(
    ("dtype", "batch_first", "need_weights", "average"),
    list(itertools.product([np.float64, np.float32], [False, True], [True, False], [True, False])),
)
def test_cross_attention_with_padding_matches_torch(dtype, batch_first, need_weights, average):
    g, t = make_pair(dtype, batch_first=batch_first)
    q, k, v = _inputs(batch_first, dtype=dtype)
    pairs = run_both(
        g,
        t,
        q,
        k,
        v,
        dtype,
        key_padding_mask=_key_padding(),
        need_weights=need_weights,
        average_attn_weights=average,
    )
    assert_pairs(pairs, dtype)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("need_weights", [True, False])
@pytest.mark.parametrize(
    "masks",
    ["causal-float", "causal-bool", "causal-hint", "3d-float", "bool+padding", "float+float"],
)
def test_self_attention_masks_match_torch(dtype, need_weights, masks):
    g, t = make_pair(dtype, batch_first=True)
    x, _, _ = _inputs(True, length=5, dtype=dtype)
    causal = np.triu(np.full((5, 5), -np.inf), 1).astype(dtype)
    kwargs: dict = {
        "causal-float": {"attn_mask": causal},
        "causal-bool": {"attn_mask": np.isinf(causal)},
        "causal-hint": {"attn_mask": causal, "is_causal": True},
        "3d-float": {"attn_mask": randn(3 * H, 5, 5, dtype=dtype, seed=8)},
        "bool+padding": {"attn_mask": np.isinf(causal), "key_padding_mask": _key_padding()},
        "float+float": {
            "attn_mask": causal,
            "key_padding_mask": _key_padding(kind="float").astype(dtype),
        },
    }[masks]
    pairs = run_both(g, t, x, x, x, dtype, self_attention=True, need_weights=need_weights, **kwargs)
    assert_pairs(pairs, dtype)


@pytest.mark.parametrize(
    "options",
    [
        {"bias": False},
        {"kdim": 3, "vdim": 5},
        {"add_bias_kv": True},
        {"add_zero_attn": True},
        {"add_bias_kv": True, "add_zero_attn": True, "kdim": 4},
    ],
    ids=str,
)
@pytest.mark.parametrize("need_weights", [True, False])
def test_projection_options_match_torch(options, need_weights):
    g, t = make_pair(np.float64, **options)
    q, k, v = _inputs(False, kdim=options.get("kdim", E), vdim=options.get("vdim", E))
    causal = np.triu(np.ones((4, 5), bool), 1)  # bool, like the padding mask
    pairs = run_both(
        g,
        t,
        q,
        k,
        v,
        np.float64,
        key_padding_mask=_key_padding(),
        attn_mask=causal,
        need_weights=need_weights,
    )
    assert_pairs(pairs, np.float64)


@pytest.mark.parametrize("need_weights", [True, False])
def test_unbatched_input_matches_torch(need_weights):
    g, t = make_pair(np.float64)
    q, k, v = randn(4, E, seed=1), randn(5, E, seed=2), randn(5, E, seed=3)
    kpm = np.where([False, True, False, False, True], -np.inf, 0.0)  # float, as attn_mask
    pairs = run_both(
        g,
        t,
        q,
        k,
        v,
        np.float64,
        key_padding_mask=kpm,
        attn_mask=randn(H, 4, 5, seed=4),
        need_weights=need_weights,
    )
    assert_pairs(pairs, np.float64)


@pytest.mark.parametrize("mode", ["eval-dropout", "train-p0"])
def test_train_and_eval_modes_match_torch(mode):
    """Evaluation switches dropout off; training with p = 0 is deterministic too."""
    p = 0.5 if mode == "eval-dropout" else 0.0
    g, t = make_pair(np.float64, dropout=p, batch_first=True)
    if mode == "eval-dropout":
        g.eval()
        t.eval()
    x, _, _ = _inputs(True)
    torch.set_grad_enabled(True)
    for need_weights in (True, False):
        g.zero_grad()
        t.zero_grad()
        pairs = run_both(g, t, x, x, x, np.float64, self_attention=True, need_weights=need_weights)
        assert_pairs(pairs, np.float64)


def test_dropout_in_training_drops_returned_weights():
    """Like torch, the returned weights are the dropped ones: each is 0 or w / (1 - p)."""
    g = nn.MultiheadAttention(E, H, dropout=0.5, batch_first=True, dtype=np.float64)
    x = gu.tensor(randn(4, 6, E))
    g.eval()
    _, clean = g(x, x, x, average_attn_weights=False)
    g.train()
    gu.manual_seed(0)
    _, dropped = g(x, x, x, average_attn_weights=False)
    zero = dropped._data == 0
    assert 0.4 < zero.mean() < 0.6
    np.testing.assert_allclose(dropped._data[~zero], 2 * clean._data[~zero], rtol=1e-12)


def test_fully_masked_query_rows_behave_like_torch():
    """A query whose every key is masked: NaN through the explicit softmax of
    need_weights=True, zeros through the fused attention of need_weights=False (torch)."""
    g, t = make_pair(np.float64, batch_first=True)
    x, _, _ = _inputs(True, length=5)
    mask = np.zeros((5, 5), bool)
    mask[2] = True  # query 2 may attend to nothing
    for need_weights in (True, False):
        g_out, g_w = g(gu.tensor(x), gu.tensor(x), gu.tensor(x), attn_mask=mask,
                       need_weights=need_weights)  # fmt: skip
        with torch.no_grad():
            t_out, t_w = t(*[torch.tensor(x)] * 3, attn_mask=torch.tensor(mask),
                           need_weights=need_weights)  # fmt: skip
        np.testing.assert_array_equal(np.isnan(g_out._data), np.isnan(t_out.numpy()))
        assert np.isnan(g_out._data[:, 2]).all() == need_weights
        finite = ~np.isnan(g_out._data)
        assert_close(g_out._data[finite], t_out.numpy()[finite], np.float64)
        if need_weights:
            assert np.isnan(g_w._data[:, 2]).all() and np.isnan(t_w.numpy()[:, 2]).all()


def test_parameters_and_init_follow_torch():
    g = nn.MultiheadAttention(16, 4)
    assert [n for n, _ in g.named_parameters()] == [
        "in_proj_weight",
        "in_proj_bias",
        "out_proj.weight",
        "out_proj.bias",
    ]
    assert g.in_proj_weight.shape == (48, 16) and g.head_dim == 4
    assert np.all(g.in_proj_bias._data == 0) and np.all(g.out_proj.bias._data == 0)
    bound = np.sqrt(6 / (16 + 48))  # Xavier-uniform with fan_in 16, fan_out 48
    assert np.abs(g.in_proj_weight._data).max() <= bound
    assert np.abs(g.in_proj_weight._data).max() > 0.9 * bound
    separate = nn.MultiheadAttention(16, 4, kdim=3, vdim=5, bias=False, add_bias_kv=True)
    t = torch.nn.MultiheadAttention(16, 4, kdim=3, vdim=5, bias=False, add_bias_kv=True)
    assert list(separate.state_dict()) == list(t.state_dict())
    assert {k: v.shape for k, v in separate.state_dict().items()} == {
        k: tuple(v.shape) for k, v in t.state_dict().items()
    }


def test_gradcheck_float64():
    g = nn.MultiheadAttention(4, 2, batch_first=True, add_bias_kv=True, dtype=np.float64)
    q, k = (
        gu.tensor(randn(2, 3, 4), requires_grad=True),
        gu.tensor(randn(2, 5, 4), requires_grad=True),
    )
    mask = np.array([[False, False, True, False, True], [False] * 5])
    assert gradcheck(lambda a, b: g(a, b, b, key_padding_mask=mask)[0], [q, k])
    assert gradcheck(lambda a, b: g(a, b, b, need_weights=True)[1], [q, k])


def test_bad_inputs_name_the_problem():
    with pytest.raises(ValueError, match=r"embed_dim must be divisible by num_heads.*10.*3"):
        nn.MultiheadAttention(10, 3)
    with pytest.raises(ValueError, match="greater than 0"):
        nn.MultiheadAttention(0, 2)
    g = nn.MultiheadAttention(E, H, batch_first=True)
    x = gu.tensor(randn(3, 4, E, dtype=np.float32))
    with pytest.raises(ValueError, match=r"key_padding_mask of shape \(3, 5\).*\(3, 4\)"):
        g(x, x, x, key_padding_mask=np.zeros((3, 5), bool))
    with pytest.raises(ValueError, match=r"attn_mask of shape \(4, 5\).*\(4, 4\)"):
        g(x, x, x, attn_mask=np.zeros((4, 5), bool))
    with pytest.raises(ValueError, match=r"attn_mask of shape \(2, 4, 4\).*\(6, 4, 4\)"):
        g(x, x, x, attn_mask=np.zeros((2, 4, 4), bool))
    with pytest.raises(ValueError, match=r"query of shape \(3, 4, 5\) must end in 8"):
        y = gu.tensor(randn(3, 4, 5, dtype=np.float32))
        g(y, x, x)
    with pytest.raises(ValueError, match="different batch sizes"):
        g(x, x[:2], x[:2])
    with pytest.raises(ValueError, match="3-D too"):
        g(x, x[0], x[0])
    with pytest.raises(RuntimeError, match="is_causal=True is a hint"):
        g(x, x, x, is_causal=True)
    with pytest.raises(TypeError, match="only bool and floating key_padding_mask"):
        g(x, x, x, key_padding_mask=np.zeros((3, 4), np.int64))

"""Layers against torch: BatchNorm1d, LayerNorm, Dropout, Embedding, Linear (init, layout,
state_dict keys, forward and backward with the same weights, repr)."""

import math

import numpy as np
import pytest
import torch

import groundup as gu
from groundup import nn
from tests.oracle import assert_close, randn


def copy_weights(gu_module, torch_module):
    gu_module.load_state_dict({k: v.numpy() for k, v in torch_module.state_dict().items()})


def step(gu_module, torch_module, x, dtype, what=""):
    """One forward and backward through both; outputs and every gradient agree."""
    gx = gu.tensor(x, requires_grad=True)
    tx = torch.tensor(x, requires_grad=True)
    out_g, out_t = gu_module(gx), torch_module(tx)
    assert out_g.dtype == dtype
    assert_close(out_g, out_t, dtype, f"{what} output")
    upstream = randn(*out_g.shape, dtype=dtype, seed=99)
    out_g.backward(upstream)
    out_t.backward(torch.tensor(upstream))
    assert_close(gx.grad, tx.grad, dtype, f"{what} input grad")
    torch_params = dict(torch_module.named_parameters())
    for name, p in gu_module.named_parameters():
        assert p.grad.dtype == dtype
        assert_close(p.grad, torch_params[name].grad, dtype, f"{what} grad of {name}")


# ------------------------------------------------------------------ BatchNorm1d
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("shape", [(8, 4), (5, 4, 3)])
@pytest.mark.parametrize(
    "options",
    [
        {},
        {"momentum": None},
        {"affine": False},
        {"track_running_stats": False},
        {"bias": False, "eps": 1e-3, "momentum": 0.5},
    ],
)
def test_batchnorm1d_train_then_eval_matches_torch(dtype, shape, options):
    tdtype = getattr(torch, np.dtype(dtype).name)
    bn_g, bn_t = nn.BatchNorm1d(4, dtype=dtype, **options), torch.nn.BatchNorm1d(4, **options)
    bn_t.to(tdtype)
    if bn_t.weight is not None:
        with torch.no_grad():
            bn_t.weight.uniform_(0.5, 1.5)
            if bn_t.bias is not None:
                bn_t.bias.normal_()
    copy_weights(bn_g, bn_t)
    assert list(bn_g.state_dict()) == list(bn_t.state_dict())
    assert repr(bn_g) == repr(bn_t)
    for i in range(3):  # three training steps: running statistics follow torch's
        x = (2 * randn(*shape, dtype=dtype, seed=i) + i).astype(dtype)
        step(bn_g, bn_t, x, dtype, f"train step {i}")
        for k, v in bn_t.state_dict().items():
            assert_close(bn_g.state_dict()[k], v.numpy(), dtype, k)
    bn_g.eval()
    bn_t.eval()
    bn_g.zero_grad()
    bn_t.zero_grad()
    step(bn_g, bn_t, randn(*shape, dtype=dtype, seed=10), dtype, "eval")
    if bn_g.num_batches_tracked is not None:
        assert bn_g.num_batches_tracked.item() == 3
        assert bn_g.num_batches_tracked.dtype == np.int64


def test_batchnorm1d_defaults_and_errors():
    bn = nn.BatchNorm1d(3)
    assert (bn.eps, bn.momentum, bn.affine, bn.track_running_stats) == (1e-5, 0.1, True, True)
    np.testing.assert_array_equal(bn.weight._data, np.ones(3, np.float32))
    np.testing.assert_array_equal(bn.bias._data, np.zeros(3, np.float32))
    assert bn.num_batches_tracked.shape == () and bn.running_var.dtype == np.float32
    with pytest.raises(ValueError, match=r"expected 2D or 3D input, got 4D input of shape"):
        bn(gu.zeros(2, 3, 4, 5))
    with pytest.raises(ValueError, match=r"BatchNorm1d\(3\) got input of shape \(2, 5\)"):
        bn(gu.zeros(2, 5))
    with pytest.raises(RuntimeError, match="device 'cuda' is not available: groundup runs on"):
        nn.BatchNorm1d(3, device="cuda")


# -------------------------------------------------------------------- LayerNorm
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize(
    ("normalized", "options"),
    [(5, {}), ((3, 5), {"eps": 1e-3}), (5, {"bias": False}), (5, {"elementwise_affine": False})],
)
def test_layernorm_matches_torch(dtype, normalized, options):
    ln_g = nn.LayerNorm(normalized, dtype=dtype, **options)
    ln_t = torch.nn.LayerNorm(normalized, dtype=getattr(torch, np.dtype(dtype).name), **options)
    with torch.no_grad():
        for p in ln_t.parameters():
            p.normal_()
    copy_weights(ln_g, ln_t)
    assert list(ln_g.state_dict()) == list(ln_t.state_dict())
    assert repr(ln_g) == repr(ln_t)
    step(ln_g, ln_t, randn(2, 3, 5, dtype=dtype, seed=1), dtype)


def test_layernorm_defaults():
    ln = nn.LayerNorm([2, 3])
    assert ln.normalized_shape == (2, 3) and ln.eps == 1e-5
    assert ln.weight.shape == (2, 3) and ln.weight.dtype == np.float32
    np.testing.assert_array_equal(ln.weight._data, 1)
    np.testing.assert_array_equal(ln.bias._data, 0)


# ---------------------------------------------------------------------- Dropout
def test_dropout_train_statistics_eval_identity_and_seed():
    drop = nn.Dropout(0.3)
    assert repr(drop) == repr(torch.nn.Dropout(0.3)) and nn.Dropout().p == 0.5
    x = gu.ones(200_000, requires_grad=True)
    gu.manual_seed(0)
    y = drop(x)
    zeros = float(np.mean(y._data == 0))
    assert abs(zeros - 0.3) < 0.005  # binomial std ~ 0.001
    np.testing.assert_allclose(np.unique(y._data), [0, 1 / 0.7], rtol=1e-6)
    assert y.dtype == np.float32
    y.sum().backward()
    np.testing.assert_array_equal(x.grad._data, y._data)  # gradient uses the same mask
    gu.manual_seed(0)
    np.testing.assert_array_equal(drop(x)._data, y._data)
    drop.eval()
    assert drop(x) is x
    with pytest.raises(ValueError, match="between 0 and 1, but got 1.5"):
        nn.Dropout(1.5)


# -------------------------------------------------------------------- Embedding
def test_embedding_matches_torch_with_loaded_weights():
    emb_g, emb_t = nn.Embedding(10, 4, padding_idx=2), torch.nn.Embedding(10, 4, padding_idx=2)
    assert repr(emb_g) == repr(emb_t) and list(emb_g.state_dict()) == ["weight"]
    copy_weights(emb_g, emb_t)
    idx = np.array([[1, 2, 2, 9], [2, 1, 0, 1]])
    out_g, out_t = emb_g(gu.tensor(idx)), emb_t(torch.tensor(idx))
    assert out_g.shape == (2, 4, 4)
    assert_close(out_g, out_t, np.float32)
    upstream = randn(2, 4, 4, dtype=np.float32, seed=2)
    out_g.backward(upstream)
    out_t.backward(torch.tensor(upstream))
    assert_close(emb_g.weight.grad, emb_t.weight.grad, np.float32)  # repeats add, padding 0


def test_embedding_init_is_standard_normal_with_zero_padding_row():
    gu.manual_seed(1)
    emb = nn.Embedding(4000, 50, padding_idx=-1)
    assert emb.padding_idx == 3999 and emb.weight.dtype == np.float32
    np.testing.assert_array_equal(emb.weight._data[-1], 0)
    w = emb.weight._data[:-1]
    assert abs(w.mean()) < 0.005 and abs(w.std() - 1) < 0.005  # 2e5 draws: std error ~ 0.002


def test_embedding_from_pretrained_and_max_norm():
    table = randn(5, 3, seed=3) * 3
    emb = nn.Embedding.from_pretrained(gu.tensor(table), padding_idx=1)
    emb_t = torch.nn.Embedding.from_pretrained(torch.tensor(table), padding_idx=1)
    assert not emb.weight.requires_grad and emb.weight.dtype == np.float64
    assert_close(emb.weight, emb_t.weight)  # the padding row keeps its values
    assert nn.Embedding.from_pretrained(table, freeze=False).weight.requires_grad
    table[0] = 0
    assert emb.weight._data[0, 0] != 0  # a copy
    capped_g = nn.Embedding.from_pretrained(gu.tensor(table), max_norm=1.0)
    capped_t = torch.nn.Embedding.from_pretrained(torch.tensor(table), max_norm=1.0)
    idx = np.array([0, 2, 2, 4])
    assert_close(capped_g(gu.tensor(idx)), capped_t(torch.tensor(idx)))
    assert_close(capped_g.weight, capped_t.weight)  # rows renormalized in place, 3 untouched
    with pytest.raises(ValueError, match="must be 2-D"):
        nn.Embedding.from_pretrained(np.zeros(3))
    with pytest.raises(ValueError, match=r"padding_idx 7 must be within \[-5, 5\)"):
        nn.Embedding(5, 2, padding_idx=7)


# ----------------------------------------------------------------------- Linear
def test_linear_layout_signature_and_default_init():
    gu.manual_seed(0)
    lin = nn.Linear(400, 300)
    assert lin.weight.shape == (300, 400) and lin.bias.shape == (300,)
    assert lin.weight.dtype == np.float32
    assert repr(lin) == repr(torch.nn.Linear(400, 300))
    bound = 1 / math.sqrt(400)  # kaiming_uniform(a=sqrt(5)) = U(-1/sqrt(in), 1/sqrt(in))
    w = lin.weight._data
    assert np.abs(w).max() <= bound * (1 + 1e-6) and np.abs(w).max() > 0.99 * bound
    assert abs(w.std() - bound / math.sqrt(3)) < 0.01 * bound
    assert np.abs(lin.bias._data).max() <= bound * (1 + 1e-6)
    assert nn.Linear(2, 3, False, None, np.float64).weight.dtype == np.float64
    assert nn.Linear(2, 3, bias=False).bias is None


# ------------------------------------------------------------------ activations
@pytest.mark.parametrize(
    ("name", "kwargs"),
    [
        ("ReLU", {}),
        ("ReLU", {"inplace": True}),
        ("LeakyReLU", {"negative_slope": 0.2}),
        ("Sigmoid", {}),
        ("Tanh", {}),
        ("GELU", {"approximate": "tanh"}),
        ("Softmax", {"dim": 1}),
        ("LogSoftmax", {"dim": 0}),
        ("Flatten", {}),
        ("Identity", {}),
    ],
)
def test_activation_and_shape_modules_match_torch(name, kwargs):
    g, t = getattr(nn, name)(**kwargs), getattr(torch.nn, name)(**kwargs)
    assert repr(g) == repr(t)
    x = randn(3, 4, 2, seed=5)
    assert_close(g(gu.tensor(x)), t(torch.tensor(x)))


@pytest.mark.parametrize("shape", [(5,), (3, 4), (2, 3, 4)])
def test_softmax_without_dim_follows_torch_legacy_rule(shape):
    x = randn(*shape, seed=6)
    with pytest.warns(UserWarning, match="implicit dimension"):
        out = nn.Softmax()(gu.tensor(x))
    with pytest.warns(UserWarning):
        expected = torch.nn.Softmax()(torch.tensor(x))
    assert repr(nn.LogSoftmax()) == repr(torch.nn.LogSoftmax())
    assert_close(out, expected)

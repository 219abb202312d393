"""TransformerEncoderLayer, TransformerDecoderLayer, their stacks and Transformer against
torch with the same weights: post-norm and pre-norm, relu and gelu, both layouts, every
mask, evaluation with dropout and training with p = 0; parameter names, init, the causal
mask, and the errors."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import torch

import groundup as gu
from groundup import nn
from groundup.inspect import gradcheck
from tests.oracle import assert_close, randn

D, NHEAD, FF = 8, 2, 16
DTYPES = [np.float64, np.float32]


def _torch_dtype(dtype):
    return getattr(torch, np.dtype(dtype).name)


def load_from_torch(g, t):
    """Load torch's weights into groundup; the keys must be the same, in the same order."""
    state = {k: v.detach().numpy() for k, v in t.state_dict().items()}
    assert list(g.state_dict()) == list(state)
    g.load_state_dict(state)


def _t(value):
    return torch.tensor(value) if isinstance(value, np.ndarray) else value


def compare(g, t, arrays, dtype, seed=0, **kwargs):
    """Forward both on `arrays` (+ masks in kwargs), backpropagate one random output
    gradient, compare outputs, input gradients and parameter gradients."""
    g_in = [gu.tensor(a, requires_grad=True) for a in arrays]
    t_in = [torch.tensor(a, requires_grad=True) for a in arrays]
    originals = [a._data.copy() for a in g_in]
    g_out = g(*g_in, **kwargs)
    t_out = t(*t_in, **{k: _t(v) for k, v in kwargs.items()})
    u = np.random.default_rng(seed).standard_normal(g_out.shape).astype(dtype)
    g_out.backward(u)
    t_out.backward(torch.tensor(u))
    assert g_out.dtype == dtype
    assert_close(g_out, t_out, dtype, "output")
    for i, (a, b) in enumerate(zip(g_in, t_in, strict=True)):
        assert_close(a.grad, b.grad, dtype, f"input {i} grad")
        np.testing.assert_array_equal(a._data, originals[i], err_msg="an input was mutated")
    t_params = dict(t.named_parameters())
    for name, p in g.named_parameters():
        assert p.grad is not None, name
        assert_close(p.grad, t_params[name].grad, dtype, f"{name} grad")


def _shape(batch_first, length, n=3, d=D):
    return (n, length, d) if batch_first else (length, n, d)


def _padding(n=3, length=6, kind="bool"):
    mask = np.random.default_rng(5).random((n, length)) > 0.6
    mask[:, 0] = False
    return mask if kind == "bool" else np.where(mask, -np.inf, 0.0)


LAYER_OPTIONS = list(itertools.product([False, True], ["relu", "gelu"], [False, True], DTYPES))


@pytest.mark.parametrize(("norm_first", "activation", "batch_first", "dtype"), LAYER_OPTIONS)
def test_encoder_layer_matches_torch(norm_first, activation, batch_first, dtype):
    options = dict(
        activation=activation, batch_first=batch_first, norm_first=norm_first, dropout=0.0
    )
    t = torch.nn.TransformerEncoderLayer(D, NHEAD, FF, dtype=_torch_dtype(dtype), **options)
    g = nn.TransformerEncoderLayer(D, NHEAD, FF, dtype=dtype, **options)
    load_from_torch(g, t)
    x = randn(*_shape(batch_first, 6), dtype=dtype)
    compare(g, t, [x], dtype, src_key_padding_mask=_padding())
    g.zero_grad()
    t.zero_grad()
    causal = nn.Transformer.generate_square_subsequent_mask(6, dtype=dtype)._data
    compare(g, t, [x], dtype, src_mask=causal, is_causal=True)


@pytest.mark.parametrize(("norm_first", "activation", "batch_first", "dtype"), LAYER_OPTIONS)
def test_decoder_layer_matches_torch(norm_first, activation, batch_first, dtype):
    options = dict(
        activation=activation, batch_first=batch_first, norm_first=norm_first, dropout=0.0
    )
    t = torch.nn.TransformerDecoderLayer(D, NHEAD, FF, dtype=_torch_dtype(dtype), **options)
    g = nn.TransformerDecoderLayer(D, NHEAD, FF, dtype=dtype, **options)
    load_from_torch(g, t)
    tgt, memory = (
        randn(*_shape(batch_first, 4), dtype=dtype),
        randn(*_shape(batch_first, 6), dtype=dtype, seed=1),
    )
    causal = nn.Transformer.generate_square_subsequent_mask(4, dtype=dtype)._data
    compare(
        g,
        t,
        [tgt, memory],
        dtype,
        tgt_mask=causal,
        tgt_is_causal=True,
        memory_key_padding_mask=_padding(),
        tgt_key_padding_mask=_padding(length=4, kind="float").astype(dtype),
    )


@pytest.mark.parametrize("activation", ["relu", "gelu"])
def test_activation_as_a_callable_or_module(activation):
    """Like torch, `activation` may be a function or a module (registered as a child)."""
    gu_fn = {"relu": gu.nn.functional.relu, "gelu": gu.nn.GELU()}[activation]
    t_fn = {"relu": torch.nn.functional.relu, "gelu": torch.nn.GELU()}[activation]
    t = torch.nn.TransformerEncoderLayer(D, NHEAD, FF, 0.0, t_fn, dtype=torch.float64)
    g = nn.TransformerEncoderLayer(D, NHEAD, FF, 0.0, gu_fn, dtype=np.float64)
    load_from_torch(g, t)
    compare(g, t, [randn(5, 2, D)], np.float64)


@pytest.mark.parametrize("mode", ["eval-dropout", "train-p0"])
def test_transformer_matches_torch_in_both_modes(mode):
    p = 0.3 if mode == "eval-dropout" else 0.0
    args = (D, NHEAD, 2, 2, FF, p)
    t = torch.nn.Transformer(*args, batch_first=True, dtype=torch.float64)
    g = nn.Transformer(*args, batch_first=True, dtype=np.float64)
    load_from_torch(g, t)
    if mode == "eval-dropout":
        g.eval()
        t.eval()
    src, tgt = randn(3, 6, D), randn(3, 4, D, seed=1)
    causal = nn.Transformer.generate_square_subsequent_mask(4, dtype=np.float64)._data
    padding = _padding()
    compare(
        g,
        t,
        [src, tgt],
        np.float64,
        tgt_mask=causal,
        src_key_padding_mask=padding,
        memory_key_padding_mask=padding,
    )


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("norm_first", [False, True])
def test_stacks_with_final_norm_match_torch(dtype, norm_first):
    td = _torch_dtype(dtype)
    t_layer = torch.nn.TransformerEncoderLayer(D, NHEAD, FF, 0.0, norm_first=norm_first, dtype=td)
    t = torch.nn.TransformerEncoder(
        t_layer, 3, torch.nn.LayerNorm(D, dtype=td), enable_nested_tensor=False
    )
    g_layer = nn.TransformerEncoderLayer(D, NHEAD, FF, 0.0, norm_first=norm_first, dtype=dtype)
    g = nn.TransformerEncoder(g_layer, 3, nn.LayerNorm(D, dtype=dtype))
    load_from_torch(g, t)
    causal = np.triu(np.ones((6, 6), bool), 1)  # a bool causal mask, detected as causal
    compare(g, t, [randn(6, 3, D, dtype=dtype)], dtype, mask=causal)

    t_dec = torch.nn.TransformerDecoder(
        torch.nn.TransformerDecoderLayer(D, NHEAD, FF, 0.0, norm_first=norm_first, dtype=td), 2
    )
    g_dec = nn.TransformerDecoder(
        nn.TransformerDecoderLayer(D, NHEAD, FF, 0.0, norm_first=norm_first, dtype=dtype), 2
    )
    load_from_torch(g_dec, t_dec)
    tgt, memory = randn(4, 3, D, dtype=dtype), randn(6, 3, D, dtype=dtype, seed=1)
    causal4 = nn.Transformer.generate_square_subsequent_mask(4, dtype=dtype)._data
    compare(
        g_dec, t_dec, [tgt, memory], dtype, tgt_mask=causal4, memory_key_padding_mask=_padding()
    )


@pytest.mark.parametrize("norm_first", [False, True])
def test_gradcheck_float64(norm_first):
    enc = nn.TransformerEncoderLayer(4, 2, 8, 0.0, "gelu", norm_first=norm_first, dtype=np.float64)
    dec = nn.TransformerDecoderLayer(4, 2, 8, 0.0, norm_first=norm_first, dtype=np.float64)
    x, memory = gu.tensor(randn(3, 2, 4), requires_grad=True), gu.tensor(randn(5, 2, 4, seed=1))
    causal = nn.Transformer.generate_square_subsequent_mask(3, dtype=np.float64)
    assert gradcheck(lambda a: enc(a, src_mask=causal), [x])
    assert gradcheck(lambda a, m: dec(a, m, tgt_mask=causal), [x, memory.requires_grad_()])


def test_unbatched_input_matches_torch():
    t = torch.nn.TransformerEncoderLayer(D, NHEAD, FF, 0.0, dtype=torch.float64)
    g = nn.TransformerEncoderLayer(D, NHEAD, FF, 0.0, dtype=np.float64)
    load_from_torch(g, t)
    compare(g, t, [randn(5, D)], np.float64, src_key_padding_mask=np.array([0, 0, 1, 0, 1], bool))


@pytest.mark.filterwarnings("ignore:enable_nested_tensor is True")
def test_state_dict_keys_and_shapes_equal_torch():
    t = torch.nn.Transformer(16, 4, 2, 1, 32, norm_first=True, bias=False)
    g = nn.Transformer(16, 4, 2, 1, 32, norm_first=True, bias=False)
    assert {k: v.shape for k, v in g.state_dict().items()} == {
        k: tuple(v.shape) for k, v in t.state_dict().items()
    }
    assert list(g.state_dict()) == list(t.state_dict())
    assert "encoder.layers.1.self_attn.in_proj_weight" in g.state_dict()
    assert "decoder.layers.0.multihead_attn.out_proj.weight" in g.state_dict()
    assert sum(p.numel() for p in g.parameters()) == sum(p.numel() for p in t.parameters())


def test_layer_copies_start_equal_but_are_independent():
    """torch deep-copies the layer: a TransformerEncoder's layers start with the same
    weights, and training one does not move the others."""
    encoder = nn.TransformerEncoder(nn.TransformerEncoderLayer(D, NHEAD, FF), 2)
    a, b = encoder.layers[0].linear1.weight, encoder.layers[1].linear1.weight
    assert a is not b and np.array_equal(a._data, b._data)
    a._data += 1
    assert not np.array_equal(a._data, b._data)


def test_transformer_init_is_xavier_uniform():
    g = nn.Transformer(16, 4, 1, 1, 64)
    w = g.encoder.layers[0].linear1.weight._data  # (64, 16)
    bound = np.sqrt(6 / (16 + 64))
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.9 * bound
    layers = (g.encoder.layers[0].linear1.weight._data, g.decoder.layers[0].linear1.weight._data)
    assert not np.array_equal(*layers)  # re-initialized one by one


@pytest.mark.parametrize("dtype", [None, np.float64])
def test_square_subsequent_mask_equals_torch(dtype):
    g = nn.Transformer.generate_square_subsequent_mask(5, dtype=dtype)
    t = torch.nn.Transformer.generate_square_subsequent_mask(
        5, dtype=None if dtype is None else torch.float64
    )
    assert g.dtype == np.dtype(str(t.dtype).replace("torch.", ""))
    np.testing.assert_array_equal(g._data, t.numpy())
    assert g._data[1, 1] == 0 and g._data[1, 2] == -np.inf  # i sees itself, not i + 1


def test_dropout_is_random_in_training_and_off_in_eval():
    g = nn.TransformerEncoderLayer(D, NHEAD, FF, dropout=0.5)
    x = gu.tensor(randn(5, 2, D, dtype=np.float32))
    assert not np.allclose(g(x)._data, g(x)._data)
    g.eval()
    np.testing.assert_array_equal(g(x)._data, g(x)._data)


@pytest.mark.filterwarnings("ignore:The PyTorch API of nested tensors")
def test_torch_fast_path_zeroes_padded_positions_here_they_are_computed():
    """torch's inference fast path (eval, no autograd, padding mask) packs the batch into
    nested tensors and returns 0 at padded positions. groundup computes every position;
    the unpadded ones agree."""
    t_layer = torch.nn.TransformerEncoderLayer(D, NHEAD, FF, batch_first=True)
    t = torch.nn.TransformerEncoder(t_layer, 2).eval()
    g = nn.TransformerEncoder(nn.TransformerEncoderLayer(D, NHEAD, FF, batch_first=True), 2)
    load_from_torch(g, t)
    g.eval()
    x = randn(3, 6, D, dtype=np.float32)
    padding = np.arange(6) >= np.array([[4], [6], [3]])  # right-padded lengths 4, 6, 3
    with torch.no_grad():
        t_out = t(torch.tensor(x), src_key_padding_mask=torch.tensor(padding)).numpy()
    g_out = g(gu.tensor(x), src_key_padding_mask=padding)._data
    assert np.all(t_out[padding] == 0) and np.all(g_out[padding] != 0)
    assert_close(g_out[~padding], t_out[~padding], np.float32)


def test_bad_inputs_name_the_problem():
    with pytest.raises(ValueError, match="embed_dim must be divisible by num_heads"):
        nn.TransformerEncoderLayer(10, 3)
    with pytest.raises(RuntimeError, match="activation should be relu/gelu, not tanh"):
        nn.TransformerEncoderLayer(8, 2, activation="tanh")
    model = nn.Transformer(8, 2, 1, 1, 16, batch_first=True)
    with pytest.raises(RuntimeError, match="batch number of src"):
        model(gu.randn(2, 5, 8), gu.randn(3, 4, 8))
    with pytest.raises(RuntimeError, match="d_model=8"):
        model(gu.randn(2, 5, 8), gu.randn(2, 4, 6))
    layer = nn.TransformerEncoderLayer(8, 2, batch_first=True)
    with pytest.raises(ValueError, match=r"attn_mask of shape \(4, 4\).*\(5, 5\)"):
        layer(gu.randn(2, 5, 8), src_mask=np.zeros((4, 4), bool))
    with pytest.raises(ValueError, match=r"key_padding_mask of shape \(2, 4\)"):
        layer(gu.randn(2, 5, 8), src_key_padding_mask=np.zeros((2, 4), bool))

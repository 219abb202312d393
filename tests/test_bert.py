"""BERT: shapes, torch parity of the encoder stack, tied MLM weights, parameter counts."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import groundup as gu
from groundup.models.bert import (
    BertConfig,
    BertForPreTraining,
    BertForSequenceClassification,
    BertModel,
    parameter_count,
)
from groundup.nn.module import Parameter
from groundup.ops.cross_entropy import cross_entropy
from tests.oracle import assert_close

SMALL = {
    "vocab_size": 50,
    "hidden_size": 16,
    "num_hidden_layers": 2,
    "num_attention_heads": 4,
    "intermediate_size": 24,
    "max_position_embeddings": 12,
}


def small(**overrides: float) -> BertConfig:
    return BertConfig(**{**SMALL, **overrides})  # type: ignore[arg-type]


def inputs(seed: int = 0, batch: int = 3, length: int = 9) -> tuple[np.ndarray, ...]:
    rng = np.random.default_rng(seed)
    ids = rng.integers(5, SMALL["vocab_size"], size=(batch, length))
    segments = (np.arange(length) >= length // 2).astype(np.int64)[None].repeat(batch, 0)
    mask = np.ones((batch, length), np.int64)
    if batch > 1:
        mask[1, -3:] = 0  # the second sequence ends in padding
        ids[1, -3:] = 0
    return ids, segments, mask


class TorchBert(torch.nn.Module):
    """BERT's encoder written with torch modules under the same parameter names."""

    def __init__(self, cfg: BertConfig):
        super().__init__()
        h = cfg.hidden_size
        self.embeddings = torch.nn.Module()
        self.embeddings.word_embeddings = torch.nn.Embedding(cfg.vocab_size, h, padding_idx=0)
        self.embeddings.position_embeddings = torch.nn.Embedding(cfg.max_position_embeddings, h)
        self.embeddings.token_type_embeddings = torch.nn.Embedding(cfg.type_vocab_size, h)
        self.embeddings.LayerNorm = torch.nn.LayerNorm(h, eps=cfg.layer_norm_eps)
        layer = torch.nn.TransformerEncoderLayer(
            h, cfg.num_attention_heads, cfg.intermediate_size, dropout=0.0,
            activation="gelu", layer_norm_eps=cfg.layer_norm_eps, batch_first=True,
        )  # fmt: skip
        self.encoder = torch.nn.TransformerEncoder(
            layer, cfg.num_hidden_layers, enable_nested_tensor=False
        )
        self.pooler = torch.nn.Module()
        self.pooler.dense = torch.nn.Linear(h, h)

    def forward(self, ids: torch.Tensor, seg: torch.Tensor, mask: torch.Tensor) -> tuple:
        e = self.embeddings
        pos = torch.arange(ids.shape[1])
        x = e.word_embeddings(ids) + e.position_embeddings(pos) + e.token_type_embeddings(seg)
        x = self.encoder(e.LayerNorm(x), src_key_padding_mask=mask == 0)
        return x, torch.tanh(self.pooler.dense(x[:, 0]))


def test_encoder_forward_and_gradients_equal_torch() -> None:
    cfg = small(hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.0)
    ours = BertModel(cfg).double()
    ref = TorchBert(cfg).double()
    ref.load_state_dict({k: torch.tensor(v) for k, v in ours.state_dict().items()})
    ids, seg, mask = inputs()
    seq, pooled = ours(ids, seg, mask)
    tseq, tpooled = ref(torch.tensor(ids), torch.tensor(seg), torch.tensor(mask))
    real = mask.astype(bool)  # torch's fast path may zero padded rows; compare real tokens
    seq, tseq = seq.detach().numpy(), tseq.detach().numpy()
    assert_close(seq[real], tseq[real], np.float64, "sequence output")
    assert_close(pooled, tpooled, np.float64, "pooled output")
    upstream = np.random.default_rng(1).standard_normal(pooled.shape)
    (pooled * gu.tensor(upstream)).sum().backward()
    (tpooled * torch.tensor(upstream)).sum().backward()
    for name, p in ours.named_parameters():
        tp = ref.get_parameter(name)
        assert_close(p.grad, tp.grad, np.float64, name)


def test_output_shapes() -> None:
    ids, seg, mask = inputs()
    seq, pooled = BertModel(small())(ids, seg, mask)
    assert seq.shape == (3, 9, 16) and pooled.shape == (3, 16)
    assert seq.dtype == np.float32
    pre = BertForPreTraining(small())
    mlm, nsp = pre(ids, seg, mask)
    assert mlm.shape == (3, 9, 50) and nsp.shape == (3, 2)
    chosen = np.zeros((3, 9), bool)
    chosen[0, 2], chosen[2, [1, 4]] = True, True
    mlm_chosen, _ = pre(ids, seg, mask, masked_positions=chosen)
    assert mlm_chosen.shape == (3, 50)
    pre.eval()
    full, _ = pre(ids, seg, mask)
    picked, _ = pre(ids, seg, mask, masked_positions=chosen)
    picked, full = picked.detach().numpy(), full.detach().numpy()
    np.testing.assert_allclose(picked, full[chosen], rtol=1e-5, atol=1e-6)
    assert BertForSequenceClassification(small(), 4)(ids, seg, mask).shape == (3, 4)
    assert BertModel(small())(ids)[0].shape == (3, 9, 16)  # segments and mask are optional


def test_padding_does_not_change_the_real_tokens() -> None:
    model = BertModel(small()).eval()
    ids, seg, _ = inputs(batch=1, length=6)
    padded = np.concatenate([ids, np.zeros((1, 3), np.int64)], axis=1)
    mask = np.array([[1] * 6 + [0] * 3])
    seg_padded = np.concatenate([seg, np.zeros((1, 3), np.int64)], axis=1)
    short, pooled_short = model(ids, seg)
    long, pooled_long = model(padded, seg_padded, mask)
    long, short = long.detach().numpy(), short.detach().numpy()
    pooled_long, pooled_short = pooled_long.detach().numpy(), pooled_short.detach().numpy()
    np.testing.assert_allclose(long[:, :6], short, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(pooled_long, pooled_short, rtol=1e-5, atol=1e-6)


def test_mlm_decoder_is_tied_to_the_word_embeddings() -> None:
    model = BertForPreTraining(small())
    table = model.bert.embeddings.word_embeddings.weight
    assert model.cls.predictions.decoder.weight is table
    assert sum(1 for p in model.parameters() if p is table) == 1  # listed once
    keys = model.state_dict()
    assert "cls.predictions.decoder.weight" in keys and "cls.predictions.bias" in keys
    np.testing.assert_array_equal(
        keys["cls.predictions.decoder.weight"], keys["bert.embeddings.word_embeddings.weight"]
    )
    assert np.all(table._data[0] == 0)  # the [PAD] row starts at zero


def test_tied_gradient_is_the_sum_of_both_uses() -> None:
    cfg = small(hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.0)
    ids, seg, mask = inputs()
    labels = np.random.default_rng(2).integers(0, cfg.vocab_size, size=ids.shape)

    def loss(model: BertForPreTraining) -> gu.Tensor:
        mlm, nsp = model(ids, seg, mask)
        return cross_entropy(mlm.reshape(-1, cfg.vocab_size), gu.tensor(labels.reshape(-1)))

    tied = BertForPreTraining(cfg).double()
    untied = BertForPreTraining(cfg).double()
    untied.load_state_dict(tied.state_dict())
    untied.cls.predictions.decoder.weight = Parameter(
        tied.cls.predictions.decoder.weight._data.copy()
    )
    loss(tied).backward()
    loss(untied).backward()
    as_input = untied.bert.embeddings.word_embeddings.weight.grad.numpy()
    as_output = untied.cls.predictions.decoder.weight.grad.numpy()
    assert np.abs(as_input).sum() > 0 and np.abs(as_output).sum() > 0
    np.testing.assert_allclose(tied.bert.embeddings.word_embeddings.weight.grad.numpy(),
                               as_input + as_output, rtol=1e-10, atol=1e-12)  # fmt: skip


def test_parameter_counts_of_bert_base_and_large() -> None:
    base = parameter_count(BertConfig.base())
    assert base["embeddings"] == 23_837_184 and base["encoder"] == 12 * 7_087_872
    assert base["total"] == 109_482_240  # "about 110M"
    large = parameter_count(BertConfig.large())
    assert 330e6 < large["total"] < 340e6  # "about 340M"
    assert large["total"] == 335_141_888


@pytest.mark.parametrize(
    "cfg",
    [small(), small(num_hidden_layers=3, type_vocab_size=3), small(intermediate_size=7)],
)
def test_parameter_count_formula_matches_built_models(cfg: BertConfig) -> None:
    built = sum(p.numel() for p in BertModel(cfg).parameters())
    assert built == parameter_count(cfg)["total"]
    built = sum(p.numel() for p in BertForPreTraining(cfg).parameters())
    assert built == parameter_count(cfg, heads=True)["total"]


def test_bert_base_width_counted_one_layer_at_a_time() -> None:
    """Built at full width with one layer (31M parameters); twelve layers add 11 more."""
    cfg = BertConfig.base(num_hidden_layers=1)
    model = BertModel(cfg)
    built = sum(p.numel() for p in model.parameters())
    layer = sum(p.numel() for p in model.encoder.layers[0].parameters())
    assert built == parameter_count(cfg)["total"] and layer == 7_087_872
    assert built + 11 * layer == parameter_count(BertConfig.base())["total"]


@pytest.mark.slow
@pytest.mark.parametrize("name", ["base", "large"])
def test_full_size_models_have_110m_and_340m_parameters(name: str) -> None:
    cfg = BertConfig.base() if name == "base" else BertConfig.large()
    built = sum(p.numel() for p in BertModel(cfg).parameters())
    assert built == parameter_count(cfg)["total"]


def test_errors_name_what_was_expected() -> None:
    model = BertModel(small())
    too_long = np.ones((2, 13), np.int64)
    with pytest.raises(ValueError, match=r"has 13 positions but the position table holds 12"):
        model(too_long)
    with pytest.raises(ValueError, match="integer ids of shape"):
        model(np.ones((2, 3), np.float32))
    with pytest.raises(ValueError, match="token_type_ids of shape"):
        model(np.ones((2, 3), np.int64), np.zeros((2, 4), np.int64))
    with pytest.raises(ValueError, match="attention_mask of shape"):
        model(np.ones((2, 3), np.int64), None, np.ones((3, 3)))
    with pytest.raises(ValueError, match="divisible by num_heads"):
        BertModel(small(num_attention_heads=5))


def test_a_small_bert_learns_to_classify_sequences() -> None:
    """Train-to-target: is token 7 in the sequence? 100% is reachable; ask for 95%."""
    gu.manual_seed(0)
    rng = np.random.default_rng(0)
    ids = rng.integers(8, 50, size=(256, 8))
    y = rng.integers(0, 2, size=256)
    ids[y == 1, rng.integers(1, 8, size=int(y.sum()))] = 7
    ids[:, 0] = 2  # [CLS]
    model = BertForSequenceClassification(small(num_hidden_layers=1), 2)
    opt = gu.optim.AdamW(model.parameters(), lr=3e-3)
    for _ in range(60):
        rows = rng.integers(0, 192, size=32)
        loss = cross_entropy(model(ids[rows]), gu.tensor(y[rows]))
        opt.zero_grad()
        loss.backward()
        opt.step()
    model.eval()
    with gu.no_grad():
        accuracy = (model(ids[192:]).numpy().argmax(1) == y[192:]).mean()
    assert accuracy >= 0.95, accuracy

"""BERT (Devlin et al. 2019): a Transformer encoder pretrained by masked language modelling
and next-sentence prediction, then fine-tuned from its [CLS] output.

    embeddings   x = dropout(LayerNorm(word[ids] + position[0..L-1] + token_type[segments]))
    encoder      L post-norm nn.TransformerEncoderLayers with GELU (BERT's layer)
    pooler       tanh(dense(x[:, 0]))                     the [CLS] summary, for NSP and tasks
    MLM head     decoder(LayerNorm(gelu(dense(x)))) + bias, decoder weight = word embeddings
    NSP head     Linear(hidden, 2) on the pooler output

Names and defaults follow Hugging Face's `BertConfig` and BERT modules (PyTorch itself has no
BERT); the encoder is groundup's `nn.TransformerEncoder`, so its keys are torch's
(`bert.encoder.layers.0.self_attn.in_proj_weight`, ...). One difference from PyTorch's layer:
its dropout after the feed-forward activation is off, as in BERT. `attention_mask` follows
Hugging Face: 1 for real tokens, 0 for padding.

`pretrain` and `finetune` (in `bert_training`) train a small one on the shipped corpus.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from groundup.nn import init
from groundup.nn.dropout import Dropout
from groundup.nn.embedding import Embedding
from groundup.nn.linear import Linear
from groundup.nn.module import Module, Parameter
from groundup.nn.multihead_attention import MultiheadAttention
from groundup.nn.normalization import LayerNorm
from groundup.nn.transformer import TransformerEncoder, TransformerEncoderLayer
from groundup.ops.activation import gelu, tanh
from groundup.ops.linalg import linear
from groundup.tensor import Tensor


@dataclass
class BertConfig:
    """Hyperparameters, with Hugging Face's names; the defaults are BERT-base's."""

    vocab_size: int = 30522
    hidden_size: int = 768
    num_hidden_layers: int = 12
    num_attention_heads: int = 12
    intermediate_size: int = 3072
    hidden_act: str = "gelu"
    hidden_dropout_prob: float = 0.1
    attention_probs_dropout_prob: float = 0.1
    max_position_embeddings: int = 512
    type_vocab_size: int = 2
    initializer_range: float = 0.02
    layer_norm_eps: float = 1e-12
    pad_token_id: int = 0

    @classmethod
    def base(cls, **overrides: Any) -> BertConfig:
        """BERT-base: 12 layers, hidden 768, 12 heads (about 110M parameters)."""
        return cls(**overrides)

    @classmethod
    def large(cls, **overrides: Any) -> BertConfig:
        """BERT-large: 24 layers, hidden 1024, 16 heads (about 340M parameters)."""
        sizes = {"hidden_size": 1024, "num_hidden_layers": 24, "num_attention_heads": 16}
        return cls(**{**sizes, "intermediate_size": 4096, **overrides})

    @classmethod
    def tiny(cls, vocab_size: int, **overrides: Any) -> BertConfig:
        """A BERT that pretrains on a 2-core CPU in a minute or two: 2 layers, hidden 128,
        4 heads, feed-forward 512, 128 positions, and no dropout: so small a model trained
        so briefly underfits, and dropout only slows it down."""
        sizes = {"hidden_size": 128, "num_hidden_layers": 2, "num_attention_heads": 4}
        small = {"intermediate_size": 512, "max_position_embeddings": 128}
        no_dropout = {"hidden_dropout_prob": 0.0, "attention_probs_dropout_prob": 0.0}
        return cls(**{"vocab_size": vocab_size, **sizes, **small, **no_dropout, **overrides})

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def parameter_count(config: BertConfig, pooler: bool = True, heads: bool = False) -> dict[str, int]:
    """BERT's parameters by part, counted from the config alone (nothing is allocated).

    With H hidden, F feed-forward, V vocabulary, P positions, T segment types:
      embeddings  (V + P + T) H + 2H                        (the tables and their LayerNorm)
      one layer   4 (H H + H) + (H F + F) + (F H + H) + 2 * 2H    (Q, K, V, out; FFN; 2 LNs)
      pooler      H H + H
      MLM head    H H + H + 2H + V    (the decoder weight is the word table: no new weights)
      NSP head    2H + 2
    """
    h, f, v = config.hidden_size, config.intermediate_size, config.vocab_size
    counts = {
        "embeddings": (v + config.max_position_embeddings + config.type_vocab_size) * h + 2 * h,
        "encoder": config.num_hidden_layers * (4 * (h * h + h) + 2 * h * f + f + h + 4 * h),
        "pooler": h * h + h if pooler else 0,
    }
    if heads:
        counts["mlm_head"] = h * h + h + 2 * h + v
        counts["nsp_head"] = 2 * h + 2
    counts["total"] = sum(counts.values())
    return counts


def init_bert_weights(module: Module, std: float = 0.02) -> None:
    """BERT's initialization: N(0, std) weights (the padding row of an Embedding at zero),
    zero biases, LayerNorm at ones and zeros."""
    for m in module.modules():
        if isinstance(m, Linear):
            init.normal_(m.weight, 0.0, std)
            if m.bias is not None:
                init.zeros_(m.bias)
        elif isinstance(m, Embedding):
            init.normal_(m.weight, 0.0, std)
            if m.padding_idx is not None:
                m.weight._data[m.padding_idx] = 0
        elif isinstance(m, MultiheadAttention) and m.in_proj_weight is not None:
            init.normal_(m.in_proj_weight, 0.0, std)  # Q, K and V stacked: (3H, H)
            if m.in_proj_bias is not None:
                init.zeros_(m.in_proj_bias)
        elif isinstance(m, LayerNorm) and m.weight is not None:
            init.ones_(m.weight)
            if m.bias is not None:
                init.zeros_(m.bias)


def _as_ids(x: Any, name: str) -> Tensor:
    t = x if isinstance(x, Tensor) else Tensor(np.asarray(x))
    if t.dtype.kind not in "iu" or t.ndim != 2:
        raise ValueError(
            f"BertModel: {name} must be integer ids of shape (batch, length), got "
            f"shape {t.shape} and dtype {t.dtype}"
        )
    return t


class BertEmbeddings(Module):
    """Sum of token, position and segment embeddings, then LayerNorm and dropout."""

    def __init__(self, config: BertConfig):
        super().__init__()
        h = config.hidden_size
        self.word_embeddings = Embedding(config.vocab_size, h, padding_idx=config.pad_token_id)
        self.position_embeddings = Embedding(config.max_position_embeddings, h)
        self.token_type_embeddings = Embedding(config.type_vocab_size, h)
        self.LayerNorm = LayerNorm(h, eps=config.layer_norm_eps)
        self.dropout = Dropout(config.hidden_dropout_prob)

    def forward(self, input_ids: Tensor, token_type_ids: Tensor) -> Tensor:
        length = input_ids.shape[1]
        positions = Tensor(np.arange(length, dtype=np.int64))
        x = self.word_embeddings(input_ids)  # (B, L) -> (B, L, H)
        x = x + self.position_embeddings(positions)  # + (L, H), the same for every sequence
        x = x + self.token_type_embeddings(token_type_ids)  # + (B, L, H)
        return self.dropout(self.LayerNorm(x))


class BertPooler(Module):
    """tanh(dense(h_[CLS])): the sequence summary used by NSP and by classifiers."""

    def __init__(self, config: BertConfig):
        super().__init__()
        self.dense = Linear(config.hidden_size, config.hidden_size)

    def forward(self, hidden_states: Tensor) -> Tensor:
        return tanh(self.dense(hidden_states[:, 0]))  # (B, L, H) -> (B, H)


class BertModel(Module):
    """`forward(input_ids, token_type_ids=None, attention_mask=None)` ->
    (sequence_output (B, L, H), pooled_output (B, H))."""

    def __init__(self, config: BertConfig, add_pooling_layer: bool = True):
        super().__init__()
        self.config = config
        self.embeddings = BertEmbeddings(config)
        layer = TransformerEncoderLayer(
            config.hidden_size,
            config.num_attention_heads,
            dim_feedforward=config.intermediate_size,
            dropout=config.hidden_dropout_prob,
            activation=config.hidden_act,
            layer_norm_eps=config.layer_norm_eps,
            batch_first=True,
        )
        layer.self_attn.dropout = config.attention_probs_dropout_prob
        layer.dropout = Dropout(0.0)  # BERT has no dropout after the feed-forward activation
        self.encoder = TransformerEncoder(
            layer, config.num_hidden_layers, enable_nested_tensor=False
        )
        self.pooler = BertPooler(config) if add_pooling_layer else None
        init_bert_weights(self, config.initializer_range)

    def forward(
        self, input_ids: Any, token_type_ids: Any = None, attention_mask: Any = None
    ) -> tuple[Tensor, Tensor | None]:
        ids = _as_ids(input_ids, "input_ids")
        batch, length = ids.shape
        limit = self.config.max_position_embeddings
        if length > limit:
            raise ValueError(
                f"BertModel: input_ids of shape {ids.shape} has {length} positions but the "
                f"position table holds {limit} (max_position_embeddings); truncate the "
                f"inputs to at most {limit} tokens"
            )
        segments = (
            Tensor(np.zeros((batch, length), np.int64))
            if token_type_ids is None
            else _as_ids(token_type_ids, "token_type_ids")
        )
        if segments.shape != ids.shape:
            raise ValueError(
                f"BertModel: token_type_ids of shape {segments.shape} must match input_ids "
                f"of shape {ids.shape}"
            )
        padding = None
        if attention_mask is not None:
            mask = np.asarray(
                attention_mask._data if isinstance(attention_mask, Tensor) else attention_mask
            )
            if mask.shape != ids.shape:
                raise ValueError(
                    f"BertModel: attention_mask of shape {mask.shape} must match input_ids "
                    f"of shape {ids.shape} (1 = token, 0 = padding)"
                )
            padding = mask == 0  # torch's key_padding_mask: True = ignore this key
        x = self.embeddings(ids, segments)  # (B, L, H)
        x = self.encoder(x, src_key_padding_mask=padding)  # (B, L, H)
        pooled = self.pooler(x) if self.pooler is not None else None  # (B, H)
        return x, pooled


class BertPredictionHeadTransform(Module):
    def __init__(self, config: BertConfig):
        super().__init__()
        self.dense = Linear(config.hidden_size, config.hidden_size)
        self.LayerNorm = LayerNorm(config.hidden_size, eps=config.layer_norm_eps)

    def forward(self, x: Tensor) -> Tensor:
        return self.LayerNorm(gelu(self.dense(x)))


class BertLMPredictionHead(Module):
    """Token scores from hidden states; `decoder.weight` IS the word-embedding table."""

    def __init__(self, config: BertConfig, word_embeddings: Parameter):
        super().__init__()
        self.transform = BertPredictionHeadTransform(config)
        self.decoder = Linear(config.hidden_size, config.vocab_size, bias=False)
        self.decoder.weight = word_embeddings  # tied: one Parameter, gradients add up
        self.bias = Parameter(np.zeros(config.vocab_size, word_embeddings.dtype))

    def forward(self, x: Tensor) -> Tensor:
        # (..., H) -> (..., V): scores are dot products with every token's input embedding
        return linear(self.transform(x), self.decoder.weight, self.bias)


class BertPreTrainingHeads(Module):
    def __init__(self, config: BertConfig, word_embeddings: Parameter):
        super().__init__()
        self.predictions = BertLMPredictionHead(config, word_embeddings)
        self.seq_relationship = Linear(config.hidden_size, 2)


class BertForPreTraining(Module):
    """BERT with its MLM and NSP heads. `forward(...)` -> (mlm_logits, nsp_logits (B, 2)).

    `masked_positions` (a boolean (B, L) array, e.g. `labels != -100`) scores only those
    positions, as BERT's pretraining does: mlm_logits is then (M, V) for the M chosen
    positions in row-major order, else (B, L, V).
    """

    def __init__(self, config: BertConfig):
        super().__init__()
        self.config = config
        self.bert = BertModel(config)
        self.cls = BertPreTrainingHeads(config, self.bert.embeddings.word_embeddings.weight)
        # not the decoder: its weight is the (already initialized) word-embedding table
        for part in (self.cls.predictions.transform, self.cls.seq_relationship):
            init_bert_weights(part, config.initializer_range)

    def forward(
        self,
        input_ids: Any,
        token_type_ids: Any = None,
        attention_mask: Any = None,
        masked_positions: Any = None,
    ) -> tuple[Tensor, Tensor]:
        x, pooled = self.bert(input_ids, token_type_ids, attention_mask)  # (B, L, H), (B, H)
        if masked_positions is not None:
            where = np.flatnonzero(np.asarray(masked_positions).reshape(-1))
            x = x.reshape(-1, x.shape[-1])[where]  # (B, L, H) -> (B L, H) -> (M, H)
        assert pooled is not None
        return self.cls.predictions(x), self.cls.seq_relationship(pooled)


class BertForSequenceClassification(Module):
    """A linear classifier on the pooled [CLS] output: logits (B, num_labels)."""

    def __init__(self, config: BertConfig, num_labels: int):
        super().__init__()
        self.config, self.num_labels = config, num_labels
        self.bert = BertModel(config)
        self.dropout = Dropout(config.hidden_dropout_prob)
        self.classifier = Linear(config.hidden_size, num_labels)
        init_bert_weights(self.classifier, config.initializer_range)

    def forward(
        self, input_ids: Any, token_type_ids: Any = None, attention_mask: Any = None
    ) -> Tensor:
        _, pooled = self.bert(input_ids, token_type_ids, attention_mask)
        assert pooled is not None
        return self.classifier(self.dropout(pooled))  # (B, H) -> (B, num_labels)


__all__ = [
    "BertConfig",
    "BertEmbeddings",
    "BertForPreTraining",
    "BertForSequenceClassification",
    "BertLMPredictionHead",
    "BertModel",
    "BertPooler",
    "init_bert_weights",
    "parameter_count",
]


def __getattr__(name: str) -> Any:
    """`pretrain`, `finetune` and their results live in `bert_training`, which imports this
    module; they are looked up on first use, so either module can be imported first."""
    if name in ("pretrain", "finetune", "load_pretrained", "PretrainResult", "FinetuneResult"):
        from groundup.models import bert_training

        return getattr(bert_training, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

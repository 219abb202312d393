"""`TransformerSeq2Seq`: the encoder-decoder Transformer on token ids, trained with teacher
forcing and decoded greedily (Vaswani et al. 2017, at toy scale).

    source ids (N, S) -> embedding * sqrt(d) + positions -> encoder (padding masked)
                                                              -> memory (N, S, d)
    target ids (N, T) -> embedding * sqrt(d) + positions -> decoder (causal mask,
                         cross-attention over memory) -> Linear -> logits (N, T, V)

`train_transformer_seq2seq(task='dates' | 'addition' | ...)` trains one on a toy task of
`groundup.data.datasets.sequences` with Adam and the paper's warm-up schedule and reports
exact-match accuracy of greedy decoding, as `train_seq2seq` does for the LSTMs.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from groundup import nn
from groundup.data.datasets.sequences import SequenceData, addition, copying, dates, reversal
from groundup.models.seq_training import SequenceResult, token_ids, train_teacher_forced
from groundup.optim import Adam
from groundup.optim.lr_scheduler import WarmupInverseSqrtLR
from groundup.random import manual_seed
from groundup.tensor import Tensor, no_grad

POSITIONALS = ("sinusoidal", "learned", "none")


class TransformerSeq2Seq(nn.Module):
    """nn.Transformer (batch first) between token embeddings and an output projection.

    Args:
        vocab_size: source vocabulary size (and the target's, unless given).
        d_model, nhead, num_encoder_layers, num_decoder_layers, dim_feedforward, dropout,
        norm_first, activation: passed to `nn.Transformer`.
        max_len: rows of the position table (longest source or target).
        pad_id: source padding id; padded source positions are masked out of attention.
        positional: "sinusoidal" (the paper's), "learned", or "none" (order-blind).
    """

    def __init__(
        self,
        vocab_size: int,
        d_model: int = 64,
        nhead: int = 4,
        num_encoder_layers: int = 2,
        num_decoder_layers: int = 2,
        dim_feedforward: int = 256,
        dropout: float = 0.1,
        max_len: int = 64,
        pad_id: int | None = 0,
        target_vocab_size: int | None = None,
        positional: str = "sinusoidal",
        norm_first: bool = False,
        activation: str = "relu",
    ):
        super().__init__()
        if positional not in POSITIONALS:
            raise ValueError(
                f"TransformerSeq2Seq: positional must be one of {POSITIONALS}, got {positional!r}"
            )
        out_vocab = target_vocab_size or vocab_size
        self.config: dict[str, Any] = {
            "name": "TransformerSeq2Seq",
            "vocab_size": vocab_size,
            "d_model": d_model,
            "nhead": nhead,
            "num_encoder_layers": num_encoder_layers,
            "num_decoder_layers": num_decoder_layers,
            "dim_feedforward": dim_feedforward,
            "dropout": dropout,
            "max_len": max_len,
            "pad_id": pad_id,
            "target_vocab_size": target_vocab_size,
            "positional": positional,
            "norm_first": norm_first,
            "activation": activation,
        }
        self.d_model, self.pad_id = d_model, pad_id
        self.src_embedding = nn.Embedding(vocab_size, d_model)
        self.tgt_embedding = nn.Embedding(out_vocab, d_model)
        for emb in (self.src_embedding, self.tgt_embedding):
            # N(0, 1/d) so that the sqrt(d)-scaled embeddings have unit-size entries, like
            # the position table they are added to
            nn.init.normal_(emb.weight, 0.0, d_model**-0.5)
        self.positional: nn.Module | None = None
        if positional == "sinusoidal":
            self.positional = nn.SinusoidalPositionalEncoding(d_model, max_len, batch_first=True)
        elif positional == "learned":
            self.positional = nn.LearnedPositionalEncoding(d_model, max_len, batch_first=True)
        self.embedding_dropout = nn.Dropout(dropout)
        self.transformer = nn.Transformer(
            d_model,
            nhead,
            num_encoder_layers,
            num_decoder_layers,
            dim_feedforward,
            dropout,
            activation,
            batch_first=True,
            norm_first=norm_first,
        )
        self.generator = nn.Linear(d_model, out_vocab)

    # ------------------------------------------------------------------ pieces
    def _embed(self, embedding: nn.Embedding, ids: np.ndarray) -> Tensor:
        x = embedding(Tensor(ids)) * math.sqrt(self.d_model)  # (N, L) -> (N, L, d)
        if self.positional is not None:
            x = self.positional(x)  # + PE[:L]
        return self.embedding_dropout(x)

    def padding_mask(self, source: Any) -> np.ndarray | None:
        """(N, S) bool, True at padded source positions (None without a pad id)."""
        return (
            None if self.pad_id is None else token_ids(source, "TransformerSeq2Seq") == self.pad_id
        )

    def encode(self, source: Any) -> tuple[Tensor, np.ndarray | None]:
        """Memory (N, S, d) and the source padding mask (N, S)."""
        mask = self.padding_mask(source)
        x = self._embed(self.src_embedding, token_ids(source, "TransformerSeq2Seq"))
        return self.transformer.encoder(x, src_key_padding_mask=mask), mask

    def decode(self, target: Any, memory: Tensor, mask: np.ndarray | None) -> Tensor:
        """Logits (N, T, V) for decoder inputs `target` (N, T), each position seeing only
        the target tokens up to itself and the whole (unpadded) source."""
        ids = token_ids(target, "TransformerSeq2Seq")
        causal = nn.Transformer.generate_square_subsequent_mask(ids.shape[1], dtype=memory.dtype)
        y = self.transformer.decoder(
            self._embed(self.tgt_embedding, ids),
            memory,
            tgt_mask=causal,
            tgt_is_causal=True,
            memory_key_padding_mask=mask,
        )  # (N, T, d)
        return self.generator(y)  # (N, T, d) -> (N, T, V)

    def forward(self, source: Any, target: Any) -> Tensor:
        """Teacher forcing: logits (N, T, V) for decoder inputs `target` (start token first)."""
        memory, mask = self.encode(source)
        return self.decode(target, memory, mask)

    # ---------------------------------------------------------------- decoding
    def generate(
        self,
        source: Any,
        max_length: int,
        start_id: int,
        end_id: int | None = None,
        pad_id: int = 0,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Greedy decoding in evaluation mode: start from `start_id` and append each step's
        argmax for `max_length` steps or until every sequence has produced `end_id` (later
        positions get `pad_id`). Returns the ids (N, max_length) and the last decoder
        layer's cross-attention weights (N, max_length, S), averaged over the heads."""
        was_training = self.training
        self.eval()
        try:
            with no_grad():
                memory, mask = self.encode(source)
                n = memory.shape[0]
                tokens = np.full((n, 1), start_id, dtype=np.int64)
                finished = np.zeros(n, dtype=bool)
                for _ in range(max_length):
                    logits = self.decode(tokens, memory, mask)  # (N, t, V): re-run the prefix
                    step = logits._data[:, -1].argmax(axis=-1)  # (N,)
                    step = np.where(finished, pad_id, step)
                    tokens = np.concatenate([tokens, step[:, None]], axis=1)
                    if end_id is not None:
                        finished |= step == end_id
                        if finished.all():
                            break
                out = np.full((n, max_length), pad_id, dtype=np.int64)
                out[:, : tokens.shape[1] - 1] = tokens[:, 1:]
                cross = self.attention_weights(source, tokens[:, :-1])["cross"][-1]
                attn = np.zeros((n, max_length, cross.shape[-1]), cross.dtype)
                attn[:, : cross.shape[1]] = cross
        finally:
            self.train(was_training)
        return out, attn

    def attention_weights(
        self, source: Any, target: Any, average_attn_weights: bool = True
    ) -> dict[str, list[np.ndarray]]:
        """Every layer's weights of the three attentions, for inputs (N, S) and (N, T):
        'encoder' (N, S, S) self-attention, 'decoder' (N, T, T) masked self-attention,
        'cross' (N, T, S) encoder-decoder attention (with average_attn_weights=False, a
        head axis after N). Evaluation mode, no gradients."""
        out: dict[str, list[np.ndarray]] = {"encoder": [], "decoder": [], "cross": []}
        was_training = self.training
        self.eval()
        avg = average_attn_weights
        encoder: Any = self.transformer.encoder  # nn.TransformerEncoder / Decoder, built above
        decoder: Any = self.transformer.decoder
        try:
            with no_grad():
                mask = self.padding_mask(source)
                x = self._embed(self.src_embedding, token_ids(source, "TransformerSeq2Seq"))
                for layer in encoder.layers:
                    h = layer.norm1(x) if layer.norm_first else x
                    w = layer.self_attn(h, h, h, key_padding_mask=mask, average_attn_weights=avg)
                    out["encoder"].append(w[1]._data)
                    x = layer(x, src_key_padding_mask=mask)
                if encoder.norm is not None:
                    x = encoder.norm(x)
                ids = token_ids(target, "TransformerSeq2Seq")
                causal = nn.Transformer.generate_square_subsequent_mask(ids.shape[1], dtype=x.dtype)
                y = self._embed(self.tgt_embedding, ids)
                for layer in decoder.layers:
                    h = layer.norm1(y) if layer.norm_first else y
                    w = layer.self_attn(h, h, h, attn_mask=causal, average_attn_weights=avg)
                    out["decoder"].append(w[1]._data)
                    z = y + layer._sa_block(h, causal, None, True)  # the cross-attention query:
                    q = layer.norm2(z) if layer.norm_first else layer.norm1(z)  # after block 1
                    w = layer.multihead_attn(
                        q, x, x, key_padding_mask=mask, average_attn_weights=avg
                    )
                    out["cross"].append(w[1]._data)
                    y = layer(
                        y, x, tgt_mask=causal, tgt_is_causal=True, memory_key_padding_mask=mask
                    )
        finally:
            self.train(was_training)
        return out

    def extra_repr(self) -> str:
        return f"positional={self.config['positional']!r}"


# ------------------------------------------------------------- training entry point
TASKS: dict[str, Callable[..., SequenceData]] = {
    "addition": addition,
    "dates": dates,
    "date": dates,
    "reversal": reversal,
    "copying": copying,
}
# Epochs per task with the default model (d_model 64, 2 + 2 layers). Measured: dates 99.02%
# after 2 epochs, 99.90% after 4, 100.00% after 6; addition 99.50% after 11, 99.98% after 18.
TASK_EPOCHS = {"addition": 20, "dates": 6, "reversal": 10, "copying": 10}


TransformerResult = SequenceResult  # the name `train_transformer_seq2seq` returned before


def train_transformer_seq2seq(
    task: str | SequenceData = "dates",
    *,
    epochs: int | None = None,
    batch_size: int = 128,
    d_model: int = 64,
    nhead: int = 4,
    num_layers: int = 2,
    dim_feedforward: int = 256,
    dropout: float = 0.1,
    positional: str = "sinusoidal",
    norm_first: bool = False,
    lr: float = 2e-3,
    warmup: int = 200,
    clip: float | None = 1.0,
    train_size: int | None = None,
    seed: int = 0,
    examples: int = 5,
    log: Callable[[str], None] | None = print,
    progress: bool = False,
    on_batch: Callable[[int, int], None] | None = None,
) -> SequenceResult:
    """Train a `TransformerSeq2Seq` (`num_layers` encoder and decoder layers) on `task`
    ("dates" or "date", "addition", "reversal", "copying", or a `SequenceData`) with Adam
    (betas 0.9, 0.98 as in the paper), linear warm-up over `warmup` steps then 1/sqrt decay
    from peak `lr`, gradient-norm clipping and teacher forcing; report the test exact match
    of greedy decoding after every epoch. `train_size` trains on a prefix only.
    """
    if isinstance(task, str) and task not in TASKS:
        raise ValueError(
            f"train_transformer_seq2seq: unknown task {task!r}; choose from {sorted(TASKS)}"
        )
    manual_seed(seed)
    data = TASKS[task]() if isinstance(task, str) else task
    assert data.vocab is not None
    epochs = TASK_EPOCHS.get(data.name, 10) if epochs is None else epochs
    max_len = max(data.x_train.shape[1], data.y_train.shape[1])
    net = TransformerSeq2Seq(
        len(data.vocab),
        d_model,
        nhead,
        num_layers,
        num_layers,
        dim_feedforward,
        dropout,
        max_len,
        data.vocab.pad_id,
        positional=positional,
        norm_first=norm_first,
    )
    optimizer = Adam(net.parameters(), lr=lr, betas=(0.9, 0.98), eps=1e-9)
    schedule = WarmupInverseSqrtLR(optimizer, warmup)
    settings = {
        "task": data.name,
        "epochs": epochs,
        "batch_size": batch_size,
        "d_model": d_model,
        "nhead": nhead,
        "num_layers": num_layers,
        "dim_feedforward": dim_feedforward,
        "dropout": dropout,
        "positional": positional,
        "norm_first": norm_first,
        "lr": lr,
        "warmup": warmup,
        "clip": clip,
        "seed": seed,
    }
    return train_teacher_forced(
        net,
        data,
        net,
        optimizer,
        epochs=epochs,
        batch_size=batch_size,
        clip=clip,
        scheduler=schedule,
        train_size=train_size,
        examples=examples,
        settings=settings,
        log=log,
        progress=progress,
        on_batch=on_batch,
    )

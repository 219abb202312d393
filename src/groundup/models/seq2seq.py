"""`Seq2Seq`: an LSTM encoder-decoder with teacher forcing, greedy decoding, input
reversal, a "peeky" decoder and attention decoders (Sutskever et al. 2014; Cho et al.
2014; Bahdanau et al. 2015; Luong et al. 2015; the models of Deep Learning from Scratch 2).

    encoder   source ids (N, S) -> embedding (N, S, E) -> LSTM -> states (N, S, H), (h, c)
    decoder   target ids (N, T) -> embedding (N, T, E) -> LSTM from (h, c) -> (N, T, H)
              -> Linear -> logits (N, T, V)

    peeky      the encoder's final h (the context) is also fed to the decoder LSTM and to
               the output layer at every step: inputs (N, T, E + H), features (N, T, 2H)
    attention  each decoder state queries all encoder states; the context vector is joined
               to the decoder state before the output layer: features (N, T, 2H)

`reverse_input=True` feeds the source backwards (the last source token is read first, so
the first target tokens sit close to the source tokens they depend on).

`train_seq2seq(task=..., model=...)` trains one on a toy task (`groundup.data.datasets.
sequences`) with the book's settings and reports exact-match accuracy; `exact_match`
(from `groundup.models.seq_training`, re-exported here) evaluates a trained model by
greedy decoding.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from groundup import nn
from groundup.data.datasets.sequences import SequenceData, addition, copying, dates, reversal
from groundup.models.seq_training import (
    SequenceResult,
    exact_match,
    predict,
    token_ids,
    train_teacher_forced,
)
from groundup.ops.shape import cat, stack
from groundup.optim import Adam, lr_scheduler
from groundup.random import default_generator, manual_seed
from groundup.tensor import Tensor, no_grad

DECODERS = ("plain", "peeky", "attention")
ATTENTIONS = ("dot", "general", "additive")
SCHEDULES = ("constant", "cosine")

State = tuple[Tensor, Tensor]


class Seq2Seq(nn.Module):
    """An LSTM encoder-decoder over token ids.

    Args:
        vocab_size: tokens in the source vocabulary (and the target one, unless given).
        embedding_dim, hidden_size: sizes of the embeddings and of both LSTMs.
        decoder: "plain", "peeky" (context fed at every step) or "attention".
        attention: the score of an attention decoder: "dot", "general" or "additive".
        reverse_input: read the source backwards.
        pad_id: source padding id; an attention decoder then ignores padded positions.
        target_vocab_size: size of the target vocabulary when it differs.
        init: "torch" (each layer's own default) or "book", Deep Learning from Scratch 2's:
            embeddings N(0, 0.01^2), weight matrices N(0, 1/fan_in), biases 0.
    """

    def __init__(
        self,
        vocab_size: int,
        embedding_dim: int = 16,
        hidden_size: int = 128,
        decoder: str = "plain",
        attention: str = "dot",
        reverse_input: bool = False,
        pad_id: int | None = None,
        target_vocab_size: int | None = None,
        init: str = "torch",
    ):
        super().__init__()
        if init not in ("torch", "book"):
            raise ValueError(f"Seq2Seq: init must be 'torch' or 'book', got {init!r}")
        if decoder not in DECODERS:
            raise ValueError(f"Seq2Seq: decoder must be one of {DECODERS}, got {decoder!r}")
        if attention not in ATTENTIONS:
            raise ValueError(f"Seq2Seq: attention must be one of {ATTENTIONS}, got {attention!r}")
        out_vocab = target_vocab_size or vocab_size
        self.config: dict[str, Any] = {
            "name": "Seq2Seq",
            "vocab_size": vocab_size,
            "embedding_dim": embedding_dim,
            "hidden_size": hidden_size,
            "decoder": decoder,
            "attention": attention,
            "reverse_input": reverse_input,
            "pad_id": pad_id,
            "target_vocab_size": target_vocab_size,
            "init": init,
        }
        self.decoder_kind, self.reverse_input, self.pad_id = decoder, reverse_input, pad_id
        h, e = hidden_size, embedding_dim
        self.encoder_embedding = nn.Embedding(vocab_size, e)
        self.encoder = nn.LSTM(e, h, batch_first=True)
        self.decoder_embedding = nn.Embedding(out_vocab, e)
        self.decoder = nn.LSTM(e + h if decoder == "peeky" else e, h, batch_first=True)
        self.attention: nn.Module | None = None
        if decoder == "attention":
            self.attention = {
                "dot": lambda: nn.DotProductAttention(),
                "general": lambda: nn.GeneralAttention(h),
                "additive": lambda: nn.AdditiveAttention(h, h, h),
            }[attention]()
        self.out = nn.Linear(2 * h if decoder != "plain" else h, out_vocab)
        if init == "book":
            self._book_init()

    def _book_init(self) -> None:
        """Deep Learning from Scratch 2's initialization: small embeddings (std 0.01),
        weights N(0, 1/fan_in) with fan_in = the input size of each matrix, zero biases."""
        rng = default_generator()
        for name, p in self.named_parameters():
            if name.endswith("embedding.weight"):
                p._data[...] = rng.normal(0.0, 0.01, p.shape)
            elif p.ndim == 2:
                p._data[...] = rng.normal(0.0, 1.0 / np.sqrt(p.shape[1]), p.shape)
            else:
                p._data[...] = 0.0

    # ---------------------------------------------------------------- encoder
    def encode(self, source: Any) -> tuple[Tensor, State, np.ndarray | None]:
        """Encoder states (N, S, H), the final (h, c) of shape (1, N, H), and the padding
        mask (N, S) (in the order the encoder read the source), or None."""
        ids = token_ids(source, "Seq2Seq")
        if self.reverse_input:
            ids = ids[:, ::-1]  # read the last token first
        states, final = self.encoder(self.encoder_embedding(Tensor(np.ascontiguousarray(ids))))
        mask = None
        if self.pad_id is not None and self.decoder_kind == "attention":
            mask = ids == self.pad_id
            mask[mask.all(axis=1), 0] = False  # an all-padding source still attends somewhere
        return states, final, mask

    # ---------------------------------------------------------------- decoder
    def _decode(
        self, ids: np.ndarray, state: State, encoded: tuple[Tensor, State, Any]
    ) -> tuple[Tensor, State, Tensor | None]:
        """Decoder steps over target ids (N, T): logits (N, T, V), the new state, and the
        attention weights (N, T, S) when there is attention."""
        enc_states, (h_enc, _), mask = encoded
        x = self.decoder_embedding(Tensor(ids))  # (N, T, E)
        if self.decoder_kind == "peeky":
            n, steps = ids.shape
            context = h_enc[0].unsqueeze(1).expand(n, steps, h_enc.shape[-1])  # (N, T, H)
            x = cat([x, context], dim=2)  # (N, T, E + H)
        dec_states, state = self.decoder(x, state)  # (N, T, H)
        weights = None
        if self.decoder_kind == "peeky":
            features = cat([dec_states, context], dim=2)  # (N, T, 2H)
        elif self.attention is not None:
            attended, weights = self.attention(dec_states, enc_states, mask=mask)
            features = cat([attended, dec_states], dim=2)  # (N, T, 2H)
        else:
            features = dec_states
        return self.out(features), state, weights

    def forward(self, source: Any, target: Any, teacher_forcing: float = 1.0) -> Tensor:
        """Logits (N, T, V) for the decoder inputs `target` (N, T) (start token first).

        With teacher_forcing = 1 every step reads the true previous token (one LSTM call
        over all T steps); with a ratio p < 1 each step of each sequence reads the true
        token with probability p and the model's own previous prediction otherwise (p = 0
        is free running, as at test time).
        """
        if not 0.0 <= teacher_forcing <= 1.0:
            raise ValueError(f"Seq2Seq: teacher_forcing must be in [0, 1], got {teacher_forcing}")
        ids = token_ids(target, "Seq2Seq")
        encoded = self.encode(source)
        state = encoded[1]
        if teacher_forcing == 1.0:
            return self._decode(ids, state, encoded)[0]
        rng = default_generator()
        logits: list[Tensor] = []
        token = ids[:, :1]
        for t in range(ids.shape[1]):
            if t > 0:
                predicted = logits[-1]._data[:, 0].argmax(axis=-1)  # no gradient through it
                truth = rng.random(len(ids)) < teacher_forcing
                token = np.where(truth, ids[:, t], predicted)[:, None]
            step_logits, state, _ = self._decode(token, state, encoded)
            logits.append(step_logits)  # (N, 1, V)
        return cat(logits, dim=1)

    def generate(
        self,
        source: Any,
        max_length: int,
        start_id: int,
        end_id: int | None = None,
        pad_id: int = 0,
    ) -> tuple[np.ndarray, np.ndarray | None]:
        """Greedy decoding: feed the start token, then each step's argmax, for `max_length`
        steps or until every sequence has produced `end_id` (later positions get
        `pad_id`). Returns the ids (N, max_length) and, for attention decoders, the
        attention weights (N, max_length, S) over the source positions in their original
        order."""
        with no_grad():
            encoded = self.encode(source)
            state = encoded[1]
            n = state[0].shape[1]
            token = np.full((n, 1), start_id, dtype=np.int64)
            out = np.full((n, max_length), pad_id, dtype=np.int64)
            finished = np.zeros(n, dtype=bool)
            weights: list[Tensor] = []
            for t in range(max_length):
                logits, state, w = self._decode(token, state, encoded)
                token = logits._data.argmax(axis=-1)  # (N, 1)
                out[:, t] = np.where(finished, pad_id, token[:, 0])
                if w is not None:
                    weights.append(w[:, 0])
                if end_id is not None:
                    finished |= token[:, 0] == end_id
                    if finished.all():
                        break
            attn = None
            if weights:
                attn = np.zeros((n, max_length, encoded[0].shape[1]), encoded[0].dtype)
                attn[:, : len(weights)] = stack(weights, dim=1)._data
                if self.reverse_input:
                    attn = attn[:, :, ::-1]  # back to the source's own order
        return out, attn

    def extra_repr(self) -> str:
        return f"decoder={self.decoder_kind!r}, reverse_input={self.reverse_input}"


# ------------------------------------------------------------ training entry points
TASKS: dict[str, Callable[..., SequenceData]] = {
    "addition": addition,
    "dates": dates,
    "reversal": reversal,
    "copying": copying,
}
MODEL_DECODERS = {"seq2seq": "plain", "peeky": "peeky", "attention": "attention"}
# Deep Learning from Scratch 2's settings: addition (ch. 7) and dates (ch. 8)
TASK_DEFAULTS: dict[str, dict[str, int]] = {
    "addition": {"hidden_size": 128, "epochs": 25},
    "dates": {"hidden_size": 256, "epochs": 10},
    "reversal": {"hidden_size": 128, "epochs": 10},
    "copying": {"hidden_size": 128, "epochs": 10},
}


Seq2SeqResult = SequenceResult  # what `train_seq2seq` returns


def train_seq2seq(
    task: str | SequenceData = "addition",
    model: str = "seq2seq",
    *,
    reverse: bool = False,
    attention: str = "dot",
    epochs: int | None = None,
    batch_size: int = 128,
    hidden_size: int | None = None,
    embedding_dim: int = 16,
    lr: float = 1e-3,
    clip: float | None = 5.0,
    teacher_forcing: float = 1.0,
    init: str = "torch",
    schedule: str = "constant",
    train_size: int | None = None,
    seed: int = 0,
    examples: int = 5,
    log: Callable[[str], None] | None = print,
    progress: bool = False,
    on_batch: Callable[[int, int], None] | None = None,
) -> SequenceResult:
    """Train `model` ("seq2seq", "peeky" or "attention") on `task` ("addition", "dates",
    "reversal", "copying" or a `SequenceData`) with Adam, gradient-norm clipping and
    mini-batches of `batch_size` (the last partial batch dropped, as in the book), and
    report test exact match after every epoch. `train_size` trains on a prefix only;
    `init="book"` uses the book's initialization (see `Seq2Seq`). `schedule="constant"`
    keeps `lr` (the book); "cosine" anneals it to 0 after every batch over the whole run.
    """
    if model not in MODEL_DECODERS:
        raise ValueError(f"train_seq2seq: model must be one of {sorted(MODEL_DECODERS)}")
    if isinstance(task, str) and task not in TASKS:
        raise ValueError(f"train_seq2seq: unknown task {task!r}; choose from {sorted(TASKS)}")
    if schedule not in SCHEDULES:
        raise ValueError(f"train_seq2seq: schedule must be one of {SCHEDULES}, got {schedule!r}")
    manual_seed(seed)
    data = TASKS[task]() if isinstance(task, str) else task
    assert data.vocab is not None
    defaults = TASK_DEFAULTS.get(data.name, TASK_DEFAULTS["reversal"])
    epochs = defaults["epochs"] if epochs is None else epochs
    hidden_size = defaults["hidden_size"] if hidden_size is None else hidden_size
    net = Seq2Seq(
        len(data.vocab),
        embedding_dim,
        hidden_size,
        MODEL_DECODERS[model],
        attention,
        reverse,
        data.vocab.pad_id,
        init=init,
    )
    optimizer = Adam(net.parameters(), lr=lr)
    n = len(data.x_train[:train_size])
    steps = epochs * max(n // batch_size, 1)  # optimizer steps in the whole run
    scheduler = lr_scheduler.CosineAnnealingLR(optimizer, steps) if schedule == "cosine" else None
    settings = {
        "task": data.name,
        "model": model,
        "reverse": reverse,
        "attention": attention,
        "epochs": epochs,
        "batch_size": batch_size,
        "hidden_size": hidden_size,
        "embedding_dim": embedding_dim,
        "lr": lr,
        "clip": clip,
        "teacher_forcing": teacher_forcing,
        "init": init,
        "schedule": schedule,
        "seed": seed,
    }

    def forward(source: np.ndarray, decoder_input: np.ndarray) -> Tensor:
        return net(source, decoder_input, teacher_forcing)

    return train_teacher_forced(
        net,
        data,
        forward,
        optimizer,
        epochs=epochs,
        batch_size=batch_size,
        clip=clip,
        scheduler=scheduler,
        train_size=train_size,
        examples=examples,
        settings=settings,
        log=log,
        progress=progress,
        on_batch=on_batch,
    )


__all__ = [
    "ATTENTIONS",
    "DECODERS",
    "MODEL_DECODERS",
    "SCHEDULES",
    "TASKS",
    "TASK_DEFAULTS",
    "Seq2Seq",
    "Seq2SeqResult",
    "exact_match",
    "predict",
    "train_seq2seq",
]

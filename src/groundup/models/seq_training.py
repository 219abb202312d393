"""Training and scoring of encoder-decoders on the toy sequence tasks, shared by the LSTM
seq2seq (`train_seq2seq`) and the Transformer (`train_transformer_seq2seq`).

Teacher forcing: the decoder reads the target shifted right (start token first) and
learns to predict the next token at every position at once,

    y = [<s>, t1, t2, ..., tT]      decoder input y[:, :-1],  labels y[:, 1:]
    loss = cross_entropy(logits (N*T, V), labels (N*T,))

and exact match decodes every test source greedily (each step's argmax fed back in) and
counts the outputs equal to the target string.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol, cast

import numpy as np
from tqdm import tqdm

from groundup.data.datasets.sequences import SequenceData
from groundup.nn.module import Module
from groundup.nn.utils import clip_grad_norm_
from groundup.ops.cross_entropy import cross_entropy
from groundup.random import default_generator
from groundup.tensor import Tensor

Log = Callable[[str], None]


def token_ids(x: Any, owner: str) -> np.ndarray:
    """Token ids as an integer array (N, length), from a Tensor or an array; a clear error
    naming `owner` otherwise."""
    ids = x._data if isinstance(x, Tensor) else np.asarray(x)
    if ids.ndim != 2 or ids.dtype.kind not in "iu":
        raise ValueError(
            f"{owner}: token ids must be an integer array of shape (N, length), got "
            f"shape {ids.shape} and dtype {ids.dtype}"
        )
    return ids


class GreedyDecoder(Protocol):
    """Any model with `generate(source, max_length, start_id, end_id, pad_id)`: the RNN
    seq2seq and the Transformer seq2seq share `predict` and `exact_match`."""

    def generate(
        self,
        source: Any,
        max_length: int,
        start_id: int,
        end_id: int | None = ...,
        pad_id: int = ...,
    ) -> tuple[Any, Any]: ...


def predict(
    model: GreedyDecoder, data: SequenceData, split: str = "test", batch_size: int = 1000
) -> list[str]:
    """Greedy-decoded strings for every source of a split."""
    assert data.vocab is not None
    x, y = (data.x_test, data.y_test) if split == "test" else (data.x_train, data.y_train)
    vocab, texts = data.vocab, []
    for i in range(0, len(x), batch_size):
        ids, _ = model.generate(
            x[i : i + batch_size], y.shape[1] - 1, vocab.start_id, vocab.end_id, vocab.pad_id
        )
        texts += vocab.decode_batch(ids)
    return texts


def exact_match(model: GreedyDecoder, data: SequenceData, split: str = "test") -> float:
    """Fraction of sources whose greedy decoding equals the target string exactly."""
    predictions = predict(model, data, split)
    return float(np.mean([p == t for p, t in zip(predictions, data.targets(split), strict=True)]))


@dataclass
class SequenceResult:
    """What the sequence trainers return: the final test exact match, one record per epoch
    (epoch, loss, accuracy, seconds), decoded test examples (source, target, prediction),
    the trained model, the data and the settings."""

    accuracy: float
    history: list[dict[str, float]]
    examples: list[tuple[str, str, str]]
    model: Any
    data: SequenceData
    settings: dict[str, Any] = field(default_factory=dict)


def train_teacher_forced(
    net: Module,
    data: SequenceData,
    forward: Callable[[np.ndarray, np.ndarray], Tensor],
    optimizer: Any,
    *,
    epochs: int,
    batch_size: int,
    clip: float | None,
    scheduler: Any = None,
    train_size: int | None = None,
    examples: int = 5,
    settings: dict[str, Any] | None = None,
    log: Log | None = print,
    progress: bool = False,
    on_batch: Callable[[int, int], None] | None = None,
) -> SequenceResult:
    """`epochs` passes over shuffled mini-batches of `batch_size` (the last partial batch
    dropped), each step `forward(source, decoder_input) -> logits (N, T, V)`, cross-entropy
    against the next tokens, gradient-norm clipping to `clip`, an optimizer step and a
    `scheduler` step per batch. After every epoch: test exact match, one `log` line.
    `progress` shows a bar over each epoch's batches (on stderr); `on_batch(step, steps)` is
    called after every optimizer step (to estimate the run's time, say)."""
    decoder = cast(GreedyDecoder, net)
    x, y = data.x_train[:train_size], data.y_train[:train_size]
    history: list[dict[str, float]] = []
    rng = default_generator()
    for epoch in range(1, epochs + 1):
        start, losses = time.perf_counter(), []
        net.train()
        order = rng.permutation(len(x))
        starts = range(0, len(x) - batch_size + 1, batch_size)
        bar = tqdm(
            starts, f"epoch {epoch}/{epochs}", leave=False, disable=not progress, file=sys.stderr
        )
        for i in bar:
            idx = order[i : i + batch_size]
            logits = forward(x[idx], y[idx, :-1])  # (B, T, V)
            loss = cross_entropy(
                logits.reshape(-1, logits.shape[-1]), Tensor(y[idx, 1:].reshape(-1))
            )
            optimizer.zero_grad()
            loss.backward()
            if clip is not None:
                clip_grad_norm_(net.parameters(), clip)
            optimizer.step()
            if scheduler is not None:
                scheduler.step()
            losses.append(loss.item())
            if on_batch is not None:
                on_batch((epoch - 1) * len(starts) + len(losses), epochs * len(starts))
            bar.set_postfix(loss=f"{losses[-1]:.4f}", refresh=False)
        net.eval()
        accuracy = exact_match(decoder, data)
        record = {
            "epoch": epoch,
            "loss": float(np.mean(losses)) if losses else float("nan"),
            "accuracy": accuracy,
            "seconds": time.perf_counter() - start,
        }
        history.append(record)
        if log is not None:
            lr = f"lr {optimizer.param_groups[0]['lr']:.2e}  " if scheduler is not None else ""
            log(
                f"epoch {epoch:3d}/{epochs}  loss {record['loss']:.4f}  "
                f"exact match {100 * accuracy:6.2f}%  {lr}({record['seconds']:.1f} s)"
            )
    predictions = predict(decoder, data) if examples else []
    shown = list(
        zip(data.sources()[:examples], data.targets()[:examples], predictions, strict=False)
    )
    final = history[-1]["accuracy"] if history else exact_match(decoder, data)
    return SequenceResult(final, history, shown, net, data, dict(settings or {}))


__all__ = [
    "GreedyDecoder",
    "SequenceResult",
    "exact_match",
    "predict",
    "token_ids",
    "train_teacher_forced",
]

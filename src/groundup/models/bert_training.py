"""Pretrain a small BERT on the shipped corpus, then fine-tune its [CLS] output.

`pretrain()`: WordPiece vocabulary and MLM + NSP pretraining on the training documents of
`groundup.text.corpus` (question bank in Korean and English, plus groundup's docstrings),
with fresh masks and sentence pairs every epoch. A fifth of each topic's questions
(both languages) is held out; on them it reports the masked-token loss and accuracy next
to the unigram baseline: the entropy of the held-out masked tokens' own frequency
distribution, the lowest loss any predictor that ignores context can reach on them.

`finetune()`: predict a question's topic (15 classes) from its text with a linear layer on
BERT's pooled [CLS] output, on the same split, against a bag-of-WordPieces logistic
regression trained with the same tokenizer.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from groundup.models.bert import BertConfig, BertForPreTraining, BertForSequenceClassification
from groundup.models.linear_models import LogisticRegression
from groundup.nn.module import Module
from groundup.nn.utils import clip_grad_norm_
from groundup.ops.cross_entropy import cross_entropy
from groundup.optim import AdamW
from groundup.optim.lr_scheduler import LambdaLR
from groundup.random import manual_seed
from groundup.tensor import Tensor, no_grad
from groundup.text.bert_inputs import (
    IGNORE_INDEX,
    BertBatch,
    build_pair,
    mask_tokens,
    nsp_pairs,
    pad_batch,
)
from groundup.text.corpus import (
    LANGUAGES,
    SOURCES,
    Document,
    corpus_texts,
    held_out_questions,
    load_corpus,
)
from groundup.text.wordpiece import WordPieceTokenizer
from groundup.text.wordpiece_trainer import train_wordpiece
from groundup.train.checkpoint import load_weights, read_metadata, save_weights

Log = Callable[[str], None]


@dataclass
class PretrainResult:
    """What `pretrain` returns; `save(directory)` and `load_pretrained(directory)` keep it."""

    model: BertForPreTraining
    tokenizer: WordPieceTokenizer
    metrics: dict[str, float]
    held_out: set[str]
    history: list[dict[str, float]] = field(default_factory=list)

    def save(self, directory: str | Path) -> Path:
        """Write `vocab.txt` and `bert.safetensors` (weights, config, metrics, held-out
        question ids) into `directory`; returns the weights' path."""
        out = Path(directory)
        out.mkdir(parents=True, exist_ok=True)
        self.tokenizer.save(out / "vocab.txt")
        info = {"metrics": self.metrics, "held_out": sorted(self.held_out)}
        save_weights(self.model, out / "bert.safetensors", self.model.config.to_dict(), info)
        return out / "bert.safetensors"


def load_pretrained(directory: str | Path) -> PretrainResult:
    """A `PretrainResult` saved by `PretrainResult.save` (history is not kept)."""
    path = Path(directory)
    meta = read_metadata(path / "bert.safetensors")
    model = BertForPreTraining(BertConfig(**meta["config"]))
    load_weights(model, path / "bert.safetensors")
    tok = WordPieceTokenizer.from_file(path / "vocab.txt", lowercase=True, strip_accents=False)
    info = meta["info"]
    return PretrainResult(model, tok, info["metrics"], set(info["held_out"]))


@dataclass
class FinetuneResult:
    model: BertForSequenceClassification
    metrics: dict[str, float]
    topics: list[str]


def _optimizer(
    model: Module, lr: float, weight_decay: float, steps: int, warmup: int
) -> tuple[AdamW, LambdaLR]:
    """AdamW with decay on matrices only (not biases, LayerNorm), linear warm-up and decay."""
    params = list(model.parameters())
    groups = [
        {"params": [p for p in params if p.ndim >= 2], "weight_decay": weight_decay},
        {"params": [p for p in params if p.ndim < 2], "weight_decay": 0.0},
    ]
    opt = AdamW(groups, lr=lr)
    warm = max(1, warmup)

    def schedule(step: int) -> float:
        return min((step + 1) / warm, max(0.0, (steps - step) / max(1, steps - warm)))

    return opt, LambdaLR(opt, schedule)


def _step(model: Module, loss: Tensor, opt: AdamW, sched: LambdaLR) -> None:
    opt.zero_grad()
    loss.backward()
    clip_grad_norm_(model.parameters(), 1.0)
    opt.step()
    sched.step()


def _pairs(
    docs: Sequence[list[list[int]]], tok: WordPieceTokenizer, max_length: int, rng: Any
) -> list[tuple[list[int], list[int], int]]:
    """NSP pairs laid out as (ids, segments, label)."""
    out = []
    for a, b, label in nsp_pairs(docs, max_length - 3, rng):
        ids, segments = build_pair(a, b, tok, max_length)
        out.append((ids, segments, label))
    return out


def _mlm_batch(
    pairs: Sequence[tuple[list[int], list[int], int]], tok: WordPieceTokenizer, rng: Any
) -> BertBatch:
    batch = pad_batch([(ids, seg) for ids, seg, _ in pairs], tok.pad_token_id)
    batch.input_ids, batch.labels = mask_tokens(
        batch.input_ids,
        vocab_size=tok.vocab_size,
        mask_token_id=tok.mask_token_id,
        special_ids=tok.special_ids,
        rng=rng,
    )
    batch.next_sentence_label = np.array([label for _, _, label in pairs], np.int64)
    return batch


def _pretraining_loss(model: BertForPreTraining, batch: BertBatch) -> tuple[Tensor, ...]:
    assert batch.labels is not None and batch.next_sentence_label is not None
    chosen = batch.labels != IGNORE_INDEX  # (B, L): score only the masked positions
    mlm_logits, nsp_logits = model(
        batch.input_ids, batch.token_type_ids, batch.attention_mask, masked_positions=chosen
    )  # (M, V), (B, 2)
    mlm = cross_entropy(mlm_logits, Tensor(batch.labels[chosen]))
    nsp = cross_entropy(nsp_logits, Tensor(batch.next_sentence_label))
    return mlm, nsp, mlm_logits, nsp_logits


def _tokenized(docs: Sequence[Document], tok: WordPieceTokenizer) -> list[list[list[int]]]:
    return [[tok.encode(s) for s in d.sentences] for d in docs]


def unigram_entropy(targets: np.ndarray) -> float:
    """Entropy (nats) of the empirical distribution of `targets`: the cross-entropy of the
    best context-free prediction of exactly these tokens."""
    _, counts = np.unique(targets, return_counts=True)
    p = counts / counts.sum()
    return float(-(p * np.log(p)).sum())


def evaluate_mlm(
    model: BertForPreTraining,
    pairs: Sequence[tuple[list[int], list[int], int]],
    tok: WordPieceTokenizer,
    seed: int,
    batch_size: int = 64,
) -> dict[str, float]:
    """Masked-token loss and accuracy, NSP accuracy and the unigram baseline, with one
    fixed masking (drawn with `seed`) of the given pairs."""
    rng = np.random.default_rng(seed)
    model.eval()
    loss_sum, correct, n_masked, nsp_correct, targets = 0.0, 0, 0, 0, []
    with no_grad():
        for i in range(0, len(pairs), batch_size):
            batch = _mlm_batch(pairs[i : i + batch_size], tok, rng)
            _, _, mlm_logits, nsp_logits = _pretraining_loss(model, batch)
            assert batch.labels is not None and batch.next_sentence_label is not None
            y = batch.labels[batch.labels != IGNORE_INDEX]  # (M,) the masked tokens
            loss_sum += float(cross_entropy(mlm_logits, Tensor(y), reduction="sum").item())
            correct += int((mlm_logits.numpy().argmax(axis=1) == y).sum())
            n_masked += len(y)
            nsp_correct += int((nsp_logits.numpy().argmax(1) == batch.next_sentence_label).sum())
            targets.append(y)
    model.train()
    return {
        "mlm_loss": loss_sum / n_masked,
        "mlm_accuracy": correct / n_masked,
        "unigram_entropy": unigram_entropy(np.concatenate(targets)),
        "nsp_accuracy": nsp_correct / len(pairs),
        "masked_tokens": float(n_masked),
    }


def pretrain(
    *,
    steps: int = 800,
    batch_size: int = 32,
    max_length: int = 64,
    vocab_size: int = 2000,
    config_overrides: dict[str, Any] | None = None,
    lr: float = 2e-3,
    weight_decay: float = 0.01,
    warmup_fraction: float = 0.1,
    held_out_fraction: float = 0.2,
    sources: Sequence[str] = SOURCES,
    languages: Sequence[str] = LANGUAGES,
    seed: int = 0,
    log_every: int = 50,
    log: Log | None = None,
) -> PretrainResult:
    """Train a WordPiece vocabulary and a small BERT (`BertConfig.tiny`, changed by
    `config_overrides`) by MLM + NSP for `steps` batches of `batch_size` sentence pairs of
    at most `max_length` tokens. Pass `log=print` to follow the loss.

    Metrics, each measured with one fixed masking, for `held_out` (the questions held out
    of pretraining) and `train` (up to 512 pairs of the training text): `*_mlm_loss`
    (nats per masked token), `*_mlm_accuracy`, `*_unigram_entropy`, `*_nsp_accuracy`;
    also `vocab_size`, `steps` and `seconds`."""
    start = time.perf_counter()
    manual_seed(seed)
    rng = np.random.default_rng(seed)
    docs = load_corpus(sources, languages)
    held = held_out_questions(docs, held_out_fraction, seed)
    train_docs = [d for d in docs if d.id not in held]
    eval_docs = [d for d in docs if d.id in held]
    tok = train_wordpiece(corpus_texts(train_docs), vocab_size, strip_accents=False)
    overrides = {"max_position_embeddings": max(128, max_length), **(config_overrides or {})}
    cfg = BertConfig.tiny(tok.vocab_size, **overrides)
    model = BertForPreTraining(cfg)
    opt, sched = _optimizer(model, lr, weight_decay, steps, int(warmup_fraction * steps))
    train_tokens = _tokenized(train_docs, tok)
    fixed = np.random.default_rng(seed + 1)  # the evaluation pairs, drawn once
    eval_pairs = _pairs(_tokenized(eval_docs, tok), tok, max_length, fixed)
    train_eval_pairs = _pairs(train_tokens, tok, max_length, fixed)[:512]
    history: list[dict[str, float]] = []
    pairs: list[tuple[list[int], list[int], int]] = []
    recent: list[tuple[float, float]] = []
    for step in range(steps):
        if len(pairs) < batch_size:  # a new epoch: fresh sentence pairs, shuffled
            pairs = _pairs(train_tokens, tok, max_length, rng)
            pairs = [pairs[i] for i in rng.permutation(len(pairs))]
        batch = _mlm_batch(pairs[:batch_size], tok, rng)  # fresh masks every time
        pairs = pairs[batch_size:]
        mlm, nsp, _, _ = _pretraining_loss(model, batch)
        _step(model, mlm + nsp, opt, sched)
        recent = [*recent[-(log_every - 1) :], (float(mlm.item()), float(nsp.item()))]
        if (step + 1) % log_every == 0 or step + 1 == steps:
            row = {
                "step": step + 1,
                "mlm_loss": float(np.mean([m for m, _ in recent])),
                "nsp_loss": float(np.mean([n for _, n in recent])),
            }
            history.append(row)
            if log is not None:
                log(f"step {step + 1:5d}  mlm {row['mlm_loss']:.3f}  nsp {row['nsp_loss']:.3f}")
    metrics: dict[str, float] = {}
    for name, eval_set in (("held_out", eval_pairs), ("train", train_eval_pairs)):
        for key, value in evaluate_mlm(model, eval_set, tok, seed + 2).items():
            metrics[f"{name}_{key}"] = value
    metrics.update(vocab_size=tok.vocab_size, steps=steps, seconds=time.perf_counter() - start)
    return PretrainResult(model, tok, metrics, held, history)


# ------------------------------------------------------------------ fine-tuning
def topic_examples(
    docs: Sequence[Document], tok: WordPieceTokenizer, max_length: int
) -> tuple[list[tuple[list[int], list[int]]], np.ndarray, list[str], list[str]]:
    """`[CLS] question [SEP]` inputs, topic labels, the topic names and the question ids."""
    bank = [d for d in docs if d.topic is not None]
    topics = sorted({d.topic for d in bank if d.topic is not None})
    inputs = [build_pair(tok.encode(d.sentences[0]), None, tok, max_length) for d in bank]
    labels = np.array([topics.index(d.topic) for d in bank if d.topic is not None], np.int64)
    return inputs, labels, topics, [d.id for d in bank]


def bag_of_words(inputs: Sequence[tuple[list[int], list[int]]], vocab_size: int) -> np.ndarray:
    """(N, vocab_size) float32: log(1 + count) of each WordPiece token in each text."""
    x = np.zeros((len(inputs), vocab_size), np.float32)
    for i, (ids, _) in enumerate(inputs):
        np.add.at(x[i], ids, 1.0)
    return np.log1p(x)


def _accuracy(logits: Tensor, y: np.ndarray) -> float:
    return float((logits.numpy().argmax(axis=1) == y).mean())


def bow_baseline(
    x_train: np.ndarray,
    y_train: np.ndarray,
    x_test: np.ndarray,
    y_test: np.ndarray,
    num_classes: int,
    steps: int = 300,
    lr: float = 0.05,
    weight_decay: float = 1e-3,
) -> float:
    """Test accuracy of a full-batch AdamW logistic regression on bag-of-words features."""
    model = LogisticRegression(x_train.shape[1], num_classes)
    opt, sched = _optimizer(model, lr, weight_decay, steps, 0)
    xt, yt = Tensor(x_train), Tensor(y_train)
    for _ in range(steps):
        _step(model, cross_entropy(model(xt), yt), opt, sched)
    model.eval()
    with no_grad():
        return _accuracy(model(Tensor(x_test)), y_test)


def finetune(
    pretrained: PretrainResult | None = None,
    *,
    epochs: int = 30,
    batch_size: int = 16,
    max_length: int = 64,
    lr: float = 1e-3,
    weight_decay: float = 0.01,
    from_scratch: bool = False,
    reuse_pooler: bool = False,
    seed: int = 0,
    log: Log | None = None,
) -> FinetuneResult:
    """Classify each bank question's topic from its text with BERT's [CLS] output; train
    on the questions `pretrain` trained on, test on its held-out ones (both languages).

    `from_scratch=True` starts from random weights instead of the pretrained encoder.
    The pooler (dense + tanh on [CLS]) starts fresh unless `reuse_pooler`: pretraining
    trained it only for NSP, to compare segment A with segment B, and on this small corpus
    that pooler classifies one text worse than a new one (RoBERTa's classification head
    is new, too). Metrics: `bert_accuracy`, `bow_accuracy` (bag-of-WordPieces logistic
    regression), `majority_accuracy`, `train_examples`, `test_examples`, `seconds`."""
    start = time.perf_counter()
    result = pretrained if pretrained is not None else pretrain(seed=seed, log=log)
    tok = result.tokenizer
    manual_seed(seed)
    rng = np.random.default_rng(seed)
    inputs, y, topics, ids = topic_examples(load_corpus(("bank",)), tok, max_length)
    test = np.array([i in result.held_out for i in ids])
    train_idx, test_idx = np.flatnonzero(~test), np.flatnonzero(test)
    # BERT's dropout (0.1) is back on: 300 labelled questions are easy to overfit
    cfg = replace(result.model.config, hidden_dropout_prob=0.1, attention_probs_dropout_prob=0.1)
    model = BertForSequenceClassification(cfg, len(topics))
    if not from_scratch:  # copy the pretrained embeddings and encoder (and pooler)
        fresh = {k: v for k, v in model.bert.state_dict().items() if k.startswith("pooler.")}
        model.bert.load_state_dict(
            {**result.model.bert.state_dict(), **({} if reuse_pooler else fresh)}
        )
    steps = epochs * -(-len(train_idx) // batch_size)
    opt, sched = _optimizer(model, lr, weight_decay, steps, int(0.1 * steps))
    for epoch in range(epochs):
        order, losses = rng.permutation(train_idx), []
        for i in range(0, len(order), batch_size):
            rows = order[i : i + batch_size]
            b = pad_batch([inputs[r] for r in rows], tok.pad_token_id)
            logits = model(b.input_ids, b.token_type_ids, b.attention_mask)  # (B, topics)
            loss = cross_entropy(logits, Tensor(y[rows]))
            _step(model, loss, opt, sched)
            losses.append(float(loss.item()))
        if log is not None:
            log(f"epoch {epoch + 1}/{epochs}  loss {np.mean(losses):.3f}")
    model.eval()
    with no_grad():
        b = pad_batch([inputs[r] for r in test_idx], tok.pad_token_id)
        bert_acc = _accuracy(model(b.input_ids, b.token_type_ids, b.attention_mask), y[test_idx])
    x = bag_of_words(inputs, tok.vocab_size)
    bow_acc = bow_baseline(x[train_idx], y[train_idx], x[test_idx], y[test_idx], len(topics))
    majority = np.bincount(y[train_idx], minlength=len(topics)).argmax()
    metrics = {
        "bert_accuracy": bert_acc,
        "bow_accuracy": bow_acc,
        "majority_accuracy": float((y[test_idx] == majority).mean()),
        "train_examples": float(len(train_idx)),
        "test_examples": float(len(test_idx)),
        "seconds": time.perf_counter() - start,
    }
    return FinetuneResult(model, metrics, topics)


__all__ = [
    "FinetuneResult",
    "PretrainResult",
    "bag_of_words",
    "bow_baseline",
    "evaluate_mlm",
    "finetune",
    "load_pretrained",
    "pretrain",
    "topic_examples",
    "unigram_entropy",
]

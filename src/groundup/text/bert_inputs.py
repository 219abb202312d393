"""BERT's inputs: sentence pairs, segment ids, padding masks, MLM masking and NSP pairs.

A pair of token-id lists A, B becomes

    input_ids       [CLS] a1 a2 a3 [SEP] b1 b2 [SEP] [PAD] [PAD]
    token_type_ids    0   0  0  0    0   1  1    1    0     0
    attention_mask    1   1  1  1    1   1  1    1    0     0

(segment 0 for [CLS], A and its [SEP]; 1 for B and its [SEP]; padding is 0 everywhere
and masked out). Too long a pair is cut longest-first: one token at a time from the end
of whichever of A and B is longer (B on a tie), as BERT's `truncate_seq_pair`.

Masked language modelling (Devlin et al. 2019, sec. 3.1): each non-special token is chosen
with probability 15%; a chosen token becomes [MASK] 80% of the time, a random token 10%
and stays unchanged 10%; the label is the original token at chosen positions and -100
(ignored by `cross_entropy`) everywhere else. Special tokens and padding are never chosen,
and random replacements are drawn from the non-special tokens.

Next-sentence prediction: label 0 when B really follows A in its document, 1 when B is
taken from another document (the `next_sentence_label` convention of Hugging Face).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from groundup.text.wordpiece import WordPieceTokenizer

IGNORE_INDEX = -100
IS_NEXT, NOT_NEXT = 0, 1


@dataclass
class BertBatch:
    """Arrays of shape (batch, length), int64; MLM `labels` (batch, length) and
    `next_sentence_label` (batch,) when the batch is for pretraining."""

    input_ids: np.ndarray
    token_type_ids: np.ndarray
    attention_mask: np.ndarray
    labels: np.ndarray | None = None
    next_sentence_label: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.input_ids)


def truncate_pair(
    a: Sequence[int], b: Sequence[int] | None, max_tokens: int
) -> tuple[list[int], list[int]]:
    """Longest-first truncation of A and B to at most `max_tokens` tokens together: the
    result of removing one token at a time from the end of the longer one (B on a tie)."""
    b = b or []
    if max_tokens < (2 if b else 1):
        raise ValueError(
            f"truncate_pair: max_tokens={max_tokens} leaves no room for "
            f"{'both sentences' if b else 'the sentence'}; need at least {2 if b else 1}"
        )
    la, lb = len(a), len(b)
    excess = la + lb - max_tokens
    if excess > 0:
        gap = min(excess, abs(la - lb))  # first the longer one down to the other's length,
        la, lb = (la - gap, lb) if la > lb else (la, lb - gap)
        rest = excess - gap  # then both in turn, B first
        la, lb = la - rest // 2, lb - (rest + 1) // 2
    return list(a[:la]), list(b[:lb])


def build_pair(
    a: Sequence[int],
    b: Sequence[int] | None,
    tokenizer: WordPieceTokenizer,
    max_length: int,
) -> tuple[list[int], list[int]]:
    """`[CLS] A [SEP] (B [SEP])` ids and their segment ids, truncated to `max_length`."""
    if len(a) == 0:
        raise ValueError("build_pair: sentence A has no tokens; BERT needs at least one")
    special = 3 if b else 2
    a, b = truncate_pair(a, b, max_length - special)
    cls, sep = tokenizer.cls_token_id, tokenizer.sep_token_id
    ids = [cls, *a, sep] + ([*b, sep] if b else [])
    segments = [0] * (len(a) + 2) + [1] * (len(b) + 1 if b else 0)
    return ids, segments


def encode_pair(
    tokenizer: WordPieceTokenizer, text_a: str, text_b: str | None = None, max_length: int = 128
) -> tuple[list[int], list[int]]:
    """Tokenize one or two texts and lay them out as `build_pair` does."""
    ids = []
    for text in (text_a, text_b) if text_b is not None else (text_a,):
        tokens = tokenizer.encode(text)
        if not tokens:
            raise ValueError(
                f"encode_pair: text {text[:40]!r} tokenizes to nothing (it holds only "
                "whitespace or characters the normalizer removes); give at least one word"
            )
        ids.append(tokens)
    return build_pair(ids[0], ids[1] if len(ids) > 1 else None, tokenizer, max_length)


def pad_batch(pairs: Sequence[tuple[Sequence[int], Sequence[int]]], pad_token_id: int) -> BertBatch:
    """(ids, segments) pairs padded on the right to the longest one."""
    if not pairs:
        raise ValueError("pad_batch: no sequences to batch")
    length = max(len(ids) for ids, _ in pairs)
    batch = BertBatch(
        np.full((len(pairs), length), pad_token_id, np.int64),
        np.zeros((len(pairs), length), np.int64),
        np.zeros((len(pairs), length), np.int64),
    )
    for i, (ids, segments) in enumerate(pairs):
        batch.input_ids[i, : len(ids)] = ids
        batch.token_type_ids[i, : len(ids)] = segments
        batch.attention_mask[i, : len(ids)] = 1
    return batch


def mask_tokens(
    input_ids: np.ndarray,
    *,
    vocab_size: int,
    mask_token_id: int,
    special_ids: Sequence[int] | np.ndarray,
    rng: np.random.Generator,
    mlm_probability: float = 0.15,
    mask_fraction: float = 0.8,
    random_fraction: float = 0.1,
) -> tuple[np.ndarray, np.ndarray]:
    """(masked input ids, labels) for MLM; see the module docstring. `input_ids` is not
    modified. The defaults are BERT's 15% and 80/10/10."""
    ids = np.asarray(input_ids)
    if ids.dtype.kind not in "iu":
        raise TypeError(f"mask_tokens: input_ids must be integers, got dtype {ids.dtype}")
    special = np.unique(np.asarray(special_ids, dtype=np.int64))
    for name, value in (("mask_token_id", mask_token_id), *(("special id", s) for s in special)):
        if not 0 <= int(value) < vocab_size:
            raise ValueError(
                f"mask_tokens: {name} {int(value)} is outside the vocabulary of {vocab_size}"
            )
    if not (0 <= mlm_probability <= 1 and 0 <= mask_fraction + random_fraction <= 1):
        raise ValueError(
            "mask_tokens: need 0 <= mlm_probability <= 1 and mask_fraction + random_fraction "
            f"<= 1, got {mlm_probability}, {mask_fraction}, {random_fraction}"
        )
    if ids.size and (ids.min() < 0 or ids.max() >= vocab_size):
        raise ValueError(f"mask_tokens: input ids must lie in [0, {vocab_size})")
    ordinary = np.setdiff1d(np.arange(vocab_size), special)  # random replacements
    candidate = ~np.isin(ids, special)  # never [CLS], [SEP], [PAD], [MASK], [UNK]
    chosen = candidate & (rng.random(ids.shape) < mlm_probability)
    u = rng.random(ids.shape)  # one draw decides [MASK] / random / unchanged
    to_mask = chosen & (u < mask_fraction)
    to_random = chosen & (u >= mask_fraction) & (u < mask_fraction + random_fraction)
    masked = ids.astype(np.int64, copy=True)
    masked[to_mask] = mask_token_id
    masked[to_random] = ordinary[rng.integers(0, len(ordinary), int(to_random.sum()))]
    labels = np.where(chosen, ids, IGNORE_INDEX).astype(np.int64)
    return masked, labels


def nsp_pairs(
    documents: Sequence[Sequence[Sequence[int]]],
    max_tokens: int,
    rng: np.random.Generator,
    next_probability: float = 0.5,
) -> list[tuple[list[int], list[int], int]]:
    """(A, B, label) pairs from documents given as lists of tokenized sentences.

    A is one or more consecutive sentences (up to half of `max_tokens`); with probability
    `next_probability` B is the sentences that follow it (label 0), otherwise sentences
    starting at a random place in a different document (label 1), whose unused
    continuation of A is then reused for the next A, as in BERT's data generator. A and B
    are cut longest-first to `max_tokens` together."""
    docs = [[list(s) for s in d if len(s)] for d in documents]
    if sum(1 for d in docs if d) < 2:
        raise ValueError("nsp_pairs: random next sentences need at least two non-empty documents")
    if max_tokens < 2:
        raise ValueError(f"nsp_pairs: max_tokens must be at least 2, got {max_tokens}")
    others = [i for i, d in enumerate(docs) if d]
    position = {doc: k for k, doc in enumerate(others)}
    out: list[tuple[list[int], list[int], int]] = []
    for d, doc in enumerate(docs):
        i = 0
        while i < len(doc) - 1:
            a, j = list(doc[i]), i + 1
            while j < len(doc) - 1 and len(a) + len(doc[j]) <= max_tokens // 2:
                a += doc[j]
                j += 1
            if rng.random() < next_probability:
                label, source, k = IS_NEXT, doc, j
            else:
                k = int(rng.integers(len(others) - 1))  # any other document, uniformly
                r = others[k + (k >= position[d])]
                label, source, k = NOT_NEXT, docs[r], int(rng.integers(len(docs[r])))
            b: list[int] = []
            while k < len(source) and len(a) + len(b) < max_tokens:
                b += source[k]
                k += 1
            out.append((*truncate_pair(a, b, max_tokens), label))
            i = k if label == IS_NEXT else j
    return out


__all__ = [
    "IGNORE_INDEX",
    "IS_NEXT",
    "NOT_NEXT",
    "BertBatch",
    "build_pair",
    "encode_pair",
    "mask_tokens",
    "nsp_pairs",
    "pad_batch",
    "truncate_pair",
]

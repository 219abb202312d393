"""groundup.text: BERT-style pre-tokenization, WordPiece, BERT inputs and the shipped corpus.

>>> from groundup import text
>>> text.tokenize("Transformers are playing")          # vocabulary of the shipped corpus
>>> text.tokenize("playing", vocab=["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]",
...                                 "play", "##ing"])   # -> ['play', '##ing']
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

from groundup.text import vocab_cache
from groundup.text.bert_inputs import (
    IGNORE_INDEX,
    BertBatch,
    build_pair,
    encode_pair,
    mask_tokens,
    nsp_pairs,
    pad_batch,
    truncate_pair,
)
from groundup.text.corpus import Document, corpus_texts, held_out_questions, load_corpus
from groundup.text.pretokenize import normalize, pre_tokenize
from groundup.text.wordpiece import SPECIAL_TOKENS, WordPieceTokenizer
from groundup.text.wordpiece_trainer import train_wordpiece

DEFAULT_VOCAB_SIZE = 3000

Vocab = WordPieceTokenizer | str | Path | Sequence[str] | Mapping[str, int] | None


# lowercased, accents kept so Hangul stays whole
DEFAULT_OPTIONS: dict[str, Any] = {
    "lowercase": True,
    "strip_accents": False,
    "clean_text": True,
    "handle_chinese_chars": True,
}


@lru_cache(maxsize=4)
def default_tokenizer(vocab_size: int = DEFAULT_VOCAB_SIZE) -> WordPieceTokenizer:
    """A WordPiece vocabulary trained on the whole shipped corpus (question bank in both
    languages and groundup's docstrings); lowercased, accents kept so Hangul stays whole.
    Trained on first use (a few seconds), then read back from the disk cache of
    `groundup.text.vocab_cache` while the installed files stay the same, and kept for the
    process. A `vocab_size` the corpus cannot reach is a ValueError before training."""

    def texts() -> list[str]:
        return corpus_texts(load_corpus())

    def train(texts: list[str]) -> WordPieceTokenizer:
        return train_wordpiece(texts, vocab_size, strict=True, **DEFAULT_OPTIONS)

    return vocab_cache.cached(f"default-vocab-{vocab_size}", texts, train, DEFAULT_OPTIONS)


def get_tokenizer(vocab: Vocab = None, **options: Any) -> WordPieceTokenizer:
    """A tokenizer from `vocab`: None (the default vocabulary), a tokenizer, a `vocab.txt`
    path, a list of tokens or a `{token: id}` map. `options` (lowercase, strip_accents,
    ...) apply when a new tokenizer is built; lowercase with accents kept by default."""
    if vocab is None:
        return default_tokenizer()
    if isinstance(vocab, WordPieceTokenizer):
        return vocab
    options = {"lowercase": True, "strip_accents": False, **options}
    if isinstance(vocab, (str, Path)):
        return WordPieceTokenizer.from_file(vocab, **options)
    return WordPieceTokenizer(vocab, **options)


def tokenize(text: str, vocab: Vocab = None, **options: Any) -> list[str]:
    """WordPiece tokens of `text` (see `get_tokenizer` for `vocab` and `options`).
    Raises ValueError when the text tokenizes to nothing."""
    tokens = get_tokenizer(vocab, **options).tokenize(text)
    if not tokens:
        raise ValueError(
            f"tokenize: text {text[:40]!r} tokenizes to nothing (only whitespace or "
            "characters the normalizer removes); give at least one word"
        )
    return tokens


__all__ = [
    "DEFAULT_OPTIONS",
    "DEFAULT_VOCAB_SIZE",
    "IGNORE_INDEX",
    "SPECIAL_TOKENS",
    "BertBatch",
    "Document",
    "WordPieceTokenizer",
    "build_pair",
    "corpus_texts",
    "default_tokenizer",
    "encode_pair",
    "get_tokenizer",
    "held_out_questions",
    "load_corpus",
    "mask_tokens",
    "normalize",
    "nsp_pairs",
    "pad_batch",
    "pre_tokenize",
    "tokenize",
    "train_wordpiece",
    "truncate_pair",
]

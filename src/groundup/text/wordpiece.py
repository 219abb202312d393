"""WordPiece: a vocabulary trainer and a greedy longest-match-first tokenizer.

Tokenizing (`WordPieceTokenizer`): pre-tokenize the text into words (see `pretokenize`),
then split each word from the left, always taking the longest vocabulary entry that
matches; pieces after the first carry the `##` prefix ("playing" -> play ##ing). A word
that cannot be covered completely, or is longer than `max_input_chars_per_word`
characters, becomes a single `[UNK]`. This is Hugging Face `tokenizers`' `WordPiece`
model behind `BertNormalizer` + `BertPreTokenizer`, token for token.

The vocabulary is learned by `groundup.text.wordpiece_trainer.train_wordpiece`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from groundup.text.pretokenize import pre_tokenize

PAD, UNK, CLS, SEP, MASK = "[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"
SPECIAL_TOKENS: tuple[str, ...] = (PAD, UNK, CLS, SEP, MASK)
PREFIX = "##"


def _cleanup(piece: str) -> str:
    """`tokenizers`' decoder cleanup: no space before . ? ! , and English contractions."""
    for dirty, clean in (
        (" .", "."),
        (" ?", "?"),
        (" !", "!"),
        (" ,", ","),
        (" ' ", "'"),
        (" n't", "n't"),
        (" 'm", "'m"),
        (" do not", " don't"),
        (" 's", "'s"),
        (" 've", "'ve"),
        (" 're", "'re"),
    ):
        piece = piece.replace(dirty, clean)
    return piece


class WordPieceTokenizer:
    """Text <-> WordPiece tokens <-> ids for a fixed vocabulary (id = position in `vocab`).

    The vocabulary must contain `[PAD] [UNK] [CLS] [SEP] [MASK]`. The normalization
    options are `BertNormalizer`'s; `strip_accents=None` follows `lowercase`. Keep
    `strip_accents=False` for Korean: accent stripping decomposes Hangul into jamo.
    """

    def __init__(
        self,
        vocab: Sequence[str] | Mapping[str, int],
        *,
        lowercase: bool = True,
        strip_accents: bool | None = None,
        clean_text: bool = True,
        handle_chinese_chars: bool = True,
        max_input_chars_per_word: int = 100,
    ):
        tokens = _vocab_list(vocab)
        missing = [t for t in SPECIAL_TOKENS if t not in tokens]
        if missing:
            raise ValueError(
                f"WordPieceTokenizer: special token(s) {missing} not in the vocabulary of "
                f"{len(tokens)} tokens; expected all of {list(SPECIAL_TOKENS)}"
            )
        self.vocab: list[str] = tokens
        self.token_to_id_map: dict[str, int] = {t: i for i, t in enumerate(tokens)}
        self.options: dict[str, Any] = {
            "lowercase": lowercase,
            "strip_accents": strip_accents,
            "clean_text": clean_text,
            "handle_chinese_chars": handle_chinese_chars,
        }
        self.max_input_chars_per_word = max_input_chars_per_word
        self._longest = max(len(t) for t in tokens)
        self._cache: dict[str, list[str]] = {}
        ids = self.token_to_id_map
        self.pad_token_id, self.unk_token_id = ids[PAD], ids[UNK]
        self.cls_token_id, self.sep_token_id, self.mask_token_id = ids[CLS], ids[SEP], ids[MASK]
        self.special_ids = np.array(sorted(ids[t] for t in SPECIAL_TOKENS), dtype=np.int64)

    # ------------------------------------------------------------------ lookup
    def __len__(self) -> int:
        return len(self.vocab)

    @property
    def vocab_size(self) -> int:
        return len(self.vocab)

    def token_to_id(self, token: str) -> int:
        if token not in self.token_to_id_map:
            raise KeyError(f"WordPieceTokenizer: token {token!r} is not in the vocabulary")
        return self.token_to_id_map[token]

    def convert_tokens_to_ids(self, tokens: Iterable[str]) -> list[int]:
        return [self.token_to_id(t) for t in tokens]

    def convert_ids_to_tokens(self, ids: Iterable[int]) -> list[str]:
        out = []
        for i in ids:
            if not 0 <= int(i) < len(self.vocab):
                raise IndexError(
                    f"WordPieceTokenizer: id {int(i)} is outside the vocabulary "
                    f"(0 to {len(self.vocab) - 1})"
                )
            out.append(self.vocab[int(i)])
        return out

    # -------------------------------------------------------------- tokenizing
    def split_word(self, word: str) -> list[str]:
        """Greedy longest-match-first pieces of one pre-tokenized word, or `[UNK]`."""
        cached = self._cache.get(word)
        if cached is not None:
            return cached
        vocab = self.token_to_id_map
        pieces: list[str] = []
        if len(word) > self.max_input_chars_per_word:
            pieces = [UNK]
        elif word in vocab:
            pieces = [word]
        else:
            start = 0
            while start < len(word):
                # no entry is longer than self._longest characters, so start there
                end = min(len(word), start + self._longest)
                while end > start:
                    piece = word[start:end] if start == 0 else PREFIX + word[start:end]
                    if piece in vocab:
                        break
                    end -= 1
                if end == start:  # nothing matches here: the whole word is unknown
                    pieces = [UNK]
                    break
                pieces.append(piece)
                start = end
        self._cache[word] = pieces
        return pieces

    def words(self, text: str) -> list[str]:
        """The pre-tokenized words of `text` (normalized with this tokenizer's options)."""
        return pre_tokenize(text, **self.options)

    def tokenize(self, text: str) -> list[str]:
        """WordPiece tokens of `text` (no special tokens added)."""
        return [piece for word in self.words(text) for piece in self.split_word(word)]

    def encode(self, text: str, add_special_tokens: bool = False) -> list[int]:
        """Token ids of `text`; with `add_special_tokens`, wrapped as `[CLS] ... [SEP]`."""
        ids = [self.token_to_id_map[t] for t in self.tokenize(text)]
        if add_special_tokens:
            ids = [self.cls_token_id, *ids, self.sep_token_id]
        return ids

    def decode(
        self, ids: Iterable[int], skip_special_tokens: bool = True, cleanup: bool = True
    ) -> str:
        """Join tokens back into text: `##` pieces attach to the previous token, others are
        separated by a space (the `tokenizers` WordPiece decoder, cleanup included).
        Lowercasing and accent stripping cannot be undone."""
        tokens = self.convert_ids_to_tokens(ids)
        if skip_special_tokens:
            tokens = [t for t in tokens if t not in SPECIAL_TOKENS]
        parts = []
        for i, token in enumerate(tokens):
            if i > 0:
                token = token[len(PREFIX) :] if token.startswith(PREFIX) else " " + token
            parts.append(_cleanup(token) if cleanup else token)
        return "".join(parts)

    # ---------------------------------------------------------------- storage
    def save(self, path: str | Path) -> Path:
        """Write the vocabulary as `vocab.txt`: one token per line, line number = id."""
        path = Path(path)
        if path.is_dir():
            path = path / "vocab.txt"
        path.write_text("".join(t + "\n" for t in self.vocab), encoding="utf-8")
        return path

    @classmethod
    def from_file(cls, path: str | Path, **options: Any) -> WordPieceTokenizer:
        """Read a `vocab.txt` (one token per line, as BERT's and `save`'s)."""
        lines = Path(path).read_text(encoding="utf-8").split("\n")
        if lines and lines[-1] == "":
            lines.pop()
        return cls(lines, **options)

    def __repr__(self) -> str:
        opts = ", ".join(f"{k}={v}" for k, v in self.options.items())
        return f"WordPieceTokenizer(vocab_size={len(self.vocab)}, {opts})"


def _vocab_list(vocab: Sequence[str] | Mapping[str, int]) -> list[str]:
    """A token list from a list of tokens or a `{token: id}` map with ids 0..n-1."""
    if isinstance(vocab, Mapping):
        ids = sorted(vocab.values())
        if ids != list(range(len(ids))):
            raise ValueError("WordPieceTokenizer: vocabulary ids must be exactly 0 to n - 1")
        tokens = [""] * len(ids)
        for token, i in vocab.items():
            tokens[i] = token
    else:
        tokens = list(vocab)
    if len(set(tokens)) != len(tokens):
        dup = [t for t, n in Counter(tokens).items() if n > 1]
        raise ValueError(f"WordPieceTokenizer: duplicate vocabulary entries {dup[:5]}")
    if any(not isinstance(t, str) or not t for t in tokens):
        raise ValueError("WordPieceTokenizer: vocabulary entries must be non-empty strings")
    return tokens


__all__ = [
    "CLS",
    "MASK",
    "PAD",
    "PREFIX",
    "SEP",
    "SPECIAL_TOKENS",
    "UNK",
    "WordPieceTokenizer",
]

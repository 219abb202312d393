"""BERT's basic pre-tokenization: clean, split CJK ideographs, strip accents, lowercase,
then split on whitespace and punctuation.

The rules are those of Hugging Face `tokenizers`' `BertNormalizer` followed by
`BertPreTokenizer` (and of the original BERT `BasicTokenizer`), character for character:

1. clean: drop NUL, U+FFFD and control, format, private-use and surrogate characters
   (Unicode categories Cc, Cf, Co, Cs, except tab, newline and carriage return); turn
   every whitespace character into a plain space;
2. CJK: put spaces around each CJK *ideograph* (the CJK Unified Ideographs blocks), so
   Chinese characters become one word each. Korean Hangul and Japanese kana are other
   Unicode blocks and are NOT split: Korean is written with spaces between words;
3. strip accents: NFD-decompose and drop non-spacing marks (category Mn). NFD also
   decomposes every precomposed Hangul syllable into its jamo (`한` -> `ᄒ` `ᅡ` `ᆫ`), and
   they are not recomposed. That is what BERT does, but a vocabulary of Korean syllables
   then matches nothing, so for Korean text keep `strip_accents=False`;
4. lowercase, one character at a time (no final-sigma rule, as `tokenizers` does);
5. split on whitespace (dropped) and punctuation (each mark its own word): ASCII
   punctuation such as `$ + < = > ^ ` | ~` counts, as does every Unicode category P*.

`strip_accents=None` follows `lowercase`, as in `tokenizers`.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from functools import lru_cache

# Rust's `char::is_whitespace` (the Unicode White_Space property), which `tokenizers` uses.
WHITESPACE = frozenset(
    "\t\n\x0b\x0c\r \x85\xa0\u1680\u2028\u2029\u202f\u205f\u3000"
    + "".join(chr(c) for c in range(0x2000, 0x200B))
)

# The CJK Unified Ideographs blocks (and compatibility ideographs) that BERT splits.
_CJK_RANGES = (
    (0x4E00, 0x9FFF),
    (0x3400, 0x4DBF),
    (0x20000, 0x2A6DF),
    (0x2A700, 0x2B73F),
    (0x2B740, 0x2B81F),
    (0x2B920, 0x2CEAF),
    (0xF900, 0xFAFF),
    (0x2F800, 0x2FA1F),
)


def is_cjk_ideograph(char: str) -> bool:
    """True for a character of the CJK ideograph blocks (not Hangul, not kana)."""
    cp = ord(char)
    return any(lo <= cp <= hi for lo, hi in _CJK_RANGES)


@lru_cache(maxsize=65536)
def is_punctuation(char: str) -> bool:
    """ASCII punctuation (all non-alphanumeric printable ASCII) or Unicode category P*."""
    cp = ord(char)
    if 33 <= cp <= 47 or 58 <= cp <= 64 or 91 <= cp <= 96 or 123 <= cp <= 126:
        return True
    return unicodedata.category(char).startswith("P")


@lru_cache(maxsize=65536)
def _is_control(char: str) -> bool:
    """Categories Cc, Cf, Co, Cs, except the three whitespace controls. Unassigned code
    points (Cn) are kept, as `tokenizers` keeps them (the original BERT drops them)."""
    if char in "\t\n\r":
        return False
    return unicodedata.category(char) in ("Cc", "Cf", "Co", "Cs")


def _table(chars: set[str], rule: Callable[[str], str | None]) -> dict[int, str | None]:
    """A `str.translate` table applying `rule` to each of the distinct characters `chars`
    (characters the rule leaves alone are left out, so the table is often empty)."""
    table: dict[int, str | None] = {}
    for c in chars:
        out = rule(c)
        if out != c:
            table[ord(c)] = out
    return table


def _apply(text: str, rule: Callable[[str], str | None]) -> str:
    """`rule` applied to every character; the work per character stays in C."""
    table = _table(set(text), rule)
    return text.translate(table) if table else text


@lru_cache(maxsize=65536)
def _clean(c: str) -> str | None:
    if c in "\x00\ufffd" or _is_control(c):
        return None  # deleted
    return " " if c in WHITESPACE else c


@lru_cache(maxsize=65536)
def _space_cjk(c: str) -> str:
    return f" {c} " if is_cjk_ideograph(c) else c


@lru_cache(maxsize=65536)
def _drop_mark(c: str) -> str | None:
    return None if unicodedata.category(c) == "Mn" else c


def _lower(c: str) -> str:
    return c.lower()


def normalize(
    text: str,
    *,
    lowercase: bool = True,
    strip_accents: bool | None = None,
    clean_text: bool = True,
    handle_chinese_chars: bool = True,
) -> str:
    """Steps 1-4 of the module docstring, in that order (the order of `BertNormalizer`)."""
    if not isinstance(text, str):
        raise TypeError(f"normalize: expected a str, got {type(text).__name__}")
    if strip_accents is None:
        strip_accents = lowercase
    if clean_text:
        text = _apply(text, _clean)
    if handle_chinese_chars:
        text = _apply(text, _space_cjk)
    if strip_accents:
        text = _apply(unicodedata.normalize("NFD", text), _drop_mark)
    if lowercase:
        # str.lower() differs from lowering one character at a time only by the final-sigma
        # rule, which tokenizers does not apply.
        text = text.lower() if "\u03a3" not in text else _apply(text, _lower)
    return text


def split_words(text: str) -> list[str]:
    """Step 5: whitespace separates words and is dropped; each punctuation mark is a word."""
    chars = set(text)
    spaces = "".join(sorted(c for c in chars if c in WHITESPACE))
    marks = "".join(sorted(c for c in chars if c not in WHITESPACE and is_punctuation(c)))
    if not spaces and not marks:
        return [text] if text else []
    # re.split keeps the captured marks and drops the whitespace runs: "a, b" -> a , b
    alternatives = [f"[{re.escape(spaces)}]+"] if spaces else []
    alternatives += [f"([{re.escape(marks)}])"] if marks else []
    return [w for w in re.split("|".join(alternatives), text) if w]


def pre_tokenize(
    text: str,
    *,
    lowercase: bool = True,
    strip_accents: bool | None = None,
    clean_text: bool = True,
    handle_chinese_chars: bool = True,
) -> list[str]:
    """The words WordPiece will split: `split_words(normalize(text, ...))`."""
    return split_words(
        normalize(
            text,
            lowercase=lowercase,
            strip_accents=strip_accents,
            clean_text=clean_text,
            handle_chinese_chars=handle_chinese_chars,
        )
    )


__all__ = [
    "WHITESPACE",
    "is_cjk_ideograph",
    "is_punctuation",
    "normalize",
    "pre_tokenize",
    "split_words",
]

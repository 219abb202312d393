"""Toy sequence-to-sequence tasks, generated from a seed (nothing is downloaded), and the
character `Vocabulary` that turns their strings into integer ids.

    addition()   "16+75"              -> "91"          (Deep Learning from Scratch 2's data)
    dates()      "september 27, 1994" -> "1994-09-27"  (human-written formats to ISO 8601)
    reversal()   "abcd"               -> "dcba"        (adjustable lengths)
    copying()    "abcd"               -> "abcd"

Every task returns a `SequenceData`: integer arrays `x` (N, S) of source ids, padded on the
right, and `y` (N, 1 + T) of target ids that start with the start token `_` (the decoder's
first input; `y[:, :-1]` is what a teacher-forced decoder reads and `y[:, 1:]` what it
must predict), plus the vocabulary. Addition and dates keep the book's fixed-width
layout with no end token (a 7-character question and a 5-character answer for addition);
reversal and copying end each target with the end token `.`.
"""

from __future__ import annotations

import datetime
import functools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from groundup.data.datasets.split_data import SplitData
from groundup.tensor import Tensor

PAD, START, END = " ", "_", "."


class Vocabulary:
    """Characters <-> ids: id 0 is the padding token, then the start and end tokens (when
    given), then the sorted symbols. Every token is one character."""

    def __init__(
        self,
        symbols: Iterable[str],
        pad: str = PAD,
        start: str = START,
        end: str | None = None,
    ):
        specials = [t for t in (pad, start, end) if t is not None]
        for t in [*specials, *symbols]:
            if not isinstance(t, str) or len(t) != 1:
                raise ValueError(f"Vocabulary: every token must be one character, got {t!r}")
        if len(set(specials)) != len(specials):
            raise ValueError(f"Vocabulary: pad, start and end must differ, got {specials}")
        self.pad, self.start, self.end = pad, start, end
        self.tokens: list[str] = specials + sorted(set(symbols) - set(specials))
        self._ids = {t: i for i, t in enumerate(self.tokens)}
        self.pad_id, self.start_id = self._ids[pad], self._ids[start]
        self.end_id = None if end is None else self._ids[end]

    def __len__(self) -> int:
        return len(self.tokens)

    def __contains__(self, token: object) -> bool:
        return token in self._ids

    def __repr__(self) -> str:
        return f"Vocabulary({len(self)} tokens: {''.join(self.tokens)!r})"

    def _unknown(self, text: str) -> ValueError:
        bad = sorted({ch for ch in text if ch not in self._ids})
        return ValueError(
            f"Vocabulary: {', '.join(map(repr, bad))} in {text!r} "
            f"{'is' if len(bad) == 1 else 'are'} not in the vocabulary; its {len(self)} "
            f"tokens are {''.join(self.tokens)!r}"
        )

    def encode(
        self, text: str, length: int | None = None, start: bool = False, end: bool = False
    ) -> np.ndarray:
        """Ids of `text` (int64), with the start/end tokens if asked, padded on the right
        to `length`. A character outside the vocabulary raises ValueError naming it."""
        if any(ch not in self._ids for ch in text):
            raise self._unknown(text)
        ids = [self._ids[ch] for ch in text]
        if start:
            ids.insert(0, self.start_id)
        if end:
            if self.end_id is None:
                raise ValueError("Vocabulary.encode: end=True but this vocabulary has no end token")
            ids.append(self.end_id)
        if length is not None:
            if len(ids) > length:
                raise ValueError(
                    f"Vocabulary.encode: {text!r} needs {len(ids)} ids, more than length={length}"
                )
            ids += [self.pad_id] * (length - len(ids))
        return np.array(ids, dtype=np.int64)

    def encode_batch(
        self, texts: Sequence[str], length: int, start: bool = False, end: bool = False
    ) -> np.ndarray:
        """(len(texts), length) int64 array of padded ids."""
        out = np.full((len(texts), length), self.pad_id, dtype=np.int64)
        for i, text in enumerate(texts):
            out[i] = self.encode(text, length, start, end)
        return out

    def decode(self, ids: Any) -> str:
        """The text of `ids`: a leading start token is dropped, decoding stops at the end
        token, and trailing padding is stripped."""
        ids = np.asarray(ids._data if isinstance(ids, Tensor) else ids).reshape(-1)
        bad = ids[(ids < 0) | (ids >= len(self))]
        if bad.size:
            raise ValueError(
                f"Vocabulary.decode: id {bad[0]} is out of range for {len(self)} tokens "
                f"(valid ids 0 to {len(self) - 1})"
            )
        chars = [self.tokens[i] for i in ids.tolist()]
        if chars and chars[0] == self.start:
            chars = chars[1:]
        if self.end is not None and self.end in chars:
            chars = chars[: chars.index(self.end)]
        return "".join(chars).rstrip(self.pad)

    def decode_batch(self, ids: Any) -> list[str]:
        return [
            self.decode(row) for row in np.asarray(ids._data if isinstance(ids, Tensor) else ids)
        ]


@dataclass(frozen=True, repr=False)
class SequenceData(SplitData):
    """A split sequence task: `x_*` (N, S) and `y_*` (N, 1 + T) int64 ids, and the
    vocabulary that decodes them. `num_classes` is the vocabulary size."""

    vocab: Vocabulary | None = None

    def __repr__(self) -> str:
        return (
            f"SequenceData({self.name!r}: train x {self.x_train.shape} y {self.y_train.shape}, "
            f"test x {self.x_test.shape} y {self.y_test.shape}, {self.vocab})"
        )

    def sources(self, split: str = "test") -> list[str]:
        assert self.vocab is not None
        return self.vocab.decode_batch(self.x_test if split == "test" else self.x_train)

    def targets(self, split: str = "test") -> list[str]:
        assert self.vocab is not None
        return self.vocab.decode_batch(self.y_test if split == "test" else self.y_train)


def _split(
    name: str,
    sources: list[str],
    targets: list[str],
    vocab: Vocabulary,
    source_length: int,
    target_length: int,
    test_size: int,
    end: bool = False,
    extras: dict[str, Any] | None = None,
) -> SequenceData:
    """Encode, then keep the last `test_size` examples (already in random order) for testing."""
    x = vocab.encode_batch(sources, source_length)
    y = vocab.encode_batch(targets, target_length, start=True, end=end)
    if not 0 < test_size < len(x):
        raise ValueError(f"{name}: test_size must be in (0, {len(x)}), got {test_size}")
    cut = len(x) - test_size
    return SequenceData(
        name=name,
        x_train=x[:cut],
        y_train=y[:cut],
        x_test=x[cut:],
        y_test=y[cut:],
        num_classes=len(vocab),
        extras=dict(extras or {}),
        vocab=vocab,
    )


# ----------------------------------------------------------------------- addition
@functools.cache
def _addition_pairs(n: int, digits: int, seed: int) -> tuple[tuple[int, int], ...]:
    """`n` distinct unordered pairs (a, b); each operand has 1..digits random digits, as
    in the Keras addition example that generated the book's data (so "0+865" occurs)."""
    rng = np.random.default_rng(seed)
    seen: set[tuple[int, int]] = set()
    pairs: list[tuple[int, int]] = []
    while len(pairs) < n:
        widths = rng.integers(1, digits + 1, size=(2 * n, 2))  # how many digits, 1..digits
        values = rng.integers(0, 10**widths)  # a random string of w digits = U{0, 10^w - 1}
        for a, b in values.tolist():
            key = (min(a, b), max(a, b))  # "16+75" and "75+16" count as one question
            if key not in seen:
                seen.add(key)
                pairs.append((a, b))
                if len(pairs) == n:
                    break
    return tuple(pairs)


def addition(
    n: int = 50_000, digits: int = 3, test_size: int | None = None, seed: int = 1984
) -> SequenceData:
    """ "16+75" -> "91": 50,000 distinct questions, 45,000 train / 5,000 test by default.

    Sources are `2 * digits + 1` characters ("16+75  "), targets the start token and
    `digits + 1` characters ("_91  "), padded with spaces: the layout of Deep Learning
    from Scratch 2's `addition.txt` (13 tokens). There is no end token: a decoder
    generates the `digits + 1` characters, trailing spaces included.
    """
    if digits < 1:
        raise ValueError(f"addition: digits must be at least 1, got {digits}")
    pairs = _addition_pairs(n, digits, seed)
    vocab = Vocabulary("0123456789+")
    sources = [f"{a}+{b}" for a, b in pairs]
    targets = [str(a + b) for a, b in pairs]
    test = n // 10 if test_size is None else test_size
    return _split("addition", sources, targets, vocab, 2 * digits + 1, digits + 2, test)


# -------------------------------------------------------------------------- dates
_MONTHS = [
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
]  # fmt: skip
_DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
DATE_FORMATS = ("short", "medium", "long", "full")
EXTRA_DATE_FORMATS = ("day-month", "day-mon", "slashed-iso", "dotted", "us-long")


def format_date(day: datetime.date, style: str) -> str:
    """One human-written form of `day`: short "9/27/94", medium "Sep 27, 1994", long
    "September 27, 1994", full "Tuesday, September 27, 1994" (the book's four), and the
    extra day-month "27 September 1994", day-mon "27 Sep 1994", slashed-iso "1994/09/27",
    dotted "27.09.1994", us-long "09/27/1994"."""
    month = _MONTHS[day.month - 1]
    forms = {
        "short": f"{day.month}/{day.day}/{day.year % 100:02d}",
        "medium": f"{month[:3]} {day.day}, {day.year}",
        "long": f"{month} {day.day}, {day.year}",
        "full": f"{_DAYS[day.weekday()]}, {month} {day.day}, {day.year}",
        "day-month": f"{day.day} {month} {day.year}",
        "day-mon": f"{day.day} {month[:3]} {day.year}",
        "slashed-iso": f"{day.year}/{day.month:02d}/{day.day:02d}",
        "dotted": f"{day.day:02d}.{day.month:02d}.{day.year}",
        "us-long": f"{day.month:02d}/{day.day:02d}/{day.year}",
    }
    if style not in forms:
        raise ValueError(f"format_date: unknown style {style!r}; choose from {sorted(forms)}")
    return forms[style]


@functools.cache
def _date_texts(
    n: int, seed: int, styles: tuple[str, ...]
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    rng = np.random.default_rng(seed)
    first, last = datetime.date(1970, 1, 1).toordinal(), datetime.date(2017, 12, 31).toordinal()
    days = rng.integers(first, last + 1, size=n)
    style_idx = rng.integers(0, len(styles), size=n)
    cases = rng.integers(0, 3, size=n)  # as written, lower case, upper case
    sources, targets = [], []
    for d, s, c in zip(days.tolist(), style_idx.tolist(), cases.tolist(), strict=True):
        day = datetime.date.fromordinal(d)
        text = format_date(day, styles[s])
        sources.append((text, text.lower(), text.upper())[c])
        targets.append(day.isoformat())
    return tuple(sources), tuple(targets)


def dates(
    n: int = 50_000, test_size: int | None = None, seed: int = 1984, extra_formats: bool = False
) -> SequenceData:
    """Human-written dates from 1970-2017 -> ISO 8601 "YYYY-MM-DD".

    By default the book's four styles (short, medium, long, full; see `format_date`) in
    title, lower or upper case, sources padded to 29 characters and targets of 11
    ("_1994-09-27"). `extra_formats=True` adds five more styles (day-first, dotted,
    year-first, zero-padded US).
    """
    styles = DATE_FORMATS + (EXTRA_DATE_FORMATS if extra_formats else ())
    sources, targets = _date_texts(n, seed, styles)
    names = "".join(_MONTHS + _DAYS)
    vocab = Vocabulary(set(names + names.lower() + names.upper() + "0123456789,/.-"))
    test = n // 10 if test_size is None else test_size
    return _split("dates", list(sources), list(targets), vocab, 29, 11, test)


# ----------------------------------------------------------- reversal and copying
def _strings(
    task: str, n: int, min_length: int, max_length: int, symbols: str, test_size: int, seed: int
) -> SequenceData:
    if not 1 <= min_length <= max_length:
        raise ValueError(
            f"{task}: need 1 <= min_length <= max_length, got {min_length} and {max_length}"
        )
    if not symbols or any(ch in (PAD, START, END) for ch in symbols):
        raise ValueError(f"{task}: symbols {symbols!r} must be non-empty and avoid ' ', '_', '.'")
    rng = np.random.default_rng(seed)
    lengths = rng.integers(min_length, max_length + 1, size=n)
    chars = np.array(list(symbols))[rng.integers(0, len(symbols), size=(n, max_length))]
    sources = ["".join(row[:k]) for row, k in zip(chars.tolist(), lengths.tolist(), strict=True)]
    targets = [s[::-1] for s in sources] if task == "reversal" else list(sources)
    vocab = Vocabulary(symbols, end=END)
    cut = n - test_size
    extras = {"lengths_train": lengths[:cut], "lengths_test": lengths[cut:]}
    length = max_length + 2  # start + string + end
    return _split(task, sources, targets, vocab, max_length, length, test_size, True, extras)


def reversal(
    n: int = 10_000,
    min_length: int = 1,
    max_length: int = 8,
    symbols: str = "abcdefghij",
    test_size: int = 1_000,
    seed: int = 0,
) -> SequenceData:
    """Random strings -> the same strings backwards ("abcd" -> "dcba"), each target ended
    by the end token; `extras['lengths_test']` holds every test string's length."""
    return _strings("reversal", n, min_length, max_length, symbols, test_size, seed)


def copying(
    n: int = 10_000,
    min_length: int = 1,
    max_length: int = 8,
    symbols: str = "abcdefghij",
    test_size: int = 1_000,
    seed: int = 0,
) -> SequenceData:
    """Random strings -> themselves ("abcd" -> "abcd"), targets ended by the end token."""
    return _strings("copying", n, min_length, max_length, symbols, test_size, seed)

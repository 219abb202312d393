"""The generated sequence tasks and the character vocabulary."""

from __future__ import annotations

import datetime
from collections import Counter

import numpy as np
import pytest

from groundup.data.datasets import sequences
from groundup.data.datasets.sequences import Vocabulary, addition, copying, dates, reversal


# ------------------------------------------------------------------------ vocabulary
def test_vocabulary_round_trip_and_special_tokens():
    vocab = Vocabulary("0123456789+", end=".")
    assert len(vocab) == 14 and vocab.pad_id == 0 and vocab.start_id == 1 and vocab.end_id == 2
    ids = vocab.encode("16+75", length=8, start=True, end=True)
    assert ids.dtype == np.int64 and ids.shape == (8,)
    assert ids[0] == vocab.start_id and ids[6] == vocab.end_id and ids[7] == vocab.pad_id
    assert vocab.decode(ids) == "16+75"
    assert vocab.decode(vocab.encode("91", 4)) == "91"  # trailing padding stripped
    batch = vocab.encode_batch(["1", "22", "333"], length=4)
    assert batch.shape == (3, 4) and vocab.decode_batch(batch) == ["1", "22", "333"]
    assert "+" in vocab and "x" not in vocab


def test_vocabulary_errors_name_the_tokens():
    vocab = Vocabulary("0123456789+")
    with pytest.raises(
        ValueError, match=r"'x' in '12x\+3' is not in the vocabulary; its 13 tokens are"
    ):
        vocab.encode("12x+3")
    with pytest.raises(ValueError, match=r"'a', 'b' in 'ab' are not in the vocabulary"):
        vocab.encode("ab")
    with pytest.raises(ValueError, match="needs 6 ids, more than length=5"):
        vocab.encode("12+34", length=5, start=True)
    with pytest.raises(ValueError, match="has no end token"):
        vocab.encode("1", end=True)
    with pytest.raises(ValueError, match="id 13 is out of range for 13 tokens"):
        vocab.decode([3, 13])
    with pytest.raises(ValueError, match="must differ"):
        Vocabulary("ab", pad="_", start="_")
    with pytest.raises(ValueError, match="one character"):
        Vocabulary(["ab"])


# -------------------------------------------------------------------------- addition
def test_addition_matches_the_books_layout():
    data = addition()
    assert data.x_train.shape == (45_000, 7) and data.y_train.shape == (45_000, 5)
    assert data.x_test.shape == (5_000, 7) and data.y_test.shape == (5_000, 5)
    assert len(data.vocab) == 13 and data.num_classes == 13
    assert np.all(data.y_train[:, 0] == data.vocab.start_id)
    questions, answers = (
        data.sources("train") + data.sources(),
        data.targets("train") + data.targets(),
    )
    for q, a in zip(questions, answers, strict=True):
        left, right = q.split("+")
        assert int(left) + int(right) == int(a) and max(len(left), len(right)) <= 3
    pairs = {tuple(sorted(map(int, q.split("+")))) for q in questions}
    assert len(pairs) == 50_000  # distinct questions ("a+b" and "b+a" count once)
    widths = Counter(len(q.split("+")[0]) for q in questions)
    assert set(widths) == {1, 2, 3} and widths[3] > widths[2] > widths[1]
    raw = data.vocab.decode(data.x_train[0])
    assert data.vocab.encode(raw, 7).tolist() == data.x_train[0].tolist()  # right-padded


def test_addition_is_seeded():
    a, b, c = addition(n=2000, seed=1), addition(n=2000, seed=1), addition(n=2000, seed=2)
    np.testing.assert_array_equal(a.x_train, b.x_train)
    assert not np.array_equal(a.x_train, c.x_train)
    assert addition(n=1000, digits=2).x_train.shape == (900, 5)


# ----------------------------------------------------------------------------- dates
_PARSE = {
    "short": "%m/%d/%y",
    "medium": "%b %d, %Y",
    "long": "%B %d, %Y",
    "full": "%A, %B %d, %Y",
    "day-month": "%d %B %Y",
    "day-mon": "%d %b %Y",
    "slashed-iso": "%Y/%m/%d",
    "dotted": "%d.%m.%Y",
    "us-long": "%m/%d/%Y",
}


def _parse(text: str) -> datetime.date:
    for fmt in _PARSE.values():
        try:
            return datetime.datetime.strptime(text.title(), fmt).date()
        except ValueError:
            continue
    raise AssertionError(f"unparsable date {text!r}")


@pytest.mark.parametrize("extra", [False, True])
def test_dates_targets_are_the_iso_form_of_the_sources(extra):
    data = dates(n=3000, extra_formats=extra)
    assert data.x_train.shape == (2700, 29) and data.y_train.shape == (2700, 11)
    sources, targets = data.sources("train"), data.targets("train")
    assert max(map(len, sources)) <= 29
    for source, target in zip(sources, targets, strict=True):
        assert _parse(source).isoformat() == target
        assert 1970 <= int(target[:4]) <= 2017
    worded = [s for s in sources if any(ch.isalpha() for ch in s)]
    cases = Counter("lower" if s.islower() else "upper" if s.isupper() else "title" for s in worded)
    assert min(cases.values()) > len(worded) / 4  # as written, in lower case, in upper case
    assert len({len(s) for s in sources}) > 10


def test_every_date_style_formats_and_fits():
    day = datetime.date(2004, 9, 22)  # a Wednesday in September: the longest full form
    for style in sequences.DATE_FORMATS + sequences.EXTRA_DATE_FORMATS:
        text = sequences.format_date(day, style)
        assert len(text) <= 29 and _parse(text) == day
    assert sequences.format_date(day, "full") == "Wednesday, September 22, 2004"
    assert sequences.format_date(datetime.date(1994, 9, 27), "short") == "9/27/94"
    with pytest.raises(ValueError, match="unknown style 'iso'"):
        sequences.format_date(day, "iso")


# ------------------------------------------------------------------- reversal, copying
def test_reversal_and_copying():
    rev = reversal(n=500, min_length=2, max_length=6, test_size=100)
    cop = copying(n=500, min_length=2, max_length=6, test_size=100)
    assert rev.x_train.shape == (400, 6) and rev.y_train.shape == (400, 8)
    for src, tgt in zip(rev.sources("train"), rev.targets("train"), strict=True):
        assert tgt == src[::-1] and 2 <= len(src) <= 6
    assert cop.sources() == cop.targets()
    lengths = rev.extras["lengths_test"]
    assert lengths.shape == (100,) and [len(s) for s in rev.sources()] == lengths.tolist()
    row = rev.y_test[0]  # start, reversed string, end, padding
    assert row[0] == rev.vocab.start_id and row[lengths[0] + 1] == rev.vocab.end_id
    assert np.all(row[lengths[0] + 2 :] == rev.vocab.pad_id)
    with pytest.raises(ValueError, match="need 1 <= min_length <= max_length"):
        reversal(min_length=5, max_length=3)
    with pytest.raises(ValueError, match="must be non-empty and avoid"):
        copying(symbols="ab_")

"""BERT inputs: pair layout, segments, padding, truncation, MLM 15% 80/10/10, NSP 50/50."""

from __future__ import annotations

import numpy as np
import pytest

from groundup.text.bert_inputs import (
    IGNORE_INDEX,
    IS_NEXT,
    NOT_NEXT,
    build_pair,
    encode_pair,
    mask_tokens,
    nsp_pairs,
    pad_batch,
    truncate_pair,
)
from groundup.text.wordpiece import SPECIAL_TOKENS, WordPieceTokenizer

WORDS = ["the", "cat", "sat", "on", "mat", "고양이", "##가", "앉았다", "##s", "."]


@pytest.fixture(scope="module")
def tok() -> WordPieceTokenizer:
    return WordPieceTokenizer([*SPECIAL_TOKENS, *WORDS], strip_accents=False)


def test_pair_layout_segments_and_padding(tok: WordPieceTokenizer) -> None:
    ids, segments = encode_pair(tok, "The cats sat.", "고양이가 앉았다")
    assert tok.convert_ids_to_tokens(ids) == [
        "[CLS]", "the", "cat", "##s", "sat", ".", "[SEP]", "고양이", "##가", "앉았다", "[SEP]",
    ]  # fmt: skip
    assert segments == [0] * 7 + [1] * 4
    single, seg1 = encode_pair(tok, "the mat")
    assert tok.convert_ids_to_tokens(single) == ["[CLS]", "the", "mat", "[SEP]"]
    assert seg1 == [0, 0, 0, 0]
    batch = pad_batch([(ids, segments), (single, seg1)], tok.pad_token_id)
    assert batch.input_ids.shape == batch.token_type_ids.shape == (2, 11)
    assert batch.input_ids.dtype == np.int64
    assert batch.attention_mask.tolist() == [[1] * 11, [1] * 4 + [0] * 7]
    assert (batch.input_ids[1, 4:] == tok.pad_token_id).all()
    assert (batch.token_type_ids[1, 4:] == 0).all()


def test_truncation_is_longest_first_from_the_end() -> None:
    a, b = truncate_pair(range(10), range(100, 104), 8)
    assert a == [0, 1, 2, 3] and b == [100, 101, 102, 103]  # A cut until as long as B
    a, b = truncate_pair(range(5), range(100, 105), 7)
    assert a == [0, 1, 2, 3] and b == [100, 101, 102]  # ties cut B first
    a, b = truncate_pair([1, 2, 3], None, 2)
    assert a == [1, 2] and b == []


def test_build_pair_fits_max_length(tok: WordPieceTokenizer) -> None:
    ids, segments = build_pair(list(range(5, 25)), list(range(5, 15)), tok, max_length=16)
    assert len(ids) == len(segments) == 16
    assert ids.count(tok.sep_token_id) == 2 and segments.count(1) == 7  # 6 of B + [SEP]
    ids, _ = build_pair(list(range(5, 25)), None, tok, max_length=8)
    assert len(ids) == 8 and ids[-1] == tok.sep_token_id


def test_mask_statistics_are_15_percent_and_80_10_10() -> None:
    rng = np.random.default_rng(0)
    vocab, special = 1000, [0, 1, 2, 3, 4]
    ids = rng.integers(5, vocab, size=(400, 128))
    ids[:, 0], ids[:, 60], ids[:, 100:] = 2, 3, 0  # [CLS], [SEP] and padding
    before = ids.copy()
    masked, labels = mask_tokens(
        ids, vocab_size=vocab, mask_token_id=4, special_ids=special, rng=rng
    )
    assert np.array_equal(ids, before)  # the input is not modified
    chosen = labels != IGNORE_INDEX
    ordinary = ~np.isin(ids, special)
    assert not chosen[~ordinary].any()  # never [CLS], [SEP] or padding
    assert np.array_equal(labels[chosen], ids[chosen])  # labels are the original tokens
    assert np.array_equal(masked[~chosen], ids[~chosen])  # unchosen positions unchanged
    rate = chosen.sum() / ordinary.sum()
    n = chosen.sum()  # about 5,900 chosen tokens: a standard error of 0.5% on 80%
    to_mask = (masked[chosen] == 4).mean()
    replaced = ((masked[chosen] != 4) & (masked[chosen] != ids[chosen])).mean()
    kept = (masked[chosen] == ids[chosen]).mean()
    assert abs(rate - 0.15) < 0.01, rate
    assert abs(to_mask - 0.8) < 4 * np.sqrt(0.8 * 0.2 / n)
    assert abs(replaced - 0.1) < 4 * np.sqrt(0.1 * 0.9 / n)
    assert abs(kept - 0.1) < 4 * np.sqrt(0.1 * 0.9 / n)
    assert not np.isin(masked[chosen & (masked != 4)], special).any()  # random tokens: ordinary


def test_masking_follows_the_generator_and_its_options() -> None:
    ids = np.arange(5, 505).reshape(5, 100)
    kw = {"vocab_size": 600, "mask_token_id": 4, "special_ids": [0, 1, 2, 3, 4]}
    a = mask_tokens(ids, rng=np.random.default_rng(3), **kw)
    b = mask_tokens(ids, rng=np.random.default_rng(3), **kw)
    assert all(np.array_equal(x, y) for x, y in zip(a, b, strict=True))
    masked, labels = mask_tokens(ids, rng=np.random.default_rng(3), mlm_probability=1.0, **kw)
    assert (labels == ids).all() and 0.7 < (masked == 4).mean() < 0.9
    masked, labels = mask_tokens(ids, rng=np.random.default_rng(3), mlm_probability=0.0, **kw)
    assert (labels == IGNORE_INDEX).all() and np.array_equal(masked, ids)


def test_nsp_pairs_are_half_true_half_random() -> None:
    rng = np.random.default_rng(0)
    # document d, sentence s holds the tokens [1000 d + s] * 3: the source is recoverable
    docs = [[[1000 * d + s] * 3 for s in range(6)] for d in range(40)]
    pairs = nsp_pairs(docs, max_tokens=12, rng=rng)
    labels = np.array([label for _, _, label in pairs])
    assert abs((labels == IS_NEXT).mean() - 0.5) < 4 * np.sqrt(0.25 / len(pairs))
    for a, b, label in pairs:
        assert 2 <= len(a) + len(b) <= 12
        doc_a, doc_b = a[-1] // 1000, b[0] // 1000
        if label == IS_NEXT:  # B starts with the sentence right after A's last one
            assert doc_a == doc_b and b[0] == a[-1] + 1
        else:
            assert doc_a != doc_b  # always from another document


def test_nsp_a_is_whole_sentences_up_to_half_the_budget() -> None:
    docs = [[[1, 1], [2, 2], [3, 3], [4, 4]], [[9]]]
    pairs = nsp_pairs(docs, max_tokens=8, rng=np.random.default_rng(1), next_probability=1.0)
    assert pairs[0] == ([1, 1, 2, 2], [3, 3, 4, 4], IS_NEXT)
    pairs = nsp_pairs(docs, max_tokens=8, rng=np.random.default_rng(1), next_probability=0.0)
    assert all(label == NOT_NEXT and b == [9] for _, b, label in pairs)


def test_errors_name_what_was_expected(tok: WordPieceTokenizer) -> None:
    with pytest.raises(ValueError, match="tokenizes to nothing"):
        encode_pair(tok, "the cat", " \u200b ")
    with pytest.raises(ValueError, match="tokenizes to nothing"):
        encode_pair(tok, "")
    with pytest.raises(ValueError, match="no room"):
        truncate_pair([1], [2], 1)
    with pytest.raises(ValueError, match="sentence A has no tokens"):
        build_pair([], [5], tok, 8)
    with pytest.raises(ValueError, match="mask_token_id 700 is outside the vocabulary of 600"):
        mask_tokens(np.ones((2, 3), np.int64), vocab_size=600, mask_token_id=700,
                    special_ids=[0], rng=np.random.default_rng(0))  # fmt: skip
    with pytest.raises(ValueError, match=r"input ids must lie in \[0, 10\)"):
        mask_tokens(np.full((2, 3), 12), vocab_size=10, mask_token_id=4,
                    special_ids=[0], rng=np.random.default_rng(0))  # fmt: skip
    with pytest.raises(TypeError, match="must be integers"):
        mask_tokens(np.ones((2, 3)), vocab_size=10, mask_token_id=4,
                    special_ids=[0], rng=np.random.default_rng(0))  # fmt: skip
    with pytest.raises(ValueError, match="at least two non-empty documents"):
        nsp_pairs([[[1], [2]]], 8, np.random.default_rng(0))
    with pytest.raises(ValueError, match="no sequences"):
        pad_batch([], 0)


def test_truncation_equals_removing_one_token_at_a_time() -> None:
    rng = np.random.default_rng(0)
    for _ in range(300):
        la, lb, limit = rng.integers(0, 30), rng.integers(0, 30), rng.integers(2, 40)
        a, b = list(range(la)), list(range(100, 100 + lb))
        ref_a, ref_b = list(a), list(b)
        while len(ref_a) + len(ref_b) > limit:  # BERT's truncate_seq_pair
            (ref_a if len(ref_a) > len(ref_b) else ref_b).pop()
        assert truncate_pair(a, b, int(limit)) == (ref_a, ref_b)

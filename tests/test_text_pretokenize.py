"""BERT pre-tokenization equals Hugging Face `tokenizers`' BertNormalizer + BertPreTokenizer."""

from __future__ import annotations

import random
import unicodedata

import pytest
from tokenizers import normalizers, pre_tokenizers

from groundup.text.corpus import corpus_texts, load_corpus
from groundup.text.pretokenize import is_cjk_ideograph, normalize, pre_tokenize, split_words

OPTIONS = [(True, None), (True, False), (True, True), (False, None), (False, True)]


def hf_words(text: str, lowercase: bool, strip_accents: bool | None) -> list[str]:
    norm = normalizers.BertNormalizer(
        clean_text=True,
        handle_chinese_chars=True,
        strip_accents=strip_accents,
        lowercase=lowercase,
    )
    pre = pre_tokenizers.BertPreTokenizer()
    return [w for w, _ in pre.pre_tokenize_str(norm.normalize_str(text))]


def random_texts(n: int, seed: int = 0) -> list[str]:
    """Strings over Latin, accents, symbols, spaces, controls, CJK, kana and Hangul."""
    code_points = [
        *range(0, 0x250),
        *range(0x300, 0x310),  # combining accents
        *range(0x2000, 0x2070),  # spaces, dashes, quotes
        *range(0x3000, 0x3100),  # CJK punctuation and kana
        *range(0xAC00, 0xAC40),  # Hangul syllables
        *range(0x1100, 0x1110),  # Hangul jamo
        *range(0x4E00, 0x4E20),  # CJK ideographs
        0xFFFD,
        0xFEFF,
        0x200B,
        0x1F600,
        0x20000,
    ]
    rng = random.Random(seed)
    return [
        "".join(chr(rng.choice(code_points)) for _ in range(rng.randint(1, 40))) for _ in range(n)
    ]


@pytest.mark.parametrize(("lowercase", "strip_accents"), OPTIONS)
def test_random_unicode_splits_like_tokenizers(lowercase: bool, strip_accents: bool | None) -> None:
    for text in random_texts(400, seed=OPTIONS.index((lowercase, strip_accents))):
        assert pre_tokenize(text, lowercase=lowercase, strip_accents=strip_accents) == hf_words(
            text, lowercase, strip_accents
        ), repr(text)


@pytest.mark.parametrize(("lowercase", "strip_accents"), [(True, False), (True, None)])
def test_question_bank_splits_like_tokenizers(lowercase: bool, strip_accents: bool | None) -> None:
    texts = corpus_texts(load_corpus(("bank",)))
    for text in texts[::7]:
        assert pre_tokenize(text, lowercase=lowercase, strip_accents=strip_accents) == hf_words(
            text, lowercase, strip_accents
        )


def test_hangul_is_not_split_per_character_but_cjk_ideographs_are() -> None:
    text = "트랜스포머는 漢字를 쓴다"
    assert pre_tokenize(text, strip_accents=False) == ["트랜스포머는", "漢", "字", "를", "쓴다"]
    assert hf_words(text, True, False) == ["트랜스포머는", "漢", "字", "를", "쓴다"]
    assert not is_cjk_ideograph("한") and is_cjk_ideograph("漢")


def test_accent_stripping_decomposes_hangul_into_jamo_like_bert() -> None:
    word = pre_tokenize("한국어", lowercase=True)[0]  # strip_accents follows lowercase
    assert word == unicodedata.normalize("NFD", "한국어") and len(word) == 8
    assert word == hf_words("한국어", True, None)[0]
    assert pre_tokenize("Café", lowercase=True) == ["cafe"]
    assert pre_tokenize("Café", lowercase=True, strip_accents=False) == ["café"]


def test_punctuation_whitespace_and_control_characters() -> None:
    assert split_words("Hey friend!     How are you?!?") == [
        "Hey", "friend", "!", "How", "are", "you", "?", "!", "?",
    ]  # fmt: skip
    assert pre_tokenize("a$b+c=d^e`f|g~h") == list("a$b+c=d^e`f|g~h")  # ASCII symbols split
    assert normalize("a\x00b\u200bc\td\ufffd", lowercase=False) == "abc d"
    assert pre_tokenize("") == [] and pre_tokenize(" \t\n ") == []
    assert normalize("ΣΑΣ") == "σασ"  # one character at a time: no final sigma


def test_normalize_rejects_non_text() -> None:
    with pytest.raises(TypeError, match="expected a str"):
        normalize(b"bytes")  # type: ignore[arg-type]

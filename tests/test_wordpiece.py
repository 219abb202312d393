"""WordPiece: same tokens as Hugging Face `tokenizers` given the same vocabulary; training."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import numpy as np
import pytest
from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers

from groundup import text
from groundup.text import wordpiece_trainer
from groundup.text.corpus import corpus_texts, load_corpus
from groundup.text.wordpiece import SPECIAL_TOKENS, WordPieceTokenizer
from groundup.text.wordpiece_trainer import _likelihood_gain, _merge, train_wordpiece

MIXED = (
    "BERT는 Transformer의 인코더만 쌓은 모델이다. Playing with WordPiece: "
    "'playing' -> play ##ing, 역전파(backpropagation)와 그래디언트 소실! "
    "Unbelievably long-words, café naïve, 漢字 and 😀 emoji; 2,048 tokens @ 15%. "
    "트랜스포머는 self-attention을 쓴다 — don't panic? " + "x" * 101 + " " + "y" * 100
)


@pytest.fixture(scope="module")
def bank_tokenizer() -> WordPieceTokenizer:
    """A vocabulary learned from the Korean and English question bank."""
    return train_wordpiece(corpus_texts(load_corpus(("bank",))), 1800, strip_accents=False)


def hf_tokenizer(vocab: list[str], lowercase: bool, strip_accents: bool | None) -> Tokenizer:
    tok = Tokenizer(
        models.WordPiece({t: i for i, t in enumerate(vocab)}, unk_token="[UNK]")
    )  # max_input_chars_per_word=100, continuing_subword_prefix="##" by default
    tok.normalizer = normalizers.BertNormalizer(
        clean_text=True, handle_chinese_chars=True, strip_accents=strip_accents, lowercase=lowercase
    )
    tok.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    tok.decoder = decoders.WordPiece()
    return tok


@pytest.mark.parametrize(
    ("lowercase", "strip_accents"), [(True, False), (True, None), (False, False)]
)
def test_same_tokens_ids_and_text_as_tokenizers(
    bank_tokenizer: WordPieceTokenizer, lowercase: bool, strip_accents: bool | None
) -> None:
    ours = WordPieceTokenizer(
        bank_tokenizer.vocab, lowercase=lowercase, strip_accents=strip_accents
    )
    theirs = hf_tokenizer(bank_tokenizer.vocab, lowercase, strip_accents)
    texts = [MIXED, *corpus_texts(load_corpus(("bank",)))[::5]]
    for t in texts:
        expected = theirs.encode(t, add_special_tokens=False)
        assert ours.tokenize(t) == expected.tokens, t
        assert ours.encode(t) == expected.ids
        assert ours.decode(expected.ids, skip_special_tokens=False) == theirs.decode(expected.ids)
    tokens = ours.tokenize(MIXED)
    assert "[UNK]" in tokens and any(t.startswith("##") for t in tokens)
    korean = sum(any("\uac00" <= c <= "\ud7a3" for c in t) for t in tokens)
    # accent stripping turns Hangul into jamo, which a syllable vocabulary does not hold
    assert korean >= 5 if strip_accents is False else korean == 0


def test_greedy_longest_match_first() -> None:
    vocab = [*SPECIAL_TOKENS, "un", "##aff", "##able", "##a", "##ff", "play", "##ing", "p", "##l"]
    tok = WordPieceTokenizer(vocab)
    assert tok.tokenize("unaffable") == ["un", "##aff", "##able"]  # not un ##a ##ff ##able
    assert tok.tokenize("Playing") == ["play", "##ing"]
    assert tok.tokenize("plz") == ["[UNK]"]  # 'z' cannot be covered: the whole word is [UNK]
    assert tok.tokenize("unaffable plz, playing") == theirs(vocab, "unaffable plz, playing")


def theirs(vocab: list[str], s: str) -> list[str]:
    return hf_tokenizer(vocab, True, None).encode(s, add_special_tokens=False).tokens


def test_words_longer_than_max_input_chars_become_unk() -> None:
    vocab = [*SPECIAL_TOKENS, "a", "##a"]
    tok = WordPieceTokenizer(vocab, max_input_chars_per_word=5)
    assert tok.tokenize("aaaaa aaaaaa") == ["a", "##a", "##a", "##a", "##a", "[UNK]"]
    default = WordPieceTokenizer(vocab)
    s = "a" * 100 + " " + "a" * 101
    assert default.tokenize(s) == theirs(vocab, s) == ["a"] + ["##a"] * 99 + ["[UNK]"]


def test_trained_vocabulary_splits_playing_and_unseen_words() -> None:
    corpus = [
        "we play and they play, he plays and she played",
        "playing and jumping and talking and walking",
        "jump, jumped, jumps; talk, talked, talks; walk, walked, walks",
        "the players were playing while the walkers were walking",
    ] * 5
    tok = train_wordpiece(corpus, 60)
    assert tok.vocab[:5] == list(SPECIAL_TOKENS)
    assert tok.tokenize("playing") == ["play", "##ing"]
    assert tok.tokenize("jumping") == ["jump", "##ing"]
    # unseen words are built from learned pieces ("players" and "walkers" taught ##er)
    assert tok.tokenize("talker") == ["talk", "##er"]
    assert tok.tokenize("jumper") == ["jump", "##er"]
    assert tok.tokenize("played") == ["play", "##ed"]
    # no word of the corpus starts with 'r' or contains 'q': no pieces can cover these
    assert tok.tokenize("replay quiz") == ["[UNK]", "[UNK]"]
    assert train_wordpiece(corpus, 60).vocab == tok.vocab  # deterministic


def test_trained_vocabulary_holds_every_character_and_has_the_asked_size() -> None:
    corpus = ["트랜스포머는 어텐션을 쓴다", "어텐션은 트랜스포머의 핵심이다", "playing"]
    tok = train_wordpiece(corpus, 45, strip_accents=False)
    assert len(tok) == 45 and len(set(tok.vocab)) == 45
    for word in ("트랜스포머는", "어텐션을", "playing"):
        assert tok.split_word(word) != ["[UNK]"]
    assert all(tok.split_word(c) == [c] for c in "트어p")
    assert tok.tokenize("트랜스포머의 어텐션") == ["트랜스포머", "##의", "어텐션"]


def test_vocabulary_grows_only_while_pairs_remain() -> None:
    tok = train_wordpiece(["ab ab ab"], 100)
    assert tok.vocab == [*SPECIAL_TOKENS, "a", "##b", "ab"]


def test_encode_decode_round_trip_and_special_tokens(bank_tokenizer: WordPieceTokenizer) -> None:
    s = "트랜스포머는 self-attention을 쓴다. why divide by sqrt(d_k)?"
    ids = bank_tokenizer.encode(s, add_special_tokens=True)
    assert ids[0] == bank_tokenizer.cls_token_id and ids[-1] == bank_tokenizer.sep_token_id
    assert (
        bank_tokenizer.decode(ids)
        == "트랜스포머는 self - attention을 쓴다. why divide by sqrt ( d _ k )?"
    )
    assert bank_tokenizer.decode(ids, skip_special_tokens=False).startswith("[CLS] ")
    assert bank_tokenizer.convert_ids_to_tokens(ids[:1]) == ["[CLS]"]


def test_save_and_load_vocab_txt(tmp_path: Path, bank_tokenizer: WordPieceTokenizer) -> None:
    path = bank_tokenizer.save(tmp_path)
    assert path.name == "vocab.txt"
    again = WordPieceTokenizer.from_file(path, strip_accents=False)
    assert again.vocab == bank_tokenizer.vocab
    assert again.tokenize(MIXED) == bank_tokenizer.tokenize(MIXED)
    assert text.tokenize("playing 트랜스포머", vocab=path) == bank_tokenizer.tokenize(
        "playing 트랜스포머"
    )


def test_top_level_tokenize_accepts_lists_maps_and_tokenizers() -> None:
    vocab = [*SPECIAL_TOKENS, "play", "##ing"]
    assert text.tokenize("Playing", vocab=vocab) == ["play", "##ing"]
    assert text.tokenize("playing", vocab={t: i for i, t in enumerate(vocab)}) == ["play", "##ing"]
    assert text.tokenize("playing", vocab=WordPieceTokenizer(vocab)) == ["play", "##ing"]


def test_default_vocabulary_comes_from_the_shipped_corpus() -> None:
    tokens = text.tokenize("Transformers are playing with 트랜스포머")
    assert "[UNK]" not in tokens and len(tokens) >= 5
    assert text.default_tokenizer() is text.default_tokenizer()  # trained once


def test_errors_name_what_was_expected() -> None:
    with pytest.raises(
        ValueError, match=r"special token\(s\) \['\[MASK\]'\] not in the vocabulary"
    ):
        WordPieceTokenizer(["[PAD]", "[UNK]", "[CLS]", "[SEP]", "a"])
    with pytest.raises(ValueError, match="duplicate"):
        WordPieceTokenizer([*SPECIAL_TOKENS, "a", "a"])
    with pytest.raises(ValueError, match="ids must be exactly 0 to n - 1"):
        WordPieceTokenizer({t: 2 * i for i, t in enumerate(SPECIAL_TOKENS)})
    with pytest.raises(ValueError, match="tokenizes to nothing"):
        text.tokenize(" \t\u200b ", vocab=[*SPECIAL_TOKENS, "a"])
    with pytest.raises(ValueError, match="vocab_size 7 is too small"):
        train_wordpiece(["abc"], 7)
    with pytest.raises(ValueError, match="no words"):
        train_wordpiece(["  ", ""], 10)
    with pytest.raises(ValueError, match="special token"):
        train_wordpiece(["abc"], 20, special_tokens=("[PAD]", "[UNK]"))
    tok = WordPieceTokenizer(SPECIAL_TOKENS)
    with pytest.raises(KeyError, match="not in the vocabulary"):
        tok.token_to_id("[FOO]")
    with pytest.raises(IndexError, match="outside the vocabulary"):
        tok.convert_ids_to_tokens([5])


def unigram_log_likelihood(words: list[list[str]], freq: list[int]) -> float:
    counts: Counter[str] = Counter()
    for w, f in zip(words, freq, strict=True):
        for s in w:
            counts[s] += f
    n = sum(counts.values())
    return sum(c * np.log(c / n) for c in counts.values())


def test_merge_gain_is_the_change_in_unigram_log_likelihood() -> None:
    words = [list("abab"), list("abc"), list("bca"), list("aaa")]
    freq = [3, 2, 5, 1]
    symbols = sorted({s for w in words for s in w})
    sym_count = np.array(
        [sum(f * w.count(s) for w, f in zip(words, freq, strict=True)) for s in symbols], float
    )
    pairs = sorted({(x, y) for w in words for x, y in zip(w, w[1:], strict=False)})
    before = unigram_log_likelihood(words, freq)
    for x, y in pairs:
        merged = [_merge(w, x, y, x + y) for w in words]  # type: ignore[arg-type]
        count = sum(f * (len(w) - len(m)) for w, m, f in zip(words, merged, freq, strict=True))
        gain = _likelihood_gain(
            np.array([count], float),
            sym_count,
            np.array([symbols.index(x)]),
            np.array([symbols.index(y)]),
        )[0]
        assert gain == pytest.approx(unigram_log_likelihood(merged, freq) - before, abs=1e-9)


def test_pruning_rare_pairs_changes_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    texts = corpus_texts(load_corpus(("bank",), ("en",)))
    pruned = train_wordpiece(texts, 900)
    monkeypatch.setattr(wordpiece_trainer, "_count_needed", lambda gain, total: 0.0)
    assert train_wordpiece(texts, 900).vocab == pruned.vocab  # every pair scored every time

"""WordPiece training: learn a vocabulary of a given size from a corpus.

Start from every character of the corpus (`x` at the start of a word, `##x` inside one),
then repeatedly merge the adjacent pair (a, b) whose merge most increases the likelihood of
the corpus under a unigram model of the pieces, until the vocabulary has `vocab_size`
entries (Schuster & Nakajima 2012; Wu et al. 2016). For a pair seen c_ab times the gain is
about c_ab (log(N c_ab / (c_a c_b)) - 1): frequency times how much more often a and b
occur together than chance predicts. BPE merges the most frequent pair instead (the frequency
alone); the ratio c_ab / (c_a c_b) often quoted for WordPiece is the association alone and,
on a small corpus, first merges rare pairs of rare characters.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

from groundup.text.pretokenize import pre_tokenize
from groundup.text.wordpiece import PREFIX, SPECIAL_TOKENS, WordPieceTokenizer


def _xlogx(x: np.ndarray) -> np.ndarray:
    """x log x for counts (whole numbers): 0 log 0 = 0, and negative counts, which
    overlapping pairs like (a, a) in "aaa" can give, count as 0."""
    x = np.maximum(x, 0.0)
    return x * np.log(np.maximum(x, 1.0))


def _likelihood_gain(
    pair_count: np.ndarray, sym_count: np.ndarray, left: np.ndarray, right: np.ndarray
) -> np.ndarray:
    """Increase of the corpus log-likelihood under a unigram model of the pieces when every
    occurrence of pair (a, b) becomes the piece ab.

    With counts c and total N, log L = sum_s c_s log c_s - N log N. Merging moves c_ab
    from a and from b to the new piece and shortens the corpus by c_ab:
        gain = f(c_ab) + f(c_a - c_ab) - f(c_a) + f(c_b - c_ab) - f(c_b) - f(N - c_ab) + f(N)
    with f(x) = x log x. For small c_ab this is about c_ab (log(N c_ab / (c_a c_b)) - 1):
    frequent pairs whose parts rarely occur apart win.
    """
    total = sym_count.sum()
    f_sym = _xlogx(sym_count)  # one entry per symbol: far fewer than pairs
    ca, cb = sym_count[left], sym_count[right]
    gain = _xlogx(pair_count) - _xlogx(total - pair_count) + float(_xlogx(np.array(total)))
    gain += _xlogx(ca - pair_count) - f_sym[left] + _xlogx(cb - pair_count) - f_sym[right]
    same = np.flatnonzero(left == right)  # (a, a): both parts come out of the one count c_a
    if same.size:
        c, ca = pair_count[same], ca[same]
        gain[same] = (
            _xlogx(c)
            - _xlogx(total - c)
            + float(_xlogx(np.array(total)))
            + _xlogx(ca - 2 * c)
            - f_sym[left[same]]
        )
    return gain


def _count_needed(gain: float, total: float) -> float:
    """The smallest pair count c that can reach `gain`.

    Since f(x) = x log x is convex with f(0) = 0, f(c_a) - f(c_a - c) >= f(c) and
    f(N) - f(N - c) <= c (log N + 1), so gain <= c (1 + log(N / c)), which grows with c:
    pairs rarer than the returned count cannot beat `gain` and need not be scored."""
    if gain <= 0:
        return 0.0
    lo, hi = 0.0, total
    for _ in range(60):  # bisection on the increasing bound
        mid = (lo + hi) / 2
        if mid * (1 + np.log(total / mid)) >= gain * (1 - 1e-9):
            hi = mid
        else:
            lo = mid
    return lo


class _PairTable:
    """Counts of adjacent symbol pairs, kept in growing NumPy arrays so that every pair's
    score can be computed at once, plus the words each pair occurs in."""

    def __init__(self) -> None:
        self.index: dict[tuple[int, int], int] = {}
        self.left = np.zeros(1024, np.int64)
        self.right = np.zeros(1024, np.int64)
        self.count = np.zeros(1024, np.float64)
        self.words: list[set[int]] = []

    def add(self, pair: tuple[int, int], delta: float, word: int | None = None) -> None:
        """count[pair] += delta; `word` is recorded as holding the pair."""
        k = self.index.get(pair)
        if k is None:
            k = self.index[pair] = len(self.words)
            if k == len(self.count):  # double the arrays
                self.left, self.right, self.count = (
                    np.concatenate([a, np.zeros_like(a)])
                    for a in (self.left, self.right, self.count)
                )
            self.left[k], self.right[k] = pair
            self.words.append(set())
        self.count[k] += delta
        if word is not None:
            self.words[k].add(word)


def _merge(word: list[int], a: int, b: int, m: int) -> list[int]:
    """`word` with every non-overlapping (a, b), left to right, replaced by m."""
    out: list[int] = []
    j = 0
    while j < len(word):
        if j + 1 < len(word) and word[j] == a and word[j + 1] == b:
            out.append(m)
            j += 2
        else:
            out.append(word[j])
            j += 1
    return out


def _reachable_size(words: Sequence[Sequence[int]], n_symbols: int) -> int:
    """The most entries training can reach: the `n_symbols` special tokens and characters,
    plus at most one new piece per merge; a word of n characters is one piece after n - 1
    merges, and then takes part in none."""
    return n_symbols + sum(len(w) - 1 for w in words)


def train_wordpiece(
    texts: Iterable[str],
    vocab_size: int,
    *,
    special_tokens: Sequence[str] = SPECIAL_TOKENS,
    lowercase: bool = True,
    strip_accents: bool | None = None,
    clean_text: bool = True,
    handle_chinese_chars: bool = True,
    max_input_chars_per_word: int = 100,
    strict: bool = False,
) -> WordPieceTokenizer:
    """Learn a WordPiece vocabulary of `vocab_size` entries from `texts` (see the module
    docstring): special tokens first, then every character, then merged pieces in the
    order they were learned. Deterministic: ties go to the more frequent pair, then to
    the pair seen first.

    Training stops early, with fewer entries, once every word is a single piece. A
    corpus of words with n_1, n_2, ... characters allows at most n_i - 1 merges per word,
    so a `vocab_size` beyond the characters plus that sum cannot be reached: it is cut
    to that bound (nothing is sized by it), or, with `strict`, refused with a ValueError
    before any merge."""
    options: dict[str, Any] = {
        "lowercase": lowercase,
        "strip_accents": strip_accents,
        "clean_text": clean_text,
        "handle_chinese_chars": handle_chinese_chars,
    }
    counts: Counter[str] = Counter()
    for text in texts:
        counts.update(pre_tokenize(text, **options))
    word_list = [w for w in counts if len(w) <= max_input_chars_per_word]
    if not word_list:
        raise ValueError("train_wordpiece: the texts contain no words to learn from")
    freq = np.array([counts[w] for w in word_list], dtype=np.float64)

    symbols: list[str] = list(special_tokens)
    sym_id: dict[str, int] = {s: i for i, s in enumerate(symbols)}
    words: list[list[int]] = []
    for w in word_list:
        chars = [w[0]] + [PREFIX + c for c in w[1:]]
        for s in chars:
            if s not in sym_id:
                sym_id[s] = len(symbols)
                symbols.append(s)
        words.append([sym_id[s] for s in chars])
    if vocab_size < len(symbols):
        raise ValueError(
            f"train_wordpiece: vocab_size {vocab_size} is too small: the {len(special_tokens)} "
            f"special tokens and the {len(symbols) - len(special_tokens)} characters of the "
            f"corpus need {len(symbols)} entries"
        )

    reachable = _reachable_size(words, len(symbols))
    if strict and vocab_size > reachable:
        raise ValueError(
            f"train_wordpiece: vocab_size {vocab_size} is more than the corpus can yield: its "
            f"{len(words)} distinct words allow at most {reachable} entries (special tokens, "
            f"characters and one piece per merge); ask for at most {reachable}"
        )
    vocab_size = min(vocab_size, reachable)
    sym_count = np.zeros(vocab_size + len(symbols), np.float64)
    pairs = _PairTable()
    for i, word in enumerate(words):
        for sym in word:
            sym_count[sym] += freq[i]
        for pair in zip(word, word[1:], strict=False):
            pairs.add(pair, freq[i], i)

    n_vocab = len(symbols)
    threshold = 1.0  # score only pairs this frequent, as long as that provably suffices
    while n_vocab < vocab_size:
        count = pairs.count[: len(pairs.words)]
        if not (count > 0.5).any():
            break  # every word is a single piece
        while True:
            cand = np.flatnonzero(count >= max(threshold, 1.0) - 0.5)
            if not cand.size:
                threshold = 1.0
                continue
            gain = _likelihood_gain(count[cand], sym_count, pairs.left[cand], pairs.right[cand])
            need = _count_needed(float(gain.max()), float(sym_count.sum()))
            if need >= threshold or threshold <= 1.0:
                break  # no unscored pair can reach the best gain
            threshold = need
        threshold = 0.8 * need
        tied = cand[gain == gain.max()]
        k = int(tied[np.argmax(count[tied])])  # ties: the more frequent pair, then the first
        a, b = int(pairs.left[k]), int(pairs.right[k])
        merged = symbols[a] + symbols[b].removeprefix(PREFIX)
        if merged not in sym_id:
            sym_id[merged] = len(symbols)
            symbols.append(merged)
            n_vocab += 1
            if len(symbols) > len(sym_count):
                sym_count = np.concatenate([sym_count, np.zeros_like(sym_count)])
        m = sym_id[merged]
        delta: Counter[tuple[int, int]] = Counter()  # pair count changes of this merge
        moved = 0.0  # occurrences of (a, b) merged, weighted by word frequency
        for i in list(pairs.words[k]):
            word, f = words[i], freq[i]
            new = _merge(word, a, b, m)
            if len(new) == len(word):
                continue  # an earlier merge already used this occurrence
            old_pairs = list(zip(word, word[1:], strict=False))
            new_pairs = list(zip(new, new[1:], strict=False))
            for pair in old_pairs:
                delta[pair] -= f
            for pair in new_pairs:
                delta[pair] += f
            for pair in set(new_pairs) - set(old_pairs):
                pairs.add(pair, 0.0, i)
            moved += (len(word) - len(new)) * f
            words[i] = new
        for pair, d in delta.items():
            if d:
                pairs.add(pair, d)
        sym_count[a] -= moved
        sym_count[b] -= moved
        sym_count[m] += moved
    return WordPieceTokenizer(symbols, max_input_chars_per_word=max_input_chars_per_word, **options)


__all__ = ["train_wordpiece"]

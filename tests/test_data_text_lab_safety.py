"""Checks before work: a vocabulary size the corpus cannot reach, the default vocabulary
read back instead of retrained, IDX files that declare one size and hold another, a lab
report folder holding what no report wrote, and recurrent layers given empty or misshapen
input."""

from __future__ import annotations

import gzip
import json
import re
import shutil
import time
import tracemalloc
from pathlib import Path

import numpy as np
import pytest
import torch

import groundup as gu
from groundup import nn, text
from groundup.cli import main
from groundup.data import read_idx
from groundup.lab import load_bank
from groundup.lab.report import MARKER, ReportError, build_report
from groundup.nn.rnn_cells import InputDtypeError
from groundup.text import Document, vocab_cache
from groundup.text.wordpiece_trainer import train_wordpiece

TINY_CORPUS = [Document("doc", "en", "docstrings", ("playing games, played a game.",))]


def one_error_line(capsys: pytest.CaptureFixture[str]) -> str:
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert not captured.out and len(lines) == 1 and "Traceback" not in captured.err, lines
    return lines[0]


# ------------------------------------------------------------------- vocabulary
@pytest.fixture
def fresh_default(tmp_path, monkeypatch):
    """The default vocabulary, trained on a tiny corpus, cached under tmp_path; the
    process-wide cache is cleared before and after."""
    monkeypatch.setenv(vocab_cache.CACHE_ENV, str(tmp_path / "cache"))
    monkeypatch.setattr(text, "load_corpus", lambda: TINY_CORPUS)
    trained: list[int] = []

    def counting(*args, **kwargs):
        trained.append(args[1])
        return train_wordpiece(*args, **kwargs)

    monkeypatch.setattr(text, "train_wordpiece", counting)
    text.default_tokenizer.cache_clear()
    yield trained
    text.default_tokenizer.cache_clear()


def test_an_unreachable_vocab_size_is_cut_to_what_the_corpus_yields():
    # "ab" three times allows one merge: 5 special tokens, a, ##b, ab. Without the bound a
    # 10**12-entry count array was allocated (MemoryError) or summed every merge (minutes).
    tok = train_wordpiece(["ab ab ab"], 10**12)
    assert tok.vocab[5:] == ["a", "##b", "ab"]
    with pytest.raises(ValueError, match="more than the corpus can yield: .* at most 8 entries"):
        train_wordpiece(["ab ab ab"], 10**12, strict=True)
    assert len(train_wordpiece(["ab ab ab"], 8, strict=True)) == 8


def test_tokenize_refuses_a_vocab_size_beyond_the_corpus_before_training(fresh_default, capsys):
    start = time.perf_counter()
    assert main(["tokenize", "--vocab-size", "1000000000", "hi"]) == 1
    err = one_error_line(capsys)
    assert err.startswith("groundup tokenize: error:") and "more than the corpus can yield" in err
    assert time.perf_counter() - start < 5
    assert not list(vocab_cache.cache_dir().glob("*.json"))  # nothing trained, nothing saved


def test_the_default_vocabulary_is_read_back_not_retrained(fresh_default, monkeypatch):
    first = text.default_tokenizer(30)
    assert fresh_default == [30]
    entry = vocab_cache.cache_dir() / "default-vocab-30.json"
    assert entry.is_file()
    text.default_tokenizer.cache_clear()  # a new process: only the file is left

    def no_training(*args, **kwargs):
        raise AssertionError("the vocabulary was trained again")

    monkeypatch.setattr(text, "train_wordpiece", no_training)
    start = time.perf_counter()
    again = text.default_tokenizer(30)
    assert time.perf_counter() - start < 1.0  # reading 2 MB of sources and one small file
    assert again.vocab == first.vocab and again.options == first.options
    assert again.tokenize("played games") == first.tokenize("played games")


@pytest.mark.parametrize("damage", ["garbage", "token-changed", "other-options", "corpus-changed"])
def test_a_damaged_or_stale_entry_is_retrained_and_replaced(damage, fresh_default, monkeypatch):
    good = text.default_tokenizer(30)
    text.default_tokenizer.cache_clear()
    entry = vocab_cache.cache_dir() / "default-vocab-30.json"
    data = json.loads(entry.read_text(encoding="utf-8"))
    if damage == "garbage":
        entry.write_bytes(b"\x00\xff not json")
    elif damage == "token-changed":  # the checksum no longer matches
        data["tokens"][-1] = "zzz"
        entry.write_text(json.dumps(data), encoding="utf-8")
    elif damage == "other-options":
        data["options"]["lowercase"] = False
        entry.write_text(json.dumps(data), encoding="utf-8")
    else:  # a docstring changed: the texts differ
        monkeypatch.setattr(vocab_cache, "fingerprint", lambda root=None: "0" * 64)
        changed = [Document("doc", "en", "docstrings", ("playing games, playing more.",))]
        monkeypatch.setattr(text, "load_corpus", lambda: changed)
    again = text.default_tokenizer(30)
    assert fresh_default == [30, 30]  # trained again
    assert (again.vocab != good.vocab) == (damage == "corpus-changed")
    found = vocab_cache.read("default-vocab-30", text.DEFAULT_OPTIONS)
    assert found is not None and found[0].vocab == again.vocab  # the entry was replaced


def test_an_edit_outside_the_corpus_keeps_the_vocabulary(fresh_default, monkeypatch):
    good = text.default_tokenizer(30)
    text.default_tokenizer.cache_clear()
    monkeypatch.setattr(vocab_cache, "fingerprint", lambda root=None: "0" * 64)  # a file changed
    assert text.default_tokenizer(30).vocab == good.vocab and fresh_default == [30]
    found = vocab_cache.read("default-vocab-30", text.DEFAULT_OPTIONS)
    assert found is not None and found[1]["files"] == "0" * 64  # the next call reads it at once


def test_a_cache_folder_that_cannot_be_written_only_costs_the_training(
    fresh_default, tmp_path, monkeypatch
):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the cache folder would go")
    monkeypatch.setenv(vocab_cache.CACHE_ENV, str(blocker))
    assert len(text.default_tokenizer(30)) == 30
    assert blocker.read_text() == "a file where the cache folder would go"


def test_the_cli_tokenizes_from_the_saved_vocabulary(fresh_default, monkeypatch, capsys):
    assert main(["tokenize", "--vocab-size", "30", "playing"]) == 0
    first = capsys.readouterr().out
    text.default_tokenizer.cache_clear()
    monkeypatch.setattr(text, "train_wordpiece", None)  # calling it would fail
    assert main(["tokenize", "--vocab-size", "30", "playing"]) == 0
    assert capsys.readouterr().out == first and fresh_default == [30]


def test_the_fingerprint_covers_the_sources_and_the_question_bank(tmp_path):
    (tmp_path / "a.py").write_text('"""doc"""\n')
    (tmp_path / "q.yaml").write_text("questions: []\n")
    (tmp_path / "notes.txt").write_text("not read by the corpus")
    before = vocab_cache.fingerprint(tmp_path)
    (tmp_path / "notes.txt").write_text("changed")
    assert vocab_cache.fingerprint(tmp_path) == before
    (tmp_path / "q.yaml").write_text("questions: [x]\n")
    assert vocab_cache.fingerprint(tmp_path) != before


# ------------------------------------------------------------------------- IDX
def _idx(shape: tuple[int, ...], data: bytes) -> bytes:
    return bytes([0, 0, 0x08, len(shape)]) + b"".join(d.to_bytes(4, "big") for d in shape) + data


def _peak_while(call) -> tuple[BaseException, int]:
    tracemalloc.start()
    try:
        with pytest.raises(ValueError) as info:
            call()
        return info.value, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_a_gzip_bomb_is_decompressed_only_as_far_as_the_header_declares(tmp_path):
    path = tmp_path / "train-images.gz"  # 28x28x10 declared, 60 MB of zeros inside
    path.write_bytes(gzip.compress(_idx((10, 28, 28), bytes(60_000_000)), compresslevel=9))
    assert path.stat().st_size < 100_000
    error, peak = _peak_while(lambda: read_idx(path))
    assert "has trailing bytes" in str(error) and "7840 bytes of data" in str(error)
    assert peak < 2_000_000, f"{peak:,} bytes allocated"


@pytest.mark.parametrize("gzipped", [True, False])
def test_a_header_declaring_more_than_the_file_holds_allocates_nothing(tmp_path, gzipped):
    raw = _idx((60000, 28, 28, 1000), bytes(100))  # 47 GB declared
    path = tmp_path / "images.idx"
    path.write_bytes(gzip.compress(raw) if gzipped else raw)
    error, peak = _peak_while(lambda: read_idx(path))
    expected = "more than a gzip file of" if gzipped else "truncated: .* the file holds 100"
    assert peak < 1_000_000, f"{peak:,} bytes allocated"
    assert str(path) in str(error) and re.search(expected, str(error))


def test_an_empty_shape_too_large_for_numpy_is_one_line(tmp_path):
    path = tmp_path / "zero.idx"
    path.write_bytes(_idx((0, 2**32 - 1, 2**32 - 1, 2**32 - 1), b""))
    with pytest.raises(ValueError, match="zero.idx: damaged header: .* too large a shape"):
        read_idx(path)


# --------------------------------------------------------------------- lab report
BANK = """\
topic: safety
id_prefix: safety
title: {ko: 안전, en: Safety}
questions:
  - id: safety.only
    difficulty: easy
    tags: [basics]
    question: {ko: 질문?, en: A question?}
    answer: {ko: 답., en: An answer.}
"""


@pytest.fixture
def old_report(tmp_path) -> Path:
    """A folder an earlier report wrote: marker, pages, a figure."""
    out = tmp_path / "site"
    (out / "questions").mkdir(parents=True)
    (out / "figures" / "exp.a").mkdir(parents=True)
    (out / MARKER).write_text("written by `groundup lab report`")
    (out / "index.html").write_text("old index")
    (out / "style.css").write_text("old css")
    (out / "questions" / "old.html").write_text("old page")
    (out / "figures" / "exp.a" / "curve.png").write_bytes(b"\x89PNG old")
    (tmp_path / "bank").mkdir()
    (tmp_path / "bank" / "safety.yaml").write_text(BANK, encoding="utf-8")
    return out


def _files(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in root.rglob("*") if p.is_file()}


INTRUDERS = ["figures-symlink", "questions-file", "figure-notes", "index-folder",
             "page-symlink", "questions-subfolder"]  # fmt: skip


@pytest.mark.parametrize("intruder", INTRUDERS)
def test_a_report_folder_holding_foreign_content_is_refused_before_deleting(
    intruder, old_report, tmp_path
):
    out = old_report
    elsewhere = tmp_path / "precious"
    elsewhere.mkdir()
    (elsewhere / "thesis.txt").write_text("a year of work")
    if intruder == "figures-symlink":
        shutil.rmtree(out / "figures")
        (out / "figures").symlink_to(elsewhere, target_is_directory=True)
    elif intruder == "questions-file":
        (out / "questions" / "notes.txt").write_text("mine")
    elif intruder == "figure-notes":
        (out / "figures" / "exp.a" / "data.csv").write_text("mine")
    elif intruder == "index-folder":
        (out / "index.html").unlink()
        (out / "index.html").mkdir()
        (out / "index.html" / "mine.txt").write_text("mine")
    elif intruder == "page-symlink":
        (out / "questions" / "link.html").symlink_to(elsewhere / "thesis.txt")
    else:
        (out / "questions" / "drafts").mkdir()
    before, kept = _files(out), _files(elsewhere)
    with pytest.raises(ReportError, match="which no report writes; nothing was deleted"):
        build_report(out, bank=load_bank(tmp_path / "bank"), only=())
    assert _files(out) == before and _files(elsewhere) == kept


def test_an_earlier_report_is_still_rebuilt(old_report, tmp_path):
    build_report(old_report, bank=load_bank(tmp_path / "bank"), only=())
    assert not (old_report / "questions" / "old.html").exists()
    assert not (old_report / "figures").exists()  # no experiment ran this time
    assert (old_report / "questions" / "safety.only.html").is_file()
    assert (old_report / "index.html").read_text() != "old index"


def test_lab_report_with_a_symlinked_figures_folder_is_one_line(old_report, tmp_path, capsys):
    elsewhere = tmp_path / "precious"
    elsewhere.mkdir()
    (elsewhere / "keep.png").write_bytes(b"mine")
    shutil.rmtree(old_report / "figures")
    (old_report / "figures").symlink_to(elsewhere, target_is_directory=True)
    assert main(["lab", "report", "--out", str(old_report), "--skip-experiments"]) == 1
    err = one_error_line(capsys)
    assert "groundup lab report: error:" in err and "symbolic link" in err
    assert (old_report / "index.html").read_text() == "old index"
    assert (elsewhere / "keep.png").read_bytes() == b"mine"


# ------------------------------------------------------------------- recurrent
LAYERS = [(nn.RNN, torch.nn.RNN), (nn.LSTM, torch.nn.LSTM), (nn.GRU, torch.nn.GRU)]


@pytest.mark.parametrize(("ours", "theirs"), LAYERS)
@pytest.mark.parametrize(("shape", "batch_first"), [((0, 2, 3), False), ((0, 3), False),
                                                    ((2, 0, 3), True)])  # fmt: skip
def test_an_empty_sequence_is_torch_error(ours, theirs, shape, batch_first):
    with pytest.raises(RuntimeError, match="Expected sequence length to be larger than 0"):
        theirs(3, 4, batch_first=batch_first)(torch.zeros(shape))
    with pytest.raises(RuntimeError, match=r"\(3, 4\): expected sequence length .* larger than 0"):
        ours(3, 4, batch_first=batch_first)(gu.zeros(*shape))


def _flat(out):
    return [t for o in out for t in (o if isinstance(o, tuple) else (o,))]


@pytest.mark.parametrize(("ours", "theirs"), LAYERS)
@pytest.mark.parametrize("bidirectional", [False, True])
def test_an_empty_batch_gives_empty_outputs_and_gradients_like_torch(ours, theirs, bidirectional):
    g = ours(3, 4, num_layers=2, bidirectional=bidirectional)
    t = theirs(3, 4, num_layers=2, bidirectional=bidirectional)
    t.load_state_dict({k: torch.tensor(v) for k, v in g.state_dict().items()})
    x, tx = gu.zeros(5, 0, 3, requires_grad=True), torch.zeros(5, 0, 3, requires_grad=True)
    outs, touts = _flat(g(x)), _flat(t(tx))
    assert [o.shape for o in outs] == [tuple(o.shape) for o in touts]
    sum(o.sum() for o in outs).backward()
    sum(o.sum() for o in touts).backward()
    assert x.grad.shape == (5, 0, 3)
    for name, p in g.named_parameters():
        np.testing.assert_array_equal(p.grad._data, dict(t.named_parameters())[name].grad.numpy())


@pytest.mark.parametrize("cell", [nn.RNNCell, nn.LSTMCell, nn.GRUCell])
def test_cells_take_an_empty_batch_and_a_zero_hidden_size(cell):
    out = cell(3, 4)(gu.zeros(0, 3))
    assert [o.shape for o in (out if isinstance(out, tuple) else (out,))][0] == (0, 4)
    zero = cell(3, 0)(gu.zeros(2, 3))  # was a ZeroDivisionError in the initialisation
    assert (zero[0] if isinstance(zero, tuple) else zero).shape == (2, 0)


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (lambda: nn.GRU(3, 4)(gu.zeros(2, 2, 2, 3)), ValueError,
         r"GRU\(3, 4\): expected input of shape \(L, N, input_size\) .* 4-D"),
        (lambda: nn.LSTM(3, 4)(gu.zeros(5, 2, 2)), RuntimeError, "expected input_size 3"),
        (lambda: nn.RNN(3, 4)(gu.zeros(5, 2, 3, dtype=gu.int64)), InputDtypeError,
         "input dtype int64 differs from the weights' float32"),
        (lambda: nn.RNN(3, 4)(gu.zeros(2, 1, 3), gu.zeros(1, 1, 4, dtype=gu.float64)),
         RuntimeError, "h_0 has dtype float64 but the input has dtype float32"),
        (lambda: nn.LSTM(3, 4)(gu.zeros(2, 1, 3), (gu.zeros(1, 1, 4),) * 3), RuntimeError,
         "two tensors, got 3"),
        (lambda: nn.GRUCell(3, 4)(gu.zeros(1, 2, 3)), ValueError, r"1-D or 2-D input .* 3-D"),
        (lambda: nn.LSTMCell(3, 4)(gu.zeros(2, 5)), RuntimeError, r"expected \(N, 3\)"),
        (lambda: nn.RNNCell(3, 4)(gu.zeros(2, 3), gu.zeros(2, 4, dtype=gu.float64)),
         RuntimeError, "hx has dtype float64"),
        (lambda: nn.LSTM(3, 4.0), TypeError, "hidden_size should be of type int, got: float"),
        (lambda: nn.RNN(3, 4, num_layers=1.5), TypeError, "num_layers should be of type int"),
        (lambda: nn.RNN(0, 4), ValueError, "input_size must be greater than zero"),
        (lambda: nn.LSTM(3, 4, proj_size=-1), ValueError, "proj_size should be a positive"),
        (lambda: nn.RNNCell(3, -1), RuntimeError, "hidden_size must be zero or more, got -1"),
    ],
)  # fmt: skip
def test_recurrent_misuse_is_one_line_of_torch_class(call, error, match):
    with pytest.raises(error, match=match) as info:
        call()
    assert "\n" not in str(info.value)


def test_the_dtype_error_is_what_torch_and_groundup_users_catch():
    with pytest.raises(ValueError):  # torch's class for RNN, LSTM and GRU
        nn.LSTM(3, 4)(gu.zeros(2, 1, 3, dtype=gu.float64))
    with pytest.raises(RuntimeError):  # torch's class for the cells
        nn.GRUCell(3, 4)(gu.zeros(2, 3, dtype=gu.float64))
    with pytest.raises(TypeError):  # groundup's until now
        nn.RNNCell(3, 4)(gu.zeros(2, 3, dtype=gu.int64))

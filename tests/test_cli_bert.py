"""`groundup tokenize` and `groundup bert pretrain|finetune`: output and one-line errors."""

from __future__ import annotations

import contextlib
import io
import re
import shutil
from pathlib import Path

import pytest

from groundup import text
from groundup.cli import main
from groundup.models.bert_training import load_pretrained

VOCAB = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "play", "##ing", "##ed", "game"]
# a pretraining run small enough for a test: a few seconds
TINY = ["--steps", "4", "--batch-size", "8", "--max-length", "32", "--vocab-size", "1300"]


@pytest.fixture(autouse=True)
def in_tmp(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    Path("vocab.txt").write_text("\n".join(VOCAB) + "\n", encoding="utf-8")


@pytest.fixture(scope="module")
def pretrained(tmp_path_factory) -> tuple[Path, str]:
    """A folder written by `groundup bert pretrain` and what the command printed."""
    out = tmp_path_factory.mktemp("bert") / "run"
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        assert main(["bert", "pretrain", *TINY, "--seed", "1", "--out", str(out)]) == 0
    return out, printed.getvalue()


def one_error_line(capsys) -> str:
    captured = capsys.readouterr()
    err = captured.err.strip()
    assert "Traceback" not in err and not captured.out
    assert len(err.splitlines()) == 1, err
    return err


@pytest.mark.parametrize(
    ("command", "options"),
    [
        (["tokenize"], "--vocab --ids --vocab-size"),
        (["bert"], "pretrain finetune"),
        (["bert", "pretrain"], "--steps --batch-size --max-length --vocab-size --lr --seed --out"),
        (["bert", "finetune"], "--pretrained --from-scratch --epochs --lr --batch-size --seed"),
    ],
)
def test_help(command, options, capsys):
    assert main([*command, "--help"]) == 0
    out = capsys.readouterr().out
    assert "usage: groundup" in out
    for option in options.split():
        assert option in out, option


# ---------------------------------------------------------------------------- tokenize
def test_tokenize_with_a_vocab_file(capsys, monkeypatch):
    assert main(["tokenize", "--vocab", "vocab.txt", "playing", "Played the GAME, xyz"]) == 0
    assert capsys.readouterr().out == "play ##ing\nplay ##ed [UNK] game [UNK] [UNK]\n"
    assert main(["tokenize", "--vocab", ".", "--ids", "playing game"]) == 0  # the folder
    assert capsys.readouterr().out == "play ##ing game\n5 6 8\n"
    monkeypatch.setattr("sys.stdin", io.StringIO("playing\n\n  \ngame\n"))
    assert main(["tokenize", "--vocab", "vocab.txt", "-", "played"]) == 0
    assert capsys.readouterr().out == "play ##ing\ngame\nplay ##ed\n"


def test_tokenize_korean_and_english_with_the_default_vocabulary(capsys):
    sentences = ["playing 놀이를 했다", "Transformers는 attention을 쓴다."]
    assert main(["tokenize", "--ids", *sentences]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 4
    tok = text.default_tokenizer()
    for sentence, tokens, ids in zip(sentences, lines[::2], lines[1::2], strict=True):
        assert tokens.split() == text.tokenize(sentence)
        assert "[UNK]" not in tokens.split()
        assert [int(i) for i in ids.split()] == tok.encode(sentence)
        # the pieces spell the words again: Hangul is kept whole, English lowercased
        assert tokens.replace(" ##", "").split() == tok.words(sentence)
    assert lines[0].startswith("play ##ing") and "놀" in lines[0]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["tokenize", ""], "tokenizes to nothing"),
        (["tokenize", "--vocab", "vocab.txt", "fine", " \t "], "tokenizes to nothing"),
        (["tokenize", "--vocab", "missing.txt", "playing"], "missing.txt: no such vocabulary"),
        (["tokenize", "--vocab", "vocab.txt", "--vocab-size", "900", "a"], "does not apply"),
        (["tokenize", "--vocab-size", "20", "a"], "vocab_size 20 is too small"),
    ],
)
def test_tokenize_errors_are_one_line(args, message, capsys):
    assert main(args) == 1
    err = one_error_line(capsys)
    assert err.startswith("groundup tokenize: error:") and message in err


def test_a_vocab_file_without_the_special_tokens_is_one_line(capsys):
    Path("words.txt").write_text("play\n##ing\n", encoding="utf-8")
    assert main(["tokenize", "--vocab", "words.txt", "playing"]) == 1
    assert "special token(s)" in one_error_line(capsys)


def test_empty_stdin_is_one_line(capsys, monkeypatch):
    monkeypatch.setattr("sys.stdin", io.StringIO("\n \n"))
    assert main(["tokenize", "-"]) == 1
    assert "no text on standard input" in one_error_line(capsys)


# ------------------------------------------------------------------------ bert pretrain
def test_pretrain_saves_the_vocabulary_and_weights_and_prints_the_metrics(pretrained):
    out, printed = pretrained
    assert (out / "vocab.txt").is_file() and (out / "bert.safetensors").is_file()
    run = load_pretrained(out)
    m = run.metrics
    assert run.tokenizer.vocab_size == m["vocab_size"] == 1300 and m["steps"] == 4
    assert "step     4  mlm" in printed  # the training log
    held_out = next(line for line in printed.splitlines() if line.startswith("held-out"))
    assert f"MLM loss {m['held_out_mlm_loss']:.3f}" in held_out
    assert f"unigram baseline {m['held_out_unigram_entropy']:.3f}" in held_out
    assert f"masked-token accuracy {m['held_out_mlm_accuracy']:.3f}" in held_out
    assert f"NSP accuracy {m['held_out_nsp_accuracy']:.3f}" in held_out
    assert f"saved {out / 'vocab.txt'}, {out / 'bert.safetensors'}" in printed
    # the saved vocabulary reads back as a tokenizer
    assert text.get_tokenizer(out / "vocab.txt").vocab == run.tokenizer.vocab


def test_pretrain_fails_before_training_on_bad_options(capsys):
    Path("file").write_text("not a folder")
    assert main(["bert", "pretrain", "--out", "file"]) == 1
    assert "cannot write there" in one_error_line(capsys)
    assert main(["bert", "pretrain", "--out", "file/bert"]) == 1
    assert "cannot write there" in one_error_line(capsys)
    assert main(["bert", "pretrain", "--max-length", "4"]) == 1
    assert "--max-length must be at least 5" in one_error_line(capsys)
    assert main(["bert", "pretrain", "--vocab-size", "50", "--quiet"]) == 1
    assert "vocab_size 50 is too small" in one_error_line(capsys)
    assert not Path("runs").exists()
    assert main(["bert", "pretrain", "--steps", "0"]) == 2  # a usage error
    assert "must be positive" in one_error_line(capsys)


# ------------------------------------------------------------------------ bert finetune
def test_finetune_a_saved_model_prints_bert_against_the_baselines(pretrained, capsys):
    out, _ = pretrained
    args = ["bert", "finetune", "--pretrained", str(out), "--epochs", "1", "--seed", "1"]
    assert main(args) == 0
    printed = capsys.readouterr().out
    assert "epoch 1/1  loss" in printed
    lines = printed.splitlines()
    assert re.match(r"topic accuracy on \d+ held-out questions \(15 topics", lines[1])
    accuracies = {}
    for line in lines[2:5]:
        name, value = line.rsplit(maxsplit=1)
        accuracies[name.strip()] = float(value)
        assert 0 <= float(value) <= 1
    names = list(accuracies)
    assert names[0] == f"pretrained BERT ({out}), fine-tuned 1 epoch"
    assert names[1:] == ["bag-of-WordPieces logistic regression", "majority topic"]
    assert accuracies[names[1]] > accuracies[names[2]]


def test_finetune_from_scratch_needs_no_pretraining(capsys):
    args = ["bert", "finetune", "--from-scratch", "--epochs", "1", "--quiet", "--lr", "1e-3"]
    assert main(args) == 0
    printed = capsys.readouterr().out
    assert printed.startswith("no --pretrained: training the vocabulary only")
    assert "random weights, fine-tuned 1 epoch " in printed and "epoch 1/1" not in printed


def test_finetune_of_a_missing_or_damaged_folder_is_one_line(pretrained, capsys):
    assert main(["bert", "finetune", "--pretrained", "missing"]) == 1
    err = one_error_line(capsys)
    assert err.startswith("groundup bert finetune: error: missing: no such folder")
    assert main(["bert", "finetune", "--pretrained", "vocab.txt"]) == 1
    assert "vocab.txt: not a folder" in one_error_line(capsys)
    Path("empty").mkdir()
    assert main(["bert", "finetune", "--pretrained", "empty"]) == 1
    assert "empty: no vocab.txt" in one_error_line(capsys)

    shutil.copytree(pretrained[0], "damaged")
    weights = Path("damaged/bert.safetensors")
    weights.write_bytes(weights.read_bytes()[:5000])
    assert main(["bert", "finetune", "--pretrained", "damaged"]) == 1
    assert "damaged/bert.safetensors: file is truncated" in one_error_line(capsys)

    shutil.copytree(pretrained[0], "other")
    shutil.copy("vocab.txt", "other/vocab.txt")  # the vocabulary of another run
    assert main(["bert", "finetune", "--pretrained", "other"]) == 1
    assert "vocab.txt has 9 tokens but the model" in one_error_line(capsys)

    shutil.copytree(pretrained[0], "mlp")  # weights of another model under the same name
    replace = ["--save", "mlp/bert.safetensors", "--overwrite"]  # an existing file
    assert main(["train", "--epochs", "1", "--hidden", "8", *replace]) == 0
    capsys.readouterr()
    assert main(["bert", "finetune", "--pretrained", "mlp"]) == 1
    assert "mlp/bert.safetensors: not a BERT saved by pretrain" in one_error_line(capsys)

"""`groundup train|summary|evaluate` with the CNN, GRU and sequence models, and the options
that belong to one family only."""

from __future__ import annotations

from pathlib import Path

import pytest

from groundup.cli import main
from groundup.train import read_metadata


@pytest.fixture(autouse=True)
def in_tmp(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # the default save path runs/... lands here


def one_error_line(capsys) -> str:
    err = capsys.readouterr().err.strip()
    assert "Traceback" not in err
    assert len(err.splitlines()) == 1, err
    return err


def accuracy_of(out: str) -> float:
    line = next(line for line in out.splitlines() if line.startswith("test "))
    return float(line.split(":")[1].split()[0])


# ------------------------------------------------------------------------ CNN and GRU
def test_cnn_on_digits_trains_saves_and_evaluates_images(capsys):
    assert main(["train", "--model", "cnn", "--epochs", "3", "--quiet"]) == 0
    accuracy = accuracy_of(capsys.readouterr().out)
    assert accuracy > 0.8  # three epochs of the DigitsCNN recipe
    meta = read_metadata("runs/cnn-digits.safetensors")
    assert meta["config"]["name"] == "DigitsCNN" and meta["config"]["batch_norm"] is True
    assert meta["info"]["lr"] == 3e-3 and meta["info"]["epochs"] == 3
    assert main(["evaluate", "runs/cnn-digits.safetensors"]) == 0  # (1, 8, 8) inputs again
    assert f"test accuracy on digits: {accuracy:.4f}" in capsys.readouterr().out
    assert main(["evaluate", "runs/cnn-digits.safetensors", "--dataset", "mnist1d"]) == 1
    assert "expects 64 input features, but dataset mnist1d has 40" in one_error_line(capsys)


def test_gru_reads_digit_images_row_by_row(capsys):
    assert main(["train", "--model", "gru", "--epochs", "2", "--hidden", "8", "--quiet"]) == 0
    assert accuracy_of(capsys.readouterr().out) > 0.3
    config = read_metadata("runs/gru-digits.safetensors")["config"]
    assert (config["seq_len"], config["input_size"], config["hidden_size"]) == (8, 8, 8)
    assert main(["evaluate", "runs/gru-digits.safetensors"]) == 0


def test_cnn_and_gru_on_mnist1d_are_the_published_models(capsys):
    for model, params in (("cnn", "5,210"), ("gru", "5,134")):
        args = ["--model", model, "--dataset", "mnist1d"]
        assert main(["summary", *args]) == 0
        assert f"Total params: {params}" in capsys.readouterr().out
        assert main(["train", *args, "--epochs", "2"]) == 0
        out = capsys.readouterr().out
        assert out.startswith(f"{model} ({params} params) on mnist1d: 4000 train, 1000 test")
        assert accuracy_of(out) > 0.15  # 80 steps: above chance (0.1)
        assert main(["evaluate", f"runs/{model}-mnist1d.safetensors"]) == 0
        assert main(["evaluate", f"runs/{model}-mnist1d.safetensors", "--dataset", "digits"]) == 1
        assert "expects 40 input features" in one_error_line(capsys)


def test_summary_of_the_digits_cnn_shows_image_shapes(capsys):
    assert main(["summary", "--model", "cnn"]) == 0
    out = capsys.readouterr().out
    assert "Total params: 53,194" in out and "[64, 32, 8, 8]" in out


# ------------------------------------------------------------------- sequence models
def test_seq2seq_on_addition_prints_exact_match_and_examples(capsys):
    args = ["--model", "peeky", "--task", "addition", "--epochs", "1", "--hidden", "16"]
    assert main(["train", *args, "--train-size", "512", "--examples", "3"]) == 0
    captured = capsys.readouterr()
    out = captured.out
    assert "epoch   1/1" in out and "test exact match: 0." in out
    assert "epoch 1/1" in captured.err  # the progress bar over the epoch's batches
    assert "5,000 addition examples; peeky" in out
    examples = out.split("decoded test examples")[1].splitlines()[1:4]
    assert len(examples) == 3 and all(" -> " in line for line in examples)
    meta = read_metadata("runs/peeky-addition.safetensors")
    assert meta["config"]["decoder"] == "peeky" and meta["config"]["reverse_input"] is True
    assert meta["info"]["task"] == "addition" and meta["info"]["hidden_size"] == 16
    assert meta["info"]["schedule"] == "cosine"  # peeky's default
    assert main(["evaluate", "runs/peeky-addition.safetensors"]) == 0
    evaluated = capsys.readouterr().out
    assert f"test exact match on addition: {meta['info']['test_exact_match']:.4f}" in evaluated
    assert main(["evaluate", "runs/peeky-addition.safetensors", "--dataset", "digits"]) == 1
    assert "addition task, not a dataset" in one_error_line(capsys)


def test_attention_on_dates_with_the_date_alias(capsys):
    args = ["--model", "attention", "--task", "date", "--epochs", "1", "--hidden", "16"]
    assert main(["train", *args, "--train-size", "256", "--attention", "additive", "--quiet"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("test exact match: ") and "dates examples; attention" in out
    config = read_metadata("runs/attention-dates.safetensors")["config"]
    assert config["decoder"] == "attention" and config["attention"] == "additive"


def test_transformer_on_reversal(capsys):
    args = ["--model", "transformer", "--task", "reversal", "--epochs", "1", "--d-model", "16"]
    assert main(["train", *args, "--heads", "2", "--layers", "1", "--train-size", "256"]) == 0
    out = capsys.readouterr().out
    assert "test exact match: " in out and "decoded test examples" in out
    config = read_metadata("runs/transformer-reversal.safetensors")["config"]
    assert (config["d_model"], config["nhead"], config["num_encoder_layers"]) == (16, 2, 1)
    assert main(["evaluate", "runs/transformer-reversal.safetensors"]) == 0
    assert "test exact match on reversal" in capsys.readouterr().out


# ------------------------------------------------------- options of the other family
@pytest.mark.parametrize(
    "args, text",
    [
        (
            ["--model", "mlp", "--task", "addition"],
            "--task: not an option of --model mlp (a classifier: ",
        ),
        (["--model", "seq2seq", "--dataset", "digits"], "--dataset: not an option of --model"),
        (["--model", "attention", "--checkpoint", "c"], "--checkpoint: not an option"),
        (["--model", "cnn", "--residual"], "--residual: not an option of --model cnn"),
        (["--model", "logistic", "--hidden", "8"], "--hidden: not an option of --model logistic"),
        (["--model", "gru", "--hidden", "8", "8"], "a gru has one hidden size"),
        (
            ["--model", "transformer", "--reverse"],
            "--reverse: not an option of --model transf",
        ),
        (["--model", "seq2seq", "--d-model", "8"], "--d-model: not an option of --model seq2seq"),
        (["--model", "transformer", "--schedule", "cosine"], "--schedule: not an option"),
        (["--model", "seq2seq", "--dropout", "0.1"], "--dropout: not an option of --model seq2seq"),
        (["--model", "seq2seq", "--hidden", "8", "8"], "has one hidden size; got 2 values"),
        (["--model", "peeky", "--examples", "-1"], "--examples must be 0 or more"),
    ],
)
def test_an_option_of_another_model_is_one_line(args, text, capsys):
    assert main(["train", *args, "--epochs", "1", "--quiet"]) == 1
    assert text in one_error_line(capsys)
    assert not Path("runs").exists()  # refused before anything was written


def test_unknown_task_and_summary_of_a_sequence_model_are_usage_errors(capsys):
    assert main(["train", "--model", "seq2seq", "--task", "sorting"]) == 2
    assert "unknown task 'sorting'" in one_error_line(capsys)
    assert main(["summary", "--model", "transformer"]) == 2
    assert "unknown model 'transformer'" in one_error_line(capsys)

"""The `groundup` command: train, summary, evaluate, and one clean message per user error."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from groundup import cli
from groundup.cli import SHAPES, main
from groundup.data import digits
from groundup.train import Callback, read_metadata
from groundup.train.safefile import read

FAST = ["--epochs", "2", "--hidden", "16", "--quiet"]


@pytest.fixture(autouse=True)
def in_tmp(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # the default save path runs/... lands here


def one_error_line(capsys) -> str:
    err = capsys.readouterr().err.strip()
    assert "Traceback" not in err
    assert len(err.splitlines()) == 1, err
    return err


@pytest.mark.parametrize("command", [[], ["train"], ["summary"], ["evaluate"]])
def test_help_on_every_command(command, capsys):
    assert main([*command, "--help"]) == 0
    out = capsys.readouterr().out
    assert "usage: groundup" in out
    if command == ["train"]:
        options = "--model --dataset --epochs --batch-size --optimizer --lr --seed --hidden"
        for option in [*options.split(), "--checkpoint", "--resume", "--save", "--quiet"]:
            assert option in out, option


def test_train_prints_accuracy_saves_weights_and_evaluate_reads_them(capsys):
    assert main(["train", *FAST, "--seed", "3"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("test accuracy: 0.")
    accuracy = float(out.split()[2])
    path = Path("runs/mlp-digits.safetensors")
    meta = read_metadata(path)
    assert meta["config"]["sizes"] == [64, 16, 10]
    assert meta["info"]["dataset"] == "digits" and meta["info"]["seed"] == 3
    assert meta["info"]["test_accuracy"] == pytest.approx(accuracy, abs=1e-4)
    assert main(["evaluate", str(path)]) == 0
    assert f"test accuracy on digits: {accuracy:.4f}" in capsys.readouterr().out


def test_train_logistic_with_every_optimizer(capsys):
    for name in cli.OPTIMIZERS:
        save = f"{name}.safetensors"
        args = ["train", "--model", "logistic", "--epochs", "1", "--quiet", "--save", save]
        assert main([*args, "--optimizer", name, "--lr", "0.01"]) == 0
        assert read_metadata(save)["config"]["name"] == "LogisticRegression"
    assert capsys.readouterr().out.count("test accuracy") == len(cli.OPTIMIZERS)


def test_progress_output_when_not_quiet(capsys):
    assert main(["train", "--epochs", "1", "--hidden", "8"]) == 0
    captured = capsys.readouterr()
    assert (
        "mlp (" in captured.out and "saved weights to runs/mlp-digits.safetensors" in captured.out
    )
    assert "epoch 1/1" in captured.err and "samples/s" in captured.err


def test_summary_command(capsys):
    assert main(["summary", "--dataset", "mnist1d"]) == 0
    out = capsys.readouterr().out
    assert "Total params: 15,210" in out  # the paper's residual MLP
    assert "[100, 40]" in out  # batch 100, 40 features
    assert main(["summary", "--model", "logistic", "--dataset", "mnist1d"]) == 0
    assert "Total params: 410" in capsys.readouterr().out


def test_dataset_shapes_table_matches_the_data():
    d = digits()
    assert SHAPES["digits"] == (d.input_shape[0], d.num_classes)


@pytest.mark.slow
def test_mnist1d_shape_table_matches_the_data():
    from groundup.data import mnist1d

    d = mnist1d()
    assert SHAPES["mnist1d"] == (d.input_shape[0], d.num_classes)


# ------------------------------------------------------------------------- bad input
@pytest.mark.parametrize(
    "args, text",
    [
        (["train", "--model", "resnet"], "unknown model 'resnet'"),
        (["train", "--dataset", "cifar"], "unknown dataset 'cifar'"),
        (["train", "--optimizer", "lbfgs"], "unknown optimizer 'lbfgs'"),
        (["train", "--epochs", "0"], "must be positive"),
        (["train", "--lr", "fast"], "not a number"),
        (["train", "--dropout", "1.5"], "must be in [0, 1)"),
        (["summary", "--model", "rnn"], "unknown model"),
        (["fly"], "invalid choice"),
    ],
)
def test_usage_errors_give_one_line_and_status_2(args, text, capsys):
    assert main(args) == 2
    err = one_error_line(capsys)
    assert text in err and not Path("runs").exists()


def test_missing_and_damaged_files(capsys):
    assert main(["evaluate", "missing.safetensors"]) == 1
    assert "missing.safetensors: no such file" in one_error_line(capsys)
    assert main(["train", *FAST, "--resume", "missing.safetensors"]) == 1
    assert "no such file" in one_error_line(capsys)
    assert main(["train", *FAST, "--save", "w.safetensors"]) == 0
    blob = Path("w.safetensors").read_bytes()
    Path("w.safetensors").write_bytes(blob[: len(blob) // 2])
    assert main(["evaluate", "w.safetensors"]) == 1
    assert "truncated" in one_error_line(capsys)
    Path("plain.safetensors").write_bytes(b"not a safetensors file at all")
    assert main(["evaluate", "plain.safetensors"]) == 1
    one_error_line(capsys)


def test_model_that_does_not_fit_the_data(capsys):
    assert main(["train", *FAST, "--save", "w.safetensors"]) == 0
    capsys.readouterr()
    assert main(["evaluate", "w.safetensors", "--dataset", "mnist1d"]) == 1
    err = one_error_line(capsys)
    assert "expects 64 input features" in err and "mnist1d has 40" in err


def test_checkpoint_from_another_architecture_is_refused_and_kept(capsys):
    assert main(["train", *FAST, "--checkpoint", "c.safetensors", "--save", "a.safetensors"]) == 0
    before = Path("c.safetensors").read_bytes()
    capsys.readouterr()
    args = ["train", "--epochs", "3", "--hidden", "32", "--quiet", "--save", "b.safetensors"]
    assert main([*args, "--resume", "c.safetensors"]) == 1
    err = one_error_line(capsys)
    assert "--resume c.safetensors: the checkpoint was written with --hidden 16;" in err
    assert err.endswith("this run asks for --hidden 32")
    assert Path("c.safetensors").read_bytes() == before
    assert not Path("b.safetensors").exists()


def test_unwritable_paths_fail_before_training(capsys, tmp_path):
    Path("file").write_text("")
    assert main(["train", *FAST, "--checkpoint", "file/c.safetensors"]) == 1
    assert "file/c.safetensors: cannot write there" in one_error_line(capsys)
    assert main(["train", *FAST, "--save", "file/w.safetensors"]) == 1
    one_error_line(capsys)
    assert not Path("runs").exists()  # nothing trained, nothing written


def test_batch_norm_on_a_one_sample_batch_is_one_line(capsys):
    # 1,437 training images in batches of 1,436 leave a last batch of one
    assert main(["train", *FAST, "--batch-size", "1436", "--batch-norm"]) == 1
    assert "more than 1 value per channel" in one_error_line(capsys)


def test_weights_without_config(capsys):
    from groundup.models import MLP
    from groundup.train import save_weights

    model = MLP([64, 8, 10])
    del model.config
    save_weights(model, "bare.safetensors")
    assert main(["evaluate", "bare.safetensors"]) == 1
    assert "no architecture config" in one_error_line(capsys)


# ---------------------------------------------------------------- interrupt and resume
class InterruptOnce(Callback):
    def on_batch_end(self, step, logs):
        if step == 5:
            raise KeyboardInterrupt  # as Ctrl-C would, mid-epoch


def test_ctrl_c_saves_checkpoint_and_resume_matches_an_uninterrupted_run(capsys, monkeypatch):
    args = ["train", "--epochs", "3", "--hidden", "16", "--quiet", "--seed", "1"]
    assert main([*args, "--save", "straight.safetensors"]) == 0
    original_fit = cli.classify.fit
    interrupt = InterruptOnce()

    def fit_with_interrupt(*a, **kw):
        return original_fit(*a, **kw, callbacks=[interrupt])

    monkeypatch.setattr(cli.classify, "fit", fit_with_interrupt)
    assert main([*args, "--checkpoint", "c.safetensors", "--save", "r.safetensors"]) == 130
    assert "interrupted in epoch 1/3 after 5 batches" in capsys.readouterr().err
    assert Path("c.safetensors").exists() and not Path("r.safetensors").exists()
    monkeypatch.setattr(cli.classify, "fit", original_fit)
    assert main([*args, "--resume", "c.safetensors", "--save", "r.safetensors"]) == 0
    straight, _ = read("straight.safetensors")
    resumed, _ = read("r.safetensors")
    for key, value in straight.items():
        assert np.array_equal(resumed[key], value), key


def test_console_script_in_a_real_process(tmp_path):
    script = Path(sys.executable).with_name("groundup")
    ok = subprocess.run(
        [str(script), "train", *FAST, "--save", str(tmp_path / "w.safetensors")],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert ok.returncode == 0, ok.stderr
    assert ok.stdout.startswith("test accuracy: ")
    bad = subprocess.run(
        [str(script), "evaluate", str(tmp_path / "nope.safetensors")],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert bad.returncode == 1
    assert bad.stderr.strip().count("\n") == 0 and "no such file" in bad.stderr
    assert "Traceback" not in bad.stderr

"""The `groundup` command keeps a user's runs and files safe: one-line errors before any
work, no silent replace, a resumed run that must be the same run, training that stops on
broken numbers, memory checked before allocating, SIGTERM and early Ctrl-C handled."""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from groundup import models, nn
from groundup.cli import build_parser, classify, main, memory, sequence
from groundup.models import MLP, BertConfig
from groundup.train import read_metadata, safefile, save_weights

FAST = ["--epochs", "1", "--hidden", "8", "--quiet"]
SCRIPT = Path(sys.executable).with_name("groundup")


@pytest.fixture(autouse=True)
def in_tmp(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)


def one_error_line(capsys) -> str:
    captured = capsys.readouterr()
    err = captured.err.strip()
    assert "Traceback" not in err
    assert len(err.splitlines()) == 1, err
    assert "epoch 1/" not in captured.err  # refused before training
    return err


def last_line(capsys) -> str:
    return capsys.readouterr().out.strip().splitlines()[-1]


# --------------------------------------------------- 1. a checkpoint missing a piece
def test_resume_of_a_checkpoint_missing_its_rng_names_file_and_piece(capsys):
    assert main(["train", *FAST, "--checkpoint", "c.ck"]) == 0
    tensors, meta = safefile.read("c.ck")
    state = json.loads(meta.pop(safefile.DIGEST_KEY) and meta["state"])
    del state["rng"]
    safefile.write("c.ck", tensors, {**meta, "state": json.dumps(state)})
    capsys.readouterr()
    assert main(["train", *FAST, "--resume", "c.ck", "--save", "r.safetensors"]) == 1
    err = one_error_line(capsys)
    assert "c.ck: the checkpoint has no 'rng' entry" in err and "nothing was loaded" in err
    assert not Path("r.safetensors").exists()


# -------------------------------------------------------- 2. checksum and --no-verify
def strip_checksum(path: str) -> None:
    tensors, meta = safefile.read(path)
    del meta[safefile.DIGEST_KEY]
    Path(path).write_bytes(safefile._st_save(tensors, metadata=meta))


def test_a_file_without_its_checksum_needs_no_verify(capsys):
    assert main(["train", *FAST, "--save", "w.safetensors", "--checkpoint", "c.ck"]) == 0
    accuracy = read_metadata("w.safetensors")["info"]["test_accuracy"]
    strip_checksum("w.safetensors")
    strip_checksum("c.ck")
    capsys.readouterr()
    assert main(["evaluate", "w.safetensors"]) == 1
    err = one_error_line(capsys)
    assert "w.safetensors: the SHA-256 entry" in err and "--no-verify" in err
    assert main(["evaluate", "w.safetensors", "--no-verify"]) == 0
    assert f"test accuracy on digits: {accuracy:.4f}" in capsys.readouterr().out
    resume = ["train", "--epochs", "2", "--hidden", "8", "--quiet", "--resume", "c.ck"]
    assert main(resume) == 1
    assert "c.ck: the SHA-256 entry" in one_error_line(capsys)
    assert main([*resume, "--no-verify"]) == 0
    assert main(["train", *FAST, "--no-verify"]) == 1
    assert "--no-verify: only with --resume" in one_error_line(capsys)


# ------------------------------------------------------------ 3. resuming another run
def test_resume_with_another_optimizer_lr_or_model_is_a_short_diff(capsys):
    assert main(["train", *FAST, "--checkpoint", "adam.ck"]) == 0
    before = Path("adam.ck").read_bytes()
    capsys.readouterr()
    cases = [
        (["--optimizer", "sgd"], "--optimizer adam; this run asks for --optimizer sgd"),
        (["--optimizer", "sgd", "--lr", "0.1"], "--optimizer adam --lr 0.001; this run asks "
         "for --optimizer sgd --lr 0.1"),
        (["--batch-size", "64"], "--batch-size 32; this run asks for --batch-size 64"),
        (["--schedule", "constant"], "--schedule cosine; this run asks for --schedule constant"),
        (["--hidden", *["8"] * 500], "this run asks for --hidden 8 8 8 ... (500 values)"),
        (["--model", "logistic"], "--model mlp; this run asks for --model logistic"),
        (["--dataset", "mnist1d"], "--dataset digits; this run asks for --dataset mnist1d"),
    ]  # fmt: skip
    for options, expected in cases:
        args = ["train", "--epochs", "1", "--hidden", "8", "--quiet", "--resume", "adam.ck"]
        if "--model" in options:
            args.remove("--hidden")
            args.remove("8")
        assert main([*args, *options]) == 1, options
        err = one_error_line(capsys)
        assert err.startswith("groundup train: error: --resume adam.ck: the checkpoint was ")
        assert err.endswith(expected), err
        assert len(err) < 200
    assert Path("adam.ck").read_bytes() == before
    assert not Path("runs/mlp-digits-2.safetensors").exists()


def test_a_longer_resumed_run_re_plans_its_cosine_and_says_so(capsys):
    args = ["train", "--hidden", "8", "--checkpoint", "c.ck", "--save", "w.safetensors"]
    assert main([*args, "--epochs", "2", "--quiet"]) == 0
    capsys.readouterr()
    assert main(["train", "--hidden", "8", "--epochs", "6", "--resume", "c.ck"]) == 0
    out = capsys.readouterr().out
    note = [line for line in out.splitlines() if line.startswith("--resume")]
    assert note == [
        "--resume: the checkpoint's run planned 2 epochs and stopped after 2; the cosine "
        "schedule is re-planned for 6 (lr 0.00075 in epoch 3)"
    ]
    lrs = read_metadata("c.ck")["state"]["extra"]["fit"]["history"]["lr"]
    planned = [1e-3 * (1 + np.cos(np.pi * t / 6)) / 2 for t in range(6)]
    assert lrs[:2] == pytest.approx([1e-3, 5e-4])
    assert lrs[2:] == pytest.approx(planned[2:])  # not 0, 5e-4, 1e-3, ...: T_max = 2
    assert main(["train", "--hidden", "8", "--epochs", "3", "--resume", "c.ck"]) == 1
    assert "has trained 6 epochs already; --epochs 3 is fewer" in one_error_line(capsys)


# ------------------------------------------------------------ 4. no silent replace
def test_a_second_run_gets_a_fresh_name_and_the_last_line_names_it(capsys):
    assert main(["train", *FAST]) == 0
    assert last_line(capsys) == "saved weights to runs/mlp-digits.safetensors"
    first = Path("runs/mlp-digits.safetensors").read_bytes()
    assert main(["train", *FAST, "--seed", "1"]) == 0
    assert last_line(capsys) == "saved weights to runs/mlp-digits-2.safetensors"
    assert Path("runs/mlp-digits.safetensors").read_bytes() == first
    assert main(["train", *FAST, "--seed", "2", "--overwrite"]) == 0
    assert last_line(capsys) == "saved weights to runs/mlp-digits.safetensors"
    assert Path("runs/mlp-digits.safetensors").read_bytes() != first
    assert sorted(p.name for p in Path("runs").iterdir()) == [
        "mlp-digits-2.safetensors", "mlp-digits.safetensors"
    ]  # fmt: skip


def test_an_explicit_existing_save_or_checkpoint_needs_overwrite(capsys):
    Path("mine.safetensors").write_bytes(b"precious")
    Path("c.ck").write_bytes(b"another run's checkpoint")
    assert main(["train", *FAST, "--save", "mine.safetensors"]) == 1
    assert "--save mine.safetensors: the file exists" in one_error_line(capsys)
    assert main(["train", *FAST, "--checkpoint", "c.ck"]) == 1
    assert "--checkpoint c.ck: the file exists" in one_error_line(capsys)
    assert Path("mine.safetensors").read_bytes() == b"precious"
    assert Path("c.ck").read_bytes() == b"another run's checkpoint"
    assert not Path("runs").exists()
    assert main(["train", *FAST, "--save", "mine.safetensors", "--overwrite"]) == 0
    assert last_line(capsys) == "saved weights to mine.safetensors"


def test_a_sequence_run_gets_a_fresh_name_too(capsys):
    args = ["train", "--model", "transformer", "--task", "reversal", "--epochs", "1",
            "--d-model", "8", "--heads", "2", "--layers", "1", "--train-size", "128"]  # fmt: skip
    Path("runs").mkdir()
    Path("runs/transformer-reversal.safetensors").write_bytes(b"an earlier run")
    assert main([*args, "--quiet"]) == 0
    assert last_line(capsys) == "saved weights to runs/transformer-reversal-2.safetensors"
    assert Path("runs/transformer-reversal.safetensors").read_bytes() == b"an earlier run"


# ------------------------------------------------------------ 5. numbers
@pytest.mark.parametrize(
    "args, text",
    [
        (["--lr", "inf"], "argument --lr: must be a finite number, got inf"),
        (["--lr", "nan"], "argument --lr: must be a finite number, got nan"),
        (["--lr", "-1"], "argument --lr: must be positive, got -1"),
        (["--lr", "1e400"], "must be a finite number"),
        (["--weight-decay", "-1"], "argument --weight-decay: must be 0 or more, got -1"),
        (["--weight-decay", "nan"], "argument --weight-decay: must be a finite number"),
        (["--dropout", "1.5"], "argument --dropout: must be in [0, 1), got 1.5"),
        (["--dropout", "nan"], "argument --dropout: must be a finite number"),
        (["--teacher-forcing", "inf"], "argument --teacher-forcing: must be a finite number"),
        (["--save", ""], "--save: the path is empty"),
        (["--checkpoint", ""], "--checkpoint: the path is empty"),
    ],
)
def test_bad_numbers_and_empty_paths_are_one_line_before_anything_runs(args, text, capsys):
    assert main(["train", *args]) in (1, 2)
    assert text in one_error_line(capsys)
    assert not Path("runs").exists()


def test_a_diverging_run_stops_names_epoch_and_batch_and_keeps_the_checkpoint(capsys, monkeypatch):
    calls = {"n": 0}
    real = nn.functional.cross_entropy

    def loss_fn(out, y):  # 45 batches per epoch: the third of epoch 2 goes wrong
        calls["n"] += 1
        return real(out, y) * (float("inf") if calls["n"] == 48 else 1.0)

    monkeypatch.setattr(nn.functional, "cross_entropy", loss_fn)
    args = ["train", "--epochs", "3", "--hidden", "8", "--quiet", "--checkpoint", "c.ck"]
    assert main(args) == 1
    err = one_error_line(capsys)
    assert "training diverged: the loss became inf in epoch 2, batch 3 of 45" in err
    assert "c.ck keeps the last good epoch" in err and "try a smaller --lr" in err
    assert read_metadata("c.ck")["state"]["epoch"] == 1
    assert not Path("runs").exists()


def test_lr_1e12_stops_with_a_message_and_writes_nothing(capsys):
    assert main(["train", "--lr", "1e12", "--optimizer", "sgd", "--epochs", "2", "--quiet"]) == 1
    err = one_error_line(capsys)
    assert "training diverged" in err and "(this run: 1e+12)" in err
    assert "RuntimeWarning" not in err
    assert not Path("runs").exists()


# ------------------------------------------------------------- 6. output paths
@pytest.mark.parametrize("option", ["--save", "--checkpoint"])
def test_an_unwritable_output_is_refused_before_training(option, capsys):
    Path("folder").mkdir()
    for path in ("/proc/groundup-test/y.safetensors", "folder"):
        assert main(["train", *FAST, option, path]) == 1
        err = one_error_line(capsys)
        assert f"{option}: {path}:" in err
        assert "cannot write there" in err or "is a directory" in err
    assert not Path("runs").exists()


def test_a_failed_final_write_saves_to_a_fallback_and_says_where(capsys, monkeypatch):
    real = safefile.atomic_write_bytes

    def write(path, data):
        if Path(path).parent.name == "full":
            raise OSError(28, "No space left on device")
        real(path, data)

    monkeypatch.setattr(safefile, "atomic_write_bytes", write)
    assert main(["train", *FAST, "--save", "full/w.safetensors"]) == 1
    captured = capsys.readouterr()
    assert "could not write full/w.safetensors (No space left on device)" in captured.err
    assert captured.out.strip().splitlines()[-1] == f"saved weights to {Path.cwd()}/w.safetensors"
    assert read_metadata("w.safetensors")["config"]["sizes"] == [64, 8, 10]


# ----------------------------------------------------------------- 7. memory
def test_a_huge_hidden_layer_is_refused_with_the_estimate(capsys):
    assert main(["train", "--hidden", "1000000000"]) == 1
    err = one_error_line(capsys)
    assert "--hidden 1000000000: a model of 79,000,000,011 parameters needs about" in err
    assert "available; choose smaller sizes" in err
    assert main(["summary", "--hidden", "1000000000"]) == 1
    assert "79,000,000,011 parameters" in one_error_line(capsys)
    assert main(["train", "--model", "transformer", "--d-model", "1000000", "--heads", "1"]) == 1
    assert "--d-model 1000000" in one_error_line(capsys)


def test_a_weights_file_whose_config_asks_for_a_huge_layer_is_refused(capsys):
    huge = {"name": "MLP", "sizes": [64, 10**9, 10]}  # signed: only its size is wrong
    save_weights(MLP([64, 8, 10]), "w.safetensors", config=huge)
    assert main(["evaluate", "w.safetensors"]) == 1
    err = one_error_line(capsys)
    assert "its config describes a model of 75,000,000,010 values" in err
    assert "the file holds 610" in err and "no model was built" in err


def test_the_estimate_counts_exactly_what_build_allocates():
    for model in classify.MODELS:
        for dataset in classify.DATASETS:
            settings = {**classify.DEFAULTS[dataset], "dropout": 0.0}
            settings.update(classify.MODEL_DEFAULTS.get((model, dataset), {}))
            if model == "gru":
                settings["hidden"] = [5]
            config = classify.model_config(model, dataset, settings)
            built = models.build(config)
            assert memory.state_values(config) == sum(v.size for v in built.state_dict().values())
    for decoder in ("plain", "peeky", "attention"):
        config = {"name": "Seq2Seq", "vocab_size": 13, "hidden_size": 6, "decoder": decoder,
                  "attention": "additive"}  # fmt: skip
        built = models.build(config)
        assert memory.state_values(config) == sum(v.size for v in built.state_dict().values())
    config = {"name": "TransformerSeq2Seq", "vocab_size": 11, "d_model": 8, "nhead": 2,
              "positional": "learned"}  # fmt: skip
    built = models.build(config)
    assert memory.state_values(config) == sum(v.size for v in built.state_dict().values())


# ---------------------------------------------------------------- 9. clear errors
def test_evaluate_of_a_text_file_says_it_is_not_safetensors(capsys):
    Path("README.md").write_text("# groundup\n\nDeep learning from the ground up.\n" * 10)
    assert main(["evaluate", "README.md"]) == 1
    err = one_error_line(capsys)
    assert "README.md: not a safetensors file" in err and "truncated" not in err


def test_evaluate_of_bert_weights_names_the_command_that_evaluates_them(capsys):
    config = BertConfig(vocab_size=20, hidden_size=8, num_hidden_layers=1, num_attention_heads=2,
                        intermediate_size=16).to_dict()  # fmt: skip
    save_weights(MLP([2, 2]), "runs/bert/bert.safetensors", config, {"held_out": []})
    assert main(["evaluate", "runs/bert/bert.safetensors"]) == 1
    err = one_error_line(capsys)
    assert "is a BERT saved by `groundup bert pretrain`" in err
    assert "`groundup bert finetune --pretrained runs/bert`" in err and "--dataset" not in err


# ------------------------------------------------------------------------ 10. help
def subparser(name: str):
    parser = build_parser()
    commands = next(a for a in parser._actions if a.dest == "command")
    return commands.choices[name]


@pytest.mark.parametrize("command", ["train", "summary", "evaluate"])
def test_every_option_shows_its_default_and_choices(command):
    names = ("model", "dataset", "optimizer", "schedule", "task", "attention", "init",
             "positional")  # fmt: skip
    for action in subparser(command)._actions:
        if action.dest in ("help", "path") or isinstance(action, argparse._StoreTrueAction):
            continue  # --help, the positional, and flags that are off unless given
        if getattr(action.type, "__name__", None) in names:
            assert action.metavar.startswith("{"), action.dest  # the choices, in the usage
        assert "default" in (action.help or ""), action.dest


def test_help_lists_every_model_task_and_per_model_default(capsys):
    assert main(["train", "--help"]) == 0
    out = " ".join(capsys.readouterr().out.split())
    assert "--model {mlp,logistic,cnn,gru,seq2seq,peeky,attention,transformer}" in out
    assert "default mlp" in out
    assert "--task {addition,date,dates,reversal,copying}" in out
    assert "--positional {sinusoidal,learned,none}" in out and "default sinusoidal" in out
    assert "mlp, logistic 30 / 200; cnn, gru 60 / 200" in out  # --epochs (digits / mnist1d)
    assert "mlp, logistic 0.001 / 0.01; cnn, gru 0.003 / 0.01" in out  # --lr
    assert "transformer: addition 20, dates 6" in out and "transformer 0.002" in out
    assert classify.model_default("cnn", "digits", "epochs") == 60


def test_summary_help_describes_it_and_lists_only_its_options(capsys):
    assert main(["summary", "--help"]) == 0
    out = capsys.readouterr().out
    assert "Nothing is trained" in out and "memory" in out
    for other in ("--task", "--epochs", "--save", "transformer", "seq2seq", "--d-model"):
        assert other not in out, other


def test_a_sequence_run_prints_its_configuration_and_an_estimate(capsys):
    args = ["train", "--model", "peeky", "--task", "addition", "--epochs", "1", "--hidden", "8"]
    assert main([*args, "--train-size", "1536", "--examples", "0"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == (
        "peeky on addition: hidden 8, embedding 16, reversed source, teacher forcing 1, torch "
        "init; adam lr 0.001 (cosine), batch 128, 1 epoch, first 1,536 examples, seed 0 "
        "(generating the task ...)"
    )
    assert out[1].startswith("estimated training time: ") and "for 12 batches" in out[1]
    assert sequence.TIMED_BATCHES == 10 and "over the first 10)" in out[1]


# ------------------------------------------------------------------- 8. signals
def start(args: list[str], cwd: Path) -> subprocess.Popen:
    """The console script in its own process, with Ctrl-C's default handling (a background
    test run may have started with SIGINT ignored)."""
    env = {**os.environ, "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"}
    return subprocess.Popen(
        [str(SCRIPT), *args], cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True, preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )  # fmt: skip


def finish(proc: subprocess.Popen) -> tuple[int, str, str]:
    try:
        out, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
    return proc.returncode, out, err


@pytest.mark.skipif(os.name != "posix", reason="signals to a child process")
def test_sigterm_during_training_saves_says_so_and_exits_143(tmp_path):
    proc = start(["train", "--epochs", "300", "--hidden", "8", "--checkpoint", "c.ck"], tmp_path)
    deadline = time.monotonic() + 120
    while not (tmp_path / "c.ck").exists() and proc.poll() is None:
        assert time.monotonic() < deadline, "no checkpoint after 120 s"
        time.sleep(0.05)
    proc.send_signal(signal.SIGTERM)
    status, out, err = finish(proc)
    assert status == 143, err
    assert "Traceback" not in err
    assert "SIGTERM: stopping after the current batch" in err
    assert "Training interrupted (SIGTERM)" in err and "saved checkpoint c.ck" in err
    assert "continue with the same options and --resume c.ck" in err
    assert read_metadata(tmp_path / "c.ck")["state"]["epoch"] >= 1
    assert not (tmp_path / "runs").exists()


@pytest.mark.skipif(os.name != "posix", reason="signals to a child process")
@pytest.mark.parametrize(
    "signum, status, word",
    [(signal.SIGINT, 130, "interrupted"), (signal.SIGTERM, 143, "terminated")],
)
def test_a_signal_while_starting_up_is_one_line(tmp_path, signum, status, word):
    proc = start(["train", "--epochs", "1", "--hidden", "8"], tmp_path)
    time.sleep(0.5)  # importing: the library (a second or so), then the command
    proc.send_signal(signum)
    code, out, err = finish(proc)
    assert code == status, err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1, err
    assert word in err

"""Stopping and resuming gives the same weights, bit for bit, as never stopping.

Shuffling, dropout and batch norm are all on, so any generator or buffer that a checkpoint
forgot would change the numbers.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

import groundup as gu
from groundup import nn, optim
from groundup.data import DataLoader, TensorDataset
from groundup.models import MLP
from groundup.train import Callback, fit, load_weights

REPO = Path(__file__).resolve().parents[1]


def make_run(seed: int, loader_seed: int | None = None):
    """Model, optimizer, scheduler and shuffling loader; only the data is fixed."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal((64, 12)).astype(np.float32)
    y = rng.integers(0, 4, 64)
    gu.manual_seed(seed)  # init, shuffling, dropout
    model = MLP([12, 32, 16, 4], dropout=0.3, batch_norm=True)
    opt = optim.Adam(model.parameters(), lr=1e-2)
    sched = optim.lr_scheduler.StepLR(opt, step_size=1, gamma=0.7)
    loader = DataLoader(TensorDataset(x, y), 10, shuffle=True, seed=loader_seed)
    return model, opt, sched, loader


def run(model, opt, sched, loader, epochs, **kwargs):
    return fit(
        model,
        nn.functional.cross_entropy,
        opt,
        loader,
        epochs,
        scheduler=sched,
        progress=False,
        **kwargs,
    )


def straight_run(loader_seed=None):
    model, opt, sched, loader = make_run(0, loader_seed)
    history = run(model, opt, sched, loader, 4)
    return model, opt, history


def assert_same_training(model, opt, history, ref_model, ref_opt, ref_history):
    for (k, a), b in zip(model.state_dict().items(), ref_model.state_dict().values(), strict=True):
        assert np.array_equal(a, b), f"{k} differs"
    for i, state in ref_opt.state_dict()["state"].items():
        other = opt.state_dict()["state"][i]
        assert other["step"] == state["step"]
        assert np.array_equal(other["exp_avg"], state["exp_avg"])
        assert np.array_equal(other["exp_avg_sq"], state["exp_avg_sq"])
    assert opt.param_groups[0]["lr"] == ref_opt.param_groups[0]["lr"]
    for key in ("epoch", "train_loss", "train_accuracy", "lr"):
        assert history[key] == ref_history[key], key


class InterruptAt(Callback):
    """Raise KeyboardInterrupt after batch `batch` of epoch `epoch` (1-based), as Ctrl-C."""

    def __init__(self, epoch: int, batch: int):
        self.epoch, self.batch, self.current = epoch, batch, 1

    def on_batch_end(self, step, logs):
        if self.current == self.epoch and step == self.batch:
            raise KeyboardInterrupt

    def on_epoch_end(self, epoch, logs):
        self.current = epoch + 2


@pytest.mark.parametrize("loader_seed", [None, 7])
def test_two_plus_two_epochs_equal_four(tmp_path, loader_seed):
    ref_model, ref_opt, ref_history = straight_run(loader_seed)
    path = tmp_path / "ckpt.safetensors"
    model, opt, sched, loader = make_run(0, loader_seed)
    run(model, opt, sched, loader, 2, checkpoint=path)
    # everything new: other initial weights, other optimizer state, other generator state
    model, opt, sched, loader = make_run(99, loader_seed)
    gu.manual_seed(12345)
    history = run(model, opt, sched, loader, 4, resume=path)
    assert history.epochs == 4
    assert_same_training(model, opt, history, ref_model, ref_opt, ref_history)


def test_without_the_generator_states_resuming_would_differ(tmp_path):
    """The counterfactual: restore weights and optimizer but not the generators."""
    ref_model, _, _ = straight_run()
    path = tmp_path / "ckpt.safetensors"
    model, opt, sched, loader = make_run(0)
    run(model, opt, sched, loader, 2, checkpoint=path)
    from groundup.train import load_checkpoint

    model, opt, sched, loader = make_run(99)
    load_checkpoint(path, model, opt, sched, restore_rng=False)
    run(model, opt, sched, loader, 2)
    assert not np.array_equal(
        model.state_dict()["out.weight"], ref_model.state_dict()["out.weight"]
    )


@pytest.mark.parametrize("epoch, batch", [(2, 3), (1, 1), (3, 7)])
def test_interrupt_mid_epoch_saves_and_resumes_bit_identically(tmp_path, capsys, epoch, batch):
    ref_model, ref_opt, ref_history = straight_run()
    path = tmp_path / "ckpt.safetensors"
    model, opt, sched, loader = make_run(0)
    history = run(
        model, opt, sched, loader, 4, checkpoint=path, callbacks=[InterruptAt(epoch, batch)]
    )
    assert history.interrupted and history.epochs == epoch - 1
    err = capsys.readouterr().err
    assert f"interrupted in epoch {epoch}/4 after {batch} batches" in err and str(path) in err
    model, opt, sched, loader = make_run(5)
    history = run(model, opt, sched, loader, 4, resume=path)
    assert not history.interrupted and history.epochs == 4
    assert_same_training(model, opt, history, ref_model, ref_opt, ref_history)


def test_resuming_mid_epoch_with_another_batch_size_is_refused(tmp_path):
    path = tmp_path / "ckpt.safetensors"
    model, opt, sched, loader = make_run(0)
    run(model, opt, sched, loader, 2, checkpoint=path, callbacks=[InterruptAt(2, 3)])
    model, opt, sched, _ = make_run(0)
    other = DataLoader(loader.dataset, 32, shuffle=True)
    with pytest.raises(ValueError, match="same data and batch size"):
        run(model, opt, sched, other, 2, resume=path)


def test_interrupt_without_checkpoint_returns_cleanly(capsys):
    model, opt, sched, loader = make_run(0)
    history = run(model, opt, sched, loader, 3, callbacks=[InterruptAt(2, 2)])
    assert history.interrupted and history.epochs == 1
    assert "nothing was saved" in capsys.readouterr().err


def test_resuming_a_finished_run_trains_no_more(tmp_path):
    path = tmp_path / "ckpt.safetensors"
    model, opt, sched, loader = make_run(0)
    run(model, opt, sched, loader, 2, checkpoint=path)
    weights = model.state_dict()
    history = run(model, opt, sched, loader, 2, resume=path)
    assert history.epochs == 2
    for k, v in model.state_dict().items():
        assert np.array_equal(v, weights[k])


SIGINT_SCRIPT = textwrap.dedent(
    """
    import os, signal, sys
    # a process started in the background inherits SIGINT ignored; Ctrl-C needs the default
    signal.signal(signal.SIGINT, signal.default_int_handler)
    from groundup import nn
    from groundup.train import Callback, fit, save_weights
    from tests.test_train_resume import make_run

    class CtrlC(Callback):  # a real SIGINT, as from a terminal, after batch 3 of epoch 2
        def __init__(self):
            self.epoch = 1
        def on_batch_end(self, step, logs):
            if self.epoch == 2 and step == 3:
                os.kill(os.getpid(), signal.SIGINT)
        def on_epoch_end(self, epoch, logs):
            self.epoch = epoch + 2

    mode, ckpt, out = sys.argv[1:4]
    model, opt, sched, loader = make_run(0 if mode == "start" else 42)
    history = fit(model, nn.functional.cross_entropy, opt, loader, 4, scheduler=sched,
                  checkpoint=ckpt, resume=None if mode == "start" else ckpt,
                  callbacks=[CtrlC()] if mode == "start" else [], progress=False)
    print("interrupted" if history.interrupted else "finished", history.epochs)
    save_weights(model, out)
    """
)


@pytest.fixture
def default_sigint():
    """Python's own Ctrl-C handler, even when the test run was started with SIGINT ignored
    (as background jobs of a non-interactive shell are)."""
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    signal.signal(signal.SIGINT, previous)


@pytest.mark.skipif(os.name != "posix", reason="SIGINT to self")
def test_sigint_in_one_process_and_resume_in_another(tmp_path, default_sigint):
    ckpt, partial, final = (
        tmp_path / n for n in ("c.safetensors", "p.safetensors", "f.safetensors")
    )

    def child(mode: str, out: Path) -> subprocess.CompletedProcess:
        cmd = [sys.executable, "-c", SIGINT_SCRIPT, mode, str(ckpt), str(out)]
        return subprocess.run(cmd, capture_output=True, text=True, timeout=120, cwd=REPO)

    first = child("start", partial)
    assert first.returncode == 0, first.stderr
    assert first.stdout.split() == ["interrupted", "1"]
    assert "stopping after the current batch" in first.stderr
    assert "Traceback" not in first.stderr
    second = child("resume", final)
    assert second.returncode == 0, second.stderr
    assert second.stdout.split() == ["finished", "4"]
    ref_model, _, _ = straight_run()
    resumed = MLP([12, 32, 16, 4], dropout=0.3, batch_norm=True)
    load_weights(resumed, final)
    for (k, a), b in zip(
        resumed.state_dict().items(), ref_model.state_dict().values(), strict=True
    ):
        assert np.array_equal(a, b), f"{k} differs"
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_fit_restores_the_sigint_handler(default_sigint):
    model, opt, sched, loader = make_run(0)
    run(model, opt, sched, loader, 1)
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler

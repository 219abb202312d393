"""Nothing silently wrong, nothing lost, in the training library: all-or-nothing loads,
checksums that cannot be switched off by deleting them, training that stops on broken
numbers, re-planned schedules, output paths tried before work, stale temporaries."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from safetensors.numpy import save_file

import groundup as gu
from groundup import nn, optim
from groundup.data import DataLoader, TensorDataset
from groundup.models import MLP
from groundup.train import (
    Callback,
    CheckpointError,
    fit,
    load_checkpoint,
    load_weights,
    read_metadata,
    safefile,
    save_checkpoint,
    save_weights,
)
from groundup.train.fit import DivergedError
from tests.test_checkpoint import CRASH_SCRIPT, REPO, assert_state_equal, trained_setup

ce = nn.functional.cross_entropy


def rewrite(path: Path, edit) -> None:
    """Edit a file's metadata with `edit(meta)` and sign it again (a valid checksum)."""
    tensors, meta = safefile.read(path)
    meta = dict(meta)
    meta.pop(safefile.DIGEST_KEY)
    edit(meta, tensors)
    safefile.write(path, tensors, meta)


def edit_state(change):
    def edit(meta, tensors):
        state = json.loads(meta["state"])
        change(state, tensors)
        meta["state"] = json.dumps(state)

    return edit


def everything(model, opt, sched) -> tuple:
    return (
        model.state_dict(),
        json.dumps(opt.state_dict()["param_groups"]),
        {k: v.copy() for k, v in opt.state_dict()["state"][0].items() if hasattr(v, "copy")},
        sched.state_dict(),
        gu.get_rng_state(),
        np.random.get_state()[1].copy(),  # noqa: NPY002
        random.getstate(),
    )


def assert_unchanged(before: tuple, after: tuple) -> None:
    assert_state_equal(after[0], before[0])
    assert after[1] == before[1]
    for key, value in before[2].items():
        np.testing.assert_array_equal(after[2][key], value)
    assert after[3] == before[3]
    assert after[4] == before[4]
    np.testing.assert_array_equal(after[5], before[5])
    assert after[6] == before[6]


# ------------------------------------------------------------- 1. all or nothing
@pytest.mark.parametrize(
    "change, piece",
    [
        (lambda s, t: s.pop("rng"), "'rng'"),
        (lambda s, t: s.pop("optimizer"), "'optimizer'"),
        (lambda s, t: s.pop("scheduler"), "'scheduler'"),
        (lambda s, t: s.pop("epoch"), "'epoch'"),
        (lambda s, t: s["rng"].pop("python"), "rng state is incomplete"),
        (lambda s, t: t.pop("optimizer.state.0.exp_avg"), "optimizer state refers to data"),
        # passes every check, then fails while the generators are set: after the model,
        # optimizer, scheduler and groundup's generator were already written
        (lambda s, t: s["rng"]["numpy"]["__tuple__"].__setitem__(0, "NOPE"), "the rng state"),
    ],
)
def test_a_missing_or_broken_piece_changes_nothing_and_is_named(tmp_path, change, piece):
    model, opt, sched = trained_setup(seed=0)
    path = tmp_path / "c.safetensors"
    save_checkpoint(path, model, opt, sched, epoch=2)
    rewrite(path, edit_state(change))
    other, other_opt, other_sched = trained_setup(seed=7)
    gu.manual_seed(11)
    before = everything(other, other_opt, other_sched)
    with pytest.raises(CheckpointError) as err:
        load_checkpoint(path, other, other_opt, other_sched)
    message = str(err.value)
    assert str(path) in message and piece in message, message
    assert not isinstance(err.value, KeyError)
    assert_unchanged(before, everything(other, other_opt, other_sched))


# -------------------------------------------------------------- 2. checksums
@pytest.mark.parametrize("new_key", [None, "sha256_old"])
def test_removing_or_renaming_the_checksum_does_not_switch_verification_off(tmp_path, new_key):
    path = tmp_path / "w.safetensors"
    gu.manual_seed(0)
    model = MLP([4, 6, 3])
    save_weights(model, path)
    blob = bytearray(path.read_bytes())
    blob[-3] ^= 0x01  # damage a weight...
    path.write_bytes(bytes(blob))
    tensors, meta = safefile.read(path, verify=False)
    stored = meta.pop(safefile.DIGEST_KEY)
    if new_key is not None:
        meta[new_key] = stored
    path.write_bytes(safefile._st_save(tensors, metadata=meta))  # ...and drop the checksum
    for load in (read_metadata, lambda p: load_weights(MLP([4, 6, 3]), p)):
        with pytest.raises(CheckpointError, match="SHA-256 entry .* is missing") as err:
            load(path)
        assert str(path) in str(err.value) and "verify=False" in str(err.value)
    fresh = MLP([4, 6, 3])
    load_weights(fresh, path, verify=False)  # asked for explicitly: loads, unchecked
    assert not np.array_equal(fresh.state_dict()["out.weight"], model.state_dict()["out.weight"])


def test_a_file_of_another_tool_needs_verify_false(tmp_path):
    gu.manual_seed(0)
    model = MLP([4, 3])
    path = tmp_path / "other.safetensors"
    save_file(model.state_dict(), str(path))
    with pytest.raises(CheckpointError, match="another tool.*verify=False.*--no-verify"):
        load_weights(MLP([4, 3]), path)
    fresh = MLP([4, 3])
    load_weights(fresh, path, verify=False)
    assert_state_equal(fresh.state_dict(), model.state_dict())


def test_a_checkpoint_without_its_checksum_needs_verify_false(tmp_path):
    model, opt, sched = trained_setup()
    path = tmp_path / "c.safetensors"
    save_checkpoint(path, model, opt, sched, epoch=1)
    tensors, meta = safefile.read(path)
    del meta[safefile.DIGEST_KEY]
    path.write_bytes(safefile._st_save(tensors, metadata=meta))
    with pytest.raises(CheckpointError, match="missing"):
        load_checkpoint(path, *trained_setup(seed=2))
    assert load_checkpoint(path, *trained_setup(seed=2), verify=False)["epoch"] == 1


def test_a_text_file_is_not_a_safetensors_file(tmp_path):
    path = tmp_path / "README.md"
    path.write_text("# groundup\n\nDeep learning from the ground up, on NumPy.\n" * 20)
    with pytest.raises(CheckpointError, match="not a safetensors file") as err:
        read_metadata(path)
    assert "truncated" not in str(err.value) and "bytes" not in str(err.value)


def test_tensor_shapes_reads_the_header_only(tmp_path):
    path = tmp_path / "w.safetensors"
    save_weights(MLP([5, 7, 2]), path)
    shapes = safefile.tensor_shapes(path)
    assert shapes == {
        "hidden.0.0.weight": (7, 5), "hidden.0.0.bias": (7,), "out.weight": (2, 7),
        "out.bias": (2,),
    }  # fmt: skip


# ---------------------------------------------------------- 3. broken numbers stop fit
def toy(n: int = 40, batch: int = 8):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((n, 5)).astype(np.float32)
    y = (x[:, 0] > 0).astype(np.int64)
    gu.manual_seed(0)
    model = MLP([5, 8, 2])
    return model, optim.SGD(model.parameters(), lr=0.1), DataLoader(TensorDataset(x, y), batch)


def nan_loss_at(call: int):
    calls = {"n": 0}

    def loss_fn(out, y):
        calls["n"] += 1
        loss = ce(out, y)
        return loss * float("nan") if calls["n"] == call else loss

    return loss_fn


def test_a_non_finite_loss_stops_before_the_step_and_keeps_the_checkpoint(tmp_path):
    model, opt, loader = toy()  # 5 batches per epoch
    path = tmp_path / "c.safetensors"
    weights = {}

    class Keep(Callback):
        def on_batch_end(self, step, logs):
            weights["last"] = model.state_dict()

    with pytest.raises(DivergedError) as err:
        fit(model, nan_loss_at(8), opt, loader, 3, checkpoint=path, callbacks=[Keep()],
            progress=False)  # fmt: skip
    e = err.value
    assert (e.epoch, e.batch, e.n_batches, e.what) == (2, 3, 5, "loss") and np.isnan(e.value)
    assert "epoch 2, batch 3 of 5" in str(e) and "smaller learning rate" in str(e)
    assert str(path) in str(e)  # the checkpoint of epoch 1 is kept
    assert read_metadata(path)["state"]["epoch"] == 1
    assert_state_equal(model.state_dict(), weights["last"])  # the bad batch made no step


def test_weights_that_stop_being_finite_are_never_saved(tmp_path):
    model, opt, loader = toy()
    path = tmp_path / "c.safetensors"

    class Poison(Callback):  # the last step of epoch 2 leaves an inf behind
        def __init__(self):
            self.epoch = 0

        def on_batch_end(self, step, logs):
            if self.epoch == 1 and step == 5:
                model.out.weight._data[0, 0] = np.inf

        def on_epoch_end(self, epoch, logs):
            self.epoch = epoch + 1

    with pytest.raises(DivergedError, match="out.weight became inf at the end of epoch 2"):
        fit(model, ce, opt, loader, 3, checkpoint=path, callbacks=[Poison()], progress=False)
    _, meta = safefile.read(path)
    assert json.loads(meta["state"])["epoch"] == 1
    saved = MLP([5, 8, 2])
    load_weights(saved, path)
    assert all(np.isfinite(v).all() for v in saved.state_dict().values())


def test_a_checkpoint_that_cannot_be_written_goes_to_a_fallback(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    model, opt, loader = toy()
    blocked = tmp_path / "gone" / "c.safetensors"
    real_write = safefile.atomic_write_bytes

    def write(path, data):
        if Path(path).parent.name == "gone":
            raise OSError(28, "No space left on device")
        real_write(path, data)

    monkeypatch.setattr(safefile, "atomic_write_bytes", write)
    history = fit(model, ce, opt, loader, 2, checkpoint=blocked, progress=False)
    err = capsys.readouterr().err
    assert "No space left on device" in err and "c.safetensors instead" in err
    assert history.checkpoint == tmp_path / "c.safetensors"
    assert read_metadata(tmp_path / "c.safetensors")["state"]["epoch"] == 2


# -------------------------------------------------------------- 3b. longer runs re-plan
def cosine_run(epochs: int, checkpoint=None, resume=None):
    model, opt, loader = toy()
    sched = optim.lr_scheduler.CosineAnnealingLR(opt, T_max=epochs)
    return fit(model, ce, opt, loader, epochs, scheduler=sched, checkpoint=checkpoint,
               resume=resume, progress=False)  # fmt: skip


def test_resuming_with_more_epochs_re_plans_the_cosine(tmp_path):
    path = tmp_path / "c.safetensors"
    cosine_run(2, checkpoint=path)
    planned = cosine_run(6)["lr"]
    history = cosine_run(6, resume=path)
    assert history["lr"][:2] == pytest.approx([0.1, 0.05])  # the two-epoch run's
    assert history["lr"][2:] == pytest.approx(planned[2:])  # then the six-epoch curve
    assert history["lr"][2] > 0.05  # not T_max = 2, whose cosine climbs back up from 0


# ---------------------------------------------------------- 6. output paths, fallbacks
def test_output_paths_are_tried_and_nothing_is_left_behind(tmp_path):
    with pytest.raises(CheckpointError, match="path is empty"):
        safefile.ensure_writable("")
    with pytest.raises(CheckpointError, match="cannot write there"):
        safefile.ensure_writable("/proc/groundup-test/x/y.safetensors")
    safefile.ensure_writable(tmp_path / "a" / "b" / "w.safetensors")
    assert list(tmp_path.iterdir()) == []


def test_unused_path_and_fallbacks(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    target = tmp_path / "w.safetensors"
    assert safefile.unused_path(target) == target
    target.write_text("")
    (tmp_path / "w-2.safetensors").write_text("")
    assert safefile.unused_path(target) == tmp_path / "w-3.safetensors"
    written: list[Path] = []

    def write_to(path):
        if "blocked" in str(path):
            raise PermissionError(13, "Permission denied")
        written.append(path)

    path, error = safefile.write_with_fallback(tmp_path / "blocked" / "m.safetensors", write_to)
    assert path == tmp_path / "m.safetensors" and isinstance(error, PermissionError)
    assert written == [path]


# ------------------------------------------------------------- 8. stale temporaries
@pytest.mark.skipif(os.name != "posix", reason="SIGKILL and process ids")
def test_a_killed_writes_temporary_is_removed_by_the_next_save(tmp_path):
    path = tmp_path / "w.safetensors"
    proc = subprocess.Popen(
        [sys.executable, "-c", CRASH_SCRIPT, str(path)], stdout=subprocess.PIPE, text=True,
        cwd=REPO,
    )  # fmt: skip
    try:
        assert proc.stdout is not None
        assert proc.stdout.readline().strip() == "saved"
        assert proc.stdout.readline().strip() == "mid-write"
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    leftovers = [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]
    assert len(leftovers) == 1
    alive = tmp_path / f".x.safetensors.{os.getppid()}.abcd1234.tmp"  # a live writer's
    alive.write_bytes(b"in progress")
    save_weights(MLP([2, 2]), tmp_path / "other.safetensors")  # any save into the folder
    assert not leftovers[0].exists()
    assert alive.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        [alive.name, "other.safetensors", "w.safetensors"]
    )


def test_fit_handles_sigterm_while_it_runs_and_restores_the_handler():
    model, opt, loader = toy()
    before = signal.getsignal(signal.SIGTERM)
    during = []

    class Look(Callback):
        def on_batch_end(self, step, logs):
            during.append(signal.getsignal(signal.SIGTERM))

    fit(model, ce, opt, loader, 1, callbacks=[Look()], progress=False)
    assert before is signal.SIG_DFL and during[0] is not signal.SIG_DFL
    assert signal.getsignal(signal.SIGTERM) is before

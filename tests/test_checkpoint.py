"""Weights and checkpoints: round trips, torch interop, integrity, atomicity, all-or-nothing."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
import torch
from safetensors.numpy import load_file

import groundup as gu
from groundup import nn, optim
from groundup.models import MLP, LogisticRegression, build
from groundup.train import (
    CheckpointError,
    load_checkpoint,
    load_weights,
    read_metadata,
    save_checkpoint,
    save_weights,
)
from groundup.train.checkpoint import decode_state, encode_state

REPO = Path(__file__).resolve().parents[1]


def trained_setup(seed: int = 0, sizes: tuple[int, ...] = (6, 8, 3)):
    """A small MLP (batch norm, dropout), Adam and a StepLR after two optimizer steps."""
    gu.manual_seed(seed)
    model = MLP(list(sizes), dropout=0.2, batch_norm=True)
    opt = optim.Adam(model.parameters(), lr=1e-2)
    sched = optim.lr_scheduler.StepLR(opt, step_size=1, gamma=0.5)
    x = gu.randn(5, sizes[0])
    y = gu.tensor(np.array([0, 1, 2, 0, 1]))
    for _ in range(2):
        loss = nn.functional.cross_entropy(model(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        sched.step()
    return model, opt, sched


def assert_state_equal(a: dict, b: dict) -> None:
    assert list(a) == list(b)
    for k in a:
        np.testing.assert_array_equal(a[k], b[k], err_msg=k)
        assert a[k].dtype == b[k].dtype and a[k].shape == b[k].shape, k


# ----------------------------------------------------------------------------- weights
def test_weights_round_trip_with_config_and_version(tmp_path):
    model, _, _ = trained_setup()
    path = tmp_path / "w.safetensors"
    save_weights(model, path, info={"dataset": "toy", "accuracy": 0.5})
    fresh = build(model.config)
    meta = load_weights(fresh, path)
    assert_state_equal(fresh.state_dict(), model.state_dict())
    assert meta["config"] == model.config
    assert meta["info"] == {"dataset": "toy", "accuracy": 0.5}
    assert meta["groundup_version"] == gu.__version__
    assert read_metadata(path)["config"]["sizes"] == [6, 8, 3]
    # 0-d buffers keep their shape (num_batches_tracked)
    assert fresh.state_dict()["hidden.0.1.num_batches_tracked"].shape == ()


def test_weights_file_is_plain_safetensors_that_torch_can_load(tmp_path):
    gu.manual_seed(1)
    model = MLP([4, 5, 3])
    path = tmp_path / "w.safetensors"
    save_weights(model, path)
    arrays = load_file(path)  # no groundup involved: a standard file
    assert set(arrays) == {"hidden.0.0.weight", "hidden.0.0.bias", "out.weight", "out.bias"}
    torch_model = torch.nn.Sequential(torch.nn.Linear(4, 5), torch.nn.ReLU(), torch.nn.Linear(5, 3))
    renamed = {k.replace("hidden.0.0", "0").replace("out", "2"): v for k, v in arrays.items()}
    torch_model.load_state_dict({k: torch.from_numpy(v) for k, v in renamed.items()})
    x = np.random.default_rng(0).standard_normal((7, 4)).astype(np.float32)
    expected = torch_model(torch.from_numpy(x)).detach().numpy()
    np.testing.assert_allclose(model(gu.tensor(x)).detach().numpy(), expected, rtol=1e-5, atol=1e-6)


def test_saving_never_pickles(tmp_path):
    model, opt, sched = trained_setup()
    path = tmp_path / "c.safetensors"
    save_checkpoint(path, model, opt, sched, epoch=1)
    header_len = int.from_bytes(path.read_bytes()[:8], "little")
    header = json.loads(path.read_bytes()[8 : 8 + header_len])  # plain JSON header
    assert "__metadata__" in header
    assert b"\x80\x04" not in path.read_bytes()[: 8 + header_len]  # no pickle protocol mark


def test_load_weights_from_another_architecture_names_keys_and_changes_nothing(tmp_path):
    gu.manual_seed(0)
    path = tmp_path / "w.safetensors"
    save_weights(MLP([6, 16, 3]), path)
    other = MLP([6, 8, 3])
    before = other.state_dict()
    with pytest.raises(CheckpointError) as err:
        load_weights(other, path)
    message = str(err.value)
    assert str(path) in message and "hidden.0.0.weight" in message
    assert "(16, 6)" in message and "(8, 6)" in message
    assert_state_equal(other.state_dict(), before)
    with pytest.raises(CheckpointError, match="missing key"):
        load_weights(LogisticRegression(6, 3), path)


def test_missing_file_and_directory_raise_checkpoint_error(tmp_path):
    with pytest.raises(CheckpointError, match="no such file"):
        load_weights(MLP([2, 2]), tmp_path / "nope.safetensors")
    with pytest.raises(CheckpointError, match="directory"):
        load_weights(MLP([2, 2]), tmp_path)


# --------------------------------------------------------------------------- integrity
def test_truncated_file_is_detected(tmp_path):
    model, opt, sched = trained_setup()
    path = tmp_path / "c.safetensors"
    save_checkpoint(path, model, opt, sched, epoch=2)
    blob = path.read_bytes()
    for cut in (4, 20, len(blob) // 2, len(blob) - 1):
        path.write_bytes(blob[:cut])
        with pytest.raises(CheckpointError, match="truncated") as err:
            load_checkpoint(path, model, opt, sched)
        assert str(path) in str(err.value)


def test_flipped_bytes_are_detected(tmp_path):
    model, opt, sched = trained_setup()
    path = tmp_path / "c.safetensors"
    save_checkpoint(path, model, opt, sched, epoch=2)
    blob = bytearray(path.read_bytes())
    header_end = 8 + int.from_bytes(blob[:8], "little")
    for position in (len(blob) // 2, header_end + 3, len(blob) - 2):
        damaged = bytearray(blob)
        damaged[position] ^= 0x01
        path.write_bytes(bytes(damaged))
        with pytest.raises(CheckpointError, match="corrupted") as err:
            load_checkpoint(path, model, opt, sched)
        assert str(path) in str(err.value)
        with pytest.raises(CheckpointError, match="corrupted"):
            load_weights(model, path)


def test_edited_metadata_is_detected(tmp_path):
    path = tmp_path / "w.safetensors"
    save_weights(MLP([3, 2]), path, info={"accuracy": 0.5})
    blob = path.read_bytes()
    forged = blob.replace(b'\\"accuracy\\": 0.5', b'\\"accuracy\\": 0.9')
    assert forged != blob  # same length: only the checksum can tell
    path.write_bytes(forged)
    with pytest.raises(CheckpointError, match="SHA-256 mismatch"):
        read_metadata(path)


# ---------------------------------------------------------------- checkpoint round trip
def test_checkpoint_restores_model_optimizer_scheduler_epoch_and_extra(tmp_path):
    model, opt, sched = trained_setup(seed=0)
    path = tmp_path / "c.safetensors"
    extra = {"note": "hi", "array": np.arange(3.0), "pair": (1, 2)}
    save_checkpoint(path, model, opt, sched, epoch=7, extra=extra)
    model2, opt2, sched2 = trained_setup(seed=5)  # different weights and state
    info = load_checkpoint(path, model2, opt2, sched2)
    assert info["epoch"] == 7 and info["config"] == model.config
    assert info["extra"]["note"] == "hi" and info["extra"]["pair"] == (1, 2)
    np.testing.assert_array_equal(info["extra"]["array"], np.arange(3.0))
    assert_state_equal(model2.state_dict(), model.state_dict())
    a, b = opt.state_dict(), opt2.state_dict()
    assert a["param_groups"] == b["param_groups"]
    for i in a["state"]:
        assert a["state"][i]["step"] == b["state"][i]["step"]
        for key in ("exp_avg", "exp_avg_sq"):
            np.testing.assert_array_equal(a["state"][i][key], b["state"][i][key])
    assert sched2.state_dict() == sched.state_dict()
    assert opt2.param_groups[0]["lr"] == opt.param_groups[0]["lr"] == 1e-2 * 0.25


def test_checkpoint_restores_every_random_generator(tmp_path):
    model, opt, _ = trained_setup()
    path = tmp_path / "c.safetensors"
    gu.manual_seed(123)
    np.random.seed(4)  # noqa: NPY002 - the legacy global state is saved too
    random.seed(5)
    save_checkpoint(path, model, opt, epoch=1)
    expected = (gu.randn(3).numpy().copy(), np.random.rand(3), random.random())  # noqa: NPY002
    gu.manual_seed(999)
    np.random.seed(999)  # noqa: NPY002
    random.seed(999)
    load_checkpoint(path, model, opt)
    actual = (gu.randn(3).numpy(), np.random.rand(3), random.random())  # noqa: NPY002
    np.testing.assert_array_equal(actual[0], expected[0])
    np.testing.assert_array_equal(actual[1], expected[1])
    assert actual[2] == expected[2]


def test_checkpoint_from_another_architecture_changes_nothing(tmp_path):
    model, opt, sched = trained_setup(sizes=(6, 16, 3))
    path = tmp_path / "c.safetensors"
    save_checkpoint(path, model, opt, sched, epoch=3)
    other, other_opt, other_sched = trained_setup(seed=1, sizes=(6, 8, 3))
    before = (other.state_dict(), other_opt.state_dict(), other_sched.state_dict())
    rng_before = gu.get_rng_state()
    with pytest.raises(CheckpointError) as err:
        load_checkpoint(path, other, other_opt, other_sched)
    assert "hidden.0.0.weight" in str(err.value) and str(path) in str(err.value)
    assert_state_equal(other.state_dict(), before[0])
    assert other_opt.state_dict()["param_groups"] == before[1]["param_groups"]
    assert other_sched.state_dict() == before[2]
    assert gu.get_rng_state() == rng_before


def test_optimizer_mismatch_rolls_back_the_model(tmp_path):
    model, opt, _ = trained_setup()
    path = tmp_path / "c.safetensors"
    save_checkpoint(path, model, opt, epoch=1)
    model2, _, _ = trained_setup(seed=3)
    before = model2.state_dict()
    # same architecture, but an optimizer over a subset of the parameters
    wrong_opt = optim.Adam(list(model2.parameters())[:2], lr=1e-2)
    with pytest.raises(CheckpointError, match="nothing was loaded"):
        load_checkpoint(path, model2, wrong_opt)
    assert_state_equal(model2.state_dict(), before)


def test_weights_file_is_not_a_checkpoint(tmp_path):
    path = tmp_path / "w.safetensors"
    model, opt, _ = trained_setup()
    save_weights(model, path)
    with pytest.raises(CheckpointError, match="not a training checkpoint"):
        load_checkpoint(path, model, opt)
    ckpt = tmp_path / "c.safetensors"
    save_checkpoint(ckpt, model, opt, epoch=1)
    fresh = build(model.config)
    load_weights(fresh, ckpt)  # the model part of a checkpoint loads as weights
    assert_state_equal(fresh.state_dict(), model.state_dict())


def test_encode_decode_nested_state():
    state = {
        "state": {0: {"step": 3.0, "m": np.ones((2, 2), np.float32)}, 1: {}},
        "param_groups": [{"lr": 0.1, "betas": (0.9, 0.99), "params": [0, 1], "nan": float("inf")}],
        "scalar": np.float32(1.5),
        "tensor": gu.tensor([1.0, 2.0]),
    }
    arrays: dict = {}
    encoded = encode_state(state, "opt", arrays)
    decoded = decode_state(json.loads(json.dumps(encoded)), arrays)
    assert set(decoded["state"]) == {0, 1}  # int keys survive JSON
    assert decoded["param_groups"][0]["betas"] == (0.9, 0.99)
    assert decoded["param_groups"][0]["nan"] == float("inf")
    assert decoded["scalar"] == np.float32(1.5) and decoded["scalar"].dtype == np.float32
    np.testing.assert_array_equal(decoded["state"][0]["m"], np.ones((2, 2)))
    np.testing.assert_array_equal(decoded["tensor"].numpy(), [1.0, 2.0])
    with pytest.raises(TypeError, match="cannot save a object"):
        encode_state({"x": object()}, "p", {})


# ---------------------------------------------------------------------------- atomicity
CRASH_SCRIPT = textwrap.dedent(
    """
    import sys, time
    import numpy as np
    from groundup.models import MLP
    from groundup.train import safefile, save_weights
    import groundup as gu

    path = sys.argv[1]
    gu.manual_seed(0)
    save_weights(MLP([8, 16, 4]), path)            # the good, previous file
    print("saved", flush=True)

    def slow_write(f, data):                       # write half, then hang mid-write
        f.write(data[: len(data) // 2])
        f.flush()
        print("mid-write", flush=True)
        time.sleep(60)
        f.write(data[len(data) // 2 :])

    safefile._write_file = slow_write
    gu.manual_seed(1)
    save_weights(MLP([8, 16, 4]), path)
    """
)


@pytest.mark.skipif(os.name != "posix", reason="SIGKILL")
def test_process_killed_mid_write_leaves_previous_file_intact(tmp_path):
    path = tmp_path / "w.safetensors"
    proc = subprocess.Popen(
        [sys.executable, "-c", CRASH_SCRIPT, str(path)],
        stdout=subprocess.PIPE,
        text=True,
        cwd=REPO,
    )
    try:
        assert proc.stdout is not None
        assert proc.stdout.readline().strip() == "saved"
        assert proc.stdout.readline().strip() == "mid-write"
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == -signal.SIGKILL
    gu.manual_seed(0)
    expected = MLP([8, 16, 4])
    restored = MLP([8, 16, 4])
    load_weights(restored, path)  # verifies the checksum too
    assert_state_equal(restored.state_dict(), expected.state_dict())
    leftovers = [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]
    assert len(leftovers) == 1  # the half-written temporary, never the real file
    assert leftovers[0].stat().st_size < path.stat().st_size * 2
    with pytest.raises(CheckpointError):
        load_weights(restored, leftovers[0])


def test_failed_write_removes_its_temporary_and_keeps_old_file(tmp_path, monkeypatch):
    from groundup.train import safefile

    path = tmp_path / "w.safetensors"
    save_weights(MLP([3, 2]), path)
    before = path.read_bytes()

    def failing_write(f, data):
        f.write(data[:10])
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(safefile, "_write_file", failing_write)
    with pytest.raises(OSError, match="No space"):
        save_weights(MLP([3, 2]), path)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["w.safetensors"]


def test_unwritable_location_fails_before_anything_is_written(tmp_path):
    from groundup.train.safefile import ensure_writable

    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(CheckpointError, match="cannot write there .* is not a directory"):
        ensure_writable(blocker / "sub" / "c.safetensors")
    with pytest.raises(CheckpointError, match="directory"):
        ensure_writable(tmp_path)
    ensure_writable(tmp_path / "new" / "deeper" / "c.safetensors")
    assert not (tmp_path / "new").exists()  # checking creates nothing...
    save_weights(MLP([2, 2]), tmp_path / "new" / "deeper" / "c.safetensors")
    assert (tmp_path / "new" / "deeper" / "c.safetensors").is_file()  # ...saving does


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root ignores permissions")
def test_read_only_directory_is_reported(tmp_path):
    from groundup.train.safefile import ensure_writable

    locked = tmp_path / "locked"
    locked.mkdir(mode=0o500)
    with pytest.raises(CheckpointError, match="no write permission"):
        ensure_writable(locked / "c.safetensors")

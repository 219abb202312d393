"""gu.save / gu.load: safetensors round trips (every dtype, 0-d and empty tensors, state
dicts), interchange with torch's safetensors files, atomic writes, and clear errors."""

from __future__ import annotations

import io
import os
from collections import OrderedDict
from pathlib import Path

import numpy as np
import pytest
import safetensors.numpy
import safetensors.torch
import torch

import groundup as gu
from groundup import nn
from groundup.train import safefile
from groundup.train.safefile import CheckpointError

DTYPES = [
    np.float32, np.float64, np.float16, np.int64, np.int32, np.int16, np.int8,
    np.uint8, np.uint16, np.uint32, np.uint64, np.bool_,
]  # fmt: skip
SHAPES = [(), (0,), (3,), (2, 0, 4), (2, 3)]


def sample(shape, dtype, seed=0):
    a = np.random.default_rng(seed).standard_normal(shape) * 50
    return (a > 0) if dtype is np.bool_ else a.astype(dtype)


def assert_same_tensor(loaded, original: np.ndarray):
    assert isinstance(loaded, gu.Tensor)
    assert loaded.dtype == original.dtype and loaded.shape == original.shape
    np.testing.assert_array_equal(loaded.numpy(), original)


# ------------------------------------------------------------------------ round trips
@pytest.mark.parametrize("shape", SHAPES, ids=str)
@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
def test_tensor_round_trip(tmp_path, dtype, shape):
    a = sample(shape, dtype)
    gu.save(gu.tensor(a), tmp_path / "t.safetensors")
    loaded = gu.load(tmp_path / "t.safetensors")
    assert_same_tensor(loaded, a)
    assert not loaded.requires_grad and loaded.is_leaf
    loaded._data[...] = 0  # a writable array of its own, not a view of the file bytes


@pytest.mark.parametrize("path_type", [str, Path])
def test_state_dict_round_trip_into_load_state_dict(tmp_path, path_type):
    gu.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.Sequential(nn.Linear(4, 2)))
    model(gu.randn(5, 3))  # running stats and num_batches_tracked (a 0-d int64) change
    path = path_type(tmp_path / "model.safetensors")
    gu.save(model.state_dict(), path)
    loaded = gu.load(path)
    assert isinstance(loaded, OrderedDict)
    assert list(loaded) == list(model.state_dict())  # the saved order, nested keys flat
    fresh = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.Sequential(nn.Linear(4, 2)))
    result = fresh.load_state_dict(loaded)
    assert result.missing_keys == [] and result.unexpected_keys == []
    for key, value in model.state_dict().items():
        got = fresh.state_dict()[key]
        assert got.dtype == value.dtype and got.shape == value.shape
        np.testing.assert_array_equal(got, value)


def test_mapping_values_keep_their_kind():
    a = np.arange(3.0)
    d = {"t": gu.tensor(a), "g": gu.tensor(a, requires_grad=True), "n": a.astype(np.int32)}
    buf = io.BytesIO()
    gu.save(d, buf)
    loaded = gu.load(io.BytesIO(buf.getvalue()))
    assert type(loaded) is dict and list(loaded) == ["t", "g", "n"]
    assert isinstance(loaded["t"], gu.Tensor) and not loaded["t"].requires_grad
    assert loaded["g"].requires_grad and loaded["g"].is_leaf
    assert isinstance(loaded["n"], np.ndarray) and loaded["n"].dtype == np.int32


def test_a_tensor_that_requires_grad_comes_back_as_a_leaf_that_does():
    buf = io.BytesIO()
    gu.save(gu.tensor([1.0, 2.0], requires_grad=True) * 3, buf)  # a non-leaf is saved as data
    buf.seek(0)
    t = gu.load(buf)
    assert t.requires_grad and t.is_leaf and t.tolist() == [3.0, 6.0]


def test_non_contiguous_and_empty_mappings():
    a = np.arange(12.0).reshape(3, 4)
    buf = io.BytesIO()
    gu.save({"transposed": gu.tensor(a).T, "strided": gu.tensor(a)[:, ::2]}, buf)
    buf.seek(0)
    loaded = gu.load(buf)
    np.testing.assert_array_equal(loaded["transposed"].numpy(), a.T)
    np.testing.assert_array_equal(loaded["strided"].numpy(), a[:, ::2])
    buf = io.BytesIO()
    gu.save({}, buf)
    buf.seek(0)
    assert gu.load(buf) == {}


def test_load_accepts_torch_s_map_location_and_weights_only(tmp_path):
    gu.save(gu.ones(2), tmp_path / "a.st")
    for where in (None, "cpu", torch.device("cpu")):
        assert gu.load(tmp_path / "a.st", map_location=where, weights_only=True).tolist() == [1, 1]
    assert gu.load(tmp_path / "a.st", weights_only=False).tolist() == [1.0, 1.0]


# ------------------------------------------------------------- interchange with torch
def test_torch_reads_groundup_files(tmp_path):
    sd = {"w": gu.tensor(sample((2, 3), np.float32)), "step": gu.tensor(np.array(7))}
    gu.save(sd, tmp_path / "m.safetensors")
    t = safetensors.torch.load_file(tmp_path / "m.safetensors")
    assert set(t) == {"w", "step"}
    np.testing.assert_array_equal(t["w"].numpy(), sd["w"].numpy())
    assert t["step"].shape == () and t["step"].dtype == torch.int64
    gu.save(gu.tensor([True, False]), tmp_path / "one.safetensors")
    one = safetensors.torch.load_file(tmp_path / "one.safetensors")
    assert one["tensor"].tolist() == [True, False]


def test_groundup_reads_torch_safetensors_files(tmp_path):
    model = torch.nn.Sequential(torch.nn.Linear(3, 2), torch.nn.BatchNorm1d(2))
    safetensors.torch.save_file(model.state_dict(), tmp_path / "torch.safetensors")
    loaded = gu.load(tmp_path / "torch.safetensors")
    assert type(loaded) is dict and all(isinstance(v, gu.Tensor) for v in loaded.values())
    ours = nn.Sequential(nn.Linear(3, 2), nn.BatchNorm1d(2))
    ours.load_state_dict(loaded)
    for key, value in model.state_dict().items():
        np.testing.assert_array_equal(ours.state_dict()[key], value.numpy())


def test_a_torch_pickle_is_a_one_line_error_with_the_fix(tmp_path):
    torch.save({"w": torch.zeros(2)}, tmp_path / "model.pt")
    torch.save({"w": torch.zeros(2)}, tmp_path / "legacy.pt", _use_new_zipfile_serialization=False)
    for name, what in (("model.pt", "zip archive"), ("legacy.pt", "pickle")):
        with pytest.raises(CheckpointError) as info:
            gu.load(tmp_path / name)
        message = str(info.value)
        assert "\n" not in message and what in message
        assert "safetensors only" in message and "safetensors.torch.save_file" in message


def test_unsupported_file_dtype_names_the_entry(tmp_path):
    safetensors.torch.save_file({"w": torch.ones(2, dtype=torch.bfloat16)}, tmp_path / "bf.st")
    with pytest.raises(CheckpointError, match="'w' has dtype BF16"):
        gu.load(tmp_path / "bf.st")


# ------------------------------------------------------------------------- atomicity
def test_a_failing_write_leaves_the_existing_file_untouched(tmp_path, monkeypatch):
    path = tmp_path / "model.safetensors"
    gu.save({"w": gu.ones(3)}, path)
    before = path.read_bytes()

    def crash(f, data):
        f.write(data[: len(data) // 2])
        raise OSError("disk full")

    monkeypatch.setattr(safefile, "_write_file", crash)
    with pytest.raises(OSError, match="disk full"):
        gu.save({"w": gu.zeros(3)}, path)
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["model.safetensors"]  # no temporary file left behind
    assert gu.load(path)["w"].tolist() == [1.0, 1.0, 1.0]


def test_a_bad_value_writes_nothing(tmp_path):
    path = tmp_path / "model.safetensors"
    gu.save({"w": gu.ones(3)}, path)
    before = path.read_bytes()
    with pytest.raises(TypeError):
        gu.save({"w": gu.zeros(3), "epoch": 3}, path)
    assert path.read_bytes() == before


def test_damaged_and_truncated_files_are_caught(tmp_path):
    path = tmp_path / "m.st"
    gu.save({"w": gu.tensor(np.arange(100.0))}, path)
    blob = bytearray(path.read_bytes())
    path.write_bytes(blob[:-10])
    with pytest.raises(CheckpointError, match="truncated"):
        gu.load(path)
    blob[-1] ^= 0xFF
    path.write_bytes(blob)
    with pytest.raises(CheckpointError, match="SHA-256"):
        gu.load(path)
    path.write_bytes(b"")
    with pytest.raises(CheckpointError, match="empty; groundup reads safetensors only"):
        gu.load(path)


# ---------------------------------------------------------------------------- errors
@pytest.mark.parametrize(
    "obj, match",
    [
        ([gu.ones(1)], "cannot save a list; gu.save stores a Tensor or a mapping of str"),
        (np.ones(2), "cannot save a ndarray"),
        ({"model": {"w": gu.ones(1)}}, "the value of 'model' is a dict; .*save_checkpoint"),
        ({"lr": 0.1}, "the value of 'lr' is a float"),
        ({1: gu.ones(1)}, "keys must be str, got int"),
        ({"c": np.ones(2, np.complex128)}, "dtype complex128, which safetensors cannot store"),
    ],
)
def test_save_names_what_is_supported(obj, match):
    with pytest.raises(TypeError, match=match):
        gu.save(obj, io.BytesIO())


def test_file_argument_errors(tmp_path):
    with pytest.raises(TypeError, match="open it with 'wb'"), open(tmp_path / "x", "w") as f:
        gu.save(gu.ones(1), f)
    with pytest.raises(TypeError, match="path or a binary file object"):
        gu.save(gu.ones(1), 3)
    gu.save(gu.ones(1), tmp_path / "y")
    with pytest.raises(TypeError, match="open it with 'rb'"), open(tmp_path / "y") as f:
        gu.load(f)
    with pytest.raises(FileNotFoundError):
        gu.load(tmp_path / "missing.safetensors")
    with pytest.raises(ValueError, match="reserved"):
        gu.save({"__metadata__": gu.ones(1)}, io.BytesIO())


@pytest.mark.parametrize(
    "where, error",
    [("cuda", RuntimeError), ("cuda:0", RuntimeError), ({"cuda:0": "cpu"}, TypeError),
     (lambda s, loc: s, TypeError)],
)  # fmt: skip
def test_map_location_is_cpu_only(tmp_path, where, error):
    gu.save(gu.ones(1), tmp_path / "a.st")
    with pytest.raises(error, match="map_location"):
        gu.load(tmp_path / "a.st", map_location=where)


def test_files_written_by_safetensors_numpy_without_metadata(tmp_path):
    safetensors.numpy.save_file({"b": np.arange(3), "a": np.ones((2, 2))}, tmp_path / "n.st")
    loaded = gu.load(tmp_path / "n.st")
    assert sorted(loaded) == ["a", "b"] and loaded["b"].dtype == np.int64

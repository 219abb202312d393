"""Safetensors files that are written atomically and checked on read.

A file is a plain safetensors file (readable by `safetensors.numpy.load_file` and by
PyTorch), with two guarantees added:

* **Atomic writes.** The bytes go to a temporary file in the same directory, which is
  flushed and fsynced, then renamed over the target with `os.replace` (atomic on POSIX
  and Windows), and the directory is fsynced so the rename itself survives a power cut.
  A process killed at any moment leaves either the old file or the new one, never a mix.
* **Integrity.** The metadata stores a SHA-256 over every tensor (name, dtype, shape,
  bytes) and every other metadata entry. A truncated or damaged file raises
  `CheckpointError` naming the file instead of loading garbage.

Nothing here uses pickle: loading a file never runs code.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
from pathlib import Path
from typing import IO, Any

import numpy as np
from safetensors.numpy import load as _st_load
from safetensors.numpy import save as _st_save

DIGEST_KEY = "sha256"
PathLike = str | os.PathLike[str]


class CheckpointError(RuntimeError):
    """A weights or checkpoint file is missing, damaged, or does not fit the model."""


def digest(tensors: dict[str, np.ndarray], metadata: dict[str, str]) -> str:
    """SHA-256 of the tensors and metadata, independent of the order they are laid out in."""
    h = hashlib.sha256()
    for name in sorted(tensors):
        a = np.asarray(tensors[name], order="C")
        h.update(f"{name}\0{a.dtype.str}\0{a.shape}\0".encode())
        h.update(a.reshape(-1).view(np.uint8).data)
    entries = {k: v for k, v in metadata.items() if k != DIGEST_KEY}
    h.update(json.dumps(entries, sort_keys=True).encode())
    return h.hexdigest()


def _write_file(f: IO[bytes], data: bytes) -> None:
    """Write all of `data` (a seam the crash test replaces with a slow writer)."""
    f.write(data)


def _fsync_dir(directory: Path) -> None:
    """Make a rename in `directory` durable (POSIX only; Windows has no directory fsync)."""
    if os.name != "posix":
        return
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def atomic_write_bytes(path: PathLike, data: bytes) -> None:
    """Replace `path` with `data` so that a crash leaves the old file or the new one."""
    target = Path(path)
    directory = target.parent
    directory.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "wb") as f:
            _write_file(f, data)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o644)  # mkstemp creates 0600; a saved model is an ordinary file
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    _fsync_dir(directory)


def write(path: PathLike, tensors: dict[str, np.ndarray], metadata: dict[str, str]) -> None:
    """Save `tensors` with `metadata` (str -> str) plus its SHA-256, atomically."""
    arrays = {k: np.asarray(v, order="C") for k, v in tensors.items()}  # keeps 0-d shapes
    meta = {**metadata, DIGEST_KEY: digest(arrays, metadata)}
    atomic_write_bytes(path, _st_save(arrays, metadata=meta))


def _header(path: PathLike, blob: bytes) -> dict[str, Any]:
    """Parse the safetensors header: 8 bytes of little-endian length, then JSON."""
    if len(blob) < 8:
        raise CheckpointError(f"{path}: file is truncated ({len(blob)} bytes, no header)")
    n = int.from_bytes(blob[:8], "little")
    if 8 + n > len(blob):
        raise CheckpointError(
            f"{path}: file is truncated (header needs {8 + n} bytes, file has {len(blob)})"
        )
    try:
        header = json.loads(blob[8 : 8 + n])
    except ValueError as e:
        raise CheckpointError(f"{path}: file is corrupted (unreadable header: {e})") from None
    if not isinstance(header, dict):
        raise CheckpointError(f"{path}: file is corrupted (header is not a JSON object)")
    ends = [
        v["data_offsets"][1]
        for k, v in header.items()
        if k != "__metadata__" and isinstance(v, dict) and "data_offsets" in v
    ]
    expected = 8 + n + max(ends, default=0)
    if len(blob) < expected:
        raise CheckpointError(
            f"{path}: file is truncated (expected {expected} bytes, found {len(blob)})"
        )
    return header


def read(path: PathLike) -> tuple[dict[str, np.ndarray], dict[str, str]]:
    """Load `(tensors, metadata)`, verifying the stored SHA-256 when there is one.

    Files written by other tools (no checksum) load too; their truncation is still caught.
    """
    try:
        blob = Path(path).read_bytes()
    except FileNotFoundError:
        raise CheckpointError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise CheckpointError(f"{path}: is a directory, not a weights file") from None
    header = _header(path, blob)
    metadata = header.get("__metadata__") or {}
    try:
        tensors = _st_load(blob)
    except Exception as e:  # safetensors raises its own error type for every format problem
        raise CheckpointError(f"{path}: not a valid safetensors file ({e})") from None
    stored = metadata.get(DIGEST_KEY)
    if stored is not None:
        actual = digest(tensors, metadata)
        if actual != stored:
            raise CheckpointError(
                f"{path}: file is corrupted (SHA-256 mismatch: stored {stored[:12]}..., "
                f"computed {actual[:12]}...); it was damaged or modified after it was written"
            )
    return tensors, metadata


def ensure_writable(path: PathLike) -> None:
    """Fail early, before any training, if `path` could not be written. Creates nothing:
    the missing parent directories are made when the file is saved."""
    target = Path(path).absolute()
    if target.is_dir():
        raise CheckpointError(f"{path}: is a directory; give a file path")
    existing = target.parent
    while not existing.exists():
        existing = existing.parent
    if not existing.is_dir():
        raise CheckpointError(f"{path}: cannot write there ({existing} is not a directory)")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise CheckpointError(f"{path}: cannot write there (no write permission on {existing})")

"""Safetensors files that are written atomically and checked on read.

A file is a plain safetensors file (readable by `safetensors.numpy.load_file` and by
PyTorch), with two guarantees added:

* **Atomic writes.** The bytes go to a temporary file in the same directory, which is
  flushed and fsynced, then renamed over the target with `os.replace` (atomic on POSIX
  and Windows), and the directory is fsynced so the rename itself survives a power cut.
  A process killed at any moment leaves either the old file or the new one, never a mix;
  the temporary file it leaves behind (named after the writer's process id) is removed by
  the next save into that folder.
* **Integrity.** The metadata stores a SHA-256 over every tensor (name, dtype, shape,
  bytes) and every other metadata entry. A truncated or damaged file raises
  `CheckpointError` naming the file instead of loading garbage, and so does a file without
  the checksum: removing it does not switch the check off. A file written by another tool
  (which has no checksum) loads only with `verify=False`.

Nothing here uses pickle: loading a file never runs code.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

import numpy as np
from safetensors.numpy import load as _st_load
from safetensors.numpy import save as _st_save

DIGEST_KEY = "sha256"
GROUNDUP_FORMATS = ("groundup.weights", "groundup.checkpoint")
MAX_HEADER_BYTES = 100_000_000  # the safetensors library's own limit
PathLike = str | os.PathLike[str]
# `.NAME.PID.RANDOM.tmp`: the writer's process id tells a dead writer's leftover from a
# write in progress; `.NAME.RANDOM.tmp` was the name before the id was added
_TEMPORARY = re.compile(r"^\..+?(?:\.(?P<pid>\d+))?\.[a-z0-9_]{8}\.tmp$")
_OLD_TEMPORARY_SECONDS = 3600


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


# ------------------------------------------------------------------------------ writing
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


def _writer_alive(pid: int) -> bool:
    if pid == os.getpid():
        return True  # another thread of this process may be writing
    try:
        os.kill(pid, 0)  # signal 0: only asks whether the process exists
    except ProcessLookupError:
        return False
    except OSError:  # exists, but belongs to someone else
        return True
    return True


def remove_stale_temporaries(directory: PathLike) -> list[Path]:
    """Delete the temporary files that killed writes left in `directory` (those whose
    writer process is gone, or unnamed ones older than an hour); returns them."""
    if os.name != "posix":  # no cheap way to ask whether a process id is alive
        return []
    removed = []
    try:
        entries = list(os.scandir(directory))
    except OSError:
        return []
    for entry in entries:
        match = _TEMPORARY.match(entry.name)
        if match is None or not entry.is_file(follow_symlinks=False):
            continue
        pid = match.group("pid")
        try:
            if pid is not None:
                stale = not _writer_alive(int(pid))
            else:
                stale = time.time() - entry.stat().st_mtime > _OLD_TEMPORARY_SECONDS
            if stale:
                os.unlink(entry.path)
                removed.append(Path(entry.path))
        except OSError:
            continue
    return removed


def atomic_write_bytes(path: PathLike, data: bytes) -> None:
    """Replace `path` with `data` so that a crash leaves the old file or the new one."""
    target = Path(path)
    directory = target.parent
    directory.mkdir(parents=True, exist_ok=True)
    remove_stale_temporaries(directory)
    fd, tmp = tempfile.mkstemp(
        prefix=f".{target.name}.{os.getpid()}.", suffix=".tmp", dir=directory
    )
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


# ------------------------------------------------------------------------------ reading
def _header(path: PathLike, blob: bytes, file_size: int | None = None) -> dict[str, Any]:
    """Parse the safetensors header: 8 bytes of little-endian length, then JSON. `blob`
    holds at least the header; `file_size` is the whole file's (default: `len(blob)`)."""
    size = len(blob) if file_size is None else file_size
    if len(blob) < 8:
        raise CheckpointError(f"{path}: file is truncated ({len(blob)} bytes, no header)")
    n = int.from_bytes(blob[:8], "little")
    if (len(blob) > 8 and blob[8:9] != b"{") or n > MAX_HEADER_BYTES:
        raise CheckpointError(
            f"{path}: not a safetensors file (it does not begin with a safetensors header); "
            "give a .safetensors file"
        )
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
        _offsets(path, k, v["data_offsets"])[1]
        for k, v in header.items()
        if k != "__metadata__" and isinstance(v, dict) and "data_offsets" in v
    ]
    expected = 8 + n + max(ends, default=0)
    if size < expected:
        raise CheckpointError(
            f"{path}: file is truncated (expected {expected} bytes, found {size})"
        )
    return header


def _offsets(path: PathLike, name: str, value: Any) -> tuple[int, int]:
    """An entry's `data_offsets`, which must be [begin, end] (two non-negative ints)."""
    if (
        not isinstance(value, list)
        or len(value) != 2
        or not all(isinstance(v, int) and not isinstance(v, bool) and v >= 0 for v in value)
    ):
        raise CheckpointError(
            f"{path}: file is corrupted (tensor {name!r} has data_offsets "
            f"{json.dumps(value)[:40]}, expected [begin, end] byte offsets)"
        )
    return value[0], value[1]


def _read_bytes(path: PathLike, limit: int | None = None) -> bytes:
    try:
        with open(path, "rb") as f:
            return f.read() if limit is None else f.read(limit)
    except FileNotFoundError:
        raise CheckpointError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise CheckpointError(f"{path}: is a directory, not a weights file") from None


def _no_checksum(path: PathLike, metadata: dict[str, str]) -> CheckpointError:
    if metadata.get("format") in GROUNDUP_FORMATS:
        return CheckpointError(
            f"{path}: the SHA-256 entry ({DIGEST_KEY!r}) that groundup writes into every file "
            "is missing (removed or renamed), so damage cannot be ruled out; refusing to load "
            "it (verify=False, or --no-verify, loads it unchecked)"
        )
    return CheckpointError(
        f"{path}: the file has no groundup checksum (written by another tool?); "
        "load it unchecked with verify=False (on the command line: --no-verify)"
    )


def read(path: PathLike, verify: bool = True) -> tuple[dict[str, np.ndarray], dict[str, str]]:
    """Load `(tensors, metadata)`, checking the stored SHA-256.

    A file without the checksum (written by another tool, or with it removed) is refused
    unless `verify=False`, which skips the checksum; truncation is caught either way.
    """
    blob = _read_bytes(path)
    header = _header(path, blob)
    metadata = header.get("__metadata__") or {}
    try:
        tensors = _st_load(blob)
    except Exception as e:  # safetensors raises its own error type for every format problem
        raise CheckpointError(f"{path}: not a valid safetensors file ({e})") from None
    if verify:
        stored = metadata.get(DIGEST_KEY)
        if stored is None:
            raise _no_checksum(path, metadata)
        actual = digest(tensors, metadata)
        if actual != stored:
            raise CheckpointError(
                f"{path}: file is corrupted (SHA-256 mismatch: stored {stored[:12]}..., "
                f"computed {actual[:12]}...); it was damaged or modified after it was written"
            )
    return tensors, metadata


def tensor_shapes(path: PathLike) -> dict[str, tuple[int, ...]]:
    """The shape of every tensor in the file, from its header alone (no tensor is read)."""
    start = _read_bytes(path, 8)
    n = int.from_bytes(start, "little") if len(start) == 8 else 0
    blob = _read_bytes(path, 8 + n) if 0 < n <= MAX_HEADER_BYTES else start
    header = _header(path, blob, os.path.getsize(path))
    return {
        k: tuple(int(d) for d in v.get("shape", ()))
        for k, v in header.items()
        if k != "__metadata__" and isinstance(v, dict)
    }


# ------------------------------------------------------------------------ output paths
def ensure_writable(path: PathLike) -> None:
    """Fail early, before any training, if a file could not be saved at `path`: an empty
    name, a directory, a parent that is a file, a folder that cannot be created or written.

    The check tries: it creates the missing folders and a temporary file in the last one,
    then removes them again, so it leaves nothing behind.
    """
    if not str(path).strip():
        raise CheckpointError("the path is empty; give a file name such as runs/model.safetensors")
    target = Path(path).absolute()
    if target.is_dir():
        raise CheckpointError(f"{path}: is a directory; give a file path")
    existing, missing = target.parent, []
    while not existing.exists():
        missing.append(existing)
        existing = existing.parent
    if not existing.is_dir():
        raise CheckpointError(f"{path}: cannot write there ({existing} is not a directory)")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise CheckpointError(f"{path}: cannot write there (no write permission on {existing})")
    _try_writing_in(path, target.parent, missing)


def _try_writing_in(path: PathLike, folder: Path, missing: list[Path]) -> None:
    created: list[Path] = []
    try:
        for directory in reversed(missing):
            directory.mkdir()
            created.append(directory)
        fd, probe = tempfile.mkstemp(prefix=".groundup-write-check.", dir=folder)
        os.close(fd)
        os.unlink(probe)
    except OSError as e:
        where = e.filename or folder
        raise CheckpointError(f"{path}: cannot write there ({e.strerror or e}: {where})") from None
    finally:
        for directory in reversed(created):
            with contextlib.suppress(OSError):
                directory.rmdir()


def unused_path(path: PathLike) -> Path:
    """`path` if no file is there, else the first free `STEM-2.SUFFIX`, `STEM-3.SUFFIX`, ..."""
    target = Path(path)
    n = 2
    while target.exists():
        target = Path(path).with_name(f"{Path(path).stem}-{n}{Path(path).suffix}")
        n += 1
    return target


def fallback_paths(path: PathLike) -> list[Path]:
    """Where to save instead when `path` turns out not to be writable: a free name in the
    current directory, then one in the temporary directory."""
    name = Path(path).name or "saved.safetensors"
    return [unused_path(Path.cwd() / name), unused_path(Path(tempfile.gettempdir()) / name)]


def write_with_fallback(
    path: PathLike, write_to: Callable[[Path], None]
) -> tuple[Path, OSError | None]:
    """`write_to(path)`; if that fails with an OSError, `write_to` each fallback path in
    turn. Returns the path written and the first error (None when `path` itself worked);
    raises that error when no place could be written."""
    try:
        write_to(Path(path))
        return Path(path), None
    except OSError as error:
        for candidate in fallback_paths(path):
            if candidate.absolute() == Path(path).absolute():
                continue
            try:
                write_to(candidate)
            except OSError:
                continue
            return candidate, error
        raise

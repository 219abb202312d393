"""`save` and `load`, torch's names, in the safetensors format: never pickle.

torch.save pickles any Python object, and torch.load of an untrusted file can run code.
groundup stores what a safetensors file can hold, a Tensor or a mapping of str -> Tensor
(a `state_dict`, nested modules as dotted keys), so loading a file only ever reads numbers.
The file is a plain safetensors file: `safetensors.torch.load_file` reads it into torch
tensors, and a file written by `safetensors.torch.save_file` loads here.

What the safetensors header cannot say is kept in its string metadata:

* `groundup.kind`: "Tensor", "dict" or "OrderedDict", so `load` gives back what was saved
  (a lone tensor is stored under the key "tensor");
* `groundup.keys`: the saved key order (safetensors sorts the entries);
* `groundup.arrays`: the keys whose values were NumPy arrays (`Module.state_dict()` holds
  arrays), given back as arrays; every other value comes back as a Tensor;
* `groundup.requires_grad`: the keys of tensors that required grad (they come back as
  leaves that require grad, as torch.load gives them);
* `sha256`: a checksum over everything, checked on load (see `groundup.train.safefile`).

Writes to a path are atomic: a crash or an error leaves the old file or the new one, never
half a file. Tensors that shared memory when saved come back as separate copies.
"""

from __future__ import annotations

import io
import json
import os
from collections import OrderedDict
from collections.abc import Mapping
from pathlib import Path
from typing import IO, Any

import numpy as np

from groundup.tensor import Tensor

FileLike = str | os.PathLike[str] | IO[bytes]

_TENSOR_KEY = "tensor"
_SUPPORTED = "a Tensor or a mapping of str -> Tensor (a state_dict)"
# the safetensors dtype codes NumPy has a type for (not torch's BF16 or float8 types)
_FILE_DTYPES: dict[str, type] = {
    "BOOL": np.bool_,
    "U8": np.uint8,
    "I8": np.int8,
    "U16": np.uint16,
    "I16": np.int16,
    "U32": np.uint32,
    "I32": np.int32,
    "U64": np.uint64,
    "I64": np.int64,
    "F16": np.float16,
    "F32": np.float32,
    "F64": np.float64,
}
_DTYPES = {np.dtype(t) for t in _FILE_DTYPES.values()}
_CONVERT = (
    "groundup reads safetensors only (never pickle); convert a torch file once with "
    "`safetensors.torch.save_file(torch.load(path), 'model.safetensors')`"
)


def _safefile() -> Any:
    # imported on first use: groundup.train pulls in the training loop and its progress bars
    from groundup.train import safefile

    return safefile


def _is_path(f: Any) -> bool:
    return isinstance(f, (str, os.PathLike))


# ------------------------------------------------------------------------------ save
def _entry(key: Any, value: Any) -> np.ndarray:
    """One value as a C-contiguous, little-endian array, or a TypeError saying why not."""
    if not isinstance(key, str):
        raise TypeError(f"save(): keys must be str, got {type(key).__name__} {key!r}")
    if not isinstance(value, (Tensor, np.ndarray)):
        raise TypeError(
            f"save(): the value of {key!r} is a {type(value).__name__}; gu.save stores "
            f"{_SUPPORTED}; for a training checkpoint (optimizer state, epoch, ...) use "
            f"groundup.train.save_checkpoint"
        )
    a = value._data if isinstance(value, Tensor) else value
    if a.dtype not in _DTYPES:
        raise TypeError(
            f"save(): the value of {key!r} has dtype {a.dtype}, which safetensors cannot "
            f"store; supported: {', '.join(sorted(str(d) for d in _DTYPES))}"
        )
    return np.asarray(a, dtype=a.dtype.newbyteorder("<"), order="C")  # keeps 0-d shapes


def _encode(obj: Any) -> tuple[dict[str, np.ndarray], dict[str, str]]:
    """The arrays and metadata that stand for `obj` in the file."""
    if isinstance(obj, Tensor):
        arrays = {_TENSOR_KEY: _entry(_TENSOR_KEY, obj)}
        grad = [_TENSOR_KEY] if obj.requires_grad else []
        return arrays, {"groundup.kind": "Tensor", "groundup.requires_grad": json.dumps(grad)}
    if not isinstance(obj, Mapping):
        raise TypeError(f"save(): cannot save a {type(obj).__name__}; gu.save stores {_SUPPORTED}")
    if "__metadata__" in obj:
        raise ValueError("save(): the key '__metadata__' is reserved by the safetensors format")
    arrays = {key: _entry(key, value) for key, value in obj.items()}
    kind = "OrderedDict" if isinstance(obj, OrderedDict) else "dict"
    meta = {
        "groundup.kind": kind,
        "groundup.keys": json.dumps(list(arrays)),
        "groundup.arrays": json.dumps([k for k, v in obj.items() if isinstance(v, np.ndarray)]),
        "groundup.requires_grad": json.dumps(
            [k for k, v in obj.items() if isinstance(v, Tensor) and v.requires_grad]
        ),
    }
    return arrays, meta


def save(obj: Any, f: FileLike) -> None:
    """Write `obj` (a Tensor, or a mapping of str -> Tensor such as a state_dict) to `f`, a
    path or a binary file object, as safetensors. Writing to a path is atomic."""
    from safetensors.numpy import save as st_save

    safefile = _safefile()
    arrays, metadata = _encode(obj)
    metadata[safefile.DIGEST_KEY] = safefile.digest(arrays, metadata)
    data = st_save(arrays, metadata=metadata)
    if _is_path(f):
        safefile.atomic_write_bytes(f, data)
    elif isinstance(f, io.TextIOBase):
        raise TypeError("save(): the file is open in text mode; open it with 'wb'")
    elif hasattr(f, "write"):
        f.write(data)
    else:
        raise TypeError(
            f"save(): f must be a path or a binary file object, got {type(f).__name__}"
        )


# ------------------------------------------------------------------------------ load
def _read(f: Any) -> tuple[bytes, str]:
    """The file's bytes and a name for messages."""
    if _is_path(f):
        return Path(f).read_bytes(), str(f)  # FileNotFoundError as torch.load
    if isinstance(f, io.TextIOBase):
        raise TypeError("load(): the file is open in text mode; open it with 'rb'")
    if not hasattr(f, "read"):
        raise TypeError(
            f"load(): f must be a path or a binary file object, got {type(f).__name__}"
        )
    blob = f.read()
    return bytes(blob), str(getattr(f, "name", "<file object>"))


def _check_format(blob: bytes, name: str) -> None:
    """One clear line for a file that is not safetensors (a torch pickle, say)."""
    if len(blob) >= 9 and blob[8:9] == b"{":  # 8 bytes of header length, then JSON
        return
    if blob[:4] == b"PK\x03\x04":
        what = "a zip archive, as torch.save writes"
    elif blob[:1] == b"\x80":
        what = "a pickle"
    elif not blob:
        what = "empty"
    else:
        what = "not a safetensors file"
    raise _safefile().CheckpointError(f"{name}: {what}; {_CONVERT}")


def _decode(blob: bytes, name: str) -> tuple[dict[str, np.ndarray], dict[str, str]]:
    """The file's arrays (writable copies) and metadata, the checksum verified."""
    from safetensors.numpy import load as st_load

    safefile = _safefile()
    _check_format(blob, name)
    header = safefile._header(name, blob)  # a truncated file is a clear error
    for key, entry in header.items():
        dtype = entry.get("dtype") if key != "__metadata__" and isinstance(entry, dict) else None
        if dtype is not None and dtype not in _FILE_DTYPES:
            raise safefile.CheckpointError(
                f"{name}: {key!r} has dtype {dtype}, which groundup (NumPy) has no type for; "
                f"save it as float32 (tensor.float()) before converting"
            )
    try:
        tensors = st_load(blob)
    except Exception as e:  # safetensors has one error type for every format problem
        raise safefile.CheckpointError(f"{name}: not a valid safetensors file ({e})") from None
    metadata = header.get("__metadata__") or {}
    stored = metadata.get(safefile.DIGEST_KEY)
    if stored is not None and safefile.digest(tensors, metadata) != stored:
        raise safefile.CheckpointError(
            f"{name}: file is corrupted (SHA-256 mismatch); it was damaged or modified "
            f"after it was written"
        )
    return {k: np.array(v) for k, v in tensors.items()}, metadata


def _check_map_location(map_location: Any) -> None:
    """None, "cpu" or a cpu device (anything whose str() is "cpu", e.g. torch.device)."""
    if map_location is None:
        return
    if isinstance(map_location, (Mapping, bool, int, float)) or callable(map_location):
        raise TypeError(
            f"load(): map_location must be 'cpu', a cpu device or None, got "
            f"{type(map_location).__name__} (groundup has one device, so nothing to remap)"
        )
    if str(map_location) not in ("cpu", "cpu:0"):
        raise RuntimeError(
            f"load(): map_location={str(map_location)!r}, but groundup runs on the CPU only; "
            "pass 'cpu' or None"
        )


def load(f: FileLike, map_location: Any = None, weights_only: bool = True) -> Any:
    """Read a safetensors file written by `save` (or by safetensors.torch.save_file).

    Gives back what was saved: a Tensor, or a dict / OrderedDict of tensors in the saved
    key order, ready for `module.load_state_dict`. `map_location` may be None or "cpu"
    (groundup runs on the CPU only); `weights_only` is accepted for torch's signature and
    is always true here: a safetensors file holds nothing but tensors."""
    _check_map_location(map_location)
    if not isinstance(weights_only, bool):
        raise TypeError(f"load(): weights_only must be a bool, got {type(weights_only).__name__}")
    arrays, metadata = _decode(*_read(f))
    grad = set(json.loads(metadata.get("groundup.requires_grad", "[]")))
    kind = metadata.get("groundup.kind")
    if kind == "Tensor":
        return Tensor._make(arrays[_TENSOR_KEY], _TENSOR_KEY in grad)
    keys = json.loads(metadata["groundup.keys"]) if "groundup.keys" in metadata else list(arrays)
    as_array = set(json.loads(metadata.get("groundup.arrays", "[]")))
    out: dict[str, Any] = OrderedDict() if kind == "OrderedDict" else {}
    for key in keys:
        a = arrays[key]
        out[key] = a if key in as_array else Tensor._make(a, key in grad)
    return out

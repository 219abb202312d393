"""Model weights and full training checkpoints, in safetensors (never pickle).

* `save_weights` / `load_weights`: the model's `state_dict` under its own keys (so PyTorch
  can read the file), plus JSON metadata: the architecture config when the model has one
  (`model.config`, set by `groundup.models`), the groundup version, and any extra info.
* `save_checkpoint` / `load_checkpoint`: everything a resumed run needs to continue as if
  it had never stopped: weights (`model.*` keys), optimizer and scheduler state, the epoch,
  and every random number generator (groundup's, NumPy's legacy global one, Python's).

Nested state (an optimizer's `{'state': {0: {'exp_avg': array, 'step': 3}}, ...}`) is split
in two: arrays become safetensors entries under prefixed keys (`optimizer.state.0.exp_avg`),
everything else becomes JSON in the metadata, with `{"__array__": key}` where an array was.

Writes are atomic and files carry a SHA-256 (see `safefile`); a file without it loads only
with `verify=False`. Loading is all or nothing: when any piece is missing or does not fit,
the model, optimizer, scheduler and random generators are left as they were and the
`CheckpointError` names the file and the piece.
"""

from __future__ import annotations

import copy
import json
import random
from collections.abc import Mapping
from typing import Any

import numpy as np

import groundup
from groundup.nn.module import Module
from groundup.random import get_rng_state, set_rng_state
from groundup.tensor import Tensor
from groundup.train import safefile
from groundup.train.safefile import CheckpointError, PathLike

WEIGHTS_FORMAT = "groundup.weights"
CHECKPOINT_FORMAT = "groundup.checkpoint"


# ------------------------------------------------------------ nested state <-> arrays + JSON
def encode_state(obj: Any, prefix: str, arrays: dict[str, np.ndarray]) -> Any:
    """A JSON-ready copy of `obj`; each array moves into `arrays` under a key from `prefix`."""
    if isinstance(obj, (np.ndarray, Tensor, np.generic)):
        if prefix in arrays:
            raise ValueError(f"two arrays in the saved state share the key {prefix!r}")
        arrays[prefix] = np.array(obj._data if isinstance(obj, Tensor) else obj)
        kind = "__tensor__" if isinstance(obj, Tensor) else "__array__"
        return {"__scalar__" if isinstance(obj, np.generic) else kind: prefix}
    if obj is None or isinstance(obj, (bool, int, float, str)):
        return obj
    if isinstance(obj, tuple):
        return {"__tuple__": [encode_state(v, f"{prefix}.{i}", arrays) for i, v in enumerate(obj)]}
    if isinstance(obj, list):
        return [encode_state(v, f"{prefix}.{i}", arrays) for i, v in enumerate(obj)]
    if isinstance(obj, Mapping):
        if all(isinstance(k, str) and not k.startswith("__") for k in obj):
            return {k: encode_state(v, f"{prefix}.{k}", arrays) for k, v in obj.items()}
        # int keys (optimizer state is keyed by parameter index) would turn into strings
        return {"__dict__": [[k, encode_state(v, f"{prefix}.{k}", arrays)] for k, v in obj.items()]}
    raise TypeError(f"cannot save a {type(obj).__name__} (at {prefix!r}) in a checkpoint")


def decode_state(obj: Any, arrays: Mapping[str, np.ndarray]) -> Any:
    """Invert `encode_state`."""
    if isinstance(obj, list):
        return [decode_state(v, arrays) for v in obj]
    if not isinstance(obj, dict):
        return obj
    if len(obj) == 1:
        (tag, value), *_ = obj.items()
        if tag == "__array__":
            return arrays[value]
        if tag == "__scalar__":
            return arrays[value][()]
        if tag == "__tensor__":
            return Tensor(arrays[value])
        if tag == "__tuple__":
            return tuple(decode_state(v, arrays) for v in value)
        if tag == "__dict__":
            return {k: decode_state(v, arrays) for k, v in value}
    return {k: decode_state(v, arrays) for k, v in obj.items()}


# ---------------------------------------------------------------------------- RNG states
def get_all_rng_states() -> dict[str, Any]:
    """groundup's global generator, NumPy's legacy global generator and Python's `random`."""
    return {
        "groundup": get_rng_state(),
        "numpy": np.random.get_state(),  # noqa: NPY002 - user code may use the legacy API
        "python": random.getstate(),
    }


def set_all_rng_states(states: Mapping[str, Any]) -> None:
    set_rng_state(states["groundup"])
    np.random.set_state(states["numpy"])  # noqa: NPY002
    random.setstate(states["python"])


# ------------------------------------------------------------------------------ weights
def _metadata(fmt: str, config: Any, **fields: Any) -> dict[str, str]:
    """Safetensors metadata is str -> str: the config and other fields are JSON."""
    meta = {"format": fmt, "groundup_version": groundup.__version__}
    if config is not None:
        meta["config"] = json.dumps(config)
    meta.update({key: json.dumps(value) for key, value in fields.items()})
    return meta


def save_weights(
    model: Module, path: PathLike, config: Any = None, info: Mapping[str, Any] | None = None
) -> None:
    """Write `model.state_dict()` to `path` (safetensors), atomically.

    `config` defaults to `model.config` (set by `groundup.models`), so that the file alone
    can rebuild the model; `info` is any JSON-serializable extra (dataset, accuracy, ...).
    """
    config = getattr(model, "config", None) if config is None else config
    tensors = dict(model.state_dict())
    safefile.write(path, tensors, _metadata(WEIGHTS_FORMAT, config, info=dict(info or {})))


def read_metadata(path: PathLike, verify: bool = True) -> dict[str, Any]:
    """The (verified) metadata of a weights or checkpoint file, JSON fields decoded."""
    _, meta = safefile.read(path, verify)
    return _decode_metadata(path, meta)


def _decode_metadata(path: PathLike, meta: Mapping[str, str]) -> dict[str, Any]:
    out: dict[str, Any] = dict(meta)
    for key in ("config", "info", "state"):
        if key in out:
            try:
                out[key] = json.loads(out[key])
            except ValueError:
                raise CheckpointError(f"{path}: metadata field {key!r} is not JSON") from None
    return out


def _model_arrays(tensors: Mapping[str, np.ndarray], fmt: str | None) -> dict[str, np.ndarray]:
    """The model's entries: all of a weights file, the `model.*` keys of a checkpoint."""
    if fmt == CHECKPOINT_FORMAT:
        return {k[len("model.") :]: v for k, v in tensors.items() if k.startswith("model.")}
    return dict(tensors)


def _load_model_state(path: PathLike, model: Module, arrays: Mapping[str, np.ndarray]) -> None:
    """`model.load_state_dict` (which checks everything before writing), with the file named."""
    try:
        model.load_state_dict(arrays)
    except RuntimeError as e:
        raise CheckpointError(
            f"{path}: saved weights do not fit this {type(model).__name__} "
            f"(a different architecture?); nothing was loaded.\n{e}"
        ) from None


def load_weights(model: Module, path: PathLike, verify: bool = True) -> dict[str, Any]:
    """Load weights saved by `save_weights` (or the model part of a checkpoint) into `model`.

    Returns the file's metadata. Raises `CheckpointError` naming the file if it is missing,
    damaged, has no checksum (pass `verify=False` for a file written by another tool), or
    its keys/shapes differ from the model's; the model is then unchanged.
    """
    tensors, meta = safefile.read(path, verify)
    decoded = _decode_metadata(path, meta)
    _load_model_state(path, model, _model_arrays(tensors, meta.get("format")))
    return decoded


# --------------------------------------------------------------------------- checkpoints
STATE_PIECES = ("epoch", "optimizer", "scheduler", "rng", "extra")
RNG_PIECES = ("groundup", "numpy", "python")


def save_checkpoint(
    path: PathLike,
    model: Module,
    optimizer: Any = None,
    scheduler: Any = None,
    epoch: int = 0,
    extra: Mapping[str, Any] | None = None,
    config: Any = None,
    info: Mapping[str, Any] | None = None,
) -> None:
    """Save everything needed to resume training bit for bit, atomically.

    `epoch` is the number of completed epochs; `extra` may hold arrays and JSON values
    (`fit` keeps its history and position there); `info` is JSON describing the run (its
    settings), readable without loading anything as `read_metadata(path)['info']`.
    """
    arrays = {f"model.{k}": v for k, v in model.state_dict().items()}
    state = {
        "epoch": int(epoch),
        "optimizer": encode_state(
            optimizer.state_dict() if optimizer is not None else None, "optimizer", arrays
        ),
        "scheduler": encode_state(
            scheduler.state_dict() if scheduler is not None else None, "scheduler", arrays
        ),
        "rng": encode_state(get_all_rng_states(), "rng", arrays),
        "extra": encode_state(dict(extra or {}), "extra", arrays),
    }
    config = getattr(model, "config", None) if config is None else config
    fields: dict[str, Any] = {"state": state}
    if info is not None:
        fields["info"] = dict(info)
    safefile.write(path, arrays, _metadata(CHECKPOINT_FORMAT, config, **fields))


def _decode_pieces(
    path: PathLike, raw: Any, tensors: Mapping[str, np.ndarray], needed: Mapping[str, bool]
) -> dict[str, Any]:
    """The checkpoint's state, piece by piece; a missing or unreadable piece that is
    `needed` raises a CheckpointError naming it (the file was edited or written by
    something else)."""
    if not isinstance(raw, dict):
        raise CheckpointError(f"{path}: the checkpoint's state is not a JSON object")
    state: dict[str, Any] = {}
    for piece in STATE_PIECES:
        if piece not in raw:
            raise CheckpointError(
                f"{path}: the checkpoint has no {piece!r} entry in its state; it is incomplete "
                "(edited, or not written by save_checkpoint); nothing was loaded"
            )
        try:
            state[piece] = decode_state(raw[piece], tensors)
        except (KeyError, TypeError, ValueError, IndexError) as e:
            raise CheckpointError(
                f"{path}: the checkpoint's {piece} state refers to data the file does not hold "
                f"({type(e).__name__}: {e}); nothing was loaded"
            ) from None
    if isinstance(state["epoch"], bool) or not isinstance(state["epoch"], int):
        raise CheckpointError(f"{path}: the checkpoint's epoch is {state['epoch']!r}, not a count")
    for piece in ("optimizer", "scheduler"):
        if needed[piece] and state[piece] is None:
            raise CheckpointError(f"{path}: the checkpoint holds no {piece} state")
    rng = state["rng"]
    if needed["rng"] and not (isinstance(rng, dict) and all(k in rng for k in RNG_PIECES)):
        have = sorted(rng) if isinstance(rng, dict) else type(rng).__name__
        raise CheckpointError(
            f"{path}: the checkpoint's rng state is incomplete (it needs {list(RNG_PIECES)}, "
            f"has {have}); nothing was loaded"
        )
    if not isinstance(state["extra"], dict):
        raise CheckpointError(f"{path}: the checkpoint's extra state is not a mapping")
    return state


class _Snapshot:
    """Copies of everything `load_checkpoint` may change, to put back if it fails."""

    def __init__(self, model: Module, optimizer: Any, scheduler: Any):
        self.model, self.optimizer, self.scheduler = model, optimizer, scheduler
        self.weights = model.state_dict()
        self.opt = copy.deepcopy(optimizer.state_dict()) if optimizer is not None else None
        self.sched = copy.deepcopy(scheduler.state_dict()) if scheduler is not None else None
        self.rng = get_all_rng_states()

    def restore(self) -> None:
        self.model.load_state_dict(self.weights)
        if self.optimizer is not None:
            self.optimizer.load_state_dict(self.opt)
        if self.scheduler is not None:
            self.scheduler.load_state_dict(self.sched)
        set_all_rng_states(self.rng)


def load_checkpoint(
    path: PathLike,
    model: Module,
    optimizer: Any = None,
    scheduler: Any = None,
    restore_rng: bool = True,
    verify: bool = True,
) -> dict[str, Any]:
    """Restore what `save_checkpoint` saved; returns `{'epoch', 'extra', 'config', ...}`.

    All or nothing: if any piece is missing or does not fit (another architecture, another
    optimizer, an incomplete file), the model, optimizer, scheduler and random generators
    are left as they were and `CheckpointError` names the file and the piece.
    `verify=False` loads a file without a checksum.
    """
    tensors, meta = safefile.read(path, verify)
    decoded = _decode_metadata(path, meta)
    if meta.get("format") != CHECKPOINT_FORMAT or "state" not in decoded:
        raise CheckpointError(
            f"{path}: not a training checkpoint (format {meta.get('format')!r}); "
            "use load_weights for a weights file"
        )
    needed = {"optimizer": optimizer is not None, "scheduler": scheduler is not None}
    state = _decode_pieces(path, decoded["state"], tensors, {**needed, "rng": restore_rng})
    snapshot = _Snapshot(model, optimizer, scheduler)
    piece = "model"
    try:
        _load_model_state(path, model, _model_arrays(tensors, CHECKPOINT_FORMAT))
        piece = "optimizer"
        if optimizer is not None:
            optimizer.load_state_dict(state["optimizer"])
        piece = "scheduler"
        if scheduler is not None:
            scheduler.load_state_dict(state["scheduler"])
        piece = "rng"
        if restore_rng:
            set_all_rng_states(state["rng"])
    except BaseException as e:
        snapshot.restore()
        if isinstance(e, CheckpointError) or not isinstance(e, Exception):
            raise
        raise CheckpointError(
            f"{path}: the {piece} state does not fit ({type(e).__name__}: {e}); nothing was loaded"
        ) from None
    decoded.update(epoch=state["epoch"], extra=state["extra"], rng=state["rng"])
    decoded.pop("state")
    return decoded

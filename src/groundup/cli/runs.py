"""A run's files and settings: where the weights go, never replacing a file silently,
saving somewhere else when the chosen place fails, and refusing to resume another run.

* `weights_path`: the default `runs/MODEL-DATA.safetensors` gets a fresh name
  (`runs/MODEL-DATA-2.safetensors`, ...) when an earlier run's file is there, unless
  `--overwrite`; an explicit `--save` of an existing file needs `--overwrite`.
* `check_output`: every output path is tried before training (see `ensure_writable`).
* `save_weights_file`: at the end, writes the weights (to a fallback path if the write
  fails) and prints, as the last line, where they went.
* `diverged`: a run whose numbers broke, in one line with what to try.
* `check_resume`: the checkpoint records the run's settings (`run_info`); a resumed run
  with a different model, data, optimizer, learning rate, schedule or batch size is
  refused with a one-line diff, and a longer run says that its schedule is re-planned.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from groundup.cli.common import EXIT_ERROR, CLIError
from groundup.train import CheckpointError
from groundup.train.checkpoint import CHECKPOINT_FORMAT
from groundup.train.fit import DivergedError
from groundup.train.safefile import ensure_writable, unused_path, write_with_fallback

# the settings a resumed run must share with the run that wrote the checkpoint
RESUME_SETTINGS = ("model", "dataset", "hidden", "batch_norm", "residual", "dropout",
                   "optimizer", "lr", "weight_decay", "schedule", "batch_size")  # fmt: skip
MAX_VALUE_CHARS = 40


# ------------------------------------------------------------------------- output paths
def check_output(option: str, path: str | Path) -> None:
    """One line naming `option` when a file could not be written at `path`."""
    try:
        ensure_writable(path)
    except CheckpointError as e:
        raise CLIError(f"{option}: {e}") from None


def _not_empty(option: str, given: str | None) -> None:
    if given is not None and not given.strip():
        raise CLIError(f"{option}: the path is empty; give a file name")


def weights_path(given: str | None, default: str | Path, overwrite: bool) -> Path:
    """Where a run saves its weights, checked before it starts (see the module doc)."""
    _not_empty("--save", given)
    if given is None:
        path = Path(default) if overwrite else unused_path(default)
    else:
        path = Path(given)
        if path.is_file() and not overwrite:
            raise CLIError(
                f"--save {given}: the file exists (an earlier run's weights?); pass "
                "--overwrite to replace it, or choose another name"
            )
    check_output("--save", path)
    return path


def checkpoint_path(given: str | None, resume: str | None, overwrite: bool) -> str | None:
    """The checkpoint to write: `--checkpoint`, else the `--resume` file itself. An existing
    file that is not the one resumed is another run's and needs `--overwrite`."""
    _not_empty("--checkpoint", given)
    _not_empty("--resume", resume)
    path = given or resume
    if path is None:
        return None
    same = resume is not None and Path(path).absolute() == Path(resume).absolute()
    if Path(path).is_file() and not same and not overwrite:
        raise CLIError(
            f"--checkpoint {path}: the file exists (an earlier run's checkpoint?); continue "
            f"that run with --resume {path}, or pass --overwrite to start over"
        )
    check_output("--checkpoint", path)
    return path


def save_weights_file(path: Path, overwrite: bool, write_to: Callable[[Path], None]) -> int:
    """Write the weights with `write_to`, print where they went (the last line of output)
    and return the exit status: 1 when they had to go to a fallback path."""
    target = path
    if not overwrite and target.exists():  # written by another run since the check
        target = unused_path(path)
        print(f"{path} appeared during training; not replacing it", file=sys.stderr)
    written, error = write_with_fallback(target, write_to)
    status = 0
    if error is not None:
        reason = error.strerror or str(error)
        print(
            f"could not write {target} ({reason}); saved the weights to {written} instead",
            file=sys.stderr,
        )
        status = EXIT_ERROR
    print(f"saved weights to {written}")
    return status


def diverged(e: DivergedError, lr: float) -> CLIError:
    """`fit`'s DivergedError as the command says it: where, what was kept, what to try."""
    of = f" of {e.n_batches}" if e.n_batches else ""
    where = f"in epoch {e.epoch}, batch {e.batch}{of}" if e.batch else f"after epoch {e.epoch}"
    kept = f"{e.checkpoint} keeps the last good epoch" if e.checkpoint else "nothing was saved"
    return CLIError(
        f"training diverged: the {e.what} became {e.value} {where}; stopped, {kept}; "
        f"try a smaller --lr (this run: {lr:g})"
    )


# --------------------------------------------------------------------------- resuming
def value_text(value: Any) -> str:
    """A setting as it is typed after its option, cut short when long."""
    if value is None:
        return "(not given)"
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, Sequence) and not isinstance(value, str):
        items = [str(v) for v in value]
        text = " ".join(items)
        if len(text) > MAX_VALUE_CHARS:
            text = f"{' '.join(items[:3])} ... ({len(items)} values)"
        return text
    text = str(value)
    return text if len(text) <= MAX_VALUE_CHARS else text[: MAX_VALUE_CHARS - 3] + "..."


def flags(settings: Mapping[str, Any], keys: Sequence[str]) -> str:
    """`--optimizer adam --lr 0.001 --no-batch-norm`: `keys` of `settings` as options."""
    out = []
    for key in keys:
        name, value = key.replace("_", "-"), settings.get(key)
        if isinstance(value, bool):
            out.append(f"--{name}" if value else f"--no-{name}")
        else:
            out.append(f"--{name} {value_text(value)}")
    return " ".join(out)


def check_resume(path: str, meta: Mapping[str, Any], run: Mapping[str, Any]) -> str | None:
    """Refuse to resume `path` (its metadata: `meta`) with settings other than its run's;
    returns a line to print when the run goes on for another number of epochs."""
    if meta.get("format") != CHECKPOINT_FORMAT:
        raise CLIError(
            f"--resume {path}: not a training checkpoint (format {meta.get('format')!r}); "
            "give the --checkpoint file of a run"
        )
    info, state = meta.get("info"), meta.get("state")
    done = state.get("epoch") if isinstance(state, dict) else None
    if isinstance(done, int) and run["epochs"] < done:
        raise CLIError(
            f"--resume {path}: the checkpoint has trained {done} epochs already; --epochs "
            f"{run['epochs']} is fewer (--epochs counts them all)"
        )
    if not isinstance(info, dict):  # written without settings: loading checks the model
        return None
    differ = [k for k in RESUME_SETTINGS if k in info and info[k] != run.get(k)]
    if "model" in differ or "dataset" in differ:  # the other defaults follow from these
        differ = [k for k in differ if k in ("model", "dataset")]
    if differ:
        raise CLIError(
            f"--resume {path}: the checkpoint was written with {flags(info, differ)}; this run "
            f"asks for {flags(run, differ)}"
        )
    planned = info.get("epochs")
    if not isinstance(planned, int) or planned == run["epochs"] or not isinstance(done, int):
        return None
    epochs = run["epochs"]
    if run.get("schedule") == "cosine":
        lr = run["lr"] * (1 + math.cos(math.pi * done / epochs)) / 2
        return (
            f"--resume: the checkpoint's run planned {planned} epochs and stopped after {done};"
            f" the cosine schedule is re-planned for {epochs} (lr {lr:.3g} in epoch {done + 1})"
        )
    return f"--resume: the checkpoint's run planned {planned} epochs; this one goes on to {epochs}"

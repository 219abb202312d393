"""`fit` and `evaluate`: the training loop, with progress bars, metrics and checkpoints.

One epoch of `fit`:
  1. `model.train()`; for each batch `(x, y)`: forward, loss, `zero_grad`, `backward`, `step`;
  2. if a `val_loader` is given, `evaluate` it (eval mode, no graph);
  3. append one record to the `History` and step the scheduler **once per epoch**, so a
     scheduler's step counts epochs (StepLR's step_size is in epochs; for per-batch
     schedules call `scheduler.step()` yourself from a callback's `on_batch_end`);
  4. run the callbacks, save the checkpoint (if `checkpoint=PATH`).

Ctrl-C (or SIGTERM) is caught: the batch in flight finishes, a checkpoint is saved (when a
path was given), and `fit` returns the history with `history.interrupted = True` and
`history.signal` telling which signal it was. A second one aborts at once and keeps the
last epoch's checkpoint. `fit(..., resume=PATH)` continues
from a checkpoint, even one taken mid-epoch: it restores the weights, optimizer, scheduler,
history and every random generator, replays the interrupted epoch's batch order from the
generator state at that epoch's start, and so gives the same weights, bit for bit, as a
run that was never stopped (given a loader that draws its order when iteration starts,
as `groundup.data.DataLoader` does). Resumed with more (or fewer) `epochs` than the first
run planned, a cosine schedule is re-planned for the new length (see `replan_schedule`).

Training never goes on with, or saves, broken numbers: a loss that is inf or NaN stops it
before the step, and so do weights or buffers that are no longer finite at an epoch's end;
`fit` then raises `DivergedError` naming the epoch and batch, and the last checkpoint
written is left as it was. A checkpoint that cannot be written (disk full, folder gone)
is saved to a fallback path instead (see `safefile.write_with_fallback`), with a warning.
"""

from __future__ import annotations

import math
import signal
import sys
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import numpy as np
from tqdm import tqdm

from groundup.nn.module import Module
from groundup.tensor import Tensor, no_grad
from groundup.train.callbacks import Callback
from groundup.train.checkpoint import load_checkpoint, save_checkpoint
from groundup.train.metrics import accuracy
from groundup.train.resumable import DeferredCtrlC, Position, Terminated, replan_schedule
from groundup.train.safefile import PathLike, ensure_writable, write_with_fallback

MetricFn = Callable[[Tensor, Tensor], float]
Metrics = Mapping[str, MetricFn] | Sequence[str | MetricFn] | None
KNOWN_METRICS: dict[str, MetricFn] = {"accuracy": accuracy}


class History(dict[str, list[float]]):
    """Per-epoch results as lists: `history['val_accuracy'][-1]`, like Keras's History.

    Keys: 'epoch' (1-based), 'train_loss', 'train_<metric>', 'val_loss', 'val_<metric>',
    'lr' (of the first parameter group, during that epoch) and 'time' (seconds, with
    validation). `interrupted` and `stopped_early` tell why training ended early.
    """

    def __init__(self, data: Mapping[str, list[float]] | None = None):
        super().__init__({k: list(v) for k, v in (data or {}).items()})
        self.interrupted = False
        self.stopped_early = False
        self.signal: int | None = None  # signal.SIGINT or SIGTERM when interrupted
        self.checkpoint: PathLike | None = None  # where the checkpoint went (a fallback?)

    def append(self, record: Mapping[str, float]) -> None:
        for key, value in record.items():
            self.setdefault(key, []).append(value)

    @property
    def epochs(self) -> int:
        return len(self.get("epoch", []))

    def last(self) -> dict[str, float]:
        """The latest epoch's record."""
        return {key: values[-1] for key, values in self.items() if values}


def _metric_fns(metrics: Metrics) -> dict[str, MetricFn]:
    if metrics is None:
        return dict(KNOWN_METRICS)
    if isinstance(metrics, Mapping):
        return dict(metrics)
    out: dict[str, MetricFn] = {}
    for m in metrics:
        if isinstance(m, str):
            if m not in KNOWN_METRICS:
                raise ValueError(f"unknown metric {m!r}; known: {sorted(KNOWN_METRICS)}")
            out[m] = KNOWN_METRICS[m]
        else:
            out[getattr(m, "__name__", type(m).__name__)] = m
    return out


def _as_tensor(x: Any) -> Any:
    return Tensor._make(x, False) if isinstance(x, np.ndarray) else x


def _split_batch(batch: Any) -> tuple[Any, Any]:
    if not isinstance(batch, (tuple, list)) or len(batch) != 2:
        raise ValueError("fit/evaluate expect each batch to be a pair (inputs, targets)")
    return _as_tensor(batch[0]), _as_tensor(batch[1])


def evaluate(
    model: Module, loader: Iterable[Any], loss_fn: Any = None, metrics: Metrics = None
) -> dict[str, float]:
    """Mean loss (if `loss_fn`) and metrics over `loader`, in eval mode and without a graph.

    Batch means are weighted by batch size, so the result is the mean over all samples.
    Every module's train/eval mode is restored afterwards.
    """
    fns = _metric_fns(metrics)
    totals = dict.fromkeys((["loss"] if loss_fn is not None else []) + list(fns), 0.0)
    count = 0
    modes = [(m, m.training) for m in model.modules()]
    model.eval()
    try:
        with no_grad():
            for batch in loader:
                x, y = _split_batch(batch)
                out = model(x)
                n = len(y)
                if loss_fn is not None:
                    totals["loss"] += float(loss_fn(out, y).item()) * n
                for name, fn in fns.items():
                    totals[name] += float(fn(out, y)) * n
                count += n
    finally:
        for m, mode in modes:  # one by one: a frozen batch norm stays in eval mode
            m.training = mode
    if count == 0:
        raise ValueError("evaluate: the loader yielded no samples")
    return {name: total / count for name, total in totals.items()}


# ------------------------------------------------------------------------------- fit
def _postfix(values: Mapping[str, float]) -> dict[str, str]:
    short = {"train_loss": "loss", "train_accuracy": "acc", "val_accuracy": "val_acc"}
    return {short.get(k, k): f"{v:.4g}" for k, v in values.items() if k not in ("epoch", "time")}


class DivergedError(RuntimeError):
    """Training produced a non-finite loss, weight or buffer, so it was stopped.

    `epoch` and `batch` are 1-based (`batch` 0: at the epoch's end); `what` says which
    number broke, `value` what it became; `checkpoint` is the last checkpoint written (or
    None), which still holds the last good state.
    """

    def __init__(
        self, epoch: int, batch: int, n_batches: int | None, what: str, value: float,
        checkpoint: PathLike | None,
    ):  # fmt: skip
        self.epoch, self.batch, self.n_batches = epoch, batch, n_batches
        self.what, self.value, self.checkpoint = what, value, checkpoint
        of = f" of {n_batches}" if n_batches else ""
        where = f"epoch {epoch}, batch {batch}{of}" if batch else f"the end of epoch {epoch}"
        kept = (
            f"the checkpoint {checkpoint} keeps the last good epoch"
            if checkpoint is not None
            else "nothing was saved"
        )
        super().__init__(
            f"training diverged: the {what} became {value} at {where}; training stopped and "
            f"{kept}; try a smaller learning rate"
        )


def _first_non_finite(model: Module) -> tuple[str, float] | None:
    """The first parameter or buffer holding inf or NaN, and one such value."""
    for name, tensor in model.state_dict(keep_vars=True).items():
        array = tensor._data
        if array.dtype.kind in "fc" and not np.isfinite(array).all():
            bad = array[~np.isfinite(array)].reshape(-1)[0]
            return name, float(bad.real)
    return None


class _Trainer:
    """`fit`'s state and steps; see `fit` for the arguments."""

    def __init__(
        self,
        model: Module,
        loss_fn: Any,
        optimizer: Any,
        loader: Any,
        epochs: int,
        val_loader: Any,
        scheduler: Any,
        callbacks: Iterable[Callback],
        metrics: Metrics,
        checkpoint: PathLike | None,
        progress: bool,
        run_info: Mapping[str, Any] | None = None,
    ):
        self.model, self.loss_fn, self.optimizer, self.loader = model, loss_fn, optimizer, loader
        self.epochs, self.val_loader, self.scheduler = epochs, val_loader, scheduler
        self.callbacks = list(callbacks)
        self.checkpoint, self.progress = checkpoint, progress
        self.run_info = run_info
        self.saved: PathLike | None = None  # the checkpoint written last by this run
        self.fns = _metric_fns(metrics)
        self.pos = Position(self.fns)
        self.history = History()
        self.ctrl_c = DeferredCtrlC()

    def diverged(self, what: str, value: float, batch: int) -> DivergedError:
        n_batches = len(self.loader) if hasattr(self.loader, "__len__") else None
        return DivergedError(self.pos.epoch + 1, batch, n_batches, what, value, self.saved)

    def check_finite(self, batch: int = 0) -> None:
        """Refuse to go on (or save) once a weight or buffer is inf or NaN."""
        bad = _first_non_finite(self.model)
        if bad is not None:
            raise self.diverged(f"model's {bad[0]}", bad[1], batch)

    def save(self) -> None:
        """Write the checkpoint (to a fallback path if its own cannot be written); the
        weights were checked to be finite."""
        assert self.checkpoint is not None
        fit_state = {
            **self.pos.state_dict(self.loader),
            "epochs": self.epochs,
            "history": dict(self.history),
            "callbacks": [
                {"type": type(c).__name__, "state": c.state_dict()} for c in self.callbacks
            ],
        }

        def write(path: PathLike) -> None:
            save_checkpoint(
                path, self.model, self.optimizer, self.scheduler,
                epoch=self.pos.epoch, extra={"fit": fit_state}, info=self.run_info,
            )  # fmt: skip

        written, error = write_with_fallback(self.checkpoint, write)
        if error is not None:
            print(
                f"could not write the checkpoint {self.checkpoint} ({error.strerror or error}); "
                f"saved it to {written} instead, and will keep saving there",
                file=sys.stderr,
            )
            self.checkpoint = written
        self.saved = written

    def resume(self, path: PathLike, verify: bool = True) -> None:
        info = load_checkpoint(path, self.model, self.optimizer, self.scheduler, verify=verify)
        self.saved = path  # the good state this run starts from, until it writes its own
        state = info["extra"].get("fit")
        if state is None:  # saved by hand with save_checkpoint: start the next epoch
            self.pos.new_epoch(info["epoch"])
            return
        planned = state.get("epochs")
        if isinstance(planned, int):
            replan_schedule(self.scheduler, planned, self.epochs)
        self.pos.load_state_dict(info["epoch"], state, self.loader)
        self.history.update(state["history"])
        for callback, saved in zip(self.callbacks, state["callbacks"], strict=False):
            if type(callback).__name__ == saved["type"]:
                callback.load_state_dict(saved["state"])

    def train_step(self, batch: Any) -> tuple[float, dict[str, float], int]:
        """One optimizer step; returns the loss, the batch's metrics and its size."""
        x, y = _split_batch(batch)
        out = self.model(x)
        loss = self.loss_fn(out, y)
        value = float(loss.item())
        if not math.isfinite(value):  # before the step: the weights stay as they were
            raise self.diverged("loss", value, self.pos.batch + 1)
        self.optimizer.zero_grad()
        loss.backward()
        self.optimizer.step()
        metrics = {name: float(fn(out.detach(), y)) for name, fn in self.fns.items()}
        return value, metrics, len(y)

    def _speed(self) -> dict[str, str]:
        """Training throughput of the epoch so far, for the progress bar."""
        speed = self.pos.running["n"] / max(self.pos.running["time"], 1e-9)
        return {"samples/s": f"{speed:,.0f}"}

    def run_epoch(self) -> dict[str, float]:
        """Train on the rest of the epoch, then validate; returns the epoch's record."""
        pos = self.pos
        n_batches = len(self.loader) if hasattr(self.loader, "__len__") else None
        desc = f"epoch {pos.epoch + 1}/{self.epochs}"
        with tqdm(
            total=n_batches, initial=pos.batch, desc=desc, unit="batch",
            disable=not self.progress, file=sys.stderr, dynamic_ncols=True,
        ) as bar:  # fmt: skip
            self.model.train()
            tick = time.perf_counter()
            for batch in pos.batches(self.loader):
                loss, metrics, n = self.train_step(batch)
                now = time.perf_counter()
                pos.add(loss, metrics, n, now - tick)
                tick = now
                for callback in self.callbacks:
                    callback.on_batch_end(pos.batch, {"loss": loss})
                if self.progress:
                    bar.set_postfix(_postfix(pos.means()) | self._speed(), refresh=False)
                    bar.update(1)
                if self.ctrl_c.requested:
                    raise KeyboardInterrupt
            record: dict[str, float] = {"epoch": pos.epoch + 1, **pos.means()}
            if self.val_loader is not None:
                val = evaluate(self.model, self.val_loader, self.loss_fn, self.fns)
                record.update({f"val_{k}": v for k, v in val.items()})
            record["lr"] = float(self.optimizer.param_groups[0]["lr"])
            record["time"] = pos.running["time"] + time.perf_counter() - tick
            bar.set_postfix(_postfix(record) | self._speed(), refresh=True)
        return record

    def end_epoch(self, record: dict[str, float]) -> None:
        # Record the epoch and move on in one go (no user code in between), so that an
        # interrupt never separates "scheduler stepped" from "epoch counted".
        self.check_finite()
        self.history.append(record)
        if self.scheduler is not None:
            self.scheduler.step()
        self.pos.new_epoch(self.pos.epoch + 1)
        for callback in self.callbacks:
            callback.on_epoch_end(self.pos.epoch - 1, record)
        if self.checkpoint is not None:
            self.save()

    def interrupted(self, error: KeyboardInterrupt) -> None:
        self.history.interrupted = True
        terminated = isinstance(error, Terminated) or self.ctrl_c.signum == signal.SIGTERM
        self.history.signal = int(signal.SIGTERM if terminated else signal.SIGINT)
        pos = self.pos
        where = f"in epoch {pos.epoch + 1}/{self.epochs} after {pos.batch} batches"
        if pos.batch == 0:
            where = f"after epoch {pos.epoch}/{self.epochs}"
        if self.checkpoint is not None and not self.ctrl_c.aborted:
            self.check_finite(pos.batch)
            self.save()
            msg = f"saved checkpoint {self.checkpoint}; resume with resume={str(self.checkpoint)!r}"
        elif self.checkpoint is not None:
            msg = f"aborted; {self.checkpoint} keeps the last completed epoch"
        else:
            msg = "no checkpoint path was given, nothing was saved"
        by = " (SIGTERM)" if terminated else ""
        print(f"Training interrupted{by} {where}: {msg}", file=sys.stderr)

    def stop_requested(self) -> bool:
        return any(c.stop_training for c in self.callbacks)


def fit(
    model: Module,
    loss_fn: Callable[[Any, Any], Tensor],
    optimizer: Any,
    train_loader: Any,
    epochs: int,
    val_loader: Any = None,
    scheduler: Any = None,
    callbacks: Iterable[Callback] = (),
    metrics: Metrics = None,
    checkpoint: PathLike | None = None,
    resume: PathLike | None = None,
    progress: bool = True,
    run_info: Mapping[str, Any] | None = None,
    verify: bool = True,
) -> History:
    """Train `model` for `epochs` epochs (in total, counting those of a resumed run).

    `metrics`: names or functions `fn(outputs, targets) -> float` computed per batch
    (default accuracy; pass `()` for regression). Train metrics are averaged over the
    epoch's batches while the weights change; validation metrics use the final weights.
    `checkpoint=PATH` saves at every epoch end and on Ctrl-C or SIGTERM, with `run_info`
    (JSON: the run's settings) in its metadata; `resume=PATH` continues a saved run
    (`verify=False` accepts a checkpoint without a checksum). Raises `DivergedError` when
    the loss or the weights stop being finite. See the module docstring for the order of
    events.
    """
    run = _Trainer(model, loss_fn, optimizer, train_loader, epochs, val_loader, scheduler,
                   callbacks, metrics, checkpoint, progress, run_info)  # fmt: skip
    if checkpoint is not None:
        ensure_writable(checkpoint)
    for callback in run.callbacks:
        callback.on_train_begin(model)
    if resume is not None:
        run.resume(resume, verify)
    try:
        with run.ctrl_c:
            while run.pos.epoch < epochs and not run.stop_requested():
                run.end_epoch(run.run_epoch())
                if run.ctrl_c.requested:
                    raise KeyboardInterrupt
    except KeyboardInterrupt as interrupt:
        run.interrupted(interrupt)
    run.history.checkpoint = run.checkpoint
    run.history.stopped_early = run.stop_requested()
    for callback in run.callbacks:
        callback.on_train_end()
    return run.history

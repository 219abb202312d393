"""What makes `fit` stoppable and resumable: a deferred Ctrl-C (and SIGTERM), the loop's
position, replaying an interrupted epoch's batch order, and re-planning a schedule.

Resuming mid-epoch needs the batches the epoch had not reached yet, in the order it drew.
The loader drew that order from a generator when the epoch started, so the position keeps
every generator's state from that moment; resuming restores it, draws the same order,
skips the batches already trained on, and then restores the generators' current state
(the one dropout was about to use). This assumes the loader draws its order when
iteration starts, as `groundup.data.DataLoader` does.
"""

from __future__ import annotations

import math
import signal
import sys
import threading
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

import numpy as np

from groundup.train.checkpoint import get_all_rng_states, set_all_rng_states


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised where Ctrl-C raises KeyboardInterrupt (see `raise_on_sigterm`), so
    that `except KeyboardInterrupt` handles both alike."""


def raise_on_sigterm(signum: int, frame: Any) -> None:
    """A SIGTERM handler that raises `Terminated`, as Python's SIGINT handler raises
    KeyboardInterrupt."""
    raise Terminated


def signal_name(signum: int) -> str:
    return "Ctrl-C" if signum == signal.SIGINT else signal.Signals(signum).name


class DeferredCtrlC:
    """While active, the first Ctrl-C or SIGTERM only sets `requested` (the loop stops
    after the batch in flight, in a consistent state, and `signum` tells which signal it
    was); a second one raises KeyboardInterrupt (`Terminated` for SIGTERM) at once and sets
    `aborted`."""

    # the handlers it takes over: Python's own, or the one that turns SIGTERM into an error
    REPLACES = {
        signal.SIGINT: (signal.default_int_handler,),
        signal.SIGTERM: (signal.SIG_DFL, raise_on_sigterm),
    }

    def __init__(self) -> None:
        self.requested = self.aborted = False
        self.signum = int(signal.SIGINT)
        self._previous: dict[int, Any] = {}

    def __enter__(self) -> DeferredCtrlC:
        if threading.current_thread() is not threading.main_thread():
            return self  # only the main thread can handle signals
        for signum, replaceable in self.REPLACES.items():
            if signal.getsignal(signum) in replaceable:
                self._previous[signum] = signal.signal(signum, self._handle)
        return self

    def _handle(self, signum: int, frame: Any) -> None:
        if self.requested:
            self.aborted = True
            raise Terminated if signum == signal.SIGTERM else KeyboardInterrupt
        self.requested, self.signum = True, signum
        again = "press Ctrl-C" if signum == signal.SIGINT else "send it"
        print(
            f"\n{signal_name(signum)}: stopping after the current batch ({again} again to "
            "abort now)",
            file=sys.stderr,
        )

    def __exit__(self, *exc: Any) -> None:
        for signum, previous in self._previous.items():
            signal.signal(signum, previous)
        self._previous.clear()


def replan_schedule(scheduler: Any, planned: int, epochs: int) -> bool:
    """Stretch a schedule whose horizon is the `planned` epochs of an earlier run over
    `epochs` instead; returns whether it changed anything.

    A `CosineAnnealingLR` with `T_max == planned` gets `T_max = epochs`, and its lr is set
    to the cosine's value at the current step on the new horizon, so the resumed run
    follows the curve a run of `epochs` would have followed from the start (not a cosine
    that climbs back up after the old `T_max`). Schedules that do not depend on the run's
    length (StepLR, ...) are left alone.
    """
    if scheduler is None or planned == epochs or getattr(scheduler, "T_max", None) != planned:
        return False
    eta_min = getattr(scheduler, "eta_min", None)
    if eta_min is None or not hasattr(scheduler, "base_lrs"):
        return False
    scheduler.T_max = epochs
    t = min(scheduler.last_epoch, epochs)
    groups = scheduler.optimizer.param_groups
    for group, base_lr in zip(groups, scheduler.base_lrs, strict=True):
        group["lr"] = eta_min + (base_lr - eta_min) * (1 + math.cos(math.pi * t / epochs)) / 2
    scheduler._last_lr = [group["lr"] for group in groups]
    return True


def loader_generator(loader: Any) -> np.random.Generator | None:
    """The loader's own generator (`DataLoader(..., seed=...)`), if it has one."""
    gen = getattr(loader, "generator", None)
    return gen if isinstance(gen, np.random.Generator) else None


def rng_snapshot(loader: Any) -> dict[str, Any]:
    gen = loader_generator(loader)
    return {"global": get_all_rng_states(), "loader": gen.bit_generator.state if gen else None}


def rng_restore(loader: Any, snapshot: Mapping[str, Any]) -> None:
    set_all_rng_states(snapshot["global"])
    gen = loader_generator(loader)
    if gen is not None and snapshot["loader"] is not None:
        gen.bit_generator.state = snapshot["loader"]


class Position:
    """Where training is: completed epochs, batches done in the current one, and the
    running sums of that epoch. It changes only between batches, so it is always a
    consistent point to save and resume from."""

    def __init__(self, metric_names: Iterable[str]) -> None:
        self.epoch = 0
        self.batch = 0
        self.names = list(metric_names)
        self.epoch_rng: Any = None  # every generator's state when the epoch started
        self.new_epoch(0)

    def new_epoch(self, epoch: int) -> None:
        self.epoch, self.batch = epoch, 0
        self.running: dict[str, Any] = {
            "n": 0,
            "loss": 0.0,
            "time": 0.0,
            "metrics": dict.fromkeys(self.names, 0.0),
        }

    def add(self, loss: float, metrics: Mapping[str, float], n: int, seconds: float) -> None:
        """Count one finished batch of `n` samples."""
        r = self.running
        r["n"] += n
        r["loss"] += loss * n
        r["time"] += seconds
        for name, value in metrics.items():
            r["metrics"][name] += value * n
        self.batch += 1

    def means(self) -> dict[str, float]:
        """Sample-weighted means so far this epoch: train_loss, train_<metric>."""
        n = max(self.running["n"], 1)
        out = {"train_loss": self.running["loss"] / n}
        out.update({f"train_{k}": v / n for k, v in self.running["metrics"].items()})
        return out

    def batches(self, loader: Any) -> Iterator[Any]:
        """This epoch's batches, starting after the `self.batch` already trained on."""
        if self.batch == 0:
            self.epoch_rng = rng_snapshot(loader)
            return iter(loader)
        now = rng_snapshot(loader)
        rng_restore(loader, self.epoch_rng)  # redraw the epoch's order...
        it = iter(loader)
        for _ in range(self.batch):  # ...skip what was done...
            if next(it, None) is None:
                raise ValueError(
                    f"the checkpoint stopped after batch {self.batch} of an epoch, but this "
                    "loader has fewer batches; resume with the same data and batch size"
                )
        rng_restore(loader, now)  # ...and continue from the current generator state
        return it

    def state_dict(self, loader: Any) -> dict[str, Any]:
        gen = loader_generator(loader)
        return {
            "batch": self.batch,
            "n_batches": len(loader) if hasattr(loader, "__len__") else None,
            "running": self.running,
            # the epoch's starting generator states matter only to resume inside the epoch
            "epoch_rng": self.epoch_rng if self.batch else None,
            "loader_rng": gen.bit_generator.state if gen else None,
        }

    def load_state_dict(self, epoch: int, state: Mapping[str, Any], loader: Any) -> None:
        n_batches = len(loader) if hasattr(loader, "__len__") else None
        if state["batch"] and state.get("n_batches") not in (None, n_batches):
            raise ValueError(
                f"the checkpoint was taken inside an epoch of {state['n_batches']} batches, "
                f"but this loader has {n_batches}; resume with the same data and batch size"
            )
        self.epoch, self.batch = epoch, state["batch"]
        self.running, self.epoch_rng = state["running"], state["epoch_rng"]
        gen = loader_generator(loader)
        if gen is not None and state["loader_rng"] is not None:
            gen.bit_generator.state = state["loader_rng"]

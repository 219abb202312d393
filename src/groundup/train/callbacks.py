"""Callbacks: code that `fit` runs at fixed points of training.

`fit` calls `on_train_begin(model)`, then per batch `on_batch_end(step, logs)`, per epoch
`on_epoch_end(epoch, logs)` (logs = that epoch's history record), and `on_train_end()`.
A callback stops training by setting `self.stop_training = True`. Its `state_dict()` goes
into checkpoints, so a resumed run continues with the same patience counter.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from groundup.nn.module import Module


class Callback:
    """Base class: every hook does nothing."""

    stop_training: bool = False

    def on_train_begin(self, model: Module) -> None:
        pass

    def on_batch_end(self, step: int, logs: dict[str, float]) -> None:
        pass

    def on_epoch_end(self, epoch: int, logs: dict[str, float]) -> None:
        pass

    def on_train_end(self) -> None:
        pass

    def state_dict(self) -> dict[str, Any]:
        return {}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        pass


class EarlyStopping(Callback):
    """Stop when `monitor` has not improved by more than `min_delta` for `patience` epochs.

    `monitor` is a history key: 'val_loss' (lower is better) or 'val_accuracy' (higher is
    better; any key containing 'acc' counts as higher-is-better). With `restore_best`, the
    weights of the best epoch are put back when training ends.
    """

    def __init__(
        self,
        monitor: str = "val_loss",
        patience: int = 5,
        min_delta: float = 0.0,
        restore_best: bool = True,
    ):
        if patience < 0 or min_delta < 0:
            raise ValueError("EarlyStopping: patience and min_delta must be >= 0")
        self.monitor, self.patience, self.min_delta = monitor, patience, min_delta
        self.restore_best = restore_best
        self.higher_is_better = "acc" in monitor
        self.model: Module | None = None
        self._reset()

    def _reset(self) -> None:
        self.best = -math.inf if self.higher_is_better else math.inf
        self.best_epoch = -1
        self.wait = 0
        self.stop_training = False
        self.best_weights: dict[str, np.ndarray] | None = None

    def on_train_begin(self, model: Module) -> None:
        self.model = model
        self._reset()

    def _improved(self, value: float) -> bool:
        if self.higher_is_better:
            return value > self.best + self.min_delta
        return value < self.best - self.min_delta

    def on_epoch_end(self, epoch: int, logs: dict[str, float]) -> None:
        if self.monitor not in logs:
            raise KeyError(
                f"EarlyStopping monitors {self.monitor!r}, but the epoch logs only have "
                f"{sorted(logs)}; did you pass a val_loader to fit?"
            )
        value = logs[self.monitor]
        if self._improved(value):
            self.best, self.best_epoch, self.wait = value, epoch, 0
            if self.restore_best and self.model is not None:
                self.best_weights = self.model.state_dict()
        else:
            self.wait += 1
            if self.wait >= self.patience:
                self.stop_training = True

    def on_train_end(self) -> None:
        if self.restore_best and self.best_weights is not None and self.model is not None:
            self.model.load_state_dict(self.best_weights)

    def state_dict(self) -> dict[str, Any]:
        return {
            "best": self.best,
            "best_epoch": self.best_epoch,
            "wait": self.wait,
            "stop_training": self.stop_training,
            "best_weights": self.best_weights,
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.best, self.best_epoch = float(state["best"]), int(state["best_epoch"])
        self.wait, self.stop_training = int(state["wait"]), bool(state["stop_training"])
        self.best_weights = state["best_weights"]

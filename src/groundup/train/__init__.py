"""groundup.train: the training loop, metrics, callbacks and checkpoints."""

from groundup.train.callbacks import Callback, EarlyStopping
from groundup.train.checkpoint import (
    load_checkpoint,
    load_weights,
    read_metadata,
    save_checkpoint,
    save_weights,
)
from groundup.train.fit import DivergedError, History, evaluate, fit
from groundup.train.metrics import accuracy, confusion_matrix
from groundup.train.safefile import CheckpointError

__all__ = [
    "Callback",
    "CheckpointError",
    "DivergedError",
    "EarlyStopping",
    "History",
    "accuracy",
    "confusion_matrix",
    "evaluate",
    "fit",
    "load_checkpoint",
    "load_weights",
    "read_metadata",
    "save_checkpoint",
    "save_weights",
]

"""`groundup tokenize TEXT` and `groundup bert pretrain|finetune`."""

from __future__ import annotations

from typing import Any


def add_parsers(commands: Any) -> None:
    """Add `tokenize` and `bert` to the `groundup` subcommand set `commands`."""

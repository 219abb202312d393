"""One seeded generator behind every random op and initializer.

`manual_seed(n)` resets it; `get_rng_state()`/`set_rng_state()` save and restore it
(checkpoints do, so a resumed run draws the same numbers as an uninterrupted one).
"""

from __future__ import annotations

from typing import Any

import numpy as np

_generator = np.random.default_rng(0)


def manual_seed(seed: int) -> np.random.Generator:
    """Reseed the global generator used by dropout, initializers, shuffling and `randn`."""
    global _generator
    if not isinstance(seed, (int, np.integer)) or isinstance(seed, bool):
        raise TypeError(f"manual_seed expects an int, got {type(seed).__name__}")
    _generator = np.random.default_rng(int(seed))
    return _generator


def default_generator() -> np.random.Generator:
    """The generator every random operation draws from."""
    return _generator


def get_rng_state() -> dict[str, Any]:
    """A JSON-serializable snapshot of the global generator."""
    return dict(_generator.bit_generator.state)


def set_rng_state(state: dict[str, Any]) -> None:
    """Restore a snapshot taken by `get_rng_state`."""
    _generator.bit_generator.state = state

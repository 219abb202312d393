"""One seeded generator behind every random op and initializer, and torch's Generator API.

`manual_seed(n)` reseeds it; `get_rng_state()`/`set_rng_state()` save and restore it
(checkpoints do, so a resumed run draws the same numbers as an uninterrupted one).
`Generator` is a NumPy Generator (PCG64) with torch's methods (manual_seed, seed,
initial_seed, get_state, set_state); the global one is a Generator too, and any of them
can be passed as `generator=` to the random ops. The streams are NumPy's, not torch's.
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np

# torch's initial seed for a new Generator; groundup's global generator starts from 0
_TORCH_DEFAULT_SEED = 67280421310721
_STATE_WORDS = 7  # initial seed, state (2 words), increment (2 words), has_uint32, uinteger


def _is_int(seed: Any) -> bool:
    return isinstance(seed, (int, np.integer)) and not isinstance(seed, (bool, np.bool_))


def _seed_value(seed: Any, op: str) -> int:
    """torch's seeds: any int in [-2**63, 2**64); a negative one counts modulo 2**64."""
    if not _is_int(seed):
        raise RuntimeError(f"{op} expected a long, but got {type(seed).__name__}")
    if not -(2**63) <= seed < 2**64:
        raise ValueError(f"{op}: seed {seed} is out of range; use an int in [-2**63, 2**64)")
    return int(seed) % 2**64


class Generator(np.random.Generator):
    """torch.Generator on NumPy: a PCG64 generator seeded by `manual_seed`, with torch's
    methods. It is a `numpy.random.Generator`, so it draws numbers itself as well."""

    def __init__(self, device: Any = "cpu") -> None:
        from groundup.device import check_device

        check_device(device, "Generator")
        super().__init__(np.random.PCG64(_TORCH_DEFAULT_SEED))
        self._initial_seed = _TORCH_DEFAULT_SEED

    @property
    def device(self) -> Any:
        from groundup.device import CPU

        return CPU

    def manual_seed(self, seed: int) -> Generator:
        """Restart from `seed` (the same seed gives the same numbers); returns self."""
        value = _seed_value(seed, "manual_seed")
        self.bit_generator.state = np.random.PCG64(value).state
        self._initial_seed = value
        return self

    def seed(self) -> int:
        """Restart from a fresh non-deterministic seed, and return it."""
        value = int.from_bytes(os.urandom(8), "little")  # what secrets.randbits(64) reads
        self.manual_seed(value)
        return value

    def initial_seed(self) -> int:
        """The seed this generator was last (re)started from."""
        return self._initial_seed

    def get_state(self) -> Any:
        """The full state as a uint8 tensor (set_state restores it, the seed included)."""
        from groundup.tensor import Tensor

        pcg = self.bit_generator.state
        state, inc = pcg["state"]["state"], pcg["state"]["inc"]
        words = [self._initial_seed, state % 2**64, state >> 64, inc % 2**64, inc >> 64,
                 pcg["has_uint32"], pcg["uinteger"]]
        return Tensor._make(np.array(words, dtype="<u8").view(np.uint8), False)

    def set_state(self, new_state: Any) -> Generator:
        """Restore a state taken by get_state(); returns self."""
        from groundup.tensor import Tensor

        if not isinstance(new_state, Tensor):
            raise TypeError(
                f"set_state(): expected a uint8 tensor from get_state(), but got "
                f"{type(new_state).__name__}"
            )
        if new_state.dtype != np.uint8:
            raise TypeError(f"set_state(): RNG state must be a uint8 tensor, got {new_state.dtype}")
        if new_state.shape != (8 * _STATE_WORDS,):
            raise RuntimeError(
                f"set_state(): expected a state of {8 * _STATE_WORDS} bytes (from get_state()) "
                f"but found the input RNG state size to be {new_state.numel()}"
            )
        seed, s_low, s_high, i_low, i_high, has_uint32, uinteger = (
            int(w) for w in np.ascontiguousarray(new_state._data).view("<u8")
        )
        self.bit_generator.state = {
            "bit_generator": "PCG64",
            "state": {"state": s_low | s_high << 64, "inc": i_low | i_high << 64},
            "has_uint32": has_uint32,
            "uinteger": uinteger,
        }
        self._initial_seed = seed
        return self

    def __reduce__(self) -> Any:  # pickle and copy.deepcopy keep the class and the state
        return _restored, (self.get_state()._data.copy(),)

    def __repr__(self) -> str:
        return f"<groundup.Generator initial_seed={self._initial_seed}>"

    __str__ = __repr__


def _restored(state: np.ndarray) -> Generator:
    from groundup.tensor import Tensor

    return Generator().set_state(Tensor._make(state, False))


def _global_generator() -> Generator:
    g = Generator()
    g.manual_seed(0)
    return g


_generator = _global_generator()


def manual_seed(seed: int) -> Generator:
    """Reseed the global generator used by dropout, initializers, shuffling and `randn`;
    returns it (as torch.manual_seed returns torch's default generator)."""
    if not _is_int(seed):
        raise TypeError(f"manual_seed expects an int, got {type(seed).__name__}")
    return _generator.manual_seed(seed)


def seed() -> int:
    """Reseed the global generator from a fresh non-deterministic seed, and return it."""
    return _generator.seed()


def initial_seed() -> int:
    """The seed the global generator was last (re)started from (0 when never reseeded)."""
    return _generator.initial_seed()


def default_generator() -> Generator:
    """The generator every random operation draws from."""
    return _generator


def generator_for(generator: Any, op: str) -> np.random.Generator:
    """What `generator=` names: None is the global generator; a groundup Generator (or any
    NumPy Generator) is used as it is."""
    if generator is None:
        return _generator
    if not isinstance(generator, np.random.Generator):
        raise TypeError(
            f"{op}(): argument 'generator' must be a groundup.Generator, not "
            f"{type(generator).__name__}"
        )
    return generator


def get_rng_state() -> dict[str, Any]:
    """A JSON-serializable snapshot of the global generator."""
    return dict(_generator.bit_generator.state)


def set_rng_state(state: dict[str, Any]) -> None:
    """Restore a snapshot taken by `get_rng_state`."""
    _generator.bit_generator.state = state

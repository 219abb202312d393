"""`groundup.cuda`: torch.cuda's queries, answered for a library that runs on the CPU only.

torch code usually asks before it moves anything to a GPU:

    device = gu.device("cuda" if gu.cuda.is_available() else "cpu")

which gives `device("cpu")` here. Seeding calls are accepted and do nothing (as in torch on a
machine without a GPU); anything that needs a GPU raises a RuntimeError that says why.
"""

from __future__ import annotations

from typing import Any


def is_available() -> bool:
    """False: groundup has no GPU backend."""
    return False


def device_count() -> int:
    return 0


def is_initialized() -> bool:
    return False


def manual_seed(seed: int) -> None:
    """Seed the GPU generators: there are none, so nothing happens (torch's behaviour without
    a GPU). `groundup.manual_seed` seeds the CPU generator."""


def manual_seed_all(seed: int) -> None:
    """As `manual_seed`: nothing to seed."""


def _no_gpu(what: str) -> RuntimeError:
    return RuntimeError(
        f"cuda.{what}: no GPU is available: groundup runs on the CPU only; check "
        "cuda.is_available() first"
    )


def current_device() -> int:
    raise _no_gpu("current_device()")


def get_device_name(device: Any = None) -> str:
    raise _no_gpu("get_device_name()")


def synchronize(device: Any = None) -> None:
    raise _no_gpu("synchronize()")

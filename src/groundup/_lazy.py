"""Modules imported on first use, so `import groundup` stays fast.

SciPy's `special` and `linalg` cost about 0.3 s to import and only a few ops (erf for the
exact GELU, erfinv for truncated-normal init, LAPACK routines for `torch.linalg`) need
them. `special.erf(x)` reads the same as before; the import happens at that first call.
"""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import Any


class LazyModule:
    """A stand-in for the module `name` that imports it on the first attribute access."""

    def __init__(self, name: str) -> None:
        self._name = name
        self._module: ModuleType | None = None

    def __getattr__(self, attr: str) -> Any:
        if self._module is None:
            self._module = importlib.import_module(self._name)
        return getattr(self._module, attr)

    def __repr__(self) -> str:
        state = "imported" if self._module is not None else "not yet imported"
        return f"<lazy module {self._name!r}, {state}>"


special: Any = LazyModule("scipy.special")
linalg: Any = LazyModule("scipy.linalg")

"""(family module: see ops/__init__.py)"""

from __future__ import annotations

__all__: list[str] = []

INPLACE: frozenset[str] = frozenset()

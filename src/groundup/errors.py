"""Exception classes of groundup's own (everything else raises Python's built-ins, as torch).

This module imports nothing, so any op module can import from it without an import cycle.
"""

from __future__ import annotations


class UnsupportedDtypeError(NotImplementedError, TypeError):
    """torch's NotImplementedError for an op that has no kernel for a dtype ("softmax" of an
    int64 tensor); it is also a TypeError, since the argument has the wrong type."""

"""Exception classes of groundup's own (everything else raises Python's built-ins, as torch).

Each class is two or three built-ins at once, so that the `except` a PyTorch user writes
(torch's class) and the one groundup's own tests and older code expect both catch it.

This module imports nothing, so any op module can import from it without an import cycle.
"""

from __future__ import annotations


class UnsupportedDtypeError(NotImplementedError, TypeError):
    """torch's NotImplementedError for an op that has no kernel for a dtype ("softmax" of an
    int64 tensor); it is also a TypeError, since the argument has the wrong type."""


class InputDtypeError(TypeError, ValueError, RuntimeError):
    """An input (or target, weight, mask) whose dtype does not fit the op's other tensors,
    as an int64 input to a float32 Linear. torch raises RuntimeError; the argument has the
    wrong type, so this is a TypeError too (and a ValueError, as torch's recurrent layers
    raise): `except` of any of the three catches it."""


class InvalidArgumentError(ValueError, RuntimeError):
    """A shape or an argument the op cannot take (a stride of 0, a target of the wrong
    size, a negative layer size). groundup has always raised ValueError for these, torch
    raises RuntimeError: this is both."""


class InvalidRangeError(ValueError, AssertionError):
    """Bounds in the wrong order (Hardtanh's max_val <= min_val). torch asserts them, so
    its users may catch AssertionError; it is a ValueError too, and says which is which."""


def check_sizes(owner: str, **sizes: object) -> None:
    """Refuse a negative layer size (an int, or a tuple of ints as a kernel_size) before
    NumPy does ("negative dimensions are not allowed"), with torch's class and the name."""
    for name, size in sizes.items():
        values = size if isinstance(size, tuple) else (size,)
        if any(isinstance(v, int) and v < 0 for v in values):
            raise InvalidArgumentError(
                f"{owner}: {name} must be zero or more, got {size}; a negative size cannot "
                "shape the weights"
            )

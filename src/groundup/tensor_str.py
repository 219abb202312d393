"""How a tensor prints: torch's layout (`torch/_tensor_str.py`), on the NumPy array.

One `_Formatter` looks at every value once and picks a common style: integers as they are;
floats with 4 decimals (`precision`), or with none and a trailing "." when every value is
a whole number, or in scientific notation when the values span more than 3 orders of
magnitude (or any is >= 1e8 or < 1e-4). Every entry is padded to the widest one, rows wrap
at 80 characters (`linewidth`), and a tensor with more than 1000 elements (`threshold`)
shows only the first and last 3 (`edgeitems`) along each dimension.

Suffixes follow torch: `dtype=` when it is not float32, int64 or bool, `size=` for empty
tensors that are not 1-d, then `grad_fn=<...>` or `requires_grad=True`.
"""

from __future__ import annotations

import contextlib
import dataclasses
import math
from collections.abc import Iterator
from typing import Any

import numpy as np

_DEFAULT_DTYPES = (np.dtype(np.float32), np.dtype(np.int64), np.dtype(np.bool_))


@dataclasses.dataclass
class _PrintOptions:
    precision: int = 4
    threshold: float = 1000
    edgeitems: int = 3
    linewidth: int = 80
    sci_mode: bool | None = None


PRINT_OPTS = _PrintOptions()


def set_printoptions(
    precision: int | None = None,
    threshold: float | None = None,
    edgeitems: int | None = None,
    linewidth: int | None = None,
    profile: str | None = None,
    sci_mode: bool | None = None,
) -> None:
    """torch.set_printoptions: `profile` is "default", "short" (2 decimals, 2 edge items)
    or "full" (never summarize); the other arguments override single options."""
    if profile is not None:
        presets = {"default": (4, 1000, 3), "short": (2, 1000, 2), "full": (4, math.inf, 3)}
        if profile not in presets:
            raise ValueError(f"set_printoptions(): profile must be one of {list(presets)}")
        PRINT_OPTS.precision, PRINT_OPTS.threshold, PRINT_OPTS.edgeitems = presets[profile]
        PRINT_OPTS.linewidth = 80
    if precision is not None:
        PRINT_OPTS.precision = precision
    if threshold is not None:
        PRINT_OPTS.threshold = threshold
    if edgeitems is not None:
        PRINT_OPTS.edgeitems = edgeitems
    if linewidth is not None:
        PRINT_OPTS.linewidth = linewidth
    PRINT_OPTS.sci_mode = sci_mode  # as in torch: leaving it out resets it to automatic


def get_printoptions() -> dict[str, Any]:
    """The current options, as keyword arguments for `set_printoptions`."""
    return dataclasses.asdict(PRINT_OPTS)


@contextlib.contextmanager
def printoptions(**kwargs: Any) -> Iterator[None]:
    """Change the print options inside a `with` block only."""
    old = get_printoptions()
    set_printoptions(**kwargs)
    try:
        yield
    finally:
        set_printoptions(**old)


class _Formatter:
    """The common style and width for every entry of an array (see the module docstring)."""

    def __init__(self, a: np.ndarray):
        self.floating = a.dtype.kind == "f"
        self.int_mode = True
        self.sci_mode = False
        self.max_width = 1
        flat = a.reshape(-1)
        if not self.floating:
            self.max_width = max((len(str(v)) for v in flat.tolist()), default=1)
            return
        values = flat[np.isfinite(flat) & (flat != 0)].astype(np.float64)
        if values.size == 0:
            return
        magnitude = np.abs(values)
        lo, hi = magnitude.min(), magnitude.max()
        self.int_mode = bool(np.all(values == np.ceil(values)))
        if PRINT_OPTS.sci_mode is None:
            self.sci_mode = bool(hi / lo > 1000.0 or hi > 1.0e8 or lo < 1.0e-4)
        else:
            self.sci_mode = PRINT_OPTS.sci_mode
        p = PRINT_OPTS.precision
        if self.sci_mode:
            widths = [len(f"{v:.{p}e}") for v in values.tolist()]
        elif self.int_mode:
            widths = [len(f"{v:.0f}") + 1 for v in values.tolist()]  # + 1 for the "."
        else:
            widths = [len(f"{v:.{p}f}") for v in values.tolist()]
        self.max_width = max(widths)

    def format(self, value: Any) -> str:
        p = PRINT_OPTS.precision
        if not self.floating:
            text = f"{value}"
        elif self.sci_mode:
            text = f"{value:{self.max_width}.{p}e}"
        elif self.int_mode:
            text = f"{value:.0f}" + ("" if math.isinf(value) or math.isnan(value) else ".")
        else:
            text = f"{value:.{p}f}"
        return text.rjust(self.max_width)


def _summarized(a: np.ndarray) -> np.ndarray:
    """The entries a summarized print shows (the edges of each dimension), for the formatter."""
    e = PRINT_OPTS.edgeitems
    if a.ndim == 0:
        return a
    if a.ndim == 1:
        return np.concatenate([a[:e], a[-e:]]) if a.shape[0] > 2 * e else a
    if not e:
        return a[(slice(0, 0),) * a.ndim]
    n = a.shape[0]
    rows = [*range(e), *range(n - e, n)] if n > 2 * e else range(n)
    return np.stack([_summarized(a[i]) for i in rows])


def _vector_str(a: np.ndarray, indent: int, summarize: bool, fmt: _Formatter) -> str:
    e = PRINT_OPTS.edgeitems
    per_line = max(1, math.floor((PRINT_OPTS.linewidth - indent) / (fmt.max_width + 2)))
    if summarize and not e:
        data = ["..."]
    elif summarize and a.shape[0] > 2 * e:
        data = [fmt.format(v) for v in a[:e].tolist()] + [" ..."]
        data += [fmt.format(v) for v in a[-e:].tolist()]
    else:
        data = [fmt.format(v) for v in a.tolist()]
    lines = [", ".join(data[i : i + per_line]) for i in range(0, len(data), per_line)]
    return "[" + (",\n" + " " * (indent + 1)).join(lines) + "]"


def _nested_str(a: np.ndarray, indent: int, summarize: bool, fmt: _Formatter) -> str:
    if a.ndim == 0:
        return fmt.format(a.item())
    if a.ndim == 1:
        return _vector_str(a, indent, summarize, fmt)
    e = PRINT_OPTS.edgeitems
    if summarize and a.shape[0] > 2 * e:
        slices = [_nested_str(a[i], indent + 1, summarize, fmt) for i in range(e)] + ["..."]
        slices += [_nested_str(a[i], indent + 1, summarize, fmt) for i in range(-e, 0)]
    else:
        slices = [_nested_str(row, indent + 1, summarize, fmt) for row in a]
    # sub-tensors of a 3-d tensor are separated by a blank line, of a 4-d one by two, ...
    return "[" + ("," + "\n" * (a.ndim - 1) + " " * (indent + 1)).join(slices) + "]"


def array_str(a: np.ndarray, indent: int) -> str:
    """The bracketed values of `a` as torch prints them, continuation lines indented."""
    if a.size == 0:
        return "[]"
    summarize = a.size > PRINT_OPTS.threshold
    fmt = _Formatter(_summarized(a) if summarize else a)
    return _nested_str(a, indent, summarize, fmt)


def _add_suffixes(text: str, suffixes: list[str], indent: int) -> str:
    """Append `, suffix` items, moving one to a new line when it would pass `linewidth`."""
    parts = [text]
    last_line = len(text) - text.rfind("\n") + 1
    for suffix in suffixes:
        if last_line + len(suffix) + 2 > PRINT_OPTS.linewidth:
            parts.append(",\n" + " " * indent + suffix)
            last_line = indent + len(suffix)
        else:
            parts.append(", " + suffix)
            last_line += len(suffix) + 2
    return "".join(parts) + ")"


def tensor_repr(t: Any) -> str:
    """`repr(t)` for a groundup Tensor, in torch's layout."""
    a: np.ndarray = t._data
    prefix = "tensor("
    indent = len(prefix)
    suffixes = []
    if a.size == 0:
        if a.ndim != 1:
            suffixes.append(f"size={tuple(a.shape)}")
        if a.dtype != np.float32:  # an empty tensor shows every dtype but the default
            suffixes.append(f"dtype={a.dtype}")
        body = "[]"
    else:
        if not PRINT_OPTS.edgeitems:
            suffixes.append(f"size={tuple(a.shape)}")
        if a.dtype not in _DEFAULT_DTYPES:
            suffixes.append(f"dtype={a.dtype}")
        body = array_str(a, indent)
    try:
        grad_fn = t.grad_fn
    except RuntimeError:  # a stale view whose history cannot be rebuilt
        suffixes.append("grad_fn=<Invalid>")
    else:
        if grad_fn is not None:
            suffixes.append(f"grad_fn={grad_fn!r}")
        elif t.requires_grad:
            suffixes.append("requires_grad=True")
    return _add_suffixes(prefix + body, suffixes, indent)

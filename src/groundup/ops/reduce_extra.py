"""Reductions and statistics, continued: mode, quantile and nanquantile, nansum and nanmean,
diff and trace. (unique_consecutive, bincount and histc are in `ops.counting`; dist, cdist
and cross in `ops.pairwise`.)

quantile is built from differentiable pieces (sort, gather, lerp), as torch builds it, so its
gradient reaches the one or two sorted elements each quantile interpolates between.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

import numpy as np

from groundup.function import Function, normalize_dim
from groundup.ops.compare import logical_xor
from groundup.ops.elementwise import div, mul, sub, where
from groundup.ops.indexing import gather
from groundup.ops.layout import movedim, narrow
from groundup.ops.math_binary import lerp
from groundup.ops.numeric import quiet, require_tensor, unsupported
from groundup.ops.reduce import MaxMin, _axes, _regrow, check_nonempty, dim_or_axis, sum
from groundup.ops.shape import cat
from groundup.ops.sorting import sort
from groundup.tensor import Tensor

__all__ = ["diff", "mode", "nanmean", "nanquantile", "nansum", "quantile", "trace"]

INPLACE: frozenset[str] = frozenset()


class ModeResult(NamedTuple):
    """torch.return_types.mode: (values, indices)."""

    values: Tensor
    indices: Tensor


class NanSum(Function):
    """The sum of the non-NaN elements; NaNs get gradient 0 (grad * mask, so an inf
    gradient still makes nan there, as torch's nansum_backward)."""

    saves = ()

    def forward(self, a: np.ndarray, axes: tuple[int, ...], keepdim: bool) -> np.ndarray:
        self.axes, self.keepdim = axes, keepdim
        self.kept = ~np.isnan(a)
        return np.asarray(np.where(self.kept, a, 0).sum(axis=axes, keepdims=keepdim))

    @quiet
    def backward(self, grad: np.ndarray) -> tuple[Any, ...]:
        return _regrow(grad, self.axes, self.keepdim) * self.kept, None, None


class Trace(Function):
    """The sum of the main diagonal; its gradient is the identity pattern times grad."""

    saves = ()

    def forward(self, a: np.ndarray) -> np.ndarray:
        self.shape = a.shape
        return np.asarray(np.trace(a), a.dtype)

    def backward(self, grad: np.ndarray) -> np.ndarray:
        return np.eye(*self.shape, dtype=grad.dtype) * grad


# ------------------------------------------------------------------ mode
def mode(
    input: Tensor,  # noqa: A002 - torch's names
    dim: int = -1,
    keepdim: bool = False,
    *,
    axis: int | None = None,
) -> ModeResult:
    """The most frequent value along `dim` (the smallest one on ties) and the index of its
    last occurrence; the gradient goes to that element. (torch's index among equal values
    is unspecified for lines longer than 16; NaNs count as distinct and sort last here.)"""
    d = normalize_dim(dim_or_axis(dim, axis, "mode", -1), input.ndim, "mode")
    a = input.reshape(1) if input.ndim == 0 else input
    check_nonempty(a._data, (d,), "mode", dim_given=True)
    x = np.moveaxis(a._data, d, -1)  # (..., n)
    order = np.argsort(x, axis=-1, kind="stable")
    s = np.take_along_axis(x, order, axis=-1)
    position = np.arange(x.shape[-1])
    starts = np.ones(s.shape, bool)  # where a run of equal sorted values begins
    starts[..., 1:] = s[..., 1:] != s[..., :-1]
    run_start = np.maximum.accumulate(np.where(starts, position, 0), axis=-1)
    ends = np.ones(s.shape, bool)
    ends[..., :-1] = starts[..., 1:]
    run_length = np.where(ends, position - run_start + 1, 0)
    best = run_length.argmax(-1)[..., None]  # the first longest run: the smallest value
    idx = np.moveaxis(np.take_along_axis(order, best, axis=-1), -1, d).squeeze(d)
    values = MaxMin.apply(a, idx, d, keepdim)
    indices = np.expand_dims(idx, d) if keepdim else idx
    if input.ndim == 0:
        values, indices = values.reshape(()), indices.reshape(())
    return ModeResult(values, Tensor._make(np.asarray(indices, np.int64), False))


# ------------------------------------------------------------------ quantile
_INTERPOLATIONS = ("linear", "lower", "higher", "midpoint", "nearest")
# round: ties to even
_ROUNDED: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "lower": np.floor,
    "higher": np.ceil,
    "nearest": np.round,
}


def _q_tensor(op: str, q: Any, input: Tensor) -> Tensor:  # noqa: A002
    """q as a tensor of input's dtype: a number must be in [0, 1]; a tensor must be 0-d or
    1-d, of input's dtype, with values in [0, 1]."""
    if isinstance(q, Tensor):
        if q.ndim > 1:
            raise RuntimeError(f"{op}() q must be a scalar or 1D tensor, got {q.ndim} dims")
        if q.dtype != input.dtype:
            raise RuntimeError(
                f"{op}() q tensor must be same dtype as the input tensor ({input.dtype}), got "
                f"{q.dtype}"
            )
        if not ((q._data >= 0) & (q._data <= 1)).all():
            raise RuntimeError(f"{op}() q values must be in the range [0, 1]")
        return q
    if isinstance(q, bool) or not isinstance(q, (int, float)):
        raise TypeError(f"{op}(): argument 'q' must be a float or a Tensor, not {type(q).__name__}")
    if not 0 <= q <= 1:
        raise RuntimeError(f"{op}() q must be in the range [0, 1] but got {q}")
    return Tensor._make(np.asarray(q, input.dtype), False)


def _quantile(
    op: str, input: Tensor, q: Any, dim: Any, keepdim: bool, interpolation: str,  # noqa: A002
    ignore_nan: bool,
) -> Tensor:
    if interpolation not in _INTERPOLATIONS:
        raise RuntimeError(
            f"{op}() interpolation must be one of linear, lower, higher, midpoint or nearest, "
            f"but got {interpolation}"
        )
    require_tensor(input, op, "input", 1)
    if input._data.size == 0:
        raise RuntimeError(f"{op}() input tensor must be non-empty")
    if input.dtype not in (np.float32, np.float64):
        raise RuntimeError(
            f"{op}() input tensor must be either float or double dtype, got {input.dtype}"
        )
    qs = _q_tensor(op, q, input)
    if dim is not None and (isinstance(dim, bool) or not isinstance(dim, int)):
        raise TypeError(f"{op}(): argument 'dim' must be int, not {type(dim).__name__}")
    if dim is None:
        lines = input.reshape(1, -1)  # (1, n): one line of every element
        out_shape = (1,) * input.ndim if keepdim else ()
    else:
        d = normalize_dim(dim, input.ndim, op)
        lines = movedim(input.reshape(1) if input.ndim == 0 else input, d, -1)  # (..., n)
        out_shape = tuple(
            1 if i == d else size for i, size in enumerate(input.shape) if i != d or keepdim
        )
    values = sort(lines, -1).values  # NaN sorts last
    n = values.shape[-1]
    nan = np.isnan(values._data)
    q_line = qs.reshape(-1)  # (k,)
    if ignore_nan:  # rank among the non-NaN values; all NaN: rank 0, the first NaN
        count = (~nan).sum(-1, keepdims=True)  # (..., 1)
        ranks = mul(q_line, Tensor._make((count - 1).astype(qs.dtype), False))
        ranks = where(Tensor._make(ranks._data < 0, False), 0, ranks)
    else:  # a line with NaN has the NaN (sorted last) as every quantile
        ranks = where(Tensor._make(nan.any(-1, keepdims=True), False), n - 1, q_line * (n - 1))
    r = ranks._data  # (..., k): the rank q (n - 1) of each quantile in each line
    if interpolation in _ROUNDED:  # the rank itself moves to an integer
        r = _ROUNDED[interpolation](r)
    below = np.floor(r)
    low = gather(values, -1, Tensor._make(below.astype(np.int64), False))
    if interpolation in ("linear", "midpoint"):
        high = gather(values, -1, Tensor._make(np.ceil(r).astype(np.int64), False))
        weight = 0.5 if interpolation == "midpoint" else sub(ranks, Tensor._make(below, False))
        low = lerp(low, high, weight)
    result = movedim(low, -1, 0)  # (k, ...)
    return result.reshape(out_shape if qs.ndim == 0 else (q_line.shape[0], *out_shape))


def quantile(
    input: Tensor,  # noqa: A002
    q: Any,
    dim: int | None = None,
    keepdim: bool = False,
    *,
    interpolation: str = "linear",
    axis: int | None = None,
) -> Tensor:
    """The q-th quantiles along `dim` (all elements when None): q is a number or a 0-d or
    1-d tensor in [0, 1]; a 1-d q adds a leading dim. Between the sorted values around rank
    q (n - 1): linear, lower, higher, midpoint or nearest (ties to even). NaN gives NaN."""
    dim = dim_or_axis(dim, axis, "quantile")
    return _quantile("quantile", input, q, dim, keepdim, interpolation, ignore_nan=False)


def nanquantile(
    input: Tensor,  # noqa: A002
    q: Any,
    dim: int | None = None,
    keepdim: bool = False,
    *,
    interpolation: str = "linear",
    axis: int | None = None,
) -> Tensor:
    """`quantile` of the non-NaN values (NaN only where a line is all NaN)."""
    dim = dim_or_axis(dim, axis, "nanquantile")
    return _quantile("nanquantile", input, q, dim, keepdim, interpolation, ignore_nan=True)


# ------------------------------------------------------------------ NaN-ignoring sums
def nansum(
    input: Tensor,  # noqa: A002
    dim: Any = None,
    keepdim: bool = False,
    *,
    dtype: Any = None,
    axis: Any = None,
) -> Tensor:
    """`sum` that treats NaN as 0 (integer and bool tensors sum to int64, as sum)."""
    dim = dim_or_axis(dim, axis, "nansum")
    if dtype is not None:
        input = input.to(np.dtype(dtype))
    if input._data.dtype.kind != "f":
        return sum(input, dim, keepdim, dtype=dtype)
    return NanSum.apply(input, _axes(dim, input.ndim, "nansum"), keepdim)


def nanmean(
    input: Tensor,  # noqa: A002
    dim: Any = None,
    keepdim: bool = False,
    *,
    dtype: Any = None,
    axis: Any = None,
) -> Tensor:
    """The mean of the non-NaN elements: nansum / (number of non-NaN elements); a line of
    NaNs gives NaN. Floating tensors only."""
    if input._data.dtype.kind != "f":
        raise RuntimeError(
            f"nanmean(): expected input to have floating point dtype but got {input.dtype}; "
            "convert it first (x.float())"
        )
    dim = dim_or_axis(dim, axis, "nanmean")
    axes = _axes(dim, input.ndim, "nanmean")
    count = (~np.isnan(input._data)).sum(axis=axes, keepdims=keepdim)
    return div(nansum(input, dim, keepdim, dtype=dtype), Tensor._make(np.asarray(count), False))


# ------------------------------------------------------------------ diff, trace
def diff(
    input: Tensor,  # noqa: A002
    n: int = 1,
    dim: int = -1,
    prepend: Tensor | None = None,
    append: Tensor | None = None,
) -> Tensor:
    """The n-th forward difference along `dim`: out[i] = x[i + 1] - x[i], applied n times,
    after joining `prepend` and `append` (same number of dims) to the input. Bool tensors
    use logical xor; integers wrap as their subtraction does."""
    require_tensor(input, "diff", "input", 1)
    if input.ndim == 0:
        raise RuntimeError("diff expects input to be at least one-dimensional")
    if n < 0:
        raise RuntimeError(f"diff(): order must be non-negative but got {n}")
    d = normalize_dim(dim, input.ndim, "diff")
    parts = [input]
    for name, extra in (("prepend", prepend), ("append", append)):
        if extra is None:
            continue
        require_tensor(extra, "diff", name, 4 if name == "prepend" else 5)
        if extra.ndim != input.ndim:
            raise RuntimeError(
                f"diff expects prepend or append to be the same dimension as input: {name} "
                f"has {extra.ndim} dims, input {input.ndim}"
            )
        parts.insert(0 if name == "prepend" else len(parts), extra)
    a = cat(parts, d) if len(parts) > 1 else input
    for _ in range(min(n, a.shape[d])):
        length = a.shape[d] - 1
        later, earlier = narrow(a, d, 1, length), narrow(a, d, 0, length)
        a = logical_xor(later, earlier) if a.dtype == np.bool_ else sub(later, earlier)
    return a if n else input.clone()


def trace(input: Tensor) -> Tensor:  # noqa: A002
    """The sum of the main diagonal of a matrix (integers sum to int64)."""
    require_tensor(input, "trace", "input", 1)
    if input.ndim != 2:
        raise RuntimeError(f"trace: expected a matrix, but got tensor with dim {input.ndim}")
    if input.dtype == np.bool_:
        raise unsupported("trace", input.dtype)
    if input.dtype.kind in "iu":
        return Tensor._make(np.asarray(np.trace(input._data), np.int64), False)
    return Trace.apply(input)



"""`interpolate`: torch's F.interpolate (resize) of (N, C, *spatial) inputs, modes 'nearest',
'nearest-exact', 'linear' (3-D), 'bilinear' (4-D), 'bicubic' (4-D), 'trilinear' (5-D) and
'area' (adaptive average pooling).

Every mode is separable and linear in the input: along each spatial axis, output position o
is a weighted sum of a few input positions, its taps, found with torch's coordinate rules
(`_source_index`). Each axis gets a `Taps`: for every output position the K input indices,
their weights and which of them count, and

    forward:  y[o] = sum_k w[o, k] x[i[o, k]]  along each spatial axis (a gather, as torch:
              a NaN or inf reaches only the outputs that tap it),
    backward: dx = dy  x_axis W  in reverse order, W the dense (out, in) matrix of the taps
              (the transpose of a linear map).

Nearest has one weight 1 per row, linear two (1 - t, t), bicubic four (Keys' cubic
convolution with A = -0.75, positions clamped to the edge), area 1/k over a window of k
(windows shorter than the longest have taps that do not count).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any, NamedTuple

import numpy as np

from groundup.function import Function
from groundup.ops.activation import UnsupportedDtypeError
from groundup.tensor import Tensor

_MODE_DIMS = {"linear": 3, "bilinear": 4, "bicubic": 4, "trilinear": 5}
_MODES = ("nearest", "nearest-exact", "area", *_MODE_DIMS)


class Taps(NamedTuple):
    """One spatial axis: output position o is sum_k weight[o, k] * x[source[o, k]] over the
    k where counts[o, k]; all three (out, K)."""

    source: np.ndarray
    weight: np.ndarray
    counts: np.ndarray

    def matrix(self, n_in: int) -> np.ndarray:
        """The same map as a dense (out, in) matrix."""
        w = np.zeros((self.source.shape[0], n_in), dtype=self.weight.dtype)
        rows = np.broadcast_to(np.arange(self.source.shape[0])[:, None], self.source.shape)
        np.add.at(w, (rows, self.source), np.where(self.counts, self.weight, 0))
        return w


def _gather(x: np.ndarray, taps: Taps, axis: int) -> np.ndarray:
    """Resample axis `axis` of x by `taps`: only the taps of an output reach it."""
    xs = np.moveaxis(x, axis, -1)  # (..., in)
    out = np.zeros((*xs.shape[:-1], taps.source.shape[0]), dtype=x.dtype)
    for k in range(taps.source.shape[1]):
        with np.errstate(invalid="ignore"):  # inf * 0 is NaN, as in torch
            term = xs[..., taps.source[:, k]] * taps.weight[:, k]
        counts = taps.counts[:, k]
        out += term if counts.all() else np.where(counts, term, 0)
    return np.moveaxis(out, -1, axis)


def _along(x: np.ndarray, w: np.ndarray, axis: int) -> np.ndarray:
    """Multiply axis `axis` of x (size in) by w (out, in): the result has size out there."""
    return np.moveaxis(np.moveaxis(x, axis, -1) @ w.T, -1, axis)


class Resample(Function):
    """y = x with spatial axis 2 + k resampled by `taps[k]` (size in_k -> out_k)."""

    saves = ()

    def forward(self, x: np.ndarray, taps: tuple[Taps, ...]) -> np.ndarray:
        self.matrices = [t.matrix(n) for t, n in zip(taps, x.shape[2:], strict=True)]
        for k, t in enumerate(taps):
            x = _gather(x, t, 2 + k)
        return np.ascontiguousarray(x)

    def backward(self, grad: np.ndarray) -> tuple[Any, None]:
        for k in reversed(range(len(self.matrices))):
            grad = _along(grad, self.matrices[k].T, 2 + k)
        return grad, None


# ------------------------------------------------------- torch's coordinate rules
def _scale(n_in: int, n_out: int, align_corners: bool, factor: float | None, ct: Any) -> Any:
    """Input step per output step (torch's area_pixel_compute_scale), in dtype ct."""
    if align_corners:
        return ct(n_in - 1) / ct(n_out - 1) if n_out > 1 else ct(0)
    return ct(1.0 / factor) if factor is not None and factor > 0 else ct(n_in) / ct(n_out)


def _source_index(scale: Any, n_out: int, align_corners: bool, cubic: bool, ct: Any) -> np.ndarray:
    """Real-valued input coordinate of each output position (half-pixel centres unless
    align_corners, where the corner pixels line up); clamped at 0 except for cubic."""
    o = np.arange(n_out, dtype=ct)
    if align_corners:
        return scale * o
    src = scale * (o + ct(0.5)) - ct(0.5)
    return src if cubic else np.maximum(src, ct(0))


def _nearest_rows(n_in: int, n_out: int, factor: float | None, exact: bool) -> np.ndarray:
    """Input position copied to each output position (torch's nearest_idx, float32 math)."""
    o = np.arange(n_out)
    if not exact and n_out == n_in:
        return o
    if not exact and n_out == 2 * n_in:
        return o >> 1
    scale = (
        np.float32(1.0 / factor)
        if factor is not None and factor > 0
        else (np.float32(n_in) / np.float32(n_out))
    )
    if exact:  # floorf((o + 0.5) * scale): a double product rounded to float
        src = np.floor(((o + 0.5) * np.float64(scale)).astype(np.float32))
    else:
        src = np.floor(o.astype(np.float32) * scale)
    return np.minimum(src.astype(np.int64), n_in - 1)


def _cubic(t: np.ndarray) -> list[np.ndarray]:
    """Keys' cubic convolution weights of the 4 taps at offsets -1, 0, 1, 2 (A = -0.75)."""
    a = -0.75

    def near(x: np.ndarray) -> np.ndarray:  # |x| <= 1
        return ((a + 2) * x - (a + 3)) * x * x + 1

    def far(x: np.ndarray) -> np.ndarray:  # 1 < |x| < 2
        return ((a * x - 5 * a) * x + 8 * a) * x - 4 * a

    return [far(t + 1), near(t), near(1 - t), far(2 - t)]


def _taps(
    mode: str, n_in: int, n_out: int, align_corners: bool, factor: float | None, ct: Any
) -> Taps:
    """The taps of one spatial axis, their weights computed in dtype ct."""
    if mode in ("nearest", "nearest-exact"):
        index = _nearest_rows(n_in, n_out, factor, mode == "nearest-exact")[:, None]
        return Taps(index, np.ones(index.shape, ct), np.ones(index.shape, bool))
    if mode == "area":  # adaptive average pooling: window [floor(o n/m), ceil((o+1) n/m))
        o = np.arange(n_out)
        start, end = (o * n_in) // n_out, -((-(o + 1) * n_in) // n_out)
        offsets = np.arange(int((end - start).max(initial=1)))
        index = np.minimum(start[:, None] + offsets, n_in - 1)
        weight = np.broadcast_to((ct(1) / (end - start).astype(ct))[:, None], index.shape)
        return Taps(index, weight, start[:, None] + offsets < end[:, None])
    cubic = mode == "bicubic"
    scale = _scale(n_in, n_out, align_corners, factor, ct)
    src = _source_index(scale, n_out, align_corners, cubic, ct)
    i0 = np.minimum(np.floor(src).astype(np.int64), n_in - 1)
    t = np.clip(src - i0.astype(ct), ct(0), ct(1))  # the fractional part, in ct
    if cubic:  # edge clamped
        index = np.stack([np.clip(i0 + offset, 0, n_in - 1) for offset in (-1, 0, 1, 2)], 1)
        weight = np.stack(_cubic(t), 1)
    else:
        index = np.stack([i0, np.minimum(i0 + 1, n_in - 1)], 1)
        weight = np.stack([1 - t, t], 1)
    return Taps(index, weight.astype(ct), np.ones(index.shape, bool))


# ------------------------------------------------------------------- functional API
def _per_dim(name: str, value: Any, dims: int, spatial: Sequence[int]) -> list[Any]:
    if not isinstance(value, (list, tuple)):
        return [value] * dims
    if len(value) != dims:
        raise ValueError(
            f"interpolate: input and {name} must have the same number of spatial dimensions, "
            f"but got input with spatial dimensions of {list(spatial)} and {name} {tuple(value)}"
        )
    return list(value)


def _checked_mode(mode: str, ndim: int, align_corners: bool | None) -> bool:
    if mode in ("nearest", "area", "nearest-exact"):
        if align_corners is not None:
            raise ValueError(
                "interpolate: align_corners option can only be set with the interpolating "
                "modes: linear | bilinear | bicubic | trilinear"
            )
        if ndim not in (3, 4, 5):
            raise NotImplementedError(
                f"interpolate: only 3D, 4D and 5D (N, C, *spatial) inputs are supported, got "
                f"{ndim}D (mode {mode!r})"
            )
        return False
    if mode not in _MODE_DIMS:
        raise NotImplementedError(f"interpolate: mode must be one of {_MODES}, got {mode!r}")
    if ndim != _MODE_DIMS[mode]:
        raise NotImplementedError(
            f"interpolate: got {ndim}D input, but {mode} mode needs {_MODE_DIMS[mode]}D input"
        )
    return bool(align_corners)


def interpolate(
    input: Tensor,  # noqa: A002 - torch's names
    size: int | Sequence[int] | None = None,
    scale_factor: float | Sequence[float] | None = None,
    mode: str = "nearest",
    align_corners: bool | None = None,
    recompute_scale_factor: bool | None = None,
    antialias: bool = False,
) -> Tensor:
    """Resize the spatial dims of an (N, C, *spatial) input to `size`, or by `scale_factor`
    (output size floor(in * factor)). With a scale factor, positions are mapped with 1/factor
    unless `recompute_scale_factor=True` (then with in/out, as for an explicit size)."""
    if antialias:
        raise NotImplementedError("interpolate: antialias=True is not supported")
    align = _checked_mode(mode, input.ndim, align_corners)
    dims, spatial = input.ndim - 2, input.shape[2:]
    if size is not None and scale_factor is not None:
        raise ValueError("interpolate: only one of size or scale_factor should be defined")
    if size is None and scale_factor is None:
        raise ValueError("interpolate: either size or scale_factor should be defined")
    if recompute_scale_factor and size is not None:
        raise ValueError(
            "interpolate: recompute_scale_factor is not meaningful with an explicit size"
        )
    factors: list[float | None] = [None] * dims
    if size is not None:
        out = _per_dim("output size", size, dims, spatial)
        if not all(isinstance(s, (int, np.integer)) and not isinstance(s, bool) for s in out):
            raise TypeError(f"interpolate: size must be an int or a tuple of ints, got {size!r}")
        out = [int(s) for s in out]
    else:
        given = [float(f) for f in _per_dim("scale_factor", scale_factor, dims, spatial)]
        out = [math.floor(n * f) for n, f in zip(spatial, given, strict=True)]
        if not (recompute_scale_factor or mode == "area"):  # else map positions with in/out
            factors = list(given)
    if min(spatial, default=1) <= 0 or min(out, default=1) <= 0:
        names = "DHW"[3 - dims :]
        raise RuntimeError(
            "interpolate: input and output sizes should be greater than 0, but got input ("
            + ", ".join(f"{a}: {n}" for a, n in zip(names, spatial, strict=True))
            + ") output ("
            + ", ".join(f"{a}: {n}" for a, n in zip(names, out, strict=True))
            + ")"
        )
    if input.dtype.kind != "f":
        raise UnsupportedDtypeError(
            f"interpolate: expected a floating-point input, got dtype {input.dtype}"
        )
    ct = np.float64 if input.dtype == np.float64 else np.float32  # torch's opmath type
    taps = []
    for n, m, f in zip(spatial, out, factors, strict=True):
        t = _taps(mode, n, m, align, f, ct)
        taps.append(t._replace(weight=t.weight.astype(input.dtype, copy=False)))
    return Resample.apply(input, tuple(taps))

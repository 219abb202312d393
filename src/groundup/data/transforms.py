"""Preprocessing: `Normalize`, `Standardize`, `MinMaxScale` and `one_hot`.

`Normalize` uses statistics you give it (as torchvision's). `Standardize` and
`MinMaxScale` learn theirs with `.fit(x_train)` -- fit on the training split only, then
transform every split with the same numbers, so nothing about the test set leaks into
training. All of them take NumPy arrays or groundup Tensors and return the same kind
(no gradient is recorded: this is data preparation). Float inputs keep their dtype;
integer inputs (such as uint8 pixels) come back as float32.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeVar, overload

import numpy as np

from groundup.ops.creation import from_numpy
from groundup.tensor import Tensor

ArrayOrTensor = TypeVar("ArrayOrTensor", np.ndarray, Tensor)


def _unwrap(x: Any) -> tuple[np.ndarray, bool]:
    if isinstance(x, Tensor):
        return x._data, True
    return np.asarray(x), False


def _float_dtype(x: np.ndarray) -> np.dtype:
    return x.dtype if np.issubdtype(x.dtype, np.floating) else np.dtype(np.float32)


def _wrap(result: np.ndarray, as_tensor: bool) -> Any:
    return from_numpy(result) if as_tensor else result


class Normalize:
    """`(x - mean) / std` with given statistics: scalars, or one value per channel.

    Per-channel values index axis `dim`, counted from the end so one transform serves a
    sample and a batch alike: -3 for images `(..., C, H, W)` (torchvision's layout), -2
    for signals `(..., C, L)`, -1 for feature vectors `(..., F)`.
    """

    def __init__(
        self, mean: float | Sequence[float], std: float | Sequence[float], dim: int = -3
    ) -> None:
        if dim >= 0:
            raise ValueError(f"Normalize: dim counts from the end and must be negative, got {dim}")
        self.mean = np.asarray(mean, dtype=np.float64)
        self.std = np.asarray(std, dtype=np.float64)
        self.dim = dim
        if self.mean.ndim > 1 or self.std.ndim > 1:
            raise ValueError("Normalize: mean and std must be scalars or 1-D sequences")
        if np.any(self.std == 0):
            raise ValueError(f"Normalize: std {self.std.tolist()} contains 0 (division by zero)")

    def _per_channel(self, stat: np.ndarray, x: np.ndarray, name: str) -> np.ndarray:
        if stat.ndim == 0 or stat.size == 1:
            return stat.reshape(())
        if x.ndim < -self.dim or x.shape[self.dim] != stat.size:
            raise ValueError(
                f"Normalize: {stat.size} {name} values for dim {self.dim}, but the input "
                f"has shape {x.shape}"
            )
        return stat.reshape((-1,) + (1,) * (-self.dim - 1))  # e.g. (C, 1, 1) for dim=-3

    def __call__(self, x: ArrayOrTensor) -> ArrayOrTensor:
        arr, is_tensor = _unwrap(x)
        dtype = _float_dtype(arr)
        mean = self._per_channel(self.mean, arr, "mean").astype(dtype)
        std = self._per_channel(self.std, arr, "std").astype(dtype)
        return _wrap((arr.astype(dtype, copy=False) - mean) / std, is_tensor)

    def __repr__(self) -> str:
        return f"Normalize(mean={self.mean.tolist()}, std={self.std.tolist()}, dim={self.dim})"


class _FittedScaler:
    """fit/transform plumbing: statistics are reduced over `axis` (default: the samples).

    `axis=0` gives one statistic per feature (per pixel for images); `axis=None` one
    number for everything; `axis=(0, 2, 3)` one per channel of `(N, C, H, W)` images.
    """

    def __init__(self, axis: int | tuple[int, ...] | None = 0) -> None:
        self.axis = axis
        self.fitted_shape: tuple[int, ...] | None = None

    def _reduce(self, fn: Any, x: np.ndarray) -> np.ndarray:
        stat = fn(x, axis=self.axis, keepdims=True)
        # Drop leading size-1 axes: (1, F) -> (F,), so a single sample broadcasts too.
        while stat.ndim and stat.shape[0] == 1:
            stat = stat[0]
        return np.asarray(stat)

    def fit(self, x: Any) -> Any:
        arr = _unwrap(x)[0].astype(np.float64)  # statistics in float64 for accuracy
        if arr.size == 0:
            raise ValueError(f"{type(self).__name__}.fit: got an empty array")
        self._fit(arr)
        self.fitted_shape = arr.shape
        return self

    def _fit(self, x: np.ndarray) -> None:
        raise NotImplementedError

    def _apply(self, x: np.ndarray, inverse: bool) -> np.ndarray:
        raise NotImplementedError

    def _check(self, x: np.ndarray, what: str) -> None:
        name = type(self).__name__
        if self.fitted_shape is None:
            raise RuntimeError(
                f"{name}.{what} called before fit: call {name}().fit(x_train) on the training "
                "split first, then transform every split with it"
            )
        stat_shape = self._stat_shape()
        try:
            ok = np.broadcast_shapes(x.shape, stat_shape) == x.shape
        except ValueError:
            ok = False
        if not ok:
            raise ValueError(
                f"{name}.{what}: fitted on data of shape {self.fitted_shape} (statistics of "
                f"shape {stat_shape}), cannot apply to shape {x.shape}"
            )

    def _stat_shape(self) -> tuple[int, ...]:
        raise NotImplementedError

    def transform(self, x: ArrayOrTensor) -> ArrayOrTensor:
        arr, is_tensor = _unwrap(x)
        self._check(arr, "transform")
        dtype = _float_dtype(arr)
        return _wrap(self._apply(arr.astype(dtype, copy=False), False).astype(dtype), is_tensor)

    def inverse_transform(self, x: ArrayOrTensor) -> ArrayOrTensor:
        arr, is_tensor = _unwrap(x)
        self._check(arr, "inverse_transform")
        dtype = _float_dtype(arr)
        return _wrap(self._apply(arr.astype(dtype, copy=False), True).astype(dtype), is_tensor)

    def fit_transform(self, x: ArrayOrTensor) -> ArrayOrTensor:
        return self.fit(x).transform(x)

    __call__ = transform


class Standardize(_FittedScaler):
    """`(x - mean) / std` with mean and std learned by `fit(x_train)`.

    A constant feature (std 0) is only centred: its std is taken as 1 (as scikit-learn's
    StandardScaler does). std uses `ddof=0`.
    """

    mean: np.ndarray
    std: np.ndarray

    def _fit(self, x: np.ndarray) -> None:
        self.mean = self._reduce(np.mean, x)
        std = self._reduce(np.std, x)
        self.std = np.where(std == 0, 1.0, std)

    def _stat_shape(self) -> tuple[int, ...]:
        return self.mean.shape

    def _apply(self, x: np.ndarray, inverse: bool) -> np.ndarray:
        mean, std = self.mean.astype(x.dtype), self.std.astype(x.dtype)
        return x * std + mean if inverse else (x - mean) / std


class MinMaxScale(_FittedScaler):
    """Map the training range `[min, max]` of each feature onto `feature_range`.

    A constant feature (max == min) maps to the low end instead of dividing by zero.
    Test data may fall outside `feature_range`: the range is the training data's.
    """

    min: np.ndarray
    range: np.ndarray

    def __init__(
        self,
        feature_range: tuple[float, float] = (0.0, 1.0),
        axis: int | tuple[int, ...] | None = 0,
    ) -> None:
        super().__init__(axis)
        if not feature_range[0] < feature_range[1]:
            raise ValueError(f"MinMaxScale: feature_range must be (low, high), got {feature_range}")
        self.feature_range = feature_range

    def _fit(self, x: np.ndarray) -> None:
        self.min = self._reduce(np.min, x)
        span = self._reduce(np.max, x) - self.min
        self.range = np.where(span == 0, 1.0, span)

    def _stat_shape(self) -> tuple[int, ...]:
        return self.min.shape

    def _apply(self, x: np.ndarray, inverse: bool) -> np.ndarray:
        low, high = self.feature_range
        lo, rng = self.min.astype(x.dtype), self.range.astype(x.dtype)
        if inverse:
            return (x - low) / (high - low) * rng + lo
        return (x - lo) / rng * (high - low) + low


@overload
def one_hot(labels: Tensor, num_classes: int = -1) -> Tensor: ...
@overload
def one_hot(labels: Any, num_classes: int = -1) -> np.ndarray: ...
def one_hot(labels: Any, num_classes: int = -1) -> Any:
    """Integer labels of shape `(*)` -> int64 one-hot of shape `(*, num_classes)`.

    As `torch.nn.functional.one_hot`: `num_classes=-1` means `labels.max() + 1`; negative
    labels and labels >= num_classes are errors. Returns a Tensor for a Tensor, else an array.
    """
    arr, is_tensor = _unwrap(labels)
    if arr.dtype.kind not in "iu":
        raise TypeError(
            f"one_hot: labels must be integers, got dtype {arr.dtype} (cast them to int64)"
        )
    if num_classes == -1:
        if arr.size == 0:
            raise ValueError("one_hot: cannot infer the number of classes from empty labels")
        num_classes = int(arr.max()) + 1
    if arr.size and arr.min() < 0:
        raise ValueError(f"one_hot: class values must be non-negative, got {arr.min()}")
    if arr.size and arr.max() >= num_classes:
        raise ValueError(
            f"one_hot: class values must be smaller than num_classes={num_classes}, got {arr.max()}"
        )
    return _wrap(np.eye(num_classes, dtype=np.int64)[arr], is_tensor)

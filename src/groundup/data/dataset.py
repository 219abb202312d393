"""Datasets: map-style `Dataset`, `TensorDataset`, `Subset`, `ConcatDataset`,
`StackDataset`, and iterable-style `IterableDataset`, `ChainDataset`.

A map-style dataset is anything with `__len__` and `__getitem__(i)` returning one sample;
an iterable-style one yields its samples from `__iter__` (a stream: files, generators).
The `DataLoader` turns samples into batches. `TensorDataset` keeps whole arrays, so the
loader can slice a batch out of them in one NumPy indexing call.
"""

from __future__ import annotations

import bisect
from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

import numpy as np

from groundup.ops.creation import from_numpy
from groundup.tensor import Tensor


class Dataset(ABC):
    """A sized collection of samples indexed by `0 .. len(self) - 1`."""

    @abstractmethod
    def __getitem__(self, index: int) -> Any: ...

    @abstractmethod
    def __len__(self) -> int: ...

    def __add__(self, other: Dataset) -> ConcatDataset:
        return ConcatDataset([self, other])


def _as_array(x: Any) -> np.ndarray:
    return x._data if isinstance(x, Tensor) else np.asarray(x)


class TensorDataset(Dataset):
    """Samples are tuples `(t[i] for t in tensors)`; all tensors share their first dimension.

    Accepts groundup Tensors or NumPy arrays (kept without copying). `tensors` holds them as
    Tensors, as in PyTorch; `arrays` holds the underlying NumPy arrays.
    """

    def __init__(self, *tensors: Any) -> None:
        if not tensors:
            raise ValueError("TensorDataset needs at least one tensor")
        self.arrays: tuple[np.ndarray, ...] = tuple(_as_array(t) for t in tensors)
        lengths = [a.shape[0] if a.ndim else None for a in self.arrays]
        if None in lengths or len(set(lengths)) != 1:
            shapes = ", ".join(str(a.shape) for a in self.arrays)
            raise ValueError(
                f"TensorDataset: size mismatch between tensors of shapes {shapes}; "
                "every tensor needs the same first dimension (one row per sample)"
            )
        self.tensors: tuple[Tensor, ...] = tuple(from_numpy(a) for a in self.arrays)

    def __getitem__(self, index: Any) -> tuple[Tensor, ...]:
        if isinstance(index, Tensor):  # a tensor of indices, not an int (Tensor.__index__)
            index = index._data
        return tuple(from_numpy(np.asarray(a[index])) for a in self.arrays)

    def __len__(self) -> int:
        return int(self.arrays[0].shape[0])


class Subset(Dataset):
    """The samples of `dataset` at `indices`, in that order."""

    def __init__(self, dataset: Dataset, indices: Sequence[int] | np.ndarray) -> None:
        self.dataset = dataset
        self.indices = np.asarray(indices, dtype=np.int64).reshape(-1)
        n = len(dataset)
        if self.indices.size and (self.indices.min() < -n or self.indices.max() >= n):
            raise IndexError(
                f"Subset: indices must lie in [0, {n}) for a dataset of {n} samples, "
                f"got min {self.indices.min()}, max {self.indices.max()}"
            )

    def __getitem__(self, index: int) -> Any:
        return self.dataset[int(self.indices[index])]

    def __len__(self) -> int:
        return int(self.indices.size)


class ConcatDataset(Dataset):
    """Datasets one after the other: sample `i` of the second follows the last of the first."""

    def __init__(self, datasets: Sequence[Dataset]) -> None:
        self.datasets = list(datasets)
        if not self.datasets:
            raise ValueError("ConcatDataset: datasets should not be an empty sequence")
        self.cumulative_sizes = np.cumsum([len(d) for d in self.datasets]).tolist()

    def __getitem__(self, index: int) -> Any:
        n = len(self)
        if not -n <= index < n:
            raise IndexError(f"ConcatDataset: index {index} out of range for {n} samples")
        index %= n
        which = bisect.bisect_right(self.cumulative_sizes, index)
        start = self.cumulative_sizes[which - 1] if which else 0
        return self.datasets[which][index - start]

    def __len__(self) -> int:
        return int(self.cumulative_sizes[-1])


class IterableDataset(Dataset):
    """A stream of samples: subclasses define `__iter__` (and `__len__` only if they know
    their length). With `num_workers > 0` every worker iterates its own copy of the
    dataset, so `__iter__` should use `groundup.data.get_worker_info()` to give each
    worker its own share of the stream (otherwise every sample arrives once per worker).
    """

    @abstractmethod
    def __iter__(self) -> Iterator[Any]: ...

    def __getitem__(self, index: int) -> Any:
        raise NotImplementedError(
            f"{type(self).__name__} is an IterableDataset: iterate over it instead of indexing"
        )

    def __len__(self) -> int:
        raise TypeError(f"{type(self).__name__} is an IterableDataset that defines no __len__")

    def __add__(self, other: Dataset) -> ChainDataset:  # type: ignore[override]
        return ChainDataset([self, other])


class ChainDataset(IterableDataset):
    """Iterable datasets one after the other (lazily: each starts when the previous ends)."""

    def __init__(self, datasets: Iterable[Dataset]) -> None:
        self.datasets = datasets

    def __iter__(self) -> Iterator[Any]:
        for d in self.datasets:
            if not isinstance(d, IterableDataset):  # AssertionError, as torch raises
                raise AssertionError(
                    f"ChainDataset only supports IterableDataset, got {type(d).__name__}"
                )
            yield from d

    def __len__(self) -> int:
        return sum(len(d) for d in self.datasets)


class StackDataset(Dataset):
    """Several datasets of one length side by side: sample i is `(a[i], b[i], ...)`, or
    `{"name": a[i], ...}` when they are given by keyword (e.g. images and captions)."""

    def __init__(self, *args: Dataset, **kwargs: Dataset) -> None:
        if args and kwargs:
            raise ValueError(
                "StackDataset: pass the datasets either positionally (tuple samples) or by "
                "keyword (dict samples), not both"
            )
        datasets = list(args or kwargs.values())
        if not datasets:
            raise ValueError("StackDataset: at least one dataset should be passed")
        self._length = len(datasets[0])
        if any(len(d) != self._length for d in datasets):
            lengths = [len(d) for d in datasets]
            raise ValueError(f"StackDataset: size mismatch between datasets of lengths {lengths}")
        self.datasets: tuple[Dataset, ...] | dict[str, Dataset] = args or kwargs

    def __getitem__(self, index: int) -> Any:
        if isinstance(self.datasets, dict):
            return {k: d[index] for k, d in self.datasets.items()}
        return tuple(d[index] for d in self.datasets)

    def __len__(self) -> int:
        return self._length

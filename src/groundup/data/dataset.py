"""Map-style datasets: `Dataset`, `TensorDataset`, `Subset`, `ConcatDataset`.

A dataset is anything with `__len__` and `__getitem__(i)` returning one sample. The
`DataLoader` turns samples into batches. `TensorDataset` keeps whole arrays, so the
loader can slice a batch out of them in one NumPy indexing call.
"""

from __future__ import annotations

import bisect
from abc import ABC, abstractmethod
from collections.abc import Sequence
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

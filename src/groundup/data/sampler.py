"""Samplers: which dataset indices an epoch visits, and in what order.

A sampler is an iterable of indices (`SequentialSampler`, `RandomSampler`, ...); a
`BatchSampler` groups a sampler's indices into lists, one per batch. The `DataLoader`
builds these from `shuffle`/`batch_size`/`drop_last`, or takes yours as `sampler=` or
`batch_sampler=`.

Randomness: each `iter()` draws the whole epoch's indices at once, from `generator` (a
`numpy.random.Generator`) or else from groundup's global generator, looked up then, so
`manual_seed` decides the order. The draws are NumPy's, so the orders differ from torch's
for the same seed; what torch guarantees (which indices, how many, reproducibility under a
seed) holds here too.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Sequence, Sized
from typing import Any

import numpy as np

from groundup.random import default_generator
from groundup.tensor import Tensor


def _rng(generator: np.random.Generator | None) -> np.random.Generator:
    return generator if generator is not None else default_generator()


def index_array_of(sampler: Any) -> Any:
    """The sampler's `_index_array` method (the epoch's indices as one int64 array, for
    batching without a Python loop), or None if it has none or a subclass changed
    `__iter__` (then its own iteration must be used)."""
    cls = type(sampler)
    for klass in cls.__mro__:
        if "_index_array" in klass.__dict__:
            return sampler._index_array if cls.__iter__ is klass.__dict__.get("__iter__") else None
    return None


class Sampler:
    """Base class: subclasses define `__iter__` (indices) and usually `__len__`."""

    def __iter__(self) -> Iterator[Any]:
        raise NotImplementedError(f"{type(self).__name__} does not define __iter__")


class SequentialSampler(Sampler):
    """0, 1, ..., len(data_source) - 1."""

    def __init__(self, data_source: Sized) -> None:
        self.data_source = data_source

    def _index_array(self) -> np.ndarray:
        return np.arange(len(self.data_source), dtype=np.int64)

    def __iter__(self) -> Iterator[int]:
        return iter(range(len(self.data_source)))

    def __len__(self) -> int:
        return len(self.data_source)


class RandomSampler(Sampler):
    """A random order of the indices: a permutation (repeated, then cut, when
    `num_samples` exceeds the dataset), or `num_samples` independent uniform draws
    with `replacement`."""

    def __init__(
        self,
        data_source: Sized,
        replacement: bool = False,
        num_samples: int | None = None,
        generator: np.random.Generator | None = None,
    ) -> None:
        self.data_source = data_source
        self.replacement = replacement
        self._num_samples = num_samples
        self.generator = generator
        if not isinstance(self.replacement, bool):
            raise TypeError(
                f"replacement should be a boolean value, but got replacement={self.replacement}"
            )
        n = self.num_samples
        if not isinstance(n, int) or isinstance(n, bool) or n <= 0:
            raise ValueError(
                f"num_samples should be a positive integer value, but got num_samples={n}"
            )

    @property
    def num_samples(self) -> int:
        """Indices per epoch: `num_samples`, or the dataset's size when it was None."""
        return len(self.data_source) if self._num_samples is None else self._num_samples

    def _index_array(self) -> np.ndarray:
        n, k = len(self.data_source), self.num_samples
        rng = _rng(self.generator)
        if self.replacement:
            return rng.integers(0, n, size=k, dtype=np.int64)
        # as torch: k // n full permutations, then the start of one more
        parts = [rng.permutation(n) for _ in range(k // n)]
        if k % n:
            parts.append(rng.permutation(n)[: k % n])
        return np.concatenate(parts).astype(np.int64, copy=False)

    def __iter__(self) -> Iterator[int]:
        return iter(self._index_array().tolist())

    def __len__(self) -> int:
        return self.num_samples


class SubsetRandomSampler(Sampler):
    """The given indices, in a random order (e.g. a validation split of one dataset)."""

    def __init__(
        self, indices: Sequence[int], generator: np.random.Generator | None = None
    ) -> None:
        self.indices = indices
        self.generator = generator

    def _index_array(self) -> np.ndarray:
        indices = self.indices._data if isinstance(self.indices, Tensor) else self.indices
        order = _rng(self.generator).permutation(len(self.indices))
        return np.asarray(indices, dtype=np.int64).reshape(-1)[order]

    def __iter__(self) -> Iterator[int]:
        return iter(self._index_array().tolist())

    def __len__(self) -> int:
        return len(self.indices)


class WeightedRandomSampler(Sampler):
    """`num_samples` indices drawn with probability proportional to `weights` (which
    need not sum to 1), with or without replacement; e.g. to oversample rare classes."""

    def __init__(
        self,
        weights: Sequence[float] | np.ndarray | Tensor,
        num_samples: int,
        replacement: bool = True,
        generator: np.random.Generator | None = None,
    ) -> None:
        if not isinstance(num_samples, int) or isinstance(num_samples, bool) or num_samples <= 0:
            raise ValueError(
                "num_samples should be a positive integer value, but got "
                f"num_samples={num_samples}"
            )
        if not isinstance(replacement, bool):
            raise ValueError(
                f"replacement should be a boolean value, but got replacement={replacement}"
            )
        raw = weights._data if isinstance(weights, Tensor) else weights
        weights_array = np.asarray(raw, dtype=np.float64)
        if weights_array.ndim != 1:
            raise ValueError(
                "weights should be a 1d sequence but given weights have shape "
                f"{tuple(weights_array.shape)}"
            )
        # the checks torch.multinomial makes (at its first draw; here, up front)
        if not np.all(np.isfinite(weights_array)) or np.any(weights_array < 0):
            raise RuntimeError(
                "WeightedRandomSampler: weights must be finite and non-negative, "
                f"got {weights_array.tolist()}"
            )
        if not np.any(weights_array > 0):
            raise RuntimeError("WeightedRandomSampler: weights must not all be zero")
        if not replacement and num_samples > len(weights_array):
            raise RuntimeError(
                f"WeightedRandomSampler: cannot draw {num_samples} samples without "
                f"replacement from {len(weights_array)} indices"
            )
        self.weights = weights_array
        self.num_samples = num_samples
        self.replacement = replacement
        self.generator = generator

    def _index_array(self) -> np.ndarray:
        rng = _rng(self.generator)
        p = self.weights / self.weights.sum()
        if self.replacement:
            return rng.choice(len(p), size=self.num_samples, p=p).astype(np.int64)
        # one at a time, each in proportion to the weights left; once the indices of
        # positive weight run out, the zero-weight ones follow in a random order (torch)
        positive = np.flatnonzero(p)
        k = min(self.num_samples, len(positive))
        draw = rng.choice(positive, size=k, replace=False, p=p[positive] / p[positive].sum())
        rest = rng.permutation(np.flatnonzero(p == 0))[: self.num_samples - k]
        return np.concatenate([draw, rest]).astype(np.int64)

    def __iter__(self) -> Iterator[int]:
        return iter(self._index_array().tolist())

    def __len__(self) -> int:
        return self.num_samples


class BatchSampler(Sampler):
    """Group the indices of `sampler` (any iterable of indices) into lists of
    `batch_size`; the last, shorter list is dropped if `drop_last`."""

    def __init__(
        self, sampler: Sampler | Iterable[Any], batch_size: int, drop_last: bool
    ) -> None:
        if not isinstance(batch_size, int) or isinstance(batch_size, bool) or batch_size <= 0:
            raise ValueError(
                f"batch_size should be a positive integer value, but got batch_size={batch_size}"
            )
        if not isinstance(drop_last, bool):
            raise ValueError(
                f"drop_last should be a boolean value, but got drop_last={drop_last}"
            )
        self.sampler = sampler
        self.batch_size = batch_size
        self.drop_last = drop_last

    def _batches(self) -> Iterator[Any]:
        """The batches as int64 arrays when the sampler can give its indices as one
        array (no Python loop over samples), else as lists."""
        index_array = index_array_of(self.sampler)
        if index_array is None:
            return iter(self)
        order = index_array()
        b = self.batch_size
        stop = len(order) // b * b if self.drop_last else len(order)
        return iter([order[i : i + b] for i in range(0, stop, b)])

    def __iter__(self) -> Iterator[list[Any]]:
        if index_array_of(self.sampler) is not None:
            return iter([batch.tolist() for batch in self._batches()])
        return self._grouped(iter(self.sampler))

    def _grouped(self, indices: Iterator[Any]) -> Iterator[list[Any]]:
        batch: list[Any] = []
        for index in indices:
            batch.append(index)
            if len(batch) == self.batch_size:
                yield batch
                batch = []
        if batch and not self.drop_last:
            yield batch

    def __len__(self) -> int:
        n = len(self.sampler)  # type: ignore[arg-type]
        return n // self.batch_size if self.drop_last else math.ceil(n / self.batch_size)

"""`DataLoader`: batches of samples from a dataset, in order or shuffled, in-process or
in worker processes.

Randomness: every `iter(loader)` draws one seed for the workers and, when shuffling,
one permutation from the loader's generator -- `generator`, a generator made from
`seed`, or else groundup's global generator (looked up at each epoch, so `manual_seed`
and a restored `set_rng_state` decide the order). The draws do not depend on
`num_workers`, so changing it never changes the order of this or any later epoch.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

from groundup.data.collate import as_batch_tensor, default_collate
from groundup.data.dataset import Dataset, Subset, TensorDataset
from groundup.data.worker import worker_batches
from groundup.random import default_generator


def _array_view(dataset: Dataset) -> tuple[tuple[np.ndarray, ...], np.ndarray | None] | None:
    """(arrays, index map) when `dataset` is a TensorDataset, possibly inside Subsets."""
    index_map: np.ndarray | None = None
    while type(dataset) is Subset:
        index_map = dataset.indices if index_map is None else dataset.indices[index_map]
        dataset = dataset.dataset
    if type(dataset) is TensorDataset:  # a subclass may change __getitem__: no shortcut
        return dataset.arrays, index_map
    return None


class _Fetcher:
    """Indices of one batch -> the batch. The same object runs in worker processes."""

    def __init__(self, dataset: Dataset, collate_fn: Callable[[list[Any]], Any] | None) -> None:
        self.dataset = dataset
        self.collate_fn = collate_fn or default_collate
        default = self.collate_fn is default_collate
        self.view = _array_view(dataset) if default else None

    def __call__(self, indices: np.ndarray) -> Any:
        if self.view is not None:
            # Fast path: one fancy-indexing call per array instead of a loop over samples.
            # Gives exactly what default_collate would build from the samples.
            arrays, index_map = self.view
            if index_map is not None:
                indices = index_map[indices]
            return tuple(as_batch_tensor(a[indices]) for a in arrays)
        return self.collate_fn([self.dataset[int(i)] for i in indices])


class DataLoader:
    """Iterate over `dataset` in batches of `batch_size` samples.

    Args:
        dataset: any object with `__len__` and `__getitem__`.
        batch_size: samples per batch; the last batch may be smaller unless `drop_last`.
        shuffle: draw a new order every epoch (see the module docstring for the generator).
        drop_last: skip the last, incomplete batch.
        num_workers: load batches in this many worker processes (0: in this process).
            Batches arrive in the same order with the same contents either way. Workers
            pay off when loading a sample is slow (files, decoding, augmentation); for
            in-memory arrays 0 is fastest, since every batch must be copied through a pipe.
        collate_fn: list of samples -> batch; default `default_collate`.
        generator: a `numpy.random.Generator` for shuffling (and worker seeds).
        seed: make a private generator from this seed instead (not with `generator`).
        prefetch_factor: requests kept in flight per worker.
        multiprocessing_context: 'fork', 'spawn', 'forkserver' or a context; default
            'fork' where available, else 'spawn'.
    """

    def __init__(
        self,
        dataset: Dataset,
        batch_size: int = 1,
        shuffle: bool = False,
        drop_last: bool = False,
        num_workers: int = 0,
        collate_fn: Callable[[list[Any]], Any] | None = None,
        generator: np.random.Generator | None = None,
        seed: int | None = None,
        *,
        prefetch_factor: int = 2,
        multiprocessing_context: str | Any | None = None,
    ) -> None:
        if not isinstance(batch_size, int) or isinstance(batch_size, bool) or batch_size < 1:
            raise ValueError(f"DataLoader: batch_size should be a positive int, got {batch_size!r}")
        if not isinstance(num_workers, int) or num_workers < 0:
            raise ValueError(
                f"DataLoader: num_workers should be a non-negative int, got {num_workers!r}"
            )
        if prefetch_factor < 1:
            raise ValueError(f"DataLoader: prefetch_factor should be >= 1, got {prefetch_factor}")
        if generator is not None and seed is not None:
            raise ValueError("DataLoader: pass either generator or seed, not both")
        self.dataset = dataset
        self.batch_size = batch_size
        self.shuffle = shuffle
        self.drop_last = drop_last
        self.num_workers = num_workers
        self.collate_fn = collate_fn
        self.generator = np.random.default_rng(seed) if seed is not None else generator
        self.prefetch_factor = prefetch_factor
        self.multiprocessing_context = multiprocessing_context
        self._fetch = _Fetcher(dataset, collate_fn)

    def __len__(self) -> int:
        """Number of batches per epoch."""
        n = len(self.dataset)
        return n // self.batch_size if self.drop_last else math.ceil(n / self.batch_size)

    def _batch_indices(self) -> tuple[list[np.ndarray], int]:
        """This epoch's index arrays, one per batch, and the workers' base seed."""
        rng = self.generator if self.generator is not None else default_generator()
        # Drawn on every epoch, workers or not, so num_workers never shifts the stream.
        base_seed = int(rng.integers(2**62))
        n = len(self.dataset)
        order = rng.permutation(n) if self.shuffle else np.arange(n)
        stop = len(self) * self.batch_size if self.drop_last else n
        batches = [order[i : i + self.batch_size] for i in range(0, stop, self.batch_size)]
        return batches, base_seed

    def __iter__(self) -> Iterator[Any]:
        # The order is fixed here, when iteration starts; batches are built lazily.
        batches, base_seed = self._batch_indices()
        if self.num_workers == 0:
            return (self._fetch(b) for b in batches)
        return worker_batches(
            self._fetch,
            batches,
            self.num_workers,
            self.prefetch_factor,
            base_seed,
            self.multiprocessing_context,
        )

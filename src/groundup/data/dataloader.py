"""`DataLoader`: batches of samples from a dataset, in order, shuffled or as a sampler
says, in-process or in worker processes.

Which indices a batch holds comes from a batch sampler: the one given as
`batch_sampler=`, or `BatchSampler(sampler, batch_size, drop_last)` where `sampler` is
the one given, else `RandomSampler` (`shuffle=True`) or `SequentialSampler`. An
`IterableDataset` has no indices: its own iterator decides, and each worker iterates
its own copy (see `get_worker_info`). `batch_size=None` turns batching off: the loader
yields the samples one by one (arrays converted to Tensors).

Randomness: every `iter(loader)` draws one seed for the workers and then, when shuffling,
the epoch's whole order from the loader's generator -- `generator`, a generator made from
`seed`, or else groundup's global generator (looked up at each epoch, so `manual_seed`
and a restored `set_rng_state` decide the order). The draws do not depend on
`num_workers`, so changing it never changes the order of this or any later epoch.
"""

from __future__ import annotations

import itertools
import math
import warnings
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any

import numpy as np

from groundup.data.collate import as_batch_tensor, default_collate
from groundup.data.dataset import Dataset, IterableDataset, Subset, TensorDataset
from groundup.data.sampler import BatchSampler, RandomSampler, Sampler, SequentialSampler
from groundup.data.worker import WorkerDone, worker_batches
from groundup.ops.creation import from_numpy
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


def default_convert(data: Any) -> Any:
    """The collate_fn without batching (`batch_size=None`): NumPy arrays and scalars
    become Tensors (dtype kept), recursing into dicts, named tuples, tuples and lists
    (tuples become lists, as in torch); anything else is returned as it is."""
    if isinstance(data, (np.ndarray, np.generic)) and data.dtype.kind in "biufc":
        return from_numpy(np.asarray(data))
    if isinstance(data, Mapping):
        return {key: default_convert(value) for key, value in data.items()}
    if isinstance(data, tuple) and hasattr(data, "_fields"):  # a namedtuple
        return type(data)(*(default_convert(d) for d in data))
    if isinstance(data, (tuple, list)):
        return [default_convert(d) for d in data]
    return data


class _Fetcher:
    """Request -> batch, for map-style datasets: a batch of indices (or one index when
    not batching) -> the collated samples. The same object runs in worker processes."""

    def __init__(
        self, dataset: Dataset, collate_fn: Callable[[Any], Any], auto_collation: bool
    ) -> None:
        self.dataset = dataset
        self.collate_fn = collate_fn
        self.auto_collation = auto_collation
        fast = auto_collation and collate_fn is default_collate
        self.view = _array_view(dataset) if fast else None

    def __call__(self, indices: Any) -> Any:
        if not self.auto_collation:
            return self.collate_fn(self.dataset[indices])
        if self.view is not None:
            array = np.asarray(indices)
            if array.dtype.kind in "iu":
                # Fast path: one fancy-indexing call per array instead of a loop over
                # samples. Gives exactly what default_collate would build from the samples.
                arrays, index_map = self.view
                if index_map is not None:
                    array = index_map[array]
                return tuple(as_batch_tensor(a[array]) for a in arrays)
        keys = indices.tolist() if isinstance(indices, np.ndarray) else list(indices)
        getitems = getattr(self.dataset, "__getitems__", None)  # a batched fetch, as torch
        samples = getitems(keys) if callable(getitems) else [self.dataset[i] for i in keys]
        return self.collate_fn(samples)


class _IterableFetcher:
    """Request -> the next batch of an iterable-style dataset (`WorkerDone` once it has
    run out). A fresh one per epoch; each worker gets its own copy, which starts the
    dataset's iterator on its first request, after `worker_init_fn` has run."""

    def __init__(
        self,
        dataset: IterableDataset,
        collate_fn: Callable[[Any], Any],
        batch_size: int | None,
        drop_last: bool,
    ) -> None:
        self.dataset = dataset
        self.collate_fn = collate_fn
        self.batch_size = batch_size
        self.drop_last = drop_last
        self._iterator: Iterator[Any] | None = None
        self._ended = False

    def start(self) -> None:
        self._iterator = iter(self.dataset)

    def __call__(self, request: Any = None) -> Any:
        if self._ended:
            return WorkerDone()
        if self._iterator is None:
            self.start()
        assert self._iterator is not None
        if self.batch_size is None:
            try:
                return self.collate_fn(next(self._iterator))
            except StopIteration:
                self._ended = True
                return WorkerDone()
        batch = list(itertools.islice(self._iterator, self.batch_size))
        if len(batch) < self.batch_size:
            self._ended = True  # the stream ran out inside this batch
            if not batch or self.drop_last:
                return WorkerDone()
        return self.collate_fn(batch)


def _until_done(fetch: _IterableFetcher) -> Iterator[Any]:
    while not isinstance(batch := fetch(), WorkerDone):
        yield batch


class DataLoader:
    """Iterate over `dataset` in batches of `batch_size` samples.

    Args:
        dataset: a map-style dataset (`__len__` and `__getitem__`) or an IterableDataset.
        batch_size: samples per batch; the last batch may be smaller unless `drop_last`.
            None: no batching, each sample is yielded on its own.
        shuffle: draw a new order every epoch (see the module docstring for the generator).
        drop_last: skip the last, incomplete batch.
        num_workers: load batches in this many worker processes (0: in this process).
            Batches arrive in the same order with the same contents either way. Workers
            pay off when loading a sample is slow (files, decoding, augmentation); for
            in-memory arrays 0 is fastest, since every batch must be copied through a pipe.
        collate_fn: list of samples -> batch; default `default_collate` (`default_convert`
            when not batching).
        generator: a `numpy.random.Generator` for shuffling (and worker seeds).
        seed: make a private generator from this seed instead (not with `generator`).
        sampler: the indices to visit, in order (any iterable; not with `shuffle`).
        batch_sampler: yields whole batches of indices (not with `batch_size`, `shuffle`,
            `sampler` or `drop_last`).
        worker_init_fn: called with the worker id in each worker, after seeding.
        prefetch_factor: requests kept in flight per worker (default 2; workers only).
        multiprocessing_context: 'fork', 'spawn', 'forkserver' or a context; default
            'fork' where available, else 'spawn'.
        pin_memory: accepted for torch compatibility; there is no accelerator to pin for.

    The first eight arguments keep groundup's positional order (`drop_last` fourth), so
    `sampler`, `batch_sampler` and the rest are keyword-only; by keyword, every argument
    is torch's.
    """

    def __init__(
        self,
        dataset: Dataset,
        batch_size: int | None = 1,
        shuffle: bool | None = None,
        drop_last: bool = False,
        num_workers: int = 0,
        collate_fn: Callable[[Any], Any] | None = None,
        generator: np.random.Generator | None = None,
        seed: int | None = None,
        *,
        sampler: Sampler | Iterable[Any] | None = None,
        batch_sampler: Sampler | Iterable[Sequence[Any]] | None = None,
        worker_init_fn: Callable[[int], None] | None = None,
        prefetch_factor: int | None = None,
        multiprocessing_context: str | Any | None = None,
        pin_memory: bool = False,
    ) -> None:
        if not isinstance(num_workers, int) or num_workers < 0:
            raise ValueError(
                f"DataLoader: num_workers should be a non-negative int, got {num_workers!r}; "
                "use num_workers=0 to load in this process"
            )
        if num_workers == 0 and prefetch_factor is not None:
            raise ValueError(
                "DataLoader: prefetch_factor only applies to worker processes; "
                "set num_workers > 0, or leave prefetch_factor as None"
            )
        if prefetch_factor is not None and prefetch_factor < 1:
            raise ValueError(f"DataLoader: prefetch_factor should be >= 1, got {prefetch_factor}")
        if num_workers == 0 and multiprocessing_context is not None:
            raise ValueError(
                "DataLoader: multiprocessing_context can only be used with multi-process "
                f"loading (num_workers > 0), but got num_workers={num_workers}"
            )
        if generator is not None and seed is not None:
            raise ValueError("DataLoader: pass either generator or seed, not both")
        if pin_memory:
            warnings.warn(
                "DataLoader: pin_memory=True has no effect: groundup runs on the CPU",
                UserWarning,
                stacklevel=2,
            )
        self._iterable = isinstance(dataset, IterableDataset)
        if self._iterable:
            if shuffle not in (False, None):
                raise ValueError(
                    "DataLoader with IterableDataset: expected unspecified shuffle option, "
                    f"but got shuffle={shuffle}"
                )
            if sampler is not None:
                raise ValueError(
                    "DataLoader with IterableDataset: expected unspecified sampler option, "
                    f"but got sampler={sampler}"
                )
            if batch_sampler is not None:
                raise ValueError(
                    "DataLoader with IterableDataset: expected unspecified batch_sampler "
                    f"option, but got batch_sampler={batch_sampler}"
                )
        shuffle = bool(shuffle)
        if sampler is not None and shuffle:
            raise ValueError("DataLoader: sampler option is mutually exclusive with shuffle")
        if batch_sampler is not None:
            if batch_size != 1 or shuffle or sampler is not None or drop_last:
                raise ValueError(
                    "DataLoader: batch_sampler option is mutually exclusive with batch_size, "
                    "shuffle, sampler, and drop_last"
                )
            batch_size, drop_last = None, False
        elif batch_size is None:
            if drop_last:
                raise ValueError(
                    "DataLoader: batch_size=None option disables auto-batching and is "
                    "mutually exclusive with drop_last"
                )
        elif not isinstance(batch_size, int) or isinstance(batch_size, bool) or batch_size < 1:
            raise ValueError(f"DataLoader: batch_size should be a positive int, got {batch_size!r}")

        self.dataset = dataset
        self.batch_size = batch_size
        self.shuffle = shuffle
        self.drop_last = drop_last
        self.num_workers = num_workers
        self.generator = np.random.default_rng(seed) if seed is not None else generator
        self.worker_init_fn = worker_init_fn
        self.prefetch_factor = 2 if prefetch_factor is None and num_workers > 0 else prefetch_factor
        self.multiprocessing_context = multiprocessing_context
        self.pin_memory = pin_memory
        if sampler is None and not self._iterable:
            sampler = (
                RandomSampler(dataset, generator=self.generator)
                if shuffle
                else SequentialSampler(dataset)
            )
        if batch_size is not None and batch_sampler is None and not self._iterable:
            batch_sampler = BatchSampler(sampler, batch_size, drop_last)  # type: ignore[arg-type]
        self.sampler = sampler
        self.batch_sampler = batch_sampler
        auto_collation = batch_sampler is not None or (self._iterable and batch_size is not None)
        if collate_fn is None:
            collate_fn = default_collate if auto_collation else default_convert
        self.collate_fn = collate_fn
        self._auto_collation = auto_collation
        if not self._iterable:
            self._fetch = _Fetcher(dataset, collate_fn, auto_collation)

    def __len__(self) -> int:
        """Number of batches per epoch (for an IterableDataset: from its `__len__`)."""
        if self._iterable:
            n = len(self.dataset)
            if self.batch_size is None:
                return n
            return n // self.batch_size if self.drop_last else math.ceil(n / self.batch_size)
        index_sampler = self.batch_sampler if self._auto_collation else self.sampler
        return len(index_sampler)  # type: ignore[arg-type]

    def _requests(self) -> Iterator[Any]:
        """This epoch's requests for a map-style dataset: index batches (NumPy arrays
        when the sampler allows, else lists), or single indices when not batching."""
        bs = self.batch_sampler
        if bs is None:
            return iter(self.sampler)  # type: ignore[arg-type]
        if isinstance(bs, BatchSampler) and type(bs).__iter__ is BatchSampler.__iter__:
            return bs._batches()
        return iter(bs)

    def __iter__(self) -> Iterator[Any]:
        rng = self.generator if self.generator is not None else default_generator()
        # Drawn on every epoch, workers or not, so num_workers never shifts the stream;
        # then the order is drawn here, when iteration starts; batches are built lazily.
        base_seed = int(rng.integers(2**62))
        if self._iterable:
            fetch: Any = _IterableFetcher(
                self.dataset,  # type: ignore[arg-type]
                self.collate_fn,
                self.batch_size,
                self.drop_last,
            )
            if self.num_workers == 0:
                fetch.start()
                return _until_done(fetch)
            requests: Iterator[Any] = itertools.count()  # "your next batch", numbered
        else:
            fetch, requests = self._fetch, self._requests()
            if self.num_workers == 0:
                return (fetch(r) for r in requests)
        return worker_batches(
            fetch,
            requests,
            self.num_workers,
            self.prefetch_factor or 2,
            base_seed,
            self.multiprocessing_context,
            dataset=self.dataset,
            worker_init_fn=self.worker_init_fn,
            iterable=self._iterable,
        )

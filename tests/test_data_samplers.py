"""Samplers, the DataLoader's sampler=/batch_sampler=/generator= arguments and their
conflicts, IterableDataset (with workers and get_worker_info), StackDataset, ChainDataset.

Random draws cannot equal torch's streams (NumPy generators), so random samplers are
tested for what is deterministic: which indices, how many, reproducibility under a seed.
Everything else (orders, batches, errors, the interleaving of iterable workers) is
compared with torch.utils.data directly.
"""

from __future__ import annotations

import multiprocessing
from collections import Counter
from typing import Any

import numpy as np
import pytest
import torch
import torch.utils.data as tdata

import groundup as gu
from groundup import data as gdata
from groundup.data import (
    BatchSampler,
    ChainDataset,
    DataLoader,
    IterableDataset,
    RandomSampler,
    Sampler,
    SequentialSampler,
    StackDataset,
    SubsetRandomSampler,
    TensorDataset,
    WeightedRandomSampler,
    get_worker_info,
)

N = 11
# torch suggests at most os.cpu_count() workers; the tests use 3 on 2 cores on purpose
pytestmark = pytest.mark.filterwarnings("ignore:This DataLoader will create:UserWarning")


def values(batches: Any) -> list[Any]:
    """Batches as nested Python lists (groundup or torch tensors alike)."""
    out = []
    for b in batches:
        if isinstance(b, (tuple, list)):
            out.append([values([x])[0] for x in b])
        elif isinstance(b, dict):
            out.append({k: values([v])[0] for k, v in b.items()})
        elif hasattr(b, "tolist"):
            out.append(b.tolist())
        else:
            out.append(b)
    return out


def datasets(n: int = N) -> tuple[TensorDataset, tdata.TensorDataset]:
    x = np.arange(n * 2, dtype=np.float32).reshape(n, 2)
    y = np.arange(n, dtype=np.int64) * 10
    return TensorDataset(x, y), tdata.TensorDataset(torch.tensor(x), torch.tensor(y))


# ------------------------------------------------------------------------ samplers
def test_sequential_sampler() -> None:
    s = SequentialSampler(range(5))
    assert list(s) == list(tdata.SequentialSampler(range(5))) == [0, 1, 2, 3, 4]
    assert len(s) == 5 and isinstance(s, Sampler)


@pytest.mark.parametrize("num_samples", [None, 4, 11, 25])
def test_random_sampler_without_replacement_counts(num_samples: int | None) -> None:
    s = RandomSampler(range(N), num_samples=num_samples, generator=np.random.default_rng(0))
    drawn = list(s)
    k = num_samples or N
    assert len(drawn) == len(s) == k
    counts = Counter(drawn)
    # as torch: k // N whole permutations, then the start of another
    assert set(counts.values()) <= {k // N, k // N + 1} and set(counts) <= set(range(N))
    assert sum(1 for c in counts.values() if c == k // N + 1) == k % N or k % N == 0
    first = drawn[: (k // N) * N]
    for i in range(k // N):
        assert sorted(first[i * N : (i + 1) * N]) == list(range(N))
    assert all(isinstance(i, int) for i in drawn)


def test_random_sampler_with_replacement_and_reproducibility() -> None:
    s = RandomSampler(range(N), replacement=True, num_samples=200)
    gu.manual_seed(3)
    a, b = list(s), list(s)
    gu.manual_seed(3)
    assert list(s) == a and a != b  # the global generator decides, a new draw per epoch
    assert len(a) == 200 and set(a) == set(range(N))  # 200 draws reach every index
    g1 = RandomSampler(range(N), generator=np.random.default_rng(9))
    g2 = RandomSampler(range(N), generator=np.random.default_rng(9))
    assert list(g1) == list(g2)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [({"replacement": 1}, "replacement"), ({"num_samples": 0}, "num_samples"),
     ({"num_samples": 2.0}, "num_samples")],
)
def test_random_sampler_errors_like_torch(kwargs: dict[str, Any], match: str) -> None:
    with pytest.raises(Exception) as expected:
        tdata.RandomSampler(range(3), **kwargs)
    with pytest.raises(expected.type, match=match):
        RandomSampler(range(3), **kwargs)


def test_subset_random_sampler() -> None:
    indices = [7, 3, 9, 1]
    s = SubsetRandomSampler(indices, generator=np.random.default_rng(1))
    draws = [list(s) for _ in range(5)]
    assert all(sorted(d) == sorted(indices) for d in draws) and len(s) == 4
    assert len({tuple(d) for d in draws}) > 1
    assert list(SubsetRandomSampler(gu.tensor([2, 4]))) in ([2, 4], [4, 2])


def test_weighted_random_sampler() -> None:
    weights = [1.0, 0.0, 2.0, 7.0]
    s = WeightedRandomSampler(weights, 20000, generator=np.random.default_rng(0))
    counts = Counter(s)
    assert len(s) == 20000 and 1 not in counts
    for i, w in enumerate(weights):
        assert counts[i] / 20000 == pytest.approx(w / 10, abs=0.015)
    no_repeat = list(WeightedRandomSampler(gu.tensor([0.5, 1.0, 3.0, 0.1]), 4, replacement=False))
    assert sorted(no_repeat) == [0, 1, 2, 3]
    # without replacement, zero weights come last, once the positive ones are drawn
    # (torch.multinomial does the same)
    for lib in (gdata, tdata):
        for _ in range(5):
            drawn = list(lib.WeightedRandomSampler([1.0, 0.0, 2.0, 0.0], 4, replacement=False))
            assert sorted(drawn[:2]) == [0, 2] and sorted(drawn[2:]) == [1, 3]


@pytest.mark.parametrize(
    ("weights", "kwargs"),
    [
        ([1.0, 2.0], {"num_samples": 0}),
        ([1.0, 2.0], {"num_samples": 2, "replacement": 0}),
        ([[1.0, 2.0]], {"num_samples": 2}),
        ([1.0, -2.0], {"num_samples": 2}),
        ([0.0, 0.0], {"num_samples": 2}),
        ([1.0, 0.0, 2.0], {"num_samples": 4, "replacement": False}),
    ],
    ids=["num-samples", "replacement", "2d", "negative", "all-zero", "too-many"],
)
def test_weighted_random_sampler_errors_like_torch(weights: Any, kwargs: dict[str, Any]) -> None:
    with pytest.raises(Exception) as expected:  # torch checks the weights at the first draw
        list(tdata.WeightedRandomSampler(weights, **kwargs))
    with pytest.raises(expected.type):
        list(WeightedRandomSampler(weights, **kwargs))


@pytest.mark.parametrize("drop_last", [False, True])
@pytest.mark.parametrize("source", ["sequential", "list", "generator-sampler"])
def test_batch_sampler_matches_torch(source: str, drop_last: bool) -> None:
    def sampler(lib: Any) -> Any:
        if source == "sequential":
            return lib.SequentialSampler(range(N))
        return [4, 0, 9, 9, 2, 7, 1] if source == "list" else range(3, N)

    ours, theirs = BatchSampler(sampler(gdata), 3, drop_last), tdata.BatchSampler(
        sampler(tdata), 3, drop_last
    )
    assert list(ours) == list(theirs) and len(ours) == len(theirs)
    assert all(isinstance(i, int) for b in ours for i in b)


@pytest.mark.parametrize(
    ("batch_size", "drop_last"), [(0, False), (True, False), (2.0, False), (2, 1)]
)
def test_batch_sampler_errors_like_torch(batch_size: Any, drop_last: Any) -> None:
    with pytest.raises(ValueError):
        tdata.BatchSampler(range(3), batch_size, drop_last)
    with pytest.raises(ValueError, match="batch_size|drop_last"):
        BatchSampler(range(3), batch_size, drop_last)


# ------------------------------------------------------------------ DataLoader args
class Reversed(Sampler):
    """A user sampler without __len__."""

    def __init__(self, n: int) -> None:
        self.n = n

    def __iter__(self) -> Any:
        return iter(range(self.n - 1, -1, -1))


class EveryOther(RandomSampler):
    """A subclass that changes the order: its own __iter__ must be used."""

    def __iter__(self) -> Any:
        return iter(range(0, len(self.data_source), 2))

    def __len__(self) -> int:
        return (len(self.data_source) + 1) // 2


@pytest.mark.parametrize(
    ("sampler", "batch_size", "drop_last"),
    [([5, 3, 1, 8, 0], 2, False), ([5, 3, 1, 8, 0], 2, True), (None, 4, True), ("eo", 3, False)],
    ids=["list", "list-drop-last", "sequential", "subclass"],
)
def test_sampler_argument_orders_the_batches_like_torch(
    sampler: Any, batch_size: int, drop_last: bool
) -> None:
    gds, tds = datasets()
    gs = EveryOther(gds) if sampler == "eo" else sampler
    ts = list(range(0, N, 2)) if sampler == "eo" else sampler
    ours = DataLoader(gds, batch_size, drop_last=drop_last, sampler=gs)
    theirs = tdata.DataLoader(tds, batch_size, sampler=ts, drop_last=drop_last)
    assert values(ours) == values(theirs)
    assert len(ours) == len(theirs)


def test_sampler_without_len_still_iterates() -> None:
    gds, tds = datasets()
    ours = DataLoader(gds, 4, sampler=Reversed(N))
    theirs = tdata.DataLoader(tds, 4, sampler=Reversed(N))
    assert values(ours) == values(theirs)
    with pytest.raises(TypeError):
        len(ours)
    with pytest.raises(TypeError):
        len(theirs)


def test_batch_sampler_argument_like_torch() -> None:
    gds, tds = datasets()
    batches = [[0, 1, 2], [10], [4, 3], [7, 7, 7, 7]]
    ours = DataLoader(gds, batch_sampler=batches)
    theirs = tdata.DataLoader(tds, batch_sampler=batches)
    assert values(ours) == values(theirs) and len(ours) == len(theirs) == 4
    assert ours.batch_size is None and ours.drop_last is False
    own = DataLoader(gds, batch_sampler=BatchSampler(SequentialSampler(gds), 5, True))
    assert [len(b[0]) for b in own] == [5, 5]


class Pairs(gdata.Dataset):
    """A map-style dataset whose samples are (array, int, str)."""

    def __len__(self) -> int:
        return 3

    def __getitem__(self, i: int) -> Any:
        return np.full(2, i, dtype=np.int32), i, f"s{i}"


class TorchPairs(tdata.Dataset):
    def __len__(self) -> int:
        return 3

    def __getitem__(self, i: int) -> Any:
        return np.full(2, i, dtype=np.int32), i, f"s{i}"


def test_batch_size_none_yields_converted_samples_like_torch() -> None:
    ours, theirs = list(DataLoader(Pairs(), batch_size=None)), list(
        tdata.DataLoader(TorchPairs(), batch_size=None)
    )
    assert values(ours) == values(theirs)
    assert isinstance(ours[0], list) and isinstance(ours[0][0], gu.Tensor)
    assert ours[0][0].dtype == np.int32 and ours[0][1] == 0 and ours[2][2] == "s2"
    assert len(DataLoader(Pairs(), batch_size=None)) == 3
    # with workers too, and with a sampler choosing the order
    loader = DataLoader(Pairs(), batch_size=None, sampler=[2, 0], num_workers=2)
    assert [s[1] for s in loader] == [2, 0]


def test_shuffle_order_is_the_generators_draw() -> None:
    """The epoch's draws: the worker base seed first, then one permutation (the stream
    contract that resumable training relies on)."""
    gds, _ = datasets()
    loader = DataLoader(gds, 3, shuffle=True, generator=np.random.default_rng(5))
    rng = np.random.default_rng(5)
    expected = []
    for _ in range(2):
        rng.integers(2**62)
        expected.append(rng.permutation(N).tolist())
    for order in expected:
        assert [i // 10 for b in loader for i in b[1].tolist()] == order
    assert isinstance(loader.sampler, RandomSampler)
    assert isinstance(loader.batch_sampler, BatchSampler)
    assert loader.sampler.generator is loader.generator


class Plain(gdata.Dataset):
    def __len__(self) -> int:
        return 4

    def __getitem__(self, i: int) -> int:
        return i


class Iter(IterableDataset):
    def __iter__(self) -> Any:
        return iter(range(3))


class TorchIter(tdata.IterableDataset):
    def __iter__(self) -> Any:
        return iter(range(3))


CONFLICTS: list[tuple[str, dict[str, Any]]] = [
    ("shuffle-sampler", {"shuffle": True, "sampler": [0, 1]}),
    ("batch-sampler-batch-size", {"batch_sampler": [[0]], "batch_size": 2}),
    ("batch-sampler-shuffle", {"batch_sampler": [[0]], "shuffle": True}),
    ("batch-sampler-sampler", {"batch_sampler": [[0]], "sampler": [0]}),
    ("batch-sampler-drop-last", {"batch_sampler": [[0]], "drop_last": True}),
    ("no-batching-drop-last", {"batch_size": None, "drop_last": True}),
    ("negative-workers", {"num_workers": -1}),
    ("prefetch-without-workers", {"prefetch_factor": 2}),
    ("context-without-workers", {"multiprocessing_context": "fork"}),
    ("bad-batch-size", {"batch_size": 0}),
]


@pytest.mark.parametrize("case", CONFLICTS, ids=[c[0] for c in CONFLICTS])
def test_argument_conflicts_raise_like_torch(case: tuple[str, dict[str, Any]]) -> None:
    _, kwargs = case
    with pytest.raises(Exception) as expected:
        list(tdata.DataLoader(list(range(4)), **kwargs))
    with pytest.raises(expected.type):
        list(DataLoader(Plain(), **kwargs))


@pytest.mark.parametrize(
    "kwargs", [{"shuffle": True}, {"sampler": [0]}, {"batch_sampler": [[0]]}],
    ids=["shuffle", "sampler", "batch_sampler"],
)
def test_iterable_dataset_refuses_samplers_like_torch(kwargs: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match="IterableDataset"):
        tdata.DataLoader(TorchIter(), **kwargs)
    with pytest.raises(ValueError, match="IterableDataset"):
        DataLoader(Iter(), **kwargs)
    DataLoader(Iter(), shuffle=False)  # an explicit False is allowed, as in torch


def test_pin_memory_is_accepted_with_a_warning() -> None:
    with pytest.warns(UserWarning, match="pin_memory"):
        loader = DataLoader(Plain(), 2, pin_memory=True)
    assert values(loader) == [[0, 1], [2, 3]]


def test_getitems_is_used_for_a_whole_batch() -> None:
    class Batched(Plain):
        calls: list[list[int]] = []

        def __getitems__(self, indices: list[int]) -> list[int]:
            self.calls.append(indices)
            return [10 * i for i in indices]

    assert values(DataLoader(Batched(), 3)) == [[0, 10, 20], [30]]
    assert Batched.calls == [[0, 1, 2], [3]]


# ---------------------------------------------------------------- IterableDataset
def _shard(info: Any, n: int) -> range:
    return range(n) if info is None else range(info.id, n, info.num_workers)


class Stream(IterableDataset):
    """0..n-1, split between workers by get_worker_info (worker w: w, w + W, ...)."""

    def __init__(self, n: int, shard: bool = True) -> None:
        self.n, self.shard = n, shard

    def __iter__(self) -> Any:
        return iter(_shard(get_worker_info() if self.shard else None, self.n))

    def __len__(self) -> int:
        return self.n


class TorchStream(tdata.IterableDataset):
    def __init__(self, n: int, shard: bool = True) -> None:
        self.n, self.shard = n, shard

    def __iter__(self) -> Any:
        return iter(_shard(tdata.get_worker_info() if self.shard else None, self.n))

    def __len__(self) -> int:
        return self.n


@pytest.mark.parametrize(
    ("n", "batch_size", "drop_last", "workers", "shard"),
    [
        (10, 3, False, 0, True),
        (10, 3, True, 0, True),
        (7, None, False, 0, True),
        (17, 2, False, 2, True),  # worker 0 has one batch more: it finishes alone
        (17, 2, True, 3, True),  # drop_last is per worker
        (5, 2, False, 2, False),  # no sharding: every worker yields the whole stream
        (3, 2, False, 3, True),  # worker 2 gets a single sample
    ],
)
def test_iterable_dataset_batches_like_torch(
    n: int, batch_size: int | None, drop_last: bool, workers: int, shard: bool
) -> None:
    ours = DataLoader(Stream(n, shard), batch_size, drop_last=drop_last, num_workers=workers)
    theirs = tdata.DataLoader(TorchStream(n, shard), batch_size, drop_last=drop_last,
                              num_workers=workers)
    assert values(ours) == values(theirs)
    assert len(ours) == len(theirs)
    assert multiprocessing.active_children() == []


def test_iterable_dataset_without_len_and_chaining() -> None:
    loader = DataLoader(Iter(), batch_size=2)
    assert values(loader) == [[0, 1], [2]]
    with pytest.raises(TypeError):
        len(loader)
    with pytest.raises(NotImplementedError):
        Iter()[0]
    chained = Iter() + Stream(2)
    assert isinstance(chained, ChainDataset) and list(chained) == [0, 1, 2, 0, 1]
    with pytest.raises(AssertionError):
        list(ChainDataset([Iter(), Plain()]))
    with pytest.raises(AssertionError):
        list(tdata.ChainDataset([TorchIter(), list(range(2))]))
    with pytest.raises(TypeError):
        type("NoIter", (IterableDataset,), {})()  # __iter__ is abstract


class WhoAmI(IterableDataset):
    """Yields this worker's (id, num_workers, seed, whether info.dataset is the dataset
    being iterated, the value worker_init_fn stored)."""

    def __iter__(self) -> Any:
        info = get_worker_info()
        assert info is not None
        yield info.id, info.num_workers, info.seed, info.dataset is self, INIT.get(info.id)


INIT: dict[int, int] = {}


def remember(worker_id: int) -> None:
    INIT[worker_id] = 100 + worker_id


def test_worker_info_and_worker_init_fn() -> None:
    assert get_worker_info() is None  # in the main process
    loader = DataLoader(WhoAmI(), batch_size=None, num_workers=3, seed=4, worker_init_fn=remember)
    base = int(np.random.default_rng(4).integers(2**62))
    rows = [tuple(r) for r in values(loader)]
    assert rows == [(w, 3, base + w, True, 100 + w) for w in range(3)]
    assert INIT == {}  # worker_init_fn ran in the workers only
    assert multiprocessing.active_children() == []


class SeedOf(gdata.Dataset):
    def __len__(self) -> int:
        return 4

    def __getitem__(self, i: int) -> Any:
        info = get_worker_info()
        return -1 if info is None else info.id + 10 * INIT[info.id]


def test_worker_init_fn_runs_for_map_style_workers() -> None:
    loader = DataLoader(SeedOf(), batch_size=1, num_workers=2, worker_init_fn=remember)
    assert [b.item() for b in loader] == [1000, 1011, 1000, 1011]  # batch b on worker b % 2
    assert [b.item() for b in DataLoader(SeedOf(), batch_size=1)] == [-1] * 4


def failing_init(worker_id: int) -> None:
    raise KeyError(f"init failed in {worker_id}")


class Breaks(IterableDataset):
    def __iter__(self) -> Any:
        yield 1
        raise ValueError("stream broken")


def test_worker_errors_propagate() -> None:
    with pytest.raises(KeyError, match="init failed in 0"):
        list(DataLoader(Plain(), 1, num_workers=2, worker_init_fn=failing_init))
    with pytest.raises(ValueError, match="stream broken"):
        list(DataLoader(Breaks(), batch_size=None, num_workers=2))
    with pytest.raises(ValueError, match="stream broken"):
        list(DataLoader(Breaks(), batch_size=None))
    assert multiprocessing.active_children() == []


def test_map_style_workers_follow_a_custom_sampler() -> None:
    gds, _ = datasets()
    sampler = WeightedRandomSampler([1.0] * N, 9, generator=np.random.default_rng(2))
    main = values(DataLoader(gds, 2, sampler=sampler))
    sampler.generator = np.random.default_rng(2)
    workers = values(DataLoader(gds, 2, sampler=sampler, num_workers=2))
    assert main == workers and sum(len(b[1]) for b in main) == 9


# ------------------------------------------------------------------- StackDataset
def test_stack_dataset_like_torch() -> None:
    gds, tds = datasets(4)
    names = ["a", "b", "c", "d"]
    ours, theirs = StackDataset(gds, names), tdata.StackDataset(tds, names)
    assert len(ours) == len(theirs) == 4
    assert values([ours[2]]) == values([theirs[2]])
    keyed, tkeyed = StackDataset(x=gds, name=names), tdata.StackDataset(x=tds, name=names)
    assert values(DataLoader(keyed, 3)) == values(tdata.DataLoader(tkeyed, 3))
    for args, kwargs in [((gds,), {"b": names}), ((), {}), ((gds, names[:3]), {})]:
        with pytest.raises(ValueError):
            tdata.StackDataset(*[tds if a is gds else a for a in args],
                               **{k: v for k, v in kwargs.items()})
        with pytest.raises(ValueError):
            StackDataset(*args, **kwargs)

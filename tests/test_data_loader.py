"""Dataset classes, default_collate and the DataLoader (order, batching, workers)."""

from __future__ import annotations

import multiprocessing
import os
from collections import namedtuple

import numpy as np
import pytest

import groundup as gu
from groundup.data import (
    ConcatDataset,
    DataLoader,
    Dataset,
    Subset,
    TensorDataset,
    default_collate,
)
from groundup.data.dataloader import _array_view


def make_xy(n: int = 23) -> tuple[np.ndarray, np.ndarray]:
    x = np.arange(n * 3, dtype=np.float32).reshape(n, 3)
    y = (np.arange(n) % 4).astype(np.int32)
    return x, y


class Squares(Dataset):
    """A plain map-style dataset: no fast path, one sample at a time."""

    def __init__(self, n: int) -> None:
        self.n = n

    def __len__(self) -> int:
        return self.n

    def __getitem__(self, i: int) -> dict:
        return {"x": np.full(2, i * i, dtype=np.float64), "i": i, "name": f"s{i}"}


class FailsAt(Dataset):
    def __init__(self, bad: int) -> None:
        self.bad = bad

    def __len__(self) -> int:
        return 12

    def __getitem__(self, i: int) -> np.ndarray:
        if i == self.bad:
            raise KeyError(f"sample {i} is corrupt")
        return np.float32(i)


class ExitsAt(FailsAt):
    def __getitem__(self, i: int) -> np.ndarray:
        if i == self.bad:
            os._exit(3)  # a worker dying without a Python exception (e.g. killed)
        return np.float32(i)


class TenSamples(Dataset):
    """Drawn from groundup's global generator: shows how workers are seeded."""

    def __len__(self) -> int:
        return 4

    def __getitem__(self, i: int) -> np.ndarray:
        return gu.random.default_generator().random(1)


def batches_as_arrays(loader) -> list[tuple[np.ndarray, ...]]:
    return [tuple(t._data.copy() for t in batch) for batch in loader]


# ---------------------------------------------------------------------- datasets
def test_dataset_is_abstract():
    with pytest.raises(TypeError):
        Dataset()


def test_tensor_dataset_items_are_tuples_of_tensors():
    x, y = make_xy()
    ds = TensorDataset(gu.tensor(x), y)
    assert len(ds) == 23
    xi, yi = ds[5]
    assert isinstance(xi, gu.Tensor) and isinstance(yi, gu.Tensor)
    np.testing.assert_array_equal(xi._data, x[5])
    assert yi.item() == y[5]
    assert ds.tensors[1].shape == (23,)


def test_tensor_dataset_rejects_mismatched_lengths():
    with pytest.raises(ValueError, match=r"size mismatch.*\(3,\).*\(4,\)"):
        TensorDataset(np.zeros(3), np.zeros(4))


def test_subset_and_concat_index_through():
    x, y = make_xy()
    ds = TensorDataset(x, y)
    sub = Subset(ds, [4, 0, 9])
    assert len(sub) == 3
    np.testing.assert_array_equal(sub[0][0]._data, x[4])
    with pytest.raises(IndexError):
        Subset(ds, [23])
    both = ConcatDataset([sub, ds])
    assert len(both) == 26
    np.testing.assert_array_equal(both[3][0]._data, x[0])
    np.testing.assert_array_equal(both[-1][0]._data, x[22])
    assert len(sub + sub) == 6


# ----------------------------------------------------------------------- collate
def test_default_collate_dtypes_and_structure():
    Point = namedtuple("Point", "a b")
    batch = [
        (np.zeros(2, np.float64), np.int32(1), 2.5, True, Point(1, 2.0), {"k": np.uint8(3)})
        for _ in range(3)
    ]
    xs, ints, floats, flags, point, mapping = default_collate(batch)
    assert xs.shape == (3, 2) and xs.dtype == np.float64  # float arrays keep their dtype
    assert ints.dtype == np.int64  # integers widen to int64
    assert floats.dtype == np.float32  # Python floats follow groundup.tensor
    assert flags.dtype == np.bool_
    assert isinstance(point, Point) and point.a.dtype == np.int64
    assert mapping["k"].dtype == np.int64 and mapping["k"].shape == (3,)


def test_default_collate_explains_shape_mismatch():
    with pytest.raises(ValueError, match=r"sample 1 has shape \(3,\).*sample 0 has shape \(2,\)"):
        default_collate([np.zeros(2), np.zeros(3)])
    with pytest.raises(ValueError, match="same number of fields"):
        default_collate([(1, 2), (1, 2, 3)])


def test_fast_path_equals_per_sample_collate():
    x, y = make_xy()
    ds = Subset(Subset(TensorDataset(x, y), np.arange(22, -1, -1)), [3, 1, 2, 20])
    assert _array_view(ds) is not None
    fast = next(iter(DataLoader(ds, batch_size=4)))
    slow = default_collate([ds[i] for i in range(4)])
    for f, s in zip(fast, slow, strict=True):
        assert f.dtype == s.dtype == (np.float32 if f.ndim == 2 else np.int64)
        np.testing.assert_array_equal(f._data, s._data)
    np.testing.assert_array_equal(fast[0]._data, x[[19, 21, 20, 2]])


def test_fast_path_never_fetches_single_samples(monkeypatch):
    calls = []
    original = TensorDataset.__getitem__
    monkeypatch.setattr(
        TensorDataset, "__getitem__", lambda self, i: calls.append(i) or original(self, i)
    )
    x, y = make_xy()
    assert len(list(DataLoader(TensorDataset(x, y), batch_size=4, shuffle=True))) == 6
    assert calls == []
    list(DataLoader(TensorDataset(x, y), batch_size=4, collate_fn=default_collate))
    assert calls == []  # default_collate passed explicitly: still the fast path
    list(DataLoader(TensorDataset(x, y), batch_size=4, collate_fn=lambda b: default_collate(b)))
    assert len(calls) == 23  # any other collate_fn gets the samples one by one


def test_fast_path_skipped_for_subclass_and_custom_collate():
    class Doubled(TensorDataset):
        def __getitem__(self, i):
            return tuple(t * 2 for t in super().__getitem__(i))

    x, y = make_xy()
    assert _array_view(Doubled(x, y)) is None
    batch = next(iter(DataLoader(Doubled(x, y), batch_size=2)))
    np.testing.assert_array_equal(batch[0]._data, 2 * x[:2])
    sizes = next(iter(DataLoader(TensorDataset(x, y), batch_size=5, collate_fn=len)))
    assert sizes == 5


# ------------------------------------------------------------------------ loader
@pytest.mark.parametrize(("drop_last", "sizes"), [(False, [5, 5, 5, 5, 3]), (True, [5] * 4)])
def test_batches_in_order_with_drop_last(drop_last, sizes):
    x, y = make_xy()
    loader = DataLoader(TensorDataset(x, y), batch_size=5, drop_last=drop_last)
    batches = batches_as_arrays(loader)
    assert len(loader) == len(sizes) == len(batches)
    assert [len(b[0]) for b in batches] == sizes
    xs = np.concatenate([b[0] for b in batches])
    np.testing.assert_array_equal(xs, x[: sum(sizes)])
    assert batches[0][0].dtype == np.float32 and batches[0][1].dtype == np.int64


def test_shuffle_covers_every_sample_once_and_changes_per_epoch():
    x, y = make_xy()
    loader = DataLoader(TensorDataset(x, y), batch_size=4, shuffle=True, seed=3)
    first = np.concatenate([b[0] for b in batches_as_arrays(loader)])
    second = np.concatenate([b[0] for b in batches_as_arrays(loader)])
    assert sorted(first[:, 0]) == sorted(x[:, 0])
    assert not np.array_equal(first, second)


def test_manual_seed_makes_shuffling_reproducible():
    x, y = make_xy()
    loader = DataLoader(TensorDataset(x, y), batch_size=4, shuffle=True)
    gu.manual_seed(7)  # after construction: the loader looks the generator up each epoch
    run1 = [batches_as_arrays(loader) for _ in range(2)]
    gu.manual_seed(7)
    run2 = [batches_as_arrays(loader) for _ in range(2)]
    gu.manual_seed(8)
    other = batches_as_arrays(loader)
    for e1, e2 in zip(run1, run2, strict=True):
        for a, b in zip(e1, e2, strict=True):
            np.testing.assert_array_equal(a[0], b[0])
    assert not np.array_equal(run1[0][0][0], other[0][0])


def test_restoring_rng_state_resumes_the_same_order():
    x, y = make_xy()
    loader = DataLoader(TensorDataset(x, y), batch_size=23, shuffle=True)
    gu.manual_seed(1)
    batches_as_arrays(loader)  # epoch 1
    state = gu.get_rng_state()  # a checkpoint here
    epoch2 = batches_as_arrays(loader)
    gu.manual_seed(99)
    gu.set_rng_state(state)  # resume
    np.testing.assert_array_equal(batches_as_arrays(loader)[0][0], epoch2[0][0])


def test_explicit_generator_and_seed():
    x, y = make_xy()
    ds = TensorDataset(x, y)
    a = batches_as_arrays(DataLoader(ds, 4, shuffle=True, generator=np.random.default_rng(5)))
    b = batches_as_arrays(DataLoader(ds, 4, shuffle=True, seed=5))
    np.testing.assert_array_equal(a[0][0], b[0][0])
    with pytest.raises(ValueError, match="either generator or seed"):
        DataLoader(ds, generator=np.random.default_rng(0), seed=0)
    with pytest.raises(ValueError, match="batch_size"):
        DataLoader(ds, batch_size=0)


def test_generic_dataset_collates_dicts_and_strings():
    loader = DataLoader(Squares(5), batch_size=2)
    assert len(loader) == 3
    first, _, last = list(loader)
    np.testing.assert_array_equal(first["x"]._data, [[0, 0], [1, 1]])
    assert first["x"].dtype == np.float64 and first["i"].dtype == np.int64
    assert first["name"] == ["s0", "s1"] and last["name"] == ["s4"]


# ----------------------------------------------------------------------- workers
def test_workers_give_the_same_batches_as_the_main_process():
    x, y = make_xy()
    ds = Subset(TensorDataset(x, y), np.arange(1, 23))
    for drop_last in (False, True):
        gu.manual_seed(11)
        main = [batches_as_arrays(DataLoader(ds, 3, True, drop_last)) for _ in range(2)]
        gu.manual_seed(11)
        loader = DataLoader(ds, 3, True, drop_last, num_workers=2)
        workers = [batches_as_arrays(loader) for _ in range(2)]
        assert len(workers[0]) == len(loader) == (7 if drop_last else 8)
        for epoch_main, epoch_workers in zip(main, workers, strict=True):
            for a, b in zip(epoch_main, epoch_workers, strict=True):
                np.testing.assert_array_equal(a[0], b[0])
                np.testing.assert_array_equal(a[1], b[1])
                assert a[1].dtype == b[1].dtype == np.int64
    # generic datasets (per-sample fetch + collate) go through workers too
    assert [b["i"].tolist() for b in DataLoader(Squares(5), 2, num_workers=2)] == [
        [0, 1],
        [2, 3],
        [4],
    ]


def test_worker_exception_propagates_and_workers_stop():
    loader = DataLoader(FailsAt(5), batch_size=2, num_workers=2)
    with pytest.raises(KeyError, match="sample 5 is corrupt") as info:
        list(loader)
    assert "worker process 0" in str(info.value)  # batch 2 (samples 4, 5) went to worker 0
    assert multiprocessing.active_children() == []


def test_break_shuts_workers_down():
    loader = DataLoader(FailsAt(-1), batch_size=1, num_workers=2)
    for i, _ in enumerate(loader):
        if i == 1:
            break
    assert multiprocessing.active_children() == []
    it = iter(loader)
    next(it)
    assert len(multiprocessing.active_children()) == 2
    it.close()  # what garbage collection does to an abandoned iterator
    assert multiprocessing.active_children() == []


def test_workers_draw_distinct_reproducible_random_streams():
    loader = DataLoader(TenSamples(), batch_size=1, num_workers=2)
    gu.manual_seed(0)
    a = [b.item() for b in loader]
    gu.manual_seed(0)
    b = [b.item() for b in loader]
    assert a == b
    assert a[0] != a[1]  # worker 0 and worker 1 do not share a stream


def test_worker_death_and_unpicklable_batches_raise_instead_of_hanging():
    with pytest.raises(
        RuntimeError, match=r"worker 1 \(pid \d+\) exited unexpectedly with exit code 3"
    ):
        list(DataLoader(ExitsAt(3), batch_size=2, num_workers=2))
    with pytest.raises(Exception, match="pickle"):
        list(DataLoader(FailsAt(-1), batch_size=2, num_workers=2, collate_fn=lambda b: lambda: 0))
    assert multiprocessing.active_children() == []


@pytest.mark.slow
def test_spawned_workers_match_the_main_process():
    x, y = make_xy()
    ds = TensorDataset(x, y)
    gu.manual_seed(2)
    main = batches_as_arrays(DataLoader(ds, 4, shuffle=True))
    gu.manual_seed(2)
    spawned = DataLoader(ds, 4, shuffle=True, num_workers=2, multiprocessing_context="spawn")
    for a, b in zip(main, batches_as_arrays(spawned), strict=True):
        np.testing.assert_array_equal(a[0], b[0])
    with pytest.raises(KeyError, match="sample 3 is corrupt"):
        list(DataLoader(FailsAt(3), 2, num_workers=2, multiprocessing_context="spawn"))

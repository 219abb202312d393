"""random_split, train_val_test_split and kfold."""

from __future__ import annotations

import numpy as np
import pytest

import groundup as gu
from groundup.data import Subset, TensorDataset, kfold, random_split, train_val_test_split


def labels_with_shares(counts: list[int], seed: int = 0) -> np.ndarray:
    y = np.repeat(np.arange(len(counts)), counts)
    return np.random.default_rng(seed).permutation(y)


# -------------------------------------------------------------------- random_split
def test_random_split_lengths_as_counts_and_fractions():
    ds = TensorDataset(np.arange(10))
    parts = random_split(ds, [3, 7], generator=np.random.default_rng(0))
    assert [len(p) for p in parts] == [3, 7]
    seen = np.concatenate([p.indices for p in parts])
    assert sorted(seen) == list(range(10))
    # fractions as in torch: floors, then the leftover samples one each from the front
    assert [len(p) for p in random_split(ds, [0.33, 0.33, 0.34])] == [4, 3, 3]
    assert [len(p) for p in random_split(TensorDataset(np.arange(7)), [0.5, 0.5])] == [4, 3]


def test_random_split_rejects_wrong_sums_and_follows_the_global_seed():
    ds = TensorDataset(np.arange(10))
    with pytest.raises(ValueError, match="sum to 6, but the dataset has 10"):
        random_split(ds, [3, 3])
    with pytest.raises(ValueError):
        random_split(ds, [0.5, 0.6])
    gu.manual_seed(3)
    a = random_split(ds, [5, 5])[0].indices
    gu.manual_seed(3)
    np.testing.assert_array_equal(random_split(ds, [5, 5])[0].indices, a)


# ------------------------------------------------------------- train/val/test split
def test_split_sizes_cover_everything_once():
    train, val, test = train_val_test_split(100, val_size=0.15, test_size=0.2, seed=0)
    assert (len(train), len(val), len(test)) == (65, 15, 20)
    assert sorted(np.concatenate([train, val, test])) == list(range(100))
    assert train.dtype == np.int64
    # counts instead of fractions; fractions round up as in scikit-learn
    assert [len(p) for p in train_val_test_split(10, val_size=2, test_size=3, seed=0)] == [5, 2, 3]
    assert len(train_val_test_split(1797, val_size=0.0, test_size=0.2, seed=0)[2]) == 360


def test_split_is_reproducible_and_seed_dependent():
    a = train_val_test_split(50, seed=1)
    b = train_val_test_split(50, seed=1)
    c = train_val_test_split(50, seed=2)
    for p, q in zip(a, b, strict=True):
        np.testing.assert_array_equal(p, q)
    assert not np.array_equal(np.sort(a[2]), np.sort(c[2]))


def test_split_without_shuffle_cuts_in_order():
    train, val, test = train_val_test_split(10, val_size=2, test_size=3, shuffle=False)
    assert train.tolist() == [0, 1, 2, 3, 4] and val.tolist() == [5, 6]
    assert test.tolist() == [7, 8, 9]


def test_stratified_split_keeps_class_proportions():
    counts = [500, 300, 150, 50]  # 50/30/15/5 %
    y = labels_with_shares(counts)
    train, val, test = train_val_test_split(1000, 0.1, 0.2, stratify=y, seed=0)
    assert (len(train), len(val), len(test)) == (700, 100, 200)
    for part, size in ((train, 700), (val, 100), (test, 200)):
        np.testing.assert_array_equal(np.bincount(y[part]), np.array(counts) * size // 1000)


def test_stratified_split_rounds_to_exact_sizes():
    counts = [7, 5, 3, 2]
    y = labels_with_shares(counts, seed=4)
    train, val, test = train_val_test_split(17, 0.2, 0.3, stratify=y, seed=0)
    assert (len(val), len(test)) == (4, 6)
    share = np.array(counts) / 17
    for part in (train, val, test):
        # every class within one sample of its exact share
        assert np.all(np.abs(np.bincount(y[part], minlength=4) - share * len(part)) < 1)


def test_unstratified_split_can_skew_where_stratified_does_not():
    y = labels_with_shares([90, 10], seed=1)
    skews = []
    for seed in range(20):
        _, _, test = train_val_test_split(100, 0, 10, seed=seed)
        skews.append(abs(np.sum(y[test] == 1) - 1))
        _, _, test = train_val_test_split(100, 0, 10, stratify=y, seed=seed)
        assert np.sum(y[test] == 1) == 1
    assert max(skews) > 0


def test_split_of_a_dataset_returns_subsets_and_checks_sizes():
    ds = TensorDataset(np.arange(20))
    train, val, test = train_val_test_split(ds, 0.25, 0.25, seed=0)
    assert isinstance(train, Subset) and train.dataset is ds
    assert (len(train), len(val), len(test)) == (10, 5, 5)
    with pytest.raises(ValueError, match="leave no training samples"):
        train_val_test_split(10, 0.5, 0.5)
    with pytest.raises(ValueError, match=r"stratify must hold one label per sample"):
        train_val_test_split(10, stratify=np.zeros(9))


# -------------------------------------------------------------------------- kfold
@pytest.mark.parametrize("n,k", [(10, 3), (23, 5), (6, 6)])
def test_kfold_validates_every_sample_exactly_once(n, k):
    folds = list(kfold(n, k, seed=0))
    assert len(folds) == k
    vals = np.concatenate([v for _, v in folds])
    assert sorted(vals) == list(range(n))
    for train, val in folds:
        assert len(np.intersect1d(train, val)) == 0
        assert len(train) + len(val) == n
    sizes = [len(v) for _, v in folds]
    assert max(sizes) - min(sizes) <= 1


def test_kfold_without_shuffle_takes_contiguous_folds():
    folds = list(kfold(7, 3, shuffle=False))
    assert [v.tolist() for _, v in folds] == [[0, 1, 2], [3, 4], [5, 6]]
    assert folds[0][0].tolist() == [3, 4, 5, 6]


def test_stratified_kfold_keeps_class_shares_in_each_fold():
    y = labels_with_shares([60, 30, 12])
    folds = list(kfold(len(y), 3, seed=1, stratify=y))
    assert sorted(np.concatenate([v for _, v in folds])) == list(range(102))
    for _, val in folds:
        np.testing.assert_array_equal(np.bincount(y[val]), [20, 10, 4])
    with pytest.warns(UserWarning, match="fewer than k"):
        list(kfold(12, 5, stratify=labels_with_shares([9, 3])))
    with pytest.raises(ValueError, match="k must lie"):
        next(kfold(3, 4))

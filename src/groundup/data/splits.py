"""Splitting data: `random_split` (as in PyTorch), `train_val_test_split` (optionally
stratified) and `kfold` cross-validation indices (optionally stratified).

Stratified splits keep every class's share in each part: class `c` with `n_c` samples
sends about `n_c * test / n` of them to the test part. Rounding is done by largest
remainder, so the parts have exactly the requested sizes.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterator, Sequence
from typing import Any, overload

import numpy as np

from groundup.data.dataset import Dataset, Subset
from groundup.random import default_generator
from groundup.tensor import Tensor


def _rng(generator: np.random.Generator | None, seed: int | None) -> np.random.Generator:
    if generator is not None and seed is not None:
        raise ValueError("pass either generator or seed, not both")
    if seed is not None:
        return np.random.default_rng(seed)
    return generator if generator is not None else default_generator()


def random_split(
    dataset: Dataset,
    lengths: Sequence[int | float],
    generator: np.random.Generator | None = None,
) -> list[Subset]:
    """Split `dataset` into non-overlapping random Subsets of the given lengths.

    `lengths` are sample counts summing to `len(dataset)`, or fractions summing to 1:
    each part gets `floor(n * fraction)` and the leftover samples go one each to the
    parts in order, as in PyTorch. Draws from `generator`, else the global generator.
    """
    n = len(dataset)
    if math.isclose(sum(lengths), 1) and sum(lengths) <= 1:
        if any(not 0 <= f <= 1 for f in lengths):
            raise ValueError(f"random_split: fractions must lie in [0, 1], got {list(lengths)}")
        counts = [int(math.floor(n * f)) for f in lengths]
        for i in range(n - sum(counts)):
            counts[i % len(counts)] += 1
        for i, c in enumerate(counts):
            if c == 0:
                warnings.warn(f"random_split: length of split at index {i} is 0", stacklevel=2)
    else:
        counts = [int(c) for c in lengths]
        if any(c != length or c < 0 for c, length in zip(counts, lengths, strict=True)):
            raise ValueError(f"random_split: lengths must be non-negative ints, got {lengths}")
    if sum(counts) != n:
        raise ValueError(
            f"random_split: lengths {list(lengths)} sum to {sum(counts)}, "
            f"but the dataset has {n} samples"
        )
    order = (generator if generator is not None else default_generator()).permutation(n)
    bounds = np.cumsum(counts)[:-1]
    return [Subset(dataset, part) for part in np.split(order, bounds)]


def _count(size: float, n: int, name: str) -> int:
    """A fraction in [0, 1) rounds up (as scikit-learn does); an int is a sample count."""
    if isinstance(size, float):
        if not 0.0 <= size < 1.0:
            raise ValueError(f"{name} as a fraction must lie in [0, 1), got {size}")
        return math.ceil(size * n - 1e-9)  # the tolerance keeps 0.07 * 100 at 7, not 8
    if not 0 <= size <= n:
        raise ValueError(f"{name} as a count must lie in [0, {n}], got {size}")
    return int(size)


def _labels(stratify: Any, n: int) -> np.ndarray:
    labels = np.asarray(stratify._data if isinstance(stratify, Tensor) else stratify)
    if labels.shape != (n,):
        raise ValueError(
            f"stratify must hold one label per sample, shape ({n},), got {labels.shape}"
        )
    return labels


def _allocate(counts: np.ndarray, total: int, capacity: np.ndarray) -> np.ndarray:
    """Split `total` over classes in proportion to `counts`, at most `capacity` each.

    Largest-remainder rounding: everyone gets the floor of their share, the leftover
    units go to the largest fractional parts.
    """
    share = counts * total / counts.sum()
    out = np.minimum(np.floor(share).astype(np.int64), capacity)
    for c in np.argsort(-(share - np.floor(share)), kind="stable"):
        if out.sum() == total:
            break
        if out[c] < capacity[c]:
            out[c] += 1
    while out.sum() < total:  # only when capacities bind: fill wherever there is room
        out[np.argmax(capacity - out)] += 1
    return out


@overload
def train_val_test_split(
    data: int,
    val_size: float = ...,
    test_size: float = ...,
    *,
    stratify: Any = ...,
    shuffle: bool = ...,
    generator: np.random.Generator | None = ...,
    seed: int | None = ...,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]: ...
@overload
def train_val_test_split(
    data: Dataset,
    val_size: float = ...,
    test_size: float = ...,
    *,
    stratify: Any = ...,
    shuffle: bool = ...,
    generator: np.random.Generator | None = ...,
    seed: int | None = ...,
) -> tuple[Subset, Subset, Subset]: ...
def train_val_test_split(
    data: int | Dataset,
    val_size: float = 0.1,
    test_size: float = 0.1,
    *,
    stratify: Any = None,
    shuffle: bool = True,
    generator: np.random.Generator | None = None,
    seed: int | None = None,
) -> tuple[Any, Any, Any]:
    """Split `n` samples (or a dataset) into train, validation and test parts.

    Sizes are fractions (rounded up) or sample counts; train gets the rest. With an
    int returns three int64 index arrays (each shuffled), with a dataset three Subsets.
    `stratify` (one label per sample) keeps each class's proportion in every part.
    `shuffle=False` cuts the samples in order: train first, then val, then test.
    """
    n = data if isinstance(data, int) else len(data)
    n_test = _count(test_size, n, "test_size")
    n_val = _count(val_size, n, "val_size")
    if n_test + n_val >= n:
        raise ValueError(
            f"train_val_test_split: val ({n_val}) + test ({n_test}) leave no training "
            f"samples out of {n}"
        )
    if not shuffle:
        if stratify is not None:
            raise ValueError("train_val_test_split: stratify needs shuffle=True")
        order = np.arange(n)
        parts = [order[: n - n_val - n_test], order[n - n_val - n_test : n - n_test]]
        parts.append(order[n - n_test :])
    else:
        rng = _rng(generator, seed)
        if stratify is None:
            order = rng.permutation(n)
            parts = [order[n_val + n_test :], order[n_test : n_test + n_val], order[:n_test]]
        else:
            classes, y = np.unique(_labels(stratify, n), return_inverse=True)
            counts = np.bincount(y, minlength=len(classes))
            test_c = _allocate(counts, n_test, counts)
            val_c = _allocate(counts, n_val, counts - test_c)
            buckets: list[list[np.ndarray]] = [[], [], []]
            for c in range(len(classes)):
                members = rng.permutation(np.flatnonzero(y == c))
                t, v = test_c[c], val_c[c]
                buckets[2].append(members[:t])
                buckets[1].append(members[t : t + v])
                buckets[0].append(members[t + v :])
            parts = [rng.permutation(np.concatenate(b)) for b in buckets]
    parts = [p.astype(np.int64) for p in parts]
    if isinstance(data, int):
        return parts[0], parts[1], parts[2]
    return Subset(data, parts[0]), Subset(data, parts[1]), Subset(data, parts[2])


def kfold(
    n: int,
    k: int = 5,
    shuffle: bool = True,
    seed: int | None = None,
    stratify: Any = None,
) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Yield `k` pairs `(train_idx, val_idx)`; every sample is validation exactly once.

    Fold sizes differ by at most one. With `stratify`, samples are grouped by class and
    dealt to the folds in turn, so each fold holds every class within one sample of its
    share. Without `seed`, shuffling draws from the global generator. Indices are sorted.
    """
    if not 2 <= k <= n:
        raise ValueError(f"kfold: k must lie in [2, n={n}], got {k}")
    rng = np.random.default_rng(seed) if seed is not None else default_generator()
    if stratify is None:
        order = rng.permutation(n) if shuffle else np.arange(n)
        folds = np.array_split(order, k)
    else:
        classes, y = np.unique(_labels(stratify, n), return_inverse=True)
        smallest = np.bincount(y).min()
        if smallest < k:
            warnings.warn(
                f"kfold: the smallest class has {smallest} samples, fewer than k={k} folds",
                stacklevel=2,
            )
        # Class by class (shuffled within a class), then deal positions round robin.
        order = np.concatenate(
            [
                rng.permutation(np.flatnonzero(y == c)) if shuffle else np.flatnonzero(y == c)
                for c in range(len(classes))
            ]
        )
        folds = [order[f::k] for f in range(k)]
    for f in range(k):
        val = np.sort(folds[f]).astype(np.int64)
        train = np.sort(np.concatenate([folds[g] for g in range(k) if g != f])).astype(np.int64)
        yield train, val

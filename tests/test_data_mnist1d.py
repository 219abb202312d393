"""MNIST-1D, generated locally by the mnist1d package (about 3 s for the first call)."""

from __future__ import annotations

import random

import numpy as np
import pytest

from groundup.data import mnist1d
from groundup.data.datasets.mnist1d import _generate


@pytest.fixture(scope="module")
def generated():
    """Generate once for this module, checking that global random state is left alone."""
    _generate.cache_clear()
    np.random.seed(123)  # noqa: NPY002
    random.seed(123)
    expected_np, expected_py = np.random.random(), random.random()  # noqa: NPY002
    np.random.seed(123)  # noqa: NPY002
    random.seed(123)
    data = mnist1d()
    got_np, got_py = np.random.random(), random.random()  # noqa: NPY002
    return data, (expected_np, expected_py) == (got_np, got_py)


def test_mnist1d_shapes_dtypes_and_labels(generated):
    data, _ = generated
    assert data.x_train.shape == (4000, 40) and data.x_test.shape == (1000, 40)
    assert data.x_train.dtype == np.float32 and data.y_train.dtype == np.int64
    assert data.num_classes == 10 and data.input_shape == (40,)
    # the package's seed-42 data (the published frozen file)
    assert np.bincount(data.y_train).tolist() == [398, 396, 411, 394, 394, 402, 401, 404, 402, 398]
    assert np.bincount(data.y_test).tolist() == [102, 104, 89, 106, 106, 98, 99, 96, 98, 102]
    # standardized over the whole 5,000 samples
    both = np.concatenate([data.x_train, data.x_test])
    assert abs(both.mean()) < 1e-5 and abs(both.std() - 1) < 1e-4
    assert data.extras["t"].shape == (40,)


def test_mnist1d_leaves_global_random_state_alone(generated):
    # make_dataset calls np.random.seed(42); the wrapper restores the caller's state
    assert generated[1]


def test_mnist1d_returns_copies_and_channel_layout(generated):
    mnist1d().x_train[:] = 0.0  # mutating one result must not change the cache
    fresh = mnist1d(flatten=False)
    assert fresh.x_train.shape == (4000, 1, 40) and fresh.input_shape == (1, 40)
    assert np.abs(fresh.x_train).sum() > 0


def test_shuffled_positions_permute_train_and_test_alike():
    plain, shuffled = mnist1d(), mnist1d(shuffle_positions=True)
    perm = shuffled.extras["positions"]
    assert sorted(perm) == list(range(40)) and not np.array_equal(perm, np.arange(40))
    np.testing.assert_array_equal(shuffled.x_train, plain.x_train[:, perm])
    np.testing.assert_array_equal(shuffled.x_test, plain.x_test[:, perm])
    np.testing.assert_array_equal(shuffled.y_train, plain.y_train)
    np.testing.assert_array_equal(mnist1d(shuffle_positions=True).extras["positions"], perm)


@pytest.mark.slow
def test_mnist1d_equals_the_package_make_dataset():
    from mnist1d.data import get_dataset_args, make_dataset

    ours, ours_shuffled = mnist1d(), mnist1d(shuffle_positions=True)
    theirs = make_dataset(get_dataset_args())
    np.testing.assert_array_equal(ours.x_train, theirs["x"].astype(np.float32))
    np.testing.assert_array_equal(ours.x_test, theirs["x_test"].astype(np.float32))
    np.testing.assert_array_equal(ours.y_train, theirs["y"])
    np.testing.assert_array_equal(ours.y_test, theirs["y_test"])
    np.testing.assert_allclose(ours.extras["t"], theirs["t"], rtol=1e-6)
    # and the shuffled variant is the package's own shuffle_seq=True data
    args = get_dataset_args()
    args.shuffle_seq = True
    theirs = make_dataset(args)
    np.testing.assert_array_equal(ours_shuffled.x_train, theirs["x"].astype(np.float32))
    np.testing.assert_array_equal(ours_shuffled.x_test, theirs["x_test"].astype(np.float32))

"""Normalize, Standardize, MinMaxScale and one_hot (against torch where torch has it)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import groundup as gu
from groundup.data import MinMaxScale, Normalize, Standardize, one_hot


def rng() -> np.random.Generator:
    return np.random.default_rng(0)


# ---------------------------------------------------------------------- Normalize
def test_normalize_per_channel_on_images_sample_and_batch():
    x = rng().normal(size=(4, 3, 5, 5)).astype(np.float32)
    norm = Normalize(mean=[0.1, 0.2, 0.3], std=[1.0, 2.0, 4.0])
    out = norm(x)
    assert out.dtype == np.float32 and out.shape == x.shape
    np.testing.assert_allclose(out[:, 2], (x[:, 2] - 0.3) / 4.0, rtol=1e-6)
    np.testing.assert_allclose(norm(x[1]), out[1], rtol=1e-6)  # a single (C, H, W) sample


def test_normalize_features_scalars_and_tensors():
    x = np.array([[1.0, 10.0], [3.0, 30.0]])
    np.testing.assert_allclose(Normalize([2.0, 20.0], [1.0, 10.0], dim=-1)(x), [[-1, -1], [1, 1]])
    t = Normalize(0.5, 0.5)(gu.tensor(np.array([0.0, 1.0], np.float32)))
    assert isinstance(t, gu.Tensor) and t.dtype == np.float32
    np.testing.assert_allclose(t._data, [-1.0, 1.0])
    assert Normalize(0, 255)(np.array([255], np.uint8)).dtype == np.float32


def test_normalize_errors():
    with pytest.raises(ValueError, match="contains 0"):
        Normalize([0.0, 0.0], [1.0, 0.0])
    with pytest.raises(ValueError, match=r"3 mean values for dim -3.*\(2, 5, 5\)"):
        Normalize([0, 0, 0], [1, 1, 1])(np.zeros((2, 5, 5)))


# -------------------------------------------------------------------- Standardize
def test_standardize_fits_on_train_and_does_not_peek_at_test():
    r = rng()
    train = r.normal(3.0, 2.0, size=(200, 4)).astype(np.float32)
    test = r.normal(3.0, 2.0, size=(100, 4)).astype(np.float32)
    scaler = Standardize().fit(train)
    tr, te = scaler(train), scaler.transform(test)
    assert tr.dtype == te.dtype == np.float32
    np.testing.assert_allclose(tr.mean(0), 0, atol=1e-5)
    np.testing.assert_allclose(tr.std(0), 1, atol=1e-5)
    # test data is transformed with the train statistics, so it is not exactly centred
    assert np.all(np.abs(te.mean(0)) > 1e-3)
    np.testing.assert_allclose(te, (test - train.mean(0)) / train.std(0), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(scaler.inverse_transform(te), test, rtol=1e-5, atol=1e-5)


def test_standardize_refuses_to_transform_before_fit():
    with pytest.raises(RuntimeError, match=r"before fit.*fit\(x_train\)"):
        Standardize().transform(np.zeros((3, 2)))


def test_standardize_constant_feature_and_shape_checks():
    x = np.array([[1.0, 5.0], [3.0, 5.0]])
    out = Standardize().fit_transform(x)
    np.testing.assert_allclose(out, [[-1.0, 0.0], [1.0, 0.0]])  # constant column: centred only
    s = Standardize().fit(x)
    np.testing.assert_allclose(s(x[0]), out[0])  # a single sample broadcasts
    with pytest.raises(ValueError, match=r"fitted on data of shape \(2, 2\).*shape \(2, 3\)"):
        s(np.zeros((2, 3)))


def test_standardize_per_channel_axis():
    x = rng().normal(size=(10, 3, 4, 4)) * np.array([1.0, 5.0, 9.0])[:, None, None]
    out = Standardize(axis=(0, 2, 3)).fit_transform(x)
    np.testing.assert_allclose(out.std(axis=(0, 2, 3)), 1.0)
    whole = Standardize(axis=None).fit(x)
    assert whole.mean.shape == ()


# -------------------------------------------------------------------- MinMaxScale
def test_minmax_scales_train_range_and_handles_constant_features():
    x = np.array([[0.0, 7.0, 2.0], [10.0, 7.0, 4.0], [5.0, 7.0, 3.0]], np.float32)
    scaler = MinMaxScale().fit(x)
    out = scaler(x)
    assert out.dtype == np.float32 and np.all(np.isfinite(out))
    np.testing.assert_allclose(out[:, 0], [0.0, 1.0, 0.5])
    np.testing.assert_allclose(out[:, 1], 0.0)  # constant: low end, no division by zero
    np.testing.assert_allclose(scaler(np.array([[20.0, 7.0, 2.0]]))[0, 0], 2.0)  # outside
    custom = MinMaxScale(feature_range=(-1.0, 1.0)).fit(x)
    np.testing.assert_allclose(custom(x)[:, 2], [-1.0, 1.0, 0.0])
    np.testing.assert_allclose(custom.inverse_transform(custom(x)), x, atol=1e-6)
    with pytest.raises(RuntimeError, match="before fit"):
        MinMaxScale()(x)


# ------------------------------------------------------------------------ one_hot
@pytest.mark.parametrize("num_classes", [-1, 6])
def test_one_hot_matches_torch(num_classes):
    labels = np.array([[0, 3], [2, 1], [4, 4]])
    ours = one_hot(gu.tensor(labels), num_classes)
    theirs = torch.nn.functional.one_hot(torch.tensor(labels), num_classes)
    assert isinstance(ours, gu.Tensor) and ours.dtype == np.int64
    np.testing.assert_array_equal(ours._data, theirs.numpy())
    np.testing.assert_array_equal(one_hot(labels.astype(np.uint8), num_classes), theirs.numpy())


def test_one_hot_errors():
    with pytest.raises(ValueError, match="smaller than num_classes=3, got 3"):
        one_hot(np.array([0, 3]), 3)
    with pytest.raises(ValueError, match="non-negative"):
        one_hot(np.array([-1, 0]))
    with pytest.raises(ValueError, match="empty"):
        one_hot(np.array([], np.int64))
    with pytest.raises(TypeError, match="integers"):
        one_hot(np.array([1.0]))
    assert one_hot(np.array([], np.int64), 4).shape == (0, 4)

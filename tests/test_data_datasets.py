"""The digits dataset and the IDX (MNIST file format) reader."""

from __future__ import annotations

import gzip
import struct

import numpy as np
import pytest

from groundup.data import DataLoader, load_idx_dataset, read_idx
from groundup.data.datasets import digits

# ------------------------------------------------------------------------- digits


@pytest.fixture(scope="module")
def data():
    return digits()


def test_digits_shapes_dtypes_and_ranges(data):
    assert data.x_train.shape == (1437, 64) and data.x_test.shape == (360, 64)
    assert data.y_train.shape == (1437,) and data.y_test.shape == (360,)
    assert data.x_train.dtype == np.float32 and data.y_train.dtype == np.int64
    assert data.num_classes == 10 and data.input_shape == (64,)
    both = np.concatenate([data.x_train, data.x_test])
    assert both.min() == 0.0 and both.max() == 1.0  # X / 16
    assert set(np.unique(both * 16)) <= set(range(17))  # pixels are 0..16 in sixteenths


def test_digits_split_is_stratified_disjoint_and_reproducible(data):
    from sklearn.datasets import load_digits

    y_all = load_digits().target
    share = np.bincount(y_all) / len(y_all)
    for y in (data.y_train, data.y_test):
        assert np.all(np.abs(np.bincount(y, minlength=10) - share * len(y)) < 1)
    # the two parts together are exactly the dataset: compare the multisets of rows
    rows = np.concatenate([data.x_train, data.x_test]) * 16
    full = load_digits().data
    assert sorted(map(bytes, rows.astype(np.uint8))) == sorted(map(bytes, full.astype(np.uint8)))
    again = digits()
    np.testing.assert_array_equal(again.x_test, data.x_test)
    assert not np.array_equal(digits(split_seed=1).y_test, data.y_test)


def test_digits_images_unscaled_and_loaders():
    images = digits(flatten=False, scale=False)
    assert images.x_train.shape == (1437, 1, 8, 8) and images.input_shape == (1, 8, 8)
    assert images.x_train.max() == 16.0 and images.x_train.dtype == np.float32
    train, test = images.loaders(batch_size=100, seed=0)
    assert len(train) == 15 and len(test) == 4
    x, y = next(iter(train))
    assert x.shape == (100, 1, 8, 8) and x.dtype == np.float32 and y.dtype == np.int64
    xt, _ = next(iter(test))
    np.testing.assert_array_equal(xt._data, images.x_test[:100])  # the test loader keeps order


# ---------------------------------------------------------------------------- IDX
def idx_bytes(array: np.ndarray, code: int) -> bytes:
    header = struct.pack(">BBBB", 0, 0, code, array.ndim)
    header += struct.pack(f">{array.ndim}I", *array.shape)
    return header + array.astype(array.dtype.newbyteorder(">")).tobytes()


def write(path, payload: bytes, gz: bool = False):
    path.write_bytes(gzip.compress(payload) if gz else payload)
    return path


@pytest.fixture
def mnist_like(tmp_path):
    images = np.random.default_rng(0).integers(0, 256, size=(6, 4, 3), dtype=np.uint8)
    labels = np.array([0, 9, 3, 3, 7, 1], dtype=np.uint8)
    return images, labels, tmp_path


@pytest.mark.parametrize("gz", [False, True])
def test_read_idx_roundtrip_plain_and_gzipped(mnist_like, gz):
    images, labels, tmp = mnist_like
    img = write(tmp / "images.idx", idx_bytes(images, 0x08), gz)
    np.testing.assert_array_equal(read_idx(img), images)
    ds = load_idx_dataset(img, write(tmp / "labels.idx", idx_bytes(labels, 0x08), gz))
    assert len(ds) == 6
    x, y = next(iter(DataLoader(ds, batch_size=6)))
    assert x.dtype == np.float32 and x.shape == (6, 4, 3)
    np.testing.assert_allclose(x._data, images / 255.0, rtol=1e-6)
    assert y.dtype == np.int64 and y.tolist() == labels.tolist()


@pytest.mark.parametrize(
    ("dtype", "code"),
    [(np.int8, 0x09), (np.int16, 0x0B), (np.int32, 0x0C), (np.float32, 0x0D), (np.float64, 0x0E)],
)
def test_read_idx_big_endian_types(tmp_path, dtype, code):
    a = (np.arange(24).reshape(2, 3, 4) - 7).astype(dtype) * (3 if code > 0x09 else 1)
    out = read_idx(write(tmp_path / "a.idx", idx_bytes(a, code)))
    assert out.dtype == np.dtype(dtype) and out.dtype.isnative
    np.testing.assert_array_equal(out, a)


def test_read_idx_rejects_bad_magic_and_truncation(mnist_like):
    images, _, tmp = mnist_like
    good = idx_bytes(images, 0x08)
    cases = {
        "bad.idx": (b"\x00\x01" + good[2:], "bad IDX magic number 0x00010803"),
        "code.idx": (good[:2] + b"\x07" + good[3:], "bad IDX magic"),
        "tiny.idx": (good[:3], "too short"),
        "head.idx": (good[:9], "truncated header"),
        "cut.idx": (
            good[:-5],
            r"truncated: the header says 6 x 4 x 3 uint8 .*\(72 bytes.*holds 67",
        ),
        "long.idx": (good + b"\x00", "trailing bytes"),
    }
    for name, (payload, message) in cases.items():
        path = write(tmp / name, payload)
        with pytest.raises(ValueError, match=message) as info:
            read_idx(path)
        assert name in str(info.value)  # the error names the file
    with pytest.raises(ValueError, match="cut.gz.*truncated"):
        read_idx(write(tmp / "cut.gz", good[:-5], gz=True))
    with pytest.raises(ValueError, match="not a valid gzip"):
        read_idx(write(tmp / "broken.gz", gzip.compress(good)[:-12]))


def test_load_idx_dataset_checks_counts_and_label_range(mnist_like):
    images, labels, tmp = mnist_like
    img = write(tmp / "images.idx", idx_bytes(images, 0x08))
    short = write(tmp / "short-labels.idx", idx_bytes(labels[:5], 0x08))
    with pytest.raises(
        ValueError, match=r"images.idx holds 6 images but .*short-labels.idx holds 5"
    ):
        load_idx_dataset(img, short)
    bad = labels.copy()
    bad[4] = 12
    wrong = write(tmp / "wrong-labels.idx", idx_bytes(bad, 0x08))
    with pytest.raises(ValueError, match=r"wrong-labels.idx: label 12 at index 4 is out of range"):
        load_idx_dataset(img, wrong)
    assert len(load_idx_dataset(img, wrong, num_classes=None)) == 6
    raw = load_idx_dataset(img, wrong, num_classes=13, scale=False)
    assert raw.arrays[0].dtype == np.uint8
    with pytest.raises(ValueError, match="1-D integer array"):
        load_idx_dataset(img, img)

"""Reading IDX files, the format of the original MNIST and Fashion-MNIST distributions.

Layout (all integers big-endian):
    bytes 0-1   zero
    byte  2     element type: 0x08 uint8, 0x09 int8, 0x0B int16, 0x0C int32,
                0x0D float32, 0x0E float64
    byte  3     number of dimensions d
    next 4*d    the size of each dimension (uint32)
    the rest    the elements, in C order
Files may be gzipped (recognised by their first two bytes, whatever their name).
"""

from __future__ import annotations

import gzip
import os
import zlib
from typing import Any

import numpy as np

from groundup.data.dataset import TensorDataset

IDX_TYPES: dict[int, np.dtype] = {
    0x08: np.dtype(np.uint8),
    0x09: np.dtype(np.int8),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}
_GZIP_MAGIC = b"\x1f\x8b"

PathLike = str | os.PathLike[str]


def _read_bytes(path: PathLike) -> bytes:
    with open(path, "rb") as f:
        raw = f.read()
    if raw[:2] != _GZIP_MAGIC:
        return raw
    try:
        return gzip.decompress(raw)
    except (OSError, EOFError, zlib.error) as exc:
        raise ValueError(f"{path}: not a valid gzip file ({exc})") from exc


def read_idx(path: PathLike) -> np.ndarray:
    """The array stored in an IDX file (optionally gzipped), in native byte order."""
    raw = _read_bytes(path)
    if len(raw) < 4:
        raise ValueError(f"{path}: {len(raw)} bytes is too short for an IDX header (4 bytes)")
    zero, code, ndim = int.from_bytes(raw[:2], "big"), raw[2], raw[3]
    if zero != 0 or code not in IDX_TYPES or ndim == 0:
        raise ValueError(
            f"{path}: bad IDX magic number 0x{raw[:4].hex()}: expected two zero bytes, a type "
            f"code in {{{', '.join(f'0x{c:02X}' for c in IDX_TYPES)}}} and a dimension "
            "count of at least 1"
        )
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise ValueError(
            f"{path}: truncated header: {ndim} dimensions need {header} bytes, file has {len(raw)}"
        )
    shape = tuple(int.from_bytes(raw[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim))
    dtype = IDX_TYPES[code]
    expected = int(np.prod(shape)) * dtype.itemsize
    found = len(raw) - header
    if found != expected:
        problem = "truncated" if found < expected else "has trailing bytes"
        dims = " x ".join(map(str, shape))
        raise ValueError(
            f"{path}: {problem}: the header says {dims} {dtype.name} elements "
            f"({expected} bytes of data), the file holds {found}"
        )
    data = np.frombuffer(raw, dtype=dtype, offset=header).reshape(shape)
    return data.astype(dtype.newbyteorder("="))  # native order, and a writable copy


def load_idx_dataset(
    images_path: PathLike,
    labels_path: PathLike,
    num_classes: int | None = 10,
    scale: bool = True,
) -> TensorDataset:
    """An (images, labels) dataset from a pair of IDX files, such as MNIST's.

    Images keep their shape (e.g. (N, 28, 28)); with `scale` they become float32 (uint8
    pixels divided by 255, into [0, 1]), otherwise they keep their stored dtype.
    Labels are int64 and, unless `num_classes` is None, must lie in [0, num_classes).
    """
    images = read_idx(images_path)
    labels = read_idx(labels_path)
    if labels.ndim != 1 or labels.dtype.kind not in "iu":
        raise ValueError(
            f"{labels_path}: labels must be a 1-D integer array, "
            f"got shape {labels.shape} of {labels.dtype}"
        )
    if len(images) != len(labels):
        raise ValueError(
            f"{images_path} holds {len(images)} images but {labels_path} holds "
            f"{len(labels)} labels; the counts must match"
        )
    if num_classes is not None and labels.size:
        bad = np.flatnonzero((labels < 0) | (labels >= num_classes))
        if bad.size:
            raise ValueError(
                f"{labels_path}: label {labels[bad[0]]} at index {bad[0]} is out of range "
                f"[0, {num_classes}) ({bad.size} labels out of range)"
            )
    x: Any = images
    if scale:
        x = images.astype(np.float32)
        if images.dtype == np.uint8:
            x /= 255.0
    return TensorDataset(x, labels.astype(np.int64))

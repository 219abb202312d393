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
import io
import math
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


# deflate turns a byte into at most 1032; with gzip's framing, a file of n bytes cannot
# decompress to more than this many times n
_MAX_GZIP_RATIO = 1100
_CHUNK = 1 << 24  # bytes decompressed at a time: memory grows only with data that exists


def _decompressed(raw: io.BufferedIOBase) -> io.BufferedIOBase:
    """`raw` itself, or a gzip stream over it when its first two bytes say gzip."""
    gzipped = raw.read(2) == _GZIP_MAGIC
    raw.seek(0)
    return gzip.GzipFile(fileobj=raw, mode="rb") if gzipped else raw


def _read(stream: io.BufferedIOBase, n: int, path: PathLike) -> bytes:
    """At most `n` bytes (fewer at the end of the data), decompressing no more than that;
    a damaged gzip stream is a ValueError."""
    out = bytearray()
    try:
        while len(out) < n:
            chunk = stream.read(min(n - len(out), _CHUNK))
            if not chunk:
                break
            out += chunk
    except (OSError, EOFError, zlib.error) as exc:
        raise ValueError(f"{path}: not a valid gzip file ({exc})") from exc
    return bytes(out)


def _header(stream: io.BufferedIOBase, path: PathLike) -> tuple[np.dtype, tuple[int, ...], int]:
    """(dtype, shape, header bytes) from the magic number and the dimension sizes."""
    magic = _read(stream, 4, path)
    if len(magic) < 4:
        raise ValueError(f"{path}: {len(magic)} bytes is too short for an IDX header (4 bytes)")
    zero, code, ndim = int.from_bytes(magic[:2], "big"), magic[2], magic[3]
    if zero != 0 or code not in IDX_TYPES or ndim == 0:
        raise ValueError(
            f"{path}: bad IDX magic number 0x{magic.hex()}: expected two zero bytes, a type "
            f"code in {{{', '.join(f'0x{c:02X}' for c in IDX_TYPES)}}} and a dimension "
            "count of at least 1"
        )
    dims = _read(stream, 4 * ndim, path)
    header = 4 + 4 * ndim
    if len(dims) < 4 * ndim:
        raise ValueError(
            f"{path}: truncated header: {ndim} dimensions need {header} bytes, "
            f"file has {4 + len(dims)}"
        )
    shape = tuple(int.from_bytes(dims[4 * i : 4 * i + 4], "big") for i in range(ndim))
    return IDX_TYPES[code], shape, header


def read_idx(path: PathLike) -> np.ndarray:
    """The array stored in an IDX file (optionally gzipped), in native byte order.

    The sizes in the header are checked against the file before the data is read, and a
    gzip file is decompressed only up to the size the header declares (and one byte more,
    to tell trailing data): a damaged header or a gzip bomb is a one-line ValueError,
    never a large allocation."""
    with open(path, "rb") as raw, _decompressed(raw) as stream:
        size, gzipped = os.fstat(raw.fileno()).st_size, isinstance(stream, gzip.GzipFile)
        dtype, shape, header = _header(stream, path)
        expected = math.prod(shape) * dtype.itemsize
        dims = " x ".join(map(str, shape))
        declared = f"the header says {dims} {dtype.name} elements ({expected} bytes of data)"
        if gzipped and header + expected > size * _MAX_GZIP_RATIO:
            raise ValueError(
                f"{path}: truncated or damaged: {declared}, more than a gzip file of "
                f"{size} bytes can hold"
            )
        data, found = b"", size - header  # a plain file's data: known before reading it
        if gzipped or found == expected:
            data = _read(stream, expected + 1, path)
            found = len(data)
    if found != expected:
        problem = "truncated" if found < expected else "has trailing bytes"
        held = "more" if gzipped and found > expected else str(found)
        raise ValueError(f"{path}: {problem}: {declared}, the file holds {held}")
    try:
        array = np.frombuffer(data, dtype=dtype).reshape(shape)
    except ValueError:  # no elements, but other dimensions too large for NumPy to index
        raise ValueError(f"{path}: damaged header: {declared}, too large a shape") from None
    return array.astype(dtype.newbyteorder("="))  # native order, and a writable copy


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

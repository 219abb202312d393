"""`default_collate`: a list of samples -> one batch of groundup Tensors.

Samples that are tensors or arrays are stacked along a new first dimension; tuples,
lists, named tuples and dicts are collated field by field, so a dataset returning
`(image, label)` gives batches `(images, labels)`.

dtypes: float arrays keep their dtype; integers of any width become int64 (the index
type of embeddings and losses); Python floats become float32, as in `groundup.tensor`
(PyTorch would give float64 here).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from groundup.ops.creation import from_numpy
from groundup.tensor import Tensor


def as_batch_tensor(array: np.ndarray) -> Tensor:
    """Wrap a freshly built batch array as a Tensor; integers widen to int64."""
    if array.dtype.kind in "iu" and array.dtype != np.int64:
        array = array.astype(np.int64)
    return from_numpy(array)


def _stack(arrays: list[np.ndarray]) -> Tensor:
    first = arrays[0].shape
    for i, a in enumerate(arrays):
        if a.shape != first:
            raise ValueError(
                f"default_collate: sample {i} has shape {a.shape} but sample 0 has shape "
                f"{first}; samples must share a shape to stack into a batch "
                "(pad them, or pass a collate_fn)"
            )
    return as_batch_tensor(np.stack(arrays))


def default_collate(batch: Sequence[Any]) -> Any:
    """Stack a list of samples into a batch, recursing into tuples, lists and dicts."""
    if len(batch) == 0:
        raise ValueError("default_collate: got an empty batch")
    elem = batch[0]
    if isinstance(elem, Tensor):
        return _stack([s._data for s in batch])
    if isinstance(elem, (np.ndarray, np.generic)):
        return _stack([np.asarray(s) for s in batch])
    if isinstance(elem, bool):  # before int: bool is a subclass of int
        return from_numpy(np.array(batch, dtype=np.bool_))
    if isinstance(elem, int):
        return from_numpy(np.array(batch, dtype=np.int64))
    if isinstance(elem, float):
        return from_numpy(np.array(batch, dtype=np.float32))
    if isinstance(elem, (str, bytes)):
        return list(batch)
    if isinstance(elem, Mapping):
        return {key: default_collate([s[key] for s in batch]) for key in elem}
    if isinstance(elem, Sequence):
        size = len(elem)
        if any(len(s) != size for s in batch):
            raise ValueError(
                "default_collate: each sample in the batch should have the same number of "
                f"fields, got {sorted({len(s) for s in batch})}"
            )
        fields = [default_collate(list(column)) for column in zip(*batch, strict=True)]
        if isinstance(elem, tuple) and hasattr(elem, "_fields"):  # a namedtuple
            return type(elem)(*fields)
        return tuple(fields) if isinstance(elem, tuple) else fields
    raise TypeError(
        f"default_collate: cannot batch samples of type {type(elem).__name__}; "
        "samples should be tensors, arrays, numbers, strings, or tuples/lists/dicts of those"
    )

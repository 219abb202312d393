"""Embedding lookup: row `i` of the weight for each index `i`."""

from __future__ import annotations

from typing import Any

import numpy as np

from groundup.errors import InputDtypeError
from groundup.function import Function
from groundup.tensor import Tensor


class Embedding(Function):
    saves = ()

    def forward(
        self, weight: np.ndarray, indices: np.ndarray, padding_idx: int | None
    ) -> np.ndarray:
        self.shape, self.indices, self.padding_idx = weight.shape, indices, padding_idx
        return weight[indices]  # (*indices.shape, embedding_dim)

    def backward(self, grad: np.ndarray) -> tuple[Any, None, None]:
        dw = np.zeros(self.shape, dtype=grad.dtype)
        # a token that appears k times receives the sum of its k gradients
        np.add.at(dw, self.indices.reshape(-1), grad.reshape(-1, self.shape[1]))
        if self.padding_idx is not None:
            dw[self.padding_idx] = 0  # the padding row never learns
        return dw, None, None


def checked_indices(input: Any, weight: Tensor) -> np.ndarray:  # noqa: A002
    """The index array of `input`, after checking its dtype and range against `weight`."""
    idx = input._data if isinstance(input, Tensor) else np.asarray(input)
    if idx.dtype not in (np.int64, np.int32):  # torch's index types: Long and Int
        raise InputDtypeError(
            f"embedding: indices must be an integer tensor, got dtype {idx.dtype}; torch takes "
            "int64 (or int32) indices: convert them (indices.long())"
        )
    if weight.ndim != 2:
        raise RuntimeError(f"embedding: weight must be 2-D, got shape {weight.shape}")
    num = weight.shape[0]
    if idx.size and (idx.min() < 0 or idx.max() >= num):
        bad = idx.min() if idx.min() < 0 else idx.max()
        raise IndexError(
            f"embedding: index {bad} is out of range for {num} embeddings "
            f"(weight of shape {weight.shape}); indices must lie in [0, {num - 1}]"
        )
    return idx


def embedding(input: Any, weight: Tensor, padding_idx: int | None = None) -> Tensor:  # noqa: A002
    """Rows of `weight` (num_embeddings, embedding_dim) picked by the integer `input`:
    output shape (*input.shape, embedding_dim). The `padding_idx` row gets no gradient."""
    idx = checked_indices(input, weight)
    num = weight.shape[0]
    if padding_idx is not None:
        if not -num <= padding_idx < num:
            raise ValueError(f"embedding: padding_idx {padding_idx} is out of range for {num} rows")
        padding_idx %= num
    return Embedding.apply(weight, idx, padding_idx)

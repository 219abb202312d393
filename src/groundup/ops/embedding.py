"""Embedding lookup: row `i` of the weight for each index `i`."""

from __future__ import annotations

from typing import Any

import numpy as np

from groundup.function import Function
from groundup.tensor import Tensor


class Embedding(Function):
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


def embedding(indices: Any, weight: Tensor, padding_idx: int | None = None) -> Tensor:
    idx = indices.data if isinstance(indices, Tensor) else np.asarray(indices)
    if idx.dtype.kind not in "iu":
        raise TypeError(f"embedding: indices must be an integer tensor, got dtype {idx.dtype}")
    num = weight.shape[0]
    if idx.size and (idx.min() < 0 or idx.max() >= num):
        bad = idx.min() if idx.min() < 0 else idx.max()
        raise IndexError(f"embedding: index {bad} is out of range for {num} embeddings")
    if padding_idx is not None and padding_idx < 0:
        padding_idx += num
    return Embedding.apply(weight, idx, padding_idx)

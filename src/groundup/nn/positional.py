"""Positional encodings: attention alone is blind to order, so position is added to the
token embeddings (Vaswani et al. 2017, sec. 3.5).

    sinusoidal  PE[pos, 2i]   = sin(pos / 10000^(2i / d))        fixed, no parameters
                PE[pos, 2i+1] = cos(pos / 10000^(2i / d))
    learned     PE[pos]       = a trained vector per position    (BERT, GPT)

Both hold a table of `max_len` rows and add its first S rows to an input of S positions;
a longer input is an error (a learned table has no row for it; a sinusoidal one could be
rebuilt longer, which the error message says).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from groundup.nn import init
from groundup.nn.dropout import Dropout
from groundup.nn.module import Module, Parameter, factory_dtype
from groundup.tensor import Tensor


def sinusoidal_table(max_len: int, d_model: int, dtype: Any = np.float32) -> np.ndarray:
    """The (max_len, d_model) sinusoidal table: even columns sin, odd columns cos, the
    pair (2i, 2i+1) turning at frequency 1 / 10000^(2i / d_model)."""
    position = np.arange(max_len, dtype=np.float64)[:, None]  # (max_len, 1)
    freq = np.exp(np.arange(0, d_model, 2) * (-math.log(10000.0) / d_model))  # (ceil(d/2),)
    angle = position * freq  # (max_len, ceil(d/2))
    table = np.zeros((max_len, d_model))
    table[:, 0::2] = np.sin(angle)
    table[:, 1::2] = np.cos(angle[:, : d_model // 2])  # an odd d_model has one cos fewer
    return table.astype(dtype)


class _PositionalEncoding(Module):
    """Shared forward: x + table[:S] along the sequence dim, then dropout."""

    d_model: int
    max_len: int
    batch_first: bool
    dropout: Dropout

    def table(self) -> Tensor:  # pragma: no cover - abstract
        raise NotImplementedError(f"{type(self).__name__} must define table() (abstract)")

    def forward(self, x: Tensor) -> Tensor:
        """x (S, N, E), or (N, S, E) with batch_first, or (S, E) -> the same shape."""
        name = type(self).__name__
        if x.ndim not in (2, 3) or x.shape[-1] != self.d_model:
            raise ValueError(
                f"{name}(d_model={self.d_model}): expected input (S, N, {self.d_model}), "
                f"(N, S, {self.d_model}) with batch_first or (S, {self.d_model}), got {x.shape}"
            )
        seq_dim = 1 if (x.ndim == 3 and self.batch_first) else 0
        length = x.shape[seq_dim]
        if length > self.max_len:
            raise ValueError(
                f"{name}: input of shape {x.shape} has {length} positions, more than the "
                f"{self.max_len} rows of the position table (max_len={self.max_len}); "
                f"build it with max_len >= {length}"
            )
        pe = self.table()[:length]  # (S, E)
        if x.ndim == 3 and not self.batch_first:
            pe = pe.unsqueeze(1)  # (S, E) -> (S, 1, E), broadcast over the batch
        return self.dropout(x + pe)  # (N, S, E) + (S, E) broadcasts over N


class SinusoidalPositionalEncoding(_PositionalEncoding):
    """Adds the fixed sinusoidal table (a non-persistent buffer `pe`; nothing to learn)."""

    pe: Tensor

    def __init__(
        self,
        d_model: int,
        max_len: int = 5000,
        dropout: float = 0.0,
        batch_first: bool = False,
        device: Any = None,
        dtype: Any = None,
    ):
        super().__init__()
        self.d_model, self.max_len, self.batch_first = d_model, max_len, batch_first
        table = sinusoidal_table(max_len, d_model, factory_dtype(device, dtype))
        self.register_buffer("pe", Tensor(table), persistent=False)
        self.dropout = Dropout(dropout)

    def table(self) -> Tensor:
        return self.pe

    def extra_repr(self) -> str:
        return f"d_model={self.d_model}, max_len={self.max_len}, batch_first={self.batch_first}"


class LearnedPositionalEncoding(_PositionalEncoding):
    """Adds a learned vector per position: `weight` (max_len, d_model), initialized
    N(0, 0.02^2) as in BERT."""

    def __init__(
        self,
        d_model: int,
        max_len: int = 512,
        dropout: float = 0.0,
        batch_first: bool = False,
        device: Any = None,
        dtype: Any = None,
    ):
        super().__init__()
        self.d_model, self.max_len, self.batch_first = d_model, max_len, batch_first
        self.weight = Parameter(np.empty((max_len, d_model), factory_dtype(device, dtype)))
        self.dropout = Dropout(dropout)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        init.normal_(self.weight, 0.0, 0.02)

    def table(self) -> Tensor:
        return self.weight

    def extra_repr(self) -> str:
        return f"d_model={self.d_model}, max_len={self.max_len}, batch_first={self.batch_first}"

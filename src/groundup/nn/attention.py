"""Attention for encoder-decoder RNNs (Bahdanau et al. 2015; Luong et al. 2015).

A query (the decoder's hidden state) is scored against every key (the encoder's hidden
states); a softmax over the source positions turns the scores into weights; the context
vector is the weighted sum of the values (by default the keys themselves):

    scores   e_ts = score(q_t, k_s)                 (N, T, S)
    weights  a_ts = exp(e_ts) / sum_s' exp(e_ts')   (N, T, S), each row sums to 1
    context  c_t  = sum_s a_ts v_s                  (N, T, Dv)

Three score functions, each a module returning `(context, weights)`:

    DotProductAttention   q . k                     (Luong "dot"; q and k of equal size)
    GeneralAttention      q^T W k                   (Luong "general", a learned bilinear form)
    AdditiveAttention     v^T tanh(W_q q + W_k k)   (Bahdanau, a one-hidden-layer MLP)

The query is (N, Dq) for one decoder step or (N, T, Dq) for T steps at once; the outputs
then drop or keep the T axis. `mask` (N, S) marks source positions to ignore (True =
padding), whose weights become exactly 0.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from groundup.nn import init
from groundup.nn.linear import Linear
from groundup.nn.module import Module, Parameter, factory_dtype
from groundup.ops.activation import softmax, tanh
from groundup.ops.elementwise import masked_fill
from groundup.ops.linalg import matmul
from groundup.tensor import Tensor


class _Attention(Module):
    """Shared forward: score, mask, softmax, weighted sum. Subclasses define `score`."""

    def score(self, query: Tensor, keys: Tensor) -> Tensor:  # pragma: no cover - abstract
        """Raw scores (N, T, S) for queries (N, T, Dq) and keys (N, S, Dk)."""
        raise NotImplementedError

    def _check(self, query: Tensor, keys: Tensor, values: Tensor, mask: Any) -> None:
        name = type(self).__name__
        if keys.ndim != 3:
            raise ValueError(f"{name}: keys must be (N, S, Dk), got shape {keys.shape}")
        if query.ndim not in (2, 3) or query.shape[0] != keys.shape[0]:
            raise ValueError(
                f"{name}: query of shape {query.shape} must be (N, Dq) or (N, T, Dq) with "
                f"N = {keys.shape[0]} as in keys {keys.shape}"
            )
        if values.ndim != 3 or values.shape[:2] != keys.shape[:2]:
            raise ValueError(
                f"{name}: values of shape {values.shape} must be (N, S, Dv) = "
                f"({keys.shape[0]}, {keys.shape[1]}, Dv) to match keys {keys.shape}"
            )
        if mask is not None and tuple(np.shape(mask)) != keys.shape[:2]:
            raise ValueError(
                f"{name}: mask of shape {np.shape(mask)} must be (N, S) = {keys.shape[:2]}"
            )

    def forward(
        self, query: Tensor, keys: Tensor, values: Tensor | None = None, mask: Any = None
    ) -> tuple[Tensor, Tensor]:
        """(context, weights): (N, Dv) and (N, S) for a (N, Dq) query, or (N, T, Dv) and
        (N, T, S) for a (N, T, Dq) query."""
        values = keys if values is None else values
        self._check(query, keys, values, mask)
        one_step = query.ndim == 2
        q = query.unsqueeze(1) if one_step else query  # (N, T, Dq)
        scores = self.score(q, keys)  # (N, T, S)
        if mask is not None:
            m = mask._data if isinstance(mask, Tensor) else np.asarray(mask)
            scores = masked_fill(scores, m[:, None, :], -math.inf)  # exp(-inf) = 0
        weights = softmax(scores, dim=-1)  # (N, T, S), rows sum to 1
        context = matmul(weights, values)  # (N, T, S) @ (N, S, Dv) -> (N, T, Dv)
        if one_step:
            return context.squeeze(1), weights.squeeze(1)
        return context, weights


class DotProductAttention(_Attention):
    """score(q, k) = q . k, or q . k / sqrt(d) with `scaled=True` (the Transformer's)."""

    def __init__(self, scaled: bool = False):
        super().__init__()
        self.scaled = scaled

    def score(self, query: Tensor, keys: Tensor) -> Tensor:
        if query.shape[-1] != keys.shape[-1]:
            raise ValueError(
                f"DotProductAttention: query size {query.shape[-1]} must equal key size "
                f"{keys.shape[-1]} (query {query.shape}, keys {keys.shape})"
            )
        scores = matmul(query, keys.transpose(1, 2))  # (N, T, D) @ (N, D, S) -> (N, T, S)
        return scores / math.sqrt(keys.shape[-1]) if self.scaled else scores

    def extra_repr(self) -> str:
        return f"scaled={self.scaled}"


class GeneralAttention(_Attention):
    """score(q, k) = q^T W k with a learned W (query_size, key_size), Luong's "general"."""

    def __init__(
        self, query_size: int, key_size: int | None = None, device: Any = None, dtype: Any = None
    ):
        super().__init__()
        key_size = query_size if key_size is None else key_size
        self.query_size, self.key_size = query_size, key_size
        self.weight = Parameter(np.empty((query_size, key_size), factory_dtype(device, dtype)))
        bound = 1 / math.sqrt(key_size)  # as a Linear(key_size, query_size) would start
        init.uniform_(self.weight, -bound, bound)

    def score(self, query: Tensor, keys: Tensor) -> Tensor:
        if query.shape[-1] != self.query_size or keys.shape[-1] != self.key_size:
            raise ValueError(
                f"GeneralAttention({self.query_size}, {self.key_size}): got query "
                f"{query.shape} and keys {keys.shape}; expected sizes {self.query_size} "
                f"and {self.key_size} in the last dimension"
            )
        projected = matmul(keys, self.weight.T)  # W k for every key: (N, S, Dq)
        return matmul(query, projected.transpose(1, 2))  # (N, T, Dq) @ (N, Dq, S)

    def extra_repr(self) -> str:
        return f"query_size={self.query_size}, key_size={self.key_size}"


class AdditiveAttention(_Attention):
    """score(q, k) = v^T tanh(W_q q + W_k k) (Bahdanau), with `hidden_size` rows in W."""

    def __init__(
        self,
        query_size: int,
        key_size: int,
        hidden_size: int,
        device: Any = None,
        dtype: Any = None,
    ):
        super().__init__()
        self.query_proj = Linear(query_size, hidden_size, bias=False, device=device, dtype=dtype)
        self.key_proj = Linear(key_size, hidden_size, bias=False, device=device, dtype=dtype)
        self.v = Linear(hidden_size, 1, bias=False, device=device, dtype=dtype)

    def score(self, query: Tensor, keys: Tensor) -> Tensor:
        q = self.query_proj(query).unsqueeze(2)  # (N, T, 1, A)
        k = self.key_proj(keys).unsqueeze(1)  # (N, 1, S, A)
        hidden = tanh(q + k)  # every (query, key) pair: (N, T, S, A)
        return self.v(hidden).squeeze(-1)  # (N, T, S)

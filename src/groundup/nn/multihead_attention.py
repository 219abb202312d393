"""MultiheadAttention: h scaled dot-product attentions side by side (Vaswani et al. 2017).

    head_i = softmax((Q W_q^i)(K W_k^i)^T / sqrt(d) + mask) (V W_v^i)    d = embed_dim / h
    out    = concat(head_1, ..., head_h) W_o^T + b_o

PyTorch's layout: the three input projections are stacked in `in_proj_weight`
(3 * embed_dim, embed_dim), rows q then k then v, with `in_proj_bias` (3 * embed_dim);
`out_proj` is a Linear. With `kdim`/`vdim` different from `embed_dim` the projections are
separate `q_proj_weight`, `k_proj_weight`, `v_proj_weight`. A torch state_dict loads as is.

Masks (each optional): `key_padding_mask` (N, S) hides padded keys, `attn_mask` (L, S) or
(N * num_heads, L, S) hides pairs. In both, a bool True means "may NOT attend" (the
opposite of `scaled_dot_product_attention`'s bool mask) and a float is added to the scores.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from groundup.errors import InvalidArgumentError
from groundup.nn import init
from groundup.nn.linear import Linear
from groundup.nn.module import Module, Parameter, factory_dtype
from groundup.ops.activation import softmax
from groundup.ops.attention import scaled_dot_product_attention
from groundup.ops.dropout import dropout
from groundup.ops.linalg import linear, matmul
from groundup.ops.shape import cat
from groundup.tensor import Tensor


def as_additive_mask(mask: Any, name: str, dtype: np.dtype, owner: str) -> np.ndarray | None:
    """torch's `_canonical_mask`: a bool mask (True = hidden) becomes 0 / -inf floats of
    `dtype`; a float mask is kept (cast to `dtype`)."""
    if mask is None:
        return None
    m = mask._data if isinstance(mask, Tensor) else np.asarray(mask)
    if m.dtype == np.bool_:
        return np.where(m, -np.inf, 0).astype(dtype)
    if m.dtype.kind != "f":
        raise TypeError(f"{owner}: only bool and floating {name} are supported, got {m.dtype}")
    return m.astype(dtype, copy=False)


def _pad_last(mask: np.ndarray | None) -> np.ndarray | None:
    """Append one attendable (0) key column: (..., S) -> (..., S + 1)."""
    if mask is None:
        return None
    return np.concatenate([mask, np.zeros((*mask.shape[:-1], 1), mask.dtype)], axis=-1)


class MultiheadAttention(Module):
    """torch.nn.MultiheadAttention: `forward(query, key, value, ...)` returns
    `(attn_output, attn_weights)`; the weights are averaged over the heads unless
    `average_attn_weights=False`, and None when `need_weights=False`.

    Shapes: query (L, N, E), key/value (S, N, kdim/vdim), or (N, L, E) etc. with
    `batch_first=True`, or unbatched (L, E); the weights are (N, L, S) (or (N, h, L, S)).

    Like torch, a query row whose keys are all masked gives NaN with `need_weights=True`
    (the explicit softmax) and zeros with `need_weights=False` (the fused attention).
    """

    def __init__(
        self,
        embed_dim: int,
        num_heads: int,
        dropout: float = 0.0,
        bias: bool = True,
        add_bias_kv: bool = False,
        add_zero_attn: bool = False,
        kdim: int | None = None,
        vdim: int | None = None,
        batch_first: bool = False,
        device: Any = None,
        dtype: Any = None,
    ):
        super().__init__()
        if embed_dim <= 0 or num_heads <= 0:
            raise ValueError(
                f"MultiheadAttention: embed_dim and num_heads must be greater than 0, got "
                f"embed_dim={embed_dim} and num_heads={num_heads} instead"
            )
        if embed_dim % num_heads:
            raise ValueError(
                f"MultiheadAttention: embed_dim must be divisible by num_heads, got "
                f"embed_dim={embed_dim} and num_heads={num_heads} (each head gets "
                f"embed_dim / num_heads features)"
            )
        if not 0 <= dropout <= 1:
            raise ValueError(f"MultiheadAttention: dropout must be in [0, 1], got {dropout}")
        dt = factory_dtype(device, dtype)
        self.embed_dim, self.num_heads, self.dropout = embed_dim, num_heads, dropout
        self.kdim = embed_dim if kdim is None else kdim
        self.vdim = embed_dim if vdim is None else vdim
        self._qkv_same_embed_dim = self.kdim == embed_dim and self.vdim == embed_dim
        self.batch_first, self.head_dim = batch_first, embed_dim // num_heads
        e = embed_dim
        if self._qkv_same_embed_dim:
            self.in_proj_weight = Parameter(np.empty((3 * e, e), dt))
            self.register_parameter("q_proj_weight", None)
            self.register_parameter("k_proj_weight", None)
            self.register_parameter("v_proj_weight", None)
        else:
            self.q_proj_weight = Parameter(np.empty((e, e), dt))
            self.k_proj_weight = Parameter(np.empty((e, self.kdim), dt))
            self.v_proj_weight = Parameter(np.empty((e, self.vdim), dt))
            self.register_parameter("in_proj_weight", None)
        if bias:
            self.in_proj_bias = Parameter(np.empty(3 * e, dt))
        else:
            self.register_parameter("in_proj_bias", None)
        self.out_proj = Linear(e, e, bias=bias, dtype=dt)
        if add_bias_kv:
            self.bias_k = Parameter(np.empty((1, 1, e), dt))
            self.bias_v = Parameter(np.empty((1, 1, e), dt))
        else:
            self.register_parameter("bias_k", None)
            self.register_parameter("bias_v", None)
        self.add_zero_attn = add_zero_attn
        self._reset_parameters()

    def _reset_parameters(self) -> None:
        """torch's init: Xavier-uniform projections, zero biases, Xavier-normal bias_k/v
        (out_proj.weight keeps Linear's default)."""
        if self.in_proj_weight is not None:
            init.xavier_uniform_(self.in_proj_weight)
        else:
            for w in (self.q_proj_weight, self.k_proj_weight, self.v_proj_weight):
                init.xavier_uniform_(w)
        if self.in_proj_bias is not None:
            init.zeros_(self.in_proj_bias)
            assert self.out_proj.bias is not None
            init.zeros_(self.out_proj.bias)
        for b in (self.bias_k, self.bias_v):
            if b is not None:
                init.xavier_normal_(b)

    # ------------------------------------------------------------------ checks
    def _name(self) -> str:
        return f"MultiheadAttention(embed_dim={self.embed_dim}, num_heads={self.num_heads})"

    def _check(
        self, query: Tensor, key: Tensor, value: Tensor, key_padding_mask: Any, attn_mask: Any
    ) -> bool:
        """Raise on shapes torch rejects; return whether the input has a batch dim."""
        name = self._name()
        if query.ndim not in (2, 3):
            raise InvalidArgumentError(
                f"{name}: query should be unbatched 2-D (L, E) or batched 3-D, got shape "
                f"{query.shape}"
            )
        batched = query.ndim == 3
        if key.ndim != query.ndim or value.ndim != query.ndim:
            raise InvalidArgumentError(
                f"{name}: for a {query.ndim}-D query, key and value must be {query.ndim}-D too, "
                f"got key {key.shape} and value {value.shape}"
            )
        for what, t, size in (
            ("query", query, self.embed_dim),
            ("key", key, self.kdim),
            ("value", value, self.vdim),
        ):
            if t.shape[-1] != size:
                raise InvalidArgumentError(
                    f"{name}: {what} of shape {t.shape} must end in {size} features"
                )
        if not batched:
            s_dim, n_dim = 0, None  # (L, E)
        else:
            s_dim, n_dim = (1, 0) if self.batch_first else (0, 1)  # (N, L, E) or (L, N, E)
        if key.shape[:-1] != value.shape[:-1]:
            raise InvalidArgumentError(
                f"{name}: key {key.shape} and value {value.shape} must agree in all but the "
                f"last dim"
            )
        n = query.shape[n_dim] if n_dim is not None else 1
        if n_dim is not None and key.shape[n_dim] != n:
            raise InvalidArgumentError(
                f"{name}: query {query.shape} and key {key.shape} have different batch sizes"
            )
        length, source = query.shape[s_dim], key.shape[s_dim]
        if key_padding_mask is not None:
            want = (n, source) if batched else (source,)
            if tuple(np.shape(key_padding_mask)) != want:
                raise InvalidArgumentError(
                    f"{name}: key_padding_mask of shape {tuple(np.shape(key_padding_mask))} "
                    f"must be {'(N, S)' if batched else '(S,)'} = {want} for key {key.shape}"
                )
        if attn_mask is not None:
            shape = tuple(np.shape(attn_mask))
            allowed = [(length, source), (n * self.num_heads, length, source)]
            if shape not in allowed:
                raise InvalidArgumentError(
                    f"{name}: attn_mask of shape {shape} must be (L, S) = {allowed[0]} or "
                    f"(N * num_heads, L, S) = {allowed[1]} for query {query.shape} and key "
                    f"{key.shape}"
                )
        return batched

    # ----------------------------------------------------------------- forward
    def _project(self, q: Tensor, k: Tensor, v: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        """Input projections: (N, L, E), (N, S, kdim), (N, S, vdim) -> (N, *, E) each."""
        e, b = self.embed_dim, self.in_proj_bias
        ws: tuple[Any, Any, Any]
        if self.in_proj_weight is not None:
            w = self.in_proj_weight  # rows [0, E) project q, [E, 2E) k, [2E, 3E) v
            ws = (w[:e], w[e : 2 * e], w[2 * e :])
        else:
            ws = (self.q_proj_weight, self.k_proj_weight, self.v_proj_weight)
        bs = (None, None, None) if b is None else (b[:e], b[e : 2 * e], b[2 * e :])
        return linear(q, ws[0], bs[0]), linear(k, ws[1], bs[1]), linear(v, ws[2], bs[2])

    def forward(
        self,
        query: Tensor,
        key: Tensor,
        value: Tensor,
        key_padding_mask: Any = None,
        need_weights: bool = True,
        attn_mask: Any = None,
        average_attn_weights: bool = True,
        is_causal: bool = False,
    ) -> tuple[Tensor, Tensor | None]:
        """(attn_output, attn_weights): the output has the query's shape; the weights are
        (N, L, S), or (N, num_heads, L, S) with average_attn_weights=False, or None."""
        batched = self._check(query, key, value, key_padding_mask, attn_mask)
        dtype = query.dtype
        kpm = as_additive_mask(key_padding_mask, "key_padding_mask", dtype, self._name())
        if is_causal and attn_mask is None:
            raise RuntimeError(
                f"{self._name()}: is_causal=True is a hint that attn_mask is the causal mask; "
                "pass attn_mask too (e.g. Transformer.generate_square_subsequent_mask(L))"
            )
        # Like torch: with no padding mask and no weights wanted, the hint replaces the mask.
        causal = is_causal and kpm is None and not need_weights
        mask = None if causal else as_additive_mask(attn_mask, "attn_mask", dtype, self._name())
        # Work batch first: (N, L, E)
        if not batched:
            query, key, value = query.unsqueeze(0), key.unsqueeze(0), value.unsqueeze(0)
            kpm = None if kpm is None else kpm[None]  # (S,) -> (1, S)
        elif not self.batch_first:
            query, key, value = (t.transpose(0, 1) for t in (query, key, value))
        n, length, _ = query.shape
        h, d = self.num_heads, self.head_dim
        q, k, v = self._project(query, key, value)  # (N, L, E), (N, S, E), (N, S, E)
        if self.bias_k is not None and self.bias_v is not None:
            k = cat([k, self.bias_k.expand(n, 1, self.embed_dim)], dim=1)  # (N, S + 1, E)
            v = cat([v, self.bias_v.expand(n, 1, self.embed_dim)], dim=1)
            mask, kpm = _pad_last(mask), _pad_last(kpm)
        q = q.reshape(n, length, h, d).transpose(1, 2)  # (N, L, E) -> (N, h, L, d)
        k = k.reshape(n, -1, h, d).transpose(1, 2)  # (N, S, E) -> (N, h, S, d)
        v = v.reshape(n, -1, h, d).transpose(1, 2)  # (N, S, E) -> (N, h, S, d)
        if self.add_zero_attn:
            zeros = Tensor(np.zeros((n, h, 1, d), dtype))
            k, v = cat([k, zeros], dim=2), cat([v, zeros], dim=2)  # (N, h, S + 1, d)
            mask, kpm = _pad_last(mask), _pad_last(kpm)
        source = k.shape[2]
        bias = None
        if mask is not None:  # (L, S) -> (1, 1, L, S); (N * h, L, S) -> (N, h, L, S)
            bias = mask[None, None] if mask.ndim == 2 else mask.reshape(n, h, length, source)
        if kpm is not None:
            padding = kpm.reshape(n, 1, 1, source)  # (N, S) -> (N, 1, 1, S)
            bias = padding if bias is None else bias + padding  # (N, h or 1, L, S)
        p = self.dropout if self.training else 0.0
        weights = None
        if need_weights:
            out, weights = self._attention_with_weights(q, k, v, bias, p)
        else:
            out = scaled_dot_product_attention(q, k, v, bias, p, is_causal=causal)
        out = out.transpose(1, 2).reshape(n, length, self.embed_dim)  # (N, h, L, d) -> (N, L, E)
        out = self.out_proj(out)
        if weights is not None and average_attn_weights:
            weights = weights.mean(dim=1)  # (N, h, L, S) -> (N, L, S)
        if not batched:
            out = out.squeeze(0)  # (1, L, E) -> (L, E)
            weights = None if weights is None else weights.squeeze(0)
        elif not self.batch_first:
            out = out.transpose(0, 1)  # (N, L, E) -> (L, N, E)
        return out, weights

    @staticmethod
    def _attention_with_weights(
        q: Tensor, k: Tensor, v: Tensor, bias: np.ndarray | None, p: float
    ) -> tuple[Tensor, Tensor]:
        """The explicit form, for when the weights are wanted: each step is its own op,
        so the returned weights (after dropout, as torch's) carry gradients."""
        scores = matmul(q * (1 / math.sqrt(q.shape[-1])), k.transpose(-2, -1))  # (N, h, L, S)
        if bias is not None:
            scores = scores + Tensor(bias)
        with np.errstate(invalid="ignore"):  # an all -inf row gives NaN, as in torch
            weights = softmax(scores, dim=-1)
        if p > 0:
            weights = dropout(weights, p)
        return matmul(weights, v), weights  # (N, h, L, d), (N, h, L, S)

    def extra_repr(self) -> str:
        return (
            f"embed_dim={self.embed_dim}, num_heads={self.num_heads}, dropout={self.dropout}, "
            f"batch_first={self.batch_first}"
        )

"""Scaled dot-product attention (Vaswani et al. 2017, eq. 1) as one fused op.

    scores  S = Q K^T * scale + bias             (..., L, S)   scale = 1/sqrt(E) by default
    weights P = softmax(S) along the keys        (..., L, S)   rows sum to 1
    output  O = dropout(P) V                     (..., L, Ev)

`bias` is the additive form of every mask: 0 where a query may attend to a key, -inf
where it may not (exp(-inf) = 0), or any float the caller adds. A row whose keys are all
masked has no softmax; like torch's kernel, its weights (and output, and gradient) are 0.

One Function holds the whole chain, so backward needs only the saved weights:

    dV = P_d^T dO,   dP_d = dO V^T,   dP = dP_d * D       (D: the dropout mask, P_d = P * D)
    dS = P * (dP - sum_keys(dP * P))                      (softmax's Jacobian-vector product)
    dQ = dS K * scale,   dK = dS^T Q * scale,   dbias = dS

The composed graph (matmul, mul, add, softmax, dropout, matmul) would store and revisit
five (..., L, S) arrays; this one stores two.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from groundup.function import Function
from groundup.ops.dropout import dropout_mask
from groundup.tensor import Tensor


def _swap(a: np.ndarray) -> np.ndarray:
    return np.swapaxes(a, -1, -2)


def safe_softmax(scores: np.ndarray) -> np.ndarray:
    """Softmax along the last axis; a row that is -inf everywhere gives zeros, not NaN."""
    top = scores.max(axis=-1, keepdims=True)  # (..., L, 1)
    top = np.where(np.isneginf(top), 0, top)  # an all -inf row: exp(-inf - 0) = 0
    e = np.exp(scores - top)
    total = e.sum(axis=-1, keepdims=True)
    total[total == 0] = 1  # 0 / 1 = 0 for the fully masked rows
    e /= total
    return e


class ScaledDotProductAttention(Function):
    """O = dropout(softmax(Q K^T scale + bias)) V, with its backward in closed form."""

    def forward(
        self,
        q: np.ndarray,
        k: np.ndarray,
        v: np.ndarray,
        bias: np.ndarray | None,
        *,
        scale: float,
        keep: np.ndarray | None,
    ) -> np.ndarray:
        scale_ = np.asarray(scale, dtype=q.dtype)  # keep float32 float32
        scores = np.matmul(q, _swap(k))  # (..., L, E) @ (..., E, S) -> (..., L, S)
        scores *= scale_
        if bias is not None:
            scores = scores + bias  # broadcasts, e.g. a (L, S) causal mask over the batch
        self.p = safe_softmax(scores)  # (..., L, S)
        self.keep = keep  # dropout mask: 0 or 1/(1-p) per weight, or None
        weights = self.p if keep is None else self.p * keep
        self.q, self.k, self.v, self.scale = q, k, v, scale_
        self.weights = weights
        return np.matmul(weights, v)  # (..., L, S) @ (..., S, Ev) -> (..., L, Ev)

    def backward(self, grad: np.ndarray) -> tuple[Any, Any, Any, Any]:
        p, keep = self.p, self.keep
        dv = np.matmul(_swap(self.weights), grad) if self.parents[2] is not None else None
        dp = np.matmul(grad, _swap(self.v))  # (..., L, Ev) @ (..., Ev, S) -> (..., L, S)
        if keep is not None:
            dp *= keep
        # softmax backward: dS = P * (dP - <dP, P>) along the keys
        ds = p * (dp - (dp * p).sum(axis=-1, keepdims=True))  # (..., L, S)
        dq = np.matmul(ds, self.k) * self.scale if self.parents[0] is not None else None
        dk = np.matmul(_swap(ds), self.q) * self.scale if self.parents[1] is not None else None
        dbias = ds if self.parents[3] is not None else None
        return dq, dk, dv, dbias


def causal_mask(length: int, source_length: int | None = None) -> np.ndarray:
    """Boolean (L, S) mask, True where query i may see key j <= i (top-left aligned, as
    torch's `is_causal`): the lower triangle with its diagonal."""
    s = length if source_length is None else source_length
    return np.tri(length, s, dtype=np.bool_)  # (L, S), ones on and below the diagonal


def _broadcast(name: str, shapes: list[tuple[int, ...]], what: str) -> tuple[int, ...]:
    try:
        return tuple(np.broadcast_shapes(*shapes))
    except ValueError:
        raise RuntimeError(f"scaled_dot_product_attention: {name} {what}") from None


def scaled_dot_product_attention(
    query: Tensor,
    key: Tensor,
    value: Tensor,
    attn_mask: Any = None,
    dropout_p: float = 0.0,
    is_causal: bool = False,
    scale: float | None = None,
    enable_gqa: bool = False,
) -> Tensor:
    """softmax(query key^T * scale + mask) value, as torch.nn.functional's.

    query (..., L, E), key (..., S, E), value (..., S, Ev) -> (..., L, Ev); the leading
    (batch, head) dims broadcast. `attn_mask` broadcasts to (..., L, S): a bool mask marks
    with True the keys that *take part* (the opposite of MultiheadAttention's
    key_padding_mask), a float mask is added to the scores (and gets a gradient when it
    requires one). `is_causal` lets query i see keys 0..i only. `scale` defaults to
    1/sqrt(E). Dropout with probability `dropout_p` is applied to the weights always, as
    in torch: pass 0.0 when evaluating. Rows with every key masked give zeros.
    """
    for name, t in (("query", query), ("key", key), ("value", value)):
        if not isinstance(t, Tensor) or t.ndim < 2:
            shape = t.shape if isinstance(t, Tensor) else type(t).__name__
            raise RuntimeError(
                f"scaled_dot_product_attention: {name} must be a tensor of shape (..., seq, "
                f"features), got {shape}"
            )
        if t.dtype.kind != "f" or t.dtype != query.dtype:
            raise TypeError(
                f"scaled_dot_product_attention: query, key and value must share one floating "
                f"dtype, got {query.dtype}, {key.dtype} and {value.dtype}"
            )
    if enable_gqa:
        raise NotImplementedError("scaled_dot_product_attention: enable_gqa is not supported")
    if query.shape[-1] != key.shape[-1]:
        raise RuntimeError(
            f"scaled_dot_product_attention: query {query.shape} and key {key.shape} must have "
            f"the same last dim (the dot product runs over it)"
        )
    if key.shape[-2] != value.shape[-2]:
        raise RuntimeError(
            f"scaled_dot_product_attention: key {key.shape} and value {value.shape} must have "
            f"the same sequence length (dim -2)"
        )
    if not 0 <= dropout_p <= 1:
        raise ValueError(
            f"scaled_dot_product_attention: dropout_p must be in [0, 1], got {dropout_p}"
        )
    length, source_length = query.shape[-2], key.shape[-2]
    batch = _broadcast(
        "batch dims",
        [query.shape[:-2], key.shape[:-2], value.shape[:-2]],
        f"of query {query.shape}, key {key.shape} and value {value.shape} do not broadcast",
    )
    scores_shape = (*batch, length, source_length)  # (..., L, S)
    bias: Any = None
    if is_causal:
        if attn_mask is not None:
            raise RuntimeError(
                "scaled_dot_product_attention: pass either attn_mask or is_causal=True, not "
                "both (is_causal builds the causal mask itself)"
            )
        bias = np.where(causal_mask(length, source_length), 0, -np.inf).astype(query.dtype)
    elif attn_mask is not None:
        mask = attn_mask if isinstance(attn_mask, Tensor) else Tensor(np.asarray(attn_mask))
        fits = _broadcast(
            "attn_mask",
            [mask.shape, scores_shape],
            f"of shape {mask.shape} does not broadcast to the scores' shape {scores_shape} "
            f"= (..., L, S)",
        )
        if fits != scores_shape:
            raise RuntimeError(
                f"scaled_dot_product_attention: attn_mask of shape {mask.shape} would grow the "
                f"scores' shape {scores_shape} = (..., L, S) to {fits}"
            )
        if mask.dtype == np.bool_:
            bias = np.where(mask._data, 0, -np.inf).astype(query.dtype)  # True = take part
        elif mask.dtype.kind == "f":
            bias = mask if mask.requires_grad else mask._data.astype(query.dtype, copy=False)
        else:
            raise TypeError(
                f"scaled_dot_product_attention: attn_mask must be bool or float, got {mask.dtype}"
            )
    factor = 1 / math.sqrt(query.shape[-1]) if scale is None else float(scale)
    keep = dropout_mask(scores_shape, dropout_p, query.dtype) if dropout_p > 0 else None
    return ScaledDotProductAttention.apply(query, key, value, bias, scale=factor, keep=keep)

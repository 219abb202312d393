"""Margin and embedding losses, composed from ops exactly as torch composes them:
margin_ranking_loss, hinge_embedding_loss, cosine_embedding_loss, triplet_margin_loss.

Each is a hinge max(0, margin - score) on some score; where the hinge is exactly at 0 the
gradient passes (torch's clamp_min rule, kept by `clamp`).
"""

from __future__ import annotations

import numpy as np

from groundup.ops import elementwise as E
from groundup.ops import reduce as R
from groundup.ops.distance import pairwise_distance
from groundup.ops.loss import resolve_reduction
from groundup.ops.loss_extra import check_broadcast, reduce_loss
from groundup.tensor import Tensor


def _zeros_like(t: Tensor) -> Tensor:
    return Tensor._make(np.zeros_like(t._data), False)


def margin_ranking_loss(
    input1: Tensor,
    input2: Tensor,
    target: Tensor,
    margin: float = 0,
    size_average: bool | None = None,
    reduce: bool | None = None,
    reduction: str = "mean",
) -> Tensor:
    """max(0, -target (input1 - input2) + margin): target 1 asks input1 to rank above
    input2 by at least `margin`, target -1 the reverse."""
    reduction = resolve_reduction("margin_ranking_loss", size_average, reduce, reduction)
    if not input1.ndim == input2.ndim == target.ndim:
        raise RuntimeError(
            f"margin_ranking_loss: all input tensors should have the same dimension but got "
            f"sizes: input1: {input1.shape}, input2: {input2.shape}, target: {target.shape}"
        )
    score = E.mul(E.neg(target), E.sub(input1, input2))
    return reduce_loss(E.clamp(E.add(score, margin), min=0), reduction)


def hinge_embedding_loss(
    input: Tensor,  # noqa: A002 - torch's names
    target: Tensor,
    margin: float = 1.0,
    size_average: bool | None = None,
    reduce: bool | None = None,
    reduction: str = "mean",
) -> Tensor:
    """input where target is 1, max(0, margin - input) where target is -1 (input usually a
    distance between two embeddings that should be close, or at least `margin` apart)."""
    reduction = resolve_reduction("hinge_embedding_loss", size_average, reduce, reduction)
    check_broadcast("hinge_embedding_loss", input, target)
    t = target._data
    zeros = _zeros_like(input)
    margin_part = E.where(t != 1, E.clamp(E.sub(margin, input), min=0), zeros)
    self_part = E.where(t != -1, input, zeros)
    return reduce_loss(E.add(margin_part, self_part), reduction)


_EPSILON = 1e-12  # torch's guard in cosine_embedding_loss


def cosine_embedding_loss(
    input1: Tensor,
    input2: Tensor,
    target: Tensor,
    margin: float = 0,
    size_average: bool | None = None,
    reduce: bool | None = None,
    reduction: str = "mean",
) -> Tensor:
    """1 - cos(x1, x2) where target is 1, max(0, cos(x1, x2) - margin) where target is -1;
    cos along the last dim of (N, D) inputs with (N,) targets (or (D,) with a 0-d target)."""
    reduction = resolve_reduction("cosine_embedding_loss", size_average, reduce, reduction)
    dim = target.ndim
    if dim not in (0, 1):
        raise RuntimeError(
            "cosine_embedding_loss: 0D or 1D target tensor expected, multi-target not supported"
        )
    if not input1.ndim == input2.ndim == dim + 1:
        raise RuntimeError(
            f"cosine_embedding_loss: {dim}D target tensor expects {dim + 1}D input tensors, but "
            f"found inputs with sizes {input1.shape} and {input2.shape}"
        )
    prod_sum = R.sum(E.mul(input1, input2), dim)
    mag_square1 = E.add(R.sum(E.mul(input1, input1), dim), _EPSILON)
    mag_square2 = E.add(R.sum(E.mul(input2, input2), dim), _EPSILON)
    cos = E.div(prod_sum, E.sqrt(E.mul(mag_square1, mag_square2)))
    check_broadcast("cosine_embedding_loss", cos, target)
    zeros = _zeros_like(cos)
    t = target._data
    pos = E.where(t == 1, E.sub(1, cos), zeros)
    neg = E.where(t == -1, E.clamp(E.sub(cos, margin), min=0), zeros)
    return reduce_loss(E.add(pos, neg), reduction)


def triplet_margin_loss(
    anchor: Tensor,
    positive: Tensor,
    negative: Tensor,
    margin: float = 1.0,
    p: float = 2,
    eps: float = 1e-6,
    swap: bool = False,
    size_average: bool | None = None,
    reduce: bool | None = None,
    reduction: str = "mean",
) -> Tensor:
    """max(0, d(a, p) - d(a, n) + margin) with pairwise p-norm distances (Schroff et al.,
    2015); `swap` uses min(d(a, n), d(p, n)) as the negative distance (Balntas et al.)."""
    reduction = resolve_reduction("triplet_margin_loss", size_average, reduce, reduction)
    if not anchor.ndim == positive.ndim == negative.ndim:
        raise RuntimeError(
            f"triplet_margin_loss: the anchor, positive, and negative tensors are expected to "
            f"have the same number of dimensions, but got: anchor {anchor.ndim}D, positive "
            f"{positive.ndim}D, and negative {negative.ndim}D inputs"
        )
    dist_pos = pairwise_distance(anchor, positive, p, eps)
    dist_neg = pairwise_distance(anchor, negative, p, eps)
    if swap:
        dist_neg = E.minimum(dist_neg, pairwise_distance(positive, negative, p, eps))
    return reduce_loss(E.clamp(E.add(E.sub(dist_pos, dist_neg), margin), min=0), reduction)

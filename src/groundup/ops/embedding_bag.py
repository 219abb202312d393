"""embedding_bag: look up a bag of rows and reduce it (sum, mean or max) in one op.

A batch of bags is given flat: indices (M,) and offsets (B,), bag b being
indices[offsets[b] : offsets[b + 1]] (the last one runs to the end; with
include_last_offset=True offsets has B + 1 entries and the last closes the last bag). A
2-D input (B, N) is B bags of N indices. Entries equal to padding_idx are left out (a mean
does not count them) and an empty bag gives zeros.

    sum   y_b = sum_m w_m W[i_m]          (per_sample_weights w_m, default 1)
    mean  y_b = sum_m W[i_m] / n_b        (n_b the bag's entries that are not padding)
    max   y_b[d] = max_m W[i_m, d]        (per dimension; ties go to the first entry)

Backward adds dy_b (times w_m, or / n_b) into row i_m of dW for each entry; max sends each
dy_b[d] to the row that won dimension d; and d w_m = dy_b . W[i_m].
"""

from __future__ import annotations

from typing import Any

import numpy as np

from groundup.function import Function
from groundup.tensor import Tensor, no_grad

MODES = ("sum", "mean", "max")


class EmbeddingBag(Function):
    """weight (V, D) and optional per-sample weights (M,) -> (B, D)."""

    def saved_inputs(self) -> tuple[int, ...]:
        return (0,) if self.parents[1] is not None else ()  # d w_m reads W

    def forward(
        self,
        weight: np.ndarray,
        sample_weights: np.ndarray | None,
        *,
        indices: np.ndarray,
        bags: np.ndarray,
        num_bags: int,
        mode: str,
    ) -> np.ndarray:
        # bags (M,): the bag of each entry, -1 for entries that do not count (padding)
        self.mode, self.shape, self.size = mode, weight.shape, len(indices)
        self.kept = np.flatnonzero(bags >= 0)  # (K,) entry numbers, bag order
        self.rows, self.bags = indices[self.kept], bags[self.kept]  # (K,) each
        self.weight = weight
        looked_up = weight[self.rows]  # (K, D)
        out = np.zeros((num_bags, weight.shape[1]), dtype=weight.dtype)
        if mode == "max":
            return self._max(looked_up, out)
        self.scale = np.ones(len(self.rows), weight.dtype)  # d y_b / d W[i_m] per entry
        if sample_weights is not None:
            self.scale = sample_weights[self.kept]
            looked_up = looked_up * self.scale[:, None]
        np.add.at(out, self.bags, looked_up)  # entry by entry, in order, as torch sums
        if mode == "mean":
            count = np.bincount(self.bags, minlength=num_bags)  # n_b
            out /= np.maximum(count, 1)[:, None].astype(weight.dtype)
            self.scale = (1 / count[self.bags]).astype(weight.dtype)
        return out

    def _max(self, looked_up: np.ndarray, out: np.ndarray) -> np.ndarray:
        if self.rows.size == 0:
            self.winner = np.zeros((0, out.shape[1]), np.int64)
            return out
        bags = self.bags
        starts = np.flatnonzero(np.r_[True, bags[1:] != bags[:-1]])  # first entry of each bag
        best = np.maximum.reduceat(looked_up, starts, axis=0)  # (non-empty bags, D)
        lengths = np.diff(np.r_[starts, len(bags)])
        reached = looked_up == np.repeat(best, lengths, axis=0)  # (K, D)
        entry = np.where(reached, np.arange(len(bags))[:, None], len(bags))
        first = np.minimum.reduceat(entry, starts, axis=0)  # first entry at the max
        self.winner = self.rows[first]  # (non-empty bags, D): the row that won
        self.filled = bags[starts]
        out[self.filled] = best
        return out

    def backward(self, grad: np.ndarray) -> tuple[Any, Any]:
        dw = np.zeros(self.shape, dtype=grad.dtype)
        if self.mode == "max":
            dims = np.broadcast_to(np.arange(self.shape[1]), self.winner.shape)
            np.add.at(dw, (self.winner, dims), grad[self.filled])
            return dw, None
        g = grad[self.bags]  # (K, D): dy of each entry's bag
        np.add.at(dw, self.rows, g * self.scale[:, None])
        dsw = None
        if self.parents[1] is not None:
            dsw = np.zeros(self.size, dtype=grad.dtype)  # padding entries get 0
            dsw[self.kept] = (g * self.weight[self.rows]).sum(axis=1)
        return dw, dsw


def _index_array(t: Any, what: str) -> np.ndarray:
    a = t._data if isinstance(t, Tensor) else np.asarray(t)
    if a.dtype.kind not in "iu":
        raise RuntimeError(
            f"embedding_bag: expected {what} to be an integer (int64 or int32) tensor, got "
            f"dtype {a.dtype}"
        )
    return a.astype(np.int64, copy=False)


def _renorm(weight: Tensor, rows: np.ndarray, max_norm: float, norm_type: float) -> None:
    """torch's embedding_renorm_: rows with norm > max_norm scaled to max_norm, in place."""
    rows = np.unique(rows)
    with no_grad():
        picked = weight._data[rows]
        norms = np.linalg.norm(picked, ord=norm_type, axis=1, keepdims=True)
        scale = np.where(norms > max_norm, max_norm / (norms + 1e-7), 1)
        weight._data[rows] = picked * scale.astype(picked.dtype)
    weight._vc.value += 1


def embedding_bag(
    input: Any,  # noqa: A002 - torch's names
    weight: Tensor,
    offsets: Any = None,
    max_norm: float | None = None,
    norm_type: float = 2,
    scale_grad_by_freq: bool = False,
    mode: str = "mean",
    sparse: bool = False,
    per_sample_weights: Tensor | None = None,
    include_last_offset: bool = False,
    padding_idx: int | None = None,
) -> Tensor:
    """Sum, mean or max of the rows of `weight` named by each bag of `input`: (B, D).

    input (M,) with offsets (B,) (the start of each bag), or (B, N) for B bags of N."""
    idx = _index_array(input, "indices")
    if per_sample_weights is not None and per_sample_weights.shape != idx.shape:
        raise ValueError(
            f"embedding_bag: If per_sample_weights ({per_sample_weights.shape}) is not None, "
            f"then it must have the same shape as the input ({idx.shape})"
        )
    if weight.ndim != 2:
        raise ValueError(f"weight has to be a 2D Tensor, but got Tensor of dimension {weight.ndim}")
    if idx.ndim == 2:
        if offsets is not None:
            raise ValueError(
                "if input is 2D, then offsets has to be None, as input is treated is a "
                f"mini-batch of fixed length sequences. However, found offsets of type "
                f"{type(offsets).__name__}"
            )
        starts, include_last_offset = np.arange(0, idx.size, max(idx.shape[1], 1)), False
        if idx.shape[1] == 0:
            starts = np.zeros(idx.shape[0], np.int64)
        idx = idx.reshape(-1)
    elif idx.ndim == 1:
        if offsets is None:
            raise ValueError("offsets has to be a 1D Tensor but got None")
        starts = _index_array(offsets, "offsets")
        if starts.ndim != 1:
            raise ValueError("offsets has to be a 1D Tensor")
    else:
        raise ValueError(f"input has to be 1D or 2D Tensor, but got Tensor of dimension {idx.ndim}")
    if mode not in MODES:
        raise ValueError("mode has to be one of sum, mean or max")
    if mode == "max" and scale_grad_by_freq:
        raise ValueError("max mode does not support scaling the gradient by the frequency")
    if mode == "max" and sparse:
        raise ValueError("max mode does not support sparse weights")
    if scale_grad_by_freq or sparse:
        raise NotImplementedError("embedding_bag: scale_grad_by_freq and sparse are not supported")
    if per_sample_weights is not None and mode != "sum":
        raise NotImplementedError(
            "embedding_bag: per_sample_weights was not None. per_sample_weights is only "
            f"supported for mode='sum' (got mode='{mode}')."
        )
    if per_sample_weights is not None and per_sample_weights.dtype != weight.dtype:
        raise RuntimeError(
            f"embedding_bag: per_sample_weights has dtype {per_sample_weights.dtype} but the "
            f"weight has dtype {weight.dtype}; they must be the same"
        )
    num = weight.shape[0]
    bad = idx[(idx < 0) | (idx >= num)]
    if bad.size:
        position = int(np.flatnonzero((idx < 0) | (idx >= num))[0])
        raise RuntimeError(
            f"Index {position} of input takes value {bad[0]} which is not in the valid range "
            f"[0, {num})"
        )
    if starts.size and starts[0] != 0:
        raise RuntimeError(
            "offsets[0] has to be 0, i.e., the first sequence in the mini-batch has to start "
            f"from position 0. However, got {starts[0]}"
        )
    if starts.size and starts[-1] > idx.size:
        raise RuntimeError(
            f"offsets[-1] can not be greater than input's length {idx.size} but got "
            f"offsets[-1] of {starts[-1]}"
        )
    if np.any(np.diff(starts) < 0):
        raise RuntimeError(f"embedding_bag: offsets must be non-decreasing, got {starts.tolist()}")
    num_bags = max(len(starts) - 1, 0) if include_last_offset else len(starts)
    # the bag of every entry: the last start at or before it (-1 when it counts in none)
    bags = np.searchsorted(starts, np.arange(idx.size), side="right") - 1
    bags[bags >= num_bags] = -1  # past the closing offset
    if padding_idx is not None:
        if not -num <= padding_idx < num:
            raise ValueError(
                f"embedding_bag: padding_idx {padding_idx} is out of range for {num} rows"
            )
        bags[idx == padding_idx % num] = -1
    if max_norm is not None:
        _renorm(weight, idx, max_norm, norm_type)
    return EmbeddingBag.apply(
        weight, per_sample_weights, indices=idx, bags=bags, num_bags=num_bags, mode=mode
    )


__all__ = ["EmbeddingBag", "embedding_bag"]

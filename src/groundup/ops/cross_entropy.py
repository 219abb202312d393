"""Cross-entropy and NLL over class dimension 1, each one fused op.

Cross-entropy over C classes with target distribution q (one-hot, smoothed, weighted, or
given as probabilities) is  loss = -sum_c q_c log softmax(x)_c,  and its gradient is
d loss / dx = a * softmax(x) - q  with a = sum_c q_c  (a = 1 for a plain one-hot target):
"softmax minus one-hot". The softmax is computed once, from logits shifted by their row
maximum, so logits of any size give finite losses and gradients.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from groundup.errors import InputDtypeError, InvalidArgumentError
from groundup.function import Function
from groundup.ops.loss import _float_input, _reduce_rows, _same_dtype, resolve_reduction
from groundup.tensor import Tensor


# ---------------------------------------------------------------- layout helpers
def _classes_last(x: np.ndarray) -> np.ndarray:
    """(N, C, d1, ...) -> (N * d1 * ..., C): one row of class scores per prediction.
    An unbatched (C,) input becomes one row."""
    if x.ndim == 1:
        return x[None]
    return np.moveaxis(x, 1, -1).reshape(-1, x.shape[1])


def _classes_back(rows: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """Inverse of `_classes_last`: (M, C) -> `shape` = (N, C, d1, ...)."""
    if len(shape) == 1:
        return rows[0]
    return np.moveaxis(rows.reshape(shape[0], *shape[2:], shape[1]), -1, 1)


def _upstream(grad: np.ndarray, reduction: str, denominator: Any) -> np.ndarray:
    """d total / d loss_i for every row: grad itself ('none'), or one shared scalar."""
    if reduction == "none":
        return grad.reshape(-1)
    return grad / denominator if reduction == "mean" else grad


# ----------------------------------------------------------------- cross-entropy
class CrossEntropy(Function):
    """log_softmax + NLL in one step; target = class indices (int) or probabilities (float).

    Index targets t with class weights w and smoothing eps put, on each non-ignored row,
    q = (1 - eps) w_t onehot(t) + (eps / C) w;  probability targets y give
    q = w ((1 - eps) y + eps / C). 'mean' divides by sum of w_t over non-ignored rows
    (index targets) or by the number of rows (probabilities), as torch does.
    """

    def forward(
        self,
        logits: np.ndarray,
        target: np.ndarray,
        weight: np.ndarray | None,
        *,
        ignore_index: int,
        reduction: str,
        label_smoothing: float,
    ) -> np.ndarray:
        x = _classes_last(logits)  # (M, C)
        n_rows, n_classes = x.shape
        eps = label_smoothing
        w = np.ones(n_classes, x.dtype) if weight is None else weight
        shifted = x - x.max(axis=1, keepdims=True)  # largest entry 0: exp cannot overflow
        e = np.exp(shifted)  # (M, C)
        s = e.sum(axis=1)  # (M,), softmax = e / s
        log_s = np.log(s)  # log softmax = shifted - log_s
        self.soft = target.dtype.kind == "f"
        if self.soft:
            q = w * (_classes_last(target) * (1 - eps) + eps / n_classes)  # (M, C)
            a = q.sum(axis=1)
            losses = a * log_s - (q * shifted).sum(axis=1)  # -sum_c q_c log p_c
            denominator: Any = n_rows
            self.q, self.shifted, self.log_s, self.w = q, shifted, log_s, w
        else:
            t = target.reshape(-1)
            valid = (t != ignore_index).astype(x.dtype, copy=False)  # 0 on ignored rows
            t = np.where(t != ignore_index, t, 0)  # any in-range index for ignored rows
            rows = np.arange(n_rows)
            w_t = w[t] * valid  # (M,) weight of each row's target
            losses = w_t * (log_s - shifted[rows, t])  # -w_t log p_t
            a = w_t
            if eps:
                # the uniform part: -(eps / C) sum_c w_c log p_c
                uniform = valid * (w.sum() * log_s - shifted @ w)
                losses = (1 - eps) * losses + (eps / n_classes) * uniform
                a = (1 - eps) * w_t + (eps / n_classes) * w.sum() * valid
            denominator = w_t.sum()
            self.rows, self.t, self.w_t, self.valid, self.w = rows, t, w_t, valid, w
        self.e, self.s, self.a, self.eps = e, s, a, eps
        self.shape, self.reduction, self.denominator = logits.shape, reduction, denominator
        out_shape = logits.shape[:1] + logits.shape[2:] if logits.ndim > 1 else ()
        return _reduce_rows(losses, reduction, denominator, out_shape).astype(x.dtype, copy=False)

    def backward(self, grad: np.ndarray) -> tuple[Any, Any, None]:
        g = _upstream(grad, self.reduction, self.denominator)  # (M,) or scalar
        g_col = np.reshape(g, (-1, 1))
        n_classes = self.e.shape[1]
        dx = self.e * (g_col * (self.a / self.s)[:, None])  # g a softmax
        dtarget = None
        if self.soft:
            dx -= g_col * self.q  # - g q
            if self.parents[1] is not None:
                # d loss / d y_c = -(1 - eps) w_c log p_c
                log_p = self.shifted - self.log_s[:, None]
                dtarget = _classes_back(-(1 - self.eps) * g_col * self.w * log_p, self.shape)
        else:
            dx[self.rows, self.t] -= (1 - self.eps) * g * self.w_t  # - g (1 - eps) w_t onehot
            if self.eps:
                dx -= (self.eps / n_classes) * (g * self.valid)[:, None] * self.w
        return _classes_back(dx, self.shape), dtarget, None


class NLLLoss(Function):
    """loss_i = -w_t log_prob[i, t]; the gradient is -w_t at the target, 0 elsewhere."""

    def forward(
        self,
        log_prob: np.ndarray,
        target: np.ndarray,
        weight: np.ndarray | None,
        *,
        ignore_index: int,
        reduction: str,
    ) -> np.ndarray:
        x = _classes_last(log_prob)  # (M, C)
        t = target.reshape(-1)
        valid = t != ignore_index
        self.rows, self.t = np.arange(x.shape[0]), np.where(valid, t, 0)
        self.w_t = valid.astype(x.dtype, copy=False) if weight is None else weight[self.t] * valid
        losses = -self.w_t * x[self.rows, self.t]
        self.shape, self.dtype, self.reduction = log_prob.shape, x.dtype, reduction
        self.denominator = self.w_t.sum()
        out_shape = log_prob.shape[:1] + log_prob.shape[2:] if log_prob.ndim > 1 else ()
        return _reduce_rows(losses, reduction, self.denominator, out_shape).astype(
            x.dtype, copy=False
        )

    def backward(self, grad: np.ndarray) -> tuple[Any, None, None]:
        g = _upstream(grad, self.reduction, self.denominator)
        dx = np.zeros((self.rows.size, self.shape[1 if len(self.shape) > 1 else 0]), self.dtype)
        dx[self.rows, self.t] = -g * self.w_t
        return _classes_back(dx, self.shape), None, None


def _check_class_targets(
    op: str, input: Tensor, target: Tensor, weight: Tensor | None, ignore_index: int
) -> bool:
    """Check an (N, C, d1, ...) or (C,) input against its targets; True for probabilities.

    torch's rule: a target of the input's shape holds class probabilities (float); any
    other target holds class indices (integers) of shape (N, d1, ...), or () unbatched.
    """
    _float_input(op, input)
    if input.ndim == 0:
        raise InvalidArgumentError(f"{op}: expected input of shape (N, C, ...) or (C,), got ()")
    n_classes = input.shape[1] if input.ndim > 1 else input.shape[0]
    if weight is not None and weight.shape != (n_classes,):
        raise InvalidArgumentError(
            f"{op}: weight must have shape ({n_classes},), one per class of input "
            f"{input.shape}, got {weight.shape}"
        )
    _same_dtype(op, "weight", weight, input)
    index_shape = input.shape[:1] + input.shape[2:] if input.ndim > 1 else ()
    if target.shape == input.shape and op == "cross_entropy":
        if target.dtype.kind != "f":
            raise InputDtypeError(
                f"{op}: a target of the input's shape {input.shape} holds class probabilities "
                f"and must be floating point, got dtype {target.dtype}; class indices "
                f"have shape {index_shape}"
            )
        _same_dtype(op, "target", target, input)
        if ignore_index >= 0:
            raise ValueError(f"{op}: ignore_index is not supported for probability targets")
        return True
    if target.shape != index_shape:
        also = f" or class probabilities of shape {input.shape}" if op == "cross_entropy" else ""
        raise InvalidArgumentError(
            f"{op}: input of shape {input.shape} needs class indices of shape {index_shape}"
            f"{also}, got target of shape {target.shape}"
        )
    if target.dtype not in (np.int64, np.uint8):  # torch's index types: Long and Byte
        raise InputDtypeError(
            f"{op}: class-index targets must be integers, got dtype {target.dtype} "
            f"(for input {input.shape} and target {target.shape}); torch takes int64 (or "
            "uint8) class indices: convert them (target.long())"
        )
    t = target._data
    bad = t[(t != ignore_index) & ((t < 0) | (t >= n_classes))]
    if bad.size:
        raise IndexError(
            f"{op}: target {bad.flat[0]} is out of bounds for {n_classes} classes "
            f"(valid: 0 to {n_classes - 1}, or ignore_index={ignore_index})"
        )
    return False


def cross_entropy(
    input: Tensor,
    target: Tensor,
    weight: Tensor | None = None,
    size_average: bool | None = None,
    ignore_index: int = -100,
    reduce: bool | None = None,
    reduction: str = "mean",
    label_smoothing: float = 0.0,
) -> Tensor:
    """Cross-entropy between logits `input` (N, C, d1, ...) and class indices (N, d1, ...)
    or class probabilities (N, C, d1, ...); one fused op with gradient softmax - target."""
    reduction = resolve_reduction("cross_entropy", size_average, reduce, reduction)
    target = target if isinstance(target, Tensor) else Tensor(target)
    if not 0.0 <= label_smoothing <= 1.0:
        raise InvalidArgumentError(
            f"cross_entropy: label_smoothing must be in [0, 1], got {label_smoothing}"
        )
    _check_class_targets("cross_entropy", input, target, weight, ignore_index)
    return CrossEntropy.apply(
        input,
        target,
        weight,
        ignore_index=int(ignore_index),
        reduction=reduction,
        label_smoothing=float(label_smoothing),
    )


def nll_loss(
    input: Tensor,
    target: Tensor,
    weight: Tensor | None = None,
    size_average: bool | None = None,
    ignore_index: int = -100,
    reduce: bool | None = None,
    reduction: str = "mean",
) -> Tensor:
    """Negative log-likelihood of class indices given log-probabilities (N, C, d1, ...)."""
    reduction = resolve_reduction("nll_loss", size_average, reduce, reduction)
    target = target if isinstance(target, Tensor) else Tensor(target)
    _check_class_targets("nll_loss", input, target, weight, ignore_index)
    return NLLLoss.apply(input, target, weight, ignore_index=int(ignore_index), reduction=reduction)

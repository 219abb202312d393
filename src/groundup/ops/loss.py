"""Losses shared helpers, binary cross-entropy (plain and from logits, both fused), and
MSE / L1 (composed from checked primitives). Every loss takes torch's `reduction`:
'mean' (default), 'sum' or 'none'. Cross-entropy and NLL live in `ops.cross_entropy`.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from groundup._lazy import special
from groundup.errors import InputDtypeError, InvalidArgumentError, UnsupportedDtypeError
from groundup.function import Function
from groundup.ops import elementwise as E
from groundup.ops import reduce as R
from groundup.tensor import Tensor

_REDUCTIONS = ("mean", "sum", "none")


# ---------------------------------------------------------------- shared helpers
def resolve_reduction(
    op: str, size_average: bool | None, reduce: bool | None, reduction: str
) -> str:
    """Validate `reduction`; map torch's deprecated size_average/reduce flags onto it."""
    if size_average is not None or reduce is not None:
        reduction = "none" if reduce is False else ("sum" if size_average is False else "mean")
        warnings.warn(
            f"{op}: size_average and reduce are deprecated, use reduction={reduction!r}",
            DeprecationWarning,
            stacklevel=3,
        )
    if reduction not in _REDUCTIONS:
        raise ValueError(f"{op}: reduction must be one of {_REDUCTIONS}, got {reduction!r}")
    return reduction


def _float_input(op: str, x: Tensor) -> None:
    if x.dtype.kind != "f":
        raise UnsupportedDtypeError(f"{op}: expected a floating-point input, got dtype {x.dtype}")


def _same_dtype(op: str, name: str, t: Tensor | None, x: Tensor) -> None:
    if t is not None and t.dtype != x.dtype:
        raise InputDtypeError(
            f"{op}: {name} has dtype {t.dtype} but the input has dtype {x.dtype}; "
            f"cast one of them (.to({x.dtype}))"
        )


def _reduce_rows(
    losses: np.ndarray, reduction: str, denominator: Any, shape: tuple[int, ...]
) -> np.ndarray:
    if reduction == "none":
        return losses.reshape(shape)
    total = losses.sum()
    if reduction == "sum":
        return np.asarray(total)
    with np.errstate(invalid="ignore", divide="ignore"):  # every target ignored: 0/0 = nan
        return np.asarray(total / denominator)


# ------------------------------------------------------------------ binary losses
class BinaryCrossEntropy(Function):
    """loss = -w (y log x + (1 - y) log(1 - x)), each log clamped at -100 like torch's.

    dx = w (x - y) / max(x (1 - x), 1e-12);  dy = w log((1 - x) / x) (unclamped, as torch).
    """

    def forward(
        self, x: np.ndarray, y: np.ndarray, weight: np.ndarray | None, *, reduction: str
    ) -> np.ndarray:
        with np.errstate(divide="ignore"):
            log_x = np.maximum(np.log(x), -100)
            log_1mx = np.maximum(np.log1p(-x), -100)
        losses = (y - 1) * log_1mx - y * log_x
        if weight is not None:
            losses = losses * weight
        self.x, self.y, self.weight, self.reduction = x, y, weight, reduction
        return _reduce_rows(losses, reduction, x.size, x.shape).astype(x.dtype, copy=False)

    def backward(self, grad: np.ndarray) -> tuple[Any, Any, None]:
        x, y = self.x, self.y
        g = grad / x.size if self.reduction == "mean" else grad
        if self.weight is not None:
            g = g * self.weight
        # torch's floor is the float32 number nearest 1e-12, in every dtype
        dx = g * (x - y) / np.maximum(x * (1 - x), np.asarray(np.float32(1e-12), x.dtype))
        dy = None
        if self.parents[1] is not None:
            with np.errstate(divide="ignore"):
                dy = g * (np.log1p(-x) - np.log(x))
        return dx, dy, None


class BinaryCrossEntropyWithLogits(Function):
    """BCE of sigmoid(x), fused and stable: with l = 1 + (pos_weight - 1) y,

    loss = w ((1 - y) x - l log sigmoid(x)),  log sigmoid(x) = -log(1 + e^-x) computed without
    overflow;  dx = w (l sigmoid(x) - pos_weight y)  (= w (sigmoid(x) - y) for pos_weight 1);
    dy = w (-x - (pos_weight - 1) log sigmoid(x)).
    """

    def forward(
        self,
        x: np.ndarray,
        y: np.ndarray,
        weight: np.ndarray | None,
        pos_weight: np.ndarray | None,
        *,
        reduction: str,
    ) -> np.ndarray:
        self.log_sig = special.log_expit(x)
        self.lw = 1 if pos_weight is None else 1 + (pos_weight - 1) * y
        losses = (1 - y) * x - self.lw * self.log_sig
        if weight is not None:
            losses = losses * weight
        self.x, self.y, self.weight, self.pos_weight = x, y, weight, pos_weight
        self.reduction = reduction
        return _reduce_rows(losses, reduction, x.size, x.shape).astype(x.dtype, copy=False)

    def backward(self, grad: np.ndarray) -> tuple[Any, Any, None, None]:
        x, y, pw = self.x, self.y, self.pos_weight
        g = grad / x.size if self.reduction == "mean" else grad
        if self.weight is not None:
            g = g * self.weight
        pos = y if pw is None else pw * y
        dx = g * (self.lw * special.expit(x) - pos)
        dy = None
        if self.parents[1] is not None:
            dy = g * (-x if pw is None else -x - (pw - 1) * self.log_sig)
        return dx, dy, None, None


# ------------------------------------------------------------------ functional API
def _check_binary(op: str, input: Tensor, target: Tensor, extras: dict[str, Tensor | None]) -> None:
    _float_input(op, input)
    if target.shape != input.shape:
        raise ValueError(f"{op}: target shape {target.shape} must equal input shape {input.shape}")
    _same_dtype(op, "target", target, input)
    for name, t in extras.items():
        if t is None:
            continue
        _same_dtype(op, name, t, input)
        try:
            fits = np.broadcast_shapes(t.shape, input.shape) == input.shape
        except ValueError:
            fits = False
        if not fits:
            raise InvalidArgumentError(
                f"{op}: {name} of shape {t.shape} must broadcast to the input's {input.shape}"
            )


def binary_cross_entropy(
    input: Tensor,
    target: Tensor,
    weight: Tensor | None = None,
    size_average: bool | None = None,
    reduce: bool | None = None,
    reduction: str = "mean",
) -> Tensor:
    """BCE between probabilities `input` in [0, 1] and targets of the same shape."""
    reduction = resolve_reduction("binary_cross_entropy", size_average, reduce, reduction)
    _check_binary("binary_cross_entropy", input, target, {"weight": weight})
    x = input._data
    if not np.all((x >= 0) & (x <= 1)):
        raise InvalidArgumentError(
            f"binary_cross_entropy: every input must be a probability in [0, 1], found values "
            f"in [{np.nanmin(x)}, {np.nanmax(x)}]{' and nan' if np.isnan(x).any() else ''}; "
            f"pass logits to binary_cross_entropy_with_logits instead"
        )
    return BinaryCrossEntropy.apply(input, target, weight, reduction=reduction)


def binary_cross_entropy_with_logits(
    input: Tensor,
    target: Tensor,
    weight: Tensor | None = None,
    size_average: bool | None = None,
    reduce: bool | None = None,
    reduction: str = "mean",
    pos_weight: Tensor | None = None,
) -> Tensor:
    """BCE of sigmoid(input) in one stable op; `pos_weight` scales the positive term
    (per class, broadcast along the last dim) to counter class imbalance."""
    op = "binary_cross_entropy_with_logits"
    reduction = resolve_reduction(op, size_average, reduce, reduction)
    _check_binary(op, input, target, {"weight": weight, "pos_weight": pos_weight})
    return BinaryCrossEntropyWithLogits.apply(
        input, target, weight, pos_weight, reduction=reduction
    )


def _pointwise_loss(
    op: str, errors: Tensor, input: Tensor, weight: Tensor | None, reduction: str
) -> Tensor:
    """Reduce elementwise errors; a `weight` makes 'mean' the weighted mean sum(w e)/sum(w)."""
    if weight is not None:
        if weight.shape != input.shape:
            raise ValueError(
                f"{op}: weight of shape {weight.shape} must have the input's shape {input.shape}"
            )
        errors = errors * weight
        if reduction == "mean":
            return R.sum(errors) / R.sum(weight)
    if reduction == "none":
        return errors
    return R.sum(errors) if reduction == "sum" else R.mean(errors)


def _difference(op: str, input: Tensor, target: Tensor) -> Tensor:
    _float_input(op, input)
    if target.shape != input.shape:
        warnings.warn(
            f"{op}: target shape {target.shape} differs from input shape {input.shape}; "
            "they will be broadcast, which is rarely intended",
            UserWarning,
            stacklevel=3,
        )
    return E.sub(input, target)


def mse_loss(
    input: Tensor,
    target: Tensor,
    size_average: bool | None = None,
    reduce: bool | None = None,
    reduction: str = "mean",
    weight: Tensor | None = None,
) -> Tensor:
    """Mean squared error (input - target)^2, reduced."""
    reduction = resolve_reduction("mse_loss", size_average, reduce, reduction)
    diff = _difference("mse_loss", input, target)
    return _pointwise_loss("mse_loss", diff * diff, input, weight, reduction)


def l1_loss(
    input: Tensor,
    target: Tensor,
    size_average: bool | None = None,
    reduce: bool | None = None,
    reduction: str = "mean",
    weight: Tensor | None = None,
) -> Tensor:
    """Mean absolute error |input - target|, reduced (its gradient at 0 is 0, as torch's)."""
    reduction = resolve_reduction("l1_loss", size_average, reduce, reduction)
    diff = _difference("l1_loss", input, target)
    return _pointwise_loss("l1_loss", E.abs(diff), input, weight, reduction)

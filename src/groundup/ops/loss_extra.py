"""More losses: smooth L1 and Huber (robust regression), KL divergence, soft margin,
Poisson and Gaussian negative log-likelihoods.

Smooth L1, Huber, KL divergence and soft margin are fused elementwise Functions followed by
the reduction; the two NLLs are composed from ops, as torch composes them (so gradients at
awkward points, e.g. a target of 0, are torch's).
"""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np

from groundup._lazy import special
from groundup.function import Function
from groundup.ops import elementwise as E
from groundup.ops import reduce as R
from groundup.ops.loss import _difference, _float_input, resolve_reduction
from groundup.ops.numeric import broadcast_shape
from groundup.tensor import Tensor, no_grad


def check_broadcast(op: str, *tensors: Tensor) -> None:
    """torch's RuntimeError, naming the loss, when the shapes of `tensors` do not broadcast."""
    try:
        broadcast_shape(*tensors)
    except RuntimeError as error:
        raise RuntimeError(f"{op}: {error}") from None


def reduce_loss(losses: Tensor, reduction: str) -> Tensor:
    """torch's apply_loss_reduction: the mean, the sum, or the elementwise losses."""
    if reduction == "none":
        return losses
    return R.sum(losses) if reduction == "sum" else R.mean(losses)


class SmoothL1(Function):
    """Elementwise on d = input - target, quadratic for |d| < beta and linear beyond:

    smooth_l1: 0.5 d^2 / beta  or  |d| - 0.5 beta;   gradient clip(d / beta, -1, 1)
    huber:     0.5 d^2         or  beta (|d| - 0.5 beta);  gradient clip(d, -beta, beta)
    """

    saves = (0,)

    def forward(self, d: np.ndarray, beta: float, huber: bool) -> np.ndarray:
        self.d, self.beta, self.huber = d, beta, huber
        a = np.abs(d)
        if huber:
            return np.where(a < beta, 0.5 * d * d, beta * (a - 0.5 * beta))
        return np.where(a < beta, 0.5 * d * d / beta, a - 0.5 * beta)

    def backward(self, grad: np.ndarray) -> tuple[Any, None, None]:
        if self.huber:
            return grad * np.clip(self.d, -self.beta, self.beta), None, None
        return grad * np.clip(self.d / self.beta, -1, 1), None, None


def smooth_l1_loss(
    input: Tensor,  # noqa: A002 - torch's names
    target: Tensor,
    size_average: bool | None = None,
    reduce: bool | None = None,
    reduction: str = "mean",
    beta: float = 1.0,
) -> Tensor:
    """0.5 d^2 / beta where |d| < beta, else |d| - 0.5 beta, with d = input - target;
    beta = 0 is the L1 loss."""
    reduction = resolve_reduction("smooth_l1_loss", size_average, reduce, reduction)
    if beta < 0:
        raise RuntimeError(f"smooth_l1_loss does not support negative values for beta, got {beta}")
    d = _difference("smooth_l1_loss", input, target)
    losses = E.abs(d) if beta == 0 else SmoothL1.apply(d, float(beta), False)
    return reduce_loss(losses, reduction)


def huber_loss(
    input: Tensor,  # noqa: A002
    target: Tensor,
    reduction: str = "mean",
    delta: float = 1.0,
    weight: Tensor | None = None,
) -> Tensor:
    """0.5 d^2 where |d| < delta, else delta (|d| - 0.5 delta) (Huber, 1964); `weight`
    scales each element, and 'mean' is then the plain mean of the weighted losses."""
    reduction = resolve_reduction("huber_loss", None, None, reduction)
    if delta <= 0:
        raise RuntimeError(
            f"huber_loss does not support non-positive values for delta, got {delta}"
        )
    losses = SmoothL1.apply(_difference("huber_loss", input, target), float(delta), True)
    if weight is not None:
        if weight.shape != input.shape:
            raise ValueError(
                f"huber_loss: weights and input must have the same size, got {weight.shape} "
                f"and {input.shape}"
            )
        losses = E.mul(losses, weight)
    return reduce_loss(losses, reduction)


class KLDiv(Function):
    """Pointwise KL divergence of a target distribution from log-probabilities x:

    log_target=False: t log t - t x  (0 where t = 0);  dx = -t,  dt = log t + 1 - x
    log_target=True (target given as log t): e^t (t - x);  dx = -e^t,  dt = e^t (t - x + 1)

    As torch's xlogy, dt is nan where t = 0 (t/t) in the first form.
    """

    def saved_inputs(self) -> tuple[int, ...]:
        return (0, 1) if self.parents[1] is not None else (1,)  # x only for the target's grad

    def forward(self, x: np.ndarray, t: np.ndarray, log_target: bool) -> np.ndarray:
        self.x, self.t, self.log_target = x, t, log_target
        if log_target:
            return np.exp(t) * (t - x)
        return special.xlogy(t, t) - t * x

    def backward(self, grad: np.ndarray) -> tuple[Any, Any, None]:
        x, t = self.x, self.t
        if self.log_target:
            e = np.exp(t)
            dx = -grad * e
            dt = grad * e * (t - x + 1) if self.parents[1] is not None else None
            return dx, dt, None
        dt = None
        if self.parents[1] is not None:
            with np.errstate(divide="ignore", invalid="ignore"):  # torch's xlogy gradient
                dt = grad * (special.xlogy(t != 0, t) + t / t - x)
        return -grad * t, dt, None


def kl_div(
    input: Tensor,  # noqa: A002
    target: Tensor,
    size_average: bool | None = None,
    reduce: bool | None = None,
    reduction: str = "mean",
    log_target: bool = False,
) -> Tensor:
    """KL(target || exp(input)) pointwise, `input` holding log-probabilities; 'batchmean'
    (sum / batch size) is the true KL divergence per sample, 'mean' averages elements."""
    if size_average is not None or reduce is not None:
        reduction = resolve_reduction("kl_div", size_average, reduce, "mean")
    elif reduction not in ("none", "mean", "sum", "batchmean"):
        raise ValueError(
            f"kl_div: reduction must be one of ('none', 'mean', 'sum', 'batchmean'), got "
            f"{reduction!r}"
        )
    elif reduction == "mean":
        warnings.warn(
            "kl_div: reduction 'mean' divides the total loss by both the batch size and the "
            "support size; 'batchmean' divides only by the batch size, and aligns with the KL "
            "div math definition. 'mean' will be changed to behave the same as 'batchmean' in "
            "the next major release.",
            UserWarning,
            stacklevel=2,
        )
    if input.dtype.kind != "f" or target.dtype.kind != "f":
        raise RuntimeError(
            f"kl_div: integral inputs not supported, got {input.dtype} input and "
            f"{target.dtype} target"
        )
    check_broadcast("kl_div", input, target)
    dtype = E.result_dtype(input, target)
    losses = KLDiv.apply(E.cast(input, dtype), E.cast(target, dtype), bool(log_target))
    if reduction == "batchmean":
        total = R.sum(losses)
        return E.div(total, input.shape[0]) if input.ndim else total
    return reduce_loss(losses, reduction)


class SoftMargin(Function):
    """log(1 + exp(-y x)) for labels y = +-1;  dx = -y z / (1 + z) with z = exp(-y x).

    Computed as torch computes it, so it overflows as torch's does (inf, and a nan gradient,
    once -y x > 88 in float32); binary_cross_entropy_with_logits is the stable form.
    """

    saves = (1,)

    def forward(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        self.y = y
        with np.errstate(over="ignore"):
            self.z = np.exp(-y * x)
        return np.log1p(self.z)

    def backward(self, grad: np.ndarray) -> tuple[Any, None]:
        with np.errstate(invalid="ignore"):  # inf / inf, as in torch
            return -grad * self.y * self.z / (1 + self.z), None


def soft_margin_loss(
    input: Tensor,  # noqa: A002
    target: Tensor,
    size_average: bool | None = None,
    reduce: bool | None = None,
    reduction: str = "mean",
) -> Tensor:
    """Two-class logistic loss log(1 + exp(-target * input)), targets +1 or -1."""
    reduction = resolve_reduction("soft_margin_loss", size_average, reduce, reduction)
    _float_input("soft_margin_loss", input)
    if target.requires_grad:
        raise RuntimeError(
            "soft_margin_loss: the function is not differentiable with respect to argument "
            "'target'; pass target.detach()"
        )
    try:
        fits = np.broadcast_shapes(input.shape, target.shape) == input.shape
    except ValueError:
        fits = False
    if not fits:
        raise RuntimeError(
            f"soft_margin_loss: target of shape {target.shape} must broadcast to the input's "
            f"shape {input.shape}"
        )
    dtype = E.result_dtype(input, target)
    return reduce_loss(SoftMargin.apply(E.cast(input, dtype), E.cast(target, dtype)), reduction)


def poisson_nll_loss(
    input: Tensor,  # noqa: A002
    target: Tensor,
    log_input: bool = True,
    full: bool = False,
    size_average: bool | None = None,
    eps: float = 1e-8,
    reduce: bool | None = None,
    reduction: str = "mean",
) -> Tensor:
    """NLL of a Poisson target with rate exp(input) (log_input) or input:
    exp(input) - target input, or input - target log(input + eps); `full` adds Stirling's
    approximation of log(target!) where target > 1."""
    reduction = resolve_reduction("poisson_nll_loss", size_average, reduce, reduction)
    if log_input:
        loss = E.sub(E.exp(input), E.mul(target, input))
    else:
        loss = E.sub(input, E.mul(target, E.log(E.add(input, eps))))
    if full:
        with np.errstate(divide="ignore", invalid="ignore"):  # masked out below
            stirling = E.add(
                E.sub(E.mul(target, E.log(target)), target),
                E.mul(0.5, E.log(E.mul(2 * math.pi, target))),
            )
        loss = E.add(loss, E.masked_fill(stirling, target._data <= 1, 0))
    return reduce_loss(loss, reduction)


def _gaussian_var(input: Tensor, var: Tensor | float) -> Tensor:
    """var as a tensor that broadcasts to input (torch's homoscedastic shapes)."""
    if isinstance(var, (int, float)):
        if var < 0:
            raise ValueError("gaussian_nll_loss: var has negative entry/entries")
        return E.mul(Tensor._make(np.ones_like(input._data), False), float(var))
    if np.any(var._data < 0):
        raise ValueError("gaussian_nll_loss: var has negative entry/entries")
    if var.shape == input.shape:
        return var
    if input.shape[:-1] == var.shape:  # one variance per sample: (N, D) input, (N,) var
        return var.unsqueeze(-1)
    if (
        input.ndim == var.ndim
        and sum(v for i, v in zip(input.shape, var.shape, strict=True) if i != v) == 1
    ):  # one dim of size 1, broadcast
        return var
    raise ValueError(
        f"gaussian_nll_loss: var is of incorrect size {var.shape} for input {input.shape}"
    )


def gaussian_nll_loss(
    input: Tensor,  # noqa: A002
    target: Tensor,
    var: Tensor | float,
    full: bool = False,
    eps: float = 1e-6,
    reduction: str = "mean",
) -> Tensor:
    """0.5 (log var + (input - target)^2 / var) (+ 0.5 log 2 pi if `full`): the NLL of the
    target under N(input, var). var is clamped at eps, invisibly to autograd (as torch)."""
    v = _gaussian_var(input, var)
    if reduction not in ("none", "mean", "sum"):
        raise ValueError(f"gaussian_nll_loss: {reduction!r} is not a valid reduction")
    v = E.clone(v)
    with no_grad():
        v.clamp_(min=eps)  # changes the values only: the gradient still flows to var
    diff = E.sub(input, target)
    loss = E.mul(0.5, E.add(E.log(v), E.div(E.mul(diff, diff), v)))
    if full:
        loss = E.add(loss, 0.5 * math.log(2 * math.pi))
    return reduce_loss(loss, reduction)

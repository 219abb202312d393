"""Adam (Kingma & Ba, 2015), its AMSGrad variant, and AdamW (decoupled weight decay)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from groundup.optim.optimizer import (
    Optimizer,
    ParamsT,
    check_betas,
    check_nonnegative,
    regularized_grad,
)
from groundup.tensor import Tensor


class Adam(Optimizer):
    """Adam, PyTorch's update term for term.

    With g the gradient (negated if `maximize`), t the step count (from 1) and λ
    `weight_decay`, one step is:

        θ ← θ (1 - lr λ)                 (decoupled_weight_decay, i.e. AdamW)
        g ← g + λ θ                      (otherwise, if λ != 0: L2 penalty in the gradient)
        m ← β1 m + (1 - β1) g            (state 'exp_avg')
        v ← β2 v + (1 - β2) g²           (state 'exp_avg_sq')
        v_max ← max(v_max, v); use it as v  (amsgrad; state 'max_exp_avg_sq')
        θ ← θ - lr / (1 - β1^t) · m / (√v / √(1 - β2^t) + ε)

    That is the paper's m̂ / (√v̂ + ε) with m̂ = m / (1 - β1^t), v̂ = v / (1 - β2^t): ε is
    added after the bias correction. The paper's "efficient" rewrite
    lr √(1 - β2^t) / (1 - β1^t) · m / (√v + ε) puts ε before it and differs slightly.
    """

    def __init__(
        self,
        params: ParamsT,
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0,
        amsgrad: bool = False,
        *,
        maximize: bool = False,
        decoupled_weight_decay: bool = False,
    ) -> None:
        check_nonnegative("learning rate", lr)
        check_nonnegative("epsilon value", eps)
        check_betas(betas)
        check_nonnegative("weight_decay value", weight_decay)
        defaults = {
            "lr": lr,
            "betas": tuple(betas),
            "eps": eps,
            "weight_decay": weight_decay,
            "amsgrad": amsgrad,
            "maximize": maximize,
            "decoupled_weight_decay": decoupled_weight_decay,
        }
        super().__init__(params, defaults)

    def _update(self, p: Tensor, grad: np.ndarray, group: dict[str, Any]) -> None:
        param = p._data
        lr, eps, weight_decay = (
            float(group["lr"]),
            float(group["eps"]),
            float(group["weight_decay"]),
        )
        beta1, beta2 = (float(b) for b in group["betas"])
        state = self.state[p]
        if not state:
            state["step"] = 0.0  # a float, as torch keeps it
            state["exp_avg"] = np.zeros_like(param)
            state["exp_avg_sq"] = np.zeros_like(param)
            if group["amsgrad"]:
                state["max_exp_avg_sq"] = np.zeros_like(param)
        state["step"] += 1
        step = state["step"]
        decoupled = group["decoupled_weight_decay"]
        if decoupled and weight_decay != 0:
            param *= 1 - lr * weight_decay  # AdamW: shrink the weights, not the gradient
        grad = regularized_grad(param, grad, group["maximize"], 0.0 if decoupled else weight_decay)

        exp_avg, exp_avg_sq = state["exp_avg"], state["exp_avg_sq"]
        tmp = np.empty_like(param)  # the one scratch array of this step
        np.subtract(grad, exp_avg, out=tmp)
        tmp *= 1 - beta1
        exp_avg += tmp  # m + (1-β1)(g - m) = β1 m + (1-β1) g
        np.multiply(grad, grad, out=tmp)
        tmp *= 1 - beta2
        exp_avg_sq *= beta2
        exp_avg_sq += tmp
        if group["amsgrad"]:
            max_sq = state["max_exp_avg_sq"]
            np.maximum(max_sq, exp_avg_sq, out=max_sq)
            exp_avg_sq = max_sq

        bias_correction1 = 1 - beta1**step
        bias_correction2 = 1 - beta2**step
        denom = np.sqrt(exp_avg_sq, out=tmp)
        denom /= math.sqrt(bias_correction2)
        denom += eps
        update = np.divide(exp_avg, denom, out=tmp)
        update *= lr / bias_correction1
        param -= update


class AdamW(Adam):
    """Adam with decoupled weight decay (Loshchilov & Hutter, 2019): θ ← θ (1 - lr λ)
    before the Adam step, instead of adding λ θ to the gradient where Adam's per-coordinate
    scaling would weaken it. See `Adam` for the full update."""

    def __init__(
        self,
        params: ParamsT,
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 1e-2,
        amsgrad: bool = False,
        *,
        maximize: bool = False,
    ) -> None:
        super().__init__(
            params,
            lr,
            betas,
            eps,
            weight_decay,
            amsgrad,
            maximize=maximize,
            decoupled_weight_decay=True,
        )

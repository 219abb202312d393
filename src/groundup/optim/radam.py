"""RAdam (Liu et al., 2020): Adam with the adaptive step switched on only once the
variance of its second-moment estimate is tractable, and rectified by that variance."""

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


class RAdam(Optimizer):
    """RAdam, PyTorch's update term for term.

    With g the gradient (negated if `maximize`), t the step count (from 1) and λ
    `weight_decay`, one step is:

        θ ← θ (1 - lr λ)                      (decoupled_weight_decay)
        g ← g + λ θ                           (otherwise, if λ != 0)
        m ← β1 m + (1 - β1) g                 (state 'exp_avg')
        v ← β2 v + (1 - β2) g²                (state 'exp_avg_sq')
        ρ∞ = 2 / (1 - β2) - 1;  ρ_t = ρ∞ - 2 t β2^t / (1 - β2^t)   (length of the SMA)
        r_t = √((ρ_t - 4)(ρ_t - 2) ρ∞ / ((ρ∞ - 4)(ρ∞ - 2) ρ_t))    (variance rectification)
        θ ← θ - lr · m / (1 - β1^t) · r_t √(1 - β2^t) / (√v + ε)   (if ρ_t > 5)
        θ ← θ - lr · m / (1 - β1^t)                                (otherwise: SGD with momentum)
    """

    def __init__(
        self,
        params: ParamsT,
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0,
        decoupled_weight_decay: bool = False,
        *,
        maximize: bool = False,
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
            "maximize": maximize,
            "decoupled_weight_decay": decoupled_weight_decay,
        }
        super().__init__(params, defaults)

    def _update(self, p: Tensor, grad: np.ndarray, group: dict[str, Any]) -> None:
        param = p._data
        lr, eps = float(group["lr"]), float(group["eps"])
        weight_decay = float(group["weight_decay"])
        beta1, beta2 = (float(b) for b in group["betas"])
        state = self.state[p]
        if not state:
            state["step"] = 0.0
            state["exp_avg"] = np.zeros_like(param)
            state["exp_avg_sq"] = np.zeros_like(param)
        state["step"] += 1
        step = state["step"]
        decoupled = group["decoupled_weight_decay"]
        if decoupled and weight_decay != 0:
            param *= 1 - lr * weight_decay
        grad = regularized_grad(param, grad, group["maximize"], 0.0 if decoupled else weight_decay)

        exp_avg, exp_avg_sq = state["exp_avg"], state["exp_avg_sq"]
        tmp = np.empty_like(param)
        np.subtract(grad, exp_avg, out=tmp)
        tmp *= 1 - beta1
        exp_avg += tmp  # β1 m + (1-β1) g
        np.multiply(grad, grad, out=tmp)
        tmp *= 1 - beta2
        exp_avg_sq *= beta2
        exp_avg_sq += tmp

        bias_correction1 = 1 - beta1**step
        bias_correction2 = 1 - beta2**step
        update = exp_avg / bias_correction1  # m̂, the bias-corrected first moment
        update *= lr
        rho_inf = 2 / (1 - beta2) - 1
        rho_t = rho_inf - 2 * step * beta2**step / bias_correction2
        if rho_t > 5.0:
            rect = math.sqrt(
                (rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t)
            )
            adaptive = np.sqrt(exp_avg_sq, out=tmp)
            adaptive += eps
            np.divide(math.sqrt(bias_correction2), adaptive, out=adaptive)
            update *= adaptive
            update *= rect
        param -= update

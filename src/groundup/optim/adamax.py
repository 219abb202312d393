"""Adamax (Kingma & Ba, 2015, §7.1): Adam with the second moment's L2 norm replaced by
an exponentially weighted infinity norm."""

from __future__ import annotations

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


class Adamax(Optimizer):
    """Adamax, PyTorch's update term for term.

    With g the gradient (negated if `maximize`), t the step count (from 1) and λ
    `weight_decay`, one step is:

        g ← g + λ θ                          (if λ != 0)
        m ← β1 m + (1 - β1) g                (state 'exp_avg')
        u ← max(β2 u, |g| + ε)               (state 'exp_inf', elementwise)
        θ ← θ - lr / (1 - β1^t) · m / u

    ε sits inside the max, so u > 0 from the first step on and needs no ε in the division.
    """

    def __init__(
        self,
        params: ParamsT,
        lr: float = 2e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0,
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
            state["exp_inf"] = np.zeros_like(param)
        state["step"] += 1
        grad = regularized_grad(param, grad, group["maximize"], weight_decay)

        exp_avg, exp_inf = state["exp_avg"], state["exp_inf"]
        tmp = np.empty_like(param)
        np.subtract(grad, exp_avg, out=tmp)
        tmp *= 1 - beta1
        exp_avg += tmp  # β1 m + (1-β1) g
        np.abs(grad, out=tmp)
        tmp += eps
        exp_inf *= beta2
        np.maximum(exp_inf, tmp, out=exp_inf)

        clr = lr / (1 - beta1 ** state["step"])
        update = np.divide(exp_avg, exp_inf, out=tmp)
        update *= clr
        param -= update

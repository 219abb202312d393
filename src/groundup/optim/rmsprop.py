"""RMSprop (Hinton's lecture 6e): divide the step by a running RMS of recent gradients."""

from __future__ import annotations

from typing import Any

import numpy as np

from groundup.optim.optimizer import Optimizer, ParamsT, check_nonnegative, regularized_grad
from groundup.tensor import Tensor


class RMSprop(Optimizer):
    """RMSprop, PyTorch's update term for term.

    With g the gradient (negated if `maximize`), α `alpha`, λ `weight_decay` and μ
    `momentum`, one step is:

        g ← g + λ θ                              (if λ != 0)
        v ← α v + (1 - α) g²                     (state 'square_avg')
        ḡ ← α ḡ + (1 - α) g                      (centered; state 'grad_avg')
        d = √(v - ḡ²) + ε if centered else √v + ε  (centered: a variance estimate)
        b ← μ b + g / d;  θ ← θ - lr b           (if μ > 0; state 'momentum_buffer', from 0)
        θ ← θ - lr g / d                         (otherwise)
    """

    def __init__(
        self,
        params: ParamsT,
        lr: float = 1e-2,
        alpha: float = 0.99,
        eps: float = 1e-8,
        weight_decay: float = 0,
        momentum: float = 0,
        centered: bool = False,
        *,
        maximize: bool = False,
    ) -> None:
        check_nonnegative("learning rate", lr)
        check_nonnegative("epsilon value", eps)
        check_nonnegative("momentum value", momentum)
        check_nonnegative("weight_decay value", weight_decay)
        check_nonnegative("alpha value", alpha)
        defaults = {
            "lr": lr,
            "momentum": momentum,
            "alpha": alpha,
            "eps": eps,
            "centered": centered,
            "weight_decay": weight_decay,
            "maximize": maximize,
        }
        super().__init__(params, defaults)

    def _update(self, p: Tensor, grad: np.ndarray, group: dict[str, Any]) -> None:
        param = p._data
        lr, alpha, eps = float(group["lr"]), float(group["alpha"]), float(group["eps"])
        weight_decay, momentum = float(group["weight_decay"]), float(group["momentum"])
        state = self.state[p]
        if not state:
            state["step"] = 0.0
            state["square_avg"] = np.zeros_like(param)
            if momentum > 0:
                state["momentum_buffer"] = np.zeros_like(param)
            if group["centered"]:
                state["grad_avg"] = np.zeros_like(param)
        state["step"] += 1
        grad = regularized_grad(param, grad, group["maximize"], weight_decay)

        square_avg = state["square_avg"]
        tmp = np.empty_like(param)  # the one scratch array of this step
        np.multiply(grad, grad, out=tmp)
        tmp *= 1 - alpha
        square_avg *= alpha
        square_avg += tmp
        if group["centered"]:
            grad_avg = state["grad_avg"]
            np.subtract(grad, grad_avg, out=tmp)
            tmp *= 1 - alpha
            grad_avg += tmp  # ḡ + (1-α)(g - ḡ) = α ḡ + (1-α) g
            np.multiply(grad_avg, grad_avg, out=tmp)
            avg = np.sqrt(np.subtract(square_avg, tmp, out=tmp), out=tmp)
        else:
            avg = np.sqrt(square_avg, out=tmp)
        avg += eps

        if momentum > 0:
            buf = state["momentum_buffer"]
            buf *= momentum
            buf += np.divide(grad, avg, out=tmp)
            update = np.multiply(buf, lr, out=tmp)
        else:
            update = np.divide(grad, avg, out=tmp)
            update *= lr
        param -= update

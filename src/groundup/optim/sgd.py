"""SGD: plain, with (Nesterov) momentum, with L2 weight decay."""

from __future__ import annotations

from typing import Any

import numpy as np

from groundup.optim.optimizer import Optimizer, ParamsT, check_nonnegative, regularized_grad
from groundup.tensor import Tensor


class SGD(Optimizer):
    """Stochastic gradient descent, PyTorch's update term for term.

    With g the gradient (negated if `maximize`), lr the learning rate, λ `weight_decay`,
    μ `momentum` and τ `dampening`, one step is:

        g ← g + λ θ                                  (if λ != 0: L2 penalty λ/2 ‖θ‖²)
        b ← g on the first step, else μ b + (1 - τ) g (if μ != 0; state 'momentum_buffer')
        g ← g + μ b if nesterov else b               (if μ != 0)
        θ ← θ - lr g

    The first buffer is the raw gradient, not (1 - τ) g: torch's convention.
    """

    def __init__(
        self,
        params: ParamsT,
        lr: float = 1e-3,
        momentum: float = 0,
        dampening: float = 0,
        weight_decay: float = 0,
        nesterov: bool = False,
        *,
        maximize: bool = False,
    ) -> None:
        check_nonnegative("learning rate", lr)
        check_nonnegative("momentum value", momentum)
        check_nonnegative("weight_decay value", weight_decay)
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError(
                f"Nesterov momentum requires a momentum and zero dampening, "
                f"got momentum={momentum}, dampening={dampening}"
            )
        defaults = {
            "lr": lr,
            "momentum": momentum,
            "dampening": dampening,
            "weight_decay": weight_decay,
            "nesterov": nesterov,
            "maximize": maximize,
        }
        super().__init__(params, defaults)

    def _update(self, p: Tensor, grad: np.ndarray, group: dict[str, Any]) -> None:
        param = p._data
        lr, momentum = float(group["lr"]), float(group["momentum"])
        dampening, weight_decay = float(group["dampening"]), float(group["weight_decay"])
        grad = regularized_grad(param, grad, group["maximize"], weight_decay)
        if momentum != 0:
            state = self.state[p]
            buf = state.get("momentum_buffer")
            if buf is None:
                buf = state["momentum_buffer"] = grad.copy()
            else:
                buf *= momentum
                buf += grad if dampening == 0 else (1 - dampening) * grad
            grad = grad + momentum * buf if group["nesterov"] else buf
        param -= lr * grad

"""Adadelta (Zeiler, 2012): steps scaled by the ratio of the running RMS of past updates
to the running RMS of gradients, so the update has the units of the parameter."""

from __future__ import annotations

from typing import Any

import numpy as np

from groundup.optim.optimizer import Optimizer, ParamsT, check_nonnegative, regularized_grad
from groundup.tensor import Tensor


class Adadelta(Optimizer):
    """Adadelta, PyTorch's update term for term.

    With g the gradient (negated if `maximize`), ρ `rho` and λ `weight_decay`, one step is:

        g ← g + λ θ                          (if λ != 0)
        v ← ρ v + (1 - ρ) g²                 (state 'square_avg')
        Δ = √(u + ε) / √(v + ε) · g          (u: state 'acc_delta', the updates' RMS²)
        u ← ρ u + (1 - ρ) Δ²
        θ ← θ - lr Δ

    The paper has no learning rate (lr = 1, torch's default).
    """

    def __init__(
        self,
        params: ParamsT,
        lr: float = 1.0,
        rho: float = 0.9,
        eps: float = 1e-6,
        weight_decay: float = 0,
        *,
        maximize: bool = False,
    ) -> None:
        check_nonnegative("learning rate", lr)
        if not 0.0 <= rho <= 1.0:
            raise ValueError(f"Invalid rho value: {rho} (must be in [0, 1])")
        check_nonnegative("epsilon value", eps)
        check_nonnegative("weight_decay value", weight_decay)
        defaults = {
            "lr": lr,
            "rho": rho,
            "eps": eps,
            "weight_decay": weight_decay,
            "maximize": maximize,
        }
        super().__init__(params, defaults)

    def _update(self, p: Tensor, grad: np.ndarray, group: dict[str, Any]) -> None:
        param = p._data
        lr, rho, eps = float(group["lr"]), float(group["rho"]), float(group["eps"])
        state = self.state[p]
        if not state:
            state["step"] = 0.0
            state["square_avg"] = np.zeros_like(param)
            state["acc_delta"] = np.zeros_like(param)
        state["step"] += 1
        grad = regularized_grad(param, grad, group["maximize"], float(group["weight_decay"]))

        square_avg, acc_delta = state["square_avg"], state["acc_delta"]
        square_avg *= rho
        square_avg += (1 - rho) * (grad * grad)
        std = np.sqrt(square_avg + eps)
        delta = np.sqrt(acc_delta + eps)  # Δ = √(u + ε) / √(v + ε) · g
        delta /= std
        delta *= grad
        acc_delta *= rho
        acc_delta += (1 - rho) * (delta * delta)
        delta *= lr
        param -= delta

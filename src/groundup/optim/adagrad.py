"""Adagrad (Duchi, Hazan & Singer, 2011): per-coordinate steps shrink with the sum of
squared gradients seen so far."""

from __future__ import annotations

from typing import Any

import numpy as np

from groundup.optim.optimizer import Optimizer, ParamsT, check_nonnegative, regularized_grad
from groundup.tensor import Tensor


class Adagrad(Optimizer):
    """Adagrad, PyTorch's update term for term.

    With g the gradient (negated if `maximize`), t the step count (from 1) and λ
    `weight_decay`, one step is:

        g ← g + λ θ                               (if λ != 0)
        clr = lr / (1 + (t - 1) lr_decay)
        s ← s + g²                                (state 'sum', starts at
                                                   initial_accumulator_value)
        θ ← θ - clr · g / (√s + ε)

    State is created for every parameter up front, as torch does. Unlike torch, a group's
    own `initial_accumulator_value` is honoured (torch uses the constructor's for all).
    """

    def __init__(
        self,
        params: ParamsT,
        lr: float = 1e-2,
        lr_decay: float = 0,
        weight_decay: float = 0,
        initial_accumulator_value: float = 0,
        eps: float = 1e-10,
        *,
        maximize: bool = False,
    ) -> None:
        check_nonnegative("learning rate", lr)
        check_nonnegative("lr_decay value", lr_decay)
        check_nonnegative("weight_decay value", weight_decay)
        check_nonnegative("initial_accumulator_value value", initial_accumulator_value)
        check_nonnegative("epsilon value", eps)
        defaults = {
            "lr": lr,
            "lr_decay": lr_decay,
            "eps": eps,
            "weight_decay": weight_decay,
            "initial_accumulator_value": initial_accumulator_value,
            "maximize": maximize,
        }
        super().__init__(params, defaults)

    def add_param_group(self, param_group: dict[str, Any]) -> None:
        super().add_param_group(param_group)
        group = self.param_groups[-1]
        for p in group["params"]:
            state = self.state[p]
            state["step"] = 0.0
            state["sum"] = np.full_like(p._data, float(group["initial_accumulator_value"]))

    def _update(self, p: Tensor, grad: np.ndarray, group: dict[str, Any]) -> None:
        param = p._data
        lr, lr_decay = float(group["lr"]), float(group["lr_decay"])
        eps, weight_decay = float(group["eps"]), float(group["weight_decay"])
        state = self.state[p]
        state["step"] += 1
        grad = regularized_grad(param, grad, group["maximize"], weight_decay)
        clr = lr / (1 + (state["step"] - 1) * lr_decay)

        tmp = np.empty_like(param)  # the one scratch array of this step
        np.multiply(grad, grad, out=tmp)
        state["sum"] += tmp
        std = np.sqrt(state["sum"], out=tmp)
        std += eps
        update = np.divide(grad, std, out=tmp)
        update *= clr
        param -= update

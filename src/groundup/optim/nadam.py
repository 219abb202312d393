"""NAdam (Dozat, 2016): Adam whose first moment takes a Nesterov look-ahead step, with a
warming-up momentum schedule (and, optionally, decoupled weight decay)."""

from __future__ import annotations

from typing import Any

import numpy as np

from groundup.optim.optimizer import (
    Optimizer,
    ParamsT,
    StateDict,
    check_betas,
    check_nonnegative,
    regularized_grad,
)
from groundup.tensor import Tensor


class NAdam(Optimizer):
    """NAdam, PyTorch's update term for term.

    With g the gradient (negated if `maximize`), t the step count (from 1), λ
    `weight_decay` and ψ `momentum_decay`, one step is:

        θ ← θ (1 - lr λ)                     (decoupled_weight_decay)
        g ← g + λ θ                          (otherwise, if λ != 0)
        μ_t = β1 (1 - ½ · 0.96^(t ψ))        (the momentum schedule; μ_{t+1} likewise)
        Π ← Π · μ_t                          (state 'mu_product', from 1)
        m ← β1 m + (1 - β1) g                (state 'exp_avg')
        v ← β2 v + (1 - β2) g²               (state 'exp_avg_sq')
        d = √(v / (1 - β2^t)) + ε
        θ ← θ - lr (1 - μ_t) / (1 - Π) · g / d - lr μ_{t+1} / (1 - Π μ_{t+1}) · m / d

    The last line is Nesterov's trick: the current gradient's share of m is applied now,
    and m itself with next step's momentum μ_{t+1}, each with its own bias correction.
    """

    def __init__(
        self,
        params: ParamsT,
        lr: float = 2e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0,
        momentum_decay: float = 4e-3,
        decoupled_weight_decay: bool = False,
        *,
        maximize: bool = False,
    ) -> None:
        check_nonnegative("learning rate", lr)
        check_nonnegative("epsilon value", eps)
        check_betas(betas)
        check_nonnegative("weight_decay value", weight_decay)
        check_nonnegative("momentum_decay value", momentum_decay)
        defaults = {
            "lr": lr,
            "betas": tuple(betas),
            "eps": eps,
            "weight_decay": weight_decay,
            "momentum_decay": momentum_decay,
            "decoupled_weight_decay": decoupled_weight_decay,
            "maximize": maximize,
        }
        super().__init__(params, defaults)

    def _update(self, p: Tensor, grad: np.ndarray, group: dict[str, Any]) -> None:
        param = p._data
        lr, eps = float(group["lr"]), float(group["eps"])
        weight_decay, momentum_decay = float(group["weight_decay"]), float(group["momentum_decay"])
        beta1, beta2 = (float(b) for b in group["betas"])
        state = self.state[p]
        if not state:
            state["step"] = 0.0
            state["mu_product"] = 1.0
            state["exp_avg"] = np.zeros_like(param)
            state["exp_avg_sq"] = np.zeros_like(param)
        state["step"] += 1
        step = state["step"]
        decoupled = group["decoupled_weight_decay"]
        if decoupled and weight_decay != 0:
            param *= 1 - lr * weight_decay
        grad = regularized_grad(param, grad, group["maximize"], 0.0 if decoupled else weight_decay)

        mu = beta1 * (1.0 - 0.5 * 0.96 ** (step * momentum_decay))
        mu_next = beta1 * (1.0 - 0.5 * 0.96 ** ((step + 1) * momentum_decay))
        # torch keeps Π in a float32 scalar tensor (its default dtype) whatever the
        # parameters' dtype, so the product is rounded to float32 at every step
        mu_product = float(np.float32(state["mu_product"]) * np.float32(mu))
        state["mu_product"] = mu_product

        exp_avg, exp_avg_sq = state["exp_avg"], state["exp_avg_sq"]
        tmp = np.empty_like(param)
        np.subtract(grad, exp_avg, out=tmp)
        tmp *= 1 - beta1
        exp_avg += tmp  # β1 m + (1-β1) g
        np.multiply(grad, grad, out=tmp)
        tmp *= 1 - beta2
        exp_avg_sq *= beta2
        exp_avg_sq += tmp

        denom = np.divide(exp_avg_sq, 1 - beta2**step, out=tmp)
        np.sqrt(denom, out=denom)
        denom += eps
        param -= (lr * (1.0 - mu) / (1.0 - mu_product)) * (grad / denom)
        param -= (lr * mu_next / (1.0 - mu_product * mu_next)) * (exp_avg / denom)

    def load_state_dict(self, state_dict: StateDict) -> None:
        """As `Optimizer.load_state_dict`; 'mu_product' (a 0-d tensor in torch's state) is
        read as a Python float, like 'step'."""
        state = {
            key: {
                name: _as_float(value) if name == "mu_product" else value
                for name, value in entry.items()
            }
            for key, entry in state_dict["state"].items()
        }
        super().load_state_dict({**state_dict, "state": state})


def _as_float(value: Any) -> float:
    """A saved scalar (float, NumPy 0-d array or scalar, Tensor) as a Python float."""
    return float(np.asarray(value._data if isinstance(value, Tensor) else value).item())

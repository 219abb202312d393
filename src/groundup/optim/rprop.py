"""Rprop (Riedmiller & Braun, 1993): each coordinate moves by its own step size, which
grows while the gradient keeps its sign and shrinks when it flips; the gradient's
magnitude is never used."""

from __future__ import annotations

from typing import Any

import numpy as np

from groundup.optim.optimizer import Optimizer, ParamsT, check_nonnegative
from groundup.tensor import Tensor


class Rprop(Optimizer):
    """Rprop (the iRprop- variant), PyTorch's update term for term.

    With g the gradient (negated if `maximize`), g' the gradient kept from the previous
    step (state 'prev', 0 at first), (η-, η+) = `etas` and `step_sizes` = (Δmin, Δmax),
    per coordinate:

        s = sign(g g')
        Δ ← clamp(Δ · (η+ if s > 0, η- if s < 0, 1 if s = 0), Δmin, Δmax)
                                             (state 'step_size', starts at lr)
        g ← 0 where s < 0                    (the sign flipped: skip this coordinate once)
        θ ← θ - sign(g) Δ;  g' ← g
    """

    def __init__(
        self,
        params: ParamsT,
        lr: float = 1e-2,
        etas: tuple[float, float] = (0.5, 1.2),
        step_sizes: tuple[float, float] = (1e-6, 50),
        *,
        maximize: bool = False,
    ) -> None:
        check_nonnegative("learning rate", lr)
        if not 0.0 < etas[0] < 1.0 < etas[1]:
            raise ValueError(
                f"Invalid eta values: {etas[0]}, {etas[1]} (need 0 < etaminus < 1 < etaplus)"
            )
        defaults = {
            "lr": lr,
            "etas": tuple(etas),
            "step_sizes": tuple(step_sizes),
            "maximize": maximize,
        }
        super().__init__(params, defaults)

    def _update(self, p: Tensor, grad: np.ndarray, group: dict[str, Any]) -> None:
        param = p._data
        etaminus, etaplus = (float(e) for e in group["etas"])
        step_size_min, step_size_max = (float(s) for s in group["step_sizes"])
        state = self.state[p]
        if not state:
            state["step"] = 0.0
            state["prev"] = np.zeros_like(param)
            state["step_size"] = np.full_like(param, float(group["lr"]))
        state["step"] += 1
        if group["maximize"]:
            grad = -grad

        prev, step_size = state["prev"], state["step_size"]
        sign = np.multiply(grad, prev, out=np.empty_like(param))
        np.sign(sign, out=sign)  # (NaN stays NaN, as in torch)
        flipped = sign < 0
        sign[sign > 0] = etaplus
        sign[flipped] = etaminus
        sign[sign == 0] = 1
        step_size *= sign
        np.clip(step_size, step_size_min, step_size_max, out=step_size)

        grad = np.where(flipped, 0, grad).astype(param.dtype, copy=False)
        param -= np.sign(grad) * step_size
        prev[...] = grad

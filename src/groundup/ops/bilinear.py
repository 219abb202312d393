"""bilinear: y = x1^T A x2 + b, one matrix A per output feature.

    y[..., o] = sum_ij x1[..., i] W[o, i, j] x2[..., j] + b[o]

y is linear in each input separately, so each gradient is the same contraction with the
other input held fixed:

    dx1[..., i] = sum_oj dy[..., o] W[o, i, j] x2[..., j]
    dx2[..., j] = sum_oi dy[..., o] W[o, i, j] x1[..., i]
    dW[o, i, j] = sum over the batch of dy[..., o] x1[..., i] x2[..., j],   db = sum of dy
"""

from __future__ import annotations

from typing import Any

import numpy as np

from groundup.function import Function
from groundup.tensor import Tensor


class Bilinear(Function):
    def forward(
        self, x1: np.ndarray, x2: np.ndarray, w: np.ndarray, b: np.ndarray | None
    ) -> np.ndarray:
        self.x1, self.x2, self.w = x1, x2, w
        y = np.einsum("...i,oij,...j->...o", x1, w, x2, optimize=True)  # (*, out)
        return y if b is None else y + b

    def backward(self, grad: np.ndarray) -> tuple[Any, ...]:
        p = self.parents
        x1, x2, w = self.x1, self.x2, self.w
        dx1 = (
            np.einsum("...o,oij,...j->...i", grad, w, x2, optimize=True)
            if p[0] is not None
            else None
        )
        dx2 = (
            np.einsum("...o,oij,...i->...j", grad, w, x1, optimize=True)
            if p[1] is not None
            else None
        )
        dw = (
            np.einsum("...o,...i,...j->oij", grad, x1, x2, optimize=True)
            if p[2] is not None
            else None
        )
        db = grad.reshape(-1, grad.shape[-1]).sum(axis=0) if p[3] is not None else None
        return dx1, dx2, dw, db


def bilinear(input1: Tensor, input2: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """y = x1^T A_o x2 + b_o for every output o: input1 (*, in1), input2 (*, in2) with the
    same leading dims, weight (out, in1, in2), bias (out,) -> (*, out)."""
    for name, t in (("input1", input1), ("input2", input2), ("weight", weight)):
        if not isinstance(t, Tensor):
            raise TypeError(f"bilinear(): argument '{name}' must be Tensor, not {type(t).__name__}")
    if input1.ndim == 0 or input2.ndim == 0:
        raise IndexError("bilinear(): the inputs need at least 1 dim (their features)")
    if input1.ndim != input2.ndim or input1.shape[:-1] != input2.shape[:-1]:
        raise RuntimeError(
            f"bilinear(): input batch dimensions do not match: got {list(input1.shape[:-1])} "
            f"and {list(input2.shape[:-1])}"
        )
    if weight.ndim != 3:
        raise RuntimeError(
            f"bilinear(): weight must be 3-D (out, in1, in2), got shape {weight.shape}"
        )
    for k, (name, t) in enumerate((("input1", input1), ("input2", input2)), start=1):
        if t.shape[-1] != weight.shape[k]:
            raise RuntimeError(
                f"bilinear(): {name} size does not match weight size: got {t.shape[-1]} but "
                f"expected {weight.shape[k]}"
            )
    if bias is not None and bias.shape != (weight.shape[0],):
        got = bias.shape[0] if bias.ndim == 1 else list(bias.shape)
        raise RuntimeError(
            f"bilinear(): bias size does not match weight size: got {got} but expected "
            f"{weight.shape[0]}"
        )
    tensors = [input1, input2, weight] + ([] if bias is None else [bias])
    if len({t.dtype for t in tensors}) != 1:
        raise RuntimeError(
            "bilinear(): all tensors must have the same dtype, got "
            + ", ".join(
                f"{n}: {t.dtype}"
                for n, t in zip(("input1", "input2", "weight", "bias"), tensors, strict=False)
            )
        )
    return Bilinear.apply(input1, input2, weight, bias)


__all__ = ["Bilinear", "bilinear"]

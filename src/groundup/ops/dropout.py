"""Dropout, inverted: scale kept units by 1/(1-p) in training so evaluation is the identity."""

from __future__ import annotations

from typing import Any

import numpy as np

from groundup.function import Function
from groundup.random import default_generator
from groundup.tensor import Tensor


class Dropout(Function):
    saves = ()

    def forward(self, x: np.ndarray, mask: np.ndarray) -> np.ndarray:
        self.mask = mask
        return x * mask

    def backward(self, grad: np.ndarray) -> tuple[Any, None]:
        return grad * self.mask, None


def dropout_mask(shape: tuple[int, ...], p: float, dtype: np.dtype) -> np.ndarray:
    """Each entry is 0 with probability p, else 1/(1-p), so E[mask] = 1."""
    if p == 1:
        return np.zeros(shape, dtype=dtype)
    keep = default_generator().random(shape, dtype=np.float32) >= p
    return keep.astype(dtype) * np.asarray(1 / (1 - p), dtype=dtype)


def dropout(x: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:
    """Zero each element with probability p and scale the rest by 1/(1-p) (training only).

    The mask comes from the global generator, so `manual_seed` makes it reproducible.
    `inplace` is accepted for torch compatibility; the result is always a new tensor.
    """
    if not 0 <= p <= 1:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
    if x._data.dtype.kind != "f" and training and p != 0:  # else x is returned as it is
        raise TypeError(f"dropout: expected a floating-point tensor, got dtype {x.dtype}")
    if not training or p == 0:
        return x
    return Dropout.apply(x, dropout_mask(x.shape, p, x.dtype))


def dropout2d(x: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:
    """Channel dropout: zero whole feature maps of (N, C, H, W) with probability p, scaling
    the kept ones by 1/(1-p). Neighbouring pixels are strongly correlated, so dropping single
    pixels barely regularizes a CNN; dropping a channel does (Tompson et al., 2015).

    As in torch, a 3-D input is read as (N, C, L) and its channels are dropped.
    """
    if not 0 <= p <= 1:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
    if x.ndim not in (3, 4):
        raise RuntimeError(
            f"dropout2d: expected a 4-D input (N, C, H, W) (or 3-D, read as (N, C, L)), "
            f"got input of shape {x.shape}"
        )
    if x._data.dtype.kind != "f":
        raise TypeError(f"dropout2d: expected a floating-point tensor, got dtype {x.dtype}")
    if not training or p == 0:
        return x
    mask = dropout_mask((*x.shape[:2],) + (1,) * (x.ndim - 2), p, x.dtype)  # (N, C, 1, 1)
    return Dropout.apply(x, mask)  # the mask broadcasts over each map

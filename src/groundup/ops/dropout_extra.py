"""Channel dropout for 1-D signals (dropout1d) and the SELU-preserving alpha dropout.

dropout1d zeros whole channels of (N, C, L) with probability p and scales the kept ones
by 1/(1-p), as dropout2d does for images.

Alpha dropout (Klambauer et al., 2017) keeps a SELU network self-normalizing: a dropped
unit is set to SELU's negative saturation value -alpha (alpha = scale * alpha_SELU =
1.7580993408473766) instead of 0, and an affine map restores mean 0 and variance 1. With
the 0/1 keep mask m and a = ((alpha^2 p + 1)(1 - p))^(-1/2), torch's formula is

    y = x * (a m) + alpha a (m - 1 + p)       kept: a x + alpha a p,  dropped: alpha a (p - 1)

so dy/dx = a m: backward is the masked, scaled gradient. The feature variant draws one m
per channel. p = 1 gives zeros, as in torch.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from groundup.function import Function
from groundup.inplace import apply_inplace
from groundup.ops.dropout import Dropout, dropout_mask
from groundup.random import default_generator
from groundup.tensor import Tensor

SELU_ALPHA_SCALED = 1.7580993408473766  # SELU's scale * alpha: -1 times its saturation value


class AlphaDropout(Function):
    """y = x * scale + shift, the scale a*m and shift alpha a (m - 1 + p) drawn in forward."""

    saves = ()

    def forward(self, x: np.ndarray, scale: np.ndarray, shift: np.ndarray) -> np.ndarray:
        self.scale = scale
        return x * scale + shift

    def backward(self, grad: np.ndarray) -> tuple[Any, None, None]:
        return grad * self.scale, None, None


def _check_p(p: float) -> None:
    if not 0 <= p <= 1:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")


def _check_float(op: str, x: Tensor) -> None:
    if x.dtype.kind != "f":
        raise RuntimeError(
            f"{op}: result type Float can't be cast to the desired output type {x.dtype}; "
            "dropout needs a floating-point input"
        )


def _dropout1d(x: Tensor, p: float, training: bool) -> Tensor:
    if not training or p == 0:
        return x
    _check_float("dropout1d", x)
    mask = dropout_mask((*x.shape[:-1], 1), p, x.dtype)  # (N, C, 1): one draw per channel
    return Dropout.apply(x, mask)


def dropout1d(
    input: Tensor,  # noqa: A002 - torch's names
    p: float = 0.5,
    training: bool = True,
    inplace: bool = False,
) -> Tensor:
    """Zero whole channels of (N, C, L) (or unbatched (C, L)) with probability p, scaling
    the kept ones by 1/(1-p) (training only)."""
    _check_p(p)
    if input.ndim not in (2, 3):
        raise RuntimeError(
            f"dropout1d: Expected 2D or 3D input, but received a {input.ndim}D input. Note "
            "that dropout1d exists to provide channel-wise dropout on inputs with 1 spatial "
            "dimension, a channel dimension, and an optional batch dimension (i.e. 2D or 3D "
            "inputs)."
        )
    if inplace and training and p != 0:
        return apply_inplace(input, _dropout1d, (p, training), {}, "dropout1d_")
    return _dropout1d(input, p, training)


def _alpha_dropout(x: Tensor, p: float, training: bool, feature: bool) -> Tensor:
    if not training or p == 0 or x.numel() == 0:
        return x
    op = "feature_alpha_dropout" if feature else "alpha_dropout"
    _check_float(op, x)
    if p == 1:
        return x * 0.0
    shape = (*x.shape[:2], *(1,) * (x.ndim - 2)) if feature else x.shape
    m = (default_generator().random(shape, dtype=np.float32) >= p).astype(x.dtype)
    alpha = SELU_ALPHA_SCALED
    a = 1.0 / np.sqrt((alpha * alpha * p + 1) * (1 - p))
    shift = (m - 1) * (alpha * a) + alpha * a * p  # alpha a (m - 1 + p)
    return AlphaDropout.apply(x, (m * a).astype(x.dtype), shift.astype(x.dtype))


def alpha_dropout(
    input: Tensor,  # noqa: A002 - torch's names
    p: float = 0.5,
    training: bool = False,
    inplace: bool = False,
) -> Tensor:
    """Alpha dropout for SELU networks: dropped units take SELU's saturation value and an
    affine correction keeps mean and variance (training only; note training=False is the
    default, as in torch)."""
    _check_p(p)
    if inplace and training and p != 0:
        return apply_inplace(input, _alpha_dropout, (p, training, False), {}, "alpha_dropout_")
    return _alpha_dropout(input, p, training, False)


def feature_alpha_dropout(
    input: Tensor,  # noqa: A002 - torch's names
    p: float = 0.5,
    training: bool = False,
    inplace: bool = False,
) -> Tensor:
    """Alpha dropout of whole channels of (N, C, *) (training only)."""
    _check_p(p)
    if training and p != 0 and input.ndim < 2:
        raise RuntimeError("Feature dropout requires at least 2 dimensions in the input")
    if inplace and training and p != 0:
        return apply_inplace(
            input, _alpha_dropout, (p, training, True), {}, "feature_alpha_dropout_"
        )
    return _alpha_dropout(input, p, training, True)


__all__ = ["AlphaDropout", "alpha_dropout", "dropout1d", "feature_alpha_dropout"]

"""Normalization: `batch_norm` over any (N, C, *) input and `layer_norm` over trailing dims.

Both standardize with the *biased* variance, xhat = (x - mean) / sqrt(var + eps), then
scale and shift, y = weight * xhat + bias. Each is one fused Function whose backward is the
closed form of the chain rule through the mean and the variance (Ioffe & Szegedy, 2015):

    dx = inv_std / m * (m * dxhat - sum(dxhat) - xhat * sum(dxhat * xhat)),  dxhat = dy * weight

with the sums over the m values that share one mean. It costs two reductions, where the
composed graph (sub, pow, mean, sqrt, div, ...) would store and revisit a dozen arrays.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from groundup.errors import InputDtypeError, UnsupportedDtypeError
from groundup.function import Function
from groundup.tensor import Tensor


class BatchNorm(Function):
    """Batch norm over every axis but the channel axis 1 of an (N, C, *) array.

    In training the statistics are the batch's (and, when given, the running buffers are
    updated in place, as torch's kernel does); in evaluation they are the running ones,
    which are constants, so the backward is just dx = dy * weight * inv_std. An empty batch
    gives an empty output, zero weight and bias gradients, and leaves the buffers alone.
    """

    saves = (1,)  # backward reads the weight (and its own xhat), not x or bias

    def forward(
        self,
        x: np.ndarray,
        weight: np.ndarray | None,
        bias: np.ndarray | None,
        *,
        running_mean: np.ndarray | None,
        running_var: np.ndarray | None,
        training: bool,
        momentum: float,
        eps: float,
    ) -> np.ndarray:
        axes = (0, *range(2, x.ndim))  # every axis but channels
        channel = (1, -1) + (1,) * (x.ndim - 2)  # (C,) -> (1, C, 1, ...) to broadcast
        m = x.size // x.shape[1] if x.shape[1] else 0  # values per channel
        if training and m == 0:
            # an empty batch: an empty output, and (as in torch) the buffers are left alone
            centered, inv_std = x.copy(), np.ones((1, x.shape[1]) + (1,) * (x.ndim - 2), x.dtype)
        elif training:
            mean = x.mean(axis=axes, keepdims=True)  # (1, C, 1, ...)
            centered = x - mean
            var = (centered * centered).mean(axis=axes, keepdims=True)  # biased: / m
            if running_mean is not None:
                running_mean *= 1 - momentum
                running_mean += momentum * mean.reshape(-1)
            if running_var is not None:
                # the running estimate uses the unbiased variance, sum / (m - 1)
                running_var *= 1 - momentum
                running_var += momentum * (m / (m - 1)) * var.reshape(-1)
            inv_std = 1 / np.sqrt(var + eps)
        else:
            assert running_mean is not None and running_var is not None
            centered = x - running_mean.reshape(channel)
            inv_std = 1 / np.sqrt(running_var.reshape(channel) + eps)
        self.inv_std = inv_std  # (1, C, 1, ...)
        self.xhat = centered * self.inv_std
        self.weight = None if weight is None else weight.reshape(channel)
        self.axes, self.channel, self.m, self.training = axes, channel, m, training
        out = self.xhat.copy() if self.weight is None else self.xhat * self.weight
        return out if bias is None else out + bias.reshape(channel)

    def backward(self, grad: np.ndarray) -> tuple[Any, Any, Any]:
        dbias = grad.sum(axis=self.axes)  # (C,)
        dweight = (grad * self.xhat).sum(axis=self.axes)  # (C,)
        scale = self.inv_std if self.weight is None else self.weight * self.inv_std
        if self.training and self.m:
            # dx = w inv_std / m * (m dy - sum(dy) - xhat sum(dy xhat)), sums per channel
            dx = (scale / self.m) * (
                self.m * grad
                - dbias.reshape(self.channel)
                - self.xhat * dweight.reshape(self.channel)
            )
        else:
            dx = grad * scale
        return dx, dweight, dbias


class LayerNorm(Function):
    """Layer norm over the last `ndim` axes; weight and bias have those axes' shape."""

    saves = (1,)

    def forward(
        self,
        x: np.ndarray,
        weight: np.ndarray | None,
        bias: np.ndarray | None,
        *,
        ndim: int,
        eps: float,
    ) -> np.ndarray:
        self.axes = tuple(range(x.ndim - ndim, x.ndim))
        mean = x.mean(axis=self.axes, keepdims=True)  # (*batch, 1, ..., 1)
        centered = x - mean
        var = (centered * centered).mean(axis=self.axes, keepdims=True)  # biased
        self.inv_std = 1 / np.sqrt(var + eps)
        self.xhat = centered * self.inv_std
        self.weight = weight
        out = self.xhat.copy() if weight is None else self.xhat * weight
        return out if bias is None else out + bias

    def backward(self, grad: np.ndarray) -> tuple[Any, Any, Any]:
        dxhat = grad if self.weight is None else grad * self.weight
        # dx = inv_std (dxhat - mean(dxhat) - xhat mean(dxhat xhat)), means per sample
        dx = self.inv_std * (
            dxhat
            - dxhat.mean(axis=self.axes, keepdims=True)
            - self.xhat * (dxhat * self.xhat).mean(axis=self.axes, keepdims=True)
        )
        # dweight, dbias at the input's shape: the engine sums the leading (batch) axes
        dweight = grad * self.xhat if self.parents[1] is not None else None
        dbias = grad if self.parents[2] is not None else None
        return dx, dweight, dbias


def _check_param(
    op: str, name: str, t: Tensor | None, shape: tuple[int, ...], x: Tensor, what: str
) -> None:
    if t is None:
        return
    if t.shape != shape:
        raise RuntimeError(
            f"{op}: {name} has shape {t.shape}, expected {shape} ({what}) "
            f"for input of shape {x.shape}"
        )
    if t.dtype != x.dtype:
        raise InputDtypeError(
            f"{op}: {name} has dtype {t.dtype} but the input has dtype {x.dtype}; "
            f"cast one of them (.to({x.dtype}))"
        )


def batch_norm(
    input: Tensor,
    running_mean: Tensor | None,
    running_var: Tensor | None,
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    training: bool = False,
    momentum: float = 0.1,
    eps: float = 1e-5,
) -> Tensor:
    """Normalize each channel of an (N, C, *) input by its batch statistics (training) or
    by `running_mean`/`running_var` (evaluation); training updates those in place:
    running = (1 - momentum) * running + momentum * batch_statistic."""
    if input.ndim < 2:
        raise ValueError(f"batch_norm: expected input of shape (N, C, *), got {input.shape}")
    if input.dtype.kind != "f":
        raise UnsupportedDtypeError(
            f"batch_norm: expected a floating-point input, got dtype {input.dtype}"
        )
    if not eps >= 0:
        raise ValueError(f"batch_norm: eps must be non-negative, got {eps}")
    channels = (input.shape[1],)
    what = f"one value per channel, C = {channels[0]}"
    for name, t in (
        ("running_mean", running_mean),
        ("running_var", running_var),
        ("weight", weight),
        ("bias", bias),
    ):
        _check_param("batch_norm", name, t, channels, input, what)
    if training and channels[0] and input.numel() // channels[0] == 1:
        raise ValueError(
            f"batch_norm: expected more than 1 value per channel when training, "
            f"got input of shape {input.shape}"
        )
    if not training and (running_mean is None or running_var is None):
        raise ValueError("batch_norm: running_mean and running_var are needed when not training")
    return BatchNorm.apply(
        input,
        weight,
        bias,
        running_mean=None if running_mean is None else running_mean._data,
        running_var=None if running_var is None else running_var._data,
        training=training,
        momentum=float(momentum),  # Python floats keep float32 float32 (NumPy scalars would not)
        eps=float(eps),
    )


def layer_norm(
    input: Tensor,
    normalized_shape: int | Sequence[int],
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    eps: float = 1e-5,
) -> Tensor:
    """Normalize over the trailing dims `normalized_shape` of each sample (Ba et al., 2016)."""
    shape = (
        (int(normalized_shape),)
        if isinstance(normalized_shape, (int, np.integer))
        else tuple(int(n) for n in normalized_shape)
    )
    if not shape or input.ndim < len(shape) or input.shape[input.ndim - len(shape) :] != shape:
        raise RuntimeError(
            f"layer_norm: normalized_shape={shape} expects input of shape (*, "
            f"{', '.join(map(str, shape))}), got {input.shape}"
        )
    what = f"normalized_shape, {math.prod(shape)} values per sample"
    _check_param("layer_norm", "weight", weight, shape, input, what)
    _check_param("layer_norm", "bias", bias, shape, input, what)
    if input.dtype.kind != "f":  # with a float weight, the mismatch above is named first
        raise UnsupportedDtypeError(
            f"layer_norm: expected a floating-point input, got dtype {input.dtype}"
        )
    return LayerNorm.apply(input, weight, bias, ndim=len(shape), eps=float(eps))

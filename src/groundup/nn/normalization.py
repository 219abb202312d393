"""LayerNorm (each sample over its trailing `normalized_shape` dims), RMSNorm (the same
without centering) and GroupNorm (each group of channels of each sample)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from groundup.errors import check_sizes
from groundup.nn import init
from groundup.nn.module import Module, Parameter, factory_dtype
from groundup.ops.group_norm import group_norm
from groundup.ops.norm import layer_norm
from groundup.ops.rms_norm import rms_norm
from groundup.tensor import Tensor


def _affine_parameters(
    module: Module, shape: tuple[int, ...], dtype: Any, affine: bool, bias: bool
) -> None:
    """Register `weight` (and `bias`) of `shape`, or None in their places, in torch's order."""
    module.register_parameter("weight", Parameter(np.empty(shape, dtype)) if affine else None)
    module.register_parameter(
        "bias", Parameter(np.empty(shape, dtype)) if affine and bias else None
    )


def _reset_affine(module: LayerNorm | GroupNorm) -> None:
    """The norms' initialization: scale 1, shift 0."""
    if module.weight is not None:
        init.ones_(module.weight)
    if module.bias is not None:
        init.zeros_(module.bias)


class LayerNorm(Module):
    """y = (x - mean) / sqrt(var + eps) * weight + bias, statistics over the last
    len(normalized_shape) dims of each sample (Ba et al., 2016): independent of the batch,
    the same in training and evaluation. weight starts at ones and bias at zeros."""

    weight: Parameter | None
    bias: Parameter | None

    def __init__(
        self,
        normalized_shape: int | Sequence[int],
        eps: float = 1e-5,
        elementwise_affine: bool = True,
        bias: bool = True,
        device: Any = None,
        dtype: Any = None,
    ):
        super().__init__()
        dtype = factory_dtype(device, dtype)
        if isinstance(normalized_shape, (int, np.integer)):
            normalized_shape = (int(normalized_shape),)
        self.normalized_shape = tuple(int(n) for n in normalized_shape)
        check_sizes("LayerNorm", normalized_shape=self.normalized_shape)
        self.eps, self.elementwise_affine = eps, elementwise_affine
        _affine_parameters(self, self.normalized_shape, dtype, elementwise_affine, bias)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        _reset_affine(self)

    def forward(self, input: Tensor) -> Tensor:
        return layer_norm(input, self.normalized_shape, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        return (
            f"{self.normalized_shape}, eps={self.eps}, "
            f"elementwise_affine={self.elementwise_affine}, bias={self.bias is not None}"
        )


class GroupNorm(Module):
    """Split the C channels into num_groups groups and standardize each group of each
    sample over its channels and positions (Wu & He, 2018), then scale and shift per
    channel. Independent of the batch size; weight starts at ones and bias at zeros."""

    weight: Parameter | None
    bias: Parameter | None

    def __init__(
        self,
        num_groups: int,
        num_channels: int,
        eps: float = 1e-5,
        affine: bool = True,
        device: Any = None,
        dtype: Any = None,
        *,
        bias: bool = True,
    ):
        super().__init__()
        if num_groups <= 0 or num_channels % num_groups != 0:  # 0 groups divide nothing
            raise ValueError(
                f"GroupNorm: num_channels ({num_channels}) must be divisible by num_groups "
                f"({num_groups})"
            )
        dtype = factory_dtype(device, dtype)
        self.num_groups, self.num_channels, self.eps, self.affine = (
            num_groups,
            num_channels,
            eps,
            affine,
        )
        _affine_parameters(self, (num_channels,), dtype, affine, bias)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        _reset_affine(self)

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002 - torch's names
        return group_norm(input, self.num_groups, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        return (
            f"{self.num_groups}, {self.num_channels}, eps={self.eps}, affine={self.affine}, "
            f"bias={self.bias is not None}"
        )


class RMSNorm(Module):
    """y = x / sqrt(mean(x^2) + eps) * weight over the last len(normalized_shape) dims of
    each sample (Zhang & Sennrich, 2019): LayerNorm without subtracting the mean, and no
    bias. eps=None uses the input dtype's machine epsilon; weight starts at ones."""

    def __init__(
        self,
        normalized_shape: int | Sequence[int],
        eps: float | None = None,
        elementwise_affine: bool = True,
        device: Any = None,
        dtype: Any = None,
    ):
        super().__init__()
        dtype = factory_dtype(device, dtype)
        if isinstance(normalized_shape, (int, np.integer)):
            normalized_shape = (int(normalized_shape),)
        self.normalized_shape = tuple(int(n) for n in normalized_shape)
        check_sizes("RMSNorm", normalized_shape=self.normalized_shape)
        self.eps, self.elementwise_affine = eps, elementwise_affine
        if elementwise_affine:
            self.weight = Parameter(np.empty(self.normalized_shape, dtype))
        else:
            self.register_parameter("weight", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        if self.weight is not None:
            init.ones_(self.weight)

    def forward(self, x: Tensor) -> Tensor:
        return rms_norm(x, self.normalized_shape, self.weight, self.eps)

    def extra_repr(self) -> str:
        return (
            f"{self.normalized_shape}, eps={self.eps}, elementwise_affine={self.elementwise_affine}"
        )

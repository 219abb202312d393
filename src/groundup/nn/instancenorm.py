"""InstanceNorm1d / InstanceNorm2d: normalize each channel of each sample over its
positions (Ulyanov et al., 2016), with optional affine parameters and running statistics
(off by default, unlike batch norm). They share batch norm's parameters and buffers."""

from __future__ import annotations

import warnings
from typing import Any

from groundup.nn.batchnorm import _BatchNorm
from groundup.ops.group_norm import instance_norm
from groundup.tensor import Tensor


class _InstanceNorm(_BatchNorm):
    _no_batch_dim = 2  # the ndim of an unbatched input, (C, L) or (C, H, W)

    def __init__(
        self,
        num_features: int,
        eps: float = 1e-5,
        momentum: float | None = 0.1,
        affine: bool = False,
        track_running_stats: bool = False,
        device: Any = None,
        dtype: Any = None,
        *,
        bias: bool = True,
    ):
        super().__init__(
            num_features, eps, momentum, affine, track_running_stats, device, dtype, bias=bias
        )

    def _check_input_dim(self, input: Tensor) -> None:  # noqa: A002 - torch's names
        if input.ndim not in self._input_dims:
            expected = " or ".join(f"{d}D" for d in self._input_dims)
            raise ValueError(
                f"{type(self).__name__}: expected {expected} input (got {input.ndim}D input)"
            )

    def _apply(self, input: Tensor) -> Tensor:  # noqa: A002
        return instance_norm(
            input,
            self.running_mean,
            self.running_var,
            self.weight,
            self.bias,
            self.training or not self.track_running_stats,
            self.momentum if self.momentum is not None else 0.0,
            self.eps,
        )

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        self._check_input_dim(input)
        feature_dim = input.ndim - self._no_batch_dim
        if input.shape[feature_dim] != self.num_features:
            if self.affine:
                raise ValueError(
                    f"{type(self).__name__}: expected input's size at dim={feature_dim} to "
                    f"match num_features ({self.num_features}), but got: "
                    f"{input.shape[feature_dim]}."
                )
            warnings.warn(
                f"{type(self).__name__}: input's size at dim={feature_dim} does not match "
                "num_features. You can silence this warning by not passing in num_features, "
                "which is not used because affine=False",
                UserWarning,
                stacklevel=2,
            )
        if input.ndim == self._no_batch_dim:  # unbatched: a batch of one
            return self._apply(input.unsqueeze(0)).squeeze(0)
        return self._apply(input)


class InstanceNorm1d(_InstanceNorm):
    """Instance norm of (N, C, L) sequences or unbatched (C, L)."""

    _input_dims = (2, 3)


class InstanceNorm2d(_InstanceNorm):
    """Instance norm of (N, C, H, W) feature maps or unbatched (C, H, W)."""

    _input_dims = (3, 4)
    _no_batch_dim = 3

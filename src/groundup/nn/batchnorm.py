"""Batch normalization layers: `_BatchNorm` holds the logic, `BatchNorm1d` the input check
(a `BatchNorm2d` is the same class with a 4-D check)."""

from __future__ import annotations

from typing import Any

import numpy as np

from groundup.errors import InvalidArgumentError, UnsupportedDtypeError, check_sizes
from groundup.nn import init
from groundup.nn.module import Module, Parameter, factory_dtype
from groundup.ops.norm import batch_norm
from groundup.tensor import Tensor


class _BatchNorm(Module):
    """Normalize each channel (dim 1) over the batch and every other dim (Ioffe & Szegedy).

    Training uses the batch's mean and biased variance and updates the running estimates
    running = (1 - momentum) * running + momentum * batch (the variance in the running
    estimate is the unbiased one); momentum=None makes it the cumulative average over the
    `num_batches_tracked` batches seen. Evaluation uses the running estimates, unless
    track_running_stats=False, in which case batch statistics are used in both modes.
    """

    _input_dims: tuple[int, ...] = ()
    weight: Parameter | None
    bias: Parameter | None
    running_mean: Tensor | None
    running_var: Tensor | None
    num_batches_tracked: Tensor | None

    def __init__(
        self,
        num_features: int,
        eps: float = 1e-5,
        momentum: float | None = 0.1,
        affine: bool = True,
        track_running_stats: bool = True,
        device: Any = None,
        dtype: Any = None,
        *,
        bias: bool = True,
    ):
        super().__init__()
        check_sizes(type(self).__name__, num_features=num_features)
        if not eps >= 0:
            raise ValueError(f"{type(self).__name__}: eps must be non-negative, got {eps}")
        dtype = factory_dtype(device, dtype)
        self.num_features, self.eps, self.momentum = num_features, eps, momentum
        self.affine, self.track_running_stats = affine, track_running_stats
        if affine:
            self.weight = Parameter(np.empty(num_features, dtype))
            if bias:
                self.bias = Parameter(np.empty(num_features, dtype))
            else:
                self.register_parameter("bias", None)
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)
        if track_running_stats:
            self.register_buffer("running_mean", Tensor(np.zeros(num_features, dtype)))
            self.register_buffer("running_var", Tensor(np.ones(num_features, dtype)))
            self.register_buffer("num_batches_tracked", Tensor(np.array(0, np.int64)))
        else:
            self.register_buffer("running_mean", None)
            self.register_buffer("running_var", None)
            self.register_buffer("num_batches_tracked", None)
        self.reset_parameters()

    def reset_running_stats(self) -> None:
        for buffer, value in (
            (self.running_mean, 0),
            (self.running_var, 1),
            (self.num_batches_tracked, 0),
        ):
            if buffer is not None:
                buffer._data[...] = value

    def reset_parameters(self) -> None:
        self.reset_running_stats()
        if self.weight is not None:
            init.ones_(self.weight)
        if self.bias is not None:
            init.zeros_(self.bias)

    def _check_input_dim(self, input: Tensor) -> None:
        if input.ndim not in self._input_dims:
            expected = " or ".join(f"{d}D" for d in self._input_dims)
            raise ValueError(
                f"{type(self).__name__}: expected {expected} input, got {input.ndim}D "
                f"input of shape {input.shape}"
            )
        if input.shape[1] != self.num_features:
            raise InvalidArgumentError(
                f"{type(self).__name__}({self.num_features}) got input of shape {input.shape}: "
                f"dimension 1 must be the {self.num_features} channels"
            )

    def forward(self, input: Tensor) -> Tensor:
        self._check_input_dim(input)
        if self.training and input._data.size == input.shape[1] > 0:  # before the count
            raise ValueError(
                f"{type(self).__name__}: expected more than 1 value per channel when "
                f"training, got input of shape {input.shape}"
            )
        if input.dtype.kind != "f":  # before the count, which a refused batch must not move
            raise UnsupportedDtypeError(
                f"{type(self).__name__}: expected a floating-point input, got dtype {input.dtype}"
            )
        counting = self.training and self.num_batches_tracked is not None
        factor = 0.0 if self.momentum is None else self.momentum
        if counting and self.momentum is None:  # cumulative average: the n-th batch weighs 1/n
            factor = 1.0 / (float(self.num_batches_tracked._data) + 1)  # type: ignore[union-attr]
        # batch statistics while training, or always when no running ones are kept
        use_batch = self.training or self.running_mean is None
        keep = not self.training or self.track_running_stats  # buffers to read or update
        output = batch_norm(
            input,
            self.running_mean if keep else None,
            self.running_var if keep else None,
            self.weight,
            self.bias,
            use_batch,
            factor,
            self.eps,
        )
        if counting:  # only a batch that was normalized counts
            self.num_batches_tracked._data += 1  # type: ignore[union-attr]
        return output

    def extra_repr(self) -> str:
        return (
            f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, "
            f"affine={self.affine}, bias={self.bias is not None}, "
            f"track_running_stats={self.track_running_stats}"
        )


class BatchNorm1d(_BatchNorm):
    """Batch norm over (N, C) features or (N, C, L) sequences, per channel C."""

    _input_dims = (2, 3)


class BatchNorm2d(_BatchNorm):
    """Batch norm over (N, C, H, W) feature maps: one mean and variance per channel C, taken
    over the batch and every pixel (N*H*W values), and one (weight, bias) pair per channel."""

    _input_dims = (4,)

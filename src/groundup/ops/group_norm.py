"""Group normalization (Wu & He, 2018) and instance normalization (Ulyanov et al., 2016).

group_norm splits the C channels of an (N, C, *) input into G groups and standardizes each
(sample, group) over its C/G channels and every spatial position, with the biased variance;
then y = weight * xhat + bias per channel. It does not depend on the batch, so training and
evaluation agree. The backward is layer norm's closed form within each group:

    dx = inv_std (dxhat - mean(dxhat) - xhat mean(dxhat xhat)),  dxhat = dy * weight.

instance_norm is group_norm with one channel per group, plus optional running statistics
(averaged over the batch, as torch keeps them) that evaluation can use instead.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from groundup.function import Function
from groundup.ops.activation import UnsupportedDtypeError
from groundup.ops.norm import batch_norm
from groundup.tensor import Tensor


class GroupNorm(Function):
    """Standardize each of the G groups of each sample of an (N, C, *) array."""

    saves = (1,)  # backward reads the weight (and its own xhat), not x or bias

    def forward(
        self,
        x: np.ndarray,
        weight: np.ndarray | None,
        bias: np.ndarray | None,
        *,
        groups: int,
        eps: float,
    ) -> np.ndarray:
        n, c = x.shape[:2]
        self.shape = x.shape
        self.channel = (1, c) + (1,) * (x.ndim - 2)  # (C,) -> (1, C, 1, ...) to broadcast
        self.axes = (0, *range(2, x.ndim))  # the axes weight and bias are shared over
        xg = x.reshape(n, groups, math.prod(x.shape[1:]) // groups)  # (N, G, C/G * spatial)
        if xg.size:
            mean = xg.mean(axis=2, keepdims=True)
            centered = xg - mean
            var = (centered * centered).mean(axis=2, keepdims=True)  # biased
            self.inv_std = 1 / np.sqrt(var + eps)  # (N, G, 1)
            self.xhat = (centered * self.inv_std).reshape(x.shape)
        else:  # an empty batch or empty groups: nothing to normalize
            self.inv_std, self.xhat = np.ones((n, groups, 1), x.dtype), x.copy()
        self.groups, self.weight = groups, weight
        out = self.xhat.copy() if weight is None else self.xhat * weight.reshape(self.channel)
        return out if bias is None else out + bias.reshape(self.channel)

    def backward(self, grad: np.ndarray) -> tuple[Any, Any, Any]:
        n, m = self.shape[0], math.prod(self.shape[1:]) // self.groups  # m values per group
        dxhat = grad if self.weight is None else grad * self.weight.reshape(self.channel)
        dx = None
        if self.parents[0] is not None:
            dg = dxhat.reshape(n, self.groups, m)
            xg = self.xhat.reshape(n, self.groups, m)
            dx = np.zeros(self.shape, grad.dtype)
            if dg.size:
                # dx = inv_std (dxhat - mean(dxhat) - xhat mean(dxhat xhat)), means per group
                mean_dg = dg.mean(axis=2, keepdims=True)
                mean_dgx = (dg * xg).mean(axis=2, keepdims=True)
                dx = (self.inv_std * (dg - mean_dg - xg * mean_dgx)).reshape(self.shape)
        dweight = (grad * self.xhat).sum(axis=self.axes) if self.parents[1] is not None else None
        dbias = grad.sum(axis=self.axes) if self.parents[2] is not None else None
        return dx, dweight, dbias


def _check_affine(op: str, name: str, t: Tensor | None, x: Tensor) -> None:
    if t is None:
        return
    if t.shape != (x.shape[1],):
        raise RuntimeError(
            f"{op}: expected {name} to be a vector of size equal to the number of channels in "
            f"input, but got {name} of shape {list(t.shape)} and input of shape {list(x.shape)}"
        )
    if t.dtype != x.dtype:
        raise RuntimeError(
            f"{op}: mixed dtype: {name} is {t.dtype} but the input is {x.dtype}; all inputs "
            "must share the same dtype"
        )


def group_norm(
    input: Tensor,  # noqa: A002 - torch's names
    num_groups: int,
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    eps: float = 1e-5,
) -> Tensor:
    """Normalize each group of num_groups channels of every sample of an (N, C, *) input."""
    if input.ndim < 2:
        raise RuntimeError(
            f"group_norm: expected at least 2 dimensions for input tensor but received {input.ndim}"
        )
    if num_groups == 0:
        raise ZeroDivisionError("group_norm: num_groups must be positive, got 0")
    n, c = input.shape[:2]
    # torch's check that each group has more than one value (made as torch makes it)
    if (n * c // num_groups) * math.prod(input.shape[2:]) == 1:
        raise ValueError(
            f"group_norm: expected more than 1 value per channel when training, got input size "
            f"{[n * c // num_groups, num_groups, *input.shape[2:]]}"
        )
    if num_groups < 0:
        raise RuntimeError(
            f"group_norm: expected num groups to be greater than 0, got {num_groups}"
        )
    if c % num_groups:
        raise RuntimeError(
            f"group_norm: expected number of channels in input to be divisible by num_groups, "
            f"but got input of shape {list(input.shape)} and num_groups={num_groups}"
        )
    _check_affine("group_norm", "weight", weight, input)
    _check_affine("group_norm", "bias", bias, input)
    if input.dtype.kind != "f":
        raise UnsupportedDtypeError(
            f"group_norm: expected a floating-point input, got dtype {input.dtype}"
        )
    return GroupNorm.apply(input, weight, bias, groups=num_groups, eps=float(eps))


def _update_running(
    x: np.ndarray, running_mean: Tensor | None, running_var: Tensor | None, momentum: float
) -> None:
    """running = (1 - momentum) running + momentum * (batch average of each instance's mean,
    or of its unbiased variance); in place, not recorded by autograd, as torch's kernel."""
    values = x.reshape(x.shape[0], x.shape[1], -1)  # (N, C, m)
    m = values.shape[2]
    if running_mean is not None:
        running_mean._data *= 1 - momentum
        running_mean._data += momentum * values.mean(axis=2).mean(axis=0)
    if running_var is not None:
        running_var._data *= 1 - momentum
        running_var._data += momentum * (values.var(axis=2) * (m / (m - 1))).mean(axis=0)


def instance_norm(
    input: Tensor,  # noqa: A002
    running_mean: Tensor | None = None,
    running_var: Tensor | None = None,
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    use_input_stats: bool = True,
    momentum: float = 0.1,
    eps: float = 1e-5,
) -> Tensor:
    """Normalize each channel of each sample of an (N, C, *) input over its spatial dims
    (use_input_stats), updating the running statistics if given; or normalize with the
    running statistics (use_input_stats=False)."""
    if input.ndim < 2:
        raise RuntimeError(f"instance_norm: expected an (N, C, *) input, got shape {input.shape}")
    if use_input_stats and math.prod(input.shape[2:]) == 1:
        raise ValueError(
            f"instance_norm: expected more than 1 spatial element when training, got input "
            f"size {list(input.shape)}"
        )
    for name, t in (("running_mean", running_mean), ("running_var", running_var)):
        _check_affine("instance_norm", name, t, input)
    if not use_input_stats:
        if running_mean is None or running_var is None:
            raise RuntimeError(
                "instance_norm: expected running_mean and running_var to be defined when "
                "use_input_stats is false"
            )
        return batch_norm(input, running_mean, running_var, weight, bias, False, momentum, eps)
    out = group_norm(input, input.shape[1], weight, bias, eps)
    if input.numel():
        _update_running(input._data, running_mean, running_var, float(momentum))
    return out

"""The ops of the nn.functional families that torch also exposes as `torch.<name>` (and, for
a few, as `Tensor.<name>`): groundup.selu, groundup.cosine_similarity, x.hardshrink(), ...

Only the ones whose torch-level signature equals the functional one are here (torch.kl_div
and the other losses take an integer reduction code there, so they are nn.functional only).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from groundup.inplace import apply_inplace
from groundup.ops import activation as _A
from groundup.ops import activation_extra as _X
from groundup.ops import activation_param as _P
from groundup.ops.activation_extra import celu, hardshrink, selu, threshold
from groundup.ops.activation_param import prelu, rrelu
from groundup.ops.distance import cosine_similarity, pairwise_distance, pdist
from groundup.ops.group_norm import group_norm
from groundup.tensor import Tensor


def relu_(input: Tensor) -> Tensor:  # noqa: A002 - torch's names
    """torch.relu_: relu written into `input`."""
    return apply_inplace(input, _A.relu, (), {}, "relu_")


def selu_(input: Tensor) -> Tensor:  # noqa: A002
    """torch.selu_: selu written into `input`."""
    return apply_inplace(input, _X.selu, (), {}, "selu_")


def celu_(input: Tensor, alpha: float = 1.0) -> Tensor:  # noqa: A002
    """torch.celu_: celu written into `input`."""
    return apply_inplace(input, _X.celu, (alpha,), {}, "celu_")


def threshold_(input: Tensor, threshold: float, value: float) -> Tensor:  # noqa: A002
    """torch.threshold_: threshold written into `input`."""
    return apply_inplace(input, _X.threshold, (threshold, value), {}, "threshold_")


def rrelu_(
    input: Tensor,  # noqa: A002
    lower: float = 1.0 / 8,
    upper: float = 1.0 / 3,
    training: bool = False,
) -> Tensor:
    """torch.rrelu_: rrelu written into `input`."""
    return apply_inplace(input, _P.rrelu, (lower, upper, training), {}, "rrelu_")


__all__ = [
    "celu",
    "celu_",
    "cosine_similarity",
    "group_norm",
    "hardshrink",
    "pairwise_distance",
    "pdist",
    "prelu",
    "relu_",
    "rrelu",
    "rrelu_",
    "selu",
    "selu_",
    "threshold",
    "threshold_",
]

# Tensor methods torch has: x.hardshrink(lambd), x.prelu(weight)
METHODS: dict[str, Callable[..., Any]] = {"hardshrink": hardshrink, "prelu": prelu}

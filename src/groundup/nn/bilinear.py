"""Bilinear: y = x1^T A x2 + b, a learnable bilinear form per output feature."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from groundup.nn import init
from groundup.nn.module import Module, Parameter, factory_dtype
from groundup.ops.bilinear import bilinear
from groundup.tensor import Tensor


class Bilinear(Module):
    """y[o] = x1^T W[o] x2 + b[o] with weight (out_features, in1_features, in2_features):
    every product x1_i x2_j of the two inputs, weighted. Weight and bias start as
    U(-1/sqrt(in1_features), 1/sqrt(in1_features)), as in torch."""

    def __init__(
        self,
        in1_features: int,
        in2_features: int,
        out_features: int,
        bias: bool = True,
        device: Any = None,
        dtype: Any = None,
    ):
        super().__init__()
        dtype = factory_dtype(device, dtype)
        self.in1_features, self.in2_features = in1_features, in2_features
        self.out_features = out_features
        self.weight = Parameter(np.empty((out_features, in1_features, in2_features), dtype))
        if bias:
            self.bias = Parameter(np.empty(out_features, dtype))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        bound = 1 / math.sqrt(self.weight.shape[1])
        init.uniform_(self.weight, -bound, bound)
        if self.bias is not None:
            init.uniform_(self.bias, -bound, bound)

    def forward(self, input1: Tensor, input2: Tensor) -> Tensor:
        return bilinear(input1, input2, self.weight, self.bias)

    def extra_repr(self) -> str:
        return (
            f"in1_features={self.in1_features}, in2_features={self.in2_features}, "
            f"out_features={self.out_features}, bias={self.bias is not None}"
        )

"""Dropout: zero each activation with probability p while training, identity in evaluation."""

from __future__ import annotations

from groundup.nn.module import Module
from groundup.ops.dropout import dropout, dropout2d
from groundup.tensor import Tensor


class Dropout(Module):
    """Inverted dropout: kept units are scaled by 1/(1-p) during training, so the expected
    activation is unchanged and `eval()` needs no rescaling (Srivastava et al., 2014)."""

    def __init__(self, p: float = 0.5, inplace: bool = False):
        super().__init__()
        if not 0 <= p <= 1:
            raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
        self.p, self.inplace = p, inplace  # inplace is accepted for torch compatibility

    def forward(self, input: Tensor) -> Tensor:
        return dropout(input, self.p, self.training)

    def extra_repr(self) -> str:
        return f"p={self.p}, inplace={self.inplace}"


class Dropout2d(Dropout):
    """Channel dropout for (N, C, H, W): each feature map is zeroed whole with probability p
    (the kept ones scaled by 1/(1-p)) while training; identity in evaluation."""

    def forward(self, input: Tensor) -> Tensor:
        return dropout2d(input, self.p, self.training)

"""Dropout: zero each activation with probability p while training, identity in evaluation.

With inplace=True the result is written into the input, as torch's `F.dropout(x,
inplace=True)` (and `x.relu_()` & co.) do: the input's version is bumped and its
gradient history rebased (`groundup.inplace`).
"""

from __future__ import annotations

from groundup.nn import functional as F
from groundup.nn.module import Module
from groundup.ops.dropout_extra import alpha_dropout, dropout1d, feature_alpha_dropout
from groundup.tensor import Tensor


class _DropoutNd(Module):
    def __init__(self, p: float = 0.5, inplace: bool = False):
        super().__init__()
        if not 0 <= p <= 1:
            raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
        self.p, self.inplace = p, inplace

    def extra_repr(self) -> str:
        return f"p={self.p}, inplace={self.inplace}"


class Dropout(_DropoutNd):
    """Inverted dropout: kept units are scaled by 1/(1-p) during training, so the expected
    activation is unchanged and `eval()` needs no rescaling (Srivastava et al., 2014)."""

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002 - torch's name
        return F.dropout(input, self.p, self.training, self.inplace)


class Dropout1d(_DropoutNd):
    """Channel dropout for (N, C, L) or (C, L): each channel is zeroed whole with
    probability p (the kept ones scaled by 1/(1-p)) while training."""

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return dropout1d(input, self.p, self.training, self.inplace)


class Dropout2d(_DropoutNd):
    """Channel dropout for (N, C, H, W): each feature map is zeroed whole with probability p
    (the kept ones scaled by 1/(1-p)) while training; identity in evaluation."""

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return F.dropout2d(input, self.p, self.training, self.inplace)


class AlphaDropout(_DropoutNd):
    """Dropout for SELU networks: dropped units take SELU's saturation value and an affine
    correction keeps zero mean and unit variance (Klambauer et al., 2017)."""

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return alpha_dropout(input, self.p, self.training, self.inplace)


class FeatureAlphaDropout(_DropoutNd):
    """Alpha dropout of whole channels of (N, C, *)."""

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return feature_alpha_dropout(input, self.p, self.training, self.inplace)

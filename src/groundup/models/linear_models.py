"""Linear models: `LogisticRegression` (softmax regression) and `LinearRegression`.

Both are one `Linear` layer trained by gradient descent; what makes them different is the
loss. Logistic regression returns logits for `cross_entropy`. Linear regression with
`mse_loss` has a closed-form optimum, w = (XᵀX + λI)⁻¹ Xᵀy, that gradient descent must
reach (the tests check it). SGD's `weight_decay=wd` on the weight alone, with the mean
squared error over N samples, is ridge regression with λ = N·wd/2: the gradient
(2/N)Xᵀ(Xw − y) + wd·w vanishes where (XᵀX + (N·wd/2) I) w = Xᵀy.
"""

from __future__ import annotations

from typing import Any

from groundup import nn
from groundup.tensor import Tensor


class LogisticRegression(nn.Module):
    """Class scores `x Wᵀ + b` (logits); `in_features * num_classes + num_classes` params."""

    def __init__(self, in_features: int, num_classes: int):
        super().__init__()
        self.in_features, self.num_classes = in_features, num_classes
        self.config: dict[str, Any] = {
            "name": "LogisticRegression",
            "in_features": in_features,
            "num_classes": num_classes,
        }
        self.linear = nn.Linear(in_features, num_classes)

    def forward(self, x: Tensor) -> Tensor:
        return self.linear(x)


class LinearRegression(nn.Module):
    """Predictions `x Wᵀ + b` of shape (batch, out_features); train with `mse_loss`
    against targets of the same shape ((N, 1), not (N,), which would broadcast)."""

    def __init__(self, in_features: int, out_features: int = 1):
        super().__init__()
        self.in_features, self.out_features = in_features, out_features
        self.config: dict[str, Any] = {
            "name": "LinearRegression",
            "in_features": in_features,
            "out_features": out_features,
        }
        self.linear = nn.Linear(in_features, out_features)

    def forward(self, x: Tensor) -> Tensor:
        return self.linear(x)

    def param_groups(self, weight_decay: float) -> list[dict[str, Any]]:
        """Optimizer groups that decay the weight but not the bias (ridge regression)."""
        groups: list[dict[str, Any]] = [
            {"params": [self.linear.weight], "weight_decay": weight_decay}
        ]
        if self.linear.bias is not None:
            groups.append({"params": [self.linear.bias], "weight_decay": 0.0})
        return groups

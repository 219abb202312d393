"""`MLP`: a stack of fully connected layers, the first model to train on tabular data.

Each hidden layer is `Linear -> [BatchNorm1d] -> activation -> [Dropout]`; the output layer
is a plain `Linear` that returns logits (the loss applies the softmax). With
`residual=True`, a hidden layer whose input and output widths agree adds its input back,
`h = h + layer(h)` (MNIST-1D's reference MLP: 40 -> 100 -> 100 (+ skip) -> 10).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from groundup import nn
from groundup.tensor import Tensor

ACTIVATIONS: dict[str, Callable[[], nn.Module]] = {
    "relu": nn.ReLU,
    "tanh": nn.Tanh,
    "sigmoid": nn.Sigmoid,
    "gelu": nn.GELU,
    "leaky_relu": nn.LeakyReLU,
}


def make_activation(activation: str | Callable[[], nn.Module]) -> nn.Module:
    """A fresh activation module from a name ('relu', 'tanh', ...) or a module class."""
    if isinstance(activation, str):
        if activation not in ACTIVATIONS:
            raise ValueError(
                f"unknown activation {activation!r}; choose from {sorted(ACTIVATIONS)}"
            )
        return ACTIVATIONS[activation]()
    return activation()


class MLP(nn.Module):
    """`MLP([64, 128, 10])`: 64 inputs, one hidden layer of 128 units, 10 outputs.

    Args:
        sizes: widths from input to output; at least two entries.
        activation: name or module class applied after each hidden layer.
        dropout: drop probability after each hidden activation (0 adds no layer).
        batch_norm: add `BatchNorm1d` between each hidden Linear and its activation.
        residual: add a skip connection around hidden layers whose width does not change.
    """

    def __init__(
        self,
        sizes: Sequence[int],
        activation: str = "relu",
        dropout: float = 0.0,
        batch_norm: bool = False,
        residual: bool = False,
    ):
        super().__init__()
        sizes = [int(s) for s in sizes]
        if len(sizes) < 2 or min(sizes) < 1:
            raise ValueError(f"MLP needs at least two positive sizes (in, out), got {sizes}")
        self.sizes, self.residual = sizes, residual
        self.config: dict[str, Any] = {
            "name": "MLP",
            "sizes": sizes,
            "activation": activation,
            "dropout": dropout,
            "batch_norm": batch_norm,
            "residual": residual,
        }
        self.hidden = nn.ModuleList()
        for n_in, n_out in zip(sizes[:-2], sizes[1:-1], strict=True):
            layers: list[nn.Module] = [nn.Linear(n_in, n_out)]
            if batch_norm:
                layers.append(nn.BatchNorm1d(n_out))
            layers.append(make_activation(activation))
            if dropout > 0:
                layers.append(nn.Dropout(dropout))
            self.hidden.append(nn.Sequential(*layers))
        self.out = nn.Linear(sizes[-2], sizes[-1])

    def forward(self, x: Tensor) -> Tensor:
        for layer in self.hidden:
            y = layer(x)
            x = x + y if self.residual and y.shape == x.shape else y
        return self.out(x)

    def extra_repr(self) -> str:
        return f"sizes={self.sizes}" + (", residual=True" if self.residual else "")

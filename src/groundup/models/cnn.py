"""Convolutional classifiers: `LeNet` (28x28), `DigitsCNN` (8x8 digits), `MNIST1DCNN`.

Each is a stack of Conv -> activation -> pooling blocks (the feature extractor) followed by
a flatten and fully connected layers (the classifier), and returns logits. Every model
carries a `config` that `groundup.models.build` turns back into the same architecture.

    model = cnn_for("digits")        # DigitsCNN, inputs (N, 1, 8, 8)
    model = cnn_for("mnist1d")       # MNIST1DCNN, inputs (N, 40) or (N, 1, 40)
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from groundup import nn
from groundup.inspect.shapes import conv_output_shape, pool_output_shape
from groundup.models.mlp import make_activation
from groundup.tensor import Tensor

POOLS = {"max": nn.MaxPool2d, "avg": nn.AvgPool2d}


class LeNet(nn.Module):
    """LeNet-5 for (C, 28, 28) images, as in d2l (with ReLU and max pooling by default):

        (1, 28, 28) conv 5x5 pad 2 -> (6, 28, 28) pool -> (6, 14, 14)
        conv 5x5 -> (16, 10, 10) pool -> (16, 5, 5) flatten -> 400 -> 120 -> 84 -> classes

    61,706 parameters for one input channel and 10 classes.

    Args:
        num_classes: outputs (logits).
        in_channels: image channels.
        activation: 'relu' (default), 'sigmoid' (the 1998 original), 'tanh', ...
        pool: 'max' or 'avg'.
    """

    def __init__(
        self,
        num_classes: int = 10,
        in_channels: int = 1,
        activation: str = "relu",
        pool: str = "max",
    ):
        super().__init__()
        if pool not in POOLS:
            raise ValueError(f"LeNet: pool must be one of {sorted(POOLS)}, got {pool!r}")
        self.config: dict[str, Any] = {
            "name": "LeNet",
            "num_classes": num_classes,
            "in_channels": in_channels,
            "activation": activation,
            "pool": pool,
        }
        self.features = nn.Sequential(
            nn.Conv2d(in_channels, 6, kernel_size=5, padding=2),  # (6, 28, 28)
            make_activation(activation),
            POOLS[pool](2),  # (6, 14, 14)
            nn.Conv2d(6, 16, kernel_size=5),  # (16, 10, 10)
            make_activation(activation),
            POOLS[pool](2),  # (16, 5, 5)
        )
        self.classifier = nn.Sequential(
            nn.Flatten(),  # (400,)
            nn.Linear(16 * 5 * 5, 120),
            make_activation(activation),
            nn.Linear(120, 84),
            make_activation(activation),
            nn.Linear(84, num_classes),
        )

    def forward(self, x: Tensor) -> Tensor:
        return self.classifier(self.features(x))


class DigitsCNN(nn.Module):
    """A small CNN for the 8x8 digits, inputs (N, 1, 8, 8).

    One block per entry of `channels`: Conv 3x3 (padding 1, size kept) -> [BatchNorm2d] ->
    ReLU -> MaxPool 2x2 (size halved); then flatten -> [Dropout] -> Linear(hidden) -> ReLU ->
    [Dropout] -> Linear(classes). The default, channels (32, 64) and hidden 128, gives
    (32, 4, 4) -> (64, 2, 2) -> 256 features and 53,002 parameters (53,194 with batch norm,
    the recipe of `digits_cnn_run`: test accuracy 0.99 on the 80/20 split); channels (16,) with
    hidden 64 is the 17,258-parameter CNN of the published digits baseline.
    """

    def __init__(
        self,
        num_classes: int = 10,
        channels: Sequence[int] = (32, 64),
        hidden: int = 128,
        dropout: float = 0.25,
        batch_norm: bool = False,
        in_channels: int = 1,
        image_size: int = 8,
    ):
        super().__init__()
        channels = [int(c) for c in channels]
        self.config: dict[str, Any] = {
            "name": "DigitsCNN",
            "num_classes": num_classes,
            "channels": channels,
            "hidden": hidden,
            "dropout": dropout,
            "batch_norm": batch_norm,
            "in_channels": in_channels,
            "image_size": image_size,
        }
        blocks: list[nn.Module] = []
        size, c_in = image_size, in_channels
        for c_out in channels:
            blocks.append(nn.Conv2d(c_in, c_out, kernel_size=3, padding=1))
            if batch_norm:
                blocks.append(nn.BatchNorm2d(c_out))
            blocks += [nn.ReLU(), nn.MaxPool2d(2)]
            size, c_in = pool_output_shape(size, 2), c_out  # 3x3 pad 1 keeps, pool halves
        self.features = nn.Sequential(*blocks)
        head: list[nn.Module] = [nn.Flatten()]
        if dropout > 0:
            head.append(nn.Dropout(dropout))
        head += [nn.Linear(c_in * size * size, hidden), nn.ReLU()]
        if dropout > 0:
            head.append(nn.Dropout(dropout))
        head.append(nn.Linear(hidden, num_classes))
        self.classifier = nn.Sequential(*head)

    def forward(self, x: Tensor) -> Tensor:
        return self.classifier(self.features(x))


class MNIST1DCNN(nn.Module):
    """The CNN of the MNIST-1D benchmark (Greydanus & Kobak; `ConvBase` in greydanus/mnist1d):

        (1, 40) conv k5 s2 p1 -> (25, 19) conv k3 s2 p1 -> (25, 10) conv k3 s2 p1 -> (25, 5)
        (ReLU after each) -> flatten 125 -> Linear -> 10

    5,210 parameters, with the reference's layer names (conv1..conv3, linear), so its
    state dicts load as they are. Inputs (N, 40) or (N, 1, 40).
    """

    def __init__(self, num_classes: int = 10, channels: int = 25, length: int = 40):
        super().__init__()
        self.config: dict[str, Any] = {
            "name": "MNIST1DCNN",
            "num_classes": num_classes,
            "channels": channels,
            "length": length,
        }
        self.length = length
        self.conv1 = nn.Conv1d(1, channels, 5, stride=2, padding=1)
        self.conv2 = nn.Conv1d(channels, channels, 3, stride=2, padding=1)
        self.conv3 = nn.Conv1d(channels, channels, 3, stride=2, padding=1)
        out = conv_output_shape(length, 5, stride=2, padding=1)
        out = conv_output_shape(conv_output_shape(out, 3, 2, 1), 3, 2, 1)  # 40 -> 19 -> 10 -> 5
        self.linear = nn.Linear(channels * out, num_classes)

    def forward(self, x: Tensor) -> Tensor:
        if x.ndim == 2:
            x = x.reshape(x.shape[0], 1, x.shape[1])  # (N, L) -> (N, 1, L)
        h = self.conv1(x).relu()
        h = self.conv2(h).relu()
        h = self.conv3(h).relu()
        return self.linear(h.reshape(h.shape[0], -1))  # (N, 25 * 5) -> (N, classes)


def cnn_for(dataset: str, num_classes: int = 10) -> nn.Module:
    """The CNN for a dataset name: 'digits' -> DigitsCNN (inputs (N, 1, 8, 8)),
    'mnist1d' -> MNIST1DCNN (inputs (N, 40)), 'mnist' -> LeNet (inputs (N, 1, 28, 28))."""
    makers = {"digits": DigitsCNN, "mnist1d": MNIST1DCNN, "mnist": LeNet}
    key = dataset.lower().replace("-", "").replace("_", "")
    if key not in makers:
        raise ValueError(f"no CNN for dataset {dataset!r}; choose from {sorted(makers)}")
    return makers[key](num_classes=num_classes)


__all__ = ["DigitsCNN", "LeNet", "MNIST1DCNN", "cnn_for"]

"""Autoencoders: learn to reproduce the input through a narrow code, without labels.

An encoder maps x to a code z in a small latent space; a decoder maps z back to x_hat; the
loss is the reconstruction error, e.g. mean((x_hat - x)^2). The code is too small to copy
the input, so the network must keep what matters most -- with a 2-D latent space one can
plot z and see the digits fall into groups although no label was ever used.

    model = Autoencoder()               # 64 -> 32 -> 16 -> 2 -> 16 -> 32 -> 64, inputs (N, 64)
    model = ConvAutoencoder()           # inputs (N, 1, 8, 8)
    z = model.encode(x); x_hat = model.decode(z)

The decoders end in a sigmoid: pixels are in [0, 1] (`digits(scale=True)`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from groundup import nn
from groundup.models.mlp import make_activation
from groundup.tensor import Tensor


class Autoencoder(nn.Module):
    """Fully connected autoencoder with a mirrored decoder.

    Args:
        sizes: widths from the input to the code, e.g. (64, 32, 16, 2); the decoder runs
            them backwards.
        activation: after every hidden layer (the code itself is linear).
    """

    def __init__(self, sizes: Sequence[int] = (64, 32, 16, 2), activation: str = "relu"):
        super().__init__()
        sizes = [int(s) for s in sizes]
        if len(sizes) < 2 or min(sizes) < 1:
            raise ValueError(f"Autoencoder needs at least two positive sizes, got {sizes}")
        self.config: dict[str, Any] = {
            "name": "Autoencoder",
            "sizes": sizes,
            "activation": activation,
        }
        self.latent_dim = sizes[-1]
        self.encoder = self._stack(sizes, activation, last=None)
        self.decoder = self._stack(sizes[::-1], activation, last=nn.Sigmoid())

    @staticmethod
    def _stack(sizes: list[int], activation: str, last: nn.Module | None) -> nn.Sequential:
        layers: list[nn.Module] = []
        for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:], strict=True)):
            layers.append(nn.Linear(n_in, n_out))
            if i < len(sizes) - 2:
                layers.append(make_activation(activation))
        if last is not None:
            layers.append(last)
        return nn.Sequential(*layers)

    def encode(self, x: Tensor) -> Tensor:
        """(N, input) -> (N, latent)."""
        return self.encoder(x)

    def decode(self, z: Tensor) -> Tensor:
        """(N, latent) -> (N, input), values in (0, 1)."""
        return self.decoder(z)

    def forward(self, x: Tensor) -> Tensor:
        return self.decode(self.encode(x))


class ConvAutoencoder(nn.Module):
    """Convolutional autoencoder for (N, 1, 8, 8) digits:

        encoder (1, 8, 8) conv 3x3 s2 p1 -> (16, 4, 4) conv 3x3 s2 p1 -> (32, 2, 2)
                flatten 128 -> Linear -> latent
        decoder latent -> Linear -> 128 -> (32, 2, 2) convT 3x3 s2 p1 op1 -> (16, 4, 4)
                convT 3x3 s2 p1 op1 -> (1, 8, 8) -> sigmoid

    Strided convolutions halve the size going down; transposed ones with output_padding 1
    double it going up: (H - 1) * 2 - 2 + 3 + 1 = 2H.
    """

    def __init__(
        self,
        latent_dim: int = 2,
        channels: Sequence[int] = (16, 32),
        in_channels: int = 1,
        image_size: int = 8,
    ):
        super().__init__()
        c1, c2 = (int(c) for c in channels)
        if image_size % 4:
            raise ValueError(
                f"ConvAutoencoder: image_size must be divisible by 4, got {image_size}"
            )
        self.config: dict[str, Any] = {
            "name": "ConvAutoencoder",
            "latent_dim": latent_dim,
            "channels": [c1, c2],
            "in_channels": in_channels,
            "image_size": image_size,
        }
        self.latent_dim, self.image_size = latent_dim, image_size
        self.code_shape = (c2, image_size // 4, image_size // 4)  # (32, 2, 2) for 8x8
        flat = c2 * (image_size // 4) ** 2
        self.encoder = nn.Sequential(
            nn.Conv2d(in_channels, c1, 3, stride=2, padding=1),  # (c1, H/2, W/2)
            nn.ReLU(),
            nn.Conv2d(c1, c2, 3, stride=2, padding=1),  # (c2, H/4, W/4)
            nn.ReLU(),
            nn.Flatten(),  # (flat,)
            nn.Linear(flat, latent_dim),
        )
        self.project = nn.Sequential(nn.Linear(latent_dim, flat), nn.ReLU())
        self.decoder = nn.Sequential(
            nn.ConvTranspose2d(c2, c1, 3, stride=2, padding=1, output_padding=1),  # (c1, H/2)
            nn.ReLU(),
            nn.ConvTranspose2d(c1, in_channels, 3, stride=2, padding=1, output_padding=1),
            nn.Sigmoid(),  # (in_channels, H, W)
        )

    def encode(self, x: Tensor) -> Tensor:
        """(N, C, H, W) -> (N, latent)."""
        return self.encoder(x)

    def decode(self, z: Tensor) -> Tensor:
        """(N, latent) -> (N, C, H, W), values in (0, 1)."""
        h = self.project(z).reshape(z.shape[0], *self.code_shape)  # (N, c2, H/4, W/4)
        return self.decoder(h)

    def forward(self, x: Tensor) -> Tensor:
        return self.decode(self.encode(x))


__all__ = ["Autoencoder", "ConvAutoencoder"]

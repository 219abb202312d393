"""`SplitData`: a dataset already split into train and test arrays, plus its loaders."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from groundup.data.dataloader import DataLoader
from groundup.data.dataset import TensorDataset


@dataclass(frozen=True)
class SplitData:
    """Train and test arrays of one dataset (inputs float32, labels int64)."""

    name: str
    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    num_classes: int
    extras: dict[str, Any] = field(default_factory=dict)  # e.g. MNIST-1D's time axis `t`

    @property
    def input_shape(self) -> tuple[int, ...]:
        """Shape of one input, e.g. (64,) or (1, 8, 8)."""
        return tuple(self.x_train.shape[1:])

    def train_dataset(self) -> TensorDataset:
        return TensorDataset(self.x_train, self.y_train)

    def test_dataset(self) -> TensorDataset:
        return TensorDataset(self.x_test, self.y_test)

    def loaders(
        self,
        batch_size: int = 64,
        shuffle: bool = True,
        seed: int | None = None,
        num_workers: int = 0,
        drop_last: bool = False,
        test_batch_size: int | None = None,
    ) -> tuple[DataLoader, DataLoader]:
        """(train_loader, test_loader); only the training loader shuffles."""
        train = DataLoader(
            self.train_dataset(),
            batch_size,
            shuffle=shuffle,
            drop_last=drop_last,
            num_workers=num_workers,
            seed=seed,
        )
        # A private generator: iterating the test set never draws from the global one.
        test = DataLoader(
            self.test_dataset(), test_batch_size or batch_size, num_workers=num_workers, seed=0
        )
        return train, test

    def __repr__(self) -> str:
        return (
            f"SplitData({self.name!r}: train {self.x_train.shape} {self.x_train.dtype}, "
            f"test {self.x_test.shape}, {self.num_classes} classes)"
        )

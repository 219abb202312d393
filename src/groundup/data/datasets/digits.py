"""scikit-learn's handwritten digits: 1,797 grey 8x8 images of 0-9, shipped with the
package (nothing is downloaded)."""

from __future__ import annotations

import numpy as np

from groundup.data.datasets.split_data import SplitData
from groundup.data.splits import train_val_test_split


def digits(
    split_seed: int = 0, test_size: float = 0.2, scale: bool = True, flatten: bool = True
) -> SplitData:
    """The digits dataset with a stratified train/test split (80/20 by default).

    Args:
        split_seed: seed of the split; the same seed always gives the same split.
        test_size: fraction (rounded up: 360 of 1,797 for 0.2) or count of test images.
        scale: divide pixels (0..16) by 16 so they lie in [0, 1].
        flatten: inputs of shape (64,) for MLPs; False gives (1, 8, 8) for CNNs.

    Inputs are float32, labels int64. Every class keeps its share in both parts.
    """
    from sklearn.datasets import load_digits  # scikit-learn is slow to import

    bunch = load_digits()
    x = bunch.images.astype(np.float32)  # (1797, 8, 8), values 0..16
    if scale:
        x /= 16.0
    x = x.reshape(len(x), 64) if flatten else x[:, None]  # (N, 64) or (N, 1, 8, 8)
    y = bunch.target.astype(np.int64)
    train, _, test = train_val_test_split(
        len(y), val_size=0.0, test_size=test_size, stratify=y, seed=split_seed
    )
    return SplitData(
        name="digits",
        x_train=x[train],
        y_train=y[train],
        x_test=x[test],
        y_test=y[test],
        num_classes=10,
    )

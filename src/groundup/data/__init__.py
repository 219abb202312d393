"""groundup.data: datasets, the DataLoader, splits and preprocessing, named as in
`torch.utils.data`.

    from groundup.data import DataLoader, TensorDataset, digits
    d = digits()                                  # stratified 80/20 split, X/16, float32
    train, test = d.loaders(batch_size=64)        # shuffled train, ordered test
    for x, y in train: ...                        # x: (64, 64) float32, y: (64,) int64
"""

from groundup.data.collate import default_collate
from groundup.data.dataloader import DataLoader
from groundup.data.dataset import ConcatDataset, Dataset, Subset, TensorDataset
from groundup.data.datasets import SplitData, digits, load_idx_dataset, mnist1d, read_idx
from groundup.data.splits import kfold, random_split, train_val_test_split
from groundup.data.transforms import MinMaxScale, Normalize, Standardize, one_hot

__all__ = [
    "ConcatDataset",
    "DataLoader",
    "Dataset",
    "MinMaxScale",
    "Normalize",
    "SplitData",
    "Standardize",
    "Subset",
    "TensorDataset",
    "default_collate",
    "digits",
    "kfold",
    "load_idx_dataset",
    "mnist1d",
    "one_hot",
    "random_split",
    "read_idx",
    "train_val_test_split",
]

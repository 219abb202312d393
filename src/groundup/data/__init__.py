"""groundup.data: datasets, the DataLoader, splits and preprocessing, named as in
`torch.utils.data`.

    from groundup.data import DataLoader, TensorDataset, digits
    d = digits()                                  # stratified 80/20 split, X/16, float32
    train, test = d.loaders(batch_size=64)        # shuffled train, ordered test
    for x, y in train: ...                        # x: (64, 64) float32, y: (64,) int64
"""

from groundup.data.collate import default_collate
from groundup.data.dataloader import DataLoader, default_convert
from groundup.data.dataset import (
    ChainDataset,
    ConcatDataset,
    Dataset,
    IterableDataset,
    StackDataset,
    Subset,
    TensorDataset,
)
from groundup.data.datasets import SplitData, digits, load_idx_dataset, mnist1d, read_idx
from groundup.data.sampler import (
    BatchSampler,
    RandomSampler,
    Sampler,
    SequentialSampler,
    SubsetRandomSampler,
    WeightedRandomSampler,
)
from groundup.data.splits import kfold, random_split, train_val_test_split
from groundup.data.transforms import MinMaxScale, Normalize, Standardize, one_hot
from groundup.data.worker import WorkerInfo, get_worker_info

__all__ = [
    "BatchSampler",
    "ChainDataset",
    "ConcatDataset",
    "DataLoader",
    "Dataset",
    "IterableDataset",
    "MinMaxScale",
    "Normalize",
    "RandomSampler",
    "Sampler",
    "SequentialSampler",
    "SplitData",
    "StackDataset",
    "Standardize",
    "Subset",
    "SubsetRandomSampler",
    "TensorDataset",
    "WeightedRandomSampler",
    "WorkerInfo",
    "default_collate",
    "default_convert",
    "digits",
    "get_worker_info",
    "kfold",
    "load_idx_dataset",
    "mnist1d",
    "one_hot",
    "random_split",
    "read_idx",
    "train_val_test_split",
]

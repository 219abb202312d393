"""Ready-made datasets, all local: digits (scikit-learn), MNIST-1D (generated), IDX files."""

from groundup.data.datasets.digits import digits
from groundup.data.datasets.idx import load_idx_dataset, read_idx
from groundup.data.datasets.mnist1d import mnist1d
from groundup.data.datasets.split_data import SplitData

__all__ = ["SplitData", "digits", "load_idx_dataset", "mnist1d", "read_idx"]

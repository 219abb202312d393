"""Ready-made datasets, all local: digits (scikit-learn), MNIST-1D (generated), IDX files."""

from groundup.data.datasets.digits import digits
from groundup.data.datasets.idx import load_idx_dataset, read_idx
from groundup.data.datasets.mnist1d import mnist1d
from groundup.data.datasets.sequences import (
    SequenceData,
    Vocabulary,
    addition,
    copying,
    dates,
    reversal,
)
from groundup.data.datasets.split_data import SplitData

__all__ = [
    "SequenceData",
    "SplitData",
    "Vocabulary",
    "addition",
    "copying",
    "dates",
    "digits",
    "load_idx_dataset",
    "mnist1d",
    "read_idx",
    "reversal",
]

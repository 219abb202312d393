"""MNIST-1D (Greydanus & Kobak, "Scaling down deep learning with MNIST-1D", ICML 2024),
generated locally by the `mnist1d` package -- never downloaded."""

from __future__ import annotations

import functools
import random
from typing import Any

import numpy as np

from groundup.data.datasets.split_data import SplitData


@functools.cache
def _generate() -> dict[str, Any]:
    """`make_dataset(get_dataset_args())` once per process, plus the position shuffle.

    `make_dataset` reseeds NumPy's and Python's global random state (`np.random.seed`);
    both are restored afterwards so generating the data disturbs no other code.
    """
    from mnist1d.data import get_dataset_args, make_dataset  # imports matplotlib: slow

    numpy_state, python_state = np.random.get_state(), random.getstate()  # noqa: NPY002
    try:
        args = get_dataset_args()
        data = make_dataset(args)
        # With args.shuffle_seq the package draws this very permutation next, right after
        # its batch shuffle; drawing it here reproduces its shuffled variant exactly.
        positions = np.random.permutation(args.final_seq_length)  # noqa: NPY002
    finally:
        np.random.set_state(numpy_state)  # noqa: NPY002
        random.setstate(python_state)
    return {
        "x": data["x"].astype(np.float32),
        "y": data["y"].astype(np.int64),
        "x_test": data["x_test"].astype(np.float32),
        "y_test": data["y_test"].astype(np.int64),
        "t": data["t"].astype(np.float32),
        "positions": positions,
    }


def mnist1d(shuffle_positions: bool = False, flatten: bool = True) -> SplitData:
    """MNIST-1D: 4,000 train and 1,000 test signals of length 40, ten classes.

    This is `mnist1d.data.make_dataset(get_dataset_args())` with the package's default
    arguments (5,000 samples, seed 42, 80/20 split): the same data as the published
    frozen file. Generation takes about 2-3 s plus ~1 s to import the package
    (measured on a 2-core machine), so the arrays are cached for the process; every call
    returns fresh copies.

    Args:
        shuffle_positions: apply one fixed random permutation to the 40 positions of every
            train and test signal -- the paper's "shuffled" variant (equal to the package's
            `shuffle_seq=True` data), which leaves MLPs unaffected but removes the spatial
            structure CNNs and RNNs rely on.
        flatten: inputs of shape (40,); False gives (1, 40) for Conv1d.

    Inputs are float32 (standardized over the whole dataset), labels int64. `extras`
    holds `t`, the signals' horizontal axis for plotting, and `positions`, the
    permutation (the identity unless `shuffle_positions`).
    """
    data = _generate()
    positions = data["positions"] if shuffle_positions else np.arange(data["x"].shape[1])

    def inputs(x: np.ndarray) -> np.ndarray:
        x = x[:, positions]  # fancy indexing copies: the cache stays untouched
        return x if flatten else x[:, None]  # (N, 40) or (N, 1, 40)

    return SplitData(
        name="mnist1d-shuffled" if shuffle_positions else "mnist1d",
        x_train=inputs(data["x"]),
        y_train=data["y"].copy(),
        x_test=inputs(data["x_test"]),
        y_test=data["y_test"].copy(),
        num_classes=10,
        extras={"t": data["t"].copy(), "positions": positions.copy()},
    )

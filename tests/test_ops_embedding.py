"""Embedding lookup against torch: repeated indices accumulate, the padding row gets no
gradient, bad indices are reported."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F

import groundup as gu
import groundup.nn.functional as gF
from tests.oracle import check_op
from tests.strategies import normal

W = normal((6, 4), 0)


@pytest.mark.parametrize(
    "indices",
    [
        np.array([1, 3, 3, 0, 3]),
        np.array([[0, 5], [5, 5], [2, 1]]),
        np.array(4),
        np.array([], np.int64),
    ],
)
@pytest.mark.parametrize("padding_idx", [None, 3, -1])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_embedding_matches_torch(indices, padding_idx, dtype):
    check_op(
        lambda w: gF.embedding(gu.tensor(indices), w, padding_idx),
        lambda w: F.embedding(torch.tensor(indices), w, padding_idx),
        W.astype(dtype),
    )


def test_repeated_indices_accumulate_and_padding_row_gets_zero():
    w = gu.tensor(W, requires_grad=True)
    gF.embedding(gu.tensor([2, 2, 2, 0, 1]), w, padding_idx=1).sum().backward()
    expected = np.zeros((6, 4))
    expected[2], expected[0] = 3, 1  # row 1 is the padding row: no gradient
    np.testing.assert_array_equal(w.grad.numpy(), expected)
    out = gF.embedding(np.array([1]), w, padding_idx=1)  # the forward still reads the row
    np.testing.assert_array_equal(out.detach().numpy(), W[[1]])


def test_embedding_errors():
    w = gu.tensor(W)
    with pytest.raises(
        IndexError, match=r"embedding: index 6 is out of range for 6 embeddings .* \[0, 5\]"
    ):
        gF.embedding(gu.tensor([0, 6]), w)
    with pytest.raises(IndexError, match="embedding: index -1 is out of range"):
        gF.embedding(gu.tensor([-1, 2]), w)
    with pytest.raises(
        TypeError, match="embedding: indices must be an integer tensor, got dtype float32"
    ):
        gF.embedding(gu.tensor([0.0, 1.0]), w)
    with pytest.raises(ValueError, match="embedding: padding_idx 6 is out of range for 6 rows"):
        gF.embedding(gu.tensor([0]), w, padding_idx=6)

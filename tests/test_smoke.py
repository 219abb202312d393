import numpy as np
import torch

import groundup as gu
from tests.oracle import check_op, randn


def test_matmul_relu_sum_matches_torch():
    a, b = randn(3, 4), randn(4, 5, seed=1)
    check_op(lambda x, y: (x @ y).relu().sum(dim=1), lambda x, y: (x @ y).relu().sum(dim=1), a, b)


def test_float32_stays_float32():
    x = gu.tensor([1.0, 2.0], requires_grad=True)
    y = (x * 2.5 + 1) ** 2 / 3.0
    assert y.dtype == np.float32
    y.sum().backward()
    assert x.grad.dtype == np.float32
    torch.testing.assert_close(torch.tensor(x.grad.numpy()), torch.tensor([35 / 6, 10.0]))

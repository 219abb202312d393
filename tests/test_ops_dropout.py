"""Dropout: inverted scaling, its expectation, the p=0 / p=1 edges, evaluation mode and
reproducibility under manual_seed."""

import numpy as np
import pytest

import groundup as gu
import groundup.nn.functional as gF
from groundup.inspect import gradcheck
from tests.strategies import normal


@pytest.mark.parametrize("p", [0.1, 0.5, 0.8])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_kept_units_are_scaled_by_one_over_keep_probability(p, dtype):
    gu.manual_seed(0)
    data = normal((40, 50), 1, dtype)
    x = gu.tensor(data, requires_grad=True)
    out = gF.dropout(x, p)
    assert out.dtype == dtype
    kept = out.detach().numpy() != 0
    np.testing.assert_allclose(out.detach().numpy()[kept], data[kept] / (1 - p), rtol=1e-6)
    # the gradient is the same mask: 1/(1-p) where kept, 0 where dropped
    upstream = normal((40, 50), 2, dtype)
    out.backward(upstream)
    assert x.grad.dtype == dtype
    np.testing.assert_allclose(x.grad.numpy(), np.where(kept, upstream / (1 - p), 0), rtol=1e-6)
    np.testing.assert_array_equal(x.detach().numpy(), data)  # input untouched


@pytest.mark.parametrize("p", [0.2, 0.5, 0.9])
def test_dropout_keeps_the_expectation_and_drops_a_fraction_p(p):
    gu.manual_seed(1)
    n = 200_000
    out = gF.dropout(gu.ones(n), p).numpy()
    dropped = float(np.mean(out == 0))
    # binomial standard error of the dropped fraction; 5 sigma
    assert abs(dropped - p) < 5 * np.sqrt(p * (1 - p) / n)
    # E[out] = (1 - p) * 1/(1-p) = 1; its standard error is sqrt(p / ((1-p) n))
    assert abs(out.mean() - 1.0) < 5 * np.sqrt(p / ((1 - p) * n))


def test_p_zero_and_evaluation_are_the_identity():
    x = gu.tensor(normal((5, 5), 0), requires_grad=True)
    for out in (gF.dropout(x, 0.0), gF.dropout(x, 0.5, training=False)):
        np.testing.assert_array_equal(out.detach().numpy(), x.detach().numpy())
    gF.dropout(x, 0.7, training=False).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.ones((5, 5)))


def test_p_one_zeroes_everything_including_the_gradient():
    x = gu.tensor(normal((4, 4), 0), requires_grad=True)
    out = gF.dropout(x, 1.0)
    np.testing.assert_array_equal(out.detach().numpy(), np.zeros((4, 4)))
    out.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.zeros((4, 4)))


def test_dropout_is_reproducible_under_manual_seed_and_fresh_otherwise():
    x = gu.ones(1000)
    gu.manual_seed(42)
    first, second = gF.dropout(x, 0.5).numpy(), gF.dropout(x, 0.5).numpy()
    gu.manual_seed(42)
    np.testing.assert_array_equal(gF.dropout(x, 0.5).numpy(), first)
    assert not np.array_equal(first, second)


def test_dropout_passes_gradcheck_with_a_fixed_mask():
    def fn(t):
        gu.manual_seed(3)
        return gF.dropout(t, 0.3)

    assert gradcheck(fn, gu.tensor(normal((6, 7), 0), requires_grad=True))


def test_dropout_argument_errors():
    with pytest.raises(
        ValueError, match="dropout probability has to be between 0 and 1, but got 1.5"
    ):
        gF.dropout(gu.ones(3), 1.5)
    with pytest.raises(
        TypeError, match="dropout: expected a floating-point tensor, got dtype int64"
    ):
        gF.dropout(gu.tensor([1, 2]), 0.5)

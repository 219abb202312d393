"""Activations against torch: relu, leaky_relu, sigmoid, tanh, gelu (exact and tanh),
softmax and log_softmax, including extreme inputs that must not overflow."""

import warnings

import numpy as np
import pytest
import torch
import torch.nn.functional as F

import groundup as gu
import groundup.nn.functional as gF
from tests.oracle import check_op
from tests.strategies import ladder, normal

X = normal((3, 5), 0) * 2


@pytest.mark.parametrize(
    "gu_fn, torch_fn",
    [
        (gF.relu, F.relu),
        (lambda t: t.relu(), lambda t: t.relu()),
        (gF.leaky_relu, F.leaky_relu),
        (lambda t: gF.leaky_relu(t, 0.2), lambda t: F.leaky_relu(t, 0.2)),
        (
            lambda t: gF.leaky_relu(t, negative_slope=-0.5),
            lambda t: F.leaky_relu(t, negative_slope=-0.5),
        ),
        (gF.sigmoid, torch.sigmoid),
        (gu.sigmoid, torch.sigmoid),
        (gF.tanh, torch.tanh),
        (lambda t: t.tanh(), lambda t: t.tanh()),
        (gF.gelu, F.gelu),
        (lambda t: gF.gelu(t, approximate="tanh"), lambda t: F.gelu(t, approximate="tanh")),
    ],
)
@pytest.mark.parametrize("shape", [(), (7,), (3, 5)])
def test_pointwise_activation_matches_torch(gu_fn, torch_fn, shape):
    ladder(gu_fn, torch_fn, normal(shape, 1) * 2)


@pytest.mark.parametrize(
    "gu_fn, torch_fn",
    [(gF.relu, F.relu), (gF.leaky_relu, F.leaky_relu)],
)
def test_relu_family_gradient_at_exactly_zero_follows_torch(gu_fn, torch_fn):
    check_op(gu_fn, torch_fn, np.array([-1.0, 0.0, 0.0, 2.0]))
    x = gu.tensor([0.0], requires_grad=True)
    gF.relu(x).backward()
    assert x.grad.item() == 0.0


@pytest.mark.parametrize("fn", ["softmax", "log_softmax"])
@pytest.mark.parametrize("dim", [0, 1, -1])
def test_softmax_and_log_softmax_match_torch(fn, dim):
    ladder(lambda t: getattr(gF, fn)(t, dim), lambda t: getattr(F, fn)(t, dim=dim), X)
    ladder(lambda t: getattr(t, fn)(dim), lambda t: getattr(t, fn)(dim), normal((2, 3, 4), 2))


def test_softmax_rows_sum_to_one():
    out = gF.softmax(gu.tensor(X), dim=1)
    np.testing.assert_allclose(out.numpy().sum(axis=1), 1.0, rtol=1e-12)


@pytest.mark.parametrize("fn", ["softmax", "log_softmax"])
def test_softmax_is_stable_for_huge_logits(fn):
    logits = np.array([[1e4, 0.0, -1e4], [3e4, 3e4, 3e4], [-5e4, -5e4 + 1, 0.0]], np.float32)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no overflow, no invalid value
        check_op(lambda t: getattr(gF, fn)(t, 1), lambda t: getattr(F, fn)(t, dim=1), logits)
        check_op(
            lambda t: getattr(gF, fn)(t, 1),
            lambda t: getattr(F, fn)(t, dim=1),
            logits.astype(np.float64),
        )


def test_sigmoid_and_tanh_of_extreme_float32_inputs():
    x = np.array([-1e4, -100.0, -20.0, 0.0, 20.0, 100.0, 1e4], np.float32)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for gu_fn, torch_fn in [
            (gF.sigmoid, torch.sigmoid),
            (gF.tanh, torch.tanh),
            (gF.gelu, F.gelu),
        ]:
            check_op(gu_fn, torch_fn, x)
            t = gu.tensor(x, requires_grad=True)
            out = gu_fn(t)
            out.sum().backward()
            assert out.dtype == t.grad.dtype == np.float32
            assert np.isfinite(out.detach().numpy()).all() and np.isfinite(t.grad.numpy()).all()
    s = gF.sigmoid(gu.tensor(x)).numpy()
    assert s[0] == 0.0 and s[-1] == 1.0


def test_sigmoid_of_integers_is_float32_and_softmax_of_integers_is_an_error():
    assert gF.sigmoid(gu.tensor([0, 1])).dtype == np.float32
    with pytest.raises(
        TypeError, match="softmax: expected a floating-point tensor, got dtype int64"
    ):
        gF.softmax(gu.tensor([1, 2]), 0)
    with pytest.raises(TypeError, match="gelu: expected a floating-point tensor"):
        gF.gelu(gu.tensor([1, 2]))


def test_activation_argument_errors():
    with pytest.raises(ValueError, match="gelu: approximate must be 'none' or 'tanh', got 'erf'"):
        gF.gelu(gu.tensor(X), approximate="erf")
    with pytest.raises(IndexError, match="softmax: dim 2 is out of range"):
        gF.softmax(gu.tensor(X), 2)
    with pytest.raises(IndexError, match="log_softmax: dim -3 is out of range"):
        gF.log_softmax(gu.tensor(X), -3)

"""matmul in all its forms (vector, matrix, batched, broadcast batch dims) and the fused
linear against torch, with their shape errors."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given

import groundup as gu
import groundup.nn.functional as gF
from tests.strategies import ladder, matmul_shapes, normal, seeds


@pytest.mark.parametrize(
    "shape_a, shape_b",
    [
        ((4,), (4,)),  # dot product -> 0-d
        ((3, 4), (4,)),  # matrix @ vector
        ((4,), (4, 5)),  # vector @ matrix
        ((3, 4), (4, 5)),
        ((2, 3, 4), (2, 4, 5)),  # batched
        ((2, 1, 3, 4), (5, 4, 6)),  # broadcast batch dims
        ((3, 4), (2, 4, 5)),  # a matrix against a batch
        ((4,), (2, 4, 5)),  # a vector against a batch
        ((2, 3, 4), (4,)),  # a batch against a vector
    ],
)
def test_matmul_matches_torch(shape_a, shape_b):
    a, b = normal(shape_a, 0), normal(shape_b, 1)
    ladder(lambda x, y: x @ y, lambda x, y: x @ y, a, b)
    ladder(gu.matmul, torch.matmul, a, b, dtypes=(np.float32,), check_gradients=False)


@given(shapes=matmul_shapes(), seed=seeds)
def test_matmul_over_random_shapes(shapes, seed):
    ladder(gu.matmul, torch.matmul, normal(shapes[0], seed), normal(shapes[1], seed + 1))


def test_matmul_with_one_constant_operand_and_ndarray_operand():
    a, b = normal((3, 4), 0), normal((4, 2), 1)
    # float64 only: the constant operand is float64
    ladder(lambda x: x @ gu.tensor(b), lambda x: x @ torch.tensor(b), a, dtypes=(np.float64,))
    # ndarray @ Tensor -> Tensor, through __rmatmul__
    ladder(lambda y: a @ y, lambda y: torch.tensor(a) @ y, b, dtypes=(np.float64,))


@pytest.mark.parametrize(
    "shape_a, shape_b, error, message",
    [
        (
            (2, 3),
            (4, 5),
            RuntimeError,
            r"matmul: shapes \(2, 3\) and \(4, 5\) cannot be multiplied "
            r"\(a's last dim 3 must equal b's second-to-last dim 4\)",
        ),
        ((2, 3), (4,), RuntimeError, r"a's last dim 3 must equal b's first dim 4"),
        (
            (2, 3, 4),
            (3, 4, 5),
            RuntimeError,
            r"matmul: batch dims \(2,\) and \(3,\) of shapes \(2, 3, 4\) and \(3, 4, 5\) "
            r"do not broadcast",
        ),
        (
            (),
            (3,),
            RuntimeError,
            r"matmul: both arguments need at least 1 dimension, got \(\) and \(3,\)",
        ),
    ],
)
def test_matmul_shape_errors(shape_a, shape_b, error, message):
    with pytest.raises(error, match=message):
        gu.tensor(normal(shape_a, 0)) @ gu.tensor(normal(shape_b, 1))


def test_matmul_dtype_mismatch_is_an_error():
    with pytest.raises(TypeError, match="matmul: dtypes differ \\(float32 and float64\\)"):
        gu.ones(2, 2) @ gu.ones(2, 2, dtype=np.float64)


@pytest.mark.parametrize("x_shape", [(3,), (5, 3), (2, 5, 3)])
@pytest.mark.parametrize("bias", [True, False])
def test_linear_matches_torch(x_shape, bias):
    x, w, b = normal(x_shape, 0), normal((4, 3), 1), normal((4,), 2)
    if bias:
        ladder(gF.linear, F.linear, x, w, b)
    else:
        ladder(gF.linear, F.linear, x, w)


def test_linear_equals_its_composed_twin():
    x, w, b = (
        gu.tensor(normal(s, k), requires_grad=True) for k, s in enumerate([(6, 3), (4, 3), (4,)])
    )
    upstream = normal((6, 4), 9)
    gF.linear(x, w, b).backward(upstream)
    fused = [t.grad.numpy().copy() for t in (x, w, b)]
    for t in (x, w, b):
        t.grad = None
    (x @ w.T + b).backward(upstream)
    for got, t in zip(fused, (x, w, b), strict=True):
        np.testing.assert_allclose(got, t.grad.numpy(), rtol=1e-12, atol=1e-12)


def test_linear_errors_name_the_layer_and_shapes():
    w = gu.tensor(normal((4, 3), 0))
    with pytest.raises(
        RuntimeError, match=r"Linear\(3->4\) got input of shape \(2, 5\): last dimension must be 3"
    ):
        gF.linear(gu.tensor(normal((2, 5), 1)), w)
    with pytest.raises(
        RuntimeError, match=r"Linear: bias of shape \(3,\) does not match weight of shape \(4, 3\)"
    ):
        gF.linear(gu.tensor(normal((2, 3), 1)), w, gu.tensor(normal((3,), 2)))
    with pytest.raises(
        TypeError, match="Linear: input dtype float32 differs from weight dtype float64"
    ):
        gF.linear(gu.ones(2, 3), w)

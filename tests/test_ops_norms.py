"""Norms against torch: linalg.vector_norm (every ord, gradients at 0), linalg.matrix_norm
('fro', 'nuc', +-1, +-2, +-inf), linalg.norm's choice between them, and torch.norm."""

import numpy as np
import pytest
import torch

import groundup as gu
from tests.oracle import check_op
from tests.strategies import ladder, normal, with_ties

INF, NAN = float("inf"), float("nan")
ORDS = [2, 1, 0, INF, -INF, 3, 0.5, -1, -2, 1.5, 2.5]
SMOOTH_ORDS = [2, 1, 3, 0.5, -1, 1.5]  # differentiable away from ties and zeros


@pytest.mark.parametrize(
    "dim, keepdim", [(None, False), (None, True), (0, False), (-1, True), ((0, 2), False)]
)
@pytest.mark.parametrize("ord", ORDS)
def test_vector_norm_matches_torch(ord, dim, keepdim):
    x = normal((2, 3, 4), 0)
    ladder(
        lambda t: gu.linalg.vector_norm(t, ord, dim, keepdim),
        lambda t: torch.linalg.vector_norm(t, ord, dim, keepdim),
        x,
        check_gradients=ord in SMOOTH_ORDS or ord in (INF, -INF),
    )


@pytest.mark.parametrize("ord", ORDS)
def test_vector_norm_gradient_at_zero_and_with_zeros_is_torch_subgradient(ord):
    for a in (np.zeros(3), np.array([1.0, 0.0, -2.0]), np.array([[0.0, 0.0], [3.0, -4.0]])):
        check_op(
            lambda t: gu.linalg.vector_norm(t, ord, -1),
            lambda t: torch.linalg.vector_norm(t, ord, -1),
            a,
        )


@pytest.mark.parametrize("ord", [INF, -INF])
def test_inf_norms_share_the_gradient_between_ties(ord):
    x = with_ties((3, 5), 1)
    check_op(
        lambda t: gu.linalg.vector_norm(t, ord, 1), lambda t: torch.linalg.vector_norm(t, ord, 1), x
    )
    check_op(lambda t: gu.linalg.vector_norm(t, ord), lambda t: torch.linalg.vector_norm(t, ord), x)


@pytest.mark.parametrize("ord", [2, 1, INF, 3])
def test_vector_norm_with_nan_matches_torch(ord):
    check_op(
        lambda t: gu.linalg.vector_norm(t, ord),
        lambda t: torch.linalg.vector_norm(t, ord),
        np.array([1.0, NAN, 0.0]),
    )


def test_vector_norm_of_0d_non_contiguous_and_dtype():
    check_op(
        lambda t: gu.linalg.vector_norm(t, dim=0),
        lambda t: torch.linalg.vector_norm(t, dim=0),
        np.array(-3.0),
    )
    x = normal((4, 3), 2)
    check_op(
        lambda t: gu.linalg.vector_norm(t.T, 1, 0), lambda t: torch.linalg.vector_norm(t.T, 1, 0), x
    )
    check_op(
        lambda t: gu.linalg.vector_norm(t, dtype=np.float64),
        lambda t: torch.linalg.vector_norm(t, dtype=torch.float64),
        x.astype(np.float32),
    )
    # no rescaling, as in torch: squares overflow and underflow
    for a in (np.array([1e200, 1e200]), np.array([1e-200, 1e-200])):
        check_op(lambda t: gu.linalg.vector_norm(t), lambda t: torch.linalg.vector_norm(t), a)


@pytest.mark.parametrize(
    "ord, dim", [(INF, None), (-INF, None), (-1, None), (INF, 0), (-0.5, 0), (INF, (0, 1))]
)
def test_vector_norm_without_identity_refuses_empty_dims(ord, dim):
    with pytest.raises(RuntimeError):
        torch.linalg.vector_norm(torch.zeros(0, 3), ord, dim)
    with pytest.raises(RuntimeError, match="no identity element"):
        gu.linalg.vector_norm(gu.zeros(0, 3), ord, dim)


@pytest.mark.parametrize("ord, dim", [(2, None), (0, None), (INF, 1), (-0.5, 1), (0.5, 0), (1, 0)])
def test_vector_norm_of_empty_tensors(ord, dim):
    check_op(
        lambda t: gu.linalg.vector_norm(t, ord, dim),
        lambda t: torch.linalg.vector_norm(t, ord, dim),
        np.zeros((0, 3)),
    )


@pytest.mark.parametrize(
    "call, error, message",
    [
        (
            lambda L, T: L.vector_norm(T.tensor([1, 2])),
            RuntimeError,
            "floating-point tensor as input",
        ),
        (
            lambda L, T: L.vector_norm(T.tensor([1.0]), ord="fro"),
            TypeError,
            "'ord' must be a number",
        ),
        (
            lambda L, T: L.vector_norm(T.tensor([1.0]), dtype=T.int64),
            RuntimeError,
            "floating-point type",
        ),
        (lambda L, T: L.vector_norm(T.tensor([1.0]), dtype=T.float16), RuntimeError, "narrowing"),
        (
            lambda L, T: L.vector_norm(T.zeros(2, 2), dim=(1, 1)),
            RuntimeError,
            "same dimension twice",
        ),
        (lambda L, T: L.vector_norm(T.zeros(2, 2), dim=2), IndexError, "out of range"),
    ],
)
def test_vector_norm_errors(call, error, message):
    with pytest.raises(error):
        call(torch.linalg, torch)
    with pytest.raises(error, match=message):
        call(gu.linalg, gu)


MATRIX_ORDS = ["fro", "nuc", 1, -1, 2, -2, INF, -INF]


@pytest.mark.parametrize(
    "dim, keepdim", [((-2, -1), False), ((-1, -2), True), ((0, 2), False), ((2, 0), True)]
)
@pytest.mark.parametrize("ord", MATRIX_ORDS)
def test_matrix_norm_matches_torch(ord, dim, keepdim):
    x = normal((3, 2, 4), 3)
    ladder(
        lambda t: gu.linalg.matrix_norm(t, ord, dim, keepdim),
        lambda t: torch.linalg.matrix_norm(t, ord, dim, keepdim),
        x,
    )


@pytest.mark.parametrize("ord", MATRIX_ORDS)
def test_matrix_norm_of_square_tall_and_empty_matrices(ord):
    # an empty max is 0 (torch's convention for these norms); an empty min is an error
    for a in (np.zeros((0, 3)), np.zeros((3, 0)), np.zeros((2, 0, 3)), np.zeros((0, 0))):
        try:
            expected = torch.linalg.matrix_norm(torch.tensor(a), ord)
        except IndexError:
            with pytest.raises(IndexError, match="amin"):
                gu.linalg.matrix_norm(gu.tensor(a), ord)
            continue
        out = gu.linalg.matrix_norm(gu.tensor(a), ord)
        np.testing.assert_array_equal(out.numpy(), expected.numpy())
    for a in (normal((3, 3), 4), normal((5, 2), 5), np.zeros((0, 2, 2))):
        check_op(
            lambda t: gu.linalg.matrix_norm(t, ord),
            lambda t: torch.linalg.matrix_norm(t, ord),
            a,
        )
    check_op(
        lambda t: gu.linalg.matrix_norm(t, ord, dtype=np.float64),
        lambda t: torch.linalg.matrix_norm(t, ord, dtype=torch.float64),
        normal((3, 3), 6, np.float32),
    )


@pytest.mark.parametrize(
    "call, error, message",
    [
        (lambda L, T: L.matrix_norm(T.zeros(3)), RuntimeError, "at least 2 dimensions"),
        (lambda L, T: L.matrix_norm(T.zeros(2, 2), ord=3), RuntimeError, "not supported"),
        (lambda L, T: L.matrix_norm(T.zeros(2, 2), ord="abc"), RuntimeError, "not supported"),
        (lambda L, T: L.matrix_norm(T.zeros(2, 2), dim=(0, 0)), RuntimeError, "must be different"),
        (lambda L, T: L.matrix_norm(T.zeros(2, 2), dim=(0, 2)), IndexError, "out of range"),
        (lambda L, T: L.matrix_norm(T.zeros(2, 2, 2), dim=(0, 1, 2)), RuntimeError, "2-tuple"),
        (lambda L, T: L.matrix_norm(T.tensor([[1, 2]])), RuntimeError, "floating-point"),
    ],
)
def test_matrix_norm_errors(call, error, message):
    with pytest.raises(error):
        call(torch.linalg, torch)
    with pytest.raises(error, match=message):
        call(gu.linalg, gu)


NORM_CALLS = [
    ((), {}),  # ord=None, dim=None: the 2-norm of everything, any ndim
    ((2,), {}),  # 2-D input: the matrix 2-norm
    (("nuc",), {}),
    ((INF,), {"dim": (1, 0)}),
    ((3,), {"dim": 0}),
    ((), {"dim": -1, "keepdim": True}),
    (("fro",), {"dim": (0, 1)}),
    ((1,), {"dim": [1]}),
]


@pytest.mark.parametrize("args, kwargs", NORM_CALLS)
def test_linalg_norm_chooses_like_torch(args, kwargs):
    x = normal((3, 4), 7)
    ladder(
        lambda t: gu.linalg.norm(t, *args, **kwargs),
        lambda t: torch.linalg.norm(t, *args, **kwargs),
        x,
    )
    check_op(lambda t: gu.linalg.norm(t), lambda t: torch.linalg.norm(t), normal((2, 3, 2), 8))
    check_op(lambda t: gu.linalg.norm(t, 3), lambda t: torch.linalg.norm(t, 3), normal((5,), 9))


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda L, T: L.norm(T.zeros(2, 2, 2), 3), "1-D or 2-D"),
        (lambda L, T: L.norm(T.zeros(2, 2), 3), "not supported"),
        (lambda L, T: L.norm(T.zeros(2, 2), dim=(0, 1, 0)), "1 or 2 entries"),
        (lambda L, T: L.norm(T.zeros(2), "fro"), "at least 2 dimensions"),
    ],
)
def test_linalg_norm_errors(call, message):
    with pytest.raises(RuntimeError):
        call(torch.linalg, torch)
    with pytest.raises(RuntimeError, match=message):
        call(gu.linalg, gu)


TORCH_NORM_CALLS = [
    {},
    {"p": 1},
    {"p": 0},
    {"p": INF, "dim": 1},
    {"p": 3, "dim": (0, 1), "keepdim": True},
    {"p": "fro", "dim": (0, 1)},
    {"p": "nuc"},
    {"p": "fro", "dim": -1},
    {"p": None},
    {"p": 2, "dim": (0, 1)},  # a number: the vector norm over both dims
    {"dtype": np.float64},
]


@pytest.mark.parametrize("kwargs", TORCH_NORM_CALLS)
def test_torch_norm_and_the_method(kwargs):
    x = normal((3, 4), 10)
    torch_kwargs = dict(kwargs)
    if "dtype" in kwargs:
        torch_kwargs["dtype"] = torch.float64
        x = x.astype(np.float32)
    check_op(lambda t: gu.norm(t, **kwargs), lambda t: torch.norm(t, **torch_kwargs), x)
    check_op(lambda t: t.norm(**kwargs), lambda t: t.norm(**torch_kwargs), x)


def test_torch_norm_errors():
    for call, error in (
        (lambda T: T.norm(T.zeros(2), p="nuc"), RuntimeError),
        (lambda T: T.norm(T.zeros(2, 2), p="abc"), RuntimeError),
        (lambda T: T.norm(T.zeros(2, 2, 2), p="fro", dim=(0, 1, 2)), RuntimeError),
        (lambda T: T.norm(T.tensor([1, 2])), RuntimeError),
    ):
        with pytest.raises(error):
            call(torch)
        with pytest.raises(error):
            call(gu)

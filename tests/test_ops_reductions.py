"""Reductions against torch: sum/mean with dtype=, torch's axis= alias, reductions over
empty dims, prod (gradients with zeros), var_mean/std_mean, median/nanmedian,
count_nonzero, aminmax."""

import warnings

import numpy as np
import pytest
import torch

import groundup as gu
from groundup.inspect import gradcheck
from tests.oracle import check_op
from tests.strategies import ladder, normal, with_ties

NAN = float("nan")


def same(gu_out, torch_out):
    """Equal values (nan where torch has nan), shape and dtype."""
    expected = torch_out.detach().numpy()
    assert gu_out.dtype == expected.dtype, f"dtype {gu_out.dtype} != torch {expected.dtype}"
    assert gu_out.shape == expected.shape, f"shape {gu_out.shape} != torch {expected.shape}"
    rtol = 1e-5 if expected.dtype == np.float32 else 1e-12  # float32 sums in another order
    np.testing.assert_allclose(gu_out.numpy(), expected, rtol=rtol)


# ------------------------------------------------------------------- sum and mean
@pytest.mark.parametrize(
    "a, dtype",
    [
        (normal((3, 4), 0, np.float32), np.float64),
        (normal((3, 4), 0), np.float32),
        (np.array([[1, 2], [3, 4]]), np.float32),
        (np.array([[1, 2], [3, 4]]), np.int32),
        (np.array([1.5, 2.7]), np.int64),  # the input is converted first: 1 + 2
        (np.array([True, False, True]), np.bool_),
        (np.array([1, 2], np.uint8), np.uint8),
    ],
)
def test_sum_with_dtype(a, dtype):
    torch_dtype = getattr(torch, np.dtype(dtype).name)
    same(gu.tensor(a).sum(dtype=dtype), torch.tensor(a).sum(dtype=torch_dtype))
    same(
        gu.sum(gu.tensor(a), 0, True, dtype=dtype),
        torch.sum(torch.tensor(a), 0, True, dtype=torch_dtype),
    )


def test_sum_and_mean_with_dtype_are_differentiable():
    x = normal((3, 4), 1, np.float32)
    for d, td in ((np.float64, torch.float64), (np.float32, torch.float32)):
        check_op(lambda t, d=d: t.sum(1, dtype=d), lambda t, td=td: t.sum(1, dtype=td), x)
        check_op(lambda t, d=d: t.mean(0, dtype=d), lambda t, td=td: t.mean(0, dtype=td), x)


def test_mean_of_integers_needs_a_floating_dtype_like_torch():
    same(gu.tensor([1, 2]).mean(dtype=np.float64), torch.tensor([1, 2]).mean(dtype=torch.float64))
    for a in ([1, 2, 3], [True, False]):
        with pytest.raises(RuntimeError):
            torch.tensor(a).mean()
        with pytest.raises(RuntimeError, match="mean.*floating-point tensor.*dtype="):
            gu.tensor(a).mean()
    with pytest.raises(RuntimeError, match="dtype= must be a floating-point type"):
        gu.tensor([1.0, 2.0]).mean(dtype=np.int32)


def test_var_and_std_of_integers_are_runtime_errors_like_torch():
    for op in ("var", "std"):
        with pytest.raises(RuntimeError, match="std and var only support floating-point"):
            getattr(gu.tensor([1, 2, 3]), op)()
    with pytest.raises(RuntimeError, match="var_mean.*floating-point"):
        gu.var_mean(gu.tensor([1, 2]))


# --------------------------------------------------------------------- axis= alias
AXIS_OPS = {
    "sum": {},
    "mean": {},
    "var": {},
    "std": {"unbiased": False},
    "amax": {},
    "amin": {},
    "logsumexp": {},
    "prod": {},
    "nanmedian": {},
    "median": {},
    "max": {},
    "min": {},
    "argmax": {},
    "argmin": {},
    "all": {},
    "any": {},
    "count_nonzero": {},
    "cumsum": {},
    "cumprod": {},
    "cummax": {},
    "cummin": {},
    "logcumsumexp": {},
    "var_mean": {},
    "std_mean": {},
}


@pytest.mark.parametrize("op", sorted(AXIS_OPS))
def test_axis_is_an_alias_of_dim(op):
    x = normal((3, 4), 2)
    kwargs = AXIS_OPS[op]
    g = getattr(gu, op)(gu.tensor(x), axis=1, **kwargs)
    t = getattr(torch, op)(torch.tensor(x), axis=1, **kwargs)
    g = g if isinstance(g, tuple) else (g,)
    t = t if isinstance(t, tuple) else (t,)
    for g_part, t_part in zip(g, t, strict=True):
        same(g_part, t_part)
    with pytest.raises(TypeError, match="both dim and axis"):
        getattr(gu, op)(gu.tensor(x), dim=0, axis=1, **kwargs)


# ------------------------------------------------------------ empty reduced dims
@pytest.mark.parametrize(
    "call",
    [
        lambda T, x: T.sum(x, 0),
        lambda T, x: x.sum(),
        lambda T, x: T.mean(x, 0),
        lambda T, x: x.mean(),
        lambda T, x: x.prod(0),
        lambda T, x: x.prod(),
        lambda T, x: x.amax(1),
        lambda T, x: x.max(1).values,
        lambda T, x: x.logsumexp(0),
        lambda T, x: x.count_nonzero(0),
        lambda T, x: x.median(),
        lambda T, x: x.median(1).values,
        lambda T, x: x.nanmedian(),
        lambda T, x: T.aminmax(x, dim=1).max,
        lambda T, x: x.var(0),
        lambda T, x: x.argmax(1),
    ],
)
def test_reductions_over_empty_dims_match_torch(call):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # torch: var with dof <= 0
        expected = call(torch, torch.zeros(0, 3, dtype=torch.float64))
    same(call(gu, gu.zeros(0, 3).double()), expected)


@pytest.mark.parametrize(
    "call, error, message",
    [
        (lambda T, x: x.amax(0), IndexError, r"amax\(\): expected reduction dim 0 to have"),
        (lambda T, x: x.amax(), RuntimeError, r"amax\(\): expected reduction dim to be spec"),
        (lambda T, x: x.max(), RuntimeError, r"max\(\): expected reduction dim to be spec"),
        (lambda T, x: x.min(0), IndexError, "min.*dim 0 to have non-zero size"),
        (lambda T, x: x.argmax(0), IndexError, "argmax.*dim 0 to have non-zero size"),
        (lambda T, x: x.argmin(), IndexError, "argmin"),
        (lambda T, x: x.median(0), IndexError, "median.*dim 0 to have non-zero size"),
        (lambda T, x: T.aminmax(x), RuntimeError, "aminmax"),
        (lambda T, x: T.aminmax(x, dim=0), IndexError, "aminmax.*dim 0"),
    ],
)
def test_reductions_without_identity_refuse_empty_dims(call, error, message):
    with pytest.raises(error):
        call(torch, torch.zeros(0, 3))
    with pytest.raises(error, match=message):
        call(gu, gu.zeros(0, 3))


# --------------------------------------------------------------------------- prod
@pytest.mark.parametrize("dim, keepdim", [(None, False), (0, False), (1, True), (-1, False)])
def test_prod_matches_torch(dim, keepdim):
    x = normal((3, 4), 3)
    if dim is None:
        ladder(lambda t: t.prod(), lambda t: t.prod(), x)
    else:
        ladder(lambda t: t.prod(dim, keepdim), lambda t: t.prod(dim, keepdim), x)
        ladder(lambda t: gu.prod(t, dim=dim), lambda t: torch.prod(t, dim=dim), x)


PROD_ZEROS = {
    "one_zero": np.array([[1.5, 0.0, 2.0, -3.0], [1.0, 2.0, 3.0, 4.0]]),
    "two_zeros_in_a_row": np.array([[1.5, 0.0, 2.0, 0.0], [1.0, 2.0, 3.0, 4.0]]),
    "zeros_in_each_row": np.array([[0.0, 1.0, 2.0, 3.0], [1.0, 2.0, 0.0, 4.0]]),
    "all_zero": np.zeros((2, 4)),
}


@pytest.mark.parametrize("case", sorted(PROD_ZEROS))
@pytest.mark.parametrize("dim", [None, 0, 1])
def test_prod_gradient_with_zeros_matches_torch(case, dim):
    x = PROD_ZEROS[case]
    if dim is None:
        ladder(lambda t: t.prod(), lambda t: t.prod(), x)
    else:
        ladder(lambda t: t.prod(dim), lambda t: t.prod(dim), x)
    ladder(lambda t: t.T.prod(0), lambda t: t.T.prod(0), x)  # non-contiguous


def test_prod_dtypes_0d_and_errors():
    for a in (np.array([[1, 2], [3, 4]], np.int32), np.array([True, False]), np.array([2, 3])):
        same(gu.tensor(a).prod(), torch.tensor(a).prod())
        same(gu.tensor(a).prod(0), torch.tensor(a).prod(0))
    same(
        gu.tensor([1.5, 2.0]).prod(0, dtype=np.int32),
        torch.tensor([1.5, 2.0]).prod(0, dtype=torch.int32),
    )
    check_op(
        lambda t: t.prod(dtype=np.float64),
        lambda t: t.prod(dtype=torch.float64),
        normal((3,), 4, np.float32),
    )
    check_op(lambda t: t.prod(), lambda t: t.prod(), np.array(2.5))
    check_op(lambda t: t.prod(0), lambda t: t.prod(0), np.array(2.5))
    check_op(lambda t: t.prod(0), lambda t: t.prod(0), np.array(0.0))
    with pytest.raises(TypeError, match="must be int, not tuple"):
        gu.tensor([1.0]).prod((0,))
    with pytest.raises(TypeError, match="keepdim= needs a dim"):
        gu.tensor([1.0]).prod(keepdim=True)
    with pytest.raises(IndexError, match="prod: dim 2 is out of range"):
        gu.zeros(2, 2).prod(2)


# ---------------------------------------------------------------- var_mean, std_mean
VAR_MEAN_ARGS = [
    ((), {}),
    ((1,), {}),
    ((False,), {}),  # the bool is `unbiased`
    ((1, False, True), {}),
    (([0, 1], True, True), {}),
    ((), {"dim": 0, "correction": 0, "keepdim": True}),
    ((), {"correction": 2}),
    ((), {"dim": (0, -1), "unbiased": False}),
]


@pytest.mark.parametrize("args, kwargs", VAR_MEAN_ARGS)
@pytest.mark.parametrize("op", ["var_mean", "std_mean"])
def test_var_mean_and_std_mean_match_torch(op, args, kwargs):
    x = normal((3, 4), 5)
    for part in (0, 1):
        ladder(
            lambda t, p=part: getattr(gu, op)(t, *args, **kwargs)[p],
            lambda t, p=part: getattr(torch, op)(t, *args, **kwargs)[p],
            x,
        )
    # both outputs feed one loss: the gradients add up
    ladder(
        lambda t: sum(o.sum() for o in getattr(gu, op)(t, *args, **kwargs)),
        lambda t: sum(o.sum() for o in getattr(torch, op)(t, *args, **kwargs)),
        x,
    )
    assert type(getattr(gu, op)(gu.tensor(x))) is tuple


# ------------------------------------------------------------------------- median
@pytest.mark.parametrize("op", ["median", "nanmedian"])
def test_median_of_everything_is_the_lower_median(op):
    for a in (normal((3, 4), 6), normal((5,), 7), np.array([1.0, 2.0, 2.0, 3.0]), np.array(4.0)):
        ladder(lambda t: getattr(t, op)(), lambda t: getattr(t, op)(), a, check_gradients=False)
    gradcheck(lambda t: getattr(t, op)(), [gu.tensor(normal((3, 4), 6), requires_grad=True)])


@pytest.mark.parametrize(
    "a",
    [
        np.array([1.0, 2.0, 2.0, 3.0]),  # ties share the gradient
        np.array([1.0, NAN, 2.0, NAN]),  # median: nan, gradient shared by the nans
        np.array([1.0, NAN, 2.0, 2.0]),  # nanmedian: 2
        np.array([NAN, NAN]),
        np.array([[3.0, 1.0], [1.0, 1.0]]),
    ],
)
@pytest.mark.parametrize("op", ["median", "nanmedian"])
def test_median_of_everything_with_ties_and_nan(op, a):
    check_op(lambda t: getattr(t, op)(), lambda t: getattr(t, op)(), a)


@pytest.mark.parametrize("dim, keepdim", [(0, False), (1, True), (-1, False), (2, False)])
@pytest.mark.parametrize("op", ["median", "nanmedian"])
def test_median_along_a_dim_matches_torch(op, dim, keepdim):
    x = normal((3, 4, 5), 8)
    g, t = getattr(gu.tensor(x), op)(dim, keepdim), getattr(torch.tensor(x), op)(dim, keepdim)
    same(g.indices, t.indices)
    values, indices = g
    assert values is g.values and indices is g.indices
    ladder(
        lambda t: getattr(t, op)(dim=dim, keepdim=keepdim).values,
        lambda t: getattr(t, op)(dim=dim, keepdim=keepdim).values,
        x,
    )
    check_op(
        lambda t: getattr(t, op)(dim).values,
        lambda t: getattr(t, op)(dim).values,
        x.transpose(2, 0, 1),
    )


MEDIAN_ROWS = [
    np.array([[2.0, 1.0, 2.0, 1.0, 2.0, 1.0]]),  # ties: torch's index
    np.array([[5.0, 1.0, 1.0, 1.0, 5.0]]),
    np.zeros((1, 8)),
    np.array([[1.0, NAN, 3.0, 2.0], [1.0, NAN, 3.0, NAN], [NAN, NAN, 1.0, NAN]]),
    np.array([[3.0, 1.0, NAN, 2.0, NAN, 0.0]]),
    np.array([[3, 1, 2, 2]]),  # integers
    np.array([[1, 2, 200]], np.uint8),
]


@pytest.mark.parametrize("index", range(len(MEDIAN_ROWS)))
@pytest.mark.parametrize("op", ["median", "nanmedian"])
def test_median_indices_with_ties_and_nan_match_torch(op, index):
    a = MEDIAN_ROWS[index]
    g, t = getattr(gu.tensor(a), op)(1), getattr(torch.tensor(a), op)(1)
    same(g.values, t.values)
    same(g.indices, t.indices)
    if a.dtype.kind == "f":
        check_op(lambda t: getattr(t, op)(1).values, lambda t: getattr(t, op)(1).values, a)


def test_nanmedian_of_an_all_nan_row_is_nan_at_a_nan():
    # torch's index here is whatever its selection algorithm leaves (2 for 4 nans, 0 for
    # 2); groundup returns the first nan. Both point at a nan.
    a = np.array([[NAN, NAN, NAN, NAN], [1.0, NAN, 2.0, 3.0]])
    g, t = gu.tensor(a).nanmedian(1), torch.tensor(a).nanmedian(1)
    same(g.values, t.values)
    np.testing.assert_array_equal(g.indices.numpy(), [0, 2])
    assert np.isnan(a[0, t.indices[0]])


@pytest.mark.parametrize("op", ["median", "nanmedian"])
def test_median_edge_cases(op):
    for dim, keepdim in ((0, False), (-1, True)):  # a 0-d tensor: itself, index 0
        g, t = (
            getattr(gu.tensor(2.5), op)(dim, keepdim),
            getattr(torch.tensor(2.5), op)(dim, keepdim),
        )
        same(g.values, t.values)
        same(g.indices, t.indices)
    same(getattr(gu.zeros(2, 0), op)(0).values, getattr(torch.zeros(2, 0), op)(0).values)
    same(getattr(gu.tensor([3, 1, 2]), op)(), getattr(torch.tensor([3, 1, 2]), op)())
    with pytest.raises(NotImplementedError):
        getattr(torch.tensor([True]), op)()
    with pytest.raises(NotImplementedError, match="bool"):
        getattr(gu.tensor([True]), op)()
    with pytest.raises(IndexError, match="dim 2 is out of range"):
        getattr(gu.zeros(2, 2), op)(2)


# ------------------------------------------------------------ count_nonzero, aminmax
@pytest.mark.parametrize("dim", [None, 0, -1, (0, 1), [1], ()])
def test_count_nonzero_matches_torch(dim):
    a = with_ties((3, 4), 9)
    ints = a.astype(np.int32)
    a[0, 0] = NAN  # nan is nonzero
    for x in (a, ints, a != 0):
        same(gu.tensor(x).count_nonzero(dim), torch.tensor(x).count_nonzero(dim))
    same(gu.count_nonzero(gu.tensor(2.0), 0), torch.count_nonzero(torch.tensor(2.0), 0))
    with pytest.raises(RuntimeError, match="same dimension twice"):
        gu.tensor(a).count_nonzero((0, 0))


@pytest.mark.parametrize(
    "kwargs", [{}, {"dim": 0}, {"dim": -1, "keepdim": True}, {"keepdim": True}]
)
def test_aminmax_matches_torch_with_ties(kwargs):
    x = with_ties((4, 5), 10)
    for part in ("min", "max"):
        ladder(
            lambda t, p=part: getattr(gu.aminmax(t, **kwargs), p),
            lambda t, p=part: getattr(torch.aminmax(t, **kwargs), p),
            x,
            check_gradients=False,  # ties make finite differences one-sided
        )
    ladder(lambda t: t.aminmax(**kwargs).max, lambda t: t.aminmax(**kwargs).max, normal((4, 5), 11))
    low, high = gu.aminmax(gu.tensor(x), **kwargs)
    assert low is not high


def test_aminmax_dtypes_and_errors():
    for a in (np.array([True, False]), np.array([[3, 1], [2, 5]]), np.array([1.0, NAN])):
        g, t = gu.tensor(a).aminmax(), torch.tensor(a).aminmax()
        same(g.min, t.min)
        same(g.max, t.max)
    check_op(lambda t: t.aminmax(dim=0).min, lambda t: t.aminmax(dim=0).min, np.array(3.0))
    with pytest.raises(TypeError, match="must be int, not tuple"):
        gu.aminmax(gu.zeros(2, 2), dim=(0, 1))

"""Reductions and statistics, continued (ops.reduce_extra) against torch: mode, quantile and
nanquantile (every interpolation, q a number or a tensor, with its gradient), nansum and
nanmean, diff (n, dim, prepend, append) and trace. Forward, backward and dtype in float64
and float32 with gradcheck, dims and keepdim and axis=, 0-d and zero-size tensors, NaN,
integer and bool inputs, non-contiguous inputs, and torch's errors."""

import numpy as np
import pytest
import torch

import groundup as gu
from tests.oracle import assert_close, check_op
from tests.strategies import ladder, normal, with_ties

nan = np.nan


def test_registration_follows_torch():
    for name in ["mode", "quantile", "nanquantile", "nansum", "nanmean", "diff", "trace"]:
        assert hasattr(gu, name), name
        assert (name in gu.ops.TENSOR_METHODS) == hasattr(torch.Tensor, name), name
        assert (name in gu.ops.INPLACE) == hasattr(torch.Tensor, name + "_"), name


def _same_outcome(make):
    """make(gu) and make(torch) agree: same dtype and values, or the same exception class."""
    try:
        expected = make(torch)
    except Exception as error:  # noqa: BLE001 - any exception torch raises
        with pytest.raises(type(error)):
            make(gu)
        return
    out = make(gu)
    pairs = zip(out, expected, strict=True) if isinstance(out, tuple) else [(out, expected)]
    for ours, theirs in pairs:
        assert str(ours.dtype) == str(theirs.dtype).removeprefix("torch."), (ours, theirs)
        assert ours.shape == tuple(theirs.shape)
        np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-6, atol=1e-7)


# ------------------------------------------------------------------ mode
@pytest.mark.parametrize("shape, dim", [((3, 7), 1), ((3, 7), 0), ((5,), 0), ((2, 3, 4), -2)])
@pytest.mark.parametrize("keepdim", [False, True])
def test_mode_values_indices_and_gradient_match_torch(shape, dim, keepdim):
    a = with_ties(shape, 1)
    check_op(lambda t: gu.mode(t, dim, keepdim).values, lambda t: torch.mode(t, dim, keepdim)[0], a)
    ours, theirs = gu.mode(gu.tensor(a), dim, keepdim), torch.mode(torch.tensor(a), dim, keepdim)
    assert ours.indices.dtype == np.int64
    np.testing.assert_array_equal(ours.indices.numpy(), theirs.indices.numpy())
    np.testing.assert_array_equal(ours.values.numpy(), theirs.values.numpy())


def test_mode_of_long_lines_picks_the_smallest_most_frequent_value():
    a = np.random.default_rng(2).integers(0, 4, (3, 40)).astype(np.float32)
    values, indices = gu.mode(gu.tensor(a))
    np.testing.assert_array_equal(values.numpy(), torch.mode(torch.tensor(a)).values.numpy())
    # torch's index among equal values is unspecified beyond 16 elements: any occurrence
    picked = np.take_along_axis(a, indices.numpy()[:, None], 1)[:, 0]
    np.testing.assert_array_equal(picked, values.numpy())
    last = [np.flatnonzero(r == v)[-1] for r, v in zip(a, values.numpy(), strict=True)]
    np.testing.assert_array_equal(indices.numpy(), last)


@pytest.mark.parametrize(
    "make",
    [
        lambda m: m.mode(m.tensor([3, 1, 1, 3, 2])),
        lambda m: m.mode(m.tensor([5, 4, 4, 5, 5, 4], dtype=m.int32)),
        lambda m: m.mode(m.tensor([True, False, True])),
        lambda m: m.mode(m.tensor(5.0)),
        lambda m: m.mode(m.tensor(5.0), 0, True),
        lambda m: m.mode(m.tensor([[1.0, 2.0], [2.0, 2.0]]), axis=0),
        lambda m: m.mode(m.tensor([-0.0, 0.0, 1.0])),
        lambda m: m.mode(m.zeros(2, 0), 0),
        lambda m: m.mode(m.zeros(0)),
        lambda m: m.mode(m.zeros(2, 0), 1),
        lambda m: m.mode(m.zeros(2, 3), 2),
        lambda m: m.tensor([[1.0, 2.0, 2.0]]).mode(keepdim=True),
    ],
)
def test_mode_dtypes_shapes_and_errors(make):
    _same_outcome(make)


# ------------------------------------------------------------------ quantile
INTERPOLATIONS = ["linear", "lower", "higher", "midpoint", "nearest"]


def _q(m, q, like):
    return m.tensor(q, dtype=like.dtype) if isinstance(q, np.ndarray) else q


@pytest.mark.parametrize("interpolation", INTERPOLATIONS)
@pytest.mark.parametrize("q", [0.3, 1.0, np.array([0.0, 0.5, 0.9]), np.array(0.25)], ids=str)
@pytest.mark.parametrize("dim, keepdim", [(None, False), (None, True), (1, False), (-2, True)])
def test_quantile_matches_torch_with_gradients(interpolation, q, dim, keepdim):
    x = normal((3, 5), 1)

    def run(m):
        return lambda t: m.quantile(t, _q(m, q, t), dim, keepdim, interpolation=interpolation)

    ladder(run(gu), run(torch), x, check_gradients=interpolation in ("linear", "midpoint"))


@pytest.mark.parametrize("name", ["quantile", "nanquantile"])
@pytest.mark.parametrize("interpolation", INTERPOLATIONS)
@pytest.mark.parametrize("dim", [None, 1, 0])
def test_quantile_with_nan_and_the_gradient_of_q(name, interpolation, dim):
    x = normal((3, 5), 2)
    x[1, 2], x[2, :] = nan, nan  # a line with one NaN and a line of NaNs
    check_op(
        lambda t, q: getattr(gu, name)(t, q, dim, interpolation=interpolation),
        lambda t, q: getattr(torch, name)(t, q, dim, interpolation=interpolation),
        x,
        np.array([0.0, 0.3, 1.0]),
    )


def test_quantile_nearest_rounds_half_to_even_and_0d_inputs():
    x = np.array([1.0, 2.0, 3.0, 4.0])
    q = np.array([0.5, 1 / 6, 5 / 6])
    check_op(lambda t: gu.quantile(t, gu.tensor(q), interpolation="nearest"),
             lambda t: torch.quantile(t, torch.tensor(q), interpolation="nearest"), x)
    for dim, keepdim in [(None, False), (0, True), (-1, False)]:
        check_op(lambda t, d=dim, k=keepdim: t.quantile(0.5, d, k),
                 lambda t, d=dim, k=keepdim: t.quantile(0.5, d, k), np.array(3.0))
    check_op(lambda t: gu.nanquantile(t, 0.5, axis=1), lambda t: torch.nanquantile(t, 0.5, axis=1),
             normal((2, 3), 3).T)


@pytest.mark.parametrize(
    "make",
    [
        lambda m: m.quantile(m.tensor([1.0, 2.0]), 1.5),
        lambda m: m.quantile(m.tensor([1.0, 2.0]), -0.1),
        lambda m: m.quantile(m.tensor([1.0, 2.0]), m.tensor([0.5, 1.5])),
        lambda m: m.quantile(m.tensor([1.0, 2.0]), m.tensor([[0.5]])),
        lambda m: m.quantile(m.tensor([1.0, 2.0]), m.tensor([0.5], dtype=m.float64)),
        lambda m: m.quantile(m.tensor([1, 2]), 0.5),
        lambda m: m.quantile(m.tensor([1.0], dtype=m.float16), 0.5),
        lambda m: m.quantile(m.zeros(0), 0.5),
        lambda m: m.quantile(m.zeros(2, 0), 0.5, dim=0),
        lambda m: m.quantile(m.tensor([1.0, 2.0]), 0.5, interpolation="cubic"),
        lambda m: m.quantile(m.tensor([1.0, 2.0]), [0.5]),
        lambda m: m.quantile(m.ones(2, 2), 0.5, dim=(0, 1)),
        lambda m: m.quantile(m.ones(2, 2), 0.5, dim=2),
        lambda m: m.nanquantile(m.tensor([nan, nan]), 0.5),
        lambda m: m.quantile(m.tensor([3.0, 1.0, 2.0], dtype=m.float64), 0.5),
    ],
)
def test_quantile_errors_follow_torch(make):
    _same_outcome(make)


# ------------------------------------------------------------------ nansum, nanmean
def _with_nans(shape, seed):
    x = normal(shape, seed)
    x[np.random.default_rng(seed + 1).random(shape) < 0.3] = nan
    return x


@pytest.mark.parametrize("name", ["nansum", "nanmean"])
@pytest.mark.parametrize("dim, keepdim", [(None, False), (1, False), (0, True), ((0, 1), True),
                                          (-1, True)])
def test_nansum_nanmean_ignore_nan_and_match_torch(name, dim, keepdim):
    x = _with_nans((3, 4), 1)
    x[2] = nan  # a line of NaNs: nansum 0, nanmean nan (and nan gradients, as in torch)
    for dtype in (np.float64, np.float32):
        check_op(lambda t: getattr(gu, name)(t, dim, keepdim),
                 lambda t: getattr(torch, name)(t, dim, keepdim), x.astype(dtype))
    ladder(lambda t: getattr(gu, name)(t, dim, keepdim),
           lambda t: getattr(torch, name)(t, dim, keepdim), normal((3, 4), 2))


@pytest.mark.parametrize(
    "make",
    [
        lambda m: m.nansum(m.tensor([1, 2, 3])),
        lambda m: m.nansum(m.tensor([1, 2, 3], dtype=m.int32), 0, True),
        lambda m: m.nansum(m.tensor([True, True])),
        lambda m: m.nansum(m.tensor([1, 2], dtype=m.uint8), dtype=m.uint8),
        lambda m: m.nansum(m.tensor([[1.0, nan]]), dim=1, dtype=m.float64),
        lambda m: m.nansum(m.tensor([[1.0, nan]]), axis=1),
        lambda m: m.nansum(m.zeros(0)),
        lambda m: m.nansum(m.tensor(nan)),
        lambda m: m.nanmean(m.tensor([1, 2])),
        lambda m: m.nanmean(m.tensor([1, 2]), dtype=m.float32),
        lambda m: m.nanmean(m.tensor([[1.0, nan]]), axis=1),
        lambda m: m.nanmean(m.tensor([[1.0, nan]]), 1, dtype=m.float64),
        lambda m: m.nanmean(m.zeros(0)),
        lambda m: m.nanmean(m.zeros(2, 3), 2),
        lambda m: m.tensor([[1.0, nan, 3.0]]).nanmean(1, True),
    ],
)
def test_nansum_nanmean_dtypes_and_errors(make):
    _same_outcome(make)


# ------------------------------------------------------------------ diff, trace
@pytest.mark.parametrize("n", [1, 2, 3, 6, 0])
@pytest.mark.parametrize("dim", [-1, 0])
def test_diff_matches_torch(n, dim):
    ladder(lambda t: gu.diff(t, n, dim), lambda t: torch.diff(t, n, dim), normal((4, 5), 1))


def test_diff_with_prepend_and_append_promotes_and_differentiates():
    x, p, a = normal((2, 4), 1), normal((2, 1), 2), normal((2, 3), 3)
    ladder(lambda t, u, v: gu.diff(t, 2, 1, u, v), lambda t, u, v: torch.diff(t, 2, 1, u, v),
           x, p, a)
    check_op(lambda t, v: t.diff(append=v, dim=0), lambda t, v: t.diff(append=v, dim=0),
             x.astype(np.float32), normal((1, 4), 4))
    check_op(lambda t: gu.diff(t.T), lambda t: torch.diff(t.T), x)  # non-contiguous
    _same_outcome(lambda m: m.diff(m.tensor(x, dtype=m.float32), append=m.tensor(a)))
    _same_outcome(lambda m: m.diff(m.tensor(x, dtype=m.float32), prepend=m.tensor([[1], [2]])))


@pytest.mark.parametrize(
    "make",
    [
        lambda m: m.diff(m.tensor([1, 5, 2])),
        lambda m: m.diff(m.tensor([1, 5, 2], dtype=m.uint8)),
        lambda m: m.diff(m.tensor([True, False, False, True]), 2),
        lambda m: m.diff(m.zeros(0)),
        lambda m: m.diff(m.zeros(2, 3), 0, prepend=m.zeros(2, 1)),
        lambda m: m.diff(m.tensor(3.0)),
        lambda m: m.diff(m.zeros(3), -1),
        lambda m: m.diff(m.zeros(2, 3), dim=2),
        lambda m: m.diff(m.zeros(2, 3), 1, 0, prepend=m.zeros(3)),
        lambda m: m.diff(m.zeros(2, 3), 1, 1, prepend=1.0),
        lambda m: m.diff(m.zeros(2, 3), 1, 1, append=m.zeros(3, 1)),
    ],
)
def test_diff_dtypes_and_errors(make):
    _same_outcome(make)


@pytest.mark.parametrize("shape", [(3, 3), (2, 4), (4, 2), (0, 0), (1, 1)])
def test_trace_matches_torch(shape):
    ladder(gu.trace, torch.trace, normal(shape, 1))
    check_op(lambda t: t.T.trace(), lambda t: t.T.trace(), normal(shape, 2))


@pytest.mark.parametrize(
    "make",
    [
        lambda m: m.trace(m.ones(2, 3, dtype=m.int32)),
        lambda m: m.trace(m.ones(2, 2, dtype=m.float16)),
        lambda m: m.trace(m.ones(2, 2, dtype=m.bool)),
        lambda m: m.trace(m.ones(3)),
        lambda m: m.trace(m.ones(2, 2, 2)),
    ],
)
def test_trace_dtypes_and_errors(make):
    _same_outcome(make)


def test_results_do_not_alias_or_change_their_input():
    x = gu.tensor(normal((3, 4), 5))
    before = x.numpy().copy()
    for out in (gu.diff(x, 0), gu.quantile(x, 0.5), gu.nansum(x), gu.mode(x).values):
        assert not np.shares_memory(out.numpy(), x.numpy())
    assert_close(x, before)

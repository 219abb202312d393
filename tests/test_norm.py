"""batch_norm and layer_norm against torch and against their composed twins."""

import numpy as np
import pytest
import torch
import torch.nn.functional as TF

import groundup as gu
import groundup.nn.functional as F
from tests.oracle import assert_close, check_op, randn

DTYPES = [np.float64, np.float32]
SHAPES = [(8, 3), (4, 3, 5), (2, 3, 4, 5)]


def stats(c, dtype, seed=0):
    rng = np.random.default_rng(seed)
    return rng.standard_normal(c).astype(dtype), (rng.random(c) + 0.5).astype(dtype)


# ------------------------------------------------------------------- batch norm
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("training", [True, False])
@pytest.mark.parametrize("affine", [True, False])
def test_batch_norm_matches_torch(dtype, shape, training, affine):
    c = shape[1]
    x = (3 * randn(*shape, dtype=dtype) + 1).astype(dtype)
    weight, bias = stats(c, dtype, seed=1)
    rm, rv = stats(c, dtype, seed=2)
    g_rm, g_rv, t_rm, t_rv = gu.tensor(rm), gu.tensor(rv), torch.tensor(rm), torch.tensor(rv)

    def run(f, stat_m, stat_v):
        def call(a, *wb):
            return f(a, stat_m, stat_v, *wb, training=training, momentum=0.3, eps=1e-3)

        return call

    arrays = (x, weight, bias) if affine else (x,)
    check_op(run(F.batch_norm, g_rm, g_rv), run(TF.batch_norm, t_rm, t_rv), *arrays)
    # running statistics: updated (with the unbiased variance) only in training
    assert_close(g_rm, t_rm, dtype, "running_mean")
    assert_close(g_rv, t_rv, dtype, "running_var")
    assert g_rm.dtype == dtype and g_rv.dtype == dtype
    if not training:
        np.testing.assert_array_equal(g_rm._data, rm)


def test_batch_norm_running_var_is_unbiased():
    x = randn(5, 2, seed=3)
    rm, rv = gu.zeros(2, dtype=np.float64), gu.ones(2, dtype=np.float64)
    F.batch_norm(gu.tensor(x), rm, rv, training=True, momentum=1.0)
    np.testing.assert_allclose(rm._data, x.mean(0), rtol=1e-12)
    np.testing.assert_allclose(rv._data, x.var(0, ddof=1), rtol=1e-12)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", SHAPES)
def test_batch_norm_equals_composed_twin(dtype, shape):
    """Fused op == the same normalization written with mean, var, sqrt, sub, mul, add."""
    x = randn(*shape, dtype=dtype, seed=4)
    w, b = stats(shape[1], dtype, seed=5)
    axes = (0, *range(2, len(shape)))
    view = (1, -1) + (1,) * (len(shape) - 2)
    leaves = [[gu.tensor(a, requires_grad=True) for a in (x, w, b)] for _ in range(2)]
    (fx, fw, fb), (cx, cw, cb) = leaves
    fused = F.batch_norm(fx, None, None, fw, fb, training=True, eps=1e-5)
    mean = cx.mean(dim=axes, keepdim=True)
    var = cx.var(dim=axes, keepdim=True, correction=0)
    composed = (cx - mean) / (var + 1e-5).sqrt() * cw.reshape(view) + cb.reshape(view)
    upstream = randn(*shape, dtype=dtype, seed=6)
    fused.backward(upstream)
    composed.backward(upstream)
    assert_close(fused, composed._data, dtype, "forward")
    for f, c in zip((fx, fw, fb), (cx, cw, cb), strict=True):
        assert f.grad.dtype == dtype
        assert_close(f.grad, c.grad._data, dtype, "gradient")
    for leaf, original in zip((fx, fw, fb), (x, w, b), strict=True):
        np.testing.assert_array_equal(leaf._data, original)  # inputs are not mutated


def test_batch_norm_no_grad_still_updates_running_stats():
    rm, rv = gu.zeros(3), gu.ones(3)
    x = gu.tensor(randn(4, 3, dtype=np.float32), requires_grad=True)
    with gu.no_grad():
        out = F.batch_norm(x, rm, rv, training=True)
    assert not out.requires_grad and np.any(rm._data != 0)


def test_batch_norm_errors():
    x = gu.tensor(randn(4, 3))
    with pytest.raises(RuntimeError, match=r"running_mean has shape \(5,\), expected \(3,\)"):
        F.batch_norm(x, gu.zeros(5, dtype=np.float64), gu.ones(5, dtype=np.float64))
    with pytest.raises(ValueError, match=r"more than 1 value per channel.*\(1, 3\)"):
        F.batch_norm(gu.tensor(randn(1, 3)), None, None, training=True)
    with pytest.raises(ValueError, match=r"expected input of shape \(N, C, \*\), got \(3,\)"):
        F.batch_norm(gu.tensor(randn(3)), None, None, training=True)
    with pytest.raises(ValueError, match="running_mean and running_var are needed"):
        F.batch_norm(x, None, None, training=False)
    with pytest.raises(TypeError, match="weight has dtype float32 but the input has dtype float64"):
        F.batch_norm(x, None, None, gu.ones(3), training=True)


# ------------------------------------------------------------------- layer norm
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(
    ("shape", "normalized"), [((4, 6), (6,)), ((2, 3, 5), (5,)), ((2, 3, 4, 5), (4, 5))]
)
@pytest.mark.parametrize("affine", ["both", "weight", "none"])
def test_layer_norm_matches_torch(dtype, shape, normalized, affine):
    x = (2 * randn(*shape, dtype=dtype, seed=7) - 1).astype(dtype)
    rng = np.random.default_rng(8)
    w, b = (rng.standard_normal(normalized).astype(dtype) for _ in range(2))
    arrays = {"both": (x, w, b), "weight": (x, w), "none": (x,)}[affine]
    check_op(
        lambda *a: F.layer_norm(a[0], normalized, *a[1:], eps=1e-4),
        lambda *a: TF.layer_norm(a[0], normalized, *a[1:], eps=1e-4),
        *arrays,
    )


@pytest.mark.parametrize("dtype", DTYPES)
def test_layer_norm_equals_composed_twin(dtype):
    x = randn(3, 4, 6, dtype=dtype, seed=9)
    w, b = stats(6, dtype, seed=10)
    (fx, fw, fb), (cx, cw, cb) = (
        [gu.tensor(a, requires_grad=True) for a in (x, w, b)] for _ in range(2)
    )
    fused = F.layer_norm(fx, 6, fw, fb)
    mean = cx.mean(dim=-1, keepdim=True)
    var = cx.var(dim=-1, keepdim=True, correction=0)
    composed = (cx - mean) / (var + 1e-5).sqrt() * cw + cb
    upstream = randn(3, 4, 6, dtype=dtype, seed=11)
    fused.backward(upstream)
    composed.backward(upstream)
    assert_close(fused, composed._data, dtype, "forward")
    for f, c in zip((fx, fw, fb), (cx, cw, cb), strict=True):
        assert_close(f.grad, c.grad._data, dtype, "gradient")
    np.testing.assert_array_equal(fx._data, x)  # the input is not mutated


def test_layer_norm_errors():
    with pytest.raises(RuntimeError, match=r"normalized_shape=\(4,\) expects input of shape"):
        F.layer_norm(gu.tensor(randn(4, 3)), (4,))
    with pytest.raises(RuntimeError, match=r"weight has shape \(4,\), expected \(3,\)"):
        F.layer_norm(gu.tensor(randn(4, 3)), 3, gu.ones(4, dtype=np.float64))
    with pytest.raises(TypeError, match="expected a floating-point input, got dtype int64"):
        F.layer_norm(gu.tensor([[1, 2]]), 2)

"""Adaptive pooling, pixel (un)shuffle, Fold/Unfold, Dropout1d/AlphaDropout, RMSNorm,
Bilinear and EmbeddingBag against torch: values, gradients, reprs, state_dict keys, errors."""

# ruff: noqa: B023 - the lambdas made in loops are called within their own iteration
from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn as tnn
import torch.nn.functional as TF

import groundup as gu
import groundup.nn as gnn
import groundup.nn.functional as F
from groundup.inspect import gradcheck
from tests.oracle import assert_close, check_op, randn


def _raises_like_torch(gu_call, torch_call):
    with pytest.raises(Exception) as terr:
        torch_call()
    with pytest.raises(type(terr.value)):
        gu_call()


# ----------------------------------------------------------- adaptive pooling
def _empty_output_like_torch(fn, expected, x):
    a = gu.tensor(x, requires_grad=True)
    y = fn(a)
    assert y.shape == tuple(expected.shape) and y.dtype == x.dtype
    y.sum().backward()
    assert a.grad is not None and np.all(a.grad._data == 0)


@pytest.mark.parametrize("out", [(3, 2), (7, 5), (4, None), 1, (9, 6), (2, 0)])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_adaptive_max_pool2d(out, dtype):
    x = randn(2, 3, 7, 5, dtype=dtype)
    if out == (2, 0):  # torch's backward refuses an empty output: forward and zero grads
        _empty_output_like_torch(
            lambda a: F.adaptive_max_pool2d(a, out), TF.adaptive_max_pool2d(torch.tensor(x), out), x
        )
        return
    check_op(lambda a: F.adaptive_max_pool2d(a, out), lambda a: TF.adaptive_max_pool2d(a, out), x)
    _, gi = F.adaptive_max_pool2d(gu.tensor(x), out, return_indices=True)
    _, ti = TF.adaptive_max_pool2d(torch.tensor(x), out, return_indices=True)
    assert gi.dtype == np.int64 and np.array_equal(gi._data, ti.numpy())


@pytest.mark.parametrize("out", [3, 5, 7, 1, (2,), 0])
@pytest.mark.parametrize("shape", [(2, 3, 5), (3, 5)])
def test_adaptive_pool1d(out, shape):
    x = randn(*shape)
    if out == 0:
        _empty_output_like_torch(
            lambda a: F.adaptive_avg_pool1d(a, 0), TF.adaptive_avg_pool1d(torch.tensor(x), 0), x
        )
        _empty_output_like_torch(
            lambda a: F.adaptive_max_pool1d(a, 0), TF.adaptive_max_pool1d(torch.tensor(x), 0), x
        )
        return
    check_op(lambda a: F.adaptive_avg_pool1d(a, out), lambda a: TF.adaptive_avg_pool1d(a, out), x)
    check_op(lambda a: F.adaptive_max_pool1d(a, out), lambda a: TF.adaptive_max_pool1d(a, out), x)
    _, gi = gnn.AdaptiveMaxPool1d(out, return_indices=True)(gu.tensor(x))
    _, ti = tnn.AdaptiveMaxPool1d(out, return_indices=True)(torch.tensor(x))
    assert np.array_equal(gi._data, ti.numpy())


def test_adaptive_max_ties_nans_and_noncontiguous():
    x = np.array([[[1.0, np.nan, 3.0, np.nan, 2.0, 3.0, 3.0]]])
    for out in (1, 2, 3):
        gy, gi = F.adaptive_max_pool1d(gu.tensor(x), out, True)
        ty, ti = TF.adaptive_max_pool1d(torch.tensor(x), out, True)
        np.testing.assert_array_equal(gy._data, ty.numpy())
        np.testing.assert_array_equal(gi._data, ti.numpy())
    ties = np.array([[[[1.0, 3.0], [3.0, 2.0]]]])
    check_op(lambda a: F.adaptive_max_pool2d(a, 1), lambda a: TF.adaptive_max_pool2d(a, 1), ties)
    x = randn(2, 5, 6, 3)
    check_op(
        lambda a: F.adaptive_max_pool2d(a.transpose(1, 3), (2, 3)),
        lambda a: TF.adaptive_max_pool2d(a.transpose(1, 3), (2, 3)),
        x,
    )


def test_adaptive_pool_gradcheck():
    x = gu.tensor(randn(2, 2, 5, 7, seed=3), requires_grad=True)
    assert gradcheck(lambda a: F.adaptive_max_pool2d(a, (3, 4)), [x])
    y = gu.tensor(randn(2, 3, 7, seed=4), requires_grad=True)
    assert gradcheck(lambda a: F.adaptive_avg_pool1d(a, 3), [y])
    assert gradcheck(lambda a: F.adaptive_max_pool1d(a, 4), [y])


def test_adaptive_pool_modules_and_errors():
    for g, t in [
        (gnn.AdaptiveAvgPool1d(3), tnn.AdaptiveAvgPool1d(3)),
        (gnn.AdaptiveMaxPool1d(3), tnn.AdaptiveMaxPool1d(3)),
        (gnn.AdaptiveMaxPool2d((3, None)), tnn.AdaptiveMaxPool2d((3, None))),
        (gnn.AdaptiveMaxPool2d(2, True), tnn.AdaptiveMaxPool2d(2, True)),
    ]:
        assert repr(g) == repr(t) and list(g.state_dict()) == []
    for shape, fn, arg in [
        ((2, 3, 4), "adaptive_avg_pool1d", (2, 2)),
        ((3, 4, 5, 6), "adaptive_avg_pool1d", 2),
        ((2, 3, 0), "adaptive_max_pool1d", 2),
        ((2, 0, 4), "adaptive_max_pool1d", 2),
        ((3, 4), "adaptive_max_pool2d", 2),
        ((2, 3, 4), "adaptive_avg_pool1d", -1),
    ]:
        _raises_like_torch(
            lambda: getattr(F, fn)(gu.ones(*shape), arg),
            lambda: getattr(TF, fn)(torch.ones(*shape), arg),
        )
    _raises_like_torch(
        lambda: F.adaptive_max_pool1d(gu.ones(2, 3, 4, dtype=gu.int64), 2),
        lambda: TF.adaptive_max_pool1d(torch.ones(2, 3, 4, dtype=torch.int64), 2),
    )
    assert F.adaptive_max_pool2d(gu.ones(0, 3, 4, 4), 2).shape == (0, 3, 2, 2)
    assert F.adaptive_max_pool1d(gu.ones(0, 4), 2).shape == (0, 2)


# ------------------------------------------------------------ pixel shuffle
@pytest.mark.parametrize("shape", [(2, 8, 3, 2), (12, 2, 3), (2, 1, 4, 2, 3), (0, 4, 1, 1)])
@pytest.mark.parametrize("r", [1, 2])
def test_pixel_shuffle_and_unshuffle(shape, r):
    if shape[-3] % (r * r):
        return
    x = randn(*shape)
    if 0 in shape:  # torch's own backward fails on an empty batch: compare forward only
        expected = TF.pixel_shuffle(torch.tensor(x), r)
        assert F.pixel_shuffle(gu.tensor(x), r).shape == tuple(expected.shape)
        return
    check_op(lambda a: F.pixel_shuffle(a, r), lambda a: TF.pixel_shuffle(a, r), x)
    y = randn(*shape[:-3], shape[-3], shape[-2] * r, shape[-1] * r)
    check_op(lambda a: F.pixel_unshuffle(a, r), lambda a: TF.pixel_unshuffle(a, r), y)
    ints = np.arange(int(np.prod(shape))).reshape(shape)
    np.testing.assert_array_equal(
        F.pixel_shuffle(gu.tensor(ints), r)._data, TF.pixel_shuffle(torch.tensor(ints), r).numpy()
    )


def test_pixel_shuffle_gradcheck_modules_and_errors():
    x = gu.tensor(randn(1, 8, 2, 3), requires_grad=True)
    assert gradcheck(lambda a: F.pixel_unshuffle(F.pixel_shuffle(a, 2) * a.sum(), 2), [x])
    assert repr(gnn.PixelShuffle(2)) == repr(tnn.PixelShuffle(2))
    assert repr(gnn.PixelUnshuffle(3)) == repr(tnn.PixelUnshuffle(3))
    for fn, shape, r in [
        ("pixel_shuffle", (4, 3), 2),
        ("pixel_shuffle", (5, 3, 3), 2),
        ("pixel_shuffle", (4, 3, 3), 0),
        ("pixel_shuffle", (4, 3, 3), 2.0),
        ("pixel_unshuffle", (4, 5, 4), 2),
        ("pixel_unshuffle", (4, 4, 5), 2),
        ("pixel_unshuffle", (4, 4, 4), -1),
    ]:
        _raises_like_torch(
            lambda: getattr(F, fn)(gu.ones(*shape), r),
            lambda: getattr(TF, fn)(torch.ones(*shape), r),
        )


# ------------------------------------------------------------- Fold, Unfold
@pytest.mark.parametrize("batched", [True, False])
def test_fold_unfold_modules(batched):
    kw = dict(kernel_size=(2, 3), dilation=(1, 2), padding=1, stride=(2, 1))
    x = randn(*((2,) if batched else ()), 3, 5, 6)
    check_op(lambda a: gnn.Unfold(**kw)(a), lambda a: tnn.Unfold(**kw)(a), x)
    cols = TF.unfold(torch.tensor(x), **kw).numpy()
    check_op(lambda a: gnn.Fold((5, 6), **kw)(a), lambda a: tnn.Fold((5, 6), **kw)(a), cols)
    assert repr(gnn.Fold(4, 2)) == repr(tnn.Fold(4, 2))
    assert repr(gnn.Unfold((2, 3), dilation=2, padding=1)) == repr(
        tnn.Unfold((2, 3), dilation=2, padding=1)
    )


def test_fold_unfold_gradcheck_and_errors():
    x = gu.tensor(randn(3, 4, 4), requires_grad=True)
    assert gradcheck(lambda a: F.fold(F.unfold(a, 2, stride=1) ** 2, (4, 4), 2), [x])
    for g, t in [
        (lambda: F.unfold(gu.ones(2, 3), 2), lambda: TF.unfold(torch.ones(2, 3), 2)),
        (lambda: F.unfold(gu.ones(1, 2, 3, 3), 4), lambda: TF.unfold(torch.ones(1, 2, 3, 3), 4)),
        (
            lambda: F.fold(gu.ones(1, 5, 6), (3, 4), 2),
            lambda: TF.fold(torch.ones(1, 5, 6), (3, 4), 2),
        ),
        (lambda: F.fold(gu.ones(2, 3, 4, 5), 3, 2), lambda: TF.fold(torch.ones(2, 3, 4, 5), 3, 2)),
        (
            lambda: F.unfold(gu.ones(1, 1, 3, 3, dtype=gu.int64), 2),
            lambda: TF.unfold(torch.ones(1, 1, 3, 3, dtype=torch.int64), 2),
        ),
    ]:
        with pytest.raises((RuntimeError, IndexError, NotImplementedError)):
            t()
        with pytest.raises((RuntimeError, IndexError, NotImplementedError)):
            g()


# ------------------------------------------------------------------ dropout
def test_dropout_modules_repr_and_eval():
    for name in ("Dropout", "Dropout1d", "Dropout2d", "AlphaDropout", "FeatureAlphaDropout"):
        g, t = getattr(gnn, name)(0.2, inplace=True), getattr(tnn, name)(0.2, inplace=True)
        assert repr(g) == repr(t)
        x = gu.ones(2, 3, 4)
        assert g.eval()(x) is x
        with pytest.raises(ValueError, match="between 0 and 1"):
            getattr(gnn, name)(1.5)


def test_dropout_inplace_honoured():
    x = gu.ones(4, 5)
    v = x._version
    assert gnn.Dropout(0.5, inplace=True)(x) is x and x._version == v + 1
    assert set(np.unique(x._data)) <= {0.0, 2.0}
    y = gu.ones(4, 5)
    assert gnn.Dropout(0.5)(y) is not y and np.all(y._data == 1)
    leaf = gu.ones(3, 4, 5, requires_grad=True)
    h = leaf * 1
    out = gnn.Dropout1d(0.5, inplace=True)(h)
    assert out is h
    out.sum().backward()
    np.testing.assert_array_equal(leaf.grad._data, h._data)  # grad = mask = output / 1


def test_dropout1d_drops_whole_channels():
    gu.manual_seed(0)
    y = F.dropout1d(gu.ones(8, 6, 5), 0.5)._data
    per_channel = y.reshape(8, 6, 5)
    assert np.all(per_channel.min(axis=-1) == per_channel.max(axis=-1))
    assert set(np.unique(y)) == {0.0, 2.0}
    assert F.dropout1d(gu.ones(6, 5), 0.5).shape == (6, 5)
    _raises_like_torch(
        lambda: F.dropout1d(gu.ones(2, 3, 4, 5)), lambda: TF.dropout1d(torch.ones(2, 3, 4, 5))
    )
    _raises_like_torch(lambda: F.dropout1d(gu.ones(3)), lambda: TF.dropout1d(torch.ones(3)))
    _raises_like_torch(
        lambda: F.dropout1d(gu.ones(3, 4, dtype=gu.int64)),
        lambda: TF.dropout1d(torch.ones(3, 4, dtype=torch.int64)),
    )


def test_alpha_dropout_keeps_mean_and_variance_and_its_formula():
    gu.manual_seed(0)
    x = gu.tensor(np.random.default_rng(0).standard_normal(200000))
    y = F.alpha_dropout(x, 0.2, training=True)
    t = TF.alpha_dropout(torch.tensor(x._data), 0.2, training=True)
    assert (
        abs(y._data.mean() - t.mean().item()) < 0.02 and abs(y._data.std() - t.std().item()) < 0.02
    )
    alpha, p = 1.7580993408473766, 0.2
    a = ((alpha**2 * p + 1) * (1 - p)) ** -0.5
    dropped = np.isclose(y._data, alpha * a * (p - 1))
    np.testing.assert_allclose(y._data[~dropped], a * x._data[~dropped] + alpha * a * p)
    assert abs(dropped.mean() - p) < 0.01
    assert F.alpha_dropout(x, 0.2) is x  # training=False by default, as torch
    assert np.all(F.alpha_dropout(gu.ones(3), 1.0, True)._data == 0)
    feature = F.feature_alpha_dropout(gu.ones(50, 4, 3), 0.5, True)._data
    assert np.all(feature.min(axis=-1) == feature.max(axis=-1))


def test_alpha_dropout_gradcheck_and_inplace():
    x = gu.tensor(randn(4, 5), requires_grad=True)

    def fn(a):
        gu.manual_seed(3)  # the same mask on every call
        return F.alpha_dropout(a, 0.3, True)

    assert gradcheck(fn, [x])
    h = x * 1
    v = h._version
    assert F.alpha_dropout(h, 0.3, True, inplace=True) is h and h._version == v + 1
    _raises_like_torch(
        lambda: F.feature_alpha_dropout(gu.ones(3), 0.5, True),
        lambda: TF.feature_alpha_dropout(torch.ones(3), 0.5, True),
    )


# ------------------------------------------------------------------ RMSNorm
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize(("shape", "normalized"), [((3, 4), [4]), ((2, 3, 4), [3, 4]), ((5,), [5])])
@pytest.mark.parametrize("eps", [None, 1e-3])
def test_rms_norm(dtype, shape, normalized, eps):
    x, w = randn(*shape, dtype=dtype), randn(*normalized, dtype=dtype, seed=1)
    check_op(
        lambda a, b: F.rms_norm(a, normalized, b, eps),
        lambda a, b: TF.rms_norm(a, normalized, b, eps),
        x,
        w,
    )
    check_op(lambda a: F.rms_norm(a, normalized), lambda a: TF.rms_norm(a, normalized), x)


def test_rms_norm_module_gradcheck_and_errors():
    t, g = tnn.RMSNorm([2, 3], eps=1e-3), gnn.RMSNorm([2, 3], eps=1e-3)
    assert repr(g) == repr(t) and repr(gnn.RMSNorm(4)) == repr(tnn.RMSNorm(4))
    assert list(g.state_dict()) == list(t.state_dict()) == ["weight"]
    assert repr(gnn.RMSNorm(3, elementwise_affine=False)) == repr(
        tnn.RMSNorm(3, elementwise_affine=False)
    )
    assert list(gnn.RMSNorm(3, elementwise_affine=False).parameters()) == []
    with torch.no_grad():
        t.weight.normal_()
    g.load_state_dict(t.state_dict())
    x = randn(4, 2, 3, dtype=np.float32)
    assert_close(g(gu.tensor(x)), t(torch.tensor(x)), np.float32)
    a = gu.tensor(randn(3, 4), requires_grad=True)
    w = gu.tensor(randn(4, seed=2), requires_grad=True)
    assert gradcheck(lambda a, w: F.rms_norm(a, (4,), w, 1e-2), [a, w])
    assert np.all(F.rms_norm(gu.zeros(2, 3), [3])._data == 0)
    for g_call, t_call in [
        (lambda: F.rms_norm(gu.ones(2, 3), [4]), lambda: TF.rms_norm(torch.ones(2, 3), [4])),
        (
            lambda: F.rms_norm(gu.ones(2, 4), [4], gu.ones(3)),
            lambda: TF.rms_norm(torch.ones(2, 4), [4], torch.ones(3)),
        ),
        (
            lambda: F.rms_norm(gu.ones(2, 4, dtype=gu.int64), [4]),
            lambda: TF.rms_norm(torch.ones(2, 4, dtype=torch.int64), [4]),
        ),
        (lambda: F.rms_norm(gu.ones(2, 4), 4), lambda: TF.rms_norm(torch.ones(2, 4), 4)),
        (lambda: F.rms_norm(gu.ones(2, 4), []), lambda: TF.rms_norm(torch.ones(2, 4), [])),
    ]:
        _raises_like_torch(g_call, t_call)


# ----------------------------------------------------------------- Bilinear
@pytest.mark.parametrize("lead", [(5,), (2, 3), ()])
@pytest.mark.parametrize("bias", [True, False])
def test_bilinear_module_equals_torch(lead, bias):
    t = tnn.Bilinear(2, 3, 4, bias=bias).double()
    g = gnn.Bilinear(2, 3, 4, bias=bias, dtype=gu.float64)
    assert repr(g) == repr(t) and list(g.state_dict()) == list(t.state_dict())
    g.load_state_dict(t.state_dict())
    a, b = randn(*lead, 2), randn(*lead, 3, seed=1)
    check_op(lambda x, y: g(x, y), lambda x, y: t(x, y), a, b)
    out = t(torch.tensor(a), torch.tensor(b)).sum()
    out.backward()
    g(gu.tensor(a), gu.tensor(b)).sum().backward()
    assert_close(g.weight.grad, t.weight.grad)
    if bias:
        assert_close(g.bias.grad, t.bias.grad)


def test_bilinear_init_gradcheck_and_errors():
    gu.manual_seed(0)
    w = gnn.Bilinear(4, 3, 200).weight._data
    assert np.abs(w).max() <= 0.5 and np.abs(w).max() > 0.45  # U(-1/sqrt(4), 1/sqrt(4))
    x1, x2 = (
        gu.tensor(randn(3, 2), requires_grad=True),
        gu.tensor(randn(3, 3, seed=1), requires_grad=True),
    )
    weight = gu.tensor(randn(4, 2, 3, seed=2), requires_grad=True)
    bias = gu.tensor(randn(4, seed=3), requires_grad=True)
    assert gradcheck(F.bilinear, [x1, x2, weight, bias])
    ints = [np.ones((5, 2), np.int64), np.ones((5, 3), np.int64), np.ones((4, 2, 3), np.int64)]
    np.testing.assert_array_equal(
        F.bilinear(*map(gu.tensor, ints))._data, TF.bilinear(*map(torch.tensor, ints)).numpy()
    )
    W, b = np.ones((4, 2, 3)), np.ones(4)
    for s1, s2, ws, bs in [
        ((5, 2), (1, 3), W, b),
        ((5, 3), (5, 3), W, b),
        ((5, 2), (5, 2), W, b),
        ((5, 2), (5, 3), W, np.ones(3)),
        ((5, 2), (4, 3), W, b),
        ((), (), W, b),
    ]:
        _raises_like_torch(
            lambda: F.bilinear(gu.ones(*s1), gu.ones(*s2), gu.tensor(ws), gu.tensor(bs)),
            lambda: TF.bilinear(
                torch.ones(*s1),
                torch.ones(*s2),
                torch.tensor(ws, dtype=torch.float32),
                torch.tensor(bs, dtype=torch.float32),
            ),
        )
    _raises_like_torch(
        lambda: F.bilinear(gu.ones(5, 2, dtype=gu.float64), gu.ones(5, 3), gu.ones(4, 2, 3)),
        lambda: TF.bilinear(
            torch.ones(5, 2, dtype=torch.float64), torch.ones(5, 3), torch.ones(4, 2, 3)
        ),
    )


# ------------------------------------------------------------- EmbeddingBag
INDICES = np.array([1, 2, 0, 3, 3, 5, 1])
OFFSETS = np.array([0, 2, 2, 5])


@pytest.mark.parametrize("mode", ["sum", "mean", "max"])
@pytest.mark.parametrize("padding_idx", [None, 3, -5])
@pytest.mark.parametrize("include_last_offset", [False, True])
def test_embedding_bag_equals_torch(mode, padding_idx, include_last_offset):
    offsets = np.r_[OFFSETS, len(INDICES)] if include_last_offset else OFFSETS
    kw = dict(mode=mode, padding_idx=padding_idx, include_last_offset=include_last_offset)
    W = randn(6, 3)
    psw = randn(len(INDICES), seed=1) if mode == "sum" else None
    arrays = (W,) if psw is None else (W, psw)

    def run(lib, fn, weight, sample=None):
        return fn(lib.tensor(INDICES), weight, lib.tensor(offsets), per_sample_weights=sample, **kw)

    check_op(
        lambda *a: run(gu, F.embedding_bag, *a),
        lambda *a: run(torch, TF.embedding_bag, *a),
        *arrays,
    )
    fixed = INDICES[:6].reshape(2, 3)
    check_op(
        lambda w: F.embedding_bag(gu.tensor(fixed), w, mode=mode, padding_idx=padding_idx),
        lambda w: TF.embedding_bag(torch.tensor(fixed), w, mode=mode, padding_idx=padding_idx),
        W,
    )


def test_embedding_bag_max_ties_and_empty_input():
    W = np.array([[1.0, 5.0], [3.0, 5.0], [3.0, 0.0]])
    check_op(
        lambda w: F.embedding_bag(gu.tensor([0, 1, 2]), w, gu.tensor([0]), mode="max"),
        lambda w: TF.embedding_bag(torch.tensor([0, 1, 2]), w, torch.tensor([0]), mode="max"),
        W,
    )
    for mode in ("sum", "mean", "max"):
        empty = F.embedding_bag(
            gu.tensor(np.zeros(0, np.int64)), gu.tensor(W), gu.tensor([0, 0]), mode=mode
        )
        assert empty.shape == (2, 2) and np.all(empty._data == 0)
    assert F.embedding_bag(
        gu.tensor([0, 1]), gu.tensor(W), gu.tensor([0]), include_last_offset=True
    ).shape == (0, 2)


def test_embedding_bag_gradcheck():
    w = gu.tensor(randn(6, 3), requires_grad=True)
    psw = gu.tensor(randn(7, seed=2), requires_grad=True)
    idx, off = gu.tensor(INDICES), gu.tensor(OFFSETS)
    assert gradcheck(
        lambda w, p: F.embedding_bag(idx, w, off, mode="sum", per_sample_weights=p, padding_idx=3),
        [w, psw],
    )
    assert gradcheck(lambda w: F.embedding_bag(idx, w, off, mode="mean"), [w])
    assert gradcheck(lambda w: F.embedding_bag(idx, w, off, mode="max"), [w])


def test_embedding_bag_module():
    t = tnn.EmbeddingBag(10, 3, mode="max", padding_idx=0, max_norm=1.0)
    g = gnn.EmbeddingBag(10, 3, mode="max", padding_idx=0, max_norm=1.0)
    assert repr(g) == repr(t) and repr(gnn.EmbeddingBag(4, 2)) == repr(tnn.EmbeddingBag(4, 2))
    assert list(g.state_dict()) == list(t.state_dict()) == ["weight"]
    assert np.all(g.weight._data[0] == 0)
    g.load_state_dict(t.state_dict())
    idx = np.array([[1, 2, 0], [4, 4, 9]])
    v = g.weight._version
    assert_close(g(gu.tensor(idx)), t(torch.tensor(idx)), np.float32)
    assert_close(g.weight, t.weight, np.float32)  # max_norm renormed the rows in place
    assert g.weight._version > v
    pre = gnn.EmbeddingBag.from_pretrained(gu.ones(3, 2), mode="sum")
    assert not pre.weight.requires_grad and pre(gu.tensor([[0, 1]]))._data.tolist() == [[2.0, 2.0]]


@pytest.mark.parametrize(
    "kwargs",
    [
        dict(input=[1, 2], offsets=[1, 2]),
        dict(input=[1, 2], offsets=[0, 7]),
        dict(input=[0, 7], offsets=[0]),
        dict(input=[1, 2], offsets=[0], mode="foo"),
        dict(input=[1.0, 2.0], offsets=[0]),
        dict(input=[[1, 2]], offsets=[0]),
        dict(input=[1, 2], offsets=None),
        dict(input=[1, 2], offsets=[[0]]),
        dict(input=[[[1]]]),
        dict(input=[[1, 2]], mode="max", per_sample_weights=np.ones((1, 2))),
        dict(input=[1, 2], offsets=[0], per_sample_weights=np.ones(3)),
        dict(input=[1, 2], offsets=[0], mode="max", scale_grad_by_freq=True),
    ],
)
def test_embedding_bag_errors_match_torch(kwargs):
    def call(lib, fn):
        kw = dict(kwargs)
        inp = lib.tensor(kw.pop("input"))
        off = kw.pop("offsets", None)
        psw = kw.pop("per_sample_weights", None)
        return fn(
            inp,
            lib.ones(6, 2),
            None if off is None else lib.tensor(off),
            per_sample_weights=None if psw is None else lib.tensor(psw, dtype=lib.float32),
            **kw,
        )

    _raises_like_torch(lambda: call(gu, F.embedding_bag), lambda: call(torch, TF.embedding_bag))

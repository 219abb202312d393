"""Losses against torch: forward, backward, dtype, reductions, options and errors."""

import numpy as np
import pytest
import torch
import torch.nn.functional as TF

import groundup as gu
import groundup.nn.functional as F
from groundup import nn
from tests.oracle import assert_close, check_op, randn

DTYPES = [np.float64, np.float32]
REDUCTIONS = ["mean", "sum", "none"]


def targets(shape, n_classes, seed=0, ignore=None):
    t = np.random.default_rng(seed).integers(0, n_classes, shape)
    if ignore is not None:
        t.reshape(-1)[::3] = ignore  # every third target ignored
    return t


def probabilities(shape, seed=0, dtype=np.float64):
    x = np.random.default_rng(seed).random(shape) + 0.05
    return (x / x.sum(axis=1, keepdims=True)).astype(dtype)


# ------------------------------------------------------------------ cross-entropy
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("shape", [(6, 5), (4, 3, 2, 5), (5,)])
def test_cross_entropy_indices_matches_torch(dtype, reduction, shape):
    x = randn(*shape, dtype=dtype)
    t = targets(shape[:1] + shape[2:] if len(shape) > 1 else (), shape[1 if len(shape) > 1 else 0])
    check_op(
        lambda a, b: F.cross_entropy(a, b, reduction=reduction),
        lambda a, b: TF.cross_entropy(a, b, reduction=reduction),
        x,
        t,
    )


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("smoothing", [0.0, 0.2])
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("shape", [(9, 4), (3, 4, 3)])
def test_cross_entropy_weight_ignore_index_smoothing(dtype, reduction, smoothing, weighted, shape):
    x = randn(*shape, dtype=dtype, seed=1)
    t = targets(shape[:1] + shape[2:], shape[1], seed=2, ignore=-100)
    arrays = [x, t]
    if weighted:
        arrays.append(np.random.default_rng(3).random(shape[1]).astype(dtype) + 0.5)
    check_op(
        lambda *a: F.cross_entropy(*a, reduction=reduction, label_smoothing=smoothing),
        lambda *a: TF.cross_entropy(*a, reduction=reduction, label_smoothing=smoothing),
        *arrays,
        grad=[True, False, False][: len(arrays)],
    )


def test_cross_entropy_custom_ignore_index():
    x, t = randn(8, 4), targets(8, 4, ignore=2)
    for smoothing in (0.0, 0.1):
        check_op(
            lambda a, b, s=smoothing: F.cross_entropy(a, b, ignore_index=2, label_smoothing=s),
            lambda a, b, s=smoothing: TF.cross_entropy(a, b, ignore_index=2, label_smoothing=s),
            x,
            t,
        )


def test_cross_entropy_all_targets_ignored_is_nan_like_torch():
    x, t = randn(3, 4), np.full(3, -100)
    g = F.cross_entropy(gu.tensor(x), gu.tensor(t))
    expected = TF.cross_entropy(torch.tensor(x), torch.tensor(t))
    assert np.isnan(g.item()) and torch.isnan(expected)
    assert F.cross_entropy(gu.tensor(x), gu.tensor(t), reduction="sum").item() == 0


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("smoothing", [0.0, 0.3])
@pytest.mark.parametrize("shape", [(5, 4), (2, 4, 3), (4,)])
def test_cross_entropy_probability_targets(dtype, reduction, smoothing, shape):
    x = randn(*shape, dtype=dtype, seed=4)
    y = probabilities(shape if len(shape) > 1 else (1, *shape), seed=5, dtype=dtype)
    y = y.reshape(shape)
    w = np.random.default_rng(6).random(shape[1 if len(shape) > 1 else 0]).astype(dtype) + 0.5
    check_op(  # the target gets a gradient too, as in torch
        lambda a, b, c: F.cross_entropy(a, b, c, reduction=reduction, label_smoothing=smoothing),
        lambda a, b, c: TF.cross_entropy(a, b, c, reduction=reduction, label_smoothing=smoothing),
        x,
        y,
        w,
        grad=[True, True, False],
    )


@pytest.mark.parametrize("dtype", DTYPES)
def test_cross_entropy_stable_for_huge_logits(dtype):
    x = np.array([[1e4, -1e4, 0.0], [-1e4, 1e4, 5e3], [0.0, 0.0, 1e4]], dtype=dtype)
    t = np.array([1, 1, 0])
    for smoothing in (0.0, 0.1):
        gx = gu.tensor(x, requires_grad=True)
        loss = F.cross_entropy(gx, gu.tensor(t), label_smoothing=smoothing)
        loss.backward()
        assert np.all(np.isfinite(loss._data)) and np.all(np.isfinite(gx.grad._data))
        tx = torch.tensor(x, requires_grad=True)
        expected = TF.cross_entropy(tx, torch.tensor(t), label_smoothing=smoothing)
        expected.backward()
        assert_close(loss, expected, dtype)
        assert_close(gx.grad, tx.grad, dtype)


@pytest.mark.parametrize("dtype", DTYPES)
def test_cross_entropy_equals_composed_twin(dtype):
    """Fused op == log_softmax + nll_loss, and == the loss written with primitive ops."""
    x, t = randn(7, 5, dtype=dtype, seed=8), targets(7, 5, seed=9, ignore=-100)
    w = (np.random.default_rng(10).random(5) + 0.5).astype(dtype)
    fused_x, twin_x, prim_x = (gu.tensor(x, requires_grad=True) for _ in range(3))
    target, weight = gu.tensor(t), gu.tensor(w)
    fused = F.cross_entropy(fused_x, target, weight)
    twin = F.nll_loss(F.log_softmax(twin_x, dim=1), target, weight)
    # primitives only: pick log p[i, t_i] by indexing, weigh, mask, divide by sum of weights
    keep = t != -100
    rows, cls = np.arange(7)[keep], t[keep]
    picked = F.log_softmax(prim_x, dim=1)[rows, cls]
    prim = -(picked * gu.tensor(w[cls])).sum() / float(w[cls].sum())
    for loss, leaf in ((fused, fused_x), (twin, twin_x), (prim, prim_x)):
        loss.backward()
        assert loss.dtype == dtype and leaf.grad.dtype == dtype
    for loss, leaf in ((twin, twin_x), (prim, prim_x)):
        assert_close(fused, loss._data, dtype)
        assert_close(fused_x.grad, leaf.grad._data, dtype)


def test_cross_entropy_gradient_is_softmax_minus_one_hot():
    x, t = randn(4, 3, seed=11), np.array([0, 2, 1, 2])
    gx = gu.tensor(x, requires_grad=True)
    F.cross_entropy(gx, gu.tensor(t), reduction="sum").backward()
    p = np.exp(x - x.max(1, keepdims=True))
    p /= p.sum(1, keepdims=True)
    np.testing.assert_allclose(gx.grad._data, p - np.eye(3)[t], atol=1e-12)


def test_losses_keep_float32_and_do_not_mutate_inputs():
    rng = np.random.default_rng(7)
    x, t = randn(6, 4, dtype=np.float32), targets(6, 4)
    p, y = rng.random((6, 4)).astype(np.float32), rng.random((6, 4)).astype(np.float32)
    cases = [
        (F.cross_entropy, x, t, {"label_smoothing": 0.1}),
        (F.cross_entropy, x, y, {}),
        (F.nll_loss, x, t, {}),
        (F.binary_cross_entropy, p, y, {}),
        (F.binary_cross_entropy_with_logits, x, y, {"pos_weight": gu.ones(4)}),
        (F.mse_loss, x, y, {}),
        (F.l1_loss, x, y, {}),
    ]
    for fn, a, b, kw in cases:
        for reduction in REDUCTIONS:
            ga = gu.tensor(a, requires_grad=True)
            gb = gu.tensor(b, requires_grad=b.dtype.kind == "f")
            out = fn(ga, gb, reduction=reduction, **kw)
            assert out.dtype == np.float32, (fn.__name__, reduction)
            out.backward(np.ones(out.shape, np.float32))
            assert ga.grad.dtype == np.float32
            np.testing.assert_array_equal(ga._data, a, err_msg=fn.__name__)
            np.testing.assert_array_equal(gb._data, b, err_msg=fn.__name__)


def test_cross_entropy_errors():
    x = gu.tensor(randn(3, 4))
    with pytest.raises(TypeError, match=r"class-index targets must be integers, got dtype float"):
        F.cross_entropy(x, gu.tensor([0.0, 1.0, 2.0]))
    with pytest.raises(TypeError, match=r"class probabilities and must be floating point.*int64"):
        F.cross_entropy(x, gu.tensor(np.zeros((3, 4), np.int64)))
    with pytest.raises(IndexError, match=r"target 5 is out of bounds for 4 classes"):
        F.cross_entropy(x, gu.tensor([0, 1, 5]))
    with pytest.raises(IndexError, match=r"target -3 is out of bounds for 4 classes"):
        F.cross_entropy(x, gu.tensor([0, -3, 1]))
    with pytest.raises(
        ValueError, match=r"class indices of shape \(3,\).*got target of shape \(2,\)"
    ):
        F.cross_entropy(x, gu.tensor([0, 1]))
    with pytest.raises(ValueError, match=r"weight must have shape \(4,\).*got \(5,\)"):
        F.cross_entropy(x, gu.tensor([0, 1, 2]), gu.tensor(np.ones(5)))
    with pytest.raises(ValueError, match=r"label_smoothing must be in \[0, 1\], got 1.5"):
        F.cross_entropy(x, gu.tensor([0, 1, 2]), label_smoothing=1.5)
    with pytest.raises(ValueError, match=r"reduction must be one of .* got 'avg'"):
        F.cross_entropy(x, gu.tensor([0, 1, 2]), reduction="avg")
    with pytest.raises(ValueError, match=r"ignore_index is not supported for probability"):
        F.cross_entropy(x, gu.tensor(probabilities((3, 4))), ignore_index=0)
    with pytest.raises(
        TypeError, match=r"weight has dtype float32 but the input has dtype float64"
    ):
        F.cross_entropy(x, gu.tensor([0, 1, 2]), gu.tensor(np.ones(4, np.float32)))


def test_cross_entropy_accepts_numpy_targets_and_legacy_flags():
    x, t = randn(5, 3), targets(5, 3)
    expected = TF.cross_entropy(torch.tensor(x), torch.tensor(t), reduction="sum")
    assert_close(F.cross_entropy(gu.tensor(x), t, reduction="sum"), expected)
    with pytest.warns(DeprecationWarning, match="reduction='sum'"):
        legacy = F.cross_entropy(gu.tensor(x), gu.tensor(t), size_average=False)
    assert_close(legacy, expected)
    with pytest.warns(DeprecationWarning, match="reduction='none'"):
        assert F.cross_entropy(gu.tensor(x), gu.tensor(t), reduce=False).shape == (5,)


# ------------------------------------------------------------------------- nll
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("shape", [(6, 4), (2, 4, 3, 2)])
def test_nll_loss_matches_torch(dtype, reduction, shape):
    x = randn(*shape, dtype=dtype, seed=12)
    t = targets(shape[:1] + shape[2:], shape[1], seed=13, ignore=-100)
    w = (np.random.default_rng(14).random(shape[1]) + 0.5).astype(dtype)
    check_op(
        lambda a, b, c: F.nll_loss(a, b, c, reduction=reduction),
        lambda a, b, c: TF.nll_loss(a, b, c, reduction=reduction),
        x,
        t,
        w,
        grad=[True, False, False],
    )


def test_nll_loss_rejects_float_targets():
    with pytest.raises(TypeError, match="nll_loss: class-index targets must be integers"):
        F.nll_loss(gu.tensor(randn(3, 4)), gu.tensor([0.0, 1.0, 2.0]))


# ---------------------------------------------------------------- binary losses
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weighted", [False, True])
def test_binary_cross_entropy_matches_torch(dtype, reduction, weighted):
    rng = np.random.default_rng(15)
    x = rng.uniform(0.02, 0.98, (4, 3)).astype(dtype)
    y = rng.random((4, 3)).astype(dtype)  # soft labels too
    arrays = [x, y] + ([rng.random(3).astype(dtype)] if weighted else [])
    check_op(
        lambda *a: F.binary_cross_entropy(*a, reduction=reduction),
        lambda *a: TF.binary_cross_entropy(*a, reduction=reduction),
        *arrays,
        grad=[True, True, False][: len(arrays)],
    )


@pytest.mark.parametrize("dtype", DTYPES)
def test_binary_cross_entropy_clamps_log_at_minus_100(dtype):
    x = np.array([0.0, 1.0, 1e-30, 0.5], dtype=dtype)
    y = np.array([1.0, 0.0, 1.0, 1.0], dtype=dtype)
    check_op(
        lambda a, b: F.binary_cross_entropy(a, b, reduction="none"),
        lambda a, b: TF.binary_cross_entropy(a, b, reduction="none"),
        x,
        y,
        grad=[True, False],
    )
    out = F.binary_cross_entropy(gu.tensor(x), gu.tensor(y), reduction="none")
    assert out._data[0] == 100 and out._data[1] == 100


def test_binary_cross_entropy_errors():
    with pytest.raises(ValueError, match=r"probability in \[0, 1\], found values in \[0.5, 1.5\]"):
        F.binary_cross_entropy(gu.tensor([0.5, 1.5]), gu.tensor([0.0, 1.0]))
    with pytest.raises(ValueError, match=r"target shape \(3,\) must equal input shape \(2,\)"):
        F.binary_cross_entropy(gu.tensor([0.5, 0.5]), gu.tensor([0.0, 1.0, 1.0]))
    with pytest.raises(ValueError, match=r"weight of shape \(3,\) must broadcast to .*\(2,\)"):
        F.binary_cross_entropy(gu.tensor([0.5, 0.5]), gu.tensor([0.0, 1.0]), gu.ones(3))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("options", ["plain", "weight", "pos_weight", "both"])
def test_bce_with_logits_matches_torch(dtype, reduction, options):
    rng = np.random.default_rng(16)
    x = (3 * rng.standard_normal((5, 3))).astype(dtype)
    y = rng.random((5, 3)).astype(dtype)
    w = rng.random(3).astype(dtype) if options in ("weight", "both") else None
    pw = (rng.random(3) * 3).astype(dtype) if options in ("pos_weight", "both") else None

    def run(lib, f, a, b):
        kw = {"weight": None if w is None else lib.tensor(w)}
        kw["pos_weight"] = None if pw is None else lib.tensor(pw)
        return f(a, b, reduction=reduction, **kw)

    check_op(
        lambda a, b: run(gu, F.binary_cross_entropy_with_logits, a, b),
        lambda a, b: run(torch, TF.binary_cross_entropy_with_logits, a, b),
        x,
        y,
    )


@pytest.mark.parametrize("dtype", DTYPES)
def test_bce_with_logits_stable_and_equal_to_composed(dtype):
    x = np.array([1e4, -1e4, 30.0, -30.0, 0.5], dtype=dtype)
    y = np.array([0.0, 1.0, 1.0, 0.0, 1.0], dtype=dtype)
    check_op(F.binary_cross_entropy_with_logits, TF.binary_cross_entropy_with_logits, x, y)
    # moderate logits: the fused op equals BCE of sigmoid, the composed twin
    xm = randn(6, dtype=dtype, seed=17)
    ym = (np.arange(6) % 2).astype(dtype)
    a, b = gu.tensor(xm, requires_grad=True), gu.tensor(xm, requires_grad=True)
    fused = F.binary_cross_entropy_with_logits(a, gu.tensor(ym))
    twin = F.binary_cross_entropy(gu.sigmoid(b), gu.tensor(ym))
    fused.backward()
    twin.backward()
    assert_close(fused, twin._data, dtype)
    assert_close(a.grad, b.grad._data, dtype)


# ------------------------------------------------------------- regression losses
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("name", ["mse_loss", "l1_loss"])
def test_regression_losses_match_torch(dtype, reduction, name):
    x, y = randn(4, 5, dtype=dtype, seed=18), randn(4, 5, dtype=dtype, seed=19)
    y[0, 0] = x[0, 0]  # |x - y| = 0: gradient 0 as in torch
    check_op(
        lambda a, b: getattr(F, name)(a, b, reduction=reduction),
        lambda a, b: getattr(TF, name)(a, b, reduction=reduction),
        x,
        y,
    )


@pytest.mark.parametrize("name", ["mse_loss", "l1_loss"])
def test_regression_losses_weighted_mean(name):
    x, y = randn(3, 4, seed=20), randn(3, 4, seed=21)
    w = np.random.default_rng(22).random((3, 4))
    for reduction in REDUCTIONS:
        check_op(
            lambda a, b, c, r=reduction: getattr(F, name)(a, b, reduction=r, weight=c),
            lambda a, b, c, r=reduction: getattr(TF, name)(a, b, reduction=r, weight=c),
            x,
            y,
            w,
            grad=[True, True, False],
        )


def test_mse_warns_on_broadcast_shapes():
    with pytest.warns(UserWarning, match=r"target shape \(3, 1\) differs from input shape \(3,\)"):
        F.mse_loss(gu.tensor(randn(3)), gu.tensor(randn(3, 1)))


# ---------------------------------------------------------------------- modules
def test_loss_modules_match_functional_and_torch():
    x, t = randn(6, 4, seed=23), targets(6, 4, seed=24, ignore=-100)
    w = np.random.default_rng(25).random(4) + 0.5
    gm = nn.CrossEntropyLoss(weight=gu.tensor(w), label_smoothing=0.1, reduction="sum")
    tm = torch.nn.CrossEntropyLoss(weight=torch.tensor(w), label_smoothing=0.1, reduction="sum")
    assert_close(gm(gu.tensor(x), gu.tensor(t)), tm(torch.tensor(x), torch.tensor(t)))
    assert list(gm.state_dict()) == list(tm.state_dict()) == ["weight"]
    assert list(nn.CrossEntropyLoss().state_dict()) == []
    logp = np.log(probabilities((6, 4), seed=26))
    t1 = targets(6, 4, seed=24)
    assert_close(
        nn.NLLLoss(ignore_index=1)(gu.tensor(logp), gu.tensor(t1)),
        torch.nn.NLLLoss(ignore_index=1)(torch.tensor(logp), torch.tensor(t1)),
    )
    p, y = 1 / (1 + np.exp(-x)), (x > 0).astype(np.float64)
    pw = np.arange(1.0, 5.0)
    pairs = [
        (nn.MSELoss(reduction="none"), torch.nn.MSELoss(reduction="none"), x, p),
        (nn.L1Loss(), torch.nn.L1Loss(), x, p),
        (nn.BCELoss(), torch.nn.BCELoss(), p, y),
        (
            nn.BCEWithLogitsLoss(pos_weight=gu.tensor(pw)),
            torch.nn.BCEWithLogitsLoss(pos_weight=torch.tensor(pw)),
            x,
            y,
        ),
    ]
    for g, tt, a, b in pairs:
        assert repr(g) == repr(tt)
        assert_close(g(gu.tensor(a), gu.tensor(b)), tt(torch.tensor(a), torch.tensor(b)))
    assert list(pairs[3][0].state_dict()) == list(pairs[3][1].state_dict()) == ["pos_weight"]


def test_loss_module_legacy_flags_and_bad_reduction():
    with pytest.warns(DeprecationWarning):
        assert nn.MSELoss(size_average=False).reduction == "sum"
    with pytest.raises(ValueError, match="reduction must be one of"):
        nn.L1Loss(reduction="avg")

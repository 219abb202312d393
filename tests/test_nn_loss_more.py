"""smooth_l1, huber, kl_div, soft_margin, poisson_nll, gaussian_nll, margin_ranking,
hinge_embedding, cosine_embedding and triplet_margin losses against torch (forward, input
and target gradients, reductions, broadcasting, errors), and their modules."""

import warnings

import numpy as np
import pytest
import torch
import torch.nn.functional as F

import groundup as gu
import groundup.nn.functional as gF
from groundup import nn
from tests.oracle import assert_close, check_op
from tests.strategies import ladder, normal, positive

REDUCTIONS = ["mean", "sum", "none"]
# differences hitting the kinks of smooth L1 / Huber exactly (|d| = beta and d = 0)
KINKS = np.array([-2.0, -1.0, -0.5, 0.0, 0.5, 1.0, 2.0, 0.25])


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("beta", [1.0, 0.5, 0.0, 3.0])
def test_smooth_l1_loss_matches_torch(reduction, beta):
    def fns(f):
        return lambda a, b: f(a, b, reduction=reduction, beta=beta)

    ladder(fns(gF.smooth_l1_loss), fns(F.smooth_l1_loss), normal((3, 4), 0) * 2, normal((3, 4), 1))
    check_op(fns(gF.smooth_l1_loss), fns(F.smooth_l1_loss), KINKS, np.zeros_like(KINKS))


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("delta", [1.0, 0.5, 2.0])
def test_huber_loss_matches_torch(reduction, delta):
    def fns(f):
        return lambda a, b: f(a, b, reduction=reduction, delta=delta)

    ladder(fns(gF.huber_loss), fns(F.huber_loss), normal((3, 4), 2) * 2, normal((3, 4), 3))
    check_op(fns(gF.huber_loss), fns(F.huber_loss), KINKS, np.zeros_like(KINKS))
    weight = positive((3, 4), 4)
    ladder(
        lambda a, b, w: gF.huber_loss(a, b, reduction, delta, w),
        lambda a, b, w: F.huber_loss(a, b, reduction, delta, w),
        normal((3, 4), 5) * 2,
        normal((3, 4), 6),
        weight,
        grad=[True, True, False],
    )


@pytest.mark.parametrize("fn", ["smooth_l1_loss", "huber_loss"])
def test_robust_losses_broadcast_promote_and_check_like_torch(fn):
    g, t = getattr(gF, fn), getattr(F, fn)
    with pytest.warns(UserWarning, match="target shape"):
        out = g(gu.tensor(normal((3, 1), 7)), gu.tensor(normal((3,), 8)), reduction="none")
    with pytest.warns(UserWarning):
        expected = t(
            torch.tensor(normal((3, 1), 7)), torch.tensor(normal((3,), 8)), reduction="none"
        )
    assert out.shape == tuple(expected.shape) == (3, 3)
    assert_close(out, expected)
    mixed = g(gu.tensor(normal((3,), 9).astype(np.float32)), gu.tensor(normal((3,), 10)))
    assert mixed.dtype == np.float64
    assert g(gu.tensor([1.0, 2.0]), gu.tensor([1, 5])).dtype == np.float32
    check_op(lambda a, b: g(a, b), lambda a, b: t(a, b), np.array(2.0), np.array(0.5))  # 0-d
    assert np.isnan(g(gu.tensor(np.zeros(0)), gu.tensor(np.zeros(0))).item())
    assert g(gu.tensor(np.zeros(0)), gu.tensor(np.zeros(0)), reduction="sum").item() == 0
    with pytest.raises(ValueError, match="reduction must be one of"):
        g(gu.tensor(normal((3,), 0)), gu.tensor(normal((3,), 0)), reduction="foo")


def test_robust_loss_argument_errors():
    x = gu.tensor(normal((3,), 0))
    with pytest.raises(RuntimeError, match="negative values for beta"):
        gF.smooth_l1_loss(x, x, beta=-1.0)
    with pytest.raises(RuntimeError, match="non-positive values for delta"):
        gF.huber_loss(x, x, delta=0.0)
    with pytest.raises(ValueError, match="weights and input must have the same size"):
        gF.huber_loss(x, x, weight=gu.tensor(np.ones(2)))


# ------------------------------------------------------------------------ kl_div
@pytest.mark.parametrize("reduction", ["none", "sum", "mean", "batchmean"])
@pytest.mark.parametrize("log_target", [False, True])
def test_kl_div_matches_torch(reduction, log_target):
    log_p = normal((3, 4), 11)
    target = normal((3, 4), 12) if log_target else positive((3, 4), 12) / 4

    def fns(f):
        return lambda a, b: f(a, b, reduction=reduction, log_target=log_target)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # 'mean' warns, in both
        ladder(fns(gF.kl_div), fns(F.kl_div), log_p, target)
        if not log_target:  # a target of 0: loss 0, input gradient 0, target gradient nan
            zeros = target.copy()
            zeros[0, 1] = zeros[2, 3] = 0.0
            check_op(fns(gF.kl_div), fns(F.kl_div), log_p, zeros)


def test_kl_div_shapes_dtypes_and_warnings():
    with pytest.warns(UserWarning, match="'batchmean' divides only by the batch size"):
        gF.kl_div(gu.tensor(normal((3,), 0)), gu.tensor(positive((3,), 1)))
    check_op(
        lambda a, b: gF.kl_div(a, b, reduction="batchmean"),
        lambda a, b: F.kl_div(a, b, reduction="batchmean"),
        np.array(1.0),
        np.array(0.5),
    )
    check_op(
        lambda a, b: gF.kl_div(a, b, reduction="none"),
        lambda a, b: F.kl_div(a, b, reduction="none"),
        normal((3,), 2),
        positive((2, 3), 3),
    )
    assert np.isnan(
        gF.kl_div(
            gu.tensor(np.zeros((0, 3))), gu.tensor(np.zeros((0, 3))), reduction="batchmean"
        ).item()
    )
    with pytest.raises(RuntimeError, match="integral inputs not supported"):
        gF.kl_div(gu.tensor(normal((3,), 0)), gu.tensor([1, 0, 2]), reduction="sum")
    with pytest.raises(ValueError, match="reduction must be one of"):
        gF.kl_div(gu.tensor(normal((3,), 0)), gu.tensor(positive((3,), 0)), reduction="foo")
    with pytest.warns(DeprecationWarning):
        legacy = gF.kl_div(gu.tensor(normal((3,), 0)), gu.tensor(positive((3,), 1)), reduce=False)
    assert legacy.shape == (3,)


# ------------------------------------------------------------------ soft_margin
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_soft_margin_loss_matches_torch(reduction):
    target = np.sign(normal((3, 4), 13))
    ladder(
        lambda a, b: gF.soft_margin_loss(a, b, reduction=reduction),
        lambda a, b: F.soft_margin_loss(a, b, reduction=reduction),
        normal((3, 4), 14) * 3,
        target,
        grad=[True, False],
    )


def test_soft_margin_loss_overflows_exactly_as_torch():
    for dtype in (np.float32, np.float64):
        x, y = (
            np.array([-100.0, 100.0, -1000.0, 3.0], dtype),
            np.array([1.0, -1.0, 1.0, 1.0], dtype),
        )
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            check_op(
                lambda a, b: gF.soft_margin_loss(a, b, reduction="none"),
                lambda a, b: F.soft_margin_loss(a, b, reduction="none"),
                x,
                y,
                grad=[True, False],
            )


def test_soft_margin_loss_checks():
    x, y = gu.tensor(normal((3,), 0)), gu.tensor(np.array([1.0, -1.0, 1.0]), requires_grad=True)
    with pytest.raises(RuntimeError, match="not differentiable with respect to argument 'target'"):
        gF.soft_margin_loss(x, y)
    with pytest.raises(RuntimeError, match="must broadcast to the input"):
        gF.soft_margin_loss(gu.tensor(normal((3, 1), 0)), gu.tensor(normal((3,), 0)))
    assert (
        gF.soft_margin_loss(gu.tensor(normal((3,), 0)), gu.tensor(np.ones(3, np.float32))).dtype
        == np.float64
    )


# ---------------------------------------------------------------- poisson / gaussian
@pytest.mark.parametrize("log_input", [True, False])
@pytest.mark.parametrize("full", [False, True])
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_poisson_nll_loss_matches_torch(log_input, full, reduction):
    x = normal((3, 4), 15) if log_input else positive((3, 4), 15)
    target = np.random.default_rng(16).poisson(2.0, (3, 4)).astype(np.float64)  # 0s, 1s and more

    def fns(f):
        return lambda a, b: f(a, b, log_input, full, eps=1e-6, reduction=reduction)

    ladder(fns(gF.poisson_nll_loss), fns(F.poisson_nll_loss), x, target, grad=[True, False])
    ladder(fns(gF.poisson_nll_loss), fns(F.poisson_nll_loss), x, target + 1.5)


@pytest.mark.parametrize("var_shape", [(3, 4), (3, 1), (3,), "float"])
@pytest.mark.parametrize("full", [False, True])
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_gaussian_nll_loss_matches_torch(var_shape, full, reduction):
    x, y = normal((3, 4), 17), normal((3, 4), 18)
    if var_shape == "float":
        ladder(
            lambda a, b: gF.gaussian_nll_loss(a, b, 0.7, full, reduction=reduction),
            lambda a, b: F.gaussian_nll_loss(a, b, 0.7, full, reduction=reduction),
            x,
            y,
        )
        return
    var = positive(var_shape, 19)
    var.flat[0] = 1e-8  # below eps: clamped, and the gradient still flows (torch's no_grad clamp)
    ladder(
        lambda a, b, v: gF.gaussian_nll_loss(a, b, v, full, reduction=reduction),
        lambda a, b, v: F.gaussian_nll_loss(a, b, v, full, reduction=reduction),
        x,
        y,
        var,
        check_gradients=False,
    )


def test_gaussian_nll_loss_errors():
    x = gu.tensor(normal((3, 4), 0))
    with pytest.raises(ValueError, match="negative entry"):
        gF.gaussian_nll_loss(x, x, -1.0)
    with pytest.raises(ValueError, match="negative entry"):
        gF.gaussian_nll_loss(x, x, gu.tensor(-np.ones((3, 4))))
    with pytest.raises(ValueError, match="incorrect size"):
        gF.gaussian_nll_loss(x, x, gu.tensor(np.ones((2, 4))))
    with pytest.raises(ValueError, match="not a valid reduction"):
        gF.gaussian_nll_loss(x, x, 1.0, reduction="foo")


# -------------------------------------------------------------------- margin losses
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("margin", [0.0, 0.5])
def test_margin_ranking_loss_matches_torch(reduction, margin):
    target = np.array([1.0, -1.0, 1.0, -1.0, 1.0])
    a, b = normal((5,), 20), normal((5,), 21)

    def fns(f):
        return lambda x, y, t: f(x, y, t, margin, reduction=reduction)

    ladder(
        fns(gF.margin_ranking_loss),
        fns(F.margin_ranking_loss),
        a,
        b,
        target,
        grad=[True, True, False],
    )
    b[0] = a[0] - margin  # exactly at the hinge: the gradient passes, as torch's clamp_min
    check_op(
        fns(gF.margin_ranking_loss),
        fns(F.margin_ranking_loss),
        a,
        b,
        target,
        grad=[True, True, False],
    )
    with pytest.raises(RuntimeError, match="same dimension"):
        gF.margin_ranking_loss(gu.tensor(a), gu.tensor(b), gu.tensor(target[None]))


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("margin", [1.0, 0.3])
def test_hinge_embedding_loss_matches_torch(reduction, margin):
    target = np.sign(normal((3, 4), 22))
    ladder(
        lambda x, t: gF.hinge_embedding_loss(x, t, margin, reduction=reduction),
        lambda x, t: F.hinge_embedding_loss(x, t, margin, reduction=reduction),
        np.abs(normal((3, 4), 23)),
        target,
        grad=[True, False],
    )


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("margin", [0.0, 0.2])
def test_cosine_embedding_loss_matches_torch(reduction, margin):
    target = np.array([1.0, -1.0, -1.0, 1.0])
    ladder(
        lambda a, b, t: gF.cosine_embedding_loss(a, b, t, margin, reduction=reduction),
        lambda a, b, t: F.cosine_embedding_loss(a, b, t, margin, reduction=reduction),
        normal((4, 3), 24),
        normal((4, 3), 25),
        target,
        grad=[True, True, False],
    )
    check_op(
        lambda a, b: gF.cosine_embedding_loss(a, b, gu.tensor(np.array(-1.0)), margin),
        lambda a, b: F.cosine_embedding_loss(a, b, torch.tensor(-1.0), margin),
        normal((3,), 26),
        normal((3,), 27),
    )


def test_cosine_embedding_loss_shape_errors():
    with pytest.raises(RuntimeError, match="1D target tensor expects 2D input tensors"):
        gF.cosine_embedding_loss(
            gu.tensor(normal((3,), 0)), gu.tensor(normal((3,), 0)), gu.tensor(np.ones(3))
        )
    with pytest.raises(RuntimeError, match="0D or 1D target tensor expected"):
        gF.cosine_embedding_loss(
            gu.tensor(normal((3, 2), 0)), gu.tensor(normal((3, 2), 0)), gu.tensor(np.ones((3, 2)))
        )


@pytest.mark.parametrize("p", [2.0, 1.0])
@pytest.mark.parametrize("swap", [False, True])
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_triplet_margin_loss_matches_torch(p, swap, reduction):
    def fns(f):
        return lambda a, b, c: f(a, b, c, 1.0, p, 1e-6, swap, reduction=reduction)

    ladder(
        fns(gF.triplet_margin_loss),
        fns(F.triplet_margin_loss),
        normal((4, 3), 28),
        normal((4, 3), 29),
        normal((4, 3), 30),
    )
    with pytest.raises(RuntimeError, match="same number of dimensions"):
        gF.triplet_margin_loss(
            gu.tensor(normal((4, 3), 0)), gu.tensor(normal((4, 3), 0)), gu.tensor(normal((3,), 0))
        )


# ------------------------------------------------------------------------- modules
MODULES = [
    ("SmoothL1Loss", dict(beta=0.5), 2),
    ("SmoothL1Loss", dict(reduction="sum"), 2),
    ("HuberLoss", dict(delta=0.7, reduction="none"), 2),
    ("KLDivLoss", dict(reduction="batchmean"), 2),
    ("KLDivLoss", dict(reduction="sum", log_target=True), 2),
    ("SoftMarginLoss", {}, 2),
    ("PoissonNLLLoss", dict(full=True), 2),
    ("PoissonNLLLoss", dict(log_input=False, eps=1e-3), 2),
    ("GaussianNLLLoss", dict(full=True), 3),
    ("MarginRankingLoss", dict(margin=0.2), 3),
    ("HingeEmbeddingLoss", dict(margin=0.5), 2),
    ("CosineEmbeddingLoss", dict(margin=0.1), 3),
    ("TripletMarginLoss", dict(margin=0.5, p=1.0, swap=True), 3),
]


def _module_inputs(name, dtype):
    x, y, z = normal((4, 3), 31), normal((4, 3), 32), normal((4, 3), 33)
    if name in ("SoftMarginLoss", "HingeEmbeddingLoss"):
        return [np.abs(x), np.sign(y)], [True, False]
    if name == "KLDivLoss":
        return [x, positive((4, 3), 34)], [True, True]
    if name == "PoissonNLLLoss":
        return [positive((4, 3), 35), np.round(positive((4, 3), 36) * 2)], [True, False]
    if name == "GaussianNLLLoss":
        return [x, y, positive((4, 3), 37)], [True, True, True]
    if name == "MarginRankingLoss":
        return [x[:, 0], y[:, 0], np.sign(z[:, 0])], [True, True, False]
    if name == "CosineEmbeddingLoss":
        return [x, y, np.sign(z[:, 0])], [True, True, False]
    return [x, y] + ([z] if name == "TripletMarginLoss" else []), [True] * (
        3 if name == "TripletMarginLoss" else 2
    )


@pytest.mark.parametrize("name, kwargs, _n", MODULES)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_loss_modules_match_torch(name, kwargs, _n, dtype):
    g, t = getattr(nn, name)(**kwargs), getattr(torch.nn, name)(**kwargs)
    assert repr(g) == repr(t)
    assert g.reduction == t.reduction
    arrays, grad = _module_inputs(name, dtype)
    check_op(g, t, *[a.astype(dtype) for a in arrays], grad=grad)

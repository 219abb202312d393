"""group_norm, instance_norm and batch_norm on empty batches against torch, with GroupNorm
and InstanceNorm1d/2d (same weights, state_dict keys, repr, training then evaluation)."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F

import groundup as gu
import groundup.nn.functional as gF
from groundup import nn
from tests.oracle import assert_close, check_op
from tests.strategies import ladder, normal


# ----------------------------------------------------------------- group_norm
@pytest.mark.parametrize(
    "shape, groups",
    [((2, 4, 3), 2), ((2, 6, 2), 3), ((3, 4, 2, 3), 4), ((2, 4, 5), 1), ((2, 4, 1), 4)],
)
@pytest.mark.parametrize("affine", [True, False])
def test_group_norm_matches_torch(shape, groups, affine):
    c = shape[1]
    arrays = (normal(shape, 12) * 2 + 1, normal((c,), 13), normal((c,), 14))
    if affine:
        ladder(
            lambda x, w, b: gF.group_norm(x, groups, w, b, 1e-3),
            lambda x, w, b: F.group_norm(x, groups, w, b, 1e-3),
            *arrays,
        )
        check_op(
            lambda x, w, b: gu.group_norm(x, groups, w, b),
            lambda x, w, b: torch.group_norm(x, groups, w, b),
            *arrays,
        )
    else:
        ladder(lambda x: gF.group_norm(x, groups), lambda x: F.group_norm(x, groups), arrays[0])


def test_group_norm_empty_and_non_contiguous_inputs():
    for shape in [(0, 4, 3), (2, 4, 0)]:
        x = gu.tensor(np.zeros(shape), requires_grad=True)
        w = gu.tensor(np.ones(4), requires_grad=True)
        out = gF.group_norm(x, 2, w)
        assert out.shape == tuple(F.group_norm(torch.zeros(shape), 2).shape)
        out.sum().backward()
        np.testing.assert_array_equal(w.grad.numpy(), 0)
    x = normal((3, 4, 2), 15)
    check_op(
        lambda t: gF.group_norm(t.transpose(0, 2), 1),
        lambda t: F.group_norm(t.transpose(0, 2), 1),
        x,
    )


@pytest.mark.parametrize(
    "shape, groups, weight, error, match",
    [
        ((4,), 2, None, RuntimeError, "at least 2 dimensions"),
        ((2, 4, 3), 3, None, RuntimeError, "divisible by num_groups"),
        ((2, 4, 3), 2, (3,), RuntimeError, r"weight of shape \[3\] and input of shape \[2, 4, 3\]"),
        ((1, 2), 2, None, ValueError, "more than 1 value per channel"),
        ((2, 4, 3), -2, None, RuntimeError, "greater than 0"),
        ((2, 4, 3), 0, None, ZeroDivisionError, ""),
    ],
)
def test_group_norm_errors_are_torchs(shape, groups, weight, error, match):
    w = None if weight is None else np.ones(weight)
    with pytest.raises(error, match=match or None):
        gF.group_norm(gu.tensor(np.zeros(shape)), groups, None if w is None else gu.tensor(w))
    with pytest.raises(error):
        F.group_norm(
            torch.zeros(shape, dtype=torch.float64), groups, None if w is None else torch.tensor(w)
        )


def test_group_norm_dtype_errors():
    with pytest.raises(RuntimeError, match="mixed dtype"):
        gF.group_norm(gu.tensor(np.zeros((2, 4, 3))), 2, gu.tensor(np.ones(4, np.float32)))
    with pytest.raises(NotImplementedError):
        gF.group_norm(gu.tensor([[1, 2], [3, 4]]), 1)


# -------------------------------------------------------------- instance_norm
@pytest.mark.parametrize("shape", [(2, 3, 4), (2, 3, 4, 5)])
@pytest.mark.parametrize("use_input_stats", [True, False])
@pytest.mark.parametrize("affine", [True, False])
def test_instance_norm_matches_torch(shape, use_input_stats, affine):
    c = shape[1]
    rm, rv = normal((c,), 16), normal((c,), 17) ** 2 + 0.5
    g_rm, g_rv, t_rm, t_rv = gu.tensor(rm), gu.tensor(rv), torch.tensor(rm), torch.tensor(rv)

    def call(f, m, v):
        def run(x, *wb):
            return f(x, m, v, *wb, use_input_stats=use_input_stats, momentum=0.3, eps=1e-3)

        return run

    arrays = (normal(shape, 18) * 2, normal((c,), 19), normal((c,), 20))
    check_op(
        call(gF.instance_norm, g_rm, g_rv),
        call(F.instance_norm, t_rm, t_rv),
        *arrays[: 3 if affine else 1],
    )
    assert_close(g_rm, t_rm, what="running_mean")
    assert_close(g_rv, t_rv, what="running_var")


def test_instance_norm_errors_are_torchs():
    with pytest.raises(ValueError, match="more than 1 spatial element"):
        gF.instance_norm(gu.tensor(np.zeros((2, 3, 1))))
    with pytest.raises(RuntimeError, match="running_mean and running_var to be defined"):
        gF.instance_norm(gu.tensor(np.zeros((2, 3, 4))), use_input_stats=False)


# ----------------------------------------------------- batch_norm, empty batches
@pytest.mark.parametrize("shape", [(0, 3), (0, 3, 4), (2, 3, 0), (0, 3, 2, 2)])
@pytest.mark.parametrize("training", [True, False])
def test_batch_norm_of_an_empty_batch_is_empty_and_leaves_the_buffers(shape, training):
    rm, rv = normal((3,), 21), normal((3,), 22) ** 2 + 0.5
    g_rm, g_rv = gu.tensor(rm.copy()), gu.tensor(rv.copy())
    x = gu.tensor(np.zeros(shape), requires_grad=True)
    w, b = gu.tensor(np.ones(3), requires_grad=True), gu.tensor(np.zeros(3), requires_grad=True)
    out = gF.batch_norm(x, g_rm, g_rv, w, b, training=training)
    expected = F.batch_norm(
        torch.zeros(shape, dtype=torch.float64),
        torch.tensor(rm),
        torch.tensor(rv),
        training=training,
    )
    assert out.shape == tuple(expected.shape)
    out.sum().backward()
    assert x.grad.shape == shape
    np.testing.assert_array_equal(w.grad.numpy(), 0)
    np.testing.assert_array_equal(b.grad.numpy(), 0)
    np.testing.assert_array_equal(g_rm.numpy(), rm)
    np.testing.assert_array_equal(g_rv.numpy(), rv)
    assert gF.batch_norm(gu.tensor(np.zeros(shape)), None, None, training=True).shape == shape


def test_batchnorm_module_on_an_empty_batch_counts_it_as_torch():
    g, t = nn.BatchNorm1d(3), torch.nn.BatchNorm1d(3)
    assert g(gu.tensor(np.zeros((0, 3), np.float32))).shape == (0, 3)
    t(torch.zeros(0, 3))
    for key, value in t.state_dict().items():
        np.testing.assert_array_equal(g.state_dict()[key], value.numpy())


# -------------------------------------------------------------------- modules
def copy_weights(g, t):
    g.load_state_dict({k: v.numpy() for k, v in t.state_dict().items()})


def run_both(g, t, x, dtype):
    gx, tx = gu.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    out_g, out_t = g(gx), t(tx)
    assert out_g.dtype == dtype
    assert_close(out_g, out_t, dtype, "output")
    up = normal(out_g.shape, 23).astype(dtype)
    out_g.backward(up)
    out_t.backward(torch.tensor(up))
    assert_close(gx.grad, tx.grad, dtype, "input grad")
    params = dict(t.named_parameters())
    for name, p in g.named_parameters():
        assert p.grad.dtype == dtype
        assert_close(p.grad, params[name].grad, dtype, f"grad of {name}")


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("options", [{}, {"affine": False}, {"bias": False, "eps": 1e-3}])
def test_groupnorm_module_matches_torch(dtype, options):
    tdtype = getattr(torch, np.dtype(dtype).name)
    g, t = (
        nn.GroupNorm(2, 4, dtype=dtype, **options),
        torch.nn.GroupNorm(2, 4, dtype=tdtype, **options),
    )
    assert repr(g) == repr(t)
    assert list(g.state_dict()) == list(t.state_dict())
    for p in t.parameters():
        p.data.uniform_(-1, 1)
    copy_weights(g, t)
    run_both(g, t, normal((3, 4, 5), 24).astype(dtype), dtype)
    with pytest.raises(ValueError, match="divisible by num_groups"):
        nn.GroupNorm(3, 4)


@pytest.mark.parametrize(
    "name, shape",
    [
        ("InstanceNorm1d", (2, 3, 5)),
        ("InstanceNorm1d", (3, 5)),
        ("InstanceNorm2d", (2, 3, 4, 5)),
        ("InstanceNorm2d", (3, 4, 5)),
    ],
)
@pytest.mark.parametrize(
    "options",
    [
        {},
        {"affine": True},
        {"track_running_stats": True},
        {"affine": True, "track_running_stats": True, "momentum": None},
    ],
)
def test_instancenorm_modules_train_then_eval_match_torch(name, shape, options):
    g, t = (
        getattr(nn, name)(3, dtype=np.float64, **options),
        getattr(torch.nn, name)(3, dtype=torch.float64, **options),
    )
    assert repr(g) == repr(t)
    assert list(g.state_dict()) == list(t.state_dict())
    for p in t.parameters():
        p.data.uniform_(-1, 1)
    copy_weights(g, t)
    for seed in (25, 26):
        run_both(g, t, normal(shape, seed) * 2 + 1, np.float64)
    g.eval()
    t.eval()
    run_both(g, t, normal(shape, 27), np.float64)
    for key, value in t.state_dict().items():
        assert_close(g.state_dict()[key], value.numpy(), what=key)


def test_instancenorm_checks_its_input():
    with pytest.raises(ValueError, match=r"expected 2D or 3D input \(got 4D input\)"):
        nn.InstanceNorm1d(3)(gu.tensor(np.zeros((1, 3, 2, 2))))
    with pytest.raises(ValueError, match="to match num_features"):
        nn.InstanceNorm1d(3, affine=True)(gu.tensor(np.zeros((2, 4, 5), np.float32)))
    with pytest.warns(UserWarning, match="does not match num_features"):
        nn.InstanceNorm1d(3)(gu.tensor(np.zeros((2, 4, 5), np.float32)))

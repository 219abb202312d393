"""The inplace= forms and in-place twins of the activations (F.relu(x, inplace=True),
F.elu_, torch.selu_, x.relu_(), F.dropout(..., inplace=True)) against torch: values, version
bump, gradient through a non-leaf; and the activation modules (repr, state_dict, inplace)."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F

import groundup as gu
import groundup.nn.functional as gF
from groundup import nn
from tests.oracle import assert_close, check_op
from tests.strategies import normal

# -------------------------------------------------------- inplace= and in-place twins
INPLACE = {
    "relu": (lambda t: gF.relu(t, inplace=True), lambda t: F.relu(t, inplace=True)),
    "relu_": (gF.relu_, F.relu_),
    "torch.relu_": (gu.relu_, torch.relu_),
    "x.relu_()": (lambda t: t.relu_(), lambda t: t.relu_()),
    "leaky_relu": (lambda t: gF.leaky_relu(t, 0.2, True), lambda t: F.leaky_relu(t, 0.2, True)),
    "leaky_relu_": (lambda t: gF.leaky_relu_(t, 0.2), lambda t: F.leaky_relu_(t, 0.2)),
    "elu": (lambda t: gF.elu(t, 0.5, inplace=True), lambda t: F.elu(t, 0.5, inplace=True)),
    "elu_": (lambda t: gF.elu_(t, 0.5), lambda t: F.elu_(t, 0.5)),
    "selu": (lambda t: gF.selu(t, True), lambda t: F.selu(t, True)),
    "selu_": (gF.selu_, F.selu_),
    "torch.selu_": (gu.selu_, torch.selu_),
    "celu": (lambda t: gF.celu(t, 2.0, True), lambda t: F.celu(t, 2.0, True)),
    "torch.celu_": (lambda t: gu.celu_(t, 2.0), lambda t: torch.celu_(t, 2.0)),
    "hardtanh": (
        lambda t: gF.hardtanh(t, -0.5, 0.5, True),
        lambda t: F.hardtanh(t, -0.5, 0.5, True),
    ),
    "hardtanh_": (lambda t: gF.hardtanh_(t, -0.5, 0.5), lambda t: F.hardtanh_(t, -0.5, 0.5)),
    "relu6": (lambda t: gF.relu6(t, inplace=True), lambda t: F.relu6(t, inplace=True)),
    "silu": (lambda t: gF.silu(t, inplace=True), lambda t: F.silu(t, inplace=True)),
    "mish": (lambda t: gF.mish(t, inplace=True), lambda t: F.mish(t, inplace=True)),
    "hardswish": (lambda t: gF.hardswish(t, True), lambda t: F.hardswish(t, True)),
    "hardsigmoid": (lambda t: gF.hardsigmoid(t, True), lambda t: F.hardsigmoid(t, True)),
    "threshold": (
        lambda t: gF.threshold(t, 0.1, 2.0, True),
        lambda t: F.threshold(t, 0.1, 2.0, True),
    ),
    "threshold_": (lambda t: gF.threshold_(t, 0.1, 2.0), lambda t: F.threshold_(t, 0.1, 2.0)),
    "torch.threshold_": (
        lambda t: gu.threshold_(t, 0.1, 2.0),
        lambda t: torch.threshold_(t, 0.1, 2.0),
    ),
    "rrelu(eval)": (lambda t: gF.rrelu(t, inplace=True), lambda t: F.rrelu(t, inplace=True)),
    "rrelu_(eval)": (gF.rrelu_, F.rrelu_),
}


@pytest.mark.parametrize("name", list(INPLACE))
def test_inplace_forms_change_the_input_and_backprop_like_torch(name):
    gu_fn, torch_fn = INPLACE[name]
    x = normal((3, 4), 11) * 2
    upstream = normal((3, 4), 12)
    g, t = gu.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    g_mid, t_mid = g * 1.5, t * 1.5  # a non-leaf, changed in place
    version = g_mid._version
    g_out, t_out = gu_fn(g_mid), torch_fn(t_mid)
    assert g_out is g_mid and t_out is t_mid
    assert g_mid._version == version + 1
    assert_close(g_mid, t_mid, what="value written in place")
    g_mid.backward(upstream)
    t_mid.backward(torch.tensor(upstream))
    assert_close(g.grad, t.grad, what="gradient through the in-place op")


@pytest.mark.parametrize("name", ["relu", "elu", "hardtanh", "silu"])
def test_inplace_on_a_leaf_that_requires_grad_is_an_error_and_fine_under_no_grad(name):
    gu_fn, torch_fn = INPLACE[name]
    x = gu.tensor(normal((3,), 0), requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
        gu_fn(x)
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
        torch_fn(torch.tensor(x.detach().numpy(), requires_grad=True))
    with gu.no_grad():
        gu_fn(x)
    assert x._version == 1


def test_inplace_through_a_view_updates_the_base():
    base = gu.tensor(normal((2, 3), 13), requires_grad=True)
    tbase = torch.tensor(base.detach().numpy(), requires_grad=True)
    g, t = base * 1.0, tbase * 1.0
    gF.elu(g[0], inplace=True)
    F.elu(t[0], inplace=True)
    assert_close(g, t)
    g.sum().backward()
    t.sum().backward()
    assert_close(base.grad, tbase.grad)


def test_a_saved_input_changed_in_place_is_detected():
    x = gu.tensor(normal((3,), 14), requires_grad=True)
    y = x * 1.0
    z = gF.silu(y)  # saves y for its backward
    gF.relu(y, inplace=True)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        z.sum().backward()


def test_dropout_inplace_zeroes_the_input_itself():
    gu.manual_seed(0)
    x = gu.tensor(np.ones((20, 20)))
    out = gF.dropout(x, 0.5, True, inplace=True)
    assert out is x and x._version == 1
    assert set(np.unique(x.numpy())) == {0.0, 2.0}
    y = gu.tensor(np.ones(4))
    assert gF.dropout(y, 0.5, training=False, inplace=True) is y and y._version == 0
    maps = gu.tensor(np.ones((4, 8, 3, 3)))
    assert gF.dropout2d(maps, 0.5, inplace=True) is maps and maps._version == 1
    per_map = maps.numpy().reshape(32, 9)
    assert set(np.unique(per_map)) == {0.0, 2.0} and np.all(per_map.min(1) == per_map.max(1))


# ------------------------------------------------------------------------- modules
MODULES = [
    ("ELU", (0.5,)),
    ("SELU", ()),
    ("CELU", (2.0,)),
    ("Softplus", (2.0, 1.0)),
    ("Hardtanh", (-0.5, 2.0)),
    ("ReLU6", ()),
    ("SiLU", ()),
    ("Mish", ()),
    ("Hardswish", ()),
    ("Hardsigmoid", ()),
    ("LogSigmoid", ()),
    ("Softsign", ()),
    ("Tanhshrink", ()),
    ("Softshrink", (0.3,)),
    ("Hardshrink", (0.3,)),
    ("Threshold", (0.1, -1.0)),
    ("GLU", (1,)),
    ("Softmin", (1,)),
    ("Softmax2d", ()),
    ("LeakyReLU", (0.2,)),
    ("ReLU", ()),
]


@pytest.mark.parametrize("name, args", MODULES)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_modules_match_torch(name, args, dtype):
    g, t = getattr(nn, name)(*args), getattr(torch.nn, name)(*args)
    assert repr(g) == repr(t)
    check_op(g, t, (normal((2, 4, 3), 15) * 3).astype(dtype))


@pytest.mark.parametrize(
    "name, args",
    [
        (n, a)
        for n, a in MODULES
        if n
        not in (
            "Softplus",
            "GLU",
            "Softmin",
            "Softmax2d",
            "LogSigmoid",
            "Softsign",
            "Tanhshrink",
            "Softshrink",
            "Hardshrink",
        )
    ],
)
def test_modules_inplace_match_torch(name, args):
    g, t = getattr(nn, name)(*args, inplace=True), getattr(torch.nn, name)(*args, inplace=True)
    assert repr(g) == repr(t)
    x = normal((3, 4), 16) * 3
    gx, tx = gu.tensor(x), torch.tensor(x)
    assert g(gx) is gx and t(tx) is tx
    assert_close(gx, tx)


def test_prelu_module_parameter_state_dict_and_gradients():
    for args in [(), (3,), (3, 0.1)]:
        g, t = nn.PReLU(*args), torch.nn.PReLU(*args)
        assert repr(g) == repr(t)
        assert list(g.state_dict()) == list(t.state_dict()) == ["weight"]
        np.testing.assert_array_equal(g.weight.detach().numpy(), t.weight.detach().numpy())
        assert g.weight.dtype == np.float32
    g, t = nn.PReLU(3, dtype=np.float64), torch.nn.PReLU(3, dtype=torch.float64)
    t.weight.data.uniform_(-1, 1)
    g.load_state_dict({k: v.numpy() for k, v in t.state_dict().items()})
    x = normal((2, 3, 4), 17)
    gx, tx = gu.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    up = normal((2, 3, 4), 18)
    g(gx).backward(up)
    t(tx).backward(torch.tensor(up))
    assert_close(gx.grad, tx.grad)
    assert_close(g.weight.grad, t.weight.grad)
    assert list(g.parameters())[0] is g.weight


def test_module_argument_checks():
    with pytest.raises(AssertionError):
        nn.Hardtanh(1.0, -1.0)
    with pytest.warns(FutureWarning, match="min_value"):
        m = nn.Hardtanh(min_value=-3.0)
    assert repr(m) == "Hardtanh(min_val=-3.0, max_val=1.0)"
    with pytest.raises(ValueError, match="expected input to be 3D or 4D, got 2D"):
        nn.Softmax2d()(gu.tensor(normal((2, 3), 0)))


def test_module_softmax_warning_points_at_the_caller():
    with pytest.warns(UserWarning, match="implicit dimension") as record:
        nn.Softmin()(gu.tensor(normal((2, 3), 0)))
    assert record[0].filename == __file__


# ------------------------------------------------- what each Function says it saves
SAVES_CASES = {
    "elu": gF.elu,
    "celu": lambda t: gF.celu(t, 2.0),
    "softplus": gF.softplus,
    "hardtanh": gF.hardtanh,
    "silu": gF.silu,
    "mish": gF.mish,
    "hardswish": gF.hardswish,
    "hardsigmoid": gF.hardsigmoid,
    "logsigmoid": gF.logsigmoid,
    "softshrink": gF.softshrink,
    "threshold": lambda t: gF.threshold(t, 0.1, 2.0),
    "rrelu": lambda t: gF.rrelu(t, training=True),
    "glu": gF.glu,
    "prelu": lambda t: gF.prelu(t, gu.tensor(np.array([0.1, 0.2, 0.3, 0.4]), requires_grad=True)),
    "pad reflect": lambda t: gF.pad(t, (1, 2), "reflect"),
    "pad constant": lambda t: gF.pad(t, (1, -1, 2, 0), value=3.0),
    "interpolate": lambda t: gF.interpolate(t[None], scale_factor=1.5, mode="linear"),
    "normalize": gF.normalize,
    "cosine_similarity": lambda t: gF.cosine_similarity(t, t * 0.7 + 0.1),
    "pairwise_distance": lambda t: gF.pairwise_distance(t, t * 0.5),
    "pdist": gF.pdist,
    "group_norm": lambda t: gF.group_norm(t, 2, gu.tensor(np.ones(4), requires_grad=True)),
    "smooth_l1_loss": lambda t: gF.smooth_l1_loss(t, t * 0.3, reduction="none"),
    "kl_div": lambda t: gF.kl_div(t, t.exp(), reduction="none"),
    "soft_margin_loss": lambda t: gF.soft_margin_loss(t, gu.tensor(np.ones((3, 4)))),
}


@pytest.mark.parametrize("name", list(SAVES_CASES))
def test_saves_declarations_are_honest(name):
    """Change the input in place after the op: either backward refuses (the op said it
    reads the input) or the gradient is unchanged (it truly does not)."""
    fn = SAVES_CASES[name]
    x = normal((3, 4), 40)
    upstream = None
    grads = []
    for change in (False, True):
        gu.manual_seed(0)
        leaf = gu.tensor(x, requires_grad=True)
        mid = leaf * 1.0
        out = fn(mid)
        if upstream is None:
            upstream = normal(out.shape, 41)
        if change:
            with gu.no_grad():
                mid.mul_(3.0)
            try:
                out.backward(upstream)
            except RuntimeError as e:
                assert "modified by an inplace operation" in str(e)
                return
        else:
            out.backward(upstream)
        grads.append(leaf.grad.numpy().copy())
    np.testing.assert_array_equal(grads[0], grads[1])

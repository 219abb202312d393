"""ParameterList, ParameterDict, Unflatten, Buffer, the Module methods (get_parameter & co.,
to/cpu/half, forward pre-hooks, full backward hooks) and the nn.init additions, against
torch."""

from __future__ import annotations

import warnings
from collections import OrderedDict

import numpy as np
import pytest
import torch
import torch.nn as tnn

import groundup as gu
import groundup.nn as gnn
from groundup.nn import init
from tests.oracle import assert_close


def _repr(text: str) -> str:
    """torch's ParameterList/Dict repr with groundup's dtype spellings."""
    return (
        text.replace("torch.float32", "float32")
        .replace("torch.float64", "float64")
        .replace("torch.FloatTensor", "FloatTensor")
    )


# ------------------------------------------------------------- ParameterList
def test_parameter_list_registers_like_torch():
    t = tnn.ParameterList([torch.ones(2, 3), tnn.Parameter(torch.zeros(2, dtype=torch.float64))])
    g = gnn.ParameterList([gu.ones(2, 3), gnn.Parameter(gu.zeros(2, dtype=gu.float64))])
    t.append(None)
    g.append(None)
    t.extend([5])
    g += [5]
    assert list(g.state_dict()) == list(t.state_dict()) == ["0", "1"]
    assert len(g) == len(t) == 4
    assert isinstance(g[0], gnn.Parameter) and g[0].requires_grad
    assert g[-1] == 5 and g[2] is None
    assert repr(g) == _repr(repr(t))
    assert repr(g[0:1]) == _repr(repr(t[0:1]))
    assert [type(p).__name__ for p in g.parameters()] == ["Parameter", "Parameter"]
    g[0] = gu.zeros(4)
    assert g[0].shape == (4,) and isinstance(g[0], gnn.Parameter)
    assert "0" not in dir(g) and "append" in dir(g)


def test_parameter_list_errors():
    g = gnn.ParameterList([gu.ones(1)])
    with pytest.raises(IndexError, match="index 3 is out of range"):
        g[3]
    with pytest.raises(TypeError):
        g["a"]
    with pytest.raises(RuntimeError, match="ParameterList should not be called"):
        g()
    with pytest.raises(TypeError, match="iterable, but got Tensor"):
        g.extend(gu.ones(2))
    assert repr(gnn.ParameterList()) == repr(tnn.ParameterList()) == "ParameterList()"


def test_parameter_list_trains():
    g = gnn.ParameterList([gu.ones(3), gu.ones(3)])
    (g[0] * g[1] * 2).sum().backward()
    assert_close(g[0].grad, np.full(3, 2.0), np.float32)


# ------------------------------------------------------------- ParameterDict
def test_parameter_dict_like_torch():
    t = tnn.ParameterDict({"b": torch.ones(2), "a": tnn.Parameter(torch.zeros(3))})
    g = gnn.ParameterDict({"b": gu.ones(2), "a": gnn.Parameter(gu.zeros(3))})
    assert list(g.keys()) == list(t.keys()) == ["a", "b"]  # a plain dict: sorted
    assert list(g.state_dict()) == list(t.state_dict())
    assert repr(g) == _repr(repr(t))
    ordered = OrderedDict([("z", gu.ones(1)), ("y", gu.ones(1))])
    g.update(ordered)
    t.update(OrderedDict([("z", torch.ones(1)), ("y", torch.ones(1))]))
    g.update([("x", 3)])
    t.update([("x", 3)])
    assert list(g) == list(t) == ["a", "b", "z", "y", "x"]
    assert list(g.state_dict()) == list(t.state_dict())
    assert g["x"] == 3 and "x" in g and "w" not in g and len(g) == 5
    assert g.pop("z").shape == (1,) and "z" not in g and "z" not in g.state_dict()
    assert g.popitem()[0] == t.popitem()[0] == "x"
    assert g.get("nope", 7) == 7 and g.setdefault("n") is None
    merged = g | gnn.ParameterDict({"q": gu.ones(1)})
    assert list(merged) == [*g, "q"] and list(reversed(g))[0] == "n"
    copy = g.copy()
    assert copy["a"] is g["a"]
    g.clear()
    assert len(g) == 0 and list(g.parameters()) == []
    assert list(gnn.ParameterDict().fromkeys(["u", "v"])) == ["u", "v"]


def test_parameter_dict_errors():
    g = gnn.ParameterDict()
    with pytest.raises(TypeError, match="not a string"):
        g[1] = gu.ones(1)
    assert len(g) == 0
    with pytest.raises(TypeError, match="iterable of key/value pairs"):
        g.update(5)
    with pytest.raises(ValueError, match="has length 1; 2 is required"):
        g.update([(1,)])
    with pytest.raises(TypeError, match="should be Iterable"):
        g.update([5])
    with pytest.raises(AttributeError):
        g["zz"]
    with pytest.raises(RuntimeError, match="ParameterDict should not be called"):
        g(1)


# ----------------------------------------------------------------- Unflatten
def test_unflatten():
    t, g = tnn.Unflatten(-1, [2, -1]), gnn.Unflatten(-1, [2, -1])
    x = np.arange(12.0).reshape(2, 6)
    assert_close(g(gu.tensor(x)), t(torch.tensor(x)))
    assert repr(g) == repr(t) and repr(gnn.Unflatten(1, (2, 3))) == repr(tnn.Unflatten(1, (2, 3)))
    with pytest.raises(TypeError, match="must be a tuple of ints"):
        gnn.Unflatten(1, 5)
    with pytest.raises(TypeError, match="found element of type str at pos 1"):
        gnn.Unflatten(1, (2, "a"))
    with pytest.raises(RuntimeError):
        gnn.Unflatten(1, (2, 4))(gu.ones(2, 6))


# -------------------------------------------------------------------- Buffer
def test_buffer_assignment_registers_a_buffer():
    tm, gm = tnn.Module(), gnn.Module()
    tm.steps = tnn.Buffer(torch.zeros(2))
    gm.steps = gnn.Buffer(gu.zeros(2))
    tm.tmp = tnn.Buffer(torch.ones(1), persistent=False)
    gm.tmp = gnn.Buffer(gu.ones(1), persistent=False)
    assert list(gm.state_dict()) == list(tm.state_dict()) == ["steps"]
    assert [n for n, _ in gm.named_buffers()] == [n for n, _ in tm.named_buffers()]
    source = gu.ones(3)
    assert np.shares_memory(gnn.Buffer(source)._data, source._data)  # torch's detach alias
    assert gnn.Buffer().shape == (0,)


# ----------------------------------------------------------- Module methods
def _nested(lib):
    nn = tnn if lib is torch else gnn
    return nn.Sequential(nn.Linear(2, 3), nn.BatchNorm1d(3))


@pytest.mark.parametrize(
    "call",
    [
        lambda m: m.get_parameter("0.weight").shape,
        lambda m: m.get_buffer("1.running_mean").shape,
        lambda m: type(m.get_submodule("1")).__name__,
        lambda m: m.get_parameter("0.foo"),
        lambda m: m.get_parameter("0"),
        lambda m: m.get_parameter("1.running_mean"),
        lambda m: m.get_buffer("1.weight"),
        lambda m: m.get_buffer("2.x"),
        lambda m: m.get_submodule("0.weight"),
        lambda m: type(m.get_submodule("")).__name__,
    ],
)
def test_get_parameter_buffer_submodule(call):
    results = []
    for lib in (torch, gu):
        try:
            out = call(_nested(lib))
            results.append(tuple(out) if isinstance(out, torch.Size) else out)
        except AttributeError as e:
            results.append(("AttributeError", str(e)))
    assert results[0] == results[1]


def test_to_cpu_half_and_devices():
    m = gnn.Linear(2, 2)
    assert m.cpu() is m and m.to("cpu") is m and m.to(device="cpu") is m
    assert m.half().weight.dtype == np.float16
    assert m.to("cpu", gu.float64).weight.dtype == np.float64
    assert m.to(gu.ones(1, dtype=gu.float32)).bias.dtype == np.float32
    assert m.to(dtype=gu.float64).weight.dtype == np.float64
    with pytest.raises(RuntimeError) as module_error:
        m.to("cuda")
    with pytest.raises(RuntimeError) as tensor_error:
        gu.ones(1).to("cuda")
    assert str(module_error.value) == str(tensor_error.value)
    with pytest.raises(RuntimeError):
        m.to("cuda:0", gu.float32)
    with pytest.raises(RuntimeError):
        m.cuda()
    with pytest.raises(TypeError, match="only floating-point"):
        m.to(gu.int64)


def test_requires_grad_and_zero_grad():
    m = gnn.Linear(2, 2)
    assert m.requires_grad_(False) is m and not m.weight.requires_grad
    m.requires_grad_()
    m(gu.ones(1, 2)).sum().backward()
    m.zero_grad(set_to_none=False)
    assert np.all(m.weight.grad._data == 0)
    m.zero_grad()
    assert m.weight.grad is None


# ------------------------------------------------------------------- hooks
def test_forward_pre_hook_replaces_args_like_torch():
    outs = []
    for nn, lib in ((tnn, torch), (gnn, gu)):
        m = nn.Identity()
        calls = []
        m.register_forward_pre_hook(lambda mod, args: calls.append("second"))  # noqa: B023 - called in this iteration
        handle = m.register_forward_pre_hook(lambda mod, args: args[0] * 2, prepend=True)
        m.register_forward_pre_hook(
            lambda mod, args, kwargs: ((args[0] + 1,), kwargs), with_kwargs=True
        )
        outs.append((m(lib.ones(2)).tolist(), calls))
        handle.remove()
        outs.append((m(lib.ones(2)).tolist(), calls))
    assert outs[0] == outs[2] and outs[1] == outs[3]
    m = gnn.Identity()
    m.register_forward_pre_hook(lambda mod, args, kwargs: 5, with_kwargs=True)
    with pytest.raises(RuntimeError, match="forward pre-hook must return None or a tuple"):
        m(gu.ones(1))


class _TwoInputs:
    """forward(a, b, k) -> (linear(a) * b.sum(), a * 2): one output unused by the loss."""

    @staticmethod
    def build(nn):
        class M(nn.Module):
            def __init__(self):
                super().__init__()
                self.lin = nn.Linear(3, 2)

            def forward(self, a, b, k):
                return self.lin(a) * b.sum() * k, a * 2

        return M()


def _hook_log(lib, nn, replace):
    m = _TwoInputs.build(nn)
    w = np.arange(6.0).reshape(2, 3) / 5
    if lib is torch:
        m.double().lin.load_state_dict(
            {"weight": torch.tensor(w), "bias": torch.tensor([0.5, -1.0])}
        )
    else:
        m.double().lin.load_state_dict({"weight": w, "bias": np.array([0.5, -1.0])})
    log = []

    def arrays(gs):
        return [
            None if g is None else np.asarray(g.detach() if lib is torch else g._data) for g in gs
        ]

    def hook(mod, grad_input, grad_output):
        log.append((arrays(grad_input), arrays(grad_output)))
        if replace:
            return (grad_input[0] * 10, None, None)
        return None

    def pre(mod, grad_output):
        log.append(("pre", arrays(grad_output)))

    m.register_full_backward_hook(hook)
    m.register_full_backward_pre_hook(pre)
    a = lib.tensor(np.ones((1, 3)), requires_grad=True)
    b = lib.tensor(np.full(2, 2.0), requires_grad=True)
    y, _ = m(a, b, 3)
    y.sum().backward()
    log.append(arrays([a.grad, b.grad]))
    return log


@pytest.mark.parametrize("replace", [False, True])
def test_full_backward_hook_matches_torch(replace):
    t_log, g_log = _hook_log(torch, tnn, replace), _hook_log(gu, gnn, replace)
    assert len(t_log) == len(g_log) == 3

    def same(x, y):
        if isinstance(x, str) or x is None:
            assert x == y
        elif isinstance(x, (list, tuple)):
            assert len(x) == len(y)
            for u, v in zip(x, y, strict=True):
                same(u, v)
        else:
            np.testing.assert_allclose(y, x, rtol=1e-12)

    same(t_log, g_log)


def test_full_backward_hook_unused_input_and_no_grad_inputs():
    for nn, lib in ((tnn, torch), (gnn, gu)):

        class M(nn.Module):
            def forward(self, a, b):
                return a * 2

        seen = []
        m = M()
        m.register_full_backward_hook(lambda mod, gi, go: seen.append([g is None for g in gi]))  # noqa: B023
        a, b = lib.ones(2, requires_grad=True), lib.ones(2, requires_grad=True)
        m(a, b).sum().backward()
        assert seen == [[False, False]]  # the unused input gets zeros, as in torch
        assert np.all((b.grad.numpy() if lib is torch else b.grad._data) == 0)
        seen.clear()
        x = lib.ones(2)
        w = lib.ones(2, requires_grad=True)

        class Scale(nn.Module):
            def forward(self, x):
                return x * w  # noqa: B023

        s = Scale()
        s.register_full_backward_hook(lambda mod, gi, go: seen.append(gi))  # noqa: B023
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            s(x).sum().backward()
        assert seen == [(None,)] and any("no inputs require" in str(c.message) for c in caught)


def test_full_backward_hook_bad_return_and_removal():
    m = gnn.Linear(2, 2)
    handle = m.register_full_backward_hook(lambda mod, gi, go: (gi[0], gi[0]))
    with pytest.raises(RuntimeError, match="invalid number of grad_input, got 2, but expected 1"):
        m(gu.ones(1, 2, requires_grad=True)).sum().backward()
    handle.remove()
    x = gu.ones(1, 2, requires_grad=True)
    y = m(x)
    assert y.grad_fn is not None and "Unpack" not in repr(y.grad_fn)


# --------------------------------------------------------------------- init
INITS = [
    ("uniform_", (), {}),
    ("normal_", (), {}),
    ("constant_", (0.5,), {}),
    ("ones_", (), {}),
    ("zeros_", (), {}),
    ("eye_", (), {}),
    ("xavier_uniform_", (), {}),
    ("xavier_normal_", (), {}),
    ("kaiming_uniform_", (), {}),
    ("kaiming_normal_", (), {}),
    ("trunc_normal_", (), {}),
    ("orthogonal_", (), {}),
    ("sparse_", (0.5,), {}),
]


@pytest.mark.parametrize(("name", "args", "kwargs"), INITS)
def test_every_init_is_in_place_under_no_grad_and_bumps_the_version(name, args, kwargs):
    w = gnn.Parameter(gu.zeros(4, 3))
    before = w._version
    with gu.no_grad():
        out = getattr(init, name)(w, *args, **kwargs)
    assert out is w and w._version > before and w.requires_grad and w.is_leaf
    tw = tnn.Parameter(torch.zeros(4, 3))
    tbefore = tw._version
    getattr(tnn.init, name)(tw, *args, **kwargs)
    assert (w._version > before) == (tw._version > tbefore)
    (w * 2).sum().backward()  # still a leaf that trains
    assert w.grad is not None


@pytest.mark.parametrize("shape", [(3, 5), (5, 3), (4, 2, 3)])
def test_eye_and_orthogonal(shape):
    if len(shape) == 2:
        e = gu.empty(*shape)
        assert_close(init.eye_(e), tnn.init.eye_(torch.empty(*shape)), np.float32)
    w = gu.empty(*shape, dtype=gu.float64)
    init.orthogonal_(w, gain=2.0)
    flat = w._data.reshape(shape[0], -1)
    small = min(flat.shape)
    gram = flat @ flat.T if flat.shape[0] == small else flat.T @ flat
    np.testing.assert_allclose(gram, 4 * np.eye(small), atol=1e-12)  # gain^2 I


def test_orthogonal_is_uniformly_distributed_like_torch():
    # the sign fix makes Q Haar-distributed: E[Q_00] = 0 and E[Q_00^2] = 1/n
    gu.manual_seed(0)
    vals = np.array(
        [init.orthogonal_(gu.empty(4, 4, dtype=gu.float64))._data[0, 0] for _ in range(2000)]
    )
    assert abs(vals.mean()) < 0.03 and abs((vals**2).mean() - 0.25) < 0.02
    assert init.orthogonal_(gu.empty(0, 3)).shape == (0, 3)


@pytest.mark.parametrize("groups", [1, 2])
@pytest.mark.parametrize("shape", [(4, 2, 3), (4, 3, 3, 3), (2, 4, 1, 3, 3)])
def test_dirac_equals_torch(shape, groups):
    assert_close(
        init.dirac_(gu.empty(*shape), groups),
        tnn.init.dirac_(torch.empty(*shape), groups),
        np.float32,
    )


def test_trunc_normal_statistics():
    gu.manual_seed(1)
    w = init.trunc_normal_(gu.empty(20000, dtype=gu.float64), mean=1.0, std=2.0, a=0.0, b=3.0)
    t = tnn.init.trunc_normal_(
        torch.empty(20000, dtype=torch.float64), mean=1.0, std=2.0, a=0.0, b=3.0
    )
    assert w._data.min() >= 0 and w._data.max() <= 3
    assert abs(w._data.mean() - t.mean().item()) < 0.05
    assert abs(w._data.std() - t.std().item()) < 0.05
    with pytest.warns(UserWarning, match="mean is more than 2 std"):
        init.trunc_normal_(gu.empty(3), mean=10.0)


def test_sparse_zeros_per_column():
    w = init.sparse_(gu.empty(10, 4, dtype=gu.float64), 0.25, std=0.5)
    assert list((w._data == 0).sum(axis=0)) == [3, 3, 3, 3]  # ceil(0.25 * 10)
    assert 0.2 < w._data[w._data != 0].std() < 1.0


@pytest.mark.parametrize(
    ("name", "shape", "args"),
    [
        ("eye_", (2, 2, 2), ()),
        ("dirac_", (2, 2), ()),
        ("dirac_", (3, 2, 3), (2,)),
        ("orthogonal_", (3,), ()),
        ("sparse_", (3, 2, 2), (0.1,)),
    ],
)
def test_init_errors_match_torch(name, shape, args):
    with pytest.raises(ValueError) as gerr:
        getattr(init, name)(gu.empty(*shape), *args)
    with pytest.raises(ValueError) as terr:
        getattr(tnn.init, name)(torch.empty(*shape), *args)
    assert str(gerr.value) == str(terr.value)

"""Module: registration order, traversal, modes, dtype, state_dict both ways with torch, repr."""

from collections import OrderedDict

import numpy as np
import pytest
import torch

import groundup as gu
from groundup import nn
from tests.oracle import assert_close, randn


def block(lib):
    """Linear -> BatchNorm1d -> ReLU -> Dropout, with an extra buffer and a parameter; the
    same code builds the torch model and the groundup one."""

    class Block(lib.nn.Module):
        def __init__(self):
            super().__init__()
            self.scale = lib.nn.Parameter(lib.ones(3, dtype=lib.float64))
            self.fc = lib.nn.Linear(4, 3, dtype=lib.float64)
            self.register_buffer("steps", lib.zeros(1, dtype=lib.float64))
            self.register_buffer("cache", lib.zeros(2, dtype=lib.float64), persistent=False)
            self.bn = lib.nn.BatchNorm1d(3, dtype=lib.float64)
            self.act = lib.nn.Sequential(lib.nn.ReLU(), lib.nn.Dropout(0.5))

        def forward(self, x):
            return self.act(self.bn(self.fc(x))) * self.scale

    return Block()


def twins():
    model_t = torch.nn.Sequential(
        block(torch), torch.nn.LayerNorm(3, dtype=torch.float64), torch.nn.Linear(3, 2)
    ).double()
    model_g = nn.Sequential(block(gu), nn.LayerNorm(3, dtype=gu.float64), nn.Linear(3, 2)).double()
    return model_g, model_t


def test_state_dict_keys_order_and_values_match_torch():
    model_g, model_t = twins()
    sd_t = model_t.state_dict()
    sd_g = model_g.state_dict()
    assert list(sd_g) == list(sd_t)
    for k, v in sd_g.items():
        assert isinstance(v, np.ndarray)
        assert v.shape == tuple(sd_t[k].shape), k
        assert v.dtype == np.dtype(str(sd_t[k].dtype).replace("torch.", "")), k
    assert [n for n, _ in model_g.named_parameters()] == [n for n, _ in model_t.named_parameters()]
    assert [n for n, _ in model_g.named_buffers()] == [n for n, _ in model_t.named_buffers()]
    assert [n for n, _ in model_g.named_modules()] == [n for n, _ in model_t.named_modules()]
    assert len(list(model_g.children())) == len(list(model_t.children())) == 3


@pytest.mark.parametrize("training", [True, False])
def test_torch_weights_load_into_groundup_and_back(training):
    model_g, model_t = twins()
    # torch -> groundup: the numpy state dict loads as is, outputs (and BN updates) agree
    model_t[0].bn.running_mean.normal_()
    model_g.load_state_dict({k: v.numpy() for k, v in model_t.state_dict().items()})
    model_g.train(training)
    model_t.train(training)
    model_g[0].act[1].p = model_t[0].act[1].p = 0.0  # dropout streams differ between libraries
    x = randn(5, 4, seed=1)
    assert_close(model_g(gu.tensor(x)), model_t(torch.tensor(x)), np.float64, "outputs")
    for k, v in model_t.state_dict().items():
        assert_close(model_g.state_dict()[k], v.numpy(), np.float64, k)
    # groundup -> torch: perturb groundup's weights, load them into a fresh torch twin
    for p in model_g.parameters():
        p._data += 0.1
    fresh = twins()[1]
    fresh[0].act[1].p = 0.0
    fresh.load_state_dict({k: torch.from_numpy(v) for k, v in model_g.state_dict().items()})
    fresh.train(training)
    assert_close(model_g(gu.tensor(x)), fresh(torch.tensor(x)), np.float64, "outputs")


def test_load_state_dict_casts_and_copies_in_place():
    lin = nn.Linear(2, 3)
    weight_array = lin.weight._data
    source = {"weight": randn(3, 2, seed=2), "bias": randn(3, seed=3)}
    lin.load_state_dict(source)
    assert lin.weight._data is weight_array and lin.weight.dtype == np.float32
    np.testing.assert_allclose(lin.weight._data, source["weight"].astype(np.float32))
    lin.weight._data += 1
    assert not np.allclose(source["weight"], lin.weight._data)  # a copy, not a view
    sd = lin.state_dict()
    sd["weight"][...] = 7
    assert not np.any(lin.weight._data == 7)  # state_dict() returns copies


@pytest.mark.parametrize(
    ("change", "match"),
    [
        (lambda sd: sd.pop("1.bias"), r"missing key '1.bias' \(model shape \(3,\)\)"),
        (lambda sd: sd.update(extra=np.zeros(2)), r"unexpected key 'extra' \(checkpoint shape"),
        (
            lambda sd: sd.update({"1.weight": np.zeros((2, 2))}),
            r"size mismatch for 1.weight: .*shape \(2, 2\) from checkpoint.*model is \(3, 4\)",
        ),
    ],
)
def test_failed_load_names_the_key_and_changes_nothing(change, match):
    model = nn.Sequential(nn.Linear(2, 4), nn.Linear(4, 3), nn.BatchNorm1d(3))
    before = model.state_dict()
    sd = OrderedDict((k, v + 1) for k, v in before.items())
    change(sd)
    with pytest.raises(RuntimeError, match=match):
        model.load_state_dict(sd)
    for k, v in model.state_dict().items():
        np.testing.assert_array_equal(v, before[k], err_msg=k)


def test_load_state_dict_non_strict_reports_keys_but_still_checks_shapes():
    model = nn.Sequential(nn.Linear(2, 4), nn.Linear(4, 3))
    sd = model.state_dict()
    del sd["1.bias"]
    sd["extra"] = np.zeros(1)
    result = model.load_state_dict(sd, strict=False)
    assert result.missing_keys == ["1.bias"] and result.unexpected_keys == ["extra"]
    sd["0.bias"] = np.zeros(5)
    with pytest.raises(RuntimeError, match="size mismatch for 0.bias"):
        model.load_state_dict(sd, strict=False)


def test_shared_module_and_tied_weight_appear_like_torch():
    lin_g, lin_t = nn.Linear(2, 2), torch.nn.Linear(2, 2)
    seq_g, seq_t = nn.Sequential(lin_g, lin_g), torch.nn.Sequential(lin_t, lin_t)
    assert list(seq_g.state_dict()) == list(seq_t.state_dict())
    assert len(list(seq_g.parameters())) == len(list(seq_t.parameters())) == 2
    assert [n for n, _ in seq_g.named_modules(remove_duplicate=False)] == [
        n for n, _ in seq_t.named_modules(remove_duplicate=False)
    ]


def test_train_eval_zero_grad_requires_grad():
    model, _ = twins()
    assert all(m.training for m in model.modules())
    model.eval()
    assert not any(m.training for m in model.modules())
    model.train()
    assert all(m.training for m in model.modules())
    with pytest.raises(ValueError, match="mode must be a bool"):
        model.train("no")
    out = model(gu.tensor(randn(6, 4)))
    out.sum().backward()
    assert all(p.grad is not None for p in model.parameters())
    model.zero_grad(set_to_none=False)
    assert all(np.all(p.grad._data == 0) for p in model.parameters())
    model.zero_grad()
    assert all(p.grad is None for p in model.parameters())


def test_to_dtype_casts_float_parameters_and_buffers_only():
    bn = nn.BatchNorm1d(3)
    assert bn.weight.dtype == np.float32 and bn.running_mean.dtype == np.float32
    bn.double()
    assert bn.weight.dtype == np.float64 and bn.running_var.dtype == np.float64
    assert bn.num_batches_tracked.dtype == np.int64
    bn.float()
    assert bn.running_mean.dtype == np.float32 and bn.to("cpu") is bn
    with pytest.raises(TypeError, match="only floating-point dtypes"):
        bn.to(np.int32)


def test_registration_rules():
    m = nn.Module()
    m.w = nn.Parameter(gu.ones(2))
    m.register_buffer("b", gu.zeros(2))
    m.sub = nn.Linear(2, 2)
    assert (
        list(m._parameters) == ["w"] and list(m._buffers) == ["b"] and list(m._modules) == ["sub"]
    )
    with pytest.raises(TypeError, match="cannot assign Tensor to 'w'"):
        m.w = gu.ones(2)
    with pytest.raises(KeyError, match="attribute 'sub' already exists"):
        m.register_buffer("sub", gu.zeros(1))
    with pytest.raises(KeyError, match="without '.'"):
        m.register_parameter("a.b", None)
    with pytest.raises(TypeError, match="a Tensor or None is expected"):
        m.register_buffer("c", np.zeros(2))
    m.register_buffer("b", gu.ones(2), persistent=False)
    assert "b" not in m.state_dict()
    m.register_buffer("b", gu.ones(2))
    assert "b" in m.state_dict()
    del m.w
    assert "w" not in m._parameters and not hasattr(m, "w")


def test_repr_matches_torch():
    model_g, model_t = twins()
    assert repr(model_g) == repr(model_t)
    blocks = [nn.ModuleList([nn.Linear(2, 2) for _ in range(3)] + [nn.ReLU()])]
    blocks_t = [torch.nn.ModuleList([torch.nn.Linear(2, 2) for _ in range(3)] + [torch.nn.ReLU()])]
    assert repr(blocks[0]) == repr(blocks_t[0])
    assert repr(nn.ModuleList()) == repr(torch.nn.ModuleList())

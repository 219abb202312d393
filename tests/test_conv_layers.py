"""Conv1d, Conv2d, ConvTranspose1d/2d modules against torch: constructor defaults, weight
layout, state_dict keys, repr, torch's default initialization, forward and every gradient
with the same weights, summary() hooks, and errors that name the layer."""

import math

import numpy as np
import pytest
import torch

import groundup as gu
from groundup import nn
from groundup.inspect import summary
from tests.oracle import assert_close, randn

LAYERS = [
    ("Conv1d", (4, 6, 3), dict(stride=2, padding=1), (2, 4, 11)),
    ("Conv1d", (4, 6, 4), dict(padding="same", dilation=2, groups=2, bias=False), (2, 4, 9)),
    ("Conv2d", (3, 8, 3), dict(), (2, 3, 7, 6)),
    (
        "Conv2d",
        (4, 6, (3, 2)),
        dict(stride=(2, 1), padding=(1, 2), dilation=(1, 2), groups=2),
        (2, 4, 9, 8),
    ),
    ("Conv2d", (3, 5, 4), dict(padding="valid", bias=False), (1, 3, 6, 6)),
    ("Conv2d", (2, 4, 3), dict(padding="same"), (2, 6, 5)),  # unbatched (C, H, W)
    ("ConvTranspose1d", (4, 3, 3), dict(stride=2, padding=1, output_padding=1), (2, 4, 6)),
    (
        "ConvTranspose2d",
        (4, 6, 3),
        dict(stride=2, padding=1, output_padding=1, groups=2),
        (2, 4, 5, 4),
    ),
    ("ConvTranspose2d", (3, 2, (2, 3)), dict(stride=(1, 2), dilation=2, bias=False), (2, 3, 4, 5)),
]


def copy_weights(gu_module, torch_module):
    gu_module.load_state_dict({k: v.numpy() for k, v in torch_module.state_dict().items()})


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("name,args,kw,shape", LAYERS, ids=lambda v: str(v))
def test_layer_matches_torch_with_the_same_weights(name, args, kw, shape, dtype):
    tdtype = getattr(torch, np.dtype(dtype).name)
    t_layer = getattr(torch.nn, name)(*args, **kw).to(tdtype)
    g_layer = getattr(nn, name)(*args, **kw, dtype=dtype)
    assert repr(g_layer) == repr(t_layer)
    assert list(g_layer.state_dict()) == list(t_layer.state_dict())
    t_state = t_layer.state_dict()
    for key, value in g_layer.state_dict().items():
        assert value.shape == tuple(t_state[key].shape) and value.dtype == dtype
    copy_weights(g_layer, t_layer)
    x = randn(*shape, dtype=dtype)
    gx, tx = gu.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    out_g, out_t = g_layer(gx), t_layer(tx)
    assert out_g.dtype == dtype
    assert_close(out_g, out_t, dtype, "output")
    upstream = randn(*out_g.shape, dtype=dtype, seed=9)
    out_g.backward(upstream)
    out_t.backward(torch.tensor(upstream))
    assert_close(gx.grad, tx.grad, dtype, "input grad")
    t_params = dict(t_layer.named_parameters())
    for pname, p in g_layer.named_parameters():
        assert p.grad.dtype == dtype
        assert_close(p.grad, t_params[pname].grad, dtype, f"grad of {pname}")
    np.testing.assert_array_equal(gx.detach().numpy(), x)  # the input is untouched


def test_constructor_attributes_follow_torch():
    g, t = nn.Conv2d(3, 6, 5), torch.nn.Conv2d(3, 6, 5)
    for attr in (
        "in_channels",
        "out_channels",
        "kernel_size",
        "stride",
        "padding",
        "dilation",
        "groups",
        "padding_mode",
        "transposed",
        "output_padding",
    ):
        assert getattr(g, attr) == getattr(t, attr), attr
    g1, t1 = nn.ConvTranspose2d(4, 2, 3, stride=2), torch.nn.ConvTranspose2d(4, 2, 3, stride=2)
    assert g1.weight.shape == tuple(t1.weight.shape) == (4, 2, 3, 3)
    assert g1.transposed and g1.stride == t1.stride
    assert nn.Conv1d(2, 3, 5).kernel_size == (5,)
    assert nn.Conv2d(2, 3, 3, padding="same").padding == "same"
    assert nn.Conv2d(2, 4, 3).weight.dtype == np.float32


@pytest.mark.parametrize(
    "layer",
    [nn.Conv2d(16, 32, 3), nn.Conv1d(8, 4, 5, groups=2), nn.ConvTranspose2d(6, 4, 3)],
    ids=repr,
)
def test_default_init_is_torchs_kaiming_uniform(layer):
    """kaiming_uniform(a=sqrt(5)) on fan_in = weight.shape[1] * prod(kernel) is U(-b, b) with
    b = sqrt(3) * sqrt(2 / (1 + 5)) / sqrt(fan_in) = 1 / sqrt(fan_in); the bias has the same b."""
    fan_in = layer.weight.shape[1] * math.prod(layer.weight.shape[2:])
    bound = 1 / math.sqrt(fan_in)
    w, b = layer.weight.detach().numpy(), layer.bias.detach().numpy()
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.9 * bound
    assert np.abs(b).max() <= bound
    assert abs(w.std() - bound / math.sqrt(3)) < 0.15 * bound  # std of U(-b, b) is b/sqrt(3)


def test_manual_seed_makes_init_reproducible():
    gu.manual_seed(3)
    a = nn.Conv2d(3, 4, 3).weight.detach().numpy().copy()
    gu.manual_seed(3)
    np.testing.assert_array_equal(a, nn.Conv2d(3, 4, 3).weight.detach().numpy())


def test_summary_records_conv_and_pool_shapes_and_parameters():
    model = nn.Sequential(
        nn.Conv2d(1, 4, 3, padding=1),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(4, 8, 3),
        nn.Flatten(),
        nn.Linear(8 * 2 * 2, 3),
    )
    info = summary(model, (1, 8, 8), batch_size=2, verbose=False)
    rows = {layer.name: layer for layer in info.layers if layer.depth == 1}
    assert rows["0"].output_shape == (2, 4, 8, 8) and rows["0"].params == 4 * 9 + 4
    assert rows["2"].output_shape == (2, 4, 4, 4) and rows["2"].params == 0
    assert rows["3"].output_shape == (2, 8, 2, 2) and rows["3"].params == 8 * 4 * 9 + 8
    assert info.total_params == 40 + 296 + (32 * 3 + 3)


def test_layer_errors_name_the_layer_the_input_and_the_arithmetic():
    conv = nn.Conv2d(1, 20, 4)
    with pytest.raises(
        RuntimeError,
        match=r"Conv2d\(1, 20, kernel_size=\(4, 4\), stride=\(1, 1\)\) got input of shape "
        r"\(1, 1, 3, 9\): output height: \(3 \+ 2\*0 - 1\*\(4 - 1\) - 1\) / 1 \+ 1 < 1: the "
        r"kernel covers 4 positions but the padded input has only 3",
    ):
        conv(gu.tensor(np.zeros((1, 1, 3, 9), np.float32)))
    with pytest.raises(
        RuntimeError,
        match=r"Conv2d\(3, 16.* got input of shape \(8, 1, 28, 28\)"
        r": expected 3 input channels in dim 1",
    ):
        nn.Conv2d(3, 16, 3)(gu.tensor(np.zeros((8, 1, 28, 28), np.float32)))
    with pytest.raises(RuntimeError, match=r"Conv1d\(2, 4.*: expected a 2-D \(unbatched\) or 3-D"):
        nn.Conv1d(2, 4, 3)(gu.tensor(np.zeros((1, 2, 5, 5), np.float32)))
    with pytest.raises(
        ValueError,
        match=r"Conv2d: in_channels = 3 must be divisible by groups "
        r"= 2 \(3 / 2 = 1.5\)",
    ):
        nn.Conv2d(3, 4, 3, groups=2)
    with pytest.raises(ValueError, match="out_channels = 5 must be divisible by groups = 2"):
        nn.Conv2d(4, 5, 3, groups=2)
    with pytest.raises(ValueError, match="padding='same' is not supported for strided"):
        nn.Conv2d(1, 2, 3, stride=2, padding="same")
    with pytest.raises(ValueError, match="invalid padding string 'full'"):
        nn.Conv2d(1, 2, 3, padding="full")
    with pytest.raises(NotImplementedError, match="padding_mode='reflect' is not implemented"):
        nn.Conv2d(1, 2, 3, padding_mode="reflect")
    with pytest.raises(ValueError, match="output_padding .* smaller than either stride"):
        nn.ConvTranspose2d(1, 2, 3, stride=2, output_padding=2)
    with pytest.raises(TypeError, match="cast the input"):
        nn.Conv2d(1, 2, 3)(gu.tensor(np.zeros((1, 1, 5, 5))))  # float64 input, float32 weights


def test_bad_input_leaves_the_layer_unchanged():
    conv = nn.Conv2d(2, 3, 3)
    before = {k: v.copy() for k, v in conv.state_dict().items()}
    with pytest.raises(RuntimeError):
        conv(gu.tensor(np.zeros((1, 5, 4, 4), np.float32)))
    for k, v in conv.state_dict().items():
        np.testing.assert_array_equal(v, before[k])

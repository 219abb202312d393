"""BatchNorm2d and Dropout2d: the per-channel layers of CNNs, against torch."""

import numpy as np
import pytest
import torch

import groundup as gu
from groundup import nn
from groundup.nn import functional as gF
from tests.oracle import assert_close, randn


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize(
    "options",
    [{}, {"momentum": None}, {"affine": False}, {"track_running_stats": False}],
    ids=str,
)
def test_batchnorm2d_train_then_eval_matches_torch(options, dtype):
    tdtype = getattr(torch, np.dtype(dtype).name)
    bn_g, bn_t = nn.BatchNorm2d(3, dtype=dtype, **options), torch.nn.BatchNorm2d(3, **options)
    bn_t.to(tdtype)
    if bn_t.weight is not None:
        with torch.no_grad():
            bn_t.weight.uniform_(0.5, 1.5)
            bn_t.bias.normal_()
    bn_g.load_state_dict({k: v.numpy() for k, v in bn_t.state_dict().items()})
    assert repr(bn_g) == repr(bn_t)
    assert list(bn_g.state_dict()) == list(bn_t.state_dict())
    for i, mode in enumerate(["train", "train", "eval"]):
        getattr(bn_g, mode)()
        getattr(bn_t, mode)()
        x = (2 * randn(4, 3, 5, 6, dtype=dtype, seed=i) + i).astype(dtype)
        gx, tx = gu.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
        out_g, out_t = bn_g(gx), bn_t(tx)
        assert out_g.dtype == dtype
        assert_close(out_g, out_t, dtype, f"{mode} output")
        upstream = randn(*x.shape, dtype=dtype, seed=10 + i)
        out_g.backward(upstream)
        out_t.backward(torch.tensor(upstream))
        assert_close(gx.grad, tx.grad, dtype, f"{mode} input grad")
        for name, p in bn_t.named_parameters():
            assert_close(getattr(bn_g, name).grad, p.grad, dtype, f"{mode} grad of {name}")
            getattr(bn_g, name).grad, p.grad = None, None
        for k, v in bn_t.state_dict().items():
            assert_close(bn_g.state_dict()[k], v.numpy(), dtype, k)


def test_batchnorm2d_normalizes_each_channel_over_batch_and_pixels():
    x = randn(8, 2, 4, 4) * np.array([1.0, 5.0])[None, :, None, None] + 3
    y = nn.BatchNorm2d(2, dtype=np.float64)(gu.tensor(x)).detach().numpy()
    np.testing.assert_allclose(y.mean(axis=(0, 2, 3)), 0, atol=1e-12)
    np.testing.assert_allclose(y.var(axis=(0, 2, 3)), 1, atol=1e-4)  # eps = 1e-5
    assert sum(p.numel() for p in nn.BatchNorm2d(16).parameters()) == 32  # gamma, beta per channel


def test_batchnorm2d_rejects_non_4d_input():
    with pytest.raises(ValueError, match=r"BatchNorm2d: expected 4D input, got 3D input of shape"):
        nn.BatchNorm2d(3)(gu.tensor(np.zeros((3, 4, 4), np.float32)))
    with pytest.raises(ValueError, match=r"BatchNorm2d\(3\) got input of shape \(2, 4, 5, 5\)"):
        nn.BatchNorm2d(3)(gu.tensor(np.zeros((2, 4, 5, 5), np.float32)))


def test_dropout2d_zeroes_whole_channels_and_rescales_the_rest():
    gu.manual_seed(0)
    x = gu.tensor(np.ones((64, 32, 3, 3), np.float32), requires_grad=True)
    layer = nn.Dropout2d(p=0.25)
    assert repr(layer) == repr(torch.nn.Dropout2d(p=0.25))
    y = layer(x)
    maps = y.detach().numpy().reshape(64, 32, 9)
    # every feature map is all zero or all 1/(1-p): channels are dropped whole
    assert np.all((maps == 0).all(axis=2) | np.isclose(maps, 1 / 0.75).all(axis=2))
    dropped = (maps == 0).all(axis=2).mean()
    assert 0.2 < dropped < 0.3  # about p of the 2,048 maps
    y.backward(np.ones(y.shape, np.float32))
    np.testing.assert_array_equal(x.grad.numpy(), y.detach().numpy())  # same mask, same scale
    assert y.dtype == x.grad.dtype == np.float32
    layer.eval()
    assert layer(x) is x  # identity in evaluation


def test_dropout2d_follows_manual_seed_and_reads_3d_as_n_c_l():
    x = gu.tensor(np.ones((4, 6, 5)))
    gu.manual_seed(1)
    a = gF.dropout2d(x, 0.5).numpy()
    gu.manual_seed(1)
    np.testing.assert_array_equal(a, gF.dropout2d(x, 0.5).numpy())
    assert np.all(a.min(axis=2) == a.max(axis=2))  # one decision per (n, c)
    assert gF.dropout2d(x, 0.5, training=False) is x
    with pytest.raises(ValueError, match="between 0 and 1"):
        nn.Dropout2d(1.5)
    with pytest.raises(
        RuntimeError, match=r"dropout2d: expected a 4-D input .* got input of shape"
    ):
        gF.dropout2d(gu.tensor(np.ones((4, 5))), 0.5)

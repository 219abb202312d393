"""A 2-layer MLP trained with cross-entropy and Adam, started from torch's weights,
follows torch's loss curve step by step (the whole engine, end to end)."""

import numpy as np
import pytest
import torch

import groundup as gu
from groundup import nn, optim


def _twins(dtype: type) -> tuple[nn.Module, torch.nn.Module]:
    torch.manual_seed(0)
    t_net = torch.nn.Sequential(torch.nn.Linear(20, 32), torch.nn.Tanh(), torch.nn.Linear(32, 5))
    t_net = t_net.to(torch.float64 if dtype is np.float64 else torch.float32)
    g_net = nn.Sequential(nn.Linear(20, 32), nn.Tanh(), nn.Linear(32, 5)).to(dtype)
    g_net.load_state_dict({k: v.detach().numpy() for k, v in t_net.state_dict().items()})
    return g_net, t_net


@pytest.mark.parametrize("dtype, rtol", [(np.float64, 1e-10), (np.float32, 1e-4)])
def test_mlp_with_adam_follows_torch_loss_curve(dtype: type, rtol: float) -> None:
    rng = np.random.default_rng(1)
    x = rng.standard_normal((64, 20)).astype(dtype)
    y = rng.integers(0, 5, 64)
    g_net, t_net = _twins(dtype)
    g_opt = optim.Adam(g_net.parameters(), lr=1e-2)
    t_opt = torch.optim.Adam(t_net.parameters(), lr=1e-2)
    g_losses, t_losses = [], []
    for step in range(50):
        batch = slice((step * 16) % 64, (step * 16) % 64 + 16)
        g_opt.zero_grad()
        g_loss = nn.functional.cross_entropy(g_net(gu.tensor(x[batch])), gu.tensor(y[batch]))
        g_loss.backward()
        g_opt.step()
        t_opt.zero_grad()
        t_loss = torch.nn.functional.cross_entropy(
            t_net(torch.from_numpy(x[batch])), torch.from_numpy(y[batch])
        )
        t_loss.backward()
        t_opt.step()
        g_losses.append(g_loss.item())
        t_losses.append(t_loss.item())
        assert g_loss.dtype == dtype
    np.testing.assert_allclose(g_losses, t_losses, rtol=rtol)
    assert g_losses[-1] < 0.5 * g_losses[0]  # it did learn
    for (name, p), tp in zip(g_net.named_parameters(), t_net.parameters(), strict=True):
        np.testing.assert_allclose(
            p._data, tp.detach().numpy(), rtol=rtol * 10, atol=rtol, err_msg=name
        )

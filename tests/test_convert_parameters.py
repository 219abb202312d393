"""nn.utils.parameters_to_vector / vector_to_parameters, side by side with torch."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import groundup as gu
from groundup import nn
from groundup.nn.utils import parameters_to_vector, vector_to_parameters
from tests.oracle import assert_close

tnn = torch.nn


def twin_models(dtype=np.float64):
    """The same small model in both libraries (weights copied from torch)."""
    torch.manual_seed(0)
    t = tnn.Sequential(tnn.Linear(3, 4), tnn.Tanh(), tnn.Linear(4, 2)).to(
        torch.float64 if dtype == np.float64 else torch.float32
    )
    g = nn.Sequential(nn.Linear(3, 4, dtype=dtype), nn.Tanh(), nn.Linear(4, 2, dtype=dtype))
    g.load_state_dict({k: v.detach().numpy() for k, v in t.state_dict().items()})
    return g, t


def test_parameters_to_vector_values_and_gradient():
    g, t = twin_models()
    gv, tv = parameters_to_vector(g.parameters()), tnn.utils.parameters_to_vector(t.parameters())
    assert gv.shape == tuple(tv.shape) == (26,) and gv.dtype == np.float64
    assert_close(gv, tv)
    weights = np.random.default_rng(0).standard_normal(26)
    (gv * gu.tensor(weights)).sum().backward()
    (tv * torch.tensor(weights)).sum().backward()
    for gp, tp in zip(g.parameters(), t.parameters(), strict=True):
        assert_close(gp.grad, tp.grad)


def test_parameters_to_vector_of_a_single_tensor_iterates_it_like_torch():
    a = np.arange(6.0).reshape(2, 3)
    gv = parameters_to_vector(gu.tensor(a, requires_grad=True))
    tv = tnn.utils.parameters_to_vector(torch.tensor(a, requires_grad=True))
    assert_close(gv, tv)


def test_vector_to_parameters_matches_torch_and_shares_memory():
    g, t = twin_models()
    vec = np.linspace(-1, 1, 26)
    gvec, tvec = gu.tensor(vec), torch.tensor(vec)
    gparams, tparams = list(g.parameters()), list(t.parameters())
    vector_to_parameters(gvec, gparams)
    tnn.utils.vector_to_parameters(tvec, tparams)
    for gp, tp, original in zip(g.parameters(), t.parameters(), gparams, strict=True):
        assert gp is original  # the same Parameter objects, now with the new data
        assert gp.is_leaf and gp.requires_grad and gp.shape == tuple(tp.shape)
        assert_close(gp, tp)
    gvec._data[0] = 42.0  # as in torch, the parameters are views of vec
    tvec[0] = 42.0
    assert gparams[0]._data.flat[0] == tparams[0].detach().numpy().flat[0] == 42.0


def test_an_optimizer_keeps_training_the_parameters_after_vector_to_parameters():
    g, t = twin_models()
    gopt = gu.optim.Adam(g.parameters(), lr=0.1)
    topt = torch.optim.Adam(t.parameters(), lr=0.1)
    x, y = np.random.default_rng(1).standard_normal((5, 3)), np.zeros((5, 2))
    vec = np.random.default_rng(2).standard_normal(26)
    vector_to_parameters(gu.tensor(vec), g.parameters())
    tnn.utils.vector_to_parameters(torch.tensor(vec), t.parameters())
    for _ in range(3):
        for model, opt, lib in ((g, gopt, gu), (t, topt, torch)):
            opt.zero_grad()
            ((model(lib.tensor(x)) - lib.tensor(y)) ** 2).mean().backward()
            opt.step()
    expected = tnn.utils.parameters_to_vector(t.parameters())
    assert_close(parameters_to_vector(g.parameters()), expected)


def test_vector_to_parameters_takes_vec_s_dtype_like_torch():
    gp, tp = nn.Parameter(gu.zeros(2, 2)), tnn.Parameter(torch.zeros(2, 2))
    vector_to_parameters(gu.tensor(np.arange(4.0)), [gp])
    tnn.utils.vector_to_parameters(torch.tensor(np.arange(4.0)), [tp])
    assert gp.dtype == np.float64 and tp.dtype == torch.float64


def test_errors():
    p = nn.Parameter(gu.zeros(2, 2))
    with pytest.raises(TypeError, match="expected Tensor, but got: numpy.ndarray"):
        vector_to_parameters(np.zeros(4), [p])
    with pytest.raises(TypeError, match="expected Tensor, but got: list"):
        vector_to_parameters([0.0] * 4, [p])
    with pytest.raises(RuntimeError):
        vector_to_parameters(gu.zeros(3), [p])  # too short: torch's view fails the same way
    with pytest.raises(RuntimeError, match="floating point"):
        vector_to_parameters(gu.tensor(np.arange(4)), [p])
    with pytest.raises(ValueError):
        parameters_to_vector([])  # torch: ValueError from torch.cat
    with pytest.raises(ValueError):
        tnn.utils.parameters_to_vector([])

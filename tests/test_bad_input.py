"""Bad input gets a clear error of the type a PyTorch user expects, with nothing changed."""

from __future__ import annotations

import numpy as np
import pytest

import groundup as gu
from groundup import nn, optim


def _weights(module: nn.Module) -> dict[str, np.ndarray]:
    return {k: v.copy() for k, v in module.state_dict().items()}


def _unchanged(module: nn.Module, before: dict[str, np.ndarray]) -> bool:
    after = module.state_dict()
    return all(np.array_equal(after[k], v) for k, v in before.items())


@pytest.mark.parametrize(
    ("state", "error", "match"),
    [
        ({"weight": np.zeros((3, 2)), "bias": np.array(["a", "b", "c"])}, RuntimeError, "dtype"),
        ({"weight": np.zeros((3, 2)), "bias": np.array([None] * 3)}, RuntimeError, "object"),
        ({"weight": np.zeros((3, 2)), "bias": "zeros"}, RuntimeError, "got str"),
        ({"weight": np.zeros((3, 2)), "bias": np.zeros(4)}, RuntimeError, "size mismatch"),
        ({"weight": np.zeros((3, 2))}, RuntimeError, "missing key 'bias'"),
        ([1, 2], TypeError, "dict-like"),
        (None, TypeError, "dict-like"),
    ],
)
def test_a_failed_load_state_dict_writes_nothing(state, error, match):
    layer = nn.Linear(2, 3)
    before = _weights(layer)
    with pytest.raises(error, match=match):
        layer.load_state_dict(state)
    assert _unchanged(layer, before)


def test_load_state_dict_casts_and_bumps_versions():
    layer = nn.Linear(2, 3)
    before = layer.weight._version  # initialization is in place too
    layer.load_state_dict({"weight": np.ones((3, 2), np.float64), "bias": [1, 2, 3]})
    assert layer.weight.dtype == np.float32 and layer.weight._version == before + 1
    np.testing.assert_array_equal(layer.bias._data, [1, 2, 3])


def test_embedding_max_norm_checks_indices_before_renormalizing():
    emb = nn.Embedding(10, 3, max_norm=0.5)
    before = _weights(emb)
    with pytest.raises(IndexError, match="out of range"):
        emb(gu.tensor([-1]))
    with pytest.raises(TypeError, match="integer"):
        emb(gu.tensor([0.5]))
    assert _unchanged(emb, before)


def test_linear_refuses_a_list_like_torch():
    with pytest.raises(TypeError, match="must be Tensor, not list"):
        nn.Linear(4, 3)([[1.0, 2, 3, 4]])


@pytest.mark.parametrize("size", [0, -1, 1.5, True])
def test_schedulers_refuse_a_period_that_cannot_be(size):
    opt = optim.SGD([nn.Parameter(gu.zeros(1))], lr=0.1)
    with pytest.raises(ValueError, match="step_size must be a positive integer"):
        optim.lr_scheduler.StepLR(opt, step_size=size)
    with pytest.raises(ValueError, match="T_max must be a positive"):
        optim.lr_scheduler.CosineAnnealingLR(opt, T_max=size)

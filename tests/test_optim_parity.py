"""Every optimizer and option equals torch.optim over 60 steps of the same gradients.

Four parameters of different shapes in two groups with different lrs receive the same
seeded gradient sequence in groundup and in torch (the last parameter skips some steps
with grad None); final parameters must agree in float64 to 1e-10 and in float32 to a
relative 1e-5.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import torch

import groundup as gu
from groundup import optim
from groundup.nn import Parameter

SHAPES = [(4, 3), (3,), (2, 3, 2), ()]
N_STEPS = 60

CASES: list[tuple[str, dict[str, Any]]] = [
    ("SGD", {}),
    ("SGD", {"momentum": 0.9}),
    ("SGD", {"momentum": 0.9, "dampening": 0.3}),
    ("SGD", {"momentum": 0.9, "nesterov": True}),
    ("SGD", {"momentum": 0.8, "nesterov": True, "weight_decay": 0.1}),
    ("SGD", {"weight_decay": 0.05}),
    ("SGD", {"momentum": 0.5, "maximize": True, "weight_decay": 0.01}),
    ("Adagrad", {}),
    ("Adagrad", {"lr_decay": 0.05}),
    ("Adagrad", {"weight_decay": 0.1, "initial_accumulator_value": 0.5}),
    ("Adagrad", {"eps": 1e-3, "maximize": True, "lr_decay": 0.01}),
    ("RMSprop", {}),
    ("RMSprop", {"alpha": 0.9}),
    ("RMSprop", {"centered": True}),
    ("RMSprop", {"momentum": 0.9}),
    ("RMSprop", {"centered": True, "momentum": 0.7}),
    ("RMSprop", {"centered": True, "momentum": 0.7, "weight_decay": 0.1, "eps": 1e-4}),
    ("RMSprop", {"maximize": True, "weight_decay": 0.05}),
    ("Adam", {}),
    ("Adam", {"betas": (0.8, 0.99), "eps": 1e-6}),
    ("Adam", {"weight_decay": 0.1}),
    ("Adam", {"amsgrad": True}),
    ("Adam", {"amsgrad": True, "weight_decay": 0.1}),
    ("Adam", {"maximize": True}),
    ("Adam", {"decoupled_weight_decay": True, "weight_decay": 0.1}),
    ("AdamW", {}),
    ("AdamW", {"weight_decay": 0.3, "amsgrad": True}),
    ("AdamW", {"maximize": True, "betas": (0.5, 0.9)}),
]
LRS = {"SGD": (0.05, 0.02), "Adagrad": (0.1, 0.03), "RMSprop": (0.01, 0.003)}


def case_id(case: tuple[str, dict[str, Any]]) -> str:
    name, kw = case
    return name + "".join(f"-{k}={v}" for k, v in kw.items())


def initial_arrays(dtype: Any, seed: int = 0) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    return [rng.standard_normal(s).astype(dtype) for s in SHAPES]


def gradient_sequence(n_steps: int, dtype: Any, seed: int = 1) -> list[list[np.ndarray | None]]:
    """Gradients per step; the last parameter has no gradient on every fifth step."""
    rng = np.random.default_rng(seed)
    steps: list[list[np.ndarray | None]] = []
    for t in range(n_steps):
        grads: list[np.ndarray | None] = [rng.standard_normal(s).astype(dtype) for s in SHAPES]
        if t % 5 == 2:
            grads[-1] = None
        steps.append(grads)
    return steps


def param_groups(params: list[Any], name: str) -> list[dict[str, Any]]:
    lr1, lr2 = LRS.get(name, (0.01, 0.002))
    return [{"params": params[:2], "lr": lr1}, {"params": params[2:], "lr": lr2}]


def make_groundup(name: str, kwargs: dict[str, Any], arrays: list[np.ndarray]) -> Any:
    params = [Parameter(a.copy()) for a in arrays]
    return params, getattr(optim, name)(param_groups(params, name), **kwargs)


def make_torch(name: str, kwargs: dict[str, Any], arrays: list[np.ndarray]) -> Any:
    params = [torch.nn.Parameter(torch.tensor(a.copy())) for a in arrays]
    return params, getattr(torch.optim, name)(param_groups(params, name), **kwargs)


def run_groundup(params: list[Any], opt: Any, grads: list[list[np.ndarray | None]]) -> None:
    for step_grads in grads:
        for p, g in zip(params, step_grads, strict=True):
            p.grad = None if g is None else gu.tensor(g.copy())
        opt.step()


def run_torch(params: list[Any], opt: Any, grads: list[list[np.ndarray | None]]) -> None:
    for step_grads in grads:
        for p, g in zip(params, step_grads, strict=True):
            p.grad = None if g is None else torch.tensor(g.copy())
        opt.step()


TOL = {np.float64: dict(rtol=1e-10, atol=1e-10), np.float32: dict(rtol=1e-5, atol=1e-6)}


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_matches_torch(case: tuple[str, dict[str, Any]], dtype: Any) -> None:
    name, kwargs = case
    arrays, grads = initial_arrays(dtype), gradient_sequence(N_STEPS, dtype)
    gparams, gopt = make_groundup(name, kwargs, arrays)
    tparams, topt = make_torch(name, kwargs, arrays)
    run_groundup(gparams, gopt, grads)
    run_torch(tparams, topt, grads)
    for i, (g, t) in enumerate(zip(gparams, tparams, strict=True)):
        assert g.dtype == dtype, f"parameter {i} changed dtype to {g.dtype}"
        moved = np.abs(g._data - arrays[i]).max()
        assert moved > 1e-3, f"parameter {i} barely moved ({moved}): the test would be vacuous"
        np.testing.assert_allclose(
            g._data, t.detach().numpy(), err_msg=f"parameter {i}", **TOL[dtype]
        )
    # the optimizer state agrees too, entry by entry
    gstate, tstate = gopt.state_dict()["state"], topt.state_dict()["state"]
    assert gstate.keys() == tstate.keys()
    for index, tentry in tstate.items():
        assert list(gstate[index]) == list(tentry), f"state keys of parameter {index}"
        for key, value in tentry.items():
            if key == "step":
                assert gstate[index][key] == float(value)
            else:
                assert gstate[index][key].dtype == dtype
                np.testing.assert_allclose(
                    gstate[index][key], value.numpy(), err_msg=key, **TOL[dtype]
                )

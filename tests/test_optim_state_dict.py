"""Optimizer state_dict: torch's layout, JSON + arrays serializable, exact resume, loading
torch's own state, and validation that leaves the optimizer untouched on bad input."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pytest

from groundup import optim
from groundup.nn import Parameter
from tests.test_optim_parity import (
    gradient_sequence,
    initial_arrays,
    make_groundup,
    make_torch,
    run_groundup,
    run_torch,
)

# every kind of state each optimizer can hold
FULL_STATE_CASES: list[tuple[str, dict[str, Any]]] = [
    ("SGD", {"momentum": 0.9, "nesterov": True, "weight_decay": 0.01}),
    ("Adagrad", {"lr_decay": 0.01, "initial_accumulator_value": 0.1}),
    ("RMSprop", {"centered": True, "momentum": 0.5}),
    ("Adam", {"amsgrad": True, "weight_decay": 0.05}),
    ("AdamW", {"amsgrad": True}),
]
DEVICE_FLAGS = {"foreach", "fused", "capturable", "differentiable"}


def through_json(state_dict: dict[str, Any]) -> dict[str, Any]:
    """What a checkpoint writer does: arrays go to a tensor file, everything else to JSON."""
    arrays: dict[str, np.ndarray] = {}
    state = {}
    for index, entry in state_dict["state"].items():
        state[index] = {}
        for key, value in entry.items():
            if isinstance(value, np.ndarray):
                arrays[f"{index}.{key}"] = value.copy()
                state[index][key] = f"array:{index}.{key}"
            else:
                state[index][key] = value
    text = json.dumps({"state": state, "param_groups": state_dict["param_groups"]})
    loaded = json.loads(text)  # int keys come back as strings, tuples as lists
    for entry in loaded["state"].values():
        for key, value in entry.items():
            if isinstance(value, str) and value.startswith("array:"):
                entry[key] = arrays[value.removeprefix("array:")]
    return loaded


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("case", FULL_STATE_CASES, ids=lambda c: c[0])
def test_resume_from_state_dict_equals_uninterrupted_run(
    case: tuple[str, dict[str, Any]], dtype: Any
) -> None:
    name, kwargs = case
    arrays, grads = initial_arrays(dtype), gradient_sequence(60, dtype)
    params, opt = make_groundup(name, kwargs, arrays)
    run_groundup(params, opt, grads)

    first, opt1 = make_groundup(name, kwargs, arrays)
    run_groundup(first, opt1, grads[:30])
    saved = through_json(opt1.state_dict())
    resumed, opt2 = make_groundup(name, kwargs, [p._data for p in first])
    opt2.load_state_dict(saved)
    run_groundup(resumed, opt2, grads[30:])
    for p, r in zip(params, resumed, strict=True):
        assert r.dtype == dtype
        np.testing.assert_array_equal(r._data, p._data)


@pytest.mark.parametrize("case", FULL_STATE_CASES, ids=lambda c: c[0])
def test_state_dict_layout_matches_torch(case: tuple[str, dict[str, Any]]) -> None:
    name, kwargs = case
    arrays, grads = initial_arrays(np.float64), gradient_sequence(3, np.float64)
    params, opt = make_groundup(name, kwargs, arrays)
    tparams, topt = make_torch(name, kwargs, arrays)
    # before any step (Adagrad creates its state up front) and after a few
    for _ in range(2):
        ours, theirs = opt.state_dict(), topt.state_dict()
        assert list(ours) == ["state", "param_groups"]
        assert list(ours["state"]) == list(theirs["state"])
        for index, entry in theirs["state"].items():
            assert list(ours["state"][index]) == list(entry)
            assert isinstance(ours["state"][index].get("step", 0.0), float)
        for group, tgroup in zip(ours["param_groups"], theirs["param_groups"], strict=True):
            assert set(group) == set(tgroup) - DEVICE_FLAGS
            assert {k: group[k] for k in group} == {k: tgroup[k] for k in group}
        run_groundup(params, opt, grads)
        run_torch(tparams, topt, grads)


@pytest.mark.parametrize("case", FULL_STATE_CASES, ids=lambda c: c[0])
def test_loads_a_torch_state_dict_converted_to_numpy(case: tuple[str, dict[str, Any]]) -> None:
    name, kwargs = case
    arrays, grads = initial_arrays(np.float64), gradient_sequence(60, np.float64)
    tparams, topt = make_torch(name, kwargs, arrays)
    run_torch(tparams, topt, grads[:30])
    saved = topt.state_dict()
    converted = {
        "state": {
            i: {k: v.numpy().copy() for k, v in entry.items()}
            for i, entry in saved["state"].items()
        },
        "param_groups": saved["param_groups"],
    }
    params, opt = make_groundup(name, kwargs, [p.detach().numpy() for p in tparams])
    opt.load_state_dict(converted)
    run_groundup(params, opt, grads[30:])
    run_torch(tparams, topt, grads[30:])
    for p, t in zip(params, tparams, strict=True):
        np.testing.assert_allclose(p._data, t.detach().numpy(), rtol=1e-10, atol=1e-10)


def test_state_dict_is_a_copy_and_loading_copies() -> None:
    p = Parameter(np.ones(3))
    opt = optim.SGD([p], lr=0.1, momentum=0.9)
    p.grad = Parameter(np.full(3, 2.0))
    opt.step()
    saved = opt.state_dict()
    saved["state"][0]["momentum_buffer"][:] = 100.0
    saved["param_groups"][0]["lr"] = 5.0
    np.testing.assert_array_equal(opt.state[p]["momentum_buffer"], [2.0, 2.0, 2.0])
    assert opt.param_groups[0]["lr"] == 0.1

    opt.load_state_dict(saved)
    assert opt.param_groups[0]["lr"] == 5.0  # options come from the state dict
    saved["state"][0]["momentum_buffer"][:] = -1.0
    np.testing.assert_array_equal(opt.state[p]["momentum_buffer"], [100.0] * 3)
    assert opt.param_groups[0]["params"] == [p]


def test_loading_casts_arrays_to_the_parameter_dtype() -> None:
    p64 = Parameter(np.zeros(2))
    opt64 = optim.Adam([p64])
    p64.grad = Parameter(np.array([0.5, -1.0]))
    opt64.step()
    p32 = Parameter(np.zeros(2, dtype=np.float32))
    opt32 = optim.Adam([p32])
    opt32.load_state_dict(opt64.state_dict())
    assert opt32.state[p32]["exp_avg"].dtype == np.float32
    assert opt32.state[p32]["step"] == 1.0


def make_two_group_adam() -> tuple[list[Parameter], optim.Adam]:
    params = [Parameter(np.zeros((2, 2))), Parameter(np.zeros(3)), Parameter(np.zeros(1))]
    opt = optim.Adam([{"params": params[:2]}, {"params": params[2:], "lr": 0.1}])
    for p in params:
        p.grad = Parameter(np.ones(p.shape))
    opt.step()
    return params, opt


@pytest.mark.parametrize(
    ("corrupt", "match"),
    [
        (lambda sd: sd["param_groups"].pop(), "different number of parameter groups"),
        (lambda sd: sd["param_groups"][0]["params"].pop(), "doesn't match the size"),
        (lambda sd: sd["state"][1].update(exp_avg=np.zeros(4)), "has shape"),
        (lambda sd: sd["state"].update({7: {"step": 1.0}}), "no group lists"),
    ],
    ids=["group-count", "group-size", "state-shape", "unknown-index"],
)
def test_bad_state_dict_raises_and_changes_nothing(corrupt: Any, match: str) -> None:
    params, opt = make_two_group_adam()
    saved = opt.state_dict()
    saved["param_groups"][0]["lr"] = 123.0
    saved["state"][0]["exp_avg"] += 1.0
    corrupt(saved)
    before = {id(p): {k: np.copy(v) for k, v in opt.state[p].items()} for p in params}
    with pytest.raises(ValueError, match=match):
        opt.load_state_dict(saved)
    assert opt.param_groups[0]["lr"] == 1e-3
    for p in params:
        for k, v in opt.state[p].items():
            np.testing.assert_array_equal(v, before[id(p)][k])

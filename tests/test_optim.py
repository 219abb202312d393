"""Optimizer base behaviour: parameter groups, zero_grad, closures, skipped parameters,
argument checks, dtype discipline, and the published optimizer trajectories."""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
import torch

import groundup as gu
from groundup import optim
from groundup.nn import Linear, Parameter

OPTIMIZERS = [optim.SGD, optim.Adagrad, optim.RMSprop, optim.Adam, optim.AdamW]
DEVICE_FLAGS = {"foreach", "fused", "capturable", "differentiable"}  # torch-only options


def param(*shape: int, seed: int = 0, dtype: Any = np.float64) -> Parameter:
    return Parameter(np.random.default_rng(seed).standard_normal(shape).astype(dtype))


def set_grads(params: list[Parameter], seed: int = 1) -> None:
    rng = np.random.default_rng(seed)
    for p in params:
        p.grad = gu.tensor(rng.standard_normal(p.shape).astype(p.dtype))


# ------------------------------------------------------------------ param groups
@pytest.mark.parametrize("cls", OPTIMIZERS)
def test_default_group_matches_torch(cls: Any) -> None:
    opt = cls([param(3)])
    topt = getattr(torch.optim, cls.__name__)([torch.nn.Parameter(torch.zeros(3))])
    expected = {k: v for k, v in topt.param_groups[0].items() if k not in DEVICE_FLAGS}
    group = opt.param_groups[0]
    assert set(group) == set(expected)
    for key, value in expected.items():
        if key != "params":
            assert group[key] == value, key
    assert opt.defaults == {k: v for k, v in topt.defaults.items() if k not in DEVICE_FLAGS}


def test_groups_take_defaults_and_their_own_options() -> None:
    a, b, c = param(2), param(3), param(4)
    opt = optim.SGD([{"params": [a, b]}, {"params": c, "lr": 0.5}], lr=0.1, momentum=0.9)
    assert [len(g["params"]) for g in opt.param_groups] == [2, 1]
    assert opt.param_groups[0]["lr"] == 0.1 and opt.param_groups[1]["lr"] == 0.5
    assert opt.param_groups[1]["momentum"] == 0.9
    d = param(5)
    opt.add_param_group({"params": [d], "momentum": 0.0})
    assert opt.param_groups[2]["lr"] == 0.1 and opt.param_groups[2]["momentum"] == 0.0
    assert opt.param_groups[2]["params"][0] is d


def test_accepts_a_module_parameter_generator() -> None:
    layer = Linear(3, 2)
    opt = optim.Adam(layer.parameters(), lr=0.1)
    assert opt.param_groups[0]["params"] == [layer.weight, layer.bias]


def test_named_parameters_give_param_names_like_torch() -> None:
    layer = Linear(3, 2)
    opt = optim.SGD(layer.named_parameters(), lr=0.1)
    tlayer = torch.nn.Linear(3, 2)
    topt = torch.optim.SGD(tlayer.named_parameters(), lr=0.1)
    assert opt.param_groups[0]["param_names"] == topt.param_groups[0]["param_names"]
    assert opt.state_dict()["param_groups"][0]["param_names"] == ["weight", "bias"]


@pytest.mark.parametrize(
    ("params", "error", "match"),
    [
        (lambda a, b: [], ValueError, "empty parameter list"),
        (lambda a, b: a, TypeError, "iterable of Tensors"),
        (lambda a, b: [{"params": {a, b}}], TypeError, "ordered collections"),
        (lambda a, b: [a, np.zeros(2)], TypeError, "can only optimize Tensors"),
        (lambda a, b: [a * 2], ValueError, "non-leaf"),
        (lambda a, b: [{"params": [a]}, {"params": [b, a]}], ValueError, "more than one"),
    ],
    ids=["empty", "bare-tensor", "set", "array", "non-leaf", "shared"],
)
def test_bad_params_are_rejected(params: Callable[..., Any], error: type, match: str) -> None:
    with pytest.raises(error, match=match):
        optim.SGD(params(param(2), param(2, seed=1)), lr=0.1)


def test_duplicate_parameter_warns() -> None:
    a = param(2)
    with pytest.warns(UserWarning, match="duplicate"):
        optim.SGD([a, a], lr=0.1)


@pytest.mark.parametrize(
    ("cls", "kwargs", "match"),
    [
        (optim.SGD, {"lr": -0.1}, "learning rate"),
        (optim.SGD, {"momentum": -0.5}, "momentum"),
        (optim.SGD, {"weight_decay": -1e-4}, "weight_decay"),
        (optim.SGD, {"nesterov": True}, "Nesterov"),
        (optim.SGD, {"nesterov": True, "momentum": 0.9, "dampening": 0.1}, "Nesterov"),
        (optim.Adagrad, {"lr_decay": -1.0}, "lr_decay"),
        (optim.Adagrad, {"initial_accumulator_value": -1.0}, "initial_accumulator_value"),
        (optim.Adagrad, {"eps": -1e-10}, "epsilon"),
        (optim.RMSprop, {"alpha": -0.1}, "alpha"),
        (optim.RMSprop, {"lr": float("nan")}, "learning rate"),
        (optim.Adam, {"betas": (1.0, 0.999)}, "beta parameter at index 0"),
        (optim.Adam, {"betas": (0.9, -0.1)}, "beta parameter at index 1"),
        (optim.Adam, {"eps": -1.0}, "epsilon"),
        (optim.AdamW, {"weight_decay": -0.01}, "weight_decay"),
    ],
)
def test_invalid_arguments_raise_like_torch(cls: Any, kwargs: dict[str, Any], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        cls([param(2)], **kwargs)
    with pytest.raises(ValueError):
        getattr(torch.optim, cls.__name__)([torch.nn.Parameter(torch.zeros(2))], **kwargs)


# ----------------------------------------------------------------------- stepping
@pytest.mark.parametrize("set_to_none", [True, False])
def test_zero_grad(set_to_none: bool) -> None:
    params = [param(2), param(3)]
    opt = optim.SGD(params, lr=0.1)
    set_grads(params)
    grad = params[0].grad
    opt.zero_grad(set_to_none=set_to_none)
    if set_to_none:
        assert all(p.grad is None for p in params)
    else:
        assert params[0].grad is grad  # the same array, zeroed in place
        assert all(np.all(p.grad._data == 0) for p in params if p.grad is not None)


@pytest.mark.parametrize("cls", OPTIMIZERS)
def test_parameters_without_grad_are_skipped(cls: Any) -> None:
    a, b = param(3), param(2, seed=1)
    before = b._data.copy()
    opt = cls([a, b], lr=0.1)
    for seed in range(3):
        set_grads([a], seed)
        opt.step()
    np.testing.assert_array_equal(b._data, before)
    assert b not in opt.state or opt.state[b].keys() <= {"step", "sum"}
    if b in opt.state and "step" in opt.state[b]:
        assert opt.state[b]["step"] == 0  # Adagrad's up-front state, never advanced
    assert not np.array_equal(a._data, param(3)._data)


def test_step_runs_the_closure_with_grad_enabled_and_returns_its_loss() -> None:
    w = Parameter(np.array([3.0, -2.0]))
    opt = optim.SGD([w], lr=0.25)

    def closure() -> gu.Tensor:
        opt.zero_grad()
        loss = (w * w).sum()  # gradient 2w
        loss.backward()
        return loss

    with gu.no_grad():
        loss = opt.step(closure)
    assert float(loss.item()) == 13.0
    np.testing.assert_array_equal(w._data, [1.5, -1.0])  # w - 0.25 * 2w


@pytest.mark.parametrize("cls", OPTIMIZERS)
def test_float32_stays_float32_even_with_numpy_float64_options(cls: Any) -> None:
    params = [param(4, 3, dtype=np.float32), param(3, seed=2, dtype=np.float32)]
    reference = [Parameter(p._data.copy()) for p in params]
    opt, ref_opt = cls(params, lr=0.01), cls(reference, lr=0.01)
    for group in opt.param_groups:  # a schedule computed with NumPy may store np.float64
        group["lr"] = np.float64(group["lr"])
        group["weight_decay"] = np.float64(0.01)
    for group in ref_opt.param_groups:
        group["weight_decay"] = 0.01
    for seed in range(5):
        set_grads(params, seed)
        set_grads(reference, seed)
        opt.step()
        ref_opt.step()
    for p, r in zip(params, reference, strict=True):
        assert p.dtype == np.float32
        assert all(v.dtype == np.float32 for v in opt.state[p].values() if hasattr(v, "dtype"))
        np.testing.assert_array_equal(p._data, r._data)


@pytest.mark.parametrize("cls", OPTIMIZERS)
def test_gradients_are_not_modified(cls: Any) -> None:
    params = [param(3, 2)]
    opt = cls(params, lr=0.1, weight_decay=0.1, maximize=True)
    set_grads(params)
    before = params[0].grad._data.copy()
    opt.step()
    opt.step()
    np.testing.assert_array_equal(params[0].grad._data, before)


def test_update_is_in_place() -> None:
    p = param(3)
    data = p._data
    opt = optim.Adam([p], lr=0.1)
    set_grads([p])
    opt.step()
    exp_avg = opt.state[p]["exp_avg"]
    set_grads([p], seed=2)
    opt.step()
    assert p._data is data
    assert opt.state[p]["exp_avg"] is exp_avg


def test_repr_lists_group_options() -> None:
    text = repr(optim.SGD([param(2)], lr=0.1, momentum=0.9))
    assert text.startswith("SGD (") and "Parameter Group 0" in text and "momentum: 0.9" in text


# ---------------------------------------------- published trajectories (REFERENCES.md)
def quadratic_run(
    grad_fn: Callable[[np.ndarray], np.ndarray],
    start: list[float],
    steps: int,
    make: Callable[[list[Parameter]], Any],
) -> np.ndarray:
    p = Parameter(np.array(start))
    opt = make([p])
    for _ in range(steps):
        p.grad = gu.tensor(grad_fn(p._data))
        opt.step()
    return p._data


def grad_dlfs(x: np.ndarray) -> np.ndarray:  # f = x²/20 + y²
    return np.array([x[0] / 10, 2 * x[1]])


def grad_d2l(x: np.ndarray) -> np.ndarray:  # f = 0.1 x1² + 2 x2²
    return np.array([0.2 * x[0], 4 * x[1]])


@pytest.mark.parametrize(
    ("grad_fn", "start", "steps", "make", "published", "atol"),
    [
        (grad_dlfs, [-7, 2], 30, lambda p: optim.SGD(p, lr=0.95), [-0.350, 0.085], 5e-4),
        (
            grad_dlfs,
            [-7, 2],
            30,
            lambda p: optim.SGD(p, lr=0.1, momentum=0.9),
            [0.896, 0.088],
            5e-4,
        ),
        (grad_dlfs, [-7, 2], 30, lambda p: optim.Adagrad(p, lr=1.5, eps=1e-7), [-0.120, 0.0], 5e-4),
        (grad_dlfs, [-7, 2], 30, lambda p: optim.Adam(p, lr=0.3, eps=1e-7), [0.136, 0.318], 5e-4),
        (grad_d2l, [-5, -2], 20, lambda p: optim.SGD(p, lr=0.4), [-0.943, -7e-5], [5e-4, 5e-6]),
        (grad_d2l, [-5, -2], 20, lambda p: optim.SGD(p, lr=0.6), [-0.388, -1673], [5e-3, 0.5]),
        (
            grad_d2l,
            [-5, -2],
            20,
            lambda p: optim.SGD(p, lr=0.6, momentum=0.5),
            [0.0072, 0.0026],
            5e-5,
        ),
        (
            grad_d2l,
            [-5, -2],
            20,
            lambda p: optim.Adagrad(p, lr=0.4, eps=1e-6),
            [-2.38, -0.159],
            [5e-3, 5e-4],
        ),
        (grad_d2l, [-5, -2], 20, lambda p: optim.Adagrad(p, lr=2, eps=1e-6), [-0.0023, 0.0], 5e-5),
        (
            grad_d2l,
            [-5, -2],
            20,
            lambda p: optim.RMSprop(p, lr=0.4, alpha=0.9, eps=1e-6),
            [-0.0106, 0.0],
            5e-5,
        ),
    ],
    ids=[
        "dlfs-sgd",
        "dlfs-momentum",
        "dlfs-adagrad",
        "dlfs-adam",
        "d2l-gd",
        "d2l-gd-diverges",
        "d2l-momentum",
        "d2l-adagrad",
        "d2l-adagrad-lr2",
        "d2l-rmsprop",
    ],
)
def test_reproduces_published_quadratic_trajectories(
    grad_fn: Callable[[np.ndarray], np.ndarray],
    start: list[float],
    steps: int,
    make: Callable[[list[Parameter]], Any],
    published: list[float],
    atol: Any,
) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        final = quadratic_run(grad_fn, [float(s) for s in start], steps, make)
    error = np.abs(final - np.array(published))
    assert np.all(error <= np.array(atol)), f"{final} != published {published}"

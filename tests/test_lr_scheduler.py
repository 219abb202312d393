"""Every learning-rate schedule equals torch.optim.lr_scheduler over 60 steps, for two
parameter groups with different lrs; state_dict resumes a schedule exactly."""

from __future__ import annotations

import json
import math
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
import torch

from groundup import optim
from groundup.nn import Parameter
from groundup.optim import lr_scheduler

N_STEPS = 60
LRS = (0.1, 0.03)


def warmup_factor(warmup: int) -> Callable[[int], float]:
    """The same schedule written as a LambdaLR multiplier of the 0-based epoch."""
    return lambda epoch: min((epoch + 1) / warmup, math.sqrt(warmup / (epoch + 1)))


# (groundup scheduler, torch scheduler, kwargs shared by both)
CASES: list[tuple[str, Any, Any, dict[str, Any]]] = [
    ("StepLR", lr_scheduler.StepLR, torch.optim.lr_scheduler.StepLR, {"step_size": 7}),
    (
        "StepLR-gamma",
        lr_scheduler.StepLR,
        torch.optim.lr_scheduler.StepLR,
        {"step_size": 3, "gamma": 0.7},
    ),
    (
        "ExponentialLR",
        lr_scheduler.ExponentialLR,
        torch.optim.lr_scheduler.ExponentialLR,
        {"gamma": 0.93},
    ),
    (
        "Cosine",
        lr_scheduler.CosineAnnealingLR,
        torch.optim.lr_scheduler.CosineAnnealingLR,
        {"T_max": 50},
    ),
    # T_max < N_STEPS: the schedule passes its minimum and climbs back, twice
    (
        "Cosine-cycles",
        lr_scheduler.CosineAnnealingLR,
        torch.optim.lr_scheduler.CosineAnnealingLR,
        {"T_max": 12, "eta_min": 0.005},
    ),
    (
        "LambdaLR",
        lr_scheduler.LambdaLR,
        torch.optim.lr_scheduler.LambdaLR,
        {"lr_lambda": lambda e: 1 / (1 + 0.1 * e)},
    ),
    (
        "LambdaLR-per-group",
        lr_scheduler.LambdaLR,
        torch.optim.lr_scheduler.LambdaLR,
        {"lr_lambda": [lambda e: 0.95**e, lambda e: 1.0 + (e % 5)]},
    ),
]


def groundup_optimizer() -> optim.SGD:
    a, b = Parameter(np.zeros(2)), Parameter(np.zeros(3))
    return optim.SGD([{"params": [a], "lr": LRS[0]}, {"params": [b], "lr": LRS[1]}], momentum=0.9)


def torch_optimizer() -> torch.optim.SGD:
    a, b = torch.nn.Parameter(torch.zeros(2)), torch.nn.Parameter(torch.zeros(3))
    return torch.optim.SGD(
        [{"params": [a], "lr": LRS[0]}, {"params": [b], "lr": LRS[1]}], momentum=0.9
    )


def lr_sequence(opt: Any, sched: Any, n_steps: int) -> list[list[float]]:
    """The lrs in force at each optimizer step, and what get_last_lr() reports."""
    out = []
    for _ in range(n_steps):
        lrs = [g["lr"] for g in opt.param_groups]
        assert sched.get_last_lr() == lrs
        out.append(lrs)
        opt.step()
        sched.step()
    return out


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_schedule_matches_torch(case: tuple[str, Any, Any, dict[str, Any]]) -> None:
    _, ours, theirs, kwargs = case
    gopt, topt = groundup_optimizer(), torch_optimizer()
    gsched, tsched = ours(gopt, **kwargs), theirs(topt, **kwargs)
    got, expected = lr_sequence(gopt, gsched, N_STEPS), lr_sequence(topt, tsched, N_STEPS)
    np.testing.assert_allclose(got, expected, rtol=1e-13, atol=0)
    assert len({round(lr, 12) for lr, _ in got}) > 3, "the schedule should change the lr"
    assert gsched.last_epoch == tsched.last_epoch == N_STEPS
    assert [g["initial_lr"] for g in gopt.param_groups] == list(LRS)
    assert gsched.base_lrs == tsched.base_lrs


def test_cosine_recursive_form_tracks_the_closed_form() -> None:
    opt = groundup_optimizer()
    sched = lr_scheduler.CosineAnnealingLR(opt, T_max=20, eta_min=0.001)
    got = lr_sequence(opt, sched, 41)
    for t, (lr, _) in enumerate(got):
        closed = 0.001 + (LRS[0] - 0.001) * (1 + math.cos(math.pi * t / 20)) / 2
        assert lr == pytest.approx(closed, rel=1e-12, abs=1e-15)
    assert got[20][0] == pytest.approx(0.001) and got[40][0] == pytest.approx(LRS[0])


@pytest.mark.parametrize("warmup", [1, 4, 10])
def test_warmup_inverse_sqrt_matches_torch_lambda_lr(warmup: int) -> None:
    gopt, topt = groundup_optimizer(), torch_optimizer()
    gsched = lr_scheduler.WarmupInverseSqrtLR(gopt, warmup_steps=warmup)
    tsched = torch.optim.lr_scheduler.LambdaLR(topt, warmup_factor(warmup))
    got, expected = lr_sequence(gopt, gsched, N_STEPS), lr_sequence(topt, tsched, N_STEPS)
    assert got == expected
    peak = int(np.argmax([lr for lr, _ in got]))
    assert peak == warmup - 1 and got[peak] == list(LRS)  # base lr at step s = warmup


def test_warmup_inverse_sqrt_is_the_transformer_schedule() -> None:
    """lr = d_model^-0.5 · min(s^-0.5, s · w^-1.5) with base_lr = (d_model · w)^-0.5."""
    d_model, warmup = 512, 4000
    p = Parameter(np.zeros(1))
    opt = optim.Adam([p], lr=(d_model * warmup) ** -0.5)
    sched = lr_scheduler.WarmupInverseSqrtLR(opt, warmup)
    for s in range(1, 12001):
        if s in (1, 100, 3999, 4000, 4001, 12000):
            paper = d_model**-0.5 * min(s**-0.5, s * warmup**-1.5)
            assert opt.param_groups[0]["lr"] == pytest.approx(paper, rel=1e-12)
        opt.step()
        sched.step()


@pytest.mark.parametrize("case", CASES[:5], ids=[c[0] for c in CASES[:5]])
def test_state_dict_resumes_exactly(case: tuple[str, Any, Any, dict[str, Any]]) -> None:
    _, ours, _, kwargs = case
    opt = groundup_optimizer()
    sched = ours(opt, **kwargs)
    uninterrupted = lr_sequence(opt, sched, N_STEPS)

    opt1 = groundup_optimizer()
    sched1 = ours(opt1, **kwargs)
    first = lr_sequence(opt1, sched1, 25)
    opt_state = opt1.state_dict()
    sched_state = json.loads(json.dumps(sched1.state_dict()))  # plain values only
    assert sched_state["last_epoch"] == 25

    opt2 = groundup_optimizer()
    sched2 = ours(opt2, **kwargs)  # build first: it would overwrite the loaded lrs
    opt2.load_state_dict(opt_state)
    sched2.load_state_dict(sched_state)
    assert first + lr_sequence(opt2, sched2, N_STEPS - 25) == uninterrupted


def test_lambda_lr_state_dict_leaves_functions_out_like_torch() -> None:
    class Halve:
        def __init__(self) -> None:
            self.base = 0.5

        def __call__(self, epoch: int) -> float:
            return self.base**epoch

    opt, topt = groundup_optimizer(), torch_optimizer()
    fn = Halve()
    sched = lr_scheduler.LambdaLR(opt, [lambda e: 1.0, fn])
    tsched = torch.optim.lr_scheduler.LambdaLR(topt, [lambda e: 1.0, Halve()])
    state, tstate = sched.state_dict(), tsched.state_dict()
    assert state["lr_lambdas"] == tstate["lr_lambdas"] == [None, {"base": 0.5}]
    assert set(state) <= set(tstate)
    json.dumps(state)
    state["lr_lambdas"][1]["base"] = 0.25
    state["last_epoch"] = 3
    sched.load_state_dict(state)
    assert fn.base == 0.25 and sched.last_epoch == 3
    assert state["lr_lambdas"] == [None, {"base": 0.25}]  # the argument is left intact


def test_scheduler_state_dict_keys_match_torch() -> None:
    sched = lr_scheduler.StepLR(groundup_optimizer(), step_size=3)
    tsched = torch.optim.lr_scheduler.StepLR(torch_optimizer(), step_size=3)
    state, tstate = sched.state_dict(), tsched.state_dict()
    assert set(state) == set(tstate) - {"_get_lr_called_within_step"}
    for key in ("base_lrs", "last_epoch", "_step_count", "_last_lr", "step_size", "gamma"):
        assert state[key] == tstate[key], key


def test_resuming_with_last_epoch_needs_initial_lr() -> None:
    with pytest.raises(KeyError, match="initial_lr"):
        lr_scheduler.ExponentialLR(groundup_optimizer(), gamma=0.9, last_epoch=5)


def test_rejects_non_optimizers_and_bad_arguments() -> None:
    with pytest.raises(TypeError, match="is not an Optimizer"):
        lr_scheduler.StepLR(object(), step_size=2)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="Expected 2 lr_lambdas"):
        lr_scheduler.LambdaLR(groundup_optimizer(), [lambda e: 1.0])
    with pytest.raises(ValueError, match="warmup_steps"):
        lr_scheduler.WarmupInverseSqrtLR(groundup_optimizer(), warmup_steps=0)


def test_warns_when_stepped_before_the_optimizer() -> None:
    opt = groundup_optimizer()
    sched = lr_scheduler.StepLR(opt, step_size=2)
    with pytest.warns(UserWarning, match="before `optimizer.step\\(\\)`"):
        sched.step()
    opt2 = groundup_optimizer()
    sched2 = lr_scheduler.StepLR(opt2, step_size=2)
    opt2.step()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        sched2.step()

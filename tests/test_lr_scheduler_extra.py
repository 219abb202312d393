"""The cyclic, warmup, metric-driven and composite schedules equal
torch.optim.lr_scheduler step for step: the lr of every group (and the cycled momentum or
β1) over many steps, step(epoch) jumps, state_dict resume and the argument errors."""

from __future__ import annotations

import json
import math
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
import torch

import groundup as gu
from groundup import optim
from groundup.nn import Parameter
from groundup.optim import lr_scheduler as gsched

tsched = torch.optim.lr_scheduler
LRS = (0.1, 0.03)


def make_optimizers(kind: str = "SGD", **kwargs: Any) -> tuple[Any, Any]:
    """The same two-group optimizer in groundup and in torch."""
    ga, gb = Parameter(np.zeros(2)), Parameter(np.zeros(3))
    ta, tb = torch.nn.Parameter(torch.zeros(2)), torch.nn.Parameter(torch.zeros(3))
    kwargs = {"momentum": 0.9, **kwargs} if kind == "SGD" else kwargs
    gopt = getattr(optim, kind)(
        [{"params": [ga], "lr": LRS[0]}, {"params": [gb], "lr": LRS[1]}], **kwargs
    )
    topt = getattr(torch.optim, kind)(
        [{"params": [ta], "lr": LRS[0]}, {"params": [tb], "lr": LRS[1]}], **kwargs
    )
    return gopt, topt


def momenta(opt: Any) -> list[float]:
    return [g["betas"][0] if "betas" in g else g.get("momentum", 0.0) for g in opt.param_groups]


def trace(opt: Any, sched: Any, n_steps: int, metrics: list[float] | None = None) -> np.ndarray:
    """Per step: the lrs and momenta in force, checked against get_last_lr()."""
    rows = []
    for i in range(n_steps):
        lrs = [g["lr"] for g in opt.param_groups]
        assert sched.get_last_lr() == lrs
        rows.append(lrs + momenta(opt))
        opt.step()
        if metrics is None:
            sched.step()
        else:
            sched.step(metrics[i])
    return np.array(rows)


Build = Callable[[Any, Any], Any]  # (scheduler module, optimizer) -> scheduler

# name, builder (called with groundup's or torch's module), optimizer kind, steps
CASES: list[tuple[str, Build, str, int]] = [
    ("MultiStepLR", lambda m, o: m.MultiStepLR(o, [3, 8, 8, 20], gamma=0.5), "SGD", 30),
    ("MultiplicativeLR", lambda m, o: m.MultiplicativeLR(o, lambda e: 0.9 + 0.01 * (e % 3)),
     "SGD", 30),
    ("MultiplicativeLR-per-group",
     lambda m, o: m.MultiplicativeLR(o, [lambda e: 0.95, lambda e: 1.02]), "SGD", 20),
    ("LinearLR-warmup", lambda m, o: m.LinearLR(o, start_factor=0.1, total_iters=8), "SGD", 20),
    ("LinearLR-decay", lambda m, o: m.LinearLR(o, 1.0, 0.05, total_iters=12), "SGD", 20),
    ("ConstantLR", lambda m, o: m.ConstantLR(o, factor=0.25, total_iters=4), "SGD", 12),
    ("PolynomialLR", lambda m, o: m.PolynomialLR(o, total_iters=15, power=2.0), "SGD", 25),
    ("WarmRestarts", lambda m, o: m.CosineAnnealingWarmRestarts(o, T_0=5), "SGD", 40),
    ("WarmRestarts-mult",
     lambda m, o: m.CosineAnnealingWarmRestarts(o, T_0=3, T_mult=2, eta_min=0.001), "SGD", 50),
    ("OneCycle-cos-SGD", lambda m, o: m.OneCycleLR(o, max_lr=1.0, total_steps=40), "SGD", 40),
    ("OneCycle-linear-Adam",
     lambda m, o: m.OneCycleLR(o, [0.5, 0.2], epochs=4, steps_per_epoch=9,
                               anneal_strategy="linear", pct_start=0.25), "Adam", 36),
    ("OneCycle-three-phase",
     lambda m, o: m.OneCycleLR(o, 0.4, total_steps=50, three_phase=True, div_factor=10.0,
                               base_momentum=0.8, max_momentum=[0.9, 0.99]), "SGD", 50),
    ("OneCycle-no-momentum",
     lambda m, o: m.OneCycleLR(o, 0.4, total_steps=20, cycle_momentum=False), "Adagrad", 20),
    ("Cyclic-triangular", lambda m, o: m.CyclicLR(o, 0.01, 0.1, step_size_up=5), "SGD", 40),
    ("Cyclic-triangular2",
     lambda m, o: m.CyclicLR(o, [0.01, 0.002], 0.1, step_size_up=3, step_size_down=6,
                             mode="triangular2"), "SGD", 45),
    ("Cyclic-exp-range-Adam",
     lambda m, o: m.CyclicLR(o, 0.001, 0.01, step_size_up=4, mode="exp_range", gamma=0.97,
                             base_momentum=0.7, max_momentum=0.95), "Adam", 40),
    ("Cyclic-scale-fn",
     lambda m, o: m.CyclicLR(o, 0.01, 0.1, step_size_up=4, scale_fn=lambda x: 1 / (1 + x),
                             scale_mode="iterations", cycle_momentum=False), "SGD", 30),
    ("Sequential-warmup-cosine",
     lambda m, o: m.SequentialLR(o, [m.LinearLR(o, 0.1, total_iters=5),
                                     m.CosineAnnealingLR(o, T_max=20)], milestones=[5]),
     "SGD", 30),
    ("Sequential-three",
     lambda m, o: m.SequentialLR(o, [m.ConstantLR(o, 0.5, total_iters=3),
                                     m.ExponentialLR(o, 0.9), m.StepLR(o, 4, 0.5)], [6, 14]),
     "SGD", 30),
    ("Sequential-restarts",
     lambda m, o: m.SequentialLR(o, [m.LambdaLR(o, lambda e: (e + 1) / 4),
                                     m.CosineAnnealingWarmRestarts(o, T_0=6)], [4]), "SGD", 30),
    ("Chained-constant-exponential",
     lambda m, o: m.ChainedScheduler([m.ConstantLR(o, 0.1, total_iters=4),
                                      m.ExponentialLR(o, 0.9)]), "SGD", 20),
    ("Chained-linear-multistep-cyclic",
     lambda m, o: m.ChainedScheduler([m.LinearLR(o, 0.2, total_iters=6),
                                      m.MultiStepLR(o, [10, 15])], optimizer=o), "SGD", 25),
    ("Chained-of-sequential",
     lambda m, o: m.ChainedScheduler([
         m.SequentialLR(o, [m.LinearLR(o, 0.5, total_iters=3), m.ExponentialLR(o, 0.95)], [3]),
         m.MultiplicativeLR(o, lambda e: 0.99)]), "SGD", 20),
]


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_schedule_matches_torch(case: tuple[str, Build, str, int]) -> None:
    _, build, kind, n = case
    gopt, topt = make_optimizers(kind)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch warns about a few composite set-ups
        gs, ts = build(gsched, gopt), build(tsched, topt)
    got, expected = trace(gopt, gs, n), trace(topt, ts, n)
    np.testing.assert_allclose(got, expected, rtol=1e-13, atol=1e-15)
    assert len(np.unique(got[:, 0].round(12))) > 1, "the schedule should change the lr"
    assert [g.get("initial_lr") for g in gopt.param_groups] == [
        g.get("initial_lr") for g in topt.param_groups
    ]
    assert getattr(gs, "last_epoch", None) == getattr(ts, "last_epoch", None)


def test_momentum_is_cycled_opposite_to_the_lr() -> None:
    gopt, _ = make_optimizers("SGD")
    sched = gsched.OneCycleLR(gopt, max_lr=1.0, total_steps=30)
    rows = trace(gopt, sched, 30)
    peak = int(np.argmax(rows[:, 0]))
    assert peak == 8  # pct_start 0.3 of 30 steps: the phase ends at step 0.3 * 30 - 1
    assert rows[peak, 2] == pytest.approx(0.85) and rows[0, 2] == pytest.approx(0.95)
    assert rows[0, 0] == pytest.approx(1.0 / 25) and rows[-1, 0] < 1e-4
    adam, _ = make_optimizers("Adam", betas=(0.5, 0.77))
    gsched.CyclicLR(adam, 0.001, 0.01, step_size_up=4)
    assert adam.param_groups[0]["betas"] == (0.9, 0.77)  # β2 untouched
    assert adam.param_groups[1]["max_momentum"] == 0.9
    assert adam.param_groups[1]["base_momentum"] == 0.8


@pytest.mark.parametrize(
    ("T_0", "T_mult"), [(4, 1), (3, 2), (2, 3)], ids=["mult1", "mult2", "mult3"]
)
def test_warm_restarts_with_fractional_epochs(T_0: int, T_mult: int) -> None:
    gopt, topt = make_optimizers()
    gs = gsched.CosineAnnealingWarmRestarts(gopt, T_0, T_mult, eta_min=0.002)
    ts = tsched.CosineAnnealingWarmRestarts(topt, T_0, T_mult, eta_min=0.002)
    iters = 5
    epochs = [e + i / iters for e in range(20) for i in range(iters)] + [3.0, 0.5, 17.25]
    got, expected = [], []
    for epoch in epochs:
        gs.step(epoch)
        ts.step(epoch)
        got.append(gs.get_last_lr() + [gs.T_cur, gs.T_i, gs.last_epoch])
        expected.append(ts.get_last_lr() + [ts.T_cur, ts.T_i, ts.last_epoch])
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-15)
    with pytest.raises(ValueError, match="non-negative epoch"):
        gs.step(-1)


@pytest.mark.parametrize(
    "build",
    [
        lambda m, o: m.MultiStepLR(o, [2, 5, 5, 9], gamma=0.3),
        lambda m, o: m.LinearLR(o, 0.2, 0.9, total_iters=7),
        lambda m, o: m.ConstantLR(o, 0.3, total_iters=6),
        lambda m, o: m.PolynomialLR(o, total_iters=8, power=1.5),
        lambda m, o: m.StepLR(o, 3, 0.5),
        lambda m, o: m.ExponentialLR(o, 0.8),
        lambda m, o: m.CosineAnnealingLR(o, 10, 0.01),
        lambda m, o: m.MultiplicativeLR(o, lambda e: 0.9),  # no closed form: recursive
    ],
    ids=["multistep", "linear", "constant", "polynomial", "step", "exp", "cosine", "mult"],
)
def test_step_with_epoch_uses_the_closed_form(build: Build) -> None:
    gopt, topt = make_optimizers()
    gs, ts = build(gsched, gopt), build(tsched, topt)
    gopt.step()
    topt.step()
    for epoch in [1, 4, 2, 9, 9, 12, 0, 6]:
        with pytest.warns(UserWarning, match="deprecated"):
            gs.step(epoch)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ts.step(epoch)
        assert gs.last_epoch == ts.last_epoch == epoch
        np.testing.assert_allclose(gs.get_last_lr(), ts.get_last_lr(), rtol=1e-13)


# ---------------------------------------------------------------- ReduceLROnPlateau
METRICS = [1.0, 0.9, 0.9, 0.91, 0.9, 0.9, 0.89995, 0.9, 0.95, 0.8, 0.8, 0.8, 0.8] * 4


@pytest.mark.parametrize(
    "kwargs",
    [
        {"patience": 2},
        {"patience": 1, "factor": 0.5, "cooldown": 2},
        {"patience": 0, "threshold": 0.05, "threshold_mode": "abs", "min_lr": [0.01, 0.02]},
        {"mode": "max", "patience": 1, "factor": 0.3, "min_lr": 1e-3},
        {"mode": "max", "threshold_mode": "abs", "patience": 2, "eps": 0.02},
    ],
    ids=["min-rel", "cooldown", "abs-min-lr", "max-rel", "max-abs-eps"],
)
def test_reduce_on_plateau_matches_torch(kwargs: dict[str, Any]) -> None:
    gopt, topt = make_optimizers()
    gs = gsched.ReduceLROnPlateau(gopt, **kwargs)
    ts = tsched.ReduceLROnPlateau(topt, **kwargs)
    metrics = METRICS if kwargs.get("mode") != "max" else [-m for m in METRICS]
    got = trace(gopt, gs, len(metrics), metrics)
    expected = trace(topt, ts, len(metrics), metrics)
    np.testing.assert_allclose(got, expected, rtol=1e-13)
    assert len(np.unique(got[:, 0])) > 1, "the metrics should trigger a reduction"
    for key in ("best", "num_bad_epochs", "cooldown_counter", "last_epoch", "min_lrs"):
        assert getattr(gs, key) == getattr(ts, key), key


def test_reduce_on_plateau_accepts_tensor_metrics_and_counts_epochs() -> None:
    gopt, _ = make_optimizers()
    sched = gsched.ReduceLROnPlateau(gopt, patience=0)
    sched.step(0.1)
    sched.step(gu.tensor(1.0))  # worse than 0.1: one bad epoch > patience 0
    assert sched.get_last_lr() == pytest.approx([0.01, 0.003])
    assert sched.last_epoch == 2
    with pytest.warns(UserWarning, match="deprecated"):
        sched.step(0.5, epoch=7)
    assert sched.last_epoch == 7


# ---------------------------------------------------------------------- state dicts
RESUME_CASES = [c for c in CASES if c[0].split("-")[0] in {
    "MultiStepLR", "WarmRestarts", "OneCycle", "Cyclic", "Sequential", "Chained", "LinearLR",
    "PolynomialLR",
}]


@pytest.mark.parametrize("case", RESUME_CASES, ids=[c[0] for c in RESUME_CASES])
def test_state_dict_resumes_exactly(case: tuple[str, Build, str, int]) -> None:
    _, build, kind, n = case
    opt, _ = make_optimizers(kind)
    uninterrupted = trace(opt, build(gsched, opt), n)
    half = n // 2

    opt1, _ = make_optimizers(kind)
    sched1 = build(gsched, opt1)
    first = trace(opt1, sched1, half)
    opt_state = opt1.state_dict()
    sched_state = json.loads(json.dumps(sched1.state_dict()))  # plain values only

    opt2, _ = make_optimizers(kind)
    sched2 = build(gsched, opt2)  # build first: it overwrites the loaded lrs
    opt2.load_state_dict(opt_state)
    sched2.load_state_dict(sched_state)
    resumed = np.concatenate([first, trace(opt2, sched2, n - half)])
    np.testing.assert_allclose(resumed, uninterrupted, rtol=0, atol=1e-15)


def test_reduce_on_plateau_state_dict_resumes() -> None:
    opt, _ = make_optimizers()
    uninterrupted = trace(opt, gsched.ReduceLROnPlateau(opt, patience=1), 26, METRICS)
    opt1, _ = make_optimizers()
    sched1 = gsched.ReduceLROnPlateau(opt1, patience=1)
    first = trace(opt1, sched1, 13, METRICS)
    state = json.loads(json.dumps(sched1.state_dict()))  # best may be inf: JSON's Infinity
    opt2, _ = make_optimizers()
    opt2.load_state_dict(opt1.state_dict())
    sched2 = gsched.ReduceLROnPlateau(opt2, patience=1)
    sched2.load_state_dict(state)
    rest = trace(opt2, sched2, 13, METRICS[13:])
    np.testing.assert_array_equal(np.concatenate([first, rest]), uninterrupted)


@pytest.mark.parametrize(
    "build",
    [
        lambda m, o: m.MultiStepLR(o, [3, 3]),
        lambda m, o: m.LinearLR(o),
        lambda m, o: m.CosineAnnealingWarmRestarts(o, 4, 2),
        lambda m, o: m.OneCycleLR(o, 0.5, total_steps=10),
        lambda m, o: m.CyclicLR(o, 0.01, 0.1),
        lambda m, o: m.ReduceLROnPlateau(o),
        lambda m, o: m.SequentialLR(o, [m.ConstantLR(o), m.ExponentialLR(o, 0.9)], [2]),
        lambda m, o: m.ChainedScheduler([m.ConstantLR(o), m.ExponentialLR(o, 0.9)]),
    ],
    ids=["multistep", "linear", "restarts", "onecycle", "cyclic", "plateau", "seq", "chained"],
)
def test_state_dict_keys_and_values_match_torch(build: Build) -> None:
    gopt, topt = make_optimizers()
    gs, ts = build(gsched, gopt), build(tsched, topt)
    state, tstate = gs.state_dict(), ts.state_dict()
    torch_only = {"_get_lr_called_within_step", "_scale_fn_ref"}
    assert set(state) == set(tstate) - torch_only
    json.dumps(state)
    for key, value in tstate.items():
        if key in torch_only:
            continue
        if key == "_schedulers":
            assert [set(s) for s in state[key]] == [set(s) - torch_only for s in value]
        else:
            assert state[key] == value, key


def test_cyclic_state_dict_keeps_a_callable_scale_fn_object() -> None:
    class Decay:
        def __init__(self) -> None:
            self.rate = 0.5

        def __call__(self, x: float) -> float:
            return self.rate**x

    opt, _ = make_optimizers()
    fn = Decay()
    sched = gsched.CyclicLR(opt, 0.01, 0.1, scale_fn=fn)
    state = sched.state_dict()
    assert state["_scale_fn_custom"] == {"rate": 0.5}
    state["_scale_fn_custom"]["rate"] = 0.25
    sched.load_state_dict(state)
    assert fn.rate == 0.25 and sched.scale_mode == "cycle"
    assert gsched.CyclicLR(opt, 0.01, 0.1, scale_fn=lambda x: 1.0).state_dict()[
        "_scale_fn_custom"
    ] is None


# --------------------------------------------------------------------------- errors
BAD: list[tuple[str, Build, str]] = [
    ("constant-factor", lambda m, o: m.ConstantLR(o, factor=1.5), "factor"),
    ("linear-start", lambda m, o: m.LinearLR(o, start_factor=0), "tart"),
    ("linear-end", lambda m, o: m.LinearLR(o, end_factor=1.5), "nding|end_factor"),
    ("mult-not-callable", lambda m, o: m.MultiplicativeLR(o, 3), "function"),
    ("lambdas-count", lambda m, o: m.MultiplicativeLR(o, [lambda e: 1.0]), "Expected 2"),
    ("restarts-T0", lambda m, o: m.CosineAnnealingWarmRestarts(o, 0), "T_0"),
    ("restarts-Tmult", lambda m, o: m.CosineAnnealingWarmRestarts(o, 2, T_mult=0), "T_mult"),
    ("restarts-float", lambda m, o: m.CosineAnnealingWarmRestarts(o, 2.0), "T_0"),
    ("onecycle-no-steps", lambda m, o: m.OneCycleLR(o, 0.1), "total_steps"),
    ("onecycle-steps", lambda m, o: m.OneCycleLR(o, 0.1, total_steps=0), "total_steps"),
    ("onecycle-epochs", lambda m, o: m.OneCycleLR(o, 0.1, epochs=0, steps_per_epoch=3),
     "epochs"),
    ("onecycle-pct", lambda m, o: m.OneCycleLR(o, 0.1, total_steps=9, pct_start=1), "pct_start"),
    ("onecycle-anneal", lambda m, o: m.OneCycleLR(o, 0.1, 9, anneal_strategy="exp"),
     "anneal_strategy"),
    ("onecycle-lrs", lambda m, o: m.OneCycleLR(o, [0.1], total_steps=9), "max_lr"),
    ("cyclic-mode", lambda m, o: m.CyclicLR(o, 0.01, 0.1, mode="sine"), "mode"),
    ("cyclic-momenta", lambda m, o: m.CyclicLR(o, 0.01, 0.1, max_momentum=[0.9]),
     "max_momentum"),
    ("plateau-factor", lambda m, o: m.ReduceLROnPlateau(o, factor=1.0), "actor"),
    ("plateau-mode", lambda m, o: m.ReduceLROnPlateau(o, mode="avg"), "mode"),
    ("plateau-threshold-mode",
     lambda m, o: m.ReduceLROnPlateau(o, threshold_mode="pct"), "threshold mode"),
    ("plateau-min-lrs", lambda m, o: m.ReduceLROnPlateau(o, min_lr=[0.1]), "min_lrs"),
    ("sequential-empty", lambda m, o: m.SequentialLR(o, [], []), "at least one"),
    ("sequential-milestones",
     lambda m, o: m.SequentialLR(o, [m.ConstantLR(o), m.ExponentialLR(o, 0.9)], [1, 2]),
     "milestone"),
    ("sequential-plateau",
     lambda m, o: m.SequentialLR(o, [m.ReduceLROnPlateau(o)], []), "ReduceLROnPlateau"),
    ("sequential-not-scheduler", lambda m, o: m.SequentialLR(o, [object()], []), "optimizer"),
    ("chained-empty", lambda m, o: m.ChainedScheduler([]), "at least one"),
    ("chained-plateau",
     lambda m, o: m.ChainedScheduler([m.ReduceLROnPlateau(o)], o), "ReduceLROnPlateau"),
    ("not-an-optimizer", lambda m, o: m.OneCycleLR(object(), 0.1, 5), "not an Optimizer"),
]


@pytest.mark.parametrize("case", BAD, ids=[c[0] for c in BAD])
def test_bad_arguments_raise_torchs_exception(case: tuple[str, Build, str]) -> None:
    _, build, match = case
    gopt, topt = make_optimizers()
    with pytest.raises(Exception) as expected:
        build(tsched, topt)
    with pytest.raises(expected.type, match=match):
        build(gsched, gopt)


def test_composites_refuse_another_optimizers_scheduler() -> None:
    g1, _ = make_optimizers()
    g2, _ = make_optimizers()
    t1, t2 = make_optimizers()[1], make_optimizers()[1]
    for m, a, b in ((gsched, g1, g2), (tsched, t1, t2)):
        with pytest.raises(ValueError, match="same optimizer"):
            m.SequentialLR(a, [m.ConstantLR(a), m.ExponentialLR(b, 0.9)], [2])
        with pytest.raises(ValueError, match="same optimizer"):
            m.ChainedScheduler([m.ConstantLR(a), m.ExponentialLR(b, 0.9)])


def test_one_cycle_refuses_to_step_past_total_steps_like_torch() -> None:
    gopt, topt = make_optimizers()
    gs = gsched.OneCycleLR(gopt, 0.1, total_steps=3)
    ts = tsched.OneCycleLR(topt, 0.1, total_steps=3)
    for s in (gs, ts):
        s.optimizer.step()
        s.step()
        s.step()
        s.step()  # step 3 of 3 is the last one allowed (the final lr)
        with pytest.raises(ValueError, match="Tried to step 4 times"):
            s.step()
    assert gs.last_epoch == ts.last_epoch == 4


def test_cycle_momentum_needs_a_momentum() -> None:
    gopt, topt = make_optimizers("Adagrad")
    for m, opt in ((gsched, gopt), (tsched, topt)):
        with pytest.raises(ValueError, match="momentum or beta1"):
            m.CyclicLR(opt, 0.01, 0.1)
        with pytest.raises(ValueError, match="momentum or beta1"):
            m.OneCycleLR(opt, 0.1, total_steps=5)
        m.OneCycleLR(opt, 0.1, total_steps=5, cycle_momentum=False)


def test_linear_warmup_closed_form_and_recursion_agree() -> None:
    opt, _ = make_optimizers()
    sched = gsched.LinearLR(opt, start_factor=0.25, end_factor=1.0, total_iters=6)
    rows = trace(opt, sched, 10)
    for t, lr in enumerate(rows[:, 0]):
        assert lr == pytest.approx(LRS[0] * (0.25 + 0.75 * min(t, 6) / 6), rel=1e-13)
    assert math.isclose(rows[-1, 1], LRS[1])

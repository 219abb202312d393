"""Focused checks behind the initialization, activation, gradient and optimizer experiments.

Every experiment's claims are asserted at quick size by `test_lab_registry.py`; here the
published numbers they reproduce are checked against the optimizers directly, and against
torch where torch runs the same update."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from groundup import nn
from groundup.lab import run
from groundup.lab.experiments import gradient_descent, gradients, optimizers
from groundup.lab.experiments._loops import grad_of, mlp, smooth
from groundup.lab.experiments.activations import _dead_mask
from groundup.nn import functional as F
from groundup.tensor import Tensor

TORCH_VALLEY = {
    "SGD": lambda ps: torch.optim.SGD(ps, lr=0.95),
    "Momentum": lambda ps: torch.optim.SGD(ps, lr=0.1, momentum=0.9),
    "Nesterov": lambda ps: torch.optim.SGD(ps, lr=0.1, momentum=0.9, nesterov=True),
    "AdaGrad": lambda ps: torch.optim.Adagrad(ps, lr=1.5),
    "RMSprop": lambda ps: torch.optim.RMSprop(ps, lr=0.3, alpha=0.99),
    "Adam": lambda ps: torch.optim.Adam(ps, lr=0.3),
}


def _torch_valley_path(name: str) -> np.ndarray:
    p = torch.tensor([-7.0, 2.0], dtype=torch.float64, requires_grad=True)
    scale = torch.tensor(optimizers.VALLEY_SCALE)
    opt = TORCH_VALLEY[name]([p])
    path = [p.detach().numpy().copy()]
    for _ in range(30):
        opt.zero_grad()
        (scale * p * p).sum().backward()
        opt.step()
        path.append(p.detach().numpy().copy())
    return np.array(path)


@pytest.mark.parametrize("name", list(optimizers.VALLEY))
def test_valley_paths_equal_torch(name: str) -> None:
    ours = optimizers._descend(optimizers.VALLEY[name][1], (-7.0, 2.0), optimizers.VALLEY_SCALE, 30)
    np.testing.assert_allclose(ours, _torch_valley_path(name), rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("name", list(optimizers.BOOK_VALLEY))
def test_valley_endpoints_equal_the_books(name: str) -> None:
    end = optimizers._descend(optimizers.VALLEY[name][1], (-7.0, 2.0), optimizers.VALLEY_SCALE, 30)[
        -1
    ]
    x, y, f = optimizers.BOOK_VALLEY[name]
    assert round(float(end[0]), 3) == pytest.approx(x, abs=1e-12)
    assert round(float(end[1]), 3) == pytest.approx(y, abs=1e-12)
    assert optimizers._valley_f(end) == pytest.approx(f, rel=5e-3)


def test_book_momentum_is_torch_momentum_and_book_nesterov_is_not() -> None:
    ours = {
        n: optimizers._descend(m, (-7.0, 2.0), optimizers.VALLEY_SCALE, 30)
        for n, (_, m) in optimizers.VALLEY.items()
    }
    np.testing.assert_allclose(optimizers._book_path("Momentum", 0.1), ours["Momentum"], atol=1e-12)
    np.testing.assert_allclose(optimizers._book_path("SGD", 0.95), ours["SGD"], atol=1e-12)
    # Nesterov: torch's form is the look-ahead method; the book's class drifts away from it.
    np.testing.assert_allclose(
        optimizers._lookahead_nesterov(0.1, 0.9, 30), ours["Nesterov"], atol=1e-12
    )
    assert np.abs(optimizers._book_path("Nesterov", 0.1) - ours["Nesterov"]).max() > 0.1


def test_d2l_quadratic_numbers() -> None:
    ends = {lr: gradient_descent._descend_x2(lr)[-1] for lr in gradient_descent.D2L_X2}
    assert round(ends[0.2], 3) == 0.060
    assert round(ends[0.05], 3) == 3.487
    assert round(ends[1.1], 1) == 61.9
    for lr, end in ends.items():
        assert end == pytest.approx(10 * (1 - 2 * lr) ** 10, rel=1e-12)


def test_d2l_adaptive_numbers_equal_torch() -> None:
    for name, (make, published) in optimizers.D2L_ADAPTIVE.items():
        end = optimizers._descend(make, (-5.0, -2.0), optimizers.D2L_SCALE, 20)[-1]
        np.testing.assert_allclose(end, published, rtol=5e-3, atol=5e-5, err_msg=name)


def test_numerical_gradients_match_backprop_on_a_smooth_net() -> None:
    """Away from kinks (tanh), central differences agree with backprop to ~1e-9."""
    net = nn.Sequential(
        nn.Linear(5, 4, dtype=np.float64), nn.Tanh(), nn.Linear(4, 3, dtype=np.float64)
    )
    x = Tensor(np.random.default_rng(0).standard_normal((6, 5)))
    y = Tensor(np.array([0, 1, 2, 0, 1, 2]))

    def loss() -> Tensor:
        return F.cross_entropy(net(x), y)

    net.zero_grad()
    loss().backward()
    params = list(net.parameters())
    before = [p._data.copy() for p in params]
    numeric = gradients.numerical_gradients(loss, params)
    for p, num, old in zip(params, numeric, before, strict=True):
        np.testing.assert_allclose(num, grad_of(p), atol=1e-9)
        assert np.array_equal(p._data, old)  # every perturbation was undone


def test_dead_mask_marks_units_negative_on_every_input() -> None:
    model = mlp([3, 4, 2], "he", nn.ReLU, seed=0)
    model[0].bias._data[:] = [-100.0, 100.0, -100.0, 100.0]  # units 0 and 2 can never fire
    x = np.random.default_rng(1).uniform(0, 1, (20, 3)).astype(np.float32)
    np.testing.assert_array_equal(_dead_mask(model, x), [True, False, True, False])
    F.cross_entropy(model(Tensor(x)), Tensor(np.zeros(20, dtype=np.int64))).backward()
    g = grad_of(model[0].weight)
    assert np.all(g[[0, 2]] == 0) and np.any(g[[1, 3]] != 0)


def test_smooth_is_a_trailing_mean() -> None:
    v = np.array([1.0, 3.0, 5.0, 7.0])
    np.testing.assert_allclose(smooth(v, 2), [1.0, 2.0, 4.0, 6.0])


def test_mlp_init_schemes() -> None:
    model = mlp([400, 300, 10], "he", nn.ReLU, seed=0)
    assert model[0].weight._data.std() == pytest.approx(np.sqrt(2 / 400), rel=0.02)
    assert np.all(model[0].bias._data == 0)
    model = mlp([400, 300, 10], "xavier", nn.Tanh, seed=0)
    assert model[0].weight._data.std() == pytest.approx(np.sqrt(2 / 700), rel=0.02)
    assert mlp([400, 300, 10], 0.01, nn.ReLU, seed=0)[0].weight._data.std() == pytest.approx(
        0.01, rel=0.02
    )
    with pytest.raises(ValueError, match="unknown initialization"):
        mlp([4, 2], "orthogonal", nn.ReLU)


def test_valley_experiment_reports_published_numbers_beside_ours() -> None:
    result = run("opt.optimizers-on-valley", seed=0, size="quick")
    rows = {r["optimizer"]: r for r in result.metrics if r["setup"].startswith("DLFS")}
    assert rows["SGD"]["published_x"] == -0.350 and round(rows["SGD"]["x"], 3) == -0.350
    assert rows["Adam"]["published_y"] == 0.318 and round(rows["Adam"]["y"], 3) == 0.318
    assert "valley_trajectories" in result.figures
    assert result.passed, result.report()


def _adam_runs(make, steps: int = 6) -> list[np.ndarray]:
    """Parameter values after each of `steps` updates on a small least-squares loss."""
    rng = np.random.default_rng(0)
    a = rng.standard_normal((8, 3))
    b = rng.standard_normal(8)
    theta = Tensor(rng.standard_normal(3), requires_grad=True)
    opt = make([theta])
    out = []
    for _ in range(steps):
        opt.zero_grad()
        r = Tensor(a) @ theta - Tensor(b)
        (r * r).sum().backward()
        opt.step()
        out.append(theta._data.copy())
    return out


def test_adam_copy_with_both_corrections_is_adam() -> None:
    from groundup.optim import Adam

    ours = _adam_runs(lambda ps: optimizers.AdamCopy(ps, lr=0.1))
    np.testing.assert_allclose(ours, _adam_runs(lambda ps: Adam(ps, lr=0.1)), rtol=1e-12)


def test_adam_copy_without_corrections_is_the_raw_update() -> None:
    """m / (sqrt(v) + eps) with m and v the plain moving averages, written in NumPy."""
    ours = _adam_runs(lambda ps: optimizers.AdamCopy(ps, lr=0.1, correct_m=False, correct_v=False))
    rng = np.random.default_rng(0)
    a = rng.standard_normal((8, 3))
    b = rng.standard_normal(8)
    theta = rng.standard_normal(3)
    m, v = np.zeros(3), np.zeros(3)
    for step in ours:
        g = 2 * a.T @ (a @ theta - b)
        m = 0.9 * m + 0.1 * g
        v = 0.999 * v + 0.001 * g * g
        theta = theta - 0.1 * m / (np.sqrt(v) + 1e-8)
        np.testing.assert_allclose(step, theta, rtol=1e-12)


def test_predicted_bias_ratios_are_the_answers_numbers() -> None:
    t = np.array([1.0, 10.0])
    none = optimizers._predicted_ratio("no correction", t)
    assert round(float(none[0]), 1) == 3.2 and round(float(none[1]), 1) == 6.5
    np.testing.assert_allclose(optimizers._predicted_ratio("no m correction", t), 1 - 0.9**t)
    np.testing.assert_allclose(
        optimizers._predicted_ratio("no v correction", t), 1 / np.sqrt(1 - 0.999**t)
    )

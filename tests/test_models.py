"""groundup.models: layer order, parameter counts, parity with torch, closed-form optima."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import groundup as gu
from groundup import nn, optim
from groundup.data import DataLoader, TensorDataset
from groundup.models import MLP, LinearRegression, LogisticRegression, build
from groundup.train import fit


def n_params(model) -> int:
    return sum(p.numel() for p in model.parameters())


def test_mlp_parameter_counts():
    assert n_params(MLP([64, 128, 10])) == (64 * 128 + 128) + (128 * 10 + 10) == 9_610
    assert n_params(MLP([3, 5])) == 20  # no hidden layer: a single Linear
    # batch norm adds a scale and a shift per hidden unit
    assert n_params(MLP([64, 128, 10], batch_norm=True)) == 9_610 + 2 * 128


def test_mnist1d_reference_mlp_has_15210_parameters():
    """greydanus/mnist1d's MLPBase: 40 -> 100 -> 100 (h + relu(linear2(h))) -> 10."""
    model = MLP([40, 100, 100, 10], residual=True)
    assert n_params(model) == 15_210
    assert n_params(LogisticRegression(40, 10)) == 410


def test_hidden_layer_order_is_linear_batchnorm_activation_dropout():
    model = MLP([8, 16, 12, 4], activation="tanh", dropout=0.1, batch_norm=True)
    for block in model.hidden:
        types = [type(m).__name__ for m in block]
        assert types == ["Linear", "BatchNorm1d", "Tanh", "Dropout"]
    assert type(model.out).__name__ == "Linear"
    plain = MLP([8, 16, 4])
    assert [type(m).__name__ for m in plain.hidden[0]] == ["Linear", "ReLU"]
    with pytest.raises(ValueError, match="unknown activation"):
        MLP([2, 3, 2], activation="swish")
    with pytest.raises(ValueError, match="at least two"):
        MLP([5])


def copy_linear(torch_linear: torch.nn.Linear, gu_linear: nn.Linear) -> None:
    with torch.no_grad():
        torch_linear.weight.copy_(torch.from_numpy(gu_linear.weight.detach().numpy()))
        torch_linear.bias.copy_(torch.from_numpy(gu_linear.bias.detach().numpy()))


def test_residual_mlp_matches_torch_reference():
    gu.manual_seed(0)
    model = MLP([40, 100, 100, 10], residual=True)
    l1, l2, l3 = torch.nn.Linear(40, 100), torch.nn.Linear(100, 100), torch.nn.Linear(100, 10)
    copy_linear(l1, model.hidden[0][0])
    copy_linear(l2, model.hidden[1][0])
    copy_linear(l3, model.out)
    x = np.random.default_rng(0).standard_normal((6, 40)).astype(np.float32)
    h = l1(torch.from_numpy(x)).relu()
    h = h + l2(h).relu()
    expected = l3(h).detach().numpy()
    np.testing.assert_allclose(model(gu.tensor(x)).detach().numpy(), expected, rtol=1e-5, atol=1e-5)


def test_mlp_with_batch_norm_and_dropout_matches_torch_in_eval_mode():
    gu.manual_seed(1)
    model = MLP([6, 8, 3], dropout=0.5, batch_norm=True)
    ref = torch.nn.Sequential(
        torch.nn.Linear(6, 8), torch.nn.BatchNorm1d(8), torch.nn.ReLU(), torch.nn.Dropout(0.5),
        torch.nn.Linear(8, 3),
    )  # fmt: skip
    state = {
        k.replace("hidden.0.", "").replace("out.", "4."): v for k, v in model.state_dict().items()
    }
    ref.load_state_dict({k: torch.from_numpy(np.asarray(v)) for k, v in state.items()})
    x = np.random.default_rng(2).standard_normal((5, 6)).astype(np.float32)
    # one training step's statistics update, then evaluation
    model(gu.tensor(x)), ref(torch.from_numpy(x))
    model.eval(), ref.eval()
    expected = ref(torch.from_numpy(x)).detach().numpy()
    np.testing.assert_allclose(model(gu.tensor(x)).detach().numpy(), expected, rtol=1e-5, atol=1e-6)


def test_build_from_config_makes_the_same_architecture():
    for model in (
        MLP([5, 7, 3], activation="gelu", dropout=0.2, batch_norm=True),
        MLP([40, 100, 100, 10], residual=True),
        LogisticRegression(4, 3),
        LinearRegression(4, 2),
    ):
        twin = build(model.config)
        assert type(twin) is type(model) and twin.config == model.config
        assert {k: v.shape for k, v in twin.state_dict().items()} == {
            k: v.shape for k, v in model.state_dict().items()
        }
    with pytest.raises(ValueError, match="unknown model"):
        build({"name": "Transformer"})


def test_logistic_regression_learns_separable_classes():
    rng = np.random.default_rng(0)
    centers = 4 * rng.standard_normal((3, 2))
    y = rng.integers(0, 3, 300)
    x = (centers[y] + 0.3 * rng.standard_normal((300, 2))).astype(np.float32)
    gu.manual_seed(0)
    model = LogisticRegression(2, 3)
    loader = DataLoader(TensorDataset(x, y), 50, shuffle=True)
    opt = optim.Adam(model.parameters(), lr=0.1)
    history = fit(model, nn.functional.cross_entropy, opt, loader, 30, progress=False)
    assert history["train_accuracy"][-1] >= 0.99


# ---------------------------------------------------- linear regression vs closed form
def regression_data(n: int = 200, d: int = 5):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((n, d))
    y = x @ rng.standard_normal((d, 1)) + 3.0 + 0.1 * rng.standard_normal((n, 1))
    return x, y


def closed_form(x: np.ndarray, y: np.ndarray, lam: float, penalize_bias: bool = False):
    """argmin ||Xw + b - y||² + lam ||w||²: solve (AᵀA + P) θ = Aᵀy with A = [X, 1]."""
    a = np.hstack([x, np.ones((len(x), 1))])
    penalty = lam * np.eye(a.shape[1])
    if not penalize_bias:
        penalty[-1, -1] = 0.0
    theta = np.linalg.solve(a.T @ a + penalty, a.T @ y)
    return theta[:-1, 0], theta[-1, 0]


def gradient_descent(x, y, weight_decay: float):
    gu.manual_seed(0)
    model = LinearRegression(x.shape[1]).double()
    opt = optim.SGD(model.param_groups(weight_decay), lr=0.2)
    loader = DataLoader(TensorDataset(x, y), len(x))  # full batch: plain gradient descent
    fit(model, nn.functional.mse_loss, opt, loader, 400, metrics=(), progress=False)
    return model.linear.weight.detach().numpy()[0], model.linear.bias.detach().numpy()[0]


def test_linear_regression_reaches_least_squares_solution():
    x, y = regression_data()
    w, b = gradient_descent(x, y, weight_decay=0.0)
    w_ls, b_ls = closed_form(x, y, lam=0.0)
    np.testing.assert_allclose(w, w_ls, atol=1e-8)
    assert b == pytest.approx(b_ls, abs=1e-8)


def test_sgd_weight_decay_is_ridge_with_lambda_n_wd_over_2():
    x, y = regression_data()
    wd = 0.5
    w, b = gradient_descent(x, y, weight_decay=wd)
    w_ridge, b_ridge = closed_form(x, y, lam=len(x) * wd / 2)
    np.testing.assert_allclose(w, w_ridge, atol=1e-8)
    assert b == pytest.approx(b_ridge, abs=1e-8)
    # the mapping matters: λ = wd, or a penalized bias, are measurably different problems
    w_naive, _ = closed_form(x, y, lam=wd)
    assert np.max(np.abs(w - w_naive)) > 1e-2
    _, b_biased = closed_form(x, y, lam=len(x) * wd / 2, penalize_bias=True)
    assert abs(b - b_biased) > 1e-2
    assert np.linalg.norm(w) < np.linalg.norm(closed_form(x, y, 0.0)[0])  # shrinkage

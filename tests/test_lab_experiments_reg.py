"""The helpers behind the regularization, normalization, data-practice and capacity
experiments (each experiment's claims are run by tests/test_lab_registry.py)."""

from __future__ import annotations

import inspect

import numpy as np
import pytest
import torch

from groundup import nn
from groundup.data import SplitData
from groundup.lab.experiments import capacity
from groundup.lab.experiments._training import (
    NonInvertedDropout,
    book_mlp,
    small_train_split,
    train_book,
    weight_norm,
    weights_and_biases,
)
from groundup.lab.experiments.data_loading import AugmentedDigits
from groundup.lab.experiments.data_practice import _r2
from groundup.models import MLP
from groundup.tensor import Tensor, no_grad


def test_code_lines_skips_blanks_comments_docstrings_and_main() -> None:
    source = '''"""Module docstring
over two lines."""
import numpy as np  # a trailing comment keeps the line


def f(x):
    """Docstring."""
    # a comment line
    return x + 1


def load():
    return np.zeros(3)


if __name__ == "__main__":
    print(f(1))
'''
    assert capacity.code_lines(source) == 5  # import, def f, return, def load, return
    assert capacity.code_lines(source, skip=("load",)) == 3


def test_numpy_example_line_count_is_what_the_file_holds() -> None:
    source = capacity.EXAMPLE.read_text()
    count = capacity.code_lines(source)
    assert 30 <= count <= 100
    assert count < len([line for line in source.splitlines() if line.strip()])


def test_numpy_example_gradient_equals_autograd() -> None:
    """One SGD step of the hand-written backward pass equals groundup's, in float64."""
    example = capacity._load_example()
    rng = np.random.default_rng(0)
    x = rng.random((16, 64))  # (16, 64) float64
    y = rng.integers(0, 10, 16)
    params = {k: v.astype(np.float64) for k, v in example.init_params(seed=1).items()}
    model = MLP([64, 100, 10]).double()
    model.load_state_dict(
        {
            "hidden.0.0.weight": params["W1"].T,
            "hidden.0.0.bias": params["b1"],
            "out.weight": params["W2"].T,
            "out.bias": params["b2"],
        }
    )
    loss_np = example.sgd_step(params, x, y, lr=0.5)
    loss = nn.functional.cross_entropy(model(Tensor(x)), Tensor(y))
    loss.backward()
    assert loss_np == pytest.approx(float(loss.item()), abs=1e-12)
    w1 = model.hidden[0][0].weight
    np.testing.assert_allclose(params["W1"], (w1._data - 0.5 * w1.grad._data).T, atol=1e-12)


@pytest.mark.parametrize("depth", [1, 2, 3, 6])
def test_mlp_params_counts_what_mlp_builds(depth: int) -> None:
    width = capacity.width_for(15210, 40, depth, 10)
    model = MLP([40] + [width] * depth + [10])
    built = sum(p._data.size for p in model.parameters())
    assert built == capacity.mlp_params(40, width, depth, 10)
    assert abs(built - 15210) < 400


def test_non_inverted_dropout_expectation_and_eval() -> None:
    rng = np.random.default_rng(0)
    layer = NonInvertedDropout(0.2, rng)
    x = Tensor(np.ones((2000, 50), np.float32))
    out = layer(x).numpy()
    assert set(np.unique(out)) <= {0.0, 1.0}  # kept units are not rescaled
    assert out.mean() == pytest.approx(0.8, abs=0.01)
    layer.eval()
    np.testing.assert_array_equal(layer(x).numpy(), np.full((2000, 50), 0.8, np.float32))


def test_book_mlp_layers_and_init() -> None:
    rng = np.random.default_rng(0)
    model = book_mlp(64, [100] * 3, 10, rng, batch_norm=True, dropout=0.2)
    kinds = [type(m).__name__ for m in model]
    assert kinds[:4] == ["Linear", "BatchNorm1d", "ReLU", "Dropout"]
    assert kinds[-1] == "Linear" and kinds.count("Linear") == 4
    first = model[0].weight._data
    assert first.std() == pytest.approx(np.sqrt(2 / 64), rel=0.05)  # He by default
    assert np.all(model[0].bias._data == 0)
    fixed = book_mlp(64, [100], 10, rng, weight_std=0.01, inverted=False, dropout=0.5)
    assert fixed[0].weight._data.std() == pytest.approx(0.01, rel=0.05)
    assert isinstance(fixed[2], NonInvertedDropout)


def test_weight_decay_reaches_linear_weights_only() -> None:
    rng = np.random.default_rng(0)
    model = book_mlp(64, [16, 16], 10, rng, batch_norm=True)
    weights, others = weights_and_biases(model)
    assert len(weights) == 3 and all(w.ndim == 2 for w in weights)
    assert len(others) == 3 + 2 * 2  # three biases, two batch norms' weight and bias
    data = small_train_split("digits", 100, seed=0)
    before = [p._data.copy() for p in others]
    norm = weight_norm(model)
    model_decay = book_mlp(64, [16, 16], 10, np.random.default_rng(0), batch_norm=True)
    curves = train_book(model_decay, data, 20, np.random.default_rng(1), lr=0.0, weight_decay=1.0)
    # lr = 0: nothing moves, decay or not; the curves still record the final accuracy
    assert weight_norm(model_decay) == pytest.approx(norm)
    assert len(curves.train) == 1 and 0 <= curves.test[-1] <= 1
    for p, b in zip(weights_and_biases(model_decay)[1], before, strict=True):
        np.testing.assert_array_equal(p._data, b)


def test_book_sgd_decay_step_equals_torch() -> None:
    """The decay step train_book takes equals torch.optim.SGD with weight_decay on the
    weights alone (the book's 0.5 * lambda * ||W||^2 penalty)."""
    rng = np.random.default_rng(0)
    model = book_mlp(8, [4], 3, rng)
    x = rng.random((5, 8)).astype(np.float32)
    y = np.array([0, 1, 2, 1, 0])
    data = SplitData("toy", x, y, x, y, 3)
    tmodel = torch.nn.Sequential(torch.nn.Linear(8, 4), torch.nn.ReLU(), torch.nn.Linear(4, 3))
    tmodel.load_state_dict({k: torch.tensor(np.asarray(v)) for k, v in model.state_dict().items()})
    train_book(model, data, 1, np.random.default_rng(7), batch=5, lr=0.1, weight_decay=0.3)
    idx = np.random.default_rng(7).choice(5, 5)  # the batch train_book drew
    opt = torch.optim.SGD(
        [
            {"params": [tmodel[0].weight, tmodel[2].weight], "weight_decay": 0.3},
            {"params": [tmodel[0].bias, tmodel[2].bias]},
        ],
        lr=0.1,
    )
    loss = torch.nn.functional.cross_entropy(tmodel(torch.tensor(x[idx])), torch.tensor(y[idx]))
    loss.backward()
    opt.step()
    for key, value in tmodel.state_dict().items():
        np.testing.assert_allclose(np.asarray(model.state_dict()[key]), value.numpy(), rtol=1e-5)


def test_augmented_digits_is_deterministic_and_shaped() -> None:
    images = np.random.default_rng(0).random((4, 8, 8)).astype(np.float32)
    dataset = AugmentedDigits(images, np.arange(4))
    x, y = dataset[2]
    assert x.shape == (64,) and x.dtype == np.float32 and y == 2
    np.testing.assert_array_equal(x, dataset[2][0])
    assert not np.allclose(x, images[2].reshape(64))  # the transform did something


def test_r2_is_one_for_a_perfect_fit_and_zero_for_the_mean() -> None:
    y = np.array([1.0, 2.0, 4.0])
    assert _r2(y, y) == 1.0
    assert _r2(y, np.full(3, y.mean())) == pytest.approx(0.0)


def test_groundup_twin_is_short_and_trains() -> None:
    """The groundup version counted by the line experiment is a working training loop."""
    example = capacity._load_example()
    x_train, y_train, x_test, y_test = example.load_data(0)
    model = capacity.groundup_mlp(x_train, y_train, epochs=5)
    model.eval()
    with no_grad():
        acc = float(np.mean(model(Tensor(x_test)).numpy().argmax(1) == y_test))
    assert acc > 0.9
    assert capacity.code_lines(inspect.getsource(capacity.groundup_mlp)) < 25


def test_overfit_adam_l2_step_equals_torch() -> None:
    """The step the overfitting runs take: torch's Adam with weight_decay (L2 in the
    gradient) on the Linear weights only, biases undecayed."""
    from groundup.lab.experiments import regularization

    rng = np.random.default_rng(0)
    model = book_mlp(8, [4], 3, rng)
    x = rng.random((60, 8)).astype(np.float32)
    y = rng.integers(0, 3, 60)
    data = SplitData("toy", x, y, x, y, 3)
    tmodel = torch.nn.Sequential(torch.nn.Linear(8, 4), torch.nn.ReLU(), torch.nn.Linear(4, 3))
    tmodel.load_state_dict({k: torch.tensor(np.asarray(v)) for k, v in model.state_dict().items()})
    regularization._train_adam(model, data, 3, np.random.default_rng(7), lr=0.01, weight_decay=0.3)
    opt = torch.optim.Adam(
        [
            {"params": [tmodel[0].weight, tmodel[2].weight], "weight_decay": 0.3},
            {"params": [tmodel[0].bias, tmodel[2].bias]},
        ],
        lr=0.01,
    )
    batches = np.random.default_rng(7)
    for _ in range(3):
        idx = batches.choice(60, regularization.BATCH)  # the batches _train_adam drew
        loss = torch.nn.functional.cross_entropy(tmodel(torch.tensor(x[idx])), torch.tensor(y[idx]))
        opt.zero_grad()
        loss.backward()
        opt.step()
    for key, value in tmodel.state_dict().items():
        np.testing.assert_allclose(np.asarray(model.state_dict()[key]), value.numpy(), rtol=1e-5)


def test_overfit_runs_are_reproducible_and_dropout_changes_them(monkeypatch) -> None:
    """A run depends on its seed only (data split, init, batches, dropout masks), whatever
    ran before it; a tiny configuration stands in for the real one."""
    from groundup.lab.experiments import regularization

    tiny = {"hidden": [16], "lr": 1e-2, "steps": 20, "seeds": 2}
    monkeypatch.setitem(regularization.OVERFIT, "quick", tiny)
    a, norm_a = regularization._overfit_run("digits", "quick", 3, dropout=0.5)
    regularization._overfit_run("digits", "quick", 4)  # advances every global generator
    b, norm_b = regularization._overfit_run("digits", "quick", 3, dropout=0.5)
    assert a.test == b.test and a.train == b.train and norm_a == norm_b
    assert a.epochs == [20]
    c, _ = regularization._overfit_run("digits", "quick", 3)
    assert c.test != a.test or c.train != a.train
    d, norm_d = regularization._overfit_run("digits", "quick", 3, weight_decay=1.0)
    assert norm_d < regularization._overfit_run("digits", "quick", 3)[1]


def test_overfit_margins_are_stated_in_the_claims() -> None:
    from groundup.lab.experiments import regularization
    from groundup.lab.experiments._training import Curves
    from groundup.lab.registry import ExperimentResult

    def curves(train: float, test: float) -> Curves:
        return Curves([1], [train], [test])

    result = ExperimentResult()
    base = [curves(1.0, 0.30), curves(1.0, 0.31)]
    reg = [curves(1.0, 0.33), curves(1.0, 0.305)]  # gain +0.0125 on average, 1 of 2 seeds
    regularization._compare(result, base, reg, [0, 1], 0.01, "dropout 0.5", "dropout")
    assert result.claims == {
        "overfits_without": True,
        "test_accuracy_improves": False,  # higher on only 1 of 2 seeds
        "gap_shrinks": True,
    }
    assert "margin 0.01" in result.statements["test_accuracy_improves"]

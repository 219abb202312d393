"""fit, evaluate, History and EarlyStopping; the digits MLP reaches its stated accuracy."""

from __future__ import annotations

import time

import numpy as np
import pytest
from threadpoolctl import threadpool_limits

import groundup as gu
from groundup import nn, optim
from groundup.cli import DEFAULTS
from groundup.data import DataLoader, TensorDataset, digits
from groundup.models import MLP
from groundup.tensor import is_grad_enabled
from groundup.train import Callback, CheckpointError, EarlyStopping, History, evaluate, fit

ce = nn.functional.cross_entropy


def toy_loaders(n: int = 40, batch: int = 8, seed: int = 0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, 5)).astype(np.float32)
    y = (x[:, 0] > 0).astype(np.int64)  # learnable: the sign of the first feature
    data = TensorDataset(x, y)
    return DataLoader(data, batch, shuffle=True), DataLoader(data, 16)


class Spy(nn.Module):
    """A linear model that records the mode and grad mode of every forward."""

    def __init__(self):
        super().__init__()
        self.linear = nn.Linear(5, 2)
        self.calls: list[tuple[bool, bool]] = []

    def forward(self, x):
        self.calls.append((self.training, is_grad_enabled()))
        return self.linear(x)


def test_fit_trains_in_train_mode_and_validates_in_eval_mode_without_graph():
    gu.manual_seed(0)
    train, val = toy_loaders()
    model = Spy()
    fit(model, ce, optim.SGD(model.parameters(), lr=0.1), train, 2, val_loader=val, progress=False)
    # per epoch: 5 training batches, then 3 validation batches
    expected = ([(True, True)] * 5 + [(False, False)] * 3) * 2
    assert model.calls == expected
    assert model.training  # evaluate restores the mode it found


def test_history_records_every_epoch():
    gu.manual_seed(0)
    train, val = toy_loaders()
    model = MLP([5, 16, 2])
    opt = optim.SGD(model.parameters(), lr=0.5)
    sched = optim.lr_scheduler.StepLR(opt, step_size=1, gamma=0.5)
    history = fit(model, ce, opt, train, 3, val_loader=val, scheduler=sched, progress=False)
    assert isinstance(history, History) and isinstance(history, dict)
    assert set(history) == {
        "epoch", "train_loss", "train_accuracy", "val_loss", "val_accuracy", "lr", "time",
    }  # fmt: skip
    assert history["epoch"] == [1, 2, 3] and history.epochs == 3
    assert history["lr"] == [0.5, 0.25, 0.125]  # the scheduler steps once per epoch
    assert all(t > 0 for t in history["time"])
    assert history["train_loss"][-1] < history["train_loss"][0]
    assert history.last()["val_accuracy"] == history["val_accuracy"][-1]
    final = evaluate(model, val, ce)
    assert final["loss"] == pytest.approx(history["val_loss"][-1])
    assert not history.interrupted and not history.stopped_early


def test_evaluate_weights_batches_by_size():
    gu.manual_seed(0)
    x = np.random.default_rng(1).standard_normal((10, 5)).astype(np.float32)
    y = np.array([0, 1] * 5)
    model = MLP([5, 4, 2])
    uneven = evaluate(model, DataLoader(TensorDataset(x, y), 4), ce)  # batches 4, 4, 2
    whole = evaluate(model, DataLoader(TensorDataset(x, y), 10), ce)
    assert uneven["loss"] == pytest.approx(whole["loss"], rel=1e-6)
    assert uneven["accuracy"] == whole["accuracy"]
    logits = model(gu.tensor(x)).detach().numpy()
    assert whole["accuracy"] == np.mean(logits.argmax(1) == y)
    with pytest.raises(ValueError, match="no samples"):
        evaluate(model, [])


def test_custom_metrics_and_no_metrics():
    gu.manual_seed(0)
    train, _ = toy_loaders()
    model = MLP([5, 2])

    def error_rate(out, y):
        return float(np.mean(out.detach().numpy().argmax(1) != y.numpy()))

    opt = optim.SGD(model.parameters(), lr=0.1)
    history = fit(model, ce, opt, train, 1, metrics=[error_rate, "accuracy"], progress=False)
    assert history["train_error_rate"][0] + history["train_accuracy"][0] == pytest.approx(1)
    history = fit(model, ce, opt, train, 1, metrics=(), progress=False)
    assert "train_accuracy" not in history
    with pytest.raises(ValueError, match="unknown metric"):
        fit(model, ce, opt, train, 1, metrics=["f1"], progress=False)


def test_progress_bar_shows_loss_accuracy_and_speed(capsys):
    gu.manual_seed(0)
    train, val = toy_loaders()
    model = MLP([5, 2])
    fit(model, ce, optim.SGD(model.parameters(), lr=0.1), train, 2, val_loader=val)
    err = capsys.readouterr().err
    for text in ("epoch 1/2", "epoch 2/2", "loss=", "acc=", "samples/s=", "val_acc="):
        assert text in err, text


def test_unwritable_checkpoint_fails_before_training(tmp_path):
    gu.manual_seed(0)
    train, _ = toy_loaders()
    model = MLP([5, 2])
    before = model.state_dict()
    (tmp_path / "file").write_text("")
    with pytest.raises(CheckpointError, match="cannot write"):
        fit(model, ce, optim.SGD(model.parameters(), lr=0.1), train, 1,
            checkpoint=tmp_path / "file" / "c.safetensors", progress=False)  # fmt: skip
    for k, v in model.state_dict().items():
        np.testing.assert_array_equal(v, before[k])


# ------------------------------------------------------------------------ early stopping
class Script(Callback):
    """Replaces the monitored value by a scripted one and keeps each epoch's weights."""

    def __init__(self, values):
        self.values, self.weights = list(values), []

    def on_train_begin(self, model):
        self.model = model

    def on_epoch_end(self, epoch, logs):
        logs["val_loss"] = self.values[epoch]
        self.weights.append(self.model.state_dict())


def test_early_stopping_stops_after_patience_and_restores_the_best_epoch():
    gu.manual_seed(0)
    train, val = toy_loaders()
    model = MLP([5, 8, 2])
    script = Script([1.0, 0.8, 0.85, 0.9, 0.7, 0.6])
    stop = EarlyStopping("val_loss", patience=2)
    history = fit(model, ce, optim.SGD(model.parameters(), lr=0.1), train, 6,
                  val_loader=val, callbacks=[script, stop], progress=False)  # fmt: skip
    assert history.epochs == 4 and history.stopped_early  # epochs 3 and 4 did not improve
    assert stop.best == 0.8 and stop.best_epoch == 1
    for k, v in model.state_dict().items():
        np.testing.assert_array_equal(v, script.weights[1][k])


def test_early_stopping_min_delta_and_higher_is_better():
    stop = EarlyStopping("val_accuracy", patience=1, min_delta=0.01, restore_best=False)
    stop.on_train_begin(MLP([2, 2]))
    stop.on_epoch_end(0, {"val_accuracy": 0.90})
    stop.on_epoch_end(1, {"val_accuracy": 0.905})  # within min_delta: not an improvement
    assert stop.stop_training and stop.best == 0.90
    stop = EarlyStopping("val_loss", patience=3)
    stop.on_train_begin(MLP([2, 2]))
    with pytest.raises(KeyError, match="val_loader"):
        stop.on_epoch_end(0, {"train_loss": 1.0})
    with pytest.raises(ValueError):
        EarlyStopping(patience=-1)


def test_early_stopping_state_survives_a_checkpoint(tmp_path):
    gu.manual_seed(0)
    train, val = toy_loaders()
    path = tmp_path / "c.safetensors"
    model = MLP([5, 8, 2])
    opt = optim.SGD(model.parameters(), lr=0.1)
    script, stop = Script([1.0, 0.8, 0.9, 0.95]), EarlyStopping("val_loss", patience=2)
    fit(model, ce, opt, train, 3, val_loader=val, callbacks=[script, stop], checkpoint=path,
        progress=False)  # fmt: skip
    stop2 = EarlyStopping("val_loss", patience=2)
    fit(model, ce, opt, train, 4, val_loader=val, callbacks=[Script([1.0, 0.8, 0.9, 0.95]), stop2],
        resume=path, progress=False)  # fmt: skip
    assert stop2.wait == 2 and stop2.stop_training and stop2.best_epoch == 1


# ------------------------------------------------------------------------ stated accuracy
def train_digits(seed: int) -> tuple[float, float]:
    """The CLI's default digits MLP; returns (test accuracy, training seconds)."""
    s = DEFAULTS["digits"]
    data = digits()
    gu.manual_seed(seed)
    model = MLP([64, *s["hidden"], 10], batch_norm=s["batch_norm"])
    opt = optim.Adam(model.parameters(), lr=s["lr"])
    assert s["optimizer"] == "adam" and s["schedule"] == "cosine" and not s["residual"]
    sched = optim.lr_scheduler.CosineAnnealingLR(opt, T_max=s["epochs"])
    train = DataLoader(TensorDataset(data.x_train, data.y_train), s["batch_size"], shuffle=True)
    start = time.perf_counter()
    with threadpool_limits(limits=1, user_api="blas"):  # as the CLI does (see cli.py)
        fit(model, ce, opt, train, s["epochs"], scheduler=sched, progress=False)
    seconds = time.perf_counter() - start
    test = DataLoader(TensorDataset(data.x_test, data.y_test), 500)
    return evaluate(model, test)["accuracy"], seconds


def test_digits_mlp_reaches_0_977_test_accuracy():
    acc, _ = train_digits(seed=0)
    assert acc >= 0.977


@pytest.mark.slow
def test_digits_mlp_reaches_0_977_on_every_seed():
    results = [train_digits(seed) for seed in range(5)]
    assert min(acc for acc, _ in results) >= 0.977
    assert max(seconds for _, seconds in results) < 10

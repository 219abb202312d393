"""Gradient descent itself: the learning rate's sweet spot, why the loss sometimes goes up,
and what the batch size trades (d2l.ai, ch. 12, rerun on groundup)."""

from __future__ import annotations

import time

import numpy as np

from groundup import nn
from groundup.lab.experiments._loops import (
    LN10,
    dataset_loss,
    digits_data,
    grad_of,
    mlp,
    train_step,
    zero_linear,
)
from groundup.lab.registry import ExperimentResult, experiment, new_figure
from groundup.nn import functional as F
from groundup.optim import SGD
from groundup.tensor import Tensor

# d2l 12.3: gradient descent on f(x) = x^2 from x = 10, 10 steps.
D2L_X2 = {0.2: 0.060, 0.05: 3.487, 1.1: 61.9}


def _descend_x2(lr: float, steps: int = 10, x0: float = 10.0) -> np.ndarray:
    """x_0..x_steps of gradient descent on f(x) = x², through groundup's SGD."""
    x = Tensor(np.array(x0), requires_grad=True)
    optimizer = SGD([x], lr=lr)
    path = [x0]
    for _ in range(steps):
        optimizer.zero_grad()
        (x * x).backward()
        optimizer.step()  # x ← x - lr · 2x = (1 - 2 lr) x
        path.append(float(x.item()))
    return np.array(path)


def _full_batch_losses(
    lr: float, steps: int, x: np.ndarray, y: np.ndarray, seed: int
) -> np.ndarray:
    """Full-batch gradient descent on a 64-100-10 ReLU MLP (same initial weights for every
    lr); the loss before each step, then the final one."""
    model = mlp([64, 100, 10], "he", nn.ReLU, seed)
    optimizer = SGD(model.parameters(), lr=lr)
    with np.errstate(over="ignore", invalid="ignore"):
        losses = [train_step(model, optimizer, x, y) for _ in range(steps)]
        losses.append(dataset_loss(model, x, y))
    return np.array(losses)


@experiment(
    id="opt.lr-sweep-quadratic",
    questions=["mlp.gd-easy", "mlp.learning-rate-size", "mlp.gd-for-kids", "mlp.gd-loss-goes-up"],
    title="Learning rate too small stalls, too large diverges: on x² and on a real network",
)
def lr_sweep(seed: int, size: str) -> ExperimentResult:
    result = ExperimentResult()
    paths = {lr: _descend_x2(lr) for lr in D2L_X2}
    exact = True
    for lr, path in paths.items():
        closed = 10.0 * (1 - 2 * lr) ** 10  # x_t = (1 - 2 lr)^t x_0
        exact &= abs(path[-1] - closed) < 1e-9 * max(1.0, abs(closed))
        published = D2L_X2[lr]
        exact &= abs(path[-1] - published) < 0.5 * 10.0 ** (-3 if published < 10 else -1)
        result.metrics.add_row(
            model="x^2, x0 = 10, 10 steps", lr=lr, ours=path[-1], closed_form=closed, d2l=published
        )
    result.claim(
        "d2l_numbers_reproduced",
        bool(exact),
        "Gradient descent on x² from x = 10 for 10 steps ends at 0.060 (lr 0.2), 3.487 "
        "(lr 0.05, too slow) and 61.9 (lr 1.1, diverging) — d2l's numbers, equal to the "
        "closed form 10 (1 - 2 lr)^10.",
    )
    sweep = np.linspace(0.0, 1.2, 121)
    final = np.array([abs(_descend_x2(lr)[-1]) for lr in sweep])
    result.claim(
        "converges_iff_lr_below_2_over_curvature",
        bool(np.all(final[(sweep > 0) & (sweep < 1)] < 10) and np.all(final[sweep > 1] > 10)),
        "On x² (curvature L = 2) every lr in (0, 1) = (0, 2/L) shrinks |x| and every lr "
        "above 1 makes it grow: each step multiplies x by 1 - 2 lr.",
    )

    steps = 100 if size == "quick" else 300
    data = digits_data()
    lrs = {"too small": 0.001, "good": 0.3, "too large": 3.0}
    curves = {
        name: _full_batch_losses(lr, steps, data.x_train, data.y_train, seed)
        for name, lr in lrs.items()
    }
    for name, curve in curves.items():
        result.metrics.add_row(
            model=f"digits MLP, full batch, {steps} steps ({name})",
            lr=lrs[name],
            ours=float(curve[-1]),
            start_loss=float(curve[0]),
            max_loss=float(np.nanmax(curve)),
        )
    start = curves["good"][0]
    result.claim(
        "small_lr_stalls",
        curves["too small"][-1] > 0.8 * start,
        f"On digits, lr 0.001 leaves the loss above 80% of its start after {steps} full-batch "
        "steps: each step is too short to get anywhere.",
    )
    result.claim(
        "good_lr_learns",
        curves["good"][-1] < 0.3 * start,
        f"lr 0.3 brings it below 30% of the start in the same {steps} steps.",
    )
    big = curves["too large"]
    result.claim(
        "large_lr_fails",
        bool(np.nanmax(big) > start and big[-1] > 0.9 * LN10),
        "lr 3.0 overshoots: the loss jumps above its starting value and ends no better than "
        "about ln 10, a uniform guess (the ReLU units it throws negative die on the way).",
    )
    fig = new_figure(13, 3.6)
    ax_path, ax_sweep, ax_mlp = fig.subplots(1, 3)
    for lr, path in paths.items():
        ax_path.plot(np.abs(path), marker="o", markersize=3, label=f"lr {lr}")
    ax_path.set(xlabel="step", ylabel="|x|", yscale="log", title="10 steps on x² from x = 10")
    ax_path.legend()
    ax_sweep.plot(sweep, final)
    ax_sweep.axhline(10, color="grey", linestyle=":", label="start |x0|")
    ax_sweep.axvline(1, color="red", linestyle="--", linewidth=1, label="lr = 2/L = 1")
    ax_sweep.set(
        xlabel="learning rate", ylabel="|x| after 10 steps", yscale="log", ylim=(1e-6, 1e3)
    )
    ax_sweep.set_title("stable only below 2/L")
    ax_sweep.legend()
    for name, curve in curves.items():
        ax_mlp.plot(curve, label=f"lr {lrs[name]} ({name})")
    ax_mlp.set(xlabel="full-batch step", ylabel="training loss", title="64-100-10 MLP on digits")
    ax_mlp.legend()
    result.add_figure("lr_sweep", fig)
    return result


def _quadratic_overshoot(lr: float, steps: int) -> np.ndarray:
    """f(x, y) = x²/20 + y² along gradient descent from (-7, 0.01): the loss per step."""
    p = Tensor(np.array([-7.0, 0.01]), requires_grad=True)
    scale = Tensor(np.array([1 / 20, 1.0]))
    optimizer = SGD([p], lr=lr)
    losses = []
    for _ in range(steps):
        loss = (scale * p * p).sum()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(float(loss.item()))
    return np.array(losses)


@experiment(
    id="opt.loss-goes-up",
    questions=["mlp.gd-loss-goes-up", "opt.stochastic-meaning"],
    title="Why the loss sometimes rises: mini-batch noise, and overshooting with a large lr",
)
def loss_goes_up(seed: int, size: str) -> ExperimentResult:
    epochs = 3 if size == "quick" else 10
    data = digits_data()
    x, y, n = data.x_train, data.y_train, len(data.y_train)
    # 1) Mini-batch SGD: each step follows one batch's gradient, not the whole data's.
    model = mlp([64, 100, 10], "he", nn.ReLU, seed)
    optimizer = SGD(model.parameters(), lr=0.1)
    rng = np.random.default_rng(seed)
    batch_losses, full_losses, epoch_means = [], [dataset_loss(model, x, y)], []
    for _ in range(epochs):
        this_epoch = []
        for idx in np.array_split(rng.permutation(n), n // 16):  # batches of ~16
            this_epoch.append(train_step(model, optimizer, x[idx], y[idx]))
            full_losses.append(dataset_loss(model, x, y))
        batch_losses += this_epoch
        epoch_means.append(float(np.mean(this_epoch)))
    batch_up = float((np.diff(batch_losses) > 0).mean())
    full_up = float((np.diff(full_losses) > 0).mean())
    # 2) Full-batch gradient descent: the exact gradient, a modest and a too-large lr.
    steps = 100 if size == "quick" else 300
    full_small = _full_batch_losses(0.3, steps, x, y, seed)
    full_big = _full_batch_losses(2.0, steps, x, y, seed)
    # 3) The same overshoot where it is easy to see: a valley with curvatures 0.1 and 2.
    valley = _quadratic_overshoot(1.05, 60)

    result = ExperimentResult()
    rows = [
        ("mini-batch SGD, batch 16, lr 0.1", batch_up, full_up, epoch_means[-1]),
        ("full-batch GD, lr 0.3", None, float((np.diff(full_small) > 0).mean()), full_small[-1]),
        ("full-batch GD, lr 2.0", None, float((np.diff(full_big) > 0).mean()), full_big[-1]),
        ("GD on x²/20 + y², lr 1.05", None, float((np.diff(valley) > 0).mean()), valley[-1]),
    ]
    for setting, b_up, f_up, last in rows:
        result.metrics.add_row(
            setting=setting,
            steps_batch_loss_rose_pct=None if b_up is None else 100 * b_up,
            steps_full_loss_rose_pct=100 * f_up,
            final_loss=float(last),
        )
    result.claim(
        "minibatch_loss_rises_often",
        batch_up > 0.25 and full_up > 0.1,
        f"With batches of 16 the reported batch loss rose on {100 * batch_up:.0f}% of steps "
        f"(a different batch each step), and even the whole-training-set loss rose after "
        f"{100 * full_up:.0f}% of the updates: a step that helps one batch can hurt the rest.",
    )
    result.claim(
        "epoch_trend_still_falls",
        bool(np.all(np.diff(epoch_means) < 0)),
        "Yet the mean loss falls every epoch: the noise averages out, the trend is downhill.",
    )
    result.claim(
        "exact_gradient_small_lr_never_rises",
        bool(np.all(np.diff(full_small) <= 0)),
        "Full-batch gradient descent with lr 0.3 never increases the training loss: with the "
        "exact gradient and a small enough step, every step goes down.",
    )
    result.claim(
        "large_lr_overshoots",
        float((np.diff(full_big) > 0).mean()) > 0.1,
        "With the exact gradient but lr 2.0 the loss rises on over 10% of steps: the step "
        "jumps across the valley to a point higher than where it started.",
    )
    turn = int(np.argmin(valley))
    result.claim(
        "valley_falls_then_rises",
        bool(
            0 < turn < len(valley) - 1
            and np.all(np.diff(valley[: turn + 1]) < 0)
            and np.all(np.diff(valley[turn:]) > 0)
        ),
        f"On f = x²/20 + y² with lr 1.05 > 2/2 the loss falls for {turn} steps (the flat x "
        "direction improves) and then rises every step: y, the steep direction, grows by "
        "|1 - 2·1.05| = 1.1 per step.",
    )
    fig = new_figure(13, 3.6)
    ax_mb, ax_full, ax_valley = fig.subplots(1, 3)
    steps_per_epoch = len(batch_losses) // epochs
    ax_mb.plot(batch_losses, linewidth=0.6, alpha=0.6, label="batch loss")
    ax_mb.plot(np.arange(len(full_losses)) - 0.5, full_losses, label="whole training set")
    ax_mb.plot((np.arange(epochs) + 0.5) * steps_per_epoch, epoch_means, "o-", label="epoch mean")
    ax_mb.set(xlabel="step", ylabel="loss", title="mini-batch SGD (batch 16)")
    ax_mb.legend()
    ax_full.plot(full_small, label="lr 0.3")
    ax_full.plot(full_big, label="lr 2.0")
    ax_full.set(xlabel="step", ylabel="training loss", title="full-batch GD: exact gradient")
    ax_full.legend()
    ax_valley.plot(valley)
    ax_valley.set(xlabel="step", ylabel="f(x, y)", yscale="log", title="x²/20 + y², lr 1.05")
    result.add_figure("loss_goes_up", fig)
    result.notes.append("Digits, 64-100-10 ReLU MLP with He init.")
    return result


# d2l 12.5 on the airfoil data (1,500 examples, linear regression, squared loss):
# batch size (None: all) -> (lr, d2l's final loss, d2l's seconds per epoch).
D2L_BATCHES: dict[int | None, tuple[float, float, float]] = {
    None: (1.0, 0.247, 0.020),
    100: (0.4, 0.246, 0.025),
    10: (0.05, 0.246, 0.090),
    1: (0.005, 0.245, 0.685),
}


def _gradient_noise(
    model: nn.Module, x: np.ndarray, y: np.ndarray, batch: int, rng: np.random.Generator
) -> float:
    """Mean ‖g_batch - g_full‖ / ‖g_full‖ over 50 random batches (0 for the full batch)."""

    def gradient(idx: np.ndarray) -> np.ndarray:
        model.zero_grad()
        F.cross_entropy(model(Tensor(x[idx])), Tensor(y[idx])).backward()
        return np.concatenate([grad_of(p).ravel() for p in model.parameters()])

    n = len(y)
    full = gradient(np.arange(n))
    if batch >= n:
        return 0.0
    devs = [np.linalg.norm(gradient(rng.choice(n, batch, replace=False)) - full) for _ in range(50)]
    return float(np.mean(devs) / np.linalg.norm(full))


@experiment(
    id="opt.batch-size-noise",
    questions=["opt.batch-vs-minibatch", "opt.small-minibatch", "opt.stochastic-meaning"],
    title="Batch vs mini-batch vs stochastic gradient descent: loss, noise and time per epoch",
)
def batch_size_noise(seed: int, size: str) -> ExperimentResult:
    epochs, threshold = (3, 1.0) if size == "quick" else (10, 0.5)
    data = digits_data()
    x, y, n = data.x_train, data.y_train, len(data.y_train)
    result = ExperimentResult()
    stats: dict[str, dict[str, float]] = {}
    curves: dict[str, tuple[list[float], list[float]]] = {}
    for key, (lr, d2l_loss, d2l_time) in D2L_BATCHES.items():
        batch = n if key is None else key
        model = zero_linear(64, 10)  # softmax regression, started at 0 like d2l's model
        optimizer = SGD(model.parameters(), lr=lr)
        rng = np.random.default_rng(seed)
        elapsed, clock, losses = 0.0, [0.0], [dataset_loss(model, x, y)]
        for _ in range(epochs):
            order = rng.permutation(n)
            start = time.perf_counter()
            for i in range(0, n, batch):
                idx = order[i : i + batch]
                train_step(model, optimizer, x[idx], y[idx])
            elapsed += time.perf_counter() - start  # training time only, no evaluation
            clock.append(elapsed)
            losses.append(dataset_loss(model, x, y))
        reached = [t for t, loss in zip(clock, losses, strict=True) if loss <= threshold]
        name = f"{batch} ({'full' if key is None else 'mini' if batch > 1 else 'stochastic'})"
        stats[name] = {
            "batch": batch,
            "final": losses[-1],
            "noise": _gradient_noise(model, x, y, batch, rng),
            "s_per_epoch": elapsed / epochs,
            "time_to": reached[0] if reached else np.inf,
        }
        curves[name] = (clock, losses)
        result.metrics.add_row(
            batch=name,
            lr=lr,
            updates_per_epoch=-(-n // batch),
            final_loss=losses[-1],
            grad_noise=stats[name]["noise"],
            s_per_epoch=stats[name]["s_per_epoch"],
            **{f"s_to_loss_{threshold:g}": stats[name]["time_to"]},
            d2l_airfoil_loss=d2l_loss,
            d2l_s_per_epoch=d2l_time,
        )
    full, b100, b10, b1 = (stats[k] for k in stats)
    result.claim(
        "noise_grows_as_batch_shrinks",
        0 == full["noise"] < b100["noise"] < b10["noise"] < b1["noise"]
        and b1["noise"] > 5 * b100["noise"],
        "The mini-batch gradient's deviation from the full gradient grows as the batch shrinks, "
        "about as 1/sqrt(batch): batch 1 is over 5x noisier than batch 100.",
    )
    result.claim(
        "small_batches_cost_more_per_epoch",
        b1["s_per_epoch"] > 5 * b100["s_per_epoch"],
        "An epoch of batch-1 updates takes over 5x as long as an epoch of batch-100 updates: "
        "the same arithmetic, but 1,437 small steps instead of 15 vectorized ones.",
    )
    result.claim(
        "full_batch_fewest_updates_highest_loss",
        full["final"] > max(b100["final"], b10["final"], b1["final"]),
        f"After {epochs} epochs full-batch GD has made only {epochs} updates and has the "
        "highest loss.",
    )
    result.claim(
        "minibatch_reaches_target_first",
        b100["time_to"] < b1["time_to"] and b100["time_to"] < full["time_to"],
        f"Mini-batches of 100 reach loss {threshold:g} in the least training time: many cheap, "
        "vectorized updates per epoch.",
    )
    fig = new_figure(6.5, 4)
    ax = fig.subplots()
    for name, (clock, losses) in curves.items():
        ax.plot(np.maximum(clock, 1e-4), losses, marker="o", markersize=3, label=f"batch {name}")
    ax.axhline(threshold, color="grey", linestyle=":", linewidth=1)
    ax.set(xlabel="training time (s)", ylabel="training loss", xscale="log")
    ax.set_title(f"softmax regression on digits, {epochs} epochs")
    ax.legend()
    result.add_figure("batch_size", fig)
    result.notes.append(
        "Softmax regression (one Linear, weights 0) on digits' 1,437 training images with "
        "d2l's learning rates; d2l's numbers are linear regression on the 1,500-example "
        "airfoil data, a different problem. Batches of 10 and 1 with lr 0.05 and 0.005 take "
        "the same step per example and end at nearly the same loss. Times depend on the machine."
    )
    return result


__all__ = ["batch_size_noise", "loss_goes_up", "lr_sweep"]

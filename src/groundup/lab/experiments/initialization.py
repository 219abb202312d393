"""Experiments on weight initialization."""

from __future__ import annotations

import numpy as np

from groundup import nn
from groundup.lab.registry import ExperimentResult, experiment, new_figure
from groundup.ops.activation import log_softmax
from groundup.tensor import Tensor, no_grad

HIDDEN = 16
CLASSES = 3


def _sectors(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Points in a ring, labelled by which third of the circle they fall in."""
    angle = rng.uniform(0, 2 * np.pi, n)
    radius = rng.uniform(0.5, 1.5, n)
    x = np.stack([radius * np.cos(angle), radius * np.sin(angle)], axis=1)
    y = np.minimum((angle / (2 * np.pi / CLASSES)).astype(np.int64), CLASSES - 1)
    return x.astype(np.float32), y


def _unit_spread(model: nn.Sequential) -> float:
    """How far apart the hidden units are: the largest distance between any unit's
    (incoming weights, bias, outgoing weights) and unit 0's."""
    w1, b1, w2 = model[0].weight._data, model[0].bias._data, model[2].weight._data
    units = np.concatenate([w1, b1[:, None], w2.T], axis=1).astype(np.float64)
    return float(np.abs(units - units[0]).max())


def _train(
    model: nn.Sequential, x: np.ndarray, y: np.ndarray, steps: int, lr: float
) -> tuple[list[float], list[float]]:
    """Full-batch gradient descent on cross-entropy, written out by hand."""
    xt = Tensor(x)
    onehot = Tensor(np.eye(CLASSES, dtype=np.float32)[y])
    losses, spreads = [], []
    for _ in range(steps):
        logits = model(xt)
        loss = -(onehot * log_softmax(logits, dim=1)).sum(dim=1).mean()
        model.zero_grad()
        loss.backward()
        with no_grad():
            for p in model.parameters():
                if p.grad is not None:
                    p._data -= lr * p.grad._data
        losses.append(float(loss.item()))
        spreads.append(_unit_spread(model))
    return losses, spreads


def _make(init: str) -> nn.Sequential:
    model = nn.Sequential(nn.Linear(2, HIDDEN), nn.Tanh(), nn.Linear(HIDDEN, CLASSES))
    if init == "random":  # the default (torch's) initialization
        return model
    value = 0.0 if init == "zeros" else 0.3
    for layer in (model[0], model[2]):
        nn.init.constant_(layer.weight, value)
        nn.init.zeros_(layer.bias)
    return model


@experiment(
    id="init.zero-symmetry",
    questions=["init.zero-init"],
    title="Zero or constant initialization keeps every hidden unit identical",
)
def zero_symmetry(seed: int, size: str) -> ExperimentResult:
    steps, n = (150, 150) if size == "quick" else (1500, 600)
    x, y = _sectors(np.random.default_rng(seed), n)
    result = ExperimentResult()
    runs = {}
    for init in ("zeros", "constant", "random"):
        model = _make(init)
        losses, spreads = _train(model, x, y, steps, lr=0.5)
        with no_grad():
            logits = model(Tensor(x)).numpy()
        runs[init] = (model, losses, spreads, logits)
        units = np.concatenate(
            [model[0].weight._data, model[0].bias._data[:, None], model[2].weight._data.T], axis=1
        ).astype(np.float64)
        result.metrics.add_row(
            init=init,
            final_loss=losses[-1],
            accuracy=float((logits.argmax(axis=1) == y).mean()),
            unit_spread=spreads[-1],
            unit_rank=int(np.linalg.matrix_rank(units, tol=1e-4)),
        )

    zero_model, _, _, zero_logits = runs["zeros"]
    result.claim(
        "zero_weights_never_move",
        bool(
            np.all(zero_model[0].weight._data == 0)
            and np.all(zero_model[2].weight._data == 0)
            and np.any(zero_model[2].bias._data != 0)
        ),
        "With all-zero weights and tanh, tanh(0) = 0 makes every weight gradient exactly 0: "
        "both weight matrices stay 0 and only the output bias learns.",
    )
    result.claim(
        "zero_init_predicts_a_constant",
        bool(np.ptp(zero_logits, axis=0).max() == 0),
        "The all-zero network gives the same output for every input (it can only learn the "
        "class frequencies).",
    )
    _, const_losses, const_spreads, _ = runs["constant"]
    result.claim(
        "constant_units_stay_identical",
        max(const_spreads) < 1e-4,
        f"With every weight equal to 0.3, the {HIDDEN} hidden units receive identical "
        "gradients and stay identical at every step: the layer acts like a single unit.",
    )
    _, rand_losses, rand_spreads, _ = runs["random"]
    result.claim(
        "random_init_breaks_symmetry",
        rand_spreads[-1] > 0.1 and rand_losses[-1] < 0.5 * const_losses[-1],
        "With random initialization the hidden units differ, and the network reaches less "
        "than half the constant-initialized network's loss.",
    )

    fig = new_figure(9, 3.5)
    ax_loss, ax_spread = fig.subplots(1, 2)
    for init, (_, losses, spreads, _) in runs.items():
        ax_loss.plot(losses, label=init)
        ax_spread.plot(np.maximum(spreads, 1e-12), label=init)
    ax_loss.set(xlabel="step", ylabel="cross-entropy", title="training loss")
    ax_spread.set(
        xlabel="step", ylabel="max distance between hidden units (0 drawn at 1e-12)", yscale="log"
    )
    ax_spread.set_title("hidden-unit symmetry")
    ax_loss.legend()
    ax_spread.legend()
    result.add_figure("zero_symmetry", fig)
    result.notes.append(f"{n} points in 3 angular sectors, 2-{HIDDEN}-3 tanh MLP, GD lr 0.5")
    return result


__all__ = ["zero_symmetry"]

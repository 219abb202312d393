"""Experiments on recurrent networks: gradients through time, exploding gradients and
clipping, stacking, bidirectionality, and the shapes an LSTM returns."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from groundup import nn
from groundup.lab.registry import ExperimentResult, experiment, new_figure
from groundup.nn.utils import clip_grad_norm_
from groundup.ops.cross_entropy import cross_entropy
from groundup.optim import SGD, Adam
from groundup.random import manual_seed
from groundup.tensor import Tensor, no_grad


def _grad(t: Tensor) -> np.ndarray:
    assert t.grad is not None
    return t.grad._data


def _hidden_gradient_norms(cell: nn.RNNCellBase, x: np.ndarray) -> np.ndarray:
    """||dL/dh_t|| for every step t of the cell unrolled over x (T, N, I), where L is the
    sum of the last hidden state: the gradient that reaches step t from the end."""
    lstm = isinstance(cell, nn.LSTMCell)
    state, hidden = None, []
    for x_t in x:
        state = cell(Tensor(x_t), state)
        h = state[0] if lstm else state
        h.retain_grad()  # keep the gradient of this intermediate hidden state
        hidden.append(h)
    hidden[-1].sum().backward()
    return np.array([np.linalg.norm(_grad(h)) for h in hidden])


@experiment(
    id="rnn.gradient-through-time",
    questions=["rnn.vanishing-why", "rnn.lstm-gates", "rnn.lstm-gru", "mlp.vanishing-exploding"],
    title="How much gradient reaches step t from the last step: RNN, LSTM and GRU",
)
def gradient_through_time(seed: int, size: str) -> ExperimentResult:
    steps, batch, n_in, hidden = (100, 16, 8, 32) if size == "quick" else (300, 32, 8, 64)
    x = np.random.default_rng(seed).standard_normal((steps, batch, n_in))
    setups: dict[str, tuple[Callable[[], nn.RNNCellBase], float]] = {
        "RNN (tanh)": (lambda: nn.RNNCell(n_in, hidden, dtype=np.float64), 0.0),
        "LSTM": (lambda: nn.LSTMCell(n_in, hidden, dtype=np.float64), 0.0),
        "GRU": (lambda: nn.GRUCell(n_in, hidden, dtype=np.float64), 0.0),
        "LSTM, forget bias +3": (lambda: nn.LSTMCell(n_in, hidden, dtype=np.float64), 3.0),
        "GRU, update bias +3": (lambda: nn.GRUCell(n_in, hidden, dtype=np.float64), 3.0),
    }
    result, ratios = ExperimentResult(), {}
    for name, (make, gate_bias) in setups.items():
        manual_seed(seed)
        cell = make()
        if gate_bias and cell.bias_ih is not None and cell.bias_hh is not None:
            # rows H..2H are the forget gate (LSTM) / the update gate z (GRU)
            cell.bias_ih._data[hidden : 2 * hidden] = gate_bias
            cell.bias_hh._data[hidden : 2 * hidden] = 0.0
        norms = _hidden_gradient_norms(cell, x)
        ratios[name] = norms[::-1] / norms[-1]  # by distance from the last step
        result.metrics.add_row(
            cell=name,
            **{f"ratio at {d} steps": float(ratios[name][d]) for d in (10, 50, steps - 1)},
        )
    far = steps - 1
    rnn = ratios["RNN (tanh)"]
    per_step = float(np.exp(np.log(rnn[far] / rnn[10]) / (far - 10)))
    result.claim(
        "rnn_gradient_vanishes_exponentially",
        rnn[far] < 1e-10 and per_step < 0.9,
        f"In the tanh RNN the gradient reaching a step {far} steps back is below 1e-10 of the "
        f"gradient at the last step: each step multiplies it by about {per_step:.2f} "
        "(tanh' <= 1 times the same W_hh every time).",
    )
    result.claim(
        "gates_at_default_init_also_vanish",
        ratios["LSTM"][far] < 1e-8 and ratios["GRU"][far] < 1e-8,
        "At torch's default initialization the forget gate (and the GRU's update gate) sit "
        "near sigmoid(0) = 0.5, so LSTM and GRU gradients also shrink below 1e-8 over "
        f"{far} steps: gates make long memory possible, they do not guarantee it.",
    )
    open_lstm, open_gru = ratios["LSTM, forget bias +3"][far], ratios["GRU, update bias +3"][far]
    result.claim(
        "open_gates_keep_the_gradient",
        min(open_lstm, open_gru) > 1e-3 and min(open_lstm, open_gru) > 1e6 * rnn[far],
        f"With the forget gate biased open (f = sigmoid(3) ~ 0.95) the cell path "
        f"dc_t/dc_(t-1) = f_t carries {open_lstm:.1e} of the gradient across {far} steps, "
        f"and a GRU with its update gate biased towards copying carries {open_gru:.1e}: "
        "more than a million times what reaches the tanh RNN's first step.",
    )
    fig = new_figure(7, 4)
    ax = fig.subplots()
    for name, r in ratios.items():
        ax.semilogy(np.maximum(r, 1e-300), label=name)
    ax.set(xlabel="steps back from the last step", ylabel="||dL/dh_t|| / ||dL/dh_T||")
    ax.set_title("gradient through time")
    ax.legend()
    result.add_figure("gradient_through_time", fig)
    result.notes.append(
        f"{steps} steps, batch {batch}, input {n_in}, hidden {hidden}, float64, random inputs"
    )
    return result


def _relu_rnn(scale: float, hidden: int) -> tuple[nn.RNN, nn.Linear]:
    rnn = nn.RNN(1, hidden, nonlinearity="relu", batch_first=True)
    rnn.weight_hh_l0._data[:] = scale * np.eye(hidden)  # every step multiplies by `scale`
    return rnn, nn.Linear(hidden, 1)


def _mse(rnn: nn.RNN, head: nn.Linear, x: np.ndarray, y: np.ndarray) -> Tensor:
    _, h_n = rnn(Tensor(x))
    diff = head(h_n[0]) - Tensor(y)
    return (diff * diff).mean()


@experiment(
    id="rnn.clipping-exploding",
    questions=["opt.gradient-clipping", "mlp.vanishing-exploding", "rnn.vanishing-why"],
    title="Exploding gradients in a ReLU RNN, and what gradient-norm clipping does",
)
def clipping_exploding(seed: int, size: str) -> ExperimentResult:
    hidden, train_steps = (16, 30) if size == "quick" else (32, 200)
    lengths = (10, 20, 40, 80)
    rng = np.random.default_rng(seed)
    result = ExperimentResult()
    norms: dict[float, list[float]] = {}
    for scale in (0.9, 1.1):
        norms[scale] = []
        for length in lengths:
            manual_seed(seed)
            rnn, head = _relu_rnn(scale, hidden)
            x = rng.uniform(0, 1, (64, length, 1)).astype(np.float32)
            _mse(rnn, head, x, x.mean(axis=1)).backward()
            grads = [_grad(p).astype(np.float64) for p in rnn.parameters()]
            norms[scale].append(float(np.sqrt(sum((g * g).sum() for g in grads))))
        result.metrics.add_row(
            run=f"W_hh = {scale} I",
            **{f"grad norm, T={t}": n for t, n in zip(lengths, norms[scale], strict=True)},
        )
    result.claim(
        "gradient_norm_grows_exponentially_with_length",
        norms[1.1][-1] / norms[1.1][-2] > 1e3 and norms[0.9][-1] / norms[0.9][-2] < 10,
        "With W_hh = 1.1 I the gradient norm grows more than 1000-fold from 40 to 80 steps "
        "(each step multiplies by 1.1 where the ReLU is active); with 0.9 I it stays bounded.",
    )
    x = rng.uniform(0, 1, (256, 50, 1)).astype(np.float32)
    y = x.mean(axis=1)
    curves: dict[str, list[float]] = {}
    for label, max_norm in (("no clipping", None), ("clip_grad_norm_(1.0)", 1.0)):
        manual_seed(seed)
        rnn, head = _relu_rnn(1.1, hidden)
        params = list(rnn.parameters()) + list(head.parameters())
        optimizer, losses, cosines = SGD(params, lr=0.01), [], []
        with np.errstate(over="ignore", invalid="ignore"):
            for step in range(train_steps):
                i = (step * 64) % len(x)
                loss = _mse(rnn, head, x[i : i + 64], y[i : i + 64])
                optimizer.zero_grad()
                loss.backward()
                raw = np.concatenate([_grad(p).ravel() for p in params])
                if max_norm is not None:
                    clip_grad_norm_(params, max_norm)
                    after = np.concatenate([_grad(p).ravel() for p in params])
                    cosines.append(
                        float(raw @ after / (np.linalg.norm(raw) * np.linalg.norm(after)))
                    )
                optimizer.step()
                losses.append(float(loss.item()))
        curves[label] = losses
        finite = [v for v in losses if np.isfinite(v)]
        result.metrics.add_row(
            run=label, first_loss=losses[0], last_loss=losses[-1], finite_steps=len(finite)
        )
        if max_norm is not None:
            result.claim(
                "clipping_keeps_the_direction",
                min(cosines) > 0.999,
                "Norm clipping rescales the whole gradient by one factor: the clipped gradient "
                "points in exactly the direction of the raw one (cosine 1).",
            )
    plain, clipped = curves["no clipping"], curves["clip_grad_norm_(1.0)"]
    result.claim(
        "without_clipping_training_blows_up",
        not all(np.isfinite(plain)) or max(plain[1:]) > 10 * plain[0],
        "Without clipping the first SGD steps use the exploding gradient as is and the loss "
        "overflows to inf/nan (or jumps more than tenfold).",
    )
    result.claim(
        "with_clipping_training_converges",
        all(np.isfinite(clipped)) and clipped[-1] < 0.5 * clipped[0],
        "With clip_grad_norm_(params, 1.0) every update has length at most lr * 1, and the "
        "same model and learning rate reduce the loss to less than half.",
    )
    fig = new_figure(9, 3.5)
    ax_norm, ax_loss = fig.subplots(1, 2)
    for scale, values in norms.items():
        ax_norm.semilogy(lengths, values, "o-", label=f"W_hh = {scale} I")
    ax_norm.set(xlabel="sequence length", ylabel="gradient norm", title="gradient norm vs length")
    ax_norm.legend()
    for label, losses in curves.items():
        ax_loss.semilogy([v if np.isfinite(v) else np.nan for v in losses], label=label)
    ax_loss.set(xlabel="SGD step", ylabel="MSE", title="training, lr 0.01")
    ax_loss.legend()
    result.add_figure("clipping_exploding", fig)
    result.notes.append(f"ReLU RNN, hidden {hidden}, W_hh = scale * I, target = mean of the inputs")
    return result


Task = Callable[[np.random.Generator, int], tuple[np.ndarray, np.ndarray]]


def _train_tagger(
    rnn: nn.Module, head: nn.Linear, task: Task, steps: int, seed: int, classes: int
) -> float:
    """Train a per-step classifier (one label per time step, -100 = no label); return the
    test accuracy over the labelled steps."""
    rng = np.random.default_rng(seed)
    optimizer = Adam(list(rnn.parameters()) + list(head.parameters()), lr=0.02)
    for _ in range(steps):
        x, y = task(rng, 128)
        out, _ = rnn(Tensor(x))  # (N, T, D*H)
        loss = cross_entropy(head(out).reshape(-1, classes), Tensor(y.reshape(-1)))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    x, y = task(np.random.default_rng(seed + 1000), 1000)
    with no_grad():
        predictions = head(rnn(Tensor(x))[0])._data.argmax(axis=-1)
    labelled = y >= 0
    return float((predictions == y)[labelled].mean())


def _checkerboard(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    """10 steps of points in [-1, 1]^2; each step's label is the colour of a 3 x 3
    checkerboard square the point falls in (a per-step function with no memory)."""
    x = rng.uniform(-1, 1, (n, 10, 2)).astype(np.float32)
    square = np.minimum(np.floor((x + 1) * 1.5), 2).astype(np.int64)  # 0, 1, 2 per axis
    return x, (square[..., 0] + square[..., 1]) % 2


@experiment(
    id="rnn.stacked-lstm-depth",
    questions=["rnn.stacked-lstm"],
    title="Two stacked LSTM layers vs one, on a task that needs depth at every step",
)
def stacked_lstm(seed: int, size: str) -> ExperimentResult:
    steps, seeds = (150, [seed]) if size == "quick" else (400, [seed, seed + 1, seed + 2])
    result = ExperimentResult()
    accuracy: dict[int, list[float]] = {1: [], 2: []}
    for s in seeds:
        for layers in (1, 2):
            manual_seed(s)
            lstm, head = nn.LSTM(2, 8, num_layers=layers, batch_first=True), nn.Linear(8, 2)
            accuracy[layers].append(_train_tagger(lstm, head, _checkerboard, steps, s, 2))
            n_params = sum(p.numel() for p in lstm.parameters())
            result.metrics.add_row(
                seed=s, layers=layers, lstm_params=n_params, accuracy=accuracy[layers][-1]
            )
    one, two = float(np.mean(accuracy[1])), float(np.mean(accuracy[2]))
    result.claim(
        "two_layers_beat_one_when_each_step_needs_depth",
        two > one + 0.08 and two > 0.88,
        f"Labelling each step by a 3 x 3 checkerboard needs a deeper function of the current "
        f"input than one gated layer of 8 units learns in {steps} steps: one layer reaches "
        f"{one:.2f}, two stacked layers (the second reading the first's states) {two:.2f}.",
    )
    result.notes.append(
        "Stacking adds depth per time step (and ~2.5x the parameters here); it does not add "
        "memory across time — compare rnn.gradient-through-time."
    )
    return result


def _look_ahead(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    """10 tokens from 4 symbols (one-hot); the label at step t is the token at t + 2 (the
    last two steps have none: -100, which cross_entropy ignores)."""
    tokens = rng.integers(0, 4, (n, 10))
    labels = np.full_like(tokens, -100)
    labels[:, :-2] = tokens[:, 2:]
    return np.eye(4, dtype=np.float32)[tokens], labels


@experiment(
    id="rnn.bidirectional-lookahead",
    questions=["rnn.bidirectional"],
    title="A bidirectional GRU sees the future; a one-directional GRU cannot",
)
def bidirectional_lookahead(seed: int, size: str) -> ExperimentResult:
    steps = 100 if size == "quick" else 300
    result, accuracy = ExperimentResult(), {}
    for bidirectional in (False, True):
        manual_seed(seed)
        gru = nn.GRU(4, 16, batch_first=True, bidirectional=bidirectional)
        head = nn.Linear(32 if bidirectional else 16, 4)
        accuracy[bidirectional] = _train_tagger(gru, head, _look_ahead, steps, seed, 4)
        result.metrics.add_row(bidirectional=bidirectional, accuracy=accuracy[bidirectional])
    result.claim(
        "one_direction_is_at_chance",
        accuracy[False] < 0.3,
        f"Predicting the token two steps ahead, a left-to-right GRU is at chance (1/4): "
        f"{accuracy[False]:.2f}; its state at step t has seen only x_1..x_t.",
    )
    result.claim(
        "bidirectional_reads_the_future",
        accuracy[True] > 0.95,
        f"The bidirectional GRU's backward direction has read x_(t+2) by step t: "
        f"{accuracy[True]:.2f}. Such a model needs the whole sequence first, so it cannot "
        "generate text left to right.",
    )
    return result


@experiment(
    id="rnn.shape-check",
    questions=["rnn.output-shapes", "rnn.batch-first"],
    title="What an LSTM returns with batch_first=True and False",
)
def shape_check(seed: int, size: str) -> ExperimentResult:
    batch, steps, n_in, hidden, layers = 3, 5, 10, 20, 2
    result = ExperimentResult()
    x_batch_first = np.random.default_rng(seed).standard_normal((batch, steps, n_in))
    x_batch_first = x_batch_first.astype(np.float32)
    outs = {}
    for batch_first in (True, False):
        for bidirectional in (False, True):
            manual_seed(seed)
            lstm = nn.LSTM(
                n_in, hidden, layers, batch_first=batch_first, bidirectional=bidirectional
            )
            x = x_batch_first if batch_first else x_batch_first.transpose(1, 0, 2)
            out, (h_n, c_n) = lstm(Tensor(np.ascontiguousarray(x)))
            outs[batch_first, bidirectional] = (out, h_n)
            result.metrics.add_row(
                batch_first=batch_first,
                bidirectional=bidirectional,
                input=str(x.shape),
                output=str(out.shape),
                h_n=str(h_n.shape),
                c_n=str(c_n.shape),
            )
    out, h_n = outs[True, False]
    result.claim(
        "output_is_every_step_h_n_every_layer",
        out.shape == (batch, steps, hidden) and h_n.shape == (layers, batch, hidden),
        f"batch_first=True: input (N, T, I) = {x_batch_first.shape} gives output (N, T, H) = "
        f"{out.shape} — the top layer at every step — and h_n (layers, N, H) = {h_n.shape}.",
    )
    time_first, time_first_h = outs[False, False]
    result.claim(
        "batch_first_changes_only_input_and_output",
        time_first.shape == (steps, batch, hidden)
        and time_first_h.shape == h_n.shape
        and np.allclose(time_first._data.transpose(1, 0, 2), out._data, atol=1e-6),
        "batch_first=False (the default) gives output (T, N, H) with the same numbers "
        "transposed; h_n keeps (layers * directions, N, H) either way.",
    )
    result.claim(
        "last_output_is_top_layer_final_state",
        np.array_equal(out._data[:, -1], h_n._data[-1])
        and nn.Linear(hidden, 4)(out[:, -1]).shape == (batch, 4),
        "For one direction out[:, -1, :] (the last step, all H features) equals h_n[-1]; a "
        "classifier Linear(H, C) on it gives logits (N, C).",
    )
    bi_out, bi_h = outs[True, True]
    result.claim(
        "bidirectional_last_step_is_not_the_summary",
        bi_out.shape == (batch, steps, 2 * hidden)
        and np.array_equal(bi_out._data[:, -1, :hidden], bi_h._data[-2])
        and np.array_equal(bi_out._data[:, 0, hidden:], bi_h._data[-1])
        and not np.allclose(bi_out._data[:, -1, hidden:], bi_h._data[-1]),
        "Bidirectional: output (N, T, 2H); out[:, -1, H:] is the backward direction after one "
        "token, not its summary — concatenate h_n[-2] (forward) and h_n[-1] (backward).",
    )
    scrambled = out.reshape(steps, batch, hidden)._data  # the wrong way to switch layouts
    result.claim(
        "view_is_not_transpose",
        not np.allclose(scrambled, time_first._data, atol=1e-6),
        "Reshaping (N, T, H) to (T, N, H) with view/reshape scrambles batch and time; "
        "transpose(0, 1) is the correct switch.",
    )
    return result

"""Gradients seen up close: the saturation term MSE picks up behind a sigmoid, and
backpropagation checked against finite differences (agreement and speed)."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

import numpy as np

from groundup import nn
from groundup.lab.experiments._loops import digits_data, grad_of
from groundup.lab.registry import ExperimentResult, experiment, new_figure
from groundup.nn import functional as F
from groundup.ops.activation import sigmoid
from groundup.optim import SGD
from groundup.tensor import Tensor, no_grad


def _output_gradient(z: np.ndarray, y: float, loss: str) -> np.ndarray:
    """∂loss/∂z for p = sigmoid(z) and target y, by autograd (float64)."""
    zt = Tensor(z, requires_grad=True)
    p = sigmoid(zt)
    target = Tensor(np.full_like(z, y))
    value = (
        F.mse_loss(p, target, reduction="sum")
        if loss == "mse"
        else (F.binary_cross_entropy(p, target, reduction="sum"))
    )
    value.backward()
    return grad_of(zt)


def _train_neuron(loss: str, steps: int) -> np.ndarray:
    """One sigmoid neuron, input 1, target 0, starting confidently wrong at w = b = 2
    (output σ(4) = 0.98): gradient descent, lr 0.15. Returns the output before each step."""
    w = Tensor(np.array([2.0]), requires_grad=True)
    b = Tensor(np.array([2.0]), requires_grad=True)
    x, y = Tensor(np.array([1.0])), Tensor(np.array([0.0]))
    optimizer = SGD([w, b], lr=0.15)
    outputs = []
    for _ in range(steps):
        p = sigmoid(w * x + b)
        value = F.mse_loss(p, y) if loss == "mse" else F.binary_cross_entropy(p, y)
        optimizer.zero_grad()
        value.backward()
        optimizer.step()
        outputs.append(p.item())
    return np.array(outputs)


@experiment(
    id="loss.mse-vs-ce-gradient",
    questions=["loss.mse-vs-ce", "loss.bce-gradient"],
    title="MSE behind a sigmoid learns slowly from confident mistakes; cross-entropy does not",
)
def mse_vs_ce_gradient(seed: int, size: str) -> ExperimentResult:
    steps = 300
    z = np.linspace(-10, 10, 201)  # float64 logits
    p = 1 / (1 + np.exp(-z))
    grads = {loss: _output_gradient(z, 1.0, loss) for loss in ("mse", "bce")}
    formulas = {"mse": 2 * (p - 1) * p * (1 - p), "bce": p - 1}  # y = 1
    result = ExperimentResult()
    for zi in (-10.0, -5.0, -2.0, 0.0, 2.0):
        k = int(np.argmin(np.abs(z - zi)))
        result.metrics.add_row(
            case=f"z = {zi:g}, y = 1",
            p=float(p[k]),
            grad_mse=float(grads["mse"][k]),
            grad_bce=float(grads["bce"][k]),
            ratio_mse_over_bce=float(grads["mse"][k] / grads["bce"][k]),
        )
    err = max(float(np.abs(grads[k] - formulas[k]).max()) for k in grads)
    result.claim(
        "gradients_match_formulas",
        err < 1e-12,
        "For p = σ(z) and target y, autograd gives ∂MSE/∂z = 2(p - y)·σ'(z) with "
        "σ'(z) = p(1 - p), and ∂BCE/∂z = p - y: the σ' term cancels in cross-entropy "
        f"(max difference from the formulas {err:.1e}).",
    )
    k = int(np.argmin(np.abs(z + 10)))
    result.claim(
        "confident_mistake_mse_gradient_vanishes",
        abs(grads["mse"][k]) < 1e-4 * abs(grads["bce"][k]),
        f"A confident mistake (target 1, z = -10, p = {p[k]:.1e}): the MSE gradient is "
        f"{abs(grads['mse'][k]):.1e}, over 10,000x smaller than cross-entropy's "
        f"{abs(grads['bce'][k]):.3f} — the more wrong, the slower MSE learns.",
    )
    outputs = {loss: _train_neuron(loss, steps) for loss in ("mse", "bce")}
    for loss, out in outputs.items():
        below = np.flatnonzero(out < 0.5)
        result.metrics.add_row(
            case=f"neuron trained with {loss}",
            p=float(out[-1]),
            steps_to_output_below_half=int(below[0]) if below.size else None,
        )
    result.claim(
        "mse_plateau_at_start",
        outputs["mse"][50] > 0.9 and outputs["bce"][50] < 0.2,
        "A sigmoid neuron that starts confidently wrong (output 0.98, target 0): after 50 "
        "steps of lr 0.15 the MSE-trained output is still above 0.9 while the "
        "cross-entropy-trained one is below 0.2.",
    )
    fig = new_figure(9, 3.5)
    ax_grad, ax_train = fig.subplots(1, 2)
    for loss, g in grads.items():
        ax_grad.plot(z, np.abs(g), label=f"|∂{loss.upper()}/∂z|")
    ax_grad.set(xlabel="logit z (target 1)", ylabel="gradient magnitude", yscale="log")
    ax_grad.set_title("gradient at the logit")
    ax_grad.legend()
    for loss, out in outputs.items():
        ax_train.plot(out, label=loss.upper())
    ax_train.set(xlabel="step", ylabel="output σ(wx + b)", ylim=(0, 1))
    ax_train.set_title("neuron starting at 0.98, target 0")
    ax_train.legend()
    result.add_figure("mse_vs_ce", fig)
    result.notes.append(
        "groundup's mse_loss is (p - y)^2 (no 1/2), hence the factor 2; the neuron setup is "
        "Nielsen's (Neural Networks and Deep Learning, ch. 3)."
    )
    return result


def _two_layer_net(hidden: int, dtype: type, seed: int) -> nn.Sequential:
    """The book's TwoLayerNet: Linear -> ReLU -> Linear, weights N(0, 0.01^2), biases 0."""
    net = nn.Sequential(
        nn.Linear(64, hidden, dtype=dtype), nn.ReLU(), nn.Linear(hidden, 10, dtype=dtype)
    )
    generator = np.random.default_rng(seed)
    for layer in (net[0], net[2]):
        nn.init.normal_(layer.weight, 0.0, 0.01, generator=generator)
        nn.init.zeros_(layer.bias)
    return net


def numerical_gradients(
    loss_fn: Callable[[], Tensor], params: Sequence[Tensor], h: float = 1e-4
) -> list[np.ndarray]:
    """Central differences (f(θ + h) - f(θ - h)) / 2h, one parameter element at a time:
    two forward passes per element, which is why nobody trains this way."""
    grads = []
    with no_grad():
        for p in params:
            flat = p._data.reshape(-1)  # a view: writing it perturbs the parameter
            g = np.zeros(flat.size, dtype=np.float64)
            for i in range(flat.size):
                old = flat[i]
                flat[i] = old + h
                plus = float(loss_fn())
                flat[i] = old - h
                minus = float(loss_fn())
                flat[i] = old
                g[i] = (plus - minus) / (2 * h)
            grads.append(g.reshape(p.shape))
    return grads


# ch05/gradient_check.py: TwoLayerNet(784, 50, 10), 3 MNIST images, mean |numeric - backprop|.
BOOK_DIFFS = {"W1": 1.8e-6, "b1": 2.4e-5, "W2": 6.2e-9, "b2": 1.4e-7}


@experiment(
    id="mlp.gradient-check",
    questions=["mlp.backprop-vs-numerical"],
    title="Numerical vs analytic gradients: they agree, and backprop is thousands of times faster",
)
def gradient_check(seed: int, size: str) -> ExperimentResult:
    hiddens = (10, 50) if size == "quick" else (10, 50, 100, 200)
    data = digits_data()
    result = ExperimentResult()
    speed: dict[int, float] = {}
    diffs: dict[tuple[int, str], dict[str, float]] = {}
    kink_free = 0.0  # worst W1 difference away from ReLU kinks
    for dtype in (np.float64, np.float32):
        for hidden in hiddens if dtype is np.float64 else hiddens[:1]:
            net = _two_layer_net(hidden, dtype, seed)
            x = Tensor(data.x_train[:3].astype(dtype))  # 3 images, as the book
            y = Tensor(data.y_train[:3])

            def loss(net: nn.Sequential = net, x: Tensor = x, y: Tensor = y) -> Tensor:
                return F.cross_entropy(net(x), y)

            params = list(net.parameters())
            backprop_time = np.inf
            for _ in range(5):  # best of 5: a single backward pass takes well under 1 ms
                start = time.perf_counter()
                net.zero_grad()
                loss().backward()
                backprop_time = min(backprop_time, time.perf_counter() - start)
            analytic = [grad_of(p).astype(np.float64) for p in params]
            start = time.perf_counter()
            numeric = numerical_gradients(loss, params)
            numeric_time = time.perf_counter() - start
            names = ("W1", "b1", "W2", "b2")
            mean_diff = {
                n: float(np.abs(a - b).mean())
                for n, a, b in zip(names, analytic, numeric, strict=True)
            }
            diffs[(hidden, np.dtype(dtype).name)] = mean_diff
            if dtype is np.float64:
                speed[hidden] = numeric_time / backprop_time
                # Finite differences are wrong where θ ± h moves a ReLU pre-activation across 0.
                pre = x._data @ net[0].weight._data.T  # (3, hidden), biases are 0
                # Moving W1[j, i] or b1[j] by h moves pre[:, j] by at most h * max(|x|, 1).
                reach = 1e-4 * max(float(np.abs(x._data).max()), 1.0)
                near = np.any(np.abs(pre) < reach, axis=0)  # (hidden,) units near a kink
                kink_free = max(kink_free, float(np.abs(analytic[0] - numeric[0])[~near].max()))
            result.metrics.add_row(
                dtype=np.dtype(dtype).name,
                hidden=hidden,
                params=sum(p.numel() for p in params),
                **{f"diff_{n}": v for n, v in mean_diff.items()},
                backprop_ms=1e3 * backprop_time,
                numerical_ms=1e3 * numeric_time,
                slowdown=numeric_time / backprop_time,
            )
    result.metrics.add_row(
        dtype="book (MNIST)",
        hidden=50,
        params=39760,
        **{f"diff_{n}": v for n, v in BOOK_DIFFS.items()},
    )
    d64 = diffs[(50, "float64")]
    result.claim(
        "float64_agrees",
        max(d64.values()) < 1e-4 and d64["W2"] < 1e-9,
        "In float64 (h = 1e-4) backprop and central differences agree: mean differences "
        f"W1 {d64['W1']:.1e}, b1 {d64['b1']:.1e}, W2 {d64['W2']:.1e}, b2 {d64['b2']:.1e} "
        "(book on MNIST: 1.8e-6, 2.4e-5, 6.2e-9, 1.4e-7).",
    )
    result.claim(
        "first_layer_error_is_relu_kinks",
        kink_free < 1e-8,
        "The larger first-layer differences come from ReLU kinks: leaving out hidden units "
        "whose pre-activation lies within reach of θ ± h of 0, the W1 gradients agree to "
        f"{kink_free:.1e}. The backprop value is the right one.",
    )
    d32 = diffs[(hiddens[0], "float32")]
    result.claim(
        "float32_finite_differences_fail",
        d32["W2"] > 100 * diffs[(hiddens[0], "float64")]["W2"] and d32["W2"] > 1e-5,
        f"In float32 the same check is off by {d32['W2']:.1e} on W2: f(θ+h) - f(θ-h) loses "
        "most of its digits to rounding (float32 has ~7), which is why gradient checks run "
        "in float64.",
    )
    result.claim(
        "backprop_much_faster",
        min(speed.values()) > 100 and speed[hiddens[-1]] > speed[hiddens[0]],
        "Central differences need two forward passes per parameter; backprop needs one "
        f"backward pass for all: {min(speed.values()):.0f}-{max(speed.values()):.0f}x slower "
        "here, and the gap grows with the parameter count.",
    )
    fig = new_figure(6, 4)
    ax = fig.subplots()
    rows = [r for r in result.metrics if r["dtype"] == "float64"]
    counts = [r["params"] for r in rows]
    ax.plot(
        counts, [r["numerical_ms"] for r in rows], marker="o", label="numerical (2 forwards/param)"
    )
    ax.plot(
        counts,
        [r["backprop_ms"] for r in rows],
        marker="o",
        label="backprop (1 forward + 1 backward)",
    )
    ax.set(
        xlabel="parameters", ylabel="time for the full gradient (ms)", xscale="log", yscale="log"
    )
    ax.set_title("cost of one gradient, 64-h-10 ReLU net, 3 images")
    ax.legend()
    result.add_figure("gradient_cost", fig)
    result.notes.append(
        "Digits (64 inputs) instead of the book's MNIST (784): the net is 64-h-10, so the book's "
        "39,760-parameter row is for a bigger net. Weights N(0, 0.01^2), biases 0, as in the book."
    )
    return result


__all__ = ["gradient_check", "mse_vs_ce_gradient", "numerical_gradients"]

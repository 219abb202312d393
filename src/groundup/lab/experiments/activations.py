"""What the choice of activation does to the gradient: sigmoid's vanishes with depth, ReLU
units can die, and softmax's exponential is what makes its gradient p - y."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from groundup import nn
from groundup.lab.experiments._loops import accuracy, digits_data, grad_of, mlp, train_step
from groundup.lab.registry import ExperimentResult, experiment, new_figure
from groundup.nn import functional as F
from groundup.ops.activation import relu, sigmoid, softmax, tanh
from groundup.optim import SGD
from groundup.tensor import Tensor

GRADIENT_NETS = {"sigmoid": (sigmoid, "xavier"), "tanh": (tanh, "xavier"), "relu": (relu, "he")}
MAX_DERIVATIVE = {"sigmoid": 0.25, "tanh": 1.0, "relu": 1.0}  # max over z of f'(z)


def _backprop_norms(
    act_name: str, depth: int, x: np.ndarray, y: np.ndarray, seed: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One forward/backward pass through `depth` hidden layers of 100 units.

    Returns, per hidden layer l, ‖δ_l‖ (δ_l = ∂L/∂a_l, the gradient at the pre-activation
    a_l), ‖∂L/∂W_l‖, and the factor ‖δ_l‖ / ‖δ_{l+1} W_{l+1}‖ that the activation's
    derivative alone applies on the way back (δ_l = f'(a_l) ⊙ (δ_{l+1} W_{l+1})).
    """
    act, init = GRADIENT_NETS[act_name]
    model = mlp([x.shape[1]] + [100] * depth + [10], init, nn.Identity, seed)
    linears = [m for m in model if isinstance(m, nn.Linear)]
    h, pre = Tensor(x), []
    for layer in linears[:-1]:
        a = layer(h)  # (N, 100)
        a.retain_grad()
        pre.append(a)
        h = act(a)
    F.cross_entropy(linears[-1](h), Tensor(y)).backward()
    deltas = [grad_of(a).astype(np.float64) for a in pre]  # each (N, 100)
    delta_norm = np.array([np.linalg.norm(d) for d in deltas])
    weight_norm = np.array([np.linalg.norm(grad_of(lin.weight)) for lin in linears[:-1]])
    upstream = [
        d @ lin.weight._data.astype(np.float64)
        for d, lin in zip(deltas[1:], linears[1:-1], strict=True)
    ]
    factor = delta_norm[:-1] / np.array([np.linalg.norm(u) for u in upstream])
    return delta_norm, weight_norm, factor


@experiment(
    id="mlp.activation-gradients",
    questions=["mlp.activation-compare", "mlp.relu-over-sigmoid", "mlp.vanishing-exploding"],
    title="Vanishing gradients by depth: sigmoid shrinks the gradient by up to 4x per layer",
)
def activation_gradients(seed: int, size: str) -> ExperimentResult:
    depth, batch = (10, 256) if size == "quick" else (20, 1437)
    data = digits_data()
    x, y = data.x_train[:batch], data.y_train[:batch]
    result = ExperimentResult()
    norms: dict[str, np.ndarray] = {}
    factors: dict[str, np.ndarray] = {}
    shrink: dict[str, float] = {}
    weight_ratio: dict[str, float] = {}
    for act_name, (_, init) in GRADIENT_NETS.items():
        delta, weight, factor = _backprop_norms(act_name, depth, x, y, seed)
        norms[act_name], factors[act_name] = delta, factor
        # geometric mean of ‖δ_l‖ / ‖δ_{l+1}‖: how much one layer shrinks the gradient
        shrink[act_name] = float((delta[0] / delta[-1]) ** (1 / (depth - 1)))
        weight_ratio[act_name] = float(weight[0] / weight[-1])
        result.metrics.add_row(
            activation=act_name,
            init=init,
            max_derivative=MAX_DERIVATIVE[act_name],
            max_derivative_factor=float(factor.max()),
            shrink_per_layer=shrink[act_name],
            delta_first=float(delta[0]),
            delta_last=float(delta[-1]),
            weight_grad_first_over_last=weight_ratio[act_name],
        )
    result.claim(
        "sigmoid_factor_at_most_quarter",
        bool(factors["sigmoid"].max() <= 0.25),
        "At every sigmoid layer the backward pass multiplies the incoming gradient by σ'(a) "
        "≤ 1/4 elementwise, so ‖δ_l‖ ≤ ¼‖δ_{l+1} W_{l+1}‖: measured at every layer.",
    )
    result.claim(
        "sigmoid_vanishes_geometrically",
        shrink["sigmoid"] < 0.3 and weight_ratio["sigmoid"] < 1e-4,
        f"With Xavier weights (which roughly preserve the norm) the sigmoid net's gradient "
        f"shrinks by a steady factor ~{shrink['sigmoid']:.2f} < 0.3 per layer: after "
        f"{depth} layers the first layer's weight gradient is under 1e-4 of the last one's.",
    )
    result.claim(
        "relu_keeps_gradient",
        0.8 < shrink["relu"] < 1.25 and weight_ratio["relu"] > 0.1,
        "With ReLU and He weights the gradient keeps its size through depth (per-layer "
        "factor within 0.8-1.25; the first layer's weight gradient is over 0.1 of the last one's).",
    )
    result.claim(
        "tanh_between",
        shrink["sigmoid"] < shrink["tanh"] <= 1.05,
        "Tanh (derivative up to 1) loses far less per layer than sigmoid (up to 1/4).",
    )
    fig = new_figure(6.5, 4)
    ax = fig.subplots()
    layers = np.arange(1, depth + 1)
    for act_name, delta in norms.items():
        ax.plot(layers, delta, marker="o", label=f"{act_name} ({GRADIENT_NETS[act_name][1]})")
    ref = norms["sigmoid"][-1] * 0.25 ** (depth - layers)  # the 1/4-per-layer bound's slope
    ax.plot(layers, ref, color="grey", linestyle="--", label="(1/4)^(layers to go)")
    ax.set(xlabel="hidden layer (input side = 1)", ylabel="‖∂L/∂a_l‖", yscale="log")
    ax.set_title(f"gradient norm per layer, {depth} layers x 100 units")
    ax.legend()
    result.add_figure("gradient_by_layer", fig)
    result.notes.append(
        f"{batch} digits images, one cross-entropy backward pass at initialization."
    )
    return result


def _dead_mask(model: nn.Sequential, x: np.ndarray) -> np.ndarray:
    """Units of the first hidden layer whose pre-activation is <= 0 on every input: a ReLU
    outputs 0 there and passes back no gradient, for every example."""
    pre = x @ model[0].weight._data.T + model[0].bias._data  # (N, hidden)
    return np.all(pre <= 0, axis=0)  # (hidden,)


@dataclass
class _DeadRun:
    dead: np.ndarray  # (hidden,) bool: first-layer units negative on every training input
    zero_grad_on_dead: bool  # every dead unit's full-data gradient is exactly 0
    dead_get_gradient: bool  # every dead (silent) unit's full-data gradient is nonzero
    stayed_dead: bool  # units dead after epoch 1: still dead, weights bit-identical
    test_acc: float


@experiment(
    id="mlp.dead-relu-count",
    questions=["mlp.relu-problems", "mlp.activation-compare"],
    title="Dying ReLU: a too-large learning rate kills units for good; Leaky ReLU keeps learning",
)
def dead_relu(seed: int, size: str) -> ExperimentResult:
    epochs = 12 if size == "quick" else 30
    data = digits_data()
    x, y, n = data.x_train, data.y_train, len(data.y_train)
    runs = {
        ("ReLU", 0.05): nn.ReLU,
        ("ReLU", 2.0): nn.ReLU,
        ("LeakyReLU", 0.05): nn.LeakyReLU,
        ("LeakyReLU", 2.0): nn.LeakyReLU,
    }
    result = ExperimentResult()
    info: dict[tuple[str, float], _DeadRun] = {}
    curves: dict[tuple[str, float], list[float]] = {}
    for (name, lr), act in runs.items():
        model = mlp([64, 100, 10], "he", act, seed)
        optimizer = SGD(model.parameters(), lr=lr)
        rng = np.random.default_rng(seed)
        curves[(name, lr)] = [float(_dead_mask(model, x).mean())]
        with np.errstate(over="ignore", invalid="ignore"):
            for epoch in range(epochs):
                for idx in np.array_split(rng.permutation(n), n // 32):
                    train_step(model, optimizer, x[idx], y[idx])
                if epoch == 0:  # which units are dead after one epoch, and their weights then
                    dead_early = _dead_mask(model, x)
                    w_early = model[0].weight._data[dead_early].copy()
                    b_early = model[0].bias._data[dead_early].copy()
                curves[(name, lr)].append(float(_dead_mask(model, x).mean()))
        # The gradient over the whole training set, to see which units still receive any.
        model.zero_grad()
        F.cross_entropy(model(Tensor(x)), Tensor(y)).backward()
        dead = _dead_mask(model, x)
        # (hidden,) total |gradient| reaching each first-layer unit's weights and bias
        unit_grad = np.abs(grad_of(model[0].weight)).sum(axis=1) + np.abs(grad_of(model[0].bias))
        run = info[(name, lr)] = _DeadRun(
            dead=dead,
            zero_grad_on_dead=bool(np.all(unit_grad[dead] == 0)),
            dead_get_gradient=bool(np.all(unit_grad[dead] > 0)),
            stayed_dead=bool(
                np.all(dead[dead_early])
                and np.array_equal(model[0].weight._data[dead_early], w_early)
                and np.array_equal(model[0].bias._data[dead_early], b_early)
            ),
            test_acc=accuracy(model, data.x_test, data.y_test),
        )
        result.metrics.add_row(
            activation=name,
            lr=lr,
            dead_at_start_pct=100 * curves[(name, lr)][0],
            dead_at_end_pct=100 * float(dead.mean()),
            dead_units_zero_grad=run.zero_grad_on_dead if dead.any() else None,
            test_acc=run.test_acc,
        )
    relu_hi, relu_lo, leaky_hi = info[("ReLU", 2.0)], info[("ReLU", 0.05)], info[("LeakyReLU", 2.0)]
    hi_dead = float(relu_hi.dead.mean())
    result.claim(
        "high_lr_kills_relu_units",
        hi_dead >= 0.5 and float(relu_lo.dead.mean()) <= 0.1,
        f"With SGD at lr 2.0, {100 * hi_dead:.0f}% of the first layer's ReLU units end up "
        "negative on every training image (dead); at lr 0.05 at most 10% are.",
    )
    result.claim(
        "dead_units_get_zero_gradient",
        relu_hi.zero_grad_on_dead,
        "Every dead ReLU unit receives exactly zero gradient (weights and bias) over the "
        "whole training set: nothing can move it.",
    )
    result.claim(
        "dead_units_stay_dead",
        relu_hi.stayed_dead and relu_lo.stayed_dead,
        "Units dead after the first epoch are still dead at the end, with bit-for-bit the "
        "same weights and bias: with plain SGD a dead first-layer ReLU never recovers.",
    )
    result.claim(
        "leaky_relu_keeps_learning",
        leaky_hi.dead_get_gradient and leaky_hi.test_acc >= 0.6 and relu_hi.test_acc <= 0.3,
        "At the same lr 2.0, Leaky ReLU's silent units still get a nonzero gradient (slope "
        "0.01 below 0) and the network reaches >= 60% test accuracy while the ReLU network "
        "is stuck near chance (<= 30%).",
    )
    fig = new_figure(6.5, 4)
    ax = fig.subplots()
    for (name, lr), curve in curves.items():
        ax.plot(range(epochs + 1), 100 * np.asarray(curve), marker="o", label=f"{name}, lr {lr}")
    ax.set(xlabel="epoch", ylabel="% of first-layer units negative on all inputs", ylim=(-3, 103))
    ax.set_title("dead (ReLU) or silent (Leaky ReLU) units")
    ax.legend()
    result.add_figure("dead_units", fig)
    result.notes.append("Digits, 64-100-10 MLP with He init, SGD batch 32.")
    return result


def _naive_softmax(z: Tensor) -> Tensor:
    """exp(z) / Σ exp(z) without subtracting the max first."""
    e = z.exp()
    return e / e.sum(dim=-1, keepdim=True)


@experiment(
    id="loss.softmax-exp-properties",
    questions=["loss.softmax-why-exp", "loss.softmax-stability", "loss.softmax-ce-gradient"],
    title="Why softmax uses exp: positive, order-keeping, shift-invariant, gradient p - y",
)
def softmax_exp(seed: int, size: str) -> ExperimentResult:
    result = ExperimentResult()
    z = np.array([-2.0, 0.0, 1.0])  # a negative, a zero and a positive logit
    rules = {
        "exp: e^z / Σe^z": softmax(Tensor(z), dim=0).numpy(),
        "linear: z / Σz": z / z.sum(),
        "square: z² / Σz²": z**2 / (z**2).sum(),
    }
    for rule, p in rules.items():
        result.metrics.add_row(
            rule=rule,
            probabilities=np.array2string(p, precision=3),
            all_positive=bool(np.all(p > 0)),
            sums_to_1=bool(np.isclose(p.sum(), 1.0)),
            keeps_order=bool(np.array_equal(np.argsort(p), np.argsort(z))),
        )
    exp_p = rules["exp: e^z / Σe^z"]
    result.claim(
        "only_exp_gives_ordered_probabilities",
        bool(np.all(exp_p > 0) and np.array_equal(np.argsort(exp_p), np.argsort(z)))
        and not np.all(rules["linear: z / Σz"] >= 0)
        and not np.array_equal(np.argsort(rules["square: z² / Σz²"]), np.argsort(z)),
        "For logits (-2, 0, 1) exp gives positive probabilities in the logits' order; "
        "dividing by Σz gives negative 'probabilities', and squaring ranks -2 first.",
    )
    rng = np.random.default_rng(seed)
    logits = rng.standard_normal((8, 10))  # (batch, classes), float64
    p = softmax(Tensor(logits), dim=1).numpy()
    shifted = softmax(Tensor(logits + 100.0), dim=1).numpy()
    scaled = softmax(Tensor(2 * logits), dim=1).numpy()
    result.claim(
        "shift_invariant_not_scale_invariant",
        bool(np.allclose(shifted, p, rtol=0, atol=1e-12)) and not np.allclose(scaled, p, atol=1e-3),
        "softmax(z + 100) = softmax(z) to float64 rounding (1e-12), because e^(z+c) = e^c e^z "
        "and e^c cancels; softmax(2z) "
        "differs (sharper): only differences between logits matter, their scale is a temperature.",
    )
    target = rng.integers(0, 10, size=8)
    z_t = Tensor(logits, requires_grad=True)
    F.cross_entropy(z_t, Tensor(target)).backward()
    onehot = np.eye(10)[target]  # (8, 10)
    grad_err = float(np.abs(grad_of(z_t) * len(target) - (p - onehot)).max())
    result.claim(
        "cross_entropy_gradient_is_p_minus_y",
        grad_err < 1e-12,
        "The gradient of cross-entropy (summed over the batch) with respect to the logits "
        f"is exactly p - y: autograd agrees to {grad_err:.1e} in float64. The log cancels the "
        "exp, so no saturating derivative appears.",
    )
    big = np.array([[1000.0, 1001.0, 1002.0]], dtype=np.float32)
    with np.errstate(over="ignore", invalid="ignore"):
        naive = _naive_softmax(Tensor(big)).numpy()
        naive_88 = _naive_softmax(Tensor(np.array([[88.0, 89.0]], dtype=np.float32))).numpy()
    stable = softmax(Tensor(big), dim=1).numpy()
    expected = softmax(Tensor(big - 1000.0), dim=1).numpy()
    for name, values in (
        ("naive, logits 1000..1002", naive),
        ("max-shifted, logits 1000..1002", stable),
    ):
        result.metrics.add_row(rule=name, probabilities=np.array2string(values[0], precision=3))
    result.claim(
        "naive_softmax_overflows",
        bool(np.isnan(naive).all() and np.isnan(naive_88).any()),
        "Without the max-shift, float32 e^z overflows to inf above z ≈ 88.7 and inf/inf = "
        "nan: logits (1000, 1001, 1002) — or just (88, 89) — give nan.",
    )
    result.claim(
        "max_shift_fixes_overflow",
        bool(np.array_equal(stable, expected) and np.isfinite(stable).all()),
        "groundup's softmax subtracts the row max first (the shift changes nothing, see "
        "above), giving (0.090, 0.245, 0.665) for logits (1000, 1001, 1002).",
    )
    two = softmax(Tensor(np.stack([logits[:, 0], np.zeros(8)], axis=1)), dim=1).numpy()[:, 0]
    result.claim(
        "two_class_softmax_is_sigmoid",
        bool(np.allclose(two, sigmoid(Tensor(logits[:, 0])).numpy(), rtol=0, atol=1e-15)),
        "softmax over (z, 0) equals sigmoid(z): the sigmoid is the two-class softmax.",
    )
    fig = new_figure(9, 3.5)
    ax_rules, ax_scale = fig.subplots(1, 2)
    width = 0.25
    for k, (rule, probs) in enumerate(rules.items()):
        ax_rules.bar(np.arange(3) + (k - 1) * width, probs, width, label=rule)
    ax_rules.axhline(0, color="black", linewidth=0.8)
    ax_rules.set_xticks(range(3), [f"z = {v:g}" for v in z])
    ax_rules.set(ylabel="'probability'", title="three ways to normalize logits")
    ax_rules.legend(fontsize=8)
    scales = np.linspace(0, 120, 121, dtype=np.float32)
    pair = np.stack([scales, scales + 1], axis=1)  # (121, 2): logits (s, s + 1)
    with np.errstate(over="ignore", invalid="ignore"):
        naive_top = _naive_softmax(Tensor(pair)).numpy()[:, 1]
    ax_scale.plot(
        scales, softmax(Tensor(pair), dim=1).numpy()[:, 1], label="max-shifted", linewidth=3
    )
    ax_scale.plot(scales, naive_top, label="naive", linestyle="--")
    limit = float(np.log(np.finfo(np.float32).max))  # 88.72: e^z overflows float32 above it
    ax_scale.axvline(limit, color="red", linewidth=1, label=f"naive gives nan past {limit:.1f}")
    ax_scale.set(xlabel="s (logits s and s + 1, float32)", ylabel="p of the larger", ylim=(0, 1))
    ax_scale.set_title("overflow without the max-shift")
    ax_scale.legend()
    result.add_figure("softmax_exp", fig)
    return result


__all__ = ["activation_gradients", "dead_relu", "softmax_exp"]

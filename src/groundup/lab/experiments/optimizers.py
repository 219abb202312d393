"""SGD, Momentum, Nesterov, AdaGrad, RMSprop and Adam side by side: on the book's
elongated valley, on a real network, AdaGrad's shrinking step vs RMSprop's, and what
Adam's bias correction does to its first steps."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from groundup import nn
from groundup.lab.experiments._loops import digits_data, mlp, smooth, train_step, zero_linear
from groundup.lab.experiments._loops import grad_of as _grad_of
from groundup.lab.registry import ExperimentResult, experiment, new_figure
from groundup.nn import functional as F
from groundup.optim import SGD, Adagrad, Adam, Optimizer, RMSprop
from groundup.optim.optimizer import ParamsT
from groundup.tensor import Tensor

MakeOptimizer = Callable[[list[Tensor]], Optimizer]

# ch06/optimizer_compare_naive.py: f(x, y) = x²/20 + y² from (-7, 2), 30 updates.
VALLEY_SCALE = np.array([1 / 20, 1.0])  # f = Σ scale · p²
VALLEY: dict[str, tuple[str, MakeOptimizer]] = {
    "SGD": ("lr 0.95", lambda ps: SGD(ps, lr=0.95)),
    "Momentum": ("lr 0.1, momentum 0.9", lambda ps: SGD(ps, lr=0.1, momentum=0.9)),
    "Nesterov": ("lr 0.1, momentum 0.9", lambda ps: SGD(ps, lr=0.1, momentum=0.9, nesterov=True)),
    "AdaGrad": ("lr 1.5", lambda ps: Adagrad(ps, lr=1.5)),
    "RMSprop": ("lr 0.3, alpha 0.99", lambda ps: RMSprop(ps, lr=0.3, alpha=0.99)),
    "Adam": ("lr 0.3, betas (0.9, 0.999)", lambda ps: Adam(ps, lr=0.3)),
}
BOOK_VALLEY = {  # published endpoints (x, y, f) after 30 updates
    "SGD": (-0.350, 0.085, 0.0133),
    "Momentum": (0.896, 0.088, 0.048),
    "AdaGrad": (-0.120, 0.000, 0.00072),
    "Adam": (0.136, 0.318, 0.102),
}
BOOK_LR = {
    "SGD": 0.95,
    "Momentum": 0.1,
    "Nesterov": 0.1,
    "AdaGrad": 1.5,
    "RMSprop": 0.3,
    "Adam": 0.3,
}


def _descend(
    make: MakeOptimizer, start: tuple[float, float], scale: np.ndarray, steps: int
) -> np.ndarray:
    """The path (steps + 1, 2) of an optimizer on f(p) = Σ scale · p², gradients by autograd."""
    p = Tensor(np.array(start), requires_grad=True)
    optimizer = make([p])
    path = [p._data.copy()]
    for _ in range(steps):
        optimizer.zero_grad()
        (Tensor(scale) * p * p).sum().backward()
        optimizer.step()
        path.append(p._data.copy())
    return np.array(path)


def _book_path(name: str, lr: float, steps: int = 30) -> np.ndarray:
    """The same 30 updates with the book's own formulas (common/optimizer.py), in NumPy."""
    p = np.array([-7.0, 2.0])
    v, h, m = np.zeros(2), np.zeros(2), np.zeros(2)
    mu, b1, b2 = 0.9, 0.9, 0.999
    path = [p.copy()]
    for t in range(1, steps + 1):
        g = 2 * VALLEY_SCALE * p
        if name == "SGD":
            p = p - lr * g
        elif name == "Momentum":  # v ← μv - ηg; p ← p + v   (torch: b ← μb + g; p ← p - ηb)
            v = mu * v - lr * g
            p = p + v
        elif name == "Nesterov":  # the book scales the *updated* v by μ²
            v = mu * v - lr * g
            p = p + mu * mu * v - (1 + mu) * lr * g
        elif name == "AdaGrad":  # ε = 1e-7 (torch: 1e-10)
            h = h + g * g
            p = p - lr * g / (np.sqrt(h) + 1e-7)
        elif name == "RMSprop":
            h = 0.99 * h + 0.01 * g * g
            p = p - lr * g / (np.sqrt(h) + 1e-7)
        else:  # Adam with both bias corrections folded into the step size, ε before them
            m = m + (1 - b1) * (g - m)
            h = h + (1 - b2) * (g * g - h)
            lr_t = lr * np.sqrt(1 - b2**t) / (1 - b1**t)
            p = p - lr_t * m / (np.sqrt(h) + 1e-7)
        path.append(p.copy())
    return np.array(path)


def _lookahead_nesterov(lr: float, mu: float, steps: int) -> np.ndarray:
    """Sutskever et al.'s Nesterov momentum, gradient taken at the look-ahead point:
    v ← μv - η ∇f(θ + μv); θ ← θ + v. Returns θ + μv, the point torch's form tracks."""
    theta, v = np.array([-7.0, 2.0]), np.zeros(2)
    path = [theta.copy()]
    for _ in range(steps):
        v = mu * v - lr * 2 * VALLEY_SCALE * (theta + mu * v)
        theta = theta + v
        path.append(theta + mu * v)
    return np.array(path)


def _valley_f(p: np.ndarray) -> float:
    return float((VALLEY_SCALE * p * p).sum())


# d2l 12.6: f = 0.1 x1² + 2 x2² from (-5, -2), 20 steps.
D2L_SCALE = np.array([0.1, 2.0])
D2L_VALLEY: dict[str, tuple[MakeOptimizer, tuple[float | None, float]]] = {
    "GD lr 0.4": (lambda ps: SGD(ps, lr=0.4), (-0.943, -7e-5)),
    "GD lr 0.6": (lambda ps: SGD(ps, lr=0.6), (None, -1673.0)),  # d2l quotes x2 only
    "Momentum lr 0.6, beta 0.5": (lambda ps: SGD(ps, lr=0.6, momentum=0.5), (0.0072, 0.0026)),
}


@experiment(
    id="opt.optimizers-on-valley",
    questions=[
        "opt.sgd-rmsprop-adam",
        "opt.momentum-formula",
        "opt.update-rules-compare",
        "opt.nesterov",
    ],
    title="Six optimizers on f(x, y) = x²/20 + y² from (-7, 2): the book's trajectories",
)
def optimizers_on_valley(seed: int, size: str) -> ExperimentResult:
    result = ExperimentResult()
    paths = {
        name: _descend(make, (-7.0, 2.0), VALLEY_SCALE, 30) for name, (_, make) in VALLEY.items()
    }
    book_paths = {name: _book_path(name, BOOK_LR[name]) for name in VALLEY}
    reproduced, gaps = True, {}
    for name, path in paths.items():
        x, y = path[-1]
        gaps[name] = float(np.abs(path - book_paths[name]).max())
        row = {
            "setup": "DLFS, 30 steps",
            "optimizer": name,
            "hyper": VALLEY[name][0],
            "x": x,
            "y": y,
            "f": _valley_f(path[-1]),
            "book_formula_x": book_paths[name][-1][0],
            "book_formula_y": book_paths[name][-1][1],
            "max_gap_to_book_formula": gaps[name],
        }
        if name in BOOK_VALLEY:
            bx, by, bf = BOOK_VALLEY[name]
            row |= {"published_x": bx, "published_y": by, "published_f": bf}
            reproduced &= abs(x - bx) < 5e-4 and abs(y - by) < 5e-4
            reproduced &= abs(_valley_f(path[-1]) - bf) < 5e-3 * max(bf, 0.1)
        result.metrics.append(row)
    d2l_ok = True
    for name, (make, (px, py)) in D2L_VALLEY.items():
        end = _descend(make, (-5.0, -2.0), D2L_SCALE, 20)[-1]
        d2l_ok &= bool(np.isclose(end[1], py, rtol=5e-3, atol=5e-5))
        d2l_ok &= px is None or bool(np.isclose(end[0], px, rtol=5e-3, atol=5e-5))
        result.metrics.add_row(
            setup="d2l, 20 steps",
            optimizer=name,
            x=end[0],
            y=end[1],
            published_x=px,
            published_y=py,
        )

    result.claim(
        "book_endpoints_reproduced",
        bool(reproduced),
        "groundup.optim reproduces the book's endpoints after 30 updates to 3 decimals: SGD "
        "(-0.350, 0.085), Momentum (0.896, 0.088), AdaGrad (-0.120, 0.000), Adam (0.136, 0.318).",
    )
    result.claim(
        "d2l_endpoints_reproduced",
        bool(d2l_ok),
        "And d2l's on 0.1x² + 2y² from (-5, -2): GD lr 0.4 -> (-0.943, -7e-5), lr 0.6 diverges "
        "along x2 (-1673), momentum lr 0.6 β 0.5 -> (0.0072, 0.0026).",
    )
    same = ("SGD", "Momentum", "AdaGrad", "RMSprop", "Adam")
    result.claim(
        "book_and_torch_formulas_agree",
        max(gaps[k] for k in same) < 1e-5,
        "The book writes momentum as v ← μv - ηg, p ← p + v and Adam with the bias "
        "corrections folded into the step size; torch writes b ← μb + g, p ← p - ηb and "
        "corrects m and v separately. With a constant lr these are the same algorithms: the "
        f"paths differ by at most {max(gaps[k] for k in same):.1e} (the ε's differ).",
    )
    lookahead = _lookahead_nesterov(0.1, 0.9, 30)
    result.claim(
        "nesterov_is_lookahead_momentum",
        float(np.abs(paths["Nesterov"] - lookahead).max()) < 1e-12 and gaps["Nesterov"] > 0.1,
        "groundup's (and torch's) Nesterov equals Sutskever's look-ahead momentum — gradient "
        "taken at θ + μv — tracked at the look-ahead point. The book's Nesterov class scales "
        "the already-updated velocity by μ², which is a different method: its path departs "
        f"by up to {gaps['Nesterov']:.2f}.",
    )
    signs = np.sign(paths["SGD"][1:, 1])
    result.claim(
        "sgd_zigzags",
        bool(np.all(signs[1:] == -signs[:-1])),
        "SGD with lr 0.95 flips the sign of y at every step (y ← (1 - 2·0.95) y = -0.9 y): "
        "it zigzags across the steep direction while creeping along the flat one.",
    )
    fig = new_figure(12, 6.5)
    axes = fig.subplots(2, 3, sharex=True, sharey=True)
    gx, gy = np.meshgrid(np.linspace(-10, 10, 200), np.linspace(-5, 5, 100))
    levels = np.geomspace(0.01, 30, 12)
    for ax, (name, path) in zip(axes.ravel(), paths.items(), strict=True):
        ax.contour(gx, gy, gx**2 / 20 + gy**2, levels=levels, colors="lightgrey", linewidths=0.8)
        ax.plot(path[:, 0], path[:, 1], "o-", color="tab:red", markersize=3, linewidth=1)
        ax.plot(0, 0, "+", color="black", markersize=10)
        ax.set_title(f"{name} ({VALLEY[name][0]})", fontsize=9)
        ax.set(xlim=(-10, 10), ylim=(-5, 5))
    fig.suptitle("30 updates on f(x, y) = x²/20 + y² from (-7, 2)")
    result.add_figure("valley_trajectories", fig)
    return result


DIGITS_OPTIMIZERS: dict[str, MakeOptimizer] = {
    "SGD": lambda ps: SGD(ps, lr=0.01),
    "Momentum": lambda ps: SGD(ps, lr=0.01, momentum=0.9),
    "Nesterov": lambda ps: SGD(ps, lr=0.01, momentum=0.9, nesterov=True),
    "AdaGrad": lambda ps: Adagrad(ps, lr=0.01),
    "RMSprop": lambda ps: RMSprop(ps, lr=0.001),
    "Adam": lambda ps: Adam(ps, lr=0.001),
}
# ch06/optimizer_compare_mnist.py: mini-batch loss at iteration 1900 on MNIST.
BOOK_MNIST_1900 = {"SGD": 0.150, "Momentum": 0.050, "AdaGrad": 0.016, "Adam": 0.032}


@experiment(
    id="opt.optimizers-on-digits",
    questions=["opt.sgd-rmsprop-adam", "opt.update-rules-compare"],
    title="Six optimizers training the same 5-layer MLP on digits",
)
def optimizers_on_digits(seed: int, size: str) -> ExperimentResult:
    iterations = 200 if size == "quick" else 2000
    data = digits_data()
    n = len(data.y_train)
    sizes = [data.x_train.shape[1], 100, 100, 100, 100, data.num_classes]
    models = {name: mlp(sizes, "he", nn.ReLU, seed) for name in DIGITS_OPTIMIZERS}  # same start
    optimizers = {
        name: make(list(models[name].parameters())) for name, make in DIGITS_OPTIMIZERS.items()
    }
    losses: dict[str, list[float]] = {name: [] for name in models}
    rng = np.random.default_rng(seed)
    for _ in range(iterations):
        idx = rng.choice(n, 128)  # the same batches for every optimizer
        for name, model in models.items():
            losses[name].append(
                train_step(model, optimizers[name], data.x_train[idx], data.y_train[idx])
            )
    result = ExperimentResult()
    tail = {name: float(np.mean(v[-100:])) for name, v in losses.items()}
    at = min(1900, iterations - 1)
    for name, v in losses.items():
        result.metrics.add_row(
            optimizer=name,
            **{f"loss@{k}": float(np.mean(v[k - 50 : k])) for k in (100, 300) if k < iterations},
            **{f"loss@{at}": v[at]},
            mean_last_100=tail[name],
            book_mnist_loss_at_1900=BOOK_MNIST_1900.get(name),
        )
    others = [tail[k] for k in tail if k != "SGD"]
    result.claim(
        "sgd_slowest",
        tail["SGD"] > max(others),
        "Plain SGD (lr 0.01) has the highest loss after the same number of iterations, as "
        "in the book's MNIST run (SGD 0.150 vs 0.016-0.050).",
    )
    result.claim(
        "momentum_and_adaptive_far_ahead",
        max(others) < tail["SGD"] / 3,
        "Momentum, Nesterov, AdaGrad, RMSprop and Adam all end at less than a third of SGD's loss.",
    )
    fig = new_figure(6.5, 4)
    ax = fig.subplots()
    for name, v in losses.items():
        ax.plot(np.maximum(smooth(v, 20), 1e-8), label=name)  # log axis: keep > 0
    ax.set(xlabel="iteration", ylabel="mini-batch loss (smoothed)", yscale="log")
    ax.set_title("64-100x4-10 ReLU MLP on digits, batch 128")
    ax.legend()
    result.add_figure("optimizers_on_digits", fig)
    result.notes.append(
        "Digits instead of the book's MNIST (64-100x4-10 instead of 784-100x4-10), He init, "
        "the book's default learning rates (RMSprop, absent from the book's run, uses 0.001). "
        "Digits' 1,437 images are learned almost perfectly, so losses go lower than on MNIST."
    )
    return result


def _growing_gradients(steps: int) -> np.ndarray:
    """(steps, 8) gradients that grow about fivefold over the run, with ups and downs: one
    coordinate's schedule c_t = s (1 + t / 50)(1 + 0.6 sin(0.7 t + phase))."""
    t = np.arange(steps)[:, None]  # (steps, 1)
    scale = np.geomspace(0.01, 10.0, 8)  # (8,) coordinates of very different sizes
    phase = np.linspace(0, np.pi, 8)
    return scale * (1 + t / 50) * (1 + 0.6 * np.sin(0.7 * t + phase))


def _step_per_gradient(cls: Any, gradients: np.ndarray) -> np.ndarray:
    """-Δθ / g at every step of `cls(lr=0.1)` on the loss Σ c_t · θ, whose gradient is
    exactly `gradients[t]`: the effective learning rate, read off the real updates."""
    theta = Tensor(np.zeros(gradients.shape[1]), requires_grad=True)
    optimizer = cls([theta], lr=0.1)
    out = np.empty_like(gradients)
    for t, c in enumerate(gradients):
        before = theta._data.copy()
        optimizer.zero_grad()
        (Tensor(c) * theta).sum().backward()
        optimizer.step()
        out[t] = (before - theta._data) / c
    return out


# d2l 12.7 / 12.8 on f = 0.1 x1² + 2 x2² from (-5, -2), 20 steps.
D2L_ADAPTIVE: dict[str, tuple[MakeOptimizer, tuple[float, float]]] = {
    "AdaGrad lr 0.4": (lambda ps: Adagrad(ps, lr=0.4), (-2.382, -0.159)),
    "AdaGrad lr 2": (lambda ps: Adagrad(ps, lr=2.0), (-0.0023, 0.0)),
    "RMSprop lr 0.4, gamma 0.9": (lambda ps: RMSprop(ps, lr=0.4, alpha=0.9), (-0.0106, 0.0)),
}


@experiment(
    id="opt.adagrad-vs-rmsprop",
    questions=["opt.adagrad-rmsprop"],
    title="AdaGrad's effective learning rate decays toward zero; RMSprop's does not",
)
def adagrad_vs_rmsprop(seed: int, size: str) -> ExperimentResult:
    result = ExperimentResult()
    d2l_ok = True
    for name, (make, published) in D2L_ADAPTIVE.items():
        end = _descend(make, (-5.0, -2.0), D2L_SCALE, 20)[-1]
        d2l_ok &= bool(np.allclose(end, published, rtol=5e-3, atol=5e-5))
        result.metrics.add_row(
            run=f"d2l valley, {name}",
            x1=end[0],
            x2=end[1],
            d2l_x1=published[0],
            d2l_x2=published[1],
        )
    result.claim(
        "d2l_numbers_reproduced",
        bool(d2l_ok),
        "On d2l's 0.1x² + 2y² (20 steps from (-5, -2)) AdaGrad with lr 0.4 stalls at "
        "(-2.382, -0.159), needs lr 2 to arrive, while RMSprop with lr 0.4 reaches (-0.0106, 0).",
    )
    # The step each optimizer takes per unit of gradient, -Δθ / g, measured on its updates
    # over a run where the gradient grows (with ups and downs), exactly as scheduled:
    # the loss Σ c_t · θ has gradient c_t whatever θ is.
    growing = _growing_gradients(200)
    measured = {name: _step_per_gradient(cls, growing) for name, cls in
                (("AdaGrad", Adagrad), ("RMSprop", RMSprop))}  # fmt: skip
    rises = {name: float((np.diff(e, axis=0) > 1e-12 * e[:-1]).mean()) for name, e in
             measured.items()}  # fmt: skip
    ada_steps = measured["AdaGrad"] * np.abs(growing)  # |Δθ| itself
    raw_step_grows = float((np.diff(ada_steps, axis=0) > 0).mean())
    for name, e in measured.items():
        result.metrics.add_row(
            run=f"growing gradient, {name} lr 0.1",
            eff_lr_step_10=float(np.median(e[9])),
            eff_lr_end=float(np.median(e[-1])),
            end_over_step_10=float(np.median(e[-1]) / np.median(e[9])),
            share_of_steps_eff_lr_rises=rises[name],
        )
    steps = 500 if size == "quick" else 3000
    data = digits_data()
    n = len(data.y_train)
    runs = {"AdaGrad": Adagrad, "RMSprop": RMSprop}
    eff: dict[str, np.ndarray] = {}
    losses: dict[str, np.ndarray] = {}
    for name, cls in runs.items():
        model = zero_linear(64, 10)  # softmax regression: its gradient noise never dies out
        optimizer = cls(model.parameters(), lr=0.01)
        params = list(model.parameters())
        rng = np.random.default_rng(seed)
        medians, batch_losses = [], []
        for _ in range(steps):
            idx = rng.choice(n, 16)
            before = np.concatenate([p._data.ravel() for p in params]).astype(np.float64)
            batch_losses.append(train_step(model, optimizer, data.x_train[idx], data.y_train[idx]))
            after = np.concatenate([p._data.ravel() for p in params]).astype(np.float64)
            grad = np.concatenate([_grad_of(p).ravel() for p in params]).astype(np.float64)
            moved = np.abs(grad) > 1e-6  # pixels that are always 0 never get a gradient
            # -Δθ / g: the step each parameter took per unit of gradient, (650,) -> median
            medians.append(float(np.median((before - after)[moved] / grad[moved])))
        eff[name], losses[name] = np.array(medians), np.array(batch_losses)
        result.metrics.add_row(
            run=f"digits softmax regression, {name} lr 0.01",
            eff_lr_step_10=eff[name][9],
            eff_lr_end=eff[name][-1],
            end_over_step_10=eff[name][-1] / eff[name][9],
            mean_loss_last_100=float(losses[name][-100:].mean()),
        )
    ada, rms = eff["AdaGrad"], eff["RMSprop"]
    result.claim(
        "adagrad_step_never_grows",
        rises["AdaGrad"] == 0 and raw_step_grows > 0.3 and rises["RMSprop"] > 0.1,
        "AdaGrad's per-parameter step size lr / (√Σg² + ε), measured as -Δθ / g on its "
        "updates, never increases at any step for any parameter, even while the gradient "
        f"grows and the step |Δθ| itself grows on {raw_step_grows:.0%} of steps: the sum of "
        "squared gradients only grows. On the same gradients RMSprop's rises on "
        f"{rises['RMSprop']:.0%} of steps.",
    )
    result.claim(
        "adagrad_step_decays",
        ada[-1] < 0.35 * ada[9],
        f"Over {steps} steps AdaGrad's median step size falls to {ada[-1] / ada[9]:.2f} of its "
        "value at step 10, roughly as 1/sqrt(t) while gradients stay the same size.",
    )
    result.claim(
        "rmsprop_step_does_not_decay",
        rms[-1] > 0.5 * rms[9],
        "RMSprop's step size follows only recent gradients (a leaky average, α = 0.99): it "
        f"ends at {rms[-1] / rms[9]:.2f} of its step-10 value instead of decaying toward zero.",
    )
    result.claim(
        "rmsprop_trains_further",
        losses["RMSprop"][-100:].mean() < losses["AdaGrad"][-100:].mean(),
        "With the same lr, RMSprop reaches a lower training loss than AdaGrad by the end.",
    )
    fig = new_figure(9, 3.6)
    ax_lr, ax_loss = fig.subplots(1, 2)
    t = np.arange(1, steps + 1)
    for name in runs:
        ax_lr.plot(t, eff[name], label=name)
        ax_loss.plot(t, smooth(losses[name], 50), label=name)
    ax_lr.plot(t, ada[9] * np.sqrt(10 / t), "k:", label="∝ 1/sqrt(t)")
    ax_lr.set(xlabel="step", ylabel="median lr / (sqrt(state) + eps)", xscale="log", yscale="log")
    ax_lr.set_title("effective step size")
    ax_lr.legend()
    ax_loss.set(xlabel="step", ylabel="batch loss (smoothed)", title="softmax regression on digits")
    ax_loss.legend()
    result.add_figure("adagrad_vs_rmsprop", fig)
    return result


# ------------------------------------------------------------- Adam's bias correction
class AdamCopy(Optimizer):
    """Adam written out again, each bias correction optional (both on: groundup's Adam):

    m ← β1 m + (1 - β1) g,   v ← β2 v + (1 - β2) g²
    m̂ = m / (1 - β1^t) if correct_m else m,   v̂ = v / (1 - β2^t) if correct_v else v
    θ ← θ - lr m̂ / (√v̂ + ε)
    """

    def __init__(
        self,
        params: ParamsT,
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        *,
        correct_m: bool = True,
        correct_v: bool = True,
    ) -> None:
        defaults = {"lr": lr, "betas": betas, "eps": eps, "correct_m": correct_m,
                    "correct_v": correct_v}  # fmt: skip
        super().__init__(params, defaults)

    def _update(self, p: Tensor, grad: np.ndarray, group: dict[str, Any]) -> None:
        beta1, beta2 = group["betas"]
        state = self.state[p]
        if not state:
            state |= {"step": 0, "m": np.zeros_like(p._data), "v": np.zeros_like(p._data)}
        state["step"] += 1
        t, m, v = state["step"], state["m"], state["v"]
        m *= beta1
        m += (1 - beta1) * grad
        v *= beta2
        v += (1 - beta2) * grad * grad
        m_hat = m / (1 - beta1**t) if group["correct_m"] else m
        v_hat = v / (1 - beta2**t) if group["correct_v"] else v
        p._data -= group["lr"] * m_hat / (np.sqrt(v_hat) + group["eps"])


BIAS_VARIANTS = {  # name -> (correct m, correct v)
    "both corrections (the copy)": (True, True),
    "no m correction": (False, True),
    "no v correction": (True, False),
    "no correction": (False, False),
}


def _predicted_ratio(name: str, t: np.ndarray, b1: float = 0.9, b2: float = 0.999) -> np.ndarray:
    """What dropping a correction multiplies the step by, ignoring ε: m's correction divides
    by (1 - β1^t), v's multiplies by sqrt(1 - β2^t)."""
    correct_m, correct_v = BIAS_VARIANTS[name]
    ratio = np.ones_like(t, dtype=np.float64)
    if not correct_m:
        ratio = ratio * (1 - b1**t)
    if not correct_v:
        ratio = ratio / np.sqrt(1 - b2**t)
    return ratio


def _flat(ts: Sequence[Tensor]) -> np.ndarray:
    return np.concatenate([t._data.ravel() for t in ts]).astype(np.float64)


@experiment(
    id="opt.adam-bias-correction",
    questions=["opt.adam.why-bias-correction"],
    title="Adam without bias correction: m alone makes early steps smaller, m and v together "
    "make them larger",
)
def adam_bias_correction(seed: int, size: str) -> ExperimentResult:
    steps = 100 if size == "quick" else 3000
    lr = 1e-3
    data = digits_data()
    n = len(data.y_train)
    sizes = [data.x_train.shape[1], 100, 100, data.num_classes]
    model = mlp(sizes, "he", nn.ReLU, seed)
    params = list(model.parameters())
    adam = Adam(params, lr=lr)
    # Shadows: every step each copy gets groundup Adam's parameters and gradient, takes its
    # own step on a clone, and the two updates are compared. Fed the same gradients, the
    # copies' m and v equal Adam's, so any difference in the update is the correction.
    shadows = {name: [Tensor(p._data.copy(), requires_grad=True) for p in params]
               for name in BIAS_VARIANTS}  # fmt: skip
    copies = {name: AdamCopy(shadows[name], lr=lr, correct_m=cm, correct_v=cv)
              for name, (cm, cv) in BIAS_VARIANTS.items()}  # fmt: skip
    ratio = {name: np.empty(steps) for name in BIAS_VARIANTS}  # ||copy update|| / ||Adam's||
    rel_err = np.empty(steps)  # the faithful copy vs groundup's Adam
    # And the uncorrected copy trained on its own, from the same start on the same batches.
    free = mlp(sizes, "he", nn.ReLU, seed)
    free_opt = AdamCopy(list(free.parameters()), lr=lr, correct_m=False, correct_v=False)
    own_norms = {"Adam": np.empty(steps), "no correction": np.empty(steps)}
    own_losses = {"Adam": np.empty(steps), "no correction": np.empty(steps)}
    first_steps: dict[str, np.ndarray] = {}
    rng = np.random.default_rng(seed)
    for i in range(steps):
        idx = rng.choice(n, 128)
        xb, yb = data.x_train[idx], data.y_train[idx]
        before = _flat(params)
        loss = F.cross_entropy(model(Tensor(xb)), Tensor(yb))
        adam.zero_grad()
        loss.backward()
        copy_updates = {}
        for name, shadow in shadows.items():
            for s, p in zip(shadow, params, strict=True):
                s._data[...] = p._data
                s.grad = Tensor(_grad_of(p).copy())
            copies[name].step()
            copy_updates[name] = before - _flat(shadow)
        adam.step()
        update = before - _flat(params)
        norm = float(np.linalg.norm(update))
        for name, u in copy_updates.items():
            ratio[name][i] = float(np.linalg.norm(u)) / norm
        rel_err[i] = float(np.linalg.norm(copy_updates["both corrections (the copy)"] - update))
        rel_err[i] /= norm
        own_norms["Adam"][i], own_losses["Adam"][i] = norm, float(loss.item())

        free_before = _flat(list(free.parameters()))
        own_losses["no correction"][i] = train_step(free, free_opt, xb, yb)
        free_update = free_before - _flat(list(free.parameters()))
        own_norms["no correction"][i] = float(np.linalg.norm(free_update))
        if i == 0:
            grad = np.concatenate([_grad_of(p).ravel() for p in params])
            moved = np.abs(grad) > 1e-4  # |g| >> ε, where ε does not shrink the step
            first_steps = {
                "Adam": np.abs(update[moved]),
                "no correction": np.abs(free_update[moved]),
            }

    t = np.arange(1, steps + 1, dtype=np.float64)
    result = ExperimentResult()
    shown = [s for s in (1, 2, 5, 10, 30, 100, 300, 1000, 3000) if s <= steps]
    for name in BIAS_VARIANTS:
        predicted = _predicted_ratio(name, t)
        result.metrics.add_row(
            shadow=name,
            **{f"ratio@{s}": ratio[name][s - 1] for s in shown},
            max_rel_dev_from_prediction=float(np.max(np.abs(ratio[name] / predicted - 1))),
        )
    own = own_norms["no correction"] / own_norms["Adam"]
    result.metrics.add_row(
        shadow="trained on its own: no correction / Adam",
        **{f"ratio@{s}": own[s - 1] for s in shown},
    )
    for name, values in first_steps.items():
        result.metrics.add_row(
            shadow=f"first step |dtheta| / lr, {name}: median",
            **{"ratio@1": float(np.median(values) / lr)},
        )

    def holds(name: str, tol: float) -> bool:
        return bool(np.all(np.abs(ratio[name] / _predicted_ratio(name, t) - 1) < tol))

    result.claim(
        "copy_is_adam",
        float(rel_err.max()) < 1e-3,
        "With both corrections the copy's update equals groundup's Adam's at every step within "
        f"0.1% (largest relative difference {rel_err.max():.1e}: updates are read off float32 "
        "parameters): the copy is Adam, so what follows measures the corrections alone.",
    )
    r_m = ratio["no m correction"]
    result.claim(
        "m_alone_too_small",
        holds("no m correction", 1e-3) and r_m[0] < 0.11,
        "Without m's correction (v still corrected) every step is smaller by exactly the "
        f"factor (1 - β1^t): measured {r_m[0]:.3f} at t = 1, "
        f"{r_m[9]:.3f} at t = 10 (1 - 0.9^10 = 0.651), within 0.1% of (1 - 0.9^t) at all "
        f"{steps} steps. This is the intuition 'the estimates are biased toward zero'.",
    )
    r_v = ratio["no v correction"]
    result.claim(
        "v_alone_too_large",
        holds("no v correction", 0.02) and r_v[0] > 30,
        "Without v's correction (m still corrected) every step is larger by 1/sqrt(1 - β2^t): "
        f"{r_v[0]:.1f}x at t = 1, within 2% of the prediction at every step (ε makes the rest).",
    )
    r_none = ratio["no correction"]
    near = np.flatnonzero(r_none < 1.05)  # steps (from 0) within 5% of Adam's
    crossing = int(near[0]) + 1 if near.size else None
    ends_near_one = size == "quick" or (crossing is not None and crossing > 1000)
    when = (
        f"comes within 5% of 1 only at t = {crossing}"
        if crossing is not None
        else "comes within 5% of 1 only after about 2,400 steps (checked at full size)"
    )
    result.claim(
        "uncorrected_too_large",
        holds("no correction", 0.02)
        and 3.0 < r_none[0] < 3.3
        and 6.3 < r_none[9] < 6.7
        and ends_near_one,
        "Without either correction -- what the update m / (sqrt(v) + ε) does -- the first steps "
        "are too large, not too small: v fills up (β2 = 0.999) far more slowly than m "
        f"(β1 = 0.9). The step is {r_none[0]:.2f}x Adam's at t = 1 and {r_none[9]:.2f}x at "
        f"t = 10, the ratio (1 - 0.9^t) / sqrt(1 - 0.999^t) within 2%; it is still "
        f"{r_none[min(steps, 100) - 1]:.2f}x at t = {min(steps, 100)} and {when}.",
    )
    own_first = first_steps["no correction"]
    result.claim(
        "first_step_sizes",
        bool(np.allclose(first_steps["Adam"], lr, rtol=1e-2))
        and bool(np.allclose(own_first, lr / math.sqrt(1e-3) * 0.1, rtol=1e-2)),
        "Trained on its own from the same start, Adam's first step moves every parameter "
        f"whose gradient exceeds 1e-4 by lr = {lr:g} within 1% (|m̂| / sqrt(v̂) = 1 at t = 1), "
        "the uncorrected copy's by 0.1 / sqrt(0.001) lr = 3.16 lr.",
    )
    result.claim(
        "own_run_early_steps_larger",
        bool(np.all(own[:20] > 2.0)),
        "Along its own trajectory the uncorrected copy's update is more than twice as large "
        f"as Adam's at each of the first 20 steps (median {np.median(own[:20]):.2f}x).",
    )

    fig = new_figure(10, 4)
    ax_ratio, ax_loss = fig.subplots(1, 2)
    for k, name in enumerate(BIAS_VARIANTS):
        ax_ratio.plot(t, ratio[name], color=f"C{k}", lw=2, alpha=0.6, label=name)
        ax_ratio.plot(t, _predicted_ratio(name, t), color="black", ls=":", lw=0.8)
    ax_ratio.plot(t, own, color="C4", lw=0.8, label="no correction, own run")
    ax_ratio.axhline(1.0, color="grey", lw=0.6)
    ax_ratio.set(xlabel="step t", ylabel="||update|| / ||Adam's update||", xscale="log",
                 yscale="log", title="measured (colour) and predicted (dotted)")  # fmt: skip
    ax_ratio.legend(fontsize=7)
    for name, v in own_losses.items():
        ax_loss.plot(t, smooth(v, 10), label=name)
    ax_loss.set(xlabel="step", ylabel="batch loss (smoothed)", xscale="log",
                title="64-100-100-10 MLP on digits, lr 1e-3")  # fmt: skip
    ax_loss.legend()
    result.add_figure("adam_bias_correction", fig)
    head, tail = own_losses["Adam"], own_losses["no correction"]
    result.notes.append(
        f"Mean batch loss, Adam vs uncorrected: first 20 steps {head[:20].mean():.3f} vs "
        f"{tail[:20].mean():.3f}; last 20 {head[-20:].mean():.4f} vs {tail[-20:].mean():.4f}. "
        "On this easy loss with lr 1e-3 the larger early steps train faster; they are "
        "larger than the lr one chose, which is what can destabilize a run tuned for Adam."
    )
    return result


__all__ = [
    "AdamCopy",
    "adagrad_vs_rmsprop",
    "adam_bias_correction",
    "optimizers_on_digits",
    "optimizers_on_valley",
]

"""Experiments on normalization: batch norm across weight scales, batch norm's two modes,
and standardized inputs."""

from __future__ import annotations

import numpy as np

from groundup import nn
from groundup.data import Standardize, digits
from groundup.lab.experiments._training import book_mlp, small_train_split, train_book
from groundup.lab.registry import ExperimentResult, experiment, new_figure
from groundup.models import MLP, LogisticRegression
from groundup.nn import functional as F
from groundup.optim import SGD, Adam
from groundup.random import manual_seed
from groundup.tensor import Tensor, no_grad

# "Deep Learning from Scratch" ch06/batch_norm_test.py, MNIST: final training accuracy
# without batch norm at the two scales where that net learns (all others ~0.10).
BOOK_PLAIN = {0.2929: 0.979, 0.1585: 0.823}


# ----------------------------------------------------------- batch norm, weight scales
@experiment(
    id="norm.bn-weight-scale-sweep",
    questions=["norm.bn-effect"],
    title="Batch norm trains across weight scales where the plain net fails (the book's sweep)",
)
def bn_weight_scale_sweep(seed: int, size: str) -> ExperimentResult:
    scales = np.logspace(0, -4, 16)  # the book's 16 weight standard deviations
    if size == "quick":
        scales, epochs = scales[[2, 5, 8]], 10  # 0.29, 0.046, 0.0074
    else:
        epochs = 20
    data = small_train_split("digits", 1000, seed)
    iterations = epochs * 10  # 1000 samples / batch 100
    result = ExperimentResult()
    acc: dict[bool, list[float]] = {True: [], False: []}
    for std in scales:
        row: dict[str, object] = {"weight_std": float(std)}
        for bn in (False, True):
            rng = np.random.default_rng(seed)
            model = book_mlp(64, [100] * 5, 10, rng, weight_std=float(std), batch_norm=bn)
            curves = train_book(model, data, iterations, rng)
            acc[bn].append(curves.train[-1])
            row["bn_train_acc" if bn else "plain_train_acc"] = curves.train[-1]
            row["bn_test_acc" if bn else "plain_test_acc"] = curves.test[-1]
        row["book_plain"] = BOOK_PLAIN.get(round(float(std), 4), "")
        result.metrics.append(row)

    plain, with_bn = np.array(acc[False]), np.array(acc[True])
    band = (scales >= 0.003) & (scales <= 0.1)  # the book: BN 0.95-1.00 on [0.0022, 0.046]
    bar = 0.95 if size == "full" else 0.9
    result.claim(
        "plain_fails_at_small_scales",
        bool(np.all(plain[scales < 0.05] < 0.2)),
        "Without batch norm the 5x100 ReLU net stays at chance (< 20% training accuracy) for "
        "every weight std below 0.05: the signal shrinks layer by layer and nothing learns.",
    )
    result.claim(
        "plain_learns_only_near_he",
        bool(np.all(plain[np.isin(np.round(scales, 4), [0.2929])] > 0.8))
        and int(np.sum(plain > 0.5)) <= 2,
        "The plain net learns (> 80%) at std 0.29 -- near He's sqrt(2/100) = 0.14 -- and at "
        "most two of the scales reach 50%, as in the book (0.979 at 0.29, 0.823 at 0.16).",
    )
    result.claim(
        "bn_learns_across_band",
        bool(np.all(with_bn[band] > bar)),
        f"With batch norm the same net exceeds {bar:.0%} training accuracy at every scale in "
        f"[0.003, 0.1] after {epochs} epochs (the book: 0.95-1.00 on [0.0022, 0.046]).",
    )
    if size == "full":
        result.claim(
            "bn_wins_more_scales",
            int(np.sum(with_bn > 0.9)) >= 3 * max(1, int(np.sum(plain > 0.9))),
            "Counted over all 16 scales, batch norm reaches 90% at least three times as often.",
        )

    fig = new_figure(6, 4)
    ax = fig.subplots()
    ax.semilogx(scales, plain, "o--", label="without batch norm")
    ax.semilogx(scales, with_bn, "o-", label="with batch norm")
    book_x = list(BOOK_PLAIN)
    ax.semilogx(book_x, [BOOK_PLAIN[s] for s in book_x], "k^", label="book, without BN (MNIST)")
    ax.set(xlabel="weight std", ylabel="training accuracy", ylim=(0, 1.02))
    ax.set_title(f"digits, 1000 samples, 5x100 ReLU, SGD 0.01, {epochs} epochs")
    ax.legend()
    result.add_figure("bn_weight_scale_sweep", fig)
    result.notes.append(
        "Book numbers are for MNIST (784 inputs), ours for digits (64 inputs). Batch norm "
        "does worse at the largest scales for two reasons: the output Linear (not "
        "normalized) starts with huge logits, and a normalized layer's output does not "
        "depend on its weights' scale, so its effective step shrinks as 1/||W||^2."
    )
    return result


# ------------------------------------------------------------ batch norm, eval() mode
def _logits(model: nn.Module, x: np.ndarray, batches: list[np.ndarray]) -> np.ndarray:
    """The model's logits for every sample, computed batch by batch (in its current mode)."""
    out = np.zeros((len(x), 10), np.float32)  # (N, 10)
    with no_grad():
        for idx in batches:
            out[idx] = model(Tensor(x[idx])).numpy()
    return out


@experiment(
    id="norm.bn-eval-mode",
    questions=["norm.bn-inference", "norm.bn-how"],
    title="Forgetting eval(): batch statistics make predictions depend on the batch",
)
def bn_eval_mode(seed: int, size: str) -> ExperimentResult:
    epochs = 3 if size == "quick" else 15
    data = digits(split_seed=seed)
    manual_seed(seed)
    model = MLP([64, 100, 100, 10], batch_norm=True)
    optimizer = Adam(model.parameters(), lr=1e-3)
    rng = np.random.default_rng(seed)
    n = len(data.y_train)
    for _ in range(epochs):
        for idx in np.array_split(rng.permutation(n), n // 32):  # batches of ~32
            loss = F.cross_entropy(model(Tensor(data.x_train[idx])), Tensor(data.y_train[idx]))
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()

    x, y = data.x_test, data.y_test
    m = len(y)
    batchings = {
        "one batch of all": [np.arange(m)],
        "random batches of 32": np.array_split(rng.permutation(m), m // 32),
        "one class per batch": [np.flatnonzero(y == c) for c in range(10)],
        "batches of 2": np.array_split(rng.permutation(m), m // 2),
    }
    result = ExperimentResult()
    logits: dict[tuple[str, str], np.ndarray] = {}
    bn = model.hidden[0][1]
    running_before = bn.running_mean.numpy().copy()
    for mode in ("eval", "train"):
        model.train(mode == "train")
        for name, batches in batchings.items():
            logits[mode, name] = _logits(model, x, batches)
            result.metrics.add_row(
                mode=f"{mode}()",
                batching=name,
                accuracy=float(np.mean(logits[mode, name].argmax(1) == y)),
            )
    running_moved = float(np.abs(bn.running_mean.numpy() - running_before).max())
    model.eval()

    ref = logits["eval", "one batch of all"]
    eval_spread = max(float(np.abs(logits["eval", k] - ref).max()) for k in batchings)
    train_spread = max(
        float(np.abs(logits["train", k] - logits["train", "one batch of all"]).max())
        for k in batchings
    )
    acc = {k: float(np.mean(v.argmax(1) == y)) for k, v in logits.items()}
    result.claim(
        "eval_ignores_batching",
        eval_spread < 1e-4
        and len({tuple(v.argmax(1)) for k, v in logits.items() if k[0] == "eval"}) == 1,
        "In eval() mode batch norm uses its running statistics: every way of batching the "
        "test set gives the same logits (to float32 rounding) and the same predictions.",
    )
    result.claim(
        "train_mode_depends_on_batch",
        train_spread > 0.1,
        "Left in train() mode (no_grad alone does not switch it), a sample's logits change with "
        f"the other samples in its batch (by up to {train_spread:.2f}).",
    )
    result.claim(
        "single_class_batches_hurt",
        acc["train", "one class per batch"] < acc["eval", "one batch of all"] - 0.2,
        "When each batch holds one class -- data sorted by label -- train-mode batch "
        "statistics erase what the class has in common and accuracy collapses "
        f"({acc['train', 'one class per batch']:.2f} vs {acc['eval', 'one batch of all']:.2f} "
        "in eval mode).",
    )
    result.claim(
        "train_mode_moves_running_stats",
        running_moved > 0,
        "Evaluating in train() mode also overwrites the running statistics as a side effect.",
    )
    try:
        model.train()
        model(Tensor(x[:1]))
        single_raises = False
    except ValueError:
        single_raises = True
    finally:
        model.eval()
    result.claim(
        "single_sample_needs_eval",
        single_raises,
        "A single sample in train() mode is an error (one value per channel has no variance), "
        "as in PyTorch; in eval() mode it is fine.",
    )

    fig = new_figure(7, 3.5)
    ax = fig.subplots()
    names = list(batchings)
    pos = np.arange(len(names))
    ax.bar(pos - 0.2, [acc["eval", k] for k in names], 0.4, label="eval()")
    ax.bar(pos + 0.2, [acc["train", k] for k in names], 0.4, label="train() (forgot eval)")
    ax.set_xticks(pos, names, fontsize=8)
    ax.set(ylabel="test accuracy", ylim=(0, 1.05), title="digits, MLP with BatchNorm1d")
    ax.legend()
    result.add_figure("bn_eval_mode", fig)
    return result


# --------------------------------------------------------------- input standardization
def _steps_to(losses: np.ndarray, target: float) -> int | None:
    hit = np.flatnonzero(losses < target)
    return int(hit[0]) + 1 if hit.size else None


def _gd_losses(x: np.ndarray, y: np.ndarray, lr: float, steps: int, seed: int) -> np.ndarray:
    """Training loss of softmax regression at each step of full-batch gradient descent."""
    manual_seed(seed)
    model = LogisticRegression(x.shape[1], 3)
    optimizer = SGD(model.parameters(), lr=lr)
    xt, yt = Tensor(x), Tensor(y)
    losses = []
    with np.errstate(all="ignore"):  # too large a rate overflows: that run just diverges
        for _ in range(steps):
            loss = F.cross_entropy(model(xt), yt)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            losses.append(float(loss.item()))
    return np.array(losses)


@experiment(
    id="norm.input-standardization",
    questions=["norm.data-normalization"],
    title="Standardized inputs converge in far fewer steps than raw features",
)
def input_standardization(seed: int, size: str) -> ExperimentResult:
    from sklearn.datasets import load_wine  # shipped with scikit-learn

    steps, target = (100, 0.1) if size == "quick" else (3000, 0.1)
    bunch = load_wine()
    x_raw = bunch.data.astype(np.float32)  # (178, 13): proline ~ 750, hue ~ 1
    y = bunch.target.astype(np.int64)
    inputs = {"raw": x_raw, "standardized": Standardize().fit_transform(x_raw)}
    lrs = 10.0 ** np.arange(-6, 2) if size == "quick" else 10.0 ** np.arange(-8, 3)
    result = ExperimentResult()
    best: dict[str, tuple[float, int | None, np.ndarray]] = {}
    for name, x in inputs.items():
        design = np.hstack([x, np.ones((len(x), 1), np.float32)]).astype(np.float64)
        cond = float(np.linalg.cond(design.T @ design / len(x)))  # curvature spread
        runs = []
        for lr in lrs:
            curve = _gd_losses(x, y, float(lr), steps, seed)
            reached = _steps_to(curve, target)
            final = float(curve[-1]) if np.isfinite(curve[-1]) else float("inf")
            runs.append((reached if reached is not None else steps + 1, final, float(lr), curve))
            result.metrics.add_row(
                inputs=name,
                lr=float(lr),
                final_loss=final,
                steps_to_target=reached if reached is not None else f">{steps}",
                condition_number=cond,
            )
        n_steps, _, lr_best, curve_best = min(runs, key=lambda r: (r[0], r[1]))
        best[name] = (lr_best, n_steps if n_steps <= steps else None, curve_best)

    raw_lr, raw_steps, raw_curve = best["raw"]
    std_lr, std_steps, std_curve = best["standardized"]
    result.claim(
        "standardized_converges_fast",
        std_steps is not None and std_steps <= 50,
        f"With standardized features, the best learning rate ({std_lr:g}) brings the training "
        f"loss below {target} within 50 full-batch steps (took {std_steps}).",
    )
    result.claim(
        "raw_never_gets_there",
        raw_steps is None,
        f"With raw features no learning rate in {lrs[0]:g}..{lrs[-1]:g} reaches loss {target} "
        f"within {steps} "
        f"steps (best final loss {float(np.nanmin(raw_curve)):.3f} at lr {raw_lr:g}): a rate "
        "small enough for the proline column (values ~750) barely moves the weights of "
        "the columns valued ~1.",
    )

    fig = new_figure(6, 4)
    ax = fig.subplots()
    ax.semilogy(np.arange(1, steps + 1), raw_curve, label=f"raw, best lr {raw_lr:g}")
    ax.semilogy(np.arange(1, steps + 1), std_curve, label=f"standardized, best lr {std_lr:g}")
    ax.axhline(target, color="grey", lw=0.8, ls=":")
    ax.set(xlabel="gradient step", ylabel="training cross-entropy")
    ax.set_title("wine (13 features), softmax regression")
    ax.legend()
    result.add_figure("input_standardization", fig)
    result.notes.append(
        "Standardize is fit on the data it transforms here (one training set, no test set); "
        "with a test set, fit on the training split only."
    )
    return result

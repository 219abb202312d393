"""Experiments on regularization: dropout and weight decay.

The overfitting runs use the setups of "Deep Learning from Scratch" (Saito 2016,
`ch06/overfit_dropout.py`, `ch06/overfit_weight_decay.py`: 300 training images, a 6x100
ReLU MLP, SGD 0.01, batch 100) on our shipped datasets -- MNIST-1D, on which 300 samples
overfit badly as MNIST does in the book, and (full size) digits -- with the book's MNIST
numbers shown beside ours. The linear-regression run is d2l's (sec. 3.7).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from groundup import nn
from groundup.data import DataLoader, TensorDataset
from groundup.lab.experiments._training import (
    Curves,
    book_mlp,
    small_train_split,
    train_book,
    weight_norm,
)
from groundup.lab.registry import ExperimentResult, experiment, new_figure
from groundup.nn import functional as F
from groundup.optim import SGD
from groundup.tensor import Tensor, no_grad

if TYPE_CHECKING:
    from matplotlib.axes import Axes

BOOK_DROPOUT = {"train": 0.67, "test": 0.548}  # non-inverted dropout 0.2, 301 epochs, MNIST
BOOK_DECAY = {"train": 0.927, "test": 0.721}  # lambda 0.1, 201 epochs, MNIST
D2L_HALF_SQ_NORM = {0.0: 0.0099, 3.0: 0.0017}  # what d2l prints as "L2 norm of w"


# --------------------------------------------------------------- dropout at test time
@experiment(
    id="reg.dropout-test-time",
    questions=["reg.dropout-test-time", "reg.dropout"],
    title="Inverted dropout and test-time scaling agree in expectation; mixing them does not",
)
def dropout_test_time(seed: int, size: str) -> ExperimentResult:
    p = 0.5
    masks = 200 if size == "quick" else 2000
    rng = np.random.default_rng(seed)
    x = rng.random((256, 64), dtype=np.float32)  # (N, 64) inputs in [0, 1)
    layer = nn.Linear(64, 100)
    with no_grad():
        h = F.relu(layer(Tensor(x)))  # (N, 100) hidden activations, the dropout input
    hd = h.numpy()

    # Average the training-time output over many masks, per unit: (masks, N, 100) -> (100,)
    inverted = np.mean([F.dropout(h, p, training=True).numpy().mean(0) for _ in range(masks)], 0)
    original = np.mean([(hd * (rng.random(hd.shape) >= p)).mean(0) for _ in range(masks)], 0)
    eval_out = F.dropout(h, p, training=False).numpy()  # (N, 100): identity in eval mode
    tests = {  # scheme -> per-unit means (100,): training output over masks, test output
        "inverted (scale 1/(1-p) in training)": (inverted, eval_out.mean(0)),
        "original (scale by 1-p at test)": (original, (hd * (1 - p)).mean(0)),
        "mixed: inverted + scale at test": (inverted, (hd * (1 - p)).mean(0)),
    }
    alive = hd.mean(0) > 0  # (100,) units that are not dead ReLUs (0/0 otherwise)
    result = ExperimentResult()
    ratios = {}
    for name, (train_mean, test_mean) in tests.items():
        ratio = float(train_mean.mean() / test_mean.mean())
        ratios[name] = ratio
        result.metrics.add_row(
            scheme=name,
            train_mean=float(train_mean.mean()),
            test_mean=float(test_mean.mean()),
            ratio=ratio,
            unit_error_median=float(np.median(np.abs(train_mean[alive] / test_mean[alive] - 1))),
        )
    inv, orig, mixed = ratios.values()

    # Downstream of a nonlinearity only approximately: E[relu(W d(h))] vs relu(W h).
    nxt = nn.Linear(100, 10)
    with no_grad():
        after_train = np.mean(
            [F.relu(nxt(F.dropout(h, p, training=True))).numpy().mean() for _ in range(masks)]
        )
        after_test = float(F.relu(nxt(h)).numpy().mean())
    result.metrics.add_row(
        scheme="inverted, after the next Linear+ReLU",
        train_mean=float(after_train),
        test_mean=after_test,
        ratio=float(after_train / after_test),
    )

    result.claim(
        "inverted_matches",
        abs(inv - 1) < 0.01,
        f"Inverted dropout (p={p}): the mean training-time activation over {masks} masks equals "
        "the test-time activation (identity at test) within 1%.",
    )
    result.claim(
        "original_matches",
        abs(orig - 1) < 0.01,
        "Original dropout (no scaling in training, multiply by the keep probability 1-p at "
        "test) also matches in expectation, within 1%.",
    )
    result.claim(
        "mixing_is_off_by_keep_prob",
        abs(mixed - 1 / (1 - p)) < 0.02 / (1 - p),
        "Scaling by 1-p at test on top of inverted dropout (mixing the two conventions) "
        f"shrinks test activations to {1 - p:g} of their training mean: the ratio is "
        f"1/(1-p) = {1 / (1 - p):g}.",
    )
    result.claim(
        "eval_is_identity",
        bool(np.array_equal(eval_out, hd)),
        "In evaluation mode groundup's (inverted) dropout returns its input unchanged.",
    )
    result.claim(
        "only_in_expectation_after_nonlinearity",
        after_train > 1.02 * after_test,
        "The match is exact only where the network is linear in the dropped units: after the "
        "next Linear+ReLU the mean over masks exceeds the test-time output by more than 2% "
        f"(here {after_train / after_test:.2f}x; ReLU is convex, so E[relu(z)] >= relu(E[z])). "
        "Test-time scaling approximates averaging over masks; it does not equal it.",
    )

    fig = new_figure(9, 3.5)
    axes = fig.subplots(1, 3, sharex=True, sharey=True)
    for ax, (name, (train_mean, test_mean)) in zip(axes, tests.items(), strict=True):
        ax.scatter(test_mean, train_mean, s=6)
        top = float(train_mean.max())
        ax.plot([0, top], [0, top], color="grey", lw=0.8)
        ax.set(xlabel="test-time activation", title=name.split(" (")[0])
    axes[0].set_ylabel(f"training-time mean over {masks} masks")
    result.add_figure("dropout_expectation", fig)
    result.notes.append(f"p = {p}; 100 ReLU units of a random Linear(64, 100) on 256 inputs")
    return result


# ------------------------------------------------------------------ overfitting runs
def _gap(curves: Curves) -> float:
    return curves.train[-1] - curves.test[-1]


def _plot_curves(ax: Axes, runs: dict[str, Curves], title: str) -> None:
    for i, (label, c) in enumerate(runs.items()):
        ax.plot(c.epochs, c.train, color=f"C{i}", label=f"{label} train")
        ax.plot(c.epochs, c.test, color=f"C{i}", ls="--", label=f"{label} test")
    ax.set(xlabel="iteration", ylabel="accuracy", title=title, ylim=(0, 1.02))
    ax.legend(fontsize=7)


@experiment(
    id="reg.dropout-overfit",
    questions=["reg.dropout", "reg.overfitting-remedies", "reg.dropout-effect"],
    title="Dropout shrinks the train/test gap of an overfitting MLP (the book's setup)",
)
def dropout_overfit(seed: int, size: str) -> ExperimentResult:
    if size == "quick":
        datasets, iterations, eval_every = ["mnist1d"], 300, 30
    else:  # the book: 301 epochs of 300 / 100 = 3 iterations
        datasets, iterations, eval_every = ["mnist1d", "digits"], 903, 9
    variants = {"none": (0.0, True), "inverted 0.2": (0.2, True), "non-inverted 0.2": (0.2, False)}
    result = ExperimentResult()
    fig = new_figure(5 * len(datasets), 4)
    axes = np.atleast_1d(fig.subplots(1, len(datasets)))
    runs: dict[str, dict[str, Curves]] = {}
    for ax, name in zip(axes, datasets, strict=True):
        data = small_train_split(name, 300, seed)
        runs[name] = {}
        for label, (p, inverted) in variants.items():
            rng = np.random.default_rng(seed)
            model = book_mlp(
                data.x_train.shape[1], [100] * 6, 10, rng, dropout=p, inverted=inverted
            )
            c = train_book(model, data, iterations, rng, eval_every=eval_every)
            runs[name][label] = c
            book = BOOK_DROPOUT if label == "non-inverted 0.2" else {}
            result.metrics.add_row(
                dataset=name,
                dropout=label,
                train_acc=c.train[-1],
                test_acc=c.test[-1],
                gap=_gap(c),
                book_train=book.get("train", ""),
                book_test=book.get("test", ""),
            )
        _plot_curves(ax, runs[name], f"{name}, 300 training samples")
    result.add_figure("dropout_curves", fig)

    m = runs["mnist1d"]
    result.claim(
        "dropout_shrinks_gap",
        _gap(m["inverted 0.2"]) < 0.5 * _gap(m["none"]),
        "On MNIST-1D with 300 training samples, the 6x100 MLP without dropout reaches ~100% "
        "training accuracy far above its test accuracy; inverted dropout 0.2 cuts that "
        "train/test gap by more than half.",
    )
    result.claim(
        "book_dropout_shrinks_gap",
        _gap(m["non-inverted 0.2"]) < 0.5 * _gap(m["none"]),
        "The book's non-inverted dropout cuts the gap by more than half as well.",
    )
    result.claim(
        "non_inverted_learns_slower",
        m["non-inverted 0.2"].train[-1] < m["inverted 0.2"].train[-1],
        "With the same learning rate, non-inverted dropout reaches a lower training accuracy "
        "than inverted dropout: without the 1/(1-p) rescaling each dropout layer shrinks the "
        "training signal by 0.8 (0.8^6 = 0.26 after six layers), which shrinks the updates -- "
        "consistent with the book's run being only at 67% training accuracy after 301 epochs.",
    )
    result.notes.append(
        "Book numbers are for MNIST (784 inputs), ours for MNIST-1D and digits: compare the "
        f"pattern, not the digits. After {iterations} steps of SGD 0.01 the dropout nets are "
        "still under-trained: dropout closes the gap mostly by lowering training accuracy, "
        "and test accuracy does not improve."
    )
    return result


@experiment(
    id="reg.weight-decay-vs-overfit",
    questions=["reg.weight-decay", "reg.overfitting-remedies"],
    title="Weight decay gives smaller weights and a smaller train/test gap (the book's setup)",
)
def weight_decay_overfit(seed: int, size: str) -> ExperimentResult:
    if size == "quick":
        datasets, lambdas, iterations, eval_every = ["mnist1d"], [0.0, 0.1], 300, 30
    else:  # the book: 201 epochs of 3 iterations, counted from iteration 0
        datasets, lambdas, iterations = ["mnist1d", "digits"], [0.0, 0.01, 0.03, 0.1, 0.3], 601
        eval_every = 6
    result = ExperimentResult()
    norms: dict[str, list[float]] = {}
    runs: dict[str, dict[float, Curves]] = {}
    for name in datasets:
        data = small_train_split(name, 300, seed)
        norms[name], runs[name] = [], {}
        for lam in lambdas:
            rng = np.random.default_rng(seed)
            model = book_mlp(data.x_train.shape[1], [100] * 6, 10, rng)
            c = train_book(model, data, iterations, rng, weight_decay=lam, eval_every=eval_every)
            runs[name][lam] = c
            norms[name].append(weight_norm(model))
            book = BOOK_DECAY if lam == 0.1 else {}
            result.metrics.add_row(
                dataset=name,
                weight_decay=lam,
                weight_norm=norms[name][-1],
                train_acc=c.train[-1],
                test_acc=c.test[-1],
                gap=_gap(c),
                book_train=book.get("train", ""),
                book_test=book.get("test", ""),
            )

    m, mn = runs["mnist1d"], norms["mnist1d"]
    result.claim(
        "smaller_weights",
        mn[lambdas.index(0.1)] < 0.75 * mn[0],
        "With weight decay 0.1 the Linear weights' norm ends at less than 3/4 of the "
        "undecayed run's.",
    )
    result.claim(
        "smaller_gap",
        _gap(m[0.1]) < 0.5 * _gap(m[0.0]),
        "On MNIST-1D with 300 samples, weight decay 0.1 cuts the train/test accuracy gap by "
        "more than half.",
    )
    if size == "full":
        result.claim(
            "norm_falls_with_lambda",
            all(all(np.diff(n) < 0) for n in norms.values()),
            "The weight norm falls monotonically as lambda grows, on both datasets.",
        )

    fig = new_figure(10, 4)
    ax_curves, ax_norm = fig.subplots(1, 2)
    _plot_curves(
        ax_curves, {f"lambda {lam:g}": m[lam] for lam in (0.0, 0.1)}, "MNIST-1D, 300 samples"
    )
    for name, n in norms.items():
        ax_norm.plot(lambdas, n, "o-", label=name)
    ax_norm.set(xlabel="weight decay lambda", ylabel="||W|| after training", title="weight norm")
    ax_norm.legend()
    result.add_figure("weight_decay", fig)
    for name in datasets:
        best = max(lambdas, key=lambda lam: runs[name][lam].test[-1])
        result.notes.append(
            f"{name}: the best test accuracy is at lambda {best:g} "
            f"({runs[name][best].test[-1]:.3f} vs {runs[name][0.0].test[-1]:.3f} without decay)."
        )
    result.notes.append(
        "Decay applies to the Linear weights only (as the book's penalty 0.5 lambda ||W||^2). "
        "Book numbers are for MNIST; ours for MNIST-1D and digits. The gap shrinks mostly "
        "because training accuracy falls (compare train_acc with test_acc)."
    )
    return result


# ------------------------------------------------------- d2l's linear regression run
def _d2l_run(lam: float, seed: int) -> tuple[float, list[float], list[float]]:
    """d2l sec. 3.7: y = 0.05 + 0.01 sum(x) + N(0, 0.01^2), 200 inputs, 20 training and 100
    validation samples; w ~ N(0, 0.01^2), b = 0; loss mean((y_hat - y)^2) / 2 plus
    lambda ||w||^2 / 2; SGD lr 0.01, batch 5, 10 epochs. Returns (||w||^2 / 2, train and
    validation losses per epoch)."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((120, 200)).astype(np.float32)  # (120, 200)
    y = (x @ np.full((200, 1), 0.01, np.float32) + 0.05).astype(np.float32)  # (120, 1)
    y += 0.01 * rng.standard_normal((120, 1)).astype(np.float32)
    model = nn.Linear(200, 1)
    weight, bias = model.weight, model.bias
    assert bias is not None
    weight._data[...] = rng.normal(0.0, 0.01, (1, 200))
    bias._data[...] = 0.0
    groups: list[dict[str, Any]] = [
        {"params": [weight], "weight_decay": lam},  # d2l decays the weight, not the bias
        {"params": [bias]},
    ]
    optimizer = SGD(groups, lr=0.01)
    loader = DataLoader(TensorDataset(x[:20], y[:20]), batch_size=5, shuffle=True, seed=seed)
    train_losses, val_losses = [], []
    for _ in range(10):
        for xb, yb in loader:
            loss = F.mse_loss(model(xb), yb) / 2
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        with no_grad():
            train_losses.append(float(F.mse_loss(model(Tensor(x[:20])), Tensor(y[:20])).item()) / 2)
            val_losses.append(float(F.mse_loss(model(Tensor(x[20:])), Tensor(y[20:])).item()) / 2)
    half_sq = float(0.5 * np.sum(weight._data.astype(np.float64) ** 2))
    return half_sq, train_losses, val_losses


@experiment(
    id="reg.weight-decay-linear",
    questions=["reg.weight-decay"],
    title="Weight decay on d2l's high-dimensional linear regression (20 samples, 200 inputs)",
)
def weight_decay_linear(seed: int, size: str) -> ExperimentResult:
    draws = 5 if size == "quick" else 50
    result = ExperimentResult()
    stats = {}
    for lam in (0.0, 3.0):
        runs = [_d2l_run(lam, seed * 1000 + k) for k in range(draws)]
        half_sq = np.array([r[0] for r in runs])
        val = np.array([r[2][-1] for r in runs])
        stats[lam] = (half_sq, val, runs[0])
        result.metrics.add_row(
            weight_decay=lam,
            half_sq_norm_mean=float(half_sq.mean()),
            half_sq_norm_std=float(half_sq.std()),
            norm_mean=float(np.sqrt(2 * half_sq).mean()),
            val_loss_mean=float(val.mean()),
            d2l_printed=D2L_HALF_SQ_NORM[lam],
        )
    (h0, v0, _), (h3, v3, _) = stats[0.0], stats[3.0]
    result.claim(
        "decay_shrinks_weights",
        bool(np.all(h3 < h0)),
        f"In each of {draws} data draws, lambda 3 ends with a smaller ||w||^2 / 2 than lambda 0 "
        f"(means {h0.mean():.4f} vs {h3.mean():.4f}; d2l printed 0.0099 vs 0.0017).",
    )
    result.claim(
        "matches_d2l_scale",
        abs(h0.mean() - 0.0099) < 0.002 and abs(h3.mean() - 0.0017) < 0.001,
        "Our means land near d2l's printed values: 0.0099 +- 0.002 without decay, "
        "0.0017 +- 0.001 with lambda 3 (d2l's draw is a single random one).",
    )
    result.claim(
        "decay_lowers_validation_loss",
        v3.mean() < v0.mean(),
        "Averaged over the draws, the validation loss ends lower with lambda 3 than without.",
    )

    fig = new_figure(6, 4)
    ax = fig.subplots()
    epochs = np.arange(1, 11)
    for lam, (_, _, run), color in ((0.0, stats[0.0], "C0"), (3.0, stats[3.0], "C1")):
        ax.plot(epochs, run[1], color=color, label=f"lambda {lam:g} train")
        ax.plot(epochs, run[2], color=color, ls="--", label=f"lambda {lam:g} validation")
    ax.set(xlabel="epoch", ylabel="loss", yscale="log", title="d2l high-dimensional regression")
    ax.legend()
    result.add_figure("weight_decay_linear", fig)
    result.notes.append(
        "d2l prints l2_penalty(w) = ||w||^2 / 2 under the label 'L2 norm of w'; the norm "
        f"itself is about {np.sqrt(2 * h0.mean()):.3f} (lambda 0) and "
        f"{np.sqrt(2 * h3.mean()):.3f} (lambda 3)."
    )
    return result

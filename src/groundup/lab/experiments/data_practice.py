"""Experiments on data practice: correlation vs predictive power, why a validation set,
and k-fold cross-validation."""

from __future__ import annotations

import numpy as np

from groundup.data import SplitData, digits, kfold
from groundup.lab.registry import ExperimentResult, experiment, new_figure
from groundup.models import MLP, LogisticRegression
from groundup.nn import functional as F
from groundup.optim import SGD, Adam
from groundup.random import manual_seed
from groundup.tensor import Tensor, no_grad


# ------------------------------------------------------------ correlation near zero
def _r2(y: np.ndarray, pred: np.ndarray) -> float:
    """Coefficient of determination: 1 - SS_res / SS_tot."""
    return float(1 - np.sum((y - pred) ** 2) / np.sum((y - y.mean()) ** 2))


def _mlp_r2(x: np.ndarray, y: np.ndarray, n_train: int, steps: int, seed: int) -> float:
    """Held-out R^2 of a small tanh MLP regressing y on the columns of x (Adam, full batch)."""
    manual_seed(seed)
    model = MLP([x.shape[1], 32, 32, 1], activation="tanh")
    optimizer = Adam(model.parameters(), lr=1e-2)
    xt, yt = Tensor(x[:n_train]), Tensor(y[:n_train, None])  # (n, d), (n, 1)
    for _ in range(steps):
        loss = F.mse_loss(model(xt), yt)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    with no_grad():
        pred = model(Tensor(x[n_train:])).numpy()[:, 0]  # (n_test,)
    return _r2(y[n_train:], pred)


def _lstsq_r2(features: np.ndarray, y: np.ndarray, n_train: int) -> float:
    """Held-out R^2 of least squares on the given features plus an intercept."""
    design = np.hstack([features, np.ones((len(y), 1))])  # (n, d + 1)
    coef, *_ = np.linalg.lstsq(design[:n_train], y[:n_train], rcond=None)
    return _r2(y[n_train:], design[n_train:] @ coef)


@experiment(
    id="ml.zero-correlation-predictors",
    questions=["ml.correlation-zero-predictive"],
    title="Correlation near 0, yet the variable predicts y well (a quadratic and an interaction)",
)
def zero_correlation(seed: int, size: str) -> ExperimentResult:
    n, steps = (2000, 300) if size == "quick" else (5000, 600)
    n_train = n // 2
    rng = np.random.default_rng(seed)
    x = rng.uniform(-1, 1, n).astype(np.float32)
    y = (x**2 + 0.05 * rng.standard_normal(n)).astype(np.float32)  # y = x^2 + noise
    z = rng.uniform(-1, 1, n).astype(np.float32)
    y_int = (x * z + 0.05 * rng.standard_normal(n)).astype(np.float32)  # y = x z + noise

    r_quad = float(np.corrcoef(x, y)[0, 1])
    r_int = float(np.corrcoef(x, y_int)[0, 1])
    r2 = {
        "quadratic: linear fit on x": _lstsq_r2(x[:, None], y, n_train),
        "quadratic: least squares on [x, x^2]": _lstsq_r2(np.stack([x, x**2], 1), y, n_train),
        "quadratic: MLP on x": _mlp_r2(x[:, None], y, n_train, steps, seed),
        "interaction: MLP on z alone": _mlp_r2(z[:, None], y_int, n_train, steps, seed),
        "interaction: MLP on x and z": _mlp_r2(np.stack([x, z], 1), y_int, n_train, steps, seed),
    }
    result = ExperimentResult()
    for name, value in r2.items():
        pearson = r_quad if name.startswith("quadratic") else r_int
        result.metrics.add_row(model=name, pearson_r_of_x=pearson, heldout_r2=value)

    result.claim(
        "correlation_near_zero",
        abs(r_quad) < 0.1 and abs(r_int) < 0.1,
        f"Pearson r between x and y is near 0 in both cases ({r_quad:.3f} for y = x^2 + noise, "
        f"{r_int:.3f} for y = x z + noise).",
    )
    result.claim(
        "linear_model_sees_nothing",
        r2["quadratic: linear fit on x"] < 0.02,
        "A straight line in x explains almost none of y (held-out R^2 < 0.02): correlation "
        "measures only this linear part.",
    )
    result.claim(
        "nonlinear_model_predicts",
        r2["quadratic: MLP on x"] > 0.9 and r2["quadratic: least squares on [x, x^2]"] > 0.9,
        "Yet x alone predicts y well: an MLP on x and least squares on [x, x^2] both reach "
        "held-out R^2 > 0.9 (the noise caps it near 0.97).",
    )
    result.claim(
        "interaction_needs_x",
        r2["interaction: MLP on x and z"] > 0.8 and r2["interaction: MLP on z alone"] < 0.05,
        "For y = x z, x is uncorrelated with y but indispensable: with x and z an MLP reaches "
        "R^2 > 0.8, without x it stays below 0.05.",
    )

    fig = new_figure(9, 3.5)
    ax_q, ax_i = fig.subplots(1, 2)
    ax_q.scatter(x[:500], y[:500], s=3, alpha=0.5)
    grid = np.linspace(-1, 1, 101)
    ax_q.plot(grid, grid**2, color="C1", label="E[y | x] = x^2")
    ax_q.set(xlabel="x", ylabel="y", title=f"y = x^2 + noise, r = {r_quad:.3f}")
    ax_q.legend()
    ax_i.scatter(x[:500], y_int[:500], c=z[:500], s=3, cmap="coolwarm")
    ax_i.set(xlabel="x (colour: z)", ylabel="y", title=f"y = x z + noise, r(x, y) = {r_int:.3f}")
    result.add_figure("zero_correlation", fig)
    return result


# ----------------------------------------------------- selecting on the test set
def _train_candidates(seed: int, count: int, data: SplitData) -> list[np.ndarray]:
    """Train `count` MLP configurations on the training set; return each one's predicted
    classes on the pool of held-out samples."""
    rng = np.random.default_rng(seed)
    preds = []
    x, y = Tensor(data.x_train), Tensor(data.y_train)
    for k in range(count):
        manual_seed(seed * 1000 + k)
        width = int(rng.choice([8, 16, 32, 64]))
        model = MLP([64, width, 10])
        optimizer = SGD(model.parameters(), lr=float(rng.choice([0.1, 0.3, 1.0])))
        for _ in range(int(rng.choice([30, 60, 120]))):  # full-batch gradient descent
            loss = F.cross_entropy(model(x), y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        model.eval()
        with no_grad():
            preds.append(model(Tensor(data.x_test)).numpy().argmax(1))  # (pool,)
    return preds


@experiment(
    id="train.test-set-contamination",
    questions=["train.test-contamination", "train.validation-set"],
    title="Choosing hyperparameters on the test set inflates the reported accuracy",
)
def test_set_contamination(seed: int, size: str) -> ExperimentResult:
    count, repeats, n_eval = (20, 300, 50) if size == "quick" else (40, 2000, 50)
    data = digits(split_seed=seed, test_size=1797 - 200)  # 200 to train, 1,597 in the pool
    correct = np.stack(_train_candidates(seed, count, data)) == data.y_test  # (count, pool)
    rng = np.random.default_rng(seed)
    pool = len(data.y_test)
    gaps: dict[str, list[float]] = {"select on test": [], "select on validation": []}
    for _ in range(repeats):
        order = rng.permutation(pool)
        test, val, fresh = order[:n_eval], order[n_eval : 2 * n_eval], order[2 * n_eval :]
        test_acc = correct[:, test].mean(1)  # (count,) accuracy of every candidate
        val_acc = correct[:, val].mean(1)
        for name, chosen in (
            ("select on test", int(np.argmax(test_acc))),
            ("select on validation", int(np.argmax(val_acc))),
        ):
            # reported score (on the test set) minus the truth (on unseen fresh data)
            gaps[name].append(float(test_acc[chosen] - correct[chosen, fresh].mean()))
    result = ExperimentResult()
    for name, values in gaps.items():
        v = np.array(values)
        result.metrics.add_row(
            protocol=name,
            mean_optimism=float(v.mean()),
            std=float(v.std()),
            standard_error=float(v.std() / np.sqrt(len(v))),
            candidates=count,
            test_size=n_eval,
        )
    bias_test, bias_val = np.mean(gaps["select on test"]), np.mean(gaps["select on validation"])
    se_test, se_val = (np.std(gaps[k]) / np.sqrt(repeats) for k in gaps)
    result.claim(
        "test_selection_inflates",
        bool(bias_test > max(0.01, 5 * se_test)),
        f"Picking the best of {count} configurations by their score on a {n_eval}-sample test "
        f"set reports on average {100 * bias_test:.1f} points more than the chosen model "
        "scores on fresh data (more than 1 point and 5 standard errors).",
    )
    result.claim(
        "validation_selection_is_honest",
        bool(abs(bias_val) < max(0.005, 3 * se_val) and abs(bias_val) < bias_test / 2),
        "Choosing on a separate validation set and reporting the untouched test score has no "
        f"such bias (mean {100 * bias_val:+.2f} points, within noise).",
    )
    fig = new_figure(6, 4)
    ax = fig.subplots()
    bins = list(range(-21, 22, 2))  # 2-point bins: one test error moves a 50-sample score by 2
    for name, values in gaps.items():
        ax.hist(np.array(values) * 100, bins=bins, alpha=0.6, label=name)
    ax.axvline(0, color="k", lw=0.8)
    ax.set(xlabel="reported minus fresh accuracy (points)", ylabel="splits")
    ax.set_title(f"digits: best of {count} MLPs, {repeats} random test/validation draws")
    ax.legend()
    result.add_figure("test_set_contamination", fig)
    result.notes.append(
        "Candidates are trained once on 200 digits; the remaining 1,597 are re-split at random "
        f"into a {n_eval}-sample test set, a {n_eval}-sample validation set and fresh data."
    )
    return result


# ----------------------------------------------------------------------- k-fold
def _fit_accuracy(x: np.ndarray, y: np.ndarray, train: np.ndarray, val: np.ndarray) -> float:
    """Validation accuracy of softmax regression trained by full-batch gradient descent."""
    manual_seed(0)  # the same initial weights every time: only the split varies
    model = LogisticRegression(x.shape[1], 10)
    optimizer = SGD(model.parameters(), lr=0.5)
    xt, yt = Tensor(x[train]), Tensor(y[train])
    for _ in range(60):
        loss = F.cross_entropy(model(xt), yt)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    with no_grad():
        return float(np.mean(model(Tensor(x[val])).numpy().argmax(1) == y[val]))


@experiment(
    id="ml.kfold-variance",
    questions=["ml.cross-validation", "train.validation-set"],
    title="k-fold cross-validation: every sample validated once, a steadier estimate",
)
def kfold_variance(seed: int, size: str) -> ExperimentResult:
    repeats, n, k = (8, 200, 5) if size == "quick" else (40, 200, 5)
    data = digits(split_seed=seed)
    rng = np.random.default_rng(seed)
    subset = rng.choice(len(data.y_train), n, replace=False)
    x, y = data.x_train[subset], data.y_train[subset]  # a small dataset: (200, 64)
    single, folded = [], []
    validated_once = True
    for r in range(repeats):
        order = np.random.default_rng(seed * 1000 + r).permutation(n)
        cut = n // k  # the same 80/20 proportion as one fold
        single.append(_fit_accuracy(x, y, order[cut:], order[:cut]))
        counts = np.zeros(n, np.int64)
        scores = []
        for train, val in kfold(n, k, seed=seed * 1000 + r):
            counts[val] += 1
            scores.append(_fit_accuracy(x, y, train, val))
        validated_once &= bool(np.all(counts == 1))
        folded.append(float(np.mean(scores)))
    single_a, folded_a = np.array(single), np.array(folded)
    result = ExperimentResult()
    for name, values in (("single 80/20 split", single_a), (f"{k}-fold mean", folded_a)):
        result.metrics.add_row(
            estimate=name,
            mean=float(values.mean()),
            std_over_repeats=float(values.std(ddof=1)),
            min=float(values.min()),
            max=float(values.max()),
            trainings=repeats * (1 if name.startswith("single") else k),
        )
    result.claim(
        "every_sample_validated_once",
        validated_once,
        f"In every repetition each of the {n} samples lands in exactly one of the {k} "
        "validation folds.",
    )
    result.claim(
        "kfold_is_steadier",
        folded_a.std(ddof=1) < 0.75 * single_a.std(ddof=1),
        f"Over {repeats} reshuffles the {k}-fold estimate's spread is under 3/4 of a single "
        f"split's (std {folded_a.std(ddof=1):.3f} vs {single_a.std(ddof=1):.3f}): it averages "
        f"all {n} validation predictions instead of {n // k}.",
    )
    result.claim(
        "same_target",
        abs(folded_a.mean() - single_a.mean()) < 0.03,
        "Both estimate the same quantity: their means agree within 3 points.",
    )
    fig = new_figure(6, 3.5)
    ax = fig.subplots()
    jitter = np.random.default_rng(0).uniform(-0.15, 0.15, (2, repeats))  # keeps ties apart
    ax.plot(single_a, 1 + jitter[0], "o", alpha=0.6)
    ax.plot(folded_a, jitter[1], "o", alpha=0.6)
    ax.set_yticks([0, 1], [f"{k}-fold", "single split"])
    ax.set(xlabel="estimated accuracy", title=f"digits, {n} samples, softmax regression")
    result.add_figure("kfold_variance", fig)
    return result

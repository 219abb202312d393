"""MNIST-1D: our test accuracy beside the published numbers (Greydanus & Kobak, ICML 2024).

The paper's setup (greydanus/mnist1d, `notebooks/train.py` and `models.py`): Adam lr 1e-2,
no weight decay, batch 100, 8,000 steps, batches taken in order without shuffling
(4,000 training signals = 40 batches, so 200 epochs). Models:
  logistic  Linear(40, 10)                                             410 params
  MLP       h = relu(L1 x); h = h + relu(L2 h); L3 h  (40-100-100-10)  15,210 params

Published test accuracy: logistic 32%, MLP 68%; the repository's stored run at 6,000
steps: logistic 31.5%, MLP 65.1%.

    .venv/bin/python benchmarks/mnist1d_results.py [--seeds 3] [--steps 8000]
"""

from __future__ import annotations

import argparse
import statistics
import time

from threadpoolctl import threadpool_limits

import groundup as gu
from groundup import nn, optim
from groundup.data import DataLoader, TensorDataset, mnist1d
from groundup.models import MLP, LogisticRegression
from groundup.train import Callback, evaluate, fit

PUBLISHED = {"logistic": (32.0, 31.5), "mlp": (68.0, 65.1)}  # paper, stored run @ 6,000


class TestAccuracyAt(Callback):
    """Test accuracy after chosen epochs (the paper's curves are test accuracy vs step)."""

    def __init__(self, model: nn.Module, loader: DataLoader, epochs: set[int]):
        self.model, self.loader, self.epochs = model, loader, epochs
        self.accuracy: dict[int, float] = {}

    def on_epoch_end(self, epoch: int, logs: dict[str, float]) -> None:
        if epoch + 1 in self.epochs:
            self.accuracy[epoch + 1] = evaluate(self.model, self.loader)["accuracy"]


def run(name: str, seed: int, steps: int) -> tuple[float, float, float, int]:
    """Train one model; returns (test acc at 6,000 steps, at the end, seconds, params)."""
    data = mnist1d()
    gu.manual_seed(seed)
    model = (
        LogisticRegression(40, 10) if name == "logistic" else MLP([40, 100, 100, 10], residual=True)
    )
    train = DataLoader(TensorDataset(data.x_train, data.y_train), 100, shuffle=False)
    test = DataLoader(TensorDataset(data.x_test, data.y_test), 1000)
    epochs = steps // len(train)
    probe = TestAccuracyAt(model, test, {6000 // len(train), epochs})
    opt = optim.Adam(model.parameters(), lr=1e-2)
    start = time.perf_counter()
    fit(model, nn.functional.cross_entropy, opt, train, epochs, callbacks=[probe], progress=False)
    seconds = time.perf_counter() - start
    n_params = sum(p.numel() for p in model.parameters())
    return (
        probe.accuracy.get(6000 // len(train), float("nan")),
        probe.accuracy[epochs],
        seconds,
        n_params,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=3, help="runs per model (seeds 0..n-1)")
    parser.add_argument("--steps", type=int, default=8000, help="optimizer steps (batch 100)")
    args = parser.parse_args()
    print(f"MNIST-1D, Adam 1e-2, batch 100, {args.steps} steps, seeds 0-{args.seeds - 1}")
    header = f"{'model':<9}{'params':>8}  {'ours @6k':>16}  {'ours @end':>16}  {'published':>10}"
    print(header + f"  {'stored @6k':>10}  {'s/run':>6}")
    with threadpool_limits(limits=1, user_api="blas"):  # small GEMMs: one thread is fastest
        for name in ("logistic", "mlp"):
            results = [run(name, seed, args.steps) for seed in range(args.seeds)]
            at6k = [100 * r[0] for r in results]
            final = [100 * r[1] for r in results]
            seconds = statistics.mean(r[2] for r in results)

            def cell(xs: list[float]) -> str:
                return f"{statistics.mean(xs):.1f} ({min(xs):.1f}-{max(xs):.1f})"

            paper, stored = PUBLISHED[name]
            print(
                f"{name:<9}{results[0][3]:>8,}  {cell(at6k):>16}  {cell(final):>16}  "
                f"{paper:>9.1f}%  {stored:>9.1f}%  {seconds:>6.1f}"
            )


if __name__ == "__main__":
    main()

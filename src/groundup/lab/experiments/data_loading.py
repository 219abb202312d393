"""Experiments on loading data: DataLoader worker processes, and epochs vs iterations."""

from __future__ import annotations

import math
import os
import time
from typing import Any

import numpy as np

from groundup.data import DataLoader, Dataset, TensorDataset, digits
from groundup.lab.registry import ExperimentResult, experiment, new_figure


# -------------------------------------------------------------- DataLoader workers
class AugmentedDigits(Dataset):
    """Digits with an expensive augmentation in __getitem__: upsample to 64x64, rotate
    (cubic spline) by an angle that varies with the index, blur, and pool back to 8x8 --
    about a millisecond of CPU per sample, where slicing an array takes microseconds."""

    def __init__(self, images: np.ndarray, labels: np.ndarray):
        self.images, self.labels = images, labels  # (N, 8, 8), (N,)

    def __len__(self) -> int:
        return len(self.labels)

    def __getitem__(self, i: int) -> tuple[np.ndarray, np.int64]:
        from scipy import ndimage

        angle = 30.0 * np.sin(1.7 * i)  # deterministic per sample: batches are comparable
        big = np.kron(self.images[i], np.ones((8, 8), np.float32))  # (64, 64)
        big = ndimage.rotate(big, angle, reshape=False, order=3)
        big = ndimage.gaussian_filter(big, 1.0)
        small = big.reshape(8, 8, 8, 8).mean(axis=(1, 3))  # (8, 8) by 8x8 average pooling
        return small.reshape(64).astype(np.float32), self.labels[i]


def _children_cpu() -> float:
    """CPU seconds used so far by this process's finished child processes (the workers)."""
    import resource

    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _epoch(loader: DataLoader) -> tuple[float, float, float, list[Any]]:
    """Wall seconds, main-process CPU seconds, worker CPU seconds and the batches of one
    pass over `loader` (workers are joined when the pass ends, so their time is counted)."""
    wall, cpu, children = time.perf_counter(), time.process_time(), _children_cpu()
    batches = list(loader)
    return (
        time.perf_counter() - wall,
        time.process_time() - cpu,
        _children_cpu() - children,
        batches,
    )


@experiment(
    id="train.num-workers-throughput",
    questions=["train.num-workers"],
    title="DataLoader num_workers: 2 worker processes on an expensive transform",
)
def num_workers_throughput(seed: int, size: str) -> ExperimentResult:
    n, repeats = (512, 2) if size == "quick" else (2048, 3)
    data = digits(split_seed=seed, flatten=False)
    dataset = AugmentedDigits(data.x_train[:n, 0], data.y_train[:n])  # (n, 8, 8) images
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    cores = cores or 1
    free = cores - os.getloadavg()[0]  # cores left idle by other processes
    result = ExperimentResult()
    best: dict[int, tuple[float, float, float]] = {}
    outputs: dict[int, list[Any]] = {}
    for workers in (0, 2):
        loader = DataLoader(dataset, batch_size=16, shuffle=True, num_workers=workers, seed=seed)
        runs = [_epoch(loader) for _ in range(repeats)]  # the loader reshuffles each pass
        best[workers] = min((r[:3] for r in runs), key=lambda r: r[0])
        outputs[workers] = runs[0][3]
        wall, cpu, worker_cpu = best[workers]
        result.metrics.add_row(
            num_workers=workers,
            epoch_seconds=wall,
            samples_per_second=n / wall,
            main_cpu_seconds=cpu,
            worker_cpu_seconds=worker_cpu,
        )
    speedup = best[0][0] / best[2][0]
    result.metrics.add_row(num_workers="speed-up", epoch_seconds=speedup)
    same = len(outputs[0]) == len(outputs[2]) and all(
        np.array_equal(a[0].numpy(), b[0].numpy()) and np.array_equal(a[1].numpy(), b[1].numpy())
        for a, b in zip(outputs[0], outputs[2], strict=True)
    )
    result.claim(
        "same_batches",
        same,
        "With 0 or 2 workers the loader yields the same batches in the same order "
        "(the seeded loader decides the order in the main process).",
    )
    result.claim(
        "work_moves_to_workers",
        best[2][1] < 0.5 * best[0][1] and best[2][2] > 0.5 * best[0][1],
        "With 2 workers the transform runs in the worker processes: the main process spends "
        f"less than half the CPU time it spent alone ({best[2][1]:.2f} s vs {best[0][1]:.2f} s) "
        f"and the workers do the work ({best[2][2]:.2f} s of CPU between them).",
    )
    if free >= 1.5:
        result.claim(
            "modest_speedup",
            speedup > 1.1,
            f"With {free:.1f} of {cores} cores free, 2 workers load an epoch {speedup:.2f}x as "
            "fast -- a modest gain: at most 2x, minus process start-up and pipe transfers.",
        )
    else:
        result.notes.append(
            f"Speed-up {speedup:.2f}x not asserted: the load average was {cores - free:.1f} on "
            f"{cores} cores, so the workers had no idle core to run on."
        )
    fig = new_figure(5, 3.5)
    ax = fig.subplots()
    ax.bar(["0 workers", "2 workers"], [n / best[0][0], n / best[2][0]])
    ax.set(ylabel="samples / second", title=f"expensive transform, {cores} cores")
    result.add_figure("num_workers", fig)
    result.notes.append(
        f"Each epoch: {n} samples in batches of 16; times are the best of {repeats} epochs. "
        "Worker processes are started anew every epoch (~0.1-0.5 s)."
    )
    return result


# ------------------------------------------------------------ epochs and iterations
@experiment(
    id="train.epochs-iterations",
    questions=["train.epochs-from-iters", "opt.batch-vs-minibatch"],
    title="Iterations per epoch are ceil(N / B) (floor with drop_last), checked on a DataLoader",
)
def epochs_iterations(seed: int, size: str) -> ExperimentResult:
    sizes = [1000, 1797, 60000] if size == "full" else [1000, 1797, 6000]
    batches = [10, 64, 100, 128]
    result = ExperimentResult()
    all_match, naive_wrong = True, 0
    for n in sizes:
        dataset = TensorDataset(np.zeros((n, 1), np.float32))
        for b in batches:
            for drop_last in (False, True):
                loader = DataLoader(
                    dataset, batch_size=b, shuffle=True, drop_last=drop_last, seed=seed
                )
                counted = seen = 0
                for (xb,) in loader:  # a counted training loop: one iteration per batch
                    counted += 1
                    seen += len(xb)
                formula = n // b if drop_last else math.ceil(n / b)
                all_match &= formula == len(loader) == counted
                naive_epochs = 10 * formula / (n / b)  # the n_iters / (N / B) formula
                naive_wrong += int(not drop_last and n % b != 0 and naive_epochs != 10)
                result.metrics.add_row(
                    N=n,
                    batch=b,
                    drop_last=drop_last,
                    formula=formula,
                    len_loader=len(loader),
                    counted=counted,
                    samples_seen=seen,
                    naive_epochs_for_10=round(naive_epochs, 3),
                )
    result.claim(
        "formula_matches_loader",
        all_match,
        "For every N and batch size, ceil(N / B) (drop_last=False) or floor(N / B) "
        "(drop_last=True) equals len(DataLoader) and the number of iterations a loop counts.",
    )
    result.claim(
        "naive_formula_is_off",
        naive_wrong > 0,
        "n_iters / (N / B) is not the epoch count when B does not divide N: after exactly 10 "
        "epochs of ceil(N / B) iterations it reports a fractional number (e.g. 10.24 for "
        "N = 1000, B = 64), because the short last batch is a whole iteration.",
    )
    # The answer's worked example, run: 3,000 iterations over 60,000 samples at batch 100.
    loader = DataLoader(TensorDataset(np.zeros((60000, 1), np.float32)), batch_size=100)
    iterations = epochs_done = 0
    while iterations < 3000:  # whole epochs until 3,000 iterations are done
        for _ in loader:
            iterations += 1
        epochs_done += 1
    result.claim(
        "mnist_example",
        len(loader) == 600 and epochs_done == 5 and iterations == 3000,
        "N = 60,000 at batch 100: the loader has 600 batches, and 3,000 iterations are exactly "
        "5 whole epochs.",
    )
    return result

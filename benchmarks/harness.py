"""What every speed benchmark shares: thread limits set before NumPy and torch load their
BLAS, and groundup and torch timed in alternating rounds so that neither gets a warmer
cache or a quieter machine."""

from __future__ import annotations

import os
import statistics
import time
from collections.abc import Callable
from typing import Any, NamedTuple


def set_threads(n: int) -> None:
    """Limit OpenMP/BLAS threads; call before importing NumPy or torch."""
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = str(n)


def time_steps(step: Callable[[], Any], n: int) -> tuple[float, float]:
    """(wall, CPU) seconds per call; CPU time is the steadier one on a busy machine."""
    wall, cpu = time.perf_counter(), time.process_time()
    for _ in range(n):
        step()
    return (time.perf_counter() - wall) / n, (time.process_time() - cpu) / n


class Timing(NamedTuple):
    """Median seconds per call of each library, wall clock and CPU."""

    groundup: float
    torch: float
    groundup_cpu: float
    torch_cpu: float


def alternate(g_fn: Callable[[], Any], t_fn: Callable[[], Any], steps: int, rounds: int) -> Timing:
    """Time `steps` calls of each function per round, in alternating rounds after a
    warm-up of three calls each; medians over the rounds."""
    for _ in range(3):
        g_fn()
        t_fn()
    g_times, t_times = [], []
    for _ in range(rounds):
        g_times.append(time_steps(g_fn, steps))
        t_times.append(time_steps(t_fn, steps))
    median = statistics.median
    return Timing(
        median(t[0] for t in g_times),
        median(t[0] for t in t_times),
        median(t[1] for t in g_times),
        median(t[1] for t in t_times),
    )

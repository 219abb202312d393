"""Reproduce the published sequence-model results with groundup (long runs).

    .venv/bin/python benchmarks/seq2seq_results.py [RUN ...] [--epochs N] [--seed S]
        [--init book|torch] [--schedule constant|cosine]

Runs (default: all, cheapest first):
  mnist1d-gru        MNIST-1D, bidirectional GRU, hidden 6 (5,134 params), Adam 1e-2,
                     batch 100, 8,000 steps            published 91% (stored run 89.1%)
  addition-plain     seq2seq on addition, Deep Learning from Scratch 2's settings
                     (embedding 16, hidden 128, batch 128, 25 epochs, Adam, clip 5)
                                                       published 12.14% exact match
  addition-reversed  the same with reversed input      published 54.04%
  addition-peeky     reversed input + peeky decoder    published 98.44%
  dates-attention    dates -> ISO with dot attention, reversed input, hidden 256
                                                       published 0.0, 51.76, 99.90% at epochs 1-3

Every run prints its progress and a final line `RESULT <run> <accuracy> <published>`.
The seq2seq runs use the book's initialization by default (`--init book`: embeddings
N(0, 0.01^2), weights N(0, 1/fan_in), zero biases); `--init torch` keeps each layer's own.

The book trains with a constant lr of 1e-3, and so do all runs here but one: addition-peeky
defaults to `--schedule cosine`, our addition (not the book's), which anneals the lr to 0
after every batch over the run. At a constant lr its exact match swings by a few points per
epoch once above ~95% (dips to ~91-93% even at epochs 20-24), so the number at epoch 25 is
luck; annealed, it climbs steadily to ~99% and stays there (98.9-99.1% at epoch 25 with
either init and seeds 0-1). `--schedule constant` gives the book's setting.

Measured (seed 0 unless noted; a shared 2-core machine; ~3.5-5 min per addition run,
~3.5-5 min for 3 epochs of dates, ~3 min for MNIST-1D), each with one command such as

    OPENBLAS_NUM_THREADS=1 .venv/bin/python benchmarks/seq2seq_results.py addition-peeky

plus the --init, --schedule, --seed and --epochs options listed beside the numbers:

  mnist1d-gru        92.7% at 8,000 steps (91.4% at 6,000)
  addition-plain     book init: 14.52% at epoch 25 (25-37% over epochs 20-24);
                     torch init: 16.88%
  addition-reversed  book init: 95.98% at epoch 25 (best 98.44%); torch init: 95.00%
  addition-peeky     constant lr (--schedule constant), epochs 20-25:
                       book init   98.48 93.42 98.88 99.56 98.00 95.84%
                       torch init  99.32 91.58 99.00 99.62 99.58 99.80%
                     cosine (the default; --init torch for torch init), epochs 20-25:
                       book init   98.70 98.70 98.84 98.90 98.90 98.92%
                       book, seed 1:  98.86 99.24 99.10 99.12 99.12 99.12%
                       torch init  98.80 98.78 98.92 98.96 98.98 98.94%
                       torch, seed 1: 98.80 98.92 98.98 99.06 99.02 99.00%
  dates-attention    constant lr: book init 0.02, 97.52, 99.92% at epochs 1-3;
                     torch init 95.98, 99.80, 97.28% (seed 1: 94.04, 99.40, 99.92%)
                     cosine over 3 epochs (--schedule cosine) does not help: the lr falls
                     while the model is still learning; book init 0.00, 67.98, 77.42%;
                     torch init 95.04, 99.60, 99.68% (seed 1: 88.22, 99.70, 99.72%)
                     cosine over 10 epochs (--epochs 10 --schedule cosine --init torch):
                     95.90, 99.72, 99.84, 99.88% at epochs 1-4, then 99.90% at epochs 5-10
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from typing import Any

RUNS: dict[str, dict[str, Any]] = {
    "mnist1d-gru": {"published": "91% (89.1% stored run at 6,000 steps)"},
    "addition-plain": {"model": "seq2seq", "reverse": False, "published": "12.14%"},
    "addition-reversed": {"model": "seq2seq", "reverse": True, "published": "54.04%"},
    "addition-peeky": {
        "model": "peeky",
        "reverse": True,
        "schedule": "cosine",  # ours: steadies the late epochs (the book: constant)
        "published": "98.44%",
    },
    "dates-attention": {"published": "99.90% at epoch 3"},
}


def run(
    name: str,
    epochs: int | None,
    seed: int,
    init: str,
    log: Callable[[str], None],
    schedule: str | None = None,
) -> float:
    from groundup.models.rnn import train_gru_mnist1d
    from groundup.models.seq2seq import train_seq2seq

    spec = RUNS[name]
    schedule = schedule or spec.get("schedule", "constant")
    if name == "mnist1d-gru":
        result = train_gru_mnist1d(steps=epochs or 8000, seed=42 if seed < 0 else seed, log=log)
        return float(result["accuracy"])
    if name == "dates-attention":
        res = train_seq2seq(
            "dates",
            "attention",
            reverse=True,
            hidden_size=256,
            epochs=epochs or 3,
            seed=max(seed, 0),
            init=init,
            schedule=schedule,
            log=log,
        )
    else:
        res = train_seq2seq(
            "addition",
            spec["model"],
            reverse=spec["reverse"],
            epochs=epochs or 25,
            seed=max(seed, 0),
            init=init,
            schedule=schedule,
            log=log,
        )
    for source, target, prediction in res.examples:
        mark = "ok " if prediction == target else "bad"
        log(f"  {mark} {source!r:32} -> {prediction!r:14} (target {target!r})")
    return res.accuracy


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("runs", nargs="*", help=" | ".join(RUNS) + " (default: all)")
    parser.add_argument("--epochs", type=int, help="epochs (steps for mnist1d-gru)")
    parser.add_argument("--seed", type=int, default=-1, help="default: 0 (42 for MNIST-1D)")
    parser.add_argument(
        "--init", choices=["book", "torch"], default="book", help="seq2seq initialization"
    )
    parser.add_argument(
        "--schedule",
        choices=["constant", "cosine"],
        help="seq2seq lr: constant (the book) or cosine annealing to 0 after every batch "
        "(default: cosine for addition-peeky, constant for the others)",
    )
    args = parser.parse_args()
    unknown = [r for r in args.runs if r not in RUNS]
    if unknown:
        parser.error(f"unknown run(s) {unknown}; choose from {list(RUNS)}")
    for name in args.runs or list(RUNS):
        print(f"== {name}", flush=True)
        start = time.perf_counter()
        accuracy = run(
            name, args.epochs, args.seed, args.init, lambda s: print(s, flush=True), args.schedule
        )
        minutes = (time.perf_counter() - start) / 60
        print(
            f"RESULT {name} {100 * accuracy:.2f}% (published {RUNS[name]['published']}) "
            f"in {minutes:.1f} min",
            flush=True,
        )


if __name__ == "__main__":
    main()

"""Training-step speed of groundup's LSTM and GRU against PyTorch, in one process.

One step = forward through the recurrent layer over the whole sequence, a linear
classifier on the last hidden state, cross-entropy, backward through time, SGD update.
Both libraries start from the same weights (torch's state_dict is loaded into groundup's
layer) and train on the same batch; rounds alternate so neither gets a warmer cache or
a quieter machine. torch runs on as many threads as NumPy's BLAS.

    .venv/bin/python benchmarks/bench_rnn.py [--rounds 7] [--threads 1] [--steps 10]

Prints the median time per step and the groundup/torch ratio (target <= 2.0).
"""

from __future__ import annotations

import argparse
from collections.abc import Callable

from harness import alternate, set_threads

INPUT, HIDDEN, STEPS, BATCH, CLASSES = 32, 128, 40, 64, 10
TARGET = 2.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7, help="alternating timing rounds")
    parser.add_argument("--threads", type=int, default=1, help="BLAS / torch threads")
    parser.add_argument("--steps", type=int, default=10, help="training steps per round")
    args = parser.parse_args()
    set_threads(args.threads)  # before NumPy and torch load their BLAS

    import numpy as np
    import torch

    import groundup as gu
    from groundup.optim import SGD

    torch.set_num_threads(args.threads)

    def build(kind: str) -> tuple[Callable[[], None], Callable[[], None]]:
        rng = np.random.default_rng(0)
        x = rng.standard_normal((STEPS, BATCH, INPUT)).astype(np.float32)
        y = rng.integers(0, CLASSES, BATCH)
        t_rnn = getattr(torch.nn, kind)(INPUT, HIDDEN)
        t_head = torch.nn.Linear(HIDDEN, CLASSES)
        g_rnn = getattr(gu.nn, kind)(INPUT, HIDDEN)
        g_head = gu.nn.Linear(HIDDEN, CLASSES)
        g_rnn.load_state_dict(t_rnn.state_dict())
        g_head.load_state_dict(t_head.state_dict())
        t_params = [*t_rnn.parameters(), *t_head.parameters()]
        g_params = [*g_rnn.parameters(), *g_head.parameters()]
        t_opt, g_opt = torch.optim.SGD(t_params, lr=0.01), SGD(g_params, lr=0.01)
        tx, ty = torch.from_numpy(x), torch.from_numpy(y)
        gx, gy = gu.tensor(x), gu.tensor(y)

        def g_step() -> None:
            out, _ = g_rnn(gx)  # (T, N, H)
            loss = gu.nn.functional.cross_entropy(g_head(out[-1]), gy)
            g_opt.zero_grad()
            loss.backward()
            g_opt.step()

        def t_step() -> None:
            out, _ = t_rnn(tx)
            loss = torch.nn.functional.cross_entropy(t_head(out[-1]), ty)
            t_opt.zero_grad()
            loss.backward()
            t_opt.step()

        return g_step, t_step

    print(
        f"threads: {args.threads}   rounds: {args.rounds}   numpy {np.__version__}   "
        f"torch {torch.__version__}"
    )
    print(f"input {INPUT}, hidden {HIDDEN}, sequence {STEPS}, batch {BATCH}, float32")
    for kind in ("LSTM", "GRU"):
        g_step, t_step = build(kind)
        g_med, t_med, _, _ = alternate(g_step, t_step, args.steps, args.rounds)
        ratio = g_med / t_med
        verdict = "meets" if ratio <= TARGET else "misses"
        print(
            f"{kind:5s} training step: groundup {g_med * 1e3:7.2f} ms   torch {t_med * 1e3:7.2f} ms"
            f"   ratio {ratio:.2f} ({verdict} target <= {TARGET})"
        )


if __name__ == "__main__":
    main()

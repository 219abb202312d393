"""Training-step speed of a TransformerEncoderLayer, groundup against PyTorch in one process.

One step = forward, mean-squared loss against a fixed target, backward, Adam update, in
training mode with torch's default dropout 0.1. Both libraries start from the same weights
(groundup's state_dict loaded into torch) and train on the same batch, alternating rounds
so that neither gets a warmer cache or a quieter machine; torch runs on as many threads as
NumPy's BLAS. One thread is the default: on a 2-core machine shared with other jobs, two
threads per library mostly measure how long each waits for the other core.

    .venv/bin/python benchmarks/bench_transformer.py [--rounds 7] [--steps 10] [--threads 1]

Prints the median time per step for d_model 128, 4 heads, feed-forward 512, sequence 64,
batch 32 (the issue's setting; target ratio <= 1.5), the same with dropout 0, and the
scaled-dot-product attention alone, each as a groundup/torch ratio.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable

from harness import alternate, set_threads


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7, help="alternating timing rounds")
    parser.add_argument("--steps", type=int, default=10, help="steps per round")
    parser.add_argument("--threads", type=int, default=1, help="BLAS / torch threads")
    args = parser.parse_args()
    set_threads(args.threads)  # before NumPy and torch load their BLAS

    import numpy as np
    import torch

    import groundup as gu

    torch.set_num_threads(args.threads)
    d_model, nhead, d_ff, seq, batch = 128, 4, 512, 64, 32

    def layer_steps(dropout: float) -> tuple[Callable[[], None], Callable[[], None]]:
        g = gu.nn.TransformerEncoderLayer(d_model, nhead, d_ff, dropout, batch_first=True)
        t = torch.nn.TransformerEncoderLayer(d_model, nhead, d_ff, dropout, batch_first=True)
        t.load_state_dict({k: torch.from_numpy(v) for k, v in g.state_dict().items()})
        g.train()
        t.train()
        rng = np.random.default_rng(0)
        x = rng.standard_normal((batch, seq, d_model)).astype(np.float32)
        y = rng.standard_normal((batch, seq, d_model)).astype(np.float32)
        g_opt = gu.optim.Adam(g.parameters(), lr=1e-4)
        t_opt = torch.optim.Adam(t.parameters(), lr=1e-4)
        gx, gy = gu.tensor(x), gu.tensor(y)
        tx, ty = torch.from_numpy(x), torch.from_numpy(y)

        def g_step() -> None:
            g_opt.zero_grad()
            loss = gu.nn.functional.mse_loss(g(gx), gy)
            loss.backward()
            g_opt.step()

        def t_step() -> None:
            t_opt.zero_grad()
            loss = torch.nn.functional.mse_loss(t(tx), ty)
            loss.backward()
            t_opt.step()

        return g_step, t_step

    def sdpa_steps() -> tuple[Callable[[], None], Callable[[], None]]:
        rng = np.random.default_rng(0)
        shape = (batch, nhead, seq, d_model // nhead)  # (N, h, L, d)
        q, k, v = (rng.standard_normal(shape).astype(np.float32) for _ in range(3))
        g_in = [gu.tensor(a, requires_grad=True) for a in (q, k, v)]
        t_in = [torch.tensor(a, requires_grad=True) for a in (q, k, v)]
        mask = np.triu(np.full((seq, seq), -np.inf, np.float32), 1)
        g_mask, t_mask = mask, torch.from_numpy(mask)
        sdpa_g = gu.nn.functional.scaled_dot_product_attention
        sdpa_t = torch.nn.functional.scaled_dot_product_attention

        def g_step() -> None:
            sdpa_g(*g_in, attn_mask=g_mask).sum().backward()

        def t_step() -> None:
            sdpa_t(*t_in, attn_mask=t_mask).sum().backward()

        return g_step, t_step

    cases = [
        (f"TransformerEncoderLayer d{d_model} h{nhead} ff{d_ff} L{seq} N{batch}, dropout 0.1",
         layer_steps(0.1), 1.5),
        ("the same, dropout 0", layer_steps(0.0), None),
        (f"scaled_dot_product_attention (N{batch}, h{nhead}, L{seq}, d{d_model // nhead}), "
         "float mask, fwd+bwd", sdpa_steps(), None),
    ]  # fmt: skip
    print(
        f"threads: {args.threads}   rounds: {args.rounds} x {args.steps} steps   "
        f"numpy {np.__version__}   torch {torch.__version__}"
    )
    for name, (g_step, t_step), target in cases:
        g_med, t_med, _, _ = alternate(g_step, t_step, args.steps, args.rounds)
        ratio = g_med / t_med
        verdict = (
            ""
            if target is None
            else f"  (target <= {target}: {'ok' if ratio <= target else 'MISSED'})"
        )
        print(f"{name}\n  groundup {1e3 * g_med:8.2f} ms   torch {1e3 * t_med:8.2f} ms   "
              f"ratio {ratio:.2f}{verdict}")  # fmt: skip


if __name__ == "__main__":
    main()

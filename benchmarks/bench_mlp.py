"""Training-step speed of groundup against PyTorch, side by side in one process.

One step = forward, cross-entropy, backward, SGD update. Both libraries train the same
MLP from the same weights on the same batch, alternating rounds so that neither gets a
warmer cache or a quieter machine; torch runs on as many threads as NumPy's BLAS.

    .venv/bin/python benchmarks/bench_mlp.py [--rounds 7] [--threads 2]

Prints the median time per step, the groundup/torch ratio, and for the large MLP the
GFLOP/s achieved against the same GEMMs done in plain NumPy.
"""

from __future__ import annotations

import argparse
import statistics
from collections.abc import Callable

from harness import alternate, set_threads, time_steps


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7, help="alternating timing rounds")
    parser.add_argument("--threads", type=int, default=2, help="BLAS / torch threads")
    args = parser.parse_args()
    set_threads(args.threads)  # before NumPy and torch load their BLAS

    import numpy as np
    import torch

    import groundup as gu

    torch.set_num_threads(args.threads)

    def build(sizes: list[int], batch: int) -> tuple[Callable[[], None], Callable[[], None]]:
        rng = np.random.default_rng(0)
        x = rng.standard_normal((batch, sizes[0])).astype(np.float32)
        y = rng.integers(0, sizes[-1], batch)
        layers = list(zip(sizes[:-1], sizes[1:], strict=True))

        g_mods: list[gu.nn.Module] = []
        t_mods: list[torch.nn.Module] = []
        for i, (n_in, n_out) in enumerate(layers):
            g_lin, t_lin = gu.nn.Linear(n_in, n_out), torch.nn.Linear(n_in, n_out)
            t_lin.load_state_dict({k: torch.from_numpy(v) for k, v in g_lin.state_dict().items()})
            g_mods.append(g_lin)
            t_mods.append(t_lin)
            if i < len(layers) - 1:
                g_mods.append(gu.nn.ReLU())
                t_mods.append(torch.nn.ReLU())
        g_net, t_net = gu.nn.Sequential(*g_mods), torch.nn.Sequential(*t_mods)
        g_opt = gu.optim.SGD(g_net.parameters(), lr=0.01)
        t_opt = torch.optim.SGD(t_net.parameters(), lr=0.01)
        gx, gy = gu.tensor(x), gu.tensor(y)
        tx, ty = torch.from_numpy(x), torch.from_numpy(y)

        def g_step() -> None:
            g_opt.zero_grad()
            loss = gu.nn.functional.cross_entropy(g_net(gx), gy)
            loss.backward()
            g_opt.step()

        def t_step() -> None:
            t_opt.zero_grad()
            loss = torch.nn.functional.cross_entropy(t_net(tx), ty)
            loss.backward()
            t_opt.step()

        return g_step, t_step

    def gemm_flops(sizes: list[int], batch: int) -> float:
        pairs = list(zip(sizes[:-1], sizes[1:], strict=True))
        forward = sum(2 * batch * i * o for i, o in pairs)
        grad_w = forward
        grad_x = sum(2 * batch * i * o for i, o in pairs[1:])  # the input needs no gradient
        return float(forward + grad_w + grad_x)

    def plain_numpy_gemms(sizes: list[int], batch: int) -> Callable[[], None]:
        """The same matrix products as one training step, with nothing else around them."""
        rng = np.random.default_rng(0)
        pairs = list(zip(sizes[:-1], sizes[1:], strict=True))
        ws = [rng.standard_normal((o, i)).astype(np.float32) for i, o in pairs]
        x = rng.standard_normal((batch, sizes[0])).astype(np.float32)

        def run() -> None:
            acts = [x]
            for w in ws:
                acts.append(acts[-1] @ w.T)
            g = acts[-1]
            for k in range(len(ws) - 1, -1, -1):
                _ = g.T @ acts[k]
                if k > 0:
                    g = g @ ws[k]

        return run

    cases = [
        ("MLP 784-1024-1024-10, batch 128", [784, 1024, 1024, 10], 128, 20, 1.0),
        ("MLP 40-100-100-10, batch 100", [40, 100, 100, 10], 100, 400, 1.5),
    ]
    print(
        f"threads: {args.threads}   rounds: {args.rounds}   numpy {np.__version__}   "
        f"torch {torch.__version__}"
    )
    for name, sizes, batch, steps, target in cases:
        g_step, t_step = build(sizes, batch)
        g_med, t_med, _, _ = alternate(g_step, t_step, steps, args.rounds)
        ratio = g_med / t_med
        verdict = "meets" if ratio <= target else "misses"
        print(f"\n{name}")
        print(
            f"  groundup {g_med * 1e3:8.3f} ms/step   torch {t_med * 1e3:8.3f} ms/step   "
            f"ratio {ratio:.2f} ({verdict} target <= {target})"
        )
        if sizes[1] >= 1024:
            flops = gemm_flops(sizes, batch)
            plain = plain_numpy_gemms(sizes, batch)
            plain()
            p_med = statistics.median(time_steps(plain, steps)[0] for _ in range(args.rounds))
            print(
                f"  GFLOP/s: groundup {flops / g_med / 1e9:6.1f}   torch {flops / t_med / 1e9:6.1f}"
                f"   plain NumPy GEMMs {flops / p_med / 1e9:6.1f}"
            )


if __name__ == "__main__":
    main()

"""Training-step speed of groundup's CNNs against PyTorch, side by side in one process.

One step = forward, cross-entropy, backward, SGD update, on the same model with the same
weights and the same batch in both libraries, alternating rounds so that neither gets a
warmer cache or a quieter machine; torch runs on as many threads as NumPy's BLAS.

    .venv/bin/python benchmarks/bench_cnn.py [--rounds 7] [--threads 2]

Cases: LeNet (batch 64, 1x28x28) and the MNIST-1D CNN (batch 100, 1x40). Prints the median
time per step, the groundup/torch ratio (target <= 2.0), and, per convolution layer, the
GFLOP/s achieved by its forward + backward alone (2 flops per multiply-add; the first
layer computes no input gradient).
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any

from harness import alternate, set_threads


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7, help="alternating timing rounds")
    parser.add_argument("--threads", type=int, default=2, help="BLAS / torch threads")
    args = parser.parse_args()
    set_threads(args.threads)  # before NumPy and torch load their BLAS

    import numpy as np
    import torch

    import groundup as gu
    from groundup import optim
    from groundup.models import MNIST1DCNN, LeNet

    torch.set_num_threads(args.threads)
    conv_types = (gu.nn.Conv1d, gu.nn.Conv2d)

    def torch_lenet() -> torch.nn.Module:
        class TorchLeNet(torch.nn.Module):
            def __init__(self) -> None:
                super().__init__()
                relu, pool = torch.nn.ReLU, torch.nn.MaxPool2d
                self.features = torch.nn.Sequential(
                    torch.nn.Conv2d(1, 6, 5, padding=2),
                    relu(),
                    pool(2),
                    torch.nn.Conv2d(6, 16, 5),
                    relu(),
                    pool(2),
                )
                self.classifier = torch.nn.Sequential(
                    torch.nn.Flatten(),
                    torch.nn.Linear(400, 120),
                    relu(),
                    torch.nn.Linear(120, 84),
                    relu(),
                    torch.nn.Linear(84, 10),
                )

            def forward(self, x: torch.Tensor) -> torch.Tensor:
                return self.classifier(self.features(x))

        return TorchLeNet()

    def torch_mnist1d() -> torch.nn.Module:
        class ConvBase(torch.nn.Module):  # greydanus/mnist1d's reference model
            def __init__(self) -> None:
                super().__init__()
                self.conv1 = torch.nn.Conv1d(1, 25, 5, stride=2, padding=1)
                self.conv2 = torch.nn.Conv1d(25, 25, 3, stride=2, padding=1)
                self.conv3 = torch.nn.Conv1d(25, 25, 3, stride=2, padding=1)
                self.linear = torch.nn.Linear(125, 10)

            def forward(self, x: torch.Tensor) -> torch.Tensor:
                h = self.conv3(self.conv2(self.conv1(x).relu()).relu()).relu()
                return self.linear(h.flatten(1))

        return ConvBase()

    def build(
        g_net: gu.nn.Module, t_net: torch.nn.Module, x: np.ndarray, y: np.ndarray
    ) -> tuple[Callable[[], float], Callable[[], float]]:
        t_net.load_state_dict(
            {k: torch.from_numpy(np.array(v)) for k, v in g_net.state_dict().items()}
        )
        g_opt = optim.SGD(g_net.parameters(), lr=0.01)
        t_opt = torch.optim.SGD(t_net.parameters(), lr=0.01)
        gx, gy = gu.tensor(x), gu.tensor(y)
        tx, ty = torch.from_numpy(x), torch.from_numpy(y)

        def g_step() -> float:
            g_opt.zero_grad()
            loss = gu.nn.functional.cross_entropy(g_net(gx), gy)
            loss.backward()
            g_opt.step()
            return float(loss.item())

        def t_step() -> float:
            t_opt.zero_grad()
            loss = torch.nn.functional.cross_entropy(t_net(tx), ty)
            loss.backward()
            t_opt.step()
            return float(loss.item())

        return g_step, t_step

    def conv_rates(
        g_net: gu.nn.Module, t_net: torch.nn.Module, x: np.ndarray, steps: int
    ) -> list[str]:
        """GFLOP/s of each conv layer's forward + backward, measured on its own input."""
        inputs: dict[str, np.ndarray] = {}
        convs = {n: m for n, m in g_net.named_modules() if isinstance(m, conv_types)}
        handles = [
            m.register_forward_hook(lambda m, i, o, n=n: inputs.__setitem__(n, i[0].numpy()))
            for n, m in convs.items()
        ]
        with gu.no_grad():
            g_net(gu.tensor(x))
        for h in handles:
            h.remove()
        lines = []
        t_mods = dict(t_net.named_modules())
        for index, (name, conv) in enumerate(convs.items()):
            first = index == 0  # the first layer needs no input gradient
            xin = inputs[name]
            t_conv = t_mods[name]
            gx = gu.tensor(xin, requires_grad=not first)
            tx = torch.from_numpy(xin).requires_grad_(not first)
            out_shape = conv(gx).shape
            upstream = np.ones(out_shape, dtype=np.float32)
            t_up = torch.from_numpy(upstream)
            n, o, spatial = out_shape[0], out_shape[1], int(np.prod(out_shape[2:]))
            macs = n * o * spatial * int(np.prod(conv.weight.shape[1:]))
            flops = 2 * macs * (2 if first else 3)  # forward, dW, (dX)

            def g_fn(conv: Any = conv, gx: Any = gx, up: Any = upstream) -> None:
                conv(gx).backward(up)

            def t_fn(t_conv: Any = t_conv, tx: Any = tx, up: Any = t_up) -> None:
                t_conv(tx).backward(up)

            g_t, t_t, _, _ = alternate(g_fn, t_fn, steps, args.rounds)
            lines.append(
                f"  {name:<12} {type(conv).__name__}{tuple(conv.weight.shape)} on "
                f"{tuple(xin.shape)}: groundup {flops / g_t / 1e9:6.2f} GFLOP/s   "
                f"torch {flops / t_t / 1e9:6.2f} GFLOP/s"
            )
        return lines

    rng = np.random.default_rng(0)
    cases = [
        ("LeNet, batch 64, 1x28x28", LeNet(), torch_lenet(), (64, 1, 28, 28), 20),
        ("MNIST-1D CNN, batch 100, 1x40", MNIST1DCNN(), torch_mnist1d(), (100, 1, 40), 100),
    ]
    print(
        f"threads: {args.threads}   rounds: {args.rounds}   numpy {np.__version__}   "
        f"torch {torch.__version__}"
    )
    for name, g_net, t_net, shape, steps in cases:
        x = rng.standard_normal(shape).astype(np.float32)
        y = rng.integers(0, 10, shape[0])
        g_step, t_step = build(g_net, t_net, x, y)
        first_g, first_t = g_step(), t_step()  # same weights, same batch: same loss
        g_med, t_med, g_cpu, t_cpu = alternate(g_step, t_step, steps, args.rounds)
        ratio = g_med / t_med
        verdict = "meets" if ratio <= 2.0 else "misses"
        print(f"\n{name}   (first-step loss groundup {first_g:.6f}, torch {first_t:.6f})")
        print(
            f"  groundup {g_med * 1e3:8.3f} ms/step   torch {t_med * 1e3:8.3f} ms/step   "
            f"ratio {ratio:.2f} ({verdict} target <= 2.0)"
        )
        print(
            f"  CPU time: groundup {g_cpu * 1e3:8.3f} ms/step   torch {t_cpu * 1e3:8.3f} ms/step   "
            f"ratio {g_cpu / t_cpu:.2f}"
        )
        for line in conv_rates(g_net, t_net, x, steps):
            print(line)


if __name__ == "__main__":
    main()

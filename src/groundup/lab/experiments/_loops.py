"""Small pieces the initialization, activation and optimization experiments share: the
digits data, an MLP built with a chosen initialization, and one training step written out.

The loops stay in plain sight on purpose: `loss.backward()` then `optimizer.step()` is the
whole of training, and an experiment that records something per step (a loss, a gradient
norm, an optimizer's state) reads better as a visible loop than as callbacks.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from groundup import nn
from groundup.data.datasets import digits
from groundup.data.datasets.split_data import SplitData
from groundup.nn import functional as F
from groundup.optim import Optimizer
from groundup.tensor import Tensor, no_grad

LN10 = math.log(10.0)  # the cross-entropy of a uniform guess over 10 classes: 2.3026


def digits_data() -> SplitData:
    """scikit-learn's 8x8 digits, pixels scaled to [0, 1]: 1,437 train / 360 test images."""
    return digits(split_seed=0)


def init_linear(layer: nn.Linear, scheme: str | float, generator: np.random.Generator) -> None:
    """Re-initialize one layer: `scheme` is 'xavier' (Glorot normal, Var = 2/(in+out)), 'he'
    (Kaiming normal for ReLU, Var = 2/in), 'default' (keep torch's), or a float: the std of
    a plain N(0, std^2). Biases start at 0 except with 'default'."""
    if scheme == "default":
        return
    if scheme == "xavier":
        nn.init.xavier_normal_(layer.weight, generator=generator)
    elif scheme == "he":
        nn.init.kaiming_normal_(layer.weight, nonlinearity="relu", generator=generator)
    elif isinstance(scheme, float):
        nn.init.normal_(layer.weight, 0.0, scheme, generator=generator)
    else:
        raise ValueError(
            f"unknown initialization {scheme!r}: use 'xavier', 'he', 'default' or a std"
        )
    if layer.bias is not None:
        nn.init.zeros_(layer.bias)


def mlp(
    sizes: list[int],
    init: str | float = "he",
    activation: Callable[[], nn.Module] = nn.ReLU,
    seed: int = 0,
) -> nn.Sequential:
    """Linear -> activation -> ... -> Linear, every layer initialized with `init`."""
    layers: list[nn.Module] = []
    for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:], strict=True)):
        layers.append(nn.Linear(n_in, n_out))
        if i < len(sizes) - 2:
            layers.append(activation())
    generator = np.random.default_rng(seed)
    for layer in layers:
        if isinstance(layer, nn.Linear):
            init_linear(layer, init, generator)
    return nn.Sequential(*layers)


def grad_of(t: Tensor) -> np.ndarray:
    """The gradient backward() left on `t` (an error if there is none)."""
    if t.grad is None:
        raise RuntimeError("no gradient: was backward() called on a graph that uses this tensor?")
    return t.grad.numpy()


def zero_linear(n_in: int, n_out: int) -> nn.Linear:
    """A Linear layer with weight and bias 0: softmax regression started where d2l starts it."""
    layer = nn.Linear(n_in, n_out)
    nn.init.zeros_(layer.weight)
    if layer.bias is not None:
        nn.init.zeros_(layer.bias)
    return layer


def train_step(model: nn.Module, optimizer: Optimizer, x: np.ndarray, y: np.ndarray) -> float:
    """One update on the batch (x, y) with cross-entropy; returns the batch loss before it."""
    loss = F.cross_entropy(model(Tensor(x)), Tensor(y))
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    return float(loss.item())


def dataset_loss(model: nn.Module, x: np.ndarray, y: np.ndarray) -> float:
    """Cross-entropy over a whole array of examples, without building a graph."""
    with no_grad():
        return float(F.cross_entropy(model(Tensor(x)), Tensor(y)).item())


def accuracy(model: nn.Module, x: np.ndarray, y: np.ndarray) -> float:
    with no_grad():
        return float((model(Tensor(x)).numpy().argmax(axis=1) == y).mean())


def smooth(values: np.ndarray | list[float], window: int) -> np.ndarray:
    """Trailing moving average (shorter at the start), for drawing noisy loss curves."""
    v = np.asarray(values, dtype=np.float64)
    csum = np.cumsum(np.insert(v, 0, 0.0))  # (n + 1,)
    lo = np.maximum(np.arange(1, len(v) + 1) - window, 0)  # window start of each point
    return (csum[1:] - csum[lo]) / (np.arange(1, len(v) + 1) - lo)


__all__ = [
    "LN10",
    "accuracy",
    "dataset_loss",
    "digits_data",
    "grad_of",
    "init_linear",
    "mlp",
    "smooth",
    "train_step",
    "zero_linear",
]

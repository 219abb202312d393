"""`GRUClassifier`: a recurrent classifier of 1-D signals, MNIST-1D's GRU baseline
(Greydanus & Kobak 2024: bidirectional, hidden size 6, 5,134 parameters, ~91% test
accuracy), and `train_gru_mnist1d`, which reproduces that run.

    signal (N, L) -> (N, L, 1): one value per time step (input_size 1); an image
        (N, R*C) -> (N, R, C) is read row by row (seq_len R, input_size C)
    -> GRU, batch_first -> (N, L, D*H): every step's state, both directions
    -> flatten (N, L*D*H) -> Linear -> logits (N, classes)
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from groundup import nn
from groundup.data.datasets.mnist1d import mnist1d
from groundup.ops.cross_entropy import cross_entropy
from groundup.optim import Adam
from groundup.random import manual_seed
from groundup.tensor import Tensor, no_grad


class GRUClassifier(nn.Module):
    """GRU over a (N, seq_len) signal; a linear layer reads all of its outputs."""

    def __init__(
        self,
        seq_len: int = 40,
        num_classes: int = 10,
        hidden_size: int = 6,
        bidirectional: bool = True,
        input_size: int = 1,
    ):
        super().__init__()
        self.seq_len, self.input_size = seq_len, input_size
        self.config: dict[str, Any] = {
            "name": "GRUClassifier",
            "seq_len": seq_len,
            "num_classes": num_classes,
            "hidden_size": hidden_size,
            "bidirectional": bidirectional,
            "input_size": input_size,
        }
        self.gru = nn.GRU(input_size, hidden_size, batch_first=True, bidirectional=bidirectional)
        directions = 2 if bidirectional else 1
        self.linear = nn.Linear(seq_len * directions * hidden_size, num_classes)

    def forward(self, x: Tensor) -> Tensor:
        n = x.shape[0]
        flat = (self.seq_len * self.input_size,)
        if x.shape[1:] not in (flat, (self.seq_len, self.input_size)):
            raise ValueError(
                f"GRUClassifier: input of shape {x.shape} must be (N, {flat[0]}) or "
                f"(N, {self.seq_len}, {self.input_size})"
            )
        x = x.reshape(n, self.seq_len, self.input_size)  # (N, L*I) -> (N, L, I)
        out, _ = self.gru(x)  # (N, L, D*H)
        return self.linear(out.reshape(n, -1))  # (N, L*D*H) -> (N, classes)


def train_gru_mnist1d(
    steps: int = 6000,
    batch_size: int = 100,
    lr: float = 1e-2,
    seed: int = 42,
    eval_every: int = 1000,
    log: Callable[[str], None] | None = print,
) -> dict[str, Any]:
    """MNIST-1D's reference GRU run: Adam lr 1e-2, batches of 100 taken in order from the
    4,000 training signals (as the repository's `train_model` does), `steps` updates.
    Returns the final test accuracy, the history of (step, test accuracy) and the model."""
    manual_seed(seed)
    data = mnist1d()
    model = GRUClassifier()
    optimizer = Adam(model.parameters(), lr=lr)
    x_test, y_test = Tensor(data.x_test), data.y_test

    def test_accuracy() -> float:
        model.eval()
        with no_grad():
            predictions = model(x_test)._data.argmax(axis=1)
        model.train()
        return float((predictions == y_test).mean())

    history: list[tuple[int, float]] = []
    start = time.perf_counter()
    for step in range(1, steps + 1):
        i = ((step - 1) * batch_size) % len(data.x_train)
        x, y = data.x_train[i : i + batch_size], data.y_train[i : i + batch_size]
        loss = cross_entropy(model(Tensor(x)), Tensor(y))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        if step % eval_every == 0 or step == steps:
            history.append((step, test_accuracy()))
            if log is not None:
                log(
                    f"step {step:5d}  loss {loss.item():.4f}  test accuracy "
                    f"{100 * history[-1][1]:.1f}%  ({time.perf_counter() - start:.0f} s)"
                )
    n_params = sum(p.numel() for p in model.parameters())
    return {"accuracy": history[-1][1], "history": history, "model": model, "params": n_params}


__all__ = ["GRUClassifier", "train_gru_mnist1d"]

"""Shared pieces of the regularization and normalization experiments: the MLPs and the
training protocol of "Deep Learning from Scratch" (Saito 2016, ch. 6), rebuilt on groundup.

The book's protocol: a ReLU MLP; every iteration draws `batch` samples *with replacement*
(`np.random.choice(train_size, batch_size)`); plain SGD; an "epoch" is
`train_size / batch` iterations; accuracy is measured on the whole training and test sets.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from groundup import nn
from groundup.data import SplitData, digits, mnist1d
from groundup.nn import functional as F
from groundup.optim import SGD
from groundup.tensor import Tensor, no_grad


class NonInvertedDropout(nn.Module):
    """The original dropout (Srivastava et al. 2014; the book's `Dropout` layer): training
    zeroes each unit with probability p and leaves the rest unscaled, so E[out] = (1-p) x;
    evaluation multiplies by the keep probability (1-p) to match that expectation."""

    def __init__(self, p: float, rng: np.random.Generator):
        super().__init__()
        self.p, self.rng = p, rng

    def forward(self, x: Tensor) -> Tensor:
        if self.training:
            keep = self.rng.random(x.shape) >= self.p  # (N, features) booleans
            return x * Tensor(keep.astype(x.dtype))
        return x * (1.0 - self.p)


def book_mlp(
    n_in: int,
    hidden: Sequence[int],
    n_out: int,
    rng: np.random.Generator,
    weight_std: float | None = None,
    batch_norm: bool = False,
    dropout: float = 0.0,
    inverted: bool = True,
) -> nn.Sequential:
    """`Linear -> [BatchNorm1d] -> ReLU -> [Dropout]` per hidden layer, then a `Linear`.

    Weights are N(0, std^2) with std = `weight_std`, or He's sqrt(2 / fan_in) when None
    (the book's default 'relu' init); biases start at 0. `inverted=False` uses the
    book's non-inverted dropout instead of `nn.Dropout`.
    """
    layers: list[nn.Module] = []
    for fan_in, width in zip([n_in, *hidden[:-1]], hidden, strict=True):
        layers.append(nn.Linear(fan_in, width))
        if batch_norm:
            layers.append(nn.BatchNorm1d(width))
        layers.append(nn.ReLU())
        if dropout > 0:
            layers.append(nn.Dropout(dropout) if inverted else NonInvertedDropout(dropout, rng))
    layers.append(nn.Linear(hidden[-1], n_out))
    model = nn.Sequential(*layers)
    for layer in model:
        if isinstance(layer, nn.Linear):
            fan_in = layer.weight.shape[1]
            std = np.sqrt(2.0 / fan_in) if weight_std is None else weight_std
            layer.weight._data[...] = rng.normal(0.0, std, layer.weight.shape)
            if layer.bias is not None:
                layer.bias._data[...] = 0.0
    return model


def weights_and_biases(model: nn.Module) -> tuple[list[Tensor], list[Tensor]]:
    """The Linear weights (decayed by the book) and everything else (not decayed)."""
    weights: list[Tensor] = []
    others: list[Tensor] = []
    for name, p in model.named_parameters():
        is_linear_weight = name.endswith("weight") and p.ndim == 2
        (weights if is_linear_weight else others).append(p)
    return weights, others


def weight_norm(model: nn.Module) -> float:
    """sqrt(sum of squared Linear weights) -- the quantity weight decay shrinks."""
    weights, _ = weights_and_biases(model)
    return float(np.sqrt(sum(np.sum(w._data.astype(np.float64) ** 2) for w in weights)))


def accuracy(model: nn.Module, x: np.ndarray, y: np.ndarray) -> float:
    """Accuracy in evaluation mode, without a graph; the mode is restored afterwards."""
    was_training = model.training
    model.eval()
    with no_grad():
        pred = model(Tensor(x)).numpy().argmax(axis=1)  # (N,)
    model.train(was_training)
    return float(np.mean(pred == y))


@dataclass
class Curves:
    """Accuracy after each evaluated epoch."""

    epochs: list[int] = field(default_factory=list)
    train: list[float] = field(default_factory=list)
    test: list[float] = field(default_factory=list)


def train_book(
    model: nn.Module,
    data: SplitData,
    iterations: int,
    rng: np.random.Generator,
    batch: int = 100,
    lr: float = 0.01,
    weight_decay: float = 0.0,
    eval_every: int = 0,
) -> Curves:
    """The book's loop: sample a batch with replacement, one SGD step, repeat.

    Weight decay (gradient + lambda W, i.e. the penalty lambda/2 ||W||^2 the book adds to
    the loss) applies to the Linear weights only. Accuracy is recorded every
    `eval_every` iterations (0: only at the end) and after the last one.
    """
    weights, others = weights_and_biases(model)
    groups: list[dict[str, Any]] = [
        {"params": weights, "weight_decay": weight_decay},
        {"params": others},
    ]
    optimizer = SGD(groups, lr=lr)
    n = len(data.y_train)
    curves = Curves()
    model.train()
    with np.errstate(over="ignore", invalid="ignore"):  # huge initial weights overflow
        for it in range(1, iterations + 1):
            idx = rng.choice(n, batch)  # (batch,) indices, drawn with replacement
            loss = F.cross_entropy(model(Tensor(data.x_train[idx])), Tensor(data.y_train[idx]))
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            if (eval_every and it % eval_every == 0) or it == iterations:
                curves.epochs.append(it)
                curves.train.append(accuracy(model, data.x_train, data.y_train))
                curves.test.append(accuracy(model, data.x_test, data.y_test))
    return curves


def small_train_split(name: str, n_train: int, seed: int) -> SplitData:
    """`n_train` random samples of a dataset for training; all the rest form the test set.

    Digits (1,797 images, 8x8, scaled to [0, 1]) or MNIST-1D (5,000 signals of length 40).
    """
    full = digits() if name == "digits" else mnist1d()
    x = np.concatenate([full.x_train, full.x_test])  # (N, features)
    y = np.concatenate([full.y_train, full.y_test])  # (N,)
    order = np.random.default_rng(seed).permutation(len(y))
    train, test = order[:n_train], order[n_train:]
    return SplitData(f"{name}-{n_train}", x[train], y[train], x[test], y[test], 10)

"""Random sampling: normal (torch's four overloads), bernoulli, multinomial, poisson, and the
generator API (Generator, seed, initial_seed: see `groundup.random`).

Every function draws from the global generator (`groundup.manual_seed`) unless a
`groundup.Generator` (or a NumPy Generator) is passed as `generator=`. The numbers are
NumPy's, not torch's; the distributions, shapes, dtypes and errors are torch's. As in torch,
a sample is not differentiable in its parameters: mean, std, probabilities and rates get a
zero gradient.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from groundup.function import Function
from groundup.ops.creation import _check, _new, _no_out, _shape
from groundup.ops.numeric import broadcast_shape, require_tensor, unsupported
from groundup.ops.special import NoDerivative
from groundup.random import Generator, generator_for, initial_seed, seed
from groundup.tensor import Tensor

__all__ = ["Generator", "bernoulli", "initial_seed", "multinomial", "normal", "poisson", "seed"]

INPLACE: frozenset[str] = frozenset()
NOT_METHODS = frozenset(["Generator", "initial_seed", "normal", "poisson", "seed"])

# numpy.random.Generator.poisson refuses larger rates; torch's int64 sample overflows there
_POISSON_RATE_MAX = float(np.iinfo(np.int64).max - np.sqrt(np.iinfo(np.int64).max) * 10)


class Sampled(Function):
    """Samples drawn with parameters from tensors: a zero gradient for each, as in torch."""

    saves = ()

    def forward(self, values: np.ndarray, *parameters: Any) -> np.ndarray:
        return values

    def backward(self, grad: np.ndarray) -> tuple[Any, ...]:
        return (None, *(None if p is None else np.zeros_like(grad) for p in self.parents[1:]))


def _floating(kernel: str, t: Tensor) -> None:
    if t.dtype.kind != "f":
        raise unsupported(kernel, t.dtype)


def normal(
    mean: Any,
    std: Any = 1.0,
    size: Any = None,
    *,
    generator: Any = None,
    out: Any = None,
    dtype: Any = None,
    layout: Any = None,
    device: Any = None,
    pin_memory: bool = False,
    requires_grad: bool = False,
) -> Tensor:
    """Samples of N(mean, std^2): `normal(mean, std)` with a tensor mean and/or std (they
    broadcast; the dtype is mean's, or std's when mean is a number), or
    `normal(mean, std, size)` with numbers (float32 unless dtype= says otherwise)."""
    _no_out(out, "normal")
    rng = generator_for(generator, "normal")
    if not isinstance(mean, Tensor) and not isinstance(std, Tensor):
        if size is None:
            raise TypeError(
                "normal(): with a number mean and std, pass the size too: "
                "normal(0.0, 1.0, size=(2, 3)); or pass tensors"
            )
        dt = _check("normal", device, dtype)
        if dt.kind != "f":
            raise NotImplementedError(f"\"normal_kernel_cpu\" not implemented for '{dt}'")
        if not std >= 0:
            raise RuntimeError(f"normal expects std >= 0.0, but found std {std}")
        z = rng.standard_normal(_shape(size, "normal"))
        return _new((mean + std * z).astype(dt), requires_grad)
    if size is not None or dtype is not None or requires_grad:
        raise TypeError(
            "normal(): size=, dtype= and requires_grad= go with a number mean and std; with "
            "tensors the shape and dtype come from them"
        )
    for t in (mean, std):
        if isinstance(t, Tensor):
            _floating("normal_kernel_cpu", t)
    if isinstance(std, Tensor):
        if not (std._data >= 0).all():
            raise RuntimeError("normal expects all elements of std >= 0.0")
    elif not std >= 0:
        raise RuntimeError(f"normal expects std >= 0.0, but found std {std}")
    shape = broadcast_shape(mean, std)
    dt = mean.dtype if isinstance(mean, Tensor) else std.dtype
    m, s = (x._data if isinstance(x, Tensor) else x for x in (mean, std))
    with np.errstate(invalid="ignore"):  # 0 * inf is nan, as in torch
        values = (rng.standard_normal(shape) * s + m).astype(dt)
    return Sampled.apply(values, mean, std)


def bernoulli(
    input: Tensor,  # noqa: A002 - torch's names
    p: Any = None,
    *,
    generator: Any = None,
    out: Any = None,
) -> Tensor:
    """0/1 samples in input's shape and dtype: 1 with probability input (each element a
    probability in [0, 1]), or with probability p for every element when p is given."""
    _no_out(out, "bernoulli")
    require_tensor(input, "bernoulli", "input", 1)
    rng = generator_for(generator, "bernoulli")
    if p is None:
        _floating("bernoulli_tensor_cpu_p_", input)
        probabilities = input._data
        if not ((probabilities >= 0) & (probabilities <= 1)).all():
            raise RuntimeError(
                "bernoulli(): expected every probability p_in to satisfy 0 <= p_in <= 1 "
                "(nan is not a probability)"
            )
        values = (rng.random(input.shape) < probabilities).astype(input.dtype)
        return Sampled.apply(values, input)
    if isinstance(p, Tensor) and p.ndim == 0:
        p = p.item()
    if isinstance(p, bool) or not isinstance(p, (int, float)):
        raise TypeError(f"bernoulli(): argument 'p' must be float, not {type(p).__name__}")
    if not 0 <= p <= 1:
        raise RuntimeError(f"bernoulli_ expects p to be in [0, 1], but got p={p}")
    values = (rng.random(input.shape) < p).astype(input.dtype)
    if input.requires_grad:
        return NoDerivative.apply(values, "bernoulli", input)
    return Tensor._make(values, False)


def _check_distribution(rows: np.ndarray) -> None:
    """torch's checks of multinomial's weights (rows of non-negative finite numbers)."""
    if not (np.isfinite(rows) & (rows >= 0)).all():
        raise RuntimeError("probability tensor contains either `inf`, `nan` or element < 0")
    if (rows.sum(-1) == 0).any():
        raise RuntimeError("invalid multinomial distribution (sum of probabilities <= 0)")


def multinomial(
    input: Tensor,  # noqa: A002
    num_samples: int,
    replacement: bool = False,
    *,
    generator: Any = None,
    out: Any = None,
) -> Tensor:
    """Indices of categories drawn with probability proportional to the weights in each row
    of input (1-d or 2-d, non-negative, not all zero): (num_samples,) or (rows,
    num_samples), int64. Without replacement each index appears once per row, so
    num_samples <= the number of categories."""
    _no_out(out, "multinomial")
    require_tensor(input, "multinomial", "input", 1)
    rng = generator_for(generator, "multinomial")
    if input.ndim not in (1, 2):
        raise RuntimeError(f"prob_dist must be 1 or 2 dim, got {input.ndim} dims")
    if input.dtype.kind != "f":
        raise RuntimeError(
            f"multinomial only supports floating-point dtypes for input, got: {input.dtype}"
        )
    if isinstance(num_samples, bool) or not isinstance(num_samples, (int, np.integer)):
        raise TypeError(
            "multinomial(): argument 'num_samples' (position 2) must be int, not "
            f"{type(num_samples).__name__}"
        )
    if num_samples <= 0:
        raise RuntimeError(f"cannot sample n_sample <= 0 samples (got {num_samples})")
    categories = input.shape[-1]
    if not replacement and num_samples > categories:
        raise RuntimeError(
            "cannot sample n_sample > prob_dist.size(-1) samples without replacement "
            f"({num_samples} > {categories})"
        )
    rows = input._data.reshape(-1, categories).astype(np.float64)  # (rows, categories)
    picked = np.zeros((rows.shape[0], num_samples), np.int64)
    if rows.size:
        _check_distribution(rows)
        if replacement:  # invert the cumulative distribution at uniform samples, row by row
            cdf = np.cumsum(rows, axis=-1)
            cdf /= cdf[:, -1:]
            u = rng.random(picked.shape)
            last = categories - 1 - np.argmax(rows[:, ::-1] > 0, axis=-1)  # last p > 0
            for r in range(rows.shape[0]):
                found = np.searchsorted(cdf[r], u[r], side="right")
                picked[r] = np.minimum(found, last[r])
        else:  # the k largest p / E with E ~ Exp(1) (the exponential form of Gumbel top-k)
            keys = rows / rng.standard_exponential(rows.shape)
            picked = np.argsort(-keys, axis=-1, kind="stable")[:, :num_samples]
    shape = (num_samples,) if input.ndim == 1 else (input.shape[0], num_samples)
    return Tensor._make(picked.reshape(shape).astype(np.int64), False)


def poisson(input: Tensor, generator: Any = None) -> Tensor:  # noqa: A002
    """Samples of Poisson(rate) for each rate in input (non-negative), in input's dtype."""
    require_tensor(input, "poisson", "input", 1)
    _floating("poisson_cpu", input)
    rng = generator_for(generator, "poisson")
    rates = input._data.astype(np.float64)
    if not (rates >= 0).all():
        raise RuntimeError("invalid Poisson rate, expected rate to be non-negative")
    too_large = rates > _POISSON_RATE_MAX
    counts = rng.poisson(np.where(too_large, 0, rates)).astype(np.float64)
    counts[too_large] = float(np.iinfo(np.int64).min)
    return Sampled.apply(counts.astype(input.dtype), input)

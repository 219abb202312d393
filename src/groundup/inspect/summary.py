"""`summary(model, input_shape)`: layers, shapes, parameter counts and training memory.

A forward pass on a random batch, with a forward hook on every module, records each
module's input and output shapes. The memory estimate is what training holds at once:

    parameters        every parameter, at its dtype's size
    gradients         one array per trainable parameter
    optimizer state   per trainable parameter: SGD 0 arrays, SGD with momentum 1,
                      Adagrad 1, RMSprop 1, Adam/AdamW 2 (m and v)
    buffers           running statistics (BatchNorm), not learned
    activations       the outputs of the leaf modules, kept for backward

so fp32 Adam costs 4 + 4 + 8 = 16 bytes per parameter, plus activations. The activation
figure is an estimate (an op may keep its input rather than its output), and it grows
linearly with the batch size. The pass runs in eval mode (same shapes as training, but no
dropout draws or batch-norm updates, and a batch of one works) and changes nothing: the
weights, buffers, modes and the random generator are restored afterwards.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from groundup.nn.module import Module
from groundup.random import get_rng_state, set_rng_state
from groundup.tensor import Tensor, no_grad

# Arrays of optimizer state per trainable parameter.
OPTIMIZER_STATE_ARRAYS = {
    "none": 0,
    "sgd": 0,
    "momentum": 1,
    "sgd_momentum": 1,
    "adagrad": 1,
    "rmsprop": 1,
    "adam": 2,
    "adamw": 2,
}


@dataclass
class LayerInfo:
    """One row: a module, its position in the tree, and what its first call saw."""

    name: str
    type: str
    depth: int
    is_leaf: bool
    params: int  # the module's own parameters (children's are on their rows)
    input_shape: tuple[int, ...] | None = None
    output_shape: tuple[int, ...] | None = None
    calls: int = 0
    output_bytes: int = 0  # summed over calls


@dataclass
class ModelSummary:
    """The numbers behind the table; `str(summary)` is the table."""

    model_name: str
    input_shape: tuple[int, ...]
    optimizer: str
    layers: list[LayerInfo] = field(default_factory=list)
    total_params: int = 0
    trainable_params: int = 0
    param_bytes: int = 0
    grad_bytes: int = 0
    optimizer_bytes: int = 0
    buffer_bytes: int = 0
    activation_bytes: int = 0

    @property
    def non_trainable_params(self) -> int:
        return self.total_params - self.trainable_params

    @property
    def total_bytes(self) -> int:
        return (
            self.param_bytes
            + self.grad_bytes
            + self.optimizer_bytes
            + self.buffer_bytes
            + self.activation_bytes
        )

    def __str__(self) -> str:
        header = ("Layer (type)", "Input shape", "Output shape", "Param #")
        rows = []
        for layer in self.layers:
            label = layer.type if layer.depth == 0 else f"{layer.name} ({layer.type})"
            if layer.calls > 1:
                label += f" x{layer.calls}"
            rows.append(
                (
                    "  " * layer.depth + label,
                    _shape(layer.input_shape),
                    _shape(layer.output_shape),
                    f"{layer.params:,}" if layer.params else "--",
                )
            )
        widths = [max(len(r[i]) for r in [header, *rows]) + 2 for i in range(4)]
        line = "=" * sum(widths)

        def fmt(row: tuple[str, ...]) -> str:
            cells = zip(row, widths, strict=True)
            return "".join(
                c.ljust(w) if i < 3 else c.rjust(w - 2) for i, (c, w) in enumerate(cells)
            )

        memory = [
            ("parameters", self.param_bytes),
            ("gradients", self.grad_bytes),
            (f"optimizer state ({self.optimizer})", self.optimizer_bytes),
            ("buffers", self.buffer_bytes),
            ("activations", self.activation_bytes),
            ("total", self.total_bytes),
        ]
        return "\n".join(
            [
                line,
                fmt(header),
                line,
                *[fmt(r) for r in rows],
                line,
                f"Total params: {self.total_params:,}",
                f"Trainable params: {self.trainable_params:,}",
                f"Non-trainable params: {self.non_trainable_params:,}",
                "-" * sum(widths),
                f"Training memory for input {list(self.input_shape)}:",
                *[f"  {name:<28}{n:>14,} B  {_human(n):>10}" for name, n in memory],
                line,
            ]
        )


def _shape(shape: tuple[int, ...] | None) -> str:
    return "--" if shape is None else str(list(shape))


def _human(n: int) -> str:
    value = float(n)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if value < 1024 or unit == "GiB":
            return f"{value:.1f} {unit}" if unit != "B" else f"{n} B"
        value /= 1024
    return f"{n} B"  # pragma: no cover


def _tensors(obj: Any) -> list[Tensor]:
    """Every tensor in a module's output (which may be a tuple, e.g. an RNN's)."""
    if isinstance(obj, Tensor):
        return [obj]
    if isinstance(obj, (tuple, list)):
        return [t for item in obj for t in _tensors(item)]
    if isinstance(obj, dict):
        return [t for item in obj.values() for t in _tensors(item)]
    return []


def _optimizer_arrays(optimizer: str) -> int:
    key = optimizer.lower().replace("-", "_")
    if key not in OPTIMIZER_STATE_ARRAYS:
        known = ", ".join(OPTIMIZER_STATE_ARRAYS)
        raise ValueError(f"summary: unknown optimizer {optimizer!r}; choose from {known}")
    return OPTIMIZER_STATE_ARRAYS[key]


def summary(
    model: Module,
    input_shape: Sequence[int],
    batch_size: int = 1,
    dtype: Any = np.float32,
    optimizer: str = "adam",
    verbose: bool = True,
) -> ModelSummary:
    """Run one batch of shape `(batch_size, *input_shape)` through `model`; print and
    return its layer table and training-memory estimate (see the module docstring).

    `dtype` is the input's dtype: floats are filled with normal noise, integers (token
    ids) with zeros.
    """
    n_state = _optimizer_arrays(optimizer)
    shape = (int(batch_size), *(int(s) for s in input_shape))
    dtype = np.dtype(dtype)
    data = (
        np.random.default_rng(0).standard_normal(shape).astype(dtype)
        if dtype.kind == "f"
        else np.zeros(shape, dtype=dtype)
    )
    result = ModelSummary(type(model).__name__, shape, optimizer)
    by_module: dict[int, LayerInfo] = {}
    for name, module in model.named_modules():
        info = LayerInfo(
            name=name.rsplit(".", 1)[-1] or type(module).__name__,
            type=type(module).__name__,
            depth=name.count(".") + 1 if name else 0,
            is_leaf=not any(True for _ in module.children()),
            params=sum(p.numel() for p in module.parameters(recurse=False)),
        )
        result.layers.append(info)
        by_module[id(module)] = info

    def record(module: Module, inputs: tuple[Any, ...], output: Any) -> None:
        info = by_module[id(module)]
        outs, ins = _tensors(output), _tensors(inputs)
        if info.calls == 0:
            info.input_shape = tuple(ins[0].shape) if ins else None
            info.output_shape = tuple(outs[0].shape) if outs else None
        info.calls += 1
        info.output_bytes += sum(t._data.nbytes for t in outs)

    saved = (model.state_dict(), get_rng_state(), {id(m): m.training for m in model.modules()})
    handles = [m.register_forward_hook(record) for m in model.modules()]
    try:
        model.eval()
        with no_grad():
            model(Tensor(data))
    finally:
        for handle in handles:
            handle.remove()
        model.load_state_dict(saved[0])
        set_rng_state(saved[1])
        for m in model.modules():  # one by one: train() would also set the children
            m.training = saved[2][id(m)]

    params = list(model.parameters())
    trainable = [p for p in params if p.requires_grad]
    result.total_params = sum(p.numel() for p in params)
    result.trainable_params = sum(p.numel() for p in trainable)
    result.param_bytes = sum(p._data.nbytes for p in params)
    result.grad_bytes = sum(p._data.nbytes for p in trainable)
    result.optimizer_bytes = n_state * result.grad_bytes
    result.buffer_bytes = sum(b._data.nbytes for b in model.buffers())
    result.activation_bytes = sum(info.output_bytes for info in result.layers if info.is_leaf)
    if verbose:
        print(result)
    return result

"""What `Module.register_full_backward_hook` needs from the graph: one node that sees the
gradients of all of a module's inputs at once, and one that sees those of its outputs.

torch's version is a Function with one output per input tensor. A groundup Function has
one output, so the tensors are packed instead:

    inputs a, b  --Pack-->  flat = [a.ravel(), b.ravel()]  --Unpack(0)-->  a'  (what forward sees)
                                                           --Unpack(1)-->  b'

Each Unpack's backward puts its gradient into its slice of the flat gradient; the engine
adds the slices up, so Pack's backward receives every input's gradient in one array and
calls the hooks with all of them (`grad_input`). The module's outputs go through the same
pair on the way out, which captures `grad_output` first. Packing copies the tensors, and
only for a module that has backward hooks.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

from groundup.function import Function
from groundup.tensor import Tensor, is_grad_enabled


class _Packed:
    """Shared by one Pack node and its Unpack nodes: the layout of the flat vector, which
    parts received a gradient, and what to do with the gradients. As in torch, a tensor
    that received no gradient gets zeros on the input side (materialize) and None on the
    output side."""

    def __init__(
        self, arrays: tuple[np.ndarray, ...], on_grads: Callable[..., Any], materialize: bool
    ):
        self.materialize = materialize
        self.shapes = [a.shape for a in arrays]
        self.dtypes = [a.dtype for a in arrays]
        self.bounds = np.cumsum([0] + [a.size for a in arrays])
        self.received = [False] * len(arrays)
        self.on_grads = on_grads


class Pack(Function):
    """(t_1, ..., t_k) -> their concatenation, flat; backward hands the k gradients (None for
    a tensor that received none) to `on_grads` and returns what it gives back."""

    saves = ()

    def forward(self, *arrays: np.ndarray, state: _Packed) -> np.ndarray:
        self.state = state
        return np.concatenate([a.ravel() for a in arrays])  # (sum of sizes,)

    def backward(self, grad: np.ndarray) -> tuple[Any, ...]:
        s = self.state
        grads = tuple(
            grad[s.bounds[i] : s.bounds[i + 1]].reshape(shape) if got or s.materialize else None
            for i, (shape, got) in enumerate(zip(s.shapes, s.received, strict=True))
        )
        return tuple(s.on_grads(grads))


class Unpack(Function):
    """Tensor `index` back out of a Pack (a copy, in its own dtype)."""

    saves = ()

    def forward(self, flat: np.ndarray, index: int, state: _Packed) -> np.ndarray:
        self.index, self.state, self.size = index, state, flat.shape[0]
        piece = flat[state.bounds[index] : state.bounds[index + 1]]
        return piece.reshape(state.shapes[index]).astype(state.dtypes[index])  # a copy

    def backward(self, grad: np.ndarray) -> tuple[Any, None, None]:
        s = self.state
        s.received[self.index] = True
        full = np.zeros(self.size, dtype=np.result_type(*s.dtypes))
        full[s.bounds[self.index] : s.bounds[self.index + 1]] = grad.ravel()
        return full, None, None


def _route(
    args: tuple[Any, ...], on_grads: Callable[..., Any], materialize: bool
) -> tuple[tuple[Any, ...], Any]:
    """Args with their tensors that need a gradient sent through Pack/Unpack, and the
    positions of those tensors (None when no tensor needs a gradient)."""
    index = [i for i, a in enumerate(args) if isinstance(a, Tensor) and a.requires_grad]
    if not index or not is_grad_enabled():
        return args, None
    tensors = [args[i] for i in index]
    state = _Packed(tuple(t._data for t in tensors), on_grads, materialize)
    flat = Pack.apply(*tensors, state=state)
    out = list(args)
    for k, i in enumerate(index):
        out[i] = Unpack.apply(flat, k, state)
    return tuple(out), index


def _arrays(values: Any) -> list[Any]:
    return [v._data if isinstance(v, Tensor) else v for v in values]


class BackwardHook:
    """torch's `BackwardHook`: wires one call of a module to its full backward hooks."""

    def __init__(self, module: Any, hooks: list[Any], pre_hooks: list[Any]):
        self.module, self.hooks, self.pre_hooks = module, hooks, pre_hooks
        self.grad_outputs: tuple[Any, ...] | None = None
        self.n_inputs = self.n_outputs = 0
        self.input_index: list[int] | None = None
        self.output_index: list[int] | None = None

    def _with_none(self, index: list[int], grads: tuple[Any, ...], size: int) -> tuple[Any, ...]:
        """Gradients (arrays) at their argument positions, as Tensors; None elsewhere."""
        full: list[Any] = [None] * size
        for i, g in zip(index, grads, strict=True):
            full[i] = None if g is None else Tensor._make(g, False)
        return tuple(full)

    def setup_input_hook(self, args: tuple[Any, ...]) -> tuple[Any, ...]:
        self.n_inputs = len(args)
        routed, self.input_index = _route(args, self._on_input_grads, True)
        return routed

    def setup_output_hook(self, output: Any) -> Any:
        single = not isinstance(output, tuple)
        outputs = (output,) if single else output
        self.n_outputs = len(outputs)
        routed, self.output_index = _route(outputs, self._on_output_grads, False)
        return routed[0] if single else routed

    def _on_output_grads(self, grads: tuple[Any, ...]) -> list[Any]:
        assert self.output_index is not None
        grad_outputs = self._with_none(self.output_index, grads, self.n_outputs)
        for pre_hook in self.pre_hooks:
            result = pre_hook(self.module, grad_outputs)
            if result is None:
                continue
            if len(result) != len(grad_outputs):
                raise RuntimeError(
                    "Backward pre hook returned an invalid number of grad_output, got "
                    f"{len(result)}, but expected {len(grad_outputs)}"
                )
            grad_outputs = tuple(result)
        self.grad_outputs = grad_outputs
        if self.input_index is None:  # no input needs a gradient: the hooks fire now
            warnings.warn(
                "Full backward hook is firing when gradients are computed with respect to "
                "module outputs since no inputs require gradients.",
                UserWarning,
                stacklevel=2,
            )
            grad_inputs = (None,) * self.n_inputs
            for hook in self.hooks:
                result = hook(self.module, grad_inputs, grad_outputs)
                if result is not None and not all(r is None for r in result):
                    raise RuntimeError(
                        "Backward hook for Modules where no input requires gradient should "
                        "always return None or None for all gradients."
                    )
            self.grad_outputs = None
        return _arrays(grad_outputs[i] for i in self.output_index)

    def _on_input_grads(self, grads: tuple[Any, ...]) -> list[Any]:
        assert self.input_index is not None
        if self.grad_outputs is None:  # the gradient did not come through the outputs
            return list(grads)
        grad_inputs = self._with_none(self.input_index, grads, self.n_inputs)
        for hook in self.hooks:
            result = hook(self.module, grad_inputs, self.grad_outputs)
            if result is None:
                continue
            if len(result) != len(grad_inputs):
                raise RuntimeError(
                    "Backward hook returned an invalid number of grad_input, got "
                    f"{len(result)}, but expected {len(grad_inputs)}"
                )
            grad_inputs = tuple(result)
        self.grad_outputs = None
        return _arrays(grad_inputs[i] for i in self.input_index)

"""`torch.autograd.Function`: a custom op written with tensors, as torch users write one.

    class Exp(gu.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            y = x.exp()
            ctx.save_for_backward(y)
            return y

        @staticmethod
        def backward(ctx, grad):
            (y,) = ctx.saved_tensors
            return grad * y

    y = Exp.apply(x)

`forward` runs without recording a graph; its outputs get one node of groundup's engine
(`groundup.function.Function`, whose forward and backward work on raw arrays) that calls
`backward` with tensors. A tensor passed to `save_for_backward` is version-checked like
any saved tensor. For several outputs, each output's node calls `backward` with zeros for
the other outputs' gradients: a backward is linear in the output gradients, so the sum
over outputs is exactly torch's single call.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from groundup.function import Function as _EngineFunction
from groundup.tensor import Tensor, is_grad_enabled, no_grad


class FunctionCtx:
    """The `ctx` of a custom Function: what forward leaves for backward."""

    def __init__(self, needs_input_grad: tuple[bool, ...]) -> None:
        self.needs_input_grad = needs_input_grad
        self._saved: tuple[Any, ...] = ()
        self._non_differentiable: list[Tensor] = []
        self.materialize_grads = True

    def save_for_backward(self, *tensors: Any) -> None:
        for t in tensors:
            if t is not None and not isinstance(t, Tensor):
                raise TypeError(
                    f"save_for_backward can only save tensors (or None), got "
                    f"{type(t).__name__}; keep other values as ctx attributes"
                )
        self._saved = tensors

    @property
    def saved_tensors(self) -> tuple[Any, ...]:
        return self._saved

    def mark_non_differentiable(self, *outputs: Tensor) -> None:
        self._non_differentiable.extend(outputs)

    def mark_dirty(self, *tensors: Tensor) -> None:
        raise RuntimeError(
            "mark_dirty: custom Functions that change their inputs in place are not supported; "
            "return a new tensor from forward"
        )

    def set_materialize_grads(self, value: bool) -> None:
        self.materialize_grads = bool(value)


class _CustomNode(_EngineFunction):
    """The engine's node for output `index` of a custom Function."""

    saves = ()
    user: Any = None  # the custom Function class
    ctx: Any = None
    index: int = 0  # which output of the custom Function this node stands for
    output_meta: list[Any] = []  # noqa: RUF012 - (shape, dtype) of every output, set per node

    def backward(self, grad: np.ndarray) -> tuple[Any, ...]:
        grads: list[Any] = []
        for k, (shape, dtype) in enumerate(self.output_meta):
            if k == self.index:
                grads.append(Tensor._make(grad, False))
            elif self.ctx.materialize_grads:
                grads.append(Tensor._make(np.zeros(shape, dtype), False))
            else:
                grads.append(None)
        with no_grad():
            result = self.user.backward(self.ctx, *grads)
        result = result if isinstance(result, tuple) else (result,)
        if len(result) != len(self.parents):
            raise RuntimeError(
                f"function {self.user.__name__}Backward returned an incorrect number of "
                f"gradients (expected {len(self.parents)}, got {len(result)})"
            )
        out: list[np.ndarray | None] = []
        for parent, g in zip(self.parents, result, strict=True):
            if parent is None or g is None:
                out.append(None)
            else:
                out.append(g._data if isinstance(g, Tensor) else np.asarray(g, parent.dtype))
        return tuple(out)

    def __repr__(self) -> str:
        return f"<{self.user.__name__}Backward>"


class Function:
    """Base class of custom ops: define static `forward(ctx, *args)` and
    `backward(ctx, *grads)`, then call `YourOp.apply(*args)`."""

    @staticmethod
    def forward(ctx: FunctionCtx, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError("a custom Function must define a static forward(ctx, ...)")

    @staticmethod
    def backward(ctx: FunctionCtx, *grads: Any) -> Any:
        raise NotImplementedError("a custom Function must define a static backward(ctx, ...)")

    @classmethod
    def apply(cls, *args: Any, **kwargs: Any) -> Any:
        needs = tuple(isinstance(a, Tensor) and a.requires_grad for a in args)
        ctx = FunctionCtx(needs)
        with no_grad():
            result = cls.forward(ctx, *args, **kwargs)
        outputs = result if isinstance(result, tuple) else (result,)
        if not (is_grad_enabled() and any(needs)):
            return result
        differentiable = [
            isinstance(o, Tensor)
            and o.dtype.kind == "f"
            and not any(o is n for n in ctx._non_differentiable)
            for o in outputs
        ]
        meta = [
            (o.shape, o.dtype) if isinstance(o, Tensor) else ((), np.dtype(np.float32))
            for o in outputs
        ]
        saved = tuple(
            (t._vc, t._vc.value, i, t._data)
            for i, t in enumerate(ctx.saved_tensors)
            if isinstance(t, Tensor)
        )
        parents = tuple(a if n else None for a, n in zip(args, needs, strict=True))
        for k, out in enumerate(outputs):
            if not differentiable[k]:
                continue
            if any(out is a for a in args):
                raise RuntimeError(
                    f"{cls.__name__}.forward returned one of its inputs as is; return "
                    "input.clone() (or a view made with view_as) instead"
                )
            node = _CustomNode()
            node.user, node.ctx, node.index, node.output_meta = cls, ctx, k, meta
            node.parents = parents
            node.next_functions = tuple(None if p is None else p._ctx for p in parents)
            node.saved_versions = saved
            out._ctx, out.requires_grad = node, True
        return result


def once_differentiable(fn: Any) -> Any:
    """torch's decorator for a backward that is not itself differentiable: every groundup
    backward is, so this returns `fn` unchanged."""
    return fn

"""The `Function` base class (one differentiable op, forward and backward side by side)
and the backward pass that runs the recorded functions in reverse.

A subclass implements

* ``forward(self, *args, **kwargs) -> ndarray`` on raw NumPy arrays (tensors arrive as
  their ``.data``; other arguments arrive unchanged), saving on ``self`` whatever the
  backward pass needs, and
* ``backward(self, grad) -> ndarray | tuple[ndarray | None, ...]``: the gradient of the
  loss with respect to each positional argument, given ``grad``, the gradient with
  respect to the output. Non-tensor arguments get ``None``.

Backward may return a gradient of the *broadcast* shape: the engine sums it back to the
input's shape (`sum_to_shape`), so no op has to undo broadcasting itself.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from groundup.tensor import Tensor, is_grad_enabled


def sum_to_shape(grad: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """Undo NumPy broadcasting: sum `grad` over the axes that broadcasting added or stretched.

    (2, 3, 4) -> (3, 1): sum the leading axis away, then sum axis 2 keeping it.
    Raises ValueError when `grad` did not come from broadcasting `shape` (a bug in an op).
    """
    if grad.shape == shape:
        return grad
    original = grad.shape
    extra = grad.ndim - len(shape)
    if extra > 0:
        grad = grad.sum(axis=tuple(range(extra)))
    if grad.ndim == len(shape):
        stretched = tuple(i for i, n in enumerate(shape) if n == 1 and grad.shape[i] != 1)
        if stretched:
            grad = grad.sum(axis=stretched, keepdims=True)
    if grad.shape != shape:
        # Tolerate only a difference in size-1 axes, e.g. (3,) for an input of shape (3, 1).
        if [n for n in grad.shape if n != 1] != [n for n in shape if n != 1]:
            raise ValueError(f"a gradient of shape {original} does not broadcast to {shape}")
        grad = grad.reshape(shape)
    return grad


def normalize_dim(dim: int, ndim: int, op: str) -> int:
    """Map a possibly negative `dim` to 0..ndim-1, raising torch's IndexError when out of range.

    A 0-d tensor accepts dim 0 and -1 (as torch does) and maps them to 0.
    """
    bound = ndim if ndim else 1
    if not -bound <= dim < bound:
        raise IndexError(
            f"{op}: dim {dim} is out of range for a tensor with {ndim} dims "
            f"(expected a dim in [{-bound}, {bound - 1}])"
        )
    return dim % bound


class Function:
    """A node of the graph. `parents[i]` is input i when it needs a gradient, else None."""

    parents: tuple[Tensor | None, ...] = ()
    released: bool = False

    def forward(self, *args: Any, **kwargs: Any) -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError(f"{type(self).__name__} must implement forward (abstract)")

    def backward(self, grad: np.ndarray) -> Any:  # pragma: no cover - abstract
        raise NotImplementedError(f"{type(self).__name__} must implement backward (abstract)")

    @classmethod
    def apply(cls, *args: Any, **kwargs: Any) -> Tensor:
        """Run forward on raw arrays and, when any input needs a gradient, link the graph."""
        fn = cls()
        raw = [a.data if isinstance(a, Tensor) else a for a in args]
        out = fn.forward(*raw, **kwargs)
        needs_grad = is_grad_enabled() and any(
            isinstance(a, Tensor) and a.requires_grad for a in args
        )
        result = Tensor._make(out, needs_grad)
        if needs_grad:
            fn.parents = tuple(
                a if isinstance(a, Tensor) and a.requires_grad else None for a in args
            )
            result._ctx = fn
        return result

    def release(self) -> None:
        """Free everything saved for backward; a second backward through here raises."""
        self.__dict__.clear()
        self.parents = ()
        self.released = True

    def __repr__(self) -> str:
        return f"<{type(self).__name__}Backward>"


# ------------------------------------------------------------------ backward pass
def _accumulate_leaf(leaf: Tensor, grad: np.ndarray) -> None:
    if leaf.grad is None:
        leaf.grad = Tensor._make(np.array(grad, dtype=leaf.dtype, copy=True), False)
    else:
        leaf.grad.data += grad


def _topological_order(root: Any) -> list[Any]:
    """Functions reachable from `root`, each once, inputs before the ops that use them.

    Depth-first with an explicit stack (no recursion, so a 100,000-op chain is fine): a
    function is appended only after every function that produced one of its inputs.
    """
    order: list[Any] = []
    seen: set[int] = set()
    stack: list[tuple[Any, bool]] = [(root, False)]
    while stack:
        fn, children_done = stack.pop()
        if children_done:
            order.append(fn)
            continue
        if id(fn) in seen:
            continue
        if fn.released:
            raise RuntimeError(
                "backward(): trying to backward through the graph a second time; its saved "
                "arrays were freed. Pass retain_graph=True to the first backward()."
            )
        seen.add(id(fn))
        stack.append((fn, True))
        for parent in fn.parents:
            if parent is not None and parent._ctx is not None and id(parent._ctx) not in seen:
                stack.append((parent._ctx, False))
    return order


def _run_backward(root: Tensor, seed: np.ndarray, retain_graph: bool) -> None:
    """Push `seed` = d(loss)/d(root) through the graph, each function once.

    `grads` holds the summed gradient of every function's output that is still waiting to
    be processed; a function is processed after all of its consumers (reverse topological
    order), so its gradient is complete when popped.
    """
    if root._ctx is None:
        _accumulate_leaf(root, seed)
        return
    grads: dict[int, np.ndarray] = {id(root._ctx): seed}
    for fn in reversed(_topological_order(root._ctx)):
        grad = grads.pop(id(fn), None)
        if grad is not None:
            retained = getattr(fn, "retained", None)
            if retained is not None and retained() is not None:
                _accumulate_leaf(retained(), grad)
            input_grads = fn.backward(grad)
            if not isinstance(input_grads, tuple):
                input_grads = (input_grads,)
            if len(input_grads) != len(fn.parents):
                raise RuntimeError(
                    f"{type(fn).__name__}.backward returned {len(input_grads)} gradients, "
                    f"expected {len(fn.parents)} (one per positional input, None for non-tensors)"
                )
            for parent, g in zip(fn.parents, input_grads, strict=True):
                if parent is None or g is None:
                    continue
                if g.shape != parent.data.shape:
                    g = _sum_to_input(fn, g, parent)
                if g.dtype != parent.data.dtype:
                    g = g.astype(parent.data.dtype)
                if parent._ctx is None:
                    _accumulate_leaf(parent, g)
                else:
                    key = id(parent._ctx)
                    grads[key] = grads[key] + g if key in grads else g
        if not retain_graph:
            fn.release()


def _sum_to_input(fn: Any, g: np.ndarray, parent: Tensor) -> np.ndarray:
    """Sum a broadcast gradient back to its input's shape, naming the op if it cannot be."""
    try:
        return sum_to_shape(g, parent.data.shape)
    except ValueError:
        raise RuntimeError(
            f"{type(fn).__name__}.backward returned a gradient of shape {g.shape} for an "
            f"input of shape {parent.data.shape}; it must equal or broadcast to it"
        ) from None

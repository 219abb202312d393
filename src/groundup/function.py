"""The `Function` base class: one differentiable op, forward and backward side by side.

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
    """
    if grad.shape == shape:
        return grad
    extra = grad.ndim - len(shape)
    if extra > 0:
        grad = grad.sum(axis=tuple(range(extra)))
    stretched = tuple(i for i, n in enumerate(shape) if n == 1 and grad.shape[i] != 1)
    if stretched:
        grad = grad.sum(axis=stretched, keepdims=True)
    return grad.reshape(shape)


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

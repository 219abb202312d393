"""`torch.autograd.functional`: Jacobians and vector-Jacobian products of a function.

`jacobian(f, x)` runs f once and one backward pass per output element (the rows of the
Jacobian are the gradients of the output elements): simple and exact, fine for the small
functions one inspects by hand. `hessian`, `jvp` and `hvp` need a gradient that can be
differentiated again, which groundup's NumPy backward passes do not record.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from groundup.tensor import Tensor, enable_grad


def _inputs(inputs: Any) -> tuple[tuple[Tensor, ...], bool]:
    is_tuple = isinstance(inputs, (tuple, list))
    items = tuple(inputs) if is_tuple else (inputs,)
    for t in items:
        if not isinstance(t, Tensor):
            raise TypeError(f"inputs must be Tensors, got {type(t).__name__}")
    # fresh leaves sharing the values: the caller's tensors keep their .grad
    return tuple(Tensor(t._data.copy(), requires_grad=t.dtype.kind == "f") for t in items), is_tuple


def _refuse(create_graph: bool, vectorize: bool) -> None:
    if create_graph:
        raise RuntimeError(
            "create_graph=True is not supported: groundup's backward passes are not recorded"
        )
    if vectorize:
        raise RuntimeError("vectorize=True is not supported; leave it False")


def vjp(
    func: Callable[..., Any],
    inputs: Any,
    v: Any = None,
    create_graph: bool = False,
    strict: bool = False,
) -> tuple[Any, Any]:
    """(func(inputs), v^T J): the output and the vector-Jacobian product."""
    from groundup.autograd import grad

    _refuse(create_graph, False)
    xs, is_tuple = _inputs(inputs)
    with enable_grad():
        out = func(*xs)
    grads = grad(out, xs, grad_outputs=v, allow_unused=True, materialize_grads=True)
    result = tuple(g for g in grads)
    return out.detach(), result if is_tuple else result[0]


def jacobian(
    func: Callable[..., Any],
    inputs: Any,
    create_graph: bool = False,
    strict: bool = False,
    vectorize: bool = False,
    strategy: str = "reverse-mode",
) -> Any:
    """d func(inputs) / d inputs, of shape (*output.shape, *input.shape) for each pair."""
    from groundup.autograd import grad

    _refuse(create_graph, vectorize)
    if strategy != "reverse-mode":
        raise RuntimeError(f"jacobian: only strategy='reverse-mode' exists, got {strategy!r}")
    xs, inputs_tuple = _inputs(inputs)
    with enable_grad():
        result = func(*xs)
    outputs_tuple = isinstance(result, (tuple, list))
    outs = tuple(result) if outputs_tuple else (result,)
    table = []
    for out in outs:
        rows = [np.zeros((out.numel(), *x.shape), dtype=x.dtype) for x in xs]
        for e in range(out.numel()):
            seed = np.zeros(out.shape, out.dtype)
            seed.reshape(-1)[e] = 1
            if not out.requires_grad:
                continue
            grads = grad(out, xs, grad_outputs=seed, retain_graph=True, allow_unused=True)
            for k, g in enumerate(grads):
                if g is not None:
                    rows[k][e] = g._data
        blocks = zip(rows, xs, strict=True)
        table.append(tuple(Tensor._make(r.reshape(*out.shape, *x.shape), False) for r, x in blocks))
    pick = [row if inputs_tuple else row[0] for row in table]
    return tuple(pick) if outputs_tuple else pick[0]


def hessian(func: Callable[..., Any], inputs: Any, **kwargs: Any) -> Any:
    """Refused: a Hessian differentiates a gradient, which groundup does not record."""
    raise RuntimeError(
        "hessian: groundup's backward passes are not recorded, so second derivatives are not "
        "available; estimate it with finite differences of autograd.grad, or use torch"
    )


def jvp(func: Callable[..., Any], inputs: Any, v: Any = None, **kwargs: Any) -> Any:
    """Refused: groundup has reverse mode only (jvp by the double-vjp trick needs a
    recorded backward)."""
    raise RuntimeError(
        "jvp: groundup has reverse-mode autograd only; use vjp, or jacobian(f, x) @ v"
    )


def hvp(func: Callable[..., Any], inputs: Any, v: Any = None, **kwargs: Any) -> Any:
    """Refused, as `hessian`."""
    return hessian(func, inputs)


vhp = hvp

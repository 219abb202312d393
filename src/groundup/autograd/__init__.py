"""`groundup.autograd`: torch.autograd's functions on groundup's engine.

    gu.autograd.grad(loss, [w, b])            # gradients returned, no .grad touched
    gu.autograd.backward([loss1, loss2])      # several roots in one pass
    with gu.autograd.detect_anomaly(): ...    # name the forward op whose backward failed
    class Square(gu.autograd.Function): ...   # a custom op with ctx.save_for_backward

The backward passes of groundup compute on NumPy arrays, so they are not themselves
recorded: `create_graph=True` (a gradient you can differentiate again, as for a Hessian or
a gradient penalty) is refused with a clear error rather than computed wrongly.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np

from groundup.autograd import functional
from groundup.autograd.function import Function, FunctionCtx, once_differentiable
from groundup.function import Anomaly, _run_backward
from groundup.inspect.gradcheck import gradcheck
from groundup.tensor import Tensor, enable_grad, no_grad, set_grad_enabled

__all__ = [
    "Function",
    "FunctionCtx",
    "backward",
    "detect_anomaly",
    "enable_grad",
    "functional",
    "grad",
    "gradcheck",
    "is_anomaly_enabled",
    "is_anomaly_check_nan_enabled",
    "no_grad",
    "once_differentiable",
    "set_detect_anomaly",
    "set_grad_enabled",
]


def _as_list(tensors: Any, what: str) -> list[Any]:
    if isinstance(tensors, (Tensor, np.ndarray, int, float)) or tensors is None:
        return [tensors]
    if isinstance(tensors, Sequence):
        return list(tensors)
    raise TypeError(
        f"{what} must be a Tensor or a sequence of Tensors, got {type(tensors).__name__}"
    )


def _refuse_create_graph(create_graph: bool, op: str) -> None:
    if create_graph:
        raise RuntimeError(
            f"{op}: create_graph=True is not supported: groundup's backward passes compute on "
            "NumPy arrays and are not recorded, so a gradient cannot be differentiated again"
        )


def _roots(outputs: list[Any], grad_outputs: list[Any], op: str) -> list[tuple[Tensor, Any]]:
    if len(grad_outputs) != len(outputs):
        raise RuntimeError(
            f"{op}: got {len(grad_outputs)} gradients for {len(outputs)} outputs; give one "
            "per output (None for a one-element output)"
        )
    roots = []
    for out, g in zip(outputs, grad_outputs, strict=True):
        if not isinstance(out, Tensor):
            raise TypeError(f"{op}: outputs must be Tensors, got {type(out).__name__}")
        roots.append((out, out._seed(g, op)))
    return roots


def backward(
    tensors: Any,
    grad_tensors: Any = None,
    retain_graph: bool | None = None,
    create_graph: bool = False,
    *,
    inputs: Any = None,
) -> None:
    """Accumulate the gradients of `tensors` (weighted by `grad_tensors`) into the leaves'
    `.grad`, in one pass; with `inputs`, into those tensors only."""
    _refuse_create_graph(create_graph, "backward()")
    outputs = _as_list(tensors, "backward(): tensors")
    seeds = [None] * len(outputs) if grad_tensors is None else _as_list(grad_tensors, "grad")
    only = None if inputs is None else _as_list(inputs, "backward(): inputs")
    if only is not None and not only:
        raise RuntimeError("backward(): inputs= must not be empty")
    roots = _roots(outputs, seeds, "backward()")
    _run_backward(roots, bool(retain_graph), only=only)


def grad(
    outputs: Any,
    inputs: Any,
    grad_outputs: Any = None,
    retain_graph: bool | None = None,
    create_graph: bool = False,
    only_inputs: bool = True,
    allow_unused: bool | None = None,
    is_grads_batched: bool = False,
    materialize_grads: bool = False,
) -> tuple[Tensor | None, ...]:
    """d(outputs)/d(inputs), returned as a tuple (one per input); no `.grad` is changed.

    An input the outputs do not depend on is an error unless `allow_unused=True` (then its
    gradient is None, or zeros with `materialize_grads=True`).
    """
    _refuse_create_graph(create_graph, "grad()")
    if is_grads_batched:
        raise RuntimeError("grad(): is_grads_batched=True is not supported; loop over the batch")
    outs = _as_list(outputs, "grad(): outputs")
    targets = _as_list(inputs, "grad(): inputs")
    for t in targets:
        if not isinstance(t, Tensor) or not t.requires_grad:
            raise RuntimeError(
                "grad(): one of the differentiated Tensors does not require grad; create it "
                "with requires_grad=True"
            )
    seeds = [None] * len(outs) if grad_outputs is None else _as_list(grad_outputs, "grad")
    found = _run_backward(_roots(outs, seeds, "grad()"), bool(retain_graph), capture=targets)
    assert found is not None
    result: list[Tensor | None] = []
    for t, g in zip(targets, found, strict=True):
        if g is None:
            if not (allow_unused or materialize_grads):
                raise RuntimeError(
                    "grad(): one of the differentiated Tensors appears to not have been used "
                    "in the graph. Set allow_unused=True if this is the desired behavior."
                )
            zeros = Tensor._make(np.zeros_like(t._data), False)
            result.append(zeros if materialize_grads else None)
        else:
            result.append(Tensor._make(np.array(g, dtype=t.dtype), False))
    return tuple(result)


# --------------------------------------------------------------------- anomaly mode
def set_detect_anomaly(
    mode: bool, check_nan: bool = True
) -> contextlib.AbstractContextManager[None]:
    """Turn anomaly detection on or off (also usable as a context manager, as in torch)."""
    previous = (Anomaly.enabled, Anomaly.check_nan)
    Anomaly.enabled, Anomaly.check_nan = bool(mode), bool(check_nan)

    @contextlib.contextmanager
    def restore() -> Iterator[None]:
        try:
            yield
        finally:
            Anomaly.enabled, Anomaly.check_nan = previous

    return restore()


@contextlib.contextmanager
def detect_anomaly(check_nan: bool = True) -> Iterator[None]:
    """Inside: every op records where it was created; a failing or NaN-producing backward
    names that line of your code."""
    previous = (Anomaly.enabled, Anomaly.check_nan)
    Anomaly.enabled, Anomaly.check_nan = True, bool(check_nan)
    try:
        yield
    finally:
        Anomaly.enabled, Anomaly.check_nan = previous


def is_anomaly_enabled() -> bool:
    return Anomaly.enabled


def is_anomaly_check_nan_enabled() -> bool:
    return Anomaly.check_nan

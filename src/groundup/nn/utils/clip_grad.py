"""Gradient clipping: rescale all gradients by one factor when their joint norm is too
large (`clip_grad_norm_`, the usual guard against exploding gradients in RNNs and
transformers), or clamp each gradient entry (`clip_grad_value_`)."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from groundup.tensor import Tensor

TensorOrTensors = Tensor | Iterable[Tensor]


def _grads(parameters: TensorOrTensors) -> list[np.ndarray]:
    params = [parameters] if isinstance(parameters, Tensor) else list(parameters)
    return [p.grad._data for p in params if p.grad is not None]


def _vector_norm(x: np.ndarray, norm_type: float) -> np.ndarray:
    """torch.linalg.vector_norm of the flattened array, in its dtype (a 0-d array)."""
    a = np.abs(x.reshape(-1))
    if norm_type in (np.inf, -np.inf):
        if a.size == 0:
            raise RuntimeError(
                "cannot compute the infinity norm of an empty gradient: "
                "the operation does not have an identity"
            )
        return np.asarray(a.max() if norm_type > 0 else a.min())
    if norm_type == 0:  # the number of nonzero entries
        return np.asarray(np.count_nonzero(a), dtype=x.dtype)
    if norm_type == 2:
        return np.sqrt(np.dot(a, a))
    return np.asarray(np.sum(a**norm_type) ** (1.0 / norm_type))


def get_total_norm(
    tensors: TensorOrTensors, norm_type: float = 2.0, error_if_nonfinite: bool = False
) -> Tensor:
    """The p-norm of all `tensors` viewed as one long vector: the norm of their norms."""
    arrays = [tensors._data] if isinstance(tensors, Tensor) else [t._data for t in tensors]
    norm_type = float(norm_type)
    if not arrays:
        return Tensor(np.array(0.0, dtype=np.float32))
    norms = np.stack([_vector_norm(a, norm_type) for a in arrays])
    total = _vector_norm(norms, norm_type)
    if error_if_nonfinite and not np.isfinite(total):
        raise RuntimeError(
            f"The total norm of order {norm_type} for gradients from `parameters` is "
            f"non-finite ({float(total)}), so it cannot be clipped. To disable this error and "
            "scale the gradients by the non-finite norm anyway, set `error_if_nonfinite=False`"
        )
    return Tensor(total)


def clip_grads_with_norm_(parameters: TensorOrTensors, max_norm: float, total_norm: Tensor) -> None:
    """Scale every gradient in place by min(max_norm / (total_norm + 1e-6), 1)."""
    grads = _grads(parameters)
    if not grads:
        return
    total = total_norm._data
    clip_coef = np.minimum(float(max_norm) / (total + 1e-6), 1.0)  # never scale up
    for g in grads:
        g *= clip_coef.astype(g.dtype)


def clip_grad_norm_(
    parameters: TensorOrTensors,
    max_norm: float,
    norm_type: float = 2.0,
    error_if_nonfinite: bool = False,
) -> Tensor:
    """Rescale the gradients of `parameters` in place so that their joint p-norm is at most
    `max_norm` (directions are kept, only the length shrinks):

        g ← g · min(1, max_norm / (‖(g_1, ..., g_n)‖_p + 1e-6))

    `norm_type` may be `float('inf')` (largest |entry|). Returns the norm before clipping.
    """
    if not isinstance(parameters, Tensor):
        parameters = list(parameters)  # a generator is read twice
    grads = [Tensor._make(g, False) for g in _grads(parameters)]
    total_norm = get_total_norm(grads, norm_type, error_if_nonfinite)
    clip_grads_with_norm_(parameters, max_norm, total_norm)
    return total_norm


def clip_grad_value_(parameters: TensorOrTensors, clip_value: float) -> None:
    """Clamp every gradient entry into [-clip_value, clip_value], in place."""
    clip_value = float(clip_value)
    for g in _grads(parameters):
        np.clip(g, -clip_value, clip_value, out=g)

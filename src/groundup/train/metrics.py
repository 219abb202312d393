"""Classification metrics on NumPy arrays (groundup Tensors are accepted too)."""

from __future__ import annotations

from typing import Any

import numpy as np

from groundup.tensor import Tensor


def _array(x: Any) -> np.ndarray:
    return x._data if isinstance(x, Tensor) else np.asarray(x)


def predictions(logits_or_preds: Any, targets: Any) -> np.ndarray:
    """Class labels: argmax over the last axis of scores, or the labels themselves.

    Scores have one more dimension than the targets ((N, C) against (N,)); an array of the
    targets' shape is taken as labels already.
    """
    out, y = _array(logits_or_preds), _array(targets)
    if out.ndim == y.ndim + 1:
        return out.argmax(axis=-1)
    if out.shape != y.shape:
        raise ValueError(
            f"accuracy: predictions of shape {out.shape} do not match targets of shape "
            f"{y.shape}; pass scores of shape (*targets.shape, num_classes) or labels"
        )
    return out


def accuracy(logits_or_preds: Any, targets: Any) -> float:
    """Fraction of samples whose predicted class equals the target."""
    y = _array(targets)
    if y.size == 0:
        raise ValueError("accuracy: got no samples")
    return float(np.mean(predictions(logits_or_preds, y) == y))


def confusion_matrix(preds: Any, targets: Any, num_classes: int) -> np.ndarray:
    """`m[i, j]` = number of samples of true class i predicted as class j (int64).

    Rows sum to the class counts, the diagonal holds the hits (scikit-learn's layout).
    """
    y = _array(targets).reshape(-1).astype(np.int64)
    p = predictions(preds, targets).reshape(-1).astype(np.int64)
    for name, v in (("targets", y), ("predictions", p)):
        if v.size and (v.min() < 0 or v.max() >= num_classes):
            raise ValueError(
                f"confusion_matrix: {name} must lie in [0, {num_classes}), "
                f"got values from {v.min()} to {v.max()}"
            )
    flat = np.bincount(y * num_classes + p, minlength=num_classes * num_classes)
    return flat.reshape(num_classes, num_classes)

"""In-place ops: `x.add_(y)`, `x += y`, `x[idx] = v`, `x.zero_()`, `w.normal_()`, ...

One mechanism for all of them, with torch's autograd rules:

* The op runs out of place (`op(x, *args)`), and its result is written into x's memory,
  so views of x and arrays shared with NumPy see the change. The version counter of x
  (shared with its views) goes up by one; backward refuses to use a tensor whose version
  differs from the one noted when an op saved it (`Function.saved_versions`).
* Under `no_grad()`, or when nothing involved needs a gradient, that is all: this is the
  optimizer update `p -= lr * p.grad`.
* Otherwise the op is recorded: x takes the new op as its history (torch "rebases" it),
  with x's old value and history as the op's input. A leaf that requires grad cannot be
  changed this way (its gradient would describe a value that no longer exists).
* Through a view (x = base[0], base.view(...), ...), the base is rebased instead: its new
  history is `CopySlices` (the old base with the view's region replaced by the op's
  result), and every view of it replays its view ops on the new base when next used.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from groundup.function import Function, refresh_view, torch_type_name
from groundup.random import generator_for
from groundup.tensor import Tensor, is_grad_enabled, no_grad


def _can_cast(src: np.dtype, dst: np.dtype) -> bool:
    """torch's canCast: never float -> integer or bool, never integer -> bool."""
    if src.kind == "f" and dst.kind in "biu":
        return False
    return not (src.kind in "iu" and dst.kind == "b")


def _type(dtype: np.dtype) -> str:
    return torch_type_name(dtype).removesuffix("Tensor")


def _written(target: Tensor, result: Tensor, name: str) -> Tensor:
    """`result` as it will be stored in `target`: same shape, target's dtype."""
    if result.shape != target.shape:
        raise RuntimeError(
            f"{name}(): output with shape {list(target.shape)} doesn't match the broadcast "
            f"shape {list(result.shape)}; an in-place op cannot change the shape"
        )
    if result.dtype != target.dtype:
        if not _can_cast(result.dtype, target.dtype):
            raise RuntimeError(
                f"{name}(): result type {_type(result.dtype)} can't be cast to the desired "
                f"output type {_type(target.dtype)}; convert the tensor first "
                f"(x = x.float()) or use the out-of-place op"
            )
        result = result.to(target.dtype)
    return result


def _store(target: Tensor, values: np.ndarray, name: str) -> None:
    if not target._data.flags.writeable:
        if 0 in target._data.strides and target._data.size > 1:
            raise RuntimeError(
                f"{name}(): unsupported operation: more than one element of the written-to "
                "tensor refers to a single memory location (an expand()ed tensor); clone() "
                "it before changing it in place"
            )
        raise RuntimeError(f"{name}(): the tensor's memory is read-only; clone() it first")
    np.copyto(target._data, values, casting="unsafe")


def _alias(t: Tensor, copy: bool) -> Tensor:
    """A tensor standing for `t` as it is now: its value (copied if asked) and history."""
    alias = Tensor._make(t._data.copy() if copy else t._data, t.requires_grad)
    alias._ctx = t._ctx
    return alias


def _check_leaf(target: Tensor, name: str) -> None:
    info = target._view
    if info is None:
        if target.requires_grad and target._ctx is None:
            raise RuntimeError(
                f"{name}(): a leaf Variable that requires grad is being used in an in-place "
                "operation; change it inside `with groundup.no_grad():` (as optimizers do)"
            )
        return
    if info.base.requires_grad and info.base._ctx is None:
        raise RuntimeError(
            f"{name}(): a view of a leaf Variable that requires grad is being used in an "
            "in-place operation; change it inside `with groundup.no_grad():`"
        )
    if not info.grad_mode and (info.base.requires_grad or target.requires_grad):
        raise RuntimeError(
            f"{name}(): a view was created in no_grad mode and is being modified in place "
            "with grad mode enabled; create the view and change it both inside no_grad() or "
            "both outside it"
        )


def apply_inplace(
    target: Tensor,
    op: Callable[..., Tensor],
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
    name: str,
) -> Tensor:
    """Compute `op(target, *args, **kwargs)` and store it in `target`, as torch's `name`."""
    if not isinstance(target, Tensor):
        raise TypeError(f"{name}(): expected a Tensor, got {type(target).__name__}")
    if not is_grad_enabled():
        result = op(target, *args, **kwargs)
        _store(target, _written(target, result, name)._data, name)
        target._vc.value += 1
        return target
    _check_leaf(target, name)
    recording = target.requires_grad or any(
        isinstance(a, Tensor) and a.requires_grad for a in (*args, *kwargs.values())
    )
    if not recording:
        with no_grad():
            result = op(target, *args, **kwargs)
        _store(target, _written(target, result, name)._data, name)
        target._vc.value += 1
        return target
    if target._view is not None:
        return _through_view(target, op, args, kwargs, name)
    old = _alias(target, copy=True)
    result = _differentiable(old, _written(target, op(old, *args, **kwargs), name))
    _store(target, result._data, name)
    target._vc.value += 1
    _take_history(target, result)
    return target


def _differentiable(old: Tensor, result: Tensor) -> Tensor:
    """A result with no history (x.eq_(2), x.floor_divide_(3)) still stands for x in the
    graph, with a zero gradient, when x required grad."""
    if result.requires_grad or not old.requires_grad:
        return result
    return Replaced.apply(old, result._data)


def _take_history(target: Tensor, result: Tensor) -> None:
    """Make `result`'s history `target`'s; an output saved by that op is now `target`."""
    target._ctx, target.requires_grad = result._ctx, result.requires_grad
    fn = result._ctx
    if fn is not None and fn.saves_output:
        entries = []
        for counter, version, *rest in fn.saved_versions:
            if counter is result._vc:
                counter, version = target._vc, target._vc.value
            entries.append((counter, version, *rest))
        fn.saved_versions = tuple(entries)


class CopySlices(Function):
    """The base after an in-place op on one of its views: `base` with the view's region
    replaced by `value`. The region's gradient goes to `value`, the rest to `base`."""

    saves = ()

    def forward(
        self, base: np.ndarray, value: np.ndarray, region: np.ndarray, view: Any
    ) -> np.ndarray:
        self.view = view
        np.copyto(region, value, casting="unsafe")  # writes into the base's memory
        return base

    def backward(self, grad: np.ndarray) -> tuple[Any, ...]:
        # Flat positions of the region, found by applying the same view ops to indices.
        positions = self.view.replay(np.arange(grad.size).reshape(grad.shape))
        flat = grad.reshape(-1)
        d_value = flat[positions] if self.parents[1] is not None else None
        d_base = None
        if self.parents[0] is not None:
            d_base = grad.copy()
            d_base.reshape(-1)[positions] = 0
        return d_base, d_value, None, None


def _through_view(
    target: Tensor,
    op: Callable[..., Tensor],
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
    name: str,
) -> Tensor:
    info = target._view
    if info.stale(target):
        refresh_view(target)
    old = _alias(target, copy=True)
    result = _differentiable(old, _written(target, op(old, *args, **kwargs), name))
    if not target._data.flags.writeable:
        _store(target, result._data, name)  # raises the read-only error
    base = info.base
    new_base = CopySlices.apply(_alias(base, copy=False), result, target._data, info)
    base._ctx, base.requires_grad = new_base._ctx, new_base.requires_grad
    target._vc.value += 1
    refresh_view(target)
    return target


# ------------------------------------------------------------- fills and copies
class Fill(Function):
    """Every element replaced by `value` (a number or a 0-d tensor): x gets zero gradient,
    a tensor value gets the sum of the gradient."""

    saves = ()

    def forward(self, a: np.ndarray, value: Any) -> np.ndarray:
        return np.full(a.shape, value, dtype=a.dtype)

    def backward(self, grad: np.ndarray) -> tuple[Any, Any]:
        d_value = grad.sum() if self.parents[1] is not None else None
        return np.zeros_like(grad), d_value


class Copy(Function):
    """x.copy_(src): src broadcast to x's shape; the gradient goes to src, none to x."""

    saves = ()

    def forward(self, a: np.ndarray, src: np.ndarray) -> np.ndarray:
        return np.broadcast_to(src, a.shape).astype(a.dtype)

    def backward(self, grad: np.ndarray) -> tuple[Any, Any]:
        return np.zeros_like(grad), grad


class Replaced(Function):
    """x's values replaced by `values` that do not depend on x (x.normal_(), x.eq_(y), ...):
    the earlier history gets a zero gradient, as in torch."""

    saves = ()

    def forward(self, a: np.ndarray, values: np.ndarray) -> np.ndarray:
        return values.astype(a.dtype, copy=False)

    def backward(self, grad: np.ndarray) -> tuple[Any, None]:
        return np.zeros_like(grad), None


def _fill_value(value: Any, name: str) -> Any:
    if isinstance(value, Tensor):
        if value.ndim != 0:
            raise RuntimeError(
                f"{name}(): only supports a 0-dimension value tensor, but got a tensor with "
                f"{value.ndim} dimensions"
            )
        return value
    if isinstance(value, np.generic):
        return value.item()
    if not isinstance(value, (bool, int, float)):
        raise TypeError(f"{name}(): value must be a number or a 0-d tensor, got {value!r}")
    return value


def fill_(self: Tensor, value: Any) -> Tensor:
    """Set every element to `value`; earlier history gets no gradient through here."""
    value = _fill_value(value, "fill_")

    def filled(a: Tensor, v: Any) -> Tensor:
        if isinstance(v, Tensor) and v.dtype != a.dtype:
            v = v.to(a.dtype) if a.dtype.kind == "f" else v.detach().to(a.dtype)
        return Fill.apply(a, v)

    return apply_inplace(self, filled, (value,), {}, "fill_")


def zero_(self: Tensor) -> Tensor:
    """Set every element to 0 (the gradient to earlier history is 0, as in torch)."""
    return apply_inplace(self, lambda a: Fill.apply(a, 0), (), {}, "zero_")


def copy_(self: Tensor, src: Any, non_blocking: bool = False) -> Tensor:
    """Copy `src` (broadcast to this shape, cast to this dtype) into this tensor."""
    if not isinstance(src, Tensor):
        src = Tensor(np.asarray(src))
    try:
        fits = np.broadcast_shapes(src.shape, self.shape) == self.shape
    except ValueError:
        fits = False
    if not fits:
        raise RuntimeError(
            f"copy_(): the source of shape {list(src.shape)} must be broadcastable to the "
            f"tensor's shape {list(self.shape)}"
        )

    def copied(a: Tensor, s: Tensor) -> Tensor:
        if s.dtype != a.dtype:
            s = s.to(a.dtype) if a.dtype.kind == "f" else s.detach().to(a.dtype)
        return Copy.apply(a, s)

    return apply_inplace(self, copied, (src,), {}, "copy_")


def _fill_with(self: Tensor, name: str, values: np.ndarray) -> Tensor:
    return apply_inplace(self, lambda a: Replaced.apply(a, values), (), {}, name)


def _rng(generator: Any, name: str) -> np.random.Generator:
    """The global generator (`manual_seed`), or the groundup.Generator (or NumPy Generator)
    passed as `generator=`."""
    return generator_for(generator, name)


def _floating(self: Tensor, name: str) -> None:
    if self.dtype.kind != "f":
        raise RuntimeError(f"{name}(): expects a floating-point tensor, got dtype {self.dtype}")


def uniform_(self: Tensor, a: float = 0.0, b: float = 1.0, *, generator: Any = None) -> Tensor:
    """Fill with samples from U(a, b) drawn from the global generator."""
    _floating(self, "uniform_")
    if a > b:
        raise RuntimeError(f"uniform_(): expects a <= b, got a={a} and b={b}")
    return _fill_with(self, "uniform_", _rng(generator, "uniform_").uniform(a, b, self.shape))


def normal_(self: Tensor, mean: float = 0.0, std: float = 1.0, *, generator: Any = None) -> Tensor:
    """Fill with samples from N(mean, std^2) drawn from the global generator."""
    _floating(self, "normal_")
    if std < 0:
        raise RuntimeError(f"normal_(): expects std >= 0.0, but found std {std}")
    return _fill_with(self, "normal_", _rng(generator, "normal_").normal(mean, std, self.shape))


def bernoulli_(self: Tensor, p: float = 0.5, *, generator: Any = None) -> Tensor:
    """Fill with 0/1 samples that are 1 with probability p."""
    if not 0 <= p <= 1:
        raise RuntimeError(f"bernoulli_(): expects 0 <= p <= 1, got p={p}")
    return _fill_with(self, "bernoulli_", _rng(generator, "bernoulli_").random(self.shape) < p)


def exponential_(self: Tensor, lambd: float = 1.0, *, generator: Any = None) -> Tensor:
    """Fill with samples from the exponential distribution of rate `lambd`."""
    _floating(self, "exponential_")
    if lambd <= 0:
        raise RuntimeError(f"exponential_(): expects lambd > 0.0, but found lambd={lambd}")
    rng = _rng(generator, "exponential_")
    return _fill_with(self, "exponential_", rng.exponential(1 / lambd, self.shape))


def random_(
    self: Tensor, from_: int = 0, to: int | None = None, *, generator: Any = None
) -> Tensor:
    """Fill with integers from [from_, to); `random_(n)` draws from [0, n)."""
    if to is None:
        if from_ == 0:
            # torch's default range: every integer the dtype represents exactly
            to = 2 ** (np.finfo(self.dtype).nmant + 1) if self.dtype.kind == "f" else None
            if to is None:
                to = 2 if self.dtype == np.bool_ else int(np.iinfo(self.dtype).max)
        else:
            from_, to = 0, from_
    if from_ >= to:
        raise RuntimeError(f"random_(): expects from < to, got from={from_} and to={to}")
    return _fill_with(self, "random_", _rng(generator, "random_").integers(from_, to, self.shape))


# ----------------------------------------------------------------- index_put
class IndexPut(Function):
    """x with x[index] replaced by (or, with accumulate, increased by) `value`."""

    saves = ()

    def forward(self, a: np.ndarray, value: Any, index: Any, accumulate: bool) -> np.ndarray:
        self.index, self.accumulate = index, accumulate
        out = a.copy()
        if accumulate:
            np.add.at(out, index, value)
        else:
            out[index] = value
        return out

    def backward(self, grad: np.ndarray) -> tuple[Any, ...]:
        d_a = None
        if self.parents[0] is not None:
            d_a = grad
            if not self.accumulate:
                d_a = grad.copy()
                d_a[self.index] = 0
        d_value = np.asarray(grad[self.index]) if self.parents[1] is not None else None
        return d_a, d_value, None, None


def _value_for(target: Tensor, value: Any) -> Any:
    """The assigned value in the target's dtype (a float value keeps its history)."""
    if isinstance(value, Tensor):
        if value.dtype != target.dtype:
            value = value.to(target.dtype) if target.dtype.kind == "f" else value.detach()
            value = value.to(target.dtype)
        return value
    if isinstance(value, (np.ndarray, list, tuple)):
        return Tensor._make(np.asarray(value, dtype=target.dtype), False)
    return value


def _index_put(a: Tensor, index: Any, value: Any, accumulate: bool) -> Tensor:
    return IndexPut.apply(a, value, index, accumulate)


def index_put_(
    self: Tensor, indices: Any, values: Any, accumulate: bool = False
) -> Tensor:
    """torch.Tensor.index_put_: self[indices] = values (or += with accumulate)."""
    from groundup.ops.shape import index_key

    key = index_key(tuple(indices), self.shape)
    return apply_inplace(
        self, _index_put, (key, _value_for(self, values), accumulate), {}, "index_put_"
    )


def index_put(self: Tensor, indices: Any, values: Any, accumulate: bool = False) -> Tensor:
    """Out-of-place index_put: a new tensor."""
    from groundup.ops.shape import index_key

    key = index_key(tuple(indices), self.shape)
    return _index_put(self, key, _value_for(self, values), accumulate)


def setitem(target: Tensor, index: Any, value: Any) -> None:
    """`target[index] = value`."""
    from groundup.ops.shape import index_key

    key = index_key(index, target.shape)
    apply_inplace(
        target, _index_put, (key, _value_for(target, value), False), {}, "__setitem__"
    )

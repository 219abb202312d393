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
    """A node of the graph.

    `parents[i]` is input i when it needs a gradient, else None; `next_functions[i]` is the
    function that produced that input when this node was created (None for a leaf). The
    backward pass follows `next_functions`, so an in-place op that later gives the input a
    new history does not reroute gradients that were recorded before it (torch's edges).

    What backward reads is declared, so the engine can tell when it was changed in place:

    * ``saves``: the positional inputs whose arrays backward reads (None: every tensor
      input); ``saved_inputs()`` may narrow it from ``parents`` (Mul reads b only for a's
      gradient);
    * ``saves_output``: backward reads the returned array (exp, sigmoid, softmax, ...);
    * ``is_view``: the output may share memory with input 0 (reshape, permute, basic
      indexing), and then shares its version counter, as torch's views do.
    """

    parents: tuple[Tensor | None, ...] = ()
    next_functions: tuple[Function | None, ...] = ()
    saved_versions: tuple[tuple[Any, int, int, np.ndarray], ...] = ()
    released: bool = False
    saves: tuple[int, ...] | None = None
    saves_output: bool = False
    is_view: bool = False
    trace: str = ""  # where the op was created, in anomaly mode

    def forward(self, *args: Any, **kwargs: Any) -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError(f"{type(self).__name__} must implement forward (abstract)")

    def backward(self, grad: np.ndarray) -> Any:  # pragma: no cover - abstract
        raise NotImplementedError(f"{type(self).__name__} must implement backward (abstract)")

    def saved_inputs(self) -> tuple[int, ...] | None:
        """Indices of the inputs backward reads; called once `parents` is set."""
        return self.saves

    @classmethod
    def apply(cls, *args: Any, **kwargs: Any) -> Tensor:
        """Run forward on raw arrays and, when any input needs a gradient, link the graph."""
        fn = cls()
        recording = is_grad_enabled()
        raw = []
        needs_grad = False
        for a in args:
            if isinstance(a, Tensor):
                if recording and a._view is not None and a._view.stale(a):
                    refresh_view(a)
                needs_grad = needs_grad or a.requires_grad
                raw.append(a._data)
            else:
                raw.append(a)
        out = fn.forward(*raw, **kwargs)
        needs_grad = needs_grad and recording
        if needs_grad and Anomaly.enabled:
            import traceback  # anomaly mode only

            fn.trace = "".join(traceback.format_stack(limit=12)[:-1])
        result = Tensor._make(out, needs_grad)
        if needs_grad:
            fn.parents = tuple(
                a if isinstance(a, Tensor) and a.requires_grad else None for a in args
            )
            fn.next_functions = tuple(None if p is None else p._ctx for p in fn.parents)
            result._ctx = fn
            _record_saved(fn, args, result)
        if cls.is_view and isinstance(args[0], Tensor) and np.may_share_memory(out, raw[0]):
            _make_view(result, args[0], (cls, args[1:], kwargs), recording)
        return result

    def release(self) -> None:
        """Free everything saved for backward; a second backward through here raises."""
        retained = self.__dict__.get("retained")  # retains_grad stays True after backward
        self.__dict__.clear()
        if retained is not None:
            self.retained = retained
        self.parents = ()
        self.next_functions = ()
        self.released = True

    def __repr__(self) -> str:
        return f"<{type(self).__name__}Backward>"


def _record_saved(fn: Function, args: tuple[Any, ...], result: Tensor) -> None:
    """Note the version of every tensor backward will read (O(1) per saved tensor)."""
    indices = fn.saved_inputs()
    saved = [
        (a._vc, a._vc.value, i, a._data)
        for i, a in (enumerate(args) if indices is None else ((i, args[i]) for i in indices))
        if isinstance(a, Tensor)
    ]
    if fn.saves_output:
        saved.append((result._vc, result._vc.value, -1, result._data))
    fn.saved_versions = tuple(saved)


def check_saved_versions(fn: Function) -> None:
    """torch's RuntimeError when a tensor that backward reads was modified in place."""
    for counter, expected, index, array in fn.saved_versions:
        if counter.value != expected:
            role = "output 0" if index < 0 else f"input {index}"
            raise RuntimeError(
                "one of the variables needed for gradient computation has been modified by an "
                f"inplace operation: [{torch_type_name(array.dtype)} {list(array.shape)}], "
                f"{role} of {type(fn).__name__}Backward, is at version {counter.value}; "
                f"expected version {expected} instead. Use an out-of-place op (y = y + 1, not "
                "y += 1) or clone() the tensor before changing it"
            )


_TYPE_NAMES = {
    "float16": "HalfTensor",
    "float32": "FloatTensor",
    "float64": "DoubleTensor",
    "int8": "CharTensor",
    "uint8": "ByteTensor",
    "int16": "ShortTensor",
    "int32": "IntTensor",
    "int64": "LongTensor",
    "bool": "BoolTensor",
}


def torch_type_name(dtype: Any) -> str:
    """torch's name for a tensor type: float32 -> FloatTensor."""
    return _TYPE_NAMES.get(np.dtype(dtype).name, f"{np.dtype(dtype).name} tensor")


# ------------------------------------------------------------------------- views
class ViewOf:
    """How a view was made from its base: the view ops from the base, in order.

    A view shares its base's memory and version counter. When the base (or another view of
    it) is changed in place, the view's recorded history is out of date; it is rebuilt by
    replaying `chain` on the base the next time the graph needs it (torch's view replay).
    """

    __slots__ = ("base", "chain", "version", "grad_mode")

    def __init__(self, base: Tensor, chain: tuple[Any, ...], version: int, grad_mode: bool):
        self.base, self.chain, self.version, self.grad_mode = base, chain, version, grad_mode

    def stale(self, view: Tensor) -> bool:
        return self.version != view._vc.value and (self.base.requires_grad or view.requires_grad)

    def replay(self, array: np.ndarray) -> np.ndarray:
        """The same view of another array of the base's shape (for gradients and indices)."""
        for cls, args, kwargs in self.chain:
            array = cls().forward(array, *args, **kwargs)
        return array


def _make_view(result: Tensor, source: Tensor, step: tuple[Any, ...], grad_mode: bool) -> None:
    base, chain = source, (step,)
    if source._view is not None:
        base, chain = source._view.base, source._view.chain + chain
    result._vc = source._vc
    result._view = ViewOf(base, chain, source._vc.value, grad_mode)


def refresh_view(view: Tensor) -> None:
    """Give a view whose base changed in place the history of the base as it is now."""
    info = view._view
    assert info is not None
    info.version = view._vc.value
    if not info.base.requires_grad:
        return
    with _enable_grad():
        t = info.base
        for cls, args, kwargs in info.chain:
            t = cls.apply(t, *args, **kwargs)
    view._ctx, view.requires_grad = t._ctx, t.requires_grad


# ------------------------------------------------------------------ backward pass
class Anomaly:
    """`autograd.set_detect_anomaly`: when on, each op remembers where it was created, and
    backward names that place when the op's backward fails or returns NaN."""

    enabled = False
    check_nan = True


def _accumulate_leaf(leaf: Tensor, grad: np.ndarray) -> None:
    if leaf.grad is None:
        leaf.grad = Tensor._make(np.array(grad, dtype=leaf.dtype, copy=True), False)
    else:
        leaf.grad._data += grad


def _topological_order(roots: list[Any]) -> list[Any]:
    """Functions reachable from `roots`, each once, inputs before the ops that use them.

    Depth-first with an explicit stack (no recursion, so a 100,000-op chain is fine): a
    function is appended only after every function that produced one of its inputs.
    """
    order: list[Any] = []
    seen: set[int] = set()
    stack: list[tuple[Any, bool]] = [(root, False) for root in reversed(roots)]
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
        for producer in fn.next_functions:
            if producer is not None and id(producer) not in seen:
                stack.append((producer, False))
    return order


def _hooked(hooks: list[Any] | None, grad: np.ndarray) -> np.ndarray:
    """Run a tensor's gradient hooks (`register_hook`): each may return a new gradient."""
    for hook in hooks or ():
        result = hook(Tensor._make(grad, False))
        if result is not None:
            grad = result._data if isinstance(result, Tensor) else np.asarray(result)
    return grad


def _run_backward(
    roots: list[tuple[Tensor, np.ndarray]],
    retain_graph: bool,
    capture: list[Tensor] | None = None,
    only: list[Tensor] | None = None,
) -> list[np.ndarray | None] | None:
    """Push each seed = d(loss)/d(root) through the graph, each function once.

    `grads` holds the summed gradient of every function's output that is still waiting to
    be processed; a function is processed after all of its consumers (reverse topological
    order), so its gradient is complete when popped. Leaves collect their gradients during
    the pass, then run their hooks and accumulate into `.grad` once, at the end (torch's
    AccumulateGrad). With `capture` (autograd.grad), the gradients of those tensors are
    returned and no `.grad` is touched; with `only` (backward(inputs=...)), only those
    leaves accumulate.
    """
    grads: dict[int, np.ndarray] = {}
    leaves: dict[int, tuple[Tensor, np.ndarray]] = {}

    def to_leaf(leaf: Tensor, g: np.ndarray) -> None:
        key = id(leaf)
        leaves[key] = (leaf, leaves[key][1] + g) if key in leaves else (leaf, g)

    for root, seed in roots:
        if root._ctx is None:
            to_leaf(root, seed)
        else:
            key = id(root._ctx)
            grads[key] = grads[key] + seed if key in grads else seed
    wanted = {id(t._ctx): t for t in capture or () if t._ctx is not None}
    found: dict[int, np.ndarray] = {}
    functions = [root._ctx for root, _ in roots if root._ctx is not None]
    for fn in reversed(_topological_order(functions) if functions else []):
        grad = grads.pop(id(fn), None)
        if grad is not None:
            grad = _hooked(getattr(fn, "tensor_hooks", None), grad)
            if id(fn) in wanted:
                found[id(wanted[id(fn)])] = grad
            retained = getattr(fn, "retained", None)
            if capture is None and retained is not None and retained() is not None:
                _accumulate_leaf(retained(), grad)
            for producer, parent, g in _backward_of(fn, grad):
                if producer is None:
                    to_leaf(parent, g)
                else:
                    key = id(producer)
                    grads[key] = grads[key] + g if key in grads else g
        if not retain_graph:
            fn.release()
    for leaf, g in leaves.values():
        g = _hooked(leaf._hooks, g)
        if capture is not None:
            found[id(leaf)] = g
        elif only is None or any(leaf is t for t in only):
            _accumulate_leaf(leaf, g)
    if capture is None:
        return None
    return [found.get(id(t)) for t in capture]


def _backward_of(fn: Function, grad: np.ndarray) -> list[tuple[Any, Tensor, np.ndarray]]:
    """(producer, input, gradient) for each input of `fn` that receives a gradient."""
    if fn.saved_versions:
        check_saved_versions(fn)
    try:
        input_grads = fn.backward(grad)
    except Exception as error:
        if Anomaly.enabled and getattr(fn, "trace", None):
            error.add_note(f"{type(fn).__name__}Backward was created at:\n{fn.trace}")
        raise
    if not isinstance(input_grads, tuple):
        input_grads = (input_grads,)
    if len(input_grads) != len(fn.parents):
        raise RuntimeError(
            f"{type(fn).__name__}.backward returned {len(input_grads)} gradients, "
            f"expected {len(fn.parents)} (one per positional input, None for non-tensors)"
        )
    out = []
    for i, (parent, producer, g) in enumerate(
        zip(fn.parents, fn.next_functions, input_grads, strict=True)
    ):
        if parent is None or g is None:
            continue
        if g.shape != parent._data.shape:
            g = _sum_to_input(fn, g, parent)
        if g.dtype != parent._data.dtype:
            g = g.astype(parent._data.dtype)
        if Anomaly.enabled and Anomaly.check_nan and np.isnan(g).any():
            where = f"; it was created at:\n{fn.trace}" if getattr(fn, "trace", None) else ""
            raise RuntimeError(
                f"Function '{type(fn).__name__}Backward' returned nan values in its {i}th "
                f"output{where}"
            )
        out.append((producer, parent, g))
    return out


def _sum_to_input(fn: Any, g: np.ndarray, parent: Tensor) -> np.ndarray:
    """Sum a broadcast gradient back to its input's shape, naming the op if it cannot be."""
    try:
        return sum_to_shape(g, parent._data.shape)
    except ValueError:
        raise RuntimeError(
            f"{type(fn).__name__}.backward returned a gradient of shape {g.shape} for an "
            f"input of shape {parent._data.shape}; it must equal or broadcast to it"
        ) from None


# Last: tensor.py imports this module (and groundup.inplace, which needs Function).
from groundup.tensor import Tensor, is_grad_enabled  # noqa: E402
from groundup.tensor import enable_grad as _enable_grad  # noqa: E402

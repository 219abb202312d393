"""`Tensor` and `tensor()` (the grad modes, `no_grad()` & co., are in `grad_mode`).

A tensor is a NumPy array (`._data`) plus, when it was computed from tensors that need
gradients, a link `_ctx` to the `Function` that produced it. `backward()` hands the graph
to `groundup.function`, which walks those links once, in reverse topological order,
without recursion.

Every tensor carries a version counter (`_version`), bumped by each in-place op and shared
with its views; an op that saves a tensor for backward notes the version, and backward
raises if it changed (torch's rule, see `groundup.inplace`). As in torch, `.data` is a
tensor that shares the memory but not the history or the version counter.
"""

from __future__ import annotations

import builtins
import weakref
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np

# The grad modes (thread-local, torch's API) live in groundup.grad_mode; the engine and the
# layers import them from here.
from groundup.grad_mode import (  # noqa: F401
    enable_grad,
    inference_mode,
    is_grad_enabled,
    is_inference_mode_enabled,
    no_grad,
    set_grad_enabled,
)

DTypeLike = Any


# ------------------------------------------- torch.is_tensor & co.: questions about a tensor
def _tensor_argument(obj: Any, op: str) -> Tensor:
    if not isinstance(obj, Tensor):
        raise TypeError(
            f"{op}(): argument 'input' (position 1) must be Tensor, not {type(obj).__name__}"
        )
    return obj


def is_tensor(obj: Any) -> bool:
    """True for a groundup Tensor (a Parameter too), False for anything else."""
    return isinstance(obj, Tensor)


def is_floating_point(input: Tensor) -> bool:
    """True when the dtype is a floating-point one (float16, float32, float64)."""
    return _is_float(_tensor_argument(input, "is_floating_point")._data.dtype)


def numel(input: Tensor) -> int:
    """The number of elements of `input`."""
    return int(_tensor_argument(input, "numel")._data.size)


def is_nonzero(input: Tensor) -> bool:
    """The truth value of a one-element tensor; more or fewer elements are a RuntimeError."""
    a = _tensor_argument(input, "is_nonzero")._data
    if a.size != 1:
        how = "no values" if a.size == 0 else "more than one value"
        raise RuntimeError(
            f"is_nonzero(): Boolean value of Tensor with {how} is ambiguous (shape {a.shape})"
        )
    return bool(a.item())


def _is_float(dtype: np.dtype) -> bool:
    return np.issubdtype(dtype, np.floating)


def _as_array(data: Any, dtype: DTypeLike = None) -> np.ndarray:
    """torch.tensor's dtype rules: Python floats -> float32, ints -> int64, bools -> bool;
    a NumPy array keeps its dtype (float64 stays float64)."""
    if isinstance(data, Tensor):
        data = data._data
    if dtype is not None:
        return np.array(data, dtype=np.dtype(dtype))
    if isinstance(data, (np.ndarray, np.generic)):
        return np.array(data)
    arr = np.array(data)
    if arr.dtype == np.float64:
        return arr.astype(np.float32)
    if arr.dtype.kind in "iu":
        return arr.astype(np.int64)
    if arr.dtype == object:
        raise TypeError(f"tensor(): cannot build a tensor from {type(data).__name__} data")
    return arr


class _VersionCounter:
    """How many times a tensor's memory was changed in place; shared by a tensor's views."""

    __slots__ = ("value",)

    def __init__(self) -> None:
        self.value = 0


class Tensor:
    """An n-dimensional array that records the operations applied to it."""

    __slots__ = (
        "_data", "grad", "requires_grad", "_ctx", "_vc", "_view", "_hooks", "__weakref__"
    )
    # NumPy defers to our reflected operators: ndarray + Tensor -> Tensor.__radd__.
    __array_ufunc__ = None

    def __init__(self, data: Any, dtype: DTypeLike = None, requires_grad: bool = False):
        self._data: np.ndarray = _as_array(data, dtype)
        self.grad: Tensor | None = None
        self._ctx: Any = None
        self._vc = _VersionCounter()
        self._view: Any = None
        self._hooks: list[Any] | None = None
        self.requires_grad = False
        if requires_grad:
            self.requires_grad_(True)

    @classmethod
    def _make(cls, data: np.ndarray, requires_grad: bool) -> Tensor:
        """Wrap an op's output array without copying it."""
        t = cls.__new__(cls)
        t._data = data if isinstance(data, np.ndarray) else np.asarray(data)
        t.grad = None
        t._ctx = None
        t._vc = _VersionCounter()
        t._view = None
        t._hooks = None
        t.requires_grad = requires_grad
        return t

    # ------------------------------------------------------ data and versions
    @property
    def data(self) -> Tensor:
        """The same memory without the history (torch's `.data`): changes to it are not
        tracked, not even by the version counter. Prefer `detach()` or `no_grad()`."""
        return Tensor._make(self._data, False)

    @data.setter
    def data(self, value: Any) -> None:
        array = value._data if isinstance(value, Tensor) else np.asarray(value)
        if self.requires_grad and array.dtype.kind != "f":
            raise RuntimeError(
                f"data set to a tensor that requires gradients must be floating point, "
                f"got dtype {array.dtype}"
            )
        self._data = array

    @property
    def _version(self) -> int:
        """How many in-place ops changed this tensor's memory (shared with its views)."""
        return self._vc.value

    @property
    def _base(self) -> Tensor | None:
        """The tensor this one is a view of, or None."""
        return None if self._view is None else self._view.base

    def stride(self, dim: int | None = None) -> Any:
        """Steps in elements between neighbours along each dim (torch's strides)."""
        steps = tuple(s // self._data.itemsize for s in self._data.strides)
        if dim is None:
            return steps
        return steps[_function.normalize_dim(dim, self.ndim, "stride")]

    def data_ptr(self) -> int:
        """The address of the first element (views of one tensor share its memory)."""
        return int(self._data.__array_interface__["data"][0])

    def is_contiguous(self) -> builtins.bool:
        return builtins.bool(self._data.flags.c_contiguous)

    # ----------------------------------------------------------------- basics
    @property
    def shape(self) -> tuple[int, ...]:
        return self._data.shape

    @property
    def dtype(self) -> np.dtype:
        return self._data.dtype

    @property
    def ndim(self) -> int:
        return self._data.ndim

    @property
    def is_leaf(self) -> builtins.bool:
        return self.grad_fn is None

    @property
    def grad_fn(self) -> Any:
        if self._view is not None and is_grad_enabled() and self._view.stale(self):
            _function.refresh_view(self)
        return self._ctx

    @property
    def T(self) -> Tensor:
        return self.permute(*reversed(range(self.ndim)))

    @property
    def mT(self) -> Tensor:
        """The last two dims swapped (a batch of matrices transposed), a view."""
        return _layout.matrix_transpose(self, "mT")

    @property
    def mH(self) -> Tensor:
        """The conjugate transpose of the last two dims: mT for real tensors."""
        return _layout.matrix_transpose(self, "mH")

    @property
    def H(self) -> Tensor:
        """The conjugate transpose of a matrix: its transpose for real tensors."""
        return _layout.hermitian(self)

    @property
    def device(self) -> _device.device:
        """Where the data lives: always the CPU, `device(type='cpu')`."""
        return _device.CPU

    @property
    def is_cuda(self) -> builtins.bool:
        return False

    @property
    def is_cpu(self) -> builtins.bool:
        return True

    @property
    def itemsize(self) -> int:
        """Bytes per element (4 for float32), as `element_size()`."""
        return int(self._data.itemsize)

    @property
    def nbytes(self) -> int:
        """Bytes of the elements: numel() * itemsize."""
        return int(self._data.nbytes)

    def size(self, dim: int | None = None) -> Any:
        return self._data.shape if dim is None else self._data.shape[dim]

    def dim(self) -> int:
        """The number of dimensions (0 for a scalar tensor), as `ndim`."""
        return self._data.ndim

    def numel(self) -> int:
        """The number of elements: the product of the shape (1 for a 0-d tensor)."""
        return int(self._data.size)

    def __len__(self) -> int:
        """The size of dimension 0; a 0-d tensor has no length (TypeError, as in torch)."""
        if self._data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self._data.shape[0]

    def item(self) -> Any:
        """The value of a one-element tensor (any shape) as a Python float, int or bool."""
        if self._data.size != 1:
            raise RuntimeError(
                f"item(): only one-element tensors can be converted, got shape {self.shape} "
                f"({self._data.size} elements); index one element or reduce first"
            )
        return self._data.item()

    def tolist(self) -> Any:
        """Nested Python lists of Python numbers (a plain number for a 0-d tensor)."""
        return self._data.tolist()

    def detach(self) -> Tensor:
        """Same memory and version counter, cut from the graph."""
        t = Tensor._make(self._data, False)
        t._vc = self._vc
        return t

    def detach_(self) -> Tensor:
        """Cut this tensor from the graph in place: it becomes a leaf that needs no grad."""
        if self._view is not None:
            raise RuntimeError(
                "detach_(): can't detach views in-place; use detach() instead, which returns "
                "a new tensor"
            )
        self._ctx = None
        self.requires_grad = False
        return self

    def clone(self) -> Tensor:
        from groundup.ops.elementwise import clone

        return clone(self)

    def requires_grad_(self, requires_grad: builtins.bool = True) -> Tensor:
        if requires_grad and not _is_float(self._data.dtype):
            raise RuntimeError(
                f"only floating-point tensors can require gradients, got dtype {self.dtype}"
            )
        if self._ctx is not None and not requires_grad:
            raise RuntimeError(
                "requires_grad_(False): you can only change requires_grad flags of leaf "
                "tensors; use y = y.detach() to use a computed tensor without its history"
            )
        self.requires_grad = requires_grad
        return self

    def retain_grad(self) -> None:
        """Keep `.grad` for this non-leaf tensor after backward (to inspect gradient flow)."""
        if not self.requires_grad:
            raise RuntimeError(
                "retain_grad(): can't retain_grad on a tensor that has requires_grad=False"
            )
        if self._ctx is not None:
            self._ctx.retained = weakref.ref(self)

    @property
    def retains_grad(self) -> builtins.bool:
        """True for a non-leaf tensor whose `.grad` is kept (`retain_grad()`)."""
        ref = getattr(self._ctx, "retained", None)
        return ref is not None and ref() is self

    def register_hook(self, hook: Any) -> Any:
        """Call `hook(grad)` with this tensor's gradient during backward; a tensor it
        returns replaces the gradient. Returns a handle whose `remove()` undoes it."""
        if not self.requires_grad:
            raise RuntimeError(
                "register_hook(): cannot register a hook on a tensor that doesn't require "
                "gradient"
            )
        if self._ctx is None:
            if self._hooks is None:
                self._hooks = []
            hooks = self._hooks
        else:
            if getattr(self._ctx, "tensor_hooks", None) is None:
                self._ctx.tensor_hooks = []
            hooks = self._ctx.tensor_hooks
        hooks.append(hook)
        return _HookHandle(hooks, hook)

    def __repr__(self) -> str:
        """torch's layout: 4 decimals, common width, dtype/grad suffixes (see tensor_str)."""
        return _tensor_str.tensor_repr(self)

    def __format__(self, format_spec: str) -> str:
        """f"{t:.3f}" formats the value of a 0-d tensor; other tensors take no format spec
        (TypeError), as in torch."""
        if self._data.ndim == 0 and type(self) is Tensor:
            return self._data.item().__format__(format_spec)
        return object.__format__(self, format_spec)

    def __bool__(self) -> builtins.bool:
        if self._data.size != 1:
            raise RuntimeError(
                f"bool(): the truth value of a tensor of shape {self.shape} is ambiguous; "
                f"reduce it to a single element first"
            )
        return builtins.bool(self._data)

    def _scalar(self, to: str) -> Any:
        if self._data.size != 1:
            raise ValueError(
                f"{to}(): only one element tensors can be converted to Python scalars, "
                f"got shape {self.shape}"
            )
        return self._data.item()

    def __float__(self) -> builtins.float:
        return builtins.float(self._scalar("float"))

    def __int__(self) -> int:
        return int(self._scalar("int"))  # truncates toward zero, as int(2.7) does

    def __index__(self) -> int:
        """An integer (or bool) one-element tensor used as an index: range(t), xs[t]."""
        if self._data.size != 1 or self._data.dtype.kind not in "biu":
            raise TypeError(
                "only integer tensors of a single element can be converted to an index, "
                f"got dtype {self.dtype} and shape {self.shape}"
            )
        return int(self._data.item())

    def __hash__(self) -> int:
        return id(self)

    def __iter__(self) -> Iterator[Tensor]:
        """The sub-tensors along dimension 0 (each one `t[i]`, in the graph like torch's)."""
        if self._data.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return (self[i] for i in range(self._data.shape[0]))

    def __array__(self, dtype: DTypeLike = None, copy: builtins.bool | None = None) -> np.ndarray:
        """`np.asarray(t)` gives the data (NumPy never sees the graph). Unlike torch, this
        works on tensors that require grad too, so `np.asarray(layer.weight)` reads values."""
        if dtype is not None and np.dtype(dtype) != self._data.dtype:
            if copy is False:
                raise ValueError(f"__array__(): dtype {dtype} needs a copy, but copy=False")
            return self._data.astype(dtype)
        return self._data.copy() if copy else self._data

    def __dlpack__(self, **kwargs: Any) -> Any:
        """DLPack export, what `torch.tensor(t)`, `torch.as_tensor(t)` and
        `torch.from_dlpack(t)` read. The memory is shared, except for read-only arrays (torch
        could write into them) and negative strides (torch has none): those export a copy."""
        a = self._data
        if not a.flags.writeable or min(a.strides, default=0) < 0:
            a = np.array(a, order="C")
        return a.__dlpack__(**kwargs)

    def __dlpack_device__(self) -> tuple[int, int]:
        return (1, 0)  # kDLCPU, device 0: groundup runs on the CPU only

    # --------------------------------------------------------------- backward
    def backward(
        self,
        gradient: Any = None,
        retain_graph: builtins.bool | None = None,
        create_graph: builtins.bool = False,
        inputs: Any = None,
    ) -> None:
        """Accumulate d(self)/d(leaf) into every leaf's `.grad` (only those in `inputs`, when
        given).

        `gradient` is d(loss)/d(self); it may be omitted only for a one-element tensor.
        """
        from groundup import autograd

        autograd.backward(self, gradient, retain_graph, create_graph, inputs=inputs)

    def _seed(self, gradient: Any, op: str) -> np.ndarray:
        """d(loss)/d(self) for a backward pass starting here."""
        if self._view is not None and self._view.stale(self):
            _function.refresh_view(self)
        if not self.requires_grad:
            raise RuntimeError(
                f"{op}: element 0 of tensors does not require grad and does not have a grad_fn; "
                "did you create the inputs with requires_grad=True?"
            )
        if gradient is None:
            if self._data.size != 1:
                raise RuntimeError(
                    f"{op}: grad can be implicitly created only for scalar outputs, "
                    f"got shape {self.shape}; pass gradient= of that shape"
                )
            return np.ones_like(self._data)
        seed = _as_array(gradient, self.dtype)
        if seed.shape != self.shape:
            raise RuntimeError(f"{op}: gradient has shape {seed.shape}, expected {self.shape}")
        return seed

    # -------------------------------------------------------------- operators
    def __add__(self, other: Any) -> Tensor:
        return _ops.add(self, other)

    def __radd__(self, other: Any) -> Tensor:
        return _ops.add(other, self)

    def __sub__(self, other: Any) -> Tensor:
        return _ops.sub(self, other)

    def __rsub__(self, other: Any) -> Tensor:
        return _ops.sub(other, self)

    def __mul__(self, other: Any) -> Tensor:
        return _ops.mul(self, other)

    def __rmul__(self, other: Any) -> Tensor:
        return _ops.mul(other, self)

    def __truediv__(self, other: Any) -> Tensor:
        return _ops.div(self, other)

    def __rtruediv__(self, other: Any) -> Tensor:
        return _ops.div(other, self)

    def __pow__(self, other: Any) -> Tensor:
        return _ops.pow(self, other)

    def __rpow__(self, other: Any) -> Tensor:
        return _ops.pow(other, self)

    def __matmul__(self, other: Any) -> Tensor:
        return _ops.matmul(self, other)

    def __rmatmul__(self, other: Any) -> Tensor:
        return _ops.matmul(other, self)

    def __neg__(self) -> Tensor:
        return _ops.neg(self)

    def __pos__(self) -> Tensor:
        return self

    def __abs__(self) -> Tensor:
        return _ops.abs(self)

    def __getitem__(self, index: Any) -> Tensor:
        return _ops.getitem(self, index)

    def __setitem__(self, index: Any, value: Any) -> None:
        """`x[index] = value`: torch's index_put_, differentiable in x and in value."""
        _inplace.setitem(self, index, value)

    # in-place arithmetic: x += y changes x's memory, as in torch
    def __iadd__(self, other: Any) -> Tensor:
        return _inplace.apply_inplace(self, _ops.add, (other,), {}, "add_")

    def __isub__(self, other: Any) -> Tensor:
        return _inplace.apply_inplace(self, _ops.sub, (other,), {}, "sub_")

    def __imul__(self, other: Any) -> Tensor:
        return _inplace.apply_inplace(self, _ops.mul, (other,), {}, "mul_")

    def __itruediv__(self, other: Any) -> Tensor:
        return _inplace.apply_inplace(self, _ops.div, (other,), {}, "div_")

    def __ifloordiv__(self, other: Any) -> Tensor:
        return _inplace.apply_inplace(self, _ops.floor_divide, (other,), {}, "floor_divide_")

    def __imod__(self, other: Any) -> Tensor:
        return _inplace.apply_inplace(self, _ops.remainder, (other,), {}, "remainder_")

    def __ipow__(self, other: Any) -> Tensor:
        return _inplace.apply_inplace(self, _ops.pow, (other,), {}, "pow_")

    def __iand__(self, other: Any) -> Tensor:
        return _inplace.apply_inplace(self, _ops.bitwise_and, (other,), {}, "bitwise_and_")

    def __ior__(self, other: Any) -> Tensor:
        return _inplace.apply_inplace(self, _ops.bitwise_or, (other,), {}, "bitwise_or_")

    def __ixor__(self, other: Any) -> Tensor:
        return _inplace.apply_inplace(self, _ops.bitwise_xor, (other,), {}, "bitwise_xor_")

    def __floordiv__(self, other: Any) -> Tensor:
        return _ops.floor_divide(self, other)

    def __rfloordiv__(self, other: Any) -> Tensor:
        return _ops.floor_divide(other, self)

    def __mod__(self, other: Any) -> Tensor:
        return _ops.remainder(self, other)

    def __rmod__(self, other: Any) -> Tensor:
        return _ops.remainder(other, self)

    # comparisons give bool tensors and are not differentiable
    def __eq__(self, other: Any) -> Tensor:  # type: ignore[override]
        if not _comparable(other):
            return NotImplemented  # t == None is False, as in torch
        return _ops.eq(self, other)

    def __ne__(self, other: Any) -> Tensor:  # type: ignore[override]
        if not _comparable(other):
            return NotImplemented
        return _ops.ne(self, other)

    def __lt__(self, other: Any) -> Tensor:
        return _ops.lt(self, other)

    def __le__(self, other: Any) -> Tensor:
        return _ops.le(self, other)

    def __gt__(self, other: Any) -> Tensor:
        return _ops.gt(self, other)

    def __ge__(self, other: Any) -> Tensor:
        return _ops.ge(self, other)

    # bitwise on integers and bools, as in torch (logical_and & co. are separate ops)
    def __invert__(self) -> Tensor:
        if self._data.dtype.kind not in "biu":
            raise TypeError(
                f"~ (bitwise_not) is only defined for integer and bool tensors, got {self.dtype}"
            )
        return _ops.bitwise_not(self)

    def __and__(self, other: Any) -> Tensor:
        return _ops.bitwise_and(self, other)

    def __rand__(self, other: Any) -> Tensor:
        return _ops.bitwise_and(other, self)

    def __or__(self, other: Any) -> Tensor:
        return _ops.bitwise_or(self, other)

    def __ror__(self, other: Any) -> Tensor:
        return _ops.bitwise_or(other, self)

    def __xor__(self, other: Any) -> Tensor:
        return _ops.bitwise_xor(self, other)

    def __rxor__(self, other: Any) -> Tensor:
        return _ops.bitwise_xor(other, self)

    # ------------------------------------------------------------ op methods
    def __getattr__(self, name: str) -> Any:
        # t.exp(), t.sum(dim=1), t.view(2, 3), ...: every public op is also a method, and
        # t.exp_() its in-place twin (groundup.inplace), as in torch.
        op = _ops.TENSOR_METHODS.get(name)
        if op is not None:
            return lambda *args, **kwargs: op(self, *args, **kwargs)
        if name.endswith("_") and name[:-1] in _ops.INPLACE:
            op = _ops.TENSOR_METHODS[name[:-1]]
            return lambda *args, **kwargs: _inplace.apply_inplace(self, op, args, kwargs, name)
        raise AttributeError(f"'Tensor' object has no attribute '{name}'")


class _HookHandle:
    """What `register_hook` returns: `remove()` takes the hook away again."""

    def __init__(self, hooks: list[Any], hook: Any) -> None:
        self._hooks, self._hook = hooks, hook

    def remove(self) -> None:
        if self._hook in self._hooks:
            self._hooks.remove(self._hook)


def _comparable(other: Any) -> builtins.bool:
    return isinstance(other, (Tensor, int, float, builtins.bool, np.ndarray, np.generic, list))


def tensor(data: Any, dtype: DTypeLike = None, requires_grad: bool = False) -> Tensor:
    """Build a tensor that owns a copy of `data` (float lists become float32)."""
    return Tensor(data, dtype=dtype, requires_grad=requires_grad)


def _sequence_of_ints(shape: Sequence[Any]) -> tuple[int, ...]:
    """Accept f(2, 3) and f((2, 3)) alike, as torch does."""
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        return tuple(int(s) for s in shape[0])
    return tuple(int(s) for s in shape)


from groundup import device as _device  # noqa: E402
from groundup import function as _function  # noqa: E402  (function.py imports Tensor)
from groundup import inplace as _inplace  # noqa: E402
from groundup import ops as _ops  # noqa: E402  (ops need Tensor defined first)
from groundup import tensor_str as _tensor_str  # noqa: E402
from groundup.ops import layout as _layout  # noqa: E402

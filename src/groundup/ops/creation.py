"""Factories: tensor, as_tensor, from_numpy, zeros, ones, empty, full, eye, the deterministic
`*_like` twins and `Tensor.new_*` (ranges: ops/ranges.py; random: ops/random_factories.py).

Floating results are float32 unless `dtype=` says otherwise (torch's default dtype). Every
factory takes torch's keyword-only `dtype=`, `device=` (the CPU only) and, where torch has
it, `requires_grad=`; `dtype=` is a dtype object (`groundup.float64`, `np.float64`, or a
Python type: `float` is float64, as in torch), never a string.
"""

from __future__ import annotations

import builtins
import warnings
from typing import Any

import numpy as np

from groundup.device import check_device
from groundup.random import default_generator
from groundup.tensor import Tensor, _as_array

_FLOAT = np.dtype(np.float32)
_PYTHON_TYPES = {
    builtins.bool: np.dtype(np.bool_),
    builtins.int: np.dtype(np.int64),
    builtins.float: np.dtype(np.float64),
    builtins.complex: np.dtype(np.complex128),
}


def get_default_dtype() -> np.dtype:
    """The dtype of floating tensors made without `dtype=`: float32."""
    return _FLOAT


def resolve_dtype(dtype: Any, op: str, default: Any = None) -> Any:
    """`dtype=` as a NumPy dtype (`default` when None); a string or another object is a
    TypeError, as in torch."""
    if dtype is None:
        return default
    if isinstance(dtype, np.dtype):
        resolved = dtype
    elif isinstance(dtype, type) and issubclass(dtype, np.generic):
        resolved = np.dtype(dtype)
    elif isinstance(dtype, type) and dtype in _PYTHON_TYPES:
        resolved = _PYTHON_TYPES[dtype]
    else:
        what = f"the string {dtype!r}" if isinstance(dtype, str) else type(dtype).__name__
        raise TypeError(
            f"{op}(): argument 'dtype' must be a dtype such as groundup.float32, not {what}"
        )
    if resolved.kind not in "biufc":
        raise TypeError(f"{op}(): {resolved} is not a tensor dtype")
    return resolved


def _as_int(n: Any, op: str, name: str) -> int:
    if isinstance(n, Tensor) and n.ndim == 0 and n.dtype.kind in "iu":
        return int(n.item())
    if isinstance(n, (int, np.integer)) and not isinstance(n, (bool, np.bool_)):
        return int(n)
    raise TypeError(f"{op}(): argument '{name}' must be int, not {type(n).__name__}")


def _shape(size: Any, op: str) -> tuple[int, ...]:
    """A size given as a tuple or list of non-negative ints."""
    if not isinstance(size, (tuple, list)):
        raise TypeError(
            f"{op}(): argument 'size' must be a tuple of ints, not {type(size).__name__}"
        )
    shape = tuple(_as_int(n, op, "size") for n in size)
    for n in shape:
        if n < 0:
            raise RuntimeError(
                f"{op}(): trying to create a tensor with negative dimension {n}: {list(shape)}"
            )
    return shape


def _size(args: tuple[Any, ...], size: Any, op: str) -> tuple[int, ...]:
    """torch's `*size`: f(2, 3), f((2, 3)), f([2, 3]) or f(size=(2, 3))."""
    if size is not None:
        if args:
            raise TypeError(f"{op}() got multiple values for argument 'size'")
        args = (size,)
    if not args:
        raise TypeError(f'{op}() missing 1 required positional arguments: "size"')
    if len(args) == 1 and isinstance(args[0], (tuple, list)):
        return _shape(args[0], op)
    return _shape(list(args), op)


def _no_out(out: Any, op: str) -> None:
    if out is not None:
        raise TypeError(
            f"{op}(): out= is not supported: groundup ops return new tensors; write "
            f"y = {op}(...) (or y.copy_({op}(...)) to fill an existing tensor)"
        )


def _new(data: np.ndarray, requires_grad: bool) -> Tensor:
    """Wrap a freshly built array (no copy); only floating tensors may require grad."""
    return Tensor._make(data, False).requires_grad_(requires_grad)


def _check(op: str, device: Any, dtype: Any, default: Any = _FLOAT) -> np.dtype:
    check_device(device, op)
    return resolve_dtype(dtype, op, default)


def _rng(generator: Any) -> np.random.Generator:
    """The global generator (`manual_seed`), or a NumPy Generator passed as `generator=`."""
    return default_generator() if generator is None else generator


# ------------------------------------------------------------ from data
def tensor(
    data: Any,
    *,
    dtype: Any = None,
    device: Any = None,
    requires_grad: bool = False,
    pin_memory: bool = False,
) -> Tensor:
    """A tensor that owns a copy of `data` (a number, nested lists, an array or a tensor).

    Python floats become float32, ints int64, bools bool; a NumPy array keeps its dtype.
    """
    dt = _check("tensor", device, dtype, None)
    if isinstance(data, Tensor):
        warnings.warn(
            "To copy construct from a tensor, it is recommended to use "
            "sourceTensor.detach().clone() or "
            "sourceTensor.detach().clone().requires_grad_(True), rather than "
            "groundup.tensor(sourceTensor).",
            UserWarning,
            stacklevel=2,
        )
        array = data._data.astype(data.dtype if dt is None else dt)
    else:
        try:
            array = _as_array(data, dt)
        except ValueError as error:
            raise ValueError(f"tensor(): data of inconsistent shape ({error})") from None
        if array.dtype.kind not in "biufc":
            raise TypeError(f"tensor(): invalid data type '{type(data).__name__}'")
    return _new(array, requires_grad)


def as_tensor(data: Any, dtype: Any = None, device: Any = None) -> Tensor:
    """Like `tensor`, but without a copy when it can: a tensor of the right dtype is returned
    as it is, and a NumPy array of the right dtype is shared (changes show on both sides)."""
    dt = _check("as_tensor", device, dtype, None)
    if isinstance(data, Tensor):
        return data if dt is None else data.to(dt)
    if isinstance(data, np.ndarray) and (dt is None or data.dtype == dt):
        return Tensor._make(data, False)
    return tensor(data, dtype=dt)


def from_numpy(array: np.ndarray) -> Tensor:
    """Share `array`'s memory, as torch.from_numpy does (float64 stays float64)."""
    if not isinstance(array, np.ndarray):
        raise TypeError(f"from_numpy: expected a numpy.ndarray, got {type(array).__name__}")
    return Tensor._make(array, False)


# ------------------------------------------------------------ filled
def zeros(
    *args: Any,
    size: Any = None,
    out: Any = None,
    dtype: Any = None,
    device: Any = None,
    requires_grad: bool = False,
) -> Tensor:
    _no_out(out, "zeros")
    dt = _check("zeros", device, dtype)
    return _new(np.zeros(_size(args, size, "zeros"), dtype=dt), requires_grad)


def ones(
    *args: Any,
    size: Any = None,
    out: Any = None,
    dtype: Any = None,
    device: Any = None,
    requires_grad: bool = False,
) -> Tensor:
    _no_out(out, "ones")
    dt = _check("ones", device, dtype)
    return _new(np.ones(_size(args, size, "ones"), dtype=dt), requires_grad)


def empty(
    *args: Any,
    size: Any = None,
    out: Any = None,
    dtype: Any = None,
    device: Any = None,
    requires_grad: bool = False,
) -> Tensor:
    """Uninitialized memory (whatever it held before): fill it before reading it."""
    _no_out(out, "empty")
    dt = _check("empty", device, dtype)
    return _new(np.empty(_size(args, size, "empty"), dtype=dt), requires_grad)


def _fill_dtype(fill_value: Any) -> np.dtype:
    """full()'s dtype from the value: bool, int64, or the default float."""
    if isinstance(fill_value, (bool, np.bool_)):
        return np.dtype(np.bool_)
    if isinstance(fill_value, (int, np.integer)):
        return np.dtype(np.int64)
    if isinstance(fill_value, (complex, np.complexfloating)):
        return np.dtype(np.complex64)
    return _FLOAT


def _fill_value(fill_value: Any, op: str) -> Any:
    if isinstance(fill_value, Tensor):
        if fill_value.numel() != 1:
            raise RuntimeError(f"{op}(): fill_value must be a number or a 1-element tensor")
        return fill_value.item()
    return fill_value.item() if isinstance(fill_value, np.generic) else fill_value


def full(
    size: Any,
    fill_value: Any,
    *,
    out: Any = None,
    dtype: Any = None,
    device: Any = None,
    requires_grad: bool = False,
) -> Tensor:
    """A tensor of `size` filled with `fill_value`; the dtype follows the value (bool, int64
    or float32) unless given."""
    _no_out(out, "full")
    value = _fill_value(fill_value, "full")
    dt = _check("full", device, dtype, _fill_dtype(value))
    return _new(np.full(_shape(size, "full"), value, dtype=dt), requires_grad)


def eye(
    n: int,
    m: int | None = None,
    *,
    out: Any = None,
    dtype: Any = None,
    device: Any = None,
    requires_grad: bool = False,
) -> Tensor:
    """The n x m matrix with ones on the diagonal (m defaults to n)."""
    _no_out(out, "eye")
    dt = _check("eye", device, dtype)
    n = _as_int(n, "eye", "n")
    m = n if m is None else _as_int(m, "eye", "m")
    for name, value in (("n", n), ("m", m)):
        if value < 0:
            raise RuntimeError(f"eye(): {name} must be greater or equal to 0, got {value}")
    return _new(np.eye(n, m, dtype=dt), requires_grad)


# ------------------------------------------------------------ *_like
def _like(input: Any, op: str, device: Any, dtype: Any) -> tuple[tuple[int, ...], np.dtype]:  # noqa: A002
    if not isinstance(input, Tensor):
        raise TypeError(f"{op}(): argument 'input' must be Tensor, not {type(input).__name__}")
    return input.shape, _check(op, device, dtype, input.dtype)


def zeros_like(
    input: Tensor,
    *,
    dtype: Any = None,
    device: Any = None,
    requires_grad: bool = False,  # noqa: A002
) -> Tensor:
    shape, dt = _like(input, "zeros_like", device, dtype)
    return _new(np.zeros(shape, dtype=dt), requires_grad)


def ones_like(
    input: Tensor,
    *,
    dtype: Any = None,
    device: Any = None,
    requires_grad: bool = False,  # noqa: A002
) -> Tensor:
    shape, dt = _like(input, "ones_like", device, dtype)
    return _new(np.ones(shape, dtype=dt), requires_grad)


def empty_like(
    input: Tensor,
    *,
    dtype: Any = None,
    device: Any = None,
    requires_grad: bool = False,  # noqa: A002
) -> Tensor:
    shape, dt = _like(input, "empty_like", device, dtype)
    return _new(np.empty(shape, dtype=dt), requires_grad)


def full_like(
    input: Tensor,  # noqa: A002
    fill_value: Any,
    *,
    dtype: Any = None,
    device: Any = None,
    requires_grad: bool = False,
) -> Tensor:
    """`input`'s shape and dtype filled with `fill_value` (cast to the dtype: 2.7 -> 2)."""
    shape, dt = _like(input, "full_like", device, dtype)
    value = _fill_value(fill_value, "full_like")
    return _new(np.full(shape, value, dtype=dt), requires_grad)


# ------------------------------------------------------------ Tensor.new_*
def new_tensor(
    self: Tensor, data: Any, *, dtype: Any = None, device: Any = None, requires_grad: bool = False
) -> Tensor:
    """A tensor of `data` with this tensor's dtype (unless `dtype=` says otherwise)."""
    return tensor(
        data,
        dtype=self.dtype if dtype is None else dtype,
        device=device,
        requires_grad=requires_grad,
    )


def new_zeros(
    self: Tensor,
    *args: Any,
    size: Any = None,
    dtype: Any = None,
    device: Any = None,
    requires_grad: bool = False,
) -> Tensor:
    return zeros(
        *args,
        size=size,
        dtype=self.dtype if dtype is None else dtype,
        device=device,
        requires_grad=requires_grad,
    )


def new_ones(
    self: Tensor,
    *args: Any,
    size: Any = None,
    dtype: Any = None,
    device: Any = None,
    requires_grad: bool = False,
) -> Tensor:
    return ones(
        *args,
        size=size,
        dtype=self.dtype if dtype is None else dtype,
        device=device,
        requires_grad=requires_grad,
    )


def new_empty(
    self: Tensor,
    *args: Any,
    size: Any = None,
    dtype: Any = None,
    device: Any = None,
    requires_grad: bool = False,
) -> Tensor:
    return empty(
        *args,
        size=size,
        dtype=self.dtype if dtype is None else dtype,
        device=device,
        requires_grad=requires_grad,
    )


def new_full(
    self: Tensor,
    size: Any,
    fill_value: Any,
    *,
    dtype: Any = None,
    device: Any = None,
    requires_grad: bool = False,
) -> Tensor:
    return full(
        size,
        fill_value,
        dtype=self.dtype if dtype is None else dtype,
        device=device,
        requires_grad=requires_grad,
    )

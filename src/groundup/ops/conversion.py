"""Conversions: `.to()` in torch's call forms, the dtype shorthands (`.float()`, `.long()`,
...), `.type()`, `.cpu()`/`.cuda()`, `.numpy()`, `.element_size()`, and `Tensor.new_*`.

A cast between floating dtypes stays in the graph: its backward casts the gradient back
(float64 -> float32 -> loss gives the float64 leaf a float64 gradient). A cast to an integer
or bool dtype leaves the graph, as in torch (requires_grad is False).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from groundup.device import _TYPES, check_device, device
from groundup.function import torch_type_name
from groundup.ops.creation import (
    new_empty,
    new_full,
    new_ones,
    new_tensor,
    new_zeros,
    resolve_dtype,
)
from groundup.ops.elementwise import cast, clone
from groundup.tensor import Tensor

__all__: list[str] = []

INPLACE: frozenset[str] = frozenset()


def _is_dtype(x: Any) -> bool:
    """A dtype as torch code passes one: groundup.float32, np.float32, or float/int/bool."""
    if isinstance(x, np.dtype):
        return True
    return isinstance(x, type) and (issubclass(x, np.generic) or x in (bool, int, float, complex))


def _invalid(args: tuple[Any, ...], kwargs: dict[str, Any]) -> TypeError:
    parts = [type(a).__name__ for a in args] + [
        f"{k}={type(v).__name__}" for k, v in kwargs.items()
    ]
    return TypeError(
        f"to() received an invalid combination of arguments - got ({', '.join(parts)})"
    )


def _parse_to(args: tuple[Any, ...], kwargs: dict[str, Any]) -> tuple[Any, Any, bool]:
    """(device, dtype, copy) from to(dtype, ...), to(device, dtype, ...), to(other, ...)."""
    rest, device_arg, dtype = list(args), None, None
    if rest and isinstance(rest[0], Tensor):
        dtype = rest.pop(0).dtype  # (its device is the CPU)
    elif rest and _is_dtype(rest[0]):
        dtype = rest.pop(0)
    elif rest and (rest[0] is None or isinstance(rest[0], (str, device, int))):
        device_arg = rest.pop(0)
        if rest and _is_dtype(rest[0]):
            dtype = rest.pop(0)
    flags = dict(zip(("non_blocking", "copy"), rest, strict=False))
    if len(rest) > 2 or not all(isinstance(v, bool) for v in rest):
        raise _invalid(args, kwargs)
    for key, value in kwargs.items():
        taken = {"dtype": dtype, "device": device_arg}.get(key, flags.get(key))
        if key not in ("dtype", "device", "non_blocking", "copy", "memory_format"):
            raise TypeError(f"to() got an unexpected keyword argument '{key}'")
        if taken is not None:
            raise _invalid(args, kwargs)
        if key == "dtype":
            dtype = value
        elif key == "device":
            device_arg = value
        elif key != "memory_format":
            flags[key] = value
    return device_arg, dtype, bool(flags.get("copy", False))


def to(self: Tensor, *args: Any, **kwargs: Any) -> Tensor:
    """Convert to a dtype (and/or the CPU device), as torch's `.to`:

        x.to(gu.float64)   x.to("cpu")   x.to("cpu", gu.float64)   x.to(other)
        x.to(device="cpu", dtype=gu.float64)   x.to(gu.float32, copy=True)

    Returns `self` when nothing changes (unless copy=True). A dtype is an object, not a
    string: x.to("float32") means a device called "float32" (an error, as in torch).
    """
    device_arg, dtype, copy = _parse_to(args, kwargs)
    if isinstance(device_arg, str) and device_arg.partition(":")[0] not in _TYPES:
        try:
            is_dtype_name = np.dtype(device_arg).kind in "biufc"
        except TypeError:
            is_dtype_name = False
        if is_dtype_name:
            raise RuntimeError(
                f"to(): {device_arg!r} is read as a device string, and it is not a device; "
                f"for a dtype pass the dtype object: x.to(groundup.{device_arg})"
            )
    check_device(device_arg, "to")
    dt = resolve_dtype(dtype, "to", self.dtype)
    if dt == self.dtype:
        return clone(self) if copy else self
    return cast(self, dt)


def cpu(self: Tensor, memory_format: Any = None) -> Tensor:
    """This tensor: it is on the CPU already (the only device)."""
    return self


def cuda(self: Tensor, device: Any = None, non_blocking: bool = False) -> Tensor:
    raise RuntimeError(
        "cuda(): no GPU is available: groundup runs on the CPU only; keep tensors on the CPU "
        "(check groundup.cuda.is_available() before moving anything)"
    )


_TYPE_STRINGS = {
    f"torch.{torch_type_name(d)}": np.dtype(d)
    for d in (np.float16, np.float32, np.float64, np.int8, np.uint8, np.int16, np.int32, np.int64)
}
_TYPE_STRINGS["torch.BoolTensor"] = np.dtype(np.bool_)


def type_(self: Tensor, dtype: Any = None, non_blocking: bool = False) -> Any:
    """With no dtype: torch's type name, e.g. 'torch.FloatTensor'. With a dtype (or such a
    name): the tensor converted to it (`self` when it has that dtype already)."""
    if dtype is None:
        return f"torch.{torch_type_name(self.dtype)}"
    if isinstance(dtype, str):
        if dtype.startswith("torch.cuda."):
            raise RuntimeError(
                f"type({dtype!r}): no GPU is available: groundup runs on the CPU only; use "
                f"{dtype.replace('torch.cuda.', 'torch.')!r}"
            )
        if dtype not in _TYPE_STRINGS:
            raise ValueError(f"invalid type: {dtype!r} (expected a name like 'torch.FloatTensor')")
        dtype = _TYPE_STRINGS[dtype]
    return to(self, resolve_dtype(dtype, "type"))


def type_as(self: Tensor, other: Tensor) -> Tensor:
    """This tensor in `other`'s dtype."""
    return to(self, other.dtype)


def _caster(dtype: Any, name: str) -> Any:
    def convert(self: Tensor, memory_format: Any = None) -> Tensor:
        return to(self, dtype)

    convert.__name__ = name
    convert.__doc__ = f"self.to({np.dtype(dtype).name})"
    return convert


def bfloat16(self: Tensor, memory_format: Any = None) -> Tensor:
    raise RuntimeError(
        "bfloat16(): NumPy has no bfloat16 dtype, so groundup cannot store one; use half() "
        "(float16) or float() (float32)"
    )


def numpy(self: Tensor, *, force: bool = False) -> np.ndarray:
    """The underlying array, shared (not copied): changing one changes the other.

    Like torch, a tensor that requires grad refuses (the array would escape the graph
    unnoticed); `x.detach().numpy()` says that this is intended, and so does force=True.
    """
    if self.requires_grad and not force:
        raise RuntimeError(
            "Can't call numpy() on Tensor that requires grad. Use tensor.detach().numpy() instead."
        )
    return self._data


def element_size(self: Tensor) -> int:
    """Bytes per element (4 for float32)."""
    return int(self._data.itemsize)


def is_floating_point(self: Tensor) -> bool:
    return self._data.dtype.kind == "f"


def is_complex(self: Tensor) -> bool:
    return self._data.dtype.kind == "c"


METHODS = {
    "to": to,
    "cpu": cpu,
    "cuda": cuda,
    "type": type_,
    "type_as": type_as,
    "half": _caster(np.float16, "half"),
    "float": _caster(np.float32, "float"),
    "double": _caster(np.float64, "double"),
    "bfloat16": bfloat16,
    "char": _caster(np.int8, "char"),
    "byte": _caster(np.uint8, "byte"),
    "short": _caster(np.int16, "short"),
    "int": _caster(np.int32, "int"),
    "long": _caster(np.int64, "long"),
    "bool": _caster(np.bool_, "bool"),
    "numpy": numpy,
    "element_size": element_size,
    "is_floating_point": is_floating_point,
    "is_complex": is_complex,
    "new_tensor": new_tensor,
    "new_zeros": new_zeros,
    "new_ones": new_ones,
    "new_empty": new_empty,
    "new_full": new_full,
}

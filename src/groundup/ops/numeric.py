"""What the elementwise op families share: torch's type promotion (the dtype an op on mixed
operands computes in), casts, and the few kernels where torch's arithmetic differs from
NumPy's (fused multiply-add, rounded division, integer division by zero).

`ops.elementwise` re-exports the promotion helpers, so `from groundup.ops.elementwise import
cast, promote_types` keeps working.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from groundup.function import Function, torch_type_name
from groundup.tensor import Tensor

# A decorator: inf and nan are ordinary results (log(0), 1/0, 0/0), as in torch, so no
# NumPy warnings. (Only as a decorator: one np.errstate object cannot be entered twice.)
quiet = np.errstate(divide="ignore", invalid="ignore", over="ignore")


# ------------------------------------------------------------------ type promotion
def _category(dtype: np.dtype) -> int:
    """torch's promotion categories: bool < integer < floating."""
    return 0 if dtype == np.bool_ else 1 if dtype.kind in "iu" else 2


def promote_types(da: np.dtype, db: np.dtype) -> np.dtype:
    """torch.promote_types: the higher category wins (int64 with float32 -> float32, where
    NumPy would say float64); within a category, the wider type."""
    if da == db:
        return da
    ca, cb = _category(da), _category(db)
    if ca != cb:
        return da if ca > cb else db
    return np.promote_types(da, db)


def result_dtype(a: Tensor, b: Tensor) -> np.dtype:
    """torch.result_type for two tensors: as `promote_types`, except that within a category
    a tensor with dims beats a 0-d one (float32 matrix * float64 0-d tensor -> float32)."""
    da, db = a._data.dtype, b._data.dtype
    zero_dim_a, zero_dim_b = a._data.ndim == 0, b._data.ndim == 0
    if zero_dim_a != zero_dim_b and da != db and _category(da) == _category(db):
        return db if zero_dim_a else da
    return promote_types(da, db)


def _number_dtype(x: Any) -> np.dtype:
    """The dtype a Python number counts as: bool, int64, or float32 (the default dtype)."""
    return np.dtype(np.bool_ if isinstance(x, bool) else np.int64 if isinstance(x, int) else "f4")


def _combine(higher: np.dtype | None, lower: np.dtype | None) -> np.dtype | None:
    """Fold a lower-priority group's dtype into a higher one's (torch's combine_categories):
    it counts only when it is of a higher category, or when the higher one is bool."""
    if higher is None or lower is None:
        return lower if higher is None else higher
    if higher.kind == "f":
        return higher
    if higher == np.bool_ or lower.kind == "f":
        return promote_types(higher, lower)
    return higher


def result_type(*operands: Any) -> np.dtype:
    """torch.result_type for any mix of tensors, numbers and None (ignored).

    Three groups, by priority: tensors with dims, 0-d tensors, Python numbers (a float counts
    as float32). Within a group the dtypes promote; a lower group changes the result only
    when it is of a higher category (bool < integer < floating): int64 matrix with 0.5 ->
    float32, float32 matrix with a float64 0-d tensor -> float32.
    """
    groups: list[np.dtype | None] = [None, None, None]
    for x in operands:
        if x is None:
            continue
        if isinstance(x, Tensor):
            rank, dtype = (0 if x._data.ndim else 1), x._data.dtype
        else:
            rank, dtype = 2, _number_dtype(x)
        seen = groups[rank]
        groups[rank] = dtype if seen is None else promote_types(seen, dtype)
    result = _combine(groups[0], _combine(groups[1], groups[2]))
    if result is None:
        raise TypeError("result_type: expected at least one tensor or number")
    return result


def _operands(a: Any, b: Any) -> tuple[Any, Any]:
    """Bring two operands to torch's result dtype without ever upcasting float32 by accident.

    Python scalars stay scalars (NumPy keeps the tensor's dtype for them), NumPy scalars
    become Python scalars (np.float64(2) * float32 tensor stays float32, as in torch), arrays
    and lists become constant tensors, an integer tensor meeting a Python float becomes
    float32, and an int outside an integer tensor's range wraps into it. Two tensors whose
    shapes do not broadcast raise torch's RuntimeError.
    """
    a = Tensor(a) if isinstance(a, (np.ndarray, list)) else a
    b = Tensor(b) if isinstance(b, (np.ndarray, list)) else b
    a = a.item() if isinstance(a, np.generic) else a
    b = b.item() if isinstance(b, np.generic) else b
    if isinstance(a, Tensor) and isinstance(b, Tensor):
        if a._data.shape != b._data.shape:
            broadcast_shape(a, b)
        if a._data.dtype != b._data.dtype:
            dtype = result_dtype(a, b)
            a, b = cast(a, dtype), cast(b, dtype)
        return a, b
    for x, y in ((a, b), (b, a)):
        if not isinstance(x, Tensor):
            continue
        if isinstance(y, float) and x._data.dtype.kind in "biu":
            x_float = x.to(np.float32)
            return (x_float, b) if x is a else (a, x_float)
        wrapped = wrap_number(y, x._data.dtype)
        if wrapped is not y:
            return (a, wrapped) if x is a else (wrapped, b)
    return a, b


def wrap_number(x: Any, dtype: np.dtype) -> Any:
    """A Python int outside an integer dtype's range wraps around into it, as torch casts
    numbers (uint8 tensor + -3 adds 253); anything else unchanged."""
    if isinstance(x, int) and not isinstance(x, bool) and dtype.kind in "iu":
        info = np.iinfo(dtype)
        if not info.min <= x <= info.max:
            return np.array(x).astype(dtype).item()
    return x


def broadcast_shape(*operands: Any) -> tuple[int, ...]:
    """The shape the tensors among `operands` broadcast to, or torch's RuntimeError."""
    shapes = [x.shape for x in operands if isinstance(x, Tensor)]
    try:
        return np.broadcast_shapes(*shapes)
    except ValueError:
        pass
    ndim = max(len(s) for s in shapes)
    padded = [(1,) * (ndim - len(s)) + tuple(s) for s in shapes]
    for dim in range(ndim):
        sizes = [s[dim] for s in padded if s[dim] != 1]
        if len(set(sizes)) > 1:
            raise RuntimeError(
                f"The size of tensor a ({sizes[0]}) must match the size of tensor b "
                f"({sizes[1]}) at non-singleton dimension {dim}; shapes "
                f"{', '.join(str(list(s)) for s in shapes)} do not broadcast"
            )
    raise AssertionError("unreachable: NumPy and this check disagree on broadcasting")


def raw(x: Any) -> Any:
    """The array of a tensor; anything else unchanged."""
    return x._data if isinstance(x, Tensor) else x


def operands_dtype(a: Any, b: Any) -> np.dtype:
    """The dtype of an op on `_operands(a, b)` (a Python number takes the tensor's dtype)."""
    return np.result_type(raw(a), raw(b))


def _floating(a: Tensor) -> Tensor:
    """exp/log/sqrt of an integer tensor is float32, as in torch."""
    return a if a._data.dtype.kind == "f" else a.to(np.float32)


def float_operands(a: Any, b: Any) -> tuple[Any, Any]:
    """Operands of an op that computes in floating point (true division, atan2, ...): as
    `_operands`, except that when the result type is an integer or bool, each operand becomes
    float32 directly, keeping its value (uint8 [3] / int64 0-d -2 divides by -2.0, where a
    cast to the result type uint8 would make it 254)."""
    a, b = (x.item() if isinstance(x, np.generic) else x for x in (a, b))
    a, b = (Tensor(x) if isinstance(x, (np.ndarray, list)) else x for x in (a, b))
    if result_type(a, b).kind == "f":
        return _operands(a, b)
    return _floating(a) if isinstance(a, Tensor) else float(a), (
        _floating(b) if isinstance(b, Tensor) else float(b)
    )


def require_tensor(x: Any, op: str, name: str, position: int) -> None:
    """torch's TypeError when an argument must be a tensor (a Python number is not)."""
    if not isinstance(x, Tensor):
        raise TypeError(
            f"{op}(): argument '{name}' (position {position}) must be Tensor, not "
            f"{type(x).__name__}; wrap numbers with groundup.tensor(...)"
        )


def unsupported(op: str, dtype: np.dtype) -> NotImplementedError:
    """torch's NotImplementedError for a dtype an op has no kernel for ("abs" of a bool)."""
    # imported here: ops.activation is still importing when tensor.py first imports the ops
    from groundup.ops.activation import UnsupportedDtypeError

    name = torch_type_name(dtype).removesuffix("Tensor")
    return UnsupportedDtypeError(
        f'"{op}" not implemented for \'{name}\'; convert the tensor first (x.float(), x.long())'
    )


def sign_of(a: Any) -> Any:
    """torch's sign: (0 < a) - (a < 0), so 0 for nan and +0.0 for -0.0 (np.sign gives nan
    and -0.0)."""
    a = np.asarray(a)
    return np.subtract(a > 0, a < 0, dtype=a.dtype)


class Cast(Function):
    saves = ()

    def forward(self, a: np.ndarray, dtype: np.dtype) -> np.ndarray:
        return a.astype(dtype)

    def backward(self, grad: np.ndarray) -> tuple[Any, None]:
        return grad, None  # the engine casts back to the input dtype


def cast(a: Tensor, dtype: np.dtype) -> Tensor:
    """Convert to `dtype`; only a floating result stays in the graph (as torch's `.to`)."""
    dtype = np.dtype(dtype)
    if a._data.dtype == dtype:
        return a
    if dtype.kind != "f":
        return Tensor._make(a._data.astype(dtype), False)
    return Cast.apply(a, dtype)


# ------------------------------------------------------------------ shared kernels
def fused_multiply_add(x: Any, y: Any, z: Any, dtype: np.dtype) -> Any:
    """x * y + z rounded once, as torch's CPU kernels compute add(alpha=), lerp and addcmul
    (a fused multiply-add), with numbers first rounded to `dtype` as torch's kernels do.

    float32 products are exact in float64, so computing in float64 and rounding once gives
    torch's float32 result; float64 rounds twice (NumPy has no fused multiply-add), which
    can differ from torch in the last bit.
    """
    x, y, z = (np.asarray(v).astype(dtype, copy=False) for v in (x, y, z))
    if dtype.kind == "f" and dtype.itemsize < 8:
        return (x.astype(np.float64) * y + z).astype(dtype)
    return x * y + z


def check_divisor(b: Any, dtype: np.dtype, op: str) -> None:
    """Integer division by zero raises, as in torch (floats give inf or nan)."""
    if dtype.kind in "iu" and np.any(np.asarray(b) == 0):
        raise RuntimeError(
            f"ZeroDivisionError: {op} of an integer tensor by zero; use a float tensor for inf"
        )


@quiet
def divide_rounded(a: Any, b: Any, mode: str) -> Any:
    """a / b rounded toward minus infinity ("floor") or toward zero ("trunc").

    For floats, NumPy's floor_divide is the algorithm torch uses (derived from fmod, so
    that 1.0 // 0.1 == 9.0, as 1.0 % 0.1 ~ 0.1 says), and a zero divisor gives a / b.
    """
    if np.result_type(a, b).kind == "f":
        return np.floor_divide(a, b) if mode == "floor" else np.trunc(np.divide(a, b))
    floor = np.floor_divide(a, b)
    if mode == "floor":
        return floor
    # integer trunc: one more than floor where the division is inexact and the signs differ
    inexact = np.fmod(a, b) != 0
    return floor + (inexact & ((np.asarray(a) < 0) != (np.asarray(b) < 0)))

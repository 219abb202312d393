"""What the linear-algebra ops (ops/linalg_*.py) share: torch's input checks and errors,
several outputs from one Function, and the LAPACK routines NumPy does not expose.

Several outputs. `Function.apply` returns one array, so an op with several outputs (svd's
U, S, Vh) subclasses `MultiOutput`: its forward returns them side by side in one array of
shape (*batch, total), `outputs()` hands each out as a tensor of its own (a copy, through
`Take`), and its backward receives the packed gradient and splits it with `unpack` (the
gradient of an output the loss does not use arrives as zeros; ops whose formula divides by
eigenvalue gaps treat an all-zero gradient as torch treats a missing one). Integer outputs
(LU pivots, the info codes of the `_ex` ops) carry no gradient: forward writes them into the
`extra` dict it is passed.

LAPACK. NumPy's batched routines (inv, solve, cholesky, eigh, svd, qr) cover the usual case;
LU with its pivots (getrf), the failure index of a Cholesky factorization (potrf) and
triangular solves (trsm, which like torch does not check for a zero diagonal) come from
SciPy's wrappers of the same LAPACK/BLAS routines, one matrix at a time.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from groundup._lazy import linalg as scipy_linalg
from groundup.errors import UnsupportedDtypeError
from groundup.function import Function, torch_type_name
from groundup.tensor import Tensor


class LinAlgError(RuntimeError):
    """torch.linalg.LinAlgError: the input is numerically unfit for the op (a singular matrix
    for inv or solve, one that is not positive-definite for cholesky). A RuntimeError."""


# ------------------------------------------------------------------------ input checks
def type_name(dtype: Any) -> str:
    """torch's name for a scalar type: float32 -> Float, int64 -> Long."""
    return torch_type_name(dtype).removesuffix("Tensor")


def check_tensor(op: str, t: Any, name: str) -> None:
    if not isinstance(t, Tensor):
        raise TypeError(f"{op}(): argument '{name}' must be Tensor, not {type(t).__name__}")


def check_dtype(op: str, t: Tensor, name: str = "A", kind: str = "float") -> None:
    """float32 and float64 pass. The others fail as in torch, by `kind`:
    'float': integers are a RuntimeError, float16 has no kernel (NotImplementedError);
    'lapack': both are RuntimeErrors; 'kernel': both have no kernel; 'half': float16 passes;
    'any': every dtype passes."""
    dtype = t._data.dtype
    if kind == "any" or dtype in (np.float32, np.float64) or (kind, dtype) == ("half", np.float16):
        return
    got = type_name(dtype)
    if kind == "kernel" or (kind == "float" and dtype == np.float16):
        raise UnsupportedDtypeError(
            f"{op}: not implemented for '{got}'; use a float32 or float64 tensor ({name}.double())"
        )
    if dtype == np.float16:
        raise RuntimeError(
            f"{op}: Low precision dtypes not supported. Got Half; use float32 or float64 "
            f"({name}.float())"
        )
    raise RuntimeError(
        f"{op}: Expected a floating point or complex tensor as input. Got {got}; convert it "
        f"first ({name}.double())"
    )


def check_matrix(
    op: str, A: Any, name: str = "A", *, square: bool = True, kind: str = "float"
) -> None:
    """A tensor of matrices (..., m, n) of a supported dtype; square unless told otherwise."""
    check_tensor(op, A, name)
    check_dtype(op, A, name, kind)
    if A.ndim < 2:
        raise RuntimeError(f"{op}: The input tensor {name} must have at least 2 dimensions.")
    if square and A.shape[-1] != A.shape[-2]:
        raise RuntimeError(
            f"{op}: {name} must be batches of square matrices, but they are {A.shape[-2]} by "
            f"{A.shape[-1]} matrices"
        )


def check_same_dtype(op: str, A: Tensor, B: Tensor, names: str = "AB") -> None:
    if A.dtype != B.dtype:
        a, b = names[0], names[1]
        raise RuntimeError(
            f"{op}: Expected {a} and {b} to have the same dtype, but found {a} of type "
            f"{type_name(A.dtype)} and {b} of type {type_name(B.dtype)} instead; cast one "
            f"({b}.to({a}.dtype))"
        )


def batch_shape(op: str, *shapes: tuple[int, ...]) -> tuple[int, ...]:
    """The broadcast of the batch dims, with a RuntimeError when they do not broadcast."""
    try:
        return tuple(np.broadcast_shapes(*shapes))
    except ValueError:
        raise RuntimeError(
            f"{op}: the batch dims {' and '.join(str(tuple(s)) for s in shapes)} do not "
            "broadcast (each pair must be equal or 1)"
        ) from None


def first_failure(info: np.ndarray) -> tuple[str, int] | None:
    """(torch's "(Batch element i): " prefix, the info code) of the first failed matrix."""
    flat = info.reshape(-1)
    bad = np.flatnonzero(flat)
    if bad.size == 0:
        return None
    i = int(bad[0])
    return (f"(Batch element {i}): " if info.ndim else ""), int(flat[i])


def swap(a: np.ndarray) -> np.ndarray:
    """The transpose of each matrix (a view)."""
    return np.swapaxes(a, -1, -2)


# ------------------------------------------------------------------- several outputs
class Take(Function):
    """One output of a `MultiOutput` op: packed[..., start:stop] reshaped to `shape` (a copy).
    Its gradient is zeros with that slice filled; the engine sums the slices of all outputs
    into the packed gradient."""

    saves = ()

    def forward(self, packed: np.ndarray, start: int, stop: int, shape: tuple) -> np.ndarray:
        self.packed_shape, self.start, self.stop = packed.shape, start, stop
        return packed[..., start:stop].copy().reshape(shape)

    def backward(self, grad: np.ndarray) -> tuple[Any, None, None, None]:
        g = np.zeros(self.packed_shape, grad.dtype)
        g[..., self.start : self.stop] = grad.reshape(g.shape[:-1] + (self.stop - self.start,))
        return g, None, None, None

    def __repr__(self) -> str:  # an output's grad_fn is named after the op: <SVDBackward>
        producer = self.next_functions[0] if self.next_functions else None
        return repr(producer) if producer is not None else super().__repr__()


class MultiOutput(Function):
    """A Function whose forward returns `self.pack(extra, nbatch, *outputs)`."""

    shapes: list[tuple[int, ...]]

    def pack(self, extra: dict, nbatch: int, *arrays: np.ndarray) -> np.ndarray:
        """The outputs (each of shape (*batch, ...)) flattened side by side: (*batch, total)."""
        batch = arrays[0].shape[:nbatch]
        self.shapes = extra["shapes"] = [a.shape for a in arrays]
        extra["nbatch"] = nbatch
        flat = [a.reshape(batch + (math.prod(a.shape[nbatch:]),)) for a in arrays]
        return np.concatenate(flat, axis=-1)

    def unpack(self, grad: np.ndarray) -> list[np.ndarray]:
        """The packed gradient split back into one gradient per output."""
        out, start = [], 0
        nbatch = grad.ndim - 1
        for shape in self.shapes:
            size = math.prod(shape[nbatch:])
            out.append(grad[..., start : start + size].reshape(shape))
            start += size
        return out


def outputs(cls: type[MultiOutput], *args: Any) -> tuple[tuple[Tensor, ...], dict]:
    """Run a MultiOutput op: its outputs as separate tensors, and its `extra` dict."""
    extra: dict[str, Any] = {}
    packed = cls.apply(*args, extra)
    tensors, start = [], 0
    for shape in extra["shapes"]:
        size = math.prod(shape[extra["nbatch"] :])
        tensors.append(Take.apply(packed, start, start + size, shape))
        start += size
    return tuple(tensors), extra


def unused(g: np.ndarray) -> bool:
    """An all-zero gradient: the output is not used (torch's undefined gradient)."""
    return not g.any()


# --------------------------------------------------------------------------- LAPACK
def getrf(a: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """LU with partial pivoting of each (..., m, n): (LU, 0-based pivots (..., k), info).
    info > 0 is the 1-based index of the first zero on U's diagonal."""
    batch, (m, n) = a.shape[:-2], a.shape[-2:]
    lu = np.array(a, copy=True)
    piv = np.zeros(batch + (min(m, n),), np.int32)
    info = np.zeros(batch, np.int32)
    if lu.size:
        (routine,) = scipy_linalg.get_lapack_funcs(("getrf",), dtype=a.dtype)
        for i in np.ndindex(batch):
            lu[i], piv[i], info[i] = routine(a[i])
    return lu, piv, info


def getrs(lu: np.ndarray, piv: np.ndarray, b: np.ndarray, trans: bool = False) -> np.ndarray:
    """X with A X = B (A^T X = B) from getrf's factors; no check for a zero pivot, so a
    singular A gives inf and nan (what torch's _ex ops return)."""
    out = np.array(np.broadcast_to(b, lu.shape[:-2] + b.shape[-2:]), copy=True)
    if out.size:
        (routine,) = scipy_linalg.get_lapack_funcs(("getrs",), dtype=lu.dtype)
        for i in np.ndindex(lu.shape[:-2]):
            out[i] = routine(lu[i], piv[i], out[i], trans=int(trans))[0]
    return out


def svd(a: np.ndarray, **kwargs: Any) -> Any:
    """np.linalg.svd, failing as torch does on inf/nan (LAPACK does not converge)."""
    try:
        return np.linalg.svd(a, **kwargs)
    except np.linalg.LinAlgError:
        raise LinAlgError(
            "linalg.svd: The algorithm failed to converge because the input matrix contained "
            "non-finite values."
        ) from None


def potrf(a: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The lower Cholesky factor of each matrix (reading the lower triangle) and info: the
    order of the first leading minor that is not positive-definite (0: success)."""
    try:
        low = np.linalg.cholesky(a)
        if np.isfinite(low).all():  # NumPy lets nan through; LAPACK's potrf reports it
            return low, np.zeros(a.shape[:-2], np.int32)
        raise np.linalg.LinAlgError
    except np.linalg.LinAlgError:  # find which matrices failed, and where
        out = np.zeros_like(a)
        info = np.zeros(a.shape[:-2], np.int32)
        (routine,) = scipy_linalg.get_lapack_funcs(("potrf",), dtype=a.dtype)
        for i in np.ndindex(a.shape[:-2]):
            out[i], info[i] = routine(a[i], lower=1, clean=1)
            if info[i] == 0 and not np.isfinite(out[i]).all():  # nan: as MKL's potrf
                info[i] = int(np.argmax(~np.isfinite(np.diagonal(out[i])))) + 1
        return out, info


def inv_ex(a: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A^{-1} of each matrix and info (> 0: singular, with inf/nan in its inverse)."""
    try:
        return np.linalg.inv(a), np.zeros(a.shape[:-2], np.int32)
    except np.linalg.LinAlgError:
        lu, piv, info = getrf(a)
        return getrs(lu, piv, np.eye(a.shape[-1], dtype=a.dtype)), info


def solve_ex(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """X with A X = B for (..., n, n) and (..., n, k), batch dims broadcast, and info."""
    try:
        x = np.linalg.solve(a, b)
        return x, np.zeros(x.shape[:-2], np.int32)
    except np.linalg.LinAlgError:
        batch = np.broadcast_shapes(a.shape[:-2], b.shape[:-2])
        lu, piv, info = getrf(np.broadcast_to(a, batch + a.shape[-2:]))
        return getrs(lu, piv, b), info


def trsm(
    a: np.ndarray,
    b: np.ndarray,
    *,
    lower: bool,
    left: bool = True,
    unit: bool = False,
    trans: bool = False,
) -> np.ndarray:
    """X with op(A) X = B (left) or X op(A) = B, op(A) = A or A^T, reading only A's lower
    (upper) triangle and, with `unit`, taking its diagonal as ones. Batch dims broadcast.
    BLAS trsm does not check the diagonal: a zero there gives inf and nan, as in torch."""
    batch = np.broadcast_shapes(a.shape[:-2], b.shape[:-2])
    a = np.broadcast_to(a, batch + a.shape[-2:])
    out = np.zeros(batch + b.shape[-2:], np.result_type(a, b))
    if out.size:
        b = np.broadcast_to(b, out.shape)
        (routine,) = scipy_linalg.get_blas_funcs(("trsm",), dtype=out.dtype)
        side, low, tr, diag = int(not left), int(lower), int(trans), int(unit)
        for i in np.ndindex(batch):
            out[i] = routine(1.0, a[i], b[i], side=side, lower=low, trans_a=tr, diag=diag)
    return out


def permutation(piv: np.ndarray, m: int, dtype: Any) -> np.ndarray:
    """The matrix P (..., m, m) with A = P L U from getrf's 0-based pivots: row i of P^T A
    is row perm[i] of A, where perm applies the swaps i <-> piv[i] in order."""
    batch = piv.shape[:-1]
    perm = np.broadcast_to(np.arange(m), batch + (m,)).copy()
    for i in range(piv.shape[-1]):
        j = piv[..., i : i + 1]  # swap perm[i] and perm[piv[i]] in every matrix at once
        pi, pj = perm[..., i : i + 1].copy(), np.take_along_axis(perm, j, -1)
        np.put_along_axis(perm, j, pi, -1)
        perm[..., i : i + 1] = pj
    p = np.zeros(batch + (m, m), dtype)
    np.put_along_axis(p, perm[..., None, :], 1, -2)  # P[perm[j], j] = 1
    return p

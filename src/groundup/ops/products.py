"""Products: mm, bmm, mv, dot, vdot, outer/ger, inner, the fused addmm/addmv/addbmm/baddbmm,
kron, and tensordot (an einsum; einsum is in ops/einsum.py). tensordot and einsum are
functions only, as in torch (groundup/__init__.py imports them; no Tensor method).

mm, bmm, mv and dot are `matmul` with torch's stricter argument checks (exact ranks, one
dtype); the add* ops compute beta * input + alpha * (m1 @ m2) in one Function:

    d input = beta * dC,   d m1 = alpha * dC @ m2^T,   d m2 = alpha * m1^T @ dC
"""

from __future__ import annotations

from typing import Any

import numpy as np

from groundup.function import Function, torch_type_name
from groundup.ops.einsum import Einsum
from groundup.ops.elementwise import mul
from groundup.ops.linalg import MatMul
from groundup.ops.shape import reshape
from groundup.tensor import Tensor

__all__ = [
    "addbmm",
    "addmm",
    "addmv",
    "baddbmm",
    "bmm",
    "dot",
    "ger",
    "inner",
    "kron",
    "mm",
    "mv",
    "outer",
    "vdot",
]

INPLACE: frozenset[str] = frozenset({"addbmm", "addmm", "addmv", "baddbmm"})


def _tensors(op: str, **named: Any) -> None:
    for name, t in named.items():
        if not isinstance(t, Tensor):
            raise TypeError(f"{op}(): argument '{name}' must be Tensor, not {type(t).__name__}")


def _type(dtype: np.dtype) -> str:
    return torch_type_name(dtype).removesuffix("Tensor")


def _same_dtype(op: str, *tensors: Tensor) -> None:
    """torch's products refuse mixed dtypes (no promotion): mm(float32, float64) raises."""
    first = tensors[0].dtype
    for t in tensors[1:]:
        if t.dtype != first:
            raise RuntimeError(
                f"{op}(): expected both arguments to have the same dtype, but got "
                f"{_type(first)} != {_type(t.dtype)}; cast one of them first (b.to(a.dtype))"
            )
    if first == np.bool_:
        raise NotImplementedError(f"{op}(): not implemented for 'Bool'; cast to int or float first")


def _rank(op: str, t: Tensor, ndim: int, name: str) -> None:
    if t.ndim != ndim:
        kind = {1: "a vector (1-D)", 2: "a matrix (2-D)", 3: "a 3D tensor"}[ndim]
        raise RuntimeError(f"{op}(): {name} must be {kind}, got a {t.ndim}-D tensor")


def _check_mm(op: str, m1: Tensor, m2: Tensor) -> None:
    _rank(op, m1, 2, "mat1")
    _rank(op, m2, 2, "mat2")
    if m1.shape[1] != m2.shape[0]:
        raise RuntimeError(
            f"{op}(): mat1 and mat2 shapes cannot be multiplied "
            f"({m1.shape[0]}x{m1.shape[1]} and {m2.shape[0]}x{m2.shape[1]})"
        )


def _check_bmm(op: str, b1: Tensor, b2: Tensor) -> None:
    _rank(op, b1, 3, "batch1")
    _rank(op, b2, 3, "batch2")
    if b2.shape[:2] != (b1.shape[0], b1.shape[2]):
        raise RuntimeError(
            f"{op}(): expected size for first two dimensions of batch2 tensor to be: "
            f"[{b1.shape[0]}, {b1.shape[2]}] but got: {list(b2.shape[:2])}."
        )


def _check_mv(op: str, mat: Tensor, vec: Tensor) -> None:
    _rank(op, mat, 2, "mat")
    _rank(op, vec, 1, "vec")
    if mat.shape[1] != vec.shape[0]:
        raise RuntimeError(
            f"{op}(): size mismatch, got mat ({mat.shape[0]}x{mat.shape[1]}) and vec "
            f"({vec.shape[0]})"
        )


def mm(input: Tensor, mat2: Tensor) -> Tensor:  # noqa: A002
    """(n, m) @ (m, p) -> (n, p); both must be matrices of one dtype."""
    _tensors("mm", input=input, mat2=mat2)
    _check_mm("mm", input, mat2)
    _same_dtype("mm", input, mat2)
    return MatMul.apply(input, mat2)


def bmm(input: Tensor, mat2: Tensor) -> Tensor:  # noqa: A002
    """(b, n, m) @ (b, m, p) -> (b, n, p): one product per batch entry (no broadcasting)."""
    _tensors("bmm", input=input, mat2=mat2)
    _check_bmm("bmm", input, mat2)
    _same_dtype("bmm", input, mat2)
    return MatMul.apply(input, mat2)


def mv(input: Tensor, vec: Tensor) -> Tensor:  # noqa: A002
    """(n, m) @ (m,) -> (n,)."""
    _tensors("mv", input=input, vec=vec)
    _check_mv("mv", input, vec)
    _same_dtype("mv", input, vec)
    return MatMul.apply(input, vec)


def dot(input: Tensor, tensor: Tensor) -> Tensor:  # noqa: A002
    """The inner product of two vectors of one size and dtype: a 0-d tensor."""
    _tensors("dot", input=input, tensor=tensor)
    if input.ndim != 1 or tensor.ndim != 1:
        raise RuntimeError(
            f"dot(): 1D tensors expected, but got {input.ndim}D and {tensor.ndim}D tensors"
        )
    if input.shape != tensor.shape:
        raise RuntimeError(
            f"dot(): inconsistent tensor size, expected tensor [{input.shape[0]}] and src "
            f"[{tensor.shape[0]}] to have the same number of elements"
        )
    _same_dtype("dot", input, tensor)
    return MatMul.apply(input, tensor)


def vdot(input: Tensor, other: Tensor) -> Tensor:  # noqa: A002
    """dot() of conj(input) and other: for real tensors, dot()."""
    return dot(input, other)


def outer(input: Tensor, vec2: Tensor) -> Tensor:  # noqa: A002
    """(n,) x (m,) -> (n, m) with out[i, j] = input[i] * vec2[j] (dtypes promote, as mul)."""
    _tensors("outer", input=input, vec2=vec2)
    for name, v in (("self", input), ("vec2", vec2)):
        if v.ndim != 1:
            raise RuntimeError(f"outer(): Expected 1-D argument {name}, but got {v.ndim}-D")
    return mul(reshape(input, (-1, 1)), reshape(vec2, (1, -1)))


ger = outer


def tensordot(a: Tensor, b: Tensor, dims: Any = 2) -> Tensor:
    """Contract dims of `a` with dims of `b`: dims=k pairs a's last k with b's first k;
    dims=([1, 2], [0, 1]) names them. (2, 3, 4) . (3, 4, 5) with dims=2 -> (2, 5)."""
    _tensors("tensordot", a=a, b=b)
    if isinstance(dims, Tensor):
        dims = dims.item() if dims.ndim == 0 else dims.tolist()
    if isinstance(dims, (int, np.integer)):
        if dims < 0:
            raise RuntimeError(f"tensordot expects dims >= 0, but got dims={dims}")
        if dims > min(a.ndim, b.ndim):
            raise RuntimeError(
                f"tensordot(): dims={dims} is more than the dims of a {a.shape} or b {b.shape}"
            )
        da, db = list(range(a.ndim - dims, a.ndim)), list(range(dims))
    else:
        pair = isinstance(dims, (list, tuple)) and len(dims) == 2
        if not pair or not all(isinstance(d, (list, tuple)) for d in dims):
            raise TypeError(
                f"tensordot(): dims must be an int or two lists of ints, e.g. ([1], [0]), "
                f"got {dims!r}"
            )
        da, db = list(dims[0]), list(dims[1])
        if not all(isinstance(d, (int, np.integer)) for d in da + db):
            raise TypeError("tensordot(): dims must be an int or two lists of ints")
        if len(da) != len(db):
            raise RuntimeError("tensordot(): both dimension lists should have same length")
        da, db = [d % a.ndim for d in da], [d % b.ndim for d in db]
    for i, j in zip(da, db, strict=True):
        if a.shape[i] != b.shape[j]:
            raise RuntimeError(
                f"tensordot(): contracted dimensions need to match, but first has size "
                f"{a.shape[i]} in dim {i} and second has size {b.shape[j]} in dim {j}"
            )
    if a.dtype != b.dtype:
        raise RuntimeError(
            f"tensordot(): both inputs should have same dtype, got {a.dtype} and {b.dtype}"
        )
    # As an einsum: a's dims get letters a.., b's free dims new ones, contracted dims a's.
    letters = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
    sa = letters[: a.ndim]
    sb = list(letters[a.ndim : a.ndim + b.ndim])
    for i, j in zip(da, db, strict=True):
        sb[j] = sa[i]
    out = "".join(c for i, c in enumerate(sa) if i not in da)
    out += "".join(c for j, c in enumerate(sb) if j not in db)
    return Einsum.apply(a, b, equation=f"{sa},{''.join(sb)}->{out}")


def inner(input: Tensor, other: Tensor) -> Tensor:  # noqa: A002
    """Sum over the last dims: (.., n) and (.., n) -> input.shape[:-1] + other.shape[:-1];
    a 0-d argument multiplies."""
    _tensors("inner", input=input, other=other)
    if input.ndim == 0 or other.ndim == 0:
        return mul(input, other)
    if input.shape[-1] != other.shape[-1]:
        raise RuntimeError(
            f"inner() the last dimension must match on both input tensors but got shapes "
            f"{list(input.shape)} and {list(other.shape)}"
        )
    return tensordot(input, other, ([-1], [-1]))


def kron(input: Tensor, other: Tensor) -> Tensor:  # noqa: A002
    """The Kronecker product: each element of `input` times the whole of `other`, in blocks.
    (2, 3) and (4, 5) -> (8, 15); dtypes promote, as mul."""
    _tensors("kron", input=input, other=other)
    n = max(input.ndim, other.ndim)
    sa = (1,) * (n - input.ndim) + input.shape
    sb = (1,) * (n - other.ndim) + other.shape
    # (a0, 1, a1, 1, ...) * (1, b0, 1, b1, ...) -> (a0, b0, a1, b1, ...) -> (a0*b0, a1*b1, ...)
    a = reshape(input, tuple(x for s in sa for x in (s, 1)))
    b = reshape(other, tuple(x for s in sb for x in (1, s)))
    return reshape(mul(a, b), tuple(x * y for x, y in zip(sa, sb, strict=True)))


# ----------------------------------------------------- beta * input + alpha * m1 @ m2
class AddMatMul(Function):
    """beta * c + alpha * (m1 @ m2) for matrix @ matrix, batched matrices, or matrix @ vector;
    with beta == 0, c is ignored (its NaNs too) and gets a zero gradient, as in torch."""

    def saved_inputs(self) -> tuple[int, ...]:
        # d m1 reads m2 and d m2 reads m1
        return tuple(i for i in (1, 2) if self.parents[3 - i] is not None)

    def forward(
        self, c: np.ndarray, m1: np.ndarray, m2: np.ndarray, beta: Any, alpha: Any
    ) -> np.ndarray:
        self.m1, self.m2, self.beta, self.alpha = m1, m2, beta, alpha
        out = np.matmul(m1, m2)
        if alpha != 1:
            out *= alpha
        if beta != 0:
            out += c if beta == 1 else beta * c
        return out

    def backward(self, grad: np.ndarray) -> tuple[Any, ...]:
        dc = dm1 = dm2 = None
        if self.parents[0] is not None:
            dc = grad * self.beta if self.beta != 0 else np.zeros_like(grad)
        g = grad * self.alpha if self.alpha != 1 else grad
        if self.parents[1] is not None:
            if self.m2.ndim == 1:  # matrix @ vector: d m1 = outer(g, v)
                dm1 = g[:, None] * self.m2[None, :]
            else:
                dm1 = np.matmul(g, np.swapaxes(self.m2, -1, -2))
        if self.parents[2] is not None:
            dm2 = np.matmul(np.swapaxes(self.m1, -1, -2), g)
        return dc, dm1, dm2, None, None


def _scalar(value: Any, dtype: np.dtype) -> Any:
    """alpha/beta as a Python number (an integer tensor truncates them, as torch)."""
    if isinstance(value, Tensor):
        value = value.item()
    if isinstance(value, np.generic):
        value = value.item()
    return int(value) if dtype.kind in "iu" else value


def _add_product(
    op: str, c: Tensor, m1: Tensor, m2: Tensor, out_shape: tuple[int, ...], beta: Any, alpha: Any
) -> Tensor:
    if not isinstance(c, Tensor):
        raise TypeError(f"{op}(): argument 'input' must be Tensor, not {type(c).__name__}")
    _same_dtype(op, c, m1, m2)
    try:
        fits = np.broadcast_shapes(c.shape, out_shape) == out_shape
    except ValueError:
        fits = False
    if not fits:
        raise RuntimeError(
            f"{op}(): input of shape {list(c.shape)} does not broadcast to the product's shape "
            f"{list(out_shape)}"
        )
    return AddMatMul.apply(c, m1, m2, _scalar(beta, c.dtype), _scalar(alpha, c.dtype))


def addmm(input: Tensor, mat1: Tensor, mat2: Tensor, *, beta: Any = 1, alpha: Any = 1) -> Tensor:  # noqa: A002
    """beta * input + alpha * (mat1 @ mat2); input broadcasts to (n, p) (a bias row, say)."""
    _tensors("addmm", mat1=mat1, mat2=mat2)
    _check_mm("addmm", mat1, mat2)
    return _add_product("addmm", input, mat1, mat2, (mat1.shape[0], mat2.shape[1]), beta, alpha)


def addmv(input: Tensor, mat: Tensor, vec: Tensor, *, beta: Any = 1, alpha: Any = 1) -> Tensor:  # noqa: A002
    """beta * input + alpha * (mat @ vec)."""
    _tensors("addmv", mat=mat, vec=vec)
    _check_mv("addmv", mat, vec)
    return _add_product("addmv", input, mat, vec, (mat.shape[0],), beta, alpha)


def baddbmm(
    input: Tensor,
    batch1: Tensor,
    batch2: Tensor,
    *,
    beta: Any = 1,
    alpha: Any = 1,  # noqa: A002
) -> Tensor:
    """beta * input + alpha * (batch1 @ batch2), one product per batch entry."""
    _tensors("baddbmm", batch1=batch1, batch2=batch2)
    _check_bmm("baddbmm", batch1, batch2)
    shape = (batch1.shape[0], batch1.shape[1], batch2.shape[2])
    return _add_product("baddbmm", input, batch1, batch2, shape, beta, alpha)


def addbmm(
    input: Tensor,
    batch1: Tensor,
    batch2: Tensor,
    *,
    beta: Any = 1,
    alpha: Any = 1,  # noqa: A002
) -> Tensor:
    """beta * input + alpha * sum_b batch1[b] @ batch2[b]: the batch is summed.

    The sum of products is one matrix product: the batch1 blocks side by side (n, b*m)
    times the batch2 blocks stacked (b*m, p).
    """
    _tensors("addbmm", batch1=batch1, batch2=batch2)
    _check_bmm("addbmm", batch1, batch2)
    b, n, m = batch1.shape
    wide = reshape(batch1.permute(1, 0, 2), (n, b * m))  # (n, b*m)
    tall = reshape(batch2, (b * m, batch2.shape[2]))  # (b*m, p)
    return _add_product("addbmm", input, wide, tall, (n, batch2.shape[2]), beta, alpha)

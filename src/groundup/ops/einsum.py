"""einsum: products, sums, transposes and diagonals written as an equation of dim labels.

    einsum("ij,jk->ik", A, B)       matrix product      einsum("ii->i", A)   diagonal
    einsum("bij,bjk->bik", A, B)    batched product     einsum("ii", A)      trace
    einsum("...ij->...ji", A)       transpose of the last two dims (any leading dims)

A label shared by operands is multiplied along; a label missing from the output is summed.
Without "->" the output is the labels that appear once, in alphabetical order (A-Z before
a-z), after the dims of "...". Size-1 dims broadcast against the other operands' sizes.

The gradient of operand k is another einsum: the output gradient contracted with the other
operands, onto operand k's labels,

    out = einsum("ij,jk->ik", A, B)   =>   dA = einsum("ik,jk->ij", d_out, B),

then broadcast over the labels only operand k had (summed in forward, so each element got
the same gradient), and, for a label repeated in operand k ("ii"), put on that diagonal.
"""

from __future__ import annotations

import string
from typing import Any

import numpy as np
from numpy.lib.stride_tricks import as_strided

from groundup.function import Function
from groundup.tensor import Tensor

_LETTERS = string.ascii_uppercase + string.ascii_lowercase  # torch's label order


class Einsum(Function):
    """np.einsum on an equation with every dim labelled (no "...", an explicit output)."""

    is_view = True  # one operand only transposed or diagonalized: NumPy returns a view

    def saved_inputs(self) -> tuple[int, ...]:
        # operand k's gradient reads every other operand
        needed = [k for k, p in enumerate(self.parents) if p is not None]
        return tuple(j for j in range(len(self.parents)) if any(k != j for k in needed))

    def forward(self, *arrays: np.ndarray, equation: str) -> np.ndarray:
        lhs, self.output = equation.split("->")
        self.inputs, self.arrays = lhs.split(","), arrays
        self.sizes: dict[str, int] = {}  # each label's size after broadcasting
        for sub, a in zip(self.inputs, arrays, strict=True):
            for label, n in zip(sub, a.shape, strict=True):
                if n != 1 or label not in self.sizes:
                    self.sizes[label] = n
        out = np.asarray(np.einsum(equation, *arrays, optimize=len(arrays) > 1))
        if len(arrays) > 1 and not out.flags.c_contiguous:
            out = np.ascontiguousarray(out)  # a product is a new, contiguous tensor in torch
        return out

    def backward(self, grad: np.ndarray) -> tuple[Any, ...]:
        return tuple(None if p is None else self._grad(k, grad) for k, p in enumerate(self.parents))

    def _grad(self, k: int, grad: np.ndarray) -> np.ndarray:
        sub, a = self.inputs[k], self.arrays[k]
        labels = "".join(dict.fromkeys(sub))  # each label once, in order
        others = [j for j in range(len(self.inputs)) if j != k]
        present = set(self.output).union(*(self.inputs[j] for j in others))
        kept = "".join(c for c in labels if c in present)
        spec = ",".join([self.output] + [self.inputs[j] for j in others]) + "->" + kept
        g = np.asarray(np.einsum(spec, grad, *(self.arrays[j] for j in others), optimize=True))
        # labels only this operand had: the gradient is the same along them
        g = g.reshape(g.shape + (1,) * (len(labels) - len(kept)))
        order = kept + "".join(c for c in labels if c not in present)
        g = np.broadcast_to(
            g.transpose([order.index(c) for c in labels]), [self.sizes[c] for c in labels]
        )
        own = [a.shape[sub.index(c)] for c in labels]  # 1 where this operand was broadcast
        stretched = tuple(i for i, c in enumerate(labels) if own[i] == 1 and self.sizes[c] != 1)
        if stretched:
            g = g.sum(axis=stretched, keepdims=True)
        if len(labels) == len(sub):
            return np.array(g)
        # a repeated label ("ii"): the gradient lies on that diagonal, zeros elsewhere
        out = np.zeros(a.shape, dtype=g.dtype)
        strides = [sum(out.strides[i] for i, s in enumerate(sub) if s == c) for c in labels]
        as_strided(out, own, strides)[...] = g
        return out


# ------------------------------------------------------------------ the equation
def _from_sublists(args: tuple[Any, ...]) -> tuple[str, list[Any]]:
    """einsum(A, [0, 1], B, [1, 2], [0, 2]): torch's sublist format as an equation."""

    def letters(sublist: Any) -> str:
        out = ""
        for s in sublist:
            if s is Ellipsis:
                out += "..."
            elif isinstance(s, int) and 0 <= s < len(_LETTERS):
                out += _LETTERS[s]
            else:
                raise ValueError(f"einsum(): subscript in sublist must be in [0, 52), got {s!r}")
        return out

    operands, terms = list(args[0::2]), [letters(s) for s in args[1::2]]
    if len(args) % 2:  # an output sublist at the end
        operands = operands[:-1]
        return ",".join(terms) + "->" + letters(args[-1]), operands
    return ",".join(terms), operands


def _parse_term(term: str, k: int, ndim: int) -> tuple[list[str], int]:
    """One operand's labels, with "..." as None; returns (labels, dims covered by '...')."""
    labels: list[str] = []
    i = 0
    while i < len(term):
        if term[i] == ".":
            if term[i : i + 3] != "...":
                raise RuntimeError(
                    f"einsum(): found '.' for operand {k} that is not part of any ellipsis"
                )
            if None in labels:
                raise RuntimeError(
                    f"einsum(): found '.' for operand {k} for which an ellipsis was already found"
                )
            labels.append(None)  # type: ignore[arg-type]
            i += 3
        else:
            labels.append(term[i])
            i += 1
    named = len(labels) - (None in labels)
    if None not in labels and named != ndim:
        raise RuntimeError(
            f"einsum(): the number of subscripts in the equation ({named}) does not match the "
            f"number of dimensions ({ndim}) for operand {k} and no ellipsis was given"
        )
    if named > ndim:
        raise RuntimeError(
            f"einsum(): the number of subscripts in the equation ({named}) is more than the "
            f"number of dimensions ({ndim}) for operand {k}"
        )
    return labels, ndim - named


def _normalize(equation: str, operands: list[Tensor]) -> str:
    """The equation with "..." replaced by unused letters and the output made explicit,
    after torch's checks (operand count, label counts, sizes that do not broadcast)."""
    eq = equation.replace(" ", "")
    for i, c in enumerate(eq):
        if not (c in _LETTERS or c in ".,") and eq[i : i + 2] != "->" and eq[i - 1 : i + 1] != "->":
            raise RuntimeError(
                f"einsum(): invalid subscript given at index {i} in the equation string, "
                "subscripts must be in [a-zA-Z]"
            )
    lhs, arrow, rhs = eq.partition("->")
    if "-" in rhs or ">" in rhs:
        i = len(lhs) + 2 + min(rhs.find(c) for c in "->" if c in rhs)
        raise RuntimeError(
            f"einsum(): invalid subscript given at index {i} in the equation string, "
            "subscripts must be in [a-zA-Z]"
        )
    terms = lhs.split(",")
    if len(terms) > len(operands):
        raise RuntimeError("einsum(): fewer operands were provided than specified in the equation")
    if len(terms) < len(operands):
        raise RuntimeError("einsum(): more operands were provided than specified in the equation")
    parsed = [
        _parse_term(t, k, op.ndim) for k, (t, op) in enumerate(zip(terms, operands, strict=True))
    ]
    spare = iter(c for c in _LETTERS if c not in eq)
    n_ell = max((n for _, n in parsed), default=0)
    ellipsis = "".join(next(spare) for _ in range(n_ell))
    sizes: dict[str, int] = {}
    subs = []
    for k, ((labels, covered), op) in enumerate(zip(parsed, operands, strict=True)):
        sub = "".join(ellipsis[n_ell - covered :] if c is None else c for c in labels)
        own: dict[str, int] = {}
        for c, n in zip(sub, op.shape, strict=True):
            if c in own and own[c] != n:
                raise RuntimeError(
                    f"einsum(): subscript {c} is repeated for operand {k} but the sizes don't "
                    f"match, {own[c]} != {n}"
                )
            own[c] = n
            seen = sizes.get(c, 1)
            if n != 1 and seen != 1 and n != seen:
                what = "dimension covered by ellipsis" if c in ellipsis else f"subscript {c}"
                raise RuntimeError(
                    f"einsum(): {what} has size {n} for operand {k} which does not broadcast "
                    f"with previously seen size {seen}"
                )
            sizes[c] = max(seen, n) if n != 1 else seen
        subs.append(sub)
    if arrow:
        if rhs.count("...") > 1 or rhs.replace("...", "").count("."):
            raise RuntimeError("einsum(): the output subscripts may contain '...' only once")
        out = rhs.replace("...", ellipsis)
        for c in rhs.replace("...", ""):
            if rhs.count(c) > 1:
                raise RuntimeError(
                    f"einsum(): output subscript {c} appears more than once in the output"
                )
            if c not in lhs:
                raise RuntimeError(
                    f"einsum(): output subscript {c} does not appear in the equation for any "
                    "input operand"
                )
    else:
        once = sorted(
            (c for c in set(lhs) if c in _LETTERS and lhs.count(c) == 1), key=_LETTERS.index
        )
        out = ellipsis + "".join(once)
    return ",".join(subs) + "->" + out


def einsum(*args: Any) -> Tensor:
    """torch.einsum(equation, *operands): operands as arguments or as one list; also torch's
    sublist format einsum(A, [0, 1], B, [1, 2], [0, 2])."""
    if args and isinstance(args[0], Tensor):
        equation, operands = _from_sublists(args)
    else:
        if len(args) < 2 or not isinstance(args[0], str):
            raise ValueError(
                "einsum(): must specify the equation string and at least one operand, or at "
                "least one operand and its subscripts list"
            )
        equation, operands = args[0], list(args[1:])
        if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
            operands = list(operands[0])
    for k, op in enumerate(operands):
        if not isinstance(op, Tensor):
            raise TypeError(f"einsum(): operand {k} must be a Tensor, not {type(op).__name__}")
    for k, op in enumerate(operands[1:], 1):
        if op.dtype != operands[0].dtype:
            raise RuntimeError(
                f"einsum(): all operands must have the same dtype, but operand 0 is "
                f"{operands[0].dtype} and operand {k} is {op.dtype}; cast one first"
            )
    if operands and operands[0].dtype == np.bool_ and len(operands) > 1:
        raise NotImplementedError("einsum(): products of bool tensors are not implemented")
    equation = _normalize(equation, operands)
    lhs, out = equation.split("->")
    if len(operands) == 1 and operands[0].dtype.kind in "biu" and set(out) != set(lhs):
        operands = [operands[0].to(np.int64)]  # a sum of integers is int64, as torch's sum
    return Einsum.apply(*operands, equation=equation)

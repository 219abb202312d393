"""Finite-difference gradient checking: does an op's backward agree with its forward?

For a function f of tensors, backward() computes J^T v: the gradient of <v, f(x)> for an
output gradient v. Central differences estimate the same numbers from forward passes alone:

    d<v, f(x)>/dx_e  ~  <v, f(x + eps e) - f(x - eps e)> / (2 eps)      (error O(eps^2))

`gradcheck` draws one random v, runs backward once, and compares the result with central
differences for every element of every input that requires grad. For inputs with more
than `max_elements` elements it checks a few random unit directions u instead (the
directional derivative <grad, u> against the difference along eps u): a few forward
passes instead of two per element. A direction mixes all elements, so a wrong gradient
shows up unless it is confined to a few elements whose gradients are tiny; raise
`max_elements` for an exhaustive check.

    x = gu.tensor(np.random.randn(3, 4), requires_grad=True)   # float64
    assert gradcheck(lambda x: my_op(x).sum(dim=1), x)
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from groundup.tensor import Tensor, no_grad

__all__ = ["Derivative", "GradcheckError", "GradcheckReport", "gradcheck"]


@dataclass(frozen=True)
class Derivative:
    """One compared derivative: `analytic` from backward(), `numeric` from central differences."""

    input_index: int
    element: tuple[int, ...] | None  # the perturbed element, or None for a random direction
    direction: int | None  # which random direction, when `element` is None
    analytic: float
    numeric: float
    allowed: float  # atol + rtol * |numeric|

    @property
    def error(self) -> float:
        return abs(self.analytic - self.numeric)

    @property
    def where(self) -> str:
        if self.element is not None:
            return f"input {self.input_index}, element {self.element}"
        return f"input {self.input_index}, random direction {self.direction}"

    def __str__(self) -> str:
        return (
            f"{self.where}: backward gives {self.analytic:.10g}, finite differences give "
            f"{self.numeric:.10g} (|difference| {self.error:.3g}, allowed {self.allowed:.3g})"
        )


@dataclass
class GradcheckReport:
    """The outcome of `gradcheck`; truthy when every derivative agreed."""

    checked: int  # number of derivatives compared
    worst: Derivative | None  # the entry with the largest error relative to its allowance
    failures: list[Derivative] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return not self.failures

    def __bool__(self) -> bool:
        return self.passed

    def __str__(self) -> str:
        if self.passed:
            return f"gradcheck passed: {self.checked} derivatives agree (worst: {self.worst})"
        return (
            f"gradcheck failed: {len(self.failures)} of {self.checked} derivatives disagree. "
            f"Worst: {self.worst}"
        )


class GradcheckError(RuntimeError):
    """Raised by `gradcheck(..., raise_exception=True)`; `.report` holds the details."""

    def __init__(self, report: GradcheckReport):
        super().__init__(str(report))
        self.report = report


def _float_outputs(result: Any) -> list[Tensor]:
    """The floating-point tensors among fn's outputs (indices and masks are not checked)."""
    items = result if isinstance(result, (tuple, list)) else (result,)
    if not all(isinstance(r, Tensor) for r in items):
        kinds = sorted({type(r).__name__ for r in items})
        raise TypeError(f"gradcheck: fn must return a tensor or a tuple of tensors, got {kinds}")
    return [r for r in items if r._data.dtype.kind == "f"]


def _graph_leaves(outputs: Sequence[Tensor]) -> list[Tensor]:
    """Every leaf tensor that backward() from `outputs` would write a .grad into."""
    leaves: dict[int, Tensor] = {}
    seen: set[int] = set()
    stack = [o._ctx for o in outputs if o._ctx is not None]
    while stack:
        fn = stack.pop()
        if id(fn) in seen:
            continue
        seen.add(id(fn))
        for parent, producer in zip(fn.parents, fn.next_functions, strict=True):
            if parent is None:
                continue
            if producer is None:
                leaves[id(parent)] = parent
            else:
                stack.append(producer)
    return list(leaves.values())


def _analytic(outputs: list[Tensor], v: list[np.ndarray], inputs: list[Tensor]) -> list[np.ndarray]:
    """J^T v for each input, by one backward pass, leaving every .grad as it was before."""
    differentiable = [(o, g) for o, g in zip(outputs, v, strict=True) if o.requires_grad]
    leaves = _graph_leaves([o for o, _ in differentiable])
    saved = [leaf.grad for leaf in leaves]
    for leaf in leaves:
        leaf.grad = None
    try:
        for k, (out, g) in enumerate(differentiable):
            out.backward(g, retain_graph=k < len(differentiable) - 1)
        grads = []
        for i, x in enumerate(inputs):
            if x.grad is None:  # no path from this input to the outputs
                grads.append(np.zeros_like(x._data))
                continue
            if x.grad.shape != x.shape or x.grad.dtype != x.dtype:
                raise RuntimeError(
                    f"gradcheck: the gradient of input {i} has shape {x.grad.shape} and dtype "
                    f"{x.grad.dtype}, expected {x.shape} and {x.dtype}"
                )
            grads.append(x.grad._data.copy())
    finally:
        for leaf, grad in zip(leaves, saved, strict=True):
            leaf.grad = grad
    return grads


def _badness(m: Derivative) -> float:
    """How far past its allowance a derivative is (> 1 fails); non-finite is worst."""
    return m.error / m.allowed if np.isfinite(m.error) else np.inf


def gradcheck(
    fn: Callable[..., Any],
    inputs: Tensor | Sequence[Any],
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    raise_exception: bool = True,
    *,
    max_elements: int = 4096,
    directions: int = 5,
    seed: int = 0,
) -> GradcheckReport:
    """Compare the gradients of `fn(*inputs)` from backward() with float64 central differences.

    Every tensor input with requires_grad=True is checked (it must be float64); other inputs
    are passed through unchanged. A derivative passes when |analytic - numeric| <= atol +
    rtol * |numeric|. Inputs with more than `max_elements` elements are checked along
    `directions` random unit directions instead of element by element.

    Returns a `GradcheckReport` (truthy when all agree). On disagreement it raises
    `GradcheckError` naming the worst derivative, unless raise_exception=False. The inputs,
    and the .grad of every tensor involved, are left as they were.
    """
    args = [inputs] if isinstance(inputs, Tensor) else list(inputs)
    checked = [i for i, a in enumerate(args) if isinstance(a, Tensor) and a.requires_grad]
    if not checked:
        raise ValueError("gradcheck: no input requires grad; create them with requires_grad=True")
    for i in checked:
        if args[i].dtype != np.float64:
            raise TypeError(
                f"gradcheck: input {i} has dtype {args[i].dtype}; finite differences need "
                f"float64 inputs (use .double())"
            )
        # Work on private copies: perturbing them in place never touches the caller's data.
        args[i] = Tensor(args[i]._data, requires_grad=True)
    xs = [args[i] for i in checked]
    originals = [x._data.copy() for x in xs]
    rng = np.random.default_rng(seed)

    outputs = _float_outputs(fn(*args))
    v = [rng.standard_normal(o.shape).astype(o.dtype) for o in outputs]
    analytic = _analytic(outputs, v, xs)
    for i, x, original in zip(checked, xs, originals, strict=True):
        if not np.array_equal(x._data, original, equal_nan=True):
            raise RuntimeError(f"gradcheck: fn modified input {i} in place; it must not")

    def outputs_at() -> list[np.ndarray]:
        with no_grad():
            # copies: an output may be a view of the input that is about to be perturbed
            return [o._data.copy() for o in _float_outputs(fn(*args))]

    def central_difference(x: Tensor, step: np.ndarray | float, index: Any) -> float:
        """<v, f(x + step) - f(x - step)> / (2 eps), perturbing x._data[index] in place."""
        base = np.copy(x._data[index])
        x._data[index] = base + step
        plus = outputs_at()
        x._data[index] = base - step
        minus = outputs_at()
        x._data[index] = base
        # Subtract before projecting: the cancellation then happens element by element.
        diff = sum(float(np.vdot(g, p - m)) for g, p, m in zip(v, plus, minus, strict=True))
        return diff / (2 * eps)

    compared: list[Derivative] = []
    for i, x, grad in zip(checked, xs, analytic, strict=True):
        if x._data.size <= max_elements:
            for e in range(x._data.size):
                element = tuple(int(k) for k in np.unravel_index(e, x.shape))
                numeric = central_difference(x, eps, element)
                compared.append(
                    Derivative(
                        i, element, None, float(grad[element]), numeric, atol + rtol * abs(numeric)
                    )
                )
        else:
            for d in range(directions):
                u = rng.standard_normal(x.shape)
                u /= np.linalg.norm(u)
                numeric = central_difference(x, eps * u, ...)
                analytic_d = float(np.vdot(grad, u))
                compared.append(
                    Derivative(i, None, d, analytic_d, numeric, atol + rtol * abs(numeric))
                )

    failures = [m for m in compared if m.error > m.allowed or not np.isfinite(m.error)]
    worst = max(compared, key=_badness, default=None)
    report = GradcheckReport(len(compared), worst, failures)
    if failures and raise_exception:
        raise GradcheckError(report)
    return report

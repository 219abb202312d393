"""One flat vector for all parameters and back (torch.nn.utils.convert_parameters): what
second-order methods, evolution strategies and weight-space plots work with.

`parameters_to_vector` is an ordinary differentiable op (each parameter viewed as 1-d, then
`cat`), so the vector is a copy in the graph. `vector_to_parameters` points each parameter's
`.data` at its slice of `vec`, as torch does: the parameters stay the same objects (leaves
that an optimizer keeps updating) but now share `vec`'s memory, take its dtype, and change
when `vec` changes.
"""

from __future__ import annotations

from collections.abc import Iterable

from groundup.ops.shape import cat
from groundup.tensor import Tensor


def parameters_to_vector(parameters: Iterable[Tensor]) -> Tensor:
    """All parameters flattened and joined, in iteration order: shape (total numel,)."""
    return cat([param.view(-1) for param in parameters])


def vector_to_parameters(vec: Tensor, parameters: Iterable[Tensor]) -> None:
    """Give each parameter, in order, the next `param.numel()` entries of `vec` as its data
    (no copy: the parameter becomes a view of `vec`); entries left over are ignored."""
    if not isinstance(vec, Tensor):
        kind = type(vec)  # named as torch.typename names it: numpy.ndarray, list
        name = kind.__qualname__
        if kind.__module__ != "builtins":
            name = f"{kind.__module__}.{name}"
        raise TypeError(f"expected Tensor, but got: {name}")
    pointer = 0
    for param in parameters:
        n = param.numel()
        param.data = vec[pointer : pointer + n].view(param.shape).data
        pointer += n

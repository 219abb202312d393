"""`Optimizer`: parameter groups, per-parameter state, `zero_grad`, `step`, `state_dict`.

A subclass defines `_update(p, grad, group)`, the update rule for one parameter, applied in
place to the raw array `p._data` (no graph is recorded: an update is not differentiable).
The base class walks the groups, skips parameters whose `.grad` is None, and saves and
restores state in PyTorch's layout, with NumPy arrays where torch has tensors:

    {'state': {0: {'step': 3.0, 'exp_avg': array(...), ...}, 1: {...}},
     'param_groups': [{'lr': 0.001, ..., 'params': [0, 1]}, {'lr': 0.01, ..., 'params': [2]}]}

The integers number the parameters in group order; the parameters themselves are not saved.
"""

from __future__ import annotations

import copy
import warnings
from collections import defaultdict
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

from groundup.tensor import Tensor, enable_grad

ParamsT = Iterable[Tensor] | Iterable[dict[str, Any]] | Iterable[tuple[str, Tensor]]
StateDict = dict[str, Any]


def check_nonnegative(what: str, value: float) -> None:
    """The argument check torch runs on lr, eps, weight_decay, ...: 0 <= value (NaN fails)."""
    if not value >= 0.0:
        raise ValueError(f"Invalid {what}: {value} (must be >= 0)")


def check_betas(betas: tuple[float, float]) -> None:
    """torch's ValueError for a beta outside [0, 1) (Adam and its relatives)."""
    for i, beta in enumerate(betas):
        if not 0.0 <= beta < 1.0:
            raise ValueError(f"Invalid beta parameter at index {i}: {beta} (must be in [0, 1))")


def regularized_grad(
    param: np.ndarray, grad: np.ndarray, maximize: bool, weight_decay: float
) -> np.ndarray:
    """The gradient an update uses: negated if `maximize` (ascend instead), plus the L2
    term λθ if weight_decay λ != 0. A new array if changed, else `grad` itself, which the
    caller must not write to (it is the parameter's `.grad`)."""
    if not maximize and weight_decay == 0:
        return grad
    out = np.negative(grad, out=np.empty_like(grad)) if maximize else grad.copy()
    if weight_decay != 0:
        out += weight_decay * param
    return out


class Optimizer:
    """Base class: holds `param_groups` (a list of dicts, each with 'params' and every
    option) and `state` (a dict per parameter, filled lazily by the subclass's update)."""

    def __init__(self, params: ParamsT, defaults: dict[str, Any]) -> None:
        if isinstance(params, Tensor):
            raise TypeError(
                "params argument given to the optimizer should be an iterable of Tensors or "
                "dicts, but got a Tensor; pass [tensor] instead"
            )
        self.defaults = defaults
        self.state: defaultdict[Tensor, dict[str, Any]] = defaultdict(dict)
        self.param_groups: list[dict[str, Any]] = []
        self._opt_called = False  # lr schedulers warn if they step before the optimizer has
        groups: list[Any] = list(params)
        if len(groups) == 0:
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        for group in groups:
            self.add_param_group(group)

    # ------------------------------------------------------------------ groups
    def add_param_group(self, param_group: dict[str, Any]) -> None:
        """Append a group (e.g. layers unfrozen mid-training); options it leaves out take
        the optimizer's defaults."""
        if not isinstance(param_group, dict):
            raise TypeError(f"param_group must be a dict, but got {type(param_group).__name__}")
        group = dict(param_group)
        params = group["params"]
        if isinstance(params, Tensor):
            params = [params]
        elif isinstance(params, (set, frozenset)):
            raise TypeError(
                "optimizer parameters need to be organized in ordered collections, but the "
                "ordering of tensors in sets will change between runs; use a list instead"
            )
        else:
            params = list(params)
        names = [p[0] for p in params if isinstance(p, tuple)]  # from named_parameters()
        if names:
            if len(names) != len(params):
                raise ValueError(
                    "all optimizer params should be with/without names. "
                    "Some param names are missing"
                )
            group["param_names"] = names
            params = [p[1] for p in params]
        for p in params:
            if not isinstance(p, Tensor):
                raise TypeError(
                    f"optimizer can only optimize Tensors, but one of the params is "
                    f"{type(p).__name__}"
                )
            if not p.is_leaf:
                raise ValueError("can't optimize a non-leaf Tensor")
        group["params"] = params
        for name, default in self.defaults.items():
            group.setdefault(name, default)
        if len({id(p) for p in params}) != len(params):
            warnings.warn(
                "optimizer contains a parameter group with duplicate parameters; "
                "each copy would be updated once per step",
                stacklevel=2,
            )
        for other in self.param_groups:
            if ("param_names" in other) != ("param_names" in group):
                raise ValueError(
                    "all optimizer param groups should be with/without names. cannot add "
                    f"param group {'with' if 'param_names' in group else 'without'} names"
                )
        existing = {id(p) for other in self.param_groups for p in other["params"]}
        if any(id(p) in existing for p in params):
            raise ValueError("some parameters appear in more than one parameter group")
        self.param_groups.append(group)

    # ------------------------------------------------------------------- steps
    def zero_grad(self, set_to_none: bool = True) -> None:
        """Forget the gradients: set `.grad` to None (default) or fill it with zeros."""
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is not None:
                    if set_to_none:
                        p.grad = None
                    else:
                        p.grad._data.fill(0)

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """Update every parameter that has a gradient. `closure`, if given, recomputes the
        loss (with gradients enabled) before the update; its value is returned."""
        loss = None
        if closure is not None:
            with enable_grad():
                loss = closure()
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is not None:
                    self._update(p, p.grad._data, group)
                    p._vc.value += 1  # an in-place change: a graph that saved p refuses it
        self._opt_called = True
        return loss

    def _update(self, p: Tensor, grad: np.ndarray, group: dict[str, Any]) -> None:
        """Apply the update rule to `p._data` in place. `grad` must not be modified."""
        raise NotImplementedError(f"{type(self).__name__} does not define _update")

    # ------------------------------------------------------------------- state
    def state_dict(self) -> StateDict:
        """A copy of the state and the group options in torch's layout (see module doc):
        NumPy arrays and plain Python values only, so it serializes without pickle."""
        index: dict[int, int] = {}
        param_groups = []
        for group in self.param_groups:
            packed = {k: copy.deepcopy(v) for k, v in group.items() if k != "params"}
            for p in group["params"]:
                index.setdefault(id(p), len(index))
            packed["params"] = [index[id(p)] for p in group["params"]]
            param_groups.append(packed)
        state = {
            index[id(p)]: {k: v.copy() if isinstance(v, np.ndarray) else v for k, v in s.items()}
            for p, s in self.state.items()
            if id(p) in index
        }
        return {"state": state, "param_groups": param_groups}

    def load_state_dict(self, state_dict: StateDict) -> None:
        """Restore what `state_dict()` saved (or a torch optimizer's state dict converted to
        NumPy). Everything is checked before anything changes; arrays are copied and cast
        to their parameter's dtype; state keys may be ints or strings (after JSON)."""
        saved_groups = state_dict["param_groups"]
        if len(saved_groups) != len(self.param_groups):
            raise ValueError(
                f"loaded state dict has a different number of parameter groups: "
                f"{len(saved_groups)} saved, {len(self.param_groups)} in this optimizer"
            )
        for i, (group, saved) in enumerate(zip(self.param_groups, saved_groups, strict=True)):
            if len(saved["params"]) != len(group["params"]):
                raise ValueError(
                    f"loaded state dict contains a parameter group that doesn't match the "
                    f"size of optimizer's group: group {i} has {len(saved['params'])} "
                    f"parameters saved, {len(group['params'])} in this optimizer"
                )
        id_map = {
            int(saved_id): p
            for group, saved in zip(self.param_groups, saved_groups, strict=True)
            for saved_id, p in zip(saved["params"], group["params"], strict=True)
        }
        state: defaultdict[Tensor, dict[str, Any]] = defaultdict(dict)
        for key, values in state_dict["state"].items():
            if int(key) not in id_map:
                raise ValueError(f"loaded state for parameter {key}, which no group lists")
            p = id_map[int(key)]
            state[p] = {name: _load_value(p, name, v) for name, v in values.items()}
        param_groups = []
        for group, saved in zip(self.param_groups, saved_groups, strict=True):
            new = {k: copy.deepcopy(v) for k, v in saved.items() if k != "params"}
            new["params"] = group["params"]
            if "param_names" in group and "param_names" not in new:
                new["param_names"] = group["param_names"]
            for name, default in self.defaults.items():  # options saved by older versions
                new.setdefault(name, default)
            param_groups.append(new)
        self.state, self.param_groups = state, param_groups

    def __repr__(self) -> str:
        lines = [f"{type(self).__name__} ("]
        for i, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            lines += [f"    {k}: {group[k]}" for k in sorted(group) if k != "params"]
        return "\n".join(lines) + "\n)"


def _load_value(p: Tensor, name: str, value: Any) -> Any:
    """Copy one saved state entry for parameter `p`: 'step' becomes a Python float, arrays
    must have `p`'s shape and take its dtype."""
    if isinstance(value, Tensor):
        value = value._data
    if name == "step":
        return float(np.asarray(value).item())
    if isinstance(value, (np.ndarray, np.generic)):
        if value.shape != p.shape:
            raise ValueError(
                f"loaded state {name!r} has shape {value.shape}, its parameter has {p.shape}"
            )
        dtype = p.dtype if np.issubdtype(p.dtype, np.floating) else value.dtype
        return np.array(value, dtype=dtype, copy=True)
    return copy.deepcopy(value)

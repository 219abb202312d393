"""`Parameter` and `Module`: parameters, buffers and submodules registered in order.

Registration order fixes `parameters()` order and `state_dict()` key order (a module's own
parameters, then its buffers, then each child, recursively), exactly as PyTorch's, so a
torch `state_dict` converted to NumPy loads as is, and back.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Iterator, Mapping
from typing import Any, NamedTuple

import numpy as np

from groundup.device import check_device
from groundup.ops.backward_hook import BackwardHook
from groundup.ops.conversion import _parse_to
from groundup.ops.creation import resolve_dtype
from groundup.tensor import Tensor


class Parameter(Tensor):
    """A tensor that a `Module` registers as learnable (requires_grad=True by default)."""

    __slots__ = ()

    def __init__(self, data: Any = None, requires_grad: bool = True):
        super().__init__(
            np.empty(0, np.float32) if data is None else data, requires_grad=requires_grad
        )

    def __repr__(self) -> str:
        return "Parameter containing:\n" + super().__repr__()


class Buffer(Tensor):
    """A tensor that a `Module` registers as a buffer when assigned to an attribute
    (`self.steps = nn.Buffer(gu.zeros(()))` is `register_buffer("steps", ...)`); it shares
    `data`'s memory. persistent=False keeps it out of `state_dict()`."""

    __slots__ = ("persistent",)

    def __init__(self, data: Tensor | None = None, *, persistent: bool = True):
        if data is None:
            data = Tensor(np.empty(0, np.float32))
        if not isinstance(data, Tensor):
            raise TypeError(f"Buffer: data must be a Tensor, got {type(data).__name__}")
        super().__init__(np.empty(0, np.float32))
        self._data, self._vc = data._data, data._vc  # a detached alias, as torch's
        self.requires_grad_(data.requires_grad)
        self.persistent = persistent


def factory_dtype(device: Any = None, dtype: Any = None) -> np.dtype:
    """Resolve torch's `device=`/`dtype=` layer arguments: the CPU is the only device and
    float32 the default dtype."""
    check_device(device, "layer")
    resolved = resolve_dtype(dtype, "layer", np.dtype(np.float32))
    if resolved.kind != "f":
        raise TypeError(f"layers hold floating-point parameters, got dtype={resolved}")
    return resolved


class IncompatibleKeys(NamedTuple):
    missing_keys: list[str]
    unexpected_keys: list[str]


class RemovableHandle:
    def __init__(self, hooks: dict[int, Callable[..., Any]], key: int):
        self._hooks, self._key = hooks, key

    def remove(self) -> None:
        self._hooks.pop(self._key, None)


class Module:
    """Base class of every layer and model; subclasses define `forward`."""

    training: bool
    _parameters: OrderedDict[str, Parameter | None]
    _buffers: OrderedDict[str, Tensor | None]
    _non_persistent: set[str]
    _modules: OrderedDict[str, Any]
    _forward_hooks: OrderedDict[int, Callable[..., Any]]
    _forward_pre_hooks: OrderedDict[int, Callable[..., Any]]
    _forward_pre_hooks_with_kwargs: set[int]
    _backward_hooks: OrderedDict[int, Callable[..., Any]]
    _backward_pre_hooks: OrderedDict[int, Callable[..., Any]]
    _next_hook_id = 0

    def __init__(self) -> None:
        d = self.__dict__
        d["training"] = True
        d["_parameters"] = OrderedDict()
        d["_buffers"] = OrderedDict()
        d["_non_persistent"] = set()
        d["_modules"] = OrderedDict()
        d["_forward_hooks"] = OrderedDict()
        d["_forward_pre_hooks"] = OrderedDict()
        d["_forward_pre_hooks_with_kwargs"] = set()
        d["_backward_hooks"] = OrderedDict()
        d["_backward_pre_hooks"] = OrderedDict()

    # ------------------------------------------------------------ registration
    def __setattr__(self, name: str, value: Any) -> None:
        d = self.__dict__
        if "_parameters" not in d:
            raise AttributeError(
                f"cannot assign {name!r} before Module.__init__() is called "
                f"(call super().__init__() first in {type(self).__name__}.__init__)"
            )
        if isinstance(value, Parameter):
            self._unregister(name)
            d["_parameters"][name] = value
        elif isinstance(value, Module):
            self._unregister(name)
            d["_modules"][name] = value
        elif isinstance(value, Buffer):
            d.pop(name, None)
            self.register_buffer(name, value, value.persistent)
            return
        else:
            for registry, allowed in (
                ("_parameters", "a Parameter or None"),
                ("_buffers", "a Tensor or None"),
                ("_modules", "a Module or None"),
            ):
                if name in d[registry]:
                    ok = value is None or (registry == "_buffers" and isinstance(value, Tensor))
                    if not ok:
                        raise TypeError(
                            f"cannot assign {type(value).__name__} to {name!r} "
                            f"of {type(self).__name__} ({allowed} is expected)"
                        )
                    d[registry][name] = value
        object.__setattr__(self, name, value)

    def _unregister(self, name: str) -> None:
        for registry in ("_parameters", "_buffers", "_modules"):
            self.__dict__[registry].pop(name, None)
        self._non_persistent.discard(name)

    def __delattr__(self, name: str) -> None:
        self._unregister(name)
        object.__delattr__(self, name)

    def _check_new_name(self, kind: str, name: str, registry: dict[str, Any]) -> None:
        if not isinstance(name, str) or not name or "." in name:
            raise KeyError(f"{kind} name must be a non-empty string without '.', got {name!r}")
        if hasattr(self, name) and name not in registry:
            raise KeyError(f"attribute {name!r} already exists on {type(self).__name__}")

    def register_parameter(self, name: str, param: Parameter | None) -> None:
        """Register `param` (or None: a declared but absent parameter, e.g. bias=False)."""
        self._check_new_name("parameter", name, self._parameters)
        if param is not None and not isinstance(param, Parameter):
            raise TypeError(
                f"cannot assign {type(param).__name__} to parameter {name!r} "
                "(a Parameter or None is expected)"
            )
        self._unregister(name)
        self._parameters[name] = param
        object.__setattr__(self, name, param)

    def register_buffer(self, name: str, tensor: Tensor | None, persistent: bool = True) -> None:
        """State that is saved and moved with the module but not learned (running stats).
        A non-persistent buffer is left out of `state_dict()`."""
        self._check_new_name("buffer", name, self._buffers)
        if tensor is not None and not isinstance(tensor, Tensor):
            raise TypeError(
                f"cannot assign {type(tensor).__name__} to buffer {name!r} "
                "(a Tensor or None is expected)"
            )
        self._unregister(name)
        self._buffers[name] = tensor
        if not persistent:
            self._non_persistent.add(name)
        object.__setattr__(self, name, tensor)

    def add_module(self, name: str, module: Module | None) -> None:
        self._modules[name] = module
        object.__setattr__(self, name, module)

    register_module = add_module

    # --------------------------------------------------------------- traversal
    def named_modules(
        self, memo: set[int] | None = None, prefix: str = "", remove_duplicate: bool = True
    ) -> Iterator[tuple[str, Module]]:
        """This module and every descendant, depth first; a module reachable under two names
        is listed once (under its first name) unless remove_duplicate=False."""
        if memo is None:
            memo = set()
        if remove_duplicate:
            if id(self) in memo:
                return
            memo.add(id(self))
        yield prefix, self
        for name, child in self._modules.items():
            if child is not None:
                child_prefix = f"{prefix}.{name}" if prefix else name
                yield from child.named_modules(memo, child_prefix, remove_duplicate)

    def modules(self) -> Iterator[Module]:
        for _, m in self.named_modules():
            yield m

    def named_children(self) -> Iterator[tuple[str, Module]]:
        for name, child in self._modules.items():
            if child is not None:
                yield name, child

    def children(self) -> Iterator[Module]:
        for _, child in self.named_children():
            yield child

    def _named_members(
        self, registry: str, prefix: str, recurse: bool, remove_duplicate: bool
    ) -> Iterator[tuple[str, Tensor]]:
        seen: set[int] = set()  # a tied weight is listed once, under its first name
        modules = (
            self.named_modules(prefix=prefix, remove_duplicate=remove_duplicate)
            if recurse
            else iter([(prefix, self)])
        )
        for module_prefix, module in modules:
            for name, t in getattr(module, registry).items():
                if t is None or (remove_duplicate and id(t) in seen):
                    continue
                seen.add(id(t))
                yield (f"{module_prefix}.{name}" if module_prefix else name), t

    def named_parameters(
        self, prefix: str = "", recurse: bool = True, remove_duplicate: bool = True
    ) -> Iterator[tuple[str, Parameter]]:
        yield from self._named_members(  # type: ignore[misc]
            "_parameters", prefix, recurse, remove_duplicate
        )

    def parameters(self, recurse: bool = True) -> Iterator[Parameter]:
        for _, p in self.named_parameters(recurse=recurse):
            yield p

    def named_buffers(
        self, prefix: str = "", recurse: bool = True, remove_duplicate: bool = True
    ) -> Iterator[tuple[str, Tensor]]:
        yield from self._named_members("_buffers", prefix, recurse, remove_duplicate)

    def buffers(self, recurse: bool = True) -> Iterator[Tensor]:
        for _, b in self.named_buffers(recurse=recurse):
            yield b

    def get_submodule(self, target: str) -> Module:
        """The submodule at the dotted path `target` ("" is this module), as torch's."""
        module = self
        for part in target.split(".") if target else []:
            if not hasattr(module, part):
                raise AttributeError(f"{type(module).__name__} has no attribute `{part}`")
            module = getattr(module, part)
            if not isinstance(module, Module):
                raise AttributeError(f"`{part}` is not an nn.Module")
        return module

    def get_parameter(self, target: str) -> Parameter:
        """The parameter at the dotted path `target`, e.g. "encoder.0.weight"."""
        module_path, _, name = target.rpartition(".")
        module = self.get_submodule(module_path)
        if not hasattr(module, name):
            raise AttributeError(f"{type(module).__name__} has no attribute `{name}`")
        param = getattr(module, name)
        if not isinstance(param, Parameter):
            raise AttributeError(f"`{name}` is not an nn.Parameter")
        return param

    def get_buffer(self, target: str) -> Tensor:
        """The buffer at the dotted path `target`, e.g. "bn.running_mean"."""
        module_path, _, name = target.rpartition(".")
        module = self.get_submodule(module_path)
        if not hasattr(module, name):
            raise AttributeError(f"{type(module).__name__} has no attribute `{name}`")
        if name not in module._buffers:
            raise AttributeError(f"`{name}` is not a buffer")
        return getattr(module, name)

    # ------------------------------------------------------------------- modes
    def train(self, mode: bool = True) -> Module:
        """Set training mode here and, through each child's own `train`, below."""
        if not isinstance(mode, bool):
            raise ValueError(f"train(): mode must be a bool, got {type(mode).__name__}")
        self.__dict__["training"] = mode
        for child in self.children():
            child.train(mode)
        return self

    def eval(self) -> Module:
        return self.train(False)

    def requires_grad_(self, requires_grad: bool = True) -> Module:
        for p in self.parameters():
            p.requires_grad_(requires_grad)
        return self

    def zero_grad(self, set_to_none: bool = True) -> None:
        for p in self.parameters():
            if set_to_none:
                p.grad = None
            elif p.grad is not None:
                p.grad._data[...] = 0

    def apply(self, fn: Callable[[Module], None]) -> Module:
        for child in self.children():
            child.apply(fn)
        fn(self)
        return self

    def to(self, *args: Any, **kwargs: Any) -> Module:
        """Cast floating-point parameters, their gradients and buffers in place (integer
        buffers such as `num_batches_tracked` keep their dtype). Takes torch's forms,
        to(dtype), to(device), to(device, dtype), to(tensor); the device must be the CPU
        (`to("cpu")` is a no-op), any other is the RuntimeError a tensor's `to` gives."""
        device_arg, dtype, _ = _parse_to(args, kwargs)
        check_device(device_arg, "to")
        if dtype is None:
            return self
        dtype = resolve_dtype(dtype, "to", np.dtype(np.float32))
        if dtype.kind != "f":
            raise TypeError(f"Module.to: only floating-point dtypes are allowed, got {dtype}")
        for t in [*self.parameters(), *self.buffers()]:
            if t._data.dtype.kind == "f":
                t._data = t._data.astype(dtype)
                if t.grad is not None:
                    t.grad._data = t.grad._data.astype(dtype)
        return self

    def float(self) -> Module:
        return self.to(np.float32)

    def double(self) -> Module:
        return self.to(np.float64)

    def half(self) -> Module:
        return self.to(np.float16)

    def cpu(self) -> Module:
        """This module: it is on the CPU already (the only device)."""
        return self

    def cuda(self, device: Any = None) -> Module:
        raise RuntimeError(
            "cuda(): no GPU is available: groundup runs on the CPU only; keep modules on the "
            "CPU (check groundup.cuda.is_available() before moving anything)"
        )

    # ------------------------------------------------------------------- state
    def _state_items(self, prefix: str = "") -> Iterator[tuple[str, Tensor]]:
        """(key, tensor) in torch's order: own parameters, own persistent buffers, then each
        child's, recursively. Like torch, a shared module or tensor appears under every name."""
        for name, p in self._parameters.items():
            if p is not None:
                yield prefix + name, p
        for name, b in self._buffers.items():
            if b is not None and name not in self._non_persistent:
                yield prefix + name, b
        for name, child in self._modules.items():
            if child is not None:
                yield from child._state_items(f"{prefix}{name}.")

    def state_dict(self, *, prefix: str = "", keep_vars: bool = False) -> OrderedDict[str, Any]:
        """Copies (NumPy arrays) of every parameter and persistent buffer, keyed as torch
        keys them; keep_vars=True gives the tensors themselves."""
        return OrderedDict(
            (key, t if keep_vars else t._data.copy()) for key, t in self._state_items(prefix)
        )

    def load_state_dict(self, state_dict: Any, strict: bool = True) -> IncompatibleKeys:
        """Copy arrays (NumPy, groundup or torch tensors) into the parameters and buffers, in
        place. Every key, value, dtype and shape is checked and converted before anything is
        written, so a failed load leaves the module unchanged. Returns the missing and
        unexpected keys."""
        if not isinstance(state_dict, Mapping):
            raise TypeError(
                f"load_state_dict: expected state_dict to be dict-like (a mapping of names to "
                f"arrays, as state_dict() returns), got {type(state_dict).__name__}"
            )
        own = OrderedDict(self._state_items())
        arrays: dict[str, np.ndarray] = {}
        problems = []
        for k, v in state_dict.items():
            array, problem = _checkpoint_array(k, v)
            if problem:
                problems.append(problem)
            else:
                arrays[k] = array
        missing = [k for k in own if k not in state_dict]
        unexpected = [k for k in state_dict if k not in own]
        problems += [
            f"size mismatch for {k}: copying a param with shape {arrays[k].shape} from "
            f"checkpoint, the shape in current model is {own[k].shape}"
            for k in own
            if k in arrays and arrays[k].shape != own[k].shape
        ]
        if strict:
            problems += [f"missing key {k!r} (model shape {own[k].shape})" for k in missing]
            problems += [
                f"unexpected key {k!r} (checkpoint shape {arrays[k].shape})"
                for k in unexpected
                if k in arrays
            ]
        if problems:
            raise RuntimeError(
                f"Error(s) in loading state_dict for {type(self).__name__}:\n  "
                + "\n  ".join(problems)
            )
        # cast first (all or nothing), then write in place, like torch's copy_
        converted = {
            k: arrays[k].astype(t.dtype, copy=False) for k, t in own.items() if k in arrays
        }
        for k, value in converted.items():
            own[k]._data[...] = value
            own[k]._vc.value += 1
        return IncompatibleKeys(missing, unexpected)

    # -------------------------------------------------------------------- call
    def forward(self, *args: Any, **kwargs: Any) -> Any:  # pragma: no cover - abstract
        raise NotImplementedError(f"{type(self).__name__} must implement forward (abstract)")

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        for key, pre_hook in list(self._forward_pre_hooks.items()):
            if key in self._forward_pre_hooks_with_kwargs:
                both = pre_hook(self, args, kwargs)
                if both is not None:
                    if not (isinstance(both, tuple) and len(both) == 2):
                        raise RuntimeError(
                            "forward pre-hook must return None or a tuple of (new_args, "
                            f"new_kwargs), but got {both}."
                        )
                    args, kwargs = both
            else:
                new_args = pre_hook(self, args)
                if new_args is not None:
                    args = new_args if isinstance(new_args, tuple) else (new_args,)
        hooks = None
        if self._backward_hooks or self._backward_pre_hooks:
            hooks = BackwardHook(
                self, list(self._backward_hooks.values()), list(self._backward_pre_hooks.values())
            )
            args = hooks.setup_input_hook(args)
        out = self.forward(*args, **kwargs)
        for hook in list(self._forward_hooks.values()):
            result = hook(self, args, out)
            if result is not None:
                out = result
        return out if hooks is None else hooks.setup_output_hook(out)

    def register_forward_pre_hook(
        self,
        hook: Callable[..., Any],
        *,
        prepend: bool = False,
        with_kwargs: bool = False,
    ) -> RemovableHandle:
        """`hook(module, args)` runs before every forward; returning a value replaces the
        positional arguments (a non-tuple is wrapped into one). With with_kwargs=True it is
        `hook(module, args, kwargs)` and may return a new `(args, kwargs)`."""
        Module._next_hook_id += 1
        key = Module._next_hook_id
        self._forward_pre_hooks[key] = hook
        if with_kwargs:
            self._forward_pre_hooks_with_kwargs.add(key)
        if prepend:
            self._forward_pre_hooks.move_to_end(key, last=False)
        return RemovableHandle(self._forward_pre_hooks, key)

    def register_full_backward_hook(
        self, hook: Callable[..., Any], prepend: bool = False
    ) -> RemovableHandle:
        """`hook(module, grad_input, grad_output)` runs once the gradients with respect to
        the module's positional tensor inputs are computed (None for an input that needs
        none); returning a tuple replaces grad_input. See `groundup.ops.backward_hook`."""
        Module._next_hook_id += 1
        key = Module._next_hook_id
        self._backward_hooks[key] = hook
        if prepend:
            self._backward_hooks.move_to_end(key, last=False)
        return RemovableHandle(self._backward_hooks, key)

    def register_full_backward_pre_hook(
        self, hook: Callable[..., Any], prepend: bool = False
    ) -> RemovableHandle:
        """`hook(module, grad_output)` runs when the gradients with respect to the module's
        outputs are computed; returning a tuple replaces grad_output."""
        Module._next_hook_id += 1
        key = Module._next_hook_id
        self._backward_pre_hooks[key] = hook
        if prepend:
            self._backward_pre_hooks.move_to_end(key, last=False)
        return RemovableHandle(self._backward_pre_hooks, key)

    def register_forward_hook(
        self, hook: Callable[[Module, tuple[Any, ...], Any], Any]
    ) -> RemovableHandle:
        """`hook(module, inputs, output)` runs after every forward (e.g. to record
        activations); returning a value replaces the output. `.remove()` detaches it."""
        Module._next_hook_id += 1
        self._forward_hooks[Module._next_hook_id] = hook
        return RemovableHandle(self._forward_hooks, Module._next_hook_id)

    # -------------------------------------------------------------------- repr
    def extra_repr(self) -> str:
        return ""

    def __repr__(self) -> str:
        """torch's layout: `Name(extra)` on one line, or extra lines then `(child): repr`."""
        extra = self.extra_repr().split("\n") if self.extra_repr() else []
        children = [
            f"({name}): " + repr(child).replace("\n", "\n  ")
            for name, child in self._modules.items()
        ]
        if not children and len(extra) <= 1:
            return f"{type(self).__name__}({''.join(extra)})"
        return f"{type(self).__name__}(\n  " + "\n  ".join(extra + children) + "\n)"

    def __dir__(self) -> list[str]:
        return sorted(set(super().__dir__()))


def _checkpoint_array(key: str, value: Any) -> tuple[np.ndarray, str]:
    """A checkpoint value as a numeric array, or the reason it is not one."""
    if isinstance(value, Tensor):
        value = value._data
    elif hasattr(value, "detach") and hasattr(value, "numpy"):  # a torch tensor
        value = value.detach().cpu().numpy()
    if not isinstance(value, (np.ndarray, np.generic, int, float, bool, list, tuple)):
        return np.empty(0), (
            f"{key!r}: expected a tensor or a numeric array from the checkpoint, got "
            f"{type(value).__name__}"
        )
    array = np.asarray(value)
    if array.dtype.kind not in "biuf":
        return array, (
            f"{key!r}: expected numbers from the checkpoint, got an array of dtype {array.dtype}"
        )
    return array, ""

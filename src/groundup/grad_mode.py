"""Grad modes, torch's API: `no_grad`, `enable_grad`, `set_grad_enabled`, `inference_mode`.

Each is a context manager and a function decorator (`@no_grad()` or bare `@no_grad`): a
decorated function runs inside a fresh copy of the mode on every call; a decorated generator
runs in the mode while it computes each item and gives the caller's mode back between items.

The mode is per thread, as in torch: it lives in a `ContextVar`, so a new thread starts with
gradients on whatever the thread that started it does (an asyncio task gets its own copy
too). Reading it costs one `ContextVar.get` per op, about 10 ns, against microseconds for
the smallest op.

`inference_mode()` is `no_grad()` plus the `is_inference_mode_enabled()` flag. In torch,
tensors made inside it are "inference tensors" that may never join a graph or be changed
in place outside it; groundup makes ordinary tensors that need no grad, so code that runs
under torch's inference mode runs unchanged here, but groundup does not refuse the misuse
torch refuses.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from contextvars import ContextVar
from typing import Any, TypeVar

F = TypeVar("F", bound=Callable[..., Any])

_grad_enabled: ContextVar[bool] = ContextVar("groundup_grad_enabled", default=True)
_inference: ContextVar[bool] = ContextVar("groundup_inference_mode", default=False)
_get_grad_enabled = _grad_enabled.get  # bound once: is_grad_enabled runs on every op


def is_grad_enabled() -> bool:
    """True unless inside `no_grad()`, `set_grad_enabled(False)` or `inference_mode()`."""
    return _get_grad_enabled()


def is_inference_mode_enabled() -> bool:
    """True inside `inference_mode()` (and not inside a nested `inference_mode(False)`)."""
    return _inference.get()


class _DecoratorContextManager:
    """A context manager that can also decorate a function or a generator function."""

    def clone(self) -> _DecoratorContextManager:
        return type(self)()

    def __enter__(self) -> None:
        raise NotImplementedError

    def __exit__(self, *exc: object) -> None:
        raise NotImplementedError

    def __call__(self, func: F) -> F:
        if not callable(func):
            raise TypeError(
                f"{type(self).__name__}: a decorator needs a function, got {type(func).__name__}"
            )
        if inspect.isgeneratorfunction(func):
            return self._wrap_generator(func)

        @functools.wraps(func)
        def decorated(*args: Any, **kwargs: Any) -> Any:
            with self.clone():
                return func(*args, **kwargs)

        return decorated  # type: ignore[return-value]

    def _wrap_generator(self, func: F) -> F:
        """Run each step of the generator in the mode, and the caller in its own mode."""

        @functools.wraps(func)
        def decorated(*args: Any, **kwargs: Any) -> Any:
            gen = func(*args, **kwargs)
            try:
                with self.clone():
                    response = gen.send(None)
                while True:
                    try:
                        request = yield response
                    except GeneratorExit:
                        with self.clone():
                            gen.close()
                        raise
                    except BaseException as error:
                        with self.clone():
                            response = gen.throw(error)
                    else:
                        with self.clone():
                            response = gen.send(request)
            except StopIteration as stop:
                return stop.value

        return decorated  # type: ignore[return-value]


class _SetMode(_DecoratorContextManager):
    """Enter: remember the current modes and set new ones. Exit: put the old ones back.
    A stack of saved modes makes one instance safe to enter again while it is active."""

    grad: bool = False
    inference: bool | None = None  # None: leave the inference flag alone

    def __init__(self) -> None:
        self._saved: list[tuple[bool, bool]] = []

    def __enter__(self) -> None:
        self._saved.append((_grad_enabled.get(), _inference.get()))
        _grad_enabled.set(self.grad)
        if self.inference is not None:
            _inference.set(self.inference)

    def __exit__(self, *exc: object) -> None:
        grad, inference = self._saved.pop()
        _grad_enabled.set(grad)
        _inference.set(inference)


class no_grad(_SetMode):
    """Ops inside record no graph (evaluation, optimizer updates): `with no_grad():`,
    `@no_grad()` or `@no_grad`."""

    grad = False

    def __new__(cls, orig_func: Callable[..., Any] | None = None) -> Any:
        if orig_func is None:
            return super().__new__(cls)
        return cls()(orig_func)  # bare @no_grad


class enable_grad(_SetMode):
    """Turn graph recording back on, e.g. inside `no_grad()`: `with enable_grad():`,
    `@enable_grad()` or `@enable_grad`."""

    grad = True

    def __new__(cls, orig_func: Callable[..., Any] | None = None) -> Any:
        if orig_func is None:
            return super().__new__(cls)
        return cls()(orig_func)


class set_grad_enabled(_DecoratorContextManager):
    """`set_grad_enabled(False)` switches recording off at once (a plain call); as a
    context manager or decorator it also puts the previous mode back afterwards."""

    def __init__(self, mode: bool) -> None:
        if not isinstance(mode, bool):
            raise TypeError(
                f"set_grad_enabled(): argument 'mode' must be bool, not {type(mode).__name__}"
            )
        self.mode = mode
        self.prev = _grad_enabled.get()
        _grad_enabled.set(mode)

    def clone(self) -> set_grad_enabled:
        return type(self)(self.mode)

    def __call__(self, func: F) -> F:
        _grad_enabled.set(self.prev)  # as a decorator, the mode applies inside calls only
        return super().__call__(func)

    def __enter__(self) -> None:
        pass

    def __exit__(self, *exc: object) -> None:
        _grad_enabled.set(self.prev)


class inference_mode(_SetMode):
    """`no_grad()` that also sets `is_inference_mode_enabled()`; `inference_mode(False)`
    turns both off again (gradients on, as in torch). Usable as `@inference_mode`,
    `@inference_mode()` or `with inference_mode():`."""

    def __new__(cls, mode: Any = True) -> Any:
        if isinstance(mode, bool):
            return super().__new__(cls)
        if callable(mode):
            return cls()(mode)  # bare @inference_mode
        raise TypeError(f"inference_mode(): mode must be a bool, got {type(mode).__name__}")

    def __init__(self, mode: bool = True) -> None:
        super().__init__()
        self.mode = mode
        self.grad = not mode
        self.inference = mode

    def clone(self) -> inference_mode:
        return type(self)(self.mode)

"""Grad modes: no_grad, enable_grad, set_grad_enabled, inference_mode, as context managers
and decorators, per thread; each scenario runs in torch and in groundup side by side."""

from __future__ import annotations

import threading
import timeit

import pytest
import torch

import groundup as gu
from groundup import grad_mode


@pytest.fixture(autouse=True)
def _restore_modes():
    """A failing scenario must not leave either library with gradients off."""
    yield
    torch.set_grad_enabled(True)
    gu.set_grad_enabled(True)
    assert not gu.is_inference_mode_enabled()


def both(scenario):
    """Run `scenario(lib)` for torch and groundup; the observations must be equal."""
    expected, actual = scenario(torch), scenario(gu)
    assert actual == expected
    return actual


def records(lib, make) -> bool:
    """Does an op on a tensor that requires grad record a graph here?"""
    x = make(lib)
    return (x * 2).requires_grad


def _leaf(lib):
    return lib.ones(2, requires_grad=True)


# ------------------------------------------------------------------ context managers
def test_no_grad_and_enable_grad_nest():
    def scenario(lib):
        out = [lib.is_grad_enabled()]
        with lib.no_grad():
            out += [lib.is_grad_enabled(), records(lib, _leaf)]
            with lib.enable_grad():
                out += [lib.is_grad_enabled(), records(lib, _leaf)]
            out.append(lib.is_grad_enabled())
        return out + [lib.is_grad_enabled(), records(lib, _leaf)]

    assert both(scenario) == [True, False, False, True, True, False, True, True]


def test_enter_returns_none_and_exceptions_restore_the_mode():
    def scenario(lib):
        with lib.no_grad() as entered:
            pass
        try:
            with lib.no_grad():
                raise KeyError("boom")
        except KeyError:
            pass
        return entered, lib.is_grad_enabled()

    assert both(scenario) == (None, True)


def test_one_no_grad_object_can_be_entered_again_while_active():
    # torch's own object forgets the outer mode here (it keeps one saved value), so torch
    # is left with gradients off; groundup keeps a stack and restores the mode
    ctx = gu.no_grad()
    with ctx:
        with ctx:
            assert not gu.is_grad_enabled()
        assert not gu.is_grad_enabled()
    assert gu.is_grad_enabled()


# ------------------------------------------------------------------------ decorators
@pytest.mark.parametrize("bare", [False, True], ids=["called", "bare"])
def test_no_grad_and_enable_grad_decorate_functions(bare):
    def scenario(lib):
        off = lib.no_grad if bare else lib.no_grad()
        on = lib.enable_grad if bare else lib.enable_grad()

        @off
        def inner(x):
            """docs"""
            return x * 2, lib.is_grad_enabled()

        @on
        def grad_inside():
            return lib.is_grad_enabled()

        y, mode = inner(_leaf(lib))
        with lib.no_grad():
            reenabled = grad_inside()
        names = inner.__name__, inner.__doc__
        return y.requires_grad, mode, lib.is_grad_enabled(), reenabled, *names

    assert both(scenario) == (False, False, True, True, "inner", "docs")


def test_decorated_method_and_exception_inside():
    def scenario(lib):
        class Model:
            @lib.no_grad()
            def predict(self, x):
                if x is None:
                    raise ValueError("no input")
                return (x * 3).requires_grad

        m = Model()
        result = m.predict(_leaf(lib))
        with pytest.raises(ValueError, match="no input"):
            m.predict(None)
        return result, lib.is_grad_enabled()

    assert both(scenario) == (False, True)


def test_decorated_generator_runs_each_step_in_the_mode():
    def scenario(lib):
        @lib.no_grad()
        def steps(n):
            for _ in range(n):
                received = yield lib.is_grad_enabled()
                if received == "stop":
                    return "stopped"

        it = steps(3)
        seen = [next(it), lib.is_grad_enabled(), it.send(None), lib.is_grad_enabled()]
        try:
            it.send("stop")
        except StopIteration as stop:
            seen.append(stop.value)
        return seen

    assert both(scenario) == [False, True, False, True, "stopped"]


def test_decorated_generator_close_and_throw():
    def scenario(lib):
        modes = []

        @lib.no_grad()
        def gen():
            try:
                yield 1
            except KeyError:
                modes.append(lib.is_grad_enabled())
                yield 2
            finally:
                modes.append(lib.is_grad_enabled())

        g = gen()
        next(g)
        thrown = g.throw(KeyError("k"))
        g.close()
        return thrown, modes, lib.is_grad_enabled()

    assert both(scenario) == (2, [False, False], True)


def test_decorator_needs_a_function():
    with pytest.raises(TypeError, match="a decorator needs a function"):
        gu.no_grad()(3)


# ------------------------------------------------------------------ set_grad_enabled
def test_set_grad_enabled_as_a_plain_call_and_a_context():
    def scenario(lib):
        lib.set_grad_enabled(False)
        after_call = (lib.is_grad_enabled(), records(lib, _leaf))
        lib.set_grad_enabled(True)
        with lib.set_grad_enabled(False) as entered:
            inside = lib.is_grad_enabled()
        with lib.no_grad(), lib.set_grad_enabled(True):
            forced_on = records(lib, _leaf)
        return after_call, entered, inside, lib.is_grad_enabled(), forced_on

    assert both(scenario) == ((False, False), None, False, True, True)


def test_set_grad_enabled_as_a_decorator_applies_only_inside_calls():
    def scenario(lib):
        @lib.set_grad_enabled(False)
        def f():
            return lib.is_grad_enabled()

        before = lib.is_grad_enabled()  # decorating must not switch the mode
        return before, f(), lib.is_grad_enabled()

    assert both(scenario) == (True, False, True)


@pytest.mark.parametrize("bad", [1, None, "no"])
def test_set_grad_enabled_wants_a_bool(bad):
    with pytest.raises(TypeError):
        torch.set_grad_enabled(bad)
    with pytest.raises(TypeError, match="must be bool"):
        gu.set_grad_enabled(bad)
    assert gu.is_grad_enabled()


# -------------------------------------------------------------------- inference_mode
def test_inference_mode_is_no_grad_plus_a_flag():
    def scenario(lib):
        out = [lib.is_inference_mode_enabled()]
        with lib.inference_mode():
            out += [lib.is_grad_enabled(), lib.is_inference_mode_enabled()]
            out.append((lib.ones(2) * 2).requires_grad)
            with lib.inference_mode(False):  # torch turns gradients back on here
                out += [lib.is_grad_enabled(), lib.is_inference_mode_enabled()]
            with lib.enable_grad():
                out += [lib.is_grad_enabled(), lib.is_inference_mode_enabled()]
        with lib.no_grad(), lib.inference_mode(False):
            out.append(lib.is_grad_enabled())
        return out + [lib.is_grad_enabled(), lib.is_inference_mode_enabled()]

    assert both(scenario) == [False, False, True, False, True, False, True, True, True, True, False]


@pytest.mark.parametrize("form", ["bare", "called", "false"])
def test_inference_mode_decorates(form):
    def scenario(lib):
        deco = {
            "bare": lib.inference_mode,
            "called": lib.inference_mode(),
            "false": lib.inference_mode(False),
        }[form]

        @deco
        def f():
            return lib.is_grad_enabled(), lib.is_inference_mode_enabled()

        return f(), lib.is_inference_mode_enabled()

    expected = ((True, False) if form == "false" else (False, True), False)
    assert both(scenario) == expected


def test_inference_mode_rejects_a_non_bool_mode():
    with pytest.raises(TypeError, match="mode must be a bool"):
        gu.inference_mode("yes")


# ------------------------------------------------------------------------- threads
def test_grad_mode_is_per_thread():
    def scenario(lib):
        seen = []
        with lib.no_grad():
            worker = threading.Thread(target=lambda: seen.append(lib.is_grad_enabled()))
            worker.start()
            worker.join()
            main = lib.is_grad_enabled()
        return seen, main

    assert both(scenario) == ([True], False)


def test_a_thread_switching_modes_does_not_touch_another():
    entered, release = threading.Event(), threading.Event()
    seen = []

    def worker():
        with gu.no_grad():
            entered.set()
            release.wait(5)
            seen.append(gu.is_grad_enabled())

    t = threading.Thread(target=worker)
    t.start()
    entered.wait(5)
    main_during = gu.is_grad_enabled()
    release.set()
    t.join()
    assert main_during is True and seen == [False]


def test_existing_imports_still_work():
    from groundup.tensor import enable_grad, is_grad_enabled, no_grad

    assert no_grad is gu.no_grad is grad_mode.no_grad
    assert enable_grad is gu.enable_grad and is_grad_enabled is gu.is_grad_enabled


def test_reading_the_mode_is_cheap():
    # one ContextVar read: far below the microseconds of the smallest op (a loose bound
    # that only catches an accidental slow path, such as a lock or a Python-level lookup)
    n = 20_000
    seconds = min(timeit.repeat(gu.is_grad_enabled, number=n, repeat=3)) / n
    assert seconds < 2e-6

"""torch.autograd's API on groundup: grad, backward(inputs=), hooks, custom Functions,
jacobian, anomaly mode, each scenario run on both libraries and compared."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import groundup as gu
from tests.test_inplace import both, both_raise, leaf


def test_grad_returns_gradients_and_leaves_dot_grad_alone():
    def scenario(T):
        x = leaf(T, [1.0, 2.0, 3.0])
        w = leaf(T, [0.5, -1.0, 2.0])
        h = x * w  # a non-leaf input too
        y = (h * h).sum() + x.sum()
        gx, gw, gh = T.autograd.grad(y, [x, w, h])
        assert x.grad is None and w.grad is None
        return [gx, gw, gh]

    both(scenario)


def test_grad_with_several_outputs_and_their_weights():
    def scenario(T):
        x = leaf(T, [1.0, 2.0])
        a, b = x * 3, x.exp()
        (g,) = T.autograd.grad(
            [a, b.sum()], x, grad_outputs=[T.tensor([1.0, -1.0], dtype=T.float64), None]
        )
        return g

    both(scenario)


def test_grad_of_an_unused_input():
    def scenario(T):
        x, z = leaf(T, [1.0]), leaf(T, [2.0])
        gx, gz = T.autograd.grad((x * 2).sum(), [x, z], allow_unused=True)
        assert gz is None
        (gm,) = T.autograd.grad((x * 2).sum(), [z], allow_unused=True, materialize_grads=True)
        return [gx, gm]

    both(scenario)
    both_raise(
        lambda T: T.autograd.grad((leaf(T, [1.0]) * 2).sum(), [leaf(T, [2.0])]),
        "appears to not have been used",
    )


def test_backward_from_several_roots_and_into_chosen_inputs():
    def scenario(T):
        x, w = leaf(T, [1.0, 2.0]), leaf(T, [3.0, 4.0])
        T.autograd.backward([(x * w).sum(), (x * x).sum()])
        gx, gw = x.grad.clone(), w.grad.clone()
        x.grad = w.grad = None
        (x * w).sum().backward(inputs=[w])
        assert x.grad is None
        return [gx, gw, w.grad]

    both(scenario)


def test_create_graph_is_refused_clearly():
    x = gu.tensor([1.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="create_graph=True is not supported"):
        gu.autograd.grad((x * x).sum(), x, create_graph=True)


# ---------------------------------------------------------------------- hooks
def test_hooks_see_and_replace_gradients():
    def scenario(T):
        x = leaf(T, [1.0, 2.0])
        seen = []
        h = x * 3
        h.register_hook(lambda g: seen.append(g.clone()))
        handle = x.register_hook(lambda g: g * 10)
        h.register_hook(lambda g: g + 1)
        (h * h).sum().backward()
        first = x.grad.clone()
        handle.remove()
        x.grad = None
        (x * 2).sum().backward()
        return [first, x.grad, seen[0]]

    both(scenario)


def test_hooks_run_once_on_a_leaf_used_twice():
    def scenario(T):
        x = leaf(T, [1.0, 2.0])
        calls = []
        x.register_hook(lambda g: calls.append(1))
        (x * x + x).sum().backward()
        return T.tensor(float(len(calls)))

    assert both(scenario) == 1


def test_retain_grad_and_retains_grad():
    def scenario(T):
        x = leaf(T, [1.0, 2.0])
        h = x * 2
        h.retain_grad()
        (h * h).sum().backward()
        return [h.grad, T.tensor(h.retains_grad), T.tensor(x.retains_grad)]

    both(scenario)
    both_raise(lambda T: T.tensor([1.0]).register_hook(print), "doesn't require")


# ---------------------------------------------------------------- custom Function
def _custom(T):
    class ScaledExp(T.autograd.Function):
        @staticmethod
        def forward(ctx, x, scale):
            y = x.exp() * scale
            ctx.save_for_backward(y)
            ctx.scale = scale
            return y, x * 2

        @staticmethod
        def backward(ctx, grad_y, grad_double):
            (y,) = ctx.saved_tensors
            assert ctx.needs_input_grad == (True, False)
            return grad_y * y + grad_double * 2, None

    return ScaledExp


def test_custom_function_with_saved_tensors_and_two_outputs():
    def scenario(T):
        x = leaf(T, [0.5, -1.0])
        y, d = _custom(T).apply(x * 1, 3.0)
        (y * T.tensor([1.0, 2.0], dtype=T.float64) + d * d).sum().backward()
        return [y, d, x.grad]

    both(scenario)


def test_custom_function_refuses_a_changed_saved_tensor():
    def scenario(T):
        x = leaf(T, [0.5, -1.0])
        y, _ = _custom(T).apply(x * 1, 3.0)
        with T.no_grad():
            y.mul_(2)
        y.sum().backward()

    both_raise(scenario, "modified by an inplace operation")


def test_custom_function_with_a_wrong_number_of_gradients():
    def scenario(T):
        class Bad(T.autograd.Function):
            @staticmethod
            def forward(ctx, x, y):
                return x * y

            @staticmethod
            def backward(ctx, g):
                return g

        Bad.apply(leaf(T, [1.0]), leaf(T, [2.0])).sum().backward()

    both_raise(scenario, "incorrect number of gradients")


# ------------------------------------------------------------ functional, anomaly
def test_jacobian_and_vjp():
    def scenario(T):
        f = lambda a, b: (a * b.sum(), a.exp())  # noqa: E731
        a = T.tensor([1.0, 2.0], dtype=T.float64)
        b = T.tensor([0.5, 0.25, 1.0], dtype=T.float64)
        (j_aa, j_ab), (j_ea, j_eb) = T.autograd.functional.jacobian(f, (a, b))
        out, v = T.autograd.functional.vjp(lambda x: x * x, a, T.ones(2, dtype=T.float64))
        return [j_aa, j_ab, j_ea, j_eb, out, v]

    both(scenario)


def test_anomaly_mode_names_the_op_that_made_nan():
    x = gu.tensor([0.0, 1.0], requires_grad=True)
    with gu.autograd.detect_anomaly():
        y = (x.sqrt() * 0).sum()
        with pytest.raises(RuntimeError, match=r"'SqrtBackward' returned nan values.*created at"):
            y.backward()
    assert not gu.autograd.is_anomaly_enabled()
    (x.sqrt() * 0).sum().backward()  # off again: nan gradients pass, as in torch
    assert np.isnan(x.grad._data[0])


# --------------------------------------------------------------- strides, unfold
@pytest.mark.parametrize("args", [(1, 3, 2), (1, 2, 2), (-1, 2, 1), (0, 1, 1), (1, 7, 1)])
def test_unfold_is_torchs_sliding_window_view(args):
    a = np.random.default_rng(0).standard_normal((2, 7, 3))

    def scenario(T):
        x = T.tensor(a, requires_grad=True)
        windows = x.unfold(*args)
        assert windows.stride() == torch.tensor(a).unfold(*args).stride()
        weight = T.tensor(np.arange(windows.numel()).reshape(windows.shape) % 5, dtype=T.float64)
        (windows * weight).sum().backward()
        return [windows, x.grad]

    both(scenario)


def test_strides_and_data_pointers_follow_views():
    x = gu.zeros(3, 4)
    assert x.stride() == (4, 1) and x.t().stride() == (1, 4) and x.stride(-1) == 1
    assert x[1].data_ptr() == x.data_ptr() + 16 and x.t().data_ptr() == x.data_ptr()
    with pytest.raises(RuntimeError, match="maximum size"):
        x.unfold(0, 4, 1)

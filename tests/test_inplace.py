"""In-place ops and autograd's version check, written from torch's documented behaviour.

Each scenario is one function run twice, with `T` = groundup and `T` = torch: the same
code must give the same values, the same gradients and the same version counters, or
raise the same exception class.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
import torch

import groundup as gu


def _numpy(value: Any) -> Any:
    if isinstance(value, (list, tuple)):
        return [_numpy(v) for v in value]
    if isinstance(value, torch.Tensor):
        return value.detach().numpy()
    if isinstance(value, gu.Tensor):
        return value.detach()._data
    return value


def both(scenario: Callable[[Any], Any]) -> Any:
    """Run `scenario` on groundup and on torch; compare what they return."""
    mine, theirs = _numpy(scenario(gu)), _numpy(scenario(torch))
    if isinstance(theirs, list):
        assert len(mine) == len(theirs)
        for m, t in zip(mine, theirs, strict=True):
            np.testing.assert_allclose(m, t, rtol=1e-6, atol=1e-7)
    else:
        np.testing.assert_allclose(mine, theirs, rtol=1e-6, atol=1e-7)
    return mine


def both_raise(scenario: Callable[[Any], Any], match: str) -> None:
    """The scenario raises RuntimeError in torch, and in groundup with a message matching."""
    with pytest.raises(RuntimeError):
        scenario(torch)
    with pytest.raises(RuntimeError, match=match):
        scenario(gu)


def leaf(T: Any, values: list[float]) -> Any:
    return T.tensor(values, dtype=T.float64, requires_grad=True)


# ---------------------------------------------------------------- the update loop
def test_manual_sgd_under_no_grad_changes_the_weights():
    def scenario(T):
        w = leaf(T, [1.0, -2.0, 3.0])
        (w * w).sum().backward()
        with T.no_grad():
            for p in [w]:
                p -= 0.1 * p.grad
        return [w, T.tensor(w._version), T.tensor(w.is_leaf), T.tensor(w.requires_grad)]

    w, version, is_leaf, requires = both(scenario)
    np.testing.assert_allclose(w, [0.8, -1.6, 2.4])
    assert version == 1 and is_leaf and requires


def test_every_augmented_operator_mutates_in_place():
    def scenario(T):
        x = T.tensor([4.0, 9.0])
        alias = x
        x += 1
        x -= 0.5
        x *= 2
        x /= 4
        x **= 2
        assert x is alias
        n = T.tensor([7, -7])
        n //= 2
        m = T.tensor([7, -7])
        m %= 3
        b = T.tensor([True, False])
        b &= T.tensor([True, True])
        return [x, n, m, b, T.tensor(x._version)]

    both(scenario)


def test_in_place_on_a_leaf_that_requires_grad_is_refused():
    both_raise(lambda T: leaf(T, [1.0]).add_(1), "a leaf Variable that requires grad")
    both_raise(lambda T: leaf(T, [1.0]).zero_(), "a leaf Variable that requires grad")

    def assign(T):
        x = leaf(T, [1.0, 2.0])
        x[0] = 5.0

    both_raise(assign, "a leaf Variable that requires grad")


def test_in_place_on_a_view_of_a_leaf_is_refused():
    both_raise(lambda T: leaf(T, [1.0, 2.0])[0].mul_(2), "a view of a leaf Variable")


def test_in_place_on_a_leaf_is_allowed_under_no_grad():
    def scenario(T):
        x = leaf(T, [1.0, 2.0])
        with T.no_grad():
            x[0] = 5.0
            x[1:].mul_(3)
        (x * x).sum().backward()
        return [x, x.grad, T.tensor(x._version)]

    both(scenario)


# ----------------------------------------------------------- the version check
def test_changing_a_saved_tensor_makes_backward_raise():
    def scenario(T):
        x = leaf(T, [1.0, 2.0, 3.0])
        y = x * 2
        z = (y * y).sum()
        with T.no_grad():
            y[0] = 100
        z.backward()

    both_raise(scenario, r"modified by an inplace operation.*version 1; expected version 0")


def test_zero_on_a_saved_tensor_makes_backward_raise():
    def scenario(T):
        x = leaf(T, [1.0, 2.0])
        y = x * 2
        z = (y * y).sum()
        y.zero_()
        z.backward()

    both_raise(scenario, r"input \d of MulBackward")


def test_changing_a_saved_output_makes_backward_raise():
    def scenario(T):
        x = leaf(T, [1.0, 2.0])
        y = x.exp()
        y.add_(1)
        y.sum().backward()

    both_raise(scenario, r"output 0 of ExpBackward")


def test_changing_a_tensor_nobody_saved_is_fine():
    def scenario(T):
        x = leaf(T, [1.0, 2.0])
        y = x * 2
        z = y + 1  # add saves nothing
        y.mul_(10)  # y's new history; z keeps the old one
        (z.sum() + y.sum()).backward()
        return [z, y, x.grad]

    both(scenario)


def test_a_detached_alias_shares_the_version_counter():
    def scenario(T):
        x = leaf(T, [1.0, 2.0])
        y = x.exp()
        y.detach().zero_()
        y.sum().backward()

    both_raise(scenario, "modified by an inplace operation")


def test_dot_data_shares_memory_but_not_the_version():
    def scenario(T):
        x = leaf(T, [1.0, 2.0])
        y = x.exp()
        y.data.mul_(0)  # untracked: backward uses the zeros (the classic .data trap)
        y.sum().backward()
        return [x.grad, T.tensor(y._version)]

    grad, version = both(scenario)
    np.testing.assert_array_equal(grad, [0.0, 0.0])
    assert version == 0


def test_dot_data_assignment_replaces_the_values():
    def scenario(T):
        w = leaf(T, [1.0, 2.0])
        w.data = T.tensor([5.0, 6.0, 7.0], dtype=T.float64)
        (w * 2).sum().backward()
        return [w, w.grad, T.tensor(w.is_leaf)]

    both(scenario)


# ------------------------------------------------------------ recorded in-place ops
def test_in_place_op_on_a_non_leaf_rebases_its_history():
    def scenario(T):
        x = leaf(T, [1.0, 2.0, 3.0])
        y = x * 1
        y.mul_(2).add_(x).pow_(2)
        y.sum().backward()
        return [y, x.grad, T.tensor(y._version)]

    both(scenario)


def test_gradients_recorded_before_an_in_place_op_keep_their_path():
    def scenario(T):
        x = leaf(T, [1.0, 2.0])
        y = x * 1
        z = y * 3  # 3 needs no grad, so y is not saved
        y.mul_(2)
        z.sum().backward()
        return x.grad

    np.testing.assert_array_equal(both(scenario), [3.0, 3.0])


def test_in_place_with_an_operand_that_requires_grad():
    def scenario(T):
        x = leaf(T, [1.0, 2.0])
        w = leaf(T, [3.0, 4.0])
        buf = T.zeros(2, dtype=T.float64)
        buf.add_(w * x)
        buf.mul_(w)
        buf.sum().backward()
        return [buf, x.grad, w.grad, T.tensor(buf.requires_grad)]

    both(scenario)


def test_loss_accumulated_with_plus_equals():
    def scenario(T):
        w = leaf(T, [0.5, -1.0])
        total = 0
        for k in range(3):
            total += ((w * (k + 1)) ** 2).sum()
        total.backward()
        return [total, w.grad]

    both(scenario)


def test_zero_and_fill_block_the_gradient_of_the_old_value():
    def scenario(T):
        x = leaf(T, [1.0, 2.0])
        y = x * 2
        y.zero_()
        (y + x).sum().backward()
        a = x.grad.clone()
        x.grad = None
        v = T.tensor(3.0, dtype=T.float64, requires_grad=True)
        u = x * 2
        u.fill_(v)
        (u * x).sum().backward()
        return [a, x.grad, v.grad, u]

    both(scenario)


def test_copy_broadcasts_and_sends_the_gradient_to_the_source():
    def scenario(T):
        src = leaf(T, [1.0, 2.0, 3.0])
        x = leaf(T, [[0.0, 0.0, 0.0], [0.0, 0.0, 0.0]])
        y = x * 1
        y.copy_(src * 2)
        (y * T.tensor([[1.0], [2.0]], dtype=T.float64)).sum().backward()
        return [y, src.grad, x.grad]

    both(scenario)


def test_copy_casts_to_the_destination_dtype():
    def scenario(T):
        x = T.zeros(3, dtype=T.int64)
        x.copy_(T.tensor([1.7, -2.2, 3.9]))
        f = T.zeros(2)
        f.copy_(T.tensor([1, 2]))
        return [x, f]

    both(scenario)


# ------------------------------------------------------------------------- views
def test_in_place_through_a_view_rebases_the_base():
    def scenario(T):
        x = leaf(T, [1.0, 2.0, 3.0, 4.0])
        y = x * 1
        y[1:3].mul_(10)
        y.view(2, 2)[1].add_(x[:2])
        (y * y).sum().backward()
        return [y, x.grad]

    both(scenario)


def test_a_view_sees_its_base_change_in_history_too():
    def scenario(T):
        x = leaf(T, [1.0, 2.0, 3.0])
        y = x * 1
        v = y[:2]
        y.mul_(3)
        v.sum().backward()
        return [v, x.grad]

    v, grad = both(scenario)
    np.testing.assert_array_equal(grad, [3.0, 3.0, 0.0])


def test_views_of_views_and_transposes():
    def scenario(T):
        x = leaf(T, [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
        y = x.clone()
        col = y.transpose(0, 1)[1]  # y[:, 1], through a transpose
        col.mul_(x[:, 0])
        y.reshape(6)[0].add_(7)
        (y**2).sum().backward()
        return [y, x.grad]

    both(scenario)


def test_in_place_into_a_view_of_a_tensor_without_grad():
    def scenario(T):
        w = leaf(T, [1.0, 2.0])
        buf = T.zeros(3, 2, dtype=T.float64)
        buf[1].add_(w)
        buf[2] = w * w
        buf.sum().backward()
        return [buf, w.grad, T.tensor(buf.requires_grad)]

    both(scenario)


def test_an_expanded_tensor_cannot_be_changed_in_place():
    both_raise(lambda T: T.zeros(1, 3).expand(4, 3).add_(1), "single memory location")


def test_a_view_made_under_no_grad_is_not_changed_with_grad_on():
    def scenario(T):
        x = leaf(T, [1.0, 2.0])
        y = x * 1
        with T.no_grad():
            v = y[:1]
        v.mul_(2)

    both_raise(scenario, "created in no_grad mode")


def test_versions_are_shared_by_views():
    def scenario(T):
        x = T.zeros(4)
        v = x[1:]
        v.add_(1)
        x[0] = 5
        x.view(2, 2).mul_(2)
        return [x, T.tensor([x._version, v._version])]

    both(scenario)


# ---------------------------------------------------------------- assignment
def test_setitem_is_differentiable_in_both_operands():
    def scenario(T):
        x = leaf(T, [1.0, 2.0, 3.0, 4.0])
        w = leaf(T, [10.0, 20.0])
        y = x * 1
        y[1:3] = w * 2
        y[T.tensor([0, 3])] = y[T.tensor([3, 0])] * 5
        (y * T.arange(4, dtype=T.float64)).sum().backward()
        return [y, x.grad, w.grad]

    both(scenario)


def test_setitem_with_a_mask_and_a_broadcast_value():
    def scenario(T):
        x = leaf(T, [[1.0, -2.0], [-3.0, 4.0]])
        v = T.tensor(0.5, dtype=T.float64, requires_grad=True)
        y = x.clone()
        y[y < 0] = v
        y[:, 0] = v * 2
        (y * y).sum().backward()
        return [y, x.grad, v.grad]

    both(scenario)


def test_setitem_casts_the_value_to_the_tensor_dtype():
    def scenario(T):
        x = T.zeros(3, dtype=T.int64)
        x[0] = 2.9
        x[1:] = T.tensor([-1.5, 7.2])
        return x

    both(scenario)


# ----------------------------------------------------------------- dtype and shape
def test_in_place_refuses_a_result_it_cannot_hold():
    both_raise(lambda T: T.tensor([1, 2]).add_(1.5), "can't be cast to the desired output type")
    both_raise(lambda T: T.tensor([1, 2]).mul_(T.tensor([0.5, 1.0])), "can't be cast")
    both_raise(lambda T: T.zeros(3).add_(T.ones(2, 3)), "doesn't match the broadcast shape")


def test_in_place_casts_a_wider_float_result_down():
    def scenario(T):
        x = T.ones(2)
        x.add_(T.tensor([0.1, 0.2], dtype=T.float64))
        x.add_(T.tensor([1, 2]))
        return [x, T.tensor(str(x.dtype).endswith("float32"))]

    both(scenario)


@pytest.mark.parametrize(
    ("method", "args"),
    [
        ("exp_", ()),
        ("abs_", ()),
        ("neg_", ()),
        ("sigmoid_", ()),
        ("tanh_", ()),
        ("relu_", ()),
        ("clamp_", (-1.0, 1.0)),
        ("pow_", (3,)),
        ("div_", (4.0,)),
        ("sub_", (2.0,)),
    ],
)
def test_unary_ops_have_in_place_twins(method, args):
    def scenario(T):
        x = leaf(T, [0.5, 1.5, -2.0])
        y = x * 1
        assert getattr(y, method)(*args) is y
        (y * y).sum().backward()
        return [y, x.grad, T.tensor(y._version)]

    both(scenario)


def test_changing_the_saved_result_of_an_in_place_op_makes_backward_raise():
    def scenario(T):
        y = leaf(T, [0.5, 1.5]) * 1
        y.sigmoid_().tanh_()  # sigmoid_'s backward reads its result, which tanh_ overwrote
        y.sum().backward()

    both_raise(scenario, "output 0 of SigmoidBackward, is at version 2; expected version 1")


# ----------------------------------------------------------------------- sampling
@pytest.mark.parametrize(
    ("method", "args", "mean", "std"),
    [
        ("uniform_", (-1.0, 3.0), 1.0, 4 / np.sqrt(12)),
        ("normal_", (2.0, 0.5), 2.0, 0.5),
        ("exponential_", (2.0,), 0.5, 0.5),
        ("bernoulli_", (0.25,), 0.25, np.sqrt(0.25 * 0.75)),
    ],
)
def test_sampling_fills_follow_their_distribution(method, args, mean, std):
    gu.manual_seed(0)
    x = gu.empty(100_000, dtype=gu.float64) if hasattr(gu, "empty") else gu.zeros(100_000)
    out = getattr(x, method)(*args)
    assert out is x and x._version == 1
    assert abs(float(x._data.mean()) - mean) < 0.02
    assert abs(float(x._data.std()) - std) < 0.02


def test_random_draws_integers_in_range():
    gu.manual_seed(0)
    x = gu.zeros(1000, dtype=gu.int64).random_(3, 7)
    assert set(np.unique(x._data)) == {3, 4, 5, 6}


def test_sampling_into_a_non_leaf_blocks_its_gradient():
    def scenario(T):
        x = leaf(T, [1.0, 2.0])
        y = x * 2
        y.uniform_(0, 1)
        (y + x).sum().backward()
        return x.grad

    np.testing.assert_array_equal(both(scenario), [1.0, 1.0])


def test_bad_distribution_parameters_are_refused():
    with pytest.raises(RuntimeError, match="std >= 0"):
        gu.zeros(3).normal_(0, -1)
    with pytest.raises(RuntimeError, match="a <= b"):
        gu.zeros(3).uniform_(2, 1)


# ---------------------------------------------------------------- leaf utilities
def test_requires_grad_and_detach_in_place():
    def scenario(T):
        x = T.tensor([1.0, 2.0]).requires_grad_()
        y = x * 2
        y.detach_()
        return [T.tensor([y.requires_grad, y.is_leaf, x.requires_grad])]

    both(scenario)
    both_raise(lambda T: (leaf(T, [1.0]) * 2).requires_grad_(False), "leaf")
    both_raise(lambda T: (leaf(T, [1.0, 2.0]) * 2)[0].detach_(), "detach")


def test_the_version_check_costs_nothing_when_nothing_changes():
    x = gu.randn(3, 3, requires_grad=True)
    y = x
    for _ in range(50):
        y = (y * 1.01).tanh()
    y.sum().backward()  # no in-place op: backward must not raise
    assert x.grad is not None


def test_an_optimizer_step_invalidates_a_retained_graph():
    def scenario(T):
        w = leaf(T, [1.0, 2.0])
        loss = (w * w).sum()
        loss.backward(retain_graph=True)
        T.optim.SGD([w], lr=0.1).step()
        loss.backward()  # the graph saved w before the step

    both_raise(scenario, "modified by an inplace operation")


def test_a_non_differentiable_in_place_op_keeps_a_zero_gradient_history():
    def scenario(T):
        x = leaf(T, [1.0, 2.0])
        y = x * 2
        y.eq_(2)
        (y + x).sum().backward()
        return [y, x.grad, T.tensor(y.requires_grad)]

    both(scenario)


def test_comparing_with_none_is_false_as_in_torch():
    t = gu.tensor([1.0])
    assert (t == None) is False and (t != None) is True  # noqa: E711
    with pytest.raises(TypeError):
        ~gu.tensor([1.0])
    with pytest.raises(TypeError):
        ~torch.tensor([1.0])


def test_view_never_copies_and_changes_reach_the_base():
    both_raise(lambda T: T.zeros(3, 4).t().view(12), "not compatible with input tensor's size")

    def scenario(T):
        x = T.zeros(2, 3)
        x.view(3, 2)[0].fill_(1.0)
        x.t().reshape(6)[0].fill_(9.0)  # reshape of a transpose copies: x keeps its 0
        return [x, T.tensor(x.view(-1).shape[0])]

    both(scenario)


def test_view_as_another_dtype_of_the_same_size():
    def scenario(T):
        return T.tensor([1.0, -2.0]).view(T.int32)

    both(scenario)

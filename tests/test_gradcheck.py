"""gradcheck: passes correct ops, catches wrong ones and names the worst derivative,
switches to random directions for big inputs, and leaves no trace."""

import numpy as np
import pytest

import groundup as gu
from groundup.function import Function
from groundup.inspect import GradcheckError, GradcheckReport, gradcheck
from tests.strategies import normal


class SquareWithBug(Function):
    """x^2 whose backward is wrong at one element (index `bad`) by a factor of 1.5."""

    bad = (1, 2)

    def forward(self, x):
        self.x = x
        return x * x

    def backward(self, grad):
        g = 2 * self.x * grad
        g[self.bad] *= 1.5
        return g


class ForgetsTheChainRule(Function):
    """sin whose backward ignores the incoming gradient."""

    def forward(self, x):
        self.x = x
        return np.sin(x)

    def backward(self, grad):
        return np.cos(self.x)


def _x(*shape, seed=0):
    return gu.tensor(normal(shape, seed), requires_grad=True)


def test_correct_ops_pass_and_report_what_was_checked():
    x, y = _x(3, 4), _x(4, 2, seed=1)
    report = gradcheck(lambda a, b: (a @ b).tanh(), [x, y])
    assert isinstance(report, GradcheckReport) and report and report.passed
    assert report.checked == 12 + 8 and report.failures == []
    assert report.worst.error <= report.worst.allowed
    assert str(report).startswith("gradcheck passed: 20 derivatives agree")


def test_a_single_tensor_input_and_tuple_outputs_with_indices():
    report = gradcheck(lambda t: t.max(dim=1), _x(3, 5))  # (values, int64 indices)
    assert report.checked == 15


def test_several_outputs_sharing_one_graph():
    def fn(t):
        h = t.exp()
        return h * 2, h.sum(dim=0), SquareWithBug.apply(h)

    assert gradcheck(lambda t: fn(t)[:2], _x(3, 4))
    with pytest.raises(GradcheckError, match="input 0, element \\(1, 2\\)"):
        gradcheck(fn, _x(3, 4))


def test_non_tensor_and_constant_inputs_pass_through():
    const = gu.tensor(normal((4,), 2))
    report = gradcheck(lambda a, c, k: (a * c) ** k, [_x(3, 4), const, 3])
    assert report.checked == 12


def test_a_wrong_element_is_named_in_the_error():
    with pytest.raises(GradcheckError, match=r"input 0, element \(1, 2\): backward gives") as info:
        gradcheck(SquareWithBug.apply, _x(3, 4))
    report = info.value.report
    assert len(report.failures) == 1
    worst = report.worst
    assert (worst.input_index, worst.element, worst.direction) == (0, (1, 2), None)
    assert worst.analytic == pytest.approx(1.5 * worst.numeric, rel=1e-6)
    assert "1 of 12 derivatives disagree" in str(info.value)


def test_the_second_input_is_blamed_when_only_it_is_wrong():
    def fn(a, b):
        return a * 2 + SquareWithBug.apply(b)

    report = gradcheck(fn, [_x(3, 4), _x(3, 4, seed=1)], raise_exception=False)
    assert not report and report.worst.input_index == 1 and report.worst.element == (1, 2)


def test_ignoring_the_upstream_gradient_is_caught():
    # a plain sum would hide this bug (upstream all ones); gradcheck projects on random v
    report = gradcheck(ForgetsTheChainRule.apply, _x(5), raise_exception=False)
    assert not report.passed and len(report.failures) == 5


def test_a_detached_path_is_caught():
    report = gradcheck(lambda t: t.detach() * 2 + t, _x(4), raise_exception=False)
    assert not report
    assert report.worst.analytic == pytest.approx(report.worst.numeric / 3, rel=1e-6)


def test_big_inputs_are_checked_along_random_directions():
    x = _x(80, 80)  # 6400 elements > max_elements
    report = gradcheck(lambda t: (t * t).sum(dim=1), x)
    assert report.checked == 5
    assert report.worst.element is None and report.worst.direction is not None
    # a single wrong element out of 6400 (one with a typical gradient, not a near-zero one)
    # still moves every random directional derivative past the tolerance
    SquareWithBug.bad = tuple(int(i) for i in np.argwhere(np.abs(x.detach().numpy()) > 1)[17])
    try:
        with pytest.raises(GradcheckError, match="input 0, random direction"):
            gradcheck(SquareWithBug.apply, x, directions=3)
    finally:
        SquareWithBug.bad = (1, 2)
    assert (
        gradcheck(lambda t: t.exp(), x, max_elements=10_000, raise_exception=False).checked == 6400
    )


def test_gradcheck_leaves_inputs_and_grads_as_they_were():
    x = _x(3, 4)
    weight = gu.tensor(normal((4, 2), 1), requires_grad=True)  # captured, like a parameter
    x.grad = gu.tensor(np.full((3, 4), 7.0))
    before = x.detach().numpy().copy()
    assert gradcheck(lambda t: t @ weight, x)
    np.testing.assert_array_equal(x.detach().numpy(), before)
    np.testing.assert_array_equal(x.grad.numpy(), np.full((3, 4), 7.0))
    assert weight.grad is None


def test_outputs_that_are_views_of_the_input_are_handled():
    assert gradcheck(lambda t: t[1:].T, _x(3, 4))


def test_gradcheck_argument_errors():
    with pytest.raises(
        TypeError, match="gradcheck: input 0 has dtype float32; finite differences need float64"
    ):
        gradcheck(lambda t: t * 2, gu.tensor([1.0, 2.0], requires_grad=True))
    with pytest.raises(ValueError, match="gradcheck: no input requires grad"):
        gradcheck(lambda t: t * 2, gu.tensor(np.array([1.0])))
    with pytest.raises(
        TypeError,
        match="gradcheck: fn must return a tensor or a tuple of tensors, got \\['float'\\]",
    ):
        gradcheck(lambda t: 1.0, _x(2))

    def mutates(t):
        t._data[0] += 1
        return t * 2

    with pytest.raises(RuntimeError, match="gradcheck: fn modified input 0 in place"):
        gradcheck(mutates, _x(2))


def test_tolerances_are_respected():
    class SlightlyOff(Function):
        def forward(self, x):
            return 3 * x

        def backward(self, grad):
            return grad * (3 + 1e-4)

    x = _x(4)
    assert not gradcheck(SlightlyOff.apply, x, rtol=1e-6, atol=1e-6, raise_exception=False)
    assert gradcheck(SlightlyOff.apply, x, rtol=1e-3)

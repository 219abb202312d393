"""The autograd engine: accumulation, deep graphs, visiting each node once, freeing the
graph, no_grad/detach/retain_grad, backward's argument checks, and the Tensor API."""

import gc
import weakref

import numpy as np
import pytest
import torch

import groundup as gu
from groundup.function import Function


class CountingSquare(Function):
    """x^2 that counts its backward calls."""

    calls = 0

    def forward(self, x):
        self.x = x
        return x * x

    def backward(self, grad):
        CountingSquare.calls += 1
        return 2 * self.x * grad


# ---------------------------------------------------------------- accumulation
def test_gradients_accumulate_across_backward_calls_until_zeroed():
    x = gu.tensor([1.0, 2.0], requires_grad=True)
    (x * 3).sum().backward()
    (x * x).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [3 + 2, 3 + 4])
    x.grad.zero_()
    (x * 3).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [3, 3])
    x.grad = None
    (x * 2).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [2, 2])


def test_accumulation_matches_torch():
    a = np.array([0.5, -1.5, 2.0])
    x, t = gu.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)
    for m in (x, t):
        (m.exp() * 2).sum().backward()
        (m * m).mean().backward()
    np.testing.assert_allclose(x.grad.numpy(), t.grad.numpy(), rtol=1e-12)


def test_a_tensor_used_twice_in_one_op_gets_both_gradients():
    x = gu.tensor([3.0], requires_grad=True)
    (x * x).backward()
    assert x.grad.item() == 6.0


# ---------------------------------------------------------------- traversal
def test_a_20000_op_chain_backpropagates_without_recursion():
    x = gu.tensor(1.0, dtype=gu.float64, requires_grad=True)
    y = x
    for _ in range(20_000):
        y = y * 1.0001
    y.backward()
    np.testing.assert_allclose(x.grad.item(), 1.0001**20_000, rtol=1e-9)


def test_each_node_is_visited_once_in_a_diamond():
    CountingSquare.calls = 0
    x = gu.tensor([1.0, 2.0], dtype=gu.float64, requires_grad=True)
    a = CountingSquare.apply(x)  # a = x^2
    out = (a * 2 + a.exp() + a * a).sum()  # three paths out of a, joined again
    out.backward()
    assert CountingSquare.calls == 1
    xv = np.array([1.0, 2.0])
    np.testing.assert_allclose(x.grad.numpy(), (2 + np.exp(xv**2) + 2 * xv**2) * 2 * xv, rtol=1e-12)


def test_diamond_with_a_deep_side_branch_waits_for_every_consumer():
    x = gu.tensor(2.0, dtype=gu.float64, requires_grad=True)
    a = x * 3
    long = a
    for _ in range(50):
        long = long + 1
    out = long * a  # (a + 50) * a
    out.backward()
    assert x.grad.item() == pytest.approx(3 * (2 * 6 + 50))


def test_only_inputs_that_require_grad_receive_gradients():
    x = gu.tensor([1.0, 2.0], requires_grad=True)
    c = gu.tensor([3.0, 4.0])
    (x * c + c).sum().backward()
    assert c.grad is None
    np.testing.assert_array_equal(x.grad.numpy(), [3.0, 4.0])


# ---------------------------------------------------------------- graph lifetime
def test_the_graph_is_freed_after_backward():
    x = gu.tensor([1.0, 2.0], requires_grad=True)
    hidden = x.exp()
    alive = weakref.ref(hidden)
    out = (hidden * 2).sum()
    del hidden
    gc.collect()
    assert alive() is not None  # the graph holds the intermediate result for backward
    out.backward()
    gc.collect()
    assert alive() is None  # ... and lets go of it afterwards
    assert out.grad_fn.released
    assert not any(isinstance(v, np.ndarray) for v in vars(out.grad_fn).values())
    with pytest.raises(
        RuntimeError, match="backward through the graph a second time.*retain_graph=True"
    ):
        out.backward()


def test_retain_graph_allows_a_second_backward():
    x = gu.tensor([1.0, 2.0], requires_grad=True)
    out = (x * x).sum()
    out.backward(retain_graph=True)
    out.backward()
    np.testing.assert_array_equal(x.grad.numpy(), [4.0, 8.0])
    with pytest.raises(RuntimeError, match="second time"):
        out.backward()


def test_a_shared_subgraph_freed_by_one_backward_is_reported_by_the_next():
    x = gu.tensor([1.0], requires_grad=True)
    shared = x.exp()
    shared.sum().backward()
    with pytest.raises(RuntimeError, match="second time"):
        (shared * 2).sum().backward()


# ---------------------------------------------------------------- recording modes
def test_no_grad_records_no_graph():
    x = gu.tensor([1.0, 2.0], requires_grad=True)
    with gu.no_grad():
        y = x * 2 + 1
        assert not gu.is_grad_enabled()
        with gu.enable_grad():
            z = x * 2
    assert gu.is_grad_enabled()
    assert not y.requires_grad and y.grad_fn is None and y.is_leaf
    assert z.requires_grad and z.grad_fn is not None


def test_no_grad_as_a_decorator_and_after_an_exception():
    @gu.no_grad()
    def f(t):
        return t * 2

    x = gu.tensor([1.0], requires_grad=True)
    assert not f(x).requires_grad
    with pytest.raises(ValueError), gu.no_grad():
        raise ValueError
    assert gu.is_grad_enabled()


def test_detach_shares_data_and_stops_the_gradient():
    x = gu.tensor([1.0, 2.0], requires_grad=True)
    d = (x * 2).detach()
    assert not d.requires_grad and d.grad_fn is None
    y = x * 2
    assert np.shares_memory(y.detach().numpy(), y._data)
    (x * d).sum().backward()  # d is a constant: dx = d
    np.testing.assert_array_equal(x.grad.numpy(), [2.0, 4.0])


def test_retain_grad_keeps_the_gradient_of_a_non_leaf():
    x = gu.tensor([1.0, 2.0], requires_grad=True)
    h = x * 3
    h.retain_grad()
    other = x * 4
    (h * h + other).sum().backward()
    np.testing.assert_array_equal(h.grad.numpy(), [6.0, 12.0])  # d(h^2)/dh = 2h
    assert other.grad is None and not other.is_leaf


# ---------------------------------------------------------------- backward arguments
def test_backward_of_a_non_scalar_needs_a_gradient():
    x = gu.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    with pytest.raises(
        RuntimeError,
        match=r"grad can be implicitly created only for scalar outputs, got shape \(2,\)",
    ):
        y.backward()
    with pytest.raises(RuntimeError, match=r"gradient has shape \(3,\), expected \(2,\)"):
        y.backward(np.ones(3))
    y.backward(gu.tensor([1.0, -1.0]))
    np.testing.assert_array_equal(x.grad.numpy(), [2.0, -2.0])
    z = (x * 2).sum(dim=0, keepdim=True)  # one element: no gradient needed
    z.backward()


def test_backward_without_a_graph_explains_itself():
    with pytest.raises(RuntimeError, match="does not require grad.*requires_grad=True"):
        gu.tensor([1.0]).sum().backward()


def test_requires_grad_needs_a_floating_dtype():
    with pytest.raises(
        RuntimeError, match="only floating-point tensors can require gradients, got dtype int64"
    ):
        gu.tensor([1, 2], requires_grad=True)
    with pytest.raises(RuntimeError, match="got dtype bool"):
        gu.tensor([True]).requires_grad_()


class WrongCount(Function):
    def forward(self, a, b):
        return a + b

    def backward(self, grad):
        return grad


class WrongShape(Function):
    def forward(self, a):
        return a.sum(axis=0)

    def backward(self, grad):
        return grad  # should be broadcast to a's shape (2, 3)


class Transposed(Function):
    def forward(self, a):
        return a * 2

    def backward(self, grad):
        return (2 * grad).T  # (3, 2) for an input of shape (2, 3): a bug


@pytest.mark.parametrize(
    "fn, message",
    [
        (lambda x: WrongCount.apply(x, x), "WrongCount.backward returned 1 gradients, expected 2"),
        (
            WrongShape.apply,
            r"WrongShape.backward returned a gradient of shape \(3,\) for an input of shape "
            r"\(2, 3\)",
        ),
        (Transposed.apply, r"Transposed.backward returned a gradient of shape \(3, 2\)"),
    ],
)
def test_a_buggy_function_is_named_by_the_engine(fn, message):
    x = gu.tensor(np.ones((2, 3)), requires_grad=True)
    with pytest.raises(RuntimeError, match=message):
        fn(x).sum().backward()


# ---------------------------------------------------------------- dtypes and the Tensor API
@pytest.mark.parametrize(
    "data, dtype",
    [
        ([1.0, 2.0], np.float32),
        (1.5, np.float32),
        ([[1, 2], [3, 4]], np.int64),
        (3, np.int64),
        ([True, False], np.bool_),
        (np.array([1.0, 2.0]), np.float64),
        (np.array([1, 2], np.int32), np.int32),
        (np.float64(2.0), np.float64),
        ([], np.float32),
    ],
)
def test_tensor_dtype_inference_follows_torch(data, dtype):
    t = gu.tensor(data)
    assert t.dtype == dtype
    assert str(torch.tensor(data).dtype) == "torch." + np.dtype(dtype).name


def test_tensor_copies_its_data_and_keeps_an_explicit_dtype():
    a = np.array([1.0, 2.0])
    t = gu.tensor(a)
    a[0] = 9
    assert t[0].item() == 1.0
    assert gu.tensor([1, 2], dtype=gu.float64).dtype == np.float64
    assert gu.tensor(gu.tensor([1.0]), dtype=gu.float64).dtype == np.float64


def test_integer_tensor_with_python_float_is_float32():
    out = gu.tensor([1, 2]) * 0.5
    assert out.dtype == np.float32
    np.testing.assert_array_equal(out.numpy(), [0.5, 1.0])


def test_ndarray_on_the_left_gives_a_tensor():
    a = np.array([1.0, 2.0], np.float32)
    x = gu.tensor([3.0, 4.0], requires_grad=True)
    for out in (a + x, a - x, a * x, a / x, a**x, a @ x):
        assert isinstance(out, gu.Tensor) and out.requires_grad and out.dtype == np.float32
    (a * x).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), a)


def test_tensor_accessors():
    a = np.arange(6.0).reshape(2, 3)
    t = gu.tensor(a)
    assert t.size() == (2, 3) and t.size(1) == 3 and t.size(-1) == 3 and t.shape == (2, 3)
    assert t.dim() == t.ndim == 2 and t.numel() == 6 and len(t) == 2
    assert t[1, 2].item() == 5.0 and isinstance(t[1, 2].item(), float)
    assert gu.tensor([7]).item() == 7 and isinstance(gu.tensor([7]).item(), int)
    assert np.shares_memory(t.numpy(), t._data) and isinstance(t.numpy(), np.ndarray)
    assert np.asarray(t) is t._data
    assert t.tolist() == a.tolist()
    assert float(t[0, 1]) == 1.0 and int(t[1, 0]) == 3
    with pytest.raises(
        RuntimeError,
        match=r"item\(\): only one-element tensors can be converted, got shape \(2, 3\)",
    ):
        t.item()
    with pytest.raises(
        RuntimeError, match=r"bool\(\): the truth value of a tensor of shape \(2, 3\) is ambiguous"
    ):
        bool(t)
    with pytest.raises(TypeError, match="len\\(\\) of a 0-d tensor"):
        len(gu.tensor(1.0))
    with pytest.raises(AttributeError, match="'Tensor' object has no attribute 'no_such_op'"):
        t.no_such_op()


def test_in_place_assignment_to_a_leaf_is_refused_while_recording():
    x = gu.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(
        RuntimeError, match="a leaf Variable that requires grad is being used in an in-place"
    ):
        x[0] = 5.0
    with gu.no_grad():
        x[gu.tensor([True, False])] = 5.0
    np.testing.assert_array_equal(x.detach().numpy(), [5.0, 2.0])


def test_repr_shows_dtype_and_graph():
    assert repr(gu.tensor([1.0, 2.0])) == "tensor([1., 2.])"
    assert "dtype=float64" in repr(gu.tensor(np.array([1.0])))
    assert "requires_grad=True" in repr(gu.tensor([1.0], requires_grad=True))
    assert "grad_fn=<MulBackward>" in repr(gu.tensor([1.0], requires_grad=True) * 2)

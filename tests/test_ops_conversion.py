"""Conversions against torch: .to() in all its call forms, .type(), the dtype shorthands
(.int(), .half(), ...), .cpu()/.cuda(), sizes (element_size, itemsize, nbytes), gradients
through float casts, and .numpy()'s refusal on tensors that require grad."""

import numpy as np
import pytest
import torch

import groundup as gu
from tests.oracle import assert_close

DTYPES = ["float16", "float32", "float64", "int8", "uint8", "int16", "int32", "int64", "bool"]


def _same(out, expected):
    assert isinstance(out, gu.Tensor)
    assert out.shape == tuple(expected.shape)
    assert str(out.dtype) == str(expected.dtype).replace("torch.", "")
    np.testing.assert_array_equal(out._data, expected.detach().numpy())


def test_tensor_size_properties_match_torch():
    for name in DTYPES:
        g, t = gu.ones(2, 3, dtype=getattr(gu, name)), torch.ones(2, 3, dtype=getattr(torch, name))
        assert g.element_size() == t.element_size() == g.itemsize == t.itemsize
        assert g.nbytes == t.nbytes
        assert g.is_floating_point() == t.is_floating_point()
        assert g.is_complex() == t.is_complex() is False
        assert g.type() == t.type()
        assert (g.is_cuda, g.is_cpu) == (t.is_cuda, t.is_cpu) == (False, True)


@pytest.mark.parametrize(
    "convert",
    [
        lambda m, x: x.to(m.float64),
        lambda m, x: x.to(float),
        lambda m, x: x.to(int),
        lambda m, x: x.to("cpu", m.float64),
        lambda m, x: x.to("cpu", dtype=m.float16),
        lambda m, x: x.to(device="cpu", dtype=m.int32),
        lambda m, x: x.to(m.device("cpu"), m.int8),
        lambda m, x: x.to(m.ones(1, dtype=m.int64)),
        lambda m, x: x.to(m.float64, False, True),
        lambda m, x: x.to("cpu", m.float64, False, True),
        lambda m, x: x.to(m.float32, copy=True),
        lambda m, x: x.to(dtype=m.bool, non_blocking=True),
        lambda m, x: x.type(m.float64),
        lambda m, x: x.type("torch.DoubleTensor"),
        lambda m, x: x.type("torch.ByteTensor"),
        lambda m, x: x.type_as(m.ones(1, dtype=m.int16)),
        lambda m, x: x.int(),
        lambda m, x: x.long(),
        lambda m, x: x.half(),
        lambda m, x: x.bool(),
        lambda m, x: x.float(),
        lambda m, x: x.double(),
        lambda m, x: x.short(),
        lambda m, x: x.byte(),
        lambda m, x: x.char(),
    ],
)
def test_conversions_match_torch(convert):
    x = np.array([[-1.5, 0.0, 2.7], [3.2, -0.2, 1.0]], np.float32)
    _same(convert(gu, gu.tensor(x)), convert(torch, torch.tensor(x)))


def test_to_returns_self_when_nothing_changes_unless_copy():
    for m in (gu, torch):
        x = m.ones(2)
        for same in (x.to("cpu"), x.to(m.float32), x.to(x), x.to(), x.cpu(), x.type(m.float32)):
            assert same is x
        assert x.to(m.float32, copy=True) is not x
        assert x.to(device="cpu", copy=True) is not x
    y = gu.ones(2, requires_grad=True) * 1
    z = y.to(gu.float32, copy=True)
    assert z.requires_grad and z.grad_fn is not None and not np.shares_memory(z._data, y._data)


def test_float_casts_stay_in_the_graph_and_others_leave_it():
    x = np.array([0.5, -1.25, 2.0])
    grads = []
    for m in (gu, torch):
        leaf = m.tensor(x, requires_grad=True)
        y = leaf.float() * 3 + leaf.half().double() * 2 + leaf.to(m.float64)
        assert not leaf.long().requires_grad and not leaf.bool().requires_grad
        y.sum().backward()
        grads.append(leaf.grad)
    assert grads[0].dtype == np.float64
    assert_close(grads[0], grads[1])


@pytest.mark.parametrize(
    "call, error",
    [
        (lambda m, x: x.to("float32"), RuntimeError),
        (lambda m, x: x.to("cuda:0"), (RuntimeError, AssertionError)),
        (lambda m, x: x.to(m.float64, m.float32), TypeError),
        (lambda m, x: x.to("cpu", "cpu"), TypeError),
        (lambda m, x: x.to(m.float64, dtype=m.float32), TypeError),
        (lambda m, x: x.to(1), RuntimeError),
        (lambda m, x: x.cuda(), (RuntimeError, AssertionError)),
        (lambda m, x: x.type("float64"), ValueError),
        (lambda m, x: x.type("torch.cuda.DoubleTensor"), RuntimeError),
    ],
)
def test_conversion_errors_match_torch(call, error):
    with pytest.raises(error):
        call(torch, torch.ones(2))
    with pytest.raises(error if error in (TypeError, ValueError) else RuntimeError):
        call(gu, gu.ones(2))


def test_conversion_messages_say_what_to_do():
    x = gu.ones(2)
    with pytest.raises(RuntimeError, match=r"x.to\(groundup.float32\)"):
        x.to("float32")
    with pytest.raises(RuntimeError, match="CPU only"):
        x.cuda()
    with pytest.raises(RuntimeError, match="NumPy has no bfloat16"):
        x.bfloat16()
    with pytest.raises(RuntimeError, match="'torch.DoubleTensor'"):
        x.type("torch.cuda.DoubleTensor")


def test_numpy_refuses_tensors_that_require_grad_like_torch():
    for m in (gu, torch):
        x = m.ones(2, requires_grad=True)
        with pytest.raises(RuntimeError, match="Use tensor.detach\\(\\).numpy\\(\\) instead"):
            x.numpy()
        assert x.numpy(force=True).dtype == np.float32
        assert x.detach().numpy().shape == (2,)
        assert x.tolist() == [1.0, 1.0]
        assert (x * 2).detach().numpy().tolist() == [2.0, 2.0]
    g = gu.ones(3)
    assert np.shares_memory(g.numpy(), g._data)  # shared, as torch's

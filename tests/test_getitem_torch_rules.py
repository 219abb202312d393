"""x[key] and x[key] = v follow torch's indexing rules, not NumPy's: values, gradients and
assignment (with gradients to both sides) against torch for many keys, including the ones
where NumPy would lay the result out differently (an int apart from an index tensor),
bools, 0-d index tensors, lists read as tuples, several Ellipses, and torch's errors."""

import warnings

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

import groundup as gu
from tests.oracle import assert_close
from tests.strategies import ladder, normal

X = normal((2, 3, 4), 0)
I2 = np.array([0, 2])
M = np.array([[True, False, True], [False, True, True]])


class T:
    """An index tensor, made by groundup or torch as the test needs."""

    def __init__(self, data, dtype=None):
        self.data, self.dtype = np.asarray(data), dtype

    def make(self, m):
        return m.tensor(self.data if self.dtype is None else self.data.astype(self.dtype))


def key_for(m, key):
    if isinstance(key, tuple):
        return tuple(key_for(m, k) for k in key)
    if isinstance(key, slice):
        return slice(*(key_for(m, k) for k in (key.start, key.stop, key.step)))
    return key.make(m) if isinstance(key, T) else key


S = slice(None)
KEYS = {
    # an int apart from the index tensor: torch applies the int first
    "0, :, idx": (0, S, T(I2)),
    "None, 0, :, idx": (None, 0, S, T(I2)),
    "0, None, idx": (0, None, T(I2)),
    ":, 0, :, idx (4-D)": None,  # filled below on a 4-D input
    "0-d tensor, :, idx": (T(1), S, T(I2)),
    "0, :, True": (0, S, True),
    "0, :, 2-D idx": (0, S, T([[0, 1], [3, 3]])),
    "None, 0, None, :, idx, None": (None, 0, None, S, T(I2), None),
    # the int next to the index tensor: torch and NumPy agree
    "0, idx": (0, T(I2)),
    "idx, :, 0": (T([1, 0]), S, 0),
    "idx, 0, idx": (T([1, 0]), 0, T([3, 3])),
    # index tensors, lists, masks
    "long tensor with repeats": T([1, 1, 0]),
    "int32 tensor": T([1, 0], np.int32),
    "negative indices": (S, T([-1, -3, 0])),
    "list": [1, 0, 1],
    "list of floats becomes long": ([1.7, 0.2],),
    "empty list": ([],),
    "tuple inside the key": ((1, 0), S, (3, 2)),
    "two index tensors, adjacent": (S, T([0, 2, 2]), T([3, 0, 1])),
    "two index tensors, apart": (T([1, 0]), S, T([3, 0])),
    "broadcast index tensors": (T([[0], [1]]), T([[0, 2, 1]])),
    "2-D mask": T(M),
    "2-D mask and int": (T(M), 1),
    "mask on the last dim": (Ellipsis, T([True, False, False, True])),
    "mask after int": (0, S, T([True, False, True, True])),
    "uint8 mask": T([1, 0], np.uint8),
    "0-d bool tensor": T(True),
    "list of bools": ([True, False],),
    # basic indexing
    "int": 1,
    "negative int": (-1, -2),
    "slices with steps": (S, slice(None, None, 2), slice(1, None, 2)),
    "out-of-range slices are clipped": (slice(1, 10), slice(-10, 2)),
    "empty slice": slice(1, 0),
    "Ellipsis": (Ellipsis, 1),
    "Ellipsis twice": (Ellipsis, 0, Ellipsis),
    "None and Ellipsis twice": (Ellipsis, None, Ellipsis),
    "True": True,
    "False": False,
    "0-d long tensor": T(1),
    "0-d tensor slice bounds": slice(T(1), None),
}
X4 = normal((2, 3, 4, 2), 1)


def data_for(name):
    return X4 if name.endswith("(4-D)") else X


def key_named(name):
    if name == ":, 0, :, idx (4-D)":
        return (S, 0, S, T([1, 0, 1]))
    return KEYS[name]


@pytest.mark.parametrize("name", sorted(KEYS))
def test_reading_matches_torch(name):
    key = key_named(name)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ladder(lambda t: t[key_for(gu, key)], lambda t: t[key_for(torch, key)], data_for(name))


@pytest.mark.parametrize("name", sorted(KEYS))
def test_assignment_matches_torch(name):
    key, x = key_named(name), data_for(name)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        shape = torch.tensor(x)[key_for(torch, key)].shape
        v = normal(shape, 7)
        results = []
        for m in (gu, torch):
            a = m.tensor(x.copy(), requires_grad=True)
            value = m.tensor(v.copy(), requires_grad=True)
            y = a * 2.0  # a non-leaf
            y[key_for(m, key)] = value
            (y * m.tensor(normal(x.shape, 8))).sum().backward()
            dv = np.zeros(v.shape) if value.grad is None else value.grad.numpy()  # x[False]
            results.append((y.detach().numpy().copy(), a.grad.numpy(), dv))
        # a plain assignment of a number, no graph (torch refuses it for a uint8 mask)
        gx, tx = gu.tensor(x.copy()), torch.tensor(x.copy())
        if name != "uint8 mask":
            gx[key_for(gu, key)] = 0.5
            tx[key_for(torch, key)] = 0.5
    np.testing.assert_array_equal(gx.numpy(), tx.numpy())
    (gy, ga, gv), (ty, ta, tv) = results
    np.testing.assert_array_equal(gy, ty)
    assert_close(ga, ta, what="grad of x")
    assert_close(gv, tv, what="grad of the value")


def test_assignment_broadcasts_the_value_in_torch_layout():
    x, t = gu.tensor(X.copy()), torch.tensor(X.copy())
    row = normal((2,), 3)  # broadcast over the (3, 2) result of x[0, :, idx]
    x[0, :, gu.tensor(I2)] = gu.tensor(row)
    t[0, :, torch.tensor(I2)] = torch.tensor(row)
    np.testing.assert_array_equal(x.numpy(), t.numpy())


def test_assignment_with_repeated_indices_sends_every_value_its_gradient():
    results = []
    for m in (gu, torch):
        a = m.tensor(X.copy(), requires_grad=True)
        v = m.tensor(normal((3, 3, 4), 4), requires_grad=True)
        y = a + 0
        y[m.tensor([1, 1, 0])] = v
        y.sum().backward()
        results.append((a.grad.numpy(), v.grad.numpy()))
    np.testing.assert_array_equal(results[0][0], results[1][0])
    np.testing.assert_array_equal(results[0][1], results[1][1])


def test_basic_indexing_is_a_view_and_advanced_indexing_a_copy():
    x = gu.tensor(X.copy())
    view = x[0, 1:, None]
    assert np.shares_memory(view.numpy(), x.numpy()) and view._version == x._version
    x.add_(1)
    assert view._version == x._version
    copy = x[0, :, gu.tensor(I2)]
    assert not np.shares_memory(copy.numpy(), x.numpy())
    assert not np.shares_memory(x[gu.tensor(1), :, gu.tensor(I2)].numpy(), x.numpy())


def test_list_holding_a_sequence_is_read_as_a_tuple_with_a_warning():
    x, t = gu.tensor(X), torch.tensor(X)
    with pytest.warns(UserWarning, match="non-tuple sequence"):
        out = x[[[0, 1], [1, 2]]]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected = t[[[0, 1], [1, 2]]]
    np.testing.assert_array_equal(out.numpy(), expected.numpy())
    with pytest.warns(UserWarning):
        assert x[[0, slice(None)]].shape == (3, 4)


def test_repeated_index_gradient_accumulates_in_float32_and_float64():
    for dtype in (np.float32, np.float64):
        x = gu.tensor(np.zeros((5, 3), dtype), requires_grad=True)
        rows = gu.tensor(np.array([4, 0, 4, 4, 1]))
        x[rows].sum().backward()
        assert x.grad.dtype == dtype
        np.testing.assert_array_equal(x.grad.numpy()[:, 0], [1, 1, 0, 0, 3])


ERROR_KEYS = [
    lambda m: 5,
    lambda m: (0, 3),
    lambda m: (S, S, -5),
    lambda m: m.tensor([2]),
    lambda m: (0, S, m.tensor([0, -5])),
    lambda m: (0, 0, 0, 0),
    lambda m: (Ellipsis, 0, Ellipsis, 0, 0, 0),
    lambda m: m.tensor([0.0]),
    lambda m: m.tensor([0], dtype=m.int16),
    lambda m: 1.5,
    lambda m: slice(None, None, -1),
    lambda m: slice(None, None, 0),
    lambda m: m.tensor([True, False, True]),
    lambda m: m.tensor(M[:1]),
    lambda m: (m.tensor([0, 1]), m.tensor([0, 1, 2])),
    lambda m: (m.tensor([0, 1]), S, False),
]


@pytest.mark.parametrize("key", ERROR_KEYS)
def test_errors_are_torch_exception_classes_for_reading_and_assignment(key):
    with pytest.raises(Exception) as expected:
        torch.tensor(X)[key(torch)]
    error = type(expected.value)
    with pytest.raises(error):
        gu.tensor(X)[key(gu)]
    with pytest.raises(Exception) as expected:
        torch.tensor(X)[key(torch)] = 0.0
    assert type(expected.value) is error
    with pytest.raises(error):
        gu.tensor(X)[key(gu)] = 0.0


@pytest.mark.parametrize("key", [0, slice(None), (None, 0)])
def test_indexing_a_0d_tensor(key):
    with pytest.raises(IndexError):
        torch.tensor(1.0)[key]
    with pytest.raises(IndexError):
        gu.tensor(1.0)[key]
    for key in (None, Ellipsis, True, False, (None, None)):
        assert gu.tensor(1.0)[key].shape == tuple(torch.tensor(1.0)[key].shape)


def test_error_messages():
    x = gu.tensor(X)
    with pytest.raises(IndexError, match="index 5 is out of bounds for dimension 0 with size 2"):
        x[5]
    with pytest.raises(IndexError, match="too many indices for tensor of dimension 3"):
        x[0, 0, 0, 0]
    with pytest.raises(IndexError, match="tensors used as indices must be long, int, byte or bool"):
        x[gu.tensor([0.0])]
    with pytest.raises(ValueError, match="step must be greater than zero"):
        x[::-1]
    with pytest.raises(IndexError, match=r"shape of the mask \[3\] does not match"):
        x[gu.tensor([True, False, True])]
    with pytest.raises(IndexError, match="shape mismatch: indexing tensors could not be broadcast"):
        x[gu.tensor([0, 1]), gu.tensor([0, 1, 2])]
    with pytest.raises(IndexError, match="invalid index of a 0-dim tensor"):
        gu.tensor(1.0)[0]


@pytest.mark.parametrize(
    "key",
    [
        (np.array([4, 0, 4, 4, 1]),),
        (S, np.array([[2, 0], [2, 2]])),
        (np.array([1, 1]), S, np.array([0, -1])),
        (None, 1, np.array([True, False, True]), True),
        (np.array([[True, False, True], [True, True, False]]), 1),
        (2, S, None, np.array([3, 3, 0])),
    ],
)
def test_flat_positions_and_add_at_match_numpy(key):
    from groundup.ops.torch_indexing import add_at, flat_positions

    shape = (2, 3, 4) if isinstance(key[0], np.ndarray) and key[0].ndim == 2 else (5, 3, 4)
    expected = np.arange(np.prod(shape)).reshape(shape)[key]
    positions = flat_positions(shape, key)
    np.testing.assert_array_equal(positions, expected)
    values = normal(expected.shape, 3)
    reference = np.zeros(shape)
    np.add.at(reference, key, values)
    np.testing.assert_allclose(add_at(np.zeros(shape), key, values), reference, rtol=1e-12)


def test_add_at_bincount_branch_equals_np_add_at():
    from groundup.ops.torch_indexing import add_at, along

    rng = np.random.default_rng(0)
    for dtype in (np.float64, np.float32):
        index = rng.integers(0, 50, (128, 64))
        key = along(index, 1)
        values = rng.standard_normal(index.shape).astype(dtype)
        reference = np.zeros((128, 50), dtype)
        np.add.at(reference, key, values)
        out = add_at(np.zeros((128, 50), dtype), key, values)
        assert out.dtype == dtype
        tol = dict(rtol=1e-5, atol=1e-5) if dtype == np.float32 else dict(rtol=1e-12)
        np.testing.assert_allclose(out, reference, **tol)  # float32: sums rounded once
        key = (slice(None), rng.integers(0, 50, 300))  # x[:, idx] backward
        values = rng.standard_normal((128, 300)).astype(dtype)
        reference = np.zeros((128, 50), dtype)
        np.add.at(reference, key, values)
        np.testing.assert_allclose(
            add_at(np.zeros((128, 50), dtype), key, values), reference, **tol
        )


ITEMS = st.one_of(
    st.integers(-2, 1),
    st.sampled_from([S, slice(1, None), slice(None, None, 2), None, Ellipsis, True]),
    st.lists(st.integers(-2, 1), min_size=1, max_size=3).map(T),
    st.sampled_from([T([[0], [1]]), T([True, False])]),
)


@given(items=st.lists(ITEMS, min_size=1, max_size=4))
def test_random_keys_read_and_assign_like_torch(items):
    key = tuple(items)
    x = normal((2, 2, 3, 2), 2)
    try:
        expected = torch.tensor(x)[key_for(torch, key)]
    except (IndexError, RuntimeError, ValueError) as error:
        with pytest.raises(type(error)):
            gu.tensor(x)[key_for(gu, key)]
        return
    out = gu.tensor(x)[key_for(gu, key)]
    assert out.shape == tuple(expected.shape)
    np.testing.assert_array_equal(out.numpy(), expected.numpy())
    g, t = gu.tensor(x.copy(), requires_grad=True), torch.tensor(x.copy(), requires_grad=True)
    up = normal(out.shape, 3)
    g[key_for(gu, key)].backward(up)
    t[key_for(torch, key)].backward(torch.tensor(up))
    np.testing.assert_allclose(g.grad.numpy(), t.grad.numpy(), rtol=1e-12)
    g, t = gu.tensor(x.copy()), torch.tensor(x.copy())
    g[key_for(gu, key)] = gu.tensor(up)
    t[key_for(torch, key)] = torch.tensor(up)
    np.testing.assert_array_equal(g.numpy(), t.numpy())

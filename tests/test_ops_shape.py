"""Shape ops against torch: reshape/view, transpose/permute, squeeze/unsqueeze, flatten,
expand, indexing (basic and advanced), cat, stack, split, chunk."""

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

import groundup as gu
from tests.oracle import check_op
from tests.strategies import ladder, normal, seeds

X = normal((2, 3, 4), 0)


@pytest.mark.parametrize(
    "fn",
    [
        lambda t: t.reshape(4, 6),
        lambda t: t.reshape((3, -1)),
        lambda t: t.view(-1),
        lambda t: t.view(2, 12),
        lambda t: t.transpose(0, 2),
        lambda t: t.transpose(-1, 1),
        lambda t: t.permute(2, 0, 1),
        lambda t: t.permute((1, -1, 0)),
        lambda t: t[0].T,
        lambda t: t.unsqueeze(0),
        lambda t: t.unsqueeze(-1),
        lambda t: t.unsqueeze(2),
        lambda t: t.flatten(),
        lambda t: t.flatten(1),
        lambda t: t.flatten(0, 1),
        lambda t: t.flatten(-2, -1),
        lambda t: t.reshape(2, 1, 3, 1, 4).squeeze(),
        lambda t: t.reshape(2, 1, 3, 1, 4).squeeze(1),
        lambda t: t.reshape(2, 1, 3, 1, 4).squeeze(-2),
        lambda t: t.reshape(2, 1, 3, 1, 4).squeeze((1, 3)),
        lambda t: t.squeeze(0),  # a dim of size 2 is kept
        lambda t: t[:, :1].expand(2, 5, 4),
        lambda t: t[:, :1].expand(3, -1, 6, -1),
        lambda t: t[:1].expand_as(t),
        lambda t: t.transpose(0, 1).reshape(3, 8),  # reshape of a non-contiguous result
    ],
)
def test_shape_op_matches_torch(fn):
    ladder(fn, fn, X)


def test_shape_ops_of_0d_tensors():
    x = np.array(1.5)
    for fn in (
        lambda t: t.flatten(),
        lambda t: t.unsqueeze(0),
        lambda t: t.reshape(1, 1),
        lambda t: t.squeeze(),
        lambda t: t.expand(3, 2),
    ):
        check_op(fn, fn, x)


@given(seed=seeds, data=st.data())
def test_random_permute_then_reshape(seed, data):
    shape = data.draw(st.lists(st.integers(1, 3), min_size=1, max_size=4))
    order = data.draw(st.permutations(range(len(shape))))
    x = normal(shape, seed)
    ladder(lambda t: t.permute(*order).reshape(-1), lambda t: t.permute(*order).reshape(-1), x)


INDICES = {
    "int": 1,
    "negative int": -1,
    "slice": slice(1, 3),
    "slice with step": (slice(None), slice(None, None, 2)),
    "negative slice": (Ellipsis, slice(-3, -1)),
    "int and slice": (0, slice(1, None), 2),
    "None": (None, 1),
    "None in the middle": (slice(None), None, 0),
    "Ellipsis": (Ellipsis, 1),
    "int array with repeats": np.array([0, 1, 1, 0, 1]),
    "list with repeats": [1, 1, 0],
    "int array on dim 1": (slice(None), np.array([2, 0, 2, 2])),
    "two int arrays": (np.array([0, 1, 1]), np.array([2, 0, 2])),
    "2-D int array": np.array([[0, 1], [1, 1]]),
    "bool mask": np.array([True, False]),
    "bool mask on dims 0-1": np.array([[True, False, True], [False, False, True]]),
    "bool mask after slice": (slice(None), np.array([True, False, True])),
}


@pytest.mark.parametrize("name", sorted(INDICES))
def test_indexing_matches_torch(name):
    index = INDICES[name]

    def as_torch(i):
        if isinstance(i, tuple):
            return tuple(as_torch(j) for j in i)
        return torch.tensor(i) if isinstance(i, np.ndarray) else i

    ladder(lambda t: t[index], lambda t: t[as_torch(index)], X)


def test_indexing_with_tensors_and_repeated_rows_accumulates():
    x = gu.tensor(normal((3, 2), 0), requires_grad=True)
    rows = gu.tensor([2, 0, 2, 2])
    x[rows].sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [[1, 1], [0, 0], [3, 3]])
    mask = gu.tensor([[True, False], [False, False], [True, True]])
    x.grad = None
    (x[mask] * 2).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), mask.numpy() * 2.0)


def test_iterating_a_tensor_yields_rows():
    x = gu.tensor(X, requires_grad=True)
    rows = list(x)
    assert len(rows) == 2 and rows[1].shape == (3, 4)
    sum(r.sum() for r in rows).backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.ones(X.shape))
    with pytest.raises(TypeError, match="iteration over a 0-d tensor"):
        iter(gu.tensor(1.0))


@pytest.mark.parametrize("dim", [0, 1, -1, 2])
def test_cat_matches_torch(dim):
    sizes = [1, 3, 2]
    arrays = []
    for k, size in enumerate(sizes):
        shape = [2, 3, 4]
        shape[dim] = size
        arrays.append(normal(shape, k))
    ladder(lambda *ts: gu.cat(ts, dim), lambda *ts: torch.cat(ts, dim), *arrays)


@pytest.mark.parametrize("dim", [0, 1, -1, 3])
def test_stack_matches_torch(dim):
    arrays = [normal((2, 3, 4), k) for k in range(3)]
    ladder(lambda *ts: gu.stack(ts, dim), lambda *ts: torch.stack(ts, dim), *arrays)


def test_cat_and_stack_of_mixed_dtypes_promote_like_torch():
    a, b = np.ones((2, 2), np.float32), np.arange(4).reshape(2, 2)
    for op in ("cat", "stack"):
        out = getattr(gu, op)([gu.tensor(a), gu.tensor(b)])
        expected = getattr(torch, op)([torch.tensor(a), torch.tensor(b)])
        assert str(out.dtype) == str(expected.dtype).replace("torch.", "")
        np.testing.assert_array_equal(out.numpy(), expected.numpy())


def test_only_the_inputs_that_require_grad_receive_one_in_cat():
    a = gu.tensor(normal((2, 2), 0), requires_grad=True)
    b = gu.tensor(normal((1, 2), 1))
    gu.cat([a, b]).sum().backward()
    assert b.grad is None
    np.testing.assert_array_equal(a.grad.numpy(), np.ones((2, 2)))


@pytest.mark.parametrize(
    "fn, dim",
    [
        (lambda t: t.split(1), 0),
        (lambda t: t.split(2, dim=1), 1),
        (lambda t: t.split([1, 3], dim=-1), 2),
        (lambda t: t.split([2, 0, 1], dim=1), 1),
        (lambda t: t.chunk(2, dim=2), 2),
        (lambda t: t.chunk(3, dim=2), 2),  # 4 elements in 3 chunks: sizes 2, 2
        (lambda t: t.chunk(5, dim=1), 1),  # more chunks than elements: 3 pieces
    ],
)
def test_split_and_chunk_match_torch(fn, dim):
    pieces, expected = fn(gu.tensor(X)), fn(torch.tensor(X))
    assert [p.shape for p in pieces] == [tuple(e.shape) for e in expected]
    # every piece scaled differently, joined again: all gradients flow back
    ladder(
        lambda t: gu.cat([p * (k + 1) for k, p in enumerate(fn(t))], dim),
        lambda t: torch.cat([p * (k + 1) for k, p in enumerate(fn(t))], dim),
        X,
    )


@pytest.mark.parametrize(
    "call, error, message",
    [
        (
            lambda t: t.reshape(5, 5),
            RuntimeError,
            r"reshape: shape \(5, 5\) is invalid for input of shape \(2, 3, 4\)",
        ),
        (
            lambda t: t.permute(0, 1),
            RuntimeError,
            r"permute: \(0, 1\) is not a permutation of the 3 dims",
        ),
        (lambda t: t.permute(0, 1, 3), IndexError, r"permute: dim 3 is out of range .* \[-3, 2\]"),
        (lambda t: t.permute(0, 0, 1), RuntimeError, "permute: .* is not a permutation"),
        (lambda t: t.transpose(0, 3), IndexError, "transpose: dim 3 is out of range"),
        (lambda t: t.squeeze(3), IndexError, "squeeze: dim 3 is out of range"),
        (lambda t: t.unsqueeze(4), IndexError, r"unsqueeze: dim 4 is out of range .* \[-4, 3\]"),
        (lambda t: t.flatten(2, 1), RuntimeError, "flatten: start_dim 2 comes after end_dim 1"),
        (
            lambda t: t.expand(3, 3, 4),
            RuntimeError,
            r"expand: the size 2 at dim 0 of shape \(2, 3, 4\) must be 1 or equal the target "
            r"size 3",
        ),
        (lambda t: t.expand(3, 4), RuntimeError, "expand: target .* has fewer dims"),
        (lambda t: t.expand(-1, 2, 3, 4), RuntimeError, "expand: new leading dim 0"),
        (
            lambda t: gu.cat([t, t[:, :1, :2]]),
            RuntimeError,
            r"cat: tensor 1 has shape \(2, 1, 2\), incompatible with \(2, 3, 4\)",
        ),
        (lambda t: gu.cat([t.sum(), t.sum()]), RuntimeError, "cat: tensor 0 is 0-d"),
        (lambda t: gu.cat([]), ValueError, "cat: expected a non-empty sequence"),
        (lambda t: gu.cat([t, t.numpy()]), TypeError, "cat: expected a sequence of tensors"),
        (lambda t: gu.cat([t, t], dim=3), IndexError, "cat: dim 3 is out of range"),
        (
            lambda t: gu.stack([t, t[:1]]),
            RuntimeError,
            r"stack: tensor 1 has shape \(1, 3, 4\), expected \(2, 3, 4\)",
        ),
        (
            lambda t: t.split([1, 2]),
            ValueError,
            r"split: sizes \[1, 2\] must be non-negative and sum to dim 0's size 2",
        ),
        (lambda t: t.split(0), ValueError, "split: split_size must be positive"),
        (lambda t: t.chunk(0), ValueError, "chunk: chunks must be positive"),
        (lambda t: t[5], IndexError, "index 5 is out of bounds"),
    ],
)
def test_shape_errors_name_the_op_and_the_shapes(call, error, message):
    with pytest.raises(error, match=message):
        call(gu.tensor(X))


def test_inputs_are_not_mutated_and_views_do_not_leak_gradients():
    x = gu.tensor(X, requires_grad=True)
    out = gu.cat(
        [x.permute(2, 0, 1).reshape(4, 6), x[0].T.reshape(4, 3), x[..., ::2].reshape(4, 3)], 1
    )
    out.backward(np.ones(out.shape))
    np.testing.assert_array_equal(x.detach().numpy(), X)
    expected = np.ones(X.shape)
    expected[0] += 1
    expected[..., ::2] += 1
    np.testing.assert_array_equal(x.grad.numpy(), expected)

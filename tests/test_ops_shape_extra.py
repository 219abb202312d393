"""Shape and index extras (ops.shape_extra) and dtype questions (ops.dtype_info) against
torch: tensor_split, index_put, rot90, broadcast_tensors, broadcast_shapes, diagflat, ravel,
bucketize, block_diag, cartesian_prod, tril_indices, triu_indices, promote_types,
result_type, can_cast, finfo, iinfo. Values, gradients, views, dtypes and errors."""

import itertools

import numpy as np
import pytest
import torch

import groundup as gu
from tests.oracle import assert_close, check_op
from tests.strategies import ladder, normal

nan = np.nan


def _same_outcome(make):
    """make(gu) and make(torch) agree: same dtype and values, or the same exception class."""
    try:
        expected = make(torch)
    except Exception as error:  # noqa: BLE001 - any exception torch raises
        with pytest.raises(type(error)):
            make(gu)
        return
    out = make(gu)
    many = isinstance(out, (tuple, list))
    assert many == isinstance(expected, (tuple, list)), (out, expected)
    for ours, theirs in zip(out, expected, strict=True) if many else [(out, expected)]:
        assert str(ours.dtype) == str(theirs.dtype).removeprefix("torch."), (ours, theirs)
        assert ours.shape == tuple(theirs.shape)
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


def test_registration_follows_torch():
    names = [
        *("tensor_split", "index_put", "rot90", "broadcast_tensors", "broadcast_shapes"),
        *("diagflat", "ravel", "bucketize", "block_diag", "cartesian_prod", "tril_indices"),
        *("triu_indices", "promote_types", "result_type", "can_cast", "finfo", "iinfo"),
    ]
    for name in names:
        assert hasattr(gu, name), name
        if name != "index_put":  # Tensor.index_put is groundup.inplace's
            assert (name in gu.ops.TENSOR_METHODS) == hasattr(torch.Tensor, name), name
    assert "rot90" not in gu.ops.INPLACE and "index_put" in gu.ops.TENSOR_METHODS


# ------------------------------------------------------------------ tensor_split
@pytest.mark.parametrize(
    "spec", [3, 1, 7, 9, (1, 5), [1, 5], (5, 1), (-2, 9), (), (0, 0, 7)], ids=str
)
@pytest.mark.parametrize("dim", [0, -1])
def test_tensor_split_gives_torchs_pieces_as_views(spec, dim):
    x = np.arange(14.0).reshape(7, 2) if dim == 0 else np.arange(14.0).reshape(2, 7)
    _same_outcome(lambda m: m.tensor_split(m.tensor(x), spec, dim))
    t = gu.tensor(x)
    pieces = [p for p in t.tensor_split(spec, dim) if p.numel()]
    assert all(np.shares_memory(p.numpy(), t.numpy()) for p in pieces)


def test_tensor_split_gradient_keywords_and_tensor_specs():
    x = normal((2, 7), 1)
    check_op(lambda t: gu.cat([p * (i + 1) for i, p in enumerate(t.tensor_split(3, 1))], 1),
             lambda t: torch.cat([p * (i + 1) for i, p in enumerate(t.tensor_split(3, 1))], 1), x)
    for kwargs in ({"sections": 3}, {"indices": [2]}, {"tensor_indices_or_sections": 2}):
        _same_outcome(lambda m, kw=kwargs: m.tensor_split(m.arange(7), **{
            k: (m.tensor(v) if k.startswith("tensor") else v) for k, v in kw.items()}))
    for spec in (np.array(3), np.array([1, 5]), np.array(3.0), np.array([[1]])):
        _same_outcome(lambda m, s=spec: m.tensor_split(m.arange(7), m.tensor(s)))


@pytest.mark.parametrize(
    "make",
    [
        lambda m: m.tensor_split(m.arange(7), 0),
        lambda m: m.tensor_split(m.arange(7), 2.5),
        lambda m: m.tensor_split(m.tensor(1), 3),
        lambda m: m.tensor_split(m.arange(7), 3, dim=1),
        lambda m: m.tensor_split(m.zeros(0, 2), 3),
    ],
)
def test_tensor_split_errors(make):
    _same_outcome(make)


# ------------------------------------------------------------------ rot90, ravel, diagflat
@pytest.mark.parametrize("k", [1, 2, 3, 0, -1, 5, -6])
@pytest.mark.parametrize("dims", [(0, 1), (1, 0), (-1, -2), (0, 2)], ids=str)
def test_rot90_matches_torch(k, dims):
    x = normal((2, 3, 4), 1)
    ladder(lambda t: gu.rot90(t, k, dims), lambda t: torch.rot90(t, k, dims), x)
    ours, theirs = gu.rot90(gu.tensor(x), k, dims), torch.rot90(torch.tensor(x), k, dims)
    assert ours.is_contiguous() == theirs.is_contiguous()
    assert not np.shares_memory(ours.numpy(), x)


@pytest.mark.parametrize(
    "make",
    [
        lambda m: m.rot90(m.arange(6).reshape(2, 3)),
        lambda m: m.arange(6).reshape(2, 3).rot90(1, [1, 0]),
        lambda m: m.rot90(m.arange(6).reshape(2, 3), 1, (0, 0)),
        lambda m: m.rot90(m.arange(6).reshape(2, 3), 1, (0, -2)),
        lambda m: m.rot90(m.arange(6).reshape(2, 3), 1, (0,)),
        lambda m: m.rot90(m.arange(6).reshape(2, 3), 1, (0, 2)),
        lambda m: m.rot90(m.arange(3)),
        lambda m: m.rot90(m.arange(6).reshape(2, 3), 1.5),
    ],
)
def test_rot90_errors(make):
    _same_outcome(make)


def test_ravel_is_a_view_when_it_can_be_and_diagflat_matches_torch():
    x = normal((2, 3), 1)
    t = gu.tensor(x)
    assert np.shares_memory(gu.ravel(t).numpy(), t.numpy())
    assert not np.shares_memory(t.T.ravel().numpy(), t.numpy())
    check_op(lambda a: a.T.ravel() * 2, lambda a: a.T.ravel() * 2, x)
    _same_outcome(lambda m: m.ravel(m.tensor(3)))
    for offset in (0, 1, -2):
        ladder(lambda a, o=offset: gu.diagflat(a, o), lambda a, o=offset: torch.diagflat(a, o), x)
        ladder(lambda a, o=offset: a.diagflat(offset=o), lambda a, o=offset: a.diagflat(offset=o),
               np.array(2.5))
    _same_outcome(lambda m: m.diagflat(m.zeros(0)))
    _same_outcome(lambda m: m.diagflat(m.tensor([[1, 2], [3, 4]])))


# ------------------------------------------------------------------ block_diag, cartesian_prod
def test_block_diag_matches_torch_with_gradients():
    a, b, c = normal((2, 3), 1), normal((1,), 2), normal((), 3)
    ladder(lambda x, y, z: gu.block_diag(x, y, z), lambda x, y, z: torch.block_diag(x, y, z),
           a, b, c)
    for make in (
        lambda m: m.block_diag(m.tensor([[1, 2]]), m.tensor([[3], [4]]), m.tensor(5)),
        lambda m: m.block_diag(m.tensor([1, 2]), m.tensor([3.0])),
        lambda m: m.block_diag(m.tensor([1, 2]), m.tensor([True])),
        lambda m: m.block_diag(m.ones(2, 2), m.tensor(2.0, dtype=m.float64)),
        lambda m: m.block_diag(),
        lambda m: m.block_diag(m.zeros(2, 0), m.ones(1, 1)),
        lambda m: m.block_diag(m.zeros(0)),
        lambda m: m.block_diag(m.zeros(2, 2, 2)),
        lambda m: m.block_diag(m.ones(2), 1),
    ):
        _same_outcome(make)


def test_cartesian_prod_matches_torch():
    a, b = normal((2,), 1), normal((3,), 2)
    ladder(lambda x, y: gu.cartesian_prod(x, y), lambda x, y: torch.cartesian_prod(x, y), a, b)
    x = gu.tensor([1.0, 2.0])
    assert gu.cartesian_prod(x) is x
    for make in (
        lambda m: m.cartesian_prod(m.tensor([1, 2]), m.tensor([3, 4, 5]), m.tensor([6])),
        lambda m: m.cartesian_prod(m.tensor([1, 2]), m.tensor([3.0])),
        lambda m: m.cartesian_prod(),
        lambda m: m.cartesian_prod(m.tensor([[1, 2]])),
        lambda m: m.cartesian_prod(m.tensor(1)),
        lambda m: m.cartesian_prod(m.tensor([1, 2]), m.zeros(0, dtype=m.int64)),
    ):
        _same_outcome(make)


# ------------------------------------------------------------------ broadcasting
def test_broadcast_tensors_are_views_with_gradients():
    a, b, c = normal((2, 1), 1), normal((3,), 2), normal((), 3)
    ladder(lambda x, y, z: gu.stack(gu.broadcast_tensors(x, y, z)),
           lambda x, y, z: torch.stack(torch.broadcast_tensors(x, y, z)), a, b, c)
    x = gu.tensor(a)
    out = gu.broadcast_tensors(x, gu.tensor(b))
    assert np.shares_memory(out[0].numpy(), x.numpy()) and out[0].shape == (2, 3)
    for make in (
        lambda m: m.broadcast_tensors(m.zeros(2, 1), m.zeros(3), m.tensor(1)),
        lambda m: m.broadcast_tensors(),
        lambda m: m.broadcast_tensors(m.zeros(2), m.zeros(3)),
        lambda m: m.broadcast_tensors([m.zeros(2, 1), m.zeros(3)]),
        lambda m: m.broadcast_tensors(m.zeros(2, 1), 3),
    ):
        _same_outcome(make)


@pytest.mark.parametrize(
    "shapes",
    [((2, 1), (3,)), ((2, 1), 3), (1, 3), (), (((2, 1)), [1, 4], (5, 1, 1)), ((2, 0), (1,)),
     ((2,), None), (2, 3), ((2, 3), (4,)), ((2, 1), (-1,)), ((2.0, 0), (1,))],
    ids=str,
)
def test_broadcast_shapes_follows_torch(shapes):
    try:
        expected = torch.broadcast_shapes(*shapes)
    except Exception as error:  # noqa: BLE001
        with pytest.raises(type(error)):
            gu.broadcast_shapes(*shapes)
        return
    assert gu.broadcast_shapes(*shapes) == tuple(expected)


# ------------------------------------------------------------------ index_put, bucketize
@pytest.mark.parametrize("accumulate", [False, True])
def test_index_put_matches_torch_with_gradients(accumulate):
    x, v = normal((3, 4), 1), normal((3,), 2)
    rows, cols = np.array([0, 2, 0]), np.array([1, 1, 1])
    check_op(
        lambda a, b: gu.index_put(a, (gu.tensor(rows), gu.tensor(cols)), b, accumulate),
        lambda a, b: torch.index_put(a, (torch.tensor(rows), torch.tensor(cols)), b, accumulate),
        x, v,
    )
    mask = np.array([True, False, True])
    check_op(lambda a: gu.index_put(a, [gu.tensor(mask)], gu.tensor(5.0, dtype=gu.float64)),
             lambda a: torch.index_put(a, [torch.tensor(mask)], torch.tensor(5.0).double()), x)


@pytest.mark.parametrize(
    "make",
    [
        lambda m: m.index_put(m.zeros(3), (m.tensor([0]),), 5.0),
        lambda m: m.index_put(m.zeros(3), (m.tensor([0]),), m.tensor(5)),
        lambda m: m.index_put(m.zeros(3), (m.tensor([0]),), m.tensor([5.0], dtype=m.float64)),
        lambda m: m.index_put(m.zeros(3), (m.tensor([5]),), m.tensor(5.0)),
        lambda m: m.index_put(m.zeros(3, 2), (None, m.tensor([1])), m.tensor(5.0)),
        lambda m: m.index_put(m.zeros(3), (m.tensor([0.0]),), m.tensor(5.0)),
        lambda m: m.index_put(m.zeros(3), m.tensor([0]), m.tensor(5.0)),
        lambda m: m.index_put(m.zeros(3, dtype=m.int64), (m.tensor([0, 0]),), m.tensor([2, 3]),
                              True),
    ],
)
def test_index_put_errors_and_dtypes(make):
    _same_outcome(make)


@pytest.mark.parametrize(
    "make",
    [
        lambda m: m.bucketize(m.tensor([[3, 6, 9], [3, 6, 9]]), m.tensor([1, 3, 5, 7, 9])),
        lambda m: m.bucketize(m.tensor([3, 6, 9]), m.tensor([1, 3, 5, 7, 9]), right=True),
        lambda m: m.bucketize(m.tensor([3.0, 6, 9]), m.tensor([1, 3, 5]), out_int32=True),
        lambda m: m.bucketize(3, m.tensor([1, 3, 5])),
        lambda m: m.bucketize(3.5, m.tensor([1, 3, 5]), right=True),
        lambda m: m.bucketize(m.tensor(3), m.tensor([1, 3, 5])),
        lambda m: m.bucketize(m.tensor([nan, -1.0]), m.tensor([1.0, 2.0])),
        lambda m: m.bucketize(m.tensor([True]), m.tensor([0, 1])),
        lambda m: m.bucketize(m.tensor([3]), m.tensor([[1, 3]])),
        lambda m: m.bucketize(m.tensor([3]), m.tensor(1)),
        lambda m: m.bucketize(input=m.tensor([1.5]), boundaries=m.tensor([1, 2])),
    ],
)
def test_bucketize_follows_torch(make):
    _same_outcome(make)


@pytest.mark.parametrize("name", ["tril_indices", "triu_indices"])
@pytest.mark.parametrize("row, col", [(3, 3), (3, 5), (5, 2), (0, 3), (1, 1)])
@pytest.mark.parametrize("offset", [0, 1, -1, 4, -6])
def test_triangle_indices_match_torch(name, row, col, offset):
    _same_outcome(lambda m: getattr(m, name)(row, col, offset))


@pytest.mark.parametrize(
    "make",
    [
        lambda m: m.tril_indices(3, 3, dtype=m.int32),
        lambda m: m.triu_indices(3, 4, offset=-1, device="cpu"),
        lambda m: m.tril_indices(3, 3, dtype=m.float32),
        lambda m: m.tril_indices(3, 3, dtype=m.int16),
        lambda m: m.tril_indices(-1, 3),
        lambda m: m.triu_indices(3, -3),
        lambda m: m.tril_indices(3.0, 3),
    ],
)
def test_triangle_indices_options_and_errors(make):
    _same_outcome(make)


# ------------------------------------------------------------------ dtype questions
DTYPES = ["bool", "uint8", "int8", "int16", "int32", "int64", "float16", "float32", "float64"]


def test_promote_types_and_can_cast_agree_with_torch_on_every_pair():
    for a, b in itertools.product(DTYPES, repeat=2):
        ours, theirs = getattr(gu, a if a != "bool" else "bool_"), getattr(torch, a)
        other, other_t = getattr(gu, b if b != "bool" else "bool_"), getattr(torch, b)
        expected = str(torch.promote_types(theirs, other_t)).removeprefix("torch.")
        assert str(gu.promote_types(ours, other)) == expected, (a, b)
        assert gu.can_cast(ours, other) == torch.can_cast(theirs, other_t), (a, b)
    assert gu.promote_types(int, float) == np.float64
    assert gu.can_cast(from_=gu.int32, to=float)
    with pytest.raises(TypeError):
        gu.promote_types("int", gu.float32)


@pytest.mark.parametrize(
    "pair",
    [("i64", 1.0), (1, 1.0), (1, "f32 0-d"), ("u8", -1), ("f32", "f64 0-d"), ("i64", True),
     (True, False), (2, 3), ("u8", "i8"), ("i32 0-d", "i8")],
    ids=str,
)
def test_result_type_follows_torch(pair):
    def operand(m, x):
        if not isinstance(x, str):
            return x
        dtype = {"i64": "int64", "u8": "uint8", "i8": "int8", "i32": "int32", "f32": "float32",
                 "f64": "float64"}[x.split()[0]]
        return m.ones(() if "0-d" in x else (2,), dtype=getattr(m, dtype))

    expected = torch.result_type(*(operand(torch, x) for x in pair))
    assert str(gu.result_type(*(operand(gu, x) for x in pair))) == str(expected).removeprefix(
        "torch."
    )
    with pytest.raises(TypeError):
        gu.result_type(gu.ones(2), None)


@pytest.mark.parametrize("name", ["float16", "float32", "float64", None])
def test_finfo_matches_torch(name):
    ours = gu.finfo() if name is None else gu.finfo(getattr(gu, name))
    theirs = torch.finfo() if name is None else torch.finfo(getattr(torch, name))
    for attr in ("bits", "eps", "max", "min", "tiny", "smallest_normal", "resolution", "dtype"):
        assert getattr(ours, attr) == getattr(theirs, attr), attr
        assert type(getattr(ours, attr)) is type(getattr(theirs, attr)), attr
    assert repr(ours) == repr(theirs)
    assert ours == gu.finfo(type=getattr(gu, theirs.dtype))


@pytest.mark.parametrize("name", ["uint8", "int8", "int16", "int32", "int64"])
def test_iinfo_matches_torch(name):
    ours, theirs = gu.iinfo(getattr(gu, name)), torch.iinfo(getattr(torch, name))
    for attr in ("bits", "min", "max", "dtype"):
        assert getattr(ours, attr) == getattr(theirs, attr), attr
    assert repr(ours) == repr(theirs)
    assert gu.iinfo(int) == gu.iinfo(gu.int64) and gu.finfo(float).dtype == "float64"


@pytest.mark.parametrize(
    "make",
    [
        lambda m: m.iinfo(m.float32),
        lambda m: m.finfo(m.int32),
        lambda m: m.iinfo(m.bool),
    ],
)
def test_finfo_iinfo_errors(make):
    with pytest.raises(TypeError):
        make(torch)
    with pytest.raises(TypeError):
        make(gu)
    assert_close(np.array(gu.finfo(gu.float32).eps), np.array(np.finfo(np.float32).eps))

"""Python protocols on Tensor (item, tolist, len, iter, bool/float/int/index, format, repr,
NumPy and torch conversion) and gu.is_tensor & co., compared with torch."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import groundup as gu

DTYPES = [np.float32, np.float64, np.float16, np.int64, np.int32, np.uint8, np.bool_]
ONE_ELEMENT = [np.array(2.5), np.array([2.5]), np.array([[-2.5]])]


def pair(a: np.ndarray):
    return gu.tensor(a.copy()), torch.tensor(a.copy())


def outcome(f, *args):
    """The value, or the exception class: what must agree between the two libraries."""
    try:
        return f(*args)
    except Exception as e:  # noqa: BLE001
        return type(e)


def same(f, a: np.ndarray):
    g, t = pair(a)
    expected, actual = outcome(f, t), outcome(f, g)
    assert actual == expected and type(actual) is type(expected), (actual, expected)
    return actual


# --------------------------------------------------------------------- item, tolist
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("a", ONE_ELEMENT, ids=["0d", "1d", "2d"])
def test_item_gives_the_python_scalar_torch_gives(a, dtype):
    same(lambda t: t.item(), a.astype(dtype))


@pytest.mark.parametrize("a", [np.zeros(0), np.ones(2), np.ones((2, 2))], ids=["empty", "2", "2x2"])
def test_item_of_not_one_element_is_a_runtime_error(a):
    assert same(lambda t: t.item(), a) is RuntimeError
    with pytest.raises(RuntimeError, match=r"only one-element tensors .* index one element"):
        gu.tensor(a).item()


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", [(), (0,), (3,), (2, 3), (2, 0, 2)])
def test_tolist(shape, dtype):
    a = (np.arange(int(np.prod(shape))).reshape(shape) * 1.1).astype(dtype)
    same(lambda t: t.tolist(), a)


def test_tolist_of_a_transposed_tensor():
    same(lambda t: t.T.tolist(), np.arange(6.0).reshape(2, 3))


# ------------------------------------------------------------------ len, iter, dim
@pytest.mark.parametrize("shape", [(), (0,), (4,), (3, 2), (0, 5)])
def test_len_iter_dim_numel(shape):
    a = np.arange(int(np.prod(shape)), dtype=np.float32).reshape(shape)
    same(len, a)
    same(lambda t: [x.tolist() for x in t], a)
    same(lambda t: (t.dim(), t.numel()), a)


def test_len_and_iter_of_0d_are_type_errors_with_torch_messages():
    t = gu.tensor(1.0)
    with pytest.raises(TypeError, match=r"^len\(\) of a 0-d tensor$"):
        len(t)
    with pytest.raises(TypeError, match="^iteration over a 0-d tensor$"):
        iter(t)


def test_iteration_is_differentiable_like_torch():
    a = np.arange(6.0).reshape(3, 2)
    g, t = gu.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)
    sum(row * (i + 1) for i, row in enumerate(g)).sum().backward()
    sum(row * (i + 1) for i, row in enumerate(t)).sum().backward()
    np.testing.assert_array_equal(g.grad.numpy(), t.grad.numpy())


# ----------------------------------------------------------- bool, float, int, index
CONVERSIONS = {
    "bool": bool,
    "float": float,
    "int": int,
    "range": lambda t: list(range(t)),
    "list_index": lambda t: [10, 20, 30, 40][t],
    "slice": lambda t: [10, 20, 30, 40][t:],
    "hex": hex,
    "is_nonzero": lambda t: (gu if isinstance(t, gu.Tensor) else torch).is_nonzero(t),
}
VALUES = [
    np.array(2.7, np.float32),
    np.array(-2.7),
    np.array([3], np.int64),
    np.array([[1]], np.int32),
    np.array(2, np.uint8),
    np.array(True),
    np.array([False]),
    np.array(0.0, np.float32),
    np.array([1, 2]),
    np.zeros(0),
    np.array([1.0, 2.0], np.float32),
]


@pytest.mark.parametrize("conversion", CONVERSIONS)
@pytest.mark.parametrize("a", VALUES, ids=lambda a: f"{a.dtype}{list(a.shape)}")
def test_scalar_conversions_match_torch(conversion, a):
    same(CONVERSIONS[conversion], a)


def test_conversion_messages_name_the_problem():
    with pytest.raises(ValueError, match=r"float\(\): only one element tensors can be converted"):
        float(gu.tensor([1.0, 2.0]))
    with pytest.raises(ValueError, match=r"int\(\): only one element tensors"):
        int(gu.zeros(0))
    with pytest.raises(TypeError, match="only integer tensors of a single element"):
        range(gu.tensor(3.0))
    with pytest.raises(RuntimeError, match="is ambiguous"):
        bool(gu.tensor([True, False]))
    with pytest.raises(RuntimeError, match="no values is ambiguous"):
        gu.is_nonzero(gu.zeros(0))


def test_is_tensor_is_floating_point_numel():
    for lib in (torch, gu):
        p = (torch.nn.Parameter if lib is torch else gu.nn.Parameter)(lib.ones(2))
        assert lib.is_tensor(lib.zeros(1)) and lib.is_tensor(p)
        assert not lib.is_tensor(np.zeros(1)) and not lib.is_tensor([1.0])
        assert lib.numel(lib.zeros(2, 3)) == 6 and lib.numel(lib.tensor(1.0)) == 1
    for dtype in DTYPES:
        g, t = pair(np.zeros(2, dtype))
        assert gu.is_floating_point(g) == torch.is_floating_point(t)
    for f in ("is_floating_point", "numel", "is_nonzero"):
        with pytest.raises(TypeError, match=rf"{f}\(\): argument 'input' .* Tensor, not list"):
            getattr(gu, f)([1.0])
        with pytest.raises(TypeError):
            getattr(torch, f)([1.0])


# ------------------------------------------------------------------------ format
@pytest.mark.parametrize("spec", ["", ".3f", "8.2e", ">10", "+.1%"])
@pytest.mark.parametrize("a", [np.array(3.14159, np.float32), np.array(-2.0)], ids=["f32", "f64"])
def test_format_spec_of_0d_tensors(a, spec):
    g, t = pair(a)
    assert format(g, spec) == format(t, spec)
    assert f"{g.item():{spec}}" == format(g, spec)


@pytest.mark.parametrize(
    "a, spec",
    [(np.array(7), "5d"), (np.array(True), ""), (np.array(7), ",")],
)
def test_format_of_0d_int_and_bool(a, spec):
    g, t = pair(a)
    assert format(g, spec) == format(t, spec)


def test_format_of_other_tensors_is_torch_s():
    g, t = pair(np.array([3.14159, 2.0], np.float32))
    assert format(g, "") == format(t, "") == repr(t)
    for x in (g, t, pair(np.array([1.5]))[0], pair(np.array([1.5]))[1]):
        with pytest.raises(TypeError, match="unsupported format string"):
            format(x, ".3f")  # torch formats only 0-d tensors with a spec


# -------------------------------------------------------------------------- repr
rng = np.random.default_rng(0)
REPR_CASES = {
    "float": np.array([1.5, 2.0], np.float32),
    "whole": np.array([1.0, -2.0, 30.0], np.float32),
    "scalar": np.array(0.1, np.float32),
    "matrix": rng.standard_normal((3, 4)).astype(np.float32),
    "3d": rng.standard_normal((2, 2, 3)).astype(np.float32),
    "4d": rng.standard_normal((2, 1, 2, 2)).astype(np.float32),
    "sci_small": np.array([1e-8, 1.0], np.float32),
    "sci_big": np.array([1e10, 1.0], np.float32),
    "sci_range": np.array([123456.0, 1.0], np.float32),
    "nonfinite": np.array([np.nan, np.inf, -np.inf, 1.5], np.float32),
    "nonfinite_whole": np.array([np.nan, 2.0], np.float32),
    "zeros": np.zeros(3, np.float32),
    "negzero": np.array([-0.0, 0.0], np.float32),
    "ints": np.array([[1, -20], [300, 4]]),
    "bools": np.array([True, False]),
    "bool_scalar": np.array(True),
    "float64": np.array([1.0, 2.25]),
    "float16": np.array([1.0, 2.5], np.float16),
    "int32": np.array([1, 2], np.int32),
    "uint8": np.array([1, 2], np.uint8),
    "empty": np.zeros(0, np.float32),
    "empty_int": np.zeros(0, np.int64),
    "empty_2d": np.zeros((0, 3), np.float32),
    "empty_3d_bool": np.zeros((2, 0, 1), np.bool_),
    "wraps": np.arange(30, dtype=np.float32),
    "wraps_ints": rng.integers(-1000, 1000, 40),
    "summarized": np.arange(2000, dtype=np.float32),
    "summarized_2d": rng.standard_normal((40, 40)).astype(np.float32),
    "summarized_3d": rng.standard_normal((5, 5, 50)).astype(np.float32),
}


@pytest.mark.parametrize("name", REPR_CASES)
def test_repr_is_torch_s_layout(name):
    g, t = pair(REPR_CASES[name])
    assert repr(g) == repr(t).replace("torch.", "")
    assert str(g) == repr(g)


def test_repr_suffixes():
    a = np.array([[1.5, -2.0]], np.float32)
    g, t = gu.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)
    assert repr(g) == repr(t)
    assert repr(g * 2) == repr(t * 2).replace("MulBackward0", "MulBackward")
    assert repr(gu.nn.Parameter(gu.tensor(a))) == repr(torch.nn.Parameter(torch.tensor(a)))
    d = np.array([1.0, 2.0])
    gd, td = gu.tensor(d, requires_grad=True), torch.tensor(d, requires_grad=True)
    expected = repr(td.sum()).replace("torch.", "").replace("SumBackward0", "SumBackward")
    assert repr(gd.sum()) == expected


def test_set_printoptions_like_torch():
    a = rng.standard_normal((3, 3)).astype(np.float32)
    g, t = pair(a)
    try:
        for kwargs in ({"precision": 2}, {"sci_mode": True}, {"threshold": 5, "edgeitems": 1},
                       {"linewidth": 30}, {"profile": "short"}):
            torch.set_printoptions(profile="default")
            gu.set_printoptions(profile="default")
            torch.set_printoptions(**kwargs)
            gu.set_printoptions(**kwargs)
            assert repr(g) == repr(t), kwargs
    finally:
        torch.set_printoptions(profile="default")
        gu.set_printoptions(profile="default")
    with pytest.raises(ValueError, match="profile must be one of"):
        gu.set_printoptions(profile="tiny")


# ------------------------------------------------------------- NumPy and torch views
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", [(), (0,), (2, 3)])
def test_numpy_and_torch_read_a_groundup_tensor(shape, dtype):
    a = np.arange(int(np.prod(shape))).reshape(shape).astype(dtype)
    g = gu.tensor(a)
    assert np.asarray(g) is g._data
    for convert in (torch.tensor, torch.as_tensor, torch.from_dlpack):
        t = convert(g)
        assert isinstance(t, torch.Tensor) and t.shape == shape
        assert str(t.dtype) == f"torch.{np.dtype(dtype) if dtype is not np.bool_ else 'bool'}"
        np.testing.assert_array_equal(t.numpy(), a)


def test_torch_as_tensor_shares_memory_and_tensor_copies():
    g = gu.tensor(np.arange(4.0))
    shared, copied = torch.as_tensor(g), torch.tensor(g)
    g._data[0] = 9.0
    assert shared[0].item() == 9.0 and copied[0].item() == 0.0


@pytest.mark.parametrize(
    "make",
    [
        lambda: gu.tensor(np.arange(6.0).reshape(2, 3)).T,  # transposed strides
        lambda: gu.Tensor._make(np.arange(5.0)[::-1], False),  # negative strides
        lambda: gu.Tensor._make(np.broadcast_to(np.arange(3.0), (2, 3)), False),  # read-only
        lambda: gu.tensor([1.0, 2.0], requires_grad=True),
    ],
    ids=["transposed", "reversed", "broadcast", "requires_grad"],
)
def test_torch_reads_unusual_layouts(make):
    g = make()
    for convert in (torch.tensor, torch.as_tensor):
        np.testing.assert_array_equal(convert(g).numpy(), g._data)


def test_array_protocol_dtype_and_copy():
    g = gu.tensor([1.0, 2.0])
    assert np.asarray(g, dtype=np.float64).dtype == np.float64
    assert not np.shares_memory(np.array(g, copy=True), g._data)
    with pytest.raises(ValueError, match="needs a copy"):
        g.__array__(np.float64, copy=False)

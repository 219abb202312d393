"""Factories with torch's full signatures (dtype=, device=, requires_grad=), exact ranges,
dtype names, and devices (gu.device, device= everywhere, gu.cuda) against torch
(conversions: test_ops_conversion.py)."""

import pickle
import warnings

import numpy as np
import pytest
import torch

import groundup as gu
from groundup import nn
from tests.oracle import assert_close


def _name(dtype):
    return str(dtype).replace("torch.", "")


def _same(out, expected, exact=True):
    assert isinstance(out, gu.Tensor)
    assert out.shape == tuple(expected.shape)
    assert str(out.dtype) == _name(expected.dtype)
    if exact:
        np.testing.assert_array_equal(out._data, expected.detach().numpy())


def test_dtype_names_are_torchs():
    for name in ("float", "double", "half", "int", "short", "long", "bool", "int8", "uint8"):
        assert str(getattr(gu, name)) == _name(getattr(torch, name)), name
    assert gu.int16 == gu.short and gu.bool_ == gu.bool and gu.float32 == gu.float
    assert gu.get_default_dtype() == gu.float32 and _name(torch.get_default_dtype()) == "float32"


# ------------------------------------------------------------------ factories
@pytest.mark.parametrize(
    "make",
    [
        lambda m: m.zeros(2, 3, dtype=m.int16),
        lambda m: m.zeros(size=(2, 3)),
        lambda m: m.ones([2], dtype=m.bool),
        lambda m: m.ones((), dtype=m.half),
        lambda m: m.zeros(2, dtype=float),
        lambda m: m.zeros(2, dtype=int),
        lambda m: m.ones(2, dtype=bool),
        lambda m: m.full((2,), 3, dtype=m.bool),
        lambda m: m.full([2, 2], 2.5, dtype=m.int64),
        lambda m: m.full((2,), m.tensor(3.0)),
        lambda m: m.full((0, 2), 1.5),
        lambda m: m.eye(3, 2),
        lambda m: m.eye(2, m=4, dtype=m.int64),
        lambda m: m.eye(0),
        lambda m: m.arange(end=5),
        lambda m: m.arange(start=1, end=5),
        lambda m: m.arange(0, 5, 1.5),
        lambda m: m.arange(0.5, 5, dtype=m.int64),
        lambda m: m.arange(-2.5, 3, 1, dtype=m.int64),
        lambda m: m.arange(0.3, 4.6, 1.2, dtype=m.int32),
        lambda m: m.arange(6.4, -5.2, -2.4, dtype=m.int64),
        lambda m: m.arange(5, 0.5, -1, dtype=m.int64),
        lambda m: m.arange(m.tensor(5)),
        lambda m: m.arange(m.tensor(5.0)),
        lambda m: m.arange(True),
        lambda m: m.arange(0, 1, 0.1, dtype=m.float64),
        lambda m: m.arange(3, dtype=m.half),
        lambda m: m.linspace(0, 1, 5),
        lambda m: m.linspace(0, 1, 1),
        lambda m: m.linspace(0, 1, 0),
        lambda m: m.linspace(0, 10, 4, dtype=m.int64),
        lambda m: m.linspace(10, 0, 4, dtype=m.int64),
        lambda m: m.linspace(m.tensor(0, dtype=m.float64), m.tensor(1.0), 3),
        lambda m: m.logspace(0, 2, 3),
        lambda m: m.logspace(0, 2, 3, base=2),
        lambda m: m.logspace(0, 2, 3, 2),
        lambda m: m.logspace(0, 2, 3, dtype=m.int64),
        lambda m: m.logspace(1.5, 1.5, 1),
        lambda m: m.tensor([1, 2], dtype=m.float64),
        lambda m: m.tensor([1, 2.5]),
        lambda m: m.tensor([True, 1]),
        lambda m: m.tensor(3),
        lambda m: m.tensor(3, dtype=m.float16),
        lambda m: m.tensor([]),
        lambda m: m.tensor([[]]),
        lambda m: m.tensor(np.ones(2, dtype=np.int32)),
        lambda m: m.tensor([m.tensor(1.0), m.tensor(2.0)]),
        lambda m: m.as_tensor([1, 2]),
        lambda m: m.as_tensor(np.ones(3), dtype=m.float32),
        lambda m: m.ones(2, 3).new_zeros(2),
        lambda m: m.ones(2, 3).new_zeros((2, 3), dtype=m.int64),
        lambda m: m.ones(2, 3, dtype=m.float64).new_ones(2, 3),
        lambda m: m.ones(2).new_full((2,), 5),
        lambda m: m.ones(2).new_full((2,), 5, dtype=m.int64),
        lambda m: m.ones(2).new_tensor([1, 2]),
        lambda m: m.ones(2, dtype=m.float64).new_tensor([1, 2]),
        lambda m: m.ones(2).new_tensor([1, 2], dtype=m.int64),
        lambda m: m.zeros_like(m.ones(2, 3, dtype=m.int32)),
        lambda m: m.ones_like(m.ones(2), dtype=m.float64),
        lambda m: m.full_like(m.ones(2, 3, dtype=m.int64), 2.7),
        lambda m: m.full_like(m.ones(2, 3), 2.7, dtype=m.int64),
    ],
)
def test_factory_matches_torch(make):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch.tensor(list of tensors) may warn
        _same(make(gu), make(torch))


@pytest.mark.parametrize(
    "make",
    [
        lambda m: m.empty(2, 3),
        lambda m: m.empty((2, 3), dtype=m.int64),
        lambda m: m.empty_like(m.ones(2, dtype=m.float64)),
        lambda m: m.ones(3).new_empty(2, 2),
        lambda m: m.rand(2, 3, dtype=m.float64),
        lambda m: m.randn(size=(4,)),
        lambda m: m.rand_like(m.ones(2, dtype=m.float64)),
        lambda m: m.randn_like(m.ones(2, 3)),
        lambda m: m.randint(5, (2,)),
        lambda m: m.randint(2, 5, (3, 1)),
        lambda m: m.randint(low=0, high=5, size=(2,)),
        lambda m: m.randint(high=5, size=(2,)),
        lambda m: m.randint(5, size=(2,)),
        lambda m: m.randint(0, 5, (2,), dtype=m.float32),
        lambda m: m.randint(0, 2, (4,), dtype=m.bool),
        lambda m: m.randint_like(m.ones(2, 3), 5),
        lambda m: m.randint_like(m.ones(2, 3, dtype=m.int32), 2, 5),
        lambda m: m.randint_like(m.ones(2), high=5),
        lambda m: m.randperm(5, dtype=m.int32),
    ],
)
def test_uninitialized_and_random_factories_have_torchs_shape_and_dtype(make):
    _same(make(gu), make(torch), exact=False)


def test_random_factories_take_a_generator_and_stay_in_range():
    a = gu.rand(1000, generator=np.random.default_rng(3))
    b = gu.rand(1000, generator=np.random.default_rng(3))
    np.testing.assert_array_equal(a._data, b._data)
    assert a._data.min() >= 0 and a._data.max() < 1
    r = gu.randint(-2, 3, (500,), dtype=gu.int8)
    assert r.dtype == np.int8 and set(np.unique(r._data)) == set(range(-2, 3))
    near_one = np.full(4, 1 - 2**-30)  # float64 samples that float32 rounds up to 1.0
    from groundup.ops.random_factories import _below_one

    assert _below_one(near_one, np.dtype(np.float32)).max() < 1


def test_requires_grad_everywhere_torch_has_it():
    for m in (gu, torch):
        for t in (
            m.empty(2, requires_grad=True),
            m.full((2,), 1.0, requires_grad=True),
            m.linspace(0, 1, 3, requires_grad=True),
            m.logspace(0, 1, 3, requires_grad=True),
            m.eye(2, requires_grad=True),
            m.rand_like(m.ones(2), requires_grad=True),
            m.randint(5, (2,), dtype=m.float32, requires_grad=True),
            m.ones(2).new_zeros(2, requires_grad=True),
            m.tensor([1.0], requires_grad=True),
            m.ones_like(m.ones(2), requires_grad=True),
        ):
            assert t.requires_grad and t.is_leaf
        assert not m.ones_like(m.ones(2, requires_grad=True)).requires_grad
        for make in (
            lambda m=m: m.randint(5, (2,), requires_grad=True),
            lambda m=m: m.tensor([1, 2], requires_grad=True),
        ):
            with pytest.raises(RuntimeError):
                make()


@pytest.mark.parametrize("dtype", ["float16", "float32", "float64", "int64", "int32", "uint8"])
def test_linspace_and_logspace_are_exactly_torchs(dtype):
    rng = np.random.default_rng(0)
    for k in range(30):
        s, e = rng.uniform(0 if dtype == "uint8" else -9, 9, 2)
        n, base = int(rng.integers(2, 120)), (10.0, 2.0, 2.5)[k % 3]
        for f, args, kw in (
            ("linspace", (s, e, n), {}),
            ("logspace", (s / 4, e / 4, n), {"base": base}),
        ):
            ours = getattr(gu, f)(*args, dtype=getattr(gu, dtype), **kw)
            _same(ours, getattr(torch, f)(*args, dtype=getattr(torch, dtype), **kw))


def test_arange_values_match_torch():
    rng = np.random.default_rng(1)
    for _ in range(40):
        s, e = sorted(rng.uniform(-10, 10, 2))
        step = rng.uniform(0.05, 3)
        for dtype in ("float32", "float64", "int64", "int32"):
            try:
                theirs = torch.arange(s, e, step, dtype=getattr(torch, dtype))
            except ValueError:  # the step truncates to 0 for int64
                with pytest.raises(ValueError, match="truncates to 0"):
                    gu.arange(s, e, step, dtype=getattr(gu, dtype))
                continue
            ours = gu.arange(s, e, step, dtype=getattr(gu, dtype))
            _same(ours, theirs, exact=dtype.startswith("int") or ours.numel() < 16)
            tol = np.float32 if dtype == "float32" else np.float64  # last bit: see arange
            assert_close(ours._data.astype(np.float64), theirs.double(), tol, f"{s} {e} {step}")


FACTORY_ERRORS = [
    (lambda m: m.eye(-1), RuntimeError),
    (lambda m: m.eye(2.5), TypeError),
    (lambda m: m.eye(3, -2), RuntimeError),
    (lambda m: m.linspace(0, 1, -1), RuntimeError),
    (lambda m: m.linspace(0, 1), TypeError),
    (lambda m: m.linspace(0, 1, 3.0), TypeError),
    (lambda m: m.arange(0, 5, 0), RuntimeError),
    (lambda m: m.arange(0, 5, -1), RuntimeError),
    (lambda m: m.arange(5, 0), RuntimeError),
    (lambda m: m.arange(float("inf")), RuntimeError),
    (lambda m: m.arange(5, dtype=m.bool), NotImplementedError),
    (lambda m: m.arange(0.5, 3.7, 0.9, dtype=m.int64), ValueError),
    (lambda m: m.arange(1, 5, 1, m.float64), TypeError),
    (lambda m: m.empty(2, -3), RuntimeError),
    (lambda m: m.zeros(2, -3), RuntimeError),
    (lambda m: m.zeros(2.5), TypeError),
    (lambda m: m.zeros(), TypeError),
    (lambda m: m.zeros(2, 3, size=(2, 3)), TypeError),
    (lambda m: m.zeros([2, 3], dtype="float32"), TypeError),
    (lambda m: m.full(2, 3), TypeError),
    (lambda m: m.rand(2, dtype=m.int64), NotImplementedError),
    (lambda m: m.randn(2, dtype=m.int64), NotImplementedError),
    (lambda m: m.rand_like(m.ones(2, dtype=m.int64)), NotImplementedError),
    (lambda m: m.randint(5, 2), TypeError),
    (lambda m: m.randint(5), TypeError),
    (lambda m: m.randint(0, 5, (2,), dtype=m.bool), RuntimeError),
    (lambda m: m.zeros_like([1, 2]), TypeError),
    (lambda m: m.zeros_like(m.ones(2), m.float64), TypeError),
    (lambda m: m.tensor("a"), TypeError),
    (lambda m: m.tensor([[1, 2], [3]]), ValueError),
]


@pytest.mark.parametrize("call, error", FACTORY_ERRORS)
def test_factory_errors_match_torch(call, error):
    with pytest.raises(error):
        call(torch)
    with pytest.raises(error):
        call(gu)


def test_string_dtypes_and_out_are_refused_clearly():
    with pytest.raises(TypeError, match="not the string 'float32'"):
        gu.ones(2, dtype="float32")
    with pytest.raises(TypeError, match="not the string"):
        gu.tensor([1.0], dtype="float64")
    with pytest.raises(TypeError, match="out= is not supported"):
        gu.arange(5, out=gu.empty(5))
    with pytest.raises(TypeError, match="out= is not supported"):
        gu.zeros(2, out=gu.empty(2))


def test_tensor_and_as_tensor_copy_or_share_like_torch():
    a = np.ones(3)
    for m in (gu, torch):
        assert np.shares_memory(np.asarray(m.as_tensor(a)), a)
        assert not np.shares_memory(np.asarray(m.as_tensor(a, dtype=m.float32)), a)
        assert not np.shares_memory(np.asarray(m.tensor(a)), a)
        x = m.ones(2)
        assert m.as_tensor(x) is x and m.as_tensor(x, dtype=m.float32) is x
        with pytest.warns(UserWarning, match="detach\\(\\).clone\\(\\)"):
            copy = m.tensor(x)
        assert copy is not x and copy.dtype == x.dtype
    x = gu.ones(2, requires_grad=True)
    y = gu.as_tensor(x, dtype=gu.float64)
    assert y.dtype == np.float64 and y.requires_grad  # a cast, kept in the graph


# ------------------------------------------------------------------- devices
@pytest.mark.parametrize(
    "args",
    [("cpu",), ("cpu", 0), ("cpu:0",), ("cpu:1",), ("cuda",), ("cuda:1",), ("mps",), ("meta",)],
)
def test_device_objects_behave_like_torchs(args):
    ours, theirs = gu.device(*args), torch.device(*args)
    assert repr(ours) == repr(theirs) and str(ours) == str(theirs)
    assert ours.type == theirs.type and ours.index == theirs.index
    assert (ours == "cpu") == (theirs == "cpu")  # False: a device never equals a string
    assert ours == gu.device(*args) and hash(ours) == hash(gu.device(*args))
    assert gu.device(ours) == ours
    assert pickle.loads(pickle.dumps(ours)) == ours


def test_device_equality_and_keywords_match_torch():
    for m in (gu, torch):
        assert m.device("cpu") == m.device("cpu")
        assert m.device("cpu:0") != m.device("cpu")
        assert m.device(type="cpu", index=0) == m.device("cpu:0")
        assert m.device("cpu", index=None) == m.device("cpu")
        assert m.ones(2).device == m.device("cpu") and str(m.ones(2).device) == "cpu"
        assert m.ones(2).device.type == "cpu"


@pytest.mark.parametrize(
    "call, error",
    [
        (lambda m: m.device("foo"), RuntimeError),
        (lambda m: m.device("CPU"), RuntimeError),
        (lambda m: m.device(" cpu"), RuntimeError),
        (lambda m: m.device("cpu:x"), RuntimeError),
        (lambda m: m.device("cpu:01"), RuntimeError),
        (lambda m: m.device("cuda:0:1"), RuntimeError),
        (lambda m: m.device("cpu", -1), RuntimeError),
        (lambda m: m.device("cpu:0", 0), RuntimeError),
        (lambda m: m.device("cpu", 1.0), TypeError),
        (lambda m: m.device("cpu", True), TypeError),
        (lambda m: m.device(None), TypeError),
        (lambda m: m.device(0), RuntimeError),
    ],
)
def test_bad_devices_raise_like_torch(call, error):
    with pytest.raises(error):
        call(torch)
    with pytest.raises(error):
        call(gu)


@pytest.mark.parametrize("dev", ["cpu", "cpu:0", gu.device("cpu"), gu.device("cpu", 0), None])
def test_cpu_devices_are_accepted_wherever_torch_takes_device(dev):
    for t in (
        gu.zeros(2, device=dev),
        gu.ones(2, device=dev),
        gu.empty(2, device=dev),
        gu.full((2,), 1, device=dev),
        gu.arange(3, device=dev),
        gu.linspace(0, 1, 3, device=dev),
        gu.logspace(0, 1, 3, device=dev),
        gu.eye(2, device=dev),
        gu.rand(2, device=dev),
        gu.randn(2, device=dev),
        gu.randint(3, (2,), device=dev),
        gu.randperm(3, device=dev),
        gu.zeros_like(gu.ones(2), device=dev),
        gu.randn_like(gu.ones(2), device=dev),
        gu.tensor([1.0], device=dev),
        gu.as_tensor([1.0], device=dev),
        gu.ones(2).new_zeros(2, device=dev),
        gu.ones(2).to(dev),
        gu.ones(2).to(device=dev),
    ):
        assert t.device == gu.device("cpu")
    nn.Linear(2, 3, device=dev)


@pytest.mark.parametrize("dev", ["cuda", "cuda:0", "mps", gu.device("cuda", 1), 0])
def test_other_devices_are_a_clear_runtime_error(dev):
    name = "cuda" if dev == 0 else str(dev)
    for make in (
        lambda: gu.zeros(2, device=dev),
        lambda: gu.arange(3, device=dev),
        lambda: gu.tensor([1.0], device=dev),
        lambda: gu.ones_like(gu.ones(2), device=dev),
        lambda: gu.ones(2).to(dev),
        lambda: gu.ones(2).to(device=dev, dtype=gu.float64),
        lambda: nn.Linear(2, 3, device=dev),
        lambda: nn.LayerNorm(3, device=dev),
    ):
        with pytest.raises(RuntimeError, match="CPU only") as info:
            make()
        assert name in str(info.value) or "accelerator" in str(info.value)


def test_cuda_and_backends_report_no_accelerator():
    assert gu.cuda.is_available() is torch.cuda.is_available() is False
    assert gu.cuda.device_count() == torch.cuda.device_count() == 0
    assert gu.backends.mps.is_available() is torch.backends.mps.is_available() is False
    gu.cuda.manual_seed(0)
    gu.cuda.manual_seed_all(0)
    with pytest.raises(RuntimeError, match="CPU only"):
        gu.cuda.current_device()
    device = gu.device("cuda" if gu.cuda.is_available() else "cpu")
    assert gu.ones(2, device=device).device == gu.device("cpu")
    with pytest.raises(TypeError, match="groundup.device"):
        gu.zeros(2, device=1.5)

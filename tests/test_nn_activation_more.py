"""More activations against torch: elu/selu/celu, softplus, hardtanh/relu6, silu, mish,
hardswish, hardsigmoid, logsigmoid, softsign, tanhshrink, soft/hardshrink, threshold,
prelu, rrelu, glu, softmin and softmax/log_softmax's dtype= and dim=None (the inplace=
forms and the modules are in test_nn_activation_modules.py)."""

import warnings

import numpy as np
import pytest
import torch
import torch.nn.functional as F

import groundup as gu
import groundup.nn.functional as gF
from groundup import nn
from groundup.inspect import gradcheck
from tests.oracle import assert_close, check_op
from tests.strategies import ladder, normal

# name -> (groundup function, torch function): same call on both sides
POINTWISE = {
    "elu": (gF.elu, F.elu),
    "elu(alpha=0.5)": (lambda t: gF.elu(t, alpha=0.5), lambda t: F.elu(t, alpha=0.5)),
    "selu": (gF.selu, F.selu),
    "celu": (gF.celu, F.celu),
    "celu(2.0)": (lambda t: gF.celu(t, 2.0), lambda t: F.celu(t, 2.0)),
    "softplus": (gF.softplus, F.softplus),
    "softplus(beta=2, threshold=1)": (
        lambda t: gF.softplus(t, beta=2, threshold=1),
        lambda t: F.softplus(t, beta=2, threshold=1),
    ),
    "hardtanh": (gF.hardtanh, F.hardtanh),
    "hardtanh(-0.5, 2)": (lambda t: gF.hardtanh(t, -0.5, 2.0), lambda t: F.hardtanh(t, -0.5, 2.0)),
    "relu6": (gF.relu6, F.relu6),
    "silu": (gF.silu, F.silu),
    "mish": (gF.mish, F.mish),
    "hardswish": (gF.hardswish, F.hardswish),
    "hardsigmoid": (gF.hardsigmoid, F.hardsigmoid),
    "logsigmoid": (gF.logsigmoid, F.logsigmoid),
    "softsign": (gF.softsign, F.softsign),
    "tanhshrink": (gF.tanhshrink, F.tanhshrink),
    "softshrink": (gF.softshrink, F.softshrink),
    "softshrink(1)": (lambda t: gF.softshrink(t, 1.0), lambda t: F.softshrink(t, 1.0)),
    "hardshrink": (gF.hardshrink, F.hardshrink),
    "hardshrink(lambd=1)": (
        lambda t: gF.hardshrink(t, lambd=1.0),
        lambda t: F.hardshrink(t, lambd=1.0),
    ),
    "threshold": (lambda t: gF.threshold(t, 0.3, -2.0), lambda t: F.threshold(t, 0.3, -2.0)),
    "rrelu(eval)": (gF.rrelu, F.rrelu),
    "leaky_relu": (gF.leaky_relu, F.leaky_relu),
    "relu": (gF.relu, F.relu),
    "gelu(tanh)": (
        lambda t: gF.gelu(t, approximate="tanh"),
        lambda t: F.gelu(t, approximate="tanh"),
    ),
    "selu (torch.selu)": (gu.selu, torch.selu),
    "celu (torch.celu)": (lambda t: gu.celu(t, 0.7), lambda t: torch.celu(t, 0.7)),
    "x.hardshrink()": (lambda t: t.hardshrink(0.2), lambda t: t.hardshrink(0.2)),
}

# every kink of the functions above (gradients there must be torch's, not the average)
KINKS = np.array(
    [-6.0, -3.0, -2.0, -1.0, -0.5, -0.3, 0.0, 0.3, 0.5, 1.0, 2.0, 3.0, 6.0, 20.0, 25.0]
)


@pytest.mark.parametrize("name", list(POINTWISE))
@pytest.mark.parametrize("shape", [(), (7,), (3, 5)])
def test_pointwise_activation_matches_torch(name, shape):
    gu_fn, torch_fn = POINTWISE[name]
    ladder(gu_fn, torch_fn, normal(shape, 1) * 3)


@pytest.mark.parametrize("name", list(POINTWISE))
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_values_and_gradients_at_the_kinks_are_torchs(name, dtype):
    gu_fn, torch_fn = POINTWISE[name]
    check_op(gu_fn, torch_fn, KINKS.astype(dtype))


@pytest.mark.parametrize("name", ["elu", "softplus", "silu", "mish", "logsigmoid", "selu"])
def test_extreme_inputs_stay_finite_without_warnings(name):
    gu_fn, torch_fn = POINTWISE[name]
    x = np.array([-1e4, -100.0, -30.0, 0.0, 30.0, 100.0, 1e4], np.float32)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        check_op(gu_fn, torch_fn, x)


@pytest.mark.parametrize("name", ["softplus", "hardswish", "softsign", "glu"])
def test_non_contiguous_and_zero_size_inputs(name):
    gu_fn, torch_fn = {**POINTWISE, "glu": (gF.glu, F.glu)}[name]
    x = normal((4, 6), 3)
    g, t = gu.tensor(x).transpose(0, 1), torch.tensor(x).transpose(0, 1)  # (6, 4), strided
    assert_close(gu_fn(g), torch_fn(t))
    empty = np.zeros((0, 4))
    assert gu_fn(gu.tensor(empty)).shape == tuple(torch_fn(torch.tensor(empty)).shape)


@pytest.mark.parametrize("dim", [0, 1, -1, -3])
def test_glu_matches_torch(dim):
    ladder(lambda t: gF.glu(t, dim), lambda t: F.glu(t, dim), normal((4, 6, 2), 4))


def test_glu_errors_are_torchs():
    with pytest.raises(RuntimeError, match="glu does not support scalars"):
        gF.glu(gu.tensor(1.0))
    with pytest.raises(RuntimeError, match="halving dimension must be even.*dimension 1 is size 3"):
        gF.glu(gu.tensor(normal((2, 3), 0)), 1)
    with pytest.raises(IndexError):
        gF.glu(gu.tensor(normal((2, 4), 0)), 2)


@pytest.mark.parametrize(
    "shape, n", [((2, 3, 4), 3), ((2, 3), 3), ((2, 3, 4), 1), ((5,), 1), ((), 1)]
)
def test_prelu_matches_torch_for_input_and_weight(shape, n):
    weight = np.random.default_rng(0).uniform(-0.5, 0.5, n)
    ladder(gF.prelu, F.prelu, normal(shape, 5), weight)
    ladder(lambda x, w: x.prelu(w), lambda x, w: x.prelu(w), normal(shape, 6), weight)


def test_prelu_errors_are_torchs():
    x = gu.tensor(normal((2, 3), 0))
    with pytest.raises(RuntimeError, match="parameter numbers = 2 and channel size = 3"):
        gF.prelu(x, gu.tensor(np.ones(2)))
    with pytest.raises(RuntimeError, match="scalar or 1D tensor, but got: ndim = 2"):
        gF.prelu(x, gu.tensor(np.ones((1, 3))))
    with pytest.raises(RuntimeError, match="type promoting not supported"):
        gF.prelu(x, gu.tensor(np.ones(3, np.float32)))


def test_dtype_rules_follow_torch():
    ints, bools = gu.tensor([-2, 0, 3]), gu.tensor([True, False])
    t_ints = torch.tensor([-2, 0, 3])
    for fn in (gF.hardtanh, gF.relu6, gF.relu, lambda t: gF.threshold(t, 1, 5.5)):
        assert fn(ints).dtype == np.int64
    np.testing.assert_array_equal(gF.threshold(ints, 1, 5.5).numpy(), F.threshold(t_ints, 1, 5.5))
    np.testing.assert_array_equal(gF.hardtanh(ints).numpy(), F.hardtanh(t_ints))
    for gu_fn, torch_fn in ((gF.softsign, F.softsign), (gF.tanhshrink, F.tanhshrink)):
        assert gu_fn(ints).dtype == np.float32  # composed from ops: integers become float32
        assert_close(gu_fn(ints), torch_fn(t_ints), np.float32)
    no_kernel = (gF.elu, gF.selu, gF.silu, gF.mish, gF.softplus, gF.leaky_relu, gF.hardswish)
    for fn in (*no_kernel, gF.logsigmoid, gF.softshrink, gF.hardshrink, gF.glu, gF.hardsigmoid):
        with pytest.raises(NotImplementedError):  # torch: "elu_cpu" not implemented for 'Long'
            fn(gu.tensor([[-2, 0]]))
    for fn in (gF.relu, gF.hardtanh, lambda t: gF.threshold(t, 0, 1)):
        with pytest.raises(RuntimeError):
            fn(bools)
    x32 = gu.tensor(np.array([-1.0, 2.0], np.float32))
    assert gF.selu(x32).dtype == gF.softplus(x32).dtype == gF.mish(x32).dtype == np.float32


def test_argument_errors_are_torchs():
    x = gu.tensor(normal((3,), 0))
    with pytest.raises(ValueError, match="min_val cannot be greater than max_val"):
        gF.hardtanh(x, 1.0, -1.0)
    with pytest.raises(RuntimeError, match="lambda must be greater or equal to 0"):
        gF.softshrink(x, -1.0)
    assert_close(gF.hardshrink(x, -1.0), F.hardshrink(torch.tensor(x.numpy()), -1.0))
    with pytest.raises(RuntimeError, match="alpha cannot be 0 for CELU"):
        gF.celu(x, 0.0)
    with pytest.raises(RuntimeError, match="lower bound should be less than or equal"):
        gF.rrelu(x, 0.5, 0.1)


# ---------------------------------------------------------------- rrelu training
def test_rrelu_training_draws_a_slope_per_negative_element_and_backprops_it():
    gu.manual_seed(0)
    x = gu.tensor(normal((50, 40), 7), requires_grad=True)
    out = gF.rrelu(x, 0.1, 0.3, training=True)
    out.sum().backward()
    xs, ys, gs = x.detach().numpy(), out.detach().numpy(), x.grad.numpy()
    neg = xs < 0
    slopes = ys[neg] / xs[neg]
    assert slopes.min() >= 0.1 and slopes.max() <= 0.3 and np.unique(slopes).size > 100
    np.testing.assert_allclose(gs[neg], slopes, rtol=1e-12)  # the gradient is the slope used
    np.testing.assert_array_equal(ys[~neg], xs[~neg])
    assert abs(slopes.mean() - 0.2) < 0.01
    gu.manual_seed(0)
    np.testing.assert_array_equal(gF.rrelu(x.detach(), 0.1, 0.3, training=True).numpy(), ys)


def test_rrelu_module_is_random_in_training_and_the_mean_slope_in_eval():
    m = nn.RReLU(0.1, 0.3)
    x = gu.tensor(-np.ones(1000))
    assert np.unique(m(x).numpy()).size > 100
    m.eval()
    np.testing.assert_allclose(m(x).numpy(), -0.2)


# ------------------------------------------------------------------ softmax family
@pytest.mark.parametrize("fn", ["softmax", "log_softmax", "softmin"])
@pytest.mark.parametrize("dim", [0, 1, -1])
def test_softmax_family_matches_torch(fn, dim):
    ladder(
        lambda t: getattr(gF, fn)(t, dim), lambda t: getattr(F, fn)(t, dim), normal((3, 4, 2), 8)
    )


@pytest.mark.parametrize("fn", ["softmax", "log_softmax", "softmin"])
@pytest.mark.parametrize(
    "in_dtype, out_dtype",
    [
        (np.float32, np.float64),
        (np.float64, np.float32),
        (np.int64, np.float32),
        (np.int64, np.float64),
    ],
)
def test_softmax_dtype_casts_the_input_first(fn, in_dtype, out_dtype):
    x = (normal((3, 4), 9) * 3).astype(in_dtype)
    tdt = getattr(torch, np.dtype(out_dtype).name)
    calls = [
        (
            lambda t: getattr(gF, fn)(t, 1, dtype=out_dtype),
            lambda t: getattr(F, fn)(t, 1, dtype=tdt),
        )
    ]
    if fn != "softmin":  # torch.softmax(x, dim, dtype) and x.softmax(dim, dtype=)
        calls.append(
            (lambda t: getattr(gu, fn)(t, 1, out_dtype), lambda t: getattr(torch, fn)(t, 1, tdt))
        )
        calls.append(
            (lambda t: getattr(t, fn)(0, dtype=out_dtype), lambda t: getattr(t, fn)(0, dtype=tdt))
        )
    grad = np.dtype(in_dtype).kind == "f"
    upstream = normal((3, 4), 10).astype(out_dtype)
    for gu_fn, torch_fn in calls:
        g, t = gu.tensor(x, requires_grad=grad), torch.tensor(x, requires_grad=grad)
        out_g, out_t = gu_fn(g), torch_fn(t)
        assert out_g.dtype == out_dtype
        assert_close(out_g, out_t, out_dtype)
        if grad:  # the gradient flows back through the cast, in the input's dtype
            out_g.backward(upstream)
            out_t.backward(torch.tensor(upstream))
            assert g.grad.dtype == in_dtype
            assert_close(g.grad, t.grad, np.float32)


@pytest.mark.parametrize("fn", ["softmax", "log_softmax", "softmin"])
@pytest.mark.parametrize("shape", [(), (5,), (3, 4), (2, 3, 4), (2, 3, 4, 2)])
def test_softmax_without_dim_warns_and_uses_torchs_legacy_dim(fn, shape):
    x = normal(shape, 10)
    with pytest.warns(UserWarning, match="implicit dimension choice") as record:
        out = getattr(gF, fn)(gu.tensor(x))
    assert record[0].filename == __file__  # the warning points at the caller
    with pytest.warns(UserWarning):
        expected = getattr(F, fn)(torch.tensor(x))
    assert_close(out, expected)


@pytest.mark.parametrize("fn", ["softmax", "log_softmax", "softmin"])
@pytest.mark.parametrize("shape, dim", [((2, 0), 1), ((2, 0), 0), ((0, 3), 1), ((0,), 0)])
def test_softmax_over_an_empty_dim_is_empty(fn, shape, dim):
    x = gu.tensor(np.zeros(shape), requires_grad=True)
    out = getattr(gF, fn)(x, dim)
    assert out.shape == tuple(getattr(F, fn)(torch.zeros(shape), dim).shape) == shape
    out.sum().backward()
    assert x.grad.shape == shape


def test_softmax_of_a_0d_tensor():
    check_op(lambda t: gF.softmax(t, 0), lambda t: F.softmax(t, 0), np.array(3.0))
    check_op(lambda t: gF.log_softmax(t, -1), lambda t: F.log_softmax(t, -1), np.array(3.0))


def test_softmax_dtype_errors():
    with pytest.raises(NotImplementedError, match="dtype must be a floating-point type"):
        gF.softmax(gu.tensor(normal((3,), 0)), 0, dtype=np.int64)
    with pytest.raises(RuntimeError, match="softmax: expected a floating-point tensor"):
        gF.softmax(gu.tensor([1, 2]), 0)


def test_gradcheck_of_the_fused_functions():
    x = gu.tensor(normal((4, 6), 19) * 2, requires_grad=True)
    for fn in (
        gF.elu,
        gF.selu,
        gF.celu,
        gF.softplus,
        gF.silu,
        gF.mish,
        gF.hardswish,
        gF.logsigmoid,
        gF.glu,
    ):
        gradcheck(fn, [x])
    w = gu.tensor(np.array([0.1, -0.3, 0.5, 0.2]), requires_grad=True)
    gradcheck(gF.prelu, [x.detach().reshape(6, 4).requires_grad_(), w])

"""F.pad (constant, reflect, replicate, circular; negative padding) and F.interpolate
(nearest, nearest-exact, linear, bilinear, bicubic, trilinear, area) against torch, with
the padding and upsampling modules."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F

import groundup as gu
import groundup.nn.functional as gF
from groundup import nn
from tests.oracle import assert_close, check_op
from tests.strategies import ladder, normal


# ---------------------------------------------------------------------------- pad
@pytest.mark.parametrize(
    "shape, pad, value",
    [
        ((2, 3, 4), (1, 2), None),
        ((2, 3, 4), (1, 2), 5.0),
        ((2, 3, 4), (1, -2), None),  # negative: crops
        ((2, 3, 4), (-1, -1, 1, 0), 0.5),
        ((2, 3, 4), (1, 1, 1, 1, 1, 1), -1.0),  # every dim
        ((2, 3, 4), (0, 0), None),
        ((2, 3, 4), (-4, 0), None),  # cropped to nothing
        ((4,), (2, 3), None),
        ((), (), None),
        ((0, 3), (1, 1), None),
    ],
)
def test_constant_pad_matches_torch(shape, pad, value):
    ladder(
        lambda t: gF.pad(t, pad, value=value),
        lambda t: F.pad(t, pad, value=value),
        normal(shape, 0),
    )


@pytest.mark.parametrize("mode", ["reflect", "replicate", "circular"])
@pytest.mark.parametrize(
    "shape, pad",
    [
        ((2, 3, 5), (2, 3)),
        ((3, 5), (4, 1)),  # unbatched
        ((2, 3, 5), (-1, 2)),
        ((2, 3, 5), (2, -1)),
        ((2, 2, 4, 5), (1, 2, 3, 0)),
        ((2, 4, 5), (1, 2, 3, 0)),
        ((1, 2, 3, 4, 5), (1, 0, 2, 1, 2, 2)),
        ((2, 3, 4, 5), (1, 1, 1, 1, 1, 1)),
        ((0, 3, 5), (1, 1)),  # empty batch
    ],
)
def test_gather_pads_match_torch(mode, shape, pad):
    ladder(lambda t: gF.pad(t, pad, mode), lambda t: F.pad(t, pad, mode), normal(shape, 1))


def test_pad_accepts_lists_and_keeps_integer_and_bool_dtypes():
    for x in (np.arange(6).reshape(2, 3), np.array([[True, False]])):
        g, t = gF.pad(gu.tensor(x), [1, 1], value=2.5), F.pad(torch.tensor(x), [1, 1], value=2.5)
        assert g.dtype == x.dtype
        np.testing.assert_array_equal(g.numpy(), t.numpy())
    x = np.arange(6).reshape(2, 3)
    np.testing.assert_array_equal(
        gF.pad(gu.tensor(x), (2, 1), "reflect").numpy(), F.pad(torch.tensor(x), (2, 1), "reflect")
    )


def test_pad_of_a_non_contiguous_input():
    x = normal((3, 2, 4), 2)
    check_op(
        lambda t: gF.pad(t.transpose(0, 2), (1, 2), "reflect"),
        lambda t: F.pad(t.transpose(0, 2), (1, 2), "reflect"),
        x,
    )
    check_op(
        lambda t: gF.pad(t.transpose(0, 2), (1, 2, 0, 1)),
        lambda t: F.pad(t.transpose(0, 2), (1, 2, 0, 1)),
        x,
    )


@pytest.mark.parametrize(
    "shape, pad, mode, error, match",
    [
        ((2, 3, 4), (1,), "constant", RuntimeError, "divisible by 2"),
        (
            (2, 3, 4),
            (1, 1) * 4,
            "constant",
            RuntimeError,
            "padding length 8 and input of dimension 3",
        ),
        ((2, 3, 4), (-5, 1), "constant", RuntimeError, "negative length"),
        ((2, 3, 4), (1.5, 1), "constant", TypeError, "tuple of ints"),
        ((2, 3, 4), (1, 1), "foo", NotImplementedError, "unrecognised padding mode"),
        ((2, 3, 4), (4, 0), "reflect", RuntimeError, r"argument #4: padding size should be less"),
        ((1, 1, 3, 4), (1, 1, 3, 0), "reflect", RuntimeError, r"argument #6.*dimension 2"),
        ((1, 3, 4), (5, 0), "circular", RuntimeError, "wrapping around more than once"),
        ((4,), (1, 1), "reflect", NotImplementedError, "padding size 2 is not supported for 1D"),
        (
            (2, 3, 4),
            (1,) * 6,
            "replicate",
            NotImplementedError,
            "padding size 6 is not supported for 3D",
        ),
        ((1, 3, 0), (1, 1), "replicate", RuntimeError, "non-zero dimensions"),
        ((2, 3, 4), (-5, 1), "replicate", RuntimeError, "too small"),
        ((2, 3, 4), (-3, -1), "reflect", RuntimeError, "too small"),
    ],
)
def test_pad_errors_are_torchs(shape, pad, mode, error, match):
    x = np.zeros(shape)
    with pytest.raises(error, match=match):
        gF.pad(gu.tensor(x), pad, mode)
    with pytest.raises(error):
        F.pad(torch.tensor(x), pad, mode)


def test_pad_value_only_for_constant_mode():
    x = gu.tensor(np.zeros((1, 2, 3)))
    with pytest.raises(RuntimeError, match="doesn't take in value argument"):
        gF.pad(x, (1, 1), "reflect", value=2.0)
    assert gF.pad(x, (1, 1), "reflect", value=0).shape == (1, 2, 5)  # as torch: 0 is allowed


# --------------------------------------------------------------------- interpolate
CASES = [
    ((2, 3, 5, 7), dict(scale_factor=2)),
    ((2, 3, 5, 7), dict(size=(3, 9))),
    ((2, 3, 5, 7), dict(scale_factor=(0.6, 1.7))),
    ((2, 3, 7), dict(scale_factor=3.3)),
    ((1, 2, 3, 4, 5), dict(scale_factor=1.5)),
    ((2, 3, 5, 7), dict(scale_factor=1.3, mode="nearest-exact")),
    ((2, 3, 6), dict(size=4, mode="nearest-exact")),
    ((2, 3, 9), dict(scale_factor=0.7, mode="linear")),
    ((2, 3, 9), dict(scale_factor=0.7, mode="linear", recompute_scale_factor=True)),
    ((2, 3, 4), dict(size=9, mode="linear", align_corners=True)),
    ((2, 3, 4), dict(size=1, mode="linear", align_corners=True)),
    ((2, 3, 5, 7), dict(size=(3, 4), mode="bilinear")),
    ((2, 3, 5, 7), dict(size=(8, 11), mode="bilinear", align_corners=True)),
    ((2, 3, 5, 7), dict(scale_factor=2.5, mode="bilinear")),
    ((2, 3, 5, 7), dict(scale_factor=1.7, mode="bicubic")),
    ((2, 3, 5, 7), dict(scale_factor=(0.6, 2.3), mode="bicubic", align_corners=True)),
    ((2, 3, 6, 6), dict(size=3, mode="bicubic")),
    ((1, 2, 3, 4, 5), dict(scale_factor=1.5, mode="trilinear")),
    ((1, 2, 3, 4, 5), dict(size=(2, 5, 3), mode="trilinear", align_corners=True)),
    ((2, 3, 9, 5), dict(size=(4, 3), mode="area")),
    ((2, 3, 7), dict(scale_factor=0.5, mode="area")),
    ((0, 3, 4, 4), dict(scale_factor=2, mode="bilinear")),
]


@pytest.mark.parametrize("shape, kwargs", CASES)
def test_interpolate_matches_torch(shape, kwargs):
    ladder(
        lambda t: gF.interpolate(t, **kwargs),
        lambda t: F.interpolate(t, **kwargs),
        normal(shape, 3),
    )


def test_interpolate_of_a_non_contiguous_input():
    x = normal((2, 3, 4, 5), 4)
    check_op(
        lambda t: gF.interpolate(t.transpose(2, 3), scale_factor=1.5, mode="bilinear"),
        lambda t: F.interpolate(t.transpose(2, 3), scale_factor=1.5, mode="bilinear"),
        x,
    )


def test_nearest_index_rounding_is_torchs_float32_arithmetic():
    # sizes where in/out or 1/scale is not exact: the chosen pixels must be the same
    for n, m in [(3, 7), (5, 13), (7, 3), (10, 3), (9, 27), (11, 6)]:
        x = np.arange(n, dtype=np.float64)[None, None]
        for kw in (dict(size=m), dict(scale_factor=m / n)):
            for mode in ("nearest", "nearest-exact"):
                g = gF.interpolate(gu.tensor(x), mode=mode, **kw)
                t = F.interpolate(torch.tensor(x), mode=mode, **kw)
                np.testing.assert_array_equal(g.numpy(), t.numpy())


@pytest.mark.parametrize(
    "shape, kwargs, error, match",
    [
        ((1, 1, 3, 4), dict(), ValueError, "either size or scale_factor"),
        (
            (1, 1, 3, 4),
            dict(size=2, scale_factor=2),
            ValueError,
            "only one of size or scale_factor",
        ),
        ((1, 1, 3, 4), dict(size=(2,)), ValueError, "same number of spatial dimensions"),
        ((1, 1, 3, 4), dict(scale_factor=(2,)), ValueError, "same number of spatial dimensions"),
        ((1, 1, 3, 4), dict(size=2, align_corners=True), ValueError, "align_corners option"),
        (
            (1, 1, 3, 4),
            dict(size=2, mode="bilinear", recompute_scale_factor=True),
            ValueError,
            "not meaningful",
        ),
        (
            (1, 1, 3, 4),
            dict(scale_factor=2, mode="linear"),
            NotImplementedError,
            "4D input, but linear mode needs 3D",
        ),
        ((1, 3, 4), dict(scale_factor=2, mode="bilinear"), NotImplementedError, "needs 4D"),
        ((3, 4), dict(scale_factor=2), NotImplementedError, "only 3D, 4D and 5D"),
        (
            (1, 1, 3, 4),
            dict(scale_factor=2, mode="foo"),
            NotImplementedError,
            "mode must be one of",
        ),
        (
            (1, 1, 3, 4),
            dict(scale_factor=0.1),
            RuntimeError,
            r"greater than 0.*\(H: 3, W: 4\) output \(H: 0, W: 0\)",
        ),
        ((1, 1, 0, 4), dict(scale_factor=2), RuntimeError, "greater than 0"),
        ((1, 1, 3, 4), dict(size=2.5), TypeError, "size must be an int"),
    ],
)
def test_interpolate_errors_are_torchs(shape, kwargs, error, match):
    x = np.zeros(shape)
    with pytest.raises(error, match=match):
        gF.interpolate(gu.tensor(x), **kwargs)
    with pytest.raises(error):
        F.interpolate(torch.tensor(x), **kwargs)


def test_interpolate_of_integers_is_not_supported():
    with pytest.raises(NotImplementedError, match="floating-point"):
        gF.interpolate(gu.tensor(np.zeros((1, 1, 2, 2), np.int64)), scale_factor=2)


# ------------------------------------------------------------------------ modules
PAD_MODULES = [
    ("ZeroPad1d", (2,)),
    ("ZeroPad2d", ((1, 2, 0, 1),)),
    ("ZeroPad3d", (1,)),
    ("ConstantPad1d", ((1, 2), 3.5)),
    ("ConstantPad2d", (1, -1.0)),
    ("ConstantPad3d", ((1, 0, 0, 1, 1, 0), 2.0)),
    ("ReflectionPad1d", (2,)),
    ("ReflectionPad2d", ((1, 2, 2, 1),)),
    ("ReflectionPad3d", (1,)),
    ("ReplicationPad1d", ((1, 3),)),
    ("ReplicationPad2d", (2,)),
    ("ReplicationPad3d", (1,)),
    ("CircularPad1d", (2,)),
    ("CircularPad2d", ((1, 0, 2, 1),)),
    ("CircularPad3d", (1,)),
]


@pytest.mark.parametrize("name, args", PAD_MODULES)
def test_padding_modules_match_torch(name, args):
    g, t = getattr(nn, name)(*args), getattr(torch.nn, name)(*args)
    assert repr(g) == repr(t)
    dims = int(name[-2])
    check_op(g, t, normal((2, 3, 4, 5, 6)[: dims + 2], 5))
    check_op(g, t, normal((3, 4, 5, 6)[: dims + 1], 6).astype(np.float32))


def test_circular_pad_module_checks_the_input_dims():
    with pytest.raises(ValueError, match=r"expected 2D or 3D input \(got 4D input\)"):
        nn.CircularPad1d(1)(gu.tensor(np.zeros((1, 1, 2, 2))))


@pytest.mark.parametrize(
    "name, kwargs",
    [
        ("Upsample", dict(scale_factor=2)),
        ("Upsample", dict(size=(3, 4), mode="bilinear", align_corners=True)),
        ("Upsample", dict(scale_factor=(2, 1.5), mode="bicubic")),
        ("Upsample", dict(scale_factor=0.6, mode="bilinear", recompute_scale_factor=True)),
        ("UpsamplingNearest2d", dict(scale_factor=2)),
        ("UpsamplingNearest2d", dict(size=(5, 3))),
        ("UpsamplingBilinear2d", dict(size=4)),
        ("UpsamplingBilinear2d", dict(scale_factor=1.5)),
    ],
)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_upsampling_modules_match_torch(name, kwargs, dtype):
    g, t = getattr(nn, name)(**kwargs), getattr(torch.nn, name)(**kwargs)
    assert repr(g) == repr(t)
    check_op(g, t, normal((2, 3, 4, 5), 7).astype(dtype))
    assert_close(g(gu.tensor(normal((1, 1, 3, 3), 8))), t(torch.tensor(normal((1, 1, 3, 3), 8))))

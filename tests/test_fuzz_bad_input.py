"""Bad input across the Python API, each case run in groundup and in torch.

Every case builds a layer (or picks a function) with the same arguments in both libraries,
copies groundup's weights into torch's and calls both on copies of the same arrays. The
outcome must be torch's: where torch raises, groundup raises the same class (the nearest
built-in one; where torch's own is an AssertionError or a ZeroDivisionError, any of
ValueError, TypeError, RuntimeError) with a one-line message of its own, and leaves the
inputs and the module as they were; where torch returns, groundup returns the same values
(NaN where torch has NaN). Never an AttributeError, a KeyError, a MemoryError or a
NumPy message from inside, never a hang. Damaged files (safetensors, IDX) have no torch
counterpart: they must raise a clear error naming the file.

Categories (the id prefix): shape, dtype, value (NaN, inf, empty, 0-d), loss, ctor
(absurd constructor arguments), file.
"""

from __future__ import annotations

import gzip
import re
import signal
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
from hypothesis import assume, given
from hypothesis import strategies as st

import groundup as gu
from groundup import nn
from groundup.data import load_idx_dataset, read_idx
from groundup.train import load_weights, read_metadata, save_weights

CLEAR = (IndexError, NotImplementedError, ValueError, TypeError, RuntimeError)
UNHELPFUL = (AssertionError, ZeroDivisionError, AttributeError, KeyError, MemoryError)
# messages of NumPy or of Python itself: the error escaped from inside instead of a check
LEAKED = re.compile(
    "cannot reshape array|could not be broadcast|out of bounds for axis|has no attribute|"
    "unsupported operand|not aligned|matmul: Input operand|not subscriptable|not callable|"
    "index out of range|division by zero|too many indices for array|zero-size array|"
    "Unable to allocate|must be real number|only integer scalar arrays"
)


# ------------------------------------------------------------------------ inputs
def X(*shape: int, dtype: Any = np.float32, fill: float | None = None, seed: int = 0) -> Any:
    """A float array (standard normal, or all `fill`)."""
    if fill is not None:
        return np.full(shape, fill, dtype=dtype)
    return np.random.default_rng(seed).standard_normal(shape).astype(dtype)


def I(*values: Any, shape: tuple[int, ...] | None = None) -> Any:  # noqa: E743
    """An int64 array of `values` (reshaped to `shape`)."""
    a = np.array(values, dtype=np.int64)
    return a.reshape(shape) if shape is not None else a


def P(*shape: int, seed: int = 0) -> Any:
    """Probabilities in (0, 1)."""
    return np.random.default_rng(seed).uniform(0.05, 0.95, shape).astype(np.float32)


@dataclass(frozen=True)
class Case:
    """`make` is evaluated with `nn`, `F` and `L` (groundup or torch) in scope; the result
    (a module, set to eval unless `train`) is called with `args` and `kwargs`, whose
    arrays become tensors of the library. `stricter` says why a clear error is right
    where torch computes something (an argument that has no meaning)."""

    id: str
    make: str
    args: tuple[Any, ...] = ()
    kwargs: dict[str, Any] = field(default_factory=dict)
    train: bool = False
    match: str | None = None
    stricter: str | None = None


def c(id: str, make: str, *args: Any, train: bool = False, match: str | None = None,  # noqa: A002
      stricter: str | None = None, **kwargs: Any) -> Case:  # fmt: skip
    return Case(id, make, args, kwargs, train, match, stricter)


# ------------------------------------------------------------------------- harness
@contextmanager
def deadline(seconds: float = 10.0) -> Iterator[None]:
    """A hang fails the case instead of the run."""

    def expire(*_: Any) -> None:
        raise TimeoutError(f"no answer within {seconds} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _convert(value: Any, lib: Any) -> Any:
    if isinstance(value, np.ndarray):
        return lib.tensor(value.copy())
    if isinstance(value, tuple):
        return tuple(_convert(v, lib) for v in value)
    return value


def _numpy(value: Any) -> Any:
    if isinstance(value, gu.Tensor):
        return value._data
    if isinstance(value, torch.Tensor):
        return value.detach().numpy()
    if isinstance(value, (tuple, list)):
        return [_numpy(v) for v in value]
    return value


def _state(module: Any) -> dict[str, np.ndarray]:
    if not isinstance(module, (nn.Module, torch.nn.Module)):
        return {}
    return {k: np.array(_numpy(v)) for k, v in module.state_dict().items()}


@dataclass
class Outcome:
    stage: str  # "make", "call" or "ok"
    error: BaseException | None = None
    value: Any = None
    module: Any = None
    inputs: list[Any] = field(default_factory=list)
    state_before: dict[str, np.ndarray] = field(default_factory=dict)


def _run(case: Case, lib: Any, weights: dict[str, np.ndarray] | None = None) -> Outcome:
    scope = {"nn": lib.nn, "F": lib.nn.functional, "L": lib}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            made = eval(case.make, scope)  # noqa: S307 - the case tables below
        except Exception as e:
            return Outcome("make", e)
        if isinstance(made, (nn.Module, torch.nn.Module)):
            made.train(case.train)
            if weights is not None and weights:
                made.load_state_dict({k: torch.tensor(v) for k, v in weights.items()}, strict=False)
        args = [_convert(a, lib) for a in case.args]
        kwargs = {k: _convert(v, lib) for k, v in case.kwargs.items()}
        out = Outcome("call", module=made, inputs=[*args, *kwargs.values()])
        out.state_before = _state(made)
        try:
            with deadline():
                out.value = made(*args, **kwargs) if case.args or case.kwargs else None
            out.stage = "ok"
        except Exception as e:
            out.error = e
    return out


def _expected_classes(error: BaseException) -> tuple[type[BaseException], ...]:
    if isinstance(error, UNHELPFUL):
        return (ValueError, TypeError, RuntimeError)
    return next((cls,) for cls in CLEAR if isinstance(error, cls))


def assert_clear(error: BaseException, expected: tuple[type[BaseException], ...],
                 match: str | None = None) -> None:  # fmt: skip
    """`error` is of an expected class with a one-line message of groundup's own."""
    message = str(error)
    # an error of a designed class that is also an AssertionError (as torch raises) is clear
    unhelpful = isinstance(error, UNHELPFUL) and not isinstance(error, CLEAR)
    assert isinstance(error, expected) and not unhelpful, (
        f"raised {type(error).__name__}: {message}; expected {[e.__name__ for e in expected]}"
    )
    assert message.strip() and "\n" not in message.strip(), f"not one line: {message!r}"
    assert not LEAKED.search(message), f"an internal message: {message}"
    if match is not None:
        assert re.search(match, message), f"{message!r} does not match {match!r}"


def _same_arrays(a: Any, b: Any) -> bool:
    a, b = np.asarray(a), np.asarray(b)
    return (
        a.shape == b.shape
        and a.dtype == b.dtype
        and np.array_equal(a, b, equal_nan=a.dtype.kind == "f")
    )


def assert_same_values(ours: Any, theirs: Any, where: str = "output") -> None:
    if isinstance(theirs, list):
        assert isinstance(ours, list) and len(ours) == len(theirs), f"{where}: structure"
        for i, (o, t) in enumerate(zip(ours, theirs, strict=True)):
            assert_same_values(o, t, f"{where}[{i}]")
        return
    if not isinstance(theirs, np.ndarray):
        assert ours == theirs or (ours != ours and theirs != theirs), f"{where}: {ours} != {theirs}"
        return
    ours = np.asarray(ours)
    assert ours.shape == theirs.shape, f"{where}: shape {ours.shape} != torch's {theirs.shape}"
    assert ours.dtype == theirs.dtype, f"{where}: dtype {ours.dtype} != torch's {theirs.dtype}"
    if theirs.dtype.kind in "fc":
        np.testing.assert_allclose(ours, theirs, rtol=1e-4, atol=1e-5, equal_nan=True,
                                   err_msg=where)  # fmt: skip
    else:
        np.testing.assert_array_equal(ours, theirs, err_msg=where)


def check(case: Case) -> None:
    ours = _run(case, gu)
    theirs = _run(case, torch, ours.state_before if ours.stage != "make" else None)
    if ours.stage == "make" and theirs.stage == "call":
        # refused when built; torch builds it and only fails (or computes) when called
        assert theirs.error is not None or case.stricter, (
            f"groundup refused to build what torch builds and runs: {ours.error}"
        )
        assert ours.error is not None
        assert_clear(ours.error, (ValueError, TypeError, RuntimeError), case.match)
        return
    if theirs.stage != "ok":
        assert theirs.error is not None
        assert ours.stage != "ok", (
            f"groundup returned where torch raises {type(theirs.error).__name__}: {theirs.error}"
        )
        assert ours.error is not None
        assert_clear(ours.error, _expected_classes(theirs.error), case.match)
        if ours.stage == "call":  # nothing changed
            state = _state(ours.module)
            assert all(_same_arrays(v, ours.state_before[k]) for k, v in state.items()), (
                "the module changed"
            )
            _assert_inputs_unchanged(ours.inputs, [*case.args, *case.kwargs.values()])
        return
    if ours.stage != "ok" and case.stricter:
        assert ours.error is not None
        assert_clear(ours.error, (ValueError, TypeError, RuntimeError), case.match)
        return
    assert ours.stage == "ok", (
        f"groundup raised {type(ours.error).__name__}: {ours.error} where torch returns"
    )
    assert_same_values(_numpy(ours.value), _numpy(theirs.value))
    assert_same_values([*_state(ours.module).values()], [*_state(theirs.module).values()], "state")
    _assert_inputs_unchanged(ours.inputs, [*case.args, *case.kwargs.values()])


def _assert_inputs_unchanged(tensors: list[Any], originals: list[Any]) -> None:
    for t, o in zip(tensors, originals, strict=True):
        if isinstance(o, np.ndarray):
            assert _same_arrays(_numpy(t), o), "an input was changed"
        elif isinstance(o, tuple):
            _assert_inputs_unchanged(list(t), list(o))


# -------------------------------------------------------------------------- shapes
# fmt: off
SHAPE = [
    # Linear
    c("linear-features", "nn.Linear(3, 4)", X(2, 5)),
    c("linear-1d-features", "nn.Linear(3, 4)", X(5)),
    c("linear-0d", "nn.Linear(3, 4)", X()),
    c("linear-3d", "nn.Linear(3, 4)", X(2, 2, 3)),
    c("linear-empty-batch", "nn.Linear(3, 4)", X(0, 3)),
    c("linear-empty-features", "nn.Linear(3, 4)", X(2, 0)),
    c("linear-zero-in", "nn.Linear(0, 4)", X(2, 0)),
    c("bilinear-features", "nn.Linear(3, 4, bias=False)", X(4, 2)),
    # Conv1d
    c("conv1d-channels", "nn.Conv1d(2, 4, 3)", X(1, 3, 8)),
    c("conv1d-unbatched", "nn.Conv1d(2, 4, 3)", X(2, 8)),
    c("conv1d-1d", "nn.Conv1d(2, 4, 3)", X(8)),
    c("conv1d-4d", "nn.Conv1d(2, 4, 3)", X(1, 2, 8, 8)),
    c("conv1d-0d", "nn.Conv1d(2, 4, 3)", X()),
    c("conv1d-kernel-too-big", "nn.Conv1d(2, 4, 5)", X(1, 2, 3)),
    c("conv1d-padding-fits", "nn.Conv1d(2, 4, 5, padding=1)", X(1, 2, 3)),
    c("conv1d-empty-batch", "nn.Conv1d(2, 4, 3)", X(0, 2, 8)),
    c("conv1d-empty-length", "nn.Conv1d(2, 4, 3)", X(1, 2, 0)),
    c("conv1d-dilation-too-big", "nn.Conv1d(2, 4, 3, dilation=4)", X(1, 2, 8)),
    c("conv1d-groups-channels", "nn.Conv1d(4, 4, 3, groups=2)", X(1, 2, 8)),
    c("conv1d-same", "nn.Conv1d(2, 4, 4, padding='same')", X(1, 2, 7)),
    # Conv2d
    c("conv2d-channels", "nn.Conv2d(2, 4, 3)", X(1, 3, 5, 5)),
    c("conv2d-unbatched", "nn.Conv2d(2, 4, 3)", X(2, 5, 5)),
    c("conv2d-2d", "nn.Conv2d(2, 4, 3)", X(5, 5)),
    c("conv2d-5d", "nn.Conv2d(2, 4, 3)", X(1, 1, 2, 5, 5)),
    c("conv2d-0d", "nn.Conv2d(2, 4, 3)", X()),
    c("conv2d-kernel-too-big", "nn.Conv2d(2, 4, 3)", X(1, 2, 2, 5)),
    c("conv2d-kernel-too-wide", "nn.Conv2d(2, 4, (1, 6))", X(1, 2, 5, 5)),
    c("conv2d-empty-batch", "nn.Conv2d(2, 4, 3)", X(0, 2, 5, 5)),
    c("conv2d-empty-height", "nn.Conv2d(2, 4, 3)", X(1, 2, 0, 5)),
    c("conv2d-groups-channels", "nn.Conv2d(4, 6, 3, groups=2)", X(1, 6, 5, 5)),
    c("conv2d-stride-big", "nn.Conv2d(2, 4, 3, stride=10)", X(1, 2, 5, 5)),
    c("conv2d-same", "nn.Conv2d(2, 4, 3, padding='same', dilation=2)", X(1, 2, 6, 5)),
    c("conv2d-padding-fits", "nn.Conv2d(2, 4, 5, padding=2)", X(1, 2, 1, 1)),
    # ConvTranspose
    c("convt1d-channels", "nn.ConvTranspose1d(2, 4, 3)", X(1, 3, 5)),
    c("convt1d-1d", "nn.ConvTranspose1d(2, 4, 3)", X(5)),
    c("convt1d-unbatched", "nn.ConvTranspose1d(2, 4, 3)", X(2, 5)),
    c("convt1d-empty-batch", "nn.ConvTranspose1d(2, 4, 3)", X(0, 2, 5)),
    c("convt1d-output-padding", "nn.ConvTranspose1d(2, 4, 3, stride=2, output_padding=2)",
      X(1, 2, 5)),
    c("convt1d-padding-too-big", "nn.ConvTranspose1d(2, 4, 3, padding=4)", X(1, 2, 2)),
    c("convt2d-channels", "nn.ConvTranspose2d(2, 4, 3)", X(1, 3, 4, 4)),
    c("convt2d-2d", "nn.ConvTranspose2d(2, 4, 3)", X(4, 4)),
    c("convt2d-5d", "nn.ConvTranspose2d(2, 4, 3)", X(1, 1, 2, 4, 4)),
    c("convt2d-unbatched", "nn.ConvTranspose2d(2, 4, 3)", X(2, 4, 4)),
    c("convt2d-empty-batch", "nn.ConvTranspose2d(2, 4, 3)", X(0, 2, 4, 4)),
    c("convt2d-output-padding", "nn.ConvTranspose2d(2, 4, 3, stride=2, output_padding=2)",
      X(1, 2, 4, 4)),
    c("convt2d-groups", "nn.ConvTranspose2d(4, 4, 3, groups=2)", X(1, 2, 4, 4)),
    c("convt2d-output-size", "nn.ConvTranspose2d(2, 4, 3, stride=2)", X(1, 2, 4, 4),
      output_size=[20, 20]),
    c("convt2d-output-size-fits", "nn.ConvTranspose2d(2, 4, 3, stride=2)", X(1, 2, 4, 4),
      output_size=[1, 4, 10, 9]),
    c("convt1d-output-size-fits", "nn.ConvTranspose1d(2, 4, 3, stride=3, padding=1)", X(2, 4),
      output_size=[12]),
    c("convt1d-output-size-length", "nn.ConvTranspose1d(2, 4, 3, stride=3)", X(1, 2, 4),
      output_size=[1, 12]),
    # pools
    c("maxpool1d-kernel-too-big", "nn.MaxPool1d(5)", X(1, 2, 3)),
    c("maxpool1d-4d", "nn.MaxPool1d(2)", X(1, 1, 2, 4)),
    c("maxpool1d-1d", "nn.MaxPool1d(2)", X(4)),
    c("maxpool1d-unbatched", "nn.MaxPool1d(2)", X(2, 4)),
    c("maxpool1d-pad-too-big", "nn.MaxPool1d(2, padding=2)", X(1, 2, 8)),
    c("maxpool1d-empty-batch", "nn.MaxPool1d(2)", X(0, 2, 4)),
    c("maxpool1d-empty-length", "nn.MaxPool1d(2)", X(1, 2, 0)),
    c("maxpool2d-kernel-too-big", "nn.MaxPool2d(3)", X(1, 2, 2, 5)),
    c("maxpool2d-2d", "nn.MaxPool2d(2)", X(4, 4)),
    c("maxpool2d-5d", "nn.MaxPool2d(2)", X(1, 1, 1, 4, 4)),
    c("maxpool2d-unbatched", "nn.MaxPool2d(2)", X(2, 4, 4)),
    c("maxpool2d-pad-too-big", "nn.MaxPool2d(2, padding=3)", X(1, 1, 8, 8)),
    c("maxpool2d-empty-batch", "nn.MaxPool2d(2)", X(0, 1, 4, 4)),
    c("maxpool2d-ceil", "nn.MaxPool2d(2, ceil_mode=True)", X(1, 1, 5, 5)),
    c("avgpool1d-kernel-too-big", "nn.AvgPool1d(5)", X(1, 2, 3)),
    c("avgpool1d-4d", "nn.AvgPool1d(2)", X(1, 1, 2, 4)),
    c("avgpool1d-pad-too-big", "nn.AvgPool1d(2, padding=2)", X(1, 2, 8)),
    c("avgpool1d-unbatched", "nn.AvgPool1d(2)", X(2, 4)),
    c("avgpool2d-kernel-too-big", "nn.AvgPool2d(3)", X(1, 2, 2, 5)),
    c("avgpool2d-pad-too-big", "nn.AvgPool2d(2, padding=2)", X(1, 1, 8, 8)),
    c("avgpool2d-empty-batch", "nn.AvgPool2d(2)", X(0, 1, 4, 4)),
    c("avgpool2d-no-pad-count", "nn.AvgPool2d(3, padding=1, count_include_pad=False)",
      X(1, 1, 4, 4)),
    c("adaptive-2d", "nn.AdaptiveAvgPool2d(2)", X(4, 4)),
    c("adaptive-5d", "nn.AdaptiveAvgPool2d(2)", X(1, 1, 1, 4, 4)),
    c("adaptive-larger", "nn.AdaptiveAvgPool2d(6)", X(1, 1, 4, 4)),
    c("adaptive-empty-spatial", "nn.AdaptiveAvgPool2d(2)", X(1, 1, 0, 4)),
    # normalization
    c("batchnorm1d-channels", "nn.BatchNorm1d(3)", X(4, 5)),
    c("batchnorm1d-4d", "nn.BatchNorm1d(3)", X(2, 3, 4, 4)),
    c("batchnorm1d-1d", "nn.BatchNorm1d(3)", X(3)),
    c("batchnorm1d-one-value-train", "nn.BatchNorm1d(3)", X(1, 3), train=True),
    c("batchnorm1d-one-value-eval", "nn.BatchNorm1d(3)", X(1, 3)),
    c("batchnorm1d-3d-train", "nn.BatchNorm1d(3)", X(2, 3, 4), train=True),
    c("batchnorm1d-empty-eval", "nn.BatchNorm1d(3)", X(0, 3)),
    c("batchnorm2d-channels", "nn.BatchNorm2d(3)", X(2, 4, 2, 2)),
    c("batchnorm2d-3d", "nn.BatchNorm2d(3)", X(3, 2, 2)),
    c("batchnorm2d-one-value-train", "nn.BatchNorm2d(3)", X(1, 3, 1, 1), train=True),
    c("batchnorm2d-train", "nn.BatchNorm2d(3)", X(2, 3, 2, 2), train=True),
    c("layernorm-last-dim", "nn.LayerNorm(4)", X(2, 5)),
    c("layernorm-two-dims", "nn.LayerNorm([2, 4])", X(3, 4, 2)),
    c("layernorm-0d", "nn.LayerNorm(4)", X()),
    c("layernorm-1d", "nn.LayerNorm(4)", X(4)),
    c("layernorm-empty-batch", "nn.LayerNorm(4)", X(0, 4)),
    c("groupnorm-channels", "nn.GroupNorm(2, 4)", X(2, 6, 3)),
    c("groupnorm-1d", "nn.GroupNorm(2, 4)", X(4)),
    c("instancenorm1d-channels", "nn.InstanceNorm1d(3, affine=True)", X(2, 4, 5)),
    c("instancenorm1d-4d", "nn.InstanceNorm1d(3)", X(2, 3, 4, 4)),
    # embedding
    c("embedding-out-of-range", "nn.Embedding(10, 3)", I(1, 10)),
    c("embedding-negative", "nn.Embedding(10, 3)", I(-1, 2)),
    c("embedding-far-negative", "nn.Embedding(10, 3)", I(-11)),
    c("embedding-0d", "nn.Embedding(10, 3)", I(4, shape=())),
    c("embedding-empty", "nn.Embedding(10, 3)", I(shape=(0,))),
    c("embedding-3d", "nn.Embedding(10, 3)", I(*range(8), shape=(2, 2, 2))),
    c("embedding-padding-idx", "nn.Embedding(10, 3, padding_idx=0)", I(0, 1)),
    # attention and transformer layers
    c("mha-embed-dim", "nn.MultiheadAttention(8, 2)", X(3, 2, 6), X(3, 2, 6), X(3, 2, 6)),
    c("mha-kv-length", "nn.MultiheadAttention(8, 2)", X(3, 2, 8), X(4, 2, 8), X(5, 2, 8)),
    c("mha-batch", "nn.MultiheadAttention(8, 2)", X(3, 2, 8), X(4, 3, 8), X(4, 3, 8)),
    c("mha-4d", "nn.MultiheadAttention(8, 2)", X(1, 3, 2, 8), X(1, 3, 2, 8), X(1, 3, 2, 8)),
    c("mha-1d", "nn.MultiheadAttention(8, 2)", X(8), X(8), X(8)),
    c("mha-unbatched", "nn.MultiheadAttention(8, 2)", X(3, 8), X(4, 8), X(4, 8)),
    c("mha-mask-shape", "nn.MultiheadAttention(8, 2)", X(3, 2, 8), X(4, 2, 8), X(4, 2, 8),
      attn_mask=X(3, 3)),
    c("mha-mask-3d-shape", "nn.MultiheadAttention(8, 2)", X(3, 2, 8), X(4, 2, 8), X(4, 2, 8),
      attn_mask=X(2, 3, 4)),
    c("mha-padding-mask-shape", "nn.MultiheadAttention(8, 2)", X(3, 2, 8), X(4, 2, 8), X(4, 2, 8),
      key_padding_mask=np.zeros((2, 3), bool)),
    c("mha-batch-first", "nn.MultiheadAttention(8, 2, batch_first=True)", X(2, 3, 8), X(2, 4, 8),
      X(2, 4, 8)),
    c("mha-kdim", "nn.MultiheadAttention(8, 2, kdim=4, vdim=4)", X(3, 2, 8), X(4, 2, 5),
      X(4, 2, 4)),
    c("mha-empty-source", "nn.MultiheadAttention(8, 2)", X(3, 2, 8), X(0, 2, 8), X(0, 2, 8)),
    c("encoder-layer-d-model", "nn.TransformerEncoderLayer(8, 2, 16)", X(3, 2, 6)),
    c("encoder-layer-1d", "nn.TransformerEncoderLayer(8, 2, 16)", X(8)),
    c("encoder-layer-4d", "nn.TransformerEncoderLayer(8, 2, 16)", X(1, 3, 2, 8)),
    c("encoder-layer-mask", "nn.TransformerEncoderLayer(8, 2, 16)", X(3, 2, 8), src_mask=X(4, 4)),
    c("encoder-layer-padding-mask", "nn.TransformerEncoderLayer(8, 2, 16)", X(3, 2, 8),
      src_key_padding_mask=np.zeros((3, 3), bool)),
    c("encoder-layer-unbatched", "nn.TransformerEncoderLayer(8, 2, 16)", X(3, 8)),
    c("decoder-layer-memory", "nn.TransformerDecoderLayer(8, 2, 16)", X(3, 2, 8), X(4, 2, 6)),
    c("decoder-layer-batch", "nn.TransformerDecoderLayer(8, 2, 16)", X(3, 2, 8), X(4, 3, 8)),
    c("decoder-layer-tgt-mask", "nn.TransformerDecoderLayer(8, 2, 16)", X(3, 2, 8), X(4, 2, 8),
      tgt_mask=X(4, 4)),
    c("decoder-layer-ok", "nn.TransformerDecoderLayer(8, 2, 16, norm_first=True)", X(3, 2, 8),
      X(4, 2, 8)),
    # other layers
    c("flatten-dims", "nn.Flatten(2, 5)", X(2, 3)),
    c("softmax-dim", "nn.Softmax(dim=3)", X(2, 3)),
    c("logsoftmax-dim", "nn.LogSoftmax(dim=-3)", X(2, 3)),
    c("glu-odd", "nn.GLU()", X(2, 3)),
    c("prelu-channels", "nn.PReLU(3)", X(2, 4)),
    c("upsample-1d", "nn.Upsample(scale_factor=2)", X(4)),
    c("pad-too-many", "nn.ZeroPad2d(1)", X(4)),
    c("reflection-pad-too-big", "nn.ReflectionPad1d(4)", X(1, 2, 3)),
    c("cosine-similarity-shapes", "nn.CosineSimilarity()", X(2, 3), X(2, 4)),
    c("pairwise-distance-shapes", "nn.PairwiseDistance()", X(2, 3), X(3, 3)),
]

# recurrent layers: every input rank and size, empty sequences and batches
for _name in ("RNN", "LSTM", "GRU"):
    _m = f"nn.{_name}(3, 4)"
    SHAPE += [
        c(f"{_name}-empty-sequence", _m, X(0, 2, 3)),
        c(f"{_name}-empty-sequence-unbatched", _m, X(0, 3)),
        c(f"{_name}-empty-sequence-batch-first", f"nn.{_name}(3, 4, batch_first=True)", X(2, 0, 3)),
        c(f"{_name}-empty-batch", _m, X(5, 0, 3)),
        c(f"{_name}-empty-batch-bidirectional",
          f"nn.{_name}(3, 4, num_layers=2, bidirectional=True)", X(5, 0, 3)),
        c(f"{_name}-empty-batch-first", f"nn.{_name}(3, 4, batch_first=True)", X(0, 5, 3)),
        c(f"{_name}-features", _m, X(5, 2, 4)),
        c(f"{_name}-no-features", _m, X(5, 2, 0)),
        c(f"{_name}-1d", _m, X(3)),
        c(f"{_name}-4d", _m, X(1, 5, 2, 3)),
        c(f"{_name}-0d", _m, X()),
        c(f"{_name}-unbatched", _m, X(5, 3)),
    ]
    _h = (X(1, 2, 5), X(1, 2, 4)) if _name == "LSTM" else X(1, 2, 5)
    SHAPE.append(c(f"{_name}-state-size", _m, X(5, 2, 3), _h))
    _cell = f"nn.{_name}Cell(3, 4)"
    SHAPE += [
        c(f"{_name}Cell-empty-batch", _cell, X(0, 3)),
        c(f"{_name}Cell-features", _cell, X(2, 4)),
        c(f"{_name}Cell-1d-features", _cell, X(4)),
        c(f"{_name}Cell-3d", _cell, X(1, 2, 3)),
        c(f"{_name}Cell-0d", _cell, X()),
        c(f"{_name}Cell-no-features", _cell, X(2, 0)),
        c(f"{_name}Cell-unbatched", _cell, X(3)),
    ]

# -------------------------------------------------------------------------- dtypes
_INT = X(2, 3, 5).astype(np.int64)
DTYPE = [
    c("linear-int", "nn.Linear(5, 4)", X(2, 5).astype(np.int64)),
    c("linear-float64", "nn.Linear(5, 4)", X(2, 5, dtype=np.float64)),
    c("linear-bool", "nn.Linear(5, 4)", X(2, 5) > 0),
    c("linear-float16", "nn.Linear(5, 4)", X(2, 5, dtype=np.float16)),
    c("linear-f64-module", "nn.Linear(5, 4, dtype=L.float64)", X(2, 5)),
    c("conv1d-int", "nn.Conv1d(3, 4, 3)", _INT),
    c("conv1d-float64", "nn.Conv1d(3, 4, 3)", X(2, 3, 5, dtype=np.float64)),
    c("conv2d-int", "nn.Conv2d(2, 4, 3)", X(1, 2, 4, 4).astype(np.int64)),
    c("conv2d-float64", "nn.Conv2d(2, 4, 3)", X(1, 2, 4, 4, dtype=np.float64)),
    c("conv2d-bool", "nn.Conv2d(2, 4, 3)", X(1, 2, 4, 4) > 0),
    c("convt2d-int", "nn.ConvTranspose2d(2, 4, 3)", X(1, 2, 4, 4).astype(np.int64)),
    c("convt1d-float64", "nn.ConvTranspose1d(3, 4, 3)", X(2, 3, 5, dtype=np.float64)),
    c("maxpool2d-int", "nn.MaxPool2d(2)", X(1, 1, 4, 4).astype(np.int64)),
    c("maxpool1d-bool", "nn.MaxPool1d(2)", X(1, 1, 4) > 0),
    c("avgpool2d-int", "nn.AvgPool2d(2)", X(1, 1, 4, 4).astype(np.int64)),
    c("avgpool1d-float64", "nn.AvgPool1d(2)", X(1, 1, 4, dtype=np.float64)),
    c("adaptive-int", "nn.AdaptiveAvgPool2d(2)", X(1, 1, 4, 4).astype(np.int64)),
    c("batchnorm1d-int", "nn.BatchNorm1d(3)", X(4, 3).astype(np.int64)),
    c("batchnorm1d-float64", "nn.BatchNorm1d(3)", X(4, 3, dtype=np.float64)),
    c("batchnorm2d-int-train", "nn.BatchNorm2d(2)", X(2, 2, 2, 2).astype(np.int64), train=True),
    c("layernorm-int", "nn.LayerNorm(3)", X(4, 3).astype(np.int64)),
    c("layernorm-float64", "nn.LayerNorm(3)", X(4, 3, dtype=np.float64)),
    c("groupnorm-int", "nn.GroupNorm(1, 2)", X(2, 2, 3).astype(np.int64)),
    c("embedding-float-index", "nn.Embedding(10, 3)", np.array([1.0, 2.0], np.float32)),
    c("embedding-bool-index", "nn.Embedding(10, 3)", np.array([True, False])),
    c("embedding-int32-index", "nn.Embedding(10, 3)", np.array([1, 2], np.int32)),
    c("embedding-uint8-index", "nn.Embedding(10, 3)", np.array([1, 2], np.uint8)),
    c("mha-int", "nn.MultiheadAttention(4, 2)", *(X(2, 1, 4).astype(np.int64),) * 3),
    c("mha-float64", "nn.MultiheadAttention(4, 2)", *(X(2, 1, 4, dtype=np.float64),) * 3),
    c("mha-float-padding-mask", "nn.MultiheadAttention(4, 2)", X(2, 1, 4), X(3, 1, 4), X(3, 1, 4),
      key_padding_mask=X(1, 3)),
    c("mha-int-mask", "nn.MultiheadAttention(4, 2)", X(2, 1, 4), X(3, 1, 4), X(3, 1, 4),
      attn_mask=np.zeros((2, 3), np.int64)),
    c("encoder-layer-int", "nn.TransformerEncoderLayer(4, 2, 8)", X(3, 1, 4).astype(np.int64)),
    c("encoder-layer-float64", "nn.TransformerEncoderLayer(4, 2, 8)", X(3, 1, 4, dtype=np.float64)),
    c("decoder-layer-float64-memory", "nn.TransformerDecoderLayer(4, 2, 8)", X(3, 1, 4),
      X(2, 1, 4, dtype=np.float64)),
    c("softmax-int", "nn.Softmax(dim=1)", X(2, 3).astype(np.int64)),
    c("gelu-int", "nn.GELU()", X(2, 3).astype(np.int64)),
    c("relu-bool", "nn.ReLU()", X(2, 3) > 0),
    c("sigmoid-int", "nn.Sigmoid()", X(2, 3).astype(np.int64)),
    c("tanh-int", "nn.Tanh()", X(2, 3).astype(np.int64)),
    c("dropout-int", "nn.Dropout(0.5)", X(2, 3).astype(np.int64)),
]
for _name in ("RNN", "LSTM", "GRU"):
    DTYPE += [
        c(f"{_name}-int", f"nn.{_name}(3, 4)", X(5, 2, 3).astype(np.int64)),
        c(f"{_name}-float64", f"nn.{_name}(3, 4)", X(5, 2, 3, dtype=np.float64)),
        c(f"{_name}Cell-int", f"nn.{_name}Cell(3, 4)", X(2, 3).astype(np.int64)),
        c(f"{_name}Cell-float64", f"nn.{_name}Cell(3, 4)", X(2, 3, dtype=np.float64)),
    ]

# ------------------------------------------------------------ NaN, inf, empty, 0-d
_NAN = X(2, 5)
_NAN[0, 1] = np.nan
_INF = X(2, 5)
_INF[1, 0], _INF[1, 2] = np.inf, -np.inf
VALUE = [
    c("linear-nan", "nn.Linear(5, 3)", _NAN),
    c("linear-inf", "nn.Linear(5, 3)", _INF),
    c("conv1d-nan", "nn.Conv1d(2, 3, 3)", _NAN.reshape(1, 2, 5)),
    c("conv1d-inf", "nn.Conv1d(2, 3, 3)", _INF.reshape(1, 2, 5)),
    c("maxpool1d-nan", "nn.MaxPool1d(2)", _NAN.reshape(1, 2, 5)),
    c("maxpool1d-inf", "nn.MaxPool1d(2)", _INF.reshape(1, 2, 5)),
    c("maxpool2d-all-inf", "nn.MaxPool2d(2)", X(1, 1, 4, 4, fill=-np.inf)),
    c("avgpool1d-inf", "nn.AvgPool1d(2)", _INF.reshape(1, 2, 5)),
    c("batchnorm1d-nan-train", "nn.BatchNorm1d(5)", _NAN, train=True),
    c("batchnorm1d-inf-eval", "nn.BatchNorm1d(5)", _INF),
    c("batchnorm1d-constant-train", "nn.BatchNorm1d(5)", X(4, 5, fill=0.5), train=True),
    c("layernorm-nan", "nn.LayerNorm(5)", _NAN),
    c("layernorm-inf", "nn.LayerNorm(5)", _INF),
    c("layernorm-constant", "nn.LayerNorm(5)", X(2, 5, fill=7.0)),
    c("layernorm-huge", "nn.LayerNorm(5)", X(2, 5, fill=3e38)),
    c("groupnorm-nan", "nn.GroupNorm(1, 2)", _NAN.reshape(1, 2, 5)),
    c("softmax-nan", "nn.Softmax(dim=1)", _NAN),
    c("softmax-inf", "nn.Softmax(dim=1)", _INF),
    c("softmax-all-minus-inf", "nn.Softmax(dim=1)", X(2, 3, fill=-np.inf)),
    c("logsoftmax-inf", "nn.LogSoftmax(dim=1)", _INF),
    c("softmax-empty", "nn.Softmax(dim=1)", X(2, 0)),
    c("softmax-0d", "nn.Softmax(dim=0)", X()),
    c("sigmoid-inf", "nn.Sigmoid()", _INF),
    c("tanh-nan", "nn.Tanh()", _NAN),
    c("gelu-huge", "nn.GELU()", np.array([1e30, -1e30, 3e4], np.float32)),
    c("relu-nan", "nn.ReLU()", _NAN),
    c("elu-inf", "nn.ELU()", _INF),
    c("softplus-huge", "nn.Softplus()", X(2, 2, fill=1e30)),
    c("logsigmoid-inf", "nn.LogSigmoid()", _INF),
    c("mish-inf", "nn.Mish()", _INF),
    c("silu-inf", "nn.SiLU()", _INF),
    c("hardswish-nan", "nn.Hardswish()", _NAN),
    c("embedding-empty-2d", "nn.Embedding(5, 3)", I(shape=(2, 0))),
    c("relu-0d", "nn.ReLU()", X()),
    c("tanh-empty", "nn.Tanh()", X(0, 3)),
    c("flatten-0d", "nn.Flatten()", X()),
    c("flatten-empty", "nn.Flatten()", X(0, 2, 3)),
    c("identity-nan", "nn.Identity()", _NAN),
    c("mha-nan-query", "nn.MultiheadAttention(4, 2)", _NAN.reshape(5, 2, 1)[:4].reshape(2, 1, 4),
      X(3, 1, 4), X(3, 1, 4)),
    c("mha-all-masked", "nn.MultiheadAttention(4, 2)", X(2, 1, 4), X(3, 1, 4), X(3, 1, 4),
      key_padding_mask=np.ones((1, 3), bool)),
    c("encoder-layer-nan", "nn.TransformerEncoderLayer(4, 2, 8)",
      _NAN.reshape(-1)[:8].reshape(2, 1, 4)),
    c("cosine-similarity-zero", "nn.CosineSimilarity()", X(2, 3, fill=0.0), X(2, 3)),
    c("pairwise-distance-inf", "nn.PairwiseDistance()", _INF, X(2, 5)),
    c("upsample-nan", "nn.Upsample(scale_factor=2)", _NAN.reshape(1, 2, 5)),
    c("upsample-bilinear-inf", "nn.Upsample(scale_factor=2, mode='bilinear')",
      _INF.reshape(1, 1, 2, 5)),
    c("upsample-bicubic-nan", "nn.Upsample(size=(3, 7), mode='bicubic')", _NAN.reshape(1, 1, 2, 5)),
    c("interpolate-area-inf", "F.interpolate", _INF.reshape(1, 2, 5), size=2, mode="area"),
    c("interpolate-linear-nan", "F.interpolate", _NAN.reshape(2, 1, 5), size=8, mode="linear",
      align_corners=True),
    c("threshold-nan-input", "nn.Threshold(0.1, 20.0)", _NAN),
    c("flatten-0d-end-dim", "nn.Flatten(0, 1)", X()),
    c("pad-nan", "nn.ConstantPad1d(1, float('nan'))", X(1, 2, 3)),
]
for _name in ("RNN", "LSTM", "GRU"):
    VALUE += [
        c(f"{_name}-nan", f"nn.{_name}(5, 3)", _NAN.reshape(2, 1, 5)),
        c(f"{_name}-inf", f"nn.{_name}(5, 3)", _INF.reshape(2, 1, 5)),
        c(f"{_name}Cell-inf", f"nn.{_name}Cell(5, 3)", _INF),
    ]

# -------------------------------------------------------------------------- losses
_LOGITS, _TARGET = X(3, 4), I(0, 3, 1)
_PROBS = P(3, 4)
_LOGITS_NAN = _LOGITS.copy()
_LOGITS_NAN[1, 2] = np.nan
LOSS = [
    # cross entropy and NLL
    c("ce-float-class-targets", "nn.CrossEntropyLoss()", _LOGITS,
      np.array([0.0, 3, 1], np.float32)),
    c("ce-probability-targets", "nn.CrossEntropyLoss()", _LOGITS, _PROBS),
    c("ce-probability-targets-shape", "nn.CrossEntropyLoss()", _LOGITS, P(3, 5)),
    c("ce-target-too-big", "nn.CrossEntropyLoss()", _LOGITS, I(0, 4, 1)),
    c("ce-target-negative", "nn.CrossEntropyLoss()", _LOGITS, I(0, -1, 1)),
    c("ce-target-batch", "nn.CrossEntropyLoss()", _LOGITS, I(0, 1)),
    c("ce-target-2d", "nn.CrossEntropyLoss()", _LOGITS, I(0, 1, 2, shape=(3, 1))),
    c("ce-input-0d", "nn.CrossEntropyLoss()", X(), I(0, shape=())),
    c("ce-input-1d", "nn.CrossEntropyLoss()", X(4), I(2, shape=())),
    c("ce-input-1d-target-1d", "nn.CrossEntropyLoss()", X(4), I(2),
      stricter="an unbatched input (C,) takes a 0-d class index; torch also takes (1,)"),
    c("ce-int-input", "nn.CrossEntropyLoss()", _LOGITS.astype(np.int64), _TARGET),
    c("ce-int32-target", "nn.CrossEntropyLoss()", _LOGITS, _TARGET.astype(np.int32)),
    c("ce-uint8-target", "nn.CrossEntropyLoss()", _LOGITS, _TARGET.astype(np.uint8)),
    c("ce-bool-target", "nn.CrossEntropyLoss()", _LOGITS, np.array([True, False, True])),
    c("ce-nan", "nn.CrossEntropyLoss()", _LOGITS_NAN, _TARGET),
    c("ce-inf", "nn.CrossEntropyLoss()", X(3, 4, fill=np.inf), _TARGET),
    c("ce-all-ignored", "nn.CrossEntropyLoss()", _LOGITS, I(-100, -100, -100)),
    c("ce-empty-batch", "nn.CrossEntropyLoss()", X(0, 4), I(shape=(0,))),
    c("ce-empty-batch-sum", "nn.CrossEntropyLoss(reduction='sum')", X(0, 4), I(shape=(0,))),
    c("ce-weight-size", "nn.CrossEntropyLoss(weight=L.ones(3))", _LOGITS, _TARGET),
    c("ce-weight-int", "nn.CrossEntropyLoss(weight=L.ones(4, dtype=L.int64))", _LOGITS, _TARGET),
    c("ce-label-smoothing-big", "nn.CrossEntropyLoss(label_smoothing=1.5)", _LOGITS, _TARGET),
    c("ce-label-smoothing-negative", "nn.CrossEntropyLoss(label_smoothing=-0.1)", _LOGITS, _TARGET,
      stricter="smoothing by a negative amount sharpens the target: meaningless"),
    c("ce-reduction", "nn.CrossEntropyLoss(reduction='average')", _LOGITS, _TARGET),
    c("ce-4d-target-shape", "nn.CrossEntropyLoss()", X(2, 3, 2, 2),
      I(*[0] * 8, shape=(2, 2, 2, 1))),
    c("ce-ignore-index-out-of-range", "nn.CrossEntropyLoss(ignore_index=7)", _LOGITS, I(0, 7, 1)),
    c("nll-target-too-big", "nn.NLLLoss()", _LOGITS, I(0, 9, 1)),
    c("nll-target-negative", "nn.NLLLoss()", _LOGITS, I(-2, 0, 1)),
    c("nll-float-target", "nn.NLLLoss()", _LOGITS, np.array([0.0, 3, 1], np.float32)),
    c("nll-target-batch", "nn.NLLLoss()", _LOGITS, I(0, 1, 2, 3)),
    c("nll-input-0d", "nn.NLLLoss()", X(), I(0, shape=())),
    c("nll-input-3d-target", "nn.NLLLoss()", X(2, 3, 4), I(0, 1, shape=(2, 1))),
    c("nll-weight-size", "nn.NLLLoss(weight=L.ones(5))", _LOGITS, _TARGET),
    c("nll-empty", "nn.NLLLoss()", X(0, 4), I(shape=(0,))),
    c("nll-reduction", "nn.NLLLoss(reduction=None)", _LOGITS, _TARGET),
    # regression losses
    c("mse-broadcast", "nn.MSELoss()", X(3, 1), X(3)),
    c("mse-shapes", "nn.MSELoss()", X(3, 2), X(3, 4)),
    c("mse-int", "nn.MSELoss()", I(1, 2, 3), I(1, 2, 2)),
    c("mse-int-target", "nn.MSELoss()", X(3), I(1, 2, 2)),
    c("mse-float64-target", "nn.MSELoss()", X(3), X(3, dtype=np.float64)),
    c("mse-empty", "nn.MSELoss()", X(0), X(0)),
    c("mse-empty-sum", "nn.MSELoss(reduction='sum')", X(0, 2), X(0, 2)),
    c("mse-0d", "nn.MSELoss()", X(), X()),
    c("mse-nan", "nn.MSELoss()", _NAN, X(2, 5)),
    c("mse-inf", "nn.MSELoss()", _INF, X(2, 5)),
    c("mse-reduction", "nn.MSELoss(reduction='avg')", X(3), X(3)),
    c("l1-shapes", "nn.L1Loss()", X(2, 3), X(3, 2)),
    c("l1-broadcast", "nn.L1Loss()", X(1, 3), X(2, 3)),
    c("l1-int", "nn.L1Loss()", I(1, 2), I(2, 2)),
    c("l1-empty", "nn.L1Loss()", X(0), X(0)),
    c("l1-inf", "nn.L1Loss()", _INF, _INF),
    c("huber-delta-zero", "nn.HuberLoss(delta=0.0)", X(3), X(3)),
    c("huber-delta-negative", "nn.HuberLoss(delta=-1.0)", X(3), X(3)),
    c("huber-shapes", "nn.HuberLoss()", X(3), X(4)),
    c("huber-nan", "nn.HuberLoss()", _NAN, X(2, 5)),
    c("smooth-l1-beta-negative", "nn.SmoothL1Loss(beta=-1.0)", X(3), X(3)),
    c("smooth-l1-beta-zero", "nn.SmoothL1Loss(beta=0.0)", X(3), X(3, seed=1)),
    c("smooth-l1-shapes", "nn.SmoothL1Loss()", X(2, 3), X(2, 4)),
    c("smooth-l1-int", "nn.SmoothL1Loss()", I(1, 2), I(2, 2)),
    # binary
    c("bce-above-one", "nn.BCELoss()", np.array([0.5, 1.5], np.float32), P(2)),
    c("bce-negative", "nn.BCELoss()", np.array([-0.1, 0.5], np.float32), P(2)),
    c("bce-nan-input", "nn.BCELoss()", np.array([np.nan, 0.5], np.float32), P(2)),
    c("bce-shapes", "nn.BCELoss()", P(3), P(3, 1)),
    c("bce-target-shape", "nn.BCELoss()", P(2, 3), P(3)),
    c("bce-exact-zero-one", "nn.BCELoss()", np.array([0.0, 1.0], np.float32),
      np.array([1.0, 0.0], np.float32)),
    c("bce-weight-shape", "nn.BCELoss(weight=L.ones(4))", P(2, 3), P(2, 3)),
    c("bce-int-target", "nn.BCELoss()", P(3), I(0, 1, 1)),
    c("bce-empty", "nn.BCELoss()", P(0), P(0)),
    c("bce-logits-shapes", "nn.BCEWithLogitsLoss()", X(3), X(3, 1)),
    c("bce-logits-target-shape", "nn.BCEWithLogitsLoss()", X(2, 3), P(2, 2)),
    c("bce-logits-int-target", "nn.BCEWithLogitsLoss()", X(3), I(0, 1, 1)),
    c("bce-logits-pos-weight", "nn.BCEWithLogitsLoss(pos_weight=L.ones(4))", X(2, 3), P(2, 3)),
    c("bce-logits-inf", "nn.BCEWithLogitsLoss()", X(2, 2, fill=np.inf), P(2, 2)),
    c("bce-logits-huge", "nn.BCEWithLogitsLoss()", X(2, 2, fill=-1e30), P(2, 2)),
    c("soft-margin-shapes", "nn.SoftMarginLoss()", X(3), X(4)),
    c("soft-margin-inf", "nn.SoftMarginLoss()", X(3, fill=-np.inf), X(3, fill=1.0)),
    # distributions
    c("kl-shapes", "nn.KLDivLoss(reduction='batchmean')", X(2, 3), P(2, 4)),
    c("kl-broadcast", "nn.KLDivLoss(reduction='sum')", X(2, 3), P(1, 3)),
    c("kl-zero-target", "nn.KLDivLoss(reduction='sum')", X(2, 3), X(2, 3, fill=0.0)),
    c("kl-batchmean-0d", "nn.KLDivLoss(reduction='batchmean')", X(), P()),
    c("kl-int", "nn.KLDivLoss(reduction='sum')", I(1, 2), I(1, 1)),
    c("poisson-shapes", "nn.PoissonNLLLoss()", X(3), P(4)),
    c("poisson-negative-target", "nn.PoissonNLLLoss(full=True)", X(3), X(3)),
    c("poisson-inf", "nn.PoissonNLLLoss()", X(3, fill=np.inf), P(3)),
    c("gaussian-negative-var", "nn.GaussianNLLLoss()", X(3), X(3), X(3, fill=-1.0)),
    c("gaussian-var-shape", "nn.GaussianNLLLoss()", X(3, 2), X(3, 2), X(2)),
    c("gaussian-var-one-column", "nn.GaussianNLLLoss()", X(3, 2), X(3, 2), P(3, 1)),
    c("gaussian-target-shape", "nn.GaussianNLLLoss()", X(3, 2), X(3, 4), P(3, 2)),
    c("gaussian-zero-var", "nn.GaussianNLLLoss()", X(3), X(3), X(3, fill=0.0)),
    c("gaussian-reduction", "nn.GaussianNLLLoss(reduction='all')", X(3), X(3), P(3)),
    # embeddings and ranking
    c("cosine-embedding-shapes", "nn.CosineEmbeddingLoss()", X(2, 3), X(2, 4), I(1, -1)),
    c("cosine-embedding-target-size", "nn.CosineEmbeddingLoss()", X(2, 3), X(2, 3), I(1, -1, 1)),
    c("cosine-embedding-3d", "nn.CosineEmbeddingLoss()", X(1, 2, 3), X(1, 2, 3), I(1, -1)),
    c("cosine-embedding-zero-vectors", "nn.CosineEmbeddingLoss()", X(2, 3, fill=0.0), X(2, 3),
      I(1, -1)),
    c("cosine-embedding-float-target", "nn.CosineEmbeddingLoss()", X(2, 3), X(2, 3),
      np.array([1.0, -1.0], np.float32)),
    c("margin-ranking-shapes", "nn.MarginRankingLoss()", X(3), X(4), X(3)),
    c("margin-ranking-target-shape", "nn.MarginRankingLoss()", X(3), X(3), X(2)),
    c("margin-ranking-0d", "nn.MarginRankingLoss()", X(), X(), X()),
    c("margin-ranking-int", "nn.MarginRankingLoss()", I(1, 2), I(2, 1), I(1, -1)),
    c("hinge-shapes", "nn.HingeEmbeddingLoss()", X(3), X(4)),
    c("hinge-empty", "nn.HingeEmbeddingLoss()", X(0), X(0)),
    c("hinge-broadcast", "nn.HingeEmbeddingLoss()", X(2, 1), X(3, fill=-1.0)),
    c("hinge-nan", "nn.HingeEmbeddingLoss()", _NAN, X(2, 5, fill=-1.0)),
    c("triplet-shapes", "nn.TripletMarginLoss()", X(2, 3), X(2, 3), X(2, 4)),
    c("triplet-batch", "nn.TripletMarginLoss()", X(2, 3), X(3, 3), X(2, 3)),
    c("triplet-3d", "nn.TripletMarginLoss()", X(1, 2, 3), X(1, 2, 3), X(1, 2, 3)),
    c("triplet-p-zero", "nn.TripletMarginLoss(p=0)", X(2, 3), X(2, 3), X(2, 3, seed=1)),
    c("triplet-p-negative", "nn.TripletMarginLoss(p=-1)", X(2, 3), X(2, 3), X(2, 3, seed=1)),
    c("triplet-margin-negative", "nn.TripletMarginLoss(margin=-1.0)", X(2, 3), X(2, 3),
      X(2, 3, seed=1)),
]

# ---------------------------------------------------------- absurd constructor arguments
_MEANINGLESS = "the argument has no meaning; torch stores it and computes anyway"
_X2, _X3, _X4 = X(2, 3), X(1, 2, 5), X(1, 2, 5, 5)
CTOR = [
    c("linear-negative-in", "nn.Linear(-1, 3)", _X2),
    c("linear-negative-out", "nn.Linear(3, -2)", _X2),
    c("linear-float-size", "nn.Linear(2.5, 3)", _X2),
    c("linear-str-size", "nn.Linear('3', 4)", _X2),
    c("linear-zero-out", "nn.Linear(3, 0)", _X2),
    c("conv2d-negative-out", "nn.Conv2d(2, -4, 3)", _X4),
    c("conv2d-zero-kernel", "nn.Conv2d(2, 4, 0)", _X4),
    c("conv2d-negative-kernel", "nn.Conv2d(2, 4, -1)", _X4),
    c("conv2d-zero-stride", "nn.Conv2d(2, 4, 3, stride=0)", _X4),
    c("conv2d-negative-padding", "nn.Conv2d(2, 4, 3, padding=-1)", _X4),
    c("conv2d-zero-dilation", "nn.Conv2d(2, 4, 3, dilation=0)", _X4),
    c("conv2d-groups-in", "nn.Conv2d(3, 4, 3, groups=2)", X(1, 3, 5, 5)),
    c("conv2d-groups-out", "nn.Conv2d(4, 3, 3, groups=2)", X(1, 4, 5, 5)),
    c("conv2d-zero-groups", "nn.Conv2d(4, 4, 3, groups=0)", X(1, 4, 5, 5)),
    c("conv2d-padding-word", "nn.Conv2d(2, 4, 3, padding='full')", _X4),
    c("conv2d-same-stride", "nn.Conv2d(2, 4, 3, padding='same', stride=2)", _X4),
    c("conv2d-padding-mode", "nn.Conv2d(2, 4, 3, padding_mode='mirror')", _X4),
    c("conv2d-kernel-tuple-length", "nn.Conv2d(2, 4, (3, 3, 3))", _X4),
    c("conv1d-zero-stride", "nn.Conv1d(2, 4, 3, stride=0)", _X3),
    c("conv1d-negative-kernel", "nn.Conv1d(2, 4, -3)", _X3),
    c("convt2d-zero-stride", "nn.ConvTranspose2d(2, 4, 3, stride=0)", X(1, 2, 4, 4)),
    c("convt1d-negative-padding", "nn.ConvTranspose1d(2, 4, 3, padding=-1)", X(1, 2, 4)),
    c("convt2d-negative-kernel", "nn.ConvTranspose2d(2, 4, -2)", X(1, 2, 4, 4)),
    c("convt2d-groups", "nn.ConvTranspose2d(3, 4, 3, groups=2)", X(1, 3, 4, 4)),
    c("convt2d-padding-same", "nn.ConvTranspose2d(2, 4, 3, padding='same')", X(1, 2, 4, 4)),
    c("maxpool2d-zero-kernel", "nn.MaxPool2d(0)", X(1, 1, 4, 4)),
    c("maxpool2d-zero-stride", "nn.MaxPool2d(2, stride=0)", X(1, 1, 4, 4)),
    c("maxpool2d-negative-padding", "nn.MaxPool2d(2, padding=-1)", X(1, 1, 4, 4)),
    c("maxpool1d-zero-dilation", "nn.MaxPool1d(2, dilation=0)", X(1, 1, 4)),
    c("avgpool2d-zero-kernel", "nn.AvgPool2d(0)", X(1, 1, 4, 4)),
    c("avgpool1d-zero-stride", "nn.AvgPool1d(2, stride=0)", X(1, 1, 4)),
    c("adaptive-zero-size", "nn.AdaptiveAvgPool2d(0)", X(1, 1, 4, 4)),
    c("adaptive-negative-size", "nn.AdaptiveAvgPool2d(-2)", X(1, 1, 4, 4)),
    c("batchnorm-negative", "nn.BatchNorm1d(-1)", _X2),
    c("batchnorm-negative-eps", "nn.BatchNorm1d(3, eps=-1.0)", X(4, 3)),
    c("batch-norm-negative-eps", "F.batch_norm", X(4, 3), X(3, fill=0.0), X(3, fill=1.0),
      eps=-1.0),
    c("batchnorm1d-float64-train", "nn.BatchNorm1d(3)", X(4, 3, dtype=np.float64), train=True),
    c("layernorm-negative", "nn.LayerNorm(-1)", _X2),
    c("layernorm-zero", "nn.LayerNorm(0)", X(2, 0)),
    c("groupnorm-zero-groups", "nn.GroupNorm(0, 4)", X(2, 4, 3)),
    c("groupnorm-not-divisible", "nn.GroupNorm(3, 4)", X(2, 4, 3)),
    c("embedding-negative-count", "nn.Embedding(-1, 3)", I(0)),
    c("embedding-negative-dim", "nn.Embedding(3, -1)", I(0)),
    c("embedding-padding-idx-big", "nn.Embedding(10, 3, padding_idx=10)", I(0)),
    c("embedding-padding-idx-negative", "nn.Embedding(10, 3, padding_idx=-11)", I(0)),
    c("dropout-two", "nn.Dropout(2.0)", _X2),
    c("dropout-negative", "nn.Dropout(-0.1)", _X2),
    c("dropout-nan", "nn.Dropout(float('nan'))", _X2, stricter=_MEANINGLESS),
    c("dropout2d-two", "nn.Dropout2d(2.0)", _X4),
    c("mha-zero-heads", "nn.MultiheadAttention(8, 0)", *(X(2, 1, 8),) * 3),
    c("mha-heads-not-dividing", "nn.MultiheadAttention(8, 3)", *(X(2, 1, 8),) * 3),
    c("mha-negative-embed", "nn.MultiheadAttention(-8, 2)", *(X(2, 1, 8),) * 3),
    c("mha-zero-embed", "nn.MultiheadAttention(0, 2)", *(X(2, 1, 0),) * 3),
    c("mha-dropout-two", "nn.MultiheadAttention(8, 2, dropout=2.0)", *(X(2, 1, 8),) * 3,
      stricter=_MEANINGLESS),
    c("encoder-layer-zero-heads", "nn.TransformerEncoderLayer(8, 0)", X(2, 1, 8)),
    c("encoder-layer-heads", "nn.TransformerEncoderLayer(8, 3)", X(2, 1, 8)),
    c("encoder-layer-activation", "nn.TransformerEncoderLayer(8, 2, activation='swish')",
      X(2, 1, 8)),
    c("encoder-layer-dropout", "nn.TransformerEncoderLayer(8, 2, dropout=2.0)", X(2, 1, 8),
      stricter=_MEANINGLESS),
    c("encoder-layer-negative-ff", "nn.TransformerEncoderLayer(8, 2, dim_feedforward=-1)",
      X(2, 1, 8)),
    c("decoder-layer-zero-heads", "nn.TransformerDecoderLayer(8, 0)", X(2, 1, 8), X(2, 1, 8)),
    c("transformer-heads", "nn.Transformer(8, 3, 1, 1, 16)", X(2, 1, 8), X(2, 1, 8)),
    c("rnn-zero-hidden", "nn.RNN(3, 0)", X(2, 1, 3)),
    c("rnn-negative-hidden", "nn.RNN(3, -4)", X(2, 1, 3)),
    c("rnn-zero-layers", "nn.RNN(3, 4, num_layers=0)", X(2, 1, 3)),
    c("rnn-float-layers", "nn.RNN(3, 4, num_layers=1.5)", X(2, 1, 3)),
    c("rnn-negative-input", "nn.RNN(-3, 4)", X(2, 1, 3)),
    c("rnn-zero-input", "nn.RNN(0, 4)", X(2, 1, 0)),
    c("rnn-float-input", "nn.RNN(3.0, 4)", X(2, 1, 3)),
    c("rnn-dropout-two", "nn.RNN(3, 4, num_layers=2, dropout=2.0)", X(2, 1, 3)),
    c("rnn-dropout-str", "nn.RNN(3, 4, num_layers=2, dropout='a')", X(2, 1, 3)),
    c("rnn-nonlinearity", "nn.RNN(3, 4, nonlinearity='sigmoid')", X(2, 1, 3)),
    c("lstm-float-hidden", "nn.LSTM(3, 4.0)", X(2, 1, 3)),
    c("gru-dropout-negative", "nn.GRU(3, 4, num_layers=2, dropout=-0.5)", X(2, 1, 3)),
    c("lstm-proj-size-negative", "nn.LSTM(3, 4, proj_size=-1)", X(2, 1, 3)),
    c("lstm-proj-size-too-big", "nn.LSTM(3, 4, proj_size=4)", X(2, 1, 3)),
    c("rnncell-negative-hidden", "nn.RNNCell(3, -1)", _X2),
    c("lstmcell-negative-input", "nn.LSTMCell(-3, 4)", _X2),
    c("grucell-float-hidden", "nn.GRUCell(3, 4.0)", _X2),
    c("rnncell-zero-hidden", "nn.RNNCell(3, 0)", _X2),
    c("rnncell-nonlinearity", "nn.RNNCell(3, 4, nonlinearity='gelu')", _X2),
    c("grucell-zero-input", "nn.GRUCell(0, 4)", X(2, 0)),
    c("softmax-dim-missing", "nn.Softmax(dim=2)", _X2),
    c("leaky-relu-nan-slope", "nn.LeakyReLU(float('nan'))", _X2),
    c("prelu-zero", "nn.PReLU(0)", _X2),
    c("upsample-zero-scale", "nn.Upsample(scale_factor=0)", X(1, 1, 4)),
    c("upsample-mode", "nn.Upsample(scale_factor=2, mode='cubic')", X(1, 1, 4)),
    c("upsample-both", "nn.Upsample(size=4, scale_factor=2)", X(1, 1, 4)),
    c("hardtanh-range", "nn.Hardtanh(1.0, -1.0)", _X2),
    c("threshold-nan", "nn.Threshold(float('nan'), 0.0)", _X2),
    c("l1-reduction", "nn.L1Loss(reduction='bogus')", X(3), X(3)),
    c("bce-reduction", "nn.BCELoss(reduction='none ')", P(3), P(3)),
    c("ce-smoothing-str", "nn.CrossEntropyLoss(label_smoothing='0.1')", _LOGITS, _TARGET),
]
# fmt: on


# --------------------------------------------------------------------------- files
def _weights_file() -> bytes:
    """A valid weights file of `nn.Linear(3, 2)` (written by save_weights, with checksum)."""
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "w.safetensors"
        gu.manual_seed(0)
        save_weights(nn.Linear(3, 2), path)
        return path.read_bytes()


_GOOD = _weights_file()
_N = int.from_bytes(_GOOD[:8], "little")
_HEAD = _GOOD[8 : 8 + _N].decode()


def _with_header(text: str, data: bytes | None = None) -> bytes:
    """A file with header `text` (padded as safetensors pads) and the good file's data."""
    raw = text.encode()
    raw += b" " * (-len(raw) % 8)
    return len(raw).to_bytes(8, "little") + raw + (_GOOD[8 + _N :] if data is None else data)


def _edit(old: str, new: str) -> bytes:
    assert old in _HEAD, old
    return _with_header(_HEAD.replace(old, new, 1))


def _flip(blob: bytes, at: int) -> bytes:
    return blob[:at] + bytes([blob[at] ^ 0xFF]) + blob[at + 1 :]


_ENTRY = re.search(r'"weight":\{[^}]*\}', _HEAD).group(0)  # type: ignore[union-attr]
SAFETENSORS = {
    "empty": b"",
    "four-bytes": b"\x00\x01\x02\x03",
    "length-huge": (2**63).to_bytes(8, "little") + b"{}",
    "length-past-end": (len(_GOOD)).to_bytes(8, "little") + _GOOD[8:],
    "header-not-json": _with_header("{not json"),
    "header-a-list": _with_header("[1, 2, 3]"),
    "header-not-utf8": _with_header("{}")[:8] + b"\xff\xfe\xfd\xfc\xfb\xfa\xf9\xf8",
    "data-cut-one-byte": _GOOD[:-1],
    "data-cut-half": _GOOD[: 8 + _N + (len(_GOOD) - 8 - _N) // 2],
    "header-cut": _GOOD[: 8 + _N // 2],
    "offsets-a-string": _edit('"data_offsets":[', '"data_offsets":"x","o":['),
    "offsets-reversed": _with_header(
        re.sub(r'"data_offsets":\[(\d+),(\d+)\]', r'"data_offsets":[\2,\1]', _HEAD, count=1)
    ),
    "offsets-huge": _with_header(
        re.sub(
            r'"data_offsets":\[(\d+),(\d+)\]', r'"data_offsets":[\1,99999999999]', _HEAD, count=1
        )
    ),
    "offsets-missing": _with_header(re.sub(r',?"data_offsets":\[\d+,\d+\]', "", _HEAD, count=1)),
    "dtype-unknown": _edit('"dtype":"F32"', '"dtype":"Q9"'),
    "dtype-complex": _edit('"dtype":"F32"', '"dtype":"C64"'),
    "shape-wrong": _with_header(
        _HEAD.replace(_ENTRY, _ENTRY.replace('"shape":[2,3]', '"shape":[3,3]'))
    ),
    "shape-negative": _with_header(
        _HEAD.replace(_ENTRY, _ENTRY.replace('"shape":[2,3]', '"shape":[-2,-3]'))
    ),
    "shape-huge": _with_header(
        _HEAD.replace(_ENTRY, _ENTRY.replace('"shape":[2,3]', '"shape":[4294967296,4294967296]'))
    ),
    "entry-not-object": _with_header(_HEAD.replace(_ENTRY, '"weight":5')),
    "metadata-not-strings": _edit('"__metadata__":{', '"__metadata__":{"n":1,'),
    "data-byte-flipped": _flip(_GOOD, len(_GOOD) - 3),
    "checksum-edited": _with_header(
        re.sub(
            r'("sha256":")([0-9a-f])',
            lambda m: m.group(1) + ("0" if m.group(2) != "0" else "1"),
            _HEAD,
            count=1,
        )
    ),
    "torch-zip": b"PK\x03\x04" + b"\x00" * 60,
    "pickle": b"\x80\x04\x95" + b"\x00" * 40,
}


@pytest.fixture
def weights_path(tmp_path: Path) -> Callable[[bytes], Path]:
    def write(blob: bytes) -> Path:
        path = tmp_path / "model.safetensors"
        path.write_bytes(blob)
        return path

    return write


@pytest.mark.parametrize("name", list(SAFETENSORS))
@pytest.mark.parametrize("reader", ["load", "load_weights", "read_metadata"])
def test_a_damaged_weights_file_is_a_clear_error(name, reader, weights_path):
    path = weights_path(SAFETENSORS[name])
    gu.manual_seed(1)
    model = nn.Linear(3, 2)
    before = {k: v.copy() for k, v in model.state_dict().items()}
    calls = {
        "load": lambda: gu.load(path),
        "load_weights": lambda: load_weights(model, path),
        "read_metadata": lambda: read_metadata(path),
    }
    with deadline(), pytest.raises((ValueError, RuntimeError, OSError)) as info:
        calls[reader]()
    assert not isinstance(info.value, UNHELPFUL), f"{type(info.value).__name__}: {info.value}"
    assert str(path) in str(info.value), f"the error does not name the file: {info.value}"
    assert not LEAKED.search(str(info.value)), str(info.value)
    after = model.state_dict()
    assert all(np.array_equal(after[k], v) for k, v in before.items()), "the model changed"
    assert path.read_bytes() == SAFETENSORS[name], "the file changed"


def test_the_good_weights_file_loads(weights_path):
    model = nn.Linear(3, 2)
    load_weights(model, weights_path(_GOOD))
    gu.manual_seed(0)
    np.testing.assert_array_equal(model.weight._data, nn.Linear(3, 2).weight._data)


def _idx(shape: tuple[int, ...], code: int = 0x08, data: bytes | None = None) -> bytes:
    head = bytes([0, 0, code, len(shape)]) + b"".join(d.to_bytes(4, "big") for d in shape)
    size = int(np.prod(shape)) if data is None else 0
    return head + (bytes(size) if data is None else data)


_IMAGES = _idx((3, 2, 2))
IDX = {
    "empty": b"",
    "magic-nonzero": b"\x01\x00" + _IMAGES[2:],
    "type-code": _IMAGES[:2] + b"\x07" + _IMAGES[3:],
    "no-dimensions": b"\x00\x00\x08\x00" + bytes(4),
    "header-cut": _IMAGES[:9],
    "data-cut": _IMAGES[:-1],
    "data-trailing": _IMAGES + b"\x00",
    "dims-huge": _idx((2**32 - 1,) * 4, data=bytes(64)),
    "dims-huge-gzip": gzip.compress(_idx((2**32 - 1,) * 4, data=bytes(64))),
    "dims-large-gzip": gzip.compress(_idx((60000, 28, 28), data=bytes(100))),
    "gzip-bomb": gzip.compress(_idx((3, 2, 2), data=bytes(20_000_000)), compresslevel=9),
    "gzip-cut": gzip.compress(_IMAGES)[:-6],
    "gzip-crc": _flip(gzip.compress(_IMAGES), -6),
    "gzip-header-only": b"\x1f\x8b",
}


@pytest.mark.parametrize("name", list(IDX))
@pytest.mark.parametrize("gzipped_name", [False, True])
def test_a_damaged_idx_file_is_a_clear_error(name, gzipped_name, tmp_path):
    path = tmp_path / ("images.idx.gz" if gzipped_name else "images-idx3-ubyte")
    path.write_bytes(IDX[name])
    with deadline(), pytest.raises(ValueError) as info:
        read_idx(path)
    assert str(path) in str(info.value) and "\n" not in str(info.value), str(info.value)
    assert not LEAKED.search(str(info.value)), str(info.value)
    assert path.read_bytes() == IDX[name], "the file changed"


@pytest.mark.parametrize(
    ("labels", "match"),
    [
        (_idx((2,), data=bytes(2)), "3 images but .* 2 labels"),
        (_idx((3,), data=b"\x00\x01\x0a"), "label 10 at index 2 is out of range"),
        (_idx((3,), code=0x0D, data=np.zeros(3, ">f4").tobytes()), "1-D integer"),
        (_idx((3, 1), data=bytes(3)), "1-D integer"),
    ],
)
def test_idx_labels_that_do_not_fit_the_images(labels, match, tmp_path):
    (tmp_path / "x").write_bytes(_IMAGES)
    (tmp_path / "y").write_bytes(labels)
    with pytest.raises(ValueError, match=match):
        load_idx_dataset(tmp_path / "x", tmp_path / "y")


@pytest.mark.parametrize("where", ["missing", "folder"])
def test_an_idx_path_that_is_not_a_file(where, tmp_path):
    path = tmp_path / "images.idx"
    if where == "folder":
        path.mkdir()
    with pytest.raises(OSError) as info:
        read_idx(path)
    assert str(path) in str(info.value)


# ------------------------------------------------------------------ the torch cases
def _ids(text: str) -> list[str]:
    return text.split()


# Cases that fail today, each for a reason outside this suite's files (strict: a fix makes
# the case pass, and the mark must then go).
# fmt: off
KNOWN: dict[str, str] = {
}
# fmt: on
CATEGORIES = {"shape": SHAPE, "dtype": DTYPE, "value": VALUE, "loss": LOSS, "ctor": CTOR}


def _params() -> Iterator[Any]:
    for category, cases in CATEGORIES.items():
        for case in cases:
            marks = (
                [pytest.mark.xfail(strict=True, reason=KNOWN[case.id])] if case.id in KNOWN else []
            )
            yield pytest.param(case, id=f"{category}-{case.id}", marks=marks)


@pytest.mark.parametrize("case", list(_params()))
def test_bad_input_gets_torch_outcome(case: Case) -> None:
    check(case)


# ---------------------------------------------------------------- random bad input
@given(data=st.data())
def test_random_damage_to_a_weights_file_never_loads_garbage(data, tmp_path_factory):
    """Flip, cut or overwrite bytes anywhere: a clear error naming the file, or (when only
    insignificant padding changed) exactly the saved weights."""
    blob = bytearray(_GOOD)
    for _ in range(data.draw(st.integers(1, 3))):
        at = data.draw(st.integers(0, len(blob) - 1))
        blob[at] = data.draw(st.integers(0, 255))
    cut = data.draw(st.integers(1, len(blob)))
    path = tmp_path_factory.mktemp("w") / "model.safetensors"
    path.write_bytes(bytes(blob[:cut]))
    model = nn.Linear(3, 2)
    before = {k: v.copy() for k, v in model.state_dict().items()}
    try:
        with deadline():
            load_weights(model, path)
    except (ValueError, RuntimeError, OSError) as e:
        assert not isinstance(e, UNHELPFUL) and str(path) in str(e), f"{type(e).__name__}: {e}"
        after = model.state_dict()
        assert all(np.array_equal(after[k], v) for k, v in before.items()), "the model changed"
        return
    gu.manual_seed(0)
    reference = nn.Linear(3, 2)
    for key, value in reference.state_dict().items():
        np.testing.assert_array_equal(model.state_dict()[key], value)


@given(
    dims=st.lists(st.integers(0, 2**32 - 1) | st.integers(0, 6), min_size=1, max_size=4),
    code=st.sampled_from([0x08, 0x09, 0x0B, 0x0C, 0x0D, 0x0E, 0x00, 0xFF]),
    body=st.integers(0, 300),
    gzipped=st.booleans(),
)
def test_random_idx_headers_give_the_array_or_one_line(dims, code, body, gzipped,
                                                       tmp_path_factory):  # fmt: skip
    raw = bytes([0, 0, code, len(dims)]) + b"".join(d.to_bytes(4, "big") for d in dims)
    raw += bytes(body)
    path = tmp_path_factory.mktemp("idx") / "file.idx"
    path.write_bytes(gzip.compress(raw) if gzipped else raw)
    try:
        with deadline():
            array = read_idx(path)
    except ValueError as e:
        assert str(path) in str(e) and "\n" not in str(e) and not LEAKED.search(str(e))
        return
    assert array.shape == tuple(dims) and array.nbytes == body and not array.any()


_SHAPES = st.lists(st.integers(0, 4), min_size=0, max_size=4).map(tuple)


@given(shape=_SHAPES, features=st.integers(0, 4))
def test_random_shapes_into_linear_match_torch(shape, features):
    check(c("random-linear", f"nn.Linear({features}, 3)", X(*shape)))


@given(shape=_SHAPES, kernel=st.integers(1, 4), padding=st.integers(0, 2))
def test_random_shapes_into_conv1d_match_torch(shape, kernel, padding):
    if padding > kernel // 2:  # a ValueError/RuntimeError split already listed in KNOWN
        padding = 0
    # torch refuses a zero-length input even when padding makes the output non-empty
    assume(not (padding and len(shape) in (2, 3) and shape[-1] == 0))
    check(c("random-conv1d", f"nn.Conv1d(2, 3, {kernel}, padding={padding})", X(*shape)))


@given(shape=_SHAPES, batch_first=st.booleans(), kind=st.sampled_from(["RNN", "LSTM", "GRU"]))
def test_random_shapes_into_recurrent_layers_match_torch(shape, batch_first, kind):
    check(c("random-rnn", f"nn.{kind}(2, 3, batch_first={batch_first})", X(*shape)))


@given(shape=_SHAPES, kind=st.sampled_from(["RNNCell", "LSTMCell", "GRUCell"]))
def test_random_shapes_into_recurrent_cells_match_torch(shape, kind):
    check(c("random-cell", f"nn.{kind}(2, 3)", X(*shape)))

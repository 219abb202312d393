"""Single-step recurrent cells with torch's signatures and parameter names: `RNNCell`,
`LSTMCell`, `GRUCell`. Each step is one fused op from `groundup.ops.recurrent`.

    input (N, input_size) or (input_size,); hx (N, H) (LSTM: a tuple (h, c)), zeros if None
    weight_ih (G*H, input_size), weight_hh (G*H, H), bias_ih, bias_hh (G*H,)
    G = 1 (RNN), 4 (LSTM: i, f, g, o), 3 (GRU: r, z, n); all ~ U(-1/sqrt(H), 1/sqrt(H))
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from groundup.errors import InputDtypeError
from groundup.nn import init
from groundup.nn.module import Module, Parameter, factory_dtype
from groundup.ops.recurrent import GRUCell as _GRUFn
from groundup.ops.recurrent import LSTMCell as _LSTMFn
from groundup.ops.recurrent import RNNCell as _RNNFn
from groundup.tensor import Tensor


def dtype_error(name: str, x: Tensor, weight: Tensor) -> InputDtypeError:
    return InputDtypeError(
        f"{name}: input dtype {x.dtype} differs from the weights' {weight.dtype}; convert the "
        f"input (x.to({weight.dtype})) or the module (module.to({x.dtype}))"
    )


def check_size(owner: str, name: str, value: Any, smallest: int) -> None:
    """torch's checks of a size argument: an int (else TypeError), at least `smallest`
    (1 for RNN, LSTM and GRU: ValueError; 0 for the cells, whose weights a negative size
    cannot shape: RuntimeError)."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{owner}: {name} should be of type int, got: {type(value).__name__}")
    if value < smallest:
        error = ValueError if smallest > 0 else RuntimeError
        what = "greater than zero" if smallest > 0 else "zero or more"
        raise error(f"{owner}: {name} must be {what}, got {value}")


def check_state_dtype(owner: str, what: str, h: Tensor, dtype: Any) -> None:
    """A given hidden state must have the input's dtype (torch: RuntimeError)."""
    if h.dtype != dtype:
        raise RuntimeError(
            f"{owner}: {what} has dtype {h.dtype} but the input has dtype {dtype}; "
            f"convert it ({what}.to({dtype}))"
        )


class RNNCellBase(Module):
    """One step of a recurrent layer: `weight_ih` (G*H, in), `weight_hh` (G*H, H)."""

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        bias: bool,
        gates: int,
        device: Any = None,
        dtype: Any = None,
    ):
        super().__init__()
        owner = type(self).__name__
        check_size(owner, "input_size", input_size, 0)
        check_size(owner, "hidden_size", hidden_size, 0)
        dtype = factory_dtype(device, dtype)
        self.input_size, self.hidden_size, self.bias = input_size, hidden_size, bias
        rows = gates * hidden_size
        self.weight_ih = Parameter(np.empty((rows, input_size), dtype=dtype))
        self.weight_hh = Parameter(np.empty((rows, hidden_size), dtype=dtype))
        if bias:
            self.bias_ih: Parameter | None = Parameter(np.empty(rows, dtype=dtype))
            self.bias_hh: Parameter | None = Parameter(np.empty(rows, dtype=dtype))
        else:
            self.register_parameter("bias_ih", None)
            self.register_parameter("bias_hh", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        bound = 1.0 / math.sqrt(self.hidden_size) if self.hidden_size > 0 else 0.0
        for p in self.parameters():
            init.uniform_(p, -bound, bound)

    def _prepare(self, x: Tensor, hx: Any, states: int) -> tuple[Tensor, list[Any], bool]:
        """Check shapes; make the input batched; default states are zeros."""
        name = f"{type(self).__name__}({self.input_size}, {self.hidden_size})"
        if not isinstance(x, Tensor):
            raise TypeError(f"{name}: input must be a Tensor, got {type(x).__name__}")
        expected_shape = f"(N, {self.input_size}) or ({self.input_size},)"
        if x.ndim not in (1, 2):  # torch: ValueError for the rank, RuntimeError for sizes
            raise ValueError(
                f"{name}: expected a 1-D or 2-D input of shape {expected_shape}, got a "
                f"{x.ndim}-D input of shape {x.shape}"
            )
        if x.shape[-1] != self.input_size:
            raise RuntimeError(f"{name}: input has shape {x.shape}; expected {expected_shape}")
        if x.dtype != self.weight_ih.dtype:
            raise dtype_error(name, x, self.weight_ih)
        batched = x.ndim == 2
        expected = (x.shape[0], self.hidden_size) if batched else (self.hidden_size,)
        if hx is None:
            hs: list[Any] = [np.zeros(expected, dtype=x.dtype)] * states
        else:
            if states == 2 and not isinstance(hx, (tuple, list)):
                raise TypeError(f"{name}: hx must be a tuple (h, c) of tensors")
            hs = list(hx) if states == 2 else [hx]
            if len(hs) != states:
                raise RuntimeError(f"{name}: hx must be a tuple (h, c) of two tensors")
            for i, h in enumerate(hs):
                if not isinstance(h, Tensor) or h.shape != expected:
                    got = h.shape if isinstance(h, Tensor) else type(h).__name__
                    raise RuntimeError(
                        f"{name}: {('h', 'c')[i]}x has shape {got}; expected {expected} "
                        f"= (N, hidden_size) for input {x.shape}"
                    )
                check_state_dtype(name, ("h", "c")[i] + "x", h, x.dtype)
        if not batched:
            x = x.unsqueeze(0)
            hs = [h[None] if isinstance(h, np.ndarray) else h.unsqueeze(0) for h in hs]
        return x, hs, batched

    def _weights(self) -> list[Any]:
        return [self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh]

    def extra_repr(self) -> str:
        s = f"{self.input_size}, {self.hidden_size}"
        if not self.bias:
            s += ", bias=False"
        nonlinearity = getattr(self, "nonlinearity", "tanh")
        if nonlinearity != "tanh":
            s += f", nonlinearity={nonlinearity}"
        return s


class RNNCell(RNNCellBase):
    """h' = tanh(x W_ih^T + b_ih + h W_hh^T + b_hh) (or relu); input (N, in) -> (N, H)."""

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        bias: bool = True,
        nonlinearity: str = "tanh",
        device: Any = None,
        dtype: Any = None,
    ):
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"Unknown nonlinearity: {nonlinearity}")
        super().__init__(input_size, hidden_size, bias, 1, device, dtype)
        self.nonlinearity = nonlinearity

    def forward(self, input: Tensor, hx: Tensor | None = None) -> Tensor:  # noqa: A002
        x, (h,), batched = self._prepare(input, hx, 1)
        out = _RNNFn.apply(x, h, *self._weights(), nonlinearity=self.nonlinearity)
        return out if batched else out.squeeze(0)


class LSTMCell(RNNCellBase):
    """One LSTM step; `hx = (h, c)`, returns `(h', c')`."""

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        bias: bool = True,
        device: Any = None,
        dtype: Any = None,
    ):
        super().__init__(input_size, hidden_size, bias, 4, device, dtype)

    def forward(
        self,
        input: Tensor,  # noqa: A002
        hx: tuple[Tensor, Tensor] | None = None,
    ) -> tuple[Tensor, Tensor]:
        x, (h, c), batched = self._prepare(input, hx, 2)
        out = _LSTMFn.apply(x, h, c, *self._weights())  # (2, N, H) = [h', c']
        if not batched:
            out = out.squeeze(1)
        return out[0], out[1]


class GRUCell(RNNCellBase):
    """One GRU step; input (N, in) -> (N, H)."""

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        bias: bool = True,
        device: Any = None,
        dtype: Any = None,
    ):
        super().__init__(input_size, hidden_size, bias, 3, device, dtype)

    def forward(self, input: Tensor, hx: Tensor | None = None) -> Tensor:  # noqa: A002
        x, (h,), batched = self._prepare(input, hx, 1)
        out = _GRUFn.apply(x, h, *self._weights())
        return out if batched else out.squeeze(0)

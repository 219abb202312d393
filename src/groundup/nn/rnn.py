"""Recurrent layers with torch's signatures, parameter names and output shapes:
`RNN`, `LSTM`, `GRU` (stacked, bidirectional, batch_first, dropout between layers); the
single-step `RNNCell`, `LSTMCell`, `GRUCell` live in `groundup.nn.rnn_cells`.

Shapes (N batch, L sequence length, D = 2 if bidirectional else 1, H hidden size):

    input   (L, N, input_size), or (N, L, input_size) with batch_first=True, or (L, input_size)
    output  (L, N, D * H) — the last layer's hidden state at every step (batch_first: (N, L, D*H))
    h_n     (num_layers * D, N, H) — every layer's final state, *never* batch-first;
            row 2k is layer k's forward direction, row 2k + 1 its reverse direction

Each layer and direction is one fused op from `groundup.ops.recurrent`. Parameters are
`weight_ih_l{k}` (G*H, in), `weight_hh_l{k}` (G*H, H), `bias_ih_l{k}`, `bias_hh_l{k}`
with suffix `_reverse` for the reverse direction (G = 1, 4, 3 gates), all drawn from
U(-1/sqrt(H), 1/sqrt(H)) as torch does, so torch's state_dict loads as is.
"""

from __future__ import annotations

import math
import warnings
from typing import TYPE_CHECKING, Any

import numpy as np

from groundup.nn import init
from groundup.nn.module import Module, Parameter, factory_dtype
from groundup.nn.rnn_cells import (
    GRUCell,
    InputDtypeError,
    LSTMCell,
    RNNCell,
    RNNCellBase,
    check_size,
    check_state_dtype,
    dtype_error,
)
from groundup.nn.utils.rnn import PackedSequence, packed_forward
from groundup.ops.dropout import dropout as _dropout
from groundup.ops.recurrent import GRUCell as _GRUFn
from groundup.ops.recurrent import LSTMCell as _LSTMFn
from groundup.ops.recurrent import RNNCell as _RNNFn
from groundup.ops.shape import cat, stack
from groundup.tensor import Tensor

_GATES = {"RNN_TANH": 1, "RNN_RELU": 1, "LSTM": 4, "GRU": 3}

State = Tensor | tuple[Tensor, Tensor]


def _run(mode: str, x: Any, h0: Any, c0: Any, weights: list[Any], reverse: bool) -> Tensor:
    """One layer, one direction, over the whole sequence x (T, N, in)."""
    if mode == "LSTM":
        return _LSTMFn.apply(x, h0, c0, *weights, reverse=reverse)
    if mode == "GRU":
        return _GRUFn.apply(x, h0, *weights, reverse=reverse)
    act = "tanh" if mode == "RNN_TANH" else "relu"
    return _RNNFn.apply(x, h0, *weights, nonlinearity=act, reverse=reverse)


class RNNBase(Module):
    """Shared machinery of RNN, LSTM and GRU (torch's `nn.RNNBase`)."""

    def __init__(
        self,
        mode: str,
        input_size: int,
        hidden_size: int,
        num_layers: int = 1,
        bias: bool = True,
        batch_first: bool = False,
        dropout: float = 0.0,
        bidirectional: bool = False,
        device: Any = None,
        dtype: Any = None,
    ):
        super().__init__()
        if (
            isinstance(dropout, bool)
            or not isinstance(dropout, (int, float))
            or not 0 <= dropout <= 1
        ):
            raise ValueError(
                "dropout should be a number in range [0, 1] representing the probability of an "
                "element being zeroed"
            )
        if dropout > 0 and num_layers == 1:
            warnings.warn(
                "dropout option adds dropout after all but last recurrent layer, so non-zero "
                f"dropout expects num_layers greater than 1, but got dropout={dropout} and "
                f"num_layers={num_layers}",
                stacklevel=3,
            )
        owner = type(self).__name__
        for name, size in (("input_size", input_size), ("hidden_size", hidden_size)):
            check_size(owner, name, size, 1)
        if isinstance(num_layers, bool) or not isinstance(num_layers, int):
            raise TypeError(f"{owner}: num_layers should be of type int, got: {num_layers!r}")
        if num_layers <= 0:
            raise ValueError(f"{owner}: num_layers must be greater than zero, got {num_layers}")
        self.mode, self.input_size, self.hidden_size = mode, input_size, hidden_size
        self.num_layers, self.bias, self.batch_first = num_layers, bias, batch_first
        self.dropout, self.bidirectional = float(dropout), bidirectional
        dtype = factory_dtype(device, dtype)
        directions = 2 if bidirectional else 1
        rows = _GATES[mode] * hidden_size
        self._flat_weights_names: list[str] = []
        for layer in range(num_layers):
            layer_in = input_size if layer == 0 else hidden_size * directions
            for direction in range(directions):
                suffix = f"_l{layer}" + ("_reverse" if direction == 1 else "")
                shapes: list[tuple[str, tuple[int, ...]]] = [
                    ("weight_ih", (rows, layer_in)),
                    ("weight_hh", (rows, hidden_size)),
                ]
                if bias:
                    shapes += [("bias_ih", (rows,)), ("bias_hh", (rows,))]
                for name, shape in shapes:
                    setattr(self, name + suffix, Parameter(np.empty(shape, dtype=dtype)))
                    self._flat_weights_names.append(name + suffix)
        self.reset_parameters()

    if TYPE_CHECKING:  # weight_ih_l0, bias_hh_l1_reverse, ... are set by name in __init__

        def __getattr__(self, name: str) -> Parameter: ...

    def reset_parameters(self) -> None:
        """Every weight and bias ~ U(-1/sqrt(hidden_size), 1/sqrt(hidden_size))."""
        bound = 1.0 / math.sqrt(self.hidden_size)
        for p in self.parameters():
            init.uniform_(p, -bound, bound)

    def flatten_parameters(self) -> None:
        """A no-op kept for torch compatibility (there is no cuDNN weight buffer here)."""

    @property
    def all_weights(self) -> list[list[Parameter]]:
        """Parameters grouped per layer and direction, as torch lists them."""
        per = 4 if self.bias else 2
        flat = [getattr(self, n) for n in self._flat_weights_names]
        return [flat[i : i + per] for i in range(0, len(flat), per)]

    # ----------------------------------------------------------------- checks
    def _name(self) -> str:
        return f"{type(self).__name__}({self.input_size}, {self.hidden_size})"

    def _check_input(self, x: Tensor) -> None:
        if not isinstance(x, Tensor):
            raise TypeError(f"{self._name()}: input must be a Tensor, got {type(x).__name__}")
        layout = "(N, L, input_size)" if self.batch_first else "(L, N, input_size)"
        if x.ndim not in (2, 3):
            raise ValueError(
                f"{self._name()}: expected input of shape {layout} or (L, input_size), "
                f"got a {x.ndim}-D input of shape {x.shape}"
            )
        if x.dtype != self.weight_ih_l0.dtype:
            raise dtype_error(self._name(), x, self.weight_ih_l0)
        if x.shape[-1] != self.input_size:
            raise RuntimeError(
                f"{self._name()}: input of shape {x.shape} has {x.shape[-1]} features in its "
                f"last dimension; expected input_size {self.input_size}, shape {layout}"
            )
        if x.shape[1 if self.batch_first and x.ndim == 3 else 0] == 0:
            raise RuntimeError(
                f"{self._name()}: expected sequence length to be larger than 0, got input of "
                f"shape {x.shape} {layout if x.ndim == 3 else '(L, input_size)'}"
            )

    def _check_state(self, h: Any, what: str, expected: tuple[int, ...]) -> None:
        if not isinstance(h, Tensor) or h.shape != expected:
            shape = h.shape if isinstance(h, Tensor) else type(h).__name__
            raise RuntimeError(
                f"{self._name()}: {what} has shape {shape}; expected {expected} = "
                f"(num_layers * num_directions, N, hidden_size)"
            )

    # ---------------------------------------------------------------- forward
    def _forward(self, x: Tensor, hx: Any) -> tuple[Any, Tensor, Tensor | None]:
        if isinstance(x, PackedSequence):  # variable lengths: see groundup.nn.utils.rnn
            return packed_forward(self, x, hx, _run)
        self._check_input(x)
        batched = x.ndim == 3
        if not batched:
            x = x.unsqueeze(1)  # (L, in) -> (L, 1, in)
        elif self.batch_first:
            x = x.transpose(0, 1)  # (N, L, in) -> (L, N, in)
        steps, n = x.shape[0], x.shape[1]
        directions = 2 if self.bidirectional else 1
        state_shape = (self.num_layers * directions, n, self.hidden_size)
        h0, c0 = self._initial_states(hx, state_shape, batched, x.dtype)
        finals_h, finals_c = [], []
        layer_input = x
        weights = [w if self.bias else [*w, None, None] for w in self.all_weights]
        for layer in range(self.num_layers):
            outputs = []
            for direction in range(directions):
                k = layer * directions + direction
                c_k = None if c0 is None else c0[k]
                out = _run(self.mode, layer_input, h0[k], c_k, weights[k], direction == 1)
                hs = out[:steps] if self.mode == "LSTM" else out  # (L, N, H)
                if self.mode == "LSTM":
                    finals_c.append(out[steps])
                # the final state of the reverse direction is the one at time 0
                finals_h.append(hs[steps - 1] if direction == 0 else hs[0])
                outputs.append(hs)
            layer_input = outputs[0] if directions == 1 else cat(outputs, dim=2)  # (L, N, D*H)
            if self.dropout and self.training and layer < self.num_layers - 1:
                layer_input = _dropout(layer_input, self.dropout, True)
        output, h_n = layer_input, stack(finals_h)  # (L, N, D*H), (num_layers*D, N, H)
        c_n = stack(finals_c) if finals_c else None
        if not batched:
            output, h_n = output.squeeze(1), h_n.squeeze(1)
            c_n = None if c_n is None else c_n.squeeze(1)
        elif self.batch_first:
            output = output.transpose(0, 1)  # (L, N, D*H) -> (N, L, D*H)
        return output, h_n, c_n

    def _initial_states(
        self, hx: Any, shape: tuple[int, ...], batched: bool, dtype: Any
    ) -> tuple[Any, Any]:
        """(h0, c0) as (num_layers * D, N, H) tensors, zeros when not given."""
        if hx is None:
            zeros = np.zeros(shape, dtype=dtype)
            return zeros, (zeros if self.mode == "LSTM" else None)
        if self.mode == "LSTM":
            if not isinstance(hx, tuple):
                raise TypeError(f"{self._name()}: hx must be a tuple (h_0, c_0) of tensors")
            if len(hx) != 2:  # torch: "lstm expects two hidden states"
                raise RuntimeError(
                    f"{self._name()}: hx must be a tuple (h_0, c_0) of two tensors, got {len(hx)}"
                )
            states = list(hx)
        else:
            states = [hx]
        expected = shape if batched else (shape[0], shape[2])
        for i, h in enumerate(states):
            what = "c_0" if i == 1 else "h_0"
            self._check_state(h, what, expected)
            check_state_dtype(self._name(), what, h, dtype)
        if not batched:
            states = [h.unsqueeze(1) for h in states]  # (D*layers, H) -> (D*layers, 1, H)
        return states[0], (states[1] if self.mode == "LSTM" else None)

    def extra_repr(self) -> str:
        s = f"{self.input_size}, {self.hidden_size}"
        if self.num_layers != 1:
            s += f", num_layers={self.num_layers}"
        if self.bias is not True:
            s += f", bias={self.bias}"
        if self.batch_first is not False:
            s += f", batch_first={self.batch_first}"
        if self.dropout != 0:
            s += f", dropout={self.dropout}"
        if self.bidirectional is not False:
            s += f", bidirectional={self.bidirectional}"
        return s


class RNN(RNNBase):
    """Elman RNN, h_t = tanh(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh) (or relu)."""

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        num_layers: int = 1,
        nonlinearity: str = "tanh",
        bias: bool = True,
        batch_first: bool = False,
        dropout: float = 0.0,
        bidirectional: bool = False,
        device: Any = None,
        dtype: Any = None,
    ):
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(
                f"Unknown nonlinearity '{nonlinearity}'. Select from 'tanh' or 'relu'."
            )
        mode = "RNN_TANH" if nonlinearity == "tanh" else "RNN_RELU"
        super().__init__(
            mode, input_size, hidden_size, num_layers, bias, batch_first, dropout,
            bidirectional, device, dtype,
        )  # fmt: skip
        self.nonlinearity = nonlinearity

    def forward(self, input: Tensor, hx: Tensor | None = None) -> tuple[Tensor, Tensor]:  # noqa: A002
        output, h_n, _ = self._forward(input, hx)
        return output, h_n


class LSTM(RNNBase):
    """LSTM: gates i, f, g, o from one product; c_t = f c_{t-1} + i g, h_t = o tanh(c_t).
    Returns `output, (h_n, c_n)`."""

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        num_layers: int = 1,
        bias: bool = True,
        batch_first: bool = False,
        dropout: float = 0.0,
        bidirectional: bool = False,
        proj_size: int = 0,
        device: Any = None,
        dtype: Any = None,
    ):
        if proj_size:  # torch's checks first: a bad value is a ValueError there
            check_size("LSTM", "hidden_size", hidden_size, 1)
            if isinstance(proj_size, bool) or not isinstance(proj_size, int) or proj_size < 0:
                raise ValueError(
                    "LSTM: proj_size should be a positive integer or zero to disable "
                    f"projections, got {proj_size!r}"
                )
            if proj_size >= hidden_size:
                raise ValueError(
                    f"LSTM: proj_size has to be smaller than hidden_size, got {proj_size} "
                    f"and {hidden_size}"
                )
            raise NotImplementedError("LSTM: proj_size is not supported")
        super().__init__(
            "LSTM", input_size, hidden_size, num_layers, bias, batch_first, dropout,
            bidirectional, device, dtype,
        )  # fmt: skip

    def forward(
        self,
        input: Tensor,  # noqa: A002
        hx: tuple[Tensor, Tensor] | None = None,
    ) -> tuple[Tensor, tuple[Tensor, Tensor]]:
        output, h_n, c_n = self._forward(input, hx)
        assert c_n is not None
        return output, (h_n, c_n)


class GRU(RNNBase):
    """GRU in torch's form, n_t = tanh(W_in x_t + b_in + r_t * (W_hn h_{t-1} + b_hn))."""

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        num_layers: int = 1,
        bias: bool = True,
        batch_first: bool = False,
        dropout: float = 0.0,
        bidirectional: bool = False,
        device: Any = None,
        dtype: Any = None,
    ):
        super().__init__(
            "GRU", input_size, hidden_size, num_layers, bias, batch_first, dropout,
            bidirectional, device, dtype,
        )  # fmt: skip

    def forward(self, input: Tensor, hx: Tensor | None = None) -> tuple[Tensor, Tensor]:  # noqa: A002
        output, h_n, _ = self._forward(input, hx)
        return output, h_n


__all__ = [
    "GRU",
    "LSTM",
    "RNN",
    "GRUCell",
    "InputDtypeError",
    "LSTMCell",
    "RNNBase",
    "RNNCell",
    "RNNCellBase",
]

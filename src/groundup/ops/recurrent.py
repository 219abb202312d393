"""Recurrent cells as fused ops: `RNNCell`, `LSTMCell`, `GRUCell`, one `Function` each.

Each op runs one step (input of shape (N, I)) or a whole sequence (input of shape
(T, N, I), the cell unrolled over time), always with torch's gate layout:

    RNN   h' = act(x W_ih^T + b_ih + h W_hh^T + b_hh)                    act = tanh or relu
    LSTM  i, f, g, o = split(x W_ih^T + b_ih + h W_hh^T + b_hh, 4)       rows of W: i | f | g | o
          c' = sigmoid(f) * c + sigmoid(i) * tanh(g);   h' = sigmoid(o) * tanh(c')
    GRU   r, z = sigmoid(x W_ir^T + b_ir + h W_hr^T + b_hr), (same with z)  rows: r | z | n
          n = tanh(x W_in^T + b_in + r * (h W_hn^T + b_hn));   h' = (1 - z) * n + z * h

All gates come from one matrix product per input: the input projection of every time
step at once, x (T*N, I) @ W_ih^T, then h @ W_hh^T once per step. Backward is
backpropagation through time written by hand: the recurrence runs backwards step by step,
and the input gradient and both weight gradients are then single GEMMs over all steps.
A reverse op (`reverse=True`) walks the time axis from the end, for bidirectional layers.

Output layout: RNN and GRU return the hidden state of every step, (T, N, H) (or (N, H)
for one step). LSTM also returns its final cell state, stacked after the hidden states:
(T + 1, N, H) = [h_1 .. h_T, c_T], or (2, N, H) = [h', c'] for one step.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from groundup.function import Function
from groundup.tensor import Tensor


def _sigmoid_(x: np.ndarray) -> np.ndarray:
    """sigmoid(x) = 1 / (1 + e^-x) in place (e^-x may overflow to inf: the result is 0)."""
    with np.errstate(over="ignore"):
        np.exp(np.negative(x, out=x), out=x)
    x += 1
    return np.reciprocal(x, out=x)


def _steps(length: int, reverse: bool) -> range:
    return range(length - 1, -1, -1) if reverse else range(length)


def _input_gates(x: np.ndarray, w_ih: np.ndarray, bias: np.ndarray | None) -> np.ndarray:
    """x W_ih^T (+ bias) for every step at once: (T, N, I) -> (T, N, G), one GEMM."""
    t, n, i = x.shape
    gates = (x.reshape(t * n, i) @ w_ih.T).reshape(t, n, w_ih.shape[0])  # no -1: T*N may be 0
    if bias is not None:
        gates += bias
    return gates


def _weight_grads(
    fn: Any, dgx: np.ndarray, dgh: np.ndarray, x: np.ndarray, h_prev: np.ndarray
) -> tuple[Any, Any, Any, Any, Any]:
    """dx, dW_ih, dW_hh, db_ih, db_hh from the gate gradients of all steps (T, N, G).

    `dgx` is the gradient of the input projection and `dgh` that of the hidden one (equal
    for RNN and LSTM; they differ only in the GRU's candidate gate n).
    """
    g = dgx.shape[-1]
    flat_x, flat_h = x.reshape(-1, x.shape[-1]), h_prev.reshape(-1, h_prev.shape[-1])
    flat_gx, flat_gh = dgx.reshape(-1, g), dgh.reshape(-1, g)
    p = fn.parents
    dx = dgx @ fn.w_ih if p[0] is not None else None  # (T, N, G) @ (G, I) -> (T, N, I)
    dw_ih = flat_gx.T @ flat_x if p[-4] is not None else None  # (G, T*N) @ (T*N, I)
    dw_hh = flat_gh.T @ flat_h if p[-3] is not None else None  # (G, T*N) @ (T*N, H)
    db_ih = flat_gx.sum(axis=0) if p[-2] is not None else None
    db_hh = flat_gh.sum(axis=0) if p[-1] is not None else None
    return dx, dw_ih, dw_hh, db_ih, db_hh


def _as_sequence(x: np.ndarray) -> np.ndarray:
    return x[None] if x.ndim == 2 else x  # one step (N, I) -> (1, N, I)


class RNNCell(Function):
    """Elman RNN, h' = tanh or relu of (x W_ih^T + b_ih + h W_hh^T + b_hh)."""

    saves_output = True

    def forward(
        self,
        x: np.ndarray,
        h0: np.ndarray,
        w_ih: np.ndarray,
        w_hh: np.ndarray,
        b_ih: np.ndarray | None,
        b_hh: np.ndarray | None,
        *,
        nonlinearity: str = "tanh",
        reverse: bool = False,
    ) -> np.ndarray:
        xs = _as_sequence(x)
        bias = None if b_ih is None else b_ih + b_hh
        a = _input_gates(xs, w_ih, bias)  # (T, N, H): pre-activations, filled in per step
        hs, h_prev = np.empty_like(a), np.empty_like(a)
        h = h0
        for t in _steps(len(xs), reverse):
            h_prev[t] = h
            a[t] += h @ w_hh.T
            if nonlinearity == "tanh":
                h = np.tanh(a[t], out=hs[t])
            else:
                h = np.maximum(a[t], 0, out=hs[t])
        self.x, self.w_ih, self.w_hh, self.hs, self.h_prev = xs, w_ih, w_hh, hs, h_prev
        self.tanh, self.reverse, self.single = nonlinearity == "tanh", reverse, x.ndim == 2
        return hs[0] if self.single else hs

    def backward(self, grad: np.ndarray) -> tuple[Any, ...]:
        hs, dhs = self.hs, _as_sequence(grad)
        da = np.empty_like(hs)  # gradient of the pre-activation of every step
        dh = np.zeros_like(hs[0])
        for t in _steps(len(hs), not self.reverse):
            dh = dhs[t] + dh
            # tanh' = 1 - h^2, relu' = [h > 0]
            da[t] = dh * (1 - hs[t] * hs[t]) if self.tanh else dh * (hs[t] > 0)
            dh = da[t] @ self.w_hh  # to the previous step's hidden state
        dx, dw_ih, dw_hh, db_ih, db_hh = _weight_grads(self, da, da, self.x, self.h_prev)
        if dx is not None and self.single:
            dx = dx[0]
        return dx, dh, dw_ih, dw_hh, db_ih, db_hh


class LSTMCell(Function):
    """Long short-term memory (Hochreiter & Schmidhuber 1997, with the forget gate of
    Gers et al. 2000), torch's gate order i, f, g, o."""

    def forward(
        self,
        x: np.ndarray,
        h0: np.ndarray,
        c0: np.ndarray,
        w_ih: np.ndarray,
        w_hh: np.ndarray,
        b_ih: np.ndarray | None,
        b_hh: np.ndarray | None,
        *,
        reverse: bool = False,
    ) -> np.ndarray:
        xs = _as_sequence(x)
        hidden = w_hh.shape[1]
        bias = None if b_ih is None else b_ih + b_hh
        gates = _input_gates(xs, w_ih, bias)  # (T, N, 4H), activated in place per step
        out = np.empty((len(xs) + 1, *h0.shape), dtype=gates.dtype)  # [h_1 .. h_T, c_T]
        h_prev, c_prev, tanh_c = (np.empty_like(out[1:]) for _ in range(3))
        h, c = h0, c0
        for t in _steps(len(xs), reverse):
            h_prev[t], c_prev[t] = h, c
            a = gates[t]
            a += h @ w_hh.T  # (N, 4H): all four gates from one product
            g_pre = a[:, 2 * hidden : 3 * hidden].copy()
            _sigmoid_(a)  # i, f, o (and g, overwritten next): one pass over a contiguous block
            np.tanh(g_pre, out=a[:, 2 * hidden : 3 * hidden])
            i, f, g, o = (a[:, k * hidden : (k + 1) * hidden] for k in range(4))
            c = f * c + i * g
            np.tanh(c, out=tanh_c[t])
            h = np.multiply(o, tanh_c[t], out=out[t])
        out[-1] = c
        self.x, self.w_ih, self.w_hh, self.gates = xs, w_ih, w_hh, gates
        self.h_prev, self.c_prev, self.tanh_c = h_prev, c_prev, tanh_c
        self.reverse, self.single = reverse, x.ndim == 2
        return out

    def backward(self, grad: np.ndarray) -> tuple[Any, ...]:
        gates, tanh_c, c_prev = self.gates, self.tanh_c, self.c_prev
        hidden = tanh_c.shape[-1]
        dhs, dc = grad[:-1], grad[-1]  # gradients of h_1 .. h_T and of c_T
        da = np.empty_like(gates)  # gradient of the pre-activations (T, N, 4H)
        dh = np.zeros_like(dc)
        for t in _steps(len(gates), not self.reverse):
            dh = dhs[t] + dh
            i, f, g, o = (gates[t, :, k * hidden : (k + 1) * hidden] for k in range(4))
            di, df, dg, do = (da[t, :, k * hidden : (k + 1) * hidden] for k in range(4))
            np.multiply(dh, tanh_c[t], out=do)
            dc = dc + dh * o * (1 - tanh_c[t] * tanh_c[t])  # through h = o tanh(c)
            np.multiply(dc, g, out=di)
            np.multiply(dc, c_prev[t], out=df)
            np.multiply(dc, i, out=dg)
            dc = dc * f  # to the previous cell state: the additive path
            # through the nonlinearities: sigmoid' = s (1 - s), tanh' = 1 - t^2
            di *= i * (1 - i)
            df *= f * (1 - f)
            dg *= 1 - g * g
            do *= o * (1 - o)
            dh = da[t] @ self.w_hh  # (N, 4H) @ (4H, H)
        dx, dw_ih, dw_hh, db_ih, db_hh = _weight_grads(self, da, da, self.x, self.h_prev)
        if dx is not None and self.single:
            dx = dx[0]
        return dx, dh, dc, dw_ih, dw_hh, db_ih, db_hh


class GRUCell(Function):
    """Gated recurrent unit (Cho et al. 2014) in torch's form: the reset gate multiplies
    the hidden projection *after* W_hn, n = tanh(W_in x + b_in + r * (W_hn h + b_hn))."""

    saves_output = True

    def forward(
        self,
        x: np.ndarray,
        h0: np.ndarray,
        w_ih: np.ndarray,
        w_hh: np.ndarray,
        b_ih: np.ndarray | None,
        b_hh: np.ndarray | None,
        *,
        reverse: bool = False,
    ) -> np.ndarray:
        xs = _as_sequence(x)
        hidden = w_hh.shape[1]
        gx = _input_gates(xs, w_ih, b_ih)  # (T, N, 3H) = [x-parts of r | z | n]
        hs, h_prev = np.empty_like(gx[..., :hidden]), np.empty_like(gx[..., :hidden])
        rz = np.empty_like(gx[..., : 2 * hidden])  # activated r and z
        n_all, hn_all = np.empty_like(hs), np.empty_like(hs)  # n, and W_hn h + b_hn
        h = h0
        for t in _steps(len(xs), reverse):
            h_prev[t] = h
            gh = h @ w_hh.T  # (N, 3H): the three hidden projections in one product
            if b_hh is not None:
                gh += b_hh
            rz[t] = _sigmoid_(gx[t, :, : 2 * hidden] + gh[:, : 2 * hidden])
            r, z = rz[t, :, :hidden], rz[t, :, hidden:]
            hn_all[t] = gh[:, 2 * hidden :]
            n = np.tanh(gx[t, :, 2 * hidden :] + r * hn_all[t], out=n_all[t])
            h = np.add(n, z * (h - n), out=hs[t])  # (1 - z) n + z h
        self.x, self.w_ih, self.w_hh, self.h_prev = xs, w_ih, w_hh, h_prev
        self.rz, self.n, self.hn = rz, n_all, hn_all
        self.reverse, self.single = reverse, x.ndim == 2
        return hs[0] if self.single else hs

    def backward(self, grad: np.ndarray) -> tuple[Any, ...]:
        dhs, hidden = _as_sequence(grad), self.n.shape[-1]
        dgx = np.empty((*self.n.shape[:2], 3 * hidden), dtype=self.n.dtype)
        dgh = np.empty_like(dgx)
        dh = np.zeros_like(dhs[0])
        for t in _steps(len(dhs), not self.reverse):
            dh = dhs[t] + dh
            r, z = self.rz[t, :, :hidden], self.rz[t, :, hidden:]
            n, h_prev = self.n[t], self.h_prev[t]
            dan = dh * (1 - z) * (1 - n * n)  # pre-activation of n
            dgx[t, :, 2 * hidden :] = dan
            dgh[t, :, 2 * hidden :] = dan * r
            dr = dan * self.hn[t]
            dgx[t, :, :hidden] = dr * r * (1 - r)
            dgx[t, :, hidden : 2 * hidden] = dh * (h_prev - n) * z * (1 - z)
            dgh[t, :, : 2 * hidden] = dgx[t, :, : 2 * hidden]
            dh = dh * z + dgh[t] @ self.w_hh  # the direct path plus the three projections
        dx, dw_ih, dw_hh, db_ih, db_hh = _weight_grads(self, dgx, dgh, self.x, self.h_prev)
        if dx is not None and self.single:
            dx = dx[0]
        return dx, dh, dw_ih, dw_hh, db_ih, db_hh


# ------------------------------------------------------------------ functional API
def _check(
    op: str, x: Tensor, h: Tensor | np.ndarray, w_ih: Tensor, w_hh: Tensor, gates: int
) -> None:
    hidden = w_hh.shape[1]
    if w_ih.shape[0] != gates * hidden or w_hh.shape != (gates * hidden, hidden):
        raise RuntimeError(
            f"{op}: weight_ih {w_ih.shape} and weight_hh {w_hh.shape} must have "
            f"{gates} * hidden_size rows (expected weight_hh ({gates * hidden}, {hidden}))"
        )
    if x.ndim not in (2, 3) or x.shape[-1] != w_ih.shape[1]:
        raise RuntimeError(
            f"{op}: input of shape {x.shape} must be (N, {w_ih.shape[1]}) or "
            f"(T, N, {w_ih.shape[1]})"
        )
    if h.shape != (x.shape[-2], hidden):
        raise RuntimeError(
            f"{op}: hidden state of shape {h.shape} must be (N, hidden_size) = "
            f"({x.shape[-2]}, {hidden}) for input {x.shape}"
        )
    if x.dtype != w_ih.dtype:
        raise TypeError(f"{op}: input dtype {x.dtype} differs from weight dtype {w_ih.dtype}")


def rnn_cell(
    input: Tensor,  # noqa: A002 - torch's name
    hx: Tensor | np.ndarray,
    w_ih: Tensor,
    w_hh: Tensor,
    b_ih: Tensor | None = None,
    b_hh: Tensor | None = None,
    nonlinearity: str = "tanh",
    reverse: bool = False,
) -> Tensor:
    """Elman RNN over one step (input (N, I) -> (N, H)) or a sequence ((T, N, I) -> (T, N, H))."""
    if nonlinearity not in ("tanh", "relu"):
        raise ValueError(f"rnn_cell: unknown nonlinearity {nonlinearity!r}; use 'tanh' or 'relu'")
    _check("rnn_cell", input, hx, w_ih, w_hh, 1)
    return RNNCell.apply(
        input, hx, w_ih, w_hh, b_ih, b_hh, nonlinearity=nonlinearity, reverse=reverse
    )


def lstm_cell(
    input: Tensor,  # noqa: A002
    hx: tuple[Tensor | np.ndarray, Tensor | np.ndarray],
    w_ih: Tensor,
    w_hh: Tensor,
    b_ih: Tensor | None = None,
    b_hh: Tensor | None = None,
    reverse: bool = False,
) -> Tensor:
    """LSTM over one step or a sequence; returns [h', c'] (2, N, H) or [h_1..h_T, c_T]."""
    _check("lstm_cell", input, hx[0], w_ih, w_hh, 4)
    _check("lstm_cell", input, hx[1], w_ih, w_hh, 4)
    return LSTMCell.apply(input, hx[0], hx[1], w_ih, w_hh, b_ih, b_hh, reverse=reverse)


def gru_cell(
    input: Tensor,  # noqa: A002
    hx: Tensor | np.ndarray,
    w_ih: Tensor,
    w_hh: Tensor,
    b_ih: Tensor | None = None,
    b_hh: Tensor | None = None,
    reverse: bool = False,
) -> Tensor:
    """GRU over one step (input (N, I) -> (N, H)) or a sequence ((T, N, I) -> (T, N, H))."""
    _check("gru_cell", input, hx, w_ih, w_hh, 3)
    return GRUCell.apply(input, hx, w_ih, w_hh, b_ih, b_hh, reverse=reverse)

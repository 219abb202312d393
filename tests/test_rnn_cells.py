"""The fused recurrent ops (`groundup.ops.recurrent`) against their composed twins built
from primitive ops, against finite differences, and the cell modules against torch."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import groundup as gu
from groundup import nn
from groundup.inspect import gradcheck
from groundup.ops.recurrent import GRUCell, LSTMCell, RNNCell, gru_cell, lstm_cell, rnn_cell
from tests.oracle import assert_close

GATES = {"rnn": 1, "lstm": 4, "gru": 3}


# ------------------------------------------------------------------ composed twins
def composed_step(kind: str, x, h, c, w_ih, w_hh, b_ih, b_hh, nonlinearity="tanh"):
    """One step written with primitive ops only (matmul, add, sigmoid, tanh, mul, chunk)."""
    gx = x @ w_ih.T + b_ih
    gh = h @ w_hh.T + b_hh
    if kind == "rnn":
        a = gx + gh
        return (gu.tanh(a) if nonlinearity == "tanh" else gu.relu(a)), None
    if kind == "lstm":
        i, f, g, o = (gx + gh).chunk(4, dim=1)
        c = gu.sigmoid(f) * c + gu.sigmoid(i) * gu.tanh(g)
        return gu.sigmoid(o) * gu.tanh(c), c
    xr, xz, xn = gx.chunk(3, dim=1)
    hr, hz, hn = gh.chunk(3, dim=1)
    r, z = gu.sigmoid(xr + hr), gu.sigmoid(xz + hz)
    n = gu.tanh(xn + r * hn)
    return (1 - z) * n + z * h, None


def composed(kind, xs, h, c, w_ih, w_hh, b_ih, b_hh, reverse=False, nonlinearity="tanh"):
    """The cell unrolled step by step; the fused op's output layout."""
    single = xs.ndim == 2
    steps = 1 if single else xs.shape[0]
    outs = [None] * steps
    for t in range(steps - 1, -1, -1) if reverse else range(steps):
        x_t = xs if single else xs[t]
        h, c = composed_step(kind, x_t, h, c, w_ih, w_hh, b_ih, b_hh, nonlinearity)
        outs[t] = h
    hs = gu.stack(outs)
    if kind == "lstm":
        return gu.cat([hs, c.unsqueeze(0)])
    return hs[0] if single else hs


def fused(kind, xs, h, c, w_ih, w_hh, b_ih, b_hh, reverse=False, nonlinearity="tanh"):
    if kind == "rnn":
        return rnn_cell(xs, h, w_ih, w_hh, b_ih, b_hh, nonlinearity, reverse)
    if kind == "lstm":
        return lstm_cell(xs, (h, c), w_ih, w_hh, b_ih, b_hh, reverse)
    return gru_cell(xs, h, w_ih, w_hh, b_ih, b_hh, reverse)


def make_arrays(kind, steps, n=3, i=4, h=5, dtype=np.float64, seed=0):
    rng = np.random.default_rng(seed)
    g = GATES[kind] * h
    shape = (n, i) if steps is None else (steps, n, i)
    return [
        rng.standard_normal(shape),
        rng.standard_normal((n, h)),
        rng.standard_normal((n, h)),
        rng.standard_normal((g, i)) * 0.5,
        rng.standard_normal((g, h)) * 0.5,
        rng.standard_normal(g) * 0.5,
        rng.standard_normal(g) * 0.5,
    ], dtype


CASES = [
    (kind, steps, reverse, act)
    for kind in ("rnn", "lstm", "gru")
    for steps in (None, 1, 6)
    for reverse in (False, True)
    for act in (("tanh", "relu") if kind == "rnn" else ("tanh",))
]


@pytest.mark.parametrize(("kind", "steps", "reverse", "act"), CASES)
def test_fused_equals_composed_twin(kind, steps, reverse, act):
    arrays, _ = make_arrays(kind, steps)
    results = []
    for fn in (fused, composed):
        ts = [gu.tensor(a.copy(), requires_grad=True) for a in arrays]
        out = fn(kind, *ts, reverse=reverse, nonlinearity=act)
        upstream = np.random.default_rng(1).standard_normal(out.shape)
        out.backward(upstream)
        grads = [None if t.grad is None else t.grad._data for t in ts]
        results.append((out._data, grads))
    (fo, fg), (co, cg) = results
    np.testing.assert_allclose(fo, co, rtol=1e-12, atol=1e-12)
    for k, (a, b) in enumerate(zip(fg, cg, strict=True)):
        if kind != "lstm" and k == 2:  # c is not an input of RNN and GRU
            continue
        np.testing.assert_allclose(a, b, rtol=1e-11, atol=1e-12, err_msg=f"grad of input {k}")


@pytest.mark.parametrize("kind", ["rnn", "lstm", "gru"])
@pytest.mark.parametrize("steps", [None, 4])
def test_gradcheck_float64(kind, steps):
    arrays, _ = make_arrays(kind, steps, n=2, i=3, h=3, seed=2)
    ts = [gu.tensor(a, requires_grad=k != 2 or kind == "lstm") for k, a in enumerate(arrays)]
    if kind == "lstm":
        assert gradcheck(lambda x, h, c, *w: lstm_cell(x, (h, c), *w), ts)
    else:
        fn = rnn_cell if kind == "rnn" else gru_cell
        assert gradcheck(lambda x, h, c, *w: fn(x, h, *w), ts)


@pytest.mark.parametrize("kind", ["rnn", "lstm", "gru"])
def test_fused_op_is_one_function_node(kind):
    arrays, _ = make_arrays(kind, 5)
    ts = [gu.tensor(a, requires_grad=True) for a in arrays]
    out = fused(kind, *ts)
    assert isinstance(out.grad_fn, {"rnn": RNNCell, "lstm": LSTMCell, "gru": GRUCell}[kind])
    assert all(p is not None for p in out.grad_fn.parents[-4:])  # weights and biases


@pytest.mark.parametrize("kind", ["rnn", "lstm", "gru"])
def test_inputs_not_mutated_and_no_bias(kind):
    arrays, _ = make_arrays(kind, 4)
    originals = [a.copy() for a in arrays]
    ts = [gu.tensor(a, requires_grad=True) for a in arrays[:5]] + [None, None]
    fused(kind, *ts).sum().backward()
    for a, o in zip(arrays, originals, strict=True):
        np.testing.assert_array_equal(a, o)
    twin = [gu.tensor(a) for a in arrays[:5]] + [gu.tensor(np.zeros_like(arrays[5]))] * 2
    np.testing.assert_allclose(fused(kind, *ts)._data, composed(kind, *twin)._data, atol=1e-12)


@pytest.mark.parametrize("kind", ["rnn", "lstm", "gru"])
def test_float32_stays_float32(kind):
    arrays, _ = make_arrays(kind, 4)
    ts = [gu.tensor(a.astype(np.float32), requires_grad=True) for a in arrays]
    out = fused(kind, *ts)
    out.sum().backward()
    assert out.dtype == np.float32
    assert all(t.grad.dtype == np.float32 for t in ts if t.grad is not None)


def test_functional_errors_name_the_op_and_shapes():
    arrays, _ = make_arrays("lstm", 3)
    x, h, c, w_ih, w_hh, b_ih, b_hh = (gu.tensor(a) for a in arrays)
    with pytest.raises(RuntimeError, match=r"lstm_cell: input of shape \(3, 3, 7\) must be"):
        lstm_cell(gu.zeros(3, 3, 7, dtype=gu.float64), (h, c), w_ih, w_hh, b_ih, b_hh)
    with pytest.raises(RuntimeError, match=r"hidden state of shape \(3, 2\) must be"):
        lstm_cell(x, (gu.zeros(3, 2, dtype=gu.float64), c), w_ih, w_hh, b_ih, b_hh)
    with pytest.raises(RuntimeError, match=r"gru_cell: weight_ih .* 3 \* hidden_size rows"):
        gru_cell(x, h, w_ih, w_hh, b_ih, b_hh)
    with pytest.raises(ValueError, match="unknown nonlinearity 'sigmoid'"):
        rnn_cell(x, h, w_ih, w_hh, nonlinearity="sigmoid")


# --------------------------------------------------------------- cells vs torch
CELLS = [
    (nn.RNNCell, torch.nn.RNNCell, {}),
    (nn.RNNCell, torch.nn.RNNCell, {"nonlinearity": "relu"}),
    (nn.LSTMCell, torch.nn.LSTMCell, {}),
    (nn.GRUCell, torch.nn.GRUCell, {}),
]


@pytest.mark.parametrize(("cls", "tcls", "kwargs"), CELLS)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("with_state", [False, True])
@pytest.mark.parametrize("batched", [True, False])
@pytest.mark.parametrize("bias", [True, False])
def test_cell_matches_torch(cls, tcls, kwargs, dtype, with_state, batched, bias):
    rng = np.random.default_rng(3)
    g = cls(4, 5, bias=bias, dtype=dtype, **kwargs)
    t = tcls(4, 5, bias=bias, dtype=getattr(torch, np.dtype(dtype).name), **kwargs)
    t.load_state_dict({k: torch.from_numpy(v) for k, v in g.state_dict().items()})
    assert list(g.state_dict()) == list(t.state_dict())
    lead = (3,) if batched else ()
    x = rng.standard_normal((*lead, 4)).astype(dtype)
    gx, tx = gu.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    g_args, t_args, g_states, t_states = [gx], [tx], [], []
    if with_state:
        for _ in range(2 if cls is nn.LSTMCell else 1):
            h = rng.standard_normal((*lead, 5)).astype(dtype)
            g_states.append(gu.tensor(h, requires_grad=True))
            t_states.append(torch.tensor(h, requires_grad=True))
        g_args.append(tuple(g_states) if cls is nn.LSTMCell else g_states[0])
        t_args.append(tuple(t_states) if cls is nn.LSTMCell else t_states[0])
    g_out, t_out = g(*g_args), t(*t_args)
    if cls is nn.LSTMCell:
        g_out, t_out = gu.stack(list(g_out)), torch.stack(list(t_out))
    assert g_out.shape == tuple(t_out.shape) and g_out.dtype == dtype
    assert_close(g_out, t_out, dtype, "forward")
    up = rng.standard_normal(g_out.shape).astype(dtype)
    g_out.backward(up)
    t_out.backward(torch.tensor(up))
    assert_close(gx.grad, tx.grad, dtype, "input grad")
    for gs, ts in zip(g_states, t_states, strict=True):
        assert_close(gs.grad, ts.grad, dtype, "state grad")
    t_params = dict(t.named_parameters())
    for name, p in g.named_parameters():
        assert_close(p.grad, t_params[name].grad, dtype, name)


def test_cell_repr_and_init_match_torch():
    for g, t in [
        (nn.RNNCell(3, 4, bias=False, nonlinearity="relu"), torch.nn.RNNCell(3, 4, False, "relu")),
        (nn.LSTMCell(3, 4), torch.nn.LSTMCell(3, 4)),
        (nn.GRUCell(3, 4, bias=False), torch.nn.GRUCell(3, 4, bias=False)),
    ]:
        assert repr(g) == repr(t)
    cell = nn.LSTMCell(10, 400)
    for p in cell.parameters():
        assert np.abs(p._data).max() <= 1 / 20 and np.abs(p._data).max() > 0.049


def test_cell_errors_name_the_cell_and_expected_shape():
    cell = nn.GRUCell(3, 4)
    with pytest.raises(RuntimeError, match=r"GRUCell\(3, 4\): input has shape \(2, 5\); expected"):
        cell(gu.zeros(2, 5))
    with pytest.raises(RuntimeError, match=r"hx has shape \(2, 3\); expected \(2, 4\)"):
        cell(gu.zeros(2, 3), gu.zeros(2, 3))
    with pytest.raises(RuntimeError, match=r"LSTMCell\(3, 4\): cx has shape \(2, 5\)"):
        nn.LSTMCell(3, 4)(gu.zeros(2, 3), (gu.zeros(2, 4), gu.zeros(2, 5)))


def test_500_steps_of_a_cell_chain_backpropagate():
    """A 500-step chain of LSTMCell calls: a deep graph walked without recursion."""
    gu.manual_seed(0)
    cell = nn.LSTMCell(4, 8, dtype=np.float64)
    t_cell = torch.nn.LSTMCell(4, 8, dtype=torch.float64)
    t_cell.load_state_dict({k: torch.from_numpy(v) for k, v in cell.state_dict().items()})
    x = np.random.default_rng(0).standard_normal((500, 2, 4))
    state, t_state = None, None
    for step in range(500):
        state = cell(gu.tensor(x[step]), state)
        t_state = t_cell(torch.tensor(x[step]), t_state)
    (state[0].sum() + state[1].sum()).backward()
    (t_state[0].sum() + t_state[1].sum()).backward()
    assert_close(state[0], t_state[0], np.float64)
    assert_close(cell.weight_hh.grad, t_cell.weight_hh.grad, np.float64)

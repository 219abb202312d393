"""nn.utils.rnn against torch: pad_sequence, pack/pad of padded batches, PackedSequence's
fields, and RNN/LSTM/GRU run on a PackedSequence (outputs, final states, gradients)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch.nn.utils import rnn as TR

import groundup as gu
import groundup.nn as gnn
from groundup.inspect import gradcheck
from groundup.nn.utils import rnn as GR
from tests.oracle import assert_close, randn


def _same_packed(g: GR.PackedSequence, t: TR.PackedSequence) -> None:
    assert_close(g.data, t.data)
    assert g.batch_sizes.dtype == np.int64
    np.testing.assert_array_equal(g.batch_sizes._data, t.batch_sizes.numpy())
    for name in ("sorted_indices", "unsorted_indices"):
        gi, ti = getattr(g, name), getattr(t, name)
        assert (gi is None) == (ti is None), name
        if gi is not None:
            np.testing.assert_array_equal(gi._data, ti.numpy())


# ------------------------------------------------------------- pad_sequence
@pytest.mark.parametrize("side", ["left", "right"])
@pytest.mark.parametrize("batch_first", [False, True])
def test_pad_sequence(side, batch_first):
    seqs = [randn(n, 2, seed=n) for n in (2, 4, 1)]
    ts = [torch.tensor(s, requires_grad=True) for s in seqs]
    gs = [gu.tensor(s, requires_grad=True) for s in seqs]
    ty, gy = (
        TR.pad_sequence(ts, batch_first, 9.0, side),
        GR.pad_sequence(gs, batch_first, 9.0, side),
    )
    assert_close(gy, ty)
    up = randn(*ty.shape, seed=7)
    ty.backward(torch.tensor(up))
    gy.backward(up)
    for g, t in zip(gs, ts, strict=True):
        assert_close(g.grad, t.grad)
    ints = [np.arange(3), np.arange(1)]
    np.testing.assert_array_equal(
        GR.pad_sequence([gu.tensor(i) for i in ints])._data,
        TR.pad_sequence([torch.tensor(i) for i in ints]).numpy(),
    )


def test_pad_sequence_gradcheck_and_errors():
    a, b = gu.tensor(randn(3, 2), requires_grad=True), gu.tensor(randn(1, 2), requires_grad=True)
    assert gradcheck(lambda a, b: GR.pad_sequence([a, b * a[:1]], padding_side="left"), [a, b])
    assert GR.pad_sequence([gu.ones(0, 2), gu.ones(3, 2)]).shape == (3, 2, 2)
    for g_args, t_args, error in [
        (([],), ([],), RuntimeError),
        (([gu.ones(2, 3), gu.ones(1, 4)],), ([torch.ones(2, 3), torch.ones(1, 4)],), RuntimeError),
        (
            ([gu.ones(2)], False, 0.0, "up"),
            ([torch.ones(2)], False, 0.0, "up"),
            (ValueError, RuntimeError),
        ),
        ((5,), (5,), RuntimeError),
        (([gu.ones(()), gu.ones(())],), ([torch.ones(()), torch.ones(())],), RuntimeError),
    ]:
        with pytest.raises(error):
            TR.pad_sequence(*t_args)
        with pytest.raises(error):
            GR.pad_sequence(*g_args)


# ------------------------------------------------------------------ packing
@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize(
    ("lengths", "enforce_sorted"),
    [([4, 3, 1], True), ([2, 4, 2], False), ([1, 1, 1], True), ([3, 1, 4], False)],
)
def test_pack_and_pad_packed(batch_first, lengths, enforce_sorted):
    x = randn(4, 3, 2)
    if batch_first:
        x = x.transpose(1, 0, 2).copy()
    tx, gx = torch.tensor(x, requires_grad=True), gu.tensor(x, requires_grad=True)
    tp = TR.pack_padded_sequence(tx, lengths, batch_first, enforce_sorted)
    gp = GR.pack_padded_sequence(gx, gu.tensor(lengths), batch_first, enforce_sorted)
    _same_packed(gp, tp)
    assert type(gp).__name__ == "PackedSequence" and gp._fields == tp._fields
    tpad, tl = TR.pad_packed_sequence(tp, batch_first, -1.0, 5)
    gpad, gl = GR.pad_packed_sequence(gp, batch_first, -1.0, 5)
    assert_close(gpad, tpad)
    np.testing.assert_array_equal(gl._data, tl.numpy())
    assert gl.dtype == np.int64
    up = randn(*tpad.shape, seed=3)
    tpad.backward(torch.tensor(up))
    gpad.backward(up)
    assert_close(gx.grad, tx.grad)  # padding positions get zero gradient
    back, _ = GR.pad_packed_sequence(gp, batch_first)
    assert back.shape == tuple(TR.pad_packed_sequence(tp, batch_first)[0].shape)


def test_pack_sequence_unpack_and_unpad():
    seqs = [randn(n, 2, seed=n) for n in (2, 4, 1)]
    tp = TR.pack_sequence([torch.tensor(s) for s in seqs], enforce_sorted=False)
    gp = GR.pack_sequence([gu.tensor(s) for s in seqs], enforce_sorted=False)
    _same_packed(gp, tp)
    for g, s in zip(GR.unpack_sequence(gp), seqs, strict=True):
        assert_close(g, s)
    padded = GR.pad_sequence([gu.tensor(s) for s in seqs], batch_first=True)
    for g, s in zip(GR.unpad_sequence(padded, [2, 4, 1], batch_first=True), seqs, strict=True):
        assert_close(g, s)
    assert gp.float().data.dtype == np.float32 and gp.double() is gp and gp.cpu() is gp
    assert gp.to(gu.float64) is gp and gp.half().batch_sizes is gp.batch_sizes
    assert not gp.is_cuda
    legacy = GR.PackedSequence((gp.data, gp.batch_sizes))
    assert legacy.sorted_indices is None and legacy.unsorted_indices is None
    given = GR.PackedSequence(gu.ones(3), gu.tensor([2, 1]), gu.tensor([1, 0]))
    np.testing.assert_array_equal(given.unsorted_indices._data, [1, 0])


def test_pack_gradcheck():
    x = gu.tensor(randn(3, 2, 2), requires_grad=True)

    def fn(a):
        packed = GR.pack_padded_sequence(a, [1, 3], enforce_sorted=False)
        return GR.pad_packed_sequence(packed, padding_value=2.0)[0] * packed.data.sum()

    assert gradcheck(fn, [x])


@pytest.mark.parametrize(
    ("lengths", "kwargs"),
    [
        ([3, 2], {}),
        ([3, 0, 0], {}),
        ([2, 3, 1], {}),
        ([5, 3, 2], {}),
        ([2, 0, 1], {"enforce_sorted": False}),
    ],
)
def test_pack_errors(lengths, kwargs):
    with pytest.raises(RuntimeError):
        GR.pack_padded_sequence(gu.ones(4, 3, 2), lengths, **kwargs)
    if lengths != [5, 3, 2]:  # torch reads past the padded input there instead
        with pytest.raises(RuntimeError):
            TR.pack_padded_sequence(torch.ones(4, 3, 2), lengths, **kwargs)


def test_pad_packed_total_length_too_short():
    g = GR.pack_sequence([gu.ones(3), gu.ones(2)])
    t = TR.pack_sequence([torch.ones(3), torch.ones(2)])
    with pytest.raises(ValueError) as gerr:
        GR.pad_packed_sequence(g, total_length=2)
    with pytest.raises(ValueError) as terr:
        TR.pad_packed_sequence(t, total_length=2)
    assert str(gerr.value) == str(terr.value)


# --------------------------------------------------- RNNs on packed sequences
def _states(kind, h, lib):
    return (h, h * 2) if kind == "LSTM" else h


@pytest.mark.parametrize(
    ("kind", "bidirectional", "batch_first", "with_hx", "enforce_sorted"),
    [
        ("RNN", False, False, True, False),
        ("RNN", True, True, False, False),
        ("LSTM", True, False, True, False),
        ("LSTM", False, True, False, True),
        ("GRU", True, False, True, True),
        ("GRU", False, True, True, False),
    ],
)
def test_rnn_on_packed_sequence_equals_torch(
    kind, bidirectional, batch_first, with_hx, enforce_sorted
):
    kw = dict(num_layers=2, bidirectional=bidirectional, batch_first=batch_first)
    t = getattr(torch.nn, kind)(3, 4, **kw).double()
    g = getattr(gnn, kind)(3, 4, dtype=gu.float64, **kw)
    g.load_state_dict(t.state_dict())
    lengths = [5, 5, 3, 2, 1] if enforce_sorted else [2, 5, 1, 5, 3]
    x = randn(5, 5, 3, seed=1)
    tx, gx = torch.tensor(x, requires_grad=True), gu.tensor(x, requires_grad=True)
    directions = 2 if bidirectional else 1
    h = randn(2 * directions, 5, 4, seed=2)
    th, gh = torch.tensor(h, requires_grad=True), gu.tensor(h, requires_grad=True)
    t_out, t_n = t(
        TR.pack_padded_sequence(tx, lengths, batch_first, enforce_sorted),
        _states(kind, th, torch) if with_hx else None,
    )
    g_out, g_n = g(
        GR.pack_padded_sequence(gx, lengths, batch_first, enforce_sorted),
        _states(kind, gh, gu) if with_hx else None,
    )
    assert isinstance(g_out, GR.PackedSequence)
    _same_packed(g_out, t_out)
    if kind == "LSTM":
        assert_close(g_n[1], t_n[1])
        t_n, g_n = torch.cat(t_n), gu.cat(g_n)
    assert_close(g_n, t_n)
    up_out, up_n = randn(*t_out.data.shape, seed=4), randn(*t_n.shape, seed=5)
    ((t_out.data * torch.tensor(up_out)).sum() + (t_n * torch.tensor(up_n)).sum()).backward()
    ((g_out.data * gu.tensor(up_out)).sum() + (g_n * gu.tensor(up_n)).sum()).backward()
    assert_close(gx.grad, tx.grad)
    if with_hx:
        assert_close(gh.grad, th.grad)
    for (name, gp), tp in zip(g.named_parameters(), t.parameters(), strict=True):
        assert_close(gp.grad, tp.grad, what=name)
    padded, lengths_out = GR.pad_packed_sequence(g_out, batch_first)
    t_padded, _ = TR.pad_packed_sequence(t_out, batch_first)
    assert_close(padded, t_padded)


def test_packed_rnn_float32_and_bad_input():
    t, g = torch.nn.GRU(2, 3), gnn.GRU(2, 3)
    g.load_state_dict(t.state_dict())
    seqs = [randn(n, 2, dtype=np.float32, seed=n) for n in (3, 1, 2)]
    t_out, t_h = t(TR.pack_sequence([torch.tensor(s) for s in seqs], enforce_sorted=False))
    g_out, g_h = g(GR.pack_sequence([gu.tensor(s) for s in seqs], enforce_sorted=False))
    assert_close(g_out.data, t_out.data, np.float32)
    assert_close(g_h, t_h, np.float32)
    wrong = GR.pack_sequence([gu.ones(2, 5)])
    with pytest.raises(RuntimeError):
        g(wrong)
    with pytest.raises(RuntimeError):
        t(TR.pack_sequence([torch.ones(2, 5)]))
    with pytest.raises(RuntimeError):
        g(GR.pack_sequence([gu.ones(2, 2)]), gu.zeros(1, 2, 3))  # hx for 2 sequences, not 1

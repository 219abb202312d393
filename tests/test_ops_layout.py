"""Layout ops against torch: t, mT, narrow, select, unbind, diagonal, movedim, swapaxes,
unflatten, broadcast_to, contiguous, flip, roll, repeat, tile, repeat_interleave, diag,
diag_embed, tril/triu, view_as, atleast_*, h/v/d/column_stack, meshgrid, and cat's legacy
empty tensors: forward, backward, float64 gradcheck, views sharing memory and versions."""

import warnings

import numpy as np
import pytest
import torch

import groundup as gu
from tests.oracle import assert_close, check_op
from tests.strategies import ladder, normal

X = normal((2, 3, 4), 0)
M = normal((3, 4), 1)


def _both(fn):
    """One function written against a module `m`: (groundup version, torch version)."""
    return (lambda *ts: fn(gu, *ts)), (lambda *ts: fn(torch, *ts))


def _joined(m, pieces):
    """Scale each piece differently and join them, so every piece's gradient is checked."""
    return m.cat([p.reshape(-1) * (k + 1) for k, p in enumerate(pieces)])


OPS_3D = {
    "movedim": lambda m, t: t.movedim(0, -1),
    "movedim tuple": lambda m, t: m.movedim(t, (0, 1), (2, 0)),
    "moveaxis": lambda m, t: m.moveaxis(t, -1, 0),
    "swapaxes": lambda m, t: t.swapaxes(0, 2),
    "swapdims": lambda m, t: m.swapdims(t, -1, 1),
    "mT": lambda m, t: t.mT,
    "mH": lambda m, t: t.mH,
    "narrow": lambda m, t: t.narrow(1, 1, 2),
    "narrow negative start": lambda m, t: m.narrow(t, -1, -3, 2),
    "narrow empty": lambda m, t: t.narrow(2, 4, 0),
    "narrow tensor start": lambda m, t: t.narrow(0, m.tensor(1), 1),
    "select": lambda m, t: t.select(1, -1),
    "unbind": lambda m, t: _joined(m, t.unbind(1)),
    "unbind negative": lambda m, t: _joined(m, m.unbind(t, -1)),
    "diagonal": lambda m, t: t.diagonal(),
    "diagonal offset": lambda m, t: t.diagonal(1, 1, 2),
    "diagonal negative offset": lambda m, t: m.diagonal(t, offset=-1, dim1=-1, dim2=1),
    "diagonal reversed dims": lambda m, t: t.diagonal(0, 2, 0),
    "diagonal empty": lambda m, t: t.diagonal(7),
    "unflatten": lambda m, t: t.unflatten(2, (2, 2)),
    "unflatten -1": lambda m, t: m.unflatten(t, -1, (-1, 2)),
    "broadcast_to": lambda m, t: t[:, :1].broadcast_to((5, 2, 3, 4)),
    "contiguous": lambda m, t: t.transpose(0, 2).contiguous(),
    "flip": lambda m, t: t.flip(0),
    "flip dims": lambda m, t: m.flip(t, (0, 2)),
    "flip -1": lambda m, t: t.flip(-1),
    "fliplr": lambda m, t: m.fliplr(t),
    "flipud": lambda m, t: t.flipud(),
    "roll flat": lambda m, t: t.roll(5),
    "roll dim": lambda m, t: t.roll(1, 2),
    "roll dims": lambda m, t: m.roll(t, (1, -1), (0, 2)),
    "roll big": lambda m, t: t.roll(-7, -1),
    "repeat": lambda m, t: t.repeat(2, 1, 3),
    "repeat leading": lambda m, t: t.repeat((2, 1, 1, 2)),
    "repeat zero": lambda m, t: t.repeat(1, 0, 1),
    "tile": lambda m, t: t.tile((2,)),
    "tile leading": lambda m, t: m.tile(t, (2, 1, 1, 1)),
    "repeat_interleave": lambda m, t: t.repeat_interleave(2),
    "repeat_interleave dim": lambda m, t: t.repeat_interleave(3, dim=1),
    "repeat_interleave counts": lambda m, t: m.repeat_interleave(t, m.tensor([1, 0, 2]), dim=1),
    "repeat_interleave zero": lambda m, t: t.repeat_interleave(m.tensor([0, 0, 0, 0]), dim=-1),
    "repeat_interleave output_size": lambda m, t: t.repeat_interleave(2, 0, output_size=4),
    "tril": lambda m, t: t.tril(),
    "tril diagonal": lambda m, t: m.tril(t, 1),
    "triu": lambda m, t: t.triu(diagonal=-1),
    "triu far": lambda m, t: m.triu(t, 9),
    "diag_embed": lambda m, t: m.diag_embed(t),
    "diag_embed offset": lambda m, t: t.diag_embed(1, 0, 2),
    "diag_embed negative": lambda m, t: m.diag_embed(t, -2, dim1=-1, dim2=0),
    "view_as": lambda m, t: t.view_as(m.zeros(4, 6)),
    "reshape_as": lambda m, t: t.reshape_as(m.zeros(6, 4)),
    "atleast_3d": lambda m, t: m.atleast_3d(t),
    "dstack": lambda m, t: m.dstack([t, t * 2]),
    "hstack": lambda m, t: m.hstack((t, t[:, :1])),
    "vstack": lambda m, t: m.vstack([t, t[:1]]),
    "column_stack": lambda m, t: m.column_stack([t, t[:, :1]]),
    "transposed input": lambda m, t: t.transpose(0, 2).narrow(0, 1, 2).flip(1).diagonal(0, 0, 2),
}


@pytest.mark.parametrize("name", OPS_3D)
def test_layout_op_matches_torch(name):
    ladder(*_both(OPS_3D[name]), X)


OPS_2D = {
    "t": lambda m, t: t.t(),
    "t function": lambda m, t: m.t(t),
    "H": lambda m, t: t.H,
    "diag": lambda m, t: m.diag(t),
    "diag offset": lambda m, t: t.diag(1),
    "diag below": lambda m, t: m.diag(t, diagonal=-2),
    "diag vector": lambda m, t: m.diag(t[0]),
    "diag vector offset": lambda m, t: m.diag(t[1], -2),
    "t of a vector": lambda m, t: t[0].t(),
    "atleast_2d of a vector": lambda m, t: m.atleast_2d(t[0]),
    "atleast_3d of a vector": lambda m, t: m.atleast_3d(t[0]),
    "atleast several": lambda m, t: _joined(m, m.atleast_1d(t[0, 0], t)),
    "atleast list": lambda m, t: _joined(m, m.atleast_2d([t[0, 0], t[0]])),
    "hstack vectors": lambda m, t: m.hstack([t[0], t[1, :2], t[2, 0]]),
    "vstack vectors": lambda m, t: m.row_stack([t[0], t[1]]),
    "dstack vectors": lambda m, t: m.dstack([t[0], t[1]]),
    "column_stack vectors": lambda m, t: m.column_stack([t[0], t[1], t.t()]),
    "meshgrid ij": lambda m, t: _joined(m, m.meshgrid(t[0], t[1, :3], indexing="ij")),
    "meshgrid xy": lambda m, t: _joined(m, m.meshgrid([t[0], t[1, :2], t[2]], indexing="xy")),
    "meshgrid 0-d": lambda m, t: _joined(m, m.meshgrid(t[0, 0], t[1], indexing="xy")),
}


@pytest.mark.parametrize("name", OPS_2D)
def test_matrix_layout_op_matches_torch(name):
    ladder(*_both(OPS_2D[name]), M)


@pytest.mark.parametrize(
    "fn",
    [
        lambda m, t: t.t(),
        lambda m, t: t.flip(0),
        lambda m, t: t.roll(1),
        lambda m, t: t.repeat(2, 3),
        lambda m, t: m.repeat_interleave(t, 2),
        lambda m, t: m.atleast_3d(t),
        lambda m, t: m.diag_embed(t.unsqueeze(0)),
        lambda m, t: t.broadcast_to((3, 1)),
        lambda m, t: t.tile((2,)),
    ],
)
def test_layout_ops_of_0d_and_1d_tensors(fn):
    check_op(*_both(fn), np.array(1.5))
    ladder(*_both(fn), normal((1,), 3))


@pytest.mark.parametrize(
    "fn",
    [
        lambda m, t: t.flip(1),
        lambda m, t: t.roll(1, 0),
        lambda m, t: t.repeat(2, 1),
        lambda m, t: t.repeat_interleave(2, dim=1),
        lambda m, t: t.tril(),
        lambda m, t: t.diagonal(),
        lambda m, t: t.narrow(0, 0, 0),
        lambda m, t: _joined(m, t.unbind(1)),
        lambda m, t: t.movedim(1, 0),
        lambda m, t: m.vstack([t, t]),
        lambda m, t: m.cat([t, m.ones(0)], 1),
    ],
)
def test_layout_ops_of_zero_size_tensors(fn):
    check_op(*_both(fn), np.zeros((0, 3)))


@pytest.mark.parametrize("dtype", [np.int64, np.int32, np.bool_])
@pytest.mark.parametrize(
    "fn",
    [
        lambda m, t: t.flip(0).roll(1, 1).t(),
        lambda m, t: t.repeat(2, 1).tile((2,)),
        lambda m, t: t.repeat_interleave(2, dim=0).diagonal(),
        lambda m, t: m.tril(t, 1) if t.dtype != m.bool else m.triu(t, -1),
        lambda m, t: m.diag_embed(t).diag_embed(0, 0, 1),
        lambda m, t: m.diag(t[0]),
        lambda m, t: m.hstack([t, t]).movedim(0, 1).unflatten(0, (2, 4)),
        lambda m, t: m.stack(m.meshgrid(t[0], t[1], indexing="ij")),
    ],
)
def test_integer_and_bool_layouts_keep_the_dtype(fn, dtype):
    check_op(*_both(fn), (M * 3).astype(dtype))


# ------------------------------------------------------------------- views
VIEWS = {
    "t": lambda m, t: t.t(),
    "mT": lambda m, t: t.mT,
    "narrow": lambda m, t: t.narrow(1, 1, 2),
    "select": lambda m, t: t.select(0, 1),
    "unbind piece": lambda m, t: t.unbind(1)[2],
    "diagonal": lambda m, t: t.diagonal(1),
    "movedim": lambda m, t: t.movedim(0, 1),
    "swapaxes": lambda m, t: t.swapaxes(0, 1),
    "unflatten": lambda m, t: t.unflatten(1, (2, 2)),
    "view_as": lambda m, t: t.view_as(m.zeros(12)),
    "atleast_3d": lambda m, t: m.atleast_3d(t),
    "einsum transpose": lambda m, t: m.einsum("ij->ji", t),
    "einsum diagonal": lambda m, t: m.einsum("ii->i", t[:, :3]),
    "chain": lambda m, t: t.t().narrow(0, 1, 3).diagonal(),
}


@pytest.mark.parametrize("name", VIEWS)
def test_views_share_memory_and_version_with_their_input(name):
    fn = VIEWS[name]
    g, t = gu.tensor(M), torch.tensor(M)
    gv, tv = fn(gu, g), fn(torch, t)
    assert tv.untyped_storage().data_ptr() == t.untyped_storage().data_ptr()  # torch: a view
    assert np.shares_memory(gv._data, g._data)
    g.add_(1)  # the base changes: the view sees it and its version moves along
    t.add_(1)
    assert gv._version == tv._version == t._version == g._version
    assert_close(gv, tv, what="view after changing the base")
    gv.mul_(2)  # the view changes: so does the base
    tv.mul_(2)
    assert g._version == t._version == 2
    assert_close(g, t, what="base after changing the view")


# torch refuses in-place changes of unbind's pieces when they need a gradient (outputs of a
# multi-view op); groundup's in-place engine has no such check, so unbind is left out here.
@pytest.mark.parametrize("name", [n for n in VIEWS if n != "unbind piece"])
def test_in_place_change_through_a_view_of_a_non_leaf_matches_torch(name):
    fn = VIEWS[name]
    ga, ta = gu.tensor(M, requires_grad=True), torch.tensor(M, requires_grad=True)
    w = normal(M.shape, 5)
    grads = []
    for m, a in ((gu, ga), (torch, ta)):
        y = a * 1.5
        fn(m, y).mul_(3)
        (y * m.tensor(w)).sum().backward()
        grads.append(a.grad)
    assert_close(grads[0], grads[1])


@pytest.mark.parametrize(
    "fn",
    [
        lambda m, t: t.flip(0),
        lambda m, t: t.roll(1),
        lambda m, t: t.repeat(1, 1),
        lambda m, t: t.tile((1,)),
        lambda m, t: t.repeat_interleave(1, dim=0),
        lambda m, t: t.tril(5),
        lambda m, t: m.diag(t),
        lambda m, t: m.diag_embed(t),
        lambda m, t: m.hstack([t]),
        lambda m, t: t.t().contiguous(),
    ],
)
def test_copies_do_not_share_memory(fn):
    g, t = gu.tensor(M), torch.tensor(M)
    assert fn(torch, t).untyped_storage().data_ptr() != t.untyped_storage().data_ptr()
    assert not np.shares_memory(fn(gu, g)._data, g._data)


def test_contiguous_returns_self_when_contiguous_and_a_copy_otherwise():
    g, t = gu.tensor(M), torch.tensor(M)
    assert g.contiguous() is g and t.contiguous() is t
    assert t.t().contiguous() is not t.t() and t.t().is_contiguous() is False
    c = g.t().contiguous()
    assert c.is_contiguous() and not np.shares_memory(c._data, g._data)
    assert g.t().is_contiguous() is False


def test_broadcast_views_refuse_in_place_changes_like_torch():
    g, t = gu.tensor(M[:1]), torch.tensor(M[:1])
    with pytest.raises(RuntimeError):
        t.broadcast_to((3, 4)).add_(1)
    with pytest.raises(RuntimeError, match="more than one element"):
        g.broadcast_to((3, 4)).add_(1)
    for m in (gu, torch):  # meshgrid's grids are broadcast views of the inputs
        a, b = m.arange(2), m.arange(3)
        grid_a, grid_b = m.meshgrid(a, b, indexing="ij")
        assert grid_a._base is a and grid_b._base is b
        with pytest.raises(RuntimeError):
            grid_a.add_(1)


@pytest.mark.parametrize("name", ["tril", "triu"])
def test_in_place_triangles_match_torch(name):
    ga, ta = gu.tensor(M, requires_grad=True), torch.tensor(M, requires_grad=True)
    w = normal(M.shape, 7)
    outs = []
    for a in (ga, ta):
        y = a * 2
        version = y._version
        assert getattr(y, name + "_")(1) is y and y._version == version + 1
        m = torch if isinstance(a, torch.Tensor) else gu
        (y * m.tensor(w)).sum().backward()
        outs.append((y, a.grad))
    assert_close(outs[0][0], outs[1][0], what="values")
    assert_close(outs[0][1], outs[1][1], what="gradient")


def test_mT_and_H_of_0d_tensors_warn_like_torch():
    for m in (gu, torch):
        with pytest.warns(UserWarning, match="deprecated on 0-D tensors"):
            assert m.tensor(2.0).mT.item() == 2.0
        with pytest.warns(UserWarning, match="deprecated on 0-D tensors"):
            assert m.tensor(2.0).H.item() == 2.0


def test_meshgrid_without_indexing_warns_and_uses_ij():
    for m in (gu, torch):
        with pytest.warns(UserWarning, match="indexing argument"):
            a, b = m.meshgrid(m.arange(2), m.arange(3))
        assert tuple(a.shape) == (2, 3) and a[1, 0].item() == 1 and b[0, 2].item() == 2
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        gu.meshgrid(gu.arange(2), indexing="ij")


def test_repeat_interleave_of_counts_alone_gives_indices():
    counts = [2, 0, 3]
    out = gu.repeat_interleave(gu.tensor(counts))
    expected = torch.repeat_interleave(torch.tensor(counts))
    assert out.dtype == np.int64 and out.tolist() == expected.tolist()


# -------------------------------------------------------- cat's legacy empties
@pytest.mark.parametrize(
    "fn",
    [
        lambda m, a, e: m.cat([a, e]),
        lambda m, a, e: m.cat([e, a, e], dim=1),
        lambda m, a, e: m.cat((a, e, a), -1),
        lambda m, a, e: m.cat([e, e]),
        lambda m, a, e: m.concatenate([a, e], axis=1),
        lambda m, a, e: m.concat([e, a], dim=0),
    ],
)
def test_cat_skips_legacy_empty_tensors_like_torch(fn):
    ladder(*_both(fn), normal((2, 3), 0), np.zeros(0))


def test_cat_promotes_with_the_skipped_empty_and_checks_dims_against_the_rest():
    for m in (gu, torch):
        out = m.cat([m.ones(0, dtype=m.float64), m.ones(2, 3)])
        assert str(out.dtype).endswith("float64") and tuple(out.shape) == (2, 3)
        assert tuple(m.cat([m.ones(0), m.ones(0)], dim=2).shape) == (0,)
        with pytest.raises(IndexError):
            m.cat([m.ones(0), m.ones(2, 3)], dim=2)
        with pytest.raises(RuntimeError):
            m.cat([m.ones(0, 2), m.ones(2, 3)])
        with pytest.raises(TypeError):
            m.cat(m.ones(2, 3))
    e = gu.ones(0, requires_grad=True)
    gu.cat([e, gu.ones(2, 3, requires_grad=True)]).sum().backward()
    assert e.grad is not None and e.grad.shape == (0,)


# ------------------------------------------------------------------- errors
ERRORS = [
    (lambda m: m.ones(2, 3, 4).t(), RuntimeError, "t\\(\\) expects a tensor with <= 2"),
    (lambda m: m.ones(3).mT, RuntimeError, "only supported on matrices"),
    (lambda m: m.ones(3, 4, 5).H, RuntimeError, "only supported on matrices"),
    (lambda m: m.ones(2, 6).unflatten(1, (4, 3)), RuntimeError, "don't multiply up"),
    (lambda m: m.ones(2, 6).unflatten(1, ()), RuntimeError, "sizes must be non-empty"),
    (lambda m: m.ones(2, 6).unflatten(3, (2, 3)), IndexError, "out of range"),
    (lambda m: m.ones(3).broadcast_to((2, 4)), RuntimeError, "must be 1 or equal"),
    (lambda m: m.ones(3, 2).repeat(2), RuntimeError, "can not be smaller"),
    (lambda m: m.ones(3).repeat(-1), RuntimeError, "non-negative"),
    (lambda m: m.ones(2, 2).repeat_interleave(m.tensor([1, 2, 3]), dim=0), RuntimeError, "same"),
    (lambda m: m.ones(2, 2).repeat_interleave(m.tensor([1, -2]), dim=0), RuntimeError, "negative"),
    (lambda m: m.ones(2, 2).repeat_interleave(2, dim=2), IndexError, "out of range"),
    (lambda m: m.ones(2, 3).repeat_interleave(2, 0, output_size=5), RuntimeError, "output_size"),
    (lambda m: m.ones(2, 3).repeat_interleave(m.tensor([[1, 2]]), 0), RuntimeError, "0-dim or 1"),
    (lambda m: m.tensor(1.0).unbind(), IndexError, "no dimensions"),
    (lambda m: m.ones(2, 3).narrow(1, -4, 1), IndexError, "start out of range"),
    (lambda m: m.ones(2, 3).narrow(1, 2, 2), RuntimeError, "exceeds dimension size"),
    (lambda m: m.ones(2, 3).narrow(1, 1, -1), RuntimeError, "length must be non-negative"),
    (lambda m: m.ones(2, 3).narrow(1, m.tensor([1]), 1), RuntimeError, "0-dim integral"),
    (lambda m: m.tensor(1.0).narrow(0, 0, 1), RuntimeError, "0-dim tensor"),
    (lambda m: m.ones(3, 4).select(0, 5), IndexError, "out of range"),
    (lambda m: m.ones(2, 3).flip(0, 0), RuntimeError, "appears multiple times"),
    (lambda m: m.ones(2, 3).flip(2), IndexError, "out of range"),
    (lambda m: m.ones(3).fliplr(), RuntimeError, ">= 2-d"),
    (lambda m: m.tensor(1.0).flipud(), RuntimeError, ">= 1-d"),
    (lambda m: m.ones(2, 3).roll((1, 2), (0,)), RuntimeError, "must align"),
    (lambda m: m.ones(2, 3).roll((1, 2)), RuntimeError, "must align"),
    (lambda m: m.tensor(1).roll(1, 0), IndexError, "no dimensions"),
    (lambda m: m.ones(2, 3).roll(1, 2), IndexError, "out of range"),
    (lambda m: m.ones(2, 3, 4).movedim((0, 0), (2, 1)), RuntimeError, "repeated dim"),
    (lambda m: m.ones(2, 3, 4).movedim((0, 1), (1, 1)), RuntimeError, "repeated dim"),
    (lambda m: m.ones(2, 3, 4).movedim((0, 1), (2,)), RuntimeError, "same number of dims"),
    (lambda m: m.ones(2, 3).swapaxes(0, 2), IndexError, "out of range"),
    (lambda m: m.ones(2, 3).diagonal(0, 0, 0), RuntimeError, "cannot be identical"),
    (lambda m: m.ones(3).diagonal(), IndexError, "out of range"),
    (lambda m: m.diag(m.tensor(1.0)), RuntimeError, "Supports 1D or 2D"),
    (lambda m: m.diag(m.ones(2, 2, 2)), RuntimeError, "Supports 1D or 2D"),
    (lambda m: m.diag_embed(m.ones(2, 2), 0, 0, 0), RuntimeError, "cannot be identical"),
    (lambda m: m.diag_embed(m.ones(2, 3), dim1=3), IndexError, "out of range"),
    (lambda m: m.triu(m.ones(3)), RuntimeError, "at least 2 dimensions"),
    (lambda m: m.meshgrid(m.arange(2), m.arange(3.0), indexing="ij"), RuntimeError, "dtype"),
    (lambda m: m.meshgrid(m.arange(2), m.ones(3, 1), indexing="ij"), RuntimeError, "0D or 1D"),
    (lambda m: m.meshgrid(m.arange(2), indexing="foo"), RuntimeError, "indexing must be one of"),
    (lambda m: m.meshgrid(indexing="ij"), RuntimeError, "non-empty"),
    (lambda m: m.hstack([]), RuntimeError, "non-empty"),
    (lambda m: m.vstack(m.ones(2)), TypeError, "Tensor"),
    (lambda m: m.atleast_2d([m.ones(2), 1]), TypeError, "element 1"),
]


@pytest.mark.parametrize("call, error, message", ERRORS)
def test_layout_errors_match_torch(call, error, message):
    with pytest.raises(error):
        call(torch)
    with pytest.raises(error, match=message):
        call(gu)

"""Variable-length sequences for the recurrent layers: padding and packing (torch's
`nn.utils.rnn`).

A batch of sequences of different lengths is either *padded* to the longest, (T, B, *)
(or (B, T, *) with batch_first=True), or *packed*: a `PackedSequence` keeps only the real
steps, time-major, sequences sorted by decreasing length,

    lengths [3, 1, 2]  ->  sorted_indices [0, 2, 1], batch_sizes [3, 2, 1]
    data = [a1 c1 b1 | a2 c2 | a3]        (step 1 of all three, step 2 of two, step 3 of one)

so batch_sizes[t] is how many sequences are still running at step t and an RNN given a
PackedSequence never computes on padding. Packing and unpacking are gathers of rows
(`PackRows`, `PadRows`), each the other's backward, so gradients flow through them.
"""

from __future__ import annotations

from collections import namedtuple
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

from groundup.function import Function
from groundup.ops.dropout import dropout as _dropout
from groundup.ops.shape import cat, stack
from groundup.tensor import Tensor

_PackedSequenceBase = namedtuple(  # type: ignore[name-match]  # torch's printed name
    "PackedSequence", ["data", "batch_sizes", "sorted_indices", "unsorted_indices"]
)


def invert_permutation(permutation: Tensor | None) -> Tensor | None:
    """The permutation that undoes `permutation` (None stays None)."""
    if permutation is None:
        return None
    inverse = np.empty_like(permutation._data)
    inverse[permutation._data] = np.arange(len(inverse))
    return Tensor._make(inverse, False)


class PackedSequence(_PackedSequenceBase):
    """(data, batch_sizes, sorted_indices, unsorted_indices), as torch's: data (S, *) the
    real steps time-major, batch_sizes (T,) int64, sorted_indices the batch order by
    decreasing length (None when the batch was sorted already), unsorted_indices its
    inverse. Build one with pack_padded_sequence or pack_sequence, not by hand."""

    def __new__(
        cls,
        data: Any,
        batch_sizes: Tensor | None = None,
        sorted_indices: Tensor | None = None,
        unsorted_indices: Tensor | None = None,
    ) -> PackedSequence:
        if unsorted_indices is None:
            unsorted_indices = invert_permutation(sorted_indices)
        if batch_sizes is None:  # torch's legacy form: PackedSequence((data, batch_sizes))
            data, batch_sizes = data
        return super().__new__(cls, data, batch_sizes, sorted_indices, unsorted_indices)

    def to(self, *args: Any, **kwargs: Any) -> PackedSequence:
        """The same sequence with `data.to(...)` (the CPU is the only device)."""
        data = self.data.to(*args, **kwargs)
        if data is self.data:
            return self
        return type(self)(data, self.batch_sizes, self.sorted_indices, self.unsorted_indices)

    def cpu(self) -> PackedSequence:
        return self

    def double(self) -> PackedSequence:
        return self.to(np.float64)

    def float(self) -> PackedSequence:
        return self.to(np.float32)

    def half(self) -> PackedSequence:
        return self.to(np.float16)

    @property
    def is_cuda(self) -> bool:
        return False


# -------------------------------------------------------------- the two gathers
class PackRows(Function):
    """padded (T, B, *) or (B, T, *) -> data (S, *): the rows at flat positions `rows`."""

    saves = ()

    def forward(self, padded: np.ndarray, rows: np.ndarray) -> np.ndarray:
        self.shape, self.rows = padded.shape, rows
        return padded.reshape(-1, *padded.shape[2:])[rows]  # (S, *)

    def backward(self, grad: np.ndarray) -> tuple[Any, None]:
        dpadded = np.zeros((self.shape[0] * self.shape[1], *self.shape[2:]), grad.dtype)
        dpadded[self.rows] = grad  # each row was read once: padding gets 0
        return dpadded.reshape(self.shape), None


class PadRows(Function):
    """data (S, *) -> padded `shape`, row k written at flat position rows[k], the rest
    `padding_value`."""

    saves = ()

    def forward(
        self, data: np.ndarray, rows: np.ndarray, shape: tuple[int, ...], padding_value: float
    ) -> np.ndarray:
        self.rows = rows
        padded = np.full((shape[0] * shape[1], *shape[2:]), padding_value, dtype=data.dtype)
        padded[rows] = data
        return padded.reshape(shape)

    def backward(self, grad: np.ndarray) -> tuple[Any, None, None, None]:
        return grad.reshape(-1, *grad.shape[2:])[self.rows], None, None, None


def _layout(batch_sizes: np.ndarray, order: np.ndarray, steps: int, batch_first: bool) -> Any:
    """Flat (T*B) positions of the packed rows: step t of sorted sequence j is sequence
    order[j] of the padded batch."""
    n = len(order)
    t = np.repeat(np.arange(len(batch_sizes)), batch_sizes)  # (S,) the step of each row
    j = np.concatenate([np.arange(b) for b in batch_sizes]) if len(batch_sizes) else t
    b = order[j]
    return b * steps + t if batch_first else t * n + b


def _lengths(lengths: Any) -> np.ndarray:
    """lengths as int64, as torch.as_tensor(lengths, dtype=int64) (3.5 becomes 3)."""
    array = lengths._data if isinstance(lengths, Tensor) else np.asarray(lengths)
    return array.astype(np.int64).reshape(-1)


# --------------------------------------------------------------------- the API
def pack_padded_sequence(
    input: Tensor,  # noqa: A002 - torch's names
    lengths: Any,
    batch_first: bool = False,
    enforce_sorted: bool = True,
) -> PackedSequence:
    """Pack a padded batch (T, B, *) (batch_first: (B, T, *)) whose sequence b has
    lengths[b] real steps. With enforce_sorted=True the lengths must be non-increasing;
    else the batch is sorted here (sorted_indices records how)."""
    length = _lengths(lengths)
    steps, n = (input.shape[1], input.shape[0]) if batch_first else input.shape[:2]
    if len(length) != n:
        raise RuntimeError(
            f"Expected `len(lengths)` to be equal to batch_size, but got {len(length)} "
            f"(batch_size={n})"
        )
    if enforce_sorted:
        if np.any(np.diff(length) > 0):
            raise RuntimeError(
                "`lengths` array must be sorted in decreasing order when `enforce_sorted` is "
                "True. You can pass `enforce_sorted=False` to pack_padded_sequence and/or "
                "pack_sequence to sidestep this requirement if you do not need ONNX "
                "exportability."
            )
        order, sorted_indices = np.arange(n), None
    else:
        order = np.argsort(-length, kind="stable")  # longest first, ties in batch order
        length = length[order]
        sorted_indices = Tensor._make(order.astype(np.int64), False)
    if n and length[-1] <= 0:
        raise RuntimeError(
            "Length of all samples has to be greater than 0, but found an element in "
            "'lengths' that is <= 0"
        )
    if n and length[0] > steps:
        raise RuntimeError(
            f"pack_padded_sequence: a sequence of length {length[0]} does not fit the padded "
            f"input of {steps} steps (shape {input.shape}, batch_first={batch_first})"
        )
    longest = int(length[0]) if n else 0
    batch_sizes = (length[None, :] > np.arange(longest)[:, None]).sum(axis=1)  # (T,)
    data = PackRows.apply(input, _layout(batch_sizes, order, steps, batch_first))
    return PackedSequence(data, Tensor._make(batch_sizes.astype(np.int64), False), sorted_indices)


def pad_packed_sequence(
    sequence: PackedSequence,
    batch_first: bool = False,
    padding_value: float = 0.0,
    total_length: int | None = None,
) -> tuple[Tensor, Tensor]:
    """The inverse of pack_padded_sequence: (padded (T, B, *), lengths (B,) int64), in the
    batch order the sequences had before packing. total_length pads to that many steps."""
    data, batch_sizes = sequence.data, sequence.batch_sizes._data
    steps = len(batch_sizes)
    if total_length is not None:
        if total_length < steps:
            raise ValueError(
                "Expected total_length to be at least the length of the longest sequence in "
                f"input, but got total_length={total_length} and max sequence length being "
                f"{steps}"
            )
        steps = total_length
    n = int(batch_sizes[0]) if len(batch_sizes) else 0
    sorted_indices = sequence.sorted_indices
    order = np.arange(n) if sorted_indices is None else sorted_indices._data
    shape = (n, steps, *data.shape[1:]) if batch_first else (steps, n, *data.shape[1:])
    rows = _layout(batch_sizes, order, steps, batch_first)
    padded = PadRows.apply(data, rows, shape, padding_value)
    lengths = np.zeros(n, np.int64)
    lengths[order] = (batch_sizes[None, :] > np.arange(n)[:, None]).sum(axis=1)
    return padded, Tensor._make(lengths, False)


class PadSequence(Function):
    """Sequences (L_i, *) -> one padded (B, T, *) or (T, B, *) tensor."""

    saves = ()

    def forward(
        self, *seqs: np.ndarray, batch_first: bool, padding_value: float, left: bool
    ) -> np.ndarray:
        steps = max(len(s) for s in seqs)
        out = np.full((len(seqs), steps, *seqs[0].shape[1:]), padding_value, seqs[0].dtype)
        self.spans = []
        for b, s in enumerate(seqs):
            span = slice(steps - len(s), steps) if left else slice(0, len(s))
            out[b, span] = s
            self.spans.append(span)
        self.batch_first = batch_first
        return out if batch_first else out.swapaxes(0, 1).copy()  # (B, T, *) -> (T, B, *)

    def backward(self, grad: np.ndarray) -> tuple[Any, ...]:
        g = grad if self.batch_first else grad.swapaxes(0, 1)  # (B, T, *)
        return tuple(g[b, span] for b, span in enumerate(self.spans))


def pad_sequence(
    sequences: Iterable[Tensor],
    batch_first: bool = False,
    padding_value: float = 0.0,
    padding_side: str = "right",
) -> Tensor:
    """Pad sequences (L_i, *) with padding_value to the longest: (T, B, *), or (B, T, *)
    with batch_first=True; padding_side='left' puts the padding first."""
    if not isinstance(sequences, Iterable):
        raise RuntimeError(
            "pad_sequence: Expected iterable for input sequences, but got arg of type: "
            f"{type(sequences)}"
        )
    seqs = list(sequences)
    if padding_side not in ("left", "right"):
        raise ValueError(
            f"Expected padding_side to be one of left or right, but got {padding_side}."
        )
    if not seqs:
        raise RuntimeError("received an empty list of sequences")
    for s in seqs:
        if not isinstance(s, Tensor) or s.ndim == 0:
            what = type(s).__name__ if not isinstance(s, Tensor) else "a 0-d tensor"
            raise RuntimeError(f"pad_sequence: every sequence must be a tensor (L, *), got {what}")
        if s.shape[1:] != seqs[0].shape[1:]:
            raise RuntimeError(
                f"pad_sequence: every sequence must have the trailing shape "
                f"{seqs[0].shape[1:]} of the first, got one of shape {s.shape}"
            )
    return PadSequence.apply(
        *seqs, batch_first=batch_first, padding_value=padding_value, left=padding_side == "left"
    )


def pack_sequence(sequences: Sequence[Tensor], enforce_sorted: bool = True) -> PackedSequence:
    """Pack a list of sequences (L_i, *): pad_sequence, then pack_padded_sequence."""
    lengths = [len(s) for s in sequences]
    return pack_padded_sequence(pad_sequence(sequences), lengths, enforce_sorted=enforce_sorted)


def unpad_sequence(
    padded_sequences: Tensor, lengths: Any, batch_first: bool = False
) -> list[Tensor]:
    """The list of sequences (L_i, *) inside a padded batch."""
    padded = padded_sequences if batch_first else padded_sequences.transpose(0, 1)
    return [padded[b, : int(n)] for b, n in enumerate(_lengths(lengths))]


def unpack_sequence(packed_sequences: PackedSequence) -> list[Tensor]:
    """The list of sequences (L_i, *) inside a PackedSequence, in their original order."""
    padded, lengths = pad_packed_sequence(packed_sequences, batch_first=True)
    return unpad_sequence(padded, lengths, batch_first=True)


# ------------------------------------------------- recurrent layers on packed input
def _segments(batch_sizes: np.ndarray) -> list[tuple[int, int, int]]:
    """(steps, batch size, first packed row) of each run of steps with one batch size."""
    runs, row, t = [], 0, 0
    while t < len(batch_sizes):
        b, start = int(batch_sizes[t]), t
        while t < len(batch_sizes) and batch_sizes[t] == b:
            t += 1
        runs.append((t - start, b, row))
        row += (t - start) * b
    return runs


def _direction(
    run: Any,
    rnn: Any,
    x: Tensor,
    segments: list[tuple[int, int, int]],
    h0: Tensor,
    c0: Tensor | None,
    weights: list[Any],
    reverse: bool,
) -> tuple[Tensor, Tensor, Tensor | None]:
    """One layer, one direction over packed x (S, F): outputs (S, H), final h and c (N, H).

    Within a run of steps with one batch size b, the first b sorted sequences are all
    running, so the run is a plain (steps, b, F) block of x for the fused op. Forward in
    time, the sequences b' .. b - 1 end where the batch shrinks to b', and their state
    there is final; backward in time, they start there, from h0.
    """
    lstm, hidden = rnn.mode == "LSTM", rnn.hidden_size
    outputs: list[Tensor] = []
    ended_h: list[Tensor] = []
    ended_c: list[Any] = []
    h: Any = None
    c: Any = None
    for steps, b, row in reversed(segments) if reverse else segments:
        if h is None:  # the first run: all N forward, the b shortest backward
            h, c = h0[:b], None if c0 is None else c0[:b]
        elif reverse and h.shape[0] < b:  # sequences h.shape[0] .. b - 1 start here
            start = h.shape[0]
            h = cat([h, h0[start:b]])
            c = None if c0 is None else cat([c, c0[start:b]])
        elif not reverse and h.shape[0] > b:  # sequences b .. end here
            ended_h.append(h[b:])
            ended_c.append(None if c is None else c[b:])
            h, c = h[:b], None if c is None else c[:b]
        block = x[row : row + steps * b].reshape(steps, b, x.shape[-1])  # (steps, b, F)
        out = run(rnn.mode, block, h, c, weights, reverse)
        hs = out[:steps] if lstm else out  # (steps, b, H)
        c = out[steps] if lstm else None
        h = hs[0] if reverse else hs[steps - 1]
        outputs.append(hs.reshape(steps * b, hidden))
    if reverse:
        return cat(outputs[::-1]), h, c
    ended_h.append(h)
    ended_c.append(c)
    final_c = cat(ended_c[::-1]) if lstm else None
    return cat(outputs), cat(ended_h[::-1]), final_c


def packed_forward(rnn: Any, input: PackedSequence, hx: Any, run: Any) -> tuple[Any, ...]:
    """RNN/LSTM/GRU over a PackedSequence: (packed output, h_n, c_n or None), as torch.

    hx and h_n are in the caller's batch order (permuted by sorted_indices on the way in
    and back on the way out); each sequence's final state is that of its last real step.
    """
    data, batch_sizes = input.data, input.batch_sizes._data
    rnn._check_input(data)
    directions = 2 if rnn.bidirectional else 1
    n = int(batch_sizes[0])
    shape = (rnn.num_layers * directions, n, rnn.hidden_size)
    h0, c0 = rnn._initial_states(hx, shape, True, data.dtype)
    if not isinstance(h0, Tensor):  # zeros, as arrays, when hx is None
        h0 = Tensor._make(h0, False)
        c0 = None if c0 is None else Tensor._make(c0, False)
    if hx is not None and input.sorted_indices is not None:  # into the sorted order
        h0 = h0[:, input.sorted_indices._data]
        c0 = None if c0 is None else c0[:, input.sorted_indices._data]
    weights = [w if rnn.bias else [*w, None, None] for w in rnn.all_weights]
    segments = _segments(batch_sizes)
    layer_input, finals_h, finals_c = data, [], []
    for layer in range(rnn.num_layers):
        outputs = []
        for direction in range(directions):
            k = layer * directions + direction
            c_k = None if c0 is None else c0[k]
            out, h, c = _direction(
                run, rnn, layer_input, segments, h0[k], c_k, weights[k], direction == 1
            )
            outputs.append(out)
            finals_h.append(h)
            finals_c.append(c)
        layer_input = outputs[0] if directions == 1 else cat(outputs, dim=1)  # (S, D*H)
        if rnn.dropout and rnn.training and layer < rnn.num_layers - 1:
            layer_input = _dropout(layer_input, rnn.dropout, True)
    h_n = stack(finals_h)  # (num_layers * D, N, H), sorted order
    c_n = stack([c for c in finals_c if c is not None]) if c0 is not None else None
    if input.unsorted_indices is not None:  # back to the caller's order
        h_n = h_n[:, input.unsorted_indices._data]
        c_n = None if c_n is None else c_n[:, input.unsorted_indices._data]
    output = PackedSequence(
        layer_input, input.batch_sizes, input.sorted_indices, input.unsorted_indices
    )
    return output, h_n, c_n


__all__ = [
    "PackedSequence",
    "invert_permutation",
    "pack_padded_sequence",
    "pack_sequence",
    "pad_packed_sequence",
    "pad_sequence",
    "unpack_sequence",
    "unpad_sequence",
]

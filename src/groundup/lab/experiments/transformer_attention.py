"""Experiments on attention itself: what several heads do that one cannot, what attention
costs as sequences grow, and what each of a Transformer's three attentions looks at."""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np

from groundup import nn
from groundup.data.datasets.sequences import copying
from groundup.lab.registry import ExperimentResult, experiment, new_figure
from groundup.models.transformer import train_transformer_seq2seq
from groundup.ops.cross_entropy import cross_entropy
from groundup.optim import Adam
from groundup.tensor import Tensor, no_grad

SYMBOLS, LENGTH = 8, 10  # the two-neighbour task: tokens 0..7, sequences of 10


class _OneAttentionLayer(nn.Module):
    """Embedding + learned positions -> one MultiheadAttention -> two linear read-outs."""

    def __init__(self, d_model: int, heads: int):
        super().__init__()
        self.embedding = nn.Embedding(SYMBOLS, d_model)
        self.positions = nn.LearnedPositionalEncoding(d_model, LENGTH, batch_first=True)
        nn.init.normal_(self.positions.weight, 0.0, 1.0)
        self.attention = nn.MultiheadAttention(d_model, heads, batch_first=True)
        self.previous = nn.Linear(d_model, SYMBOLS)
        self.after_next = nn.Linear(d_model, SYMBOLS)

    def forward(self, ids: np.ndarray) -> tuple[Tensor, Tensor]:
        x = self.positions(self.embedding(Tensor(ids)))  # (N, L, d)
        a = self.attention(x, x, x, need_weights=False)[0]  # (N, L, d)
        return self.previous(a), self.after_next(a)  # (N, L, SYMBOLS) each


def _two_neighbours(rng: np.random.Generator, n: int) -> tuple[np.ndarray, ...]:
    """Random token rows; at each position t the targets are the tokens at t - 1 and
    t + 2 (cyclically)."""
    ids = rng.integers(0, SYMBOLS, size=(n, LENGTH))
    return ids, np.roll(ids, 1, axis=1), np.roll(ids, -2, axis=1)


@experiment(
    id="tf.multi-head-vs-single",
    questions=["tf.multi-head"],
    title="One head cannot fetch two different positions at once; two heads can",
)
def multi_head_vs_single(seed: int, size: str) -> ExperimentResult:
    d_model, steps = 32, (150 if size == "quick" else 500)
    heads_list = (1, 2) if size == "quick" else (1, 2, 4, 8)
    result = ExperimentResult()
    accuracy: dict[int, float] = {}
    for heads in heads_list:
        rng = np.random.default_rng(seed)
        model = _OneAttentionLayer(d_model, heads)
        optimizer = Adam(model.parameters(), lr=1e-2)
        for _ in range(steps):
            ids, prev, after = _two_neighbours(rng, 64)
            a, b = model(ids)
            loss = cross_entropy(a.reshape(-1, SYMBOLS), Tensor(prev.reshape(-1))) + cross_entropy(
                b.reshape(-1, SYMBOLS), Tensor(after.reshape(-1))
            )
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        ids, prev, after = _two_neighbours(np.random.default_rng(seed + 1), 1000)
        with no_grad():
            a, b = model(ids)
        ok_prev, ok_after = a._data.argmax(-1) == prev, b._data.argmax(-1) == after
        accuracy[heads] = float((ok_prev & ok_after).mean())
        result.metrics.add_row(
            heads=heads,
            head_dim=d_model // heads,
            parameters=sum(p.numel() for p in model.attention.parameters()),
            token_before=float(ok_prev.mean()),
            token_two_after=float(ok_after.mean()),
            both=accuracy[heads],
        )
    params = result.metrics.column("parameters")
    result.claim(
        "same_parameters",
        len(set(params)) == 1,
        f"Every variant's attention has the same {params[0]:,} parameters: heads split "
        "d_model, they do not add weights.",
    )
    result.claim(
        "two_heads_solve_it",
        min(v for h, v in accuracy.items() if h > 1) >= 0.95,
        "With two or more heads, one head fetches the token before and another the token "
        "two after: both are read correctly (>= 95% of positions).",
    )
    result.claim(
        "one_head_cannot",
        accuracy[1] <= 0.5,
        "One head forms a single weighted average per position: it learns one neighbour and "
        "guesses the other, so both are right at <= 50% of positions.",
    )
    fig = new_figure(5, 3.5)
    ax = fig.add_subplot(1, 1, 1)
    ax.bar([str(h) for h in heads_list], [accuracy[h] for h in heads_list])
    ax.set_xlabel("heads (d_model 32 in every case)")
    ax.set_ylabel("both neighbours right")
    ax.set_ylim(0, 1.05)
    result.add_figure("heads_accuracy", fig)
    result.notes.append(
        f"Task: at every position of {LENGTH} random tokens from {SYMBOLS}, output the token "
        f"before and the token two after. One attention layer, no feed-forward; Adam 1e-2, "
        f"{steps} steps of 64 sequences; accuracy on 1,000 new sequences."
    )
    return result


def _best_time(fn: Callable[[], None], repeats: int) -> float:
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


@experiment(
    id="tf.attention-cost",
    questions=["tf.complexity"],
    title="Self-attention's cost grows with the square of the length, an RNN's linearly",
)
def attention_cost(seed: int, size: str) -> ExperimentResult:
    d, heads = 32, 4
    lengths = [256, 512, 1024] if size == "quick" else [64, 128, 256, 512, 1024, 2048]
    repeats = 5
    rng = np.random.default_rng(seed)
    attention = nn.MultiheadAttention(d, heads, batch_first=True)
    lstm = nn.LSTM(d, d, batch_first=True)
    result = ExperimentResult()
    times: dict[str, list[float]] = {"attention": [], "lstm": []}
    for n in lengths:
        x = rng.standard_normal((1, n, d)).astype(np.float32)

        def attend(x: np.ndarray = x) -> None:
            inp = Tensor(x, requires_grad=True)
            attention(inp, inp, inp, need_weights=False)[0].sum().backward()

        def recur(x: np.ndarray = x) -> None:
            lstm(Tensor(x, requires_grad=True))[0].sum().backward()

        times["attention"].append(_best_time(attend, repeats))
        times["lstm"].append(_best_time(recur, repeats))
        result.metrics.add_row(
            length=n,
            attention_ms=1e3 * times["attention"][-1],
            lstm_ms=1e3 * times["lstm"][-1],
            score_matrix_floats=heads * n * n,  # (h, n, n) weights per sequence
            attention_flops=8 * n * d * d + 4 * n * n * d,  # projections + QK^T and PV
            lstm_sequential_steps=n,
        )
    # growth exponent per doubling: the slope of log2(time) over the three longest lengths
    top = np.log2(lengths[-3:])
    growth = {k: float(np.polyfit(top, np.log2(v[-3:]), 1)[0]) for k, v in times.items()}
    result.claim(
        "attention_grows_quadratically",
        growth["attention"] > 1.4 and growth["attention"] > growth["lstm"] + 0.3,
        f"From n = {lengths[-3]} to {lengths[-1]}, each doubling of the length multiplies the "
        f"attention layer's time by 2^{growth['attention']:.2f}: the n x n scores (4 n^2 d "
        "operations) dominate the projections (8 n d^2) once n > 2d.",
    )
    result.claim(
        "rnn_grows_linearly",
        growth["lstm"] < 1.35,
        f"The LSTM's time grows as 2^{growth['lstm']:.2f} per doubling, linearly in n: n d^2 "
        "work, but in n sequential steps that cannot run in parallel.",
    )
    fig = new_figure(5.5, 3.8)
    ax = fig.add_subplot(1, 1, 1)
    ax.loglog(lengths, 1e3 * np.array(times["attention"]), "o-", base=2, label="self-attention")
    ax.loglog(lengths, 1e3 * np.array(times["lstm"]), "s-", base=2, label="LSTM")
    ax.set_xlabel("sequence length n")
    ax.set_ylabel("forward + backward (ms)")
    ax.legend()
    result.add_figure("cost_vs_length", fig)
    result.notes.append(
        f"d_model {d}, {heads} heads, batch 1, float32, best of {repeats} runs on one BLAS "
        "thread; times on a shared machine are noisy, the exponents are what matters."
    )
    return result


def _on_later(w: np.ndarray) -> float:
    """Mean weight a query (row) puts on keys after its own position."""
    return float(np.triu(w, 1).sum(axis=-1).mean())


def _on(w: np.ndarray, pad: np.ndarray) -> float:
    """Mean weight a query puts on padded keys; pad (N, S) marks them."""
    return float((w * pad[:, None, :]).sum(axis=-1).mean())


@experiment(
    id="tf.three-attentions",
    questions=["tf.three-attentions"],
    title="The three attentions of a trained encoder-decoder and what each looks at",
)
def three_attentions(seed: int, size: str) -> ExperimentResult:
    if size == "quick":
        data, epochs = copying(1600, 3, 8, "abcdefgh", 200, seed), 6
    else:
        data, epochs = copying(10_000, 3, 12, "abcdefghij", 500, seed), 8
    trained = train_transformer_seq2seq(
        data, epochs=epochs, d_model=32, nhead=2, num_layers=1, dim_feedforward=64,
        dropout=0.0, lr=3e-3, warmup=100, batch_size=50, seed=seed, examples=0, log=None,
    )  # fmt: skip
    x, y = data.x_test, data.y_test[:, :-1]
    weights = trained.model.attention_weights(x, y)
    enc, dec, cross = weights["encoder"][0], weights["decoder"][0], weights["cross"][0]
    lengths = data.extras["lengths_test"]
    pad = x == 0  # (N, S)
    aligned = []
    for i, n in enumerate(lengths.tolist()):
        aligned.append(cross[i, :n].argmax(axis=-1) == np.arange(n))  # output t copies source t
    alignment = float(np.concatenate(aligned).mean())
    result = ExperimentResult()
    on_padding = {"enc": _on(enc, pad), "cross": _on(cross, pad)}
    for name, w, frm, padded in (
        ("encoder self-attention", enc, "source / source", on_padding["enc"]),
        ("decoder masked self-attention", dec, "target / target", float("nan")),
        ("encoder-decoder attention", cross, "target / source", on_padding["cross"]),
    ):
        result.metrics.add_row(
            attention=name,
            shape=str(w.shape),
            queries_keys=frm,
            weight_on_later_positions=_on_later(w) if name != "encoder-decoder attention"
            else float("nan"),
            weight_on_padding=padded,
        )  # fmt: skip
    result.claim(
        "encoder_sees_both_ways",
        _on_later(enc) > 0.1 and on_padding["enc"] == 0,
        "Encoder self-attention: every source token attends to tokens before and after it "
        f"({_on_later(enc):.0%} of a query's weight goes to later positions), and exactly 0 "
        "to padding.",
    )
    result.claim(
        "decoder_sees_only_the_past",
        _on_later(dec) == 0 and bool(np.all(np.triu(dec, 1) == 0)),
        "Decoder self-attention: every weight above the diagonal is exactly 0, so target "
        "position t reads only positions 0..t.",
    )
    result.claim(
        "cross_attention_aligns",
        alignment >= 0.9 and on_padding["cross"] == 0,
        f"Encoder-decoder attention: queries from the decoder, keys and values from the "
        f"encoder. Trained to copy strings, output t attends most to the source token it must "
        f"emit (source t) at {alignment:.1%} of positions, and never to padding.",
    )
    fig = new_figure(10, 3.4)
    i = int(np.argmax(lengths))  # a longest example
    n = int(lengths[i])
    assert data.vocab is not None
    src, tgt = data.vocab.decode(x[i])[:n], data.vocab.decode(y[i])[: n + 1]
    panels = [("encoder self-attention", enc[i, :n, :n], src, src),
              ("decoder self-attention (masked)", dec[i, : n + 1, : n + 1], "_" + tgt, "_" + tgt),
              ("encoder-decoder attention", cross[i, : n + 1, :n], "_" + tgt, src)]  # fmt: skip
    for k, (title, w, rows, cols) in enumerate(panels):
        ax = fig.add_subplot(1, 3, k + 1)
        ax.imshow(w, cmap="viridis", vmin=0, vmax=1)
        ax.set_title(title, fontsize=9)
        ax.set_xticks(range(len(cols)), list(cols))
        ax.set_yticks(range(len(rows)), list(rows))
        ax.set_xlabel("key (attended to)")
        ax.set_ylabel("query")
    result.add_figure("three_attentions", fig)
    result.notes.append(
        f"TransformerSeq2Seq with 1 encoder and 1 decoder layer, d_model 32, 2 heads (weights "
        f"averaged over heads), trained {epochs} epochs on {len(data.x_train):,} copying "
        f"examples (test exact match {trained.accuracy:.1%}); weights measured on the test set."
    )
    return result

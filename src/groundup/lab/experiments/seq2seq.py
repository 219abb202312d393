"""Experiments on encoder-decoder models: teacher forcing, the fixed-size context
bottleneck, attention alignments on dates, and the seed note's attention arithmetic."""

from __future__ import annotations

import math

import numpy as np

from groundup import nn
from groundup.data.datasets.sequences import dates, reversal
from groundup.lab.registry import ExperimentResult, experiment, new_figure
from groundup.models.seq2seq import predict, train_seq2seq
from groundup.tensor import Tensor, no_grad


@experiment(
    id="s2s.teacher-forcing-vs-free-running",
    questions=["s2s.teacher-forcing"],
    title="Teacher forcing trains faster; its model meets its own mistakes only at test time",
)
def teacher_forcing(seed: int, size: str) -> ExperimentResult:
    n, epochs = (2500, 2) if size == "quick" else (10_000, 6)
    data = reversal(n=n, min_length=1, max_length=6, symbols="abcdef", test_size=500, seed=seed)
    result, runs = ExperimentResult(), {}
    for ratio in (1.0, 0.0):
        runs[ratio] = train_seq2seq(
            data,
            "seq2seq",
            epochs=epochs,
            hidden_size=64,
            batch_size=64,
            lr=0.01,
            teacher_forcing=ratio,
            seed=seed,
            log=None,
            examples=0,
        )
        for record in runs[ratio].history:
            result.metrics.add_row(teacher_forcing=ratio, **record)
    forced, free = runs[1.0].accuracy, runs[0.0].accuracy
    result.claim(
        "teacher_forcing_learns_faster",
        forced > free + 0.1,
        f"After the same {epochs} epochs, the decoder trained on the true previous tokens "
        f"decodes {forced:.0%} of the test strings exactly; the one trained on its own "
        f"predictions (free running) {free:.0%}: its early mistakes feed it wrong inputs.",
    )
    model, vocab = runs[1.0].model, data.vocab  # exposure bias: gold vs its own prefixes
    assert vocab is not None
    with no_grad():
        logits = model(data.x_test, data.y_test[:, :-1])._data  # fed the true prefixes
    gold = data.y_test[:, 1:]
    generated, _ = model.generate(data.x_test, gold.shape[1], vocab.start_id)
    real = gold != vocab.pad_id  # characters and the end token
    with_gold = float((logits.argmax(-1) == gold)[real].mean())
    on_its_own = float((generated == gold)[real].mean())
    result.metrics.add_row(teacher_forcing="token accuracy", loss=with_gold, accuracy=on_its_own)
    result.claim(
        "errors_compound_without_the_gold_prefix",
        with_gold > on_its_own,
        f"Exposure bias: the teacher-forced model predicts {with_gold:.1%} of the tokens right "
        f"when given the true prefix but {on_its_own:.1%} when it must read its own earlier "
        "outputs, as at test time — one mistake leads to contexts it never saw.",
    )
    fig = new_figure(6, 3.5)
    ax = fig.subplots()
    for ratio, run in runs.items():
        ax.plot(
            [r["epoch"] for r in run.history],
            [r["accuracy"] for r in run.history],
            "o-",
            label=f"teacher forcing {ratio:.0%}",
        )
    ax.set(xlabel="epoch", ylabel="test exact match (greedy)", title="string reversal")
    ax.legend()
    result.add_figure("teacher_forcing", fig)
    return result


@experiment(
    id="s2s.context-bottleneck",
    questions=["s2s.limits-attention", "s2s.encoder-decoder"],
    title="One fixed-size context vector vs attention, as the input grows",
)
def context_bottleneck(seed: int, size: str) -> ExperimentResult:
    n, epochs, hidden, longest = (3000, 3, 32, 9) if size == "quick" else (20_000, 8, 64, 12)
    data = reversal(n, 1, longest, "abcdefgh", test_size=600, seed=seed)
    lengths, targets = data.extras["lengths_test"], np.array(data.targets())
    third = longest // 3
    buckets = [(1, third), (third + 1, 2 * third), (2 * third + 1, longest)]
    result, by_length = ExperimentResult(), {}
    for model in ("seq2seq", "attention"):
        run = train_seq2seq(
            data,
            model,
            epochs=epochs,
            hidden_size=hidden,
            batch_size=64,
            lr=0.01,
            seed=seed,
            log=None,
            examples=0,
        )
        correct = np.array(predict(run.model, data)) == targets
        by_length[model] = [
            float(correct[(lengths >= a) & (lengths <= b)].mean()) for a, b in buckets
        ]
        result.metrics.add_row(
            model=model,
            **{f"length {a}-{b}": v for (a, b), v in zip(buckets, by_length[model], strict=True)},
        )
    plain, attn = by_length["seq2seq"], by_length["attention"]
    result.claim(
        "fixed_context_degrades_with_length",
        plain[0] > plain[-1] + 0.25 and plain[-1] < 0.1,
        f"Without attention the whole input must pass through one {hidden}-number vector: exact "
        f"match falls from {plain[0]:.0%} ({buckets[0][0]}-{buckets[0][1]} letters) to "
        f"{plain[-1]:.0%} ({buckets[-1][0]}-{buckets[-1][1]} letters).",
    )
    result.claim(
        "attention_removes_the_bottleneck",
        attn[1] > plain[1] + 0.4 and attn[-1] > plain[-1],
        f"With attention the decoder reads every encoder state at every step: {attn[1]:.0%} on "
        f"{buckets[1][0]}-{buckets[1][1]} letters (against {plain[1]:.0%}) and {attn[-1]:.0%} "
        f"on {buckets[-1][0]}-{buckets[-1][1]}, with the same hidden size and training budget.",
    )
    fig = new_figure(6, 3.5)
    ax = fig.subplots()
    labels = [f"{a}-{b}" for a, b in buckets]
    for model, values in by_length.items():
        ax.plot(labels, values, "o-", label=model)
    ax.set(xlabel="input length", ylabel="test exact match", title="reversal, by input length")
    ax.legend()
    result.add_figure("context_bottleneck", fig)
    return result


def _year_positions(text: str) -> slice | None:
    """Where the 4-digit year sits in a worded date ("Sep 27, 1994"), else None."""
    return slice(len(text) - 4, len(text)) if text[-4:].isdigit() and "/" not in text else None


@experiment(
    id="s2s.dates-attention",
    questions=["s2s.attention-steps", "s2s.attention-learned-how", "s2s.limits-attention"],
    title="What an attention decoder looks at while it writes a date in ISO form",
)
def dates_attention(seed: int, size: str) -> ExperimentResult:
    n, epochs, hidden = (3000, 2, 64) if size == "quick" else (50_000, 3, 256)
    data = dates(n=n, test_size=min(1000, n // 10), seed=seed)
    run = train_seq2seq(
        data,
        "attention",
        reverse=True,
        epochs=epochs,
        hidden_size=hidden,
        batch_size=64 if size == "quick" else 128,
        lr=0.01 if size == "quick" else 1e-3,
        seed=seed,
        log=None,
        examples=0,
    )
    sources, vocab = data.sources(), data.vocab
    assert vocab is not None
    _, weights = run.model.generate(data.x_test, 10, vocab.start_id)
    assert weights is not None  # (N, 10 output steps, 29 source positions)
    mass = [
        weights[i, :4, pos].sum(-1).mean()
        for i, s in enumerate(sources)
        if (pos := _year_positions(s))
    ]
    year_mass = float(np.mean(mass))
    result = ExperimentResult()
    result.metrics.add_row(
        exact_match=run.accuracy, year_attention_mass=year_mass, examples=len(mass)
    )
    result.claim(
        "writing_the_year_looks_at_the_year",
        year_mass > 0.6,
        f"While writing the four year digits, the decoder puts {year_mass:.0%} of its attention "
        "on the four year digits of the source, wherever the format placed them: an "
        "alignment learned from the translation loss alone, with no alignment labels.",
    )
    if size == "full":
        result.claim(
            "attention_solves_dates",
            run.accuracy >= 0.99,
            f"Attention, reversed input, hidden {hidden}: {run.accuracy:.2%} exact match after "
            f"{epochs} epochs (Deep Learning from Scratch 2: 99.90% at epoch 3).",
        )
    fig = new_figure(9, 4)
    for k, i in enumerate([i for i, s in enumerate(sources) if _year_positions(s)][:2]):
        ax = fig.add_subplot(1, 2, k + 1)
        src = sources[i]
        ax.imshow(weights[i, :, : len(src)], cmap="viridis", aspect="auto", vmin=0, vmax=1)
        ax.set_xticks(range(len(src)), list(src), fontsize=7)
        output = vocab.decode(run.model.generate(data.x_test[i : i + 1], 10, vocab.start_id)[0])
        ax.set_yticks(range(len(output)), list(output))
        ax.set_title(f"{src!r}", fontsize=8)
    result.add_figure("dates_attention", fig)
    result.notes.append(
        f"{n} dates, {epochs} epochs, hidden {hidden}, dot attention, reversed input"
    )
    return result


DECODER_STATE = [10.0, 5.0, 10.0]
ENCODER_STATES = [[0.0, 1.0, 1.0], [5.0, 0.0, 1.0], [1.0, 1.0, 0.0], [0.0, 5.0, 1.0]]


@experiment(
    id="s2s.attention-worked-example",
    questions=["s2s.attention-worked-example"],
    title="Dot-product attention by hand: scores, softmax weights and the context vector",
)
def attention_worked_example(seed: int, size: str) -> ExperimentResult:
    keys = Tensor(np.array([ENCODER_STATES]))  # (1, 4, 3), float64
    attention, result = nn.DotProductAttention(), ExperimentResult()
    contexts = {}
    for query in (DECODER_STATE, [1.0, 0.5, 1.0]):
        q = Tensor(np.array([query]))
        scores = attention.score(q.unsqueeze(1), keys)._data[0, 0]
        context, weights = attention(q, keys)
        contexts[tuple(query)] = (scores, weights._data[0], context._data[0])
        result.metrics.add_row(
            decoder_state=str(query),
            scores=str(scores.tolist()),
            weights=np.array2string(weights._data[0], precision=3),
            context=np.array2string(context._data[0], precision=3),
        )
    scores, weights, context = contexts[tuple(DECODER_STATE)]
    expected = np.exp(scores - scores.max()) / np.exp(scores - scores.max()).sum()
    result.claim(
        "scores_are_dot_products",
        scores.tolist() == [15.0, 60.0, 15.0, 35.0],
        "The scores of [10, 5, 10] against the four encoder states are 15, 60, 15, 35.",
    )
    result.claim(
        "softmax_is_not_argmax",
        np.allclose(weights, expected, rtol=1e-12) and weights[0] > 0 and weights[1] < 1,
        f"The weights are softmax([15, 60, 15, 35]) = [{weights[0]:.2e}, 1 - {1 - weights[1]:.2e}, "
        f"{weights[2]:.2e}, {weights[3]:.2e}]: never exactly the note's [0, 1, 0, 0].",
    )
    result.claim(
        "context_is_practically_the_second_state",
        np.allclose(context, [5, 0, 1], atol=1e-10) and context[1] > 0,
        f"The context sum_i a_i h_i = [{context[0]:.10f}, {context[1]:.2e}, {context[2]:.10f}] "
        "equals [5, 0, 1] to ten decimals, because the score gap of 25 makes the softmax "
        "almost one-hot.",
    )
    _, small_weights, small_context = contexts[(1.0, 0.5, 1.0)]
    result.claim(
        "small_gaps_blend_the_states",
        0.05 < small_weights[3] < 0.1 and math.isclose(small_weights.sum(), 1.0),
        f"With the decoder state [1, 0.5, 1] the scores shrink tenfold and the weights spread: "
        f"{np.array2string(small_weights, precision=3)}, context "
        f"{np.array2string(small_context, precision=2)}.",
    )
    return result

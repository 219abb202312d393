"""The encoder-decoder: shapes, teacher forcing, greedy decoding, input reversal, the
attention weights, and small training runs with stated accuracies."""

from __future__ import annotations

import re

import numpy as np
import pytest

import groundup as gu
from groundup.data.datasets.sequences import addition, reversal
from groundup.models import build
from groundup.models.seq2seq import Seq2Seq, exact_match, train_seq2seq


def _batch(n=4, s=6, t=5, vocab=9, seed=0):
    rng = np.random.default_rng(seed)
    return rng.integers(0, vocab, (n, s)), rng.integers(0, vocab, (n, t))


@pytest.mark.parametrize("decoder", ["plain", "peeky", "attention"])
@pytest.mark.parametrize("attention", ["dot", "general", "additive"])
def test_logits_shape_and_gradients(decoder, attention):
    if decoder != "attention" and attention != "dot":
        pytest.skip("the score only matters for attention decoders")
    gu.manual_seed(0)
    model = Seq2Seq(9, embedding_dim=5, hidden_size=7, decoder=decoder, attention=attention)
    src, tgt = _batch()
    logits = model(src, tgt)
    assert logits.shape == (4, 5, 9) and logits.dtype == np.float32
    logits.sum().backward()
    assert all(p.grad is not None for p in model.parameters())
    expected_out = 7 if decoder == "plain" else 14
    assert model.out.in_features == expected_out


@pytest.mark.parametrize("decoder", ["plain", "peeky", "attention"])
def test_teacher_forced_sequence_equals_step_by_step_decoding(decoder):
    """One LSTM call over all T target steps equals T single-step calls."""
    gu.manual_seed(1)
    model = Seq2Seq(9, 5, 7, decoder=decoder).double()
    src, tgt = _batch(seed=1)
    full = model(src, tgt)._data
    encoded = model.encode(src)
    state, steps = encoded[1], []
    for t in range(tgt.shape[1]):
        logits, state, _ = model._decode(tgt[:, t : t + 1], state, encoded)
        steps.append(logits._data)
    np.testing.assert_allclose(full, np.concatenate(steps, axis=1), rtol=1e-10, atol=1e-12)


def test_free_running_feeds_back_its_own_argmax():
    """teacher_forcing=0 reads its previous argmax: the same tokens greedy decoding emits."""
    gu.manual_seed(2)
    model = Seq2Seq(9, 5, 7, decoder="attention")
    src, tgt = _batch(seed=2)
    start = np.full((4, 1), 1)
    free = model(src, np.concatenate([start, tgt[:, 1:]], axis=1), teacher_forcing=0.0)
    ids, attn = model.generate(src, max_length=5, start_id=1)
    np.testing.assert_array_equal(free._data.argmax(-1), ids)
    assert attn.shape == (4, 5, 6)
    np.testing.assert_allclose(attn.sum(-1), 1.0, rtol=1e-5)
    partly = model(src, tgt, teacher_forcing=0.5)  # a mix, still (N, T, V)
    assert partly.shape == (4, 5, 9)
    with pytest.raises(ValueError, match=r"teacher_forcing must be in \[0, 1\]"):
        model(src, tgt, teacher_forcing=1.5)


def test_generate_stops_at_the_end_token_and_pads():
    gu.manual_seed(3)
    model = Seq2Seq(6, 4, 8)
    with gu.no_grad():  # make token 2 (the end token) the argmax from the second step on
        model.out.bias._data[:] = 0
        model.out.weight._data[:] = 0
        model.out.bias._data[2] = 10
    src, _ = _batch(vocab=6)
    ids, attn = model.generate(src, max_length=7, start_id=1, end_id=2, pad_id=0)
    assert attn is None and ids.shape == (4, 7)
    assert np.all(ids[:, 0] == 2) and np.all(ids[:, 1:] == 0)


def test_reversed_input_reads_the_source_backwards():
    gu.manual_seed(4)
    forward_model = Seq2Seq(9, 5, 7, decoder="attention")
    backward_model = Seq2Seq(9, 5, 7, decoder="attention", reverse_input=True)
    backward_model.load_state_dict(forward_model.state_dict())
    src, tgt = _batch(seed=4)
    np.testing.assert_allclose(
        backward_model(src, tgt)._data, forward_model(src[:, ::-1].copy(), tgt)._data, rtol=1e-6
    )
    _, attn_b = backward_model.generate(src, 3, start_id=1)
    _, attn_f = forward_model.generate(src[:, ::-1].copy(), 3, start_id=1)
    np.testing.assert_allclose(attn_b, attn_f[:, :, ::-1], rtol=1e-6)  # in the source's order


def test_attention_ignores_source_padding():
    gu.manual_seed(5)
    model = Seq2Seq(9, 5, 7, decoder="attention", pad_id=0)
    src = np.array([[3, 4, 0, 0, 0], [5, 6, 7, 8, 0]])
    _, attn = model.generate(src, 4, start_id=1)
    assert np.all(attn[0, :, 2:] == 0) and np.all(attn[1, :, 4] == 0)


def test_config_rebuilds_the_model():
    model = Seq2Seq(13, 16, 32, decoder="peeky", reverse_input=True)
    clone = build(model.config)
    assert isinstance(clone, Seq2Seq) and clone.load_state_dict(model.state_dict())
    assert [k for k in clone.state_dict()] == [k for k in model.state_dict()]


def test_book_initialization():
    """The book's init: embeddings std 0.01, weights N(0, 1/fan_in), zero biases."""
    gu.manual_seed(0)
    model = Seq2Seq(13, 16, 128, decoder="peeky", init="book")
    emb = model.encoder_embedding.weight._data
    assert abs(emb.std() - 0.01) < 0.002
    w = model.decoder.weight_ih_l0._data  # (4H, E + H) = (512, 144)
    assert abs(w.std() - 1 / np.sqrt(144)) < 0.003
    assert np.all(model.decoder.bias_ih_l0._data == 0) and np.all(model.out.bias._data == 0)
    assert build(model.config).config["init"] == "book"
    with pytest.raises(ValueError, match="init must be 'torch' or 'book'"):
        Seq2Seq(13, init="xavier")


def test_bad_arguments():
    with pytest.raises(ValueError, match="decoder must be one of"):
        Seq2Seq(9, decoder="transformer")
    with pytest.raises(ValueError, match="attention must be one of"):
        Seq2Seq(9, decoder="attention", attention="cosine")
    with pytest.raises(
        ValueError, match=r"token ids must be an integer array of shape \(N, length\)"
    ):
        Seq2Seq(9)(np.zeros((2, 3)), np.zeros((2, 3), dtype=np.int64))
    with pytest.raises(ValueError, match="unknown task 'sorting'"):
        train_seq2seq("sorting")


def test_attention_learns_short_reversal():
    """Attention seq2seq reverses strings of 1-5 letters: >= 95% exact match after 3 epochs
    of 2,500 examples (about 3 s)."""
    data = reversal(n=3000, min_length=1, max_length=5, symbols="abcdef", test_size=500)
    result = train_seq2seq(
        data, "attention", epochs=3, hidden_size=64, batch_size=64, lr=0.01, log=None
    )
    assert result.accuracy >= 0.95
    assert result.history[-1]["loss"] < result.history[0]["loss"]
    source, target, prediction = result.examples[0]
    assert target == source[::-1]


def test_plain_seq2seq_learns_short_reversal():
    """Without attention the fixed-size context still suffices for 1-5 letters: >= 80%."""
    data = reversal(n=3000, min_length=1, max_length=5, symbols="abcdef", test_size=500)
    result = train_seq2seq(
        data, "seq2seq", epochs=4, hidden_size=64, batch_size=64, lr=0.01, log=None
    )
    assert result.accuracy >= 0.80


def test_cosine_schedule_anneals_the_lr_to_zero():
    """schedule="cosine" anneals the lr after every batch: half of it after half the
    steps, 0 after the last; it is logged per epoch and kept in the settings."""
    data = reversal(n=600, min_length=1, max_length=4, symbols="abcd", test_size=100)
    lines: list[str] = []
    result = train_seq2seq(
        data,
        "attention",
        epochs=2,
        hidden_size=16,
        batch_size=64,
        lr=0.01,
        schedule="cosine",
        examples=0,
        log=lines.append,
    )
    lrs = [float(re.search(r"lr (\S+)", line).group(1)) for line in lines]
    assert lrs[0] == pytest.approx(0.005, rel=1e-2) and abs(lrs[1]) < 1e-9
    assert result.settings["schedule"] == "cosine"
    constant: list[str] = []
    train_seq2seq(data, epochs=1, hidden_size=8, batch_size=64, examples=0, log=constant.append)
    assert " lr " not in constant[0]
    with pytest.raises(ValueError, match=r"schedule must be one of \('constant', 'cosine'\)"):
        train_seq2seq(data, schedule="step")


def test_exact_match_counts_whole_strings():
    data = addition(n=1000)
    gu.manual_seed(0)
    model = Seq2Seq(len(data.vocab), 8, 16)
    accuracy = exact_match(model, data)
    assert 0.0 <= accuracy < 0.05  # an untrained model gets almost nothing right


# ----------------------------------------------------------- the published runs (slow)
@pytest.mark.slow
@pytest.mark.parametrize(
    ("model", "reverse", "published"),
    [("seq2seq", False, 0.1214), ("seq2seq", True, 0.5404), ("peeky", True, 0.9844)],
)
def test_addition_matches_deep_learning_from_scratch_2(model, reverse, published):
    """Embedding 16, hidden 128, batch 128, 25 epochs, Adam 1e-3, clip 5, the book's init
    (~12-15 min each on 2 busy cores). With Adam at a constant 1e-3 the exact match still
    swings by a few points from epoch to epoch once it is high (peeky: 99.56% at epoch 23,
    95.84% at epoch 25 with seed 0), so the best epoch must reach the book's number and the
    last one come within 5 points of it."""
    result = train_seq2seq("addition", model, reverse=reverse, epochs=25, init="book", log=None)
    best = max(record["accuracy"] for record in result.history)
    assert best >= published - 0.01
    assert result.accuracy >= published - 0.05


@pytest.mark.slow
def test_peeky_addition_with_a_cosine_schedule_settles_above_the_book():
    """Our cosine schedule (the book keeps 1e-3) removes the late swings: with the book's
    init and seed 0, 98.70-98.92% over epochs 20-25 (98.92% at epoch 25), ~4 min."""
    result = train_seq2seq(
        "addition", "peeky", reverse=True, epochs=25, init="book", schedule="cosine", log=None
    )
    late = [record["accuracy"] for record in result.history[-6:]]
    assert result.accuracy >= 0.9844 and max(late) - min(late) < 0.01


@pytest.mark.slow
def test_dates_with_attention_reach_99_9_percent_by_epoch_3():
    """Attention, reversed input, hidden 256, the book's init: 0.02%, 97.52%, 99.92% over
    epochs 1-3 (the book: 0.0, 51.76, 99.90%), ~15 min."""
    result = train_seq2seq(
        "dates", "attention", reverse=True, hidden_size=256, epochs=3, init="book", log=None
    )
    assert result.accuracy >= 0.999

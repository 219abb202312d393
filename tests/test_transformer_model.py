"""TransformerSeq2Seq: shapes, what each position may see (causality, padding), greedy
decoding against teacher forcing, the three attentions' weights, rebuilding from the
config, a fast train-to-target run, and (slow) the dates and addition tasks."""

from __future__ import annotations

import numpy as np
import pytest
from threadpoolctl import threadpool_limits

import groundup as gu
from groundup.data.datasets.sequences import copying
from groundup.models import build
from groundup.models.seq_training import exact_match
from groundup.models.transformer import (
    TransformerSeq2Seq,
    train_transformer_seq2seq,
)


@pytest.fixture(autouse=True)
def one_blas_thread():
    """Small matrix products: one BLAS thread beats two fighting over a busy machine."""
    with threadpool_limits(limits=1, user_api="blas"):
        yield


def _model(**options):
    gu.manual_seed(0)
    model = TransformerSeq2Seq(12, d_model=16, nhead=2, dim_feedforward=32, max_len=10, **options)
    model.eval()
    return model


def _source(n=3, length=7, seed=0):
    ids = np.random.default_rng(seed).integers(3, 12, size=(n, length))
    ids[0, 5:] = 0  # padding (pad id 0) at the end of the first source
    return ids


def test_forward_shapes_and_dtype():
    model = _model()
    logits = model(_source(), np.ones((3, 4), np.int64))
    assert logits.shape == (3, 4, 12) and logits.dtype == np.float32
    assert model.transformer.batch_first


def test_a_position_does_not_see_later_target_tokens():
    model = _model()
    target = np.random.default_rng(1).integers(3, 12, size=(3, 6))
    changed = target.copy()
    changed[:, 4:] = 3  # change positions 4 and 5 only
    a, b = model(_source(), target)._data, model(_source(), changed)._data
    np.testing.assert_array_equal(a[:, :4], b[:, :4])  # bit for bit: masked weights are 0
    assert not np.allclose(a[:, 4:], b[:, 4:])


def test_padding_is_invisible():
    """More padding at the end of the sources changes no output (float rounding aside)."""
    model = _model()
    source, target = _source(), np.ones((3, 4), np.int64)
    padded = np.concatenate([source, np.zeros((3, 2), np.int64)], axis=1)
    np.testing.assert_allclose(
        model(source, target)._data, model(padded, target)._data, rtol=1e-5, atol=1e-6
    )


def test_greedy_decoding_agrees_with_teacher_forcing_on_its_own_output():
    model = _model()
    ids, attn = model.generate(_source(), max_length=5, start_id=1)
    inputs = np.concatenate([np.ones((3, 1), np.int64), ids[:, :-1]], axis=1)
    logits = model(_source(), inputs)._data
    np.testing.assert_array_equal(logits.argmax(axis=-1), ids)
    assert attn.shape == (3, 5, 7)
    np.testing.assert_allclose(attn.sum(axis=-1), 1, rtol=1e-5)
    assert np.all(attn[0, :, 5:] == 0)  # never on padding


def test_generation_stops_at_the_end_token_and_pads():
    model = _model()
    ids, _ = model.generate(_source(), max_length=6, start_id=1)
    end = int(ids[0, 1])  # pretend this token ends a sequence
    stopped, _ = model.generate(_source(), max_length=6, start_id=1, end_id=end, pad_id=0)
    for free, row in zip(ids, stopped, strict=True):
        hits = np.flatnonzero(free == end)
        cut = hits[0] + 1 if hits.size else len(free)  # up to and including the end token
        np.testing.assert_array_equal(row[:cut], free[:cut])
        assert np.all(row[cut:] == 0)


@pytest.mark.parametrize("norm_first", [False, True])
def test_attention_weights_of_the_three_attentions(norm_first):
    model = _model(norm_first=norm_first)
    source, target = _source(), np.ones((3, 4), np.int64)
    weights = model.attention_weights(source, target)
    assert [len(weights[k]) for k in ("encoder", "decoder", "cross")] == [2, 2, 2]
    enc, dec, cross = weights["encoder"][0], weights["decoder"][1], weights["cross"][1]
    assert enc.shape == (3, 7, 7) and dec.shape == (3, 4, 4) and cross.shape == (3, 4, 7)
    assert np.all(np.triu(dec, 1) == 0)  # the decoder never looks ahead
    assert np.all(enc[0, :, 5:] == 0) and np.all(cross[0, :, 5:] == 0)  # nor at padding
    assert np.all(enc[1][np.triu_indices(7, 1)] > 0)  # the encoder looks both ways
    # the last layer's cross-attention is the one generate() reports
    ids, attn = model.generate(source, max_length=4, start_id=1)
    again = model.attention_weights(source, np.concatenate([np.ones((3, 1), int), ids[:, :-1]], 1))
    np.testing.assert_allclose(attn, again["cross"][-1], rtol=1e-6)


def test_rebuilds_from_its_config():
    model = _model(positional="learned")
    copy = build(model.config)
    copy.load_state_dict(model.state_dict())
    copy.eval()
    source, target = _source(), np.ones((3, 4), np.int64)
    np.testing.assert_array_equal(model(source, target)._data, copy(source, target)._data)


def test_bad_arguments():
    with pytest.raises(ValueError, match="positional must be one of"):
        TransformerSeq2Seq(10, positional="rotary")
    with pytest.raises(ValueError, match=r"integer array of shape \(N, length\)"):
        _model()(np.ones(4, np.int64), np.ones((1, 2), np.int64))
    with pytest.raises(ValueError, match="longer|positions"):
        _model()(np.ones((1, 11), np.int64), np.ones((1, 2), np.int64))
    with pytest.raises(ValueError, match="unknown task"):
        train_transformer_seq2seq("translation")


def test_trains_to_copy_strings():
    """A one-layer Transformer learns to copy strings of up to 5 letters: >= 90% exact
    match on 200 held-out strings after 5 epochs of 1,500 (about 6 s on one core; 95-99%
    across seeds)."""
    data = copying(n=1700, min_length=1, max_length=5, symbols="abcdefg", test_size=200)
    result = train_transformer_seq2seq(
        data,
        epochs=5,
        d_model=32,
        nhead=2,
        num_layers=1,
        dim_feedforward=64,
        dropout=0.0,
        lr=3e-3,
        warmup=100,
        batch_size=50,
        log=None,
    )
    assert result.accuracy >= 0.9, result.history
    assert exact_match(result.model, data) == result.accuracy
    assert len(result.examples) == 5 and result.settings["task"] == "copying"


@pytest.mark.slow
def test_dates_reach_the_attention_lstm():
    """Dates -> ISO: the attention LSTM reaches 99.90% at epoch 3 (Deep Learning from
    Scratch 2); the Transformer must match it."""
    result = train_transformer_seq2seq("dates", log=None)
    assert result.accuracy >= 0.999, result.history


@pytest.mark.slow
def test_addition_beats_the_peeky_lstm():
    """Addition: reversed input + peeky LSTM decoder reach 98.44% (the book's best)."""
    result = train_transformer_seq2seq("addition", log=None)
    assert result.accuracy >= 0.9844, result.history

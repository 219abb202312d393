"""Sinusoidal and learned positional encodings: the table's values (against the paper's
formula and PyTorch's tutorial code), the relative-position rotation, both layouts,
gradients of the learned table, and the error for a sequence longer than the table."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

import groundup as gu
from groundup import nn
from groundup.nn.positional import sinusoidal_table
from tests.oracle import randn


def test_table_follows_the_formula():
    table = sinusoidal_table(50, 16, np.float64)
    pos, i = 37, 5  # columns 2i = 10 and 2i + 1 = 11
    angle = pos / 10000 ** (2 * i / 16)
    assert table[pos, 2 * i] == pytest.approx(math.sin(angle), abs=1e-12)
    assert table[pos, 2 * i + 1] == pytest.approx(math.cos(angle), abs=1e-12)
    np.testing.assert_array_equal(table[0], np.tile([0.0, 1.0], 8))  # sin 0, cos 0


def test_table_equals_the_pytorch_tutorial_encoding():
    """The `PositionalEncoding` of PyTorch's language-modelling tutorial, in torch."""
    d, max_len = 12, 40
    position = torch.arange(max_len).unsqueeze(1)
    div_term = torch.exp(torch.arange(0, d, 2) * (-math.log(10000.0) / d))
    pe = torch.zeros(max_len, d)
    pe[:, 0::2] = torch.sin(position * div_term)
    pe[:, 1::2] = torch.cos(position * div_term)
    np.testing.assert_allclose(sinusoidal_table(max_len, d), pe.numpy(), rtol=1e-5, atol=1e-6)


def test_odd_width_has_one_cosine_fewer():
    table = sinusoidal_table(10, 7, np.float64)
    assert table.shape == (10, 7)
    np.testing.assert_allclose(table[:, 6], np.sin(np.arange(10) / 10000 ** (6 / 7)))


def test_an_offset_is_a_rotation_of_each_sin_cos_pair():
    """PE[pos + k] is PE[pos] rotated, pair by pair, by angle k * w_i: a fixed linear map
    for each offset k, whatever pos is (why relative positions are easy to read off)."""
    d, k = 8, 3
    table = sinusoidal_table(64, d, np.float64)
    freq = 1 / 10000 ** (np.arange(0, d, 2) / d)
    for pos in (0, 5, 40):
        sin, cos = table[pos, 0::2], table[pos, 1::2]
        c, s = np.cos(k * freq), np.sin(k * freq)
        np.testing.assert_allclose(table[pos + k, 0::2], sin * c + cos * s, atol=1e-12)
        np.testing.assert_allclose(table[pos + k, 1::2], cos * c - sin * s, atol=1e-12)


@pytest.mark.parametrize("batch_first", [False, True])
def test_sinusoidal_module_adds_the_table_in_either_layout(batch_first):
    pe = nn.SinusoidalPositionalEncoding(6, max_len=20, batch_first=batch_first, dtype=np.float64)
    x = randn(3, 5, 6) if batch_first else randn(5, 3, 6)
    out = pe(gu.tensor(x))._data
    table = sinusoidal_table(20, 6, np.float64)[:5]
    expected = x + (table if batch_first else table[:, None])
    np.testing.assert_allclose(out, expected, rtol=1e-12)
    sample = x[0] if batch_first else x[:, 0]  # one unbatched sequence (S, E) = (5, 6)
    np.testing.assert_allclose(pe(gu.tensor(sample))._data, sample + table, rtol=1e-12)
    assert list(pe.state_dict()) == [] and list(pe.parameters()) == []  # nothing to learn


def test_learned_encoding_trains_only_the_rows_it_used():
    pe = nn.LearnedPositionalEncoding(4, max_len=10, batch_first=True, dtype=np.float64)
    assert list(pe.state_dict()) == ["weight"] and pe.weight.shape == (10, 4)
    assert 0.01 < pe.weight._data.std() < 0.04  # N(0, 0.02^2)
    x = gu.tensor(randn(2, 6, 4), requires_grad=True)
    out = pe(x)
    np.testing.assert_allclose(out._data, x._data + pe.weight._data[:6], rtol=1e-12)
    out.sum().backward()
    np.testing.assert_array_equal(pe.weight.grad._data[:6], 2.0)  # summed over the batch of 2
    np.testing.assert_array_equal(pe.weight.grad._data[6:], 0.0)
    np.testing.assert_array_equal(x.grad._data, 1.0)


def test_dropout_applies_in_training_only():
    pe = nn.SinusoidalPositionalEncoding(8, max_len=16, dropout=0.5)
    x = gu.tensor(np.ones((16, 2, 8), np.float32))
    assert (pe(x)._data == 0).mean() > 0.3
    pe.eval()
    assert (pe(x)._data == 0).mean() == 0


def test_float32_stays_float32():
    pe = nn.SinusoidalPositionalEncoding(8, max_len=16)
    assert pe(gu.tensor(randn(4, 2, 8, dtype=np.float32))).dtype == np.float32


@pytest.mark.parametrize("cls", [nn.SinusoidalPositionalEncoding, nn.LearnedPositionalEncoding])
def test_sequence_longer_than_the_table_is_an_error(cls):
    pe = cls(8, max_len=16, batch_first=True)
    pe(gu.tensor(randn(2, 16, 8, dtype=np.float32)))  # exactly max_len is fine
    with pytest.raises(ValueError, match=r"\(2, 17, 8\) has 17 positions.*max_len=16.*>= 17"):
        pe(gu.tensor(randn(2, 17, 8, dtype=np.float32)))
    with pytest.raises(ValueError, match=r"expected input .*8\).*got \(2, 5, 6\)"):
        pe(gu.tensor(randn(2, 5, 6, dtype=np.float32)))

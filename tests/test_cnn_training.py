"""CNNs train to their targets: a short digits run in the default suite; the full digits
run (>= 0.985) and the MNIST-1D benchmark (published CNN 94%, 56% shuffled; MLP 68%) are
marked slow (run them with `pytest -m slow`)."""

import numpy as np
import pytest

from groundup.data.datasets import digits
from groundup.lab.experiments.cnn_training import (
    accuracy,
    digits_cnn_run,
    mnist1d_run,
    random_shift,
    train_classifier,
)
from groundup.models import DigitsCNN
from groundup.random import manual_seed


def test_short_digits_run_reaches_095():
    """8 of the recipe's 100 epochs (a few seconds) already pass 0.95; the full run is slow."""
    acc, _ = digits_cnn_run(seed=0, epochs=8)
    assert acc >= 0.95


def test_training_loop_learns_and_is_reproducible():
    data = digits(flatten=False)
    runs = []
    for _ in range(2):
        manual_seed(0)
        model = DigitsCNN(channels=(8,), hidden=32, dropout=0.0)
        losses = train_classifier(model, data.x_train, data.y_train, steps=60, lr=5e-3,
                                  batch_size=64)  # fmt: skip
        runs.append((losses, accuracy(model, data.x_test, data.y_test)))
    assert runs[0] == runs[1]  # same seed, same run
    losses, acc = runs[0]
    assert np.mean(losses[-10:]) < 0.5 * np.mean(losses[:10]) and acc > 0.7


def test_random_shift_moves_images_by_at_most_one_pixel():
    x = np.zeros((50, 1, 8, 8), np.float32)
    x[:, 0, 4, 4] = 1
    shifted = random_shift(x, np.random.default_rng(0))
    rows, cols = np.nonzero(shifted[:, 0].sum(axis=0))
    assert shifted.sum() == 50 and set(rows) <= {3, 4, 5} and set(cols) <= {3, 4, 5}
    assert len(set(zip(rows, cols, strict=True))) > 4  # it does move them


@pytest.mark.slow
def test_digits_cnn_reaches_0985():
    acc, _ = digits_cnn_run(seed=0)
    assert acc >= 0.985


@pytest.mark.slow
def test_mnist1d_benchmark_and_the_shuffled_positions():
    cnn, _, _ = mnist1d_run("cnn", shuffled=False, steps=6000)
    cnn_shuffled, _, _ = mnist1d_run("cnn", shuffled=True, steps=6000)
    mlp, _, _ = mnist1d_run("mlp", shuffled=False, steps=6000)
    mlp_shuffled, _, _ = mnist1d_run("mlp", shuffled=True, steps=6000)
    assert 0.92 <= cnn <= 0.96  # published 94%, within 2 points
    assert cnn_shuffled <= 0.62  # published 56%: the CNN falls
    assert 0.6 <= mlp <= 0.72 and abs(mlp - mlp_shuffled) < 0.04  # published 68%, unchanged

"""accuracy and confusion_matrix against hand counts and scikit-learn."""

import numpy as np
import pytest
from sklearn.metrics import confusion_matrix as sk_confusion_matrix

import groundup as gu
from groundup.train import accuracy, confusion_matrix


def test_accuracy_from_logits_and_from_labels():
    logits = np.array([[2.0, 1.0, 0.0], [0.0, 3.0, 1.0], [0.5, 0.2, 0.9], [1.0, 0.0, 0.0]])
    targets = np.array([0, 1, 1, 2])
    assert accuracy(logits, targets) == 0.5  # argmax 0, 1, 2, 0
    assert accuracy(gu.tensor(logits), gu.tensor(targets)) == 0.5
    assert accuracy(np.array([0, 1, 1, 2]), targets) == 1.0


def test_accuracy_rejects_mismatched_shapes_and_empty_input():
    with pytest.raises(ValueError, match="do not match"):
        accuracy(np.zeros(3), np.zeros(4))
    with pytest.raises(ValueError, match="no samples"):
        accuracy(np.zeros((0, 3)), np.zeros(0))


def test_confusion_matrix_matches_sklearn():
    rng = np.random.default_rng(0)
    targets = rng.integers(0, 4, 200)
    logits = rng.standard_normal((200, 4)) + 2 * np.eye(4)[targets]
    m = confusion_matrix(logits, targets, 4)
    expected = sk_confusion_matrix(targets, logits.argmax(1), labels=range(4))
    np.testing.assert_array_equal(m, expected)
    assert m.dtype == np.int64 and m.sum() == 200
    np.testing.assert_array_equal(m.sum(1), np.bincount(targets, minlength=4))  # rows: truth
    assert np.trace(m) / 200 == accuracy(logits, targets)


def test_confusion_matrix_counts_by_hand_and_checks_range():
    m = confusion_matrix(np.array([0, 2, 2, 1]), np.array([0, 1, 2, 1]), 3)
    np.testing.assert_array_equal(m, [[1, 0, 0], [0, 1, 1], [0, 0, 1]])
    with pytest.raises(ValueError, match=r"targets must lie in \[0, 3\)"):
        confusion_matrix(np.array([0]), np.array([3]), 3)
    with pytest.raises(ValueError, match="predictions must lie"):
        confusion_matrix(np.array([-1]), np.array([0]), 3)

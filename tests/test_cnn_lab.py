"""The CNN lab experiments: each runs at the quick size, makes its claims hold, draws its
figures, and cites questions that exist in the CNN question bank."""

import pytest

from groundup.lab.bank import load_bank
from groundup.lab.registry import all_experiments, run

CNN_EXPERIMENTS = [
    "cnn.param-count-table",
    "cnn.conv-as-matrix",
    "cnn.same-padding",
    "cnn.pooling-no-params",
    "cnn.multi-channel-sum",
    "cnn.im2col-vs-loops",
    "cnn.shuffled-pixels",
    "cnn.learned-filters",
    "cnn.autoencoder-latent",
]


@pytest.mark.parametrize("experiment_id", CNN_EXPERIMENTS)
def test_experiment_claims_hold_at_quick_size(experiment_id):
    result = run(experiment_id, seed=0, size="quick")
    assert result.passed, result.report()
    assert result.figures and len(result.metrics) > 0
    for figure in result.figures.values():
        assert figure.axes  # something was drawn


def test_experiments_cite_existing_cnn_questions():
    bank = load_bank()
    registered = {e.id: e for e in all_experiments()}
    for experiment_id in CNN_EXPERIMENTS:
        assert experiment_id in registered
        for question in registered[experiment_id].questions:
            assert question in bank, f"{experiment_id} cites unknown question {question}"

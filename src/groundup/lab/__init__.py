"""The lab: the interview question bank and the experiments that demonstrate its answers.

>>> from groundup.lab import load_bank, run
>>> bank = load_bank()
>>> [q.id for q in bank.chain("mlp.gd-loss-goes-up")]
['mlp.gd-easy', 'mlp.gd-why-gradient', 'mlp.gd-loss-goes-up']
>>> run("init.zero-symmetry").passed
True
"""

from groundup.lab.bank import BankError, QuestionBank, load_bank, resolve_code_path
from groundup.lab.registry import (
    Experiment,
    ExperimentError,
    ExperimentResult,
    Table,
    all_experiments,
    check_question_links,
    experiment,
    get_experiment,
    run,
)
from groundup.lab.schema import Question, Text, TextList, TopicFile

__all__ = [
    "BankError",
    "Experiment",
    "ExperimentError",
    "ExperimentResult",
    "Question",
    "QuestionBank",
    "Table",
    "Text",
    "TextList",
    "TopicFile",
    "all_experiments",
    "check_question_links",
    "experiment",
    "get_experiment",
    "load_bank",
    "resolve_code_path",
    "run",
]

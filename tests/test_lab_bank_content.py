"""What the bank says: corrected answers, follow-up coverage, and honest `planned_*` lists."""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

from groundup.lab.bank import QuestionBank, load_bank, resolve_code_path, stale_planned_code
from groundup.lab.registry import (
    ExperimentResult,
    check_question_links,
    experiment,
    run,
    unregister,
)

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def bank() -> QuestionBank:
    return load_bank()


def _tool() -> ModuleType:
    name = "link_experiments_under_test"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, ROOT / "tools" / "link_experiments.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


# ------------------------------------------------------------ planned lists
def _planned_paths() -> list[tuple[str, str]]:
    return sorted({(p, q.id) for q in load_bank() for p in q.planned_code})


@pytest.mark.parametrize(("path", "qid"), _planned_paths())
def test_planned_code_does_not_exist_yet(path: str, qid: str) -> None:
    """The CLI prints planned paths as "(planned)"; code that exists belongs in `code`."""
    try:
        resolve_code_path(path)
    except (ImportError, AttributeError):
        return
    pytest.fail(f"{qid}: {path} exists; move it to `code` (tools/link_experiments.py does)")


def test_no_stale_planned_code(bank: QuestionBank) -> None:
    assert stale_planned_code(bank) == []


def test_stale_planned_code_is_reported(tmp_path: Path) -> None:
    (tmp_path / "demo.yaml").write_text(
        "topic: demo\nid_prefix: demo\ntitle: {ko: 주제, en: Topic}\nquestions:\n"
        "  - id: demo.q\n    difficulty: easy\n    tags: [basics]\n"
        "    question: {ko: 질문, en: Question?}\n    answer: {ko: 답, en: Answer.}\n"
        "    planned_code:\n      - groundup.nn.init.xavier_uniform_\n"
        "      - groundup.nn.init.not_written_yet\n",
        encoding="utf-8",
    )
    stale = stale_planned_code(load_bank(tmp_path))
    assert stale == [
        "demo.q: groundup.nn.init.xavier_uniform_ exists; move it from `planned_code` to `code`"
    ]


def test_link_tool_moves_landed_code(tmp_path: Path) -> None:
    path = tmp_path / "demo.yaml"
    path.write_text(
        "questions:\n"
        "  - id: demo.a\n    code:\n      - groundup.one\n    planned_code:\n"
        "      - groundup.two\n      - groundup.later\n    references:\n      - x\n"
        "  - id: demo.b\n    planned_code:\n      - groundup.two\n"
        "  - id: demo.c\n    planned_code:\n      - groundup.later\n",
        encoding="utf-8",
    )
    changes = _tool().promote_code(path, exists=lambda p: p != "groundup.later")
    assert [c.split(":")[0] for c in changes] == ["demo.a", "demo.b"]
    assert path.read_text(encoding="utf-8") == (
        "questions:\n"
        "  - id: demo.a\n    code:\n      - groundup.one\n      - groundup.two\n"
        "    planned_code:\n      - groundup.later\n    references:\n      - x\n"
        "  - id: demo.b\n    code:\n      - groundup.two\n"
        "  - id: demo.c\n    planned_code:\n      - groundup.later\n"
    )
    assert _tool().promote_code(path, exists=lambda p: p != "groundup.later") == []


@pytest.fixture
def scratch() -> Iterator[list[str]]:
    ids: list[str] = []
    yield ids
    for eid in ids:
        unregister(eid)


def test_a_registered_planned_experiment_is_caught(tmp_path: Path, scratch: list[str]) -> None:
    """Planned but already registered, even when the experiment cites another question."""
    (tmp_path / "demo.yaml").write_text(
        "topic: demo\nid_prefix: demo\ntitle: {ko: 주제, en: Topic}\nquestions:\n"
        "  - id: demo.q\n    difficulty: easy\n    tags: [basics]\n"
        "    question: {ko: 질문, en: Question?}\n    answer: {ko: 답, en: Answer.}\n"
        "    experiments: [demo.elsewhere]\n"
        "  - id: demo.r\n    difficulty: easy\n    tags: [basics]\n"
        "    question: {ko: 질문, en: Question?}\n    answer: {ko: 답, en: Answer.}\n"
        "    planned_experiments: [demo.elsewhere]\n",
        encoding="utf-8",
    )

    @experiment(id="demo.elsewhere", questions=["demo.q"], title="x")
    def elsewhere(seed: int, size: str) -> ExperimentResult:
        return ExperimentResult()

    scratch.append("demo.elsewhere")
    problems = check_question_links(load_bank(tmp_path))
    assert any("'demo.r' plans experiment 'demo.elsewhere'" in p for p in problems), problems


def test_the_tool_reports_registered_planned_experiments() -> None:
    assert _tool().stale_planned_experiments({"no.such-experiment"}) == []
    bank = load_bank()
    planned = {e for q in bank for e in q.planned_experiments}
    if planned:
        some = sorted(planned)[0]
        assert any(repr(some) in line for line in _tool().stale_planned_experiments({some}))


# ---------------------------------------------------------------- follow-ups
def test_every_root_has_a_follow_up(bank: QuestionBank) -> None:
    lonely = [q.id for q in bank.roots() if not bank.children(q.id)]
    assert not lonely, f"root questions without follow-ups: {lonely}"


def test_the_notes_lead_question_has_follow_ups(bank: QuestionBank) -> None:
    assert len(bank.children("tf.three-attentions")) >= 2


def test_pushback_follow_ups(bank: QuestionBank) -> None:
    pushbacks = bank.by_tag("pushback")
    assert len(pushbacks) >= 10
    for q in pushbacks:
        assert q.parent is not None, f"{q.id}: a pushback answers a previous answer"


def test_global_vs_local_attention(bank: QuestionBank) -> None:
    q = bank["s2s.global-vs-local-attention"]
    assert q.parent == "s2s.bahdanau-vs-luong"
    assert bank.topic_of(q.id) == "seq2seq_attention"
    for text in (q.answer.en, q.answer.ko):
        assert "2D + 1" in text and "p_t" in text and "σ = D/2" in text.replace("sigma", "σ")
    assert "Gaussian" in q.answer.en and "가우시안" in q.answer.ko
    assert any("Luong" in r for r in q.references)


# -------------------------------------------------------- corrected answers
def test_xavier_default_gain(bank: QuestionBank) -> None:
    q = bank["init.xavier"]
    for text in (q.answer.ko, q.answer.en):
        assert 'calculate_gain("tanh")' in text
    assert "gain 1" in q.answer.en and "gain이 1" in q.answer.ko
    assert "multiplies by a gain of 5/3" not in q.answer.en


def test_bn_vs_ln_running_statistics(bank: QuestionBank) -> None:
    q = bank["norm.bn-vs-ln"]
    assert "running" in q.answer.en and "누적" in q.answer.ko
    assert "batch statistics do not exist" not in q.answer.en
    assert "배치 통계를 쓸 수 없다" not in q.answer.ko
    for word in ("padding", "mismatch"):
        assert q.key_points is not None and word in " ".join(q.key_points.en)


def test_lstm_gates_follow_pytorch(bank: QuestionBank) -> None:
    q = bank["rnn.lstm-gates"]
    for text in (q.answer.ko, q.answer.en):
        for name in ("W_ih", "W_hh", "b_ih", "b_hh", "i, f, g, o"):
            assert name in text, name
        assert "U_h" not in text


def test_teacher_forcing_names_scheduled_sampling(bank: QuestionBank) -> None:
    q = bank["s2s.teacher-forcing"]
    assert "scheduled sampling" in q.answer.en and "스케줄드 샘플링" in q.answer.ko
    assert "Beam search is not a remedy" in q.answer.en
    assert "해결책이 아니다" in q.answer.ko


def test_label_smoothing_korean_matches_the_formula(bank: QuestionBank) -> None:
    q = bank["reg.label-smoothing"]
    assert "나머지 K개" not in q.answer.ko
    assert "1 − ε + ε/K" in q.answer.ko and "1 - eps + eps/K" in q.answer.en


def test_bn_effect_does_not_overclaim(bank: QuestionBank) -> None:
    q = bank["norm.bn-effect"]
    assert "no longer diverge" not in q.answer.en
    assert "still diverges" in q.answer.en and "발산한다" in q.answer.ko


def test_update_rules_follow_the_valley_measurement(bank: QuestionBank) -> None:
    """The answer quotes opt.optimizers-on-valley; the numbers must be the measured ones."""
    q = bank["opt.update-rules-compare"]
    assert "AdaGrad ends closest" not in q.answer.en
    rows = [r for r in run("opt.optimizers-on-valley").metrics if r["setup"].startswith("DLFS")]
    f = {r["optimizer"]: float(r["f"]) for r in rows}
    assert min(f, key=f.get) == "RMSprop"
    book = {k: v for k, v in f.items() if k in ("SGD", "Momentum", "AdaGrad", "Adam")}
    assert min(book, key=book.get) == "AdaGrad"
    for name in ("RMSprop", "AdaGrad"):
        quoted = f"{f[name]:.1e}".replace("e-0", "e-")
        assert quoted in q.answer.en and quoted in q.answer.ko, (name, quoted)

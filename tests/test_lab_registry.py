"""The experiment registry: registration, running, results, figures and question links."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from groundup.lab import registry
from groundup.lab.bank import load_bank
from groundup.lab.registry import (
    DuplicateExperimentError,
    ExperimentError,
    ExperimentResult,
    Table,
    all_experiments,
    check_question_links,
    experiment,
    get_experiment,
    run,
)

EXPERIMENT_IDS = [e.id for e in all_experiments()]


@pytest.fixture
def scratch() -> Iterator[list[str]]:
    """Ids registered during a test; removed afterwards so tests stay independent."""
    ids: list[str] = []
    yield ids
    for eid in ids:
        registry.unregister(eid)


@pytest.fixture(scope="module")
def zero_symmetry() -> ExperimentResult:
    return run("init.zero-symmetry", seed=0, size="quick")


# -------------------------------------------------------------- every experiment
@pytest.mark.parametrize("eid", EXPERIMENT_IDS)
def test_every_experiment_passes_its_claims_at_quick_size(eid: str) -> None:
    result = run(eid, seed=0, size="quick")
    assert result.claims, f"{eid} made no claims"
    assert result.passed, f"{eid} failed claims: {result.failed()}\n{result.report()}"


def test_builtin_experiments_are_registered() -> None:
    assert "init.zero-symmetry" in EXPERIMENT_IDS
    exp = get_experiment("init.zero-symmetry")
    assert exp.questions == ("init.zero-init",)
    assert exp.sizes == ("quick", "full")


def test_experiments_and_questions_link_both_ways() -> None:
    assert check_question_links() == []


# ------------------------------------------------------------- the example run
def test_run_returns_claims_metrics_and_figures(zero_symmetry: ExperimentResult) -> None:
    r = zero_symmetry
    assert r.experiment_id == "init.zero-symmetry" and r.seed == 0 and r.size == "quick"
    assert set(r.claims) == {
        "zero_weights_never_move",
        "zero_init_predicts_a_constant",
        "constant_units_stay_identical",
        "random_init_breaks_symmetry",
    }
    assert all(r.statements[c] for c in r.claims)
    assert r.metrics.column("init") == ["zeros", "constant", "random"]
    rank = dict(zip(r.metrics.column("init"), r.metrics.column("unit_rank"), strict=True))
    assert rank["zeros"] == 0 and rank["constant"] == 1 and rank["random"] > 1
    assert "zero_symmetry" in r.figures
    text = r.report()
    assert "[PASS] constant_units_stay_identical" in text and "final_loss" in text


def test_same_seed_gives_the_same_numbers(zero_symmetry: ExperimentResult) -> None:
    again = run("init.zero-symmetry", seed=0, size="quick")
    assert again.metrics.column("final_loss") == zero_symmetry.metrics.column("final_loss")


def test_figures_are_saved_on_request(tmp_path: Path, zero_symmetry: ExperimentResult) -> None:
    paths = zero_symmetry.save_figures(tmp_path / "figs")
    assert [p.name for p in paths] == ["zero_symmetry.png"]
    assert paths[0].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


# ------------------------------------------------------------------ registration
def test_registering_a_duplicate_id_raises(scratch: list[str]) -> None:
    @experiment(id="demo.once", questions=["init.zero-init"], title="first")
    def first(seed: int, size: str) -> ExperimentResult:
        r = ExperimentResult()
        r.claim("ok", True, "always holds")
        return r

    scratch.append("demo.once")
    with pytest.raises(DuplicateExperimentError, match="already registered"):

        @experiment(id="demo.once", questions=["init.zero-init"], title="second")
        def second(seed: int, size: str) -> ExperimentResult:
            return ExperimentResult()

    assert get_experiment("demo.once").title == "first"
    with pytest.raises(DuplicateExperimentError):
        experiment(id="init.zero-symmetry", questions=["init.zero-init"], title="x")(first)


def test_bad_registrations_raise() -> None:
    with pytest.raises(ExperimentError, match="must look like"):
        experiment(id="NoDots", questions=["init.zero-init"], title="x")
    with pytest.raises(ExperimentError, match="at least one question"):
        experiment(id="demo.no-questions", questions=[], title="x")
    with pytest.raises(ExperimentError, match="sizes"):
        experiment(id="demo.bad-size", questions=["init.zero-init"], title="x", sizes=("huge",))


def test_run_checks_id_size_and_result_shape(scratch: list[str]) -> None:
    with pytest.raises(ExperimentError, match="no experiment"):
        run("demo.missing")
    with pytest.raises(ExperimentError, match="sizes"):
        run("init.zero-symmetry", size="medium")

    @experiment(id="demo.no-claims", questions=["init.zero-init"], title="x", sizes=("quick",))
    def no_claims(seed: int, size: str) -> ExperimentResult:
        return ExperimentResult()

    @experiment(id="demo.wrong-type", questions=["init.zero-init"], title="x")
    def wrong_type(seed: int, size: str) -> ExperimentResult:
        return {"claims": {}}  # type: ignore[return-value]

    scratch += ["demo.no-claims", "demo.wrong-type"]
    with pytest.raises(ExperimentError, match="made no claims"):
        run("demo.no-claims")
    with pytest.raises(ExperimentError, match="sizes"):
        run("demo.no-claims", size="full")
    with pytest.raises(ExperimentError, match="expected ExperimentResult"):
        run("demo.wrong-type")


def test_a_false_claim_is_reported_not_hidden(scratch: list[str]) -> None:
    @experiment(id="demo.fails", questions=["init.zero-init"], title="x")
    def fails(seed: int, size: str) -> ExperimentResult:
        r = ExperimentResult(metrics=[{"seed": seed, "size": size}])
        r.claim("holds", True, "one equals one")
        r.claim("breaks", seed > 10, "the seed exceeds ten")
        return r

    scratch.append("demo.fails")
    result = run("demo.fails", seed=3)
    assert not result.passed and result.failed() == ["breaks"]
    assert "[FAIL] breaks: the seed exceeds ten" in result.report()
    assert run("demo.fails", seed=11).passed


def test_links_to_unknown_questions_are_detected(scratch: list[str]) -> None:
    @experiment(id="demo.orphan", questions=["nope.missing", "init.zero-init"], title="x")
    def orphan(seed: int, size: str) -> ExperimentResult:
        return ExperimentResult()

    scratch.append("demo.orphan")
    problems = check_question_links(load_bank())
    assert any("unknown question 'nope.missing'" in p for p in problems)
    assert any("does not list it" in p for p in problems)


def test_a_landed_planned_experiment_must_be_promoted(tmp_path: Path, scratch: list[str]) -> None:
    (tmp_path / "demo.yaml").write_text(
        "topic: demo\nid_prefix: demo\ntitle: {ko: 주제, en: Topic}\nquestions:\n"
        "  - id: demo.q\n    difficulty: easy\n    tags: [basics]\n"
        "    question: {ko: 질문, en: Question?}\n    answer: {ko: 답, en: Answer.}\n"
        "    planned_experiments: [demo.landed]\n"
    )

    @experiment(id="demo.landed", questions=["demo.q"], title="x")
    def landed(seed: int, size: str) -> ExperimentResult:
        return ExperimentResult()

    scratch.append("demo.landed")
    problems = check_question_links(load_bank(tmp_path))
    assert any("move it from `planned_experiments` to `experiments`" in p for p in problems)


# ---------------------------------------------------------------------- results
def test_claims_need_unique_names() -> None:
    r = ExperimentResult()
    assert r.claim("a", 1 == 1, "true") is True
    with pytest.raises(ExperimentError, match="twice"):
        r.claim("a", True, "again")
    assert not ExperimentResult().passed


def test_table_prints_aligned_and_as_markdown() -> None:
    t = Table([{"name": "sgd", "loss": 0.123456}, {"name": "adam", "loss": 2.0, "steps": 30}])
    assert t.columns == ["name", "loss", "steps"]
    assert t.column("loss") == [0.123456, 2.0]
    lines = str(t).splitlines()
    assert lines[0].split() == ["name", "loss", "steps"]
    assert "0.1235" in lines[2] and len({len(line) for line in lines}) == 1
    assert t.to_markdown().splitlines()[1] == "|---|---|---|"
    with pytest.raises(KeyError):
        t.column("lr")
    assert str(Table()) == "(empty table)"

"""`groundup lab interview`: chains walked while the grades hold, the clock, the summary."""

from __future__ import annotations

import io
import sqlite3
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from groundup.cli import main
from groundup.lab.bank import load_bank
from groundup.lab.practice.interview import Interview
from groundup.lab.practice.scheduler import Scheduler
from groundup.lab.practice.session import NOW_VARIABLE, fixed_clock
from groundup.lab.practice.store import Review, Store
from tests.test_lab_practice_support import (
    KST,
    Candidate,
    StepClock,
    chain_bank,
    console_for,
    make_bank,
    question,
    scripted,
)

NOW = datetime(2025, 3, 3, 19, 0, tzinfo=KST)


def grades_by_card(plan: dict[str, str]):  # type: ignore[no-untyped-def]
    """A candidate who grades each card as `plan` says (good by default)."""

    def policy(kind: str, card: str, c: Candidate) -> str | None:
        return plan.get(card, "good") if kind == "grade" else ""

    return policy


def test_chains_go_deeper_while_the_grades_hold_and_stop_at_the_first_miss(
    tmp_path: Path,
) -> None:
    bank = chain_bank(3, 3)
    plan = {"demo.c0-2": "hard", "demo.c1-1": "again"}
    console, screen, _ = console_for(grades_by_card(plan))
    with Store(tmp_path / "p.sqlite3") as store:
        result = Interview(bank, store, console, now=fixed_clock(NOW), seed=0).run()
        saved = store.interviews()
        modes = {r.mode for r in store.reviews()}
    by_root = {c.root: c for c in result.chains}
    assert (by_root["demo.c0-1"].depth, by_root["demo.c0-1"].broke_at) == (1, "demo.c0-2")
    assert (by_root["demo.c1-1"].depth, by_root["demo.c1-1"].broke_at) == (0, "demo.c1-1")
    assert (by_root["demo.c2-1"].depth, by_root["demo.c2-1"].ended) == (3, "complete")
    assert all(c.max_depth == 3 for c in result.chains)
    assert result.questions == 2 + 1 + 3
    assert sorted(result.to_review) == ["demo.c0-2", "demo.c1-1"]
    out = screen.getvalue()
    assert "demo.c0-1 · easy · demo · chain" in out
    assert "chain 1 · depth 1 of 3" in out and "The interviewer digs deeper:" in out
    assert "Mock interview over: 3 chains, 6 questions, 0 min." in out
    assert "depth 1 of 3  broke at demo.c0-2 (hard)" in out
    assert "depth 3 of 3  complete" in out
    assert "To review: " in out and "demo.c1-1" in out.rsplit("To review: ", 1)[1]
    # saved: the interview, its chains in order, its grades as FSRS reviews
    assert len(saved) == 1 and [c.root for c in saved[0].chains] == [c.root for c in result.chains]
    assert saved[0].ended is not None and modes == {"interview"}


def test_the_time_limit_stops_the_interview_before_the_next_question(tmp_path: Path) -> None:
    bank = chain_bank(4, 3)
    clock = StepClock(NOW)

    def policy(kind: str, card: str, c: Candidate) -> str | None:
        if kind == "grade":
            clock.advance(minutes=4)  # every answer takes four minutes
            return "easy"
        return ""

    console, screen, _ = console_for(policy)
    with Store(tmp_path / "p.sqlite3") as store:
        result = Interview(bank, store, console, minutes=10, now=clock, seed=1).run()
    # questions at 0, 4 and 8 minutes; at 12 the limit of 10 has passed
    assert result.questions == 3
    assert [(c.depth, c.ended) for c in result.chains] == [(3, "complete")]
    console, screen, _ = console_for(policy)
    with Store(tmp_path / "q.sqlite3") as store:
        result = Interview(bank, store, console, minutes=6, now=clock, seed=1).run()
    assert [(c.depth, c.ended) for c in result.chains] == [(2, "time")]
    assert "Time is up." in screen.getvalue()
    assert "depth 2 of 3  stopped by the clock" in screen.getvalue()
    assert "Mock interview over: 1 chains, 2 questions, 8 min." in screen.getvalue()


def test_end_of_input_keeps_every_grade_and_the_chains_so_far(tmp_path: Path) -> None:
    bank = chain_bank(2, 3)
    console, screen, _ = console_for(scripted(["", "", "good", "", "", "good", "", ""]))
    path = tmp_path / "p.sqlite3"
    with Store(path) as store:
        result = Interview(bank, store, console, now=fixed_clock(NOW), seed=0).run()
    assert [(c.depth, c.ended) for c in result.chains] == [(2, "stopped")]
    with sqlite3.connect(path) as conn:
        assert conn.execute("SELECT count(*) FROM reviews").fetchone()[0] == 2
        assert conn.execute("SELECT ended FROM chains").fetchall() == [("stopped",)]
    assert "depth 2 of 3  stopped" in screen.getvalue()


def test_roots_with_follow_ups_come_first_and_the_weakest_follow_up_is_asked(
    tmp_path: Path,
) -> None:
    bank = make_bank(
        {
            "demo": [
                question("demo.alone"),
                question("demo.root"),
                question("demo.known", parent="demo.root"),
                question("demo.unknown", parent="demo.root"),
            ]
        }
    )
    with Store(tmp_path / "p.sqlite3") as store:
        # demo.known was recalled easily yesterday: high retrievability; demo.unknown unseen
        yesterday = NOW - timedelta(days=1)
        card = Scheduler().review(None, "demo.known", "demo", 4, yesterday, "2025-03-02")
        store.save_review(card, Review("demo.known", "demo", yesterday, "2025-03-02", 4, card.due))
        console, screen, _ = console_for(grades_by_card({"demo.unknown": "hard"}))
        result = Interview(bank, store, console, now=fixed_clock(NOW), seed=3).run()
    assert [c.root for c in result.chains] == ["demo.root", "demo.alone"]
    assert result.chains[0].broke_at == "demo.unknown"
    assert "demo.known · " not in screen.getvalue()


def test_interview_command_in_korean_and_its_errors(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "p.sqlite3"
    monkeypatch.setenv(NOW_VARIABLE, NOW.isoformat())
    monkeypatch.setattr("sys.stdin", io.StringIO("\n1\ngood\n\n\nhard\n"))
    args = ["lab", "interview", "--topic", "initialization", "--lang", "ko", "--db", str(db)]
    assert main([*args, "--seed", "0"]) == 0
    out = capsys.readouterr().out
    bank = load_bank()
    assert "모의 면접: 30분, 체인 1개 중에서 묻습니다." in out
    assert "init.methods · 난이도 중 · initialization · 체인 1 · 깊이 1/4" in out
    assert "면접관이 꼬리 질문을 이어 갑니다:" in out
    assert "모의 면접 끝: 체인 1개, 질문 2개, 0분." in out
    assert "깊이 1/4" in out and "에서 막힘 (hard 어려움)" in out
    assert "복습할 질문: " in out
    assert len(bank.roots("initialization")) == 1
    assert main(["lab", "interview", "--topic", "rnns", "--db", str(db)]) == 1
    err = capsys.readouterr().err.strip()
    assert err == "groundup lab interview: error: no topic 'rnns'; did you mean rnn, cnn?"
    assert main(["lab", "interview", "--minutes", "0", "--db", str(db)]) == 2
    assert "must be positive" in capsys.readouterr().err

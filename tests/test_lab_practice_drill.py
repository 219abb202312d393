"""`groundup lab drill`: a card's steps, follow-ups, experiments, limits, bad input, speed."""

from __future__ import annotations

import io
import sqlite3
import statistics
import time
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from groundup.cli import main
from groundup.lab import registry
from groundup.lab.bank import load_bank
from groundup.lab.practice import commands
from groundup.lab.practice.drill import Drill
from groundup.lab.practice.session import NOW_VARIABLE, Console, fixed_clock, use_color
from groundup.lab.practice.store import Store
from groundup.lab.practice.texts import PracticeError
from groundup.lab.registry import ExperimentResult, Table, experiment
from tests.test_lab_practice_support import (
    KST,
    Candidate,
    Screen,
    chain_bank,
    console_for,
    make_bank,
    question,
    scripted,
)

BANK = load_bank()
DAY1 = datetime(2025, 3, 3, 9, 0, tzinfo=KST)


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "practice.sqlite3"


def drill_cli(
    args: list[str],
    lines: list[str],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    now: datetime = DAY1,
) -> tuple[int, str, str]:
    monkeypatch.setenv(NOW_VARIABLE, now.isoformat())
    monkeypatch.setattr("sys.stdin", io.StringIO("".join(line + "\n" for line in lines)))
    status = main(["lab", "drill", *args])
    out, err = capsys.readouterr()
    return status, out, err


def reviews(path: Path) -> list[tuple[str, int, str, str]]:
    with sqlite3.connect(path) as conn:
        rows = conn.execute("SELECT qid, rating, answer, points_hit FROM reviews ORDER BY id")
        return list(rows)


def one_line(err: str) -> str:
    assert "Traceback" not in err
    assert len(err.strip().splitlines()) == 1, err
    return err.strip()


# ---------------------------------------------------------------------------- a card
def test_a_card_over_a_pipe_reveals_everything_and_saves_the_grade(
    db: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    status, out, err = drill_cli(
        ["--topic", "initialization", "--new", "1", "--db", str(db)],
        ["symmetry breaks", "1 3", "good"],
        monkeypatch,
        capsys,
    )
    assert status == 0 and err == ""
    q = BANK["init.methods"]  # the first question of the topic
    assert q.key_points is not None and q.common_mistake is not None
    flat = " ".join(out.split())
    assert "[1/1] init.methods · medium · initialization · new" in out
    for text in (q.question.en, q.answer.en, q.common_mistake.en):
        assert " ".join(text.split()) in flat
    for i, point in enumerate(q.key_points.en, 1):
        assert f"{i}. {point}" in flat
    assert "your answer> symmetry breaks" in out  # a piped line is echoed after its prompt
    assert "good: next review in 2 days (2025-03-05)" in out
    assert "\x1b[" not in out  # no colour into a pipe
    # good brings the follow-up, then the input ends: one grade, saved, and a summary
    assert "The interviewer digs deeper:" in out
    assert out.rstrip().splitlines()[-1].startswith("Drill over: 1 cards (again 0")
    assert reviews(db) == [("init.methods", 3, "symmetry breaks", "1 3")]


def test_korean_session_speaks_korean_and_takes_korean_grades(
    db: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    status, out, _ = drill_cli(
        ["--topic", "initialization", "--new", "1", "--lang", "ko", "--db", str(db)],
        ["대칭을 깬다", "", "좋음"],
        monkeypatch,
        capsys,
    )
    assert status == 0
    q = BANK["init.methods"]
    assert " ".join(q.question.ko.split()) in " ".join(out.split())
    for word in ("내 답> 대칭을 깬다", "모범 답안", "핵심", "흔한 실수", "난이도 중", "새 카드"):
        assert word in out
    assert "good 좋음: 2일 뒤(2025-03-05)에 다시 복습합니다" in out
    assert "면접관이 꼬리 질문을 이어 갑니다:" in out
    assert "복습 끝: 카드 1장" in out
    assert reviews(db) == [("init.methods", 3, "대칭을 깬다", "")]


def test_a_bad_grade_or_point_is_asked_again_with_one_line(db: Path) -> None:
    bank = chain_bank(1, 1)
    console, screen, _ = console_for(scripted(["", "7", "1 x", "2 1", "meh", "5", "Easy"]))
    with Store(db) as store:
        Drill(bank, store, console, now=fixed_clock(DAY1)).run()
    out = screen.getvalue()
    assert out.count("type the numbers (1-2) of the points you hit") == 2
    assert out.count("a grade is one of again, hard, good, easy, or 1-4") == 2
    assert reviews(db) == [("demo.c0-1", 4, "", "1 2")]


# ---------------------------------------------------------------------------- chains
def test_good_asks_the_follow_up_next_and_again_offers_the_experiment(
    db: Path, scratch_experiment: list[int]
) -> None:
    bank = make_bank(
        {
            "demo": [
                question("demo.root"),
                question("demo.child", parent="demo.root", experiments=("demo.proof",)),
                question("demo.other"),
            ]
        }
    )
    lines = ["", "", "good", "", "", "again", "r", "", "", "hard"]
    console, screen, _ = console_for(scripted(lines))
    with Store(db) as store:
        result = Drill(bank, store, console, now=fixed_clock(DAY1), new_limit=1).run()
    out = screen.getvalue()
    assert screen.headers[1].startswith("[2/2] demo.child · easy · demo · follow-up of demo.root")
    assert "demo.proof shows this answer at work: r runs it (quick size), Enter skips> r" in out
    assert "PASS holds: the demo claim holds" in out
    assert "demo.proof: 1 of 1 claims hold" in out
    assert scratch_experiment == [0]  # run once, through the registry, at seed 0
    # the follow-up was a new card beyond the limit of one: it is shown but the limit holds
    assert [g.qid for g in result.graded] == ["demo.root", "demo.child"]
    assert reviews(db)[1][:2] == ("demo.child", 1)


@pytest.fixture
def scratch_experiment() -> list[int]:
    calls: list[int] = []

    @experiment(id="demo.proof", questions=["demo.child"], title="demo proof", sizes=("quick",))
    def proof(seed: int, size: str) -> ExperimentResult:
        calls.append(seed)
        r = ExperimentResult(metrics=Table([{"size": size}]))
        r.claim("holds", True, "the demo claim holds")
        return r

    yield calls
    registry.unregister("demo.proof")


def test_a_failing_experiment_is_one_line_and_the_session_goes_on(db: Path) -> None:
    bank = make_bank({"demo": [question("demo.a", experiments=("demo.broken",)),
                               question("demo.b")]})  # fmt: skip

    def broken(eid: str) -> tuple[int, int, list[str]]:
        raise RuntimeError("no such\nexperiment")

    console, screen, _ = console_for(scripted(["", "", "1", "x", "r", "", "", "good"]))
    with Store(db) as store:
        Drill(bank, store, console, now=fixed_clock(DAY1), experiment_runner=broken).run()
    out = screen.getvalue()
    assert "r runs the experiment, Enter skips" in out
    assert "demo.broken could not run: no such experiment" in out
    assert [r[:2] for r in reviews(db)] == [("demo.a", 1), ("demo.b", 3)]


def test_a_follow_up_graded_today_is_not_asked_again(db: Path) -> None:
    bank = chain_bank(1, 2)
    with Store(db) as store:
        console, screen, _ = console_for(scripted(["", "", "good", "", "", "good"]))
        Drill(bank, store, console, now=fixed_clock(DAY1)).run()
        assert [h.split()[1] for h in screen.headers] == ["demo.c0-1", "demo.c0-2"]
        # later the same day the root is not due; nothing is asked
        console, screen, _ = console_for(scripted([]))
        Drill(bank, store, console, now=fixed_clock(DAY1 + timedelta(hours=3))).run()
        assert "Nothing to drill now" in screen.getvalue()
        assert "Next card due 2025-03-05 (demo.c0-1)." in screen.getvalue()


# ---------------------------------------------------------------------------- queue
def test_due_cards_come_first_then_new_ones_up_to_the_daily_limit(db: Path) -> None:
    bank = make_bank({"demo": [question(f"demo.q{i}") for i in range(6)]})
    grade_all = scripted(["", "", "again"] * 2)
    with Store(db) as store:
        console, screen, _ = console_for(grade_all)
        Drill(bank, store, console, now=fixed_clock(DAY1), new_limit=2).run()
        assert [h.split()[1] for h in screen.headers] == ["demo.q0", "demo.q1"]
        # the limit is per day: a second session today gets no new card
        console, screen, _ = console_for(scripted([]))
        Drill(bank, store, console, now=fixed_clock(DAY1), new_limit=2).run()
        assert "today's new cards (2) are done" in screen.getvalue()
        assert "More new cards today: --new N." in screen.getvalue()
        # next day: the two again cards are due, before two new ones
        console, screen, _ = console_for(scripted(["", "", "good"] * 4))
        Drill(bank, store, console, now=fixed_clock(DAY1 + timedelta(days=1)), new_limit=2).run()
    tags = [(h.split()[1], h.rsplit(" · ", 1)[1]) for h in screen.headers]
    assert tags == [("demo.q0", "due"), ("demo.q1", "due"), ("demo.q2", "new"), ("demo.q3", "new")]
    assert screen.headers[0].startswith("[1/4]")
    assert "All done for today." in screen.getvalue()


def test_end_of_input_mid_card_keeps_every_grade_given(db: Path) -> None:
    bank = make_bank({"demo": [question(f"demo.q{i}") for i in range(5)]})
    console, screen, _ = console_for(scripted(["a", "1", "good", "b", "2", "hard", "c", "1 2"]))
    with Store(db) as store:
        result = Drill(bank, store, console, now=fixed_clock(DAY1)).run()
    assert [g.qid for g in result.graded] == ["demo.q0", "demo.q1"]
    assert [r[:2] for r in reviews(db)] == [("demo.q0", 3), ("demo.q1", 2)]
    last = screen.getvalue().rstrip().splitlines()[-1]
    assert last == "Drill over: 2 cards (again 0 · hard 1 · good 1 · easy 0); 1 due tomorrow."


def test_ctrl_c_ends_the_session_with_its_summary_and_status_130(
    db: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    lines = iter(["", "", "good"])

    class Keyboard(io.StringIO):
        def readline(self, size: int | None = -1) -> str:
            try:
                return next(lines) + "\n"
            except StopIteration:
                raise KeyboardInterrupt from None

    monkeypatch.setenv(NOW_VARIABLE, DAY1.isoformat())
    monkeypatch.setattr("sys.stdin", Keyboard())
    assert main(["lab", "drill", "--topic", "cnn", "--db", str(db)]) == 130
    assert "Drill over: 1 cards" in capsys.readouterr().out
    assert len(reviews(db)) == 1


# ---------------------------------------------------------------------------- bad input
def test_unknown_topic_names_the_closest_and_an_empty_filter_is_one_line(
    db: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    status, _, err = drill_cli(["--topic", "init", "--db", str(db)], [], monkeypatch, capsys)
    assert status == 1
    assert one_line(err) == (
        "groundup lab drill: error: no topic 'init'; did you mean initialization?"
    )
    status, _, err = drill_cli(
        ["--topic", "optimisation", "--lang", "ko", "--db", str(db)], [], monkeypatch, capsys
    )
    assert status == 1
    assert "error: 없는 주제입니다: 'optimisation'. 혹시 optimization, " in one_line(err)
    empty = next(
        (t, d)
        for t in BANK.topics()
        for d in ("easy", "medium", "hard")
        if not [q for q in BANK.by_topic(t) if q.difficulty == d]
    )
    status, _, err = drill_cli(
        ["--topic", empty[0], "--difficulty", empty[1], "--db", str(db)], [], monkeypatch, capsys
    )
    assert status == 1
    assert one_line(err) == (
        f"groundup lab drill: error: no question matches topic {empty[0]}, difficulty {empty[1]}"
    )
    assert not db.exists()  # nothing was created for a bad filter
    status, _, err = drill_cli(["--new", "-1", "--db", str(db)], [], monkeypatch, capsys)
    assert status == 2 and "must be 0 or more" in one_line(err)


def test_a_full_disk_mid_session_is_one_line_and_loses_no_earlier_grade(
    db: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    class FillsUp(Store):
        """After two grades the database may not grow: SQLite's own SQLITE_FULL."""

        saved = 0

        def save_review(self, card, review):  # type: ignore[no-untyped-def]
            if FillsUp.saved == 2:
                pages = self._conn.execute("PRAGMA page_count").fetchone()[0]
                self._conn.execute(f"PRAGMA max_page_count = {pages}")
            FillsUp.saved += 1
            return super().save_review(card, review)

    monkeypatch.setattr(commands, "Store", FillsUp)
    big = "x" * 20_000  # needs new pages
    status, out, err = drill_cli(
        ["--topic", "cnn", "--db", str(db)],
        ["a", "", "hard", "b", "", "hard", big, "", "hard"],
        monkeypatch,
        capsys,
    )
    assert status == 1
    assert one_line(err) == (
        f"groundup lab drill: error: {db}: the disk is full; the last grade was not saved, "
        "every earlier one is"
    )
    assert "Drill over: 2 cards" in out
    assert [r[2] for r in reviews(db)] == ["a", "b"]


# ---------------------------------------------------------------------------- colour
class Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_colour_only_on_a_terminal_and_never_with_no_color() -> None:
    assert use_color(Tty(), {"TERM": "xterm"})
    assert not use_color(Tty(), {"TERM": "xterm", "NO_COLOR": "1"})
    assert not use_color(Tty(), {"TERM": "dumb"})
    assert not use_color(io.StringIO(), {"TERM": "xterm"})
    assert Console(io.StringIO(), Tty(), color=None).color in (True, False)
    console = Console(io.StringIO(), Tty(), color=True)
    assert console.paint("x", "bold") == "\x1b[1mx\x1b[0m"


def test_drill_errors_are_practice_errors_in_the_sessions_language() -> None:
    e = PracticeError("db_locked", path="p.db")
    assert str(e) == "p.db is locked by another groundup session; try again in a moment"
    e.lang = "ko"
    assert str(e).startswith("p.db: 다른 groundup 세션이")


# ---------------------------------------------------------------------------- speed
def test_500_cards_in_a_session_each_appear_within_50_ms_of_the_grade(db: Path) -> None:
    n = 500
    bank = make_bank({"demo": [question(f"demo.q{i:03d}") for i in range(n)]})
    gaps: list[float] = []
    graded_at: list[float] = []

    def policy(kind: str, card: str, c: Candidate) -> str | None:
        if kind == "answer" and graded_at:
            gaps.append(time.perf_counter() - graded_at.pop())
        if kind == "grade":
            graded_at.append(time.perf_counter())
            return "good"
        return ""

    screen = Screen()
    console = Console(Candidate(screen, policy), screen, color=False, echo=True, width=100)
    with Store(db) as store:
        result = Drill(bank, store, console, now=fixed_clock(DAY1), new_limit=n).run()
    assert len(result.graded) == n and len(gaps) == n - 1
    # the grade is committed, the next card chosen and drawn: generous bounds on a shared box
    assert statistics.median(gaps) < 0.010
    assert sorted(gaps)[int(0.95 * len(gaps))] < 0.050, max(gaps)

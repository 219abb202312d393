"""`groundup lab progress`: per-topic numbers, the streak, interviews, JSON, the figure."""

from __future__ import annotations

import json
import warnings
from datetime import UTC, datetime, timedelta
from pathlib import Path

import fsrs
import pytest

from groundup.cli import main
from groundup.lab.practice.progress import compute, figure_png, render, streak
from groundup.lab.practice.scheduler import Scheduler
from groundup.lab.practice.session import NOW_VARIABLE
from groundup.lab.practice.store import Chain, Review, Store
from tests.test_lab_practice_support import KST, make_bank, question

PNG = b"\x89PNG\r\n\x1a\n"
DAY = datetime(2025, 3, 3, 9, 0, tzinfo=KST)
BANK = make_bank(
    {
        "alpha": [question("alpha.a"), question("alpha.b"), question("alpha.c")],
        "beta": [question("beta.a")],
    }
)


def grade(store: Store, qid: str, rating: int, when: datetime, topic: str | None = None) -> None:
    topic = topic or qid.split(".")[0]
    day = when.date().isoformat()
    card = Scheduler().review(store.card(qid), qid, topic, rating, when, day)
    store.save_review(card, Review(qid, topic, when, day, rating, card.due, card.stability))


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "p.sqlite3"
    with Store(path) as store:
        grade(store, "alpha.a", 3, DAY)
        grade(store, "alpha.b", 1, DAY + timedelta(days=1))
        grade(store, "alpha.a", 4, DAY + timedelta(days=2))
        grade(store, "alpha.gone", 2, DAY, topic="alpha")  # no longer in the bank
        session = store.start_session("interview", DAY, "2025-03-03", "en", None, 30)
        store.save_chain(session, Chain(1, "alpha.a", 2, 3, "missed", "alpha.c", 2))
        store.save_chain(session, Chain(2, "beta.a", 1, 1, "complete"))
    return path


def test_the_numbers_per_topic_match_fsrs(db: Path) -> None:
    now = DAY + timedelta(days=2, hours=3)
    with Store(db) as store:
        progress = compute(BANK, store, now)
        cards = store.cards()
    alpha, beta = progress.topics
    assert (alpha.topic, alpha.questions, alpha.seen, alpha.reviews) == ("alpha", 3, 2, 3)
    assert alpha.mean_grade == pytest.approx((3 + 1 + 4) / 3)
    direct = fsrs.Scheduler()  # retrievability does not depend on the scheduling options
    expected = []
    for qid in ("alpha.a", "alpha.b"):
        c = cards[qid]
        card = fsrs.Card(card_id=1, state=fsrs.State(c.state), stability=c.stability,
                         difficulty=c.difficulty, due=c.due, last_review=c.last_review)  # fmt: skip
        expected.append(direct.get_card_retrievability(card, now.astimezone(UTC)))
    assert alpha.recall == pytest.approx(sum(expected) / 2)
    assert alpha.mastery == pytest.approx(sum(expected) / 3)
    assert alpha.due_today == 1  # alpha.b: again yesterday, due today
    assert (beta.seen, beta.mean_grade, beta.recall, beta.mastery) == (0, None, None, 0.0)
    assert progress.total.questions == 4 and progress.total.reviews == 3
    assert progress.retired == ["alpha.gone"]
    assert progress.streak == 3 and progress.reviews_today == 1 and progress.reviews_total == 4
    (iv,) = progress.interviews
    assert (iv.chains, iv.questions, iv.mean_depth, iv.deepest, iv.to_review) == (
        2, 4, 1.5, 2, ["alpha.c"],
    )  # fmt: skip


def test_the_streak_counts_back_from_today_or_yesterday() -> None:
    days = {"2025-03-01", "2025-03-02", "2025-03-03", "2025-02-27"}
    today = datetime(2025, 3, 3).date()
    assert streak(days, today) == 3
    assert streak(days, today + timedelta(days=1)) == 3  # today has no review yet
    assert streak(days, today + timedelta(days=2)) == 0
    assert streak(set(), today) == 0


def test_progress_command_prints_a_table_json_and_both_languages(
    db: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv(NOW_VARIABLE, (DAY + timedelta(days=2)).isoformat())
    assert main(["lab", "progress", "--db", str(db)]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0].split() == [
        "topic",
        "seen",
        "due",
        "today",
        "mean",
        "grade",
        "recall",
    ]
    assert "streak: 3 days · reviews today: 1 · all reviews: 4" in out
    assert "2025-03-03  2 chains  mean depth 1.5  deepest 2" in out
    # the command reads the real bank, which has none of the demo questions
    assert "3 cards of questions no longer in the bank keep their history: alpha.a," in out
    assert main(["lab", "progress", "--db", str(db), "--lang", "ko"]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0].split()[:2] == ["주제", "본"]
    assert "연속 학습: 3일 · 오늘 복습: 1건 · 전체 복습: 4건" in out
    assert "체인 2개  평균 깊이 1.5" in out
    assert main(["lab", "progress", "--db", str(db), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["streak"] == 3 and data["retired"] == ["alpha.a", "alpha.b", "alpha.gone"]
    assert {t["topic"] for t in data["topics"]} >= {"initialization", "optimization"}
    assert set(data["topics"][0]) == {"topic", "title", "questions", "seen", "due_today",
                                      "reviews", "mean_grade", "recall", "mastery"}  # fmt: skip


def test_no_history_yet_is_a_message_and_creates_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "none.sqlite3"
    assert main(["lab", "progress", "--db", str(db)]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"No practice yet in {db}: start with groundup lab drill.")
    assert "streak: 0 days" in out
    assert not db.exists()


def test_the_figure_is_a_png_with_no_missing_glyph_and_is_never_overwritten_silently(
    db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv(NOW_VARIABLE, (DAY + timedelta(days=2)).isoformat())
    figure = tmp_path / "figs" / "progress.png"
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # "Glyph ... missing from font" would be a warning
        assert (
            main(["lab", "progress", "--db", str(db), "--lang", "ko", "--figure", str(figure)]) == 0
        )
    assert f"그림: {figure}" in capsys.readouterr().out
    data = figure.read_bytes()
    assert data.startswith(PNG) and len(data) > 20_000
    assert main(["lab", "progress", "--db", str(db), "--figure", str(figure)]) == 1
    assert capsys.readouterr().err.strip() == (
        f"groundup lab progress: error: {figure} exists; pass --overwrite to replace it"
    )
    assert main(["lab", "progress", "--db", str(db), "--figure", str(figure), "--overwrite"]) == 0
    assert sorted(p.name for p in figure.parent.iterdir()) == ["progress.png"]  # no temp left


def test_render_and_figure_work_for_an_empty_history(tmp_path: Path) -> None:
    with Store(tmp_path / "p.sqlite3") as store:
        progress = compute(BANK, store, DAY)
    assert "-" in render(progress, "en")
    assert figure_png(progress).startswith(PNG)

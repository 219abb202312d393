"""`groundup lab drill`: due cards first, then new ones (up to a daily limit), one at a time.

Each card: the question; the candidate's answer (one line, may be empty); the model
answer, its key points as a numbered checklist and the common mistake; the points hit;
the grade. Every grade is scheduled by FSRS and committed at once. After good or easy the
card's follow-up comes next, as an interviewer would dig (whatever its topic, unless it
was graded today already); after again the experiment that proves the answer is offered.
"""

from __future__ import annotations

import contextlib
import time
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from groundup.lab.bank import QuestionBank
from groundup.lab.practice.scheduler import Scheduler
from groundup.lab.practice.session import (
    Clock,
    Console,
    EndOfInput,
    Outcome,
    ask_card,
    card_header,
    local_day,
    next_day_start,
    system_clock,
)
from groundup.lab.practice.store import CardRecord, Review, Store
from groundup.lab.practice.texts import PracticeError, days_text, grade_name, t
from groundup.lab.schema import Question

DEFAULT_NEW = 10  # new cards a day: ~2 minutes each, about 20 minutes of new material

#: runs an experiment at quick size: (experiment id) -> (claims held, claims, lines to show)
ExperimentRunner = Callable[[str], tuple[int, int, list[str]]]


def run_experiment(eid: str) -> tuple[int, int, list[str]]:
    """Run `eid` at its quick size through the lab's registry."""
    from groundup.lab.registry import run

    result = run(eid, size="quick")
    lines = [f"{'PASS' if ok else 'FAIL'} {name}: {result.statements[name]}"
             for name, ok in result.claims.items()]  # fmt: skip
    return sum(result.claims.values()), len(result.claims), lines


def select(
    bank: QuestionBank, topic: str | None = None, difficulty: str | None = None
) -> list[Question]:
    """The bank's questions of `topic` and `difficulty` (either may be None), in bank order."""
    pool = bank.by_topic(topic) if topic is not None else list(bank)
    if difficulty is not None:
        pool = [q for q in pool if q.difficulty == difficulty]
    if not pool:
        filters = ", ".join(
            f"{k} {v}" for k, v in (("topic", topic), ("difficulty", difficulty)) if v
        )
        raise PracticeError("no_match", filters=filters or "-")
    return pool


@dataclass
class Graded:
    qid: str
    rating: int
    kind: str  # due | new | follow-up
    card: CardRecord


@dataclass
class DrillResult:
    graded: list[Graded] = field(default_factory=list)
    interrupted: bool = False

    @property
    def counts(self) -> Counter[int]:
        return Counter(g.rating for g in self.graded)


class Drill:
    """One drill session over `bank`, saved in `store`."""

    def __init__(
        self,
        bank: QuestionBank,
        store: Store,
        console: Console,
        *,
        lang: str = "en",
        topic: str | None = None,
        difficulty: str | None = None,
        new_limit: int = DEFAULT_NEW,
        now: Clock = system_clock,
        experiment_runner: ExperimentRunner = run_experiment,
    ):
        self.bank, self.store, self.console, self.lang = bank, store, console, lang
        self.topic, self.difficulty, self.new_limit = topic, difficulty, new_limit
        self.now = now
        self.run_experiment = experiment_runner
        self.scheduler = Scheduler()
        self.result = DrillResult()
        self.session_id: int | None = None
        self._graded_ids: set[str] = set()
        self._new_today = 0
        start = now()
        self.today, self.tomorrow = local_day(start), next_day_start(start)
        self._pending: tuple[Question, str, str | None] | None = None

    # ------------------------------------------------------------------ queue
    def _prepare(self) -> None:
        pool = select(self.bank, self.topic, self.difficulty)
        self._ids = {q.id for q in pool}
        start = self.now()
        self.today = local_day(start)
        self.tomorrow = next_day_start(start)
        known = self.store.cards()
        self._due = deque(q for q in self.store.due_ids(self.tomorrow) if q in self._ids)
        self._new = deque(q.id for q in pool if q.id not in known)
        self._new_today = self.store.new_cards_on(self.today, self._ids)

    def _new_left(self, taking: bool = False) -> int:
        """New cards still to come today (`taking`: besides the new one on screen)."""
        return max(0, min(len(self._new), self.new_limit - self._new_today - taking))

    def _next(self) -> tuple[Question, str, str | None] | None:
        if self._pending is not None:
            item, self._pending = self._pending, None
            return item
        while self._due:
            qid = self._due.popleft()
            card = self.store.card(qid)  # another terminal may have graded it meanwhile
            if qid not in self._graded_ids and card is not None and card.due < self.tomorrow:
                return self.bank[qid], "due", None
        while self._new and self._new_today < self.new_limit:
            qid = self._new.popleft()
            if self.store.card(qid) is None:
                return self.bank[qid], "new", None
        return None

    def _follow_up(self, q: Question) -> Question | None:
        for child in self.bank.children(q.id):
            if child.id in self._graded_ids:
                continue
            card = self.store.card(child.id)
            last = card.last_review if card is not None else None
            if last is not None and local_day(last.astimezone(self.tomorrow.tzinfo)) == self.today:
                continue
            return child
        return None

    # ------------------------------------------------------------------ grading
    def grade(self, q: Question, outcome: Outcome, kind: str, mode: str = "drill") -> CardRecord:
        """Schedule and commit one grade (`mode`: drill or interview)."""
        now = self.now()
        day = local_day(now)
        if self.session_id is None:
            self.session_id = self.store.start_session("drill", now, day, self.lang, self.topic)
        before = self.store.card(q.id)
        topic = self.bank.topic_of(q.id)
        card = self.scheduler.review(before, q.id, topic, outcome.rating, now, day)
        self.store.save_review(
            card,
            Review(
                qid=q.id,
                topic=topic,
                reviewed_at=now,
                day=day,
                rating=outcome.rating,
                due=card.due,
                stability=card.stability,
                difficulty=card.difficulty,
                answer=outcome.answer,
                points_hit=outcome.points_hit,
                points_total=outcome.points_total,
                answer_ms=outcome.answer_ms,
                mode=mode,
                session_id=self.session_id,
            ),
        )
        if before is None:
            self._new_today += 1
        self._graded_ids.add(q.id)
        self.result.graded.append(Graded(q.id, outcome.rating, kind, card))
        return card

    def say_graded(self, card: CardRecord, rating: int, now: datetime) -> None:
        due = card.due.astimezone(now.tzinfo).date()
        days = (due - now.date()).days
        text = t(
            self.lang,
            "graded",
            grade=grade_name(self.lang, rating),
            days=days_text(self.lang, days),
            date=due.isoformat(),
        )
        self.console.say("   -> " + text, "dim")

    def _offer_experiment(self, q: Question) -> None:
        if not q.experiments:
            return
        eid, console, lang = q.experiments[0], self.console, self.lang
        while True:
            choice = console.ask(t(lang, "experiment_offer", eid=eid)).lower()
            if choice in ("", "r"):
                break
            console.say(t(lang, "experiment_offer_again"), "red")
        if choice == "":
            return
        console.say(t(lang, "experiment_running", eid=eid), "dim")
        console.stdout.flush()
        start = time.perf_counter()
        try:
            held, total, lines = self.run_experiment(eid)
        except Exception as exc:  # an experiment's failure must not end the session
            detail = " ".join(str(exc).split()) or type(exc).__name__
            console.say(t(lang, "experiment_failed", eid=eid, detail=detail), "red")
            return
        for line in lines:
            console.wrapped(line, "   ")
        seconds = time.perf_counter() - start
        summary = t(lang, "experiment_claims", eid=eid, held=held, total=total, seconds=seconds)
        console.say(summary, "green" if held == total else "red")
        if len(q.experiments) > 1:
            console.say(t(lang, "experiment_more", qid=q.id), "dim")

    # ------------------------------------------------------------------ session
    def run(self) -> DrillResult:
        """Drill until the queue is empty or the input ends; every grade is already saved."""
        self._prepare()
        console, lang = self.console, self.lang
        if not self._due and not self._new_left():
            console.say(t(lang, "nothing_due", limit=self.new_limit))
            later = [(c.due, c.qid) for c in self.store.cards().values() if c.qid in self._ids]
            if later:
                due, qid = min(later)
                date = due.astimezone(self.tomorrow.tzinfo).date().isoformat()
                console.say(t(lang, "next_due", date=date, qid=qid))
            if self._new:
                console.say(t(lang, "more_new"))
            return self.result
        console.say(t(lang, "drill_intro", due=len(self._due), new=self._new_left()), "dim")
        try:
            self._loop()
        except EndOfInput:
            pass
        except KeyboardInterrupt:
            self.result.interrupted = True
            console.say()
        finally:
            self._finish()
        return self.result

    def _loop(self) -> None:
        console, lang = self.console, self.lang
        while True:
            item = self._next()
            if item is None:
                console.say()
                console.say(t(lang, "all_done"), "green")
                return
            q, kind, parent = item
            done = len(self.result.graded) + 1
            taking = kind == "new" or self.store.card(q.id) is None
            total = done + len(self._due) + self._new_left(taking)
            tag = t(lang, "tag_follow_up", parent=parent) if parent else t(lang, f"tag_{kind}")
            header = card_header(console, q, lang, self.bank.topic_of(q.id), tag)
            outcome = ask_card(console, q, lang, f"[{done}/{total}] {header}")
            card = self.grade(q, outcome, kind)
            self.say_graded(card, outcome.rating, self.now())
            if outcome.rating >= 3:
                follow = self._follow_up(q)
                if follow is not None:
                    self._pending = (follow, "follow-up", q.id)
                    console.say()
                    console.say(t(lang, "follow_up_intro"), "cyan")
            elif outcome.rating == 1:
                self._offer_experiment(q)

    def _finish(self) -> None:
        console, lang = self.console, self.lang
        if self.session_id is not None:
            with contextlib.suppress(PracticeError):  # bookkeeping: every grade is saved
                self.store.end_session(self.session_id, self.now())
        if not self.result.graded:
            console.say(t(lang, "drill_summary_empty"))
            return
        counts = self.result.counts
        try:
            after = next_day_start(self.tomorrow)
            tomorrow = sum(1 for q in self.store.due_ids(after) if q in self._ids)
        except PracticeError:
            tomorrow = 0
        console.say()
        console.say(
            t(
                lang,
                "drill_summary",
                n=len(self.result.graded),
                again=counts[1],
                hard=counts[2],
                good=counts[3],
                easy=counts[4],
                tomorrow=tomorrow,
            ),
            "bold",
        )
        console.stdout.flush()

"""`groundup lab interview`: a mock interview that digs down follow-up chains.

Root questions come first those with follow-ups, in a shuffled order. While the candidate
grades a question good or easy the interviewer asks one of its follow-ups (the one they
recall worst, by FSRS); the first again or hard ends the chain there. The interview stops
when the time is up (checked before each question) or the input ends, and closes with the
depth reached on each chain, where it broke, and the ids to review. Every grade is an FSRS
review of its card like a drill's; every chain is saved when it ends.
"""

from __future__ import annotations

import contextlib
import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cache

from groundup.lab.bank import QuestionBank
from groundup.lab.cli import display_width
from groundup.lab.practice.drill import Drill
from groundup.lab.practice.session import (
    Clock,
    Console,
    EndOfInput,
    ask_card,
    card_header,
    local_day,
    system_clock,
)
from groundup.lab.practice.store import Chain, Store
from groundup.lab.practice.texts import PracticeError, grade_name, t
from groundup.lab.schema import Question

DEFAULT_MINUTES = 30.0


@dataclass
class InterviewResult:
    chains: list[Chain] = field(default_factory=list)
    questions: int = 0
    minutes: float = 0.0
    interrupted: bool = False
    session_id: int | None = None

    @property
    def to_review(self) -> list[str]:
        return list(dict.fromkeys(c.broke_at for c in self.chains if c.broke_at))


class Interview:
    """One mock interview over the roots of `bank` (of `topic`), saved in `store`."""

    def __init__(
        self,
        bank: QuestionBank,
        store: Store,
        console: Console,
        *,
        lang: str = "en",
        topic: str | None = None,
        minutes: float = DEFAULT_MINUTES,
        now: Clock = system_clock,
        seed: int | None = None,
    ):
        self.bank, self.store, self.console, self.lang = bank, store, console, lang
        self.topic, self.minutes, self.now = topic, minutes, now
        self.seed = seed
        # grading and scheduling are a drill's: one code path for every review
        self._grader = Drill(bank, store, console, lang=lang, topic=topic, now=now)
        self.result = InterviewResult()

    @cache  # noqa: B019 - one interview, a few hundred questions at most
    def height(self, qid: str) -> int:
        """Questions on the longest chain from `qid` down, `qid` included."""
        return 1 + max((self.height(c.id) for c in self.bank.children(qid)), default=0)

    def roots(self, rng: random.Random) -> list[Question]:
        roots = self.bank.roots(self.topic)
        if not roots:
            raise PracticeError("no_match", filters=f"topic {self.topic}")
        deep = [q for q in roots if self.bank.children(q.id)]
        flat = [q for q in roots if not self.bank.children(q.id)]
        rng.shuffle(deep)
        rng.shuffle(flat)
        return deep + flat

    def _pick_child(self, q: Question, asked: set[str], rng: random.Random) -> Question | None:
        now = self.now()
        children = [c for c in self.bank.children(q.id) if c.id not in asked]
        if not children:
            return None
        recall = self._grader.scheduler.retrievability
        keyed = [(recall(self.store.card(c.id), now), rng.random(), c) for c in children]
        return min(keyed, key=lambda k: (k[0], k[1]))[2]

    def run(self) -> InterviewResult:
        roots_rng = random.Random(self.seed)
        roots = self.roots(roots_rng)
        start = self.now()
        deadline = start + timedelta(minutes=self.minutes)
        console, lang = self.console, self.lang
        self.result.session_id = self.store.start_session(
            "interview", start, local_day(start), lang, self.topic, self.minutes
        )
        self._grader.session_id = self.result.session_id
        console.say(t(lang, "interview_intro", minutes=f"{self.minutes:g}", chains=len(roots)),
                    "dim")  # fmt: skip
        asked: set[str] = set()
        try:
            for position, root in enumerate(roots, 1):
                if self.now() >= deadline:
                    console.say()
                    console.say(t(lang, "time_up"), "yellow")
                    break
                if not self._chain(position, root, asked, deadline, roots_rng):
                    break
        except EndOfInput:
            pass
        except KeyboardInterrupt:
            self.result.interrupted = True
            console.say()
        finally:
            self._finish(start)
        return self.result

    def _chain(
        self,
        position: int,
        root: Question,
        asked: set[str],
        deadline: datetime,
        rng: random.Random,
    ) -> bool:
        """Walk one chain; False when the interview should stop (time is up)."""
        console, lang = self.console, self.lang
        q: Question | None = root
        depth, max_depth = 0, self.height(root.id)
        ended, broke_at, broke_rating = "complete", None, None
        try:
            while q is not None:
                if self.now() >= deadline:
                    ended = "time"
                    break
                asked.add(q.id)
                head = t(lang, "interview_header", chain=position, depth=depth + 1, max=max_depth)
                header = card_header(console, q, lang, self.bank.topic_of(q.id), head)
                outcome = ask_card(console, q, lang, header)
                card = self._grader.grade(q, outcome, "interview", "interview")
                self.result.questions += 1
                self._grader.say_graded(card, outcome.rating, self.now())
                if outcome.rating <= 2:
                    ended, broke_at, broke_rating = "missed", q.id, outcome.rating
                    break
                depth += 1
                q = self._pick_child(q, asked, rng)
                if q is not None:
                    console.say()
                    console.say(t(lang, "follow_up_intro"), "cyan")
        except (EndOfInput, KeyboardInterrupt):
            if depth:  # a chain interrupted before its first answer is not a chain
                self._save(Chain(position, root.id, depth, max_depth, "stopped"))
            raise
        self._save(Chain(position, root.id, depth, max_depth, ended, broke_at, broke_rating))
        if ended == "time":
            console.say()
            console.say(t(lang, "time_up"), "yellow")
            return False
        return True

    def _save(self, chain: Chain) -> None:
        self.result.chains.append(chain)
        assert self.result.session_id is not None
        self.store.save_chain(self.result.session_id, chain)

    def _finish(self, start: datetime) -> None:
        console, lang, result = self.console, self.lang, self.result
        end = self.now()
        result.minutes = max(0.0, (end - start).total_seconds() / 60)
        if result.session_id is not None:
            with contextlib.suppress(PracticeError):  # bookkeeping: grades, chains are saved
                self.store.end_session(result.session_id, end)
        console.say()
        if not result.questions:
            console.say(t(lang, "interview_empty"), "bold")
            return
        console.say(
            t(
                lang,
                "interview_summary",
                chains=len(result.chains),
                questions=result.questions,
                minutes=f"{result.minutes:.0f}",
            ),
            "bold",
        )
        width = max(display_width(c.root) for c in result.chains) if result.chains else 0
        for chain in result.chains:
            if chain.ended == "missed":
                assert chain.broke_at is not None and chain.broke_rating is not None
                grade = grade_name(lang, chain.broke_rating)
                how = t(lang, "chain_missed", qid=chain.broke_at, grade=grade)
            else:
                how = t(lang, f"chain_{chain.ended}")
            row = t(lang, "chain_row", depth=chain.depth, max=chain.max_depth)
            style = ("green",) if chain.ended == "complete" else ()
            console.say(f"  {chain.position:>2}. {chain.root.ljust(width)}  {row}  "
                        + console.paint(how, *style))  # fmt: skip
        ids = result.to_review
        if ids:
            console.say(t(lang, "review_list", ids=", ".join(ids)), "yellow")
        else:
            console.say(t(lang, "review_none"), "green")
        console.stdout.flush()

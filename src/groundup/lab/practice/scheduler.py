"""FSRS scheduling of practice cards: a thin wrapper over the `fsrs` package (6.x).

One card per question id. Interview answers take a minute to say, so a card is scheduled
in whole days: no minute-long learning steps (a card graded today is not shown again
today; `again` brings it back tomorrow). Fuzzing is off, so the same grades at the same
times always give the same schedule. `SCHEDULER_OPTIONS` is exactly what is passed to
`fsrs.Scheduler`; running `fsrs` directly with them on the review log reproduces every
card (the month-long test does).
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import Any

import fsrs

from groundup.lab.practice.store import CardRecord

SCHEDULER_OPTIONS: dict[str, Any] = {
    "learning_steps": (),
    "relearning_steps": (),
    "enable_fuzzing": False,
}


def new_scheduler() -> fsrs.Scheduler:
    return fsrs.Scheduler(**SCHEDULER_OPTIONS)


def card_id(qid: str) -> int:
    """A stable integer id for a question id (fsrs cards carry one)."""
    return int.from_bytes(hashlib.sha256(qid.encode()).digest()[:6], "big")


def to_fsrs(record: CardRecord | None, qid: str, now: datetime) -> fsrs.Card:
    """The fsrs card of a stored record, or a fresh one due `now`."""
    if record is None:
        return fsrs.Card(card_id=card_id(qid), due=now.astimezone(UTC))
    return fsrs.Card(
        card_id=card_id(qid),
        state=fsrs.State(record.state),
        step=record.step,
        stability=record.stability,
        difficulty=record.difficulty,
        due=record.due.astimezone(UTC),
        last_review=record.last_review.astimezone(UTC) if record.last_review else None,
    )


class Scheduler:
    """Grades in, updated card records out."""

    def __init__(self) -> None:
        self.fsrs = new_scheduler()

    def review(
        self,
        record: CardRecord | None,
        qid: str,
        topic: str,
        rating: int,
        now: datetime,
        day: str,
    ) -> CardRecord:
        """The card after grade `rating` (1 again ... 4 easy) at `now` on local `day`."""
        when = now.astimezone(UTC)
        card, _ = self.fsrs.review_card(to_fsrs(record, qid, when), fsrs.Rating(rating), when)
        return CardRecord(
            qid=qid,
            topic=topic,
            state=int(card.state),
            step=card.step,
            stability=card.stability,
            difficulty=card.difficulty,
            due=card.due,
            last_review=card.last_review,
            reps=(record.reps if record else 0) + 1,
            lapses=(record.lapses if record else 0) + (rating == 1 and record is not None),
            first_day=record.first_day if record else day,
        )

    def retrievability(self, record: CardRecord | None, now: datetime) -> float:
        """FSRS's probability of recalling the card at `now` (0 for a card never seen)."""
        if record is None:
            return 0.0
        card = to_fsrs(record, record.qid, now)
        return float(self.fsrs.get_card_retrievability(card, now.astimezone(UTC)))

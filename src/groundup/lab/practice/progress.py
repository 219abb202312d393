"""`groundup lab progress`: what the practice database says about each topic.

Per topic: questions, cards seen, cards due today, the mean grade given (1 again ... 4
easy), and FSRS's mean retrievability of the seen cards now (the chance of recalling one).
Mastery, drawn in the figure, is the retrievability summed over all the topic's questions
(unseen ones count 0) over their number. Then the streak (consecutive days with a review,
ending today, or yesterday when today has none yet), and every mock interview's depth.

The figure labels topics by their English titles, so it renders with matplotlib's own
fonts on any machine (no CJK font needed).
"""

from __future__ import annotations

import io
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from statistics import fmean
from typing import Any

from groundup.lab.bank import QuestionBank
from groundup.lab.cli import display_width
from groundup.lab.practice.scheduler import Scheduler
from groundup.lab.practice.session import local_day, next_day_start
from groundup.lab.practice.store import Store
from groundup.lab.practice.texts import days_text, t

CALENDAR_WEEKS = 26


@dataclass
class TopicProgress:
    topic: str
    title: str  # English, for the figure
    questions: int
    seen: int = 0
    due_today: int = 0
    reviews: int = 0
    mean_grade: float | None = None
    recall: float | None = None  # mean retrievability of the seen cards
    mastery: float = 0.0  # summed retrievability / questions


@dataclass
class InterviewProgress:
    day: str
    chains: int
    questions: int
    mean_depth: float
    deepest: int
    to_review: list[str]


@dataclass
class Progress:
    now: str
    today: str
    topics: list[TopicProgress]
    total: TopicProgress
    streak: int
    reviews_today: int
    reviews_total: int
    calendar: dict[str, int]
    interviews: list[InterviewProgress] = field(default_factory=list)
    retired: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def streak(days: set[str], today: date) -> int:
    """Consecutive days with a review, ending today (or yesterday, if today has none)."""
    day = today if today.isoformat() in days else today - timedelta(days=1)
    n = 0
    while day.isoformat() in days:
        n += 1
        day -= timedelta(days=1)
    return n


def compute(bank: QuestionBank, store: Store, now: datetime) -> Progress:
    scheduler = Scheduler()
    cards = store.cards()
    reviews = store.reviews()
    tomorrow = next_day_start(now)
    today = local_day(now)
    grades: dict[str, list[int]] = {}
    for r in reviews:
        grades.setdefault(r.qid, []).append(r.rating)

    topics = []
    for name in bank.topics():
        qids = [q.id for q in bank.by_topic(name)]
        row = TopicProgress(name, bank.topic_title(name).en, len(qids))
        seen = [cards[q] for q in qids if q in cards]
        recalls = [scheduler.retrievability(c, now) for c in seen]
        given = [g for q in qids for g in grades.get(q, [])]
        row.seen = len(seen)
        row.due_today = sum(c.due < tomorrow for c in seen)
        row.reviews = len(given)
        row.mean_grade = fmean(given) if given else None
        row.recall = fmean(recalls) if recalls else None
        row.mastery = sum(recalls) / len(qids)
        topics.append(row)

    total = TopicProgress("total", "total", sum(r.questions for r in topics))
    total.seen = sum(r.seen for r in topics)
    total.due_today = sum(r.due_today for r in topics)
    in_bank = [g for qid, gs in grades.items() if qid in bank for g in gs]
    total.reviews = len(in_bank)
    total.mean_grade = fmean(in_bank) if in_bank else None
    recalls = [scheduler.retrievability(c, now) for q, c in cards.items() if q in bank]
    total.recall = fmean(recalls) if recalls else None
    total.mastery = sum(recalls) / total.questions if total.questions else 0.0

    calendar = store.review_days()
    interviews = [
        InterviewProgress(
            day=iv.day,
            chains=len(iv.chains),
            questions=sum(c.depth + (c.ended == "missed") for c in iv.chains),
            mean_depth=fmean(c.depth for c in iv.chains),
            deepest=max(c.depth for c in iv.chains),
            to_review=list(dict.fromkeys(c.broke_at for c in iv.chains if c.broke_at)),
        )
        for iv in store.interviews()
        if iv.chains
    ]
    return Progress(
        now=now.isoformat(),
        today=today,
        topics=topics,
        total=total,
        streak=streak(set(calendar), now.date()),
        reviews_today=calendar.get(today, 0),
        reviews_total=len(reviews),
        calendar=calendar,
        interviews=interviews,
        retired=sorted(q for q in cards if q not in bank),
    )


# ------------------------------------------------------------------------ text
def render(progress: Progress, lang: str) -> str:
    """The table, the streak line, the mock interviews."""
    heads = [t(lang, k) for k in ("col_topic", "col_seen", "col_due", "col_grade", "col_recall")]

    def cells(r: TopicProgress) -> list[str]:
        return [
            t(lang, "total") if r.topic == "total" else r.topic,
            f"{r.seen}/{r.questions}",
            str(r.due_today),
            "-" if r.mean_grade is None else f"{r.mean_grade:.1f}",
            "-" if r.recall is None else f"{100 * r.recall:.0f}%",
        ]

    rows = [cells(r) for r in [*progress.topics, progress.total]]
    widths = [max(display_width(x) for x in col) for col in zip(heads, *rows, strict=True)]

    def line(values: list[str]) -> str:
        first = values[0] + " " * (widths[0] - display_width(values[0]))
        pairs = zip(values[1:], widths[1:], strict=True)
        rest = [" " * (w - display_width(v)) + v for v, w in pairs]
        return "  ".join([first, *rest]).rstrip()

    out = [line(heads), line(["-" * w for w in widths])]
    out += [line(r) for r in rows[:-1]]
    out += [line(["-" * w for w in widths]), line(rows[-1]), ""]
    out.append(
        t(
            lang,
            "streak",
            days=days_text(lang, progress.streak),
            today=progress.reviews_today,
            total=progress.reviews_total,
        )
    )
    if progress.interviews:
        out.append(t(lang, "interviews_heading"))
        for iv in progress.interviews:
            row = t(lang, "interview_row", day=iv.day, chains=iv.chains, mean=iv.mean_depth,
                    deepest=iv.deepest)  # fmt: skip
            out.append("  " + row)
    else:
        out.append(t(lang, "no_interviews"))
    if progress.retired:
        out.append(t(lang, "retired", n=len(progress.retired), ids=", ".join(progress.retired)))
    return "\n".join(out)


# ------------------------------------------------------------------------ figure
def _short(title: str) -> str:
    """`Word embeddings, NLP basics and ...` -> `Word embeddings`."""
    return title.split(" (")[0].split(",")[0]


def figure_png(progress: Progress) -> bytes:
    """Mastery bars per topic, the calendar of reviews and the interviews' depth, as PNG."""
    import numpy as np

    from groundup.lab.registry import new_figure

    fig = new_figure(12, 6)
    grid = fig.add_gridspec(2, 2, width_ratios=(1.0, 1.3), height_ratios=(1.0, 0.8))
    bars = fig.add_subplot(grid[:, 0])
    topics = progress.topics[::-1]
    ys = np.arange(len(topics))
    seen = [r.seen / r.questions for r in topics]
    mastery = [r.mastery for r in topics]
    bars.barh(ys, seen, color="#c6dbef", label="seen")
    bars.barh(ys, mastery, height=0.5, color="#2171b5", label="mastery (recall now)")
    bars.set_yticks(ys, [_short(r.title) for r in topics], fontsize=8)
    bars.set_xlim(0, 1)
    bars.set_xlabel("share of the topic's questions")
    bars.set_title("Mastery per topic")
    bars.legend(loc="lower right", fontsize=8)

    cal = fig.add_subplot(grid[0, 1])
    today = date.fromisoformat(progress.today)
    last_monday = today - timedelta(days=today.weekday())
    first = last_monday - timedelta(weeks=CALENDAR_WEEKS - 1)
    counts = np.full((7, CALENDAR_WEEKS), np.nan)
    for week in range(CALENDAR_WEEKS):
        for weekday in range(7):
            day = first + timedelta(weeks=week, days=weekday)
            if day <= today:
                counts[weekday, week] = progress.calendar.get(day.isoformat(), 0)
    peak = max(1.0, float(np.nanmax(counts)))
    image = cal.imshow(counts, cmap="Greens", vmin=0, vmax=peak, aspect="equal")
    cal.set_yticks([0, 2, 4], ["Mon", "Wed", "Fri"], fontsize=8)
    months = [(w, first + timedelta(weeks=w)) for w in range(CALENDAR_WEEKS)]
    ticks = [(w, d) for w, d in months if d.day <= 7]
    cal.set_xticks([w for w, _ in ticks], [d.strftime("%b") for _, d in ticks], fontsize=8)
    cal.set_title(f"Reviews per day (streak {progress.streak} d, {progress.reviews_total} in all)")
    fig.colorbar(image, ax=cal, shrink=0.7, label="reviews")

    depth = fig.add_subplot(grid[1, 1])
    if progress.interviews:
        xs = np.arange(1, len(progress.interviews) + 1)
        depth.plot(xs, [iv.mean_depth for iv in progress.interviews], "o-", label="mean depth")
        depth.plot(xs, [iv.deepest for iv in progress.interviews], "s--", label="deepest chain")
        depth.set_xticks(xs, [iv.day[5:] for iv in progress.interviews], fontsize=7, rotation=45)
        depth.legend(fontsize=8)
    else:
        depth.text(0.5, 0.5, "no mock interview yet", ha="center", va="center")
        depth.set_xticks([])
    depth.set_ylim(bottom=0)
    depth.set_ylabel("depth (questions)")
    depth.set_title("Mock interviews")
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=100)
    return buffer.getvalue()


def save_figure(progress: Progress, path: Path, overwrite: bool = False) -> None:
    from groundup.lab.practice.export import atomic_write

    atomic_write(path, figure_png(progress), overwrite=overwrite)

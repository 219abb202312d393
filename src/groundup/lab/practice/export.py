"""`groundup lab export`: the bank and its review history as an Anki deck, CSV or markdown.

Anki (`.apkg`, written with genanki): one note per question, in a deck per language. The
note type has a fixed id and every note's guid and id are derived from its question id
and the language, so importing a newer export updates the same notes and never duplicates
them. Follow-ups name their parent and children, and carry `chain::<root id>` tags;
topic and difficulty are tags too. The history field lists every grade given.

CSV: one row per review (UTF-8 with a byte-order mark, which spreadsheet programs need to
read Korean). Markdown: the bank, topic by topic, follow-ups under their question.

Every file is written to a temporary file beside it and renamed into place, so a failed
write (a full disk) leaves nothing behind; an existing file is replaced only with
`overwrite=True`.
"""

from __future__ import annotations

import csv
import errno
import hashlib
import html
import io
import itertools
import json
import os
import sqlite3
import tempfile
import zipfile
from collections.abc import Callable, Iterable
from datetime import datetime
from pathlib import Path
from typing import Any

from groundup.lab.bank import QuestionBank
from groundup.lab.practice.store import CardRecord, Review
from groundup.lab.practice.texts import GRADE_KEYS, PracticeError, t
from groundup.lab.schema import Question

FORMATS = ("anki", "csv", "markdown")
EXPORT_LANGS = ("en", "ko", "both")
#: never change these: Anki matches re-imported note types and decks by them
MODEL_ID = 1_739_462_011
DECK_IDS = {"en": 1_739_462_101, "ko": 1_739_462_102, "both": 1_739_462_103}
DECK_NAMES = {
    "en": "groundup interview questions (English)",
    "ko": "groundup 면접 질문 (한국어)",
    "both": "groundup interview questions (한국어 + English)",
}
CSV_COLUMNS = (
    "reviewed_at", "day", "id", "topic", "mode", "grade", "rating", "points_hit",
    "points_total", "answer", "stability", "difficulty", "due", "in_bank",
)  # fmt: skip


# ------------------------------------------------------------------------ files
def atomic_write(
    path: str | os.PathLike[str],
    content: bytes | Callable[[Path], None],
    *,
    overwrite: bool = False,
) -> None:
    """Write `content` (bytes, or a function that writes the file it is given) to `path`
    through a temporary file in the same folder and a rename. Without `overwrite` an
    existing `path` is an error, checked before and at the rename."""
    path = Path(path)
    if path.is_dir():
        raise PracticeError("out_is_folder", path=path)
    if path.exists() and not overwrite:
        raise PracticeError("out_exists", path=path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as exc:
        raise _write_error(exc, path) from None
    tmp = Path(name)
    try:
        if isinstance(content, bytes):
            with os.fdopen(fd, "wb") as f:
                f.write(content)
                f.flush()
                os.fsync(f.fileno())
        else:
            os.close(fd)
            content(tmp)
            with open(tmp, "rb") as f:
                os.fsync(f.fileno())
        if overwrite:
            os.replace(tmp, path)
        else:
            try:
                os.link(tmp, path)  # fails if `path` appeared meanwhile: never clobbers
            except FileExistsError:
                raise PracticeError("out_exists", path=path) from None
            except OSError:  # a file system without hard links
                if path.exists():
                    raise PracticeError("out_exists", path=path) from None
                os.replace(tmp, path)
    except OSError as exc:
        raise _write_error(exc, path) from None
    finally:
        tmp.unlink(missing_ok=True)


def _write_error(exc: OSError, path: Path) -> PracticeError:
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return PracticeError("write_full", path=path)
    return PracticeError("write_failed", path=path, detail=exc.strerror or str(exc))


# ------------------------------------------------------------------------ text
def _text(value: Any, lang: str) -> str:
    """One language, or both ("ko" first) for lang="both"."""
    if lang == "both":
        return f"{value.get('ko')}\n{value.get('en')}"
    return str(value.get(lang))


def _langs(lang: str) -> tuple[str, ...]:
    return ("ko", "en") if lang == "both" else (lang,)


def _label(lang: str, key: str) -> str:
    return " · ".join(t(lg, key) for lg in _langs(lang))


def _message_lang(lang: str) -> str:
    return "ko" if lang == "ko" else "en"


def history_text(reviews: list[Review], card: CardRecord | None, lang: str) -> str:
    """`3 reviews, next due 2025-02-01: 2025-01-01 good, 2025-01-03 hard, ...`"""
    mlang = _message_lang(lang)
    if not reviews or card is None:
        return t(mlang, "history_none")
    head = t(mlang, "history_head", n=len(reviews), due=card.due.date().isoformat())
    return head + ": " + ", ".join(f"{r.day} {GRADE_KEYS[r.rating - 1]}" for r in reviews)


# ------------------------------------------------------------------------ anki
def note_guid(qid: str, lang: str) -> str:
    import genanki

    return str(genanki.guid_for("groundup.lab", qid, lang))


def note_id(qid: str, lang: str) -> int:
    """A stable, even note id (the card takes the odd id after it)."""
    digest = int.from_bytes(hashlib.sha256(f"{qid}/{lang}".encode()).digest()[:5], "big")
    return (1 << 41) + 2 * digest


def _anki_model() -> Any:
    import genanki

    fields = ["Id", "Topic", "Difficulty", "Question", "Answer", "KeyPoints",
              "CommonMistake", "FollowUpOf", "FollowUps", "History"]  # fmt: skip
    front = (
        '<div class="meta">{{Id}} · {{Topic}} · {{Difficulty}}</div>'
        '{{#FollowUpOf}}<div class="parent">{{FollowUpOf}}</div>{{/FollowUpOf}}'
        '<div class="question">{{Question}}</div>'
    )
    back = (
        '{{FrontSide}}<hr id="answer"><div class="answer">{{Answer}}</div>'
        '{{#KeyPoints}}<div class="points">{{KeyPoints}}</div>{{/KeyPoints}}'
        '{{#CommonMistake}}<div class="mistake">{{CommonMistake}}</div>{{/CommonMistake}}'
        '{{#FollowUps}}<div class="children">{{FollowUps}}</div>{{/FollowUps}}'
        '<div class="history">{{History}}</div>'
    )
    css = (
        ".card { font-family: sans-serif; font-size: 18px; text-align: left; }\n"
        ".meta, .history, .parent { color: #777; font-size: 13px; }\n"
        ".question { font-weight: bold; margin: 0.6em 0; }\n"
        ".mistake { background: #fff4e0; padding: 0.4em; }\n"
        ".en { color: #555; }\n"
    )
    return genanki.Model(
        MODEL_ID,
        "groundup interview question",
        fields=[{"name": f} for f in fields],
        templates=[{"name": "Recall", "qfmt": front, "afmt": back}],
        css=css,
    )


def _html(value: Any, lang: str) -> str:
    if lang == "both":
        ko, en = html.escape(value.get("ko")), html.escape(value.get("en"))
        return f'{ko}<br><span class="en">{en}</span>'
    return html.escape(value.get(lang))


def _points_html(q: Question, lang: str) -> str:
    if q.key_points is None:
        return ""
    items = []
    for i, ko_point in enumerate(q.key_points.ko):
        en_point = q.key_points.en[i]
        if lang == "both":
            items.append(f'{html.escape(ko_point)}<br><span class="en">{html.escape(en_point)}'
                         "</span>")  # fmt: skip
        else:
            items.append(html.escape(ko_point if lang == "ko" else en_point))
    head = html.escape(_label(lang, "key_points_heading"))
    return f"<b>{head}</b><ol>" + "".join(f"<li>{item}</li>" for item in items) + "</ol>"


def _link_html(qs: list[Question], lang: str, key: str) -> str:
    if not qs:
        return ""
    head = html.escape(_label(lang, key))
    rows = "".join(f"<li><b>{q.id}</b>: {_html(q.question, lang)}</li>" for q in qs)
    return f"<b>{head}</b><ul>{rows}</ul>"


def anki_tags(bank: QuestionBank, q: Question) -> list[str]:
    tags = [
        "groundup",
        f"topic::{bank.topic_of(q.id)}",
        f"difficulty::{q.difficulty}",
        f"chain::{bank.root(q.id).id}",
    ]
    if q.parent is not None:
        tags += ["follow-up", f"follow-up-of::{q.parent}"]
    if bank.children(q.id):
        tags.append("has-follow-ups")
    return tags


def build_anki(
    bank: QuestionBank,
    questions: Iterable[Question],
    reviews: list[Review],
    cards: dict[str, CardRecord],
    lang: str,
) -> Any:
    """The genanki Package of `questions` with their history."""
    import genanki

    class StableNote(genanki.Note):
        """A note whose id (and its card's) comes from the question id, not the clock."""

        stable_id = 0

        def write_to_db(self, cursor: Any, timestamp: float, deck_id: int, id_gen: Any) -> None:
            super().write_to_db(cursor, timestamp, deck_id, itertools.count(self.stable_id))

    by_qid: dict[str, list[Review]] = {}
    for r in reviews:
        by_qid.setdefault(r.qid, []).append(r)
    model = _anki_model()
    deck = genanki.Deck(DECK_IDS[lang], DECK_NAMES[lang])
    mistake_head = html.escape(_label(lang, "mistake_heading"))
    for position, q in enumerate(questions):
        parent = [bank[q.parent]] if q.parent is not None else []
        mistake = q.common_mistake
        note = StableNote(
            model=model,
            fields=[
                q.id,
                bank.topic_of(q.id),
                q.difficulty,
                _html(q.question, lang),
                _html(q.answer, lang),
                _points_html(q, lang),
                f"<b>{mistake_head}</b><br>{_html(mistake, lang)}" if mistake else "",
                _link_html(parent, lang, "follow_up_of"),
                _link_html(bank.children(q.id), lang, "follow_ups"),
                html.escape(history_text(by_qid.get(q.id, []), cards.get(q.id), lang)),
            ],
            tags=anki_tags(bank, q),
            guid=note_guid(q.id, lang),
            due=position,
        )
        note.stable_id = note_id(q.id, lang)
        deck.add_note(note)
    return genanki.Package(deck)


def write_apkg(package: Any, path: Path, timestamp: float) -> None:
    """What genanki's `write_to_file` does, with its scratch database removed afterwards."""
    with tempfile.TemporaryDirectory(prefix="groundup-anki-") as scratch:
        db = Path(scratch) / "collection.anki2"
        conn = sqlite3.connect(db)
        try:
            package.write_to_db(conn.cursor(), timestamp, itertools.count(int(timestamp * 1000)))
            conn.commit()
        finally:
            conn.close()
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
            z.write(db, "collection.anki2")
            z.writestr("media", json.dumps({}))


# ------------------------------------------------------------------------ csv
def csv_bytes(bank: QuestionBank, reviews: list[Review], lang: str) -> tuple[bytes, int]:
    """Every review as a CSV row (with the question in `lang`); returns (bytes, rows)."""
    columns = list(CSV_COLUMNS) + [f"question_{lg}" for lg in _langs(lang)]
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(columns)
    for r in reviews:
        q = bank.get(r.qid)
        writer.writerow(
            [
                r.reviewed_at.isoformat(),
                r.day,
                r.qid,
                r.topic,
                r.mode,
                GRADE_KEYS[r.rating - 1],
                r.rating,
                " ".join(str(p) for p in r.points_hit),
                r.points_total,
                r.answer,
                "" if r.stability is None else f"{r.stability:.6g}",
                "" if r.difficulty is None else f"{r.difficulty:.6g}",
                r.due.isoformat(),
                int(q is not None),
                *[q.question.get(lg) if q is not None else "" for lg in _langs(lang)],
            ]
        )
    return buffer.getvalue().encode("utf-8-sig"), len(reviews)


# ------------------------------------------------------------------------ markdown
def markdown_text(bank: QuestionBank, topics: list[str], lang: str) -> tuple[str, int]:
    """The bank as markdown: a section per topic, follow-ups nested under their question."""
    out = ["# groundup interview questions", ""]
    n = 0
    for topic in topics:
        out += [f"## {_inline(bank.topic_title(topic), lang)}", ""]
        members = {q.id for q in bank.by_topic(topic)}
        for q in bank.by_topic(topic):
            if q.parent is None or q.parent not in members:
                n += _markdown_tree(bank, q, 0, members, lang, out)
    return "\n".join(out).rstrip() + "\n", n


def _markdown_tree(
    bank: QuestionBank, q: Question, depth: int, members: set[str], lang: str, out: list[str]
) -> int:
    """Append `q` and its follow-ups of the same topic to `out`; returns how many."""
    level = "#" * min(6, 3 + depth)
    out += [f'<a id="{q.id}"></a>', "", f"{level} `{q.id}` ({q.difficulty})", ""]
    if q.parent is not None:
        out += [f"{_label(lang, 'follow_up_of')}: [{q.parent}](#{q.parent})", ""]
    for lg in _langs(lang):
        out += [f"**Q.** {q.question.get(lg)}", ""]
    for lg in _langs(lang):
        out += [q.answer.get(lg), ""]
    if q.key_points is not None:
        for lg in _langs(lang):
            out.append(f"{t(lg, 'key_points_heading')}:")
            out += [f"{i}. {p}" for i, p in enumerate(getattr(q.key_points, lg), 1)]
            out.append("")
    if q.common_mistake is not None:
        for lg in _langs(lang):
            out += [f"> **{t(lg, 'mistake_heading')}:** {q.common_mistake.get(lg)}", ""]
    children = bank.children(q.id)
    if children:
        links = ", ".join(f"[{c.id}](#{c.id})" for c in children)
        out += [f"{_label(lang, 'follow_ups')}: {links}", ""]
    n = 1
    for child in children:
        if child.id in members:
            n += _markdown_tree(bank, child, depth + 1, members, lang, out)
    return n


def _inline(value: Any, lang: str) -> str:
    return " / ".join(value.get(lg) for lg in _langs(lang))


# ------------------------------------------------------------------------ entry
def export(
    fmt: str,
    out: Path,
    *,
    bank: QuestionBank,
    lang: str,
    reviews: list[Review],
    cards: dict[str, CardRecord],
    topics: list[str] | None = None,
    overwrite: bool = False,
    now: datetime | None = None,
) -> str:
    """Write the export; returns the one-line message saying what was written."""
    topics = topics if topics is not None else bank.topics()
    mlang = _message_lang(lang)
    if fmt == "anki":
        questions = [q for topic in topics for q in bank.by_topic(topic)]
        package = build_anki(bank, questions, reviews, cards, lang)
        stamp = (now or datetime.now().astimezone()).timestamp()
        atomic_write(out, lambda tmp: write_apkg(package, tmp, stamp), overwrite=overwrite)
        return t(mlang, "exported_anki", path=out, notes=len(questions), deck=DECK_NAMES[lang])
    if fmt == "csv":
        wanted = {q.id for topic in topics for q in bank.by_topic(topic)}
        chosen = [r for r in reviews if topics == bank.topics() or r.qid in wanted]
        data, rows = csv_bytes(bank, chosen, lang)
        atomic_write(out, data, overwrite=overwrite)
        return t(mlang, "exported_csv", path=out, rows=rows)
    if fmt == "markdown":
        text, n = markdown_text(bank, topics, lang)
        atomic_write(out, text.encode("utf-8"), overwrite=overwrite)
        return t(mlang, "exported_markdown", path=out, questions=n)
    raise ValueError(f"unknown export format {fmt!r}; choose from {', '.join(FORMATS)}")

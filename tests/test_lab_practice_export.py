"""`groundup lab export`: Anki with stable ids, CSV of the history, markdown of the bank,
atomic writes that never clobber."""

from __future__ import annotations

import csv
import errno
import io
import json
import sqlite3
import zipfile
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import genanki
import pytest

from groundup.cli import main
from groundup.lab.bank import load_bank
from groundup.lab.practice import export as export_module
from groundup.lab.practice.export import DECK_IDS, MODEL_ID, note_id
from groundup.lab.practice.scheduler import Scheduler
from groundup.lab.practice.store import Review, Store
from tests.test_lab_practice_support import KST

BANK = load_bank()
DAY = datetime(2025, 3, 3, 9, 0, tzinfo=KST)


def grade(store: Store, qid: str, rating: int, when: datetime, answer: str = "") -> None:
    topic = BANK.topic_of(qid) if qid in BANK else "initialization"
    day = when.date().isoformat()
    card = Scheduler().review(store.card(qid), qid, topic, rating, when, day)
    store.save_review(card, Review(qid, topic, when, day, rating, card.due, card.stability,
                                   card.difficulty, answer=answer, points_hit=(1,),
                                   points_total=4))  # fmt: skip


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "p.sqlite3"
    with Store(path) as store:
        grade(store, "init.methods", 3, DAY, 'He, "Xavier", 대칭\nsecond line')
        grade(store, "init.zero-init", 1, DAY)
        grade(store, "init.zero-init", 3, DAY + timedelta(days=1))
        grade(store, "init.retired-one", 2, DAY)  # a question no longer in the bank
    return path


def anki_notes(path: Path, tmp_path: Path) -> tuple[dict[str, dict[str, Any]], dict[str, Any]]:
    """{question id: note} and the models of an .apkg."""
    with zipfile.ZipFile(path) as z:
        assert set(z.namelist()) == {"collection.anki2", "media"}
        z.extract("collection.anki2", tmp_path / "unzipped")
    conn = sqlite3.connect(tmp_path / "unzipped" / "collection.anki2")
    models = json.loads(conn.execute("SELECT models FROM col").fetchone()[0])
    names = [f["name"] for f in models[str(MODEL_ID)]["flds"]]
    notes = {}
    for nid, guid, mid, tags, flds in conn.execute("SELECT id, guid, mid, tags, flds FROM notes"):
        fields = dict(zip(names, flds.split("\x1f"), strict=True))
        notes[fields["Id"]] = {"id": nid, "guid": guid, "mid": mid, "tags": tags.split(),
                               "fields": fields}  # fmt: skip
    cards = conn.execute("SELECT nid, did FROM cards").fetchall()
    conn.close()
    assert {nid for nid, _ in cards} == {n["id"] for n in notes.values()}
    return notes, {"models": models, "decks": {did for _, did in cards}}


def test_anki_deck_has_stable_ids_tags_follow_ups_and_history(
    db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "deck.apkg"
    args = ["lab", "export", "--format", "anki", "--lang", "en", "--db", str(db)]
    assert main([*args, "--out", str(out)]) == 0
    assert capsys.readouterr().out.strip() == (
        f"wrote {out}: {len(BANK)} notes in deck 'groundup interview questions (English)' "
        "(importing it again updates them)"
    )
    notes, meta = anki_notes(out, tmp_path / "a")
    assert set(notes) == set(BANK.ids())
    assert meta["decks"] == {DECK_IDS["en"]}
    zero = notes["init.zero-init"]
    assert zero["mid"] == MODEL_ID
    assert zero["guid"] == genanki.guid_for("groundup.lab", "init.zero-init", "en")
    assert zero["id"] == note_id("init.zero-init", "en")
    assert {"topic::initialization", "difficulty::easy", "chain::init.methods", "follow-up",
            "follow-up-of::init.methods"} <= set(zero["tags"])  # fmt: skip
    assert "init.methods" in zero["fields"]["FollowUpOf"]
    assert all(c.id in zero["fields"]["FollowUps"] for c in BANK.children("init.zero-init"))
    assert "Common mistake" in zero["fields"]["CommonMistake"]
    assert zero["fields"]["History"] == (
        "2 reviews, next due 2025-03-06: 2025-03-03 again, 2025-03-04 good"
    )
    assert notes["init.methods"]["fields"]["History"].startswith("1 reviews")
    assert notes[BANK.ids()[-1]]["fields"]["History"] == "not reviewed yet"
    # more practice, then export again: the same notes (ids, guids, note type), new history
    with Store(db) as store:
        grade(store, "init.methods", 4, DAY + timedelta(days=3))
    assert main([*args, "--out", str(out), "--overwrite"]) == 0
    again, _ = anki_notes(out, tmp_path / "b")
    assert {q: (n["id"], n["guid"], n["mid"]) for q, n in again.items()} == {
        q: (n["id"], n["guid"], n["mid"]) for q, n in notes.items()
    }
    assert again["init.methods"]["fields"]["History"].startswith("2 reviews")


def test_anki_in_korean_and_in_both_languages_are_other_decks(
    db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for lang in ("ko", "both"):
        out = tmp_path / f"{lang}.apkg"
        assert main(["lab", "export", "--format", "anki", "--lang", lang, "--db", str(db),
                     "--out", str(out), "--topic", "initialization"]) == 0  # fmt: skip
        notes, meta = anki_notes(out, tmp_path / lang)
        assert set(notes) == {q.id for q in BANK.by_topic("initialization")}
        assert meta["decks"] == {DECK_IDS[lang]}
        fields = notes["init.zero-init"]["fields"]
        assert BANK["init.zero-init"].question.ko in fields["Question"]
        assert ("What goes wrong" in fields["Question"]) == (lang == "both")
        assert notes["init.zero-init"]["guid"] == genanki.guid_for(
            "groundup.lab", "init.zero-init", lang
        )
    assert f"노트 {len(BANK.by_topic('initialization'))}개" in capsys.readouterr().out


def test_csv_holds_every_review_with_its_question(
    db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "history.csv"
    assert main(["lab", "export", "--format", "csv", "--lang", "both", "--db", str(db),
                 "--out", str(out)]) == 0  # fmt: skip
    assert capsys.readouterr().out.strip() == f"wrote {out}: 4 reviews"
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # spreadsheets read Korean only with the BOM
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    assert [(r["id"], r["grade"], r["rating"]) for r in rows] == [
        ("init.methods", "good", "3"), ("init.zero-init", "again", "1"),
        ("init.retired-one", "hard", "2"), ("init.zero-init", "good", "3"),
    ]  # fmt: skip
    assert rows[0]["answer"] == 'He, "Xavier", 대칭\nsecond line'
    assert rows[0]["question_ko"] == BANK["init.methods"].question.ko
    assert rows[0]["question_en"] == BANK["init.methods"].question.en
    assert (rows[2]["in_bank"], rows[2]["question_en"]) == ("0", "")
    assert rows[0]["day"] == "2025-03-03" and rows[0]["points_hit"] == "1"


def test_markdown_is_the_bank_with_follow_ups_linked(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "bank.md"
    db = tmp_path / "never-created.sqlite3"
    assert main(["lab", "export", "--format", "markdown", "--lang", "ko", "--out", str(out),
                 "--db", str(db)]) == 0  # fmt: skip
    assert capsys.readouterr().out.strip() == f"{out} 저장: 질문 {len(BANK)}개"
    text = out.read_text(encoding="utf-8")
    for q in BANK:
        assert f'<a id="{q.id}"></a>' in text
        assert q.question.ko in text
    assert "앞선 질문: [init.methods](#init.methods)" in text
    assert "What goes wrong" not in text
    assert not db.exists()  # exporting never creates a database


def test_an_existing_file_is_kept_without_overwrite(
    db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "mine.csv"
    out.write_text("precious")
    assert main(["lab", "export", "--format", "csv", "--db", str(db), "--out", str(out)]) == 1
    assert capsys.readouterr().err.strip() == (
        f"groundup lab export: error: {out} exists; pass --overwrite to replace it"
    )
    assert out.read_text() == "precious"
    assert main(["lab", "export", "--format", "csv", "--lang", "ko", "--db", str(db),
                 "--out", str(tmp_path)]) == 1  # fmt: skip
    assert "폴더입니다" in capsys.readouterr().err


@pytest.mark.parametrize("fmt", ["csv", "anki"])
def test_a_full_disk_writes_nothing_and_keeps_the_old_file(
    fmt: str, db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    out = tmp_path / "out" / f"export.{fmt}"
    out.parent.mkdir()
    out.write_bytes(b"the previous export")

    def full(*args: object) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    if fmt == "csv":
        monkeypatch.setattr(export_module.os, "fsync", full)  # the data hit a full disk
    else:
        real = export_module.write_apkg

        def half(package: Any, path: Path, timestamp: float) -> None:
            real(package, path, timestamp)
            with open(path, "r+b") as f:
                f.truncate(100)
            full()

        monkeypatch.setattr(export_module, "write_apkg", half)
    status = main(["lab", "export", "--format", fmt, "--db", str(db), "--out", str(out),
                   "--overwrite"])  # fmt: skip
    assert status == 1
    assert capsys.readouterr().err.strip() == (
        f"groundup lab export: error: {out}: the disk is full; nothing was written"
    )
    assert out.read_bytes() == b"the previous export"
    assert [p.name for p in out.parent.iterdir()] == [out.name]  # the temporary file is gone


def test_unknown_format_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["lab", "export", "--format", "pdf", "--out", "x.pdf"]) == 2
    assert "unknown format 'pdf'; choose from anki, csv, markdown" in capsys.readouterr().err

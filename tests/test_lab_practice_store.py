"""The practice database: schema and migrations, damaged and foreign files, locks, a
read-only file, a full disk, two writers, retired questions, the default path."""

from __future__ import annotations

import hashlib
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from groundup.cli import main
from groundup.lab.practice.drill import Drill
from groundup.lab.practice.scheduler import Scheduler
from groundup.lab.practice.session import NOW_VARIABLE, fixed_clock
from groundup.lab.practice.store import (
    APPLICATION_ID,
    MIGRATIONS,
    SCHEMA_VERSION,
    Review,
    Store,
    default_path,
)
from groundup.lab.practice.texts import PracticeError
from tests.test_lab_practice_support import KST, console_for, make_bank, question, scripted

NOW = datetime(2025, 3, 3, 9, 0, tzinfo=KST)
BANK = make_bank({"demo": [question("demo.a"), question("demo.b"), question("demo.c")]})


def grade(store: Store, qid: str, rating: int = 3, now: datetime = NOW) -> None:
    """What a drill does for one grade."""
    card = Scheduler().review(store.card(qid), qid, "demo", rating, now, now.date().isoformat())
    review = Review(qid, "demo", now, now.date().isoformat(), rating, card.due,
                    card.stability, card.difficulty, answer=f"answer {qid}")  # fmt: skip
    store.save_review(card, review)


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def error_key(path: Path, **kwargs: object) -> str:
    with pytest.raises(PracticeError) as info:
        Store(path, **kwargs)  # type: ignore[arg-type]
    return info.value.key


# ---------------------------------------------------------------------------- schema
def test_a_new_database_has_our_schema_in_wal_mode(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "practice.sqlite3"  # folders are created
    with Store(path) as store:
        assert store.version == SCHEMA_VERSION == len(MIGRATIONS)
        grade(store, "demo.a")
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA application_id").fetchone()[0] == APPLICATION_ID
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("SELECT qid, answer FROM reviews").fetchall() == [
        ("demo.a", "answer demo.a")
    ]


def test_an_empty_file_becomes_a_database(tmp_path: Path) -> None:
    path = tmp_path / "empty.sqlite3"
    path.touch()
    with Store(path) as store:
        assert store.version == SCHEMA_VERSION


def test_a_version_1_database_is_migrated_keeping_its_history(tmp_path: Path) -> None:
    path = tmp_path / "v1.sqlite3"
    conn = sqlite3.connect(path, isolation_level=None)
    for statement in MIGRATIONS[0]:
        conn.execute(statement)
    conn.execute("PRAGMA user_version = 1")
    conn.execute(
        "INSERT INTO cards VALUES ('demo.a', 'demo', 2, NULL, 2.3, 2.1,"
        " '2025-03-05T00:00:00.000000+00:00', '2025-03-03T00:00:00.000000+00:00', 1, 0,"
        " '2025-03-03')"
    )
    conn.execute(
        "INSERT INTO reviews (qid, topic, reviewed_at, day, rating, due) VALUES ('demo.a',"
        " 'demo', '2025-03-03T00:00:00.000000+00:00', '2025-03-03', 3,"
        " '2025-03-05T00:00:00.000000+00:00')"
    )
    conn.close()
    with Store(path) as store:
        assert store.version == SCHEMA_VERSION
        (review,) = store.reviews()
        assert (review.qid, review.rating, review.mode, review.session_id) == (
            "demo.a",
            3,
            "drill",
            None,
        )
        assert store.card("demo.a") is not None
        grade(store, "demo.b")  # and the new tables work
        store.start_session("interview", NOW, "2025-03-03", "en")
        assert [iv.lang for iv in store.interviews()] == ["en"]


# ---------------------------------------------------------------------------- bad files
def test_a_file_that_is_not_sqlite_is_named_and_never_touched(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("my interview notes\n" * 50)
    before = digest(path)
    assert error_key(path) == "db_not_sqlite"
    assert main(["lab", "drill", "--db", str(path)]) == 1
    err = capsys.readouterr().err.strip()
    assert err == (
        f"groundup lab drill: error: {path} is not an SQLite database; it was left as it is: "
        "pass another --db"
    )
    assert main(["lab", "progress", "--db", str(path), "--lang", "ko"]) == 1
    assert "SQLite 데이터베이스가 아닙니다" in capsys.readouterr().err
    assert digest(path) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"]  # no -wal, no -shm


def test_another_programs_sqlite_database_is_refused_untouched(tmp_path: Path) -> None:
    path = tmp_path / "other.db"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE bookmarks (url TEXT)")
    conn.commit()
    conn.close()
    before = digest(path)
    assert error_key(path) == "db_foreign"
    assert error_key(path, read_only=True) == "db_foreign"
    assert digest(path) == before
    assert "another program's SQLite database" in str(PracticeError("db_foreign", path=path))


def test_a_database_of_a_newer_schema_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "p.sqlite3"
    Store(path).close()
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 5}")
    conn.close()
    with pytest.raises(PracticeError) as info:
        Store(path)
    assert info.value.key == "db_newer"
    assert f"schema {SCHEMA_VERSION + 5}; this one knows up to {SCHEMA_VERSION}" in str(info.value)


def test_a_damaged_database_is_named_and_left_as_it_is(tmp_path: Path) -> None:
    path = tmp_path / "p.sqlite3"
    with Store(path) as store:
        for qid in ("demo.a", "demo.b", "demo.c"):
            grade(store, qid)
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA journal_mode = DELETE")  # fold the WAL back into the file
    page = conn.execute("PRAGMA page_size").fetchone()[0]
    conn.close()
    data = bytearray(path.read_bytes())
    data[page + 8 : 2 * page] = b"\xa5" * (page - 8)  # scramble page 2 (a table's b-tree)
    path.write_bytes(bytes(data))
    before = digest(path)
    assert error_key(path) == "db_corrupt"
    assert digest(path) == before


def test_a_folder_as_database_is_one_line(tmp_path: Path) -> None:
    assert error_key(tmp_path) == "db_is_folder"


# ---------------------------------------------------------------------------- writers
def test_every_grade_is_committed_when_given_and_two_writers_share_the_file(
    tmp_path: Path,
) -> None:
    path = tmp_path / "p.sqlite3"
    one, two = Store(path), Store(path)
    grade(one, "demo.a")
    grade(two, "demo.b")
    grade(one, "demo.c")
    grade(two, "demo.a", 1, NOW + timedelta(days=2))
    reader = sqlite3.connect(path)  # a third connection sees every commit at once
    assert [r[0] for r in reader.execute("SELECT qid FROM reviews ORDER BY id")] == [
        "demo.a", "demo.b", "demo.c", "demo.a",
    ]  # fmt: skip
    card = one.card("demo.a")
    assert card is not None and card.reps == 2 and card.lapses == 1
    one.close()
    two.close()


def test_a_locked_database_is_one_line_and_the_grade_can_be_given_again(tmp_path: Path) -> None:
    path = tmp_path / "p.sqlite3"
    store = Store(path, busy_timeout=0.05)
    blocker = sqlite3.connect(path, isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")  # another process in the middle of a write
    with pytest.raises(PracticeError) as info:
        grade(store, "demo.a")
    assert info.value.key == "db_locked"
    assert str(info.value) == f"{path} is locked by another groundup session; try again in a moment"
    blocker.execute("ROLLBACK")
    grade(store, "demo.a")
    assert len(store.reviews()) == 1
    store.close()


def test_a_full_disk_loses_only_the_grade_being_written(tmp_path: Path) -> None:
    path = tmp_path / "p.sqlite3"
    store = Store(path)
    grade(store, "demo.a")
    pages = store._conn.execute("PRAGMA page_count").fetchone()[0]
    store._conn.execute(f"PRAGMA max_page_count = {pages}")  # SQLite's own SQLITE_FULL
    card = Scheduler().review(None, "demo.b", "demo", 3, NOW, "2025-03-03")
    big = Review("demo.b", "demo", NOW, "2025-03-03", 3, card.due, answer="x" * 50_000)
    with pytest.raises(PracticeError) as info:
        store.save_review(card, big)
    assert info.value.key == "db_full"
    assert [r.qid for r in store.reviews()] == ["demo.a"]
    assert store.card("demo.b") is None  # the card was not half-written either
    store.close()


# ---------------------------------------------------------------------------- read-only
AS_NOBODY = (
    "import os, sys; from groundup.cli import main; import groundup.lab.practice.commands;"
    " os.setgid(65534); os.setuid(65534); sys.exit(main(sys.argv[1:]))"
)


def run_unprivileged(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """`groundup ARGS` as a user that may not write the file (root may write anything)."""
    code = (
        AS_NOBODY
        if os.geteuid() == 0
        else "import sys; from groundup.cli import main; sys.exit(main())"
    )
    return subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, text=True, env=env,
        timeout=120, stdin=subprocess.DEVNULL, check=False,
    )  # fmt: skip


def test_a_read_only_database_refuses_grades_but_still_shows_progress() -> None:
    top = Path(tempfile.mkdtemp(prefix="groundup-ro-"))  # pytest's own folders are 0700
    top.chmod(0o755)
    folder = top / "ro"
    folder.mkdir()
    path = folder / "p.sqlite3"
    with Store(path) as store:
        grade(store, "demo.a")
    before = digest(path)
    path.chmod(0o444)
    folder.chmod(0o555)
    env = {**os.environ, NOW_VARIABLE: NOW.isoformat(), "PYTHONPATH": os.pathsep.join(sys.path)}
    try:
        drill = run_unprivileged(["lab", "drill", "--db", str(path)], env)
        progress = run_unprivileged(["lab", "progress", "--db", str(path), "--json"], env)
    finally:
        after = digest(path)
        folder.chmod(0o755)
        path.chmod(0o644)
        shutil.rmtree(top)
    assert drill.returncode == 1, drill.stderr
    assert drill.stderr.strip() == (
        f"groundup lab drill: error: {path} is read-only, so grades cannot be saved; make it "
        "writable or pass another --db"
    )
    assert progress.returncode == 0, progress.stderr
    assert '"reviews_total": 1' in progress.stdout
    assert after == before


# ---------------------------------------------------------------------------- history
def test_questions_retired_from_the_bank_keep_their_history(tmp_path: Path) -> None:
    path = tmp_path / "p.sqlite3"
    old = make_bank({"demo": [question("demo.a"), question("demo.gone")]})
    new = make_bank({"demo": [question("demo.a"), question("demo.new")]})
    with Store(path) as store:
        console, _, _ = console_for(scripted(["", "", "good"] * 2))
        Drill(old, store, console, now=fixed_clock(NOW)).run()
        console, screen, _ = console_for(scripted(["", "", "good"] * 2))
        later = NOW + timedelta(days=30)
        Drill(new, store, console, now=fixed_clock(later)).run()
        assert [h.split()[1] for h in screen.headers] == ["demo.a", "demo.new"]
        assert [r.qid for r in store.reviews()] == ["demo.a", "demo.gone", "demo.a", "demo.new"]
        assert "demo.gone" in store.cards()


def test_the_default_database_lives_in_the_users_data_folder(tmp_path: Path) -> None:
    home = Path.home()
    assert default_path({}) == home / ".local/share/groundup/practice.sqlite3"
    assert default_path({"XDG_DATA_HOME": str(tmp_path)}) == tmp_path / "groundup/practice.sqlite3"
    assert default_path({"XDG_DATA_HOME": "relative/dir"}) == default_path({})

"""SQLite storage of practice: one card per question id, every review, every session and
every chain of a mock interview. Nothing else in the lab touches the database.

The file is `$XDG_DATA_HOME/groundup/practice.sqlite3` (else `~/.local/share/...`) unless
a path is given. The schema is versioned by `PRAGMA user_version` and marked as ours by
`PRAGMA application_id`; `MIGRATIONS[i]` takes version i to i + 1 inside one transaction.
Before anything is written the file is checked: not SQLite, SQLite of another program, a
newer schema or a failed integrity check is a `PracticeError` naming the file, and the
file is left as it was.

Every review is written in its own transaction the moment it is given (review row and
updated card together), so a killed process loses at most the card on screen. The journal
is WAL with a busy timeout: two terminals can drill from the same file at once. Cards of
questions that left the bank are never deleted; their history stays.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from groundup.lab.practice.texts import PracticeError

APPLICATION_ID = 0x67755072  # "guPr": marks a groundup practice database
SQLITE_HEADER = b"SQLite format 3\x00"
DB_NAME = "practice.sqlite3"
DEFAULT_BUSY_TIMEOUT = 5.0  # seconds another terminal's write may hold us up

MIGRATIONS: tuple[tuple[str, ...], ...] = (
    # 1: cards and their reviews
    (
        f"PRAGMA application_id = {APPLICATION_ID}",
        """CREATE TABLE cards (
            qid TEXT PRIMARY KEY,
            topic TEXT NOT NULL,
            state INTEGER NOT NULL,
            step INTEGER,
            stability REAL,
            difficulty REAL,
            due TEXT NOT NULL,
            last_review TEXT,
            reps INTEGER NOT NULL DEFAULT 0,
            lapses INTEGER NOT NULL DEFAULT 0,
            first_day TEXT NOT NULL
        ) STRICT""",
        "CREATE INDEX cards_due ON cards (due)",
        """CREATE TABLE reviews (
            id INTEGER PRIMARY KEY,
            qid TEXT NOT NULL,
            topic TEXT NOT NULL,
            reviewed_at TEXT NOT NULL,
            day TEXT NOT NULL,
            rating INTEGER NOT NULL CHECK (rating BETWEEN 1 AND 4),
            answer TEXT NOT NULL DEFAULT '',
            points_hit TEXT NOT NULL DEFAULT '',
            points_total INTEGER NOT NULL DEFAULT 0,
            answer_ms INTEGER,
            stability REAL,
            difficulty REAL,
            due TEXT NOT NULL
        ) STRICT""",
        "CREATE INDEX reviews_qid ON reviews (qid, reviewed_at)",
        "CREATE INDEX reviews_day ON reviews (day)",
    ),
    # 2: sessions (drill, mock interview) and the chains a mock interview walked
    (
        """CREATE TABLE sessions (
            id INTEGER PRIMARY KEY,
            kind TEXT NOT NULL CHECK (kind IN ('drill', 'interview')),
            started TEXT NOT NULL,
            day TEXT NOT NULL,
            ended TEXT,
            lang TEXT NOT NULL,
            topic TEXT,
            minutes REAL
        ) STRICT""",
        "ALTER TABLE reviews ADD COLUMN session_id INTEGER",
        "ALTER TABLE reviews ADD COLUMN mode TEXT NOT NULL DEFAULT 'drill'",
        """CREATE TABLE chains (
            id INTEGER PRIMARY KEY,
            session_id INTEGER NOT NULL,
            position INTEGER NOT NULL,
            root TEXT NOT NULL,
            depth INTEGER NOT NULL,
            max_depth INTEGER NOT NULL,
            broke_at TEXT,
            broke_rating INTEGER,
            ended TEXT NOT NULL CHECK (ended IN ('complete', 'missed', 'time', 'stopped'))
        ) STRICT""",
        "CREATE INDEX chains_session ON chains (session_id, position)",
    ),
)
SCHEMA_VERSION = len(MIGRATIONS)


def default_path(env: Mapping[str, str] | None = None) -> Path:
    """`$XDG_DATA_HOME/groundup/practice.sqlite3`, else `~/.local/share/groundup/...`
    (a relative XDG_DATA_HOME is ignored, as the XDG spec says)."""
    env = os.environ if env is None else env
    base = env.get("XDG_DATA_HOME", "")
    root = Path(base) if base and os.path.isabs(base) else Path.home() / ".local" / "share"
    return root / "groundup" / DB_NAME


def timestamp(moment: datetime) -> str:
    """A moment as stored: UTC, ISO 8601, microseconds (so text order is time order)."""
    if moment.tzinfo is None:
        raise ValueError("practice times must be timezone-aware")
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def parse_time(text: str) -> datetime:
    return datetime.fromisoformat(text)


@dataclass(frozen=True)
class CardRecord:
    """The FSRS state of one question's card."""

    qid: str
    topic: str
    state: int
    step: int | None
    stability: float | None
    difficulty: float | None
    due: datetime
    last_review: datetime | None
    reps: int
    lapses: int
    first_day: str


@dataclass(frozen=True)
class Review:
    """One grade given to one card, with what the card became."""

    qid: str
    topic: str
    reviewed_at: datetime
    day: str  # the local date of the review, YYYY-MM-DD
    rating: int  # 1 again, 2 hard, 3 good, 4 easy
    due: datetime
    stability: float | None = None
    difficulty: float | None = None
    answer: str = ""
    points_hit: tuple[int, ...] = ()
    points_total: int = 0
    answer_ms: int | None = None
    mode: str = "drill"  # drill | interview
    session_id: int | None = None
    id: int = 0


@dataclass(frozen=True)
class Chain:
    """One follow-up chain of a mock interview: how deep the candidate got."""

    position: int
    root: str
    depth: int  # questions answered good or easy
    max_depth: int  # the longest chain below the root, root included
    ended: str  # complete | missed | time | stopped
    broke_at: str | None = None
    broke_rating: int | None = None


@dataclass(frozen=True)
class InterviewRecord:
    id: int
    started: datetime
    day: str
    ended: datetime | None
    lang: str
    topic: str | None
    minutes: float | None
    chains: tuple[Chain, ...]


def _error(exc: sqlite3.Error, path: Path) -> PracticeError:
    """A one-line, named error for what SQLite said."""
    name = getattr(exc, "sqlite_errorname", "") or ""
    text = str(exc)
    if name.startswith(("SQLITE_BUSY", "SQLITE_LOCKED")) or "locked" in text:
        return PracticeError("db_locked", path=path)
    if name.startswith("SQLITE_READONLY") or "readonly" in text:
        return PracticeError("db_readonly", path=path)
    if name.startswith("SQLITE_FULL") or "is full" in text:
        return PracticeError("db_full", path=path)
    if name.startswith(("SQLITE_CORRUPT", "SQLITE_NOTADB")) or "malformed" in text:
        return PracticeError("db_corrupt", path=path, detail=text)
    if name.startswith("SQLITE_CANTOPEN"):
        return PracticeError("db_cannot_open", path=path)
    return PracticeError("db_error", path=path, detail=text)


class Store:
    """The practice database at `path` (opened, checked and migrated on construction).

    `read_only=True` never writes (no migration, no WAL switch): `progress` and `export`
    use it, so they work on a file they may not change.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        busy_timeout: float = DEFAULT_BUSY_TIMEOUT,
        read_only: bool = False,
    ):
        self.path = Path(path)
        self.read_only = read_only
        try:
            self._check_file()
        except OSError:  # e.g. a folder on the way that may not be entered
            raise PracticeError("db_cannot_open", path=self.path) from None
        # read-only: "mode=ro" takes part in WAL locking, which needs the -shm file; in a
        # folder we may not write that is impossible, so the file is then read as immutable
        modes = ("mode=ro", "immutable=1") if read_only else ("",)
        for i, mode in enumerate(modes):
            try:
                self._conn = self._connect(mode, busy_timeout)
            except OSError:
                raise PracticeError("db_cannot_open", path=self.path) from None
            except sqlite3.Error as exc:
                raise _error(exc, self.path) from None
            try:
                self._prepare()
                return
            except sqlite3.Error as exc:
                self._conn.close()
                error = _error(exc, self.path)
                if i + 1 == len(modes) or error.key not in ("db_readonly", "db_cannot_open"):
                    raise error from None
            except BaseException:
                self._conn.close()
                raise

    def _connect(self, mode: str, busy_timeout: float) -> sqlite3.Connection:
        if mode:
            uri = f"{self.path.absolute().as_uri()}?{mode}"
            return sqlite3.connect(uri, uri=True, timeout=busy_timeout, isolation_level=None)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        return sqlite3.connect(self.path, timeout=busy_timeout, isolation_level=None)

    # ----------------------------------------------------------------- opening
    def _check_file(self) -> None:
        if self.path.is_dir():
            raise PracticeError("db_is_folder", path=self.path)
        if not self.path.exists():
            if self.read_only:
                raise PracticeError("db_missing", path=self.path)
            return
        with self.path.open("rb") as f:
            head = f.read(len(SQLITE_HEADER))
        if head and head != SQLITE_HEADER:
            raise PracticeError("db_not_sqlite", path=self.path)

    def _prepare(self) -> None:
        conn = self._conn
        app = conn.execute("PRAGMA application_id").fetchone()[0]
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        objects = conn.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]
        fresh = app == 0 and version == 0 and objects == 0
        if not fresh and app != APPLICATION_ID:
            raise PracticeError("db_foreign", path=self.path)
        if version > SCHEMA_VERSION:
            raise PracticeError("db_newer", path=self.path, version=version, known=SCHEMA_VERSION)
        if not fresh:
            check = conn.execute("PRAGMA quick_check").fetchall()
            if [tuple(r) for r in check] != [("ok",)]:
                raise PracticeError("db_corrupt", path=self.path, detail=check[0][0])
        if self.read_only:
            if version < SCHEMA_VERSION:
                raise PracticeError("db_readonly", path=self.path)
            return
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = NORMAL")  # WAL: a commit survives a killed process
        if version < SCHEMA_VERSION:
            self.migrate()

    def migrate(self, to: int = SCHEMA_VERSION) -> None:
        """Apply the missing migrations up to version `to`, each in its own transaction."""
        while True:
            with self.transaction() as conn:
                version = conn.execute("PRAGMA user_version").fetchone()[0]
                if version >= to:
                    return
                for statement in MIGRATIONS[version]:
                    conn.execute(statement)
                conn.execute(f"PRAGMA user_version = {version + 1}")

    @property
    def version(self) -> int:
        return int(self._conn.execute("PRAGMA user_version").fetchone()[0])

    @contextlib.contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """BEGIN IMMEDIATE ... COMMIT; any error rolls back and becomes a PracticeError."""
        if self.read_only:
            raise PracticeError("db_readonly", path=self.path)
        try:
            self._conn.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as exc:
            raise _error(exc, self.path) from None
        try:
            yield self._conn
            self._conn.execute("COMMIT")
        except BaseException as exc:
            with contextlib.suppress(sqlite3.Error):
                self._conn.execute("ROLLBACK")
            if isinstance(exc, sqlite3.Error):
                raise _error(exc, self.path) from None
            raise

    def close(self) -> None:
        self._conn.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _read(self, sql: str, params: tuple[object, ...] = ()) -> list[sqlite3.Row]:
        try:
            cur = self._conn.execute(sql, params)
            cur.row_factory = sqlite3.Row
            return list(cur.fetchall())
        except sqlite3.Error as exc:
            raise _error(exc, self.path) from None

    # ------------------------------------------------------------------- cards
    @staticmethod
    def _card(row: sqlite3.Row) -> CardRecord:
        return CardRecord(
            qid=row["qid"],
            topic=row["topic"],
            state=row["state"],
            step=row["step"],
            stability=row["stability"],
            difficulty=row["difficulty"],
            due=parse_time(row["due"]),
            last_review=parse_time(row["last_review"]) if row["last_review"] else None,
            reps=row["reps"],
            lapses=row["lapses"],
            first_day=row["first_day"],
        )

    def card(self, qid: str) -> CardRecord | None:
        rows = self._read("SELECT * FROM cards WHERE qid = ?", (qid,))
        return self._card(rows[0]) if rows else None

    def cards(self) -> dict[str, CardRecord]:
        return {r["qid"]: self._card(r) for r in self._read("SELECT * FROM cards ORDER BY qid")}

    def due_ids(self, before: datetime) -> list[str]:
        """Ids of the cards due before `before`, most overdue first."""
        rows = self._read(
            "SELECT qid FROM cards WHERE due < ? ORDER BY due, qid", (timestamp(before),)
        )
        return [r["qid"] for r in rows]

    def new_cards_on(self, day: str, among: set[str] | None = None) -> int:
        """How many cards were seen for the first time on `day` (only those in `among`, the
        question ids a session draws from, when given: the daily limit is per selection, as
        Anki's is per deck)."""
        rows = self._read("SELECT qid FROM cards WHERE first_day = ?", (day,))
        return sum(1 for row in rows if among is None or row["qid"] in among)

    def save_review(self, card: CardRecord, review: Review) -> int:
        """Write a review and the card it updated, in one transaction; returns the review id."""
        with self.transaction() as conn:
            cur = conn.execute(
                "INSERT INTO reviews (qid, topic, reviewed_at, day, rating, answer, points_hit,"
                " points_total, answer_ms, stability, difficulty, due, session_id, mode)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    review.qid,
                    review.topic,
                    timestamp(review.reviewed_at),
                    review.day,
                    review.rating,
                    review.answer,
                    " ".join(str(p) for p in review.points_hit),
                    review.points_total,
                    review.answer_ms,
                    review.stability,
                    review.difficulty,
                    timestamp(review.due),
                    review.session_id,
                    review.mode,
                ),
            )
            conn.execute(
                "INSERT INTO cards (qid, topic, state, step, stability, difficulty, due,"
                " last_review, reps, lapses, first_day) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
                " ON CONFLICT (qid) DO UPDATE SET topic = excluded.topic, state = excluded.state,"
                " step = excluded.step, stability = excluded.stability,"
                " difficulty = excluded.difficulty, due = excluded.due,"
                " last_review = excluded.last_review, reps = excluded.reps,"
                " lapses = excluded.lapses",
                (
                    card.qid,
                    card.topic,
                    card.state,
                    card.step,
                    card.stability,
                    card.difficulty,
                    timestamp(card.due),
                    timestamp(card.last_review) if card.last_review else None,
                    card.reps,
                    card.lapses,
                    card.first_day,
                ),
            )
            return int(cur.lastrowid or 0)

    # ----------------------------------------------------------------- reviews
    def reviews(self, qid: str | None = None) -> list[Review]:
        """Every review (of one card, or all), oldest first."""
        where, params = ("WHERE qid = ?", (qid,)) if qid is not None else ("", ())
        rows = self._read(f"SELECT * FROM reviews {where} ORDER BY reviewed_at, id", params)
        return [
            Review(
                id=r["id"],
                qid=r["qid"],
                topic=r["topic"],
                reviewed_at=parse_time(r["reviewed_at"]),
                day=r["day"],
                rating=r["rating"],
                answer=r["answer"],
                points_hit=tuple(int(p) for p in r["points_hit"].split()),
                points_total=r["points_total"],
                answer_ms=r["answer_ms"],
                stability=r["stability"],
                difficulty=r["difficulty"],
                due=parse_time(r["due"]),
                session_id=r["session_id"],
                mode=r["mode"],
            )
            for r in rows
        ]

    def review_days(self) -> dict[str, int]:
        """Reviews per local day."""
        rows = self._read("SELECT day, count(*) AS n FROM reviews GROUP BY day ORDER BY day")
        return {r["day"]: int(r["n"]) for r in rows}

    # ---------------------------------------------------------------- sessions
    def start_session(
        self,
        kind: str,
        started: datetime,
        day: str,
        lang: str,
        topic: str | None = None,
        minutes: float | None = None,
    ) -> int:
        with self.transaction() as conn:
            cur = conn.execute(
                "INSERT INTO sessions (kind, started, day, lang, topic, minutes)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (kind, timestamp(started), day, lang, topic, minutes),
            )
            return int(cur.lastrowid or 0)

    def end_session(self, session_id: int, ended: datetime) -> None:
        with self.transaction() as conn:
            conn.execute(
                "UPDATE sessions SET ended = ? WHERE id = ?", (timestamp(ended), session_id)
            )

    def save_chain(self, session_id: int, chain: Chain) -> None:
        with self.transaction() as conn:
            conn.execute(
                "INSERT INTO chains (session_id, position, root, depth, max_depth, broke_at,"
                " broke_rating, ended) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    session_id,
                    chain.position,
                    chain.root,
                    chain.depth,
                    chain.max_depth,
                    chain.broke_at,
                    chain.broke_rating,
                    chain.ended,
                ),
            )

    def interviews(self) -> list[InterviewRecord]:
        """Every mock interview, oldest first, with its chains in the order asked."""
        chains: dict[int, list[Chain]] = {}
        for r in self._read("SELECT * FROM chains ORDER BY session_id, position"):
            chains.setdefault(r["session_id"], []).append(
                Chain(
                    position=r["position"],
                    root=r["root"],
                    depth=r["depth"],
                    max_depth=r["max_depth"],
                    ended=r["ended"],
                    broke_at=r["broke_at"],
                    broke_rating=r["broke_rating"],
                )
            )
        rows = self._read("SELECT * FROM sessions WHERE kind = 'interview' ORDER BY started, id")
        return [
            InterviewRecord(
                id=r["id"],
                started=parse_time(r["started"]),
                day=r["day"],
                ended=parse_time(r["ended"]) if r["ended"] else None,
                lang=r["lang"],
                topic=r["topic"],
                minutes=r["minutes"],
                chains=tuple(chains.get(r["id"], [])),
            )
            for r in rows
        ]

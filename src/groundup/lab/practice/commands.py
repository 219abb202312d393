"""The practice subcommands of `groundup lab`: drill, interview, progress, export.

    groundup lab drill --topic initialization --lang ko
    groundup lab interview --minutes 20
    groundup lab progress --figure progress.png
    groundup lab export --format anki --lang both --out groundup.apkg

The database is $XDG_DATA_HOME/groundup/practice.sqlite3 (else ~/.local/share/...)
unless --db names another. Errors are one line in the language of --lang.
"""

from __future__ import annotations

import argparse
import difflib
import functools
import json
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from groundup.cli.common import EXIT_INTERRUPTED, choice, positive
from groundup.lab.bank import QuestionBank, load_bank
from groundup.lab.cli import _lang, _pipe_safe
from groundup.lab.practice.drill import DEFAULT_NEW, Drill, select
from groundup.lab.practice.export import EXPORT_LANGS, FORMATS, export
from groundup.lab.practice.interview import DEFAULT_MINUTES, Interview
from groundup.lab.practice.progress import compute, render, save_figure
from groundup.lab.practice.session import Console, clock_from_env
from groundup.lab.practice.store import Store, default_path
from groundup.lab.practice.texts import PracticeError, t
from groundup.lab.schema import DIFFICULTIES


def add_parsers(sub: Any) -> None:
    """Add drill, interview, progress and export to the `groundup lab` subcommands."""
    drill = sub.add_parser(
        "drill",
        help="practise recall: due cards, then new ones, graded and scheduled by FSRS",
        description="Drill the question bank: each card asks, takes your answer (one line, "
        "or just Enter), reveals the answer, its key points and the common mistake, and "
        "takes the points you hit and your grade (again|hard|good|easy or 1-4). Good or "
        "easy brings the follow-up question next; again offers the experiment that proves "
        "the answer. Every grade is saved at once; end the session with Ctrl-D.",
    )
    _topic_option(drill)
    drill.add_argument(
        "--difficulty",
        type=choice("difficulty", DIFFICULTIES),
        metavar="{" + ",".join(DIFFICULTIES) + "}",
        help="only questions of this difficulty",
    )
    _lang_option(drill)
    drill.add_argument(
        "--new",
        type=_count,
        default=DEFAULT_NEW,
        metavar="N",
        help=f"new cards a day at most (default {DEFAULT_NEW}); follow-ups may add more",
    )
    _db_option(drill)
    drill.set_defaults(run=_command(_drill))

    interview = sub.add_parser(
        "interview",
        help="a mock interview: follow-up chains, deeper while you answer well",
        description="A mock interview: root questions, each followed down its chain of "
        "follow-ups while you grade good or easy; again or hard ends the chain. Ends "
        "with the depth reached on each chain and the questions to review.",
    )
    _topic_option(interview)
    interview.add_argument(
        "--minutes",
        type=positive(float),
        default=DEFAULT_MINUTES,
        metavar="M",
        help=f"time limit, checked before each question (default {DEFAULT_MINUTES:g})",
    )
    _lang_option(interview)
    interview.add_argument("--seed", type=int, help="the same order of questions again")
    _db_option(interview)
    interview.set_defaults(run=_command(_interview))

    progress = sub.add_parser(
        "progress",
        help="per topic: cards seen, due, mean grade, recall; streak; interview depth",
    )
    _db_option(progress)
    progress.add_argument("--json", action="store_true", help="print JSON instead of a table")
    progress.add_argument(
        "--figure", type=Path, metavar="PATH", help="save a PNG: mastery per topic, calendar"
    )
    progress.add_argument("--overwrite", action="store_true", help="replace an existing figure")
    _lang_option(progress)
    progress.set_defaults(run=_command(_progress))

    export_ = sub.add_parser(
        "export",
        help="the bank and your history as an Anki deck, CSV or markdown",
        description="Anki: one note per question, stable ids (importing again updates the "
        "notes), follow-ups linked and tagged. CSV: every review. Markdown: the bank.",
    )
    export_.add_argument(
        "--format", required=True, type=choice("format", FORMATS),
        metavar="{" + ",".join(FORMATS) + "}", help=" | ".join(FORMATS),
    )  # fmt: skip
    export_.add_argument(
        "--lang", default="both", type=choice("language", EXPORT_LANGS),
        metavar="{" + ",".join(EXPORT_LANGS) + "}", help="ko | en | both (default)",
    )  # fmt: skip
    export_.add_argument("--out", type=Path, required=True, metavar="FILE", help="file to write")
    export_.add_argument("--overwrite", action="store_true", help="replace an existing file")
    _topic_option(export_)
    _db_option(export_)
    export_.set_defaults(run=_command(_export))


def _count(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a whole number") from None
    if number < 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more, got {value}")
    return number


def _topic_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--topic", help="only this topic (see groundup lab list)")


def _lang_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--lang", default="en", type=_lang, help="en (default) | ko")


def _db_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--db", type=Path, metavar="PATH", help=f"practice database (default {_default_db()})"
    )


def _default_db() -> str:
    path = default_path()
    home = Path.home()
    return "~/" + str(path.relative_to(home)) if path.is_relative_to(home) else str(path)


def _message_lang(args: argparse.Namespace) -> str:
    return "ko" if getattr(args, "lang", "en") == "ko" else "en"


def _command(fn: Callable[[argparse.Namespace], int]) -> Callable[..., int]:
    """Practice errors speak the session's language."""

    @functools.wraps(fn)
    def run(args: argparse.Namespace) -> int:
        try:
            return fn(args)
        except PracticeError as e:
            e.lang = _message_lang(args)
            raise

    return _pipe_safe(run)


def check_topic(bank: QuestionBank, topic: str | None) -> str | None:
    """`topic` if the bank has it; else a PracticeError naming the closest topics."""
    topics = bank.topics()
    if topic is None or topic in topics:
        return topic
    hints = [k for k in topics if k.startswith(topic)][:3]
    hints += [k for k in difflib.get_close_matches(topic, topics, n=3, cutoff=0.5)
              if k not in hints]  # fmt: skip
    if hints:
        raise PracticeError("unknown_topic", topic=topic, hints=", ".join(hints[:3]))
    raise PracticeError("unknown_topic_list", topic=topic, topics=", ".join(topics))


def _db(args: argparse.Namespace) -> Path:
    return args.db if args.db is not None else default_path()


def _console() -> Console:
    return Console(sys.stdin, sys.stdout)


def _drill(args: argparse.Namespace) -> int:
    bank = load_bank()
    topic = check_topic(bank, args.topic)
    select(bank, topic, args.difficulty)  # an empty filter fails before the database opens
    with Store(_db(args)) as store:
        drill = Drill(
            bank,
            store,
            _console(),
            lang=args.lang,
            topic=topic,
            difficulty=args.difficulty,
            new_limit=args.new,
            now=clock_from_env(),
        )
        result = drill.run()
    return EXIT_INTERRUPTED if result.interrupted else 0


def _interview(args: argparse.Namespace) -> int:
    bank = load_bank()
    topic = check_topic(bank, args.topic)
    with Store(_db(args)) as store:
        interview = Interview(
            bank,
            store,
            _console(),
            lang=args.lang,
            topic=topic,
            minutes=args.minutes,
            now=clock_from_env(),
            seed=args.seed,
        )
        result = interview.run()
    return EXIT_INTERRUPTED if result.interrupted else 0


def open_history(path: Path) -> Store | None:
    """The database for reading, read-only if it may not be written; None if missing."""
    if not path.exists():
        return None
    try:
        return Store(path)
    except PracticeError as e:
        if e.key != "db_readonly":
            raise
        return Store(path, read_only=True)


def _progress(args: argparse.Namespace) -> int:
    bank, lang, path = load_bank(), args.lang, _db(args)
    now = clock_from_env()()
    store = open_history(path)
    with tempfile.TemporaryDirectory(prefix="groundup-practice-") as scratch:
        if store is None:
            if not args.json:
                print(t(lang, "no_history", path=path))
            store = Store(Path(scratch) / "empty.sqlite3")
        with store:
            progress = compute(bank, store, now)
    if args.json:
        print(json.dumps(progress.to_json(), ensure_ascii=False, indent=2))
    else:
        print(render(progress, lang))
    if args.figure is not None:
        save_figure(progress, args.figure, overwrite=args.overwrite)
        if not args.json:
            print(t(lang, "figure_saved", path=args.figure))
    return 0


def _export(args: argparse.Namespace) -> int:
    bank = load_bank()
    topic = check_topic(bank, args.topic)
    topics = [topic] if topic is not None else None
    store = open_history(_db(args))
    if store is None:
        reviews, cards = [], {}
    else:
        with store:
            reviews, cards = store.reviews(), store.cards()
    message = export(
        args.format,
        args.out,
        bank=bank,
        lang=args.lang,
        reviews=reviews,
        cards=cards,
        topics=topics,
        overwrite=args.overwrite,
        now=clock_from_env()(),
    )
    print(message)
    return 0

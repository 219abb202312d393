"""What a drill and a mock interview share: the clock, the console, and one card asked,
revealed, checked off and graded.

A console reads one line per prompt from its input (a terminal or a pipe) and raises
`EndOfInput` at its end. When the input is not a terminal each line read is echoed after
its prompt, so a piped session reads like a typed one. Colours only on a terminal, and
never when NO_COLOR is set (https://no-color.org) or TERM is dumb.
"""

from __future__ import annotations

import os
import shutil
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TextIO

from groundup.lab.cli import display_width, wrap
from groundup.lab.practice.texts import GRADE_WORDS, t
from groundup.lab.schema import Question

Clock = Callable[[], datetime]
NOW_VARIABLE = "GROUNDUP_PRACTICE_NOW"  # a fixed ISO time for the clock (tests, demos)


def system_clock() -> datetime:
    """Now, in the local time zone (the day of a review is the local date)."""
    return datetime.now().astimezone()


def fixed_clock(moment: datetime) -> Clock:
    return lambda: moment


def clock_from_env(env: Mapping[str, str] | None = None) -> Clock:
    """The system clock, or the fixed time in $GROUNDUP_PRACTICE_NOW (ISO 8601 with an
    offset, e.g. 2025-03-01T09:00:00+09:00)."""
    value = (os.environ if env is None else env).get(NOW_VARIABLE, "")
    if not value:
        return system_clock
    moment = datetime.fromisoformat(value)
    if moment.tzinfo is None:
        moment = moment.astimezone()
    return fixed_clock(moment)


def local_day(moment: datetime) -> str:
    """The date of `moment` in its own time zone, YYYY-MM-DD."""
    return moment.date().isoformat()


def next_day_start(moment: datetime) -> datetime:
    """Midnight at the start of the day after `moment`, in `moment`'s time zone."""
    return datetime.combine(moment.date() + timedelta(days=1), datetime.min.time(), moment.tzinfo)


class EndOfInput(Exception):
    """The input ended (a pipe ran dry, or Ctrl-D): the session stops, its grades kept."""


def _isatty(stream: object) -> bool:
    isatty = getattr(stream, "isatty", None)
    try:
        return bool(isatty()) if isatty is not None else False
    except ValueError:  # a closed stream
        return False


def use_color(stream: object, env: Mapping[str, str] | None = None) -> bool:
    env = os.environ if env is None else env
    return _isatty(stream) and not env.get("NO_COLOR") and env.get("TERM") != "dumb"


STYLES = {"bold": "1", "dim": "2", "red": "31", "green": "32", "yellow": "33", "cyan": "36"}


class Console:
    """Prompts on `stdout`, one line at a time from `stdin`."""

    def __init__(
        self,
        stdin: TextIO | None = None,
        stdout: TextIO | None = None,
        *,
        color: bool | None = None,
        echo: bool | None = None,
        width: int | None = None,
    ):
        self.stdin = stdin if stdin is not None else sys.stdin
        self.stdout = stdout if stdout is not None else sys.stdout
        self.color = use_color(self.stdout) if color is None else color
        self.echo = not _isatty(self.stdin) if echo is None else echo
        self.width = width or max(60, min(shutil.get_terminal_size((100, 24)).columns, 100))

    def paint(self, text: str, *styles: str) -> str:
        if not self.color or not styles:
            return text
        codes = ";".join(STYLES[s] for s in styles)
        return f"\x1b[{codes}m{text}\x1b[0m"

    def say(self, text: str = "", *styles: str) -> None:
        self.stdout.write(self.paint(text, *styles) + "\n")

    def ask(self, prompt: str) -> str:
        """Show `prompt`, read one line; raises EndOfInput when the input has ended."""
        self.stdout.write(self.paint(prompt, "bold"))
        self.stdout.flush()
        line = self.stdin.readline()
        if not line:
            if self.echo:
                self.stdout.write("\n")
            raise EndOfInput
        line = line.rstrip("\r\n")
        if self.echo:
            self.stdout.write(line + "\n")
        return line.strip()

    def wrapped(self, text: str, indent: str = "   ", *styles: str) -> None:
        for line in wrap(text, self.width, indent):
            self.say(line, *styles)


@dataclass(frozen=True)
class Outcome:
    """What the candidate did with one card."""

    rating: int
    answer: str
    points_hit: tuple[int, ...]
    points_total: int
    answer_ms: int


def parse_points(text: str, n: int) -> tuple[int, ...] | None:
    """`"1 3"` (or `"1,3"`) -> (1, 3); "" -> (); None when a number is not in 1..n."""
    out: set[int] = set()
    for word in text.replace(",", " ").split():
        if not word.isdigit() or not 1 <= int(word) <= n:
            return None
        out.add(int(word))
    return tuple(sorted(out))


def parse_grade(text: str) -> int | None:
    return GRADE_WORDS.get(text.strip().lower())


def ask_card(console: Console, q: Question, lang: str, header: str) -> Outcome:
    """Ask `q`, reveal its answer, key points and common mistake, then read the points hit
    and the grade (both re-asked with one line until valid)."""
    console.say()
    console.say(header)
    console.wrapped("Q. " + q.question.get(lang), "", "bold")
    start = time.monotonic()
    answer = console.ask(t(lang, "answer_prompt"))
    answer_ms = int((time.monotonic() - start) * 1000)
    console.say()
    console.say(t(lang, "answer_heading"), "green", "bold")
    console.wrapped(q.answer.get(lang))
    points = list(getattr(q.key_points, lang)) if q.key_points is not None else []
    if points:
        console.say(t(lang, "key_points_heading"), "green", "bold")
        for i, point in enumerate(points, 1):
            lines = wrap(point, console.width, "      ")
            console.say(f"   {i:>2}. " + lines[0].lstrip())
            for line in lines[1:]:
                console.say(line)
    if q.common_mistake is not None:
        console.say(t(lang, "mistake_heading"), "yellow", "bold")
        console.wrapped(q.common_mistake.get(lang))
    hit: tuple[int, ...] = ()
    if points:
        while True:
            parsed = parse_points(console.ask(t(lang, "points_prompt")), len(points))
            if parsed is not None:
                hit = parsed
                break
            console.say(t(lang, "points_again", n=len(points)), "red")
    while True:
        rating = parse_grade(console.ask(t(lang, "grade_prompt")))
        if rating is not None:
            break
        console.say(t(lang, "grade_again"), "red")
    return Outcome(rating, answer, hit, len(points), answer_ms)


def card_header(console: Console, q: Question, lang: str, topic: str, *tags: str) -> str:
    """`init.zero-init · easy · initialization · new`, the id coloured."""
    parts = [console.paint(q.id, "cyan", "bold"), t(lang, f"diff_{q.difficulty}"), topic, *tags]
    return " · ".join(parts)


__all__ = [
    "NOW_VARIABLE",
    "Clock",
    "Console",
    "EndOfInput",
    "Outcome",
    "ask_card",
    "card_header",
    "clock_from_env",
    "display_width",
    "fixed_clock",
    "local_day",
    "next_day_start",
    "parse_grade",
    "parse_points",
    "system_clock",
    "use_color",
]
